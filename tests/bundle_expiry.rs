//! An engine stops deciding when its signed bundle expires: `decide` and
//! `eligible_offers` refuse with `BUNDLE_EXPIRED` from `expiresAt` plus the
//! trust config's `decideGraceSeconds` (default 0), however long ago the
//! bundle was loaded. The CLI decides through the same store and engine.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::cli::{decide_args, fails, ok, round_trip, with};
use common::*;
use offer_edge::bundle::{BundleStore, Trust, TrustDoc};
use offer_edge::context::Context;
use offer_edge::decide::{DecideOptions, Engine};
use offer_edge::history::History;
use offer_edge::time::{DurationMs, Timestamp};
use offer_edge::ErrorCode;
use std::sync::Arc;

/// The fixture bundle (expiring [`expires`]) loaded at [`now`] into a store
/// whose trust allows `grace_seconds` of deciding past expiry.
fn engine(grace_seconds: Option<u64>) -> Arc<Engine> {
    let doc = TrustDoc {
        decide_grace_seconds: grace_seconds,
        ..trust_doc(&["k1", "k2"], 2)
    };
    let mut store = BundleStore::with_compile(Trust::from_doc(doc).unwrap(), Engine::from_verified);
    store
        .load(&sign(&bundle(PARTNER, 1), &["k1", "k2"]), now())
        .unwrap();
    store.active().unwrap()
}

/// `decide` and `eligible_offers` at `at`: `Ok` or both the same code.
fn decide_at(engine: &Engine, at: Timestamp) -> Result<(), ErrorCode> {
    let ctx = Context::from_json(br#"{"state":"NY","amount":"64.50"}"#).unwrap();
    let history = History::new(PARTNER);
    let decided = engine
        .decide(&ctx, &history, at, &[7; 8], &DecideOptions::default())
        .map(drop)
        .map_err(|e| e.code());
    let eligible = engine
        .eligible_offers(&ctx, &history, at)
        .map(drop)
        .map_err(|e| e.code());
    assert_eq!(
        decided, eligible,
        "decide and eligible_offers disagree at {at}"
    );
    decided
}

#[test]
fn a_loaded_bundle_stops_deciding_at_its_expiry() {
    let engine = engine(None);
    assert_eq!(decide_at(&engine, now()), Ok(()));
    let last_ms = Timestamp(expires().as_millis() - 1);
    assert_eq!(decide_at(&engine, last_ms), Ok(()));
    // Exclusive, like the load check (`expiresAt` > now).
    assert_eq!(decide_at(&engine, expires()), Err(ErrorCode::BundleExpired));
    let later = expires().plus(DurationMs(30 * 86_400_000));
    assert_eq!(decide_at(&engine, later), Err(ErrorCode::BundleExpired));
}

#[test]
fn decide_grace_seconds_extends_deciding_not_loading() {
    let engine = engine(Some(3_600));
    let within = expires().plus(DurationMs(3_600_000 - 1));
    assert_eq!(decide_at(&engine, within), Ok(()));
    let after = expires().plus(DurationMs(3_600_000));
    assert_eq!(decide_at(&engine, after), Err(ErrorCode::BundleExpired));

    // Loading an expired bundle stays refused whatever the grace.
    let doc = TrustDoc {
        decide_grace_seconds: Some(3_600),
        ..trust_doc(&["k1", "k2"], 2)
    };
    let mut store = BundleStore::with_compile(Trust::from_doc(doc).unwrap(), Engine::from_verified);
    let err = store
        .load(&sign(&bundle(PARTNER, 1), &["k1", "k2"]), within)
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::BundleExpired);
}

#[test]
fn the_grace_is_part_of_the_pinned_trust_config() {
    let doc = TrustDoc {
        decide_grace_seconds: Some(600),
        ..trust_doc(&["k1", "k2"], 2)
    };
    let trust = Trust::from_doc(doc.clone()).unwrap();
    assert_eq!(trust.decide_grace(), DurationMs(600_000));
    assert_eq!(trust.to_doc(), doc);
    let json = serde_json::to_value(&doc).unwrap();
    assert_eq!(json["decideGraceSeconds"], 600);
    // A key rotation keeps it, like the rest of the policy.
    let keyset = std::fs::read(fixture_path("keyset-v1.signed.json")).unwrap();
    assert_eq!(
        trust.rotate(&keyset).unwrap().decide_grace(),
        DurationMs(600_000)
    );
    let too_long = TrustDoc {
        decide_grace_seconds: Some(u64::MAX),
        ..doc
    };
    assert_eq!(
        Trust::from_doc(too_long).unwrap_err().code(),
        ErrorCode::TrustInvalid
    );
}

#[test]
fn a_draft_has_no_expiry_policy() {
    // Drafts are never verified against a trust config: authoring previews
    // may look at any instant.
    let b = bundle(PARTNER, 1);
    let engine = Engine::compile(b, &[0; 32]).unwrap();
    let later = expires().plus(DurationMs(86_400_000));
    assert_eq!(decide_at(&engine, later), Ok(()));
}

#[test]
fn the_cli_refuses_to_decide_on_an_expired_bundle() {
    let dir = round_trip("cli-decide-expired", "6");
    std::fs::write(dir.join("ctx.json"), r#"{"state":"NY","amount":"64.50"}"#).unwrap();
    let decide = |trust: &'static str, now: &'static str| {
        let args = decide_args("signed.json", trust, "ctx.json");
        with(args, &["--seed", "1", "--now", now])
    };
    // The demo bundle expires 2099-01-01.
    ok(&dir, &decide("trust.json", "2098-12-31T23:59:59Z"));
    let after = "2099-01-01T00:00:00Z";
    fails(&dir, &decide("trust.json", after), "BUNDLE_EXPIRED");
    // A grace in the trust config does not make an expired file loadable.
    let trust: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("trust.json")).unwrap()).unwrap();
    let mut graced = trust.clone();
    graced["decideGraceSeconds"] = 86_400.into();
    std::fs::write(dir.join("trust-grace.json"), graced.to_string()).unwrap();
    fails(&dir, &decide("trust-grace.json", after), "BUNDLE_EXPIRED");
}

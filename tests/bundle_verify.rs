//! Every verification check, exercised with real signed bundles: each failure
//! must carry exactly its own code and leave the previous bundle active.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use common::*;
use ed25519_dalek::{Signature, Verifier as _, VerifyingKey};
use offer_edge::bundle::envelope::{pae, verify_signature};
use offer_edge::bundle::model::ApprovalStatus;
use offer_edge::bundle::{
    verify_bundle, BundleStore, Envelope, LoadOutcome, StoreState, Trust, Verification,
    BUNDLE_PAYLOAD_TYPE,
};
use offer_edge::limits::{MAX_BUNDLE_BYTES, MAX_JSON_DEPTH, MAX_SIGNATURES};
use offer_edge::time::Timestamp;
use offer_edge::ErrorCode;
use proptest::prelude::*;
use sha2::{Digest, Sha256};

/// A store with trust {k1, k2} / threshold 2 and v1 loaded.
fn store_with_v1() -> (BundleStore, [u8; 32]) {
    let mut store = BundleStore::new(trust(&["k1", "k2"], 2));
    let v1 = sign(&bundle(PARTNER, 1), &["k1", "k2"]);
    assert_eq!(
        store.load(&v1, now()).unwrap(),
        LoadOutcome::Loaded { version: 1 }
    );
    let sha = store.active().unwrap().sha256;
    (store, sha)
}

/// Loads `bytes` into a store holding v1; asserts the code and that v1 stays.
fn refused(bytes: &[u8], at: Timestamp) -> ErrorCode {
    let (mut store, sha) = store_with_v1();
    let err = store.load(bytes, at).unwrap_err();
    let active = store.active().unwrap();
    assert_eq!(active.sha256, sha, "active bundle changed after {err}");
    assert_eq!(active.bundle.version, 1);
    assert_eq!(store.last_version(), Some(1));
    err.code()
}

/// Re-encodes an envelope after `edit` changed it.
fn edited(bytes: &[u8], edit: impl FnOnce(&mut Envelope)) -> Vec<u8> {
    let mut env = Envelope::parse(bytes).unwrap();
    edit(&mut env);
    env.to_json().unwrap().into_bytes()
}

#[test]
fn a_good_bundle_loads_with_its_identity() {
    let (store, sha) = store_with_v1();
    let payload = serde_json::to_vec(&bundle(PARTNER, 1)).unwrap();
    assert_eq!(sha, <[u8; 32]>::from(Sha256::digest(&payload)));
    let active = store.active().unwrap();
    assert_eq!(active.signer_keyids, ["k1", "k2"]);
    assert_eq!(active.bundle.offers.len(), 12);
    let v2 = sign(&bundle(PARTNER, 2), &["k2", "k1"]);
    let mut store = store;
    assert_eq!(
        store.load(&v2, now()).unwrap(),
        LoadOutcome::Loaded { version: 2 }
    );
    assert_eq!(store.active().unwrap().bundle.version, 2);
}

#[test]
fn flipped_payload_byte_is_signature_invalid() {
    let good = sign(&bundle(PARTNER, 2), &["k1", "k2"]);
    let bad = edited(&good, |env| {
        let mut payload = B64.decode(&env.payload).unwrap();
        payload[100] ^= 0x01;
        env.payload = B64.encode(payload);
    });
    assert_eq!(refused(&bad, now()), ErrorCode::SignatureInvalid);
}

#[test]
fn flipped_signature_byte_is_signature_invalid() {
    let good = sign(&bundle(PARTNER, 2), &["k1", "k2"]);
    let bad = edited(&good, |env| {
        let mut sig = B64.decode(&env.signatures[1].sig).unwrap();
        sig[10] ^= 0x80;
        env.signatures[1].sig = B64.encode(sig);
    });
    assert_eq!(refused(&bad, now()), ErrorCode::SignatureInvalid);
}

#[test]
fn a_trusted_keyid_with_another_keys_signature_is_signature_invalid() {
    let good = sign(&bundle(PARTNER, 2), &["k1", "k3"]);
    let bad = edited(&good, |env| env.signatures[1].keyid = "k2".into());
    assert_eq!(refused(&bad, now()), ErrorCode::SignatureInvalid);
}

#[test]
fn unknown_keys_only_is_unknown_key() {
    let bad = sign(&bundle(PARTNER, 2), &["k3", "other"]);
    assert_eq!(refused(&bad, now()), ErrorCode::UnknownKey);
}

#[test]
fn unknown_cosigners_are_skipped() {
    let (mut store, _) = store_with_v1();
    let ok = sign(&bundle(PARTNER, 2), &["k3", "k1", "other", "k2"]);
    assert_eq!(
        store.load(&ok, now()).unwrap(),
        LoadOutcome::Loaded { version: 2 }
    );
    assert_eq!(store.active().unwrap().signer_keyids, ["k1", "k2"]);
}

#[test]
fn one_of_two_is_threshold_not_met() {
    let bad = sign(&bundle(PARTNER, 2), &["k1"]);
    assert_eq!(refused(&bad, now()), ErrorCode::ThresholdNotMet);
}

#[test]
fn the_same_key_twice_counts_once() {
    let bad = sign(&bundle(PARTNER, 2), &["k1", "k1"]);
    assert_eq!(refused(&bad, now()), ErrorCode::ThresholdNotMet);
}

#[test]
fn too_many_signatures_is_envelope_malformed() {
    let signers = vec!["k1"; MAX_SIGNATURES + 1];
    let bad = sign(&bundle(PARTNER, 2), &signers);
    assert_eq!(refused(&bad, now()), ErrorCode::EnvelopeMalformed);
}

#[test]
fn another_partners_valid_bundle_is_partner_mismatch() {
    let bad = sign(&bundle("globex", 2), &["k1", "k2"]);
    assert_eq!(refused(&bad, now()), ErrorCode::PartnerMismatch);
}

#[test]
fn expiry_is_exclusive_to_the_millisecond() {
    let v2 = sign(&bundle(PARTNER, 2), &["k1", "k2"]);
    let at_expiry = expires();
    assert_eq!(
        refused(&v2, Timestamp(at_expiry.0 + 1_000)),
        ErrorCode::BundleExpired
    );
    assert_eq!(refused(&v2, at_expiry), ErrorCode::BundleExpired);
    let (mut store, _) = store_with_v1();
    assert_eq!(
        store.load(&v2, Timestamp(at_expiry.0 - 1)).unwrap(),
        LoadOutcome::Loaded { version: 2 }
    );
}

#[test]
fn max_age_refuses_stale_bundles() {
    let mut doc = trust_doc(&["k1"], 1);
    doc.max_age_seconds = Some(86_400);
    let trust = Trust::from_doc(doc).unwrap();
    let mut b = bundle(PARTNER, 1);
    b.issued_at = Timestamp(now().0 - 86_400_000);
    let fresh = sign(&b, &["k1"]);
    assert!(verify_bundle(&trust, &fresh, now(), None).is_ok());
    b.issued_at = Timestamp(now().0 - 86_400_001);
    let stale = sign(&b, &["k1"]);
    let err = verify_bundle(&trust, &stale, now(), None).unwrap_err();
    assert_eq!(err.code(), ErrorCode::BundleExpired);
}

#[test]
fn lower_version_is_rollback_and_equal_is_a_no_op() {
    let (mut store, _) = store_with_v1();
    let v3 = sign(&bundle(PARTNER, 3), &["k1", "k2"]);
    store.load(&v3, now()).unwrap();
    let sha3 = store.active().unwrap().sha256;
    let v2 = sign(&bundle(PARTNER, 2), &["k1", "k2"]);
    assert_eq!(
        store.load(&v2, now()).unwrap_err().code(),
        ErrorCode::VersionRollback
    );
    // Same version again, even with other content: no-op, v3 stays active.
    let mut other = bundle(PARTNER, 3);
    other.offers.truncate(3);
    for bytes in [v3, sign(&other, &["k1", "k2"])] {
        assert_eq!(
            store.load(&bytes, now()).unwrap(),
            LoadOutcome::Unchanged { version: 3 }
        );
        assert_eq!(store.active().unwrap().sha256, sha3);
    }
}

#[test]
fn oversize_is_bundle_too_large() {
    let v2 = sign(&bundle(PARTNER, 2), &["k1", "k2"]);
    let mut doc = trust_doc(&["k1", "k2"], 2);
    doc.max_bundle_bytes = Some(v2.len() - 1);
    let small = Trust::from_doc(doc).unwrap();
    let err = verify_bundle(&small, &v2, now(), None).unwrap_err();
    assert_eq!(err.code(), ErrorCode::BundleTooLarge);
    let huge = vec![b' '; MAX_BUNDLE_BYTES + 1];
    assert_eq!(refused(&huge, now()), ErrorCode::BundleTooLarge);
}

#[test]
fn broken_envelopes_are_envelope_malformed() {
    let good = sign(&bundle(PARTNER, 2), &["k1", "k2"]);
    let mut cases: Vec<Vec<u8>> = vec![
        b"".to_vec(),
        b"{".to_vec(),
        b"[]".to_vec(),
        good[..good.len() - 1].to_vec(),
        edited(&good, |e| e.signatures.clear()),
        edited(&good, |e| e.payload.push('!')),
    ];
    let mut extra: serde_json::Value = serde_json::from_slice(&good).unwrap();
    extra["comment"] = "hi".into();
    cases.push(serde_json::to_vec(&extra).unwrap());
    let other_type = sign_payload(
        "application/json",
        &serde_json::to_vec(&bundle(PARTNER, 2)).unwrap(),
        &["k1", "k2"],
    );
    cases.push(other_type);
    for case in cases {
        assert_eq!(
            refused(&case, now()),
            ErrorCode::EnvelopeMalformed,
            "{}",
            String::from_utf8_lossy(&case)
        );
    }
}

#[test]
fn signed_garbage_is_payload_malformed() {
    for payload in [&b"{not json"[..], b"{}", b"[1,2]", br#"{"schema":1}"#] {
        let bad = sign_payload(BUNDLE_PAYLOAD_TYPE, payload, &["k1", "k2"]);
        assert_eq!(refused(&bad, now()), ErrorCode::PayloadMalformed);
    }
    // A misspelt field is refused, not ignored.
    let mut v: serde_json::Value = serde_json::to_value(bundle(PARTNER, 2)).unwrap();
    v["offers"][0]["suppressAfterDecliine"] = "7d".into();
    let bad = sign_payload(
        BUNDLE_PAYLOAD_TYPE,
        &serde_json::to_vec(&v).unwrap(),
        &["k1", "k2"],
    );
    assert_eq!(refused(&bad, now()), ErrorCode::PayloadMalformed);
}

#[test]
fn deep_nesting_is_refused_before_parsing() {
    let mut b = bundle(PARTNER, 2);
    let mut rule = serde_json::json!(true);
    for _ in 0..MAX_JSON_DEPTH {
        rule = serde_json::json!({ "!": [rule] });
    }
    b.offers[0].eligibility = Some(rule.into());
    assert_eq!(
        refused(&sign(&b, &["k1", "k2"]), now()),
        ErrorCode::LimitExceeded
    );
}

#[test]
fn an_unapproved_creative_is_creative_not_approved() {
    for status in [ApprovalStatus::Pending, ApprovalStatus::Rejected] {
        let mut b = bundle(PARTNER, 2);
        b.offers[5].creative.approval.status = status;
        assert_eq!(
            refused(&sign(&b, &["k1", "k2"]), now()),
            ErrorCode::CreativeNotApproved
        );
    }
}

#[test]
fn schema_and_limit_violations_have_their_codes() {
    type Edit = fn(&mut offer_edge::bundle::Bundle);
    let cases: Vec<(Edit, ErrorCode)> = vec![
        (|b| b.schema = 2, ErrorCode::SchemaInvalid),
        (
            |b| b.offers[1].id = b.offers[0].id.clone(),
            ErrorCode::SchemaInvalid,
        ),
        (
            |b| b.offers[1].creative.id = b.offers[0].creative.id.clone(),
            ErrorCode::SchemaInvalid,
        ),
        (
            |b| b.placements[1].id = "confirmation".into(),
            ErrorCode::SchemaInvalid,
        ),
        (
            |b| b.offers[0].placements = vec!["footer".into()],
            ErrorCode::SchemaInvalid,
        ),
        (
            |b| b.offers[0].audiences.exclude = vec!["nobody".into()],
            ErrorCode::SchemaInvalid,
        ),
        (|b| b.offers[0].value = -1.0, ErrorCode::SchemaInvalid),
        (|b| b.placements[0].max_offers = 0, ErrorCode::SchemaInvalid),
        (
            |b| b.placements[0].max_offers = 11,
            ErrorCode::SchemaInvalid,
        ),
        (|b| b.issued_at = b.expires_at, ErrorCode::SchemaInvalid),
        (
            |b| {
                b.offers[0].action = offer_edge::bundle::Action::Link {
                    url: "http://example.com/".into(),
                }
            },
            ErrorCode::SchemaInvalid,
        ),
        (
            |b| {
                let w = b.model.offers.remove(&b.offers[0].id).unwrap();
                b.model.offers.insert("ghost".into(), w);
            },
            ErrorCode::SchemaInvalid,
        ),
        (
            |b| b.fulfilment_key.public_key = B64.encode([7u8; 31]),
            ErrorCode::KeyInvalid,
        ),
        (
            |b| b.offers[0].id = "x".repeat(129),
            ErrorCode::LimitExceeded,
        ),
        (
            |b| {
                let cap = b.offers[0].caps[0];
                b.offers[0].caps = vec![cap; 9];
            },
            ErrorCode::LimitExceeded,
        ),
        (
            |b| b.offers[0].creative.fields.body = "x".repeat(4097),
            ErrorCode::LimitExceeded,
        ),
    ];
    for (i, (edit, code)) in cases.into_iter().enumerate() {
        let mut b = bundle(PARTNER, 2);
        edit(&mut b);
        assert_eq!(refused(&sign(&b, &["k1", "k2"]), now()), code, "case {i}");
    }
}

/// `sig` with S replaced by S + L (the group order): the same point equation
/// holds, so only the canonical-S check refuses it.
fn malleate(sig: &[u8]) -> Vec<u8> {
    const L: [u8; 32] = [
        0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde,
        0x14, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
    ];
    let mut out = sig.to_vec();
    let mut carry = 0u16;
    for i in 0..32 {
        let sum = u16::from(sig[32 + i]) + u16::from(L[i]) + carry;
        out[32 + i] = sum as u8;
        carry = sum >> 8;
    }
    assert_eq!(carry, 0);
    out
}

#[test]
fn a_malleated_signature_is_signature_invalid() {
    let good = sign(&bundle(PARTNER, 2), &["k1", "k2"]);
    let bad = edited(&good, |env| {
        let sig = B64.decode(&env.signatures[0].sig).unwrap();
        env.signatures[0].sig = B64.encode(malleate(&sig));
    });
    assert_eq!(refused(&bad, now()), ErrorCode::SignatureInvalid);
}

#[test]
fn a_weak_key_forgery_is_refused_strictly_and_at_trust_load() {
    // The identity point: a small-order key. R = identity, S = 0 satisfies the
    // cofactorless equation for EVERY message.
    let mut identity = [0u8; 32];
    identity[0] = 1;
    let weak = VerifyingKey::from_bytes(&identity).unwrap();
    let mut forged = [0u8; 64];
    forged[0] = 1;
    let message = pae(BUNDLE_PAYLOAD_TYPE, b"{\"anything\":true}");
    assert!(weak
        .verify(&message, &Signature::from_bytes(&forged))
        .is_ok());
    let err = verify_signature(&weak, &message, &B64.encode(forged)).unwrap_err();
    assert_eq!(err.code(), ErrorCode::SignatureInvalid);
    let mut doc = trust_doc(&["k1"], 1);
    doc.keys.insert("weak".into(), B64.encode(identity));
    assert_eq!(
        Trust::from_doc(doc).unwrap_err().code(),
        ErrorCode::KeyInvalid
    );
}

#[test]
fn checks_run_in_order() {
    // Unsigned-by-trusted AND wrong partner AND expired: the signature check wins.
    let mut b = bundle("globex", 0);
    b.expires_at = Timestamp(now().0 - 1);
    b.issued_at = Timestamp(now().0 - 10);
    let bytes = sign(&b, &["k3"]);
    assert_eq!(refused(&bytes, now()), ErrorCode::UnknownKey);
    // Trusted, wrong partner, expired, rolled back: partner first.
    assert_eq!(
        refused(&sign(&b, &["k1", "k2"]), now()),
        ErrorCode::PartnerMismatch
    );
    // Right partner, expired and rolled back: expiry first.
    b.partner = PARTNER.into();
    assert_eq!(
        refused(&sign(&b, &["k1", "k2"]), now()),
        ErrorCode::BundleExpired
    );
    // Fresh but rolled back and unapproved: rollback first.
    b.expires_at = expires();
    b.offers[0].creative.approval.status = ApprovalStatus::Pending;
    assert_eq!(
        refused(&sign(&b, &["k1", "k2"]), now()),
        ErrorCode::VersionRollback
    );
}

#[test]
fn state_round_trips_and_only_moves_up() {
    let (store, _) = store_with_v1();
    let state = store.export_state().unwrap();
    let json = serde_json::to_string(&state).unwrap();
    assert_eq!(json, r#"{"partner":"acme","lastVersion":1}"#);
    let mut fresh = BundleStore::new(trust(&["k1", "k2"], 2));
    fresh
        .import_state(&StoreState {
            partner: PARTNER.into(),
            last_version: 5,
        })
        .unwrap();
    let v4 = sign(&bundle(PARTNER, 4), &["k1", "k2"]);
    assert_eq!(
        fresh.load(&v4, now()).unwrap_err().code(),
        ErrorCode::VersionRollback
    );
    assert!(fresh.active().is_none());
    fresh.import_state(&state).unwrap();
    assert_eq!(fresh.last_version(), Some(5));
    let foreign = StoreState {
        partner: "globex".into(),
        last_version: 1,
    };
    assert_eq!(
        fresh.import_state(&foreign).unwrap_err().code(),
        ErrorCode::PartnerMismatch
    );
}

#[test]
fn a_failing_compile_step_keeps_the_previous_bundle() {
    fn picky(v: offer_edge::bundle::VerifiedBundle) -> offer_edge::Result<u64> {
        if v.bundle.version == 2 {
            Err(offer_edge::Error::new(ErrorCode::RuleInvalid, "refused"))
        } else {
            Ok(v.bundle.version)
        }
    }
    let mut store = BundleStore::with_compile(trust(&["k1"], 1), picky);
    store
        .load(&sign(&bundle(PARTNER, 1), &["k1"]), now())
        .unwrap();
    let err = store
        .load(&sign(&bundle(PARTNER, 2), &["k1"]), now())
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::RuleInvalid);
    assert_eq!(*store.active().unwrap(), 1);
    assert_eq!(store.last_version(), Some(1));
    store
        .load(&sign(&bundle(PARTNER, 3), &["k1"]), now())
        .unwrap();
    assert_eq!(*store.active().unwrap(), 3);
}

fn tiny(version: u64, expires_at: Timestamp) -> Vec<u8> {
    let mut b = bundle(PARTNER, version);
    b.offers.truncate(1);
    let id = b.offers[0].id.clone();
    b.model.offers.retain(|k, _| *k == id);
    b.model.exploration.priors.retain(|k, _| *k == id);
    b.issued_at = Timestamp(now().0 - 86_400_000);
    b.expires_at = expires_at;
    sign(&b, &["k1"])
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn version_boundaries(last in 0u64..6, version in 0u64..6) {
        let trust = trust(&["k1"], 1);
        let got = verify_bundle(&trust, &tiny(version, expires()), now(), Some(last));
        match version.cmp(&last) {
            std::cmp::Ordering::Less => {
                prop_assert_eq!(got.unwrap_err().code(), ErrorCode::VersionRollback)
            }
            std::cmp::Ordering::Equal => {
                prop_assert_eq!(got.unwrap(), Verification::Unchanged { version: last })
            }
            std::cmp::Ordering::Greater => prop_assert!(matches!(got, Ok(Verification::New(_)))),
        }
    }

    #[test]
    fn expiry_boundaries(offset in -3_000i64..3_000) {
        let trust = trust(&["k1"], 1);
        let bytes = tiny(1, Timestamp(now().0 + offset));
        let got = verify_bundle(&trust, &bytes, now(), None);
        if offset > 0 {
            prop_assert!(got.is_ok());
        } else {
            prop_assert_eq!(got.unwrap_err().code(), ErrorCode::BundleExpired);
        }
    }
}

#[test]
fn after_restoring_state_alone_the_same_version_loads_again() {
    // A page reload: the host restores its rollback floor (v5) but has no
    // engine yet. Loading v5 again must activate it, not report "unchanged"
    // with nothing active; v4 stays refused, and a second v5 is a no-op.
    let mut store = BundleStore::new(trust(&["k1", "k2"], 2));
    store
        .import_state(&StoreState {
            partner: PARTNER.into(),
            last_version: 5,
        })
        .unwrap();
    let v5 = sign(&bundle(PARTNER, 5), &["k1", "k2"]);
    assert_eq!(
        store.load(&v5, now()).unwrap(),
        LoadOutcome::Loaded { version: 5 }
    );
    assert!(store.active().is_some());
    assert_eq!(
        store.load(&v5, now()).unwrap(),
        LoadOutcome::Unchanged { version: 5 }
    );
    let v4 = sign(&bundle(PARTNER, 4), &["k1", "k2"]);
    assert_eq!(
        store.load(&v4, now()).unwrap_err().code(),
        ErrorCode::VersionRollback
    );
    assert_eq!(store.active().unwrap().bundle.version, 5);
}

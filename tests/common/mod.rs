//! Shared helpers for the bundle tests: deterministic fixture keys, a small
//! real demo bundle, signing and trust construction.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use ed25519_dalek::SigningKey;
use offer_edge::bundle::{
    Bundle, Envelope, FulfilmentKey, Manifest, Offer, TrustDoc, BUNDLE_PAYLOAD_TYPE,
};
use offer_edge::demo::demo_bundle;
use offer_edge::time::Timestamp;
use serde_json::{json, Value};
use std::path::PathBuf;

pub mod cli;
pub mod fixture_keys;
pub mod manifest_fixtures;

// The keys and trust of every fixture, under the names tests have always used.
pub use fixture_keys::*;

/// Fulfilment (X25519) public key of the fixtures, derived from seed 0x42
/// (the Ed25519 → X25519 map: secret = to_scalar_bytes, public = to_montgomery).
pub fn fulfilment_key() -> FulfilmentKey {
    let sk = SigningKey::from_bytes(&[0x42; 32]);
    FulfilmentKey {
        kid: "acme-fulfilment-1".into(),
        public_key: B64.encode(sk.verifying_key().to_montgomery().to_bytes()),
    }
}

/// When fixtures were issued.
pub fn issued() -> Timestamp {
    Timestamp::parse_rfc3339("2026-01-01T00:00:00Z").unwrap()
}

/// Far-future expiry of the fixtures.
pub fn expires() -> Timestamp {
    Timestamp::parse_rfc3339("2099-01-01T00:00:00Z").unwrap()
}

/// The "now" tests verify at.
pub fn now() -> Timestamp {
    Timestamp::parse_rfc3339("2026-06-01T00:00:00Z").unwrap()
}

/// A small real bundle: 12 demo offers, given partner and version. Its
/// audiences are not confidential (the demo marks one): the committed
/// fixtures are full bundles that predate confidential audiences and stay
/// byte-identical; tests/confidential.rs covers both editions.
pub fn bundle(partner: &str, version: u64) -> Bundle {
    let mut b = demo_bundle(partner, 12, 1, issued(), fulfilment_key());
    b.version = version;
    b.expires_at = expires();
    for a in &mut b.audiences {
        a.confidential = false;
    }
    b
}

/// [`bundle`] with every offer eligible for every placement at any time: no
/// rule, audience, cap, placement list or schedule stands in the way, so a
/// test sees what a template or a limit does to all of them.
pub fn open_bundle() -> Bundle {
    let mut b = bundle(PARTNER, 1);
    for o in &mut b.offers {
        o.eligibility = None;
        o.audiences.include.clear();
        o.audiences.exclude.clear();
        o.caps.clear();
        o.placements.clear();
        o.schedule = Default::default();
    }
    b
}

/// The meal-kit coupon offer of the email and event tests: its approved
/// creative shows `fields` and, given one, sends `confirmation` (a
/// `confirmationEmail` member).
pub fn meal_kit_offer(fields: Value, confirmation: Option<Value>) -> Offer {
    let mut creative = json!({
        "id": "creative-meal-1",
        "approval": {"status": "approved", "reviewer": "rev@partner", "at": "2026-11-01T00:00:00Z"},
        "fields": fields
    });
    if let Some(confirmation) = confirmation {
        creative["confirmationEmail"] = confirmation;
    }
    serde_json::from_value(json!({
        "id": "offer-meal-kit",
        "campaign": "spring-meals",
        "advertiser": "freshbox",
        "value": 4.5,
        "action": {"type": "coupon", "code": "FRESH50", "url": "https://freshbox.example/redeem"},
        "creative": creative
    }))
    .unwrap()
}

/// Signs `bundle`'s compact JSON with the named fixture keys.
pub fn sign(bundle: &Bundle, signers: &[&str]) -> Vec<u8> {
    sign_payload(
        BUNDLE_PAYLOAD_TYPE,
        &serde_json::to_vec(bundle).unwrap(),
        signers,
    )
}

/// Signs `bundle`'s compact JSON as a format v2 (manifest) file with the
/// named fixture keys.
pub fn sign_manifest(bundle: &Bundle, signers: &[&str]) -> Vec<u8> {
    let bytes = serde_json::to_vec(bundle).unwrap();
    sign_manifest_of(&Manifest::of(&bytes).unwrap(), &bytes, signers)
}

/// A format v2 file: `manifest` signed with the named fixture keys, next to
/// `bundle_bytes` (which it need not describe: for refusal fixtures).
pub fn sign_manifest_of(manifest: &Manifest, bundle_bytes: &[u8], signers: &[&str]) -> Vec<u8> {
    let keys: Vec<(String, SigningKey)> = signers.iter().map(|n| (n.to_string(), key(n))).collect();
    let refs: Vec<(&str, &SigningKey)> = keys.iter().map(|(n, k)| (n.as_str(), k)).collect();
    manifest.sign(bundle_bytes, &refs).unwrap()
}

/// Signs raw payload bytes with the named fixture keys.
pub fn sign_payload(payload_type: &str, payload: &[u8], signers: &[&str]) -> Vec<u8> {
    let keys: Vec<(String, SigningKey)> = signers.iter().map(|n| (n.to_string(), key(n))).collect();
    let refs: Vec<(&str, &SigningKey)> = keys.iter().map(|(n, k)| (n.as_str(), k)).collect();
    Envelope::sign(payload_type, payload, &refs)
        .to_json()
        .unwrap()
        .into_bytes()
}

/// Fails with every collected failure listed, if there is any: table-driven
/// tests collect them all rather than stopping at the first.
pub fn assert_no_failures(failures: &[String]) {
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// `tests/fixtures/bundles/<name>`.
pub fn fixture_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/bundles")
        .join(name)
}

//! Shared helpers for the bundle tests: deterministic fixture keys, a small
//! real demo bundle, signing and trust construction.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use ed25519_dalek::SigningKey;
use offer_edge::bundle::{
    Bundle, Envelope, FulfilmentKey, Manifest, Trust, TrustDoc, BUNDLE_PAYLOAD_TYPE,
};
use offer_edge::demo::demo_bundle;
use offer_edge::time::Timestamp;
use std::path::PathBuf;

pub mod cli;
pub mod manifest_fixtures;

/// The partner of every fixture.
pub const PARTNER: &str = "acme";

/// Test-only signing key `name` (`k1`, `k2`, …): its seed is SHA-256-free and
/// obvious on purpose — these keys are public.
pub fn key(name: &str) -> SigningKey {
    let n = match name {
        "k1" => 1,
        "k2" => 2,
        "k3" => 3,
        "k4" => 4,
        "k5" => 5,
        "other" => 9,
        _ => panic!("no fixture key {name}"),
    };
    SigningKey::from_bytes(&[n; 32])
}

/// Base64 public key of fixture key `name`.
pub fn pub_b64(name: &str) -> String {
    B64.encode(key(name).verifying_key().as_bytes())
}

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

/// The trust document pinning `keys` with `threshold` for [`PARTNER`].
pub fn trust_doc(keys: &[&str], threshold: usize) -> TrustDoc {
    TrustDoc {
        partner: PARTNER.into(),
        keys: keys.iter().map(|k| (k.to_string(), pub_b64(k))).collect(),
        threshold,
        max_bundle_bytes: None,
        max_age_seconds: None,
        keyset_version: None,
        decide_grace_seconds: None,
    }
}

/// A validated trust config.
pub fn trust(keys: &[&str], threshold: usize) -> Trust {
    Trust::from_doc(trust_doc(keys, threshold)).unwrap()
}

/// `tests/fixtures/bundles/<name>`.
pub fn fixture_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/bundles")
        .join(name)
}

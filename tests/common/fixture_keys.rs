//! The fixtures' public test keys and the trust that pins them. Part of
//! `tests/common` (re-exported by its `mod.rs`), and included by `#[path]`
//! in `benches/verify.rs` and `fuzz/fuzz_targets/verify_bundle.rs`, which
//! verify under the same trust: it names only `offer_edge`, `ed25519_dalek`
//! and `base64`, dependencies all three targets have.
// Each includer uses some of these, not all.
#![allow(dead_code)]

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use ed25519_dalek::SigningKey;
use offer_edge::bundle::{Trust, TrustDoc};

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

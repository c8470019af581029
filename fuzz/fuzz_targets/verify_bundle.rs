//! Arbitrary bytes into the bundle store: envelope parsing (both formats),
//! base64, signature checks, payload parsing and validation must return an
//! error, never panic. Further passes sign the input with a trusted fixture
//! key — as a v1 payload, and as a v2 bundle under a manifest carrying its
//! digest — so the fuzzer reaches the parsers and validator behind them.
#![no_main]

use libfuzzer_sys::fuzz_target;
use offer_edge::bundle::{BundleStore, Envelope, Manifest, BUNDLE_PAYLOAD_TYPE};
use offer_edge::time::Timestamp;

// The tests' fixture key k1 and the trust pinning it (benches/verify.rs
// verifies under the same one).
#[path = "../../tests/common/fixture_keys.rs"]
mod fixture_keys;

fuzz_target!(|data: &[u8]| {
    let key = fixture_keys::key("k1");
    let trust = fixture_keys::trust(&["k1"], 1);
    let now = Timestamp(1_780_000_000_000);
    let mut store = BundleStore::new(trust.clone());
    let _ = store.load(data, now);
    let _ = trust.rotate(data);
    // Signed as a payload: exercises parsing and validation behind the signature.
    let signed = Envelope::sign(BUNDLE_PAYLOAD_TYPE, data, &[("k1", &key)]);
    if let Ok(json) = signed.to_json() {
        let _ = store.load(json.as_bytes(), now);
    }
    // Signed as a format v2 bundle: past the digest, into the bundle parser.
    let manifest = Manifest {
        partner: "acme".into(),
        version: 1,
        issued_at: Timestamp(1_767_225_600_000),
        expires_at: Timestamp(4_070_908_800_000),
        bundle_sha256: offer_edge::context::sha256_hex(data),
        bundle_bytes: data.len() as u64,
        compiled: None,
    };
    if let Ok(file) = manifest.sign(data, &[("k1", &key)]) {
        let _ = store.load(&file, now);
    }
});

//! Verify + parse + validate of signed bundles: a 100-offer bundle and a
//! ~1 MB one (the v1 envelope size, base64 payload included), each signed in
//! format v1 (DSSE, `dsse`) and format v2 (signed manifest, `manifest`) over
//! the same bundle bytes.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use ed25519_dalek::SigningKey;
use offer_edge::bundle::manifest::sign_bundle;
use offer_edge::bundle::{verify_bundle, Envelope, FulfilmentKey, BUNDLE_PAYLOAD_TYPE};
use offer_edge::demo::demo_bundle;
use offer_edge::time::Timestamp;
use std::hint::black_box;

// The tests' fixture key k1 and the trust pinning it (the fuzz target
// verifies under the same one).
#[path = "../tests/common/fixture_keys.rs"]
mod fixture_keys;

const ISSUED: Timestamp = Timestamp(1_767_225_600_000); // 2026-01-01
const NOW: Timestamp = Timestamp(1_767_312_000_000); // a day later

fn payload(offers: usize) -> Vec<u8> {
    let fk = FulfilmentKey {
        kid: "fk".into(),
        public_key: "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=".into(),
    };
    let bundle = demo_bundle("acme", offers, 1, ISSUED, fk);
    serde_json::to_vec(&bundle).unwrap()
}

fn signed(offers: usize, key: &SigningKey) -> Vec<u8> {
    Envelope::sign(BUNDLE_PAYLOAD_TYPE, &payload(offers), &[("k1", key)])
        .to_json()
        .unwrap()
        .into_bytes()
}

fn signed_manifest(offers: usize, key: &SigningKey) -> Vec<u8> {
    sign_bundle(&payload(offers), &[("k1", key)]).unwrap()
}

fn bench(c: &mut Criterion) {
    let key = fixture_keys::key("k1");
    let trust = fixture_keys::trust(&["k1"], 1);
    let small = signed(100, &key);
    // Scale the offer count so the v1 envelope lands at ~1 MB.
    let offers_1mb = 100 * 1_050_000 / small.len() + 1;
    let megabyte = signed(offers_1mb, &key);
    let small_v2 = signed_manifest(100, &key);
    let megabyte_v2 = signed_manifest(offers_1mb, &key);
    let mut group = c.benchmark_group("verify_bundle");
    for (name, bytes) in [
        ("dsse_100_offers", &small),
        ("manifest_100_offers", &small_v2),
        ("dsse_1_MB", &megabyte),
        ("manifest_1_MB", &megabyte_v2),
    ] {
        assert!(verify_bundle(&trust, bytes, NOW, None).is_ok());
        group.throughput(Throughput::Bytes(bytes.len() as u64));
        group.bench_with_input(BenchmarkId::new(name, bytes.len()), bytes, |b, bytes| {
            b.iter(|| verify_bundle(&trust, black_box(bytes), NOW, None).unwrap());
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);

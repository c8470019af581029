//! Thresholds count distinct public keys, not keyids (TUF's rule): a trust
//! config that lists one key under two keyids must not let that key's holder
//! alone meet a threshold of two, in either signed format. (Key rotation has
//! the same test in `keyset.rs`; the same keyid twice is the fixture
//! `acme-v2-k1-twice.signed.json`.)
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use ed25519_dalek::SigningKey;
use offer_edge::bundle::{
    BundleStore, Envelope, LoadOutcome, Manifest, Trust, TrustDoc, BUNDLE_PAYLOAD_TYPE,
};
use offer_edge::ErrorCode;

/// Trust {k1, k1-alias (k1's key again), k2}, threshold 2.
fn aliased_trust() -> Trust {
    let mut doc = trust_doc(&["k1", "k2"], 2);
    doc.keys.insert("k1-alias".into(), pub_b64("k1"));
    Trust::from_doc(doc).unwrap()
}

/// `(keyid, fixture key name)` pairs as owned signing keys.
fn signers(pairs: &[(&'static str, &str)]) -> Vec<(&'static str, SigningKey)> {
    pairs.iter().map(|(id, name)| (*id, key(name))).collect()
}

fn refs<'a>(keys: &'a [(&'static str, SigningKey)]) -> Vec<(&'static str, &'a SigningKey)> {
    keys.iter().map(|(id, k)| (*id, k)).collect()
}

/// Format v1 (DSSE envelope) of bundle v1 signed under the given keyids.
fn v1_signed(pairs: &[(&'static str, &str)]) -> Vec<u8> {
    let payload = serde_json::to_vec(&bundle(PARTNER, 1)).unwrap();
    let keys = signers(pairs);
    Envelope::sign(BUNDLE_PAYLOAD_TYPE, &payload, &refs(&keys))
        .to_json()
        .unwrap()
        .into_bytes()
}

/// Format v2 (signed manifest) of bundle v1 signed under the given keyids.
fn v2_signed(pairs: &[(&'static str, &str)]) -> Vec<u8> {
    let bytes = serde_json::to_vec(&bundle(PARTNER, 1)).unwrap();
    let keys = signers(pairs);
    Manifest::of(&bytes)
        .unwrap()
        .sign(&bytes, &refs(&keys))
        .unwrap()
}

fn load(bytes: &[u8]) -> Result<LoadOutcome, ErrorCode> {
    BundleStore::new(aliased_trust())
        .load(bytes, now())
        .map_err(|e| e.code())
}

#[test]
fn one_key_under_two_keyids_is_one_signer_in_format_v1() {
    let one_key = v1_signed(&[("k1", "k1"), ("k1-alias", "k1")]);
    assert_eq!(load(&one_key), Err(ErrorCode::ThresholdNotMet));
    let two_keys = v1_signed(&[("k1-alias", "k1"), ("k2", "k2")]);
    assert_eq!(load(&two_keys), Ok(LoadOutcome::Loaded { version: 1 }));
}

#[test]
fn one_key_under_two_keyids_is_one_signer_in_format_v2() {
    let one_key = v2_signed(&[("k1", "k1"), ("k1-alias", "k1")]);
    assert_eq!(load(&one_key), Err(ErrorCode::ThresholdNotMet));
    let two_keys = v2_signed(&[("k1", "k1"), ("k2", "k2")]);
    assert_eq!(load(&two_keys), Ok(LoadOutcome::Loaded { version: 1 }));
}

#[test]
fn the_signers_reported_are_the_keyids_that_verified() {
    let mut store = BundleStore::new(aliased_trust());
    let bytes = v1_signed(&[("k1", "k1"), ("k1-alias", "k1"), ("k2", "k2")]);
    store.load(&bytes, now()).unwrap();
    assert_eq!(
        store.active().unwrap().signer_keyids,
        ["k1", "k1-alias", "k2"]
    );
}

#[test]
fn a_threshold_above_the_distinct_keys_is_refused_at_pinning() {
    // Two keyids, one key: a threshold of 2 could never be met any more.
    let doc = TrustDoc {
        keys: [("k1", pub_b64("k1")), ("k1-alias", pub_b64("k1"))]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect(),
        ..trust_doc(&["k1"], 2)
    };
    assert_eq!(
        Trust::from_doc(doc.clone()).unwrap_err().code(),
        ErrorCode::TrustInvalid
    );
    assert!(Trust::from_doc(TrustDoc {
        threshold: 1,
        ..doc
    })
    .is_ok());
}

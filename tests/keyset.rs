//! Key rotation: a keyset update needs a threshold of the current keys AND of
//! the new keys; afterwards only the new keys sign bundles.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use offer_edge::bundle::{BundleStore, Keyset, LoadOutcome, Trust};
use offer_edge::ErrorCode;

/// Rotation from {k1, k2} (threshold 2) to {k3, k4} (threshold 2).
fn keyset(version: u64) -> Keyset {
    Keyset {
        partner: PARTNER.into(),
        version,
        threshold: 2,
        keys: [("k3", pub_b64("k3")), ("k4", pub_b64("k4"))]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect(),
    }
}

fn signed(keyset: &Keyset, signers: &[&str]) -> Vec<u8> {
    let keys: Vec<_> = signers.iter().map(|n| (*n, key(n))).collect();
    let refs: Vec<_> = keys.iter().map(|(n, k)| (*n, k)).collect();
    keyset.sign(&refs).unwrap().to_json().unwrap().into_bytes()
}

fn store() -> BundleStore {
    let mut store = BundleStore::new(trust(&["k1", "k2"], 2));
    store
        .load(&sign(&bundle(PARTNER, 1), &["k1", "k2"]), now())
        .unwrap();
    store
}

#[test]
fn a_good_rotation_switches_the_signers() {
    let mut store = store();
    let update = signed(&keyset(1), &["k1", "k2", "k3", "k4"]);
    assert_eq!(store.rotate_keys(&update).unwrap(), 1);
    assert_eq!(store.trust().keyset_version(), 1);
    // The active bundle stays; the next one must come from the new keys.
    assert_eq!(store.active().unwrap().bundle.version, 1);
    let old = sign(&bundle(PARTNER, 2), &["k1", "k2"]);
    assert_eq!(
        store.load(&old, now()).unwrap_err().code(),
        ErrorCode::UnknownKey
    );
    let new = sign(&bundle(PARTNER, 2), &["k3", "k4"]);
    assert_eq!(
        store.load(&new, now()).unwrap(),
        LoadOutcome::Loaded { version: 2 }
    );
    // The rotated trust persists and reloads as the same trust.
    let doc = store.trust().to_doc();
    assert_eq!(doc.keyset_version, Some(1));
    assert_eq!(&Trust::from_doc(doc).unwrap(), store.trust());
}

#[test]
fn a_rotation_signed_only_by_the_old_keys_is_refused() {
    let mut store = store();
    let err = store
        .rotate_keys(&signed(&keyset(1), &["k1", "k2"]))
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::KeysetInvalid);
    // One new key is not the new threshold either.
    let err = store
        .rotate_keys(&signed(&keyset(1), &["k1", "k2", "k3"]))
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::KeysetInvalid);
    assert_eq!(store.trust(), &trust(&["k1", "k2"], 2));
}

#[test]
fn a_rotation_signed_only_by_the_new_keys_is_refused() {
    let mut store = store();
    let err = store
        .rotate_keys(&signed(&keyset(1), &["k3", "k4"]))
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::KeysetInvalid);
    let err = store
        .rotate_keys(&signed(&keyset(1), &["k1", "k3", "k4"]))
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::KeysetInvalid);
    assert_eq!(store.trust(), &trust(&["k1", "k2"], 2));
    // Old keys still work.
    let v2 = sign(&bundle(PARTNER, 2), &["k1", "k2"]);
    assert!(store.load(&v2, now()).is_ok());
}

#[test]
fn keyset_version_rollback_is_refused() {
    let mut store = store();
    store
        .rotate_keys(&signed(&keyset(5), &["k1", "k2", "k3", "k4"]))
        .unwrap();
    // Back to {k1, k2} with a lower (and then equal) version, fully signed.
    for version in [4, 5] {
        let mut back = keyset(version);
        back.keys = [("k1", pub_b64("k1")), ("k2", pub_b64("k2"))]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect();
        let err = store
            .rotate_keys(&signed(&back, &["k3", "k4", "k1", "k2"]))
            .unwrap_err();
        assert_eq!(err.code(), ErrorCode::VersionRollback, "version {version}");
    }
    assert_eq!(store.trust().keyset_version(), 5);
}

#[test]
fn tampered_foreign_or_malformed_rotations_are_refused() {
    let trust = trust(&["k1", "k2"], 2);
    let mut other = keyset(1);
    other.partner = "globex".into();
    let foreign = signed(&other, &["k1", "k2", "k3", "k4"]);
    assert_eq!(
        trust.rotate(&foreign).unwrap_err().code(),
        ErrorCode::PartnerMismatch
    );
    let mut bad_threshold = keyset(1);
    bad_threshold.threshold = 3;
    let bytes = signed(&bad_threshold, &["k1", "k2", "k3", "k4"]);
    assert_eq!(
        trust.rotate(&bytes).unwrap_err().code(),
        ErrorCode::KeysetInvalid
    );
    // A bundle envelope is not a keyset.
    let bundle_env = sign(&bundle(PARTNER, 1), &["k1", "k2"]);
    assert_eq!(
        trust.rotate(&bundle_env).unwrap_err().code(),
        ErrorCode::KeysetInvalid
    );
    // A new signer's flipped signature byte is tampering.
    let good = signed(&keyset(1), &["k1", "k2", "k3", "k4"]);
    let mut env = offer_edge::bundle::Envelope::parse(&good).unwrap();
    env.signatures[3].sig = env.signatures[2].sig.clone();
    let bytes = env.to_json().unwrap().into_bytes();
    assert_eq!(
        trust.rotate(&bytes).unwrap_err().code(),
        ErrorCode::SignatureInvalid
    );
}

/// `keyset` signed under `(keyid, fixture key name)` pairs, so one key can
/// sign under several keyids.
fn signed_as(keyset: &Keyset, pairs: &[(&str, &str)]) -> Vec<u8> {
    let keys: Vec<_> = pairs.iter().map(|(id, name)| (*id, key(name))).collect();
    let refs: Vec<_> = keys.iter().map(|(id, k)| (*id, k)).collect();
    keyset.sign(&refs).unwrap().to_json().unwrap().into_bytes()
}

#[test]
fn one_key_under_two_keyids_meets_no_threshold_of_two() {
    // Current keys {k1, k1-alias (k1's key), k2}, threshold 2: k1 alone under
    // both keyids is one consenting owner, not two.
    let mut doc = trust_doc(&["k1", "k2"], 2);
    doc.keys.insert("k1-alias".into(), pub_b64("k1"));
    let current = Trust::from_doc(doc).unwrap();
    let by_k1_only = signed_as(
        &keyset(1),
        &[("k1", "k1"), ("k1-alias", "k1"), ("k3", "k3"), ("k4", "k4")],
    );
    let err = current.rotate(&by_k1_only).unwrap_err();
    assert_eq!(err.code(), ErrorCode::KeysetInvalid, "{err}");
    assert!(err.message().contains("current"), "{err}");
    let by_both = signed_as(
        &keyset(1),
        &[("k1-alias", "k1"), ("k2", "k2"), ("k3", "k3"), ("k4", "k4")],
    );
    assert_eq!(current.rotate(&by_both).unwrap().keyset_version(), 1);

    // New keys {k3, k3-alias (k3's key), k4}, threshold 2: k3 alone under
    // both new keyids does not prove the new threshold.
    let mut next = keyset(1);
    next.keys.insert("k3-alias".into(), pub_b64("k3"));
    let current = trust(&["k1", "k2"], 2);
    let by_k3_only = signed_as(
        &next,
        &[("k1", "k1"), ("k2", "k2"), ("k3", "k3"), ("k3-alias", "k3")],
    );
    let err = current.rotate(&by_k3_only).unwrap_err();
    assert_eq!(err.code(), ErrorCode::KeysetInvalid, "{err}");
    assert!(err.message().contains("new"), "{err}");
    // A new keyset whose threshold exceeds its distinct keys is refused too.
    let mut unreachable = keyset(1);
    unreachable.keys = [("k3", pub_b64("k3")), ("k3-alias", pub_b64("k3"))]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
    let bytes = signed_as(
        &unreachable,
        &[("k1", "k1"), ("k2", "k2"), ("k3", "k3"), ("k3-alias", "k3")],
    );
    assert_eq!(
        current.rotate(&bytes).unwrap_err().code(),
        ErrorCode::KeysetInvalid
    );
}

#[test]
fn a_store_pinned_after_a_rotation_skips_the_updates_that_led_to_it() {
    // The deployment pinned the trust that update 1 produced ({k3, k4}).
    let first = signed(&keyset(1), &["k1", "k2", "k3", "k4"]);
    let pinned = trust(&["k1", "k2"], 2).rotate(&first).unwrap();
    let mut store = BundleStore::new(pinned.clone());
    // A kept chain re-applied from the pin starts with update 1: skipped, not refused.
    assert_eq!(store.rotate_keys(&first).unwrap(), 1);
    assert_eq!(store.trust(), &pinned);
    // Update 2, signed by the pinned keys and its new ones, applies.
    let mut back = keyset(2);
    back.keys = [("k1", pub_b64("k1")), ("k2", pub_b64("k2"))]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
    let second = signed(&back, &["k3", "k4", "k1", "k2"]);
    assert_eq!(store.rotate_keys(&second).unwrap(), 2);
    // Above the pin, a replay is still a rollback; and a forged update
    // claiming an old version is skipped, trusting nothing.
    assert_eq!(
        store.rotate_keys(&second).unwrap_err().code(),
        ErrorCode::VersionRollback
    );
    let forged = signed(&keyset(1), &["k1", "k2"]);
    assert_eq!(store.rotate_keys(&forged).unwrap(), 2);
    assert_eq!(store.trust().keyset_version(), 2);
}

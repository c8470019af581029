//! Format v2 (signed manifest) through the store: the same identity as v1
//! for the same bundle bytes, the cheap checks before the digest, and the
//! previous bundle staying active on every refusal. The per-code refusals
//! are fixtures (`tests/fixtures/bundles/cases.json`, run by `fixtures.rs`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use offer_edge::bundle::manifest::{is_manifest_file, sign_bundle};
use offer_edge::bundle::{BundleStore, LoadOutcome, Manifest, StoreState};
use offer_edge::ErrorCode;

fn store() -> BundleStore {
    BundleStore::new(trust(&["k1", "k2"], 2))
}

#[test]
fn both_formats_of_the_same_bundle_have_the_same_identity() {
    let b = bundle(PARTNER, 1);
    let v1 = sign(&b, &["k1", "k2"]);
    let v2 = sign_manifest(&b, &["k1", "k2"]);
    assert!(is_manifest_file(&v2) && !is_manifest_file(&v1));
    // No base64: the v2 file is the bundle plus under a kilobyte.
    let payload = serde_json::to_vec(&b).unwrap();
    assert!(v2.len() < payload.len() + 1_000, "{} bytes", v2.len());
    let (mut s1, mut s2) = (store(), store());
    assert_eq!(
        s1.load(&v1, now()).unwrap(),
        LoadOutcome::Loaded { version: 1 }
    );
    assert_eq!(
        s2.load(&v2, now()).unwrap(),
        LoadOutcome::Loaded { version: 1 }
    );
    let (a1, a2) = (s1.active().unwrap(), s2.active().unwrap());
    assert_eq!(a1.sha256, a2.sha256);
    assert_eq!(a1.signer_keyids, a2.signer_keyids);
    assert_eq!(a1.bundle, a2.bundle);
    // A store moves between formats freely: v2 after v1 and back.
    let v2_of_2 = sign_manifest(&bundle(PARTNER, 2), &["k1", "k2"]);
    assert_eq!(
        s1.load(&v2_of_2, now()).unwrap(),
        LoadOutcome::Loaded { version: 2 }
    );
    let v1_of_3 = sign(&bundle(PARTNER, 3), &["k1", "k2"]);
    assert_eq!(
        s1.load(&v1_of_3, now()).unwrap(),
        LoadOutcome::Loaded { version: 3 }
    );
}

#[test]
fn the_active_version_again_is_unchanged_without_reading_the_bundle() {
    let b = bundle(PARTNER, 2);
    let mut s = store();
    s.load(&sign_manifest(&b, &["k1", "k2"]), now()).unwrap();
    let sha = s.active().unwrap().sha256;
    // The manifest is genuine, the bundle bytes are not the signed ones: an
    // equal version is a no-op before hashing, and nothing of it is used.
    let bytes = serde_json::to_vec(&b).unwrap();
    let other = String::from_utf8(bytes.clone())
        .unwrap()
        .replacen("StreamFlix", "StreamFliX", 1);
    let swapped = sign_manifest_of(
        &Manifest::of(&bytes).unwrap(),
        other.as_bytes(),
        &["k1", "k2"],
    );
    assert_eq!(
        s.load(&swapped, now()).unwrap(),
        LoadOutcome::Unchanged { version: 2 }
    );
    assert_eq!(s.active().unwrap().sha256, sha);
    // Without the bundle active (state restored alone) it is read, and refused.
    let mut fresh = store();
    fresh
        .import_state(&StoreState {
            partner: PARTNER.into(),
            last_version: 2,
        })
        .unwrap();
    let err = fresh.load(&swapped, now()).unwrap_err();
    assert_eq!(err.code(), ErrorCode::DigestMismatch);
    assert!(fresh.active().is_none());
}

#[test]
fn every_refusal_keeps_the_previous_bundle() {
    let mut s = store();
    s.load(&sign_manifest(&bundle(PARTNER, 1), &["k1", "k2"]), now())
        .unwrap();
    let sha = s.active().unwrap().sha256;
    let b = bundle(PARTNER, 2);
    let bytes = serde_json::to_vec(&b).unwrap();
    let good = String::from_utf8(sign_manifest(&b, &["k1", "k2"])).unwrap();
    let mut manifest = Manifest::of(&bytes).unwrap();
    manifest.partner = "globex".into();
    for (bad, code) in [
        (format!("{good}\n"), ErrorCode::EnvelopeMalformed),
        (
            good.replacen("StreamFlix", "StreamFliX", 1),
            ErrorCode::DigestMismatch,
        ),
        (
            String::from_utf8(sign_manifest(&b, &["k1"])).unwrap(),
            ErrorCode::ThresholdNotMet,
        ),
        (
            String::from_utf8(sign_manifest_of(&manifest, &bytes, &["k1", "k2"])).unwrap(),
            ErrorCode::PartnerMismatch,
        ),
    ] {
        assert_eq!(s.load(bad.as_bytes(), now()).unwrap_err().code(), code);
        assert_eq!(s.active().unwrap().sha256, sha);
        assert_eq!(s.last_version(), Some(1));
    }
}

#[test]
fn signing_drops_the_files_surrounding_whitespace_only() {
    let pretty = serde_json::to_string_pretty(&bundle(PARTNER, 1)).unwrap();
    let keys = [("k1", &key("k1")), ("k2", &key("k2"))];
    let file = sign_bundle(format!("\n{pretty}\n\n").as_bytes(), &keys).unwrap();
    let text = String::from_utf8(file.clone()).unwrap();
    assert!(text.ends_with(&format!(",\"bundle\":{pretty}}}")));
    let mut s = store();
    assert_eq!(
        s.load(&file, now()).unwrap(),
        LoadOutcome::Loaded { version: 1 }
    );
}

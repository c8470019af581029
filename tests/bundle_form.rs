//! Compiled-form files (`*.oeb`) through the store, as an attacker would
//! send them: every check refuses with its code and the previous engine
//! stays active; a genuine form decides as its JSON does.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use offer_edge::bundle::manifest::Manifest;
use offer_edge::bundle::{
    assemble_form, is_form_file, verify_form, Bundle, BundleStore, CompiledDigest, LoadOutcome,
    StoreState,
};
use offer_edge::context::sha256_hex;
use offer_edge::decide::Engine;
use offer_edge::ErrorCode;
use sha2::{Digest, Sha256};

/// The bundle's JSON, its engine's compiled form, and the manifest naming both.
fn parts(bundle: &Bundle) -> (Vec<u8>, Vec<u8>, Manifest) {
    let json = serde_json::to_vec(bundle).unwrap();
    let sha: [u8; 32] = Sha256::digest(&json).into();
    let body = Engine::compile(bundle.clone(), &sha)
        .unwrap()
        .compiled_form();
    let mut manifest = Manifest::of(&json).unwrap();
    manifest.compiled = Some(CompiledDigest {
        sha256: sha256_hex(&body),
        bytes: body.len() as u64,
    });
    (json, body, manifest)
}

fn form_of(manifest: &Manifest, body: &[u8], signers: &[&str]) -> Vec<u8> {
    let keys: Vec<_> = signers.iter().map(|n| (n.to_string(), key(n))).collect();
    let refs: Vec<_> = keys.iter().map(|(n, k)| (n.as_str(), k)).collect();
    assemble_form(&manifest.envelope(&refs).unwrap(), body).unwrap()
}

fn form(bundle: &Bundle) -> Vec<u8> {
    let (_, body, manifest) = parts(bundle);
    form_of(&manifest, &body, &["k1", "k2"])
}

fn store() -> BundleStore<Engine> {
    BundleStore::with_compile(trust(&["k1", "k2"], 2), Engine::from_verified)
}

fn load(s: &mut BundleStore<Engine>, bytes: &[u8]) -> offer_edge::Result<LoadOutcome> {
    s.load_form(bytes, now(), Engine::from_verified_form)
}

fn refused(s: &mut BundleStore<Engine>, bytes: &[u8], code: ErrorCode) {
    let before = s.active().map(|e| e.version());
    let err = load(s, bytes).unwrap_err();
    assert_eq!(err.code(), code, "{err}");
    assert_eq!(
        s.active().map(|e| e.version()),
        before,
        "a refusal changed the engine"
    );
}

#[test]
fn a_genuine_form_loads_the_engine_its_json_compiles_to() {
    let b = bundle(PARTNER, 3);
    let (json, body, manifest) = parts(&b);
    let file = form_of(&manifest, &body, &["k1", "k2"]);
    assert!(is_form_file(&file));
    let mut s = store();
    assert_eq!(
        load(&mut s, &file).unwrap(),
        LoadOutcome::Loaded { version: 3 }
    );
    let engine = s.active().unwrap();
    assert_eq!(engine.bundle_sha256(), sha256_hex(&json));
    assert_eq!(engine.signers(), ["k1", "k2"]);
    assert_eq!(engine.compiled_form(), body);
    // The same version again is a no-op; an older one is a rollback.
    assert_eq!(
        load(&mut s, &file).unwrap(),
        LoadOutcome::Unchanged { version: 3 }
    );
    refused(
        &mut s,
        &form(&bundle(PARTNER, 2)),
        ErrorCode::VersionRollback,
    );
    // The JSON store and the form store share the rollback state.
    let mut json_store = store();
    json_store
        .load(&sign_manifest(&b, &["k1", "k2"]), now())
        .unwrap();
    assert_eq!(
        json_store.export_state(),
        Some(StoreState {
            partner: PARTNER.into(),
            last_version: 3
        })
    );
    assert_eq!(json_store.active().unwrap().compiled_form(), body);
}

#[test]
fn forged_forms_are_refused_with_their_code_and_the_engine_stays() {
    let mut s = store();
    load(&mut s, &form(&bundle(PARTNER, 1))).unwrap();
    let b = bundle(PARTNER, 2);
    let (_, body, manifest) = parts(&b);
    let good = form_of(&manifest, &body, &["k1", "k2"]);

    // One flipped byte of the body: the signed digest no longer matches.
    let mut flipped = good.clone();
    let last = flipped.len() - 1;
    flipped[last] ^= 1;
    refused(&mut s, &flipped, ErrorCode::DigestMismatch);
    // A body cut short, or with a byte appended.
    refused(&mut s, &good[..good.len() - 1], ErrorCode::DigestMismatch);
    refused(
        &mut s,
        &[good.as_slice(), b"x"].concat(),
        ErrorCode::DigestMismatch,
    );
    // Signed by one key where the trust needs two; by an unknown key.
    refused(
        &mut s,
        &form_of(&manifest, &body, &["k1"]),
        ErrorCode::ThresholdNotMet,
    );
    refused(
        &mut s,
        &form_of(&manifest, &body, &["k3"]),
        ErrorCode::UnknownKey,
    );
    // Another partner's bundle, correctly signed.
    refused(
        &mut s,
        &form(&bundle("globex", 2)),
        ErrorCode::PartnerMismatch,
    );
    // A manifest that names no compiled form (a JSON file's, signed before forms).
    let mut bare = manifest.clone();
    bare.compiled = None;
    refused(
        &mut s,
        &form_of(&bare, &body, &["k1", "k2"]),
        ErrorCode::PayloadMalformed,
    );
    // A genuine manifest over another genuine bundle's body: the digest binds it.
    let (_, other_body, _) = parts(&bundle(PARTNER, 9));
    refused(
        &mut s,
        &form_of(&manifest, &other_body, &["k1", "k2"]),
        ErrorCode::DigestMismatch,
    );
    // A manifest whose digest names a body that reads back as another
    // bundle (signed by the trusted keys: a signing mistake, not tampering).
    let mut lying = manifest.clone();
    lying.compiled = Some(CompiledDigest {
        sha256: sha256_hex(&other_body),
        bytes: other_body.len() as u64,
    });
    refused(
        &mut s,
        &form_of(&lying, &other_body, &["k1", "k2"]),
        ErrorCode::DigestMismatch,
    );
    // A body the signer's tool wrote wrong (signed, digest right): read back
    // bounds-checked, refused, never a panic.
    let garbage = vec![0xAB; 64];
    let mut wrong = manifest.clone();
    wrong.compiled = Some(CompiledDigest {
        sha256: sha256_hex(&garbage),
        bytes: garbage.len() as u64,
    });
    refused(
        &mut s,
        &form_of(&wrong, &garbage, &["k1", "k2"]),
        ErrorCode::PayloadMalformed,
    );
    // The file's shape: JSON bytes, a cut envelope length, a length past the end.
    refused(
        &mut s,
        &sign_manifest(&b, &["k1", "k2"]),
        ErrorCode::EnvelopeMalformed,
    );
    refused(&mut s, &good[..6], ErrorCode::EnvelopeMalformed);
    let mut long = good.clone();
    long[4..8].copy_from_slice(&u32::MAX.to_le_bytes());
    refused(&mut s, &long, ErrorCode::EnvelopeMalformed);
    // Larger than the trust allows: refused before anything is parsed.
    let mut doc = trust_doc(&["k1", "k2"], 2);
    doc.max_bundle_bytes = Some(good.len() - 1);
    let small = offer_edge::bundle::Trust::from_doc(doc).unwrap();
    assert_eq!(
        verify_form(&small, &good, now()).unwrap_err().code(),
        ErrorCode::BundleTooLarge
    );
    // After all that, the genuine form still loads.
    assert_eq!(
        load(&mut s, &good).unwrap(),
        LoadOutcome::Loaded { version: 2 }
    );
}

#[test]
fn an_expired_form_is_refused() {
    let mut b = bundle(PARTNER, 4);
    b.expires_at = offer_edge::time::Timestamp::parse_rfc3339("2026-05-01T00:00:00Z").unwrap();
    refused(&mut store(), &form(&b), ErrorCode::BundleExpired);
}

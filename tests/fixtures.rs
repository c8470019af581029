//! The committed, language-neutral fixtures under `tests/fixtures/bundles/`:
//! signed bundles (format v1 `*.signed.json`, format v2 `*.manifest.json`),
//! keys, trust configs and `cases.json` (`{description, file, trust, now,
//! lastVersion, expect}`), shared with the WASM and JS tests.
//!
//! `fixtures_are_current` rebuilds every file deterministically (Ed25519
//! signatures are deterministic) and compares; regenerate after an intended
//! change with `OFFER_EDGE_REGEN_FIXTURES=1 cargo test --test fixtures fixtures_are_current`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use common::*;
use ed25519_dalek::SigningKey;
use offer_edge::bundle::model::ApprovalStatus;
use offer_edge::bundle::{
    BundleStore, Envelope, Keyset, LoadOutcome, StoreState, Trust, BUNDLE_PAYLOAD_TYPE,
};
use offer_edge::time::Timestamp;
use serde_json::{json, Value};

fn key_files(name: &str, kind: &str, secret: [u8; 32], public: [u8; 32]) -> Vec<(String, Vec<u8>)> {
    let pretty = |v: Value| (serde_json::to_string_pretty(&v).unwrap() + "\n").into_bytes();
    vec![
        (
            format!("{name}.key"),
            pretty(json!({"keyid": name, "kind": kind, "secretKey": B64.encode(secret)})),
        ),
        (
            format!("{name}.pub"),
            pretty(json!({"keyid": name, "kind": kind, "publicKey": B64.encode(public)})),
        ),
    ]
}

fn edit_envelope(bytes: &[u8], edit: impl FnOnce(&mut Envelope)) -> Vec<u8> {
    let mut env = Envelope::parse(bytes).unwrap();
    edit(&mut env);
    env.to_json().unwrap().into_bytes()
}

fn case(description: &str, file: &str, last: Option<u64>, expect: &str) -> Value {
    json!({
        "description": description,
        "file": file,
        "trust": "trust.json",
        "now": now().to_string(),
        "lastVersion": last,
        "expect": expect,
    })
}

/// Every fixture file, name → bytes.
fn build() -> Vec<(String, Vec<u8>)> {
    let mut files = Vec::new();
    for name in ["k1", "k2", "k3", "k4"] {
        let k = key(name);
        files.extend(key_files(
            name,
            "ed25519",
            k.to_bytes(),
            k.verifying_key().to_bytes(),
        ));
    }
    let f = SigningKey::from_bytes(&[0x42; 32]);
    files.extend(key_files(
        "acme-fulfilment-1",
        "x25519",
        f.to_scalar_bytes(),
        f.verifying_key().to_montgomery().to_bytes(),
    ));
    let trust_json = serde_json::to_string_pretty(&trust_doc(&["k1", "k2"], 2)).unwrap() + "\n";
    files.push(("trust.json".into(), trust_json.into_bytes()));

    let both = ["k1", "k2"];
    let v1 = sign(&bundle(PARTNER, 1), &both);
    let v2 = sign(&bundle(PARTNER, 2), &both);
    let mut unapproved = bundle(PARTNER, 2);
    unapproved.offers[3].creative.approval.status = ApprovalStatus::Pending;
    let mut expired = bundle(PARTNER, 2);
    expired.expires_at = Timestamp::parse_rfc3339("2026-03-01T00:00:00Z").unwrap();
    let tampered_payload = edit_envelope(&v2, |env| {
        let text = String::from_utf8(B64.decode(&env.payload).unwrap()).unwrap();
        env.payload = B64.encode(text.replacen("StreamFlix", "StreamFliX", 1));
    });
    let tampered_sig = edit_envelope(&v2, |env| {
        let mut sig = B64.decode(&env.signatures[0].sig).unwrap();
        sig[0] ^= 1;
        env.signatures[0].sig = B64.encode(sig);
    });
    let malleable = edit_envelope(&v2, |env| {
        // S + L: same curve equation, non-canonical scalar.
        const L: [u8; 32] = [
            0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9,
            0xde, 0x14, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
        ];
        let mut sig = B64.decode(&env.signatures[1].sig).unwrap();
        let mut carry = 0u16;
        for i in 0..32 {
            let sum = u16::from(sig[32 + i]) + u16::from(L[i]) + carry;
            sig[32 + i] = sum as u8;
            carry = sum >> 8;
        }
        env.signatures[1].sig = B64.encode(sig);
    });
    let rotation = Keyset {
        partner: PARTNER.into(),
        version: 1,
        threshold: 2,
        keys: [("k3", pub_b64("k3")), ("k4", pub_b64("k4"))]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect(),
    };
    let signers: Vec<_> = ["k1", "k2", "k3", "k4"].map(|n| (n, key(n))).into();
    let refs: Vec<_> = signers.iter().map(|(n, k)| (*n, k)).collect();
    let rotation = rotation
        .sign(&refs)
        .unwrap()
        .to_json()
        .unwrap()
        .into_bytes();

    let signed: Vec<(&str, Vec<u8>, Value)> = vec![
        (
            "acme-v1.signed.json",
            v1,
            case("good v1", "acme-v1.signed.json", None, "ok"),
        ),
        (
            "acme-v2.signed.json",
            v2,
            case("good v2", "acme-v2.signed.json", Some(1), "ok"),
        ),
        (
            "acme-v2-k1-only.signed.json",
            sign(&bundle(PARTNER, 2), &["k1"]),
            case(
                "1 of 2 signatures",
                "acme-v2-k1-only.signed.json",
                None,
                "THRESHOLD_NOT_MET",
            ),
        ),
        (
            "acme-v2-k1-twice.signed.json",
            sign(&bundle(PARTNER, 2), &["k1", "k1"]),
            case(
                "same key twice",
                "acme-v2-k1-twice.signed.json",
                None,
                "THRESHOLD_NOT_MET",
            ),
        ),
        (
            "acme-v2-unknown-key.signed.json",
            sign(&bundle(PARTNER, 2), &["k3"]),
            case(
                "untrusted signer",
                "acme-v2-unknown-key.signed.json",
                None,
                "UNKNOWN_KEY",
            ),
        ),
        (
            "acme-v2-tampered-payload.signed.json",
            tampered_payload,
            case(
                "payload changed",
                "acme-v2-tampered-payload.signed.json",
                None,
                "SIGNATURE_INVALID",
            ),
        ),
        (
            "acme-v2-tampered-signature.signed.json",
            tampered_sig,
            case(
                "signature bit flipped",
                "acme-v2-tampered-signature.signed.json",
                None,
                "SIGNATURE_INVALID",
            ),
        ),
        (
            "acme-v2-malleable.signed.json",
            malleable,
            case(
                "S + L signature",
                "acme-v2-malleable.signed.json",
                None,
                "SIGNATURE_INVALID",
            ),
        ),
        (
            "globex-v2.signed.json",
            sign(&bundle("globex", 2), &both),
            case(
                "other partner's bundle",
                "globex-v2.signed.json",
                None,
                "PARTNER_MISMATCH",
            ),
        ),
        (
            "acme-v2-expired.signed.json",
            sign(&expired, &both),
            case(
                "expired 2026-03-01",
                "acme-v2-expired.signed.json",
                None,
                "BUNDLE_EXPIRED",
            ),
        ),
        (
            "acme-v2-unapproved.signed.json",
            sign(&unapproved, &both),
            case(
                "pending creative",
                "acme-v2-unapproved.signed.json",
                None,
                "CREATIVE_NOT_APPROVED",
            ),
        ),
        (
            "acme-v2-malformed-payload.signed.json",
            sign_payload(BUNDLE_PAYLOAD_TYPE, b"{\"schema\":1,", &both),
            case(
                "signed non-JSON",
                "acme-v2-malformed-payload.signed.json",
                None,
                "PAYLOAD_MALFORMED",
            ),
        ),
        (
            "not-an-envelope.json",
            b"{\"payload\":\"\"}".to_vec(),
            case(
                "not an envelope",
                "not-an-envelope.json",
                None,
                "ENVELOPE_MALFORMED",
            ),
        ),
        ("keyset-v1.signed.json", rotation, Value::Null),
    ];
    let mut cases = Vec::new();
    for (name, bytes, c) in signed {
        files.push((name.to_owned(), bytes));
        if !c.is_null() {
            cases.push(c);
        }
    }
    // Format v2 (signed manifest) files and their cases.
    for (name, bytes, loads) in manifest_fixtures::build() {
        files.push((name.to_owned(), bytes));
        for (description, trust, last, expect) in loads {
            let mut c = case(description, name, last, expect);
            c["trust"] = trust.into();
            cases.push(c);
        }
    }
    let small = serde_json::to_string_pretty(&manifest_fixtures::small_trust_doc()).unwrap() + "\n";
    files.push(("trust-small.json".into(), small.into_bytes()));
    cases.push(case(
        "rollback to v1 after v2",
        "acme-v1.signed.json",
        Some(2),
        "VERSION_ROLLBACK",
    ));
    cases.push(case(
        "same version after restoring state alone loads again (nothing active yet)",
        "acme-v2.signed.json",
        Some(2),
        "ok",
    ));
    let cases = serde_json::to_string_pretty(&cases).unwrap() + "\n";
    files.push(("cases.json".into(), cases.into_bytes()));
    files
}

#[test]
fn fixtures_are_current() {
    let regen = std::env::var_os("OFFER_EDGE_REGEN_FIXTURES").is_some();
    for (name, bytes) in build() {
        let path = fixture_path(&name);
        if regen {
            std::fs::write(&path, &bytes).unwrap();
        } else {
            let committed = std::fs::read(&path).unwrap_or_default();
            assert!(
                committed == bytes,
                "{name} is stale: run OFFER_EDGE_REGEN_FIXTURES=1 cargo test --test fixtures fixtures_are_current"
            );
        }
    }
}

#[test]
fn committed_cases_give_their_codes() {
    let cases: Vec<Value> =
        serde_json::from_slice(&std::fs::read(fixture_path("cases.json")).unwrap()).unwrap();
    assert!(cases.len() >= 15);
    for c in cases {
        let trust =
            Trust::from_json(&std::fs::read(fixture_path(c["trust"].as_str().unwrap())).unwrap())
                .unwrap();
        let mut store = BundleStore::new(trust);
        if let Some(last) = c["lastVersion"].as_u64() {
            store
                .import_state(&StoreState {
                    partner: PARTNER.into(),
                    last_version: last,
                })
                .unwrap();
        }
        let bytes = std::fs::read(fixture_path(c["file"].as_str().unwrap())).unwrap();
        let at = Timestamp::parse_rfc3339(c["now"].as_str().unwrap()).unwrap();
        let got = match store.load(&bytes, at) {
            Ok(LoadOutcome::Loaded { .. }) => "ok".to_owned(),
            Ok(LoadOutcome::Unchanged { .. }) => "unchanged".to_owned(),
            Err(e) => e.code().as_str().to_owned(),
        };
        assert_eq!(got, c["expect"].as_str().unwrap(), "{}", c["description"]);
    }
}

#[test]
fn committed_rotation_switches_to_k3_k4() {
    let trust = Trust::from_json(&std::fs::read(fixture_path("trust.json")).unwrap()).unwrap();
    let rotated = trust
        .rotate(&std::fs::read(fixture_path("keyset-v1.signed.json")).unwrap())
        .unwrap();
    assert_eq!(rotated.keys().keys().collect::<Vec<_>>(), ["k3", "k4"]);
    assert_eq!(rotated.keyset_version(), 1);
}

//! The format v2 (signed manifest) fixtures of `tests/fixtures/bundles/`:
//! two good files and one per refusal, built deterministically.

use super::*;
use offer_edge::bundle::model::ApprovalStatus;
use offer_edge::bundle::{Manifest, BUNDLE_PAYLOAD_TYPE, MANIFEST_PAYLOAD_TYPE};

/// One v2 fixture: file name, bytes, and the cases that load it
/// (`(description, trust file, lastVersion, expected outcome)`).
pub type V2Fixture = (
    &'static str,
    Vec<u8>,
    Vec<(&'static str, &'static str, Option<u64>, &'static str)>,
);

/// A trust config like `trust.json` whose size limit no real bundle meets.
pub fn small_trust_doc() -> TrustDoc {
    TrustDoc {
        max_bundle_bytes: Some(1024),
        ..trust_doc(&["k1", "k2"], 2)
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).unwrap()
}

/// The bundle bytes of `b` with one letter changed (same length).
fn tampered(b: &Bundle) -> Vec<u8> {
    let json = text(&serde_json::to_vec(b).unwrap());
    assert!(json.contains("StreamFlix"));
    json.replacen("StreamFlix", "StreamFliX", 1).into_bytes()
}

/// The manifest of `b`, signed by k1+k2, next to other bundle bytes.
fn over(b: &Bundle, bundle_bytes: &[u8]) -> Vec<u8> {
    let manifest = Manifest::of(&serde_json::to_vec(b).unwrap()).unwrap();
    sign_manifest_of(&manifest, bundle_bytes, &["k1", "k2"])
}

/// `b`'s correct manifest edited by `edit`, signed by k1+k2.
fn edited(b: &Bundle, edit: impl FnOnce(&mut Manifest)) -> Vec<u8> {
    let bytes = serde_json::to_vec(b).unwrap();
    let mut manifest = Manifest::of(&bytes).unwrap();
    edit(&mut manifest);
    sign_manifest_of(&manifest, &bytes, &["k1", "k2"])
}

/// A v2 file with its manifest envelope replaced by `envelope`.
fn with_envelope(file: &[u8], envelope: &Envelope) -> Vec<u8> {
    let file = text(file);
    let (_, bundle) = file.split_once(",\"bundle\":").unwrap();
    format!(
        "{{\"manifest\":{},\"bundle\":{bundle}",
        envelope.to_json().unwrap()
    )
    .into_bytes()
}

fn manifest_envelope(file: &[u8]) -> Envelope {
    offer_edge::bundle::manifest::split(file).unwrap().envelope
}

/// Every v2 fixture.
pub fn build() -> Vec<V2Fixture> {
    let both = ["k1", "k2"];
    let v1 = bundle(PARTNER, 1);
    let v2 = bundle(PARTNER, 2);
    let good = sign_manifest(&v2, &both);
    let good_text = text(&good);
    let mut unapproved = bundle(PARTNER, 2);
    unapproved.offers[3].creative.approval.status = ApprovalStatus::Pending;
    let mut expired = bundle(PARTNER, 2);
    expired.expires_at = Timestamp::parse_rfc3339("2026-03-01T00:00:00Z").unwrap();
    let globex = bundle("globex", 2);

    let mut tampered_manifest = manifest_envelope(&good);
    let payload = text(&tampered_manifest.payload_bytes().unwrap()).replacen(
        "\"version\":2",
        "\"version\":3",
        1,
    );
    tampered_manifest.payload = B64.encode(payload);
    let bad_header = b"{\"partner\":\"acme\",".to_vec();
    let deep = format!(
        "{{\"schema\":1,\"x\":{}0{}}}",
        "[".repeat(40),
        "]".repeat(40)
    );
    let manifest_for = |bytes: &[u8]| Manifest {
        partner: PARTNER.into(),
        version: 2,
        issued_at: issued(),
        expires_at: expires(),
        bundle_sha256: offer_edge::context::sha256_hex(bytes),
        bundle_bytes: bytes.len() as u64,
        compiled: None,
    };
    let not_json = b"{\"schema\":1,}".to_vec();
    let wrong_type = {
        let payload = manifest_envelope(&good).payload_bytes().unwrap();
        let keys: Vec<_> = both.iter().map(|n| (n.to_string(), key(n))).collect();
        let refs: Vec<_> = keys.iter().map(|(n, k)| (n.as_str(), k)).collect();
        with_envelope(&good, &Envelope::sign(BUNDLE_PAYLOAD_TYPE, &payload, &refs))
    };

    let ok = |d| vec![(d, "trust.json", None, "ok")];
    let fails = |d, code| vec![(d, "trust.json", None, code)];
    vec![
        (
            "acme-v1.manifest.json",
            sign_manifest(&v1, &both),
            ok("v2 format: good v1"),
        ),
        (
            "acme-v2.manifest.json",
            good.clone(),
            vec![
                ("v2 format: good v2", "trust.json", Some(1), "ok"),
                (
                    "v2 format: larger than maxBundleBytes",
                    "trust-small.json",
                    None,
                    "BUNDLE_TOO_LARGE",
                ),
            ],
        ),
        (
            "acme-v2-k1-only.manifest.json",
            sign_manifest(&v2, &["k1"]),
            fails("v2 format: 1 of 2 signatures", "THRESHOLD_NOT_MET"),
        ),
        (
            "acme-v2-unknown-key.manifest.json",
            sign_manifest(&v2, &["k3"]),
            fails("v2 format: untrusted signer", "UNKNOWN_KEY"),
        ),
        (
            "acme-v2-tampered-bundle.manifest.json",
            over(&v2, &tampered(&v2)),
            fails("v2 format: one bundle byte changed", "DIGEST_MISMATCH"),
        ),
        (
            "acme-v2-tampered-manifest.manifest.json",
            with_envelope(&good, &tampered_manifest),
            fails("v2 format: manifest payload changed", "SIGNATURE_INVALID"),
        ),
        (
            "acme-v2-wrong-length.manifest.json",
            edited(&v2, |m| m.bundle_bytes += 1),
            fails(
                "v2 format: manifest signs another length",
                "DIGEST_MISMATCH",
            ),
        ),
        (
            "acme-v2-version-disagrees.manifest.json",
            edited(&v2, |m| m.version = 3),
            fails(
                "v2 format: manifest says version 3, bundle says 2",
                "DIGEST_MISMATCH",
            ),
        ),
        (
            "acme-v2-expiry-disagrees.manifest.json",
            edited(&v2, |m| {
                m.expires_at = Timestamp::parse_rfc3339("2098-01-01T00:00:00Z").unwrap()
            }),
            fails(
                "v2 format: manifest and bundle expire differently",
                "DIGEST_MISMATCH",
            ),
        ),
        (
            "acme-v2-space.manifest.json",
            good_text
                .replacen("{\"manifest\":", "{\"manifest\": ", 1)
                .into_bytes(),
            fails(
                "v2 format: whitespace before the envelope",
                "ENVELOPE_MALFORMED",
            ),
        ),
        (
            "acme-v2-space-before-bundle.manifest.json",
            good_text
                .replacen(",\"bundle\":", ",\"bundle\": ", 1)
                .into_bytes(),
            fails(
                "v2 format: whitespace before the bundle",
                "ENVELOPE_MALFORMED",
            ),
        ),
        (
            "acme-v2-trailing-newline.manifest.json",
            format!("{good_text}\n").into_bytes(),
            fails("v2 format: trailing newline", "ENVELOPE_MALFORMED"),
        ),
        (
            "acme-v2-trailing-brace.manifest.json",
            format!("{good_text}}}").into_bytes(),
            fails(
                "v2 format: a byte after the final brace",
                "ENVELOPE_MALFORMED",
            ),
        ),
        (
            "acme-v2-wrong-type.manifest.json",
            wrong_type,
            fails(
                "v2 format: manifest signed as a bundle payloadType",
                "ENVELOPE_MALFORMED",
            ),
        ),
        (
            "acme-v2-manifest-in-dsse.signed.json",
            sign_payload(
                MANIFEST_PAYLOAD_TYPE,
                &manifest_envelope(&good).payload_bytes().unwrap(),
                &both,
            ),
            fails(
                "v1 envelope carrying a manifest payloadType",
                "ENVELOPE_MALFORMED",
            ),
        ),
        (
            "acme-v2-malformed-manifest.manifest.json",
            with_envelope(&good, &{
                let keys: Vec<_> = both.iter().map(|n| (n.to_string(), key(n))).collect();
                let refs: Vec<_> = keys.iter().map(|(n, k)| (n.as_str(), k)).collect();
                Envelope::sign(MANIFEST_PAYLOAD_TYPE, &bad_header, &refs)
            }),
            fails(
                "v2 format: signed manifest is not JSON",
                "PAYLOAD_MALFORMED",
            ),
        ),
        (
            "acme-v2-malformed-bundle.manifest.json",
            sign_manifest_of(&manifest_for(&not_json), &not_json, &both),
            fails(
                "v2 format: signed bundle is not a bundle",
                "PAYLOAD_MALFORMED",
            ),
        ),
        (
            "acme-v2-deep.manifest.json",
            sign_manifest_of(&manifest_for(deep.as_bytes()), deep.as_bytes(), &both),
            fails("v2 format: bundle nests 41 deep", "LIMIT_EXCEEDED"),
        ),
        (
            "acme-v2-unapproved.manifest.json",
            sign_manifest(&unapproved, &both),
            fails("v2 format: pending creative", "CREATIVE_NOT_APPROVED"),
        ),
        (
            "acme-v1-tampered-bundle.manifest.json",
            over(&v1, &tampered(&v1)),
            vec![
                (
                    "v2 format: rollback refused before the bundle is hashed",
                    "trust.json",
                    Some(2),
                    "VERSION_ROLLBACK",
                ),
                (
                    "v2 format: the same file without rollback state",
                    "trust.json",
                    None,
                    "DIGEST_MISMATCH",
                ),
            ],
        ),
        (
            "globex-v2-tampered-bundle.manifest.json",
            over(&globex, &tampered(&globex)),
            fails(
                "v2 format: other partner refused before the bundle is hashed",
                "PARTNER_MISMATCH",
            ),
        ),
        (
            "acme-v2-expired-tampered-bundle.manifest.json",
            over(&expired, &tampered(&expired)),
            fails(
                "v2 format: expiry refused before the bundle is hashed",
                "BUNDLE_EXPIRED",
            ),
        ),
    ]
}

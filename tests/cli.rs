//! The `offer-edge` binary end to end: keygen → demo-bundle → sign → trust →
//! verify, then single-byte corruptions of the signed file must all fail
//! with an `error[CODE]` line.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::cli::{
    demo_bundle_args, fails, keygen_args, ok, round_trip, run, sign_args, trust_args, verify_args,
    with,
};

use offer_edge::bundle::{verify_bundle, Trust};
use offer_edge::time::Timestamp;

const NOW: &str = "2026-06-01T00:00:00Z";
const KEY: &str = "keys/acme-2026.key";

/// `verify` of `file` with `trust.json` at [`NOW`], keeping `state.json`.
fn verify_with_state(file: &str) -> Vec<&str> {
    with(
        verify_args("trust.json", NOW, file),
        &["--state", "state.json"],
    )
}

#[test]
fn keygen_demo_sign_verify_round_trips() {
    let dir = round_trip("round-trip", "40");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(dir.join("keys/acme-2026.key"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let line = ok(&dir, &verify_with_state("signed.json"));
    assert_eq!(
        line,
        "verified: partner acme version 1, 40 offers, expires 2099-01-01T00:00:00Z, signed by acme-2026 (format v2, manifest); \
         full bundle with confidential audiences existing-subscribers (edge only: pages get its page bundle)\n"
    );
    let v1 = ok(&dir, &verify_args("trust.json", NOW, "signed-v1.json"));
    assert!(
        v1.contains("signed by acme-2026 (format v1, dsse); full bundle"),
        "{v1}"
    );
    let state = std::fs::read_to_string(dir.join("state.json")).unwrap();
    assert!(state.contains("\"lastVersion\": 1"), "{state}");
    // Equal version again with the saved state: the CLI holds no active
    // bundle, so the file is verified in full again (not skipped).
    let line = ok(&dir, &verify_with_state("signed.json"));
    assert!(
        line.starts_with("verified: partner acme version 1"),
        "{line}"
    );
    // A v2 moves the state; v1 is then a rollback.
    ok(
        &dir,
        &with(demo_bundle_args("5", "b2.json"), &["--bundle-version", "2"]),
    );
    ok(&dir, &sign_args(KEY, "b2.json", "s2.json"));
    ok(&dir, &verify_with_state("s2.json"));
    fails(&dir, &verify_with_state("signed.json"), "VERSION_ROLLBACK");
    // Expired one second after expiry.
    fails(
        &dir,
        &verify_args("trust.json", "2099-01-01T00:00:01Z", "signed.json"),
        "BUNDLE_EXPIRED",
    );

    for (file, format) in [
        ("signed.json", "format:         format v2, manifest"),
        ("signed-v1.json", "format:         format v1, dsse"),
    ] {
        let inspect = ok(&dir, &["inspect", file]);
        assert!(inspect.starts_with("NOT VERIFIED"), "{inspect}");
        for needle in [
            format,
            "partner:        acme",
            "offers:         40",
            "creatives:      40",
            "audiences:      2",
            "placements:     2",
            "signatures:     acme-2026",
            "expires at:     2099-01-01T00:00:00Z",
        ] {
            assert!(inspect.contains(needle), "missing {needle:?} in\n{inspect}");
        }
    }
    // Both formats of the same bundle bytes have the same identity.
    let sha = |file: &str| {
        let inspect = ok(&dir, &["inspect", file]);
        let line = inspect
            .lines()
            .find(|l| l.starts_with("bundle sha256:"))
            .unwrap();
        line.to_owned()
    };
    let bundle = std::fs::read(dir.join("bundle.json")).unwrap();
    let trimmed = std::str::from_utf8(&bundle).unwrap().trim();
    std::fs::write(dir.join("trimmed.json"), trimmed).unwrap();
    ok(
        &dir,
        &with(
            sign_args(KEY, "trimmed.json", "trimmed-v1.json"),
            &["--format", "dsse"],
        ),
    );
    assert_eq!(sha("signed.json"), sha("trimmed-v1.json"));
}

#[test]
fn sign_refuses_unapproved_and_invalid_bundles() {
    let dir = round_trip("sign-refuses", "4");
    let text = std::fs::read_to_string(dir.join("bundle.json")).unwrap();
    let pending = text.replacen("\"status\": \"approved\"", "\"status\": \"pending\"", 1);
    assert_ne!(pending, text);
    std::fs::write(dir.join("pending.json"), pending).unwrap();
    fails(
        &dir,
        &sign_args(KEY, "pending.json", "x.json"),
        "CREATIVE_NOT_APPROVED",
    );
    assert!(!dir.join("x.json").exists());
    std::fs::write(dir.join("broken.json"), &text[..text.len() / 2]).unwrap();
    fails(
        &dir,
        &["sign", "--key", KEY, "broken.json"],
        "PAYLOAD_MALFORMED",
    );
    let http = text.replacen("https://www.", "http://www.", 1);
    std::fs::write(dir.join("http.json"), http).unwrap();
    fails(&dir, &["sign", "--key", KEY, "http.json"], "SCHEMA_INVALID");
    // A key written to a bundle's trust must not be reused by keygen.
    fails(&dir, &keygen_args("acme-2026"), "IO");
    fails(&dir, &keygen_args("../evil"), "KEY_INVALID");
}

#[test]
fn multi_key_signing_meets_a_threshold() {
    let dir = round_trip("multi-key", "3");
    ok(&dir, &keygen_args("acme-b"));
    ok(
        &dir,
        &trust_args(
            "acme",
            &["keys/acme-2026.pub", "keys/acme-b.pub"],
            "trust2.json",
        ),
    );
    fails(
        &dir,
        &verify_args("trust2.json", NOW, "signed.json"),
        "THRESHOLD_NOT_MET",
    );
    ok(
        &dir,
        &with(
            sign_args(KEY, "bundle.json", "both.json"),
            &["--key", "keys/acme-b.key"],
        ),
    );
    let line = ok(&dir, &verify_args("trust2.json", NOW, "both.json"));
    assert!(
        line.contains("signed by acme-2026,acme-b (format v2, manifest); full bundle"),
        "{line}"
    );
    ok(
        &dir,
        &trust_args("globex", &["keys/acme-2026.pub"], "globex.json"),
    );
    fails(
        &dir,
        &verify_args("globex.json", NOW, "signed.json"),
        "PARTNER_MISMATCH",
    );
}

/// A different byte at `i` that stays in the same character class, so
/// base64 stays decodable and the signature check itself is exercised.
fn mutate(byte: u8) -> u8 {
    match byte {
        b'A'..=b'Y' | b'a'..=b'y' | b'0'..=b'8' => byte + 1,
        b'Z' => b'A',
        b'z' => b'a',
        b'9' => b'0',
        other => other ^ 0x01,
    }
}

#[test]
fn every_single_byte_change_fails_in_process() {
    let dir = round_trip("every-byte-lib", "1");
    let trust = Trust::from_json(&std::fs::read(dir.join("trust.json")).unwrap()).unwrap();
    let now = Timestamp::parse_rfc3339(NOW).unwrap();
    for file in ["signed.json", "signed-v1.json"] {
        let signed = std::fs::read(dir.join(file)).unwrap();
        assert!(verify_bundle(&trust, &signed, now, None).is_ok());
        for i in 0..signed.len() {
            for changed in [mutate(signed[i]), signed[i] ^ 0x80, signed[i] ^ 0x20] {
                let mut bad = signed.clone();
                bad[i] = changed;
                assert!(
                    verify_bundle(&trust, &bad, now, None).is_err(),
                    "{file}: byte {i} {:?} -> {:?} still verifies",
                    signed[i] as char,
                    changed as char
                );
            }
        }
    }
}

/// The byte range of the file's large value: v1's base64 payload, v2's bundle.
fn large_value(text: &str) -> (usize, usize) {
    if let Some(at) = text.find(",\"bundle\":") {
        return (at + ",\"bundle\":".len(), text.len() - 1);
    }
    let start = text.find("\"payload\":\"").unwrap() + "\"payload\":\"".len();
    (start, start + text[start..].find('"').unwrap())
}

#[test]
fn single_byte_changes_fail_the_binary() {
    let dir = round_trip("every-byte-bin", "1");
    for file in ["signed.json", "signed-v1.json"] {
        single_byte_changes_fail(&dir, file);
    }
}

fn single_byte_changes_fail(dir: &std::path::Path, file: &str) {
    let signed = std::fs::read(dir.join(file)).unwrap();
    let text = std::str::from_utf8(&signed).unwrap();
    // Every byte outside the large value (v1 payload, v2 bundle), plus a
    // dense sample inside it.
    let (start, end) = large_value(text);
    let positions: Vec<usize> = (0..signed.len())
        .filter(|&i| i < start + 64 || i >= end - 64 || (i - start).is_multiple_of(3))
        .collect();
    assert!(
        positions.len() >= 2_000,
        "{file}: only {} positions",
        positions.len()
    );
    let chunks: Vec<Vec<usize>> = positions
        .chunks(positions.len() / 2 + 1)
        .map(<[usize]>::to_vec)
        .collect();
    std::thread::scope(|scope| {
        for (t, chunk) in chunks.into_iter().enumerate() {
            let signed = &signed;
            scope.spawn(move || {
                let file = format!("mutated-{t}.json");
                for i in chunk {
                    let mut bad = signed.clone();
                    bad[i] = mutate(bad[i]);
                    std::fs::write(dir.join(&file), &bad).unwrap();
                    let out = run(dir, &verify_args("trust.json", NOW, &file));
                    let stderr = String::from_utf8_lossy(&out.stderr);
                    assert!(
                        !out.status.success()
                            && stderr.starts_with("error[")
                            && stderr.contains("]: "),
                        "{file}: byte {i} changed and verify said {:?} / {stderr}",
                        String::from_utf8_lossy(&out.stdout)
                    );
                }
            });
        }
    });
}

#[test]
fn sign_minify_ships_the_same_bundle_in_fewer_bytes_and_refuses_what_only_minifying_would_fix() {
    let dir = round_trip("sign-minify", "20");
    ok(
        &dir,
        &with(
            sign_args(KEY, "bundle.json", "signed-min.json"),
            &["--minify"],
        ),
    );
    let pretty = std::fs::read(dir.join("signed.json")).unwrap();
    let min = std::fs::read(dir.join("signed-min.json")).unwrap();
    assert!(
        min.len() * 10 < pretty.len() * 8,
        "{} vs {}",
        min.len(),
        pretty.len()
    );
    let line = ok(&dir, &verify_args("trust.json", NOW, "signed-min.json"));
    assert!(
        line.starts_with("verified: partner acme version 1, 20 offers"),
        "{line}"
    );
    // The signed bundle is the author's document: same JSON value.
    let bundle_of = |signed: &[u8]| -> serde_json::Value {
        let v: serde_json::Value = serde_json::from_slice(signed).unwrap();
        v["bundle"].clone()
    };
    let written: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("bundle.json")).unwrap()).unwrap();
    assert_eq!(bundle_of(&min), written);
    assert_eq!(bundle_of(&pretty), written);

    // `"version": 1 2` is not JSON; without its space it would read as 12.
    let text = std::fs::read_to_string(dir.join("bundle.json")).unwrap();
    let broken = text.replacen("\"version\": 1,", "\"version\": 1 2,", 1);
    assert_ne!(broken, text, "the demo bundle writes `\"version\": 1,`");
    std::fs::write(dir.join("broken.json"), broken).unwrap();
    fails(
        &dir,
        &["sign", "--minify", "--key", KEY, "broken.json"],
        "PAYLOAD_MALFORMED",
    );
}

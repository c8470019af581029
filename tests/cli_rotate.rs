//! `offer-edge rotate` through the real binary: a rotation it writes is the
//! one every host accepts (bundles of the new keys verify with the next trust,
//! bundles of the retired keys do not), and what hosts would refuse it
//! refuses with a code, writing nothing.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use common::cli::{
    demo_bundle_args, fails, keygen_args, ok, run, sign_args, tempdir, trust_args, verify_args,
    with,
};
use offer_edge::bundle::Trust;
use offer_edge::ErrorCode;
use std::path::{Path, PathBuf};

mod common;

fn keygen(dir: &Path, keyid: &str) {
    ok(dir, &keygen_args(keyid));
}

/// Partner acme with keys acme-1 (pinned, threshold 1) and acme-2 (new),
/// a demo bundle signed by each (`v1.signed.json` by acme-1,
/// `v2.signed.json` by acme-2).
fn partner(name: &str) -> PathBuf {
    let dir = tempdir(name);
    keygen(&dir, "acme-1");
    keygen(&dir, "acme-2");
    for (version, key) in [("1", "acme-1"), ("2", "acme-2")] {
        let bundle = format!("v{version}.json");
        let demo = demo_bundle_args("5", &bundle);
        ok(&dir, &with(demo, &["--bundle-version", version]));
        let key = format!("keys/{key}.key");
        let signed = format!("v{version}.signed.json");
        ok(&dir, &sign_args(&key, &bundle, &signed));
    }
    ok(
        &dir,
        &trust_args("acme", &["keys/acme-1.pub"], "trust.json"),
    );
    dir
}

/// `rotate --trust <trust> --current <key>… --new <key>… -o <out>`.
fn rotate_args<'a>(
    trust: &'a str,
    current: &[&'a str],
    new: &[&'a str],
    out: &'a str,
) -> Vec<&'a str> {
    let mut args = vec!["rotate", "--trust", trust];
    for key in current {
        args.extend(["--current", key]);
    }
    for key in new {
        args.extend(["--new", key]);
    }
    args.extend(["-o", out]);
    args
}

fn verify_code(dir: &Path, trust: &str, signed: &str) -> Option<String> {
    let out = run(dir, &verify_args(trust, "2026-06-01T00:00:00Z", signed));
    if out.status.success() {
        return None;
    }
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    Some(stderr[6..stderr.find(']').unwrap()].to_owned())
}

#[test]
fn a_rotation_moves_bundles_to_the_new_keys() {
    let dir = partner("cli-rotate-good");
    let summary = ok(
        &dir,
        &with(
            rotate_args(
                "trust.json",
                &["keys/acme-1.key"],
                &["keys/acme-2.key"],
                "keyset.signed.json",
            ),
            &["--write-trust", "trust.next.json"],
        ),
    );
    assert!(
        summary.contains("keyset version 0 -> 1")
            && summary.contains("added acme-2")
            && summary.contains("retired acme-1"),
        "{summary}"
    );
    // What the CLI wrote is what the library derives from the pinned trust.
    let pinned = Trust::from_json(&std::fs::read(dir.join("trust.json")).unwrap()).unwrap();
    let derived = pinned
        .rotate(&std::fs::read(dir.join("keyset.signed.json")).unwrap())
        .unwrap();
    let written = Trust::from_json(&std::fs::read(dir.join("trust.next.json")).unwrap()).unwrap();
    assert_eq!(derived, written);
    assert_eq!(written.keyset_version(), 1);
    assert_eq!(written.keys().keys().collect::<Vec<_>>(), ["acme-2"]);

    // Before: the old key's bundle verifies, the new key's does not.
    assert_eq!(verify_code(&dir, "trust.json", "v1.signed.json"), None);
    assert!(verify_code(&dir, "trust.json", "v2.signed.json").is_some());
    // After: the reverse; the retired key signs nothing any more.
    assert_eq!(verify_code(&dir, "trust.next.json", "v2.signed.json"), None);
    let refused = verify_code(&dir, "trust.next.json", "v1.signed.json").unwrap();
    assert!(
        ["UNKNOWN_KEY", "THRESHOLD_NOT_MET"].contains(&refused.as_str()),
        "{refused}"
    );

    // Replaying the update on the trust it produced is a rollback.
    assert_eq!(
        written
            .rotate(&std::fs::read(dir.join("keyset.signed.json")).unwrap())
            .unwrap_err()
            .code(),
        ErrorCode::VersionRollback
    );
    // A second rotation chains on the first (version 2, back to a fresh key).
    keygen(&dir, "acme-3");
    ok(
        &dir,
        &rotate_args(
            "trust.next.json",
            &["keys/acme-2.key"],
            &["keys/acme-3.key"],
            "keyset2.signed.json",
        ),
    );
    let third = derived
        .rotate(&std::fs::read(dir.join("keyset2.signed.json")).unwrap())
        .unwrap();
    assert_eq!(third.keyset_version(), 2);
    // ...and applies only after the first: from the pinned keys it is refused.
    assert_eq!(
        pinned
            .rotate(&std::fs::read(dir.join("keyset2.signed.json")).unwrap())
            .unwrap_err()
            .code(),
        ErrorCode::KeysetInvalid
    );
}

#[test]
fn a_kept_key_and_a_higher_threshold_rotate_together() {
    let dir = partner("cli-rotate-kept");
    keygen(&dir, "acme-3");
    ok(
        &dir,
        &with(
            rotate_args(
                "trust.json",
                &["keys/acme-1.key"],
                &["keys/acme-1.key", "keys/acme-3.key"],
                "keyset.signed.json",
            ),
            &[
                "--threshold",
                "2",
                "--version",
                "7",
                "--write-trust",
                "trust.next.json",
            ],
        ),
    );
    let next = Trust::from_json(&std::fs::read(dir.join("trust.next.json")).unwrap()).unwrap();
    assert_eq!((next.threshold(), next.keyset_version()), (2, 7));
    // One signature is now too few: acme-1 alone no longer meets the threshold.
    assert_eq!(
        verify_code(&dir, "trust.next.json", "v1.signed.json").as_deref(),
        Some("THRESHOLD_NOT_MET")
    );
}

/// Runs `rotate` of `current` to `new` keys (`extra` options added) and
/// expects `code`, with nothing written.
fn refused(dir: &Path, current: &[&str], new: &[&str], extra: &[&str], code: &str) {
    let args = with(
        rotate_args("trust.json", current, new, "refused.json"),
        extra,
    );
    fails(dir, &args, code);
    assert!(!dir.join("refused.json").exists(), "{args:?} wrote a file");
}

#[test]
fn refuses_what_hosts_would_refuse_and_writes_nothing() {
    let dir = partner("cli-rotate-refused");
    keygen(&dir, "acme-3");
    let (pinned, new) = (&["keys/acme-1.key"], &["keys/acme-2.key"]);
    // A current key the trust does not hold.
    refused(&dir, &["keys/acme-3.key"], new, &[], "UNKNOWN_KEY");
    // A key file under a pinned keyid that is not the pinned key.
    std::fs::copy(dir.join("keys/acme-3.key"), dir.join("impostor.key")).unwrap();
    let mut file: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("impostor.key")).unwrap()).unwrap();
    file["keyid"] = "acme-1".into();
    std::fs::write(dir.join("impostor.key"), file.to_string()).unwrap();
    refused(&dir, &["impostor.key"], new, &[], "KEY_INVALID");
    // A new private key next to a public key file of another key.
    std::fs::create_dir_all(dir.join("mixed")).unwrap();
    std::fs::copy(dir.join("keys/acme-2.key"), dir.join("mixed/acme-2.key")).unwrap();
    let mut other: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("keys/acme-3.pub")).unwrap()).unwrap();
    other["keyid"] = "acme-2".into();
    std::fs::write(dir.join("mixed/acme-2.pub"), other.to_string()).unwrap();
    refused(&dir, pinned, &["mixed/acme-2.key"], &[], "KEY_INVALID");
    // A public key file where a private one must be (new owners sign).
    refused(&dir, pinned, &["keys/acme-2.pub"], &[], "KEY_INVALID");
    // A checkout key is not a bundle signing key.
    ok(&dir, &with(keygen_args("co-1"), &["--kind", "checkout"]));
    refused(&dir, pinned, &["keys/co-1.key"], &[], "KEY_INVALID");
    // A threshold the new keys cannot meet.
    refused(&dir, pinned, new, &["--threshold", "2"], "KEYSET_INVALID");
    // A version not above the current one (0 for pinned keys).
    refused(&dir, pinned, new, &["--version", "0"], "VERSION_ROLLBACK");
    // Too few current signers: a trust of two keys, threshold 2, one signer.
    let both = ["keys/acme-1.pub", "keys/acme-3.pub"];
    ok(&dir, &trust_args("acme", &both, "trust.json"));
    refused(&dir, pinned, new, &[], "THRESHOLD_NOT_MET");
    // The same key twice is still one signer.
    let twice = ["keys/acme-1.key", "keys/acme-1.key"];
    refused(&dir, &twice, new, &[], "THRESHOLD_NOT_MET");
    // Both current keys: accepted.
    ok(
        &dir,
        &rotate_args(
            "trust.json",
            &["keys/acme-1.key", "keys/acme-3.key"],
            &["keys/acme-2.key"],
            "ok.json",
        ),
    );
}

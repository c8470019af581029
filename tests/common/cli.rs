//! The `offer-edge` binary, driven from tests: run it, expect success or a
//! coded failure, and build a signed demo bundle with its trust config.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_offer-edge"))
}

pub fn run(dir: &Path, args: &[&str]) -> Output {
    bin().current_dir(dir).args(args).output().unwrap()
}

pub fn ok(dir: &Path, args: &[&str]) -> String {
    let out = run(dir, args);
    assert!(
        out.status.success(),
        "{args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

pub fn fails(dir: &Path, args: &[&str], code: &str) {
    let out = run(dir, args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{args:?} succeeded");
    assert!(
        stderr.starts_with(&format!("error[{code}]: ")),
        "{args:?}: expected {code}, got {stderr}"
    );
}

pub fn tempdir(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

// Argument lists of the commands many tests run, so each spelling of a
// command line lives once; callers append options (`--state`, `--minify`)
// with [`with`].

/// `args` followed by `extra`.
pub fn with<'a>(mut args: Vec<&'a str>, extra: &[&'a str]) -> Vec<&'a str> {
    args.extend_from_slice(extra);
    args
}

/// When the demo bundles CLI tests write are issued (as the library
/// fixtures of `tests/common/mod.rs` are).
pub const ISSUED_AT: &str = "2026-01-01T00:00:00Z";
/// When they expire: far enough ahead that no test meets it by accident.
pub const EXPIRES_AT: &str = "2099-01-01T00:00:00Z";

/// `keygen --out-dir keys --keyid <keyid>` (a bundle signing key unless a
/// `--kind` is appended).
pub fn keygen_args(keyid: &str) -> Vec<&str> {
    vec!["keygen", "--out-dir", "keys", "--keyid", keyid]
}

/// `demo-bundle` of partner acme with `offers` offers, issued [`ISSUED_AT`]
/// and expiring [`EXPIRES_AT`], written to `out`.
pub fn demo_bundle_args<'a>(offers: &'a str, out: &'a str) -> Vec<&'a str> {
    vec![
        "demo-bundle",
        "--partner",
        "acme",
        "--offers",
        offers,
        "--issued-at",
        ISSUED_AT,
        "--expires-at",
        EXPIRES_AT,
        "-o",
        out,
    ]
}

/// `sign --key <key> <input> -o <output>`.
pub fn sign_args<'a>(key: &'a str, input: &'a str, output: &'a str) -> Vec<&'a str> {
    vec!["sign", "--key", key, input, "-o", output]
}

/// `trust --partner <partner> --pub <pub>… -o <out>`.
pub fn trust_args<'a>(partner: &'a str, pubs: &[&'a str], out: &'a str) -> Vec<&'a str> {
    let mut args = vec!["trust", "--partner", partner];
    for public in pubs {
        args.extend(["--pub", public]);
    }
    args.extend(["-o", out]);
    args
}

/// `verify --trust <trust> --now <now> <file>`.
pub fn verify_args<'a>(trust: &'a str, now: &'a str, file: &'a str) -> Vec<&'a str> {
    vec!["verify", "--trust", trust, "--now", now, file]
}

/// `decide --bundle <bundle> --trust <trust> --context <context>`.
pub fn decide_args<'a>(bundle: &'a str, trust: &'a str, context: &'a str) -> Vec<&'a str> {
    vec![
        "decide",
        "--bundle",
        bundle,
        "--trust",
        trust,
        "--context",
        context,
    ]
}

/// keygen ×2 (signing + fulfilment) → demo-bundle → sign (`signed.json`,
/// format v2; `signed-v1.json`, format v1) → trust; returns the dir.
pub fn round_trip(name: &str, offers: &str) -> PathBuf {
    let dir = tempdir(name);
    ok(&dir, &keygen_args("acme-2026"));
    ok(&dir, &with(keygen_args("fk1"), &["--kind", "fulfilment"]));
    let demo = demo_bundle_args(offers, "bundle.json");
    ok(
        &dir,
        &with(demo, &["--seed", "3", "--fulfilment-pub", "keys/fk1.pub"]),
    );
    let key = "keys/acme-2026.key";
    ok(&dir, &sign_args(key, "bundle.json", "signed.json"));
    // The same bundle in format v1 (DSSE), for tests that cover both.
    let sign_v1 = sign_args(key, "bundle.json", "signed-v1.json");
    ok(&dir, &with(sign_v1, &["--format", "dsse"]));
    ok(
        &dir,
        &trust_args("acme", &["keys/acme-2026.pub"], "trust.json"),
    );
    dir
}

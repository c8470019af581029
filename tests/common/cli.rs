//! The `offer-edge` binary, driven from tests: run it, expect success or a
//! coded failure, and build a signed demo bundle with its trust config.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_offer-edge"))
}

pub fn run(dir: &Path, args: &[&str]) -> Output {
    let out = bin().current_dir(dir).args(args).output().unwrap();
    out
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

/// keygen ×2 (signing + fulfilment) → demo-bundle → sign (`signed.json`,
/// format v2; `signed-v1.json`, format v1) → trust; returns the dir.
pub fn round_trip(name: &str, offers: &str) -> PathBuf {
    let dir = tempdir(name);
    ok(
        &dir,
        &["keygen", "--out-dir", "keys", "--keyid", "acme-2026"],
    );
    ok(
        &dir,
        &[
            "keygen",
            "--out-dir",
            "keys",
            "--keyid",
            "fk1",
            "--kind",
            "fulfilment",
        ],
    );
    ok(
        &dir,
        &[
            "demo-bundle",
            "--partner",
            "acme",
            "--offers",
            offers,
            "--seed",
            "3",
            "--fulfilment-pub",
            "keys/fk1.pub",
            "--issued-at",
            "2026-01-01T00:00:00Z",
            "--expires-at",
            "2099-01-01T00:00:00Z",
            "-o",
            "bundle.json",
        ],
    );
    ok(
        &dir,
        &[
            "sign",
            "--key",
            "keys/acme-2026.key",
            "bundle.json",
            "-o",
            "signed.json",
        ],
    );
    // The same bundle in format v1 (DSSE), for tests that cover both.
    ok(
        &dir,
        &[
            "sign",
            "--format",
            "dsse",
            "--key",
            "keys/acme-2026.key",
            "bundle.json",
            "-o",
            "signed-v1.json",
        ],
    );
    ok(
        &dir,
        &[
            "trust",
            "--partner",
            "acme",
            "--pub",
            "keys/acme-2026.pub",
            "-o",
            "trust.json",
        ],
    );
    dir
}

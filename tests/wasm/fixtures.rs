//! Shared JSON fixtures embedded at compile time, so the same files drive
//! the native, Node and Chromium runs (wasm32 has no file system).
//!
//! To add a fixture set, e.g. decide cases:
//! ```ignore
//! pub const DECIDE: &[Fixture] = fixture_set!("decide": "basic.json", "capped.json");
//! ```
//! and add `("decide", DECIDE)` to `SETS`: the native test below fails when a
//! `.json` file in the directory is not listed (or a listed one is missing).

/// One embedded fixture: `(file name, contents)`.
pub type Fixture = (&'static str, &'static str);

/// Embeds `tests/fixtures/<dir>/<file>` for each listed file.
macro_rules! fixture_set {
    ($dir:literal : $($file:literal),* $(,)?) => {
        &[$(($file, include_str!(concat!("../fixtures/", $dir, "/", $file)))),*]
    };
}

/// RFC 9180 known-answer vectors for our HPKE suite.
pub const HPKE: &[Fixture] = fixture_set!("hpke": "rfc9180-a.2.1.json");

/// Receipt verification cases shared with the Node tests (`tests/js/`).
pub const RECEIPTS: &[Fixture] = fixture_set!("receipts": "verify.json");

/// Partner checkout tokens, their pinned keys and attested email hashes
/// (written by the generator in `tests/attest.rs`; JS hosts read them too).
pub const CHECKOUT: &[Fixture] = fixture_set!("checkout":
    "emails.json",
    "keys.json",
    "signing-keys.json",
    "tokens.json",
);

/// The shared decision fixtures (`tests/common/decide_fixture.rs` embeds
/// them itself; listed here so the native check covers the directory).
#[cfg_attr(target_arch = "wasm32", allow(dead_code))]
pub const DECIDE: &[Fixture] = fixture_set!("decide": "bundle.json", "cases.json");

/// Signed bundle fixtures with their expected load outcomes (`cases.json`).
pub const BUNDLES: &[Fixture] = fixture_set!("bundles":
    "acme-v1-tampered-bundle.manifest.json",
    "acme-v1.manifest.json",
    "acme-v1.signed.json",
    "acme-v2-deep.manifest.json",
    "acme-v2-expired-tampered-bundle.manifest.json",
    "acme-v2-expired.signed.json",
    "acme-v2-expiry-disagrees.manifest.json",
    "acme-v2-k1-only.manifest.json",
    "acme-v2-k1-only.signed.json",
    "acme-v2-k1-twice.signed.json",
    "acme-v2-malformed-bundle.manifest.json",
    "acme-v2-malformed-manifest.manifest.json",
    "acme-v2-malformed-payload.signed.json",
    "acme-v2-malleable.signed.json",
    "acme-v2-manifest-in-dsse.signed.json",
    "acme-v2-space-before-bundle.manifest.json",
    "acme-v2-space.manifest.json",
    "acme-v2-tampered-bundle.manifest.json",
    "acme-v2-tampered-manifest.manifest.json",
    "acme-v2-tampered-payload.signed.json",
    "acme-v2-tampered-signature.signed.json",
    "acme-v2-trailing-brace.manifest.json",
    "acme-v2-trailing-newline.manifest.json",
    "acme-v2-unapproved.manifest.json",
    "acme-v2-unapproved.signed.json",
    "acme-v2-unknown-key.manifest.json",
    "acme-v2-unknown-key.signed.json",
    "acme-v2-version-disagrees.manifest.json",
    "acme-v2-wrong-length.manifest.json",
    "acme-v2-wrong-type.manifest.json",
    "acme-v2.manifest.json",
    "acme-v2.signed.json",
    "cases.json",
    "globex-v2-tampered-bundle.manifest.json",
    "globex-v2.signed.json",
    "keyset-v1.signed.json",
    "not-an-envelope.json",
    "trust-small.json",
    "trust.json",
);

/// Every embedded set with its directory under `tests/fixtures/` (checked
/// against the disk natively; wasm32 has no file system to compare with).
#[cfg(not(target_arch = "wasm32"))]
pub const SETS: &[(&str, &[Fixture])] = &[
    ("hpke", HPKE),
    ("receipts", RECEIPTS),
    ("checkout", CHECKOUT),
    ("decide", DECIDE),
    ("bundles", BUNDLES),
];

/// The contents of `name` in `set`.
pub fn get(set: &[Fixture], name: &str) -> &'static str {
    set.iter()
        .find(|(file, _)| *file == name)
        .map(|(_, text)| *text)
        .unwrap_or_else(|| panic!("fixture {name} is not embedded"))
}

#[cfg(not(target_arch = "wasm32"))]
tests! {
    fn every_fixture_file_is_embedded() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
        for (dir, set) in SETS {
            let mut on_disk: Vec<String> = std::fs::read_dir(root.join(dir))
                .unwrap()
                .map(|e| e.unwrap().file_name().into_string().unwrap())
                .filter(|n| n.ends_with(".json"))
                .collect();
            on_disk.sort();
            let mut embedded: Vec<String> = set.iter().map(|(n, _)| (*n).to_owned()).collect();
            embedded.sort();
            assert_eq!(embedded, on_disk, "tests/wasm/fixtures.rs must list every file in tests/fixtures/{dir}");
        }
    }
}

//! `sign` writes the compiled form pages load next to the signed JSON, and
//! `verify` checks it as the page build does.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "common/cli.rs"]
mod cli;

use cli::*;

#[test]
fn sign_writes_the_form_of_the_bundle_pages_get_and_verify_checks_it() {
    // The demo bundle has a confidential audience: the form is the page edition's.
    let dir = round_trip("cli-form", "20");
    assert!(dir.join("signed.page.json").exists());
    let summary = ok(&dir, &["verify", "--trust", "trust.json", "signed.oeb"]);
    assert!(
        summary.starts_with("verified: partner acme version 1, 20 offers"),
        "{summary}"
    );
    assert!(
        summary.contains("(compiled form); page bundle withholding"),
        "{summary}"
    );
    // v1 (DSSE) carries no manifest to name a form: none is written for it.
    assert!(!dir.join("signed-v1.oeb").exists());

    // One byte more or one byte changed: the signed digest refuses it.
    let form = std::fs::read(dir.join("signed.oeb")).unwrap();
    std::fs::write(dir.join("longer.oeb"), [form.as_slice(), b"x"].concat()).unwrap();
    fails(
        &dir,
        &["verify", "--trust", "trust.json", "longer.oeb"],
        "DIGEST_MISMATCH",
    );
    let mut flipped = form.clone();
    let last = flipped.len() - 1;
    flipped[last] ^= 0x40;
    std::fs::write(dir.join("flipped.oeb"), flipped).unwrap();
    fails(
        &dir,
        &["verify", "--trust", "trust.json", "flipped.oeb"],
        "DIGEST_MISMATCH",
    );

    // --compiled-out puts it elsewhere; stdout without it writes none.
    let sign = sign_args("keys/acme-2026.key", "bundle.json", "again.json");
    ok(&dir, &with(sign, &["--compiled-out", "pages-acme.oeb"]));
    assert_eq!(std::fs::read(dir.join("pages-acme.oeb")).unwrap(), form);
}

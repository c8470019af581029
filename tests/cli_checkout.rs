//! `keygen --kind checkout`, `checkout-token` and `verify-checkout-token`
//! through the real binary: a minted token verifies with the core against
//! the key's public half, lifetimes over an hour are refused, and checkout
//! and bundle signing keys cannot stand in for each other.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use common::cli::{demo_bundle_args, fails, keygen_args, ok, sign_args, tempdir, with};
use offer_edge::attest::{attested_email_hash, verify_checkout_token, CheckoutKeys};
use offer_edge::events::is_uuid_v4;
use offer_edge::time::Timestamp;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;

mod common;

fn read_json(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

/// A checkout key `acme-checkout-1` in `dir/keys`, and the pinned keys file.
fn checkout_key(dir: &Path) -> CheckoutKeys {
    let keygen = keygen_args("acme-checkout-1");
    ok(dir, &with(keygen, &["--kind", "checkout"]));
    let secret = read_json(&dir.join("keys/acme-checkout-1.key"));
    let public = read_json(&dir.join("keys/acme-checkout-1.pub"));
    assert_eq!(secret["kind"], "checkout");
    assert_eq!(secret["keyid"], "acme-checkout-1");
    assert_eq!(public["kind"], "checkout");
    let map = BTreeMap::from([(
        "acme-checkout-1".to_owned(),
        public["publicKey"].as_str().unwrap().to_owned(),
    )]);
    std::fs::write(
        dir.join("checkout-keys.json"),
        serde_json::to_vec(&map).unwrap(),
    )
    .unwrap();
    CheckoutKeys::from_map(&map).unwrap()
}

const NOW: &str = "2026-11-29T12:00:00Z";
const NOW_MS: i64 = 1_795_953_600_000;

/// `checkout-token --key <key> --partner acme`.
fn mint_args(key: &str) -> Vec<&str> {
    vec!["checkout-token", "--key", key, "--partner", "acme"]
}

/// `verify-checkout-token` of `token` for `partner` at `now`, against the
/// pinned `checkout-keys.json`.
fn verify_token_args<'a>(partner: &'a str, now: &'a str, token: &'a str) -> Vec<&'a str> {
    vec![
        "verify-checkout-token",
        "--keys",
        "checkout-keys.json",
        "--partner",
        partner,
        "--now",
        now,
        token,
    ]
}

#[test]
fn a_minted_token_verifies_with_the_core() {
    let dir = tempdir("cli-checkout");
    let keys = checkout_key(&dir);
    let mint = with(
        mint_args("keys/acme-checkout-1.key"),
        &[
            "--order",
            "ORD-1001",
            "--email",
            " Ada@Example.com ",
            "--now",
            NOW,
        ],
    );
    let token = ok(&dir, &mint);
    assert!(token.ends_with('\n'));
    let token = token.trim();
    let verified = verify_checkout_token(token, "acme", &keys, Timestamp(NOW_MS)).unwrap();
    assert_eq!(verified.kid, "acme-checkout-1");
    let c = &verified.claims;
    assert_eq!((c.iss.as_str(), c.ord.as_str()), ("acme", "ORD-1001"));
    assert_eq!(
        c.eh,
        attested_email_hash("acme", "ada@example.com").unwrap()
    );
    assert_eq!(c.sub, None);
    assert_eq!((c.iat, c.exp - c.iat), (NOW_MS / 1000, 15 * 60));
    assert!(is_uuid_v4(&c.jti), "{}", c.jti);
    // A fresh jti per token by default.
    let again = ok(&dir, &mint);
    assert_ne!(again.trim(), token);

    // Options, and the verify command printing the claims.
    let token = ok(
        &dir,
        &[
            &mint[..],
            &[
                "--sub",
                "shopper-42",
                "--ttl",
                "1h",
                "--jti",
                "order-1001-a",
            ],
        ]
        .concat(),
    );
    let printed: Value =
        serde_json::from_str(&ok(&dir, &verify_token_args("acme", NOW, token.trim()))).unwrap();
    assert_eq!(printed["kid"], "acme-checkout-1");
    assert_eq!(printed["sub"], "shopper-42");
    assert_eq!(printed["jti"], "order-1001-a");
    assert_eq!(
        printed["exp"].as_i64().unwrap() - printed["iat"].as_i64().unwrap(),
        3600
    );
    let verify_as = |partner: &str, now: &str, code: &str| {
        fails(&dir, &verify_token_args(partner, now, token.trim()), code);
    };
    verify_as("globex", NOW, "TOKEN_PARTNER_MISMATCH");
    verify_as("acme", "2026-11-29T13:01:00Z", "TOKEN_EXPIRED");
}

#[test]
fn lifetimes_over_an_hour_and_bad_input_are_refused() {
    let dir = tempdir("cli-checkout-refused");
    checkout_key(&dir);
    let mint = |extra: &[&str], code: &str| {
        let base = with(mint_args("keys/acme-checkout-1.key"), &["--now", NOW]);
        fails(&dir, &with(base, extra), code);
    };
    let ada = ["--order", "ORD-1001", "--email", "ada@example.com"];
    mint(&[&ada[..], &["--ttl", "2h"]].concat(), "TOKEN_INVALID");
    mint(&[&ada[..], &["--ttl", "3601s"]].concat(), "TOKEN_INVALID");
    mint(&[&ada[..], &["--ttl", "0s"]].concat(), "TOKEN_INVALID");
    mint(
        &["--order", "ORD-1001", "--email", "a@x.com,b@y.com"],
        "EMAIL_INVALID",
    );
    mint(
        &["--order", "ORD 1", "--email", "ada@example.com"],
        "TOKEN_INVALID",
    );
}

#[test]
fn checkout_and_bundle_keys_do_not_mix() {
    let dir = tempdir("cli-checkout-kinds");
    checkout_key(&dir);
    ok(&dir, &keygen_args("acme-2026"));
    fails(
        &dir,
        &with(
            mint_args("keys/acme-2026.key"),
            &["--order", "ORD-1", "--email", "ada@example.com"],
        ),
        "KEY_INVALID",
    );
    ok(&dir, &demo_bundle_args("3", "bundle.json"));
    fails(
        &dir,
        &sign_args("keys/acme-checkout-1.key", "bundle.json", "signed.json"),
        "KEY_INVALID",
    );
}

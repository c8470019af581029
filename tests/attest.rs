#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Partner checkout tokens against the shared fixtures in
//! `tests/fixtures/checkout/` (also run through the wasm exports by
//! `tests/wasm/attest.rs`, and readable by JS hosts).
//!
//! The fixtures are committed files, written by the generator below from
//! fixed seeds (Ed25519 signatures are deterministic, so the output is
//! stable). `fixtures_are_up_to_date` fails when the committed files differ
//! from what the generator writes; to regenerate after a deliberate change:
//! ```text
//! cargo test --test attest -- --ignored write_fixtures
//! ```

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use ed25519_dalek::{Signer as _, SigningKey};
use hmac::{Hmac, KeyInit, Mac};
use offer_edge::attest::{
    attested_email_hash, mint_checkout_token, verify_checkout_token, CheckoutClaims, CheckoutKeys,
    VerifiedCheckout,
};
use offer_edge::time::Timestamp;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

#[path = "common/checkout_cases.rs"]
mod checkout_cases;
use checkout_cases::EmailCase;

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/checkout");
const REGENERATE: &str = "cargo test --test attest -- --ignored write_fixtures";

/// 2026-11-29T12:00:00Z, the verification time of most cases.
const NOW_MS: i64 = 1_795_953_600_000;
const NOW_S: i64 = NOW_MS / 1000;

/// A fixed test key: the seed is SHA-256 of a label, so anyone can rebuild it.
struct TestKey {
    kid: &'static str,
    partner: &'static str,
    key: SigningKey,
}

fn test_key(kid: &'static str, partner: &'static str) -> TestKey {
    let seed: [u8; 32] = Sha256::digest(format!("offer-edge test checkout key {kid}")).into();
    TestKey {
        kid,
        partner,
        key: SigningKey::from_bytes(&seed),
    }
}

fn acme() -> TestKey {
    test_key("acme-checkout-1", "acme")
}

fn globex() -> TestKey {
    test_key("globex-checkout-1", "globex")
}

fn public_b64(key: &TestKey) -> String {
    STANDARD.encode(key.key.verifying_key().to_bytes())
}

/// `eh` exactly as the contract tells a partner backend to compute it.
fn partner_side_eh(partner: &str, email: &str) -> String {
    let digest = Sha256::digest(format!(
        "offer-edge/eh/v1\n{partner}\n{}",
        email.trim().to_lowercase()
    ));
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

fn claims(partner: &str, iat: i64, ttl: i64, sub: Option<&str>, jti: &str) -> CheckoutClaims {
    CheckoutClaims {
        iss: partner.to_owned(),
        ord: "ORD-1001".to_owned(),
        eh: partner_side_eh(partner, "ada@example.com"),
        sub: sub.map(str::to_owned),
        iat,
        exp: iat + ttl,
        jti: jti.to_owned(),
    }
}

fn b64(json: &str) -> String {
    URL_SAFE_NO_PAD.encode(json)
}

/// A token over raw header JSON and claims, Ed25519-signed with `key`
/// (for the cases our own minter refuses to write).
fn raw_token(header: &str, claims: &CheckoutClaims, key: &SigningKey) -> String {
    let input = format!(
        "{}.{}",
        b64(header),
        b64(&serde_json::to_string(claims).unwrap())
    );
    let signature = key.sign(input.as_bytes());
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature.to_bytes()))
}

/// `token` with one base64url character of its payload changed, chosen so
/// the payload still decodes to JSON from the same issuer: only the
/// signature can object.
fn flip_payload_char(token: &str) -> String {
    let parts: Vec<&str> = token.split('.').collect();
    let payload = parts[1];
    for i in (0..payload.len()).rev() {
        let mut bytes = payload.as_bytes().to_vec();
        bytes[i] = if bytes[i] == b'A' { b'B' } else { b'A' };
        let candidate = String::from_utf8(bytes).unwrap();
        let Ok(json) = URL_SAFE_NO_PAD.decode(&candidate) else {
            continue;
        };
        let Ok(value) = serde_json::from_slice::<serde_json::Value>(&json) else {
            continue;
        };
        if value["iss"] == "acme" {
            return format!("{}.{candidate}.{}", parts[0], parts[2]);
        }
    }
    panic!("no flippable payload character");
}

/// One token case of the fixtures, as written.
type Case = checkout_cases::Case<Expect>;

/// The verified claims (with `kid`), or the error code.
#[derive(Serialize, Deserialize, Debug, PartialEq)]
#[serde(untagged)]
enum Expect {
    Error { error: String },
    Claims(VerifiedCheckout),
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SigningKeyFixture {
    kid: &'static str,
    partner: &'static str,
    /// Standard base64 of the 32-byte Ed25519 seed (the `secretKey` of a
    /// `keygen --kind checkout` file).
    seed: String,
    public_key: String,
}

fn case(description: &str, token: String, now_ms: i64, expect: Expect) -> Case {
    Case {
        description: description.to_owned(),
        token,
        partner: "acme".to_owned(),
        now_ms,
        expect,
    }
}

fn error(code: &str) -> Expect {
    Expect::Error {
        error: code.to_owned(),
    }
}

fn token_cases() -> Vec<Case> {
    let (acme, globex) = (acme(), globex());
    let ok = |kid: &str, claims: &CheckoutClaims| {
        Expect::Claims(VerifiedCheckout {
            kid: kid.to_owned(),
            claims: claims.clone(),
        })
    };
    let header = |alg: &str, kid: &str| format!(r#"{{"alg":"{alg}","kid":"{kid}","typ":"JWT"}}"#);
    let iat = NOW_S - 60;
    let valid = claims("acme", iat, 900, None, "jti-valid-0001");
    let valid_token = mint_checkout_token(&acme.key, acme.kid, &valid).unwrap();
    let with_sub = claims("acme", iat, 900, Some("shopper-ref-42"), "jti-sub-0002");
    let exp_ms = valid.exp * 1000;

    let hs256 = {
        // Key confusion: HMAC keyed with the (public) Ed25519 key bytes.
        let input = format!(
            "{}.{}",
            b64(&header("HS256", acme.kid)),
            b64(&serde_json::to_string(&valid).unwrap())
        );
        let mut mac =
            <Hmac<Sha256> as KeyInit>::new_from_slice(&acme.key.verifying_key().to_bytes())
                .unwrap();
        mac.update(input.as_bytes());
        format!(
            "{input}.{}",
            URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
        )
    };
    let attacker = test_key("attacker-1", "acme").key;
    let jwk_header = format!(
        r#"{{"alg":"EdDSA","kid":"{}","jwk":{{"kty":"OKP","crv":"Ed25519","x":"{}"}}}}"#,
        acme.kid,
        URL_SAFE_NO_PAD.encode(attacker.verifying_key().to_bytes())
    );
    let two_parts = valid_token.rsplit_once('.').unwrap().0.to_owned();
    let unsecured = format!(
        "{}.",
        raw_token(&header("none", acme.kid), &valid, &acme.key)
            .rsplit_once('.')
            .unwrap()
            .0
    );

    vec![
        case("valid", valid_token.clone(), NOW_MS, ok(acme.kid, &valid)),
        case(
            "valid with sub",
            mint_checkout_token(&acme.key, acme.kid, &with_sub).unwrap(),
            NOW_MS,
            ok(acme.kid, &with_sub),
        ),
        case(
            "valid one millisecond before exp + 60 s skew",
            valid_token.clone(),
            exp_ms + 59_999,
            ok(acme.kid, &valid),
        ),
        case(
            "expired: at exp + 60 s skew",
            valid_token.clone(),
            exp_ms + 60_000,
            error("TOKEN_EXPIRED"),
        ),
        case(
            "expired: an hour later",
            valid_token.clone(),
            NOW_MS + 3_600_000,
            error("TOKEN_EXPIRED"),
        ),
        case(
            "another partner's token (iss globex, signed with the globex key)",
            mint_checkout_token(
                &globex.key,
                globex.kid,
                &claims(globex.partner, iat, 900, None, "jti-globex-0003"),
            )
            .unwrap(),
            NOW_MS,
            error("TOKEN_PARTNER_MISMATCH"),
        ),
        case(
            "kid not pinned (acme-checkout-9)",
            mint_checkout_token(&acme.key, "acme-checkout-9", &valid).unwrap(),
            NOW_MS,
            error("TOKEN_KEY_UNKNOWN"),
        ),
        case(
            "bad signature: one payload character flipped",
            flip_payload_char(&valid_token),
            NOW_MS,
            error("TOKEN_INVALID"),
        ),
        case(
            "signed by another key under the pinned kid",
            mint_checkout_token(&globex.key, acme.kid, &valid).unwrap(),
            NOW_MS,
            error("TOKEN_INVALID"),
        ),
        case(
            "alg none, unsecured (empty signature)",
            unsecured,
            NOW_MS,
            error("TOKEN_INVALID"),
        ),
        case(
            "alg none with a signature",
            raw_token(&header("none", acme.kid), &valid, &acme.key),
            NOW_MS,
            error("TOKEN_INVALID"),
        ),
        case(
            "alg HS256 keyed with the public key",
            hs256,
            NOW_MS,
            error("TOKEN_INVALID"),
        ),
        case(
            "lifetime over 1 h (exp - iat = 3601 s)",
            raw_token(
                &header("EdDSA", acme.kid),
                &claims("acme", iat, 3601, None, "jti-long-0004"),
                &acme.key,
            ),
            NOW_MS,
            error("TOKEN_INVALID"),
        ),
        case(
            "iat in the future (now + 120 s)",
            raw_token(
                &header("EdDSA", acme.kid),
                &claims("acme", NOW_S + 120, 600, None, "jti-future-0005"),
                &acme.key,
            ),
            NOW_MS,
            error("TOKEN_INVALID"),
        ),
        case(
            "malformed: two parts",
            two_parts,
            NOW_MS,
            error("TOKEN_INVALID"),
        ),
        case(
            "jwk header (the token brings its own key)",
            raw_token(&jwk_header, &valid, &attacker),
            NOW_MS,
            error("TOKEN_INVALID"),
        ),
        case(
            "crit header",
            raw_token(
                r#"{"alg":"EdDSA","kid":"acme-checkout-1","crit":["exp"]}"#,
                &valid,
                &acme.key,
            ),
            NOW_MS,
            error("TOKEN_INVALID"),
        ),
        case(
            "eh not lower-case hex",
            raw_token(
                &header("EdDSA", acme.kid),
                &CheckoutClaims {
                    eh: valid.eh.to_uppercase(),
                    ..valid.clone()
                },
                &acme.key,
            ),
            NOW_MS,
            error("TOKEN_INVALID"),
        ),
    ]
}

fn email_cases() -> Vec<EmailCase> {
    [
        ("acme", "ada@example.com"),
        ("acme", "  Ada@Example.COM \n"),
        ("acme", "Ada.Lovelace+Perks@Example.co.uk"),
        ("globex", "ada@example.com"),
        ("acme", "JOSÉ@Exämple.de"),
    ]
    .into_iter()
    .map(|(partner, email)| EmailCase {
        partner: partner.to_owned(),
        email: email.to_owned(),
        eh: partner_side_eh(partner, email),
    })
    .collect()
}

fn pretty<T: Serialize>(value: &T) -> String {
    serde_json::to_string_pretty(value).unwrap() + "\n"
}

/// Every generated fixture file: `(name, contents)`.
fn generate() -> Vec<(&'static str, String)> {
    let (acme, globex) = (acme(), globex());
    let signing: Vec<SigningKeyFixture> = [&acme, &globex]
        .into_iter()
        .map(|k| SigningKeyFixture {
            kid: k.kid,
            partner: k.partner,
            seed: STANDARD.encode(k.key.to_bytes()),
            public_key: public_b64(k),
        })
        .collect();
    let pinned = BTreeMap::from([(acme.kid, public_b64(&acme))]);
    vec![
        ("signing-keys.json", pretty(&signing)),
        ("keys.json", pretty(&pinned)),
        ("tokens.json", pretty(&token_cases())),
        ("emails.json", pretty(&email_cases())),
    ]
}

fn committed(name: &str) -> String {
    std::fs::read_to_string(format!("{DIR}/{name}"))
        .unwrap_or_else(|e| panic!("{DIR}/{name}: {e}; run `{REGENERATE}`"))
}

#[test]
#[ignore = "writes tests/fixtures/checkout/; run deliberately"]
fn write_fixtures() {
    std::fs::create_dir_all(DIR).unwrap();
    for (name, text) in generate() {
        std::fs::write(format!("{DIR}/{name}"), text).unwrap();
    }
}

#[test]
fn fixtures_are_up_to_date() {
    for (name, text) in generate() {
        assert!(
            committed(name) == text,
            "{name} differs from the generator; run `{REGENERATE}`"
        );
    }
}

#[test]
fn every_token_case() {
    let keys: CheckoutKeys = serde_json::from_str(&committed("keys.json")).unwrap();
    let cases: Vec<Case> = serde_json::from_str(&committed("tokens.json")).unwrap();
    assert!(cases.len() >= 12);
    for case in &cases {
        let got = match verify_checkout_token(
            &case.token,
            &case.partner,
            &keys,
            Timestamp(case.now_ms),
        ) {
            Ok(verified) => Expect::Claims(verified),
            Err(e) => error(e.code().as_str()),
        };
        assert_eq!(got, case.expect, "{}", case.description);
    }
}

#[test]
fn every_email_vector() {
    let cases: Vec<EmailCase> = serde_json::from_str(&committed("emails.json")).unwrap();
    for case in &cases {
        assert_eq!(
            attested_email_hash(&case.partner, &case.email).unwrap(),
            case.eh,
            "{:?}",
            case.email
        );
    }
    assert_ne!(cases[0].eh, cases[3].eh, "the partner salts the hash");
    assert_eq!(cases[0].eh, cases[1].eh, "trimmed and lower-cased");
}

#[test]
fn the_other_partner_verifies_its_own_token() {
    let globex = globex();
    let keys = CheckoutKeys::from_map(&BTreeMap::from([(
        globex.kid.to_owned(),
        public_b64(&globex),
    )]))
    .unwrap();
    let cases: Vec<Case> = serde_json::from_str(&committed("tokens.json")).unwrap();
    let theirs = cases
        .iter()
        .find(|c| c.description.starts_with("another partner"))
        .unwrap();
    let verified =
        verify_checkout_token(&theirs.token, "globex", &keys, Timestamp(theirs.now_ms)).unwrap();
    assert_eq!(
        (verified.kid.as_str(), verified.claims.iss.as_str()),
        ("globex-checkout-1", "globex")
    );
}

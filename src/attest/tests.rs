#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Corner cases of the token reader that the shared fixtures
//! (`tests/fixtures/checkout/`) do not spell out.

use super::jws::b64url;
use super::*;

const PARTNER: &str = "acme";
const KID: &str = "acme-checkout-1";
const NOW_S: i64 = 1_800_000_000;

fn key() -> SigningKey {
    SigningKey::from_bytes(&[7; 32])
}

fn keys() -> CheckoutKeys {
    let public = base64::Engine::encode(
        &base64::engine::general_purpose::STANDARD,
        key().verifying_key().to_bytes(),
    );
    CheckoutKeys::from_map(&BTreeMap::from([(KID.to_owned(), public)])).unwrap()
}

fn now() -> Timestamp {
    Timestamp(NOW_S * 1000)
}

/// A token over raw header and payload JSON, signed with the test key.
fn raw_token(header: &str, payload: &str) -> String {
    let input = format!(
        "{}.{}",
        b64url(header.as_bytes()),
        b64url(payload.as_bytes())
    );
    let signature = key().sign(input.as_bytes());
    format!("{input}.{}", b64url(&signature.to_bytes()))
}

fn payload_with(iat: &str, exp: &str) -> String {
    format!(
        r#"{{"iss":"acme","ord":"ORD-1","eh":"{}","iat":{iat},"exp":{exp},"jti":"j1"}}"#,
        "ab".repeat(32)
    )
}

const HEADER: &str = r#"{"alg":"EdDSA","kid":"acme-checkout-1"}"#;

fn code(token: &str) -> &'static str {
    match verify_checkout_token(token, PARTNER, &keys(), now()) {
        Ok(_) => "ok",
        Err(e) => e.code().as_str(),
    }
}

fn good_payload() -> String {
    payload_with(&NOW_S.to_string(), &(NOW_S + 600).to_string())
}

#[test]
fn a_well_formed_token_verifies() {
    assert_eq!(code(&raw_token(HEADER, &good_payload())), "ok");
    // Whole numbers written as floats are the same instant to a JS host.
    let floats = payload_with(&format!("{NOW_S}.0"), &format!("{}.0", NOW_S + 600));
    assert_eq!(code(&raw_token(HEADER, &floats)), "ok");
}

#[test]
fn header_tricks_are_refused() {
    for header in [
        r#"{"alg":"EdDSA","alg":"none","kid":"acme-checkout-1"}"#,
        r#"{"alg":"EdDSA","kid":"acme-checkout-1","kid":"other"}"#,
        r#"["EdDSA","acme-checkout-1"]"#,
        r#"{"alg":"EdDSA","kid":"acme-checkout-1","crit":["exp"]}"#,
        r#"{"alg":"EdDSA","kid":"acme-checkout-1","jwk":null}"#,
        r#"{"alg":"EdDSA","kid":"acme-checkout-1","jku":"https://evil.example/k"}"#,
        r#"{"alg":"EdDSA","kid":"acme-checkout-1","x5u":"https://evil.example/c"}"#,
        r#"{"alg":"EdDSA","kid":"acme-checkout-1","x5c":["MIIB"]}"#,
        r#"{"alg":"eddsa","kid":"acme-checkout-1"}"#,
        r#"{"alg":"Ed25519","kid":"acme-checkout-1"}"#,
        r#"{"alg":"EdDSA","kid":""}"#,
        r#"{"alg":"EdDSA","kid":7}"#,
        r#"{"alg":"EdDSA"}"#,
    ] {
        assert_eq!(
            code(&raw_token(header, &good_payload())),
            "TOKEN_INVALID",
            "{header}"
        );
    }
    // typ and other unknown members are ignored.
    let header = r#"{"typ":"JWT","alg":"EdDSA","kid":"acme-checkout-1","cty":"x"}"#;
    assert_eq!(code(&raw_token(header, &good_payload())), "ok");
}

#[test]
fn claim_tricks_are_refused() {
    let eh = "ab".repeat(32);
    let t = |iat: i64, exp: i64| (iat.to_string(), exp.to_string());
    let (iat, exp) = t(NOW_S, NOW_S + 600);
    for payload in [
        format!(r#"{{"iss":"acme","ord":"ORD 1","eh":"{eh}","iat":{iat},"exp":{exp},"jti":"j"}}"#),
        format!(r#"{{"iss":"acme","ord":"","eh":"{eh}","iat":{iat},"exp":{exp},"jti":"j"}}"#),
        format!(
            r#"{{"iss":"acme","ord":"ORD-1","eh":"{}","iat":{iat},"exp":{exp},"jti":"j"}}"#,
            "AB".repeat(32)
        ),
        format!(
            r#"{{"iss":"acme","ord":"ORD-1","eh":"{eh}","sub":"","iat":{iat},"exp":{exp},"jti":"j"}}"#
        ),
        format!(r#"{{"iss":"acme","ord":"ORD-1","eh":"{eh}","iat":{iat},"exp":{exp}}}"#),
        format!(
            r#"{{"iss":"acme","ord":"ORD-1","eh":"{eh}","iat":"{iat}","exp":{exp},"jti":"j"}}"#
        ),
        format!(
            r#"{{"iss":"acme","ord":"ORD-1","eh":"{eh}","iat":{iat}.5,"exp":{exp},"jti":"j"}}"#
        ),
        format!(r#"{{"iss":"acme","ord":"ORD-1","eh":"{eh}","iat":{iat},"exp":{iat},"jti":"j"}}"#),
        format!(r#"{{"iss":"acme","ord":"ORD-1","eh":"{eh}","iat":1e300,"exp":{exp},"jti":"j"}}"#),
        format!(
            r#"{{"iss":"acme","ord":"ORD-1","ord":"ORD-2","eh":"{eh}","iat":{iat},"exp":{exp},"jti":"j"}}"#
        ),
        format!(r#"["acme","ORD-1","{eh}",null,{iat},{exp},"j"]"#),
    ] {
        assert_eq!(
            code(&raw_token(HEADER, &payload)),
            "TOKEN_INVALID",
            "{payload}"
        );
    }
    // Unknown claims are ignored.
    let extra = good_payload().replace("\"jti\"", "\"aud\":[\"x\"],\"nbf\":1,\"jti\"");
    assert_eq!(code(&raw_token(HEADER, &extra)), "ok");
}

#[test]
fn partner_is_checked_before_anything_else_in_the_claims() {
    let other = good_payload().replace("\"acme\"", "\"globex\"");
    assert_eq!(code(&raw_token(HEADER, &other)), "TOKEN_PARTNER_MISMATCH");
    let none = good_payload().replace("\"iss\":\"acme\",", "");
    assert_eq!(code(&raw_token(HEADER, &none)), "TOKEN_PARTNER_MISMATCH");
    // Even with a bad signature and an unknown key.
    let header = r#"{"alg":"EdDSA","kid":"globex-1"}"#;
    let mut forged = raw_token(header, &other);
    forged.replace_range(forged.len() - 4.., "AAAA");
    assert_eq!(code(&forged), "TOKEN_PARTNER_MISMATCH");
}

#[test]
fn time_edges() {
    let skew = CLOCK_SKEW_SECS;
    let at = |iat: i64, exp: i64| {
        code(&raw_token(
            HEADER,
            &payload_with(&iat.to_string(), &exp.to_string()),
        ))
    };
    assert_eq!(at(NOW_S + skew, NOW_S + skew + 10), "ok");
    assert_eq!(at(NOW_S + skew + 1, NOW_S + skew + 10), "TOKEN_INVALID");
    assert_eq!(at(NOW_S - 600, NOW_S - skew + 1), "ok");
    assert_eq!(at(NOW_S - 600, NOW_S - skew), "TOKEN_EXPIRED");
    assert_eq!(at(NOW_S - 100, NOW_S - 100 + MAX_TOKEN_LIFETIME_SECS), "ok");
    assert_eq!(
        at(NOW_S - 100, NOW_S - 99 + MAX_TOKEN_LIFETIME_SECS),
        "TOKEN_INVALID"
    );
}

#[test]
fn compact_shape_is_strict() {
    let good = raw_token(HEADER, &good_payload());
    let (input, sig) = good.rsplit_once('.').unwrap();
    for bad in [
        String::new(),
        input.to_owned(),
        format!("{good}."),
        format!("{input}.{sig}="),
        format!("{input}.{}", sig.replace('-', "+").replace('_', "/") + "+"),
        format!("{input}.."),
        format!("{input}.{sig}{}", "A".repeat(2100)),
    ] {
        assert_eq!(code(&bad), "TOKEN_INVALID", "{bad}");
        assert!(check_token_shape(&bad).is_err(), "{bad}");
    }
    // Well shaped, but the signature is not 64 bytes.
    let short = format!("{input}.{}", &sig[..sig.len() - 2]);
    check_token_shape(&short).unwrap();
    assert_eq!(code(&short), "TOKEN_INVALID");
    check_token_shape(&good).unwrap();
}

#[test]
fn minted_tokens_verify_and_mint_refuses_bad_claims() {
    let claims = CheckoutClaims {
        iss: PARTNER.into(),
        ord: "ORD-1001".into(),
        eh: attested_email_hash(PARTNER, "ada@example.com").unwrap(),
        sub: Some("shopper-ref".into()),
        iat: NOW_S,
        exp: NOW_S + 900,
        jti: "0b7c1e6e-4f7a-4d8e-9a55-3f1d2c0b9e11".into(),
    };
    let token = mint_checkout_token(&key(), KID, &claims).unwrap();
    let verified = verify_checkout_token(&token, PARTNER, &keys(), now()).unwrap();
    assert_eq!(
        verified,
        VerifiedCheckout {
            kid: KID.into(),
            claims: claims.clone()
        }
    );
    let json = serde_json::to_value(&verified).unwrap();
    assert_eq!(json["kid"], KID);
    assert_eq!(json["ord"], "ORD-1001");
    let long = CheckoutClaims {
        exp: NOW_S + 2 * 3600,
        ..claims.clone()
    };
    assert_eq!(
        mint_checkout_token(&key(), KID, &long).unwrap_err().code(),
        ErrorCode::TokenInvalid
    );
    assert_eq!(
        mint_checkout_token(&key(), "", &claims).unwrap_err().code(),
        ErrorCode::TokenInvalid
    );
}

#[test]
fn email_hash_binds_partner_and_normal_form() {
    let a = attested_email_hash("acme", " Ada@Example.COM ").unwrap();
    assert_eq!(a, attested_email_hash("acme", "ada@example.com").unwrap());
    assert_ne!(a, attested_email_hash("globex", "ada@example.com").unwrap());
    check_attested_email("acme", "ADA@example.com", &a).unwrap();
    let err = check_attested_email("acme", "bob@example.com", &a).unwrap_err();
    assert_eq!(err.code(), ErrorCode::EmailMismatch);
    let err = attested_email_hash("acme", "a@x.com,b@y.com").unwrap_err();
    assert_eq!(err.code(), ErrorCode::EmailInvalid);
}

#[test]
fn checkout_keys_refuse_bad_keys() {
    for (kid, b64) in [
        ("k", "AAAA"),
        ("", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="),
        // The identity point: small order, forgeable under weak checks.
        ("k", "AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="),
    ] {
        let map = BTreeMap::from([(kid.to_owned(), b64.to_owned())]);
        assert_eq!(
            CheckoutKeys::from_map(&map).unwrap_err().code(),
            ErrorCode::KeyInvalid,
            "{kid:?} {b64}"
        );
    }
    let public = base64::Engine::encode(
        &base64::engine::general_purpose::STANDARD,
        key().verifying_key().to_bytes(),
    );
    let parsed: CheckoutKeys =
        serde_json::from_str(&format!(r#"{{"acme-checkout-1":"{public}"}}"#)).unwrap();
    assert_eq!(parsed.kids().collect::<Vec<_>>(), ["acme-checkout-1"]);
    assert!(serde_json::from_str::<CheckoutKeys>(r#"{"k":"AAAA"}"#).is_err());
}

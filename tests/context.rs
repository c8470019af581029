#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Checkout context: strict parsing, the one normalization, identifier hashing
//! and the bands ranking uses.

use offer_edge::context::{hash_identifier, normalize, sha256_hex, Context, Field};
use offer_edge::time::Timestamp;
use offer_edge::ErrorCode;

const ADA_SHA256: &str = "b5fc85e55755f9e0d030a10ab4429b6b2944855f9a0d60077fe832becbc41d72";

fn now() -> Timestamp {
    Timestamp::parse_rfc3339("2026-11-29T12:00:00Z").unwrap()
}

#[test]
fn sha256_matches_known_vectors() {
    assert_eq!(
        sha256_hex(b""),
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    );
    assert_eq!(sha256_hex(b"ada@example.com"), ADA_SHA256);
}

#[test]
fn identifiers_hash_after_normalization() {
    assert_eq!(hash_identifier(Field::Email, "ada@example.com"), ADA_SHA256);
    assert_eq!(
        hash_identifier(Field::Email, "  Ada@Example.COM\n"),
        ADA_SHA256
    );
    assert_eq!(
        hash_identifier(Field::Phone, "+1 (555) 010-0199"),
        "90be998a6e4b5bec4f18e14bc56a618ba6dd57100b89276067e3a77ff7140b4a"
    );
    assert_eq!(
        hash_identifier(Field::Phone, "1-555-010-0199"),
        hash_identifier(Field::Phone, "+1 555 010 0199")
    );
}

#[test]
fn normalization_table() {
    for (field, raw, want) in [
        (Field::Email, " Ada@Example.com ", "ada@example.com"),
        (Field::State, " ca ", "CA"),
        (Field::Country, "us", "US"),
        (Field::Currency, "usd", "USD"),
        (Field::ZipCode, " sw1a 1aa ", "SW1A 1AA"),
        (Field::Phone, "+44 20 7946 0958", "442079460958"),
        (Field::CcBin, "4111 11", "411111"),
        (Field::Device, "Mobile", "mobile"),
        (Field::CustomerType, " RETURNING", "returning"),
        (Field::PaymentType, "VISA", "visa"),
        (Field::FirstName, "  Ada ", "Ada"),
        (Field::Language, " en-US ", "en-US"),
    ] {
        assert_eq!(normalize(field, raw), want, "{field}");
    }
}

#[test]
fn parses_a_real_checkout_with_form_strings() {
    let ctx = Context::from_json(
        br#"{"email":" Ada@Example.com ","firstname":"Ada","state":"ca","country":"us",
             "amount":"49.99","quantity":"2","age":"31","paymenttype":"Visa",
             "customertype":"returning","device":"mobile",
             "custom":{"segment":"vip","visits":7}}"#,
    )
    .unwrap();
    assert_eq!(ctx.amount, Some(49.99));
    assert_eq!(ctx.quantity, Some(2));
    assert_eq!(ctx.age, Some(31));
    assert_eq!(ctx.custom["visits"], serde_json::json!(7));
    let n = ctx.normalized();
    assert_eq!(n.email.as_deref(), Some("ada@example.com"));
    assert_eq!(n.emailsha256.as_deref(), Some(ADA_SHA256));
    assert_eq!(n.state.as_deref(), Some("CA"));
    assert_eq!(n.paymenttype.as_deref(), Some("visa"));
}

#[test]
fn numbers_may_be_json_numbers_and_text_may_be_numbers() {
    let ctx = Context::from_json(br#"{"amount":120,"quantity":3,"zipcode":90210}"#).unwrap();
    assert_eq!(ctx.amount, Some(120.0));
    assert_eq!(ctx.zipcode.as_deref(), Some("90210"));
}

#[test]
fn empty_form_values_are_absent() {
    let ctx = Context::from_json(br#"{"amount":"","firstname":"   ","state":null}"#).unwrap();
    assert_eq!(ctx, Context::default());
}

#[test]
fn an_existing_hash_is_kept_not_rederived() {
    let ctx = Context::from_json(
        br#"{"email":"someone@else.com","emailsha256":"B5FC85E55755F9E0D030A10AB4429B6B2944855F9A0D60077FE832BECBC41D72"}"#,
    )
    .unwrap()
    .normalized();
    assert_eq!(ctx.emailsha256.as_deref(), Some(ADA_SHA256));
}

#[test]
fn refuses_what_it_cannot_trust() {
    for json in [
        r#"{"sate":"CA"}"#,
        r#"{"amount":"49,99"}"#,
        r#"{"amount":-5}"#,
        r#"{"quantity":1.5}"#,
        r#"{"age":200}"#,
        r#"{"dob":"1990-02-30"}"#,
        r#"{"emailsha256":"abc"}"#,
        r#"{"state":true}"#,
        r#"{"custom":{"a.b":1}}"#,
        r#"["state"]"#,
        r#"{"state":"CA""#,
    ] {
        let err = Context::from_json(json.as_bytes()).unwrap_err();
        assert_eq!(err.code(), ErrorCode::ContextInvalid, "{json}: {err}");
    }
    let unknown = Context::from_json(br#"{"sate":"CA"}"#).unwrap_err();
    assert!(unknown.message().contains("sate"), "{unknown}");
}

#[test]
fn enforces_size_depth_and_custom_limits() {
    let big = format!(r#"{{"firstname":"{}"}}"#, "a".repeat(17_000));
    assert_eq!(
        Context::from_json(big.as_bytes()).unwrap_err().code(),
        ErrorCode::LimitExceeded
    );
    let deep = format!(
        r#"{{"custom":{{"x":{}1{}}}}}"#,
        "[".repeat(40),
        "]".repeat(40)
    );
    assert_eq!(
        Context::from_json(deep.as_bytes()).unwrap_err().code(),
        ErrorCode::LimitExceeded
    );
    let many: Vec<String> = (0..65).map(|i| format!(r#""k{i}":{i}"#)).collect();
    let json = format!(r#"{{"custom":{{{}}}}}"#, many.join(","));
    assert_eq!(
        Context::from_json(json.as_bytes()).unwrap_err().code(),
        ErrorCode::LimitExceeded
    );
}

#[test]
fn round_trips_through_serde() {
    let ctx =
        Context::from_json(br#"{"state":"CA","amount":49.99,"custom":{"segment":"vip"}}"#).unwrap();
    let text = serde_json::to_string(&ctx).unwrap();
    let back: Context = serde_json::from_str(&text).unwrap();
    assert_eq!(back, ctx);
}

#[test]
fn age_bands_from_age_or_date_of_birth() {
    let band = |json: &str| Context::from_json(json.as_bytes()).unwrap().age_band(now());
    assert_eq!(band(r#"{"age":17}"#), None);
    assert_eq!(band(r#"{"age":18}"#), Some("18-24"));
    assert_eq!(band(r#"{"age":34}"#), Some("25-34"));
    assert_eq!(band(r#"{"age":70}"#), Some("65+"));
    // Turns 35 on 2026-11-30, the day after `now`.
    assert_eq!(band(r#"{"dob":"1991-11-30"}"#), Some("25-34"));
    assert_eq!(band(r#"{"dob":"1991-11-29"}"#), Some("35-44"));
    assert_eq!(band(r#"{}"#), None);
}

#[test]
fn cart_bands_are_half_open() {
    let band = |amount: f64| {
        Context {
            amount: Some(amount),
            ..Context::default()
        }
        .cart_band()
    };
    assert_eq!(band(0.0), Some("0-25"));
    assert_eq!(band(24.99), Some("0-25"));
    assert_eq!(band(25.0), Some("25-50"));
    assert_eq!(band(99.99), Some("50-100"));
    assert_eq!(band(100.0), Some("100-250"));
    assert_eq!(band(250.0), Some("250+"));
    assert_eq!(Context::default().cart_band(), None);
}

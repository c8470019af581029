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

/// Codes and attributes of a context's warnings.
fn warned(ctx: &Context) -> Vec<(&'static str, String)> {
    ctx.warnings
        .list
        .iter()
        .map(|w| (w.code.as_str(), w.attribute.clone()))
        .collect()
}

#[test]
fn drops_what_it_cannot_trust_and_keeps_the_rest() {
    for (json, attribute) in [
        (r#"{"amount":"49,99,9"}"#, "amount"),
        (r#"{"amount":-5}"#, "amount"),
        (r#"{"quantity":1.5}"#, "quantity"),
        (r#"{"age":200}"#, "age"),
        (r#"{"dob":"1990-02-30"}"#, "dob"),
        (r#"{"emailsha256":"abc"}"#, "emailsha256"),
        (r#"{"state":true}"#, "state"),
        (r#"{"custom":{"a.b":1}}"#, "custom.a.b"),
        (r#"{"custom":5}"#, "custom"),
    ] {
        let with_state = json.replacen('{', r#"{"country":"US","#, 1);
        let ctx = Context::from_json(with_state.as_bytes()).unwrap();
        assert_eq!(
            warned(&ctx),
            [("ATTRIBUTE_INVALID", attribute.to_owned())],
            "{json}"
        );
        // The rest of the context stands; the dropped attribute is absent.
        assert_eq!(ctx.country.as_deref(), Some("US"), "{json}");
        let dropped = Field::from_name(attribute).and_then(|f| ctx.get(f));
        assert_eq!(dropped, None, "{json}");
    }
    // A bad later value of a repeated name does not leave the earlier one.
    let twice = Context::from_json(br#"{"amount":5,"amount":"abc"}"#).unwrap();
    assert_eq!(twice.amount, None);
}

#[test]
fn ignores_unknown_attributes_with_a_warning() {
    let ctx = Context::from_json(
        br#"{"billingzipcode":"94107","State":"CA","amount":"$10.00","state":"ny",
             "nested":{"a":[1,2]},"custom":{"segment":"vip"}}"#,
    )
    .unwrap();
    assert_eq!(ctx.amount, Some(10.0));
    assert_eq!(ctx.state.as_deref(), Some("ny"));
    assert_eq!(ctx.custom["segment"], serde_json::json!("vip"));
    assert_eq!(
        warned(&ctx),
        [
            ("ATTRIBUTE_UNKNOWN", "billingzipcode".to_owned()),
            ("ATTRIBUTE_UNKNOWN", "State".to_owned()),
            ("ATTRIBUTE_UNKNOWN", "nested".to_owned()),
        ]
    );
    // No alias: an unknown name never feeds a field.
    assert_eq!(ctx.zipcode, None);
    // The warning travels with the attributes, not in them.
    assert!(ctx.to_value().get("billingzipcode").is_none());
}

#[test]
fn warnings_are_bounded_and_safe_to_show() {
    let mut json = String::from("{");
    for i in 0..50 {
        json.push_str(&format!(r#""x{i}":1,"#));
    }
    let hostile = format!(r"{}\u202e\n", "n".repeat(300));
    json.push_str(&format!(r#""{hostile}":1}}"#));
    let ctx = Context::from_json(json.as_bytes()).unwrap();
    assert_eq!(
        ctx.warnings.list.len(),
        offer_edge::context::MAX_CONTEXT_WARNINGS
    );
    assert_eq!(ctx.warnings.list.len() + ctx.warnings.omitted as usize, 51);
    // The first warnings are kept; a long or hostile name is cut and cleaned.
    let only_hostile = Context::from_json(format!(r#"{{"{hostile}":1}}"#).as_bytes()).unwrap();
    let name = &only_hostile.warnings.list[0].attribute;
    assert!(name.len() <= 67 && name.ends_with('…'), "{name}");
    assert!(!name.contains('\u{202e}') && !name.contains('\n'));
}

#[test]
fn refuses_what_is_not_a_context() {
    for json in [
        r#"["state"]"#,
        r#"{"state":"CA""#,
        "",
        "null",
        r#"{"a":1} {}"#,
    ] {
        let err = Context::from_json(json.as_bytes()).unwrap_err();
        assert_eq!(err.code(), ErrorCode::ContextInvalid, "{json}: {err}");
    }
}

#[test]
fn money_text_reads_by_the_documented_rules() {
    for (text, want) in [
        ("$10.00", Some(10.0)),
        ("USD 1,234.50", Some(1234.5)),
        ("1.234,50 €", Some(1234.5)),
        ("€10", Some(10.0)),
        (" 10 ", Some(10.0)),
        ("49.99", Some(49.99)),
        ("1.234", Some(1.234)),
        ("$1,000", Some(1000.0)),
        ("12,34.5", None),
        ("-5", None),
        ("NaN", None),
        ("Infinity", None),
        ("1e3", None),
        ("10000000000000", None),
    ] {
        let json = serde_json::json!({ "amount": text }).to_string();
        let ctx = Context::from_json(json.as_bytes()).unwrap();
        assert_eq!(ctx.amount, want, "{text:?}");
        assert_eq!(ctx.warnings.is_empty(), want.is_some(), "{text:?}");
    }
    for n in [1e13, -0.5] {
        let ctx = Context::from_json(format!(r#"{{"amount":{n}}}"#).as_bytes()).unwrap();
        assert_eq!((ctx.amount, ctx.warnings.list.len()), (None, 1), "{n}");
    }
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
    // Depth is a bound on the engine, whichever attribute nests: unknown
    // and known names too, on the streaming and the tree path alike.
    for name in ["nickname", "state"] {
        let deep = format!(r#"{{"{name}":{}1{}}}"#, "[".repeat(40), "]".repeat(40));
        assert_eq!(
            Context::from_json(deep.as_bytes()).unwrap_err().code(),
            ErrorCode::LimitExceeded,
            "{name}"
        );
        let tree: serde_json::Value = serde_json::from_str(&deep).unwrap();
        assert_eq!(
            Context::from_value(&tree).unwrap_err().code(),
            ErrorCode::LimitExceeded,
            "{name}"
        );
    }
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

mod hostile {
    use offer_edge::context::money::MAX_MONEY_AMOUNT;
    use offer_edge::context::{Context, MAX_CONTEXT_WARNINGS};
    use proptest::prelude::*;

    /// Text shaped like prices, and not: digits (ASCII and others),
    /// separators, signs, currency marks, letters, direction controls.
    fn money_like() -> impl Strategy<Value = String> {
        proptest::collection::vec(
            prop_oneof![
                4 => proptest::char::range('0', '9'),
                2 => proptest::sample::select(vec![',', '.', ' ', '\'', '\u{A0}', '\u{202F}']),
                1 => proptest::sample::select(vec![
                    '$', '€', '-', '+', 'e', 'E', 'U', 'S', 'D', '\u{200F}', '\u{202E}', '\u{663}',
                    '１', '(', ')', 'N', 'a',
                ]),
            ],
            0..40,
        )
        .prop_map(|chars| chars.into_iter().collect())
    }

    proptest! {
        /// Whatever the text, reading never fails the context and never
        /// yields an amount outside what the rules allow; the streaming and
        /// the tree reader agree.
        #[test]
        fn money_text_never_fails_the_context(text in money_like()) {
            let doc = serde_json::json!({ "amount": text, "state": "CA" });
            let ctx = Context::from_json(doc.to_string().as_bytes()).unwrap();
            prop_assert_eq!(&ctx, &Context::from_value(&doc).unwrap());
            prop_assert_eq!(ctx.state.as_deref(), Some("CA"));
            match ctx.amount {
                Some(n) => prop_assert!(n.is_finite() && (0.0..=MAX_MONEY_AMOUNT).contains(&n)),
                None => prop_assert!(text.trim().is_empty() || ctx.warnings.list.len() == 1),
            }
        }

        /// Any names, any values: a context under the limits reads, its
        /// warnings stay bounded, both readers agree.
        #[test]
        fn any_attributes_read_with_bounded_warnings(
            members in proptest::collection::btree_map("[a-z\u{202e}]{0,12}", any::<i32>(), 0..60)
        ) {
            let doc = serde_json::Value::Object(
                members.iter().map(|(k, v)| (k.clone(), serde_json::json!(v))).collect(),
            );
            let ctx = Context::from_json(doc.to_string().as_bytes()).unwrap();
            prop_assert!(ctx.warnings.list.len() <= MAX_CONTEXT_WARNINGS);
            prop_assert_eq!(&ctx, &Context::from_value(&doc).unwrap());
        }
    }
}

//! Unique coupon codes in the core: a coupon offer names exactly one of a
//! `code` or a code source (`codes`), sources are bounded at validation,
//! the compiled form carries them, no Decision ever shows a unique code
//! (only `unique: true`), and the confirmation email prints the code the
//! edge issued, checked, and only for such an offer.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use offer_edge::bundle::{validate, Action, Bundle, CodeSource, Coupon, CouponCode};
use offer_edge::context::Context;
use offer_edge::decide::{DecideOptions, Engine};
use offer_edge::history::History;
use offer_edge::seal::OpenedFulfilment;
use offer_edge::ErrorCode;
use serde_json::{json, Value};

const URL: &str = "https://freshbox.example/redeem";

fn derived(prefix: &str, length: u8) -> CodeSource {
    CodeSource::Derived {
        prefix: prefix.to_owned(),
        length,
    }
}

fn unique(source: CodeSource) -> Action {
    Action::Coupon(Coupon {
        code: CouponCode::Issued(source),
        url: Some(URL.to_owned()),
    })
}

/// The test bundle with every offer's action set to `action`.
fn bundle_with(action: &Action) -> Bundle {
    let mut b = bundle(PARTNER, 1);
    for o in &mut b.offers {
        o.action = action.clone();
    }
    b
}

fn action_of(json: Value) -> Result<Action, String> {
    serde_json::from_value(json).map_err(|e| e.to_string())
}

#[test]
fn a_coupon_names_exactly_one_of_code_and_codes() {
    let fixed = action_of(json!({"type": "coupon", "code": "FRESH50", "url": URL})).unwrap();
    assert_eq!(
        fixed,
        Action::Coupon(Coupon::fixed("FRESH50", Some(URL.to_owned())))
    );
    let d = action_of(
        json!({"type": "coupon", "codes": {"source": "derived", "prefix": "ACME-", "length": 10}, "url": URL}),
    );
    assert_eq!(d.unwrap(), unique(derived("ACME-", 10)));
    let p =
        action_of(json!({"type": "coupon", "codes": {"source": "pool", "pool": "spring-2026"}}));
    assert_eq!(
        p.unwrap(),
        Action::Coupon(Coupon {
            code: CouponCode::Issued(CodeSource::Pool {
                pool: "spring-2026".to_owned()
            }),
            url: None
        })
    );
    // An attacker's (or a typo's) bundle: both, neither, unknown keys, unknown sources.
    for bad in [
        json!({"type": "coupon", "code": "FRESH50", "codes": {"source": "pool", "pool": "p"}}),
        json!({"type": "coupon", "url": URL}),
        json!({"type": "coupon", "codes": {"source": "pool", "pool": "p", "code": "X"}}),
        json!({"type": "coupon", "codes": {"source": "list", "pool": "p"}}),
        json!({"type": "coupon", "codes": {"source": "derived"}}),
        json!({"type": "coupon", "code": "A", "unique": true}),
    ] {
        assert!(action_of(bad.clone()).is_err(), "{bad} must be refused");
    }
    // Written back as read: `code` or `codes`, never both.
    let back = serde_json::to_value(unique(derived("ACME-", 10))).unwrap();
    assert_eq!(
        back,
        json!({"type": "coupon", "codes": {"source": "derived", "prefix": "ACME-", "length": 10}, "url": URL})
    );
    let back = serde_json::to_value(&fixed).unwrap();
    assert_eq!(
        back,
        json!({"type": "coupon", "code": "FRESH50", "url": URL})
    );
}

#[test]
fn a_bundle_with_both_or_neither_is_refused_as_a_schema_error() {
    let mut doc = serde_json::to_value(bundle(PARTNER, 1)).unwrap();
    doc["offers"][0]["action"] =
        json!({"type": "coupon", "code": "X", "codes": {"source": "pool", "pool": "p"}});
    let err = Engine::from_draft_json(&serde_json::to_vec(&doc).unwrap())
        .err()
        .unwrap();
    assert_eq!(err.code(), ErrorCode::SchemaInvalid, "{err}");
    assert!(
        err.message().contains("exactly one of `code` and `codes`"),
        "{err}"
    );
}

#[test]
fn code_sources_are_bounded_at_validation() {
    for (source, code) in [
        (derived("acme-", 10), ErrorCode::SchemaInvalid), // lower case
        (derived("AC ME", 10), ErrorCode::SchemaInvalid),
        (derived("<b>", 10), ErrorCode::SchemaInvalid),
        (derived("ACME-", 7), ErrorCode::SchemaInvalid), // guessable
        (derived("ACME-", 33), ErrorCode::SchemaInvalid),
        (derived(&"A".repeat(17), 10), ErrorCode::LimitExceeded),
        (
            CodeSource::Pool {
                pool: String::new(),
            },
            ErrorCode::SchemaInvalid,
        ),
        (
            CodeSource::Pool {
                pool: "../other".to_owned(),
            },
            ErrorCode::SchemaInvalid,
        ),
        (
            CodeSource::Pool {
                pool: "p".repeat(129),
            },
            ErrorCode::LimitExceeded,
        ),
    ] {
        let err = validate(&bundle_with(&unique(source.clone()))).err();
        assert_eq!(err.map(|e| e.code()), Some(code), "{source:?}");
    }
    for source in [
        derived("", 8),
        derived("ACME-2026-", 32),
        derived(&"A".repeat(16), 32),
        CodeSource::Pool {
            pool: "spring-2026_v1.2".to_owned(),
        },
    ] {
        validate(&bundle_with(&unique(source.clone())))
            .unwrap_or_else(|e| panic!("{source:?}: {e}"));
    }
    // The static code keeps its old rule.
    let err = validate(&bundle_with(&Action::Coupon(Coupon::fixed("", None))))
        .err()
        .unwrap();
    assert_eq!(err.code(), ErrorCode::SchemaInvalid);
}

fn shopper() -> Context {
    Context::from_json(
        br#"{"firstname":"Sam","email":"sam@example.com","state":"CA","country":"US","amount":"80.00","paymenttype":"visa","device":"mobile","age":41,"loyaltytier":"gold"}"#,
    )
    .unwrap()
}

/// The actions of every offer `engine` shows the test shopper, as JSON, and the whole decision's JSON.
fn decided_actions(engine: &Engine) -> (Vec<Value>, String) {
    let history = History::new(PARTNER);
    let decision = engine
        .decide(
            &shopper(),
            &history,
            now(),
            &[7; 32],
            &DecideOptions::default(),
        )
        .unwrap();
    let text = serde_json::to_string(&decision).unwrap();
    let actions = decision
        .placements
        .iter()
        .flat_map(|p| &p.offers)
        .map(|o| serde_json::to_value(&o.action).unwrap())
        .collect();
    (actions, text)
}

#[test]
fn a_decision_says_unique_and_shows_no_code_or_source() {
    for source in [
        derived("SECRETPFX-", 10),
        CodeSource::Pool {
            pool: "hidden-pool".to_owned(),
        },
    ] {
        let engine = Engine::compile(bundle_with(&unique(source)), &[3; 32]).unwrap();
        let (actions, text) = decided_actions(&engine);
        assert!(!actions.is_empty(), "the test shopper sees offers");
        for a in actions {
            assert_eq!(a, json!({"type": "coupon", "unique": true, "url": URL}));
        }
        for secret in ["SECRETPFX", "hidden-pool", "\"code\"", "codes"] {
            assert!(!text.contains(secret), "{secret} in {text}");
        }
        // The collector learns the source from the bundle, not the page.
        let id = &engine.bundle().offers[0].id;
        assert!(engine.offer_summary(id).unwrap().codes.is_some());
    }
    // A static code is shown as before, with no `unique`.
    let engine = Engine::compile(
        bundle_with(&Action::Coupon(Coupon::fixed("FRESH50", None))),
        &[3; 32],
    )
    .unwrap();
    let (actions, _) = decided_actions(&engine);
    assert_eq!(actions[0], json!({"type": "coupon", "code": "FRESH50"}));
    assert!(engine
        .offer_summary(&engine.bundle().offers[0].id)
        .unwrap()
        .codes
        .is_none());
}

#[test]
fn the_compiled_form_carries_the_code_source() {
    for source in [
        derived("ACME-", 12),
        CodeSource::Pool {
            pool: "spring".to_owned(),
        },
    ] {
        let engine = Engine::compile(bundle_with(&unique(source.clone())), &[3; 32]).unwrap();
        let form = engine.compiled_form();
        let loaded = Engine::from_compiled_form(&form).unwrap();
        assert_eq!(loaded.compiled_form(), form);
        assert_eq!(loaded.bundle().offers[0].action, unique(source));
        assert_eq!(decided_actions(&loaded).1, decided_actions(&engine).1);
    }
}

/// The first offer sends a confirmation email printing `couponCode`.
fn emailing(action: &Action) -> (Engine, OpenedFulfilment) {
    let mut b = bundle_with(action);
    let offer = &mut b.offers[0];
    offer.creative.confirmation_email = Some(Box::new(offer_edge::bundle::ConfirmationEmail {
        required: true,
        subject: "Your code".to_owned(),
        html: "<p>{{#couponCode}}Code: <b>{{couponCode}}</b>{{/couponCode}}{{^couponCode}}No code{{/couponCode}}</p>".to_owned(),
        text: None,
        reminder_after: None,
    }));
    let opened = OpenedFulfilment {
        email: "sam@example.com".to_owned(),
        offer_id: offer.id.clone(),
        decision_id: "d-1".to_owned(),
    };
    (Engine::compile(b, &[3; 32]).unwrap(), opened)
}

#[test]
fn the_email_prints_the_issued_code_and_only_a_well_formed_one() {
    let (engine, opened) = emailing(&unique(derived("ACME-", 10)));
    let mail = engine
        .confirmation_email_with_code(&opened, now(), Some("ACME-7K2M9QX4ZT"))
        .unwrap();
    assert!(
        mail.html.contains("<b>ACME-7K2M9QX4ZT</b>"),
        "{}",
        mail.html
    );
    assert!(
        mail.text.contains("Your code: ACME-7K2M9QX4ZT"),
        "{}",
        mail.text
    );
    // No code issued (an empty pool): no code line, never a placeholder.
    let mail = engine.confirmation_email(&opened, now()).unwrap();
    assert!(
        mail.html.contains("No code") && !mail.text.contains("Your code"),
        "{mail:?}"
    );
    // Markup, over-long or empty codes never print.
    for bad in ["<script>", "A B", "", &"A".repeat(65)] {
        let err = engine
            .confirmation_email_with_code(&opened, now(), Some(bad))
            .err()
            .unwrap();
        assert_eq!(err.code(), ErrorCode::EventInvalid, "{bad:?}");
    }
    // A pool's code of the longest length prints whole (the shape bounds it).
    let (engine, opened) = emailing(&unique(CodeSource::Pool {
        pool: "p".to_owned(),
    }));
    let long = "Z".repeat(64);
    let mail = engine
        .confirmation_email_with_code(&opened, now(), Some(&long))
        .unwrap();
    assert!(
        mail.html.contains(&format!("<b>{long}</b>")),
        "{}",
        mail.html
    );
    // A fixed code is never replaced by a caller's.
    let (engine, opened) = emailing(&Action::Coupon(Coupon::fixed("FRESH50", None)));
    let err = engine
        .confirmation_email_with_code(&opened, now(), Some("OTHER1"))
        .err()
        .unwrap();
    assert_eq!(err.code(), ErrorCode::EventInvalid);
    let mail = engine.confirmation_email(&opened, now()).unwrap();
    assert!(mail.html.contains("<b>FRESH50</b>"));
}

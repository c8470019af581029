//! The compiled form: an engine loaded from `Engine::compiled_form` bytes
//! decides exactly as the engine compiled from JSON (every shared decide
//! fixture, and both editions of the demo bundle), writes the same bytes
//! back (one engine, one encoding), and forged bytes are refused with a
//! code, never a panic.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "common/decide_fixture.rs"]
#[allow(dead_code)] // Its runner compiles its own engine; this suite decides with two.
mod decide_fixture;

use base64::Engine as _;
use offer_edge::bundle::{page_edition, Bundle, Edition, FulfilmentKey};
use offer_edge::context::Context;
use offer_edge::decide::{DecideOptions, Engagement, Engine};
use offer_edge::demo::demo_bundle;
use offer_edge::events::EventType;
use offer_edge::history::History;
use offer_edge::time::Timestamp;
use offer_edge::ErrorCode;
use serde_json::{json, Value};

/// The engine read back from its compiled form, after checking that it
/// writes the very same bytes.
fn reloaded(engine: &Engine) -> Engine {
    let form = engine.compiled_form();
    let loaded = Engine::from_compiled_form(&form).unwrap();
    assert_eq!(loaded.compiled_form(), form, "the form is canonical");
    assert_eq!(loaded.bundle(), engine.bundle());
    assert_eq!(loaded.bundle_sha256(), engine.bundle_sha256());
    assert!(loaded.signers().is_empty());
    loaded
}

/// One fixture case decided by `engine` as `decide_fixture::run_case` does
/// (same time, context, history, seed), with `explain` as given: the
/// serialized decision (or error code), and the eligible offers.
fn decide_case(engine: &Engine, case: &Value, explain: bool) -> (String, String) {
    let decide_fixture::Inputs {
        now,
        context,
        history,
        warning,
        mut options,
        seed,
    } = decide_fixture::inputs(engine, case);
    options.explain |= explain;
    let decision = match engine.decide(&context, &history, now, &seed.to_le_bytes(), &options) {
        Ok(mut d) => {
            d.warnings.extend(warning);
            serde_json::to_string(&d).unwrap()
        }
        Err(e) => format!("error {}", e.code().as_str()),
    };
    let eligible = match engine.eligible_offers(&context, &history, now) {
        Ok(ids) => format!("{ids:?}"),
        Err(e) => format!("error {}", e.code().as_str()),
    };
    (decision, eligible)
}

#[test]
fn every_shared_fixture_decides_byte_identically_from_the_compiled_form() {
    let cases = decide_fixture::cases();
    assert!(cases.len() >= 30);
    for case in &cases {
        let name = case["description"].as_str().unwrap_or("?");
        let engine = Engine::compile(decide_fixture::bundle_for(case), &[7; 32]).unwrap();
        let loaded = reloaded(&engine);
        for explain in [false, true] {
            assert_eq!(
                decide_case(&loaded, case, explain),
                decide_case(&engine, case, explain),
                "{name} (explain {explain})"
            );
        }
        assert_eq!(loaded.info(false), engine.info(false), "{name}");
    }
}

fn fulfilment_key() -> FulfilmentKey {
    FulfilmentKey {
        kid: "fk1".into(),
        public_key: base64::engine::general_purpose::STANDARD.encode([9u8; 32]),
    }
}

fn issued() -> Timestamp {
    Timestamp::parse_rfc3339("2026-06-01T00:00:00Z").unwrap()
}

/// Both editions of the demo bundle: the full one and the page one `sign`
/// writes (confidential audiences withheld), as (JSON bytes, engine).
fn demo_editions(offers: usize, explore: bool) -> Vec<(Vec<u8>, Engine)> {
    let mut bundle = demo_bundle("acme", offers, 7, issued(), fulfilment_key());
    bundle.model.exploration.enabled = explore;
    let json = serde_json::to_vec(&bundle).unwrap();
    let page_json = page_edition(&json, &bundle)
        .unwrap()
        .expect("a page edition");
    [json, page_json]
        .into_iter()
        .map(|json| {
            let bundle: Bundle = serde_json::from_slice(&json).unwrap();
            let engine = Engine::compile(bundle, &[3; 32]).unwrap();
            (json, engine)
        })
        .collect()
}

fn shopper(email: &str, state: &str, device: &str) -> Context {
    Context::from_json(
        format!(
            r#"{{"firstname":"Sam","email":"{email}","state":"{state}","country":"US","amount":"80.00","paymenttype":"visa","device":"{device}","age":41,"loyaltytier":"gold"}}"#
        )
        .as_bytes(),
    )
    .unwrap()
}

#[test]
fn both_demo_editions_decide_byte_identically_from_the_compiled_form() {
    for explore in [false, true] {
        let editions = demo_editions(120, explore);
        assert_eq!(editions[1].1.bundle().edition, Edition::Page);
        assert!(!editions[1].1.info(false).edge_only.is_empty());
        for (_, engine) in &editions {
            let loaded = reloaded(engine);
            assert_eq!(loaded.info(false), engine.info(false));
            let mut history = History::new("acme");
            let some_offer = engine.bundle().offers[3].id.clone();
            for kind in [EventType::Impression, EventType::Decline] {
                let e = Engagement {
                    kind,
                    offer_id: &some_offer,
                };
                engine.record(&mut history, e, issued()).unwrap();
            }
            let now = Timestamp(issued().as_millis() + 3_600_000);
            for (seed, email, state, device) in [
                (1u64, "grace@example.com", "CA", "desktop"),
                (2, "ada@example.com", "NY", "mobile"),
                (3, "nobody@example.com", "TX", "tablet"),
            ] {
                let ctx = shopper(email, state, device);
                for explain in [false, true] {
                    let options = DecideOptions {
                        explain,
                        ..DecideOptions::default()
                    };
                    let decide = |e: &Engine| {
                        let d = e
                            .decide(&ctx, &history, now, &seed.to_le_bytes(), &options)
                            .unwrap();
                        serde_json::to_string(&d).unwrap()
                    };
                    assert_eq!(decide(&loaded), decide(engine));
                }
                assert_eq!(
                    loaded.eligible_offers(&ctx, &history, now).unwrap(),
                    engine.eligible_offers(&ctx, &history, now).unwrap()
                );
            }
        }
    }
}

/// Rules that bound amount, quantity and age: the predicate index's
/// numeric part is derived from the rules on read, so the loaded engine
/// rules out (and finds eligible) exactly the offers the compiled one does.
#[test]
fn numeric_bounds_find_the_same_eligible_offers_from_the_compiled_form() {
    let mut bundle: Value = serde_json::from_str(decide_fixture::BUNDLE_JSON).unwrap();
    let amount = || json!({"var": "amount"});
    let rules = [
        ("mealbox-50", json!({">=": [amount(), 50]})),
        (
            "mealbox-25",
            json!({"and": [{"<": [amount(), 50]}, {"!": {"<": [{"var": "quantity"}, 2]}}]}),
        ),
        (
            "insureco-quote",
            json!({"and": [{">=": [{"var": "age"}, 21]}, {"<=": [{"var": "age"}, 65]}]}),
        ),
        // Empty: never eligible.
        (
            "charity-roundup",
            json!({"and": [{">=": [amount(), 100]}, {"<": [amount(), 50]}]}),
        ),
        ("fintech-card", json!({"<": [0, amount()]})),
    ];
    for offer in bundle["offers"].as_array_mut().unwrap() {
        if let Some((_, rule)) = rules.iter().find(|(id, _)| offer["id"] == *id) {
            offer["eligibility"] = rule.clone();
        }
    }
    let engine = Engine::compile(serde_json::from_value(bundle).unwrap(), &[11; 32]).unwrap();
    let loaded = reloaded(&engine);
    let ids = |e: &Engine, ctx: &Context| -> Vec<String> {
        let now = Timestamp::parse_rfc3339("2026-11-15T12:00:00Z").unwrap();
        let history = History::new(e.partner());
        let eligible = e.eligible_offers(ctx, &history, now).unwrap();
        let offers = &e.bundle().offers;
        eligible
            .iter()
            .map(|&i| offers[i as usize].id.clone())
            .collect()
    };
    let with_rules = |ids: Vec<String>| -> Vec<String> {
        ids.into_iter()
            .filter(|id| rules.iter().any(|(r, _)| r == id))
            .collect()
    };
    let mut seen = std::collections::BTreeSet::new();
    for amount in [
        "",
        r#""amount":"0","#,
        r#""amount":"49.99","#,
        r#""amount":"50","#,
        r#""amount":120,"#,
    ] {
        for quantity in ["", r#""quantity":1,"#, r#""quantity":2,"#] {
            for age in [
                "",
                r#""age":20,"#,
                r#""age":21,"#,
                r#""age":65,"#,
                r#""age":66,"#,
            ] {
                let json = format!(r#"{{{amount}{quantity}{age}"state":"CA"}}"#);
                let ctx = Context::from_json(json.as_bytes()).unwrap();
                let eligible = ids(&engine, &ctx);
                assert_eq!(ids(&loaded, &ctx), eligible, "{json}");
                seen.insert(with_rules(eligible));
            }
        }
    }
    // Spot checks: each bound decides.
    let ctx = |json: &str| Context::from_json(json.as_bytes()).unwrap();
    assert_eq!(
        with_rules(ids(
            &loaded,
            &ctx(r#"{"amount":"50","quantity":3,"age":30}"#)
        )),
        ["mealbox-50", "insureco-quote", "fintech-card"]
    );
    assert_eq!(
        with_rules(ids(
            &loaded,
            &ctx(r#"{"amount":"49.99","quantity":2,"age":66}"#)
        )),
        ["mealbox-25", "fintech-card"]
    );
    assert_eq!(with_rules(ids(&loaded, &ctx("{}"))), Vec::<String>::new());
    assert!(seen.len() >= 6, "{seen:?}");
}

/// Decides with an engine that a forged form still produced: whatever it
/// holds, deciding must not panic either.
fn exercise(engine: &Engine) {
    let ctx = shopper("grace@example.com", "CA", "mobile");
    for explain in [false, true] {
        let options = DecideOptions {
            explain,
            ..DecideOptions::default()
        };
        let _ = engine.decide(&ctx, &History::new("acme"), issued(), &[1; 16], &options);
    }
}

fn refused_or_loaded(bytes: &[u8]) {
    match Engine::from_compiled_form(bytes) {
        Ok(engine) => exercise(&engine),
        Err(e) => assert_eq!(e.code(), ErrorCode::PayloadMalformed, "{e}"),
    }
}

/// A small real form: the shared fixture bundle (two audiences, one per
/// filter width; rules, templates, a model).
fn fixture_form() -> Vec<u8> {
    let bundle: Bundle = serde_json::from_str(decide_fixture::BUNDLE_JSON).unwrap();
    Engine::compile(bundle, &[5; 32]).unwrap().compiled_form()
}

#[test]
fn every_truncation_is_refused() {
    let form = fixture_form();
    for len in 0..form.len() {
        let err = Engine::from_compiled_form(&form[..len]).unwrap_err();
        assert_eq!(err.code(), ErrorCode::PayloadMalformed, "{len}: {err}");
    }
    let mut longer = form.clone();
    longer.push(0);
    let err = Engine::from_compiled_form(&longer).unwrap_err();
    assert_eq!(err.code(), ErrorCode::PayloadMalformed);
}

#[test]
fn single_byte_flips_give_an_engine_or_a_code_never_a_panic() {
    let form = fixture_form();
    for at in 0..form.len() {
        for flip in [0x01u8, 0x80, 0xff] {
            let mut forged = form.clone();
            forged[at] ^= flip;
            refused_or_loaded(&forged);
        }
    }
}

#[test]
fn a_wrong_magic_or_version_is_refused() {
    let form = fixture_form();
    assert_eq!(&form[..4], b"OEB\x04");
    // Versions 1 (templates with names), 2 (audiences without licences) and
    // 3 (bundles without a time zone) are as foreign as any other.
    for (at, value) in [(0, b'X'), (2, b'b'), (3, 0), (3, 1), (3, 2), (3, 3), (3, 5)] {
        let mut forged = form.clone();
        forged[at] = value;
        let err = Engine::from_compiled_form(&forged).unwrap_err();
        assert_eq!(err.code(), ErrorCode::PayloadMalformed);
    }
    for junk in [&b""[..], b"OEB", b"{\"schema\":1}"] {
        let err = Engine::from_compiled_form(junk).unwrap_err();
        assert_eq!(err.code(), ErrorCode::PayloadMalformed);
    }
}

#[test]
fn print_the_form_size_next_to_the_json() {
    // Not asserted: the figures for the record (`--nocapture`).
    for offers in [50, 1_000] {
        for (json, engine) in demo_editions(offers, false) {
            let form = engine.compiled_form();
            println!(
                "demo bundle, {offers} offers, {:?} edition: JSON {} bytes, compiled form {} bytes ({:.0} %)",
                engine.bundle().edition,
                json.len(),
                form.len(),
                100.0 * form.len() as f64 / json.len() as f64
            );
        }
    }
}

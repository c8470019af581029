//! The shared decision fixtures (`tests/fixtures/decide/cases.json`) on
//! wasm32: the very runner the native suite uses (`#[path]`), so Node and
//! Chromium check the same winners, reasons, HTML and warnings.

#[path = "../common/decide_fixture.rs"]
pub mod decide_fixture;

tests! {
    fn every_shared_decide_case_holds() {
        let cases = decide_fixture::cases();
        assert!(cases.len() >= 30, "only {} cases", cases.len());
        for case in &cases {
            decide_fixture::run_case(case);
        }
    }
}

mod eligible {
    use super::decide_fixture::{bundle_for, cases};
    use base64::Engine as _;
    use offer_edge::context::Context;
    use offer_edge::decide::{DecideOptions, Engagement, Engine, Reason, Verdict};
    use offer_edge::history::History;
    use offer_edge::time::Timestamp;
    use serde_json::Value;
    use std::collections::BTreeSet;

    fn ts(v: &Value) -> Timestamp {
        Timestamp::parse_rfc3339(v.as_str().expect("time")).expect("RFC 3339")
    }

    /// The case's engine, context, history and `now`.
    fn setup(case: &Value) -> (Engine, Context, History, Timestamp) {
        let engine = Engine::compile(bundle_for(case), &[0u8; 32]).expect("compile");
        let now = ts(&case["now"]);
        let context = Context::from_value(&case["context"]).expect("context");
        let mut history = match case.get("historyBlob").and_then(Value::as_str) {
            Some(b64) => {
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(b64)
                    .expect("base64");
                History::decode(&bytes, engine.partner(), now).0
            }
            None => History::new(engine.partner()),
        };
        for entry in case["history"].as_array().into_iter().flatten() {
            let kind = serde_json::from_value(entry["kind"].clone()).expect("kind");
            let offer_id = entry["offerId"].as_str().expect("offerId");
            let engagement = Engagement { kind, offer_id };
            engine
                .record(&mut history, engagement, ts(&entry["at"]))
                .expect("record");
        }
        (engine, context, history, now)
    }

    tests! {
        fn eligible_offers_are_what_explain_calls_eligible_in_every_case() {
            let explain = DecideOptions { explain: true, ..DecideOptions::default() };
            for case in cases().iter().filter(|c| c["expect"].get("error").is_none()) {
                let name = case["description"].as_str().unwrap_or("?");
                let (engine, context, history, now) = setup(case);
                let d = engine.decide(&context, &history, now, &[1; 8], &explain).expect(name);
                let expected: BTreeSet<&str> = d
                    .explanations
                    .iter()
                    .filter(|e| {
                        e.verdict != Verdict::Ineligible
                            || matches!(e.reason, Reason::ShownInOtherPlacement { .. })
                    })
                    .map(|e| e.offer_id.as_str())
                    .collect();
                let offers = &engine.bundle().offers;
                let got: Vec<&str> = engine
                    .eligible_offers(&context, &history, now)
                    .unwrap()
                    .iter()
                    .map(|&i| offers[i as usize].id.as_str())
                    .collect();
                let in_order: Vec<&str> =
                    offers.iter().map(|o| o.id.as_str()).filter(|id| expected.contains(id)).collect();
                assert_eq!(got, in_order, "{name}");
            }
        }
    }
}

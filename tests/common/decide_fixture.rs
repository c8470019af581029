//! Runs the shared decision fixtures (`tests/fixtures/decide/cases.json`)
//! against the engine. Included by the native suite and the wasm-bindgen
//! suite alike (`#[path]`), so both runtimes check the same expectations.

use base64::Engine as _;
use offer_edge::bundle::Bundle;
use offer_edge::context::Context;
use offer_edge::decide::{DecideOptions, Decision, Engagement, Engine, TimedEngagement};
use offer_edge::events::EventType;
use offer_edge::history::History;
use offer_edge::time::Timestamp;
use serde_json::{Map, Value};

/// The shared base bundle.
pub const BUNDLE_JSON: &str = include_str!("../fixtures/decide/bundle.json");
/// The shared cases.
pub const CASES_JSON: &str = include_str!("../fixtures/decide/cases.json");

fn merge_patch(target: &mut Value, patch: &Value) {
    match (target, patch) {
        (Value::Object(t), Value::Object(p)) => {
            for (k, v) in p {
                if v.is_null() {
                    t.remove(k);
                } else {
                    merge_patch(t.entry(k.clone()).or_insert(Value::Null), v);
                }
            }
        }
        (t, p) => *t = p.clone(),
    }
}

/// The case's bundle: the base bundle with `bundlePatch` (RFC 7386 merge
/// patch) and `offersPatch` (offer id → fields that replace the offer's
/// fields wholesale, so a new `eligibility` replaces the old rule) applied.
pub fn bundle_for(case: &Value) -> Bundle {
    let mut bundle: Value = serde_json::from_str(BUNDLE_JSON).expect("bundle.json");
    if let Some(patch) = case.get("bundlePatch") {
        merge_patch(&mut bundle, patch);
    }
    if let Some(Value::Object(patches)) = case.get("offersPatch") {
        for offer in bundle["offers"].as_array_mut().expect("offers") {
            if let (Some(Value::Object(fields)), Value::Object(target)) = (
                patches.get(offer["id"].as_str().unwrap_or_default()),
                &mut *offer,
            ) {
                for (k, v) in fields {
                    target.insert(k.clone(), v.clone());
                }
            }
        }
    }
    serde_json::from_value(bundle).expect("case bundle parses")
}

fn ts(v: &Value) -> Timestamp {
    Timestamp::parse_rfc3339(v.as_str().expect("time string")).expect("RFC 3339")
}

fn event_type(s: &str) -> EventType {
    serde_json::from_value(Value::String(s.into())).expect("event type")
}

/// The case's stored `historyBlob`, if it has one.
pub fn history_blob(case: &Value) -> Option<Vec<u8>> {
    case.get("historyBlob").and_then(Value::as_str).map(|b64| {
        base64::engine::general_purpose::STANDARD
            .decode(b64)
            .expect("historyBlob base64")
    })
}

/// The case's `history` engagements, in the order listed.
pub fn history_entries(case: &Value) -> Vec<TimedEngagement<'_>> {
    case.get("history")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|entry| TimedEngagement {
            engagement: Engagement {
                kind: event_type(entry["kind"].as_str().expect("kind")),
                offer_id: entry["offerId"].as_str().expect("offerId"),
            },
            at: ts(&entry["at"]),
        })
        .collect()
}

/// What a case decides with: its time, context, history (and the stored
/// blob's warning, if any), options and seed.
pub struct Inputs {
    pub now: Timestamp,
    pub context: Context,
    pub history: History,
    pub warning: Option<offer_edge::history::HistoryWarning>,
    pub options: DecideOptions,
    pub seed: u64,
}

/// Reads a case's inputs; its `history` engagements are replayed by `engine`
/// (so the history keys are that engine's).
pub fn inputs(engine: &Engine, case: &Value) -> Inputs {
    let name = case["description"].as_str().unwrap_or("?");
    let now = ts(&case["now"]);
    let context =
        Context::from_value(&case["context"]).unwrap_or_else(|e| panic!("{name}: context: {e}"));
    let (mut history, warning) = match history_blob(case) {
        Some(bytes) => History::decode(&bytes, engine.partner(), now),
        None => (History::new(engine.partner()), None),
    };
    engine
        .replay(&mut history, &history_entries(case))
        .unwrap_or_else(|e| panic!("{name}: replay: {e}"));
    let options: DecideOptions = case
        .get("options")
        .map(|o| serde_json::from_value(o.clone()).expect("options"))
        .unwrap_or_default();
    Inputs {
        now,
        context,
        history,
        warning,
        options,
        seed: case["seed"].as_u64().unwrap_or(1),
    }
}

/// Runs one case; returns the decision (none when an error was expected).
pub fn run_case(case: &Value) -> Option<Decision> {
    let name = case["description"].as_str().unwrap_or("?");
    let engine = Engine::compile(bundle_for(case), &[0u8; 32])
        .unwrap_or_else(|e| panic!("{name}: compile: {e}"));
    let Inputs {
        now,
        context,
        history,
        warning,
        options,
        seed,
    } = inputs(&engine, case);
    let expect = &case["expect"];
    let result = engine.decide(&context, &history, now, &seed.to_le_bytes(), &options);
    if let Some(code) = expect.get("error").and_then(Value::as_str) {
        let err = result
            .err()
            .unwrap_or_else(|| panic!("{name}: expected error {code}"));
        assert_eq!(err.code().as_str(), code, "{name}");
        return None;
    }
    let mut decision = result.unwrap_or_else(|e| panic!("{name}: decide: {e}"));
    decision.warnings.extend(warning);
    check(name, expect, &decision);
    Some(decision)
}

fn check(name: &str, expect: &Value, decision: &Decision) {
    let json = serde_json::to_value(decision).expect("decision serializes");
    for (placement, winners) in expect
        .get("winners")
        .and_then(Value::as_object)
        .unwrap_or(&Map::new())
    {
        let got: Vec<&str> = decision
            .placements
            .iter()
            .find(|p| &p.id == placement)
            .unwrap_or_else(|| panic!("{name}: no placement {placement}"))
            .offers
            .iter()
            .map(|o| o.offer_id.as_str())
            .collect();
        let want: Vec<&str> = winners
            .as_array()
            .expect("winners")
            .iter()
            .filter_map(Value::as_str)
            .collect();
        assert_eq!(got, want, "{name}: winners of {placement}");
    }
    for (key, field) in [("reasons", "kind"), ("messages", "message")] {
        for (placement, offers) in expect
            .get(key)
            .and_then(Value::as_object)
            .unwrap_or(&Map::new())
        {
            for (offer, want) in offers.as_object().expect("reasons by offer") {
                let e = decision
                    .explanations
                    .iter()
                    .find(|e| &e.placement == placement && &e.offer_id == offer)
                    .unwrap_or_else(|| panic!("{name}: no explanation for {offer} in {placement}"));
                let got = if field == "kind" {
                    serde_json::to_value(&e.reason).expect("reason")["kind"]
                        .as_str()
                        .unwrap_or_default()
                        .to_string()
                } else {
                    e.message.clone()
                };
                let want = want.as_str().expect("string");
                assert!(
                    if field == "kind" {
                        got == want
                    } else {
                        got.contains(want)
                    },
                    "{name}: {offer} in {placement}: {field} {got:?}, want {want:?}"
                );
            }
        }
    }
    for (placement, needles) in expect
        .get("htmlContains")
        .and_then(Value::as_object)
        .unwrap_or(&Map::new())
    {
        let html = &decision
            .placements
            .iter()
            .find(|p| &p.id == placement)
            .expect("placement")
            .html;
        for needle in needles
            .as_array()
            .expect("strings")
            .iter()
            .filter_map(Value::as_str)
        {
            assert!(
                html.contains(needle),
                "{name}: {placement} html lacks {needle:?}: {html}"
            );
        }
    }
    if let Some(codes) = expect.get("warnings").and_then(Value::as_array) {
        let got: Vec<String> = json["warnings"]
            .as_array()
            .map(|w| {
                w.iter()
                    .filter_map(|w| w["code"].as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default();
        let want: Vec<String> = codes
            .iter()
            .filter_map(|c| c.as_str().map(String::from))
            .collect();
        assert_eq!(got, want, "{name}: warnings");
    }
    if let Some(true) = expect.get("explainsEveryOffer").and_then(Value::as_bool) {
        for p in &decision.placements {
            let n = decision
                .explanations
                .iter()
                .filter(|e| e.placement == p.id)
                .count();
            assert_eq!(n, 8, "{name}: every offer explained in {}", p.id);
            assert!(decision.explanations.iter().all(|e| !e.message.is_empty()));
        }
    }
}

/// All cases.
pub fn cases() -> Vec<Value> {
    serde_json::from_str::<Value>(CASES_JSON).expect("cases.json")["cases"]
        .as_array()
        .expect("cases")
        .clone()
}

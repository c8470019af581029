//! Rule budgets and the json-logic-js conformance fixes on wasm32, where a
//! runaway rule would grow linear memory for good: the self-merging
//! `reduce` is refused at compile, values over the size limits stop their
//! rule with `RULE_BUDGET`, and `evaluateRule` reports both as
//! `OfferEdgeError`s.

use offer_edge::rules::{compile, CompileEnv, DataModel, FixedEnv};
use offer_edge::time::Timestamp;
use serde_json::{json, Value};

fn apply(rule: &Value, data: &Value) -> Result<Value, String> {
    let none = |_: &str| None;
    let env = CompileEnv {
        offer_id: "wasm",
        audience_index: &none,
        data: DataModel::Json,
    };
    compile(rule, &env)
        .and_then(|c| c.apply(data, &FixedEnv::at(Timestamp(0))))
        .map_err(|e| e.code().as_str().to_string())
}

fn self_merging_reduce(n: usize) -> Value {
    let items: Vec<usize> = (0..n).collect();
    let acc = json!({"var": "accumulator"});
    json!({"reduce": [items, {"reduce": [items, {"merge": [acc, acc]}, acc]}, [1]]})
}

tests! {
    fn runaway_rules_are_refused_or_stopped() {
        assert_eq!(apply(&self_merging_reduce(24), &json!({})), Err("RULE_INVALID".into()));
        let acc = json!({"var": "accumulator"});
        let doubling = json!({"reduce": [{"var": "xs"}, {"cat": [acc, acc]}, "x"]});
        let data = json!({"xs": (0..40).collect::<Vec<_>>()});
        assert_eq!(apply(&doubling, &data), Err("RULE_BUDGET".into()));
        // Under the limits the same rule has its value.
        let short = json!({"xs": [1, 2, 3]});
        assert_eq!(apply(&doubling, &short), Ok(json!("xxxxxxxx")));
    }

    fn json_logic_js_semantics_hold_on_wasm32() {
        assert_eq!(apply(&json!({">=": [1, {"or": []}]}), &json!({})), Ok(json!(false)));
        assert_eq!(apply(&json!({"substr": ["jsonlogic", 0, -3.5]}), &json!({})), Ok(json!("jsonl")));
    }
}

#[cfg(all(target_arch = "wasm32", feature = "wasm"))]
mod binding {
    use super::self_merging_reduce;
    use crate::js::code_of as code;
    use offer_edge::wasm::evaluate_rule;
    use wasm_bindgen::JsValue;

    fn text(s: &str) -> JsValue {
        JsValue::from_str(s)
    }

    tests! {
        fn evaluate_rule_is_the_core_rule_engine() {
            let out = evaluate_rule(text(r#"{">=":[1,{"or":[]}]}"#), text("{}")).unwrap();
            assert_eq!(out.as_bool(), Some(false));
            let out = evaluate_rule(text(r#"{"substr":["jsonlogic",0,-3.5]}"#), text("{}")).unwrap();
            assert_eq!(out.as_string().as_deref(), Some("jsonl"));
            // Objects work as well as JSON text.
            let rule = js_sys::JSON::parse(r#"{"var":"a.b"}"#).unwrap();
            let data = js_sys::JSON::parse(r#"{"a":{"b":[1,2]}}"#).unwrap();
            let out = evaluate_rule(rule, data).unwrap();
            assert_eq!(js_sys::JSON::stringify(&out).unwrap().as_string().as_deref(), Some("[1,2]"));
            let thrown = evaluate_rule(text(&self_merging_reduce(24).to_string()), text("{}")).unwrap_err();
            assert_eq!(code(&thrown), "RULE_INVALID");
            let doubling = r#"{"reduce":[{"var":"xs"},{"cat":[{"var":"accumulator"},{"var":"accumulator"}]},"x"]}"#;
            let thrown = evaluate_rule(text(doubling), text(r#"{"xs":[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20]}"#)).unwrap_err();
            assert_eq!(code(&thrown), "RULE_BUDGET");
            let thrown = evaluate_rule(text(r#"{"nope":[]}"#), JsValue::UNDEFINED).unwrap_err();
            assert_eq!(code(&thrown), "RULE_INVALID");
        }
    }
}

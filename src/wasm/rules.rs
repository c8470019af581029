//! `evaluateRule`: one JSONLogic rule applied to JSON data by the core's own
//! compiler and evaluator ([`crate::rules`]), for conformance checks against
//! json-logic-js and for rule previews. Conversion only: no logic here.

use super::{from_js, to_js, JsResult};
use crate::error::ErrorCode;
use crate::rules::{compile, CompileEnv, DataModel, FixedEnv};
use crate::time::Timestamp;
use serde_json::Value;
use wasm_bindgen::prelude::*;

/// JSON text of a JS value, or the string itself when it is one (so JSON
/// that `JSON.stringify` would alter, like `-0`, crosses unchanged).
fn json_of(value: &JsValue, code: ErrorCode, what: &str) -> Result<Value, crate::Error> {
    match value.as_string() {
        Some(text) => serde_json::from_str(&text)
            .map_err(|e| crate::Error::new(code, format!("{what} is not JSON: {e}"))),
        None => from_js(value, code, what),
    }
}

/// Applies the JSONLogic `rule` to `data` (each an object or its JSON text)
/// exactly as an offer's eligibility rule is evaluated, but over plain JSON
/// (any `var` path; `in_audience` names no audience; `history_count` is 0;
/// `local_hour`/`local_weekday` read 1970-01-01T00:00Z). A conformance and
/// preview helper: decisions never call it. JSON has no `undefined` and no
/// non-finite numbers: those results come back as `null`, as
/// `JSON.stringify` writes them.
///
/// Throws an `OfferEdgeError` with `code` `RULE_INVALID` (the rule does not
/// compile, see docs/RULES.md) or `RULE_BUDGET` (it ran out of its
/// evaluation budget).
///
/// @example
/// ```js
/// evaluateRule({ ">=": [{ var: "amount" }, 50] }, { amount: 64.5 }); // true
/// evaluateRule('{"substr":["jsonlogic",0,-3.5]}', "{}"); // "jsonl"
/// ```
///
/// # Errors
/// As above, as a thrown JS `Error`.
#[wasm_bindgen(js_name = evaluateRule)]
pub fn evaluate_rule(
    #[wasm_bindgen(unchecked_param_type = "object | string")] rule: JsValue,
    #[wasm_bindgen(unchecked_param_type = "unknown")] data: JsValue,
) -> JsResult<JsValue> {
    let rule = json_of(&rule, ErrorCode::RuleInvalid, "rule")?;
    let data = if data.is_undefined() {
        Value::Null
    } else {
        json_of(&data, ErrorCode::ContextInvalid, "data")?
    };
    let none = |_: &str| None;
    let env = CompileEnv {
        offer_id: "evaluateRule",
        audience_index: &none,
        data: DataModel::Json,
    };
    let value = compile(&rule, &env)?.apply(&data, &FixedEnv::at(Timestamp(0)))?;
    to_js(&value)
}

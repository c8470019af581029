#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The JSONLogic conformance table (`tests/fixtures/jsonlogic-tests.json`,
//! `[rule, data, expected]` triples in jsonlogic.com's suite format), run
//! through compile + apply over plain JSON data.

mod common;

use common::assert_no_failures;
use offer_edge::rules::{compile, CompileEnv, DataModel, FixedEnv};
use offer_edge::time::Timestamp;
use serde_json::Value;

#[test]
fn every_case_of_the_conformance_table_passes() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/jsonlogic-tests.json"
    ))
    .unwrap();
    let cases: Vec<Value> = serde_json::from_str(&text).unwrap();
    let no_audiences = |_: &str| None;
    let env = CompileEnv {
        offer_id: "conformance",
        audience_index: &no_audiences,
        data: DataModel::Json,
    };
    let rule_env = FixedEnv::at(Timestamp(0));
    let mut section = String::new();
    let mut failures = Vec::new();
    let mut ran = 0;
    for case in &cases {
        let Value::Array(triple) = case else {
            section = case.as_str().unwrap_or_default().to_owned();
            continue;
        };
        let [rule, data, expected] = triple.as_slice() else {
            panic!("malformed case {case}");
        };
        ran += 1;
        match compile(rule, &env) {
            Ok(compiled) => {
                let got = compiled.apply(data, &rule_env).unwrap();
                if &got != expected {
                    failures.push(format!(
                        "{section}: {rule} on {data}: got {got}, want {expected}"
                    ));
                }
            }
            Err(e) => failures.push(format!("{section}: {rule}: {e}")),
        }
    }
    assert!(ran > 200, "only {ran} cases ran");
    assert_no_failures(&failures);
}

/// Cases where this engine once differed from json-logic-js 2.0.5, with
/// json-logic-js's answers (a top-level `undefined` written as `null`).
/// `tests/js/rules-differential.test.js` checks 24,000 random rules the
/// same way against the library itself.
#[test]
fn json_logic_js_differences_are_gone() {
    let no_audiences = |_: &str| None;
    let env = CompileEnv {
        offer_id: "conformance",
        audience_index: &no_audiences,
        data: DataModel::Json,
    };
    let cases = serde_json::json!([
        // An empty `and`/`or` is `undefined`: NaN as a number, "undefined"
        // as text, `== null` but not `=== null`, and absent for `-` and `<`.
        [{">=": [1, {"or": []}]}, {}, false],
        [{"<": [{"and": []}, 1]}, {}, false],
        [{"==": [null, {"and": []}]}, {}, true],
        [{"===": [null, {"and": []}]}, {}, false],
        [{"-": [5, {"or": []}]}, {}, -5],
        [{"<": [1, 2, {"and": []}]}, {}, true],
        [{"substr": ["jsonlogic", 2, {"and": []}]}, {}, "onlogic"],
        [{"cat": [{"and": []}, "|", {"in": [{"or": []}, "xundefinedx"]}]}, {}, "|true"],
        [{"var": ["x", {"and": []}]}, {}, null],
        [{"reduce": [[1, 2], {"var": "accumulator"}, {"and": []}]}, {}, null],
        // A fractional negative substr length is added, then truncated.
        [{"substr": ["jsonlogic", 0, -3.5]}, {}, "jsonl"],
        [{"substr": ["jsonlogic", 1.5, -0.5]}, {}, "sonlogi"],
        // -0: parseFloat never returns it; Math.min/max order it below 0.
        [{"<": [{"/": [1, {"+": [{"*": [-1, 0]}]}]}, 0]}, {}, false],
        [{"<": [{"/": [1, {"*": [-1, 0, 5]}]}, 0]}, {}, false],
        [{"<": [{"/": [1, {"min": [0, {"-": [0]}]}]}, 0]}, {}, true],
        [{"<": [{"/": [1, {"max": [{"-": [0]}, 0]}]}, 0]}, {}, false],
        // `missing_some` passes its list on as `missing`'s arguments, and
        // counts a string's length; `missing` reads array keys as `var` args.
        [{"missing_some": [2, "ab"]}, {"ab": 1}, []],
        [{"missing_some": [1, [["x", 10]]]}, {}, ["x", 10]],
        [{"missing": ["a", ["b", 5]]}, {}, ["a"]],
        // `*` of one argument returns it as is; `[]` as a computed path is
        // the key "".
        [{"*": [{"var": "xs"}]}, {"xs": [1, 2]}, [1, 2]],
        [{"var": {"merge": []}}, {"": "empty key"}, "empty key"]
    ]);
    let rule_env = FixedEnv::at(Timestamp(0));
    let mut failures = Vec::new();
    for case in cases.as_array().unwrap() {
        let (rule, data, expected) = (&case[0], &case[1], &case[2]);
        match compile(rule, &env).map(|c| c.apply(data, &rule_env)) {
            Ok(Ok(got)) if &got == expected => {}
            other => failures.push(format!("{rule} on {data}: got {other:?}, want {expected}")),
        }
    }
    assert_no_failures(&failures);
}

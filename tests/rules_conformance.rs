#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The JSONLogic conformance table (`tests/fixtures/jsonlogic-tests.json`,
//! `[rule, data, expected]` triples in jsonlogic.com's suite format), run
//! through compile + apply over plain JSON data.

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
                let got = compiled.apply(data, &rule_env);
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
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

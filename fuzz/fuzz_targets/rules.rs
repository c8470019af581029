//! Fuzz eligibility rules: any bytes that parse as JSON are compiled as a
//! rule (checkout and plain-JSON models) and, when they compile, evaluated
//! against a fixed context and against themselves as data. Compilation may
//! refuse; nothing may panic, overflow the stack or hang.
#![no_main]

use libfuzzer_sys::fuzz_target;
use offer_edge::context::Context;
use offer_edge::rules::{compile, CompileEnv, DataModel, FixedEnv};
use offer_edge::time::Timestamp;

fuzz_target!(|data: &[u8]| {
    let Ok(rule) = serde_json::from_slice::<serde_json::Value>(data) else {
        return;
    };
    let audiences = |id: &str| (id == "vip").then_some(0);
    let ctx = Context::from_json(
        br#"{"state":"CA","country":"US","amount":"64.5","quantity":2,"device":"mobile",
             "custom":{"segment":"vip","tags":["a","b"],"n":3}}"#,
    )
    .map(|c| c.normalized())
    .unwrap_or_default();
    let env = FixedEnv {
        now: Timestamp(1_795_955_696_000),
        utc_offset_minutes: -480,
        audiences: vec![0],
        history: Vec::new(),
    };
    for model in [DataModel::Checkout, DataModel::Json] {
        let cenv = CompileEnv {
            offer_id: "fuzz",
            audience_index: &audiences,
            data: model,
        };
        if let Ok(compiled) = compile(&rule, &cenv) {
            let _ = compiled.matches(&ctx, &env);
            let _ = compiled.evaluate(&ctx, &env);
            let _ = compiled.apply(&rule, &env);
            let _ = compiled.required_values();
        }
    }
});

//! Fuzz rule budgets: any JSON that compiles as a rule (checkout and plain
//! JSON models) has a static cost within `MAX_RULE_COST`, and evaluates
//! within the per-decision budget without panicking, whatever it builds:
//! over a context and over data holding arrays longer than the static
//! bound, and again on a budget the first evaluations already drew from.
//! Run with a memory cap so a rule that escapes the value limits is caught:
//! `cargo +nightly fuzz run rule_cost -- -rss_limit_mb=512 -timeout=10`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use offer_edge::context::Context;
use offer_edge::limits::{MAX_DECISION_RULE_STEPS, MAX_RULE_ARRAY_LEN, MAX_RULE_COST};
use offer_edge::rules::{compile, CompileEnv, DataModel, FixedEnv, RuleBudget};
use offer_edge::time::Timestamp;
use serde_json::{json, Value};

fuzz_target!(|data: &[u8]| {
    let Ok(rule) = serde_json::from_slice::<Value>(data) else {
        return;
    };
    let audiences = |id: &str| (id == "vip").then_some(0);
    // Arrays longer than the static bound, so the run-time limits must hold.
    let long: Vec<usize> = (0..MAX_RULE_ARRAY_LEN + 7).collect();
    let ctx = Context::from_value(&json!({
        "state": "CA", "amount": "64.5", "quantity": 2,
        "custom": {"xs": [1, 2, 3, 4, 5, 6, 7, 8], "tags": ["a", "b"], "s": "abc", "n": 3}
    }))
    .map(|c| c.normalized())
    .unwrap_or_default();
    let data = json!({"xs": long, "s": "abc", "o": {"a": [1, [2, [3]]]}, "rule": rule});
    let env = FixedEnv {
        now: Timestamp(1_795_955_696_000),
        utc_offset_minutes: -480,
        audiences: vec![0],
        history: Vec::new(),
    };
    // One decision's budget, shared by every evaluation below.
    let shared = RuleBudget::per_decision();
    for model in [DataModel::Checkout, DataModel::Json] {
        let cenv = CompileEnv {
            offer_id: "fuzz",
            audience_index: &audiences,
            data: model,
        };
        let Ok(compiled) = compile(&rule, &cenv) else {
            continue;
        };
        assert!(compiled.cost() <= MAX_RULE_COST, "cost {}", compiled.cost());
        let alone = RuleBudget::per_decision();
        let _ = compiled.matches_within(&ctx, &env, &alone);
        assert!(alone.remaining() <= MAX_DECISION_RULE_STEPS);
        let _ = compiled.matches_within(&ctx, &env, &shared);
        // A budget, once spent, stays spent: later rules stop at once.
        if shared.is_exhausted() {
            assert!(compiled.matches_within(&ctx, &env, &shared).is_err());
        }
        let _ = compiled.evaluate(&ctx, &env);
        let _ = compiled.apply(&data, &env);
    }
});

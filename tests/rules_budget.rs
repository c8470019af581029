//! Rules cannot run away: a static cost and array-growth check at compile
//! (`RULE_INVALID`, so `sign` and `verify` refuse the bundle), value size
//! limits at run time, and one evaluation budget shared by every rule of a
//! decision, which makes the offers whose rules did not finish ineligible
//! (reason `ruleBudget`) without failing the decision.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use offer_edge::bundle::{Bundle, BundleStore, Trust};
use offer_edge::context::Context;
use offer_edge::decide::{DecideOptions, Engine, Reason, Verdict};
use offer_edge::history::History;
use offer_edge::limits::{
    MAX_DECISION_RULE_STEPS, MAX_RULE_ARRAY_LEN, MAX_RULE_COST, MAX_RULE_LITERAL_ITEMS,
};
use offer_edge::rules::{
    compile, BudgetExceeded, CompileEnv, CompiledRule, DataModel, FixedEnv, RuleBudget,
};
use offer_edge::time::Timestamp;
use offer_edge::ErrorCode;
use serde_json::{json, Value};

fn compiled(rule: &Value) -> offer_edge::Result<CompiledRule> {
    let none = |_: &str| None;
    compile(rule, &CompileEnv::checkout("o", &none))
}

fn compiled_json(rule: &Value) -> offer_edge::Result<CompiledRule> {
    let none = |_: &str| None;
    compile(
        rule,
        &CompileEnv {
            offer_id: "o",
            audience_index: &none,
            data: DataModel::Json,
        },
    )
}

fn env() -> FixedEnv {
    FixedEnv::at(Timestamp(1_795_955_696_000))
}

fn acc() -> Value {
    json!({"var": "accumulator"})
}

/// The attack: nested `reduce`s whose accumulator merges itself, over a
/// literal `[0, …, n-1]`: 2^n elements (at n = 24 it took a gigabyte before
/// this check, at n = 40 it aborted the process).
fn self_merging_reduce(n: usize) -> Value {
    let items: Vec<usize> = (0..n).collect();
    let inner = json!({"reduce": [items, {"merge": [acc(), acc()]}, acc()]});
    json!({"reduce": [items, inner, [1]]})
}

#[test]
fn the_gigabyte_rule_is_refused_at_compile() {
    for n in [11, 24, 40] {
        let err = compiled(&self_merging_reduce(n)).unwrap_err();
        assert_eq!(err.code(), ErrorCode::RuleInvalid, "n = {n}");
        assert!(err.message().contains("reduce"), "{err}");
    }
    // One level is enough to double 2^n times.
    let single = json!({"reduce": [(0..24).collect::<Vec<_>>(), {"merge": [acc(), acc()]}, [1]]});
    assert_eq!(
        compiled(&single).unwrap_err().code(),
        ErrorCode::RuleInvalid
    );
    // The same shapes over a data array: refused on cost (the array may hold
    // up to MAX_RULE_ARRAY_LEN elements, each step copies as many).
    let over_data = json!({"reduce": [{"var": "custom.xs"}, {"merge": [acc(), acc()]}, [1]]});
    let err = compiled(&over_data).unwrap_err();
    assert_eq!(err.code(), ErrorCode::RuleInvalid);
    assert!(err.message().contains("costs"), "{err}");
}

#[test]
fn a_bundle_carrying_it_is_refused_by_sign_and_verify() {
    let mut b = bundle(PARTNER, 1);
    b.offers[0].eligibility = Some(self_merging_reduce(24).into());
    // `offer-edge sign` compiles with Engine::compile before signing.
    let err = Engine::compile(b.clone(), &[0; 32]).unwrap_err();
    assert_eq!(err.code(), ErrorCode::RuleInvalid);
    assert!(err.message().starts_with("offers["), "{err}");
    // A host (or `verify`) loading a signed copy refuses it at the compile step.
    let trust: Trust = trust(&["k1", "k2"], 2);
    let mut store = BundleStore::with_compile(trust, Engine::from_verified);
    let err = store.load(&sign(&b, &["k1", "k2"]), now()).unwrap_err();
    assert_eq!(err.code(), ErrorCode::RuleInvalid);
    assert!(store.active().is_none());
}

#[test]
fn static_cost_multiplies_loop_bodies() {
    // A realistic rule: cheap.
    let cart = json!({"some": [{"var": "custom.skus"}, {"in": [{"var": ""}, ["gift", "card"]]}]});
    let c = compiled(&cart).unwrap();
    assert!(c.cost() < 10_000, "cost {}", c.cost());
    // Nested iteration over data arrays: 1024 × 1024 × body, refused.
    let nested = json!({"some": [{"var": "custom.a"},
        {"some": [{"var": "b"}, {"some": [{"var": "c"}, {"==": [{"var": ""}, 1]}]}]}]});
    assert_eq!(
        compiled(&nested).unwrap_err().code(),
        ErrorCode::RuleInvalid
    );
    // Over literal arrays the literal's length counts, not the bound.
    let lit: Vec<u32> = (0..100).collect();
    let small = json!({"some": [lit, {"some": [lit, {"==": [{"var": ""}, 1]}]}]});
    let c = compiled(&small).unwrap();
    assert!(
        c.cost() > 10_000 && c.cost() < MAX_RULE_COST,
        "{}",
        c.cost()
    );
}

#[test]
fn literal_and_built_arrays_have_size_limits() {
    let big: Vec<usize> = (0..=MAX_RULE_LITERAL_ITEMS).collect();
    let err = compiled(&json!({"in": [{"var": "zipcode"}, big]})).unwrap_err();
    assert_eq!(err.code(), ErrorCode::RuleInvalid);
    assert!(err.message().contains("/in/1: a literal array"), "{err}");
    let ok: Vec<usize> = (0..MAX_RULE_LITERAL_ITEMS).collect();
    compiled(&json!({"in": [{"var": "zipcode"}, ok]})).unwrap();
    // A `merge` that surely builds more than MAX_RULE_ARRAY_LEN elements.
    let half: Vec<usize> = (0..MAX_RULE_ARRAY_LEN / 2 + 1).collect();
    let err = compiled(&json!({"merge": [half, half]})).unwrap_err();
    assert!(err.message().contains("merge"), "{err}");
}

#[test]
fn values_over_the_size_limits_stop_the_rule_at_run_time() {
    // Both pass the static checks: over a data array nothing is sure.
    let doubling_text = json!({"reduce": [{"var": "xs"},
        {"cat": [acc(), acc()]}, "x"]});
    let doubling_nest = json!({"reduce": [{"var": "xs"}, [acc(), acc()], []]});
    let data = json!({"xs": (0..40).collect::<Vec<_>>()});
    for rule in [doubling_text, doubling_nest] {
        let c = compiled_json(&rule).unwrap();
        let err = c.apply(&data, &env()).unwrap_err();
        assert_eq!(err.code(), ErrorCode::RuleBudget, "{rule}");
        let budget = RuleBudget::per_decision();
        let ctx = Context::from_json(
            br#"{"custom":{"xs":[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20]}}"#,
        )
        .unwrap();
        let checkout = compiled(
            &json!({"reduce": [{"var": "custom.xs"}, rule["reduce"][1], rule["reduce"][2]]}),
        )
        .unwrap();
        assert_eq!(
            checkout.matches_within(&ctx, &env(), &budget),
            Err(BudgetExceeded::ValueSize)
        );
        // Only that rule failed: the rest of the budget is still there.
        assert!(!budget.is_exhausted());
        assert!(budget.remaining() > MAX_DECISION_RULE_STEPS / 2);
        assert!(!checkout.matches(&ctx, &env()));
    }
}

#[test]
fn a_spent_budget_stops_every_later_rule() {
    let lit: Vec<u32> = (0..200).collect();
    let rule = compiled(&json!({"reduce": [lit, {"+": [acc(), {"var": "current"}]}, 0]})).unwrap();
    let ctx = Context::default();
    let probe = RuleBudget::new(1_000_000);
    assert_eq!(rule.matches_within(&ctx, &env(), &probe), Ok(true));
    let steps = 1_000_000 - probe.remaining();
    assert!(steps > 600, "{steps} steps for 200 reduce steps");
    // Room for one run and a half.
    let budget = RuleBudget::new(steps * 3 / 2);
    assert_eq!(rule.matches_within(&ctx, &env(), &budget), Ok(true));
    assert_eq!(budget.remaining(), steps / 2);
    assert_eq!(
        rule.matches_within(&ctx, &env(), &budget),
        Err(BudgetExceeded::Steps)
    );
    assert!(budget.is_exhausted());
    let trivial = compiled(&json!({"==": [1, 1]})).unwrap();
    assert_eq!(
        trivial.matches_within(&ctx, &env(), &budget),
        Err(BudgetExceeded::Steps)
    );
}

/// A rule costing ~600,000 steps (500 × 300 reduce steps), distinct per
/// `k` so that offers do not share one evaluation.
fn expensive_rule(k: usize) -> Value {
    let outer: Vec<usize> = (0..500).collect();
    let inner: Vec<usize> = (0..300).collect();
    let sum_inner = json!({"reduce": [inner, {"+": [acc(), {"var": "current"}]}, 0]});
    json!({">": [{"reduce": [outer, {"+": [acc(), sum_inner]}, k]}, 0]})
}

/// A bundle whose first `n` offers carry [`expensive_rule`]s (the others none).
fn expensive_bundle(n: usize) -> Bundle {
    let mut b = bundle(PARTNER, 1);
    for (k, offer) in b.offers.iter_mut().enumerate() {
        offer.eligibility = (k < n).then(|| expensive_rule(k).into());
    }
    b
}

#[test]
fn the_decision_budget_makes_the_rest_ineligible_and_says_why() {
    let n = 10;
    let rule = compiled(&expensive_rule(0)).unwrap();
    assert!(rule.cost() <= MAX_RULE_COST);
    // Alone, each rule fits; ten of them do not fit one decision.
    assert!(rule.cost() * n as u64 > MAX_DECISION_RULE_STEPS);
    let engine = Engine::compile(expensive_bundle(n), &[0; 32]).unwrap();
    let ctx = Context::from_json(br#"{"state":"NY","amount":"64.50","country":"US"}"#).unwrap();
    let history = History::new(PARTNER);
    let explain = DecideOptions {
        explain: true,
        ..DecideOptions::default()
    };
    let decision = engine
        .decide(&ctx, &history, now(), &[3; 8], &explain)
        .expect("the decision itself succeeds");
    let expensive: Vec<&str> = engine.bundle().offers[..n]
        .iter()
        .map(|o| o.id.as_str())
        .collect();
    let mut finished = 0;
    let mut stopped = 0;
    for e in decision
        .explanations
        .iter()
        .filter(|e| expensive.contains(&e.offer_id.as_str()))
    {
        match &e.reason {
            Reason::RuleBudget { exceeded } => {
                assert_eq!(*exceeded, BudgetExceeded::Steps);
                assert_eq!(e.verdict, Verdict::Ineligible);
                assert!(e.message.contains("ran out of budget"), "{}", e.message);
                let json = serde_json::to_value(&e.reason).unwrap();
                assert_eq!(json, json!({"kind": "ruleBudget", "exceeded": "steps"}));
                stopped += 1;
            }
            _ => finished += 1,
        }
    }
    assert!(finished >= 1, "some rules fit the budget");
    assert!(stopped >= 1, "the rest ran out");
    // Offers without a rule are unaffected.
    assert!(decision.placements.iter().any(|p| !p.offers.is_empty()));
    // eligible_offers shares the budget rules too and agrees on who is out.
    let eligible = engine.eligible_offers(&ctx, &history, now()).unwrap();
    let eligible_expensive = eligible.iter().filter(|&&i| (i as usize) < n).count();
    assert!(eligible_expensive < n, "{eligible_expensive} of {n}");
    // Without explain too: a decision, never an error.
    engine
        .decide(&ctx, &history, now(), &[3; 8], &DecideOptions::default())
        .unwrap();
}

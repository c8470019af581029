//! Eligibility rule cost: compile and evaluate ~1,000 realistic offer rules
//! over one checkout context. Divide the per-iteration time by 1,000 for
//! ns/rule. Run: `cargo bench --bench rules`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use criterion::{criterion_group, criterion_main, Criterion};
use offer_edge::bundle::{CapScope, CapWindow};
use offer_edge::context::Context;
use offer_edge::rules::{compile, CompileEnv, CompiledRule, FixedEnv};
use offer_edge::time::Timestamp;
use serde_json::{json, Value};
use std::hint::black_box;

const STATES: [&str; 10] = ["CA", "NY", "TX", "FL", "WA", "IL", "PA", "OH", "GA", "NC"];
const AUDIENCES: [&str; 4] = ["vip", "lapsed", "new-parents", "outdoor"];

/// The rule of offer `i`: the mixes a demo bundle has (state lists, cart
/// thresholds, device and customer type, custom segments, audiences, caps
/// and dayparting).
fn realistic_rule(i: usize) -> Value {
    let states: Vec<&str> = (0..1 + i % 4)
        .map(|k| STATES[(i + k * 3) % STATES.len()])
        .collect();
    match i % 6 {
        0 => json!({"and": [
            {"in": [{"var": "state"}, states]},
            {">=": [{"var": "amount"}, 20 + (i % 80)]}
        ]}),
        1 => json!({"and": [
            {"==": [{"var": "country"}, "US"]},
            {"!=": [{"var": "device"}, "tablet"]},
            {"==": [{"var": "customertype"}, if i.is_multiple_of(2) { "new" } else { "returning" }]}
        ]}),
        2 => json!({"and": [
            {"in": [{"var": "custom.segment"}, ["vip", "loyal"]]},
            {"<": [{"history_count": ["advertiser", format!("adv-{}", i % 50), "day"]}, 2]}
        ]}),
        3 => json!({"or": [
            {"in_audience": AUDIENCES[i % AUDIENCES.len()]},
            {"and": [{">": [{"var": "quantity"}, 1]}, {"in": [{"var": "paymenttype"}, ["visa", "amex"]]}]}
        ]}),
        4 => json!({"and": [
            {"<=": [9, {"local_hour": []}, 21]},
            {"in": [{"var": "state"}, states]},
            {"!": {"in": [{"var": "loyaltytier"}, ["bronze"]]}}
        ]}),
        _ => json!({"if": [
            {">=": [{"var": "age"}, 21]}, {"<": [25, {"var": "amount"}, 500]},
            false
        ]}),
    }
}

fn rules() -> Vec<CompiledRule> {
    let index = |id: &str| AUDIENCES.iter().position(|a| *a == id);
    (0..1_000)
        .map(|i| {
            let id = format!("offer-{i}");
            compile(&realistic_rule(i), &CompileEnv::checkout(&id, &index)).unwrap()
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let ctx = Context::from_json(
        br#"{"email":"ada@example.com","state":"CA","country":"US","amount":"64.50","quantity":2,
             "age":31,"paymenttype":"visa","customertype":"returning","device":"mobile",
             "loyaltytier":"gold","custom":{"segment":"vip"}}"#,
    )
    .unwrap()
    .normalized();
    let env = FixedEnv {
        now: Timestamp::parse_rfc3339("2026-11-29T18:00:00Z").unwrap(),
        utc_offset_minutes: -480,
        audiences: vec![1],
        history: vec![(CapScope::Advertiser, "adv-2".into(), CapWindow::Day, 1)],
    };
    let compiled = rules();
    let sources: Vec<Value> = (0..1_000).map(realistic_rule).collect();

    c.bench_function("rules/matches x1000", |b| {
        b.iter(|| {
            compiled
                .iter()
                .filter(|r| r.matches(black_box(&ctx), &env))
                .count()
        })
    });
    c.bench_function("rules/compile x1000", |b| {
        let index = |id: &str| AUDIENCES.iter().position(|a| *a == id);
        b.iter(|| {
            sources
                .iter()
                .map(|s| compile(black_box(s), &CompileEnv::checkout("o", &index)).unwrap())
                .map(|r| r.node_count())
                .sum::<usize>()
        })
    });
    c.bench_function("rules/required_values x1000", |b| {
        b.iter(|| {
            compiled
                .iter()
                .map(|r| r.required_values().len())
                .sum::<usize>()
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);

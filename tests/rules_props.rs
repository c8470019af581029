#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Properties: compiling and evaluating arbitrary rules never panics; the
//! fast `matches` agrees with the full value; `required_values` is sound.

use offer_edge::context::{Context, Field};
use offer_edge::rules::{compile, CompileEnv, ConstraintKind, DataModel, FixedEnv};
use offer_edge::time::Timestamp;
use proptest::prelude::*;
use serde_json::{json, Map, Value};

const OPS: &[&str] = &[
    "var",
    "missing",
    "missing_some",
    "if",
    "?:",
    "and",
    "or",
    "!",
    "!!",
    "==",
    "===",
    "!=",
    "!==",
    "<",
    "<=",
    ">",
    ">=",
    "in",
    "+",
    "-",
    "*",
    "/",
    "%",
    "min",
    "max",
    "cat",
    "substr",
    "merge",
    "log",
    "all",
    "some",
    "none",
    "map",
    "filter",
    "reduce",
    "in_audience",
    "history_count",
    "local_hour",
    "local_weekday",
    "nope",
];

const NAMES: &[&str] = &[
    "state",
    "country",
    "amount",
    "quantity",
    "age",
    "device",
    "custom.segment",
    "custom.n",
    "custom.list",
    "custom.list.0",
    "",
    "current",
    "accumulator.x",
    "email",
    "0",
    "length",
];

fn scalar() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        (-1000i64..1000).prop_map(Value::from),
        (-1e6f64..1e6).prop_map(|f| json!(f)),
        prop::sample::select(NAMES).prop_map(Value::from),
        "[a-zA-Z0-9 .,-]{0,8}".prop_map(Value::from),
        Just(json!("offer")),
        Just(json!("day")),
        Just(json!("vip-list")),
    ]
}

/// Random JSON shaped like rules: operator objects with random arguments.
fn rule_json() -> impl Strategy<Value = Value> {
    scalar().prop_recursive(6, 64, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            (
                prop::sample::select(OPS),
                prop::collection::vec(inner.clone(), 0..4)
            )
                .prop_map(|(op, args)| {
                    let mut m = Map::new();
                    m.insert(op.to_owned(), Value::Array(args));
                    Value::Object(m)
                }),
            (prop::sample::select(OPS), inner).prop_map(|(op, arg)| {
                let mut m = Map::new();
                m.insert(op.to_owned(), arg);
                Value::Object(m)
            }),
        ]
    })
}

fn context() -> impl Strategy<Value = Context> {
    (
        prop::option::of(prop::sample::select(&["CA", "NY", "TX", ""][..])),
        prop::option::of(prop::sample::select(&["US", "CA"][..])),
        prop::option::of(0.0f64..500.0),
        prop::option::of(prop::sample::select(&["mobile", "desktop"][..])),
        prop::option::of(scalar()),
        prop::collection::vec(scalar(), 0..3),
    )
        .prop_map(|(state, country, amount, device, segment, list)| {
            let mut ctx = Context {
                state: state.map(str::to_owned),
                country: country.map(str::to_owned),
                amount,
                device: device.map(str::to_owned),
                ..Context::default()
            };
            if let Some(s) = segment {
                ctx.custom.insert("segment".into(), s);
            }
            ctx.custom.insert("list".into(), Value::Array(list));
            ctx
        })
}

fn env() -> FixedEnv {
    FixedEnv {
        now: Timestamp(1_795_955_696_000),
        utc_offset_minutes: -300,
        audiences: vec![0],
        history: vec![],
    }
}

fn truthy(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(_) => true,
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    #[test]
    fn compile_and_evaluate_never_panic(rule in rule_json(), ctx in context(), data in rule_json()) {
        let audiences = |id: &str| (id == "vip-list").then_some(0);
        for model in [DataModel::Checkout, DataModel::Json] {
            let cenv = CompileEnv { offer_id: "p", audience_index: &audiences, data: model };
            if let Ok(compiled) = compile(&rule, &cenv) {
                let m = compiled.matches(&ctx, &env());
                match compiled.evaluate(&ctx, &env()) {
                    // NaN and ±Infinity both serialize as null, so null says nothing.
                    Ok(v) if !v.is_null() => {
                        prop_assert_eq!(m, truthy(&v), "{} on {:?} = {}", rule, ctx, v);
                    }
                    Ok(_) => {}
                    // Out of budget: no value, and the rule does not match.
                    Err(e) => {
                        prop_assert_eq!(e.code(), offer_edge::ErrorCode::RuleBudget);
                        prop_assert!(!m, "{} matched but ran out of budget", rule);
                    }
                }
                let _ = compiled.apply(&data, &env());
                let _ = compiled.required_values();
            }
        }
    }
}

/// Rules over text attributes in the shapes the analysis understands, plus
/// shapes it must not be fooled by.
fn indexable_rule() -> impl Strategy<Value = Value> {
    let field = prop::sample::select(&["state", "country", "device"][..]);
    let constant =
        prop::sample::select(&["CA", "NY", "US", "mobile", "ca"][..]).prop_map(Value::from);
    let noise = prop_oneof![
        Just(Value::Null),
        Just(json!(1)),
        Just(json!(true)),
        constant.clone(),
    ];
    let var = (field, prop::option::of(noise.clone())).prop_map(|(f, default)| match default {
        None => json!({"var": f}),
        Some(d) => json!({"var": [f, d]}),
    });
    let atom = prop_oneof![
        (
            prop::sample::select(&["==", "===", "!=", "!=="][..]),
            var.clone(),
            noise.clone(),
            any::<bool>()
        )
            .prop_map(|(op, v, c, flip)| {
                let args = if flip { json!([c, v]) } else { json!([v, c]) };
                let mut m = Map::new();
                m.insert(op.to_owned(), args);
                Value::Object(m)
            }),
        (var, prop::collection::vec(noise, 0..4)).prop_map(|(v, list)| json!({"in": [v, list]})),
    ];
    atom.prop_recursive(4, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(|xs| json!({"and": xs})),
            prop::collection::vec(inner.clone(), 0..3).prop_map(|xs| json!({"or": xs})),
            inner.clone().prop_map(|x| json!({"!": x})),
            inner.prop_map(|x| json!({"!!": [x]})),
        ]
    })
}

fn text_context() -> impl Strategy<Value = Context> {
    let value = prop::option::of(prop::sample::select(
        &["CA", "NY", "US", "mobile", "ca", "1"][..],
    ));
    (value.clone(), value.clone(), value).prop_map(|(state, country, device)| Context {
        state: state.map(str::to_owned),
        country: country.map(str::to_owned),
        device: device.map(str::to_owned),
        ..Context::default()
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4_000))]

    #[test]
    fn required_values_hold_whenever_the_rule_matches(rule in indexable_rule(), ctx in text_context()) {
        let none = |_: &str| None;
        let compiled = compile(&rule, &CompileEnv::checkout("p", &none)).unwrap();
        if compiled.matches(&ctx, &env()) {
            for c in compiled.required_values() {
                let value = ctx.text(c.field);
                let listed = value.is_some_and(|v| c.values.iter().any(|s| s == v));
                match c.kind {
                    ConstraintKind::In => prop_assert!(listed, "{} on {:?}: {:?}", rule, ctx, c),
                    ConstraintKind::NotIn => prop_assert!(!listed, "{} on {:?}: {:?}", rule, ctx, c),
                }
                prop_assert!(matches!(c.field, Field::State | Field::Country | Field::Device));
            }
        }
    }
}

#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::*;
use crate::context::Context;
use crate::error::ErrorCode;
use crate::rules::{compile, CompileEnv, DataModel, FixedEnv, RuleEnv};
use crate::time::Timestamp;
use crate::wire::encode;
use serde_json::json;

fn decode(bytes: &[u8]) -> Result<CompiledRule> {
    crate::wire::decode(bytes)
}

/// The conformance table's rules and data (`DataModel::Json`).
fn conformance() -> Vec<(Value, Value)> {
    let text = include_str!("../../tests/fixtures/jsonlogic-tests.json");
    let cases: Vec<Value> = serde_json::from_str(text).unwrap();
    cases
        .into_iter()
        .filter_map(|case| match case {
            Value::Array(triple) => {
                let [rule, data, _] = <[Value; 3]>::try_from(triple).unwrap();
                Some((rule, data))
            }
            _ => None,
        })
        .collect()
}

const AUDIENCES: [&str; 3] = ["vip", "travel", "lapsed"];

/// Checkout rules: the decide fixtures' and ones covering the domain
/// operators and specialized nodes.
fn checkout_rules() -> Vec<Value> {
    let mut rules = Vec::new();
    let bundle: Value =
        serde_json::from_str(include_str!("../../tests/fixtures/decide/bundle.json")).unwrap();
    let cases: Value =
        serde_json::from_str(include_str!("../../tests/fixtures/decide/cases.json")).unwrap();
    fn collect(v: &Value, out: &mut Vec<Value>) {
        match v {
            Value::Object(map) => {
                for (k, v) in map {
                    if k == "eligibility" && !v.is_null() {
                        out.push(v.clone());
                    }
                    collect(v, out);
                }
            }
            Value::Array(items) => items.iter().for_each(|v| collect(v, out)),
            _ => {}
        }
    }
    collect(&bundle, &mut rules);
    collect(&cases, &mut rules);
    rules.extend([
        json!({"in_audience": ["travel"]}),
        json!({"or": [{"in_audience": "vip"}, {"!": {"in_audience": "lapsed"}}]}),
        json!({"and": [{"==": [{"var": "country"}, "US"]}, {"!==": ["CA", {"var": "state"}]}]}),
        json!({"in": [{"var": "state"}, ["NY", "CA", "TX", "CA", "", "AK", "WA", "OR", "NV", "AZ", null]]}),
        json!({"in": [{"var": "amount"}, [3, -0.0, 0, 1e300, -2.5, 3, true, false, null, [1]]]}),
        json!({"!": {"in": [{"var": ["device", null]}, ["mobile", null]]}}),
        json!({">=": [{"var": "amount"}, 49.5]}),
        json!({"<": [17, {"var": "age"}]}),
        json!({"<=": [1, {"var": "quantity"}, 3]}),
        json!({"history_count": ["campaign", "spring-sale", "week"]}),
        json!({">": [{"history_count": ["offer", "o-1", "lifetime"]}, {"local_hour": []}]}),
        json!({"var": ["custom.tier.level", {"cat": ["none", 1]}]}),
        json!({"var": [{"cat": ["cust", "om.tier"]}]}),
        json!({"reduce": [[1, 2, 3], {"+": [{"var": "current"}, {"var": "accumulator"}]}]}),
        json!({"reduce": [{"var": "custom.orders"}, {"+": [{"var": "accumulator"}, {"var": "current.total"}]}, 0]}),
        json!({"reduce": [[1, 2], {"merge": [{"var": "accumulator"}, [{"var": "current"}]]}, []]}),
        json!({"map": [{"var": "custom.orders"}, {"*": [{"var": "total"}, 1.5]}]}),
        json!({"filter": [[[1, [2.5, "x"]], -7, 18446744073709551615_u64], {"!!": {"var": ""}}]}),
        json!({"missing_some": [1, ["email", "phone", "custom.x"]]}),
        json!({"min": [{"var": "amount"}, {"%": [10, 3]}, {"/": [1, {"-": [2]}]}]}),
        json!({"max": [{"log": 1}, {"substr": ["checkout", -3, 2]}]}),
        json!({"if": [{"missing": ["zipcode", "city"]}, "none", {"var": "city"}, "x"]}),
        json!({"none": [{"var": "custom.tags"}, {"==": [{"var": ""}, "banned"]}]}),
        json!({"all": [[1, 2], {"===": [{"var": ""}, {"var": ""}]}]}),
        json!({"in": ["gold", {"var": "loyaltytier"}]}),
        json!([1, {"var": "amount"}, "x"]),
    ]);
    rules
}

fn contexts() -> Vec<Context> {
    [
        json!({}),
        json!({"state": " ca", "country": "us", "amount": "64.50", "age": 30, "quantity": 2,
               "device": "mobile", "loyaltytier": "gold", "zipcode": "94107",
               "custom": {"tags": ["vip"], "orders": [{"id": 1, "total": 80}, 20], "tier": {"level": 3}}}),
        json!({"state": "NY", "amount": 12, "paymenttype": "paypal", "age": 17, "city": "Albany",
               "custom": {"tags": "banned", "orders": []}}),
    ]
    .iter()
    .map(|c| {
        Context::from_json(c.to_string().as_bytes())
            .unwrap()
            .normalized()
    })
    .collect()
}

fn envs() -> Vec<FixedEnv> {
    vec![
        FixedEnv::at(Timestamp(0)),
        FixedEnv {
            now: Timestamp(1_700_000_000_000),
            utc_offset_minutes: -300,
            audiences: vec![0, 1],
            history: vec![
                (CapScope::Campaign, "spring-sale".into(), CapWindow::Week, 4),
                (CapScope::Offer, "o-1".into(), CapWindow::Lifetime, 30),
            ],
        },
    ]
}

/// Encodes, decodes and checks the copy is the same rule: equal, same
/// bytes again, same answers on `data` and on every checkout context.
fn check_round_trip(rule: &CompiledRule, data: &[Value]) {
    let bytes = encode(rule);
    let back = decode(&bytes).unwrap();
    assert_eq!(&back, rule);
    assert_eq!(encode(&back), bytes, "re-encoding differs");
    assert_eq!(back.cost(), rule.cost());
    assert_eq!(back.node_count(), rule.node_count());
    assert_eq!(back.share_key(), rule.share_key());
    assert_eq!(back.required_values(), rule.required_values());
    for env in envs() {
        for d in data {
            let (a, b) = (rule.apply(d, &env), back.apply(d, &env));
            assert_eq!(format!("{a:?}"), format!("{b:?}"));
        }
        for ctx in contexts() {
            assert_eq!(rule.matches(&ctx, &env), back.matches(&ctx, &env));
            let (a, b) = (rule.evaluate(&ctx, &env), back.evaluate(&ctx, &env));
            assert_eq!(format!("{a:?}"), format!("{b:?}"));
        }
    }
}

fn compile_checkout(rule: &Value) -> CompiledRule {
    let index = |id: &str| AUDIENCES.iter().position(|a| *a == id);
    compile(rule, &CompileEnv::checkout("o-1", &index)).unwrap()
}

fn compiled_rules() -> Vec<CompiledRule> {
    let no_audiences = |_: &str| None;
    let env = CompileEnv {
        offer_id: "conformance",
        audience_index: &no_audiences,
        data: DataModel::Json,
    };
    let mut rules: Vec<CompiledRule> = conformance()
        .iter()
        .filter_map(|(rule, _)| compile(rule, &env).ok())
        .collect();
    rules.extend(checkout_rules().iter().map(compile_checkout));
    rules
}

#[test]
fn conformance_rules_round_trip() {
    let no_audiences = |_: &str| None;
    let env = CompileEnv {
        offer_id: "conformance",
        audience_index: &no_audiences,
        data: DataModel::Json,
    };
    let mut ran = 0;
    for (rule, data) in conformance() {
        if let Ok(compiled) = compile(&rule, &env) {
            check_round_trip(&compiled, &[data, json!({"a": [1, 2], "b": "x"})]);
            ran += 1;
        }
    }
    assert!(ran > 200, "only {ran} rules compiled");
}

#[test]
fn checkout_rules_round_trip() {
    let rules = checkout_rules();
    assert!(rules.len() > 30);
    for rule in &rules {
        check_round_trip(&compile_checkout(rule), &[json!({"state": "CA"})]);
    }
}

#[test]
fn negative_zero_and_number_forms_survive() {
    let rule =
        compile_checkout(&json!({"cat": [[-0.0, 0, 1.0, 1, -1, 2.5e-300], {"/": [1, -0.0]}]}));
    let back = decode(&encode(&rule)).unwrap();
    let env = FixedEnv::default();
    assert_eq!(
        back.apply(&json!({}), &env).unwrap(),
        rule.apply(&json!({}), &env).unwrap()
    );
    assert_eq!(back.share_key(), None);
}

#[test]
fn every_truncation_is_refused() {
    for rule in compiled_rules() {
        let bytes = encode(&rule);
        for cut in 0..bytes.len() {
            let err = decode(bytes.get(..cut).unwrap()).unwrap_err();
            assert_eq!(err.code(), ErrorCode::PayloadMalformed, "{err}");
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(decode(&longer).is_err());
    }
}

#[test]
fn flipped_bytes_are_refused_or_load_a_rule_that_runs() {
    let (env, ctx) = (envs().pop().unwrap(), contexts().pop().unwrap());
    for rule in compiled_rules() {
        let bytes = encode(&rule);
        for at in 0..bytes.len() {
            for mask in [0x01, 0x02, 0x10, 0x80, 0xff] {
                let mut forged = bytes.clone();
                if let Some(b) = forged.get_mut(at) {
                    *b ^= mask;
                }
                match decode(&forged) {
                    Ok(loaded) => {
                        let _ = loaded.matches(&ctx, &env);
                        let _ = loaded.apply(&json!({"a": [1]}), &env);
                        let _ = loaded.required_values();
                    }
                    Err(e) => assert_eq!(e.code(), ErrorCode::PayloadMalformed, "{e}"),
                }
            }
        }
    }
}

/// `rule` with its fields as given (skipping `compile`), encoded, decoded.
fn forged(root: Node, nodes: usize) -> Result<CompiledRule> {
    decode(&encode(&CompiledRule {
        root,
        nodes,
        cost: 0,
    }))
}

fn assert_malformed(result: Result<CompiledRule>, what: &str) {
    match result {
        Err(e) => assert_eq!(e.code(), ErrorCode::PayloadMalformed, "{what}: {e}"),
        Ok(rule) => panic!("{what}: loaded {rule:?}"),
    }
}

fn set(strs: &[&str], nums: &[f64]) -> Box<ConstSet> {
    Box::new(ConstSet {
        strs: strs.iter().map(|s| Box::from(*s)).collect(),
        nums: nums.into(),
        ..ConstSet::default()
    })
}

#[test]
fn forged_trees_are_refused() {
    let state = || Node::Var {
        path: VarPath::Field(Field::State),
        default: None,
    };
    let num = |n: f64| Node::Lit(Lit::Num(n));
    assert!(forged(
        Node::TextIn(Field::State, set(&["CA", "NY"], &[1.0, 2.0])),
        3
    )
    .is_ok());
    let cases = [
        (
            Node::TextIn(Field::State, set(&["NY", "CA"], &[])),
            "unsorted strings",
        ),
        (
            Node::TextIn(Field::State, set(&["CA", "CA"], &[])),
            "duplicate strings",
        ),
        (
            Node::InSet(Box::new(state()), set(&[], &[2.0, 1.0])),
            "unsorted numbers",
        ),
        (
            Node::InSet(Box::new(state()), set(&[], &[-0.0, 0.0])),
            "zero twice",
        ),
        (
            Node::InSet(Box::new(state()), set(&[], &[f64::NAN])),
            "NaN member",
        ),
        (num(f64::NAN), "NaN literal"),
        (num(f64::INFINITY), "infinite literal"),
        (
            Node::TextIn(Field::Amount, set(&[], &[])),
            "text test of a number",
        ),
        (
            Node::TextEq {
                op: EqOp::Loose,
                field: Field::Age,
                value: "3".into(),
            },
            "text equality of a number",
        ),
        (
            Node::NumCmp {
                op: CmpOp::Lt,
                field: Field::State,
                k: 1.0,
                field_first: true,
            },
            "numeric comparison of text",
        ),
        (Node::InAudience(MAX_AUDIENCES), "audience index"),
        (
            Node::HistoryCount {
                scope: CapScope::Offer,
                id: "".into(),
                window: CapWindow::Day,
            },
            "empty history id",
        ),
        (Node::Const(json!("x")), "scalar constant"),
        (Node::Const(json!([{"a": 1}])), "object in a constant"),
    ];
    for (root, what) in cases {
        assert_malformed(forged(root, 3), what);
    }
    // Counts: none, over the limit, fewer than the tree holds.
    assert_malformed(forged(Node::LocalHour, 0), "zero nodes");
    assert_malformed(
        forged(Node::LocalHour, MAX_RULE_NODES + 1),
        "too many nodes",
    );
    let wide = Node::And((0..10).map(|_| Node::LocalHour).collect());
    assert_malformed(forged(wide.clone(), 10), "tree larger than its count");
    assert!(forged(wide, 11).is_ok());
    // Within the node limit, over the cost limit: nested loops over data.
    let data = || Node::Var {
        path: VarPath::Path(vec![Box::from("a")].into()),
        default: None,
    };
    let inner = Node::Iter(IterOp::Map, Box::new([data(), data()]));
    let outer = Node::Iter(IterOp::Map, Box::new([data(), inner]));
    assert_malformed(forged(outer, 5), "cost over the limit");
}

#[test]
fn forged_bytes_are_refused() {
    let good = encode(&compile_checkout(&json!({"==": [{"var": "state"}, "CA"]})));
    // Unknown node tag; non-negative integer tagged negative in a constant.
    for bytes in [vec![31, 1], vec![1, 7, 1, 4, 2, 1]] {
        assert_malformed(decode(&bytes), "forged bytes");
    }
    assert!(decode(&good).is_ok());
}

#[test]
fn the_deepest_rules_compile_accepts_load() {
    let (mut rule, mut data) = (json!(true), json!(1));
    for _ in 0..crate::limits::MAX_RULE_DEPTH - 1 {
        rule = json!({"!": rule});
        data = json!([data]);
    }
    check_round_trip(&compile_checkout(&rule), &[]);
    check_round_trip(&compile_checkout(&json!({"merge": [data]})), &[]);
}

#[test]
fn deep_nesting_is_refused() {
    let mut root = Node::LocalHour;
    for _ in 0..200 {
        root = Node::Not(Box::new(root));
    }
    assert_malformed(forged(root, 201), "deep `!`");
    let mut list = Node::LocalHour;
    for _ in 0..200 {
        list = Node::And(vec![list].into());
    }
    assert_malformed(forged(list, 201), "deep `and`");
    let mut value = json!([]);
    for _ in 0..200 {
        value = json!([value]);
    }
    assert_malformed(forged(Node::Const(value), 1), "deep constant");
}

#[test]
fn audience_indices_are_checked_against_the_table() {
    let rule =
        compile_checkout(&json!({"or": [{"in_audience": "vip"}, {"in_audience": "lapsed"}]}));
    assert!(rule.audiences_within(3));
    assert!(!rule.audiences_within(2));
    assert!(compile_checkout(&json!({"local_hour": []})).audiences_within(0));
}

#[test]
fn field_tags_follow_declaration_order() {
    for (i, field) in Field::ALL.iter().enumerate() {
        assert_eq!(encode(field), [u8::try_from(i).unwrap()]);
    }
    let _: &dyn RuleEnv = &FixedEnv::default();
}

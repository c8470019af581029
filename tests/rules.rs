#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Eligibility rules over real checkout contexts: each operator family,
//! the domain operators, compile errors with their paths, and the
//! constraints the predicate index relies on.

use offer_edge::bundle::{CapScope, CapWindow};
use offer_edge::context::{Context, Field};
use offer_edge::rules::{
    compile, CompileEnv, CompiledRule, ConstraintKind, FieldConstraint, FixedEnv,
};
use offer_edge::time::Timestamp;
use offer_edge::ErrorCode;
use serde_json::{json, Value};

const AUDIENCES: [&str; 2] = ["vip-list", "lapsed-buyers"];

fn audience_index(id: &str) -> Option<usize> {
    AUDIENCES.iter().position(|a| *a == id)
}

fn try_compile(rule: &Value) -> offer_edge::Result<CompiledRule> {
    compile(rule, &CompileEnv::checkout("offer-12", &audience_index))
}

fn rule(rule: Value) -> CompiledRule {
    try_compile(&rule).unwrap()
}

/// A returning Californian on mobile, 31, with $64.50 in the cart.
fn shopper() -> Context {
    Context::from_json(
        br#"{"email":"Ada@Example.com","firstname":"Ada","state":"ca","country":"us",
             "zipcode":"94103","amount":"64.50","quantity":2,"age":31,"currency":"usd",
             "paymenttype":"visa","customertype":"returning","device":"mobile",
             "loyaltytier":"gold","placement":"confirmation",
             "custom":{"segment":"vip","visits":7,"tags":["outdoor","kids"]}}"#,
    )
    .unwrap()
    .normalized()
}

/// 2026-11-29T12:00:00Z, a Sunday.
fn env() -> FixedEnv {
    FixedEnv::at(Timestamp::parse_rfc3339("2026-11-29T12:00:00Z").unwrap())
}

fn eval(r: Value) -> Value {
    rule(r).evaluate(&shopper(), &env()).unwrap()
}

fn matches(r: Value) -> bool {
    rule(r).matches(&shopper(), &env())
}

#[test]
fn attributes_resolve_to_normalized_context_values() {
    assert_eq!(eval(json!({"var": "state"})), json!("CA"));
    assert_eq!(eval(json!({"var": "amount"})), json!(64.5));
    assert_eq!(eval(json!({"var": "quantity"})), json!(2));
    assert_eq!(eval(json!({"var": "custom.segment"})), json!("vip"));
    assert_eq!(eval(json!({"var": "custom.tags.1"})), json!("kids"));
    assert_eq!(eval(json!({"var": "custom.nothing"})), json!(null));
    assert_eq!(eval(json!({"var": ["dob", "unknown"]})), json!("unknown"));
    assert_eq!(eval(json!({"var": ["gender", null]})), json!(null));
    assert_eq!(
        eval(json!({"var": "emailsha256"})),
        json!("b5fc85e55755f9e0d030a10ab4429b6b2944855f9a0d60077fe832becbc41d72")
    );
    // A computed path is resolved at run time against the same context.
    assert_eq!(
        eval(json!({"var": {"cat": ["custom.", "visits"]}})),
        json!(7)
    );
    assert_eq!(eval(json!({"var": {"cat": ["coun", "try"]}})), json!("US"));
}

#[test]
fn equality_is_loose_or_strict_as_in_jsonlogic() {
    assert!(matches(json!({"==": [{"var": "state"}, "CA"]})));
    assert!(!matches(json!({"==": [{"var": "state"}, "ca"]})));
    assert!(matches(json!({"==": [{"var": "zipcode"}, 94103]})));
    assert!(!matches(json!({"===": [{"var": "zipcode"}, 94103]})));
    assert!(matches(json!({"==": [{"var": "custom.visits"}, "7"]})));
    assert!(matches(json!({"!=": [{"var": "device"}, "desktop"]})));
    assert!(!matches(json!({"!==": [{"var": "device"}, "mobile"]})));
    // Absent attributes are null: equal to null only.
    assert!(matches(json!({"==": [{"var": "gender"}, null]})));
    assert!(!matches(json!({"==": [{"var": "gender"}, ""]})));
}

#[test]
fn comparisons_coerce_numbers_and_support_between() {
    assert!(matches(json!({">=": [{"var": "amount"}, 50]})));
    assert!(matches(json!({"<": [25, {"var": "amount"}, 100]})));
    assert!(!matches(json!({"<": [64.5, {"var": "amount"}, 100]})));
    assert!(matches(json!({"<=": [64.5, {"var": "amount"}, 100]})));
    assert!(matches(json!({">": [{"var": "custom.visits"}, "5"]})));
    assert!(matches(json!({"<": [{"var": "age"}, 35]})));
    // Missing numbers compare as 0 (JSONLogic null → 0), strings lexically.
    assert!(matches(json!({"<": [{"var": "custom.missing"}, 1]})));
    assert!(matches(json!({"<": [{"var": "country"}, "ZZ"]})));
}

#[test]
fn logic_operators_short_circuit_and_return_operands() {
    assert_eq!(
        eval(json!({"or": [{"var": "gender"}, {"var": "firstname"}]})),
        json!("Ada")
    );
    assert_eq!(
        eval(json!({"and": [{"var": "state"}, {"var": "quantity"}]})),
        json!(2)
    );
    assert_eq!(eval(json!({"and": []})), json!(null));
    assert!(!matches(json!({"and": []})));
    assert!(matches(json!({"!": {"var": "gender"}})));
    assert!(matches(json!({"!!": {"var": "custom.tags"}})));
    assert_eq!(
        eval(json!({"if": [
            {">=": [{"var": "amount"}, 100]}, "big",
            {">=": [{"var": "amount"}, 50]}, "medium",
            "small"
        ]})),
        json!("medium")
    );
}

#[test]
fn in_works_on_constant_lists_computed_lists_and_strings() {
    assert!(matches(
        json!({"in": [{"var": "state"}, ["CA", "NY", "WA"]]})
    ));
    assert!(!matches(json!({"in": [{"var": "state"}, ["OR", "NV"]]})));
    assert!(matches(json!({"in": ["kids", {"var": "custom.tags"}]})));
    assert!(matches(json!({"in": ["941", {"var": "zipcode"}]})));
    assert!(!matches(json!({"in": [{"var": "gender"}, ["f", "m"]]})));
    assert!(matches(json!({"in": [{"var": "gender"}, ["f", null]]})));
    // Strict: the number 2 is not the string "2".
    assert!(matches(json!({"in": [{"var": "quantity"}, [1, 2, 3]]})));
    assert!(!matches(json!({"in": [{"var": "quantity"}, ["2"]]})));
}

#[test]
fn arithmetic_strings_and_arrays() {
    assert_eq!(eval(json!({"*": [{"var": "amount"}, 2]})), json!(129));
    assert_eq!(eval(json!({"+": [{"var": "quantity"}, "1"]})), json!(3));
    assert_eq!(eval(json!({"-": [{"var": "amount"}]})), json!(-64.5));
    assert_eq!(eval(json!({"%": [{"var": "custom.visits"}, 4]})), json!(3));
    assert_eq!(eval(json!({"max": [{"var": "age"}, 18]})), json!(31));
    assert_eq!(
        eval(json!({"cat": ["Hi ", {"var": "firstname"}, " from ", {"var": "state"}]})),
        json!("Hi Ada from CA")
    );
    assert_eq!(
        eval(json!({"substr": [{"var": "zipcode"}, 0, 3]})),
        json!("941")
    );
    assert_eq!(
        eval(json!({"merge": [{"var": "custom.tags"}, "new"]})),
        json!(["outdoor", "kids", "new"])
    );
    assert_eq!(
        eval(json!({"missing": ["state", "gender", "custom.segment"]})),
        json!(["gender"])
    );
    assert_eq!(
        eval(json!({"missing_some": [1, ["gender", "dob"]]})),
        json!(["gender", "dob"])
    );
    assert_eq!(
        eval(json!({"map": [{"var": "custom.tags"}, {"cat": ["#", {"var": ""}]}]})),
        json!(["#outdoor", "#kids"])
    );
    assert!(matches(
        json!({"some": [{"var": "custom.tags"}, {"==": [{"var": ""}, "kids"]}]})
    ));
    assert!(!matches(
        json!({"all": [{"var": "custom.tags"}, {"==": [{"var": ""}, "kids"]}]})
    ));
    assert_eq!(
        eval(json!({"reduce": [{"var": "custom.tags"}, {"+": [{"var": "accumulator"}, 1]}, 0]})),
        json!(2)
    );
}

#[test]
fn audience_membership_is_resolved_at_compile_time() {
    let r = rule(json!({"in_audience": "lapsed-buyers"}));
    let mut env = env();
    assert!(!r.matches(&shopper(), &env));
    env.audiences = vec![1];
    assert!(r.matches(&shopper(), &env));
    let err = try_compile(&json!({"and": [true, {"in_audience": "nobody"}]})).unwrap_err();
    assert_eq!(err.code(), ErrorCode::RuleInvalid);
    assert!(
        err.message()
            .contains("offers[offer-12].eligibility/and/1/in_audience"),
        "{err}"
    );
    assert!(err.message().contains("nobody"), "{err}");
}

#[test]
fn history_counts_come_from_the_environment() {
    let r = rule(json!({"<": [{"history_count": ["advertiser", "acme", "week"]}, 3]}));
    let mut env = env();
    assert!(r.matches(&shopper(), &env));
    env.history = vec![(CapScope::Advertiser, "acme".into(), CapWindow::Week, 3)];
    assert!(!r.matches(&shopper(), &env));
    env.history = vec![(CapScope::Advertiser, "acme".into(), CapWindow::Day, 3)];
    assert!(r.matches(&shopper(), &env), "another window does not count");
    for bad in [
        json!({"history_count": ["shopper", "acme", "week"]}),
        json!({"history_count": ["offer", "acme", "fortnight"]}),
        json!({"history_count": ["offer", {"var": "state"}, "day"]}),
        json!({"history_count": ["offer", "acme"]}),
    ] {
        assert_eq!(
            try_compile(&bad).unwrap_err().code(),
            ErrorCode::RuleInvalid,
            "{bad}"
        );
    }
}

#[test]
fn local_time_uses_the_partner_offset() {
    let hour = rule(json!({"local_hour": []}));
    let weekday = rule(json!({"local_weekday": []}));
    let mut env = env(); // Sunday 12:00 UTC
    assert_eq!(hour.evaluate(&shopper(), &env).unwrap(), json!(12));
    assert_eq!(weekday.evaluate(&shopper(), &env).unwrap(), json!(6));
    env.utc_offset_minutes = -8 * 60; // Sunday 04:00 in California
    assert_eq!(hour.evaluate(&shopper(), &env).unwrap(), json!(4));
    env.utc_offset_minutes = 13 * 60; // Monday 01:00 in Tonga
    assert_eq!(hour.evaluate(&shopper(), &env).unwrap(), json!(1));
    assert_eq!(weekday.evaluate(&shopper(), &env).unwrap(), json!(0));
    let weekend_evening = rule(json!({"and": [
        {"in": [{"local_weekday": []}, [5, 6]]},
        {">=": [{"local_hour": []}, 18]}
    ]}));
    env.utc_offset_minutes = 7 * 60; // Sunday 19:00
    assert!(weekend_evening.matches(&shopper(), &env));
    assert_eq!(
        try_compile(&json!({"local_hour": 3})).unwrap_err().code(),
        ErrorCode::RuleInvalid
    );
}

fn compile_error(r: Value) -> String {
    let err = try_compile(&r).unwrap_err();
    assert_eq!(err.code(), ErrorCode::RuleInvalid, "{r}: {err}");
    err.message().to_owned()
}

#[test]
fn compile_errors_name_the_offer_and_the_json_path() {
    let msg =
        compile_error(json!({"and": [{"==": [1, 1]}, {"in": [{"var": "state"}, ["CA"], 3]}]}));
    assert!(
        msg.starts_with("offers[offer-12].eligibility/and/1/in:"),
        "{msg}"
    );
    assert!(msg.contains("takes 2 arguments, got 3"), "{msg}");
    let msg = compile_error(json!({"or": [true, {"!": {"regex": ["a", "b"]}}]}));
    assert!(
        msg.starts_with("offers[offer-12].eligibility/or/1/!/0/regex:"),
        "{msg}"
    );
    assert!(msg.contains("unknown operator"), "{msg}");
    let msg = compile_error(json!({"==": [{"var": "sate"}, "CA"]}));
    assert!(msg.contains("==/0/var/0"), "{msg}");
    assert!(msg.contains("\"sate\""), "{msg}");
    let msg = compile_error(json!({"var": "state.code"}));
    assert!(msg.contains("no fields"), "{msg}");
    let msg = compile_error(json!({"==": [1, 2], "!=": [1, 2]}));
    assert!(msg.contains("exactly one key"), "{msg}");
    for bad in [
        json!({"!": []}),
        json!({"==": [1]}),
        json!({">": [1, 2, 3]}),
        json!({"*": []}),
        json!({"-": [1, 2, 3]}),
        json!({"substr": ["x"]}),
        json!({"var": ["a", 1, 2]}),
        json!({"missing_some": [1]}),
        json!({"map": [[1]]}),
        json!({"reduce": [[1]]}),
        json!({"method": ["x", "toUpperCase"]}),
        json!({}),
    ] {
        compile_error(bad);
    }
}

#[test]
fn rules_beyond_the_limits_are_refused() {
    let mut deep = json!(true);
    for _ in 0..30 {
        deep = json!({"!!": [deep]});
    }
    let msg = compile_error(deep);
    assert!(msg.contains("deeper than"), "{msg}");
    let wide: Vec<Value> = (0..600)
        .map(|i| json!({"==": [{"var": "age"}, i]}))
        .collect();
    let msg = compile_error(json!({"or": wide}));
    assert!(msg.contains("nodes"), "{msg}");
    // A long constant list is one node, not hundreds.
    let zips: Vec<String> = (0..2_000).map(|i| format!("{:05}", 90_000 + i)).collect();
    let r = rule(json!({"in": [{"var": "zipcode"}, zips]}));
    assert!(r.node_count() < 10);
    assert!(!r.matches(&shopper(), &env()));
}

#[test]
fn matches_agrees_with_the_truthiness_of_evaluate() {
    for r in [
        json!({"and": [{"var": "state"}, {"var": "gender"}]}),
        json!({"or": [{"var": "gender"}, []]}),
        json!({"if": [{"var": "gender"}, true, {"var": "custom.tags"}]}),
        json!({"filter": [{"var": "custom.tags"}, false]}),
        json!({"missing": ["gender"]}),
        json!({"*": ["0"]}),
    ] {
        let compiled = rule(r.clone());
        let value = compiled.evaluate(&shopper(), &env()).unwrap();
        let truthy = !matches!(value, Value::Null | Value::Bool(false))
            && value != json!(0)
            && value != json!("")
            && value != json!([]);
        assert_eq!(
            compiled.matches(&shopper(), &env()),
            truthy,
            "{r} = {value}"
        );
    }
}

fn constraint(field: Field, kind: ConstraintKind, values: &[&str]) -> FieldConstraint {
    FieldConstraint {
        field,
        kind,
        values: values.iter().map(|s| s.to_string()).collect(),
    }
}

#[test]
fn required_values_come_from_the_top_level_conjunction() {
    let r = rule(json!({"and": [
        {"in": [{"var": "state"}, ["NY", "CA", "CA"]]},
        {"==": ["US", {"var": "country"}]},
        {"!": {"in": [{"var": "device"}, ["tablet"]]}},
        {"!=": [{"var": "paymenttype"}, "paypal"]},
        {">=": [{"var": "amount"}, 50]},
        {"or": [{"==": [{"var": "customertype"}, "new"]}, {"===": [{"var": "customertype"}, "returning"]}]}
    ]}));
    // One constraint per field, in attribute order.
    assert_eq!(
        r.required_values(),
        vec![
            constraint(Field::State, ConstraintKind::In, &["CA", "NY"]),
            constraint(Field::Country, ConstraintKind::In, &["US"]),
            constraint(Field::PaymentType, ConstraintKind::NotIn, &["paypal"]),
            constraint(
                Field::CustomerType,
                ConstraintKind::In,
                &["new", "returning"]
            ),
            constraint(Field::Device, ConstraintKind::NotIn, &["tablet"]),
        ]
    );
    assert!(r.matches(&shopper(), &env()));
}

#[test]
fn constraints_on_one_field_are_merged() {
    let r = rule(json!({"and": [
        {"in": [{"var": "state"}, ["CA", "NY", "WA"]]},
        {"!=": [{"var": "state"}, "NY"]},
        {"!!": {"in": [{"var": "state"}, ["CA", "NY", "OR"]]}}
    ]}));
    assert_eq!(
        r.required_values(),
        vec![constraint(Field::State, ConstraintKind::In, &["CA"])]
    );
}

#[test]
fn no_constraint_where_it_would_be_unsound() {
    for r in [
        // A default makes an absent state equal "CA".
        json!({"==": [{"var": ["state", "CA"]}, "CA"]}),
        // Loose equality with a number matches "090210" too.
        json!({"==": [{"var": "zipcode"}, 90210]}),
        // null in the list matches an absent attribute.
        json!({"in": [{"var": "state"}, ["CA", null]]}),
        // Disjunction over different fields.
        json!({"or": [{"==": [{"var": "state"}, "CA"]}, {"==": [{"var": "country"}, "CA"]}]}),
        // Negated conjunction.
        json!({"!": {"and": [{"==": [{"var": "state"}, "CA"]}]}}),
        // Numeric attributes and custom attributes are not indexed.
        json!({"==": [{"var": "amount"}, "50"]}),
        json!({"==": [{"var": "custom.segment"}, "vip"]}),
        json!({"if": [{"==": [{"var": "state"}, "CA"]}, true, true]}),
        // `!in [null]` implies presence, so it is not exactly "not in []":
        // negating it again must not claim "in []" (found by proptest).
        json!({"!": {"!": {"in": [{"var": "country"}, [null]]}}}),
    ] {
        assert_eq!(rule(r.clone()).required_values(), vec![], "{r}");
    }
}

#[test]
fn absent_numbers_compare_as_zero_as_in_jsonlogic() {
    let no_amount = Context::from_json(br#"{"state":"CA"}"#).unwrap();
    assert!(rule(json!({"<": [{"var": "amount"}, 50]})).matches(&no_amount, &env()));
    assert!(!rule(json!({">=": [{"var": "amount"}, 50]})).matches(&no_amount, &env()));
    assert!(rule(json!({">=": [0, {"var": "quantity"}]})).matches(&no_amount, &env()));
    // A default changes the comparison, as written.
    assert!(!rule(json!({"<": [{"var": ["amount", 100]}, 50]})).matches(&no_amount, &env()));
}

#[test]
fn checkout_rules_applied_to_json_data_keep_javascript_semantics() {
    let data = json!({"zipcode": 94103, "amount": "64.5", "state": "CA"});
    let e = env();
    assert_eq!(
        rule(json!({"==": [{"var": "zipcode"}, "94103"]}))
            .apply(&data, &e)
            .unwrap(),
        json!(true)
    );
    assert_eq!(
        rule(json!({"===": [{"var": "zipcode"}, "94103"]}))
            .apply(&data, &e)
            .unwrap(),
        json!(false)
    );
    assert_eq!(
        rule(json!({"!==": [{"var": "zipcode"}, "94103"]}))
            .apply(&data, &e)
            .unwrap(),
        json!(true)
    );
    assert_eq!(
        rule(json!({">=": [{"var": "amount"}, 50]}))
            .apply(&data, &e)
            .unwrap(),
        json!(true)
    );
    assert_eq!(
        rule(json!({">": [70, {"var": "amount"}]}))
            .apply(&data, &e)
            .unwrap(),
        json!(true)
    );
    assert_eq!(
        rule(json!({"in": [{"var": "state"}, ["CA", "NY"]]}))
            .apply(&data, &e)
            .unwrap(),
        json!(true)
    );
    assert_eq!(
        rule(json!({"in": [{"var": "zipcode"}, ["94103"]]}))
            .apply(&data, &e)
            .unwrap(),
        json!(false)
    );
}

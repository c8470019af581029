//! The names the JS binding exposes, held to the core's one list of each:
//! the `.d.ts` union of error codes (src/wasm/mod.rs) to `ErrorCode::ALL`,
//! `ErrorCode::ALL` to the enum, the union of `decision.warnings` codes to
//! `WarningCode::ALL`, the union of event types to `EventType::ALL`, the
//! unions of explanation reasons and actions to their enums' variants, and
//! event types parsed by their wire names.

use offer_edge::decide::WarningCode;
use offer_edge::error::ErrorCode;
use offer_edge::events::EventType;

/// The TypeScript union `name` the binding's custom section must contain.
fn ts_union(name: &str, codes: &[&str]) -> String {
    let members: Vec<String> = codes.iter().map(|code| format!("  | \"{code}\"")).collect();
    format!("export type {name} =\n{};\n", members.join("\n"))
}

fn assert_binding_declares(name: &str, codes: &[&str]) {
    let binding = include_str!("../src/wasm/mod.rs");
    let union = ts_union(name, codes);
    assert!(
        binding.contains(&union),
        "src/wasm/mod.rs must declare exactly\n{union}"
    );
}

/// `all` equals the `Self::X => "TAG"` arms of `source` in order, once each.
fn assert_all_lists_every_arm_once(source: &str, all: &[&str], what: &str) {
    let arms: Vec<&str> = source
        .lines()
        .filter_map(|line| line.trim().strip_prefix("Self::"))
        .filter_map(|rest| rest.split_once(" => \""))
        .map(|(_, tag)| tag.trim_end_matches("\","))
        .collect();
    assert_eq!(all, arms, "{what}::ALL in as_str's order");
    let mut sorted = all.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(sorted.len(), all.len(), "a {what} listed twice");
}

#[test]
fn the_dts_union_of_error_codes_is_error_code_all() {
    let codes: Vec<&str> = ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
    assert_binding_declares("ErrorCode", &codes);
}

#[test]
fn error_code_all_lists_every_code_once() {
    let codes: Vec<&str> = ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
    assert_all_lists_every_arm_once(include_str!("../src/error.rs"), &codes, "ErrorCode");
}

#[test]
fn the_dts_union_of_warning_codes_is_warning_code_all() {
    let codes: Vec<&str> = WarningCode::ALL.iter().map(|c| c.as_str()).collect();
    assert_binding_declares("WarningCode", &codes);
    // serde writes the same tags the union names.
    for code in WarningCode::ALL {
        assert_eq!(
            serde_json::to_string(&code).unwrap(),
            format!("\"{}\"", code.as_str())
        );
    }
}

#[test]
fn warning_code_all_lists_every_code_once() {
    let codes: Vec<&str> = WarningCode::ALL.iter().map(|c| c.as_str()).collect();
    assert_all_lists_every_arm_once(
        include_str!("../src/decide/decision.rs"),
        &codes,
        "WarningCode",
    );
}

/// The variants of `pub enum <name>` in `source`, camelCase (serde's tags).
fn variant_tags(source: &str, name: &str) -> Vec<String> {
    let start = format!("pub enum {name} {{");
    let body = source
        .split_once(&start)
        .map(|(_, rest)| rest.split_once("\n}").map_or(rest, |(body, _)| body))
        .unwrap_or_else(|| panic!("no `{start}`"));
    body.lines()
        .filter_map(|line| line.strip_prefix("    "))
        .filter_map(|line| line.strip_suffix(" {").or_else(|| line.strip_suffix(',')))
        .map(|name| name.split('(').next().unwrap_or(name))
        .filter(|name| {
            name.chars().all(char::is_alphanumeric) && name.starts_with(char::is_uppercase)
        })
        .map(|name| name[..1].to_lowercase() + &name[1..])
        .collect()
}

#[test]
fn the_dts_unions_of_reason_kinds_and_action_types_are_the_enums_variants() {
    let reasons = variant_tags(include_str!("../src/decide/decision.rs"), "Reason");
    assert!(reasons.len() >= 18, "{reasons:?}");
    assert_binding_declares(
        "ReasonKind",
        &reasons.iter().map(String::as_str).collect::<Vec<_>>(),
    );
    let actions = variant_tags(include_str!("../src/bundle/model.rs"), "Action");
    assert_eq!(actions, ["link", "addToCart", "coupon"]);
    assert_binding_declares(
        "ActionType",
        &actions.iter().map(String::as_str).collect::<Vec<_>>(),
    );
}

#[test]
fn the_dts_union_of_event_types_is_event_type_all() {
    let types: Vec<&str> = EventType::ALL.iter().map(|t| t.as_str()).collect();
    assert_binding_declares("EventType", &types);
}

#[test]
fn event_types_parse_by_their_wire_names() {
    for kind in EventType::ALL {
        assert_eq!(kind.as_str().parse::<EventType>(), Ok(kind));
        let json = serde_json::to_string(&kind).unwrap();
        assert_eq!(
            json,
            format!("\"{}\"", kind.as_str()),
            "serde and as_str agree"
        );
    }
    let err = "Impression".parse::<EventType>().unwrap_err();
    assert_eq!(err.code(), ErrorCode::EventInvalid);
}

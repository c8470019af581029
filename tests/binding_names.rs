//! The names the JS binding exposes, held to the core's one list of each:
//! the `.d.ts` union of error codes (src/wasm/mod.rs) to `ErrorCode::ALL`,
//! `ErrorCode::ALL` to the enum, and event types parsed by their wire names.

use offer_edge::error::ErrorCode;
use offer_edge::events::EventType;

/// The TypeScript the binding's custom section must contain, from `ALL`.
fn ts_union() -> String {
    let members: Vec<String> = ErrorCode::ALL
        .iter()
        .map(|code| format!("  | \"{code}\""))
        .collect();
    format!("export type ErrorCode =\n{};\n", members.join("\n"))
}

#[test]
fn the_dts_union_of_error_codes_is_error_code_all() {
    let binding = include_str!("../src/wasm/mod.rs");
    let union = ts_union();
    assert!(
        binding.contains(&union),
        "src/wasm/mod.rs must declare exactly\n{union}"
    );
}

#[test]
fn error_code_all_lists_every_code_once() {
    // Every `as_str` arm is a variant; ALL must hold each of them once.
    let source = include_str!("../src/error.rs");
    let arms: Vec<&str> = source
        .lines()
        .filter_map(|line| line.trim().strip_prefix("Self::"))
        .filter_map(|rest| rest.split_once(" => \""))
        .map(|(_, tag)| tag.trim_end_matches("\","))
        .collect();
    let mut all: Vec<&str> = ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
    assert_eq!(all, arms, "ErrorCode::ALL in as_str's order");
    all.sort_unstable();
    all.dedup();
    assert_eq!(all.len(), ErrorCode::ALL.len(), "a code listed twice");
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

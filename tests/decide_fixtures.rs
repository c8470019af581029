//! The shared decision fixtures, natively.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "common/decide_fixture.rs"]
mod decide_fixture;

#[test]
fn every_shared_fixture_case_holds() {
    let cases = decide_fixture::cases();
    assert!(cases.len() >= 30);
    for case in &cases {
        decide_fixture::run_case(case);
    }
}

//! The shared decision fixtures (`tests/fixtures/decide/cases.json`) on
//! wasm32: the very runner the native suite uses (`#[path]`), so Node and
//! Chromium check the same winners, reasons, HTML and warnings.

#[path = "../common/decide_fixture.rs"]
pub mod decide_fixture;

tests! {
    fn every_shared_decide_case_holds() {
        let cases = decide_fixture::cases();
        assert!(cases.len() >= 30, "only {} cases", cases.len());
        for case in &cases {
            decide_fixture::run_case(case);
        }
    }
}

//! Signed bundle fixtures (`tests/fixtures/bundles/cases.json`) through a
//! `BundleStore` of compiled engines on wasm32: every refusal keeps its code,
//! a failed load keeps the previous engine, and the loaded engine decides.

use crate::fixtures::{get, BUNDLES};
use offer_edge::bundle::{BundleStore, LoadOutcome, StoreState, Trust};
use offer_edge::context::Context;
use offer_edge::decide::{DecideOptions, Engine};
use offer_edge::history::History;
use offer_edge::time::Timestamp;
use serde::Deserialize;

/// One row of `cases.json`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Case {
    pub description: String,
    pub expect: String,
    pub file: String,
    pub last_version: Option<u64>,
    pub now: String,
    pub trust: String,
}

/// Every bundle case.
pub fn cases() -> Vec<Case> {
    serde_json::from_str(get(BUNDLES, "cases.json")).unwrap()
}

/// The instant of a case.
pub fn at(text: &str) -> Timestamp {
    Timestamp::parse_rfc3339(text).unwrap()
}

fn store(trust: &str) -> BundleStore<Engine> {
    let trust = Trust::from_json(get(BUNDLES, trust).as_bytes()).unwrap();
    BundleStore::with_compile(trust, Engine::from_verified)
}

tests! {
    fn every_bundle_case_loads_or_fails_with_its_code() {
        for case in cases() {
            let mut store = store(&case.trust);
            if let Some(v) = case.last_version {
                store.import_state(&StoreState { partner: "acme".into(), last_version: v }).unwrap();
            }
            let got = match store.load(get(BUNDLES, &case.file).as_bytes(), at(&case.now)) {
                Ok(LoadOutcome::Loaded { .. }) => "ok".to_string(),
                Ok(LoadOutcome::Unchanged { .. }) => "unchanged".to_string(),
                Err(e) => e.code().as_str().to_string(),
            };
            assert_eq!(got, case.expect, "{}", case.description);
        }
    }

    fn a_failed_load_keeps_the_previous_engine_deciding() {
        let mut store = store("trust.json");
        let now = at("2026-06-01T00:00:00Z");
        store.load(get(BUNDLES, "acme-v1.signed.json").as_bytes(), now).unwrap();
        let err = store.load(get(BUNDLES, "acme-v2-tampered-payload.signed.json").as_bytes(), now).unwrap_err();
        assert_eq!(err.code().as_str(), "SIGNATURE_INVALID");
        let engine = store.active().unwrap();
        assert_eq!(engine.version(), 1);
        let context = Context::from_json(br#"{"firstname":"Ada","state":"CA","amount":"64.50"}"#).unwrap();
        let decision = engine
            .decide(&context, &History::new("acme"), now, &[7; 16], &DecideOptions::default())
            .unwrap();
        assert_eq!(decision.bundle_version, 1);
        assert!(decision.placements.iter().any(|p| !p.offers.is_empty()), "the demo bundle shows offers");
        assert_eq!(engine.signers(), ["k1".to_string(), "k2".to_string()]);
    }
}

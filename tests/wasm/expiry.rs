//! An engine stops deciding on its signed bundle at `expiresAt` plus the
//! trust's `decideGraceSeconds`, on wasm32 as natively (`tests/bundle_expiry.rs`),
//! and the JS `Engine` throws `BUNDLE_EXPIRED` from `decide` and
//! `eligibleOffers`.

use crate::bundles::at;
use crate::fixtures::{get, BUNDLES};
use offer_edge::bundle::{BundleStore, Trust};
use offer_edge::context::Context;
use offer_edge::decide::{DecideOptions, Engine};
use offer_edge::history::History;
use offer_edge::time::Timestamp;
use serde_json::Value;

/// `trust.json` with `decideGraceSeconds` set (or not).
fn trust_json(grace_seconds: Option<u64>) -> String {
    let mut trust: Value = serde_json::from_str(get(BUNDLES, "trust.json")).unwrap();
    if let Some(seconds) = grace_seconds {
        trust["decideGraceSeconds"] = seconds.into();
    }
    trust.to_string()
}

/// `acme-v2.signed.json` (expires 2099-01-01) loaded in 2026.
fn engine(grace_seconds: Option<u64>) -> std::sync::Arc<Engine> {
    let trust = Trust::from_json(trust_json(grace_seconds).as_bytes()).unwrap();
    let mut store = BundleStore::with_compile(trust, Engine::from_verified);
    store
        .load(
            get(BUNDLES, "acme-v2.signed.json").as_bytes(),
            at("2026-06-01T00:00:00Z"),
        )
        .unwrap();
    store.active().unwrap()
}

fn decide_code(engine: &Engine, now: Timestamp) -> Option<String> {
    let context = Context::from_json(br#"{"state":"CA","amount":"64.50"}"#).unwrap();
    let history = History::new("acme");
    let decided = engine.decide(&context, &history, now, &[5; 16], &DecideOptions::default());
    let eligible = engine.eligible_offers(&context, &history, now);
    let code = |e: &offer_edge::Error| e.code().as_str().to_string();
    assert_eq!(
        decided.as_ref().err().map(code),
        eligible.as_ref().err().map(code)
    );
    decided.err().map(|e| code(&e))
}

tests! {
    fn a_loaded_bundle_stops_deciding_at_expiry_plus_grace() {
        let expiry = at("2099-01-01T00:00:00Z");
        let plain = engine(None);
        assert_eq!(decide_code(&plain, Timestamp(expiry.as_millis() - 1)), None);
        assert_eq!(decide_code(&plain, expiry).as_deref(), Some("BUNDLE_EXPIRED"));
        let graced = engine(Some(60));
        assert_eq!(decide_code(&graced, Timestamp(expiry.as_millis() + 59_999)), None);
        assert_eq!(
            decide_code(&graced, Timestamp(expiry.as_millis() + 60_000)).as_deref(),
            Some("BUNDLE_EXPIRED")
        );
    }
}

#[cfg(all(target_arch = "wasm32", feature = "wasm"))]
mod binding {
    use super::trust_json;
    use crate::fixtures::{get, BUNDLES};
    use crate::js::code_of as code;
    use offer_edge::wasm::WasmEngine;
    use wasm_bindgen::JsValue;

    tests! {
        fn the_js_engine_throws_bundle_expired_after_expiry() {
            let trust = js_sys::JSON::parse(&trust_json(Some(3_600))).unwrap();
            let mut engine = WasmEngine::new(trust).unwrap();
            let loaded_at = 1_780_272_000_000.0; // 2026-06-01
            engine
                .load(JsValue::from_str(get(BUNDLES, "acme-v2.signed.json")), loaded_at)
                .unwrap();
            let expiry = 4_070_908_800_000.0; // 2099-01-01
            let context = || js_sys::JSON::parse(r#"{"state":"CA","amount":"64.50"}"#).unwrap();
            let within = expiry + 3_599_000.0;
            engine.decide(context(), None, within, JsValue::UNDEFINED).unwrap();
            engine.eligible_offers(context(), None, within).unwrap();
            let after = expiry + 3_600_000.0;
            let thrown = engine.decide(context(), None, after, JsValue::UNDEFINED).unwrap_err();
            assert_eq!(code(&thrown), "BUNDLE_EXPIRED");
            let thrown = engine.eligible_offers(context(), None, after).unwrap_err();
            assert_eq!(code(&thrown), "BUNDLE_EXPIRED");
        }
    }
}

//! Page bundles through the JS binding: `Engine.verifyPageBundle` pairs a
//! page bundle only with the full bundle it was signed with, and a page
//! engine's `info()` and explanations name the edge-only offers.

use crate::fixtures::{get, BUNDLES};
use crate::js::{back, code_of, field, signed_engine as engine};
use ed25519_dalek::SigningKey;
use offer_edge::bundle::manifest::split;
use offer_edge::bundle::Manifest;
use serde_json::{json, Value};
use wasm_bindgen::JsValue;

const NOW: f64 = 1_780_318_800_000.0; // 2026-06-01T13:00:00Z

/// The fixture bundle of `acme-v2.manifest.json`, its suppression list made
/// confidential, at `version`: (full signed file, page signed file), signed
/// by the fixture keys k1 and k2 (seeds [1; 32] and [2; 32]).
fn signed_pair(version: u64) -> (Vec<u8>, Vec<u8>) {
    let file = get(BUNDLES, "acme-v2.manifest.json").as_bytes();
    let mut doc: Value = serde_json::from_slice(split(file).unwrap().bundle).unwrap();
    doc["version"] = version.into();
    let at = doc["audiences"]
        .as_array()
        .unwrap()
        .iter()
        .position(|a| a["kind"] == "advertiserList")
        .unwrap();
    doc["audiences"][at]["confidential"] = true.into();
    let full = serde_json::to_vec(&doc).unwrap();
    // What `sign` writes (tests/confidential.rs checks that natively).
    let list = doc["audiences"][at].as_object_mut().unwrap();
    list.remove("filter");
    list.remove("salt");
    doc["edition"] = "page".into();
    let page = serde_json::to_vec(&doc).unwrap();
    let (k1, k2) = (
        SigningKey::from_bytes(&[1; 32]),
        SigningKey::from_bytes(&[2; 32]),
    );
    let keys = [("k1", &k1), ("k2", &k2)];
    let sign = |bytes: &[u8]| Manifest::of(bytes).unwrap().sign(bytes, &keys).unwrap();
    (sign(&full), sign(&page))
}

fn bytes(b: &[u8]) -> JsValue {
    js_sys::Uint8Array::from(b).into()
}

tests! {
    fn verify_page_bundle_pairs_only_the_page_edition_of_the_active_bundle() {
        let (full, page) = signed_pair(2);
        let mut edge = engine();
        assert_eq!(code_of(&edge.verify_page_bundle(bytes(&page), NOW).unwrap_err()), "NO_BUNDLE");
        edge.load(bytes(&full), NOW).unwrap();
        let ok: Value = back(&edge.verify_page_bundle(bytes(&page), NOW).unwrap());
        assert_eq!(ok["version"], 2);
        assert_eq!(ok["bundleSha256"].as_str().unwrap().len(), 64);
        // The full bundle stays active: checking a page bundle changes nothing.
        let info: Value = back(&edge.info().unwrap());
        assert_eq!((info["edition"].clone(), info["edgeOnly"].clone()), (json!("full"), json!([])));
        assert_eq!(info["confidentialAudiences"].as_array().unwrap().len(), 1);
        for (what, other) in [("older", signed_pair(1).1), ("newer", signed_pair(3).1), ("full", full.clone())] {
            let thrown = edge.verify_page_bundle(bytes(&other), NOW).unwrap_err();
            assert_eq!(code_of(&thrown), "PAGE_BUNDLE_MISMATCH", "{what}");
        }
        let mut tampered = page.clone();
        let at = tampered.len() - 40;
        tampered[at] ^= 1;
        assert_eq!(code_of(&edge.verify_page_bundle(bytes(&tampered), NOW).unwrap_err()), "DIGEST_MISMATCH");
    }

    fn a_page_engine_names_its_edge_only_offers_in_info_and_explanations() {
        let (_, page) = signed_pair(2);
        let mut browser = engine();
        browser.load(bytes(&page), NOW).unwrap();
        let info: Value = back(&browser.info().unwrap());
        assert_eq!(info["edition"], "page");
        let list = info["confidentialAudiences"][0].as_str().unwrap().to_owned();
        let edge_only = info["edgeOnly"].as_array().unwrap();
        assert!(!edge_only.is_empty());
        assert!(edge_only.iter().all(|e| e["audience"] == list.as_str()));
        let context = js_sys::JSON::parse(&json!({"firstname": "Ada", "state": "CA", "amount": "64.50",
            "email": "ada@example.com"}).to_string()).unwrap();
        let options = js_sys::JSON::parse(r#"{"explain": true, "seed": 1}"#).unwrap();
        let out = browser.decide(context, None, NOW, options).unwrap();
        let decision: Value = back(&field(&out, "decision"));
        let first = edge_only[0]["offerId"].as_str().unwrap();
        let row = decision["explanations"].as_array().unwrap().iter()
            .find(|x| x["offerId"] == first && x["reason"]["kind"] != "notInPlacement")
            .unwrap();
        assert_eq!(row["reason"], json!({"kind": "edgeOnly", "audience": list}));
        assert_eq!(row["message"], format!("audience {list} is confidential: decided at the edge only"));
    }
}

//! The JS binding inside the real host (Node, Chromium): entropy really comes
//! from `crypto.getRandomValues`, sealed requests open with the partner's
//! private key, and failures are `OfferEdgeError`s carrying the core's code.

use crate::seal::{partner_key, receipt};
use offer_edge::seal::{open_fulfilment, FulfilmentRequest};
use offer_edge::wasm;
use wasm_bindgen::{JsCast, JsValue};

const KEY: &[u8; 32] = b"edge-receipt-key-0123456789abcde";

fn js<T: serde::Serialize>(value: &T) -> JsValue {
    js_sys::JSON::parse(&serde_json::to_string(value).unwrap()).unwrap()
}

fn back<T: serde::de::DeserializeOwned>(value: &JsValue) -> T {
    serde_json::from_str(&js_sys::JSON::stringify(value).unwrap().as_string().unwrap()).unwrap()
}

/// `(name, code)` of a thrown value, asserting it is a real JS `Error`.
fn name_and_code(thrown: &JsValue) -> (String, String) {
    let error: &js_sys::Error = thrown.dyn_ref().expect("an Error instance");
    let code = js_sys::Reflect::get(error, &JsValue::from_str("code")).unwrap();
    (String::from(error.name()), code.as_string().unwrap())
}

tests! {
    fn seal_draws_host_entropy_and_opens_for_the_partner_only() {
        let (private, key) = partner_key("acme-2026-01", 7);
        let (globex_private, _) = partner_key("globex-2026-01", 9);
        let r = receipt("acme-shop");
        let one: FulfilmentRequest = back(&wasm::seal_for_fulfilment(js(&key), js(&r), "Ada@Example.com").unwrap());
        let two: FulfilmentRequest = back(&wasm::seal_for_fulfilment(js(&key), js(&r), "Ada@Example.com").unwrap());
        // Fresh host entropy per call.
        assert_ne!(one.enc, two.enc);
        assert_ne!(one.ciphertext, two.ciphertext);
        for request in [&one, &two] {
            let opened = open_fulfilment(&private, "acme-2026-01", "acme-shop", request).unwrap();
            assert_eq!(opened.email, "ada@example.com");
            let err = open_fulfilment(&globex_private, "acme-2026-01", "acme-shop", request).unwrap_err();
            assert_eq!(err.code().as_str(), "SEAL_FAILED");
        }
    }

    fn errors_are_offer_edge_errors_with_stable_codes() {
        let (_, key) = partner_key("acme-2026-01", 7);
        let thrown = wasm::seal_for_fulfilment(js(&key), js(&receipt("acme-shop")), "nobody").unwrap_err();
        assert_eq!(name_and_code(&thrown), ("OfferEdgeError".into(), "EMAIL_INVALID".into()));

        let compact = wasm::sign_receipt(js(&receipt("acme-shop")), KEY).unwrap();
        let trusted: offer_edge::receipt::Receipt =
            back(&wasm::verify_receipt(&compact, KEY, 1_795_955_700_000.0, "acme-shop", "offer-meal-kit").unwrap());
        assert_eq!(trusted, receipt("acme-shop"));
        let cases: [(f64, &str, &str); 4] = [
            (1_796_042_096_000.0, "acme-shop", "RECEIPT_EXPIRED"),
            (1_795_955_700_000.0, "globex-store", "RECEIPT_INVALID"),
            (f64::NAN, "acme-shop", "CONTEXT_INVALID"),
            (1.5, "acme-shop", "CONTEXT_INVALID"),
        ];
        for (now, partner, code) in cases {
            let thrown = wasm::verify_receipt(&compact, KEY, now, partner, "offer-meal-kit").unwrap_err();
            assert_eq!(name_and_code(&thrown).1, code, "{now} {partner}");
        }
        let thrown = wasm::sign_receipt(JsValue::UNDEFINED, KEY).unwrap_err();
        assert_eq!(name_and_code(&thrown).1, "RECEIPT_INVALID");
        let thrown = wasm::sign_receipt(js(&receipt("acme-shop")), b"short").unwrap_err();
        assert_eq!(name_and_code(&thrown).1, "KEY_INVALID");
    }

    fn uuid_v4_is_fresh_and_well_formed() {
        let a = wasm::uuid_v4().unwrap();
        let b = wasm::uuid_v4().unwrap();
        assert_ne!(a, b);
        assert!(offer_edge::events::is_uuid_v4(&a), "{a}");
    }
}

//! Values and errors across the JS boundary, for the tests that call the
//! binding (wasm32 with the `wasm` feature only): one conversion each way
//! and one reading of a thrown `OfferEdgeError`, so every suite asserts the
//! same thing about what JS sees.

use crate::fixtures::{get, BUNDLES};
use offer_edge::wasm::WasmEngine;
use wasm_bindgen::{JsCast, JsValue};

/// `value` as the JS value `JSON.parse` makes of its JSON.
pub fn js<T: serde::Serialize>(value: &T) -> JsValue {
    js_sys::JSON::parse(&serde_json::to_string(value).unwrap()).unwrap()
}

/// A JS value read back through `JSON.stringify`.
pub fn back<T: serde::de::DeserializeOwned>(value: &JsValue) -> T {
    serde_json::from_str(&js_sys::JSON::stringify(value).unwrap().as_string().unwrap()).unwrap()
}

/// `object[name]`.
pub fn field(object: &JsValue, name: &str) -> JsValue {
    js_sys::Reflect::get(object, &JsValue::from_str(name)).unwrap()
}

/// `(name, code)` of a thrown value, asserting it is a real JS `Error`.
pub fn name_and_code(thrown: &JsValue) -> (String, String) {
    let error: &js_sys::Error = thrown.dyn_ref().expect("an Error instance");
    let code = field(error, "code").as_string().unwrap();
    (String::from(error.name()), code)
}

/// The `code` of a thrown `OfferEdgeError`.
pub fn code_of(thrown: &JsValue) -> String {
    let (name, code) = name_and_code(thrown);
    assert_eq!(name, "OfferEdgeError");
    code
}

/// A JS `Engine` pinned to the fixtures' `trust.json`, with no bundle yet.
pub fn signed_engine() -> WasmEngine {
    WasmEngine::new(js_sys::JSON::parse(get(BUNDLES, "trust.json")).unwrap()).unwrap()
}

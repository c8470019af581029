//! The JavaScript binding: the only file that names `wasm_bindgen` / `js_sys`.
//!
//! Thin by design (see STYLE.md): it converts JS values to core types and
//! back, turns core errors into real JS `Error`s with a stable `code`, and
//! supplies entropy from `crypto.getRandomValues`. No decision logic lives here.

use wasm_bindgen::prelude::*;

/// The crate version, e.g. `"0.1.0"`.
///
/// @example
/// ```js
/// import { version } from "offer-edge";
/// console.log(version());
/// ```
#[wasm_bindgen]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_string()
}

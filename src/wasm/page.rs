//! `Engine.verifyPageBundle`: whether signed bytes are the page edition of
//! the active bundle, so a host that decides with the full bundle serves
//! pages only a page bundle the core verified (src/bundle/page.rs).
//! Conversion only: the checks are [`crate::bundle::verify_page_bundle`].

use super::engine::{bytes_of, WasmEngine};
use super::{timestamp, JsResult};
use crate::bundle::verify_page_bundle;
use crate::context::lower_hex;
use crate::error::ErrorCode;
use wasm_bindgen::prelude::*;

#[wasm_bindgen(js_class = Engine)]
impl WasmEngine {
    /// Verifies a signed page bundle (the bytes `offer-edge sign` writes as
    /// `*.page.json`) against this engine's pinned trust at `nowMs`, and
    /// checks that it is the page edition of the active bundle: same
    /// partner, version and dates. Returns `{version, bundleSha256}`;
    /// nothing in the engine changes (the full bundle stays active).
    ///
    /// Throws an `OfferEdgeError` with `code` `NO_BUNDLE` (nothing active),
    /// `PAGE_BUNDLE_MISMATCH` (a full bundle, or another version), or the
    /// failing verification check's (`SIGNATURE_INVALID`,
    /// `BUNDLE_EXPIRED`, `SCHEMA_INVALID`…).
    ///
    /// @example
    /// ```js
    /// const { version } = engine.verifyPageBundle(pageBytes, Date.now());
    /// // serve pageBytes at GET /v1/bundles/:partner; decide with the full bundle
    /// ```
    ///
    /// # Errors
    /// As above, as a thrown JS `Error`.
    #[wasm_bindgen(
        js_name = verifyPageBundle,
        unchecked_return_type = "{ version: number; bundleSha256: string }"
    )]
    pub fn verify_page_bundle(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Uint8Array | string")] signed: JsValue,
        #[wasm_bindgen(js_name = nowMs)] now_ms: f64,
    ) -> JsResult<JsValue> {
        let full = self.active()?;
        let bytes = bytes_of(&signed, ErrorCode::EnvelopeMalformed, "page bundle")?;
        let page = verify_page_bundle(
            self.store()?.trust(),
            &bytes,
            timestamp(now_ms)?,
            full.bundle(),
        )?;
        let out = js_sys::Object::new();
        js_sys::Reflect::set(
            &out,
            &"version".into(),
            &(page.bundle.version as f64).into(),
        )?;
        js_sys::Reflect::set(
            &out,
            &"bundleSha256".into(),
            &lower_hex(&page.sha256).into(),
        )?;
        Ok(out.into())
    }
}

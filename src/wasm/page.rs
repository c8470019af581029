//! `Engine.verifyPageBundle`: whether signed bytes are the page edition of
//! the active bundle, so a host that decides with the full bundle serves
//! pages only a page bundle the core verified (src/bundle/page.rs).
//! Conversion only: the checks are [`crate::bundle::verify_page_bundle`].

use super::engine::{bytes_of, WasmEngine};
use super::{timestamp, JsResult};
use crate::bundle::verify::{differing_claim, Claims};
use crate::bundle::{verify_form, verify_page_bundle};
use crate::context::lower_hex;
use crate::decide::Engine;
use crate::error::{Error, ErrorCode};
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

    /// Verifies a compiled form (the `*.oeb` file `offer-edge sign` writes:
    /// what the page build loads) before a host serves it to pages: its
    /// signatures against this engine's pinned trust at `nowMs`, that it
    /// describes the active bundle (same partner, version and dates), and
    /// that its body is byte for byte what this engine compiles the bundle
    /// pages get to — the page edition `pageBundle` (its signed JSON,
    /// verified as by `verifyPageBundle`) when the active bundle has
    /// confidential audiences, else the active bundle itself. So a page
    /// never runs a rule, template or index the edge would not have
    /// compiled from the signed JSON. Returns `{version, bundleSha256}`;
    /// nothing in the engine changes.
    ///
    /// Throws an `OfferEdgeError` with `code` `NO_BUNDLE`,
    /// `PAGE_BUNDLE_MISMATCH` (another bundle's form, a form of the full
    /// bundle where pages must get the page edition, or a body that is not
    /// this engine's compile), or the failing verification check's
    /// (`SIGNATURE_INVALID`, `DIGEST_MISMATCH`, `BUNDLE_EXPIRED`…).
    ///
    /// @example
    /// ```js
    /// engine.verifyCompiledForm(formBytes, Date.now(), pageBytes ?? null);
    /// // serve formBytes at GET /v1/bundles/:partner/compiled
    /// ```
    ///
    /// # Errors
    /// As above, as a thrown JS `Error`.
    #[wasm_bindgen(
        js_name = verifyCompiledForm,
        unchecked_return_type = "{ version: number; bundleSha256: string }"
    )]
    pub fn verify_compiled_form(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Uint8Array")] form: JsValue,
        #[wasm_bindgen(js_name = nowMs)] now_ms: f64,
        #[wasm_bindgen(js_name = pageBundle, unchecked_param_type = "Uint8Array | string | null")]
        page_bundle: JsValue,
    ) -> JsResult<JsValue> {
        let full = self.active()?;
        let trust = self.store()?.trust();
        let now = timestamp(now_ms)?;
        let bytes = bytes_of(&form, ErrorCode::EnvelopeMalformed, "compiled form")?;
        let verified = verify_form(trust, &bytes, now)?;
        let mismatch = |why: String| Error::new(ErrorCode::PageBundleMismatch, why);
        if let Some(field) = differing_claim(verified.claims(), Claims::of(full.bundle())) {
            return Err(mismatch(format!(
                "the compiled form's {field} differs from the active bundle's"
            ))
            .into());
        }
        let expected = if page_bundle.is_null() || page_bundle.is_undefined() {
            if full.bundle().audiences.iter().any(|a| a.confidential) {
                return Err(mismatch(
                    "the active bundle has confidential audiences: a compiled form is checked \
                     against its page bundle"
                        .to_owned(),
                )
                .into());
            }
            full.compiled_form()
        } else {
            let page = bytes_of(&page_bundle, ErrorCode::EnvelopeMalformed, "page bundle")?;
            let page = verify_page_bundle(trust, &page, now, full.bundle())?;
            Engine::from_verified(page)?.compiled_form()
        };
        if expected != verified.body {
            return Err(mismatch(
                "the compiled form is not what this engine compiles the bundle to: sign the \
                 bundle again with this version of offer-edge"
                    .to_owned(),
            )
            .into());
        }
        let out = js_sys::Object::new();
        js_sys::Reflect::set(
            &out,
            &"version".into(),
            &(verified.manifest.version as f64).into(),
        )?;
        js_sys::Reflect::set(
            &out,
            &"bundleSha256".into(),
            &verified.manifest.bundle_sha256.clone().into(),
        )?;
        Ok(out.into())
    }
}

//! `Engine.offer`: what the active bundle says about one offer, so a host
//! (the collector) takes campaign, advertiser and creative from the signed
//! bundle instead of from what a page reports. Conversion only: the lookup
//! is [`crate::decide::Engine::offer_summary`].

use super::engine::WasmEngine;
use super::{to_js, JsResult};
use wasm_bindgen::prelude::*;

#[wasm_bindgen(js_class = Engine)]
impl WasmEngine {
    /// The bundle's facts about `offerId`:
    /// `{offerId, creativeId, campaign, advertiser, needsConfirmationEmail}`,
    /// or `null` when the active bundle has no such offer.
    ///
    /// Throws an `OfferEdgeError` with `code` `NO_BUNDLE` when no bundle is
    /// active.
    ///
    /// @example
    /// ```js
    /// const offer = engine.offer(event.offerId);
    /// if (!offer) return reject("unknown offer");
    /// row.campaign = offer.campaign; // never the client's claim
    /// ```
    ///
    /// # Errors
    /// As above, as a thrown JS `Error`.
    #[wasm_bindgen(unchecked_return_type = "OfferSummary | null")]
    pub fn offer(&self, #[wasm_bindgen(js_name = offerId)] offer_id: &str) -> JsResult<JsValue> {
        match self.active()?.offer_summary(offer_id) {
            Some(summary) => to_js(&summary),
            None => Ok(JsValue::NULL),
        }
    }
}

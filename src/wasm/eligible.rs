//! `Engine.eligibleOffers`: the ids of the offers a shopper is eligible for,
//! as a JS `string[]`. The ids of a bundle become JS strings once (on the
//! first call after a load) and each call picks from them: no id is copied
//! or allocated per call, in WebAssembly or in JS. The eligible indices go
//! into one buffer kept with the ids, read by JS in place.

use super::engine::{context_of, WasmEngine};
use super::{timestamp, JsResult};
use crate::decide::Engine;
use crate::history::History;
use std::sync::Arc;
use wasm_bindgen::prelude::*;

/// An engine's offer ids as one JS array (bundle order), to answer
/// `eligibleOffers` without making strings per call.
pub(super) struct OfferIds {
    /// The engine the ids belong to (compared by pointer).
    engine: Arc<Engine>,
    ids: js_sys::Array,
    /// The last call's eligible offer indices (reused buffer).
    picks: Vec<u32>,
}

// One host call maps the eligible offer indices (a view of WebAssembly
// memory, no copy) to the cached id strings. A JS loop: per-element calls
// across the boundary, or built-ins as callbacks (`Array.from(…, at, ids)`),
// cost 30-60 ns an id against ~2 here.
#[wasm_bindgen(inline_js = "export function pick_ids(ids, picks) {
  const out = new Array(picks.length);
  for (let i = 0; i < picks.length; i++) out[i] = ids[picks[i]];
  return out;
}")]
extern "C" {
    fn pick_ids(ids: &js_sys::Array, picks: &[u32]) -> js_sys::Array;
}

/// The offer ids of `engine` as JS strings, once per loaded bundle.
fn offer_ids(engine: Arc<Engine>) -> OfferIds {
    let ids = js_sys::Array::new_with_length(engine.bundle().offers.len() as u32);
    for (i, offer) in engine.bundle().offers.iter().enumerate() {
        ids.set(i as u32, JsValue::from_str(&offer.id));
    }
    OfferIds {
        engine,
        ids,
        picks: Vec::new(),
    }
}

#[wasm_bindgen(js_class = Engine)]
impl WasmEngine {
    /// The ids, in bundle order, of the offers this shopper is eligible for
    /// at `nowMs`: they pass the eligibility rule, audiences, schedule,
    /// accepts, declines and caps (`historyBytes` is the stored blob, `null`
    /// for a new shopper; a corrupt blob counts as none). Placements and
    /// ranking play no part: these are the offers `decide` would rank.
    /// For placement previews and edge debugging.
    ///
    /// Throws an `OfferEdgeError` with `code` `NO_BUNDLE`, `CONTEXT_INVALID`
    /// or `BUNDLE_EXPIRED` (the signed bundle expired, plus the trust's
    /// `decideGraceSeconds`, before `nowMs`: load a newer one).
    ///
    /// @example
    /// ```js
    /// const ids = engine.eligibleOffers({ state: "CA", amount: "64.50" }, null, Date.now());
    /// console.log(`${ids.length} eligible`, ids.slice(0, 5));
    /// ```
    ///
    /// # Errors
    /// As above, as a thrown JS `Error`.
    #[wasm_bindgen(js_name = eligibleOffers, unchecked_return_type = "string[]")]
    pub fn eligible_offers(
        &self,
        context: JsValue,
        #[wasm_bindgen(js_name = historyBytes)] history_bytes: Option<Vec<u8>>,
        #[wasm_bindgen(js_name = nowMs)] now_ms: f64,
    ) -> JsResult<js_sys::Array> {
        let engine = self.active()?;
        let now = timestamp(now_ms)?;
        let context = context_of(&context)?;
        let blob = history_bytes.unwrap_or_default();
        let (history, _) = History::decode(&blob, engine.partner(), now);
        let mut cache = self.ids.borrow_mut();
        let ids = match cache.as_mut() {
            Some(ids) if Arc::ptr_eq(&ids.engine, &engine) => ids,
            _ => cache.insert(offer_ids(Arc::clone(&engine))),
        };
        engine.eligible_offers_into(&context, &history, now, &mut ids.picks)?;
        Ok(pick_ids(&ids.ids, &ids.picks))
    }
}

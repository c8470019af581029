//! `Engine.replay`: a list of past engagements recorded into a history blob
//! in one call (the core's `Engine::replay_stored`). Hosts that rebuild a
//! shopper's history (the preview's simulated shopper, the JS fixture
//! suites) call it instead of looping over `record`.
//!
//! The edge and preview build only (`mod.rs` gates it): a page records one
//! engagement at a time and never replays, so the page build does not
//! carry it.

use super::engine::WasmEngine;
use super::{safe_integer, JsResult};
use crate::decide::{check_replay_count, Engagement, TimedEngagement};
use crate::error::{Error, ErrorCode};
use crate::events::EventType;
use crate::time::Timestamp;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

#[wasm_bindgen(js_class = Engine)]
impl WasmEngine {
    /// Records engagements `[{type, offerId, at}]` (`at` in milliseconds
    /// since the epoch), given oldest first, into the history blob and
    /// returns the new blob to store: what one `record` per entry returns.
    /// With no entries, `historyBytes` comes back unchanged (empty for
    /// `null`).
    ///
    /// Throws an `OfferEdgeError` with `code` `NO_BUNDLE`, `LIMIT_EXCEEDED`
    /// (more than 1,024 entries), or `EVENT_INVALID` (not an array, an
    /// unknown offer or type, a fractional time, an entry older than the one
    /// before it; the message names the entry). Nothing is recorded unless
    /// every entry is valid.
    ///
    /// @example
    /// ```js
    /// const stored = engine.replay(null, [
    ///   { type: "impression", offerId: "spring-sale", at: Date.parse("2026-12-01T10:00:00Z") },
    ///   { type: "decline", offerId: "spring-sale", at: Date.parse("2026-12-01T10:00:05Z") },
    /// ]);
    /// ```
    ///
    /// # Errors
    /// As above, as a thrown JS `Error`.
    pub fn replay(
        &self,
        #[wasm_bindgen(js_name = historyBytes)] history_bytes: Option<Vec<u8>>,
        #[wasm_bindgen(
            unchecked_param_type = "{ type: EventType; offerId: string; at: number }[]"
        )]
        entries: JsValue,
    ) -> JsResult<Vec<u8>> {
        let engine = self.active()?;
        // Counted before anything is read: an oversized list costs nothing
        // but this refusal. Fields are read one by one, not through a serde
        // reader of their own (1.5 KB of the edge build).
        let array = entries
            .dyn_ref::<js_sys::Array>()
            .ok_or_else(|| Error::new(ErrorCode::EventInvalid, "entries must be an array"))?;
        check_replay_count(array.length() as usize)?;
        let mut read = Vec::with_capacity(array.length() as usize);
        for (index, entry) in array.iter().enumerate() {
            let field = |name: &str| {
                js_sys::Reflect::get(&entry, &JsValue::from_str(name)).unwrap_or(JsValue::UNDEFINED)
            };
            let invalid =
                |what: &str| Error::new(ErrorCode::EventInvalid, format!("entry {index}: {what}"));
            let kind: EventType = field("type")
                .as_string()
                .ok_or_else(|| invalid("type must be a string"))?
                .parse()
                .map_err(|e: Error| invalid(e.message()))?;
            let offer_id = field("offerId")
                .as_string()
                .ok_or_else(|| invalid("offerId must be a string"))?;
            let at = field("at")
                .as_f64()
                .and_then(safe_integer)
                .map(Timestamp)
                .ok_or_else(|| invalid("at must be whole milliseconds since the epoch"))?;
            read.push((kind, offer_id, at));
        }
        let timed: Vec<TimedEngagement<'_>> = read
            .iter()
            .map(|(kind, offer_id, at)| TimedEngagement {
                engagement: Engagement {
                    kind: *kind,
                    offer_id,
                },
                at: *at,
            })
            .collect();
        let blob = history_bytes.unwrap_or_default();
        Ok(engine.replay_stored(&blob, &timed)?)
    }
}

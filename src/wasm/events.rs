//! The event batch rules for JS hosts (feature "full"): the collector reads a
//! received body with the core's `EventBatch::from_json` (`parseEventBatch`,
//! edge/events.js) and a sender packs events with `EventBatch::split`
//! (`splitEventBatch`), so no host restates a limit, a format or a check.
//! The checkout snippet's queue runs without WebAssembly (edge decisions
//! never load it): it packs by measuring its own bodies against the limits of
//! `pkg/limits.js`, and tests/js/event-batch.test.js holds its batches equal
//! to `splitEventBatch`'s.

use crate::error::{Error, ErrorCode};
use crate::events::{Event, EventBatch};
use crate::receipt::Receipt;
use crate::wasm::{from_js, to_js, JsResult};
use serde::Serialize;
use wasm_bindgen::prelude::*;

#[wasm_bindgen(typescript_custom_section)]
const TS_EVENT_BATCH: &str = r#"
/** One event of a batch `parseEventBatch` accepted. */
export interface ReceivedEvent {
  /** The event, as the core re-serializes it (docs/event.schema.json). */
  event: OfferEvent;
  /** The receipt's fields: parsed from the compact form when `signed` (its MAC is NOT verified here). */
  receipt: Receipt;
  /** Whether the event carried the compact signed receipt (edge decisions) rather than the plain one. */
  signed: boolean;
  /** The event's `time` in milliseconds since the epoch. */
  timeMs: number;
}
"#;

/// What [`parse_event_batch`] answers per event.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ReceivedEvent<'a> {
    event: &'a Event,
    receipt: Receipt,
    signed: bool,
    time_ms: i64,
}

/// Parses and validates a collector's request body (the bytes of
/// `POST /v1/events`) exactly as every core-built collector does: the
/// events, each with its receipt's fields and time.
///
/// Throws an `OfferEdgeError` with `code` `LIMIT_EXCEEDED` (over 64 KiB or
/// 256 events) or `EVENT_INVALID` (not a batch; an unknown field, e.g. PII;
/// the first bad event, named by index: `"event 3: …"`).
///
/// @example
/// ```js
/// const received = parseEventBatch(new Uint8Array(await request.arrayBuffer()));
/// for (const { event, receipt, signed } of received) verifyReceipt(event.receipt, key, …);
/// ```
///
/// # Errors
/// As above, as a thrown JS `Error`.
#[wasm_bindgen(js_name = parseEventBatch, unchecked_return_type = "ReceivedEvent[]")]
pub fn parse_event_batch(body: &[u8]) -> JsResult<JsValue> {
    let batch = EventBatch::from_json(body)?;
    let received = batch
        .events
        .iter()
        .map(|event| {
            Ok(ReceivedEvent {
                event,
                // `from_json` validated every receipt: this cannot fail.
                receipt: event.receipt.fields()?,
                signed: matches!(event.receipt, crate::events::EventReceipt::Signed(_)),
                time_ms: event.time.0,
            })
        })
        .collect::<Result<Vec<_>, Error>>()?;
    to_js(&received)
}

/// Packs `events`, in order, into as few request bodies (JSON text) as the
/// collector's limits allow: each body is one `POST /v1/events`.
///
/// Throws an `OfferEdgeError` with `code` `EVENT_INVALID` (an event that
/// is not one) or `LIMIT_EXCEEDED` (one event larger than a whole batch).
///
/// @example
/// ```js
/// for (const body of splitEventBatch(queued)) await fetch(collector, { method: "POST", body });
/// ```
///
/// # Errors
/// As above, as a thrown JS `Error`.
#[wasm_bindgen(js_name = splitEventBatch)]
pub fn split_event_batch(
    #[wasm_bindgen(unchecked_param_type = "OfferEvent[]")] events: JsValue,
) -> JsResult<Vec<String>> {
    let events: Vec<Event> = from_js(&events, ErrorCode::EventInvalid, "events")?;
    let mut bodies = Vec::new();
    for batch in EventBatch::split(events)? {
        let bytes = batch.to_json()?;
        // serde_json writes UTF-8.
        bodies.push(
            String::from_utf8(bytes)
                .map_err(|_| Error::new(ErrorCode::EventInvalid, "an event batch is not UTF-8"))?,
        );
    }
    Ok(bodies)
}

//! Free functions of the edge and preview build (feature "full"): edge
//! receipts (HMAC sign and verify) and sealing to a key given by the caller.
//! A page seals with its bundle's key (`Engine.sealForFulfilment`) and never
//! sees a receipt key.

use super::{entropy, from_js, timestamp, to_js, JsResult};
use crate::bundle::FulfilmentKey;
use crate::error::ErrorCode;
use crate::receipt::{verify_compact, Receipt};
use wasm_bindgen::prelude::*;

/// Signs an edge receipt with HMAC-SHA256 under the edge's secret `key`
/// (at least 32 bytes) and returns its compact form
/// `base64url(JSON).base64url(mac)`.
///
/// Throws an `OfferEdgeError` with `code` `KEY_INVALID` for a short key,
/// `RECEIPT_INVALID` for a malformed receipt.
///
/// @example
/// ```js
/// const compact = signReceipt({
///   decisionId: "0123456789abcdef0123456789abcdef", partner: "acme-shop",
///   placement: "confirmation", offerId: "offer-meal-kit", creativeId: "creative-1",
///   bundleSha256: "ab".repeat(32),
///   issuedAt: "2026-11-29T12:00:00Z", expiresAt: "2026-11-30T12:00:00Z",
/// }, receiptKey);
/// ```
///
/// # Errors
/// As above, as a thrown JS `Error`.
#[wasm_bindgen(js_name = signReceipt)]
pub fn sign_receipt(
    #[wasm_bindgen(unchecked_param_type = "Receipt")] receipt: JsValue,
    key: &[u8],
) -> JsResult<String> {
    let receipt: Receipt = from_js(&receipt, ErrorCode::ReceiptInvalid, "receipt")?;
    Ok(receipt.sign(key)?.to_compact())
}

// Doc comments here are copied into JSDoc blocks of offer_edge.js and .d.ts
// unescaped: never write a block-comment terminator in them.

/// Verifies a compact receipt for `partner` and `offerId` at `nowMs` and
/// returns the trusted receipt.
///
/// Throws an `OfferEdgeError` with `code` `RECEIPT_INVALID` (forged,
/// altered, other partner or offer), `RECEIPT_EXPIRED` (genuine but late),
/// `KEY_INVALID` (short key) or `CONTEXT_INVALID` (`nowMs` not whole ms).
///
/// @example
/// ```js
/// try {
///   const receipt = verifyReceipt(compact, receiptKey, Date.now(), "acme-shop", "offer-meal-kit");
/// } catch (e) {
///   if (e.code !== "RECEIPT_EXPIRED") throw e;
///   // genuine but late: log it apart from forgeries
/// }
/// ```
///
/// # Errors
/// As above, as a thrown JS `Error`.
#[wasm_bindgen(js_name = verifyReceipt, unchecked_return_type = "Receipt")]
pub fn verify_receipt(
    compact: &str,
    key: &[u8],
    #[wasm_bindgen(js_name = nowMs)] now_ms: f64,
    partner: &str,
    #[wasm_bindgen(js_name = offerId)] offer_id: &str,
) -> JsResult<JsValue> {
    let receipt = verify_compact(compact, key, timestamp(now_ms)?, partner, offer_id)?;
    to_js(&receipt)
}

/// Seals the shopper's `email` with HPKE to the partner's fulfilment key
/// for the accepted offer of `receipt`. 32 bytes of entropy come from
/// `crypto.getRandomValues`, so every call gives a fresh ciphertext.
///
/// Throws an `OfferEdgeError` with `code` `EMAIL_INVALID` (ask the shopper
/// again), `KEY_INVALID` (bad bundle key), `RECEIPT_INVALID` (not a receipt)
/// or `SEAL_FAILED`.
///
/// @example
/// ```js
/// const request = sealForFulfilment(bundle.fulfilmentKey, receipt, "ada@example.com");
/// navigator.sendBeacon("/events", JSON.stringify({ fulfilment: request }));
/// ```
///
/// # Errors
/// As above, as a thrown JS `Error`.
#[wasm_bindgen(js_name = sealForFulfilment, unchecked_return_type = "FulfilmentRequest")]
pub fn seal_for_fulfilment(
    #[wasm_bindgen(js_name = fulfilmentKey, unchecked_param_type = "FulfilmentKey")]
    fulfilment_key: JsValue,
    #[wasm_bindgen(unchecked_param_type = "Receipt")] receipt: JsValue,
    email: &str,
) -> JsResult<JsValue> {
    let key: FulfilmentKey = from_js(&fulfilment_key, ErrorCode::KeyInvalid, "fulfilmentKey")?;
    let receipt: Receipt = from_js(&receipt, ErrorCode::ReceiptInvalid, "receipt")?;
    let request = crate::seal::seal_for_fulfilment(&key, &receipt, email, &entropy::<32>()?)?;
    to_js(&request)
}

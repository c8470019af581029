//! Partner-attested checkouts and per-partner receipt keys for JS hosts
//! (the edge worker, a partner's Node backend): conversions only, every
//! rule is in [`crate::attest`] and [`crate::receipt`].

use super::{from_js, timestamp, to_js, JsResult};
use crate::attest::CheckoutKeys;
use crate::error::ErrorCode;
use std::collections::BTreeMap;
use wasm_bindgen::prelude::*;

// Doc comments here are copied into JSDoc blocks of offer_edge.js and .d.ts
// unescaped: never write a block-comment terminator in them.

/// Verifies a partner's checkout token (a JWS signed with EdDSA / Ed25519)
/// against its pinned checkout public keys (`{ kid: base64 public key }`)
/// at `nowMs`, and returns the key id and the claims:
/// `{kid, iss, ord, eh, sub?, iat, exp, jti}` (`iat`, `exp` in seconds).
///
/// Checks in order: shape (`TOKEN_INVALID`), header (`alg` must be
/// `"EdDSA"`; `crit`, `jwk`, `jku`, `x5u`, `x5c` refused: `TOKEN_INVALID`),
/// `iss` is `partner` (`TOKEN_PARTNER_MISMATCH`), `kid` pinned
/// (`TOKEN_KEY_UNKNOWN`), signature (`TOKEN_INVALID`), claims, lifetime at
/// most 1 h, `iat` not in the future (`TOKEN_INVALID`), not expired, with
/// 60 s skew (`TOKEN_EXPIRED`). Also `KEY_INVALID` for a bad pinned key and
/// `CONTEXT_INVALID` when `nowMs` is not whole milliseconds. Does not track
/// `jti` replays: store seen ids yourself.
///
/// @example
/// ```js
/// try {
///   const checkout = verifyCheckoutToken(token, "acme", env.ACME_CHECKOUT_KEYS, Date.now());
///   console.log(checkout.ord, checkout.eh);
/// } catch (e) {
///   if (e.code === "TOKEN_EXPIRED") return new Response("checkout expired", { status: 401 });
///   throw e;
/// }
/// ```
///
/// # Errors
/// As above, as a thrown JS `Error`.
#[wasm_bindgen(js_name = verifyCheckoutToken, unchecked_return_type = "VerifiedCheckout")]
pub fn verify_checkout_token(
    token: &str,
    partner: &str,
    #[wasm_bindgen(unchecked_param_type = "Record<string, string>")] keys: JsValue,
    #[wasm_bindgen(js_name = nowMs)] now_ms: f64,
) -> JsResult<JsValue> {
    let map: BTreeMap<String, String> = from_js(&keys, ErrorCode::KeyInvalid, "keys")?;
    let keys = CheckoutKeys::from_map(&map)?;
    let verified = crate::attest::verify_checkout_token(token, partner, &keys, timestamp(now_ms)?)?;
    to_js(&verified)
}

/// The attested email hash (`eh` claim) of `email` for `partner`:
/// lower-case hex SHA-256 of `"offer-edge/eh/v1\n" + partner + "\n" +`
/// the trimmed, lower-cased email. A partner backend computes the same with
/// `sha256("offer-edge/eh/v1\n" + partner + "\n" + email.trim().toLowerCase())`.
///
/// Throws an `OfferEdgeError` with `code` `EMAIL_INVALID` when `email` is
/// not exactly one plain address.
///
/// @example
/// ```js
/// const eh = attestedEmailHash("acme", " Ada@Example.com ");
/// if (eh !== checkout.eh) throw new Error("not the attested shopper");
/// ```
///
/// # Errors
/// As above, as a thrown JS `Error`.
#[wasm_bindgen(js_name = attestedEmailHash)]
pub fn attested_email_hash(partner: &str, email: &str) -> JsResult<String> {
    Ok(crate::attest::attested_email_hash(partner, email)?)
}

/// The 32-byte receipt key of one partner key id, derived from the edge's
/// `master` secret (at least 32 bytes) with HKDF-SHA256. Sign that
/// partner's receipts with it (setting `receipt.kid = kid`) and hand it to
/// the partner's collector: it verifies their receipts and no one else's.
///
/// Throws an `OfferEdgeError` with `code` `KEY_INVALID` for a short master
/// secret, an empty or over-long partner (128 bytes) or kid (64 bytes).
///
/// @example
/// ```js
/// const key = deriveReceiptKey(masterBytes, "acme", "acme-r1");
/// const compact = signReceipt({ ...offer.receipt, kid: "acme-r1" }, key);
/// ```
///
/// # Errors
/// As above, as a thrown JS `Error`.
#[wasm_bindgen(js_name = deriveReceiptKey)]
pub fn derive_receipt_key(master: &[u8], partner: &str, kid: &str) -> JsResult<Vec<u8>> {
    Ok(crate::receipt::derive_receipt_key(master, partner, kid)?.to_vec())
}

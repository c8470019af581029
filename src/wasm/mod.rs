//! The JavaScript binding: the only module (`src/wasm/`) that names
//! `wasm_bindgen` / `js_sys`. `engine.rs` holds the `Engine` class (with
//! `eligible.rs`, `offer.rs` and `page.rs` adding methods), `attest.rs` the checkout
//! token and receipt key functions, `rules.rs` the conformance/preview rule
//! evaluator; this file the conversions, errors, entropy and the other free
//! functions.
//!
//! Thin by design (ARCHITECTURE.md, "Who owns what"): it converts JS values to core types and
//! back, turns core errors into real JS `Error`s with a stable `code`, and
//! supplies entropy from `crypto.getRandomValues`. No decision logic lives here.
//!
//! Objects cross as JSON (`JSON.stringify` → serde_json → `JSON.parse`):
//! smaller than serde-wasm-bindgen and the same field names as every other
//! boundary (camelCase). The one hot exception is the Decision returned by
//! `decide`, built as a JS object directly (`decision.rs`).

use crate::error::{Error, ErrorCode};
use crate::limits::MAX_SAFE_INTEGER;
use crate::time::Timestamp;
use serde::de::DeserializeOwned;
use serde::Serialize;
use wasm_bindgen::prelude::*;

// The page build (feature "wasm") carries what pages run: verify, decide,
// render, record, seal. The edge and preview build (feature "full") adds
// checkout tokens, receipts, the collector's offer facts, page editions,
// rule evaluation, drafts, events and confirmation emails.
#[cfg(feature = "full")]
mod attest;
mod decision;
mod eligible;
mod engine;
#[cfg(feature = "full")]
mod events;
#[cfg(feature = "full")]
mod inspect;
#[cfg(feature = "full")]
mod offer;
#[cfg(feature = "full")]
mod page;
#[cfg(feature = "full")]
mod receipts;
#[cfg(feature = "full")]
pub use receipts::{seal_for_fulfilment, sign_receipt, verify_receipt};
#[cfg(feature = "full")]
mod replay;
#[cfg(feature = "full")]
mod rules;
#[cfg(feature = "full")]
pub use attest::{attested_email_hash, derive_receipt_key, verify_checkout_token};
pub use engine::WasmEngine;
#[cfg(feature = "full")]
pub use events::{parse_event_batch, split_event_batch};
#[cfg(feature = "full")]
pub use inspect::inspect_bundle_file;
#[cfg(feature = "full")]
pub use rules::evaluate_rule;

/// What every fallible export returns: `Err` is a thrown JS value, normally
/// an `OfferEdgeError` made by [`js_error`].
pub type JsResult<T> = Result<T, JsValue>;

/// The `name` of every error offer-edge throws.
pub const ERROR_NAME: &str = "OfferEdgeError";

#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &str = r#"
/** Thrown by every offer-edge function; branch on `code`, never on `message`. */
export interface OfferEdgeError extends Error {
  name: "OfferEdgeError";
  /** Stable code, e.g. "RECEIPT_INVALID", "TOKEN_EXPIRED", "KEY_INVALID". */
  code: ErrorCode;
}
/** Every stable error code (src/error.rs, `ErrorCode::ALL`; tests/binding_names.rs keeps them equal). */
export type ErrorCode =
  | "BUNDLE_TOO_LARGE"
  | "ENVELOPE_MALFORMED"
  | "UNKNOWN_KEY"
  | "SIGNATURE_INVALID"
  | "THRESHOLD_NOT_MET"
  | "PAYLOAD_MALFORMED"
  | "PARTNER_MISMATCH"
  | "BUNDLE_EXPIRED"
  | "VERSION_ROLLBACK"
  | "DIGEST_MISMATCH"
  | "PAGE_BUNDLE_MISMATCH"
  | "SCHEMA_INVALID"
  | "CREATIVE_NOT_APPROVED"
  | "LIMIT_EXCEEDED"
  | "TRUST_INVALID"
  | "KEYSET_INVALID"
  | "RULE_INVALID"
  | "RULE_BUDGET"
  | "TEMPLATE_INVALID"
  | "AUDIENCE_INVALID"
  | "CONTEXT_INVALID"
  | "EVENT_INVALID"
  | "RECEIPT_INVALID"
  | "RECEIPT_EXPIRED"
  | "SEAL_FAILED"
  | "EMAIL_INVALID"
  | "KEY_INVALID"
  | "TOKEN_INVALID"
  | "TOKEN_EXPIRED"
  | "TOKEN_PARTNER_MISMATCH"
  | "TOKEN_KEY_UNKNOWN"
  | "EMAIL_MISMATCH"
  | "TIME_ZONE_INVALID"
  | "TIME_ZONE_MISSING"
  | "TIME_ZONE_UNKNOWN"
  | "PLACEMENT_UNKNOWN"
  | "NO_BUNDLE"
  | "IO";
/** Every engagement event type (src/events.rs, `EventType::ALL`; tests/binding_names.rs keeps them equal). */
export type EventType =
  | "impression"
  | "accept"
  | "decline"
  | "close"
  | "conversion";
/** Every `kind` of an explanation's `reason` (src/decide/decision.rs, `Reason`; tests/binding_names.rs keeps them equal). */
export type ReasonKind =
  | "shown"
  | "notInPlacement"
  | "edgeOnly"
  | "creativeNotApproved"
  | "notStarted"
  | "ended"
  | "ruleFalse"
  | "ruleBudget"
  | "notInAudience"
  | "licensedCohortRestricted"
  | "inSuppressionAudience"
  | "alreadyAccepted"
  | "suppressedAfterDecline"
  | "capped"
  | "shownInOtherPlacement"
  | "advertiserAlreadyShown"
  | "outranked"
  | "noSlot";
/** Every accept action (src/bundle/model.rs, `Action`; tests/binding_names.rs keeps them equal). */
export type ActionType =
  | "link"
  | "addToCart"
  | "coupon";
/** Every stable code of `decision.warnings` (src/decide/decision.rs, `WarningCode::ALL`; tests/binding_names.rs keeps them equal). */
export type WarningCode =
  | "HISTORY_CORRUPT"
  | "HISTORY_FOREIGN_PARTNER"
  | "HISTORY_FUTURE_VERSION"
  | "CONSENT_MALFORMED"
  | "ATTRIBUTE_UNKNOWN"
  | "ATTRIBUTE_INVALID";
/** What the engine showed: proof for engagement reporting. Instants are RFC 3339. */
export interface Receipt {
  decisionId: string;
  partner: string;
  placement: string;
  offerId: string;
  creativeId: string;
  bundleSha256: string;
  issuedAt: string;
  expiresAt: string;
  /** Key id of the partner receipt key that signed it (see `deriveReceiptKey`); absent on plain receipts. */
  kid?: string;
}
/** A partner's HPKE fulfilment public key, as in the bundle. */
export interface FulfilmentKey {
  kid: string;
  publicKey: string;
}
/** An email sealed to the partner's fulfilment key; safe to send in an event. */
export interface FulfilmentRequest {
  partner: string;
  kid: string;
  offerId: string;
  decisionId: string;
  enc: string;
  ciphertext: string;
}
/** Pinned trust: partner, Ed25519 keys (base64) by key id, signatures needed. */
export interface TrustDoc {
  partner: string;
  keys: Record<string, string>;
  threshold: number;
  maxBundleBytes?: number;
  maxAgeSeconds?: number;
  keysetVersion?: number;
  /** Seconds an engine keeps deciding on a loaded bundle past its expiresAt (default 0). */
  decideGraceSeconds?: number;
}
/** Options of `Engine.decide`. */
export interface DecideOptions {
  /** Placements to fill, in order; default: all. */
  placements?: string[];
  /** Give every offer a verdict and reason. */
  explain?: boolean;
  /** Fixed entropy (tests, previews); default: crypto.getRandomValues. */
  seed?: number;
  /** Receipt lifetime, e.g. "24h". */
  receiptTtl?: string;
  /** The host's session id: session caps reset when it changes. */
  sessionId?: string;
  /** Log what learning needs: `decision.features` and each placement's `eligible` (edge/full build only; docs/LEARNING.md). */
  learningLog?: boolean;
  /** The shopper's privacy signals; what they remove is `decision.privacy` (docs/PRIVACY.md, "Consent"). */
  consent?: Consent;
  /** The host's geo of the request, ISO 3166-1 alpha-2 (the edge: `request.cf.country`); licensed cohorts need it outside the EU and the UK too. */
  requestCountry?: string;
}
/** Privacy signals for `decide` (every member optional; unknown members are refused). */
export interface Consent {
  /** Global Privacy Control: `Sec-GPC: 1`, `navigator.globalPrivacyControl`. True: opted out of sale. */
  gpc?: boolean;
  /** IAB US Privacy string, e.g. "1YYN" (third character Y: opted out). Malformed: treated as opted out, with a warning. */
  usPrivacy?: string;
  /** IAB GPP string; its US sections' sale / sharing / targeted-advertising opt-outs and GPC segments count. Malformed: as usPrivacy. */
  gpp?: string;
  /** The shopper's choice about personalization (default true). */
  personalization?: boolean;
  /** The shopper's choice about measurement (default true). */
  measurement?: boolean;
}
/** The consent a decision was made under and what it removed. */
export interface Privacy {
  saleOptOut: boolean;
  /** False: the lookalike model scored from intercepts only; licensed cohorts never matched. */
  personalization: boolean;
  /** False: store no history back (decide returned the stored bytes unchanged); send no per-event rows. */
  measurement: boolean;
  because: ("gpc" | "usPrivacy" | "gpp" | "malformed" | "consent")[];
  removed: ("lookalike" | "licensedCohorts" | "historyWrites" | "eventDetail")[];
}
/** One shown offer of a decision. */
export interface DecidedOffer {
  offerId: string; creativeId: string; campaign: string; advertiser: string;
  rank: number; tier: number; score: number; predictedEngagement: number; propensity: number;
  needsConfirmationEmail: boolean;
  /** `unique`: a coupon whose code the edge issues after an attested accept (`coupons` of POST /v1/events); no `code` then. */
  action: { type: ActionType; unique?: true; url?: string; code?: string; sku?: string };
  fields: { headline: string; body: string; cta: string; declineLabel: string; image?: string; imageAlt: string; terms?: string };
  receipt: Receipt;
}
/** The outcome of one decision (src/decide/decision.rs). */
export interface Decision {
  decisionId: string; partner: string; bundleVersion: number; bundleSha256: string; time: string;
  placements: { id: string; html: string; offers: DecidedOffer[]; eligible?: string[] }[];
  privacy: Privacy;
  explanations?: { offerId: string; placement: string; tier: number; verdict: "shown" | "ineligible" | "outranked";
                   reason: { kind: ReasonKind; [k: string]: unknown }; message: string; score?: number; propensity?: number }[];
  /** Non-fatal problems, context attributes left out first (`ATTRIBUTE_UNKNOWN`, `ATTRIBUTE_INVALID` name the `attribute`; docs/RULES.md, "Context attributes"). */
  warnings?: { code: WarningCode; attribute?: string; message: string }[];
  /** Context warnings past the first 8, counted only. */
  warningsOmitted?: number;
  /** With `learningLog`: the model's feature values, e.g. `{ state: "NY", cartBand: "100-250" }`. */
  features?: Record<string, string>;
}
/** An engagement event (docs/EVENTS.md). */
export interface OfferEvent {
  id: string; type: EventType; partner: string; receipt: string | Receipt; placement: string; offerId: string;
  creativeId: string; campaign: string; advertiser: string; time: string; propensity: number;
  fulfilment?: FulfilmentRequest;
  /** The partner's compact checkout token (JWS) for the order; verified at the edge. */
  checkout?: string;
}
/** The claims of a partner checkout token (instants in seconds since the epoch). */
export interface CheckoutClaims {
  /** The partner id. */
  iss: string;
  /** The partner's order id. */
  ord: string;
  /** The attested email hash (`attestedEmailHash`). */
  eh: string;
  /** The partner's shopper reference. */
  sub?: string;
  iat: number;
  exp: number;
  /** Unique token id (for replay detection). */
  jti: string;
}
/** A verified checkout token: the pinned key that signed it and its claims. */
export interface VerifiedCheckout extends CheckoutClaims {
  kid: string;
}
/** What the active bundle says about one offer (`Engine.offer`). */
export interface OfferSummary {
  offerId: string; creativeId: string; campaign: string; advertiser: string; needsConfirmationEmail: boolean;
  /** A unique coupon's code source (edge only: the collector issues its codes). */
  codes?: { source: "derived"; prefix: string; length: number } | { source: "pool"; pool: string };
}
/** A rendered confirmation email. */
export interface ConfirmationMessage {
  to: string; subject: string; html: string; text: string; offerId: string; decisionId: string; reminderAt: string | null;
}
/** Summary of the active bundle. */
export interface EngineInfo {
  partner: string; version: number; issuedAt: string; expiresAt: string; bundleSha256: string;
  signers: string[]; draft: boolean; offers: number; creatives: number; audiences: number;
  placements: { id: string; maxOffers: number }[]; fulfilmentKey: FulfilmentKey;
  /** "page": the edition for browsers, confidential audiences withheld (docs/BUNDLES.md). */
  edition: "full" | "page";
  /** Ids of the confidential audiences (in both editions). */
  confidentialAudiences: string[];
  /** Page bundles: offers only the edge decides, each with the confidential audience it names. */
  edgeOnly: { offerId: string; audience: string }[];
}
"#;

/// A real JS `Error` for a core error: `name` is `"OfferEdgeError"`, `code`
/// is the stable [`ErrorCode::as_str`], `message` is for people.
pub fn js_error(error: &Error) -> JsValue {
    let js = js_sys::Error::new(error.message());
    js.set_name(ERROR_NAME);
    // Setting a property on a fresh, extensible Error object cannot fail.
    let _ = js_sys::Reflect::set(
        &js,
        &JsValue::from_str("code"),
        &JsValue::from_str(error.code().as_str()),
    );
    js.into()
}

impl From<Error> for JsValue {
    fn from(error: Error) -> Self {
        js_error(&error)
    }
}

#[wasm_bindgen]
extern "C" {
    // Browsers, Node >= 19 and workerd all have a global `crypto`.
    #[wasm_bindgen(js_namespace = crypto, js_name = getRandomValues, catch)]
    fn get_random_values(buf: &mut [u8]) -> Result<(), JsValue>;
}

/// Bytes fetched from the host CSPRNG per refill of the entropy pool.
const POOL_BYTES: usize = 4096;

/// Host CSPRNG output not handed out yet. One `getRandomValues` call costs
/// about as much as a whole small decision (a JS↔WASM round trip plus the
/// host's own buffering), so bytes are fetched 4 KB at a time and each byte
/// is handed out once, in order. A WebAssembly instance is single-threaded:
/// the pool needs no lock.
struct EntropyPool {
    bytes: Box<[u8; POOL_BYTES]>,
    /// Bytes before this index have been handed out.
    next: usize,
}

std::thread_local! {
    static POOL: std::cell::RefCell<EntropyPool> = std::cell::RefCell::new(EntropyPool {
        bytes: Box::new([0; POOL_BYTES]),
        next: POOL_BYTES,
    });
}

/// `N` fresh bytes from the host CSPRNG (through the pool). The core never
/// draws entropy itself; this is the one place it comes from in JS hosts.
pub(crate) fn entropy<const N: usize>() -> JsResult<[u8; N]> {
    let mut out = [0u8; N];
    POOL.with(|pool| {
        let mut pool = pool.borrow_mut();
        let mut filled = 0;
        while filled < N {
            if pool.next == POOL_BYTES {
                get_random_values(&mut pool.bytes[..])?;
                pool.next = 0;
            }
            let take = (N - filled).min(POOL_BYTES - pool.next);
            let from = pool.next;
            out[filled..filled + take].copy_from_slice(&pool.bytes[from..from + take]);
            // Handed out bytes are wiped: they never linger in memory twice.
            pool.bytes[from..from + take].fill(0);
            pool.next += take;
            filled += take;
        }
        Ok(out)
    })
}

/// The JSON text of a JS value (`JSON.stringify`); failures get `code`.
/// Not generic and never inlined: every entry point shares this one copy.
#[inline(never)]
pub(crate) fn json_arg(value: &JsValue, code: ErrorCode, what: &str) -> Result<String, Error> {
    js_sys::JSON::stringify(value)
        .ok()
        .and_then(|s| s.as_string())
        .ok_or_else(|| Error::new(code, format!("{what} must be a JSON object")))
}

/// A serde_json error as a core error with `code` (one copy for every type).
#[inline(never)]
fn json_error(error: serde_json::Error, code: ErrorCode, what: &str) -> Error {
    Error::new(code, format!("{what}: {error}"))
}

/// `T` parsed from JSON text. Kept out of line so each type's reader exists
/// once, not once per entry point that reads it.
#[inline(never)]
fn parse_json<T: DeserializeOwned>(text: &[u8], code: ErrorCode, what: &str) -> Result<T, Error> {
    // from_slice everywhere: one serde_json reader instantiation per type
    // keeps the module smaller than mixing from_str / from_slice.
    serde_json::from_slice(text).map_err(|e| json_error(e, code, what))
}

/// A JS value read as `T` through JSON; failures get `code`.
pub(crate) fn from_js<T: DeserializeOwned>(
    value: &JsValue,
    code: ErrorCode,
    what: &str,
) -> Result<T, Error> {
    parse_json(json_arg(value, code, what)?.as_bytes(), code, what)
}

/// `value` as a plain JS object through JSON.
pub(crate) fn to_js<T: Serialize>(value: &T) -> JsResult<JsValue> {
    let text = serde_json::to_string(value)
        .map_err(|e| JsValue::from(js_sys::Error::new(&e.to_string())))?;
    js_sys::JSON::parse(&text)
}

/// `n` as an integer if it is whole and exactly representable (at most
/// [`MAX_SAFE_INTEGER`] in magnitude), else `None`.
pub(crate) fn safe_integer(n: f64) -> Option<i64> {
    (n.is_finite() && n.fract() == 0.0 && n.abs() <= MAX_SAFE_INTEGER as f64).then_some(n as i64)
}

/// Milliseconds since the epoch from a JS number.
pub(crate) fn timestamp(now_ms: f64) -> Result<Timestamp, Error> {
    // Integral and exactly representable: anything else is a host bug
    // (e.g. `Date.now` passed uncalled, or seconds as a fraction).
    safe_integer(now_ms).map(Timestamp).ok_or_else(|| {
        Error::new(
            ErrorCode::ContextInvalid,
            "nowMs must be whole milliseconds since the epoch (Date.now())",
        )
    })
}

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

/// A fresh UUID v4 (lower-case, hyphenated) from `crypto.getRandomValues`,
/// e.g. for event ids.
///
/// @example
/// ```js
/// const eventId = uuidV4(); // "3b241101-e2bb-4255-8caf-4136c566a962"
/// ```
///
/// # Errors
/// Rethrows the host's error if `crypto.getRandomValues` is unavailable.
#[wasm_bindgen(js_name = uuidV4)]
pub fn uuid_v4() -> JsResult<String> {
    Ok(crate::events::uuid_v4(&entropy::<16>()?))
}

/// Lower-case hex SHA-256 of `value` normalized as context attribute `kind`
/// (`"email"`, `"phone"`, `"state"`…), exactly as the engine and audience
/// builder do: send `emailsha256` instead of the address.
///
/// Throws an `OfferEdgeError` with `code` `CONTEXT_INVALID` for an unknown
/// attribute name.
///
/// @example
/// ```js
/// const emailsha256 = hashIdentifier("email", " Ada@Example.com ");
/// ```
///
/// # Errors
/// As above, as a thrown JS `Error`.
#[wasm_bindgen(js_name = hashIdentifier)]
pub fn hash_identifier(kind: &str, value: &str) -> JsResult<String> {
    let field = crate::context::Field::from_name(kind).ok_or_else(|| {
        Error::new(
            ErrorCode::ContextInvalid,
            format!("unknown attribute {kind:?}"),
        )
    })?;
    Ok(crate::context::hash_identifier(field, value))
}

/// Bytes of WebAssembly linear memory in use by the module (it only grows),
/// for monitoring and benchmarks.
///
/// @example
/// ```js
/// console.log(`${(memoryBytes() / 1048576).toFixed(1)} MiB`);
/// ```
#[wasm_bindgen(js_name = memoryBytes)]
pub fn memory_bytes() -> f64 {
    (core::arch::wasm32::memory_size::<0>() * 65536) as f64
}

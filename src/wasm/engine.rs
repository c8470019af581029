//! The `Engine` JS class: a [`BundleStore`] of compiled engines (signed
//! bundles, previous bundle kept on a failed load) or one draft engine, plus
//! the per-checkout calls. Conversions only: every decision is the core's.

use super::decision::decision_to_js;
use super::eligible::OfferIds;
use super::{entropy, from_js, json_arg, safe_integer, timestamp, to_js, JsResult};
use crate::bundle::{is_form_file, BundleStore, LoadOutcome, StoreState, Trust, VerifiedBundle};
use crate::consent::Consent;
use crate::context::Context;
use crate::decide::{DecideOptions, Engagement, Engine, StoredDecision, StoredHistory};
use crate::error::{Error, ErrorCode};
use crate::events::EventType;
use crate::receipt::Receipt;
use crate::time::{DurationMs, Timestamp};
use serde::Deserialize;
use std::cell::RefCell;
use std::sync::Arc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

// Drafts, events and confirmation emails: the edge and preview build only.
#[cfg(feature = "full")]
mod full;

/// Where the active engine comes from.
enum Source {
    /// Signed bundles verified against pinned trust.
    Signed(BundleStore<Engine>),
    /// One unsigned draft (preview only: `Engine.fromDraft` is in the full build).
    #[cfg_attr(not(feature = "full"), allow(dead_code))]
    Draft(Arc<Engine>),
}

/// The compile step of JSON bundles: the edge and preview build compiles
/// them. The page build loads compiled forms only, so it links no JSON
/// bundle reader, rule compiler or HTML tokenizer (ARCHITECTURE.md, "Compile at sign time").
#[cfg(feature = "full")]
fn compile_json(verified: VerifiedBundle) -> Result<Engine, Error> {
    Engine::from_verified(verified)
}

#[cfg(not(feature = "full"))]
fn compile_json(_: VerifiedBundle) -> Result<Engine, Error> {
    Err(json_refused())
}

#[cfg(not(feature = "full"))]
fn json_refused() -> Error {
    Error::new(
        ErrorCode::EnvelopeMalformed,
        "the page build loads compiled forms (*.oeb, written by `offer-edge sign` next to the \
         signed JSON), not JSON bundles",
    )
}

/// Loads signed bytes: a compiled form (`*.oeb`) in every build, a JSON
/// bundle (format v1 or v2) in the full build.
fn load_signed(
    store: &mut BundleStore<Engine>,
    bytes: Vec<u8>,
    now: Timestamp,
) -> Result<LoadOutcome, Error> {
    if is_form_file(&bytes) {
        return store.load_form(&bytes, now, Engine::from_verified_form);
    }
    #[cfg(feature = "full")]
    {
        // By value: the input is freed before the bundle is compiled.
        store.load_owned(bytes, now)
    }
    #[cfg(not(feature = "full"))]
    {
        drop(bytes);
        Err(json_refused())
    }
}

/// Decides offers from a signed bundle (or a draft). Create one per partner
/// and keep it: `load` swaps bundles in, and a failed load keeps the old one.
///
/// @example
/// ```js
/// const engine = new Engine(trust);
/// engine.load(signedBytes, Date.now());
/// const { decision, history } = engine.decide(context, storedHistory, Date.now());
/// ```
#[wasm_bindgen(js_name = Engine)]
pub struct WasmEngine {
    source: Source,
    /// The offer ids of one engine as JS strings, made on the first
    /// `eligibleOffers` call after a load and reused until the next one.
    pub(super) ids: RefCell<Option<OfferIds>>,
}

/// `decide` options as JS passes them: the core's plus host-side ones.
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
struct JsDecideOptions {
    placements: Vec<String>,
    explain: bool,
    receipt_ttl: Option<DurationMs>,
    /// The shopper's privacy signals (docs/PRIVACY.md).
    consent: Consent,
    /// The host's geo of the request (ISO 3166-1 alpha-2).
    request_country: Option<String>,
    /// The edge's learning log (docs/LEARNING.md); the page build has no
    /// such option and refuses it as unknown.
    #[cfg(feature = "explain")]
    learning_log: bool,
    /// Read from JS directly (see `decide`); listed so it is not "unknown".
    #[allow(dead_code)]
    seed: Option<f64>,
    session_id: Option<String>,
}

/// `record` input.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct JsEngagement {
    #[serde(rename = "type")]
    kind: EventType,
    offer_id: String,
}

/// What `event` needs of a DecidedOffer (other fields are ignored).
/// `event` options.
/// Bytes of a `Uint8Array` or the UTF-8 of a string.
pub(super) fn bytes_of(value: &JsValue, code: ErrorCode, what: &str) -> Result<Vec<u8>, Error> {
    if let Some(text) = value.as_string() {
        return Ok(text.into_bytes());
    }
    value
        .dyn_ref::<js_sys::Uint8Array>()
        .map(js_sys::Uint8Array::to_vec)
        .ok_or_else(|| Error::new(code, format!("{what} must be a Uint8Array or a string")))
}

/// Entropy for a decision: the `seed` as 8 little-endian bytes (as the
/// native runner and CLI do), else 16 bytes from the host CSPRNG.
fn decide_entropy(seed: Option<f64>) -> JsResult<Vec<u8>> {
    match seed.map(|s| safe_integer(s).and_then(|s| u64::try_from(s).ok())) {
        Some(Some(s)) => Ok(s.to_le_bytes().to_vec()),
        Some(None) => Err(Error::new(
            ErrorCode::ContextInvalid,
            "seed must be a whole number from 0 to 2^53 - 1",
        )
        .into()),
        None => Ok(entropy::<16>()?.to_vec()),
    }
}

/// A checkout context from a JS object or its JSON text, normalized here
/// so the engine borrows it rather than copying it per call.
///
/// An object crosses as `JSON.stringify` text into the streaming reader
/// (`Context::from_json`: strings borrowed, the byte limit enforced). The
/// alternative measured, serde-wasm-bindgen reading the object property
/// by property, is in BENCHMARKS.md ("Context entry").
pub(super) fn context_of(value: &JsValue) -> Result<Context, Error> {
    let text = match value.as_string() {
        Some(text) => text,
        None => json_arg(value, ErrorCode::ContextInvalid, "context")?,
    };
    Ok(Context::from_json(text.as_bytes())?.into_normalized())
}

fn signed_only() -> Error {
    Error::new(
        ErrorCode::TrustInvalid,
        "a draft engine has no trust config: create one with new Engine(trust)",
    )
}

#[wasm_bindgen(js_class = Engine)]
impl WasmEngine {
    /// Pins the trust config `{partner, keys, threshold, maxBundleBytes?,
    /// maxAgeSeconds?, decideGraceSeconds?}`. No bundle is active until
    /// `load` succeeds.
    ///
    /// Throws an `OfferEdgeError` with `code` `TRUST_INVALID` or `KEY_INVALID`.
    ///
    /// @example
    /// ```js
    /// const engine = new Engine({ partner: "acme", keys: { k1: "iojj…=" }, threshold: 1 });
    /// ```
    ///
    /// # Errors
    /// As above, as a thrown JS `Error`.
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_param_type = "TrustDoc")] trust: JsValue,
    ) -> JsResult<WasmEngine> {
        let text = json_arg(&trust, ErrorCode::TrustInvalid, "trust")?;
        let trust = Trust::from_json(text.as_bytes())?;
        Ok(Self {
            source: Source::Signed(BundleStore::with_compile(trust, compile_json)),
            ids: RefCell::new(None),
        })
    }

    /// Verifies and compiles a signed bundle envelope (its exact bytes, or
    /// the text) at `nowMs`. On any failure the previous bundle stays active.
    ///
    /// What loads: the compiled form `offer-edge sign` writes next to the
    /// signed JSON (`*.oeb`, bytes only) in every build — the only thing the
    /// page build (`offer-edge/page`) loads — and, in the full build, the
    /// signed JSON itself: v2 (a signed manifest next to the verbatim
    /// bundle) and v1 (DSSE envelope). Pass the file's bytes (or a JSON
    /// file's text), never a re-serialized object: both bind the bundle by
    /// its exact bytes.
    ///
    /// Throws an `OfferEdgeError` with the failing check's `code`:
    /// `SIGNATURE_INVALID`, `THRESHOLD_NOT_MET`, `PARTNER_MISMATCH`,
    /// `BUNDLE_EXPIRED`, `VERSION_ROLLBACK`, `DIGEST_MISMATCH`,
    /// `SCHEMA_INVALID`…
    ///
    /// @example
    /// ```js
    /// const res = await fetch("/bundle.signed.json");
    /// const { status, version } = engine.load(new Uint8Array(await res.arrayBuffer()), Date.now());
    /// ```
    ///
    /// # Errors
    /// As above, as a thrown JS `Error`.
    #[wasm_bindgen(
        unchecked_return_type = "{ status: \"loaded\" | \"unchanged\"; version: number }"
    )]
    pub fn load(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "Uint8Array | string")] signed: JsValue,
        #[wasm_bindgen(js_name = nowMs)] now_ms: f64,
    ) -> JsResult<JsValue> {
        let Source::Signed(store) = &mut self.source else {
            return Err(signed_only().into());
        };
        let bytes = bytes_of(&signed, ErrorCode::EnvelopeMalformed, "signed bundle")?;
        let (status, version) = match load_signed(store, bytes, timestamp(now_ms)?)? {
            LoadOutcome::Loaded { version } => ("loaded", version),
            LoadOutcome::Unchanged { version } => ("unchanged", version),
        };
        let out = js_sys::Object::new();
        js_sys::Reflect::set(&out, &"status".into(), &status.into())?;
        js_sys::Reflect::set(&out, &"version".into(), &(version as f64).into())?;
        Ok(out.into())
    }

    /// Applies a signed keyset update (key rotation); later bundles must be
    /// signed by the new keys. Returns the keyset version in force: the same
    /// as before for an update at or below the version of the trust this
    /// Engine was made with, which is skipped (a trust pinned after it
    /// supersedes it), so a kept chain re-applies from any pinned trust.
    ///
    /// Throws an `OfferEdgeError` with `code` `KEYSET_INVALID`,
    /// `SIGNATURE_INVALID`, `THRESHOLD_NOT_MET`…
    ///
    /// @example
    /// ```js
    /// const keysetVersion = engine.rotateKeys(await (await fetch("/keyset.signed.json")).text());
    /// ```
    ///
    /// # Errors
    /// As above, as a thrown JS `Error`.
    #[wasm_bindgen(js_name = rotateKeys)]
    pub fn rotate_keys(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "Uint8Array | string")] keyset: JsValue,
    ) -> JsResult<f64> {
        let Source::Signed(store) = &mut self.source else {
            return Err(signed_only().into());
        };
        let bytes = bytes_of(&keyset, ErrorCode::KeysetInvalid, "keyset")?;
        Ok(store.rotate_keys(&bytes)? as f64)
    }

    /// The highest accepted version `{partner, lastVersion}` for the host to
    /// persist (rollback protection across restarts), or `null`.
    ///
    /// @example
    /// ```js
    /// await env.KV.put("state", JSON.stringify(engine.exportState()));
    /// ```
    ///
    /// # Errors
    /// Only if the state cannot cross to JS (never in practice).
    #[wasm_bindgen(js_name = exportState, unchecked_return_type = "{ partner: string; lastVersion: number } | null")]
    pub fn export_state(&self) -> JsResult<JsValue> {
        match &self.source {
            Source::Signed(store) => to_js(&store.export_state()),
            Source::Draft(_) => Ok(JsValue::NULL),
        }
    }

    /// Restores persisted state; the version never goes down.
    ///
    /// Throws an `OfferEdgeError` with `code` `PARTNER_MISMATCH` for another
    /// partner's state, `TRUST_INVALID` for a malformed one.
    ///
    /// @example
    /// ```js
    /// const saved = await env.KV.get("state", "json");
    /// if (saved) engine.importState(saved);
    /// ```
    ///
    /// # Errors
    /// As above, as a thrown JS `Error`.
    #[wasm_bindgen(js_name = importState)]
    pub fn import_state(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "{ partner: string; lastVersion: number }")]
        state: JsValue,
    ) -> JsResult<()> {
        let Source::Signed(store) = &mut self.source else {
            return Err(signed_only().into());
        };
        let state: StoreState = from_js(&state, ErrorCode::TrustInvalid, "state")?;
        Ok(store.import_state(&state)?)
    }

    /// A summary of the active bundle, or `null` when none is active.
    ///
    /// @example
    /// ```js
    /// const info = engine.info();
    /// console.log(info ? `v${info.version}, ${info.offers} offers` : "no bundle");
    /// ```
    ///
    /// # Errors
    /// Only if the summary cannot cross to JS (never in practice).
    #[wasm_bindgen(unchecked_return_type = "EngineInfo | null")]
    pub fn info(&self) -> JsResult<JsValue> {
        match &self.source {
            Source::Signed(store) => match store.active() {
                Some(engine) => to_js(&engine.info(false)),
                None => Ok(JsValue::NULL),
            },
            Source::Draft(engine) => to_js(&engine.info(true)),
        }
    }

    #[cfg(feature = "full")] // Engine.verifyPageBundle
    /// The signed bundle store (a draft engine has none).
    pub(super) fn store(&self) -> Result<&BundleStore<Engine>, Error> {
        match &self.source {
            Source::Signed(store) => Ok(store),
            Source::Draft(_) => Err(signed_only()),
        }
    }

    pub(super) fn active(&self) -> Result<Arc<Engine>, Error> {
        match &self.source {
            Source::Signed(store) => store.active().ok_or_else(|| {
                Error::new(ErrorCode::NoBundle, "no bundle is active: load one first")
            }),
            Source::Draft(engine) => Ok(Arc::clone(engine)),
        }
    }

    /// Decides which offers the shopper sees. `historyBytes` is the stored
    /// blob (`null` for a new shopper). Returns the Decision and the history
    /// blob to store back (with the session applied) — or, when the
    /// shopper's consent removes history writes (`decision.privacy.measurement`
    /// false), `historyBytes` itself, unchanged (empty for `null`). "No
    /// offer" is an empty placement, not an error.
    ///
    /// Throws an `OfferEdgeError` with `code` `NO_BUNDLE`, `CONTEXT_INVALID`,
    /// `PLACEMENT_UNKNOWN` or `BUNDLE_EXPIRED` (the signed bundle expired,
    /// plus the trust's `decideGraceSeconds`, before `nowMs`).
    ///
    /// @example
    /// ```js
    /// const { decision, history } = engine.decide(
    ///   { firstname: "Ada", state: "CA", amount: "64.50" },
    ///   localStorage.oeHistory ? Uint8Array.from(atob(localStorage.oeHistory), (c) => c.charCodeAt(0)) : null,
    ///   Date.now(),
    ///   { placements: ["confirmation"], sessionId: sessionStorage.oeSession },
    /// );
    /// ```
    ///
    /// # Errors
    /// As above, as a thrown JS `Error`.
    #[wasm_bindgen(unchecked_return_type = "{ decision: Decision; history: Uint8Array }")]
    pub fn decide(
        &self,
        context: JsValue,
        #[wasm_bindgen(js_name = historyBytes)] history_bytes: Option<Vec<u8>>,
        #[wasm_bindgen(js_name = nowMs)] now_ms: f64,
        #[wasm_bindgen(unchecked_param_type = "DecideOptions")] options: JsValue,
    ) -> JsResult<JsValue> {
        let engine = self.active()?;
        let now = timestamp(now_ms)?;
        let context = context_of(&context)?;
        let (options, seed) = if options.is_undefined() || options.is_null() {
            (JsDecideOptions::default(), None)
        } else {
            // Read `seed` from JS itself: JSON would turn NaN into null
            // (i.e. "no seed") instead of refusing it.
            let raw = js_sys::Reflect::get(&options, &"seed".into())?;
            let seed = match (raw.is_undefined() || raw.is_null(), raw.as_f64()) {
                (true, _) => None,
                (false, Some(n)) => Some(n),
                (false, None) => Some(f64::NAN),
            };
            (
                from_js(&options, ErrorCode::ContextInvalid, "options")?,
                seed,
            )
        };
        let defaults = DecideOptions::default();
        let core_options = DecideOptions {
            placements: options.placements,
            explain: options.explain,
            receipt_ttl: options.receipt_ttl.unwrap_or(defaults.receipt_ttl),
            consent: options.consent,
            request_country: options.request_country,
            #[cfg(feature = "explain")]
            learning_log: options.learning_log,
        };
        let entropy = decide_entropy(seed)?;
        let blob = history_bytes.unwrap_or_default();
        let stored = StoredHistory {
            blob: &blob,
            session_id: options.session_id.as_deref(),
        };
        let StoredDecision {
            decision,
            history_blob,
        } = engine.decide_stored(&context, stored, now, &entropy, &core_options)?;
        let out = js_sys::Object::new();
        js_sys::Reflect::set(&out, &"decision".into(), &decision_to_js(&decision)?)?;
        let kept = history_blob.unwrap_or(blob);
        let bytes = js_sys::Uint8Array::from(kept.as_slice());
        js_sys::Reflect::set(&out, &"history".into(), &bytes)?;
        Ok(out.into())
    }

    /// Records an engagement `{type, offerId}` (`impression`, `accept`,
    /// `decline`, `close`, `conversion`) at `nowMs` into the history blob and
    /// returns the new blob to store.
    ///
    /// Throws an `OfferEdgeError` with `code` `NO_BUNDLE` or `EVENT_INVALID`
    /// (unknown offer or type).
    ///
    /// @example
    /// ```js
    /// stored = engine.record(stored, { type: "impression", offerId: offer.offerId }, Date.now());
    /// ```
    ///
    /// # Errors
    /// As above, as a thrown JS `Error`.
    pub fn record(
        &self,
        #[wasm_bindgen(js_name = historyBytes)] history_bytes: Option<Vec<u8>>,
        #[wasm_bindgen(unchecked_param_type = "{ type: EventType; offerId: string }")]
        engagement: JsValue,
        #[wasm_bindgen(js_name = nowMs)] now_ms: f64,
    ) -> JsResult<Vec<u8>> {
        let engine = self.active()?;
        let now = timestamp(now_ms)?;
        let engagement: JsEngagement = from_js(&engagement, ErrorCode::EventInvalid, "engagement")?;
        let blob = history_bytes.unwrap_or_default();
        let engagement = Engagement {
            kind: engagement.kind,
            offer_id: &engagement.offer_id,
        };
        Ok(engine.record_stored(&blob, engagement, now)?)
    }

    /// Seals the shopper's email to the active bundle's fulfilment key, bound
    /// to the receipt's partner, offer and decision (fresh host entropy).
    ///
    /// Throws an `OfferEdgeError` with `code` `NO_BUNDLE`, `EMAIL_INVALID`
    /// (ask again), `RECEIPT_INVALID`, `KEY_INVALID` or `SEAL_FAILED`.
    ///
    /// @example
    /// ```js
    /// const fulfilment = engine.sealForFulfilment("ada@example.com", offer.receipt);
    /// ```
    ///
    /// # Errors
    /// As above, as a thrown JS `Error`.
    #[wasm_bindgen(js_name = sealForFulfilment, unchecked_return_type = "FulfilmentRequest")]
    pub fn seal_for_fulfilment(
        &self,
        email: &str,
        #[wasm_bindgen(unchecked_param_type = "Receipt")] receipt: JsValue,
    ) -> JsResult<JsValue> {
        let engine = self.active()?;
        let receipt: Receipt = from_js(&receipt, ErrorCode::ReceiptInvalid, "receipt")?;
        let request = crate::seal::seal_for_fulfilment(
            engine.fulfilment_key(),
            &receipt,
            email,
            &entropy::<32>()?,
        )?;
        to_js(&request)
    }
}

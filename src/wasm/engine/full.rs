//! `Engine` methods of the edge and preview build (feature "full"): drafts
//! for authoring previews, engagement events built in WASM (the snippet
//! builds its own: www/oe-edge.js), and confirmation emails opened at the
//! edge. The page build leaves them out (ARCHITECTURE.md, "Compile at sign time").

use super::{json_arg, Source, WasmEngine};
use crate::attest::check_attested_email;
use crate::decide::Engine;
use crate::error::ErrorCode;
use crate::events::{Event, EventOffer, EventReceipt, EventType};
use crate::receipt::Receipt;
use crate::seal::{open_fulfilment, FulfilmentPrivateKey, FulfilmentRequest};
use crate::wasm::{entropy, from_js, timestamp, to_js, JsResult};
use serde::Deserialize;
use std::cell::RefCell;
use std::sync::Arc;
use wasm_bindgen::prelude::*;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct JsDecidedOffer {
    campaign: String,
    advertiser: String,
    propensity: f64,
    receipt: Receipt,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
struct JsEventOptions {
    receipt: Option<EventReceipt>,
    fulfilment: Option<FulfilmentRequest>,
    checkout: Option<String>,
}

#[wasm_bindgen(js_class = Engine)]
impl WasmEngine {
    /// An engine over an unsigned draft bundle (an object or its JSON text),
    /// for authoring previews: `info().draft` is `true`; it cannot `load`.
    ///
    /// Throws an `OfferEdgeError` with `code` `SCHEMA_INVALID`,
    /// `RULE_INVALID`, `TEMPLATE_INVALID`, `LIMIT_EXCEEDED`…
    ///
    /// @example
    /// ```js
    /// const preview = Engine.fromDraft(await (await fetch("bundle.json")).text());
    /// ```
    ///
    /// # Errors
    /// As above, as a thrown JS `Error`.
    #[wasm_bindgen(js_name = fromDraft)]
    pub fn from_draft(
        #[wasm_bindgen(unchecked_param_type = "object | string")] bundle: JsValue,
    ) -> JsResult<WasmEngine> {
        let json = match bundle.as_string() {
            Some(text) => text,
            None => json_arg(&bundle, ErrorCode::SchemaInvalid, "draft")?,
        };
        Ok(Self {
            source: Source::Draft(Arc::new(Engine::from_draft_json(json.as_bytes())?)),
            ids: RefCell::new(None),
        })
    }

    /// An engagement event of `type` for a shown `offer` (a DecidedOffer),
    /// with a UUID v4 id from `crypto.getRandomValues`. `options.receipt`:
    /// the compact signed receipt (edge) instead of the plain one;
    /// `options.fulfilment`: the sealed email, on accepts only;
    /// `options.checkout`: the partner's checkout token for the order
    /// (shape-checked only; the edge verifies it).
    ///
    /// Throws an `OfferEdgeError` with `code` `EVENT_INVALID` or
    /// `RECEIPT_INVALID`.
    ///
    /// @example
    /// ```js
    /// const ev = engine.event("accept", offer, Date.now(), {
    ///   fulfilment: engine.sealForFulfilment(email, offer.receipt),
    ///   checkout: partnerCheckoutToken,
    /// });
    /// navigator.sendBeacon("/events", JSON.stringify([ev]));
    /// ```
    ///
    /// # Errors
    /// As above, as a thrown JS `Error`.
    #[wasm_bindgen(unchecked_return_type = "OfferEvent")]
    pub fn event(
        &self,
        kind: &str,
        #[wasm_bindgen(unchecked_param_type = "DecidedOffer")] offer: JsValue,
        #[wasm_bindgen(js_name = nowMs)] now_ms: f64,
        #[wasm_bindgen(
            unchecked_param_type = "{ receipt?: string | Receipt; fulfilment?: FulfilmentRequest; checkout?: string }"
        )]
        options: JsValue,
    ) -> JsResult<JsValue> {
        let kind: EventType = kind.parse()?;
        let offer: JsDecidedOffer = from_js(&offer, ErrorCode::EventInvalid, "offer")?;
        let options: JsEventOptions = if options.is_undefined() || options.is_null() {
            JsEventOptions::default()
        } else {
            from_js(&options, ErrorCode::EventInvalid, "options")?
        };
        let receipt = options
            .receipt
            .unwrap_or(EventReceipt::Plain(offer.receipt));
        let mut event = Event::new(
            kind,
            &entropy::<16>()?,
            timestamp(now_ms)?,
            receipt,
            EventOffer {
                campaign: &offer.campaign,
                advertiser: &offer.advertiser,
                propensity: offer.propensity,
            },
        )?;
        if let Some(request) = options.fulfilment {
            event = event.with_fulfilment(request)?;
        }
        if let Some(token) = options.checkout {
            event = event.with_checkout(token)?;
        }
        to_js(&event)
    }

    /// Fulfilment side: opens `request` with the partner's private key file
    /// (its JSON text) and renders the confirmation email for an accept at
    /// `acceptedAtMs`: `{to, subject, html, text, offerId, decisionId, reminderAt}`.
    /// With `expectedEmailHash` (the `eh` of the order's verified checkout
    /// token), the opened address must be the one the partner attested.
    ///
    /// Throws an `OfferEdgeError` with `code` `KEY_INVALID`, `SEAL_FAILED`
    /// (wrong key, tampered, other partner), `EMAIL_MISMATCH` (not the
    /// attested address) or `EVENT_INVALID`. `issuedCouponCode`: the code
    /// the edge issued for this accept of a unique-coupon offer (the email's
    /// `couponCode`).
    ///
    /// @example
    /// ```js
    /// const mail = engine.confirmationEmail(env.FULFILMENT_KEY, event.fulfilment, Date.parse(event.time), checkout.eh);
    /// await sendMail(mail.to, mail.subject, mail.html, mail.text);
    /// ```
    ///
    /// # Errors
    /// As above, as a thrown JS `Error`.
    #[wasm_bindgen(js_name = confirmationEmail, unchecked_return_type = "ConfirmationMessage")]
    pub fn confirmation_email(
        &self,
        #[wasm_bindgen(js_name = privateKeyJson)] private_key_json: &str,
        #[wasm_bindgen(unchecked_param_type = "FulfilmentRequest")] request: JsValue,
        #[wasm_bindgen(js_name = acceptedAtMs)] accepted_at_ms: f64,
        #[wasm_bindgen(js_name = expectedEmailHash)] expected_email_hash: Option<String>,
        #[wasm_bindgen(js_name = issuedCouponCode)] issued_coupon_code: Option<String>,
    ) -> JsResult<JsValue> {
        let engine = self.active()?;
        let key = FulfilmentPrivateKey::from_json(private_key_json)?;
        let request: FulfilmentRequest = from_js(&request, ErrorCode::SealFailed, "request")?;
        let opened = open_fulfilment(
            &key.private_key_bytes()?,
            &key.kid,
            engine.partner(),
            &request,
        )?;
        if let Some(expected) = &expected_email_hash {
            check_attested_email(engine.partner(), &opened.email, expected)?;
        }
        to_js(&engine.confirmation_email_with_code(
            &opened,
            timestamp(accepted_at_ms)?,
            issued_coupon_code.as_deref(),
        )?)
    }
}

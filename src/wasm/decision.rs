//! The Decision as a plain JS object, built directly instead of through
//! JSON text: serializing it with serde_json and `JSON.parse`-ing it in JS
//! was a third of a small decision's time in Node. Object literals in the
//! small JS constructors below take their keys from the JS source, so only
//! values cross; strings every receipt repeats (decision id, partner, bundle
//! hash, placement, instants) cross once per decision.
//!
//! The shape is exactly the serde one (`Decision` in `src/decide/decision.rs`,
//! `Decision` in the .d.ts): same keys, same order, optional keys absent
//! rather than `undefined`. Explanations and warnings (previews, rare) still
//! go through JSON.

use super::{to_js, JsResult};
use crate::consent::ConsentState;
use crate::decide::{ActionView, DecidedOffer, Decision, RenderedFields};
use wasm_bindgen::prelude::*;

#[wasm_bindgen(inline_js = "
export function js_receipt(decisionId, partner, placement, offerId, creativeId, bundleSha256, issuedAt, expiresAt) {
  return { decisionId, partner, placement, offerId, creativeId, bundleSha256, issuedAt, expiresAt };
}
export function js_action(type, unique, url, code, sku) {
  const a = { type };
  if (unique) a.unique = true;
  if (url !== undefined) a.url = url;
  if (code !== undefined) a.code = code;
  if (sku !== undefined) a.sku = sku;
  return a;
}
export function js_fields(headline, body, cta, declineLabel, image, imageAlt, terms) {
  const f = { headline, body, cta, declineLabel };
  if (image !== undefined) f.image = image;
  f.imageAlt = imageAlt;
  if (terms !== undefined) f.terms = terms;
  return f;
}
export function js_offer(offerId, creativeId, campaign, advertiser, rank, tier, score, predictedEngagement,
                         propensity, needsConfirmationEmail, action, fields, receipt) {
  return { offerId, creativeId, campaign, advertiser, rank, tier, score, predictedEngagement, propensity,
           needsConfirmationEmail, action, fields, receipt };
}
export function js_placement(id, html, offers) {
  return { id, html, offers };
}
export function js_privacy(saleOptOut, personalization, measurement, because, removed) {
  return { saleOptOut, personalization, measurement, because, removed };
}
export function js_decision(decisionId, partner, bundleVersion, bundleSha256, time, placements, privacy, explanations, warnings, warningsOmitted) {
  const d = { decisionId, partner, bundleVersion, bundleSha256, time, placements, privacy };
  if (explanations !== undefined) d.explanations = explanations;
  if (warnings !== undefined) d.warnings = warnings;
  if (warningsOmitted) d.warningsOmitted = warningsOmitted;
  return d;
}
")]
extern "C" {
    #[allow(clippy::too_many_arguments)]
    fn js_receipt(
        decision_id: &JsValue,
        partner: &JsValue,
        placement: &JsValue,
        offer_id: &JsValue,
        creative_id: &JsValue,
        bundle_sha256: &JsValue,
        issued_at: &JsValue,
        expires_at: &JsValue,
    ) -> JsValue;
    fn js_action(
        kind: &str,
        unique: bool,
        url: Option<&str>,
        code: Option<&str>,
        sku: Option<&str>,
    ) -> JsValue;
    fn js_fields(
        headline: &str,
        body: &str,
        cta: &str,
        decline_label: &str,
        image: Option<&str>,
        image_alt: &str,
        terms: Option<&str>,
    ) -> JsValue;
    #[allow(clippy::too_many_arguments)]
    fn js_offer(
        offer_id: &JsValue,
        creative_id: &JsValue,
        campaign: &str,
        advertiser: &str,
        rank: u32,
        tier: u8,
        score: f64,
        predicted_engagement: f64,
        propensity: f64,
        needs_confirmation_email: bool,
        action: &JsValue,
        fields: &JsValue,
        receipt: &JsValue,
    ) -> JsValue;
    fn js_placement(id: &JsValue, html: &str, offers: &js_sys::Array) -> JsValue;
    fn js_privacy(
        sale_opt_out: bool,
        personalization: bool,
        measurement: bool,
        because: &js_sys::Array,
        removed: &js_sys::Array,
    ) -> JsValue;
    #[allow(clippy::too_many_arguments)]
    fn js_decision(
        decision_id: &JsValue,
        partner: &JsValue,
        bundle_version: f64,
        bundle_sha256: &JsValue,
        time: &JsValue,
        placements: &js_sys::Array,
        privacy: &JsValue,
        explanations: &JsValue,
        warnings: &JsValue,
        warnings_omitted: u32,
    ) -> JsValue;
}

/// JS strings shared by every receipt of one decision.
struct Shared {
    decision_id: JsValue,
    partner: JsValue,
    bundle_sha256: JsValue,
}

/// A string as JS, reusing `known` when it holds the same text (receipts
/// repeat the decision's own strings).
fn text(value: &str, known: &str, js: &JsValue) -> JsValue {
    if value == known {
        js.clone()
    } else {
        JsValue::from_str(value)
    }
}

fn action(a: &ActionView) -> JsValue {
    js_action(
        a.kind,
        a.unique,
        a.url.as_deref(),
        a.code.as_deref(),
        a.sku.as_deref(),
    )
}

fn fields(f: &RenderedFields) -> JsValue {
    js_fields(
        &f.headline,
        &f.body,
        &f.cta,
        &f.decline_label,
        f.image.as_deref(),
        &f.image_alt,
        f.terms.as_deref(),
    )
}

/// Instants as RFC 3339 text, made once per distinct value.
#[derive(Default)]
struct Instants(Vec<(i64, JsValue)>);

impl Instants {
    fn get(&mut self, t: crate::time::Timestamp) -> JsValue {
        if let Some((_, js)) = self.0.iter().find(|(ms, _)| *ms == t.0) {
            return js.clone();
        }
        let js = JsValue::from_str(&t.to_string());
        self.0.push((t.0, js.clone()));
        js
    }
}

fn offer(
    o: &DecidedOffer,
    placement: (&str, &JsValue),
    d: &Decision,
    shared: &Shared,
    instants: &mut Instants,
) -> JsValue {
    let r = &o.receipt;
    let offer_id = JsValue::from_str(&o.offer_id);
    let creative_id = JsValue::from_str(&o.creative_id);
    let receipt = js_receipt(
        &text(&r.decision_id, &d.decision_id, &shared.decision_id),
        &text(&r.partner, &d.partner, &shared.partner),
        &text(&r.placement, placement.0, placement.1),
        &text(&r.offer_id, &o.offer_id, &offer_id),
        &text(&r.creative_id, &o.creative_id, &creative_id),
        &text(&r.bundle_sha256, &d.bundle_sha256, &shared.bundle_sha256),
        &instants.get(r.issued_at),
        &instants.get(r.expires_at),
    );
    js_offer(
        &offer_id,
        &creative_id,
        &o.campaign,
        &o.advertiser,
        o.rank,
        o.tier,
        o.score,
        o.predicted_engagement,
        o.propensity,
        o.needs_confirmation_email,
        &action(&o.action),
        &fields(&o.fields),
        &receipt,
    )
}

/// The consent state as serde writes it.
fn privacy(p: &ConsentState) -> JsValue {
    let because: js_sys::Array = p
        .because
        .iter()
        .map(|s| JsValue::from_str(s.as_str()))
        .collect();
    let removed: js_sys::Array = p
        .removed
        .iter()
        .map(|r| JsValue::from_str(r.as_str()))
        .collect();
    js_privacy(
        p.sale_opt_out,
        p.personalization,
        p.measurement,
        &because,
        &removed,
    )
}

/// `d` as the plain JS object `JSON.parse(serde_json::to_string(d))` gives.
///
/// # Errors
/// Only if explanations or warnings cannot cross (never in practice).
pub(crate) fn decision_to_js(d: &Decision) -> JsResult<JsValue> {
    let shared = Shared {
        decision_id: JsValue::from_str(&d.decision_id),
        partner: JsValue::from_str(&d.partner),
        bundle_sha256: JsValue::from_str(&d.bundle_sha256),
    };
    let mut instants = Instants::default();
    let time = instants.get(d.time);
    let placements = js_sys::Array::new();
    for p in &d.placements {
        let id = JsValue::from_str(&p.id);
        let offers = js_sys::Array::new();
        for o in &p.offers {
            offers.push(&offer(o, (&p.id, &id), d, &shared, &mut instants));
        }
        let placement = js_placement(&id, &p.html, &offers);
        // Last, as serde writes it (only with `learningLog`).
        #[cfg(feature = "explain")]
        if let Some(eligible) = &p.eligible {
            let ids: js_sys::Array = eligible.iter().map(|id| JsValue::from_str(id)).collect();
            js_sys::Reflect::set(&placement, &"eligible".into(), &ids)?;
        }
        placements.push(&placement);
    }
    let explanations = if d.explanations.is_empty() {
        JsValue::UNDEFINED
    } else {
        to_js(&d.explanations)?
    };
    let warnings = if d.warnings.is_empty() {
        JsValue::UNDEFINED
    } else {
        to_js(&d.warnings)?
    };
    // Versions are far below 2^53 (JSON gave the same double).
    let decision = js_decision(
        &shared.decision_id,
        &shared.partner,
        d.bundle_version as f64,
        &shared.bundle_sha256,
        &time,
        &placements,
        &privacy(&d.privacy),
        &explanations,
        &warnings,
        d.warnings_omitted,
    );
    // Last, as serde writes it (only with `learningLog`).
    #[cfg(feature = "explain")]
    if let Some(features) = &d.features {
        let object = js_sys::Object::new();
        for (name, value) in features {
            js_sys::Reflect::set(&object, &name.into(), &value.into())?;
        }
        js_sys::Reflect::set(&decision, &"features".into(), &object)?;
    }
    Ok(decision)
}

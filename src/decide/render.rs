//! Personalization of the winners: creative fields as text, then the
//! placement layout as HTML (escaped per context by the template engine).
//!
//! Only presentation attributes reach templates. Identifiers (email, its
//! hash, phone), card BIN, date of birth, age and gender never do, so no
//! template can leak them into the page.

use super::decision::{ActionView, DecidedOffer, RenderedFields};
use super::engine::{CompiledOffer, CompiledPlacement};
use crate::bundle::{Action, Offer};
use crate::context::{Context, Field, FieldValue};
use crate::template::TextTemplate;
use serde_json::{json, Map, Value};

/// Attributes templates may use.
const TEMPLATE_FIELDS: [Field; 13] = [
    Field::FirstName,
    Field::LastName,
    Field::City,
    Field::State,
    Field::Country,
    Field::ZipCode,
    Field::Amount,
    Field::Currency,
    Field::Quantity,
    Field::Language,
    Field::LoyaltyTier,
    Field::CustomerType,
    Field::Device,
];

/// The template data of a (normalized) context.
pub(crate) fn template_data(ctx: &Context) -> Value {
    let mut map = Map::new();
    for field in TEMPLATE_FIELDS {
        let value = match ctx.get(field) {
            Some(FieldValue::Text(t)) => Value::String(t.to_string()),
            Some(FieldValue::Number(n)) => {
                serde_json::Number::from_f64(n).map_or(Value::Null, Value::Number)
            }
            None => continue,
        };
        map.insert(field.name().to_string(), value);
    }
    Value::Object(map)
}

fn render_opt(t: Option<&TextTemplate>, data: &Value) -> Option<String> {
    t.map(|t| t.render(data)).filter(|s| !s.is_empty())
}

/// The creative fields of a winner, personalized.
pub(crate) fn render_offer(
    compiled: &CompiledOffer,
    source: &Offer,
    data: &Value,
) -> RenderedFields {
    let f = &compiled.fields;
    RenderedFields {
        headline: f.headline.render(data),
        body: f.body.render(data),
        cta: f.cta.render(data),
        decline_label: render_opt(f.decline_label.as_ref(), data)
            .unwrap_or_else(|| "No thanks".into()),
        image: source.creative.fields.image.clone(),
        image_alt: render_opt(f.image_alt.as_ref(), data).unwrap_or_default(),
        terms: render_opt(f.terms.as_ref(), data),
    }
}

/// The action, flattened.
pub(crate) fn action_view(action: &Action) -> ActionView {
    match action {
        Action::Link { url } => ActionView {
            kind: "link",
            url: Some(url.clone()),
            code: None,
            sku: None,
        },
        Action::AddToCart { sku } => ActionView {
            kind: "addToCart",
            url: None,
            code: None,
            sku: Some(sku.clone()),
        },
        Action::Coupon { code, url } => ActionView {
            kind: "coupon",
            url: url.clone(),
            code: Some(code.clone()),
            sku: None,
        },
    }
}

/// The placement layout rendered around its winners.
pub(crate) fn render_layout(
    placement: &CompiledPlacement,
    data: &Value,
    offers: &[DecidedOffer],
) -> String {
    let items: Vec<Value> = offers
        .iter()
        .map(|o| {
            json!({
                "id": o.offer_id,
                "rank": o.rank,
                "headline": o.fields.headline,
                "body": o.fields.body,
                "cta": o.fields.cta,
                "declineLabel": o.fields.decline_label,
                "image": o.fields.image,
                "imageAlt": o.fields.image_alt,
                "terms": o.fields.terms,
                "actionType": o.action.kind,
                "actionUrl": o.action.url,
                "needsConfirmationEmail": o.needs_confirmation_email,
            })
        })
        .collect();
    let mut data = data.clone();
    if let Value::Object(map) = &mut data {
        map.insert("placement".into(), json!({ "id": placement.id }));
        map.insert("offers".into(), Value::Array(items));
    }
    placement.layout.render(&data)
}

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
use crate::template::{Data, Datum, List, TextTemplate};

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

/// The template data of a (normalized) context: its presentation
/// attributes by name, read straight from the context (no copy).
#[derive(Clone, Copy)]
pub(crate) struct ContextData<'a>(&'a Context);

/// The template data of a (normalized) context.
pub(crate) fn template_data(ctx: &Context) -> ContextData<'_> {
    ContextData(ctx)
}

impl Data for ContextData<'_> {
    fn get(&self, key: &str) -> Option<Datum<'_>> {
        let field = TEMPLATE_FIELDS.into_iter().find(|f| f.name() == key)?;
        match self.0.get(field)? {
            FieldValue::Text(t) => Some(Datum::Text(t)),
            FieldValue::Number(n) if n.is_finite() => Some(Datum::Number(n)),
            FieldValue::Number(_) => Some(Datum::Null),
        }
    }
}

fn render_opt(t: Option<&TextTemplate>, data: &dyn Data) -> Option<String> {
    t.map(|t| t.render(data)).filter(|s| !s.is_empty())
}

/// The creative fields of a winner, personalized.
pub(crate) fn render_offer(
    compiled: &CompiledOffer,
    source: &Offer,
    data: &dyn Data,
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
    data: &ContextData<'_>,
    offers: &[DecidedOffer],
) -> String {
    placement.layout.render(&LayoutData {
        context: *data,
        placement: PlacementData(&placement.id),
        offers: OfferList(offers),
    })
}

/// A layout's data: the context's attributes plus `placement` and `offers`.
struct LayoutData<'a> {
    context: ContextData<'a>,
    placement: PlacementData<'a>,
    offers: OfferList<'a>,
}

impl Data for LayoutData<'_> {
    fn get(&self, key: &str) -> Option<Datum<'_>> {
        match key {
            "placement" => Some(Datum::Map(&self.placement)),
            "offers" => Some(Datum::List(&self.offers)),
            _ => self.context.get(key),
        }
    }
}

/// `placement`: `{id}`.
struct PlacementData<'a>(&'a str);

impl Data for PlacementData<'_> {
    fn get(&self, key: &str) -> Option<Datum<'_>> {
        (key == "id").then_some(Datum::Text(self.0))
    }
}

/// `offers`: the placement's winners, in rank order.
struct OfferList<'a>(&'a [DecidedOffer]);

impl List for OfferList<'_> {
    fn len(&self) -> usize {
        self.0.len()
    }

    fn item(&self, index: usize) -> Option<Datum<'_>> {
        self.0.get(index).map(|o| Datum::Map(o))
    }
}

/// One winner as a layout sees it. Absent optional fields are `null` (not
/// missing), so `{{terms}}` inside `{{#offers}}` never falls back to an
/// outer context.
impl Data for DecidedOffer {
    fn get(&self, key: &str) -> Option<Datum<'_>> {
        let f = &self.fields;
        Some(match key {
            "id" => Datum::Text(&self.offer_id),
            "rank" => Datum::Number(f64::from(self.rank)),
            "headline" => Datum::Text(&f.headline),
            "body" => Datum::Text(&f.body),
            "cta" => Datum::Text(&f.cta),
            "declineLabel" => Datum::Text(&f.decline_label),
            "image" => optional(&f.image),
            "imageAlt" => Datum::Text(&f.image_alt),
            "terms" => optional(&f.terms),
            "actionType" => Datum::Text(self.action.kind),
            "actionUrl" => optional(&self.action.url),
            "needsConfirmationEmail" => Datum::Bool(self.needs_confirmation_email),
            _ => return None,
        })
    }
}

/// An optional string: `null` when absent.
fn optional(text: &Option<String>) -> Datum<'_> {
    text.as_deref().map_or(Datum::Null, Datum::Text)
}

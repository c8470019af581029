//! Personalization of the winners: creative fields as text, then the
//! placement layout as HTML (escaped per context by the template engine).
//!
//! Only presentation attributes reach templates. Identifiers (email, its
//! hash, phone), card BIN, date of birth, age and gender never do, so no
//! template can leak them into the page.

use super::compile::{CompiledOffer, CompiledPlacement, Engine};
use super::decision::{ActionView, DecidedOffer, PlacementDecision, RenderedFields};
use super::placement::Ranking;
use crate::bundle::{Action, Coupon, CouponCode, Offer};
use crate::context::{Context, Field, FieldValue};
use crate::limits::{MAX_ID_LEN, MAX_TEMPLATE_ATTRIBUTE_BYTES};
use crate::rank::sigmoid;
use crate::receipt::Receipt;
use crate::template::{Data, Datum, List, Shape, TextTemplate};
use crate::time::Timestamp;

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

/// The decline button's label when the creative has none.
const DEFAULT_DECLINE_LABEL: &str = "No thanks";

/// What creative fields see, for their worst-case size: the attributes of
/// [`ContextData`], each printing at most [`MAX_TEMPLATE_ATTRIBUTE_BYTES`]
/// (a longer value is cut when rendered).
pub(crate) fn context_shape() -> Shape {
    Shape::Map(context_entries().collect())
}

fn context_entries() -> impl Iterator<Item = (String, Shape)> {
    TEMPLATE_FIELDS
        .iter()
        .map(|f| f.name())
        .chain([AMOUNT_FORMATTED])
        .map(|name| (name.to_owned(), Shape::Scalar(MAX_TEMPLATE_ATTRIBUTE_BYTES)))
}

/// The template name of the cart total formatted for the shopper: the
/// page's `amountformatted` (Intl.NumberFormat in the shopper's locale and
/// currency), else [`amount_fallback`] so every host (page, edge, CLI)
/// renders the same from the same context.
const AMOUNT_FORMATTED: &str = "amountFormatted";

/// `amountFormatted` when the page sent none: the amount with two decimals
/// and the currency code (`"120.00 EUR"`; `"120.00"` without a currency),
/// locale-free so it is the same natively and in WebAssembly. None without
/// an amount.
fn amount_fallback(ctx: &Context) -> Option<String> {
    let amount = ctx.amount.filter(|a| a.is_finite())?;
    Some(match ctx.currency.as_deref() {
        Some(code) => format!("{amount:.2} {code}"),
        None => format!("{amount:.2}"),
    })
}

/// What a layout sees ([`LayoutData`]), for its worst-case size: the
/// context's attributes, `placement.id`, and at most `max_offers` offers,
/// each field as long as the longest of `offers` can render. Mirrors the
/// `Data` impls below: a name missing here renders as missing.
pub(crate) fn layout_shape<'a>(
    max_offers: usize,
    offers: impl Iterator<Item = (&'a CompiledOffer, &'a Offer)>,
) -> Shape {
    // Creative fields are compiled bounded (`context_shape`), so every
    // template has a bound; none would make the layout refuse to print it.
    let bound = |t: Option<&TextTemplate>| t.map_or(0, |t| t.max_len().unwrap_or(usize::MAX));
    let mut longest = [0usize; 9];
    for (compiled, offer) in offers {
        let f = &compiled.fields;
        let action = action_view(&offer.action);
        let lengths = [
            bound(Some(&f.headline)),
            bound(Some(&f.body)),
            bound(Some(&f.cta)),
            bound(f.decline_label.as_ref()).max(DEFAULT_DECLINE_LABEL.len()),
            offer.creative.fields.image.as_ref().map_or(0, String::len),
            bound(f.image_alt.as_ref()),
            bound(f.terms.as_ref()),
            action.kind.len(),
            action.url.as_ref().map_or(0, String::len),
        ];
        for (l, n) in longest.iter_mut().zip(lengths) {
            *l = (*l).max(n);
        }
    }
    let [headline, body, cta, decline, image, image_alt, terms, action_type, action_url] = longest;
    let offer = Shape::map([
        ("id", Shape::Scalar(MAX_ID_LEN)),
        // A u32 prints in at most 10 digits.
        ("rank", Shape::Scalar(10)),
        ("headline", Shape::Scalar(headline)),
        ("body", Shape::Scalar(body)),
        ("cta", Shape::Scalar(cta)),
        ("declineLabel", Shape::Scalar(decline)),
        ("image", Shape::Scalar(image)),
        ("imageAlt", Shape::Scalar(image_alt)),
        ("terms", Shape::Scalar(terms)),
        ("actionType", Shape::Scalar(action_type)),
        ("actionUrl", Shape::Scalar(action_url)),
        ("needsConfirmationEmail", Shape::Scalar("false".len())),
    ]);
    let mut root = vec![
        (
            "placement".to_owned(),
            Shape::map([("id", Shape::Scalar(MAX_ID_LEN))]),
        ),
        ("offers".to_owned(), Shape::list(max_offers, offer)),
    ];
    root.extend(context_entries());
    Shape::Map(root)
}

/// The template data of a (normalized) context: its presentation
/// attributes by name, read straight from the context (no copy), and
/// `amountFormatted` (the page's, else the fallback, made once per decision).
pub(crate) struct ContextData<'a> {
    ctx: &'a Context,
    amount_fallback: Option<String>,
}

/// The template data of a (normalized) context.
pub(crate) fn template_data(ctx: &Context) -> ContextData<'_> {
    let amount_fallback = match ctx.amountformatted {
        Some(_) => None,
        None => amount_fallback(ctx),
    };
    ContextData {
        ctx,
        amount_fallback,
    }
}

impl Data for ContextData<'_> {
    fn get(&self, key: &str) -> Option<Datum<'_>> {
        if key == AMOUNT_FORMATTED {
            let text = self.ctx.amountformatted.as_deref();
            return text.or(self.amount_fallback.as_deref()).map(Datum::Text);
        }
        let field = TEMPLATE_FIELDS.into_iter().find(|f| f.name() == key)?;
        match self.ctx.get(field)? {
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
fn render_offer(compiled: &CompiledOffer, source: &Offer, data: &dyn Data) -> RenderedFields {
    let f = &compiled.fields;
    RenderedFields {
        headline: f.headline.render(data),
        body: f.body.render(data),
        cta: f.cta.render(data),
        decline_label: render_opt(f.decline_label.as_ref(), data)
            .unwrap_or_else(|| DEFAULT_DECLINE_LABEL.into()),
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
            unique: false,
            url: Some(url.clone()),
            code: None,
            sku: None,
        },
        Action::AddToCart { sku } => ActionView {
            kind: "addToCart",
            unique: false,
            url: None,
            code: None,
            sku: Some(sku.clone()),
        },
        // A unique code is issued by the edge after an attested accept
        // (docs/EDGE.md, "Unique coupon codes"): the decision says only
        // that one will be, never a code or where it comes from.
        Action::Coupon(Coupon { code, url }) => ActionView {
            kind: "coupon",
            unique: matches!(code, CouponCode::Issued(_)),
            url: url.clone(),
            code: match code {
                CouponCode::Fixed(code) => Some(code.clone()),
                CouponCode::Issued(_) => None,
            },
            sku: None,
        },
    }
}

/// What every receipt of one decision shares.
pub(super) struct ReceiptTerms<'a> {
    /// The decision's id.
    pub decision_id: &'a str,
    /// The decision's `now`.
    pub issued_at: Timestamp,
    /// `now` plus the receipt TTL of the decide options.
    pub expires_at: Timestamp,
}

impl Engine {
    /// A placement's part of the decision: each winner of `ranking` with its
    /// creative personalized and its receipt, then the layout around them
    /// (nothing when there is no winner).
    pub(super) fn render_placement(
        &self,
        placement: &CompiledPlacement,
        ranking: Ranking,
        logits: &[f64],
        data: &ContextData<'_>,
        terms: &ReceiptTerms<'_>,
    ) -> PlacementDecision {
        let mut offers = Vec::with_capacity(ranking.picks.len());
        for (rank, pick) in (1..).zip(&ranking.picks) {
            let c = ranking.candidates[pick.candidate];
            let source = &self.bundle.offers[c.offer as usize];
            let compiled = &self.offers[c.offer as usize];
            offers.push(DecidedOffer {
                offer_id: source.id.clone(),
                creative_id: source.creative.id.clone(),
                campaign: source.campaign.clone(),
                advertiser: source.advertiser.clone(),
                rank,
                tier: c.tier,
                score: pick.score,
                predicted_engagement: sigmoid(logits[c.offer as usize]),
                propensity: pick.propensity,
                needs_confirmation_email: compiled.needs_confirmation,
                action: action_view(&source.action),
                fields: render_offer(compiled, source, data),
                receipt: Receipt {
                    decision_id: terms.decision_id.to_owned(),
                    partner: self.bundle.partner.clone(),
                    placement: placement.id.clone(),
                    offer_id: source.id.clone(),
                    creative_id: source.creative.id.clone(),
                    bundle_sha256: self.sha256_hex.clone(),
                    issued_at: terms.issued_at,
                    expires_at: terms.expires_at,
                    // The edge names its partner receipt key when it signs.
                    kid: None,
                },
            });
        }
        let html = if offers.is_empty() {
            String::new()
        } else {
            render_layout(placement, data, &offers)
        };
        PlacementDecision {
            id: placement.id.clone(),
            html,
            offers,
            #[cfg(feature = "explain")]
            eligible: ranking.eligible,
        }
    }
}

/// The placement layout rendered around its winners.
fn render_layout(
    placement: &CompiledPlacement,
    data: &ContextData<'_>,
    offers: &[DecidedOffer],
) -> String {
    placement.layout.render(&LayoutData {
        context: data,
        placement: PlacementData(&placement.id),
        offers: OfferList(offers),
    })
}

/// A layout's data: the context's attributes plus `placement` and `offers`.
struct LayoutData<'a> {
    context: &'a ContextData<'a>,
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

//! Confirmation emails, data side: which engagements need one, when the
//! reminder goes out, and the data the email templates render with.
//!
//! Rendering itself belongs to the template engine: [`compose_confirmation`]
//! takes an [`EmailRenderer`] (the compiled subject / HTML / text templates
//! of the creative) so this module stays independent of it. What this module
//! does declare is the data's [`Shape`] ([`confirmation_shape`]), next to
//! the data it describes, so the engine can bound those templates at load.
//!
//! Reminder semantics: only an offer whose `creative.confirmationEmail` has
//! `required: true` sends anything. Its reminder goes out `reminderAfter`
//! after the accept, **24 hours when `reminderAfter` is absent**, and never
//! when it is `"0s"` (a reminder at the same instant as the confirmation is
//! no reminder). No confirmation email, no reminder.

use crate::bundle::validate::check_issued_coupon_code;
use crate::bundle::{Action, ConfirmationEmail, Coupon, CouponCode, Offer};
use crate::error::{Error, ErrorCode, Result};
use crate::events::EventType;
use crate::limits::{MAX_EMAIL_LEN, MAX_ID_LEN};
use crate::seal::OpenedFulfilment;
use crate::template::{Data, Datum, Shape};
use crate::time::{DurationMs, Timestamp, DAY_MS};

/// Reminder delay when the creative requires a confirmation email but sets
/// no `reminderAfter`.
pub const DEFAULT_REMINDER_AFTER: DurationMs = DurationMs(DAY_MS.unsigned_abs());

/// Plain-text body used when the creative has no `text` template: the same
/// offer details as the HTML, as Mustache over [`confirmation_data`].
pub const DEFAULT_TEXT_TEMPLATE: &str = "{{headline}}\n\n{{body}}\n\
{{#couponCode}}\nYour code: {{couponCode}}\n{{/couponCode}}\
{{#actionUrl}}\n{{actionUrl}}\n{{/actionUrl}}\
{{#terms}}\n{{terms}}\n{{/terms}}";

/// Whether an event of `kind` about `offer` must carry a sealed email: only
/// an accept of an offer whose confirmation email is required. Impressions,
/// declines, closes and conversions never do.
pub fn needs_fulfilment(kind: EventType, offer: &Offer) -> bool {
    kind == EventType::Accept
        && offer
            .creative
            .confirmation_email
            .as_ref()
            .is_some_and(|email| email.required)
}

/// When to send the reminder for an accept at `accepted_at`, or `None` for
/// no reminder (see the module docs for the rules).
pub fn reminder_at(accepted_at: Timestamp, email: &ConfirmationEmail) -> Option<Timestamp> {
    if !email.required {
        return None;
    }
    let after = email.reminder_after.unwrap_or(DEFAULT_REMINDER_AFTER);
    (after.as_millis() > 0).then(|| accepted_at.plus(after))
}

/// Which part of the email a template renders.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EmailPart {
    /// Subject line (text template).
    Subject,
    /// HTML body (HTML template, auto-escaped).
    Html,
    /// Plain-text body (text template).
    Text,
}

/// Renders one part of a confirmation email: `template` is the creative's
/// template source for that part (or [`DEFAULT_TEXT_TEMPLATE`]), `data` is
/// [`confirmation_data`]. Implemented by the template engine; any
/// `Fn(EmailPart, &str, &dyn Data) -> Result<String>` closure also works.
pub trait EmailRenderer {
    /// Renders `part` from `template` with `data`.
    ///
    /// # Errors
    /// `TEMPLATE_INVALID` (or another code) when the template cannot render.
    fn render(&self, part: EmailPart, template: &str, data: &dyn Data) -> Result<String>;
}

impl<F> EmailRenderer for F
where
    F: Fn(EmailPart, &str, &dyn Data) -> Result<String>,
{
    fn render(&self, part: EmailPart, template: &str, data: &dyn Data) -> Result<String> {
        self(part, template, data)
    }
}

/// A rendered confirmation email, ready for the host's mail adapter.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ConfirmationMessage {
    /// Recipient (normalised email from the opened request).
    pub to: String,
    /// Subject line.
    pub subject: String,
    /// HTML body.
    pub html: String,
    /// Plain-text body.
    pub text: String,
    /// The accepted offer.
    pub offer_id: String,
    /// The decision it came from.
    pub decision_id: String,
    /// When to send the reminder, if any.
    pub reminder_at: Option<Timestamp>,
}

/// The data confirmation templates render with: `email`, `offerId`,
/// `decisionId`, `campaign`, `advertiser`, the creative's `headline`,
/// `body`, `cta`, `image`, `imageAlt`, `terms` (template sources as in the
/// bundle; the engine may render them first), `actionType`, `actionUrl`,
/// `couponCode` (coupon offers: the bundle's code, or the code the edge
/// issued for this accept; `null` when a unique code was not issued) and `sku` (add-to-cart offers). Names that do
/// not apply (no image, no coupon…) are `null`.
pub fn confirmation_data<'a>(
    opened: &'a OpenedFulfilment,
    offer: &'a Offer,
) -> ConfirmationData<'a> {
    ConfirmationData { opened, offer }
}

/// What the email templates can print for `offer`, for their worst-case
/// size (`compile_bounded`): every name of [`confirmation_data`], none
/// other. The request's `email` is at most [`MAX_EMAIL_LEN`] bytes, its
/// `offerId` and `decisionId` at most [`MAX_ID_LEN`]; everything read from
/// the offer is as long as it is in `offer`. Creative fields count their
/// template source: the engine renders them with no shopper data before
/// the email (see `Engine::confirmation_email`), and with no data a
/// template prints each byte of its source at most once. A value longer
/// than its shape is cut when rendered, so the bound holds regardless.
pub fn confirmation_shape(offer: &Offer) -> Shape {
    let request = [
        ("email", MAX_EMAIL_LEN),
        ("offerId", MAX_ID_LEN),
        ("decisionId", MAX_ID_LEN),
    ];
    let from_offer = OFFER_NAMES
        .iter()
        .map(|(name, value)| (*name, value(offer).map_or(0, str::len)))
        .map(|(name, len)| match (name, &offer.action) {
            // Issued per accept: as long as the longest code its source issues.
            (
                "couponCode",
                Action::Coupon(Coupon {
                    code: CouponCode::Issued(source),
                    ..
                }),
            ) => (name, source.max_code_len()),
            _ => (name, len),
        });
    Shape::map(
        request
            .into_iter()
            .chain(from_offer)
            .map(|(name, len)| (name, Shape::Scalar(len))),
    )
}

/// Template data of a confirmation email (see [`confirmation_data`]), read
/// from the opened request and the offer without copying them.
#[derive(Debug, Clone, Copy)]
pub struct ConfirmationData<'a> {
    opened: &'a OpenedFulfilment,
    offer: &'a Offer,
}

/// A name the email data reads from the offer, and how (`None` is `null`).
type OfferName = (&'static str, fn(&Offer) -> Option<&str>);

/// Every name the email data reads from the offer. One table serves the
/// data ([`ConfirmationData`]) and its shape ([`confirmation_shape`]), so a
/// name cannot print without being bounded.
const OFFER_NAMES: [OfferName; 12] = [
    ("campaign", |o| Some(&o.campaign)),
    ("advertiser", |o| Some(&o.advertiser)),
    ("headline", |o| Some(&o.creative.fields.headline)),
    ("body", |o| Some(&o.creative.fields.body)),
    ("cta", |o| Some(&o.creative.fields.cta)),
    ("image", |o| o.creative.fields.image.as_deref()),
    ("imageAlt", |o| o.creative.fields.image_alt.as_deref()),
    ("terms", |o| o.creative.fields.terms.as_deref()),
    ("actionType", |o| {
        Some(match o.action {
            Action::Link { .. } => "link",
            Action::AddToCart { .. } => "addToCart",
            Action::Coupon { .. } => "coupon",
        })
    }),
    ("actionUrl", |o| match &o.action {
        Action::Link { url } => Some(url),
        Action::Coupon(coupon) => coupon.url.as_deref(),
        Action::AddToCart { .. } => None,
    }),
    // A unique code is the one the edge issued for this accept, set by
    // `Engine::confirmation_email` before rendering; `null` when none was.
    ("couponCode", |o| match &o.action {
        Action::Coupon(Coupon {
            code: CouponCode::Fixed(code),
            ..
        }) => Some(code),
        _ => None,
    }),
    ("sku", |o| match &o.action {
        Action::AddToCart { sku } => Some(sku),
        _ => None,
    }),
];

impl Data for ConfirmationData<'_> {
    fn get(&self, key: &str) -> Option<Datum<'_>> {
        let opened = self.opened;
        Some(match key {
            "email" => Datum::Text(&opened.email),
            "offerId" => Datum::Text(&opened.offer_id),
            "decisionId" => Datum::Text(&opened.decision_id),
            _ => {
                let (_, value) = OFFER_NAMES.iter().find(|(name, _)| *name == key)?;
                value(self.offer).map_or(Datum::Null, Datum::Text)
            }
        })
    }
}

/// Puts the code the edge issued for one accept into (a copy of) a unique
/// coupon offer, so `couponCode` prints it.
///
/// # Errors
/// `EVENT_INVALID` when `offer` has no unique codes (a fixed code is never
/// replaced) or `code` is not a code the edge issues
/// ([`check_issued_coupon_code`]).
pub fn with_issued_code(offer: &mut Offer, code: &str) -> Result<()> {
    check_issued_coupon_code(code)?;
    match &mut offer.action {
        Action::Coupon(coupon) if matches!(coupon.code, CouponCode::Issued(_)) => {
            coupon.code = CouponCode::Fixed(code.to_owned());
            Ok(())
        }
        _ => Err(Error::new(
            ErrorCode::EventInvalid,
            format!("offer {:?} has no unique coupon codes", offer.id),
        )),
    }
}

/// Builds the confirmation email for an opened request: checks it is for
/// `offer` and that the offer sends confirmation emails, renders subject,
/// HTML and text with `renderer`, and computes the reminder time.
///
/// # Errors
/// `EVENT_INVALID` when the request is for another offer or the offer does
/// not require a confirmation email; whatever `renderer` returns.
pub fn compose_confirmation(
    opened: &OpenedFulfilment,
    offer: &Offer,
    accepted_at: Timestamp,
    renderer: &impl EmailRenderer,
) -> Result<ConfirmationMessage> {
    if opened.offer_id != offer.id {
        return Err(Error::new(
            ErrorCode::EventInvalid,
            "fulfilment request is for another offer",
        ));
    }
    let settings = offer
        .creative
        .confirmation_email
        .as_ref()
        .filter(|email| email.required)
        .ok_or_else(|| {
            Error::new(
                ErrorCode::EventInvalid,
                format!("offer {:?} sends no confirmation email", offer.id),
            )
        })?;
    let data = confirmation_data(opened, offer);
    let text_template = settings.text.as_deref().unwrap_or(DEFAULT_TEXT_TEMPLATE);
    Ok(ConfirmationMessage {
        to: opened.email.clone(),
        subject: renderer.render(EmailPart::Subject, &settings.subject, &data)?,
        html: renderer.render(EmailPart::Html, &settings.html, &data)?,
        text: renderer.render(EmailPart::Text, text_template, &data)?,
        offer_id: opened.offer_id.clone(),
        decision_id: opened.decision_id.clone(),
        reminder_at: reminder_at(accepted_at, settings),
    })
}

//! The checkout context: typed attributes of the shopper and the order, as
//! the partner's page passes them, plus free-form `custom` attributes.
//!
//! A context arrives as JSON (`{"email": "…", "state": "CA", "amount": "49.99",
//! "custom": {"segment": "vip"}}`). Attribute names are Rokt's, lower-case.
//!
//! Reading is tolerant per attribute and strict per context: one attribute
//! never costs the shopper every offer.
//!
//! | input | outcome |
//! |---|---|
//! | unknown top-level name (`billingzipcode`, `State`) | ignored; warning `ATTRIBUTE_UNKNOWN` naming it. No alias maps it to a field: a guess could feed a rule the wrong value, and rules see "absent" either way. Partner-specific attributes go under `custom` |
//! | known attribute, wrong type or value (`"age": 200`, `"amount": "abc"`, a bad `dob` or `emailsha256`, `"custom": 5`, a custom name with `.`) | that attribute dropped (absent); warning `ATTRIBUTE_INVALID` with the reason |
//! | money text (`"$10.00"`, `"1.234,50 €"`) | read by the rules of [`money`]; ambiguous or hostile text is dropped as above |
//! | not a JSON object, malformed JSON | `CONTEXT_INVALID` |
//! | over [`MAX_CONTEXT_BYTES`](crate::limits::MAX_CONTEXT_BYTES), nesting past [`MAX_JSON_DEPTH`](crate::limits::MAX_JSON_DEPTH), more than [`MAX_CUSTOM_ATTRIBUTES`](crate::limits::MAX_CUSTOM_ATTRIBUTES) custom attributes | `LIMIT_EXCEEDED`: these bound the engine's work per decision, so a context past them is refused whole, as a request would be |
//!
//! Warnings are bounded ([`MAX_CONTEXT_WARNINGS`], then a count) and travel
//! with the decision (`Decision::warnings`): the page learns what was left
//! out instead of seeing nothing. Numeric attributes accept numbers or
//! numeric strings, since web forms deliver `"49.99"`.
//!
//! [`Context::normalized`] applies the one documented normalization (see
//! [`normalize`]) and derives `emailsha256`; the engine decides on the
//! normalized context.

mod bands;
mod de;
mod field;
pub mod money;
mod normalize;
mod parse;
mod warning;

pub use bands::{AGE_BANDS, CART_BANDS};
pub use field::Field;
pub use normalize::{hash_identifier, lower_hex, normalize, sha256_hex};
pub use warning::{ContextWarning, ContextWarningCode, ContextWarnings, MAX_CONTEXT_WARNINGS};

use crate::error::Result;
use serde::{Serialize, Serializer};
use std::borrow::Cow;
use std::collections::BTreeMap;

/// A checkout context. Every attribute is optional; absent and empty are the
/// same thing to the engine.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Context {
    /// Shopper's email address (raw; hashed for audiences).
    pub email: Option<String>,
    /// Lower-case hex SHA-256 of the normalized email.
    pub emailsha256: Option<String>,
    /// First name.
    pub firstname: Option<String>,
    /// Last name.
    pub lastname: Option<String>,
    /// Phone number.
    pub phone: Option<String>,
    /// Postal code.
    pub zipcode: Option<String>,
    /// City.
    pub city: Option<String>,
    /// State or region code.
    pub state: Option<String>,
    /// Country code.
    pub country: Option<String>,
    /// Cart total, finite and non-negative.
    pub amount: Option<f64>,
    /// Currency code.
    pub currency: Option<String>,
    /// Items in the cart.
    pub quantity: Option<u32>,
    /// Payment type.
    pub paymenttype: Option<String>,
    /// Card BIN.
    pub ccbin: Option<String>,
    /// Order confirmation reference.
    pub confirmationref: Option<String>,
    /// Language tag.
    pub language: Option<String>,
    /// Age in years.
    pub age: Option<u8>,
    /// Date of birth, `YYYY-MM-DD`.
    pub dob: Option<String>,
    /// Gender.
    pub gender: Option<String>,
    /// Loyalty tier.
    pub loyaltytier: Option<String>,
    /// `new` or `returning`.
    pub customertype: Option<String>,
    /// `mobile`, `desktop` or `tablet`.
    pub device: Option<String>,
    /// Page or placement identifier.
    pub placement: Option<String>,
    /// The cart total formatted for the shopper by the page (templates'
    /// `amountFormatted`).
    pub amountformatted: Option<String>,
    /// Partner-specific attributes (at most
    /// [`MAX_CUSTOM_ATTRIBUTES`](crate::limits::MAX_CUSTOM_ATTRIBUTES)),
    /// read by rules as `{"var": "custom.<name>"}`.
    pub custom: BTreeMap<String, serde_json::Value>,
    /// What reading left out and why (not part of the attributes: never
    /// written by [`Context::to_value`]).
    pub warnings: ContextWarnings,
}

/// A context attribute's value, borrowed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum FieldValue<'a> {
    /// A text attribute.
    Text(&'a str),
    /// A numeric attribute (`amount`, `quantity`, `age`).
    Number(f64),
}

impl Context {
    /// Reads a context from JSON bytes, enforcing
    /// [`MAX_CONTEXT_BYTES`](crate::limits::MAX_CONTEXT_BYTES), the JSON depth
    /// limit and the custom attribute limit.
    ///
    /// An unknown attribute, or one of the wrong type or value (a
    /// non-numeric amount, an impossible date of birth, a malformed
    /// `emailsha256`…), is left out and listed in [`Context::warnings`].
    ///
    /// # Errors
    /// `LIMIT_EXCEEDED` when a limit is exceeded; `CONTEXT_INVALID` for
    /// malformed JSON or a document that is not an object.
    pub fn from_json(bytes: &[u8]) -> Result<Context> {
        parse::from_json(bytes)
    }

    /// Reads a context from an already parsed JSON value (as embedded in a
    /// fixture or request), with the same checks as [`Context::from_json`]
    /// except the byte limit.
    ///
    /// # Errors
    /// As [`Context::from_json`].
    pub fn from_value(value: &serde_json::Value) -> Result<Context> {
        parse::from_value(value)
    }

    /// The context as JSON (absent attributes omitted).
    pub fn to_value(&self) -> serde_json::Value {
        parse::to_value(self)
    }

    /// A copy with every text attribute normalized by [`normalize`] (values
    /// that end up empty become absent) and, when `email` is present but
    /// `emailsha256` is not, `emailsha256` derived from it.
    pub fn normalized(&self) -> Context {
        self.clone().into_normalized()
    }

    /// [`normalized`](Self::normalized), in place: attributes already in
    /// normal form (the usual case) are kept as they are, not copied.
    pub fn into_normalized(mut self) -> Context {
        for field in Field::ALL {
            if let Some(slot) = self.text_mut(field) {
                match slot.take() {
                    Some(v) if normalize::is_normalized(field, &v) => *slot = Some(v),
                    Some(v) => {
                        let n = normalize(field, &v);
                        *slot = (!n.is_empty()).then_some(n);
                    }
                    None => {}
                }
            }
        }
        if self.emailsha256.is_none() {
            if let Some(email) = &self.email {
                self.emailsha256 = Some(sha256_hex(email.as_bytes()));
            }
        }
        self
    }

    /// The context [`normalized`](Self::normalized), borrowed when it
    /// already is (as the binding hands it to the engine): deciding then
    /// copies nothing.
    pub(crate) fn as_normalized(&self) -> Cow<'_, Context> {
        let text_normal = Field::ALL.iter().all(|&field| {
            self.text(field)
                .is_none_or(|v| normalize::is_normalized(field, v))
        });
        let hash_derived = self.email.is_none() || self.emailsha256.is_some();
        if text_normal && hash_derived {
            Cow::Borrowed(self)
        } else {
            Cow::Owned(self.normalized())
        }
    }

    /// The value of attribute `field`, if present.
    pub fn get(&self, field: Field) -> Option<FieldValue<'_>> {
        match field {
            Field::Amount => self.amount.map(FieldValue::Number),
            Field::Quantity => self.quantity.map(|q| FieldValue::Number(f64::from(q))),
            Field::Age => self.age.map(|a| FieldValue::Number(f64::from(a))),
            _ => self.text(field).map(FieldValue::Text),
        }
    }

    /// The value of a text attribute, if `field` is one and it is present.
    pub fn text(&self, field: Field) -> Option<&str> {
        let slot = match field {
            Field::Email => &self.email,
            Field::EmailSha256 => &self.emailsha256,
            Field::FirstName => &self.firstname,
            Field::LastName => &self.lastname,
            Field::Phone => &self.phone,
            Field::ZipCode => &self.zipcode,
            Field::City => &self.city,
            Field::State => &self.state,
            Field::Country => &self.country,
            Field::Currency => &self.currency,
            Field::PaymentType => &self.paymenttype,
            Field::CcBin => &self.ccbin,
            Field::ConfirmationRef => &self.confirmationref,
            Field::Language => &self.language,
            Field::Dob => &self.dob,
            Field::Gender => &self.gender,
            Field::LoyaltyTier => &self.loyaltytier,
            Field::CustomerType => &self.customertype,
            Field::Device => &self.device,
            Field::Placement => &self.placement,
            Field::AmountFormatted => &self.amountformatted,
            Field::Amount | Field::Quantity | Field::Age => return None,
        };
        slot.as_deref()
    }

    /// The slot of a text attribute (`None` for numeric ones).
    pub(crate) fn text_mut(&mut self, field: Field) -> Option<&mut Option<String>> {
        Some(match field {
            Field::Email => &mut self.email,
            Field::EmailSha256 => &mut self.emailsha256,
            Field::FirstName => &mut self.firstname,
            Field::LastName => &mut self.lastname,
            Field::Phone => &mut self.phone,
            Field::ZipCode => &mut self.zipcode,
            Field::City => &mut self.city,
            Field::State => &mut self.state,
            Field::Country => &mut self.country,
            Field::Currency => &mut self.currency,
            Field::PaymentType => &mut self.paymenttype,
            Field::CcBin => &mut self.ccbin,
            Field::ConfirmationRef => &mut self.confirmationref,
            Field::Language => &mut self.language,
            Field::Dob => &mut self.dob,
            Field::Gender => &mut self.gender,
            Field::LoyaltyTier => &mut self.loyaltytier,
            Field::CustomerType => &mut self.customertype,
            Field::Device => &mut self.device,
            Field::Placement => &mut self.placement,
            Field::AmountFormatted => &mut self.amountformatted,
            Field::Amount | Field::Quantity | Field::Age => return None,
        })
    }
}

impl Serialize for Context {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        self.to_value().serialize(s)
    }
}

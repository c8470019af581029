//! Confirmation emails from an opened fulfilment request, rendered with the
//! templates compiled (and safety-checked) when the bundle loaded.

use super::compile::{CompiledEmail, Engine};
use crate::email::{
    compose_confirmation, with_issued_code, ConfirmationMessage, EmailPart, EmailRenderer,
};
use crate::error::{Error, ErrorCode, Result};
use crate::seal::OpenedFulfilment;
use crate::template::Data;
use crate::time::Timestamp;

/// Renders with one offer's compiled templates. `compose_confirmation` hands
/// over the template sources too; they are the ones these were compiled from.
struct Compiled<'a>(&'a CompiledEmail);

impl EmailRenderer for Compiled<'_> {
    fn render(&self, part: EmailPart, _source: &str, data: &dyn Data) -> Result<String> {
        Ok(match part {
            EmailPart::Subject => self.0.subject.render(data),
            EmailPart::Html => self.0.html.render(data),
            EmailPart::Text => self.0.text.render(data),
        })
    }
}

impl Engine {
    /// The confirmation email for an accepted offer, from the opened
    /// (decrypted) fulfilment request: subject, HTML and text bodies, and the
    /// reminder time. Creative fields are personalised with no shopper data
    /// (their defaults), since fulfilment only knows the email address.
    ///
    /// # Errors
    /// `EVENT_INVALID` when the offer is not in this bundle or sends no
    /// confirmation email.
    pub fn confirmation_email(
        &self,
        opened: &OpenedFulfilment,
        accepted_at: Timestamp,
    ) -> Result<ConfirmationMessage> {
        self.confirmation_email_with_code(opened, accepted_at, None)
    }

    /// [`Engine::confirmation_email`] for an offer whose coupon code is
    /// unique: `issued_code` is the code the edge issued for this accept
    /// (`couponCode` prints it; with `None` it is `null`).
    ///
    /// # Errors
    /// As [`Engine::confirmation_email`]; `EVENT_INVALID` when a code is
    /// given for an offer without unique codes, or is not a code the edge
    /// could have issued (`check_issued_coupon_code`).
    pub fn confirmation_email_with_code(
        &self,
        opened: &OpenedFulfilment,
        accepted_at: Timestamp,
        issued_code: Option<&str>,
    ) -> Result<ConfirmationMessage> {
        let i = self
            .bundle
            .offers
            .iter()
            .position(|o| o.id == opened.offer_id)
            .ok_or_else(|| {
                Error::new(
                    ErrorCode::EventInvalid,
                    format!("offer {:?} is not in this bundle", opened.offer_id),
                )
            })?;
        let (source, compiled) = (&self.bundle.offers[i], &self.offers[i]);
        let email = compiled.email.as_ref().ok_or_else(|| {
            Error::new(
                ErrorCode::EventInvalid,
                format!("offer {:?} sends no confirmation email", source.id),
            )
        })?;
        // The creative's text fields are templates: render them (defaults
        // only) so the email never shows raw `{{…}}`. With no data each
        // prints at most its source, the length `confirmation_shape`
        // bounded the email templates with.
        let mut offer = source.clone();
        let empty = &();
        let f = &compiled.fields;
        offer.creative.fields.headline = f.headline.render(empty);
        offer.creative.fields.body = f.body.render(empty);
        offer.creative.fields.cta = f.cta.render(empty);
        offer.creative.fields.terms = f.terms.as_ref().map(|t| t.render(empty));
        offer.creative.fields.image_alt = f.image_alt.as_ref().map(|t| t.render(empty));
        if let Some(code) = issued_code {
            with_issued_code(&mut offer, code)?;
        }
        compose_confirmation(opened, &offer, accepted_at, &Compiled(email))
    }
}

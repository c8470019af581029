//! `Engine::compile`: everything a decision needs, computed once per bundle —
//! rules compiled to typed trees, templates parsed and checked, audience
//! filters decoded, history keys hashed, the model turned into posting lists
//! and a predicate index built — so `decide` only evaluates.

use super::index::PredicateIndex;
use crate::audience::AudienceFilter;
use crate::bundle::VerifiedBundle;
use crate::bundle::{
    ApprovalStatus, Bundle, Cap, FulfilmentKey, IdentifierKind, Model, Offer, Schedule,
};
use crate::context::lower_hex;
use crate::email::{confirmation_shape, DEFAULT_TEXT_TEMPLATE};
use crate::error::{Error, ErrorCode, Result};
use crate::history::OfferKeys;
use crate::rank::CompiledModel;
use crate::rules::{compile as compile_rule, CompileEnv, CompiledRule};
use crate::template::{HtmlTemplate, Shape, TextTemplate};
use crate::time::{DurationMs, Timestamp};
use std::cell::Cell;
use std::collections::HashMap;

/// A placement ready to render.
#[derive(Debug)]
pub(crate) struct CompiledPlacement {
    pub id: String,
    pub layout: HtmlTemplate,
    pub max_offers: usize,
    /// Offers allowed in this placement, in bundle order.
    pub offers: Vec<u32>,
}

/// A creative's text fields, compiled.
#[derive(Debug)]
pub(crate) struct CompiledFields {
    pub headline: TextTemplate,
    pub body: TextTemplate,
    pub cta: TextTemplate,
    pub decline_label: Option<TextTemplate>,
    pub image_alt: Option<TextTemplate>,
    pub terms: Option<TextTemplate>,
}

/// A creative's confirmation email templates, compiled (checked) at load.
#[derive(Debug)]
pub(crate) struct CompiledEmail {
    pub subject: TextTemplate,
    pub html: HtmlTemplate,
    pub text: TextTemplate,
}

/// An offer with everything precomputed.
#[derive(Debug)]
pub(crate) struct CompiledOffer {
    pub tier: u8,
    pub value: f64,
    pub advertiser: u32,
    pub rule: Option<CompiledRule>,
    /// The first withheld audience the offer names (inclusion, suppression,
    /// then its rule): a page cannot tell whether it applies, so the offer
    /// is decided at the edge only. Always `None` in a full bundle.
    pub edge_only: Option<usize>,
    pub include: Vec<usize>,
    pub exclude: Vec<usize>,
    pub caps: Vec<Cap>,
    pub keys: OfferKeys,
    pub suppress_after_decline: Option<DurationMs>,
    pub repeat_after_accept: bool,
    pub schedule: Schedule,
    pub approval: ApprovalStatus,
    pub fields: CompiledFields,
    pub needs_confirmation: bool,
    /// Boxed: three templates (~200 bytes) that only offers needing a
    /// confirmation have; inline, every offer carried room for them.
    pub email: Option<Box<CompiledEmail>>,
}

/// An audience filter with how to key a shopper into it.
#[derive(Debug)]
pub(crate) struct CompiledAudience {
    pub id: String,
    pub identifier: IdentifierKind,
    /// `None`: withheld (a confidential audience of a page bundle).
    pub filter: Option<AudienceFilter>,
}

/// A compiled bundle: immutable, shareable, and the only thing `decide` needs.
#[derive(Debug)]
pub struct Engine {
    pub(crate) bundle: Bundle,
    pub(crate) sha256_hex: String,
    pub(crate) placements: Vec<CompiledPlacement>,
    pub(crate) offers: Vec<CompiledOffer>,
    pub(crate) audiences: Vec<CompiledAudience>,
    pub(crate) model: CompiledModel,
    pub(crate) index: PredicateIndex,
    pub(crate) signers: Vec<String>,
    /// The first instant this engine refuses to decide at: the bundle's
    /// `expiresAt` plus the trust's grace. `None` for a draft, which was
    /// never verified against a trust config and has no expiry policy.
    pub(crate) decide_until: Option<Timestamp>,
}

/// A creative field, bounded for `context` (the attributes it can print).
fn text(offer: &Offer, field: &str, source: &str, context: &Shape) -> Result<TextTemplate> {
    TextTemplate::compile_bounded(
        &format!("offers[{}].creative.fields.{field}", offer.id),
        source,
        context,
    )
}

fn optional_text(
    offer: &Offer,
    field: &str,
    source: Option<&String>,
    context: &Shape,
) -> Result<Option<TextTemplate>> {
    source.map(|s| text(offer, field, s, context)).transpose()
}

fn compile_email(offer: &Offer) -> Result<Option<Box<CompiledEmail>>> {
    let Some(email) = &offer.creative.confirmation_email else {
        return Ok(None);
    };
    let name = |part: &str| format!("offers[{}].creative.confirmationEmail.{part}", offer.id);
    // Bounded like layouts: an email renders inside the worker at fulfil
    // time, where a template printing `{{body}}` thousands of times must be
    // refused at load, not discovered per accept.
    let shape = confirmation_shape(offer);
    Ok(Some(Box::new(CompiledEmail {
        subject: TextTemplate::compile_bounded(&name("subject"), &email.subject, &shape)?,
        html: HtmlTemplate::compile_bounded(&name("html"), &email.html, &shape)?,
        text: TextTemplate::compile_bounded(
            &name("text"),
            email.text.as_deref().unwrap_or(DEFAULT_TEXT_TEMPLATE),
            &shape,
        )?,
    })))
}

fn compile_fields(offer: &Offer, context: &Shape) -> Result<CompiledFields> {
    let f = &offer.creative.fields;
    Ok(CompiledFields {
        headline: text(offer, "headline", &f.headline, context)?,
        body: text(offer, "body", &f.body, context)?,
        cta: text(offer, "cta", &f.cta, context)?,
        decline_label: optional_text(offer, "declineLabel", f.decline_label.as_ref(), context)?,
        image_alt: optional_text(offer, "imageAlt", f.image_alt.as_ref(), context)?,
        terms: optional_text(offer, "terms", f.terms.as_ref(), context)?,
    })
}

/// Empties the texts that now live in the offer's compiled templates (each
/// keeps its own source), so the next offer's templates reuse the memory.
/// Nothing reads them from the bundle after compiling: decisions and emails
/// render the compiled forms.
fn release_template_sources(offer: &mut Offer) {
    let f = &mut offer.creative.fields;
    for text in [&mut f.headline, &mut f.body, &mut f.cta] {
        *text = String::new();
    }
    for text in [&mut f.decline_label, &mut f.image_alt, &mut f.terms]
        .into_iter()
        .flatten()
    {
        *text = String::new();
    }
    if let Some(email) = offer.creative.confirmation_email.as_mut() {
        email.subject = String::new();
        email.html = String::new();
        if let Some(text) = email.text.as_mut() {
            *text = String::new();
        }
    }
}

impl Engine {
    /// Compiles a bundle that has already been verified and validated
    /// (see [`crate::bundle`]); `sha256` is the digest of its payload bytes.
    ///
    /// # Errors
    /// `RULE_INVALID`, `TEMPLATE_INVALID`, `AUDIENCE_INVALID` or
    /// `SCHEMA_INVALID` naming the offending offer, template or audience;
    /// `TIME_ZONE_MISSING` / `TIME_ZONE_INVALID` for a time zone without a
    /// usable offset table (even an unvalidated draft would otherwise
    /// decide in UTC); the caller keeps its previous engine.
    pub fn compile(mut bundle: Bundle, sha256: &[u8; 32]) -> Result<Self> {
        crate::bundle::validate::check_time_zone(&bundle)?;
        // What compiles into a form of its own is freed from the source
        // bundle as soon as it is compiled (the model, each audience filter's
        // base64 text, each creative's template texts), so later allocations reuse that memory: a WebAssembly
        // host's memory keeps its peak for good.
        let model = {
            let ids: Vec<&str> = bundle.offers.iter().map(|o| o.id.as_str()).collect();
            CompiledModel::compile(&bundle.model, &ids)?
        };
        bundle.model = Model::default();
        let edition = bundle.edition;
        let audiences = bundle
            .audiences
            .iter_mut()
            .map(|a| {
                // A missing filter outside a page bundle's confidential
                // audience is refused here too, for callers that skip
                // `validate`: a full bundle never decides without a list.
                let filter = if a.withheld(edition) {
                    None
                } else {
                    Some(AudienceFilter::from_bundle_audience(a)?)
                };
                a.filter = None;
                Ok(CompiledAudience {
                    id: a.id.clone(),
                    identifier: a.identifier,
                    filter,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let audience_index: HashMap<&str, usize> = audiences
            .iter()
            .enumerate()
            .map(|(i, a)| (a.id.as_str(), i))
            .collect();
        let lookup = |id: &str| audience_index.get(id).copied();
        let withheld = |i: &usize| audiences.get(*i).is_some_and(|a| a.filter.is_none());
        let resolve = |offer: &Offer, ids: &[String], what: &str| -> Result<Vec<usize>> {
            ids.iter()
                .map(|id| {
                    lookup(id).ok_or_else(|| {
                        Error::new(
                            ErrorCode::SchemaInvalid,
                            format!(
                                "offers[{}].audiences.{what}: unknown audience {id:?}",
                                offer.id
                            ),
                        )
                    })
                })
                .collect()
        };

        // Owned keys: the offers are changed below while this is in use
        // (a clone per distinct advertiser).
        let mut advertisers: HashMap<String, u32> = HashMap::new();
        let mut offers = Vec::with_capacity(bundle.offers.len());
        let context = super::render::context_shape();
        for offer in &mut bundle.offers {
            let advertiser = match advertisers.get(&offer.advertiser) {
                Some(&i) => i,
                None => {
                    let next = advertisers.len() as u32;
                    advertisers.insert(offer.advertiser.clone(), next);
                    next
                }
            };
            // The first withheld audience the rule names, seen as it resolves them.
            let in_rule = Cell::new(None);
            let rule_lookup = |id: &str| {
                let found = lookup(id);
                if in_rule.get().is_none() {
                    in_rule.set(found.filter(withheld));
                }
                found
            };
            let rule = offer
                .eligibility
                .as_ref()
                .map(|text| {
                    compile_rule(
                        &text.to_value()?,
                        &CompileEnv::checkout(&offer.id, &rule_lookup),
                    )
                })
                .transpose()?;
            let include = resolve(offer, &offer.audiences.include, "include")?;
            let exclude = resolve(offer, &offer.audiences.exclude, "exclude")?;
            let edge_only = include
                .iter()
                .chain(&exclude)
                .copied()
                .find(withheld)
                .or(in_rule.get());
            if !offer.value.is_finite() || offer.value < 0.0 {
                return Err(Error::new(
                    ErrorCode::SchemaInvalid,
                    format!("offers[{}].value must be a finite number ≥ 0", offer.id),
                ));
            }
            offers.push(CompiledOffer {
                tier: offer.tier,
                value: offer.value,
                advertiser,
                rule,
                edge_only,
                include,
                exclude,
                caps: offer.caps.clone(),
                keys: OfferKeys::new(&offer.id, &offer.campaign, &offer.advertiser),
                suppress_after_decline: offer.suppress_after_decline,
                repeat_after_accept: offer.repeat_after_accept,
                schedule: offer.schedule,
                approval: offer.creative.approval.status,
                fields: compile_fields(offer, &context)?,
                needs_confirmation: offer
                    .creative
                    .confirmation_email
                    .as_ref()
                    .is_some_and(|e| e.required),
                email: compile_email(offer)?,
            });
            release_template_sources(offer);
        }
        let placements = bundle
            .placements
            .iter()
            .map(|p| {
                let allowed: Vec<u32> = bundle
                    .offers
                    .iter()
                    .enumerate()
                    .filter(|(_, o)| o.placements.is_empty() || o.placements.contains(&p.id))
                    .map(|(i, _)| i as u32)
                    .collect();
                // The layout's worst case: `maxOffers` of the longest
                // offers this placement can show.
                let shape = super::render::layout_shape(
                    usize::from(p.max_offers),
                    allowed.iter().filter_map(|&i| {
                        let i = i as usize;
                        Some((offers.get(i)?, &**bundle.offers.get(i)?))
                    }),
                );
                Ok(CompiledPlacement {
                    id: p.id.clone(),
                    layout: HtmlTemplate::compile_bounded(
                        &format!("placements[{}].layout", p.id),
                        &p.layout,
                        &shape,
                    )?,
                    max_offers: usize::from(p.max_offers),
                    offers: allowed,
                })
            })
            .collect::<Result<Vec<_>>>()?;

        let index = PredicateIndex::build(offers.iter().map(|o| o.rule.as_ref()));
        Ok(Self {
            sha256_hex: lower_hex(sha256),
            bundle,
            placements,
            offers,
            audiences,
            model,
            index,
            signers: Vec::new(),
            decide_until: None,
        })
    }

    /// Compiles a bundle fresh from verification (the compile step of a
    /// [`BundleStore`](crate::bundle::BundleStore)).
    ///
    /// # Errors
    /// As [`Engine::compile`].
    pub fn from_verified(verified: VerifiedBundle) -> Result<Self> {
        let signers = verified.signer_keyids;
        let decide_until = verified.bundle.expires_at.plus(verified.decide_grace);
        let mut engine = Self::compile(verified.bundle, &verified.sha256)?;
        engine.signers = signers;
        engine.decide_until = Some(decide_until);
        Ok(engine)
    }

    /// Refuses to decide on a signed bundle past its expiry: a host that
    /// loaded it in time must not keep using it for good once no newer bundle
    /// arrives. The bound is exclusive like the load check's (`expiresAt` >
    /// now), moved by the trust's `decideGraceSeconds`.
    ///
    /// # Errors
    /// `BUNDLE_EXPIRED` when `now` ≥ `expiresAt` + grace.
    pub(crate) fn check_fresh(&self, now: Timestamp) -> Result<()> {
        match self.decide_until {
            Some(until) if now >= until => Err(Error::new(
                ErrorCode::BundleExpired,
                format!(
                    "bundle v{} expired at {} and may decide until {until}; load a newer bundle",
                    self.bundle.version, self.bundle.expires_at
                ),
            )),
            _ => Ok(()),
        }
    }

    /// Key ids whose signatures verified (empty for a draft compiled directly).
    pub fn signers(&self) -> &[String] {
        &self.signers
    }

    /// The partner this engine decides for.
    pub fn partner(&self) -> &str {
        &self.bundle.partner
    }

    /// The bundle version.
    pub fn version(&self) -> u64 {
        self.bundle.version
    }

    /// When the bundle expires.
    pub fn expires_at(&self) -> Timestamp {
        self.bundle.expires_at
    }

    /// SHA-256 (hex) of the bundle payload.
    pub fn bundle_sha256(&self) -> &str {
        &self.sha256_hex
    }

    /// The partner's fulfilment (HPKE) public key.
    pub fn fulfilment_key(&self) -> &FulfilmentKey {
        &self.bundle.fulfilment_key
    }

    /// The source bundle (for hosts that show or inspect it), without what
    /// compiled into a form of its own: its `model` is empty, each
    /// audience's `filter` is `None`, and so is every template text of a
    /// creative (`fields` other than `image`, and the confirmation email's
    /// `subject`, `html` and `text`).
    pub fn bundle(&self) -> &Bundle {
        &self.bundle
    }

    /// The offer with `id`, if any.
    pub fn offer(&self, id: &str) -> Option<&Offer> {
        self.bundle.offers.iter().find(|o| o.id == id).map(|o| &**o)
    }
}

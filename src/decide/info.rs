//! What hosts ask an engine besides decisions: a summary of the active
//! bundle (`info`), what the bundle says about one offer (`offer_summary`:
//! a collector derives campaign and advertiser from the signed bundle, never
//! from what the page reports), and engines over unsigned drafts for
//! authoring previews.

use super::compile::Engine;
use crate::bundle::validate::check_json_depth;
use crate::bundle::{validate, Bundle, Edition, FulfilmentKey};
use crate::bundle::{Action, CodeSource, Coupon, CouponCode};
use crate::error::{Error, ErrorCode, Result};
use crate::time::Timestamp;
use serde::Serialize;
use sha2::{Digest, Sha256};

/// A summary of a compiled bundle, for hosts and dashboards.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EngineInfo {
    /// The partner.
    pub partner: String,
    /// Bundle version.
    pub version: u64,
    /// When the bundle was issued.
    pub issued_at: Timestamp,
    /// When it expires.
    pub expires_at: Timestamp,
    /// SHA-256 (hex) of the payload (of the draft JSON for drafts).
    pub bundle_sha256: String,
    /// Key ids whose signatures verified (empty for drafts).
    pub signers: Vec<String>,
    /// Whether this is an unsigned draft (preview only).
    pub draft: bool,
    /// `full` (the edge's) or `page` (confidential audiences withheld).
    pub edition: Edition,
    /// Number of offers.
    pub offers: usize,
    /// Number of creatives (one per offer in bundle schema 1).
    pub creatives: usize,
    /// Number of audiences.
    pub audiences: usize,
    /// Ids of the confidential audiences (withheld from the page bundle, in
    /// both editions): a host must not serve a full bundle that has any.
    pub confidential_audiences: Vec<String>,
    /// Offers a page cannot decide (page bundles only; empty in a full one),
    /// each with the confidential audience it names.
    pub edge_only: Vec<EdgeOnlyOffer>,
    /// Placements with their slot counts.
    pub placements: Vec<PlacementInfo>,
    /// The partner's fulfilment (HPKE) public key.
    pub fulfilment_key: FulfilmentKey,
}

/// One placement in [`EngineInfo`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PlacementInfo {
    /// Placement id.
    pub id: String,
    /// At most this many offers.
    pub max_offers: u8,
}

/// An offer of a page bundle that only the edge decides.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EdgeOnlyOffer {
    /// Offer id.
    pub offer_id: String,
    /// The (first) confidential audience it names.
    pub audience: String,
}

/// What the bundle says about one offer, for hosts that must not take it
/// from the client (e.g. a collector filling in an event's campaign).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OfferSummary {
    /// Offer id.
    pub offer_id: String,
    /// The offer's creative.
    pub creative_id: String,
    /// The offer's campaign.
    pub campaign: String,
    /// The offer's advertiser.
    pub advertiser: String,
    /// Whether accepting it sends a confirmation email (needs the shopper's
    /// email, sealed for fulfilment).
    pub needs_confirmation_email: bool,
    /// Where a unique coupon's codes come from (the collector issues one
    /// per attested accept); absent for every other action.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub codes: Option<CodeSource>,
}

impl Engine {
    /// The bundle's facts about offer `id`, or `None` when the bundle has no
    /// such offer.
    pub fn offer_summary(&self, id: &str) -> Option<OfferSummary> {
        let i = self.bundle.offers.iter().position(|o| o.id == id)?;
        let (offer, compiled) = (&self.bundle.offers[i], self.offers.get(i)?);
        Some(OfferSummary {
            offer_id: offer.id.clone(),
            creative_id: offer.creative.id.clone(),
            campaign: offer.campaign.clone(),
            advertiser: offer.advertiser.clone(),
            needs_confirmation_email: compiled.needs_confirmation,
            codes: match &offer.action {
                Action::Coupon(Coupon {
                    code: CouponCode::Issued(source),
                    ..
                }) => Some(source.clone()),
                _ => None,
            },
        })
    }

    /// Compiles an unsigned draft bundle from its JSON bytes (authoring and
    /// preview only: nothing vouches for it). Runs the same nesting, schema
    /// and compile checks as a signed load; its identity is the SHA-256 of
    /// `json`.
    ///
    /// # Errors
    /// `LIMIT_EXCEEDED` (nesting), `SCHEMA_INVALID` (not a bundle, or a schema
    /// rule broken), `CREATIVE_NOT_APPROVED`, `RULE_INVALID`,
    /// `TEMPLATE_INVALID`, `AUDIENCE_INVALID`.
    pub fn from_draft_json(json: &[u8]) -> Result<Self> {
        check_json_depth(json)?;
        let bundle: Bundle = serde_json::from_slice(json).map_err(|e| {
            Error::new(
                ErrorCode::SchemaInvalid,
                format!("draft is not a bundle: {e}"),
            )
        })?;
        validate(&bundle)?;
        Self::compile(bundle, &Sha256::digest(json).into())
    }

    /// A summary of the compiled bundle; `draft` says whether it came from
    /// [`Engine::from_draft_json`] (hosts know, the engine does not care).
    pub fn info(&self, draft: bool) -> EngineInfo {
        let b = &self.bundle;
        EngineInfo {
            partner: b.partner.clone(),
            version: b.version,
            issued_at: b.issued_at,
            expires_at: b.expires_at,
            bundle_sha256: self.sha256_hex.clone(),
            signers: self.signers.clone(),
            draft,
            edition: b.edition,
            offers: b.offers.len(),
            creatives: b.offers.len(),
            audiences: b.audiences.len(),
            confidential_audiences: b
                .audiences
                .iter()
                .filter(|a| a.confidential)
                .map(|a| a.id.clone())
                .collect(),
            edge_only: self
                .offers
                .iter()
                .zip(&b.offers)
                .filter_map(|(compiled, offer)| {
                    Some(EdgeOnlyOffer {
                        offer_id: offer.id.clone(),
                        audience: self.audiences.get(compiled.edge_only?)?.id.clone(),
                    })
                })
                .collect(),
            placements: b
                .placements
                .iter()
                .map(|p| PlacementInfo {
                    id: p.id.clone(),
                    max_offers: p.max_offers,
                })
                .collect(),
            fulfilment_key: b.fulfilment_key.clone(),
        }
    }
}

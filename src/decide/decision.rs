//! What `decide` returns: per placement the winners with their rendered HTML
//! and receipts, and — with `explain` — a verdict and reason for every offer.
//! "No eligible offer", "capped" and "not eligible" are values here, never
//! errors.

use crate::bundle::{ApprovalStatus, CapScope, CapWindow};
use crate::consent::{CohortBlock, ConsentState};
use crate::context::{ContextWarning, ContextWarningCode, ContextWarnings};
use crate::history::{HistoryWarning, HistoryWarningCode};
use crate::receipt::Receipt;
use crate::rules::BudgetExceeded;
use crate::time::Timestamp;
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt;

/// The outcome of one decision.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Decision {
    /// Random id of this decision (hex), also in every receipt.
    pub decision_id: String,
    /// The partner.
    pub partner: String,
    /// Version of the bundle that decided.
    pub bundle_version: u64,
    /// SHA-256 (hex) of the bundle payload that decided.
    pub bundle_sha256: String,
    /// The `now` the decision was made at.
    pub time: Timestamp,
    /// One entry per requested placement, in request order.
    pub placements: Vec<PlacementDecision>,
    /// The consent this decision was made under and what it removed
    /// (docs/PRIVACY.md): hosts keep the stored history as it was when
    /// `measurement` is off, and send no per-event rows.
    pub privacy: ConsentState,
    /// With `explain`: every offer of the bundle, per requested placement.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub explanations: Vec<Explanation>,
    /// Non-fatal problems (a context attribute was unknown or invalid and
    /// left out, a corrupt history blob was discarded, a consent string
    /// could not be read). Context warnings come first and are bounded
    /// ([`MAX_CONTEXT_WARNINGS`](crate::context::MAX_CONTEXT_WARNINGS)).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<Warning>,
    /// Context warnings past the bound, counted only.
    #[serde(skip_serializing_if = "is_zero")]
    pub warnings_omitted: u32,
    /// With `learningLog`: the model's feature values for this checkout,
    /// exactly as it scored them (`state`, `ageBand`, `cartBand`,
    /// `hourBand`…; absent features omitted). Events carry no context, so
    /// the edge logs these to learn from (docs/LEARNING.md). Builds with
    /// feature `explain` only (the edge, preview and CLI; never pages).
    #[cfg(feature = "explain")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub features: Option<BTreeMap<String, String>>,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

/// A problem the decision went on despite.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Warning {
    /// Stable tag.
    pub code: WarningCode,
    /// The context attribute it is about (`ATTRIBUTE_*` codes), as sent,
    /// cut short and made safe to show.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attribute: Option<String>,
    /// For people; not stable.
    pub message: String,
}

/// The stable tag of a [`Warning`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum WarningCode {
    /// The stored history blob was truncated, altered or no blob: discarded.
    HistoryCorrupt,
    /// The stored history blob was another partner's: discarded.
    HistoryForeignPartner,
    /// The stored history blob is of a newer format: discarded.
    HistoryFutureVersion,
    /// `consent.usPrivacy` or `consent.gpp` could not be read: treated as
    /// an opt-out of sale (fail closed).
    ConsentMalformed,
    /// A context attribute the engine does not know: ignored.
    AttributeUnknown,
    /// A context attribute of the wrong type or value: left out.
    AttributeInvalid,
}

impl WarningCode {
    /// Every code, in `as_str`'s order: the `.d.ts` union of warning codes
    /// (src/wasm/mod.rs) is held to this list (tests/binding_names.rs).
    pub const ALL: [Self; 6] = [
        Self::HistoryCorrupt,
        Self::HistoryForeignPartner,
        Self::HistoryFutureVersion,
        Self::ConsentMalformed,
        Self::AttributeUnknown,
        Self::AttributeInvalid,
    ];

    /// The stable string form, e.g. `"CONSENT_MALFORMED"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::HistoryCorrupt => "HISTORY_CORRUPT",
            Self::HistoryForeignPartner => "HISTORY_FOREIGN_PARTNER",
            Self::HistoryFutureVersion => "HISTORY_FUTURE_VERSION",
            Self::ConsentMalformed => "CONSENT_MALFORMED",
            Self::AttributeUnknown => "ATTRIBUTE_UNKNOWN",
            Self::AttributeInvalid => "ATTRIBUTE_INVALID",
        }
    }
}

impl From<HistoryWarning> for Warning {
    fn from(w: HistoryWarning) -> Self {
        let code = match w.code {
            HistoryWarningCode::HistoryCorrupt => WarningCode::HistoryCorrupt,
            HistoryWarningCode::HistoryForeignPartner => WarningCode::HistoryForeignPartner,
            HistoryWarningCode::HistoryFutureVersion => WarningCode::HistoryFutureVersion,
        };
        Self {
            code,
            attribute: None,
            message: w.message,
        }
    }
}

impl Warning {
    /// The warnings of a context, in order (a loop: `collect` here would
    /// instantiate another `Vec` builder in the page build).
    pub(crate) fn of_context(warnings: &ContextWarnings) -> Vec<Warning> {
        let mut out = Vec::with_capacity(warnings.list.len());
        for w in &warnings.list {
            out.push(Warning::from(w));
        }
        out
    }
}

impl From<&ContextWarning> for Warning {
    fn from(w: &ContextWarning) -> Self {
        let code = match w.code {
            ContextWarningCode::AttributeUnknown => WarningCode::AttributeUnknown,
            ContextWarningCode::AttributeInvalid => WarningCode::AttributeInvalid,
        };
        Self {
            code,
            attribute: Some(w.attribute.clone()),
            message: w.message.clone(),
        }
    }
}

/// Hosts add the history decode's warning to a decision as they always
/// did (`decision.warnings.extend(warning)`).
impl Extend<HistoryWarning> for Vec<Warning> {
    fn extend<I: IntoIterator<Item = HistoryWarning>>(&mut self, iter: I) {
        for w in iter {
            self.push(w.into());
        }
    }
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.attribute {
            Some(attribute) => write!(f, "{}: {attribute}: {}", self.code.as_str(), self.message),
            None => write!(f, "{}: {}", self.code.as_str(), self.message),
        }
    }
}

/// The winners of one placement and its rendered layout.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PlacementDecision {
    /// Placement id.
    pub id: String,
    /// The placement layout rendered with the winners; empty when no offer won.
    pub html: String,
    /// Winners, best first.
    pub offers: Vec<DecidedOffer>,
    /// With `learningLog`: ids of every offer the winners were chosen from
    /// (eligible, within caps, not shown in an earlier placement of this
    /// decision), in bundle order. Feature `explain` only, like
    /// [`Decision::features`].
    #[cfg(feature = "explain")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub eligible: Option<Vec<String>>,
}

/// One shown offer.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DecidedOffer {
    /// Offer id.
    pub offer_id: String,
    /// Creative id.
    pub creative_id: String,
    /// Campaign.
    pub campaign: String,
    /// Advertiser.
    pub advertiser: String,
    /// 1-based position in the placement.
    pub rank: u32,
    /// Priority tier.
    pub tier: u8,
    /// The score it won with (P(engage) × value × exploration factor).
    pub score: f64,
    /// The model's P(engage | context).
    pub predicted_engagement: f64,
    /// Probability that this offer is shown in this placement for this
    /// checkout, given the offers earlier placements of the same decision
    /// took (placements are filled in order and an offer shows at most once);
    /// log it for unbiased offline evaluation.
    pub propensity: f64,
    /// Whether accepting asks for the shopper's email (confirmation email).
    pub needs_confirmation_email: bool,
    /// What accepting does.
    pub action: ActionView,
    /// The creative's fields rendered as plain text for this shopper.
    pub fields: RenderedFields,
    /// Receipt binding this impression to the decision.
    pub receipt: Receipt,
}

/// The accept action, flattened for hosts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ActionView {
    /// `link`, `addToCart` or `coupon`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// A coupon whose code is unique per accept: issued by the edge in the
    /// answer to an attested accept, never in the Decision (no `code`).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub unique: bool,
    /// Link or redemption URL.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Coupon code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// Partner SKU to add to the cart.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sku: Option<String>,
}

/// Creative fields after personalization (plain text; escape before use in HTML).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RenderedFields {
    /// Headline.
    pub headline: String,
    /// Body copy.
    pub body: String,
    /// Accept button label.
    pub cta: String,
    /// Decline button label.
    pub decline_label: String,
    /// Image URL, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    /// Image alt text.
    pub image_alt: String,
    /// Terms, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub terms: Option<String>,
}

/// Whether an offer showed, and if not, the first reason it lost.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Explanation {
    /// Offer id.
    pub offer_id: String,
    /// Placement the verdict is for.
    pub placement: String,
    /// Priority tier.
    pub tier: u8,
    /// `shown`, `ineligible` (a rule, audience, history or schedule check
    /// failed) or `outranked`.
    pub verdict: Verdict,
    /// The first reason, structured.
    pub reason: Reason,
    /// The same reason for people, e.g. `capped by advertiser 1/day (seen 1)`.
    pub message: String,
    /// P(engage) × value, when the offer got as far as ranking.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub score: Option<f64>,
    /// Propensity, when shown.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub propensity: Option<f64>,
}

/// Coarse outcome of one offer in one placement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Verdict {
    /// Among the winners.
    Shown,
    /// Failed a check before ranking.
    Ineligible,
    /// Eligible but not among the winners.
    Outranked,
}

/// Why an offer did (not) show. Serialized with a `kind` tag.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(
    tag = "kind",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
pub enum Reason {
    /// Shown at `rank`.
    Shown {
        /// 1-based position.
        rank: u32,
    },
    /// The offer is not configured for this placement.
    NotInPlacement,
    /// A page bundle cannot decide the offer: it names a confidential
    /// audience, whose filter only the edge has. Never in a full bundle.
    EdgeOnly {
        /// The (first) confidential audience it names.
        audience: String,
    },
    /// The creative is not approved.
    CreativeNotApproved {
        /// Its review state.
        status: ApprovalStatus,
    },
    /// The schedule has not started.
    NotStarted {
        /// When it starts.
        start: Timestamp,
    },
    /// The schedule has ended.
    Ended {
        /// When it ended.
        end: Timestamp,
    },
    /// The eligibility rule is false: `rule` is the failing part (the first
    /// false conjunct of a top-level `and`), `seen` the context values it read.
    RuleFalse {
        /// The failing (sub-)rule, as JSONLogic.
        rule: serde_json::Value,
        /// Context attribute → value seen (`null` when absent).
        seen: BTreeMap<String, serde_json::Value>,
        /// The attributes the rule read that the context sent but reading
        /// left out, with why (`ATTRIBUTE_INVALID` warnings; a list, not a
        /// map: a map's sort and clone cost the page build 5 KB).
        #[serde(skip_serializing_if = "Vec::is_empty")]
        dropped: Vec<Warning>,
    },
    /// The eligibility rule stopped before it had a value: the decision's
    /// rule evaluation steps were spent, or the rule built an array or text
    /// over the size limits (`docs/RULES.md`, "Budgets"). The offer is
    /// ineligible; the rest of the decision stands.
    RuleBudget {
        /// Which limit stopped it: `steps` or `valueSize`.
        exceeded: BudgetExceeded,
    },
    /// The shopper is not in any of the offer's inclusion audiences.
    NotInAudience {
        /// The (first) inclusion audience.
        audience: String,
        /// Whether the context had the identifier the audience needs.
        identifier_present: bool,
    },
    /// A licensed cohort the offer's inclusion list (or its rule, which
    /// could hold only through it) names was not applied to this shopper:
    /// not looked up at all (docs/PRIVACY.md, "Licensed cohorts").
    LicensedCohortRestricted {
        /// The (first) licensed cohort.
        audience: String,
        /// `consent` (personalization off), `region` (the shopper's or the
        /// request's country is in the EU or the UK, or outside the
        /// licence) or `unknownRegion` (no usable country).
        why: CohortBlock,
    },
    /// The shopper is on a suppression list.
    InSuppressionAudience {
        /// The audience.
        audience: String,
    },
    /// Accepted before; the bundle does not allow repeats.
    AlreadyAccepted {
        /// When.
        accepted_at: Timestamp,
    },
    /// Declined and still suppressed.
    SuppressedAfterDecline {
        /// When the shopper declined.
        declined_at: Timestamp,
        /// When it may show again (`None`: never).
        until: Option<Timestamp>,
    },
    /// A frequency cap is reached.
    Capped {
        /// What the cap counts.
        scope: CapScope,
        /// Allowed impressions.
        max: u32,
        /// The window.
        window: CapWindow,
        /// Impressions already in the window.
        count: u32,
    },
    /// Already shown in an earlier placement of this decision.
    ShownInOtherPlacement {
        /// That placement.
        placement: String,
    },
    /// Another offer of the same advertiser won a slot.
    AdvertiserAlreadyShown {
        /// The winning offer of that advertiser.
        by_offer: String,
    },
    /// Lost on tier or score to the last winner.
    Outranked {
        /// The lowest-ranked winner.
        by_offer: String,
        /// Its tier.
        by_tier: u8,
        /// Its score.
        by_score: f64,
    },
    /// No slot: the placement is full of better offers (or has none).
    NoSlot,
}

//! The bundle document (schema v1): what a partner's signed payload contains.
//!
//! Serde types only; semantic checks live in [`super::validate`]. Fields use
//! `deny_unknown_fields` wherever a misspelt key would silently change what
//! shoppers see (a typo in `suppressAfterDecline` must not disable suppression).

use super::compact_map::CompactMap;
use crate::time::{DurationMs, Timestamp, ZoneOffsets};
use serde::{Deserialize, Serialize};
use serde_json::Value;

mod cap;
mod coupon;
pub use cap::{Cap, CapScope, CapWindow};
pub use coupon::{CodeSource, Coupon, CouponCode};

/// The only bundle schema this build understands.
pub const BUNDLE_SCHEMA: u32 = 1;
/// DSSE `payloadType` of an offer bundle.
pub const BUNDLE_PAYLOAD_TYPE: &str = "application/vnd.offer-edge.bundle+json";

/// One partner's offers, creatives, rules, audiences and model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "cli", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Bundle {
    /// Schema version; must be [`BUNDLE_SCHEMA`].
    #[cfg_attr(feature = "cli", schemars(extend("const" = 1)))]
    pub schema: u32,
    /// The partner (retailer) this bundle belongs to.
    #[cfg_attr(feature = "cli", schemars(length(min = 1, max = crate::limits::MAX_ID_LEN)))]
    pub partner: String,
    /// Monotonic version; a lower one than already accepted is a rollback.
    pub version: u64,
    /// Which edition of the bundle this document is: `full` (absent; what
    /// the edge and the CLI decide with) or `page` (written by `sign` for
    /// browsers, with every confidential audience's filter and salt
    /// withheld). See [`Edition`].
    #[serde(default, skip_serializing_if = "Edition::is_full")]
    pub edition: Edition,
    /// When the bundle was produced.
    pub issued_at: Timestamp,
    /// After this instant the bundle is refused (freeze protection).
    pub expires_at: Timestamp,
    /// The partner's local time zone as a fixed UTC offset in minutes, for
    /// day-of-week / hour rules. Defaults to UTC. For fixed-offset bundles
    /// and old files; a zone with daylight saving time is `time_zone`.
    #[serde(default)]
    #[cfg_attr(feature = "cli", schemars(range(min = -1080, max = 1080)))]
    pub utc_offset_minutes: i32,
    /// The partner's IANA time zone (`"America/New_York"`), for local-time
    /// rules and the model's hour band; exclusive with a non-zero
    /// `utc_offset_minutes`. Hosts read its offsets from
    /// `time_zone_offsets`, which `offer-edge sign` embeds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "cli", schemars(length(min = 1, max = crate::time::MAX_TIME_ZONE_NAME_LEN)))]
    pub time_zone: Option<String>,
    /// The UTC offsets of `time_zone` over the bundle's validity window,
    /// written by `offer-edge sign` (docs/BUNDLES.md, "Time zones"): a
    /// bundle naming a zone without them is refused (`TIME_ZONE_MISSING`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_zone_offsets: Option<ZoneOffsets>,
    /// The partner's HPKE key: emails are sealed to it.
    pub fulfilment_key: FulfilmentKey,
    /// Where offers appear on the page.
    #[cfg_attr(feature = "cli", schemars(length(max = crate::limits::MAX_PLACEMENTS)))]
    pub placements: Vec<Placement>,
    /// The offers. Boxed: JSON gives no count up front, so the vector
    /// doubles as it reads, and a vector of 350-byte offers would leave
    /// megabyte holes behind in a WebAssembly memory that keeps its peak; a
    /// vector of pointers leaves kilobytes.
    #[serde(deserialize_with = "exact_vec")]
    #[cfg_attr(feature = "cli", schemars(with = "Vec<Offer>", length(max = crate::limits::MAX_OFFERS)))]
    #[cfg_attr(feature = "cli", schemars(description = "The offers."))]
    pub offers: Vec<Box<Offer>>,
    /// Inclusion / suppression lists referenced by offers.
    #[serde(default)]
    #[cfg_attr(feature = "cli", schemars(length(max = crate::limits::MAX_AUDIENCES)))]
    pub audiences: Vec<Audience>,
    /// Propensity model and exploration settings.
    #[serde(default)]
    pub model: Model,
}

impl Bundle {
    /// The partner's UTC offset in minutes at `at`: from the embedded table
    /// of its `time_zone` when it names one (validation makes sure it
    /// does, and that the table covers the bundle's validity), else the
    /// fixed `utc_offset_minutes`.
    pub fn utc_offset_at(&self, at: Timestamp) -> i32 {
        self.time_zone_offsets
            .as_ref()
            .map_or(self.utc_offset_minutes, |table| table.offset_at(at))
    }
}

/// A sequence read without its growth slack. JSON gives no length up front,
/// so the vector doubles as it reads: 5,000 offers end in room for 8,192
/// (over 1 MiB in WebAssembly). Shrinking returns the tail to the allocator
/// before the audiences and the model are read into it.
fn exact_vec<'de, D, T>(deserializer: D) -> Result<Vec<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    let mut items = Vec::<T>::deserialize(deserializer)?;
    items.shrink_to_fit();
    Ok(items)
}

/// The partner's X25519 public key for sealing confirmation emails.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "cli", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FulfilmentKey {
    /// Key id, bound into every sealed request.
    #[cfg_attr(feature = "cli", schemars(length(min = 1, max = crate::limits::MAX_ID_LEN)))]
    pub kid: String,
    /// Base64 (standard alphabet) of the 32-byte X25519 public key.
    pub public_key: String,
}

/// A slot on the page that shows up to `max_offers` offers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "cli", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Placement {
    /// Placement id, e.g. `"confirmation"`.
    #[cfg_attr(feature = "cli", schemars(length(min = 1, max = crate::limits::MAX_ID_LEN)))]
    pub id: String,
    /// Mustache layout rendered around the offers.
    #[cfg_attr(feature = "cli", schemars(length(max = crate::limits::MAX_TEMPLATE_LEN)))]
    pub layout: String,
    /// At most this many offers at once.
    #[cfg_attr(feature = "cli", schemars(range(min = 1, max = crate::limits::MAX_OFFERS_PER_PLACEMENT)))]
    pub max_offers: u8,
}

/// Priority tier: tier 0 offers always rank above tier 1, and so on.
pub type Tier = u8;

/// One offer with its creative, rules and limits.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "cli", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Offer {
    /// Offer id, unique in the bundle.
    #[cfg_attr(feature = "cli", schemars(length(min = 1, max = crate::limits::MAX_ID_LEN)))]
    pub id: String,
    /// Campaign the offer belongs to (a cap scope).
    #[cfg_attr(feature = "cli", schemars(length(min = 1, max = crate::limits::MAX_ID_LEN)))]
    pub campaign: String,
    /// Advertiser (a cap scope; at most one offer per advertiser per placement).
    #[cfg_attr(feature = "cli", schemars(length(min = 1, max = crate::limits::MAX_ID_LEN)))]
    pub advertiser: String,
    /// Priority tier; lower is shown first.
    #[serde(default)]
    pub tier: Tier,
    /// Value of an engagement (payout or margin), multiplies the propensity.
    #[cfg_attr(feature = "cli", schemars(range(min = 0)))]
    pub value: f64,
    /// Placements this offer may appear in; empty means every placement.
    #[serde(default)]
    #[cfg_attr(feature = "cli", schemars(inner(length(min = 1, max = crate::limits::MAX_ID_LEN))))]
    pub placements: Vec<String>,
    /// JSONLogic eligibility rule; absent means always eligible.
    #[serde(default)]
    pub eligibility: Option<RuleText>,
    /// Audience inclusion and suppression.
    #[serde(default)]
    pub audiences: OfferAudiences,
    /// Frequency caps.
    #[serde(default)]
    #[cfg_attr(feature = "cli", schemars(length(max = crate::limits::MAX_CAPS_PER_OFFER)))]
    pub caps: Vec<Cap>,
    /// After a decline, hide the offer for this long (absent: never again).
    #[serde(default)]
    pub suppress_after_decline: Option<DurationMs>,
    /// Show the offer again after the shopper accepted it (default: no).
    #[serde(default)]
    pub repeat_after_accept: bool,
    /// Optional run window.
    #[serde(default)]
    pub schedule: Schedule,
    /// What accepting the offer does.
    pub action: Action,
    /// The creative shown.
    pub creative: Creative,
}

/// A JSONLogic rule kept as its compact JSON text (`{"and":[…]}`).
///
/// Why text: a parsed `serde_json::Value` spends a B-tree node (~600 bytes
/// natively) on every one-key object, so 5,000 offers' rules took ~11 MiB as
/// trees against ~250 KB as text, and a WebAssembly host's memory keeps its
/// peak for good. The engine compiles from the text; explanations parse it
/// again on demand. The text is canonical (`Value`'s compact form, keys
/// sorted), so it serializes back exactly as the tree did.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(
    feature = "cli",
    derive(schemars::JsonSchema),
    schemars(with = "serde_json::Value")
)]
#[cfg_attr(
    feature = "cli",
    schemars(
        description = "A JSONLogic rule over the checkout context (docs/RULES.md): an object with one operator key, or a literal."
    )
)]
pub struct RuleText(pub(super) Box<str>);

impl RuleText {
    /// The rule's compact JSON text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The rule as a JSON tree.
    ///
    /// # Errors
    /// `RULE_INVALID` if the text is not JSON, which a `RuleText` built by
    /// this crate never is.
    pub fn to_value(&self) -> crate::Result<Value> {
        serde_json::from_str(&self.0).map_err(|e| {
            crate::Error::new(
                crate::ErrorCode::RuleInvalid,
                format!("rule text is not JSON: {e}"),
            )
        })
    }
}

impl From<&Value> for RuleText {
    fn from(rule: &Value) -> Self {
        Self(rule.to_string().into_boxed_str())
    }
}

impl From<Value> for RuleText {
    fn from(rule: Value) -> Self {
        Self::from(&rule)
    }
}

impl Serialize for RuleText {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        // Through the tree, so pretty printers indent the rule as before.
        self.to_value()
            .map_err(serde::ser::Error::custom)?
            .serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for RuleText {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        // The tree lives only while one rule is read.
        Value::deserialize(deserializer).map(|rule| Self::from(&rule))
    }
}

/// Audience references of one offer.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "cli", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OfferAudiences {
    /// The shopper must be in at least one of these (when non-empty).
    #[serde(default)]
    pub include: Vec<String>,
    /// The shopper must be in none of these.
    #[serde(default)]
    pub exclude: Vec<String>,
}

/// Start and end of an offer's run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "cli", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Schedule {
    /// Not shown before this instant.
    #[serde(default)]
    pub start: Option<Timestamp>,
    /// Not shown from this instant on.
    #[serde(default)]
    pub end: Option<Timestamp>,
}

/// What happens when the shopper accepts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "cli", derive(schemars::JsonSchema))]
#[serde(tag = "type", rename_all = "camelCase", deny_unknown_fields)]
pub enum Action {
    /// Open the advertiser's page.
    Link {
        /// https URL.
        #[cfg_attr(feature = "cli", schemars(length(max = crate::limits::MAX_TEXT_LEN), pattern(r"^https://[^/]")))]
        url: String,
    },
    /// Add an upsell item to the partner's cart (handled by the host page).
    #[serde(rename_all = "camelCase")]
    AddToCart {
        /// The partner's SKU.
        #[cfg_attr(feature = "cli", schemars(length(min = 1, max = crate::limits::MAX_ID_LEN)))]
        sku: String,
    },
    /// Reveal (and email) a coupon code: one code every shopper sees, or
    /// one code per accept that only the edge issues (see [`Coupon`]).
    Coupon(Coupon),
}

/// The creative: copy, image and its approval record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "cli", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Creative {
    /// Creative id.
    #[cfg_attr(feature = "cli", schemars(length(min = 1, max = crate::limits::MAX_ID_LEN)))]
    pub id: String,
    /// Who approved it and when; only `approved` creatives may show.
    pub approval: Approval,
    /// Copy and imagery (Mustache templates over the context).
    pub fields: CreativeFields,
    /// Confirmation email sent after an accept, when required.
    #[serde(default)]
    pub confirmation_email: Option<Box<ConfirmationEmail>>,
}

/// Review state of a creative.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "cli", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub enum ApprovalStatus {
    /// Cleared to show.
    Approved,
    /// Waiting for review.
    Pending,
    /// Refused by review.
    Rejected,
}

/// A creative's approval record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "cli", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Approval {
    /// Review state.
    pub status: ApprovalStatus,
    /// Who reviewed it.
    pub reviewer: String,
    /// When.
    pub at: Timestamp,
}

/// The creative's text and imagery. Each text is a Mustache template.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "cli", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreativeFields {
    /// Headline.
    #[cfg_attr(feature = "cli", schemars(length(max = crate::limits::MAX_TEXT_LEN)))]
    pub headline: String,
    /// Body copy.
    #[cfg_attr(feature = "cli", schemars(length(max = crate::limits::MAX_TEXT_LEN)))]
    pub body: String,
    /// Label of the accept button.
    #[cfg_attr(feature = "cli", schemars(length(max = crate::limits::MAX_TEXT_LEN)))]
    pub cta: String,
    /// Label of the decline button (default "No thanks").
    #[serde(default)]
    #[cfg_attr(feature = "cli", schemars(length(max = crate::limits::MAX_TEXT_LEN)))]
    pub decline_label: Option<String>,
    /// Image URL (https or relative).
    #[serde(default)]
    #[cfg_attr(feature = "cli", schemars(length(max = crate::limits::MAX_TEXT_LEN)))]
    pub image: Option<String>,
    /// Image alt text.
    #[serde(default)]
    #[cfg_attr(feature = "cli", schemars(length(max = crate::limits::MAX_TEXT_LEN)))]
    pub image_alt: Option<String>,
    /// Terms and conditions.
    #[serde(default)]
    #[cfg_attr(feature = "cli", schemars(length(max = crate::limits::MAX_TEXT_LEN)))]
    pub terms: Option<String>,
}

/// Confirmation email settings of a creative.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "cli", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ConfirmationEmail {
    /// Whether an accept asks for the email and sends this message.
    pub required: bool,
    /// Subject template.
    #[cfg_attr(feature = "cli", schemars(length(max = crate::limits::MAX_TEXT_LEN)))]
    pub subject: String,
    /// HTML body template.
    #[cfg_attr(feature = "cli", schemars(length(max = crate::limits::MAX_TEMPLATE_LEN)))]
    pub html: String,
    /// Plain-text body template (derived from the offer when absent).
    #[serde(default)]
    #[cfg_attr(feature = "cli", schemars(length(max = crate::limits::MAX_TEMPLATE_LEN)))]
    pub text: Option<String>,
    /// Send a reminder this long after the accept. Absent: 24 hours; `"0s"`:
    /// no reminder (see `email::reminder_at`).
    #[serde(default)]
    pub reminder_after: Option<DurationMs>,
}

/// Which edition of a bundle a document is.
///
/// Why two editions: a confidential audience (an advertiser's customer list,
/// a licensed cohort) must not ship to browsers, since anyone holding its
/// filter and salt can test whether an email is on the list. `sign` writes
/// both editions of one bundle, with the same partner, version and dates:
/// the full one for the edge and a page one without those filters. Only a
/// page bundle may omit an audience's `filter` and `salt`, and only a
/// confidential audience's, so a full bundle cannot lose a filter by
/// accident ([`super::validate`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "cli", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub enum Edition {
    /// Every audience with its filter: the edge decides with it.
    #[default]
    Full,
    /// For pages: confidential audiences carry no filter and no salt, and
    /// offers that name one are decided at the edge only.
    Page,
}

impl Edition {
    /// Whether this is the full edition (the default, not written out).
    pub fn is_full(&self) -> bool {
        *self == Self::Full
    }
}

/// What kind of list an audience is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "cli", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub enum AudienceKind {
    /// An advertiser's own customer list (usually a suppression list).
    AdvertiserList,
    /// A licensed third-party cohort.
    LicensedCohort,
}

/// Which context identifier an audience is keyed by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "cli", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub enum IdentifierKind {
    /// Email address (trimmed, lower-cased before hashing).
    Email,
    /// Phone number (digits only before hashing).
    Phone,
}

/// A membership list shipped as a compact probabilistic filter.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "cli", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Audience {
    /// Audience id referenced by offers.
    #[cfg_attr(feature = "cli", schemars(length(min = 1, max = crate::limits::MAX_ID_LEN)))]
    pub id: String,
    /// Advertiser list or licensed cohort.
    pub kind: AudienceKind,
    /// Which identifier it is keyed by.
    #[serde(default = "default_identifier")]
    pub identifier: IdentifierKind,
    /// Kept out of page bundles: its filter and salt ship only in the full
    /// bundle the edge decides with (see [`Edition`]).
    #[serde(default, skip_serializing_if = "is_false")]
    pub confidential: bool,
    /// Per-audience salt prepended before hashing identifiers. Absent only
    /// for a confidential audience in a page bundle.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "cli", schemars(length(max = crate::limits::MAX_TEXT_LEN)))]
    pub salt: Option<String>,
    /// Base64 of the serialized membership filter. Absent only for a
    /// confidential audience in a page bundle.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filter: Option<String>,
    /// The filter's stated false-positive rate.
    #[cfg_attr(feature = "cli", schemars(extend("exclusiveMinimum" = 0, "exclusiveMaximum" = 1)))]
    pub false_positive_rate: f64,
    /// A licensed cohort's licence: where it may be used. Absent: anywhere
    /// outside the EU and the UK (which no licence can name: a licensed
    /// cohort never matches a shopper there; docs/PRIVACY.md). Only a
    /// `licensedCohort` may have one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub licence: Option<Licence>,
}

/// Where a licensed cohort may be used.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "cli", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Licence {
    /// ISO 3166-1 alpha-2 codes (upper case) of the countries the licence
    /// covers, none in the EU or the UK. Absent: anywhere outside them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "cli", schemars(inner(pattern(r"^[A-Z]{2}$"))))]
    pub countries: Option<Vec<String>>,
}

fn default_identifier() -> IdentifierKind {
    IdentifierKind::Email
}

fn is_false(b: &bool) -> bool {
    !*b
}

impl Audience {
    /// Whether this audience's filter and salt are withheld: a confidential
    /// audience of a page bundle, which the page cannot test membership of.
    pub fn withheld(&self, edition: Edition) -> bool {
        self.confidential && edition == Edition::Page
    }

    /// For a licensed cohort, the countries its licence covers (`None`:
    /// anywhere outside the EU and the UK); `None` for an advertiser list,
    /// which no licence restricts.
    pub fn licensed_countries(&self) -> Option<Option<&[String]>> {
        (self.kind == AudienceKind::LicensedCohort)
            .then(|| self.licence.as_ref().and_then(|l| l.countries.as_deref()))
    }
}

/// Logistic-regression weights: an intercept plus one weight per feature
/// (`"state=CA"`, or a cross like `"ageBand=25-34&state=CA"`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "cli", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Weights {
    /// Bias term.
    #[serde(default)]
    pub intercept: f64,
    /// Feature name → weight.
    #[serde(default)]
    pub features: CompactMap<f64>,
}

/// A Beta(alpha, beta) prior for Thompson sampling.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "cli", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BetaPrior {
    /// Successes + 1.
    pub alpha: f64,
    /// Failures + 1.
    pub beta: f64,
}

/// Exploration settings.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "cli", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Exploration {
    /// When off, ranking is greedy and propensities are 1 for winners.
    #[serde(default)]
    pub enabled: bool,
    /// Prior for offers without their own.
    #[serde(default)]
    pub default_prior: Option<BetaPrior>,
    /// Offer id → prior.
    #[serde(default)]
    pub priors: CompactMap<BetaPrior>,
}

/// The propensity model ("lookalike segments") and exploration.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "cli", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Model {
    /// Feature crosses to compute, e.g. `[["ageBand", "state"]]`.
    #[serde(default)]
    pub crosses: Vec<Vec<String>>,
    /// Weights shared by all offers.
    #[serde(default)]
    pub global: Weights,
    /// Offer id → weights added to the global ones.
    #[serde(default)]
    pub offers: CompactMap<Weights>,
    /// Thompson-sampling exploration.
    #[serde(default)]
    pub exploration: Exploration,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_text_reads_any_layout_and_writes_what_the_tree_wrote() {
        let source = r#"{ "or" : [ {"==": [{"var":"state"}, "CA"]}, {"<": [1.5, {"var": "amount"}]} ],
                          "and": [] }"#;
        let tree: Value = serde_json::from_str(source).unwrap();
        let text: RuleText = serde_json::from_str(source).unwrap();
        assert_eq!(text.as_str(), tree.to_string());
        assert_eq!(text.to_value().unwrap(), tree);
        assert_eq!(
            serde_json::to_string_pretty(&text).unwrap(),
            serde_json::to_string_pretty(&tree).unwrap()
        );
        assert_eq!(RuleText::from(&tree), text);
    }

    #[test]
    fn a_null_rule_is_no_rule() {
        #[derive(Deserialize)]
        struct Holder {
            #[serde(default)]
            eligibility: Option<RuleText>,
        }
        let h: Holder = serde_json::from_str(r#"{"eligibility": null}"#).unwrap();
        assert!(h.eligibility.is_none());
    }
}

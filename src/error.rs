//! One error type for the whole crate, each failure tagged with a stable code.
//!
//! Hosts (CLI, WASM binding, worker) show the message to people and branch on
//! the code. Tests assert the code, never the message.

use std::fmt;

/// The stable tag of an [`Error`]. Its string form (`code().as_str()`) is part
/// of the public API: the CLI prints it, JS errors carry it as `code`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorCode {
    /// The signed bundle is larger than the trust config allows.
    BundleTooLarge,
    /// The DSSE envelope is not valid JSON or misses a field.
    EnvelopeMalformed,
    /// No signature came from a key the trust config knows.
    UnknownKey,
    /// A signature from a trusted key does not verify (tampering).
    SignatureInvalid,
    /// Fewer distinct trusted keys signed than the threshold requires.
    ThresholdNotMet,
    /// The signed payload is not a valid bundle document.
    PayloadMalformed,
    /// The bundle is for another partner than the pinned one.
    PartnerMismatch,
    /// The bundle expired, or is older than the trust config's max age.
    BundleExpired,
    /// The bundle's version is lower than one already accepted.
    VersionRollback,
    /// A format v2 bundle is not the one its signed manifest describes: its
    /// length, SHA-256, partner, version or dates differ (tampering or a
    /// signing mistake).
    DigestMismatch,
    /// A page bundle is not the page edition of the active bundle: it is a
    /// full bundle, or its partner, version or dates differ from the bundle
    /// the host decides with.
    PageBundleMismatch,
    /// The bundle parses but breaks a schema rule (duplicate id, dangling reference…).
    SchemaInvalid,
    /// A creative is not approved (the signing tool refuses it).
    CreativeNotApproved,
    /// A named limit from [`crate::limits`] was exceeded.
    LimitExceeded,
    /// A trust config or key file is unusable.
    TrustInvalid,
    /// A keyset rotation was refused.
    KeysetInvalid,
    /// An eligibility rule failed to compile.
    RuleInvalid,
    /// An eligibility rule ran out of its evaluation budget (steps, or the
    /// size of a value it built) while computing a value for a preview or
    /// conformance check. In a decision this is no error: the offer is
    /// ineligible with reason `ruleBudget`.
    RuleBudget,
    /// A template failed to compile (or was refused for safety).
    TemplateInvalid,
    /// An audience filter failed to load.
    AudienceInvalid,
    /// The checkout context could not be read.
    ContextInvalid,
    /// An engagement event is malformed.
    EventInvalid,
    /// A receipt is forged, altered, malformed or for another partner or offer.
    ReceiptInvalid,
    /// A receipt is genuine but past its `expiresAt` (late engagement: hosts
    /// may log it differently from a forgery).
    ReceiptExpired,
    /// Sealing or opening a fulfilment request failed.
    SealFailed,
    /// An email address given for sealing is empty, too long or malformed
    /// (hosts ask the shopper again rather than report a crypto failure).
    EmailInvalid,
    /// A key is malformed (wrong length, bad encoding).
    KeyInvalid,
    /// A partner checkout token is malformed, not signed by the named key,
    /// uses a refused algorithm or header, or carries an out-of-shape claim.
    TokenInvalid,
    /// A genuine checkout token is past its `exp` (plus the allowed skew).
    TokenExpired,
    /// A checkout token was issued by (`iss`) another partner than the
    /// expected one; checked before the signature so it gets its own code.
    TokenPartnerMismatch,
    /// A checkout token names a key id (`kid`) that is not pinned for the partner.
    TokenKeyUnknown,
    /// The opened email does not hash to the partner-attested email hash.
    EmailMismatch,
    /// A bundle's `timeZone` is not shaped like an IANA zone name, is given
    /// with a non-zero `utcOffsetMinutes`, or its embedded UTC-offset table
    /// (`timeZoneOffsets`) is out of shape.
    TimeZoneInvalid,
    /// A bundle names a `timeZone` but carries no UTC-offset table for it
    /// over its validity window (none, another zone's, or a stale one):
    /// hosts have no tz database, so `offer-edge sign` must embed it.
    TimeZoneMissing,
    /// `offer-edge sign` does not know the bundle's `timeZone` (not in its
    /// tz database), or the zone's offsets cannot be embedded.
    TimeZoneUnknown,
    /// A decision asked for a placement the bundle does not have.
    PlacementUnknown,
    /// A decision was asked of an engine with no active bundle.
    NoBundle,
    /// Reading or writing a host file failed (CLI only).
    Io,
}

impl ErrorCode {
    /// The stable string form, e.g. `"SIGNATURE_INVALID"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::BundleTooLarge => "BUNDLE_TOO_LARGE",
            Self::EnvelopeMalformed => "ENVELOPE_MALFORMED",
            Self::UnknownKey => "UNKNOWN_KEY",
            Self::SignatureInvalid => "SIGNATURE_INVALID",
            Self::ThresholdNotMet => "THRESHOLD_NOT_MET",
            Self::PayloadMalformed => "PAYLOAD_MALFORMED",
            Self::PartnerMismatch => "PARTNER_MISMATCH",
            Self::BundleExpired => "BUNDLE_EXPIRED",
            Self::VersionRollback => "VERSION_ROLLBACK",
            Self::DigestMismatch => "DIGEST_MISMATCH",
            Self::PageBundleMismatch => "PAGE_BUNDLE_MISMATCH",
            Self::SchemaInvalid => "SCHEMA_INVALID",
            Self::CreativeNotApproved => "CREATIVE_NOT_APPROVED",
            Self::LimitExceeded => "LIMIT_EXCEEDED",
            Self::TrustInvalid => "TRUST_INVALID",
            Self::KeysetInvalid => "KEYSET_INVALID",
            Self::RuleInvalid => "RULE_INVALID",
            Self::RuleBudget => "RULE_BUDGET",
            Self::TemplateInvalid => "TEMPLATE_INVALID",
            Self::AudienceInvalid => "AUDIENCE_INVALID",
            Self::ContextInvalid => "CONTEXT_INVALID",
            Self::EventInvalid => "EVENT_INVALID",
            Self::ReceiptInvalid => "RECEIPT_INVALID",
            Self::ReceiptExpired => "RECEIPT_EXPIRED",
            Self::SealFailed => "SEAL_FAILED",
            Self::EmailInvalid => "EMAIL_INVALID",
            Self::KeyInvalid => "KEY_INVALID",
            Self::TokenInvalid => "TOKEN_INVALID",
            Self::TokenExpired => "TOKEN_EXPIRED",
            Self::TokenPartnerMismatch => "TOKEN_PARTNER_MISMATCH",
            Self::TokenKeyUnknown => "TOKEN_KEY_UNKNOWN",
            Self::EmailMismatch => "EMAIL_MISMATCH",
            Self::TimeZoneInvalid => "TIME_ZONE_INVALID",
            Self::TimeZoneMissing => "TIME_ZONE_MISSING",
            Self::TimeZoneUnknown => "TIME_ZONE_UNKNOWN",
            Self::PlacementUnknown => "PLACEMENT_UNKNOWN",
            Self::NoBundle => "NO_BUNDLE",
            Self::Io => "IO",
        }
    }

    /// Every code, in declaration order: the one list the binding's
    /// TypeScript union `ErrorCode` is checked against (tests/binding_names.rs).
    pub const ALL: [Self; 38] = [
        Self::BundleTooLarge,
        Self::EnvelopeMalformed,
        Self::UnknownKey,
        Self::SignatureInvalid,
        Self::ThresholdNotMet,
        Self::PayloadMalformed,
        Self::PartnerMismatch,
        Self::BundleExpired,
        Self::VersionRollback,
        Self::DigestMismatch,
        Self::PageBundleMismatch,
        Self::SchemaInvalid,
        Self::CreativeNotApproved,
        Self::LimitExceeded,
        Self::TrustInvalid,
        Self::KeysetInvalid,
        Self::RuleInvalid,
        Self::RuleBudget,
        Self::TemplateInvalid,
        Self::AudienceInvalid,
        Self::ContextInvalid,
        Self::EventInvalid,
        Self::ReceiptInvalid,
        Self::ReceiptExpired,
        Self::SealFailed,
        Self::EmailInvalid,
        Self::KeyInvalid,
        Self::TokenInvalid,
        Self::TokenExpired,
        Self::TokenPartnerMismatch,
        Self::TokenKeyUnknown,
        Self::EmailMismatch,
        Self::TimeZoneInvalid,
        Self::TimeZoneMissing,
        Self::TimeZoneUnknown,
        Self::PlacementUnknown,
        Self::NoBundle,
        Self::Io,
    ];
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A failure with a stable [`ErrorCode`] and a message for people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    code: ErrorCode,
    message: String,
}

impl Error {
    /// An error with `code` and a human-readable `message`.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }

    /// The stable tag to branch on.
    pub fn code(&self) -> ErrorCode {
        self.code
    }

    /// The human-readable explanation (not stable; do not parse).
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl std::error::Error for Error {}

/// Shorthand used across the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

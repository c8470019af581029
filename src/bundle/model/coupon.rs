//! Coupon actions: one code in the bundle, or a source the edge issues a
//! unique code per attested accept from (docs/BUNDLES.md, "Unique coupon
//! codes"). Kept apart from the rest of the document model because the
//! JSON form (`code` / `codes` side by side) is converted into an enum
//! here, so no other state reaches the engine.

use serde::{Deserialize, Serialize};

/// A coupon offer. In JSON exactly one of `code` (the same code for every
/// shopper, readable by anyone holding the public bundle) or `codes` (where
/// the edge takes a unique code from, revealed only after an attested
/// accept: docs/BUNDLES.md, "Unique coupon codes").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "cli", derive(schemars::JsonSchema))]
#[serde(try_from = "CouponJson", into = "CouponJson")]
pub struct Coupon {
    /// The code, or where the edge takes one from.
    pub code: CouponCode,
    /// Where to redeem it, if anywhere.
    pub url: Option<String>,
}

impl Coupon {
    /// A coupon with one code for every shopper.
    pub fn fixed(code: impl Into<String>, url: Option<String>) -> Self {
        Self {
            code: CouponCode::Fixed(code.into()),
            url,
        }
    }
}

/// A coupon's code: in the bundle, or issued by the edge per accept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CouponCode {
    /// `code`: the same code for every shopper.
    Fixed(String),
    /// `codes`: a unique code per accepted decision, issued at the edge.
    Issued(CodeSource),
}

/// Where the edge takes a unique coupon code from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "cli", derive(schemars::JsonSchema))]
#[serde(tag = "source", rename_all = "camelCase", deny_unknown_fields)]
pub enum CodeSource {
    /// `prefix` + the first `length` characters of the Crockford base32 of
    /// an HMAC over (partner, offer, decision) under the partner's coupon
    /// key: unforgeable without the edge's secret, the same for the same
    /// decision (a resent accept gets the same code).
    Derived {
        /// Printed before the MAC characters (`A-Z`, `0-9`, `-`).
        #[serde(default)]
        #[cfg_attr(feature = "cli", schemars(length(max = crate::limits::MAX_COUPON_PREFIX_LEN), pattern(r"^[A-Z0-9-]*$")))]
        prefix: String,
        /// MAC characters after the prefix (at least 8: not guessable at a redemption form).
        #[cfg_attr(feature = "cli", schemars(range(min = crate::limits::MIN_DERIVED_COUPON_CHARS, max = crate::limits::MAX_DERIVED_COUPON_CHARS)))]
        length: u8,
    },
    /// One code per accept from a list the partner uploads to the edge
    /// (`POST /v1/coupons/:partner/:pool`).
    Pool {
        /// The pool's id (a path segment of the upload route).
        #[cfg_attr(feature = "cli", schemars(length(min = 1, max = crate::limits::MAX_ID_LEN), pattern(r"^[A-Za-z0-9._-]+$")))]
        pool: String,
    },
}

impl CodeSource {
    /// The longest code this source issues (bounds the email templates).
    pub fn max_code_len(&self) -> usize {
        match self {
            Self::Derived { prefix, length } => prefix.len() + usize::from(*length),
            Self::Pool { .. } => crate::limits::MAX_COUPON_CODE_LEN,
        }
    }
}

/// A coupon as written in JSON: `code` and `codes` side by side, exactly
/// one of them present (checked by the conversion, so no other state
/// reaches the engine).
#[derive(Serialize, Deserialize)]
#[cfg_attr(feature = "cli", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "cli", schemars(extend("oneOf" = [{"required": ["code"]}, {"required": ["codes"]}])))]
#[serde(deny_unknown_fields)]
struct CouponJson {
    #[cfg_attr(
        feature = "cli",
        schemars(
            description = "The same code for every shopper (readable by anyone holding the public bundle). Exactly one of `code` and `codes`."
        )
    )]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    code: Option<String>,
    #[cfg_attr(
        feature = "cli",
        schemars(
            description = "Where the edge takes a unique code per accept from, revealed only after an attested accept. Exactly one of `code` and `codes`."
        )
    )]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    codes: Option<CodeSource>,
    #[cfg_attr(
        feature = "cli",
        schemars(description = "Where to redeem the coupon (https), if anywhere.")
    )]
    #[serde(default)]
    url: Option<String>,
}

impl TryFrom<CouponJson> for Coupon {
    type Error = &'static str;

    fn try_from(json: CouponJson) -> Result<Self, Self::Error> {
        let code = match (json.code, json.codes) {
            (Some(code), None) => CouponCode::Fixed(code),
            (None, Some(codes)) => CouponCode::Issued(codes),
            _ => return Err("a coupon has exactly one of `code` and `codes`"),
        };
        Ok(Self {
            code,
            url: json.url,
        })
    }
}

impl From<Coupon> for CouponJson {
    fn from(coupon: Coupon) -> Self {
        let (code, codes) = match coupon.code {
            CouponCode::Fixed(code) => (Some(code), None),
            CouponCode::Issued(codes) => (None, Some(codes)),
        };
        Self {
            code,
            codes,
            url: coupon.url,
        }
    }
}

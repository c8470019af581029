//! Partner-attested checkouts: a partner's backend vouches for one order
//! with a short-lived **checkout token**, and the edge checks it against the
//! partner's pinned checkout public keys.
//!
//! Why: everything a checkout page sends is a claim the page could forge
//! (docs/EDGE.md, "Threat model"). The partner's backend knows the
//! real order and shopper, so it signs them: the order id (`ord`), a hash of
//! the shopper's email (`eh`, see [`attested_email_hash`]) and optionally
//! its own shopper reference (`sub`). The edge can then bind engagement to a
//! real order, and fulfilment can refuse to mail an address the partner did
//! not attest ([`check_attested_email`]).
//!
//! Format: a JWS compact serialization (RFC 7515) signed with EdDSA over
//! Ed25519 (RFC 8037), i.e. what off-the-shelf libraries mint, e.g. npm
//! `jose`: `new SignJWT(claims).setProtectedHeader({ alg: "EdDSA", kid })
//! .sign(key)`. Claims: `iss` (partner id), `ord`, `eh`, `sub?`, `iat`,
//! `exp` (seconds), `jti`.
//!
//! [`verify_checkout_token`] checks, in this order (the order is the
//! contract, each failure has its own code):
//!
//! | # | check                                                       | code                     |
//! |---|-------------------------------------------------------------|--------------------------|
//! | 1 | ≤ [`MAX_CHECKOUT_TOKEN_BYTES`], three base64url parts        | `TOKEN_INVALID`          |
//! | 2 | header: `alg` `EdDSA`, `kid`, no `crit`/`jwk`/`jku`/`x5u`/`x5c` | `TOKEN_INVALID`      |
//! | 3 | claims parse; `iss` is the expected partner (unverified yet) | `TOKEN_PARTNER_MISMATCH` |
//! | 4 | `kid` is one of the partner's pinned keys                   | `TOKEN_KEY_UNKNOWN`      |
//! | 5 | Ed25519 `verify_strict` over `b64(header) "." b64(payload)` | `TOKEN_INVALID`          |
//! | 6 | claim shapes, lifetime ≤ 1 h, `iat` ≤ now + 60 s            | `TOKEN_INVALID`          |
//! | 7 | now < `exp` + 60 s                                          | `TOKEN_EXPIRED`          |
//!
//! Step 3 runs before the signature so that a token of another partner
//! (signed with a key this partner never pinned) is reported as what it is,
//! not as a bad signature; nothing else of the payload is used before step 5.
//! The token is not single-use here: replay protection (`jti`) is the
//! host's job, since it needs storage.
//!
//! [`MAX_CHECKOUT_TOKEN_BYTES`]: crate::limits::MAX_CHECKOUT_TOKEN_BYTES

mod claims;
mod jws;

use crate::bundle::trust::decode_public_key;
use crate::context::lower_hex;
use crate::error::{Error, ErrorCode, Result};
use crate::limits::{MAX_ID_LEN, MAX_TRUSTED_KEYS};
use crate::seal::normalize_email;
use crate::time::Timestamp;
use claims::RawClaims;
use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};
use serde::{Deserialize, Deserializer, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

/// Longest accepted token lifetime, `exp - iat`, in seconds (one hour).
pub const MAX_TOKEN_LIFETIME_SECS: i64 = 3_600;
/// Clock skew allowed between the partner's backend and the edge, in seconds.
pub const CLOCK_SKEW_SECS: i64 = 60;
/// Domain-separation prefix of [`attested_email_hash`]. Bump on any change.
pub const EMAIL_HASH_DOMAIN: &str = "offer-edge/eh/v1";

/// A partner's pinned checkout public keys, by key id (`kid`).
///
/// Deserializes from a JSON object `{ kid: base64 Ed25519 public key }`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CheckoutKeys {
    keys: BTreeMap<String, VerifyingKey>,
}

impl CheckoutKeys {
    /// Builds the key set from `kid → standard-base64 32-byte Ed25519 public
    /// key`. An empty map is allowed (every token is then `TOKEN_KEY_UNKNOWN`).
    ///
    /// # Errors
    /// `KEY_INVALID` when a key id is not 1..=[`MAX_ID_LEN`] bytes, a key is
    /// not 32 bytes of standard base64, not a curve point or weak
    /// (small-order), or there are more than [`MAX_TRUSTED_KEYS`] keys.
    pub fn from_map(map: &BTreeMap<String, String>) -> Result<Self> {
        if map.len() > MAX_TRUSTED_KEYS {
            return Err(Error::new(
                ErrorCode::KeyInvalid,
                format!("at most {MAX_TRUSTED_KEYS} checkout keys"),
            ));
        }
        let mut keys = BTreeMap::new();
        for (kid, b64) in map {
            if kid.is_empty() || kid.len() > MAX_ID_LEN {
                return Err(Error::new(
                    ErrorCode::KeyInvalid,
                    format!("checkout key id must be 1..={MAX_ID_LEN} bytes"),
                ));
            }
            keys.insert(kid.clone(), decode_public_key(kid, b64)?);
        }
        Ok(Self { keys })
    }

    /// The key pinned under `kid`.
    pub fn get(&self, kid: &str) -> Option<&VerifyingKey> {
        self.keys.get(kid)
    }

    /// The pinned key ids, sorted.
    pub fn kids(&self) -> impl Iterator<Item = &str> {
        self.keys.keys().map(String::as_str)
    }
}

impl<'de> Deserialize<'de> for CheckoutKeys {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let map = BTreeMap::<String, String>::deserialize(deserializer)?;
        Self::from_map(&map).map_err(|e| serde::de::Error::custom(e.message()))
    }
}

/// The claims of a checkout token (seconds for instants, as JWT does).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckoutClaims {
    /// Issuer: the partner id.
    pub iss: String,
    /// The partner's order id (printable ASCII, no spaces).
    pub ord: String,
    /// The shopper's attested email hash ([`attested_email_hash`]).
    pub eh: String,
    /// The partner's own shopper reference, if it sends one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub: Option<String>,
    /// Issued at, seconds since the epoch.
    pub iat: i64,
    /// Expires at, seconds since the epoch (at most one hour after `iat`).
    pub exp: i64,
    /// Token id, unique per token (for replay detection by the host).
    pub jti: String,
}

/// A checkout token that verified: the signing key's id and the claims.
/// Serializes flat: `{kid, iss, ord, eh, sub?, iat, exp, jti}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerifiedCheckout {
    /// The pinned key that signed the token.
    pub kid: String,
    /// The verified claims.
    #[serde(flatten)]
    pub claims: CheckoutClaims,
}

/// Verifies a compact checkout token from `partner` against its pinned
/// `keys` at `now`, in the order given in the module docs.
///
/// # Errors
/// `TOKEN_INVALID` (malformed, refused `alg` or header member, bad
/// signature, bad claim, lifetime over an hour, issued in the future);
/// `TOKEN_PARTNER_MISMATCH` (`iss` is not `partner`); `TOKEN_KEY_UNKNOWN`
/// (`kid` not pinned); `TOKEN_EXPIRED` (past `exp` plus skew).
pub fn verify_checkout_token(
    token: &str,
    partner: &str,
    keys: &CheckoutKeys,
    now: Timestamp,
) -> Result<VerifiedCheckout> {
    let parts = jws::split(token)?;
    let kid = jws::read_header(&parts.header)?;
    let raw = RawClaims::parse(&parts.payload)?;
    if raw.issuer() != Some(partner) {
        return Err(Error::new(
            ErrorCode::TokenPartnerMismatch,
            format!("token was not issued by partner {partner:?}"),
        ));
    }
    let key = keys.get(&kid).ok_or_else(|| {
        Error::new(
            ErrorCode::TokenKeyUnknown,
            format!("token key {kid:?} is not a pinned checkout key of {partner:?}"),
        )
    })?;
    let signature = Signature::from_slice(&parts.signature)
        .map_err(|_| jws::invalid("token signature is not 64 bytes"))?;
    key.verify_strict(parts.signing_input.as_bytes(), &signature)
        .map_err(|_| jws::invalid("token signature does not verify"))?;
    let claims = raw.typed()?;
    claims::check_time(&claims, now)?;
    Ok(VerifiedCheckout { kid, claims })
}

/// Checks only the shape of a compact token (at most
/// [`MAX_CHECKOUT_TOKEN_BYTES`](crate::limits::MAX_CHECKOUT_TOKEN_BYTES)
/// bytes, three base64url parts), not its header, claims or signature:
/// what an event may carry before the edge verifies it.
///
/// # Errors
/// `TOKEN_INVALID` naming the problem.
pub fn check_token_shape(token: &str) -> Result<()> {
    jws::split(token).map(|_| ())
}

/// Mints a checkout token (header `{"alg":"EdDSA","kid":…,"typ":"JWT"}`),
/// as a partner backend would: for the CLI and tests.
///
/// # Errors
/// `TOKEN_INVALID` when `kid` is not 1..=[`MAX_ID_LEN`] bytes or a claim is
/// malformed (the checks of [`verify_checkout_token`] that need no clock:
/// shapes, `exp > iat`, lifetime at most [`MAX_TOKEN_LIFETIME_SECS`]).
pub fn mint_checkout_token(key: &SigningKey, kid: &str, claims: &CheckoutClaims) -> Result<String> {
    claims::check_shape(claims)?;
    let payload = serde_json::to_vec(claims)
        .map_err(|e| jws::invalid(format!("cannot encode claims: {e}")))?;
    let input = jws::signing_input(kid, &payload)?;
    let signature = key.sign(input.as_bytes());
    Ok(format!("{input}.{}", jws::b64url(&signature.to_bytes())))
}

/// The attested email hash `eh` of a shopper's email for `partner`:
/// lower-case hex SHA-256 of the UTF-8 bytes
/// `"offer-edge/eh/v1\n" + partner + "\n" + normalize_email(email)`.
///
/// A partner backend computes the same value as
/// `sha256("offer-edge/eh/v1\n" + partner + "\n" + email.trim().toLowerCase())`
/// (hex, lower-case). The partner id salts the hash, so one shopper's `eh`
/// differs between partners. The encoding is unambiguous: a normalized email
/// has no newline.
///
/// # Errors
/// `EMAIL_INVALID` when the email is not one plain address (see
/// [`normalize_email`]).
pub fn attested_email_hash(partner: &str, email: &str) -> Result<String> {
    let email = normalize_email(email)?;
    let mut hasher = Sha256::new();
    hasher.update(EMAIL_HASH_DOMAIN.as_bytes());
    hasher.update(b"\n");
    hasher.update(partner.as_bytes());
    hasher.update(b"\n");
    hasher.update(email.as_bytes());
    Ok(lower_hex(&hasher.finalize()))
}

/// Checks that `email` is the address `partner` attested with `expected`
/// (an `eh` claim): fulfilment mails only an address the partner vouched for.
///
/// # Errors
/// `EMAIL_MISMATCH` when the hashes differ; `EMAIL_INVALID` when `email` is
/// not one plain address.
pub fn check_attested_email(partner: &str, email: &str, expected: &str) -> Result<()> {
    if attested_email_hash(partner, email)? != expected {
        return Err(Error::new(
            ErrorCode::EmailMismatch,
            "the email is not the one the partner attested for this order",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests;

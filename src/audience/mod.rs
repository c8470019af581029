//! Audiences: advertiser lists and licensed cohorts shipped as binary fuse
//! filters, so a bundle can say "only these shoppers" or "not these shoppers"
//! without carrying a single raw identifier.
//!
//! # From identifier to filter key
//! ```text
//! raw identifier ──normalize──▶ "jane@example.com"            (emails: trimmed, lower-cased;
//!                                                              phones: digits only)
//!                ──SHA-256, lowercase hex──▶ "8f3a…" (64 chars) = what `emailsha256` carries
//!                ──SHA-256(salt ‖ hex), first 8 bytes, big-endian──▶ u64 filter key
//! ```
//! Filters are built over the *hashed* identifier, so a page that only sends
//! `emailsha256` (two-step PII: the plaintext email is asked for later, if at
//! all) is matched exactly like one that sends `email`. The per-audience salt
//! makes the same shopper's key differ between audiences, so filters cannot be
//! joined against each other or against a precomputed table of email hashes.
//!
//! At decision time the engine builds one [`IdentifierHash`] from the context,
//! then one key per audience ([`audience_key`], one SHA-256 each; salts
//! differ), and asks each filter [`AudienceFilter::contains_hashed_key`]: a few
//! memory reads, no allocation.
//!
//! Note: [`normalize_identifier`] is deliberately small; the context module
//! owns the general attribute normalizer and the two are to be unified.

mod filter;
mod wire;

pub use filter::{AudienceFilter, FilterWidth, AUDIENCE_FILTER_VERSION};

use crate::bundle::IdentifierKind;
use crate::context::{normalize, sha256_hex, Field};
use sha2::{Digest, Sha256};
use std::fmt;

/// Normalizes a raw identifier the way audiences are built: the context's
/// own [`normalize`] (emails trimmed and lower-cased, phones reduced to their
/// digits), so list members hash exactly as pages hash shoppers. `None` when
/// nothing usable is left (an email must contain `@`).
pub fn normalize_identifier(kind: IdentifierKind, raw: &str) -> Option<String> {
    let normalized = normalize(Field::from(kind), raw);
    let usable = match kind {
        IdentifierKind::Email => normalized.contains('@'),
        IdentifierKind::Phone => !normalized.is_empty(),
    };
    usable.then_some(normalized)
}

/// The lowercase hex SHA-256 of a normalized identifier: the value a page
/// sends as `emailsha256`, and the input of [`audience_key`].
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct IdentifierHash([u8; 64]);

impl IdentifierHash {
    /// Normalizes `raw` ([`normalize_identifier`]) and hashes it.
    pub fn of_raw(kind: IdentifierKind, raw: &str) -> Option<Self> {
        normalize_identifier(kind, raw).map(|n| Self::of_normalized(&n))
    }

    /// Hashes an identifier that is already normalized.
    pub fn of_normalized(normalized: &str) -> Self {
        let mut hex = [0u8; 64];
        hex.copy_from_slice(sha256_hex(normalized.as_bytes()).as_bytes());
        Self(hex)
    }

    /// Accepts a hash sent by a page: 64 hex digits, either case (leading and
    /// trailing whitespace ignored). `None` for anything else.
    pub fn from_hex(hex: &str) -> Option<Self> {
        let hex = hex.trim().as_bytes();
        let mut out = [0u8; 64];
        if hex.len() != out.len() {
            return None;
        }
        for (o, &c) in out.iter_mut().zip(hex) {
            if !c.is_ascii_hexdigit() {
                return None;
            }
            *o = c.to_ascii_lowercase();
        }
        Some(Self(out))
    }

    /// The 64 lowercase hex digits.
    pub fn as_str(&self) -> &str {
        // Only ASCII hex digits are ever stored.
        let text = std::str::from_utf8(&self.0);
        debug_assert!(text.is_ok(), "an identifier hash holds hex digits only");
        text.unwrap_or_default()
    }
}

impl fmt::Debug for IdentifierHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "IdentifierHash({})", self.as_str())
    }
}

/// The filter key of a shopper in the audience salted with `salt`: the first
/// 8 bytes, big-endian, of SHA-256(`salt` ‖ the 64 hex digits). The hex has a
/// fixed length, so the concatenation is unambiguous.
pub fn audience_key(salt: &str, identifier: &IdentifierHash) -> u64 {
    Sha256::new()
        .chain_update(salt.as_bytes())
        .chain_update(identifier.0)
        .finalize()
        .iter()
        .take(8)
        .fold(0u64, |acc, &b| (acc << 8) | u64::from(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_and_phones_normalize_as_documented() {
        let email = |s| normalize_identifier(IdentifierKind::Email, s);
        assert_eq!(
            email("  Jane.Doe@Example.COM \n").as_deref(),
            Some("jane.doe@example.com")
        );
        assert_eq!(email("   "), None);
        assert_eq!(email("not-an-email"), None);
        let phone = |s| normalize_identifier(IdentifierKind::Phone, s);
        assert_eq!(phone("+1 (555) 010-9999").as_deref(), Some("15550109999"));
        assert_eq!(phone("n/a"), None);
    }

    #[test]
    fn identifier_hash_is_sha256_hex_of_the_normalized_value() {
        // `printf jane@example.com | sha256sum`
        let expected = "8c87b489ce35cf2e2f39f80e282cb2e804932a56a213983eeeb428407d43b52d";
        let h = IdentifierHash::of_raw(IdentifierKind::Email, " JANE@example.com").unwrap();
        assert_eq!(h.as_str(), expected);
        let upper = h.as_str().to_ascii_uppercase();
        assert_eq!(IdentifierHash::from_hex(&upper), Some(h));
        assert_eq!(IdentifierHash::from_hex("abc"), None);
        assert_eq!(IdentifierHash::from_hex(&"g".repeat(64)), None);
    }
}

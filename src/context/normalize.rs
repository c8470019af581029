//! The one normalization of checkout attributes, and identifier hashing.
//!
//! The browser snippet calls these same functions through WebAssembly before
//! it sends a hashed email, and the audience builder calls them before it
//! hashes list members: one implementation means a shopper's identifier
//! hashes identically wherever it is computed.
//!
//! | attribute | normalization |
//! |---|---|
//! | every text attribute | leading/trailing Unicode whitespace trimmed |
//! | `email` | lower-cased (Unicode) |
//! | `emailsha256` | lower-cased (hex digits) |
//! | `phone`, `ccbin` | ASCII digits only (`+1 (555) 010-0199` → `15550100199`) |
//! | `state`, `country`, `currency`, `zipcode` | upper-cased (ASCII letters only) |
//! | `customertype`, `device`, `gender`, `paymenttype`, `loyaltytier` | lower-cased |
//! | others (names, city, language, dob, …) | trimmed only |
//!
//! Codes are upper-cased with ASCII rules: state, country and currency codes and
//! postal codes are ASCII by definition, and full Unicode case mapping costs
//! 7.5 KB gzip of the WASM build (measured) for no code that needs it.
//!
//! Phones keep digits only (no `+`): the bundle's audience model keys phones
//! by their digits, so `+1 555…` and `1 555…` must hash the same.

use super::field::Field;
use sha2::{Digest, Sha256};

/// Normalizes `value` as attribute `field` expects (see the module table).
/// A value that is empty after normalization means "absent" to the engine.
///
/// ```
/// use offer_edge::context::{normalize, Field};
/// assert_eq!(normalize(Field::Email, "  Ada@Example.COM "), "ada@example.com");
/// assert_eq!(normalize(Field::State, " ca"), "CA");
/// assert_eq!(normalize(Field::Phone, "+1 (555) 010-0199"), "15550100199");
/// ```
pub fn normalize(field: Field, value: &str) -> String {
    let trimmed = value.trim();
    match field {
        Field::Email | Field::EmailSha256 => trimmed.to_lowercase(),
        Field::Phone | Field::CcBin => trimmed.chars().filter(char::is_ascii_digit).collect(),
        Field::State | Field::Country | Field::Currency | Field::ZipCode => {
            trimmed.to_ascii_uppercase()
        }
        Field::CustomerType
        | Field::Device
        | Field::Gender
        | Field::PaymentType
        | Field::LoyaltyTier => trimmed.to_lowercase(),
        Field::FirstName
        | Field::LastName
        | Field::City
        | Field::Amount
        | Field::Quantity
        | Field::ConfirmationRef
        | Field::Language
        | Field::Age
        | Field::Dob
        | Field::Placement => trimmed.to_owned(),
    }
}

/// Whether `value` is already what [`normalize`] makes of it (and not
/// empty), checked without allocating; conservative: a non-ASCII value of
/// a lower-cased attribute always counts as not yet normalized.
pub(crate) fn is_normalized(field: Field, value: &str) -> bool {
    if value.is_empty() || value.trim().len() != value.len() {
        return false;
    }
    match field {
        Field::Email
        | Field::EmailSha256
        | Field::CustomerType
        | Field::Device
        | Field::Gender
        | Field::PaymentType
        | Field::LoyaltyTier => value
            .bytes()
            .all(|b| b.is_ascii() && !b.is_ascii_uppercase()),
        Field::Phone | Field::CcBin => value.bytes().all(|b| b.is_ascii_digit()),
        Field::State | Field::Country | Field::Currency | Field::ZipCode => {
            !value.bytes().any(|b| b.is_ascii_lowercase())
        }
        Field::FirstName
        | Field::LastName
        | Field::City
        | Field::Amount
        | Field::Quantity
        | Field::ConfirmationRef
        | Field::Language
        | Field::Age
        | Field::Dob
        | Field::Placement => true,
    }
}

/// Lower-case hex SHA-256 of the normalized `value`: how identifiers
/// (emails, phones) are hashed before they leave the page or meet a list.
///
/// ```
/// use offer_edge::context::{hash_identifier, Field};
/// assert_eq!(
///     hash_identifier(Field::Email, " Ada@Example.com"),
///     hash_identifier(Field::Email, "ada@example.com"),
/// );
/// ```
pub fn hash_identifier(field: Field, value: &str) -> String {
    sha256_hex(normalize(field, value).as_bytes())
}

/// Lower-case hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    lower_hex(&Sha256::digest(bytes))
}

/// Lower-case hex of `bytes` (digests, ids): the one encoder the crate uses.
pub fn lower_hex(bytes: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        out.push(char::from(HEX[usize::from(b >> 4)]));
        out.push(char::from(HEX[usize::from(b & 0x0f)]));
    }
    out
}

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
    match Normal::of(field) {
        Normal::Lower => trimmed.to_lowercase(),
        Normal::Digits => trimmed.chars().filter(char::is_ascii_digit).collect(),
        Normal::Upper => trimmed.to_ascii_uppercase(),
        Normal::Trimmed => trimmed.to_owned(),
    }
}

/// Whether `value` is already what [`normalize`] makes of it (and not
/// empty), checked without allocating; conservative: a non-ASCII value of
/// a lower-cased attribute always counts as not yet normalized.
pub(crate) fn is_normalized(field: Field, value: &str) -> bool {
    if value.is_empty() || value.trim().len() != value.len() {
        return false;
    }
    match Normal::of(field) {
        Normal::Lower => value
            .bytes()
            .all(|b| b.is_ascii() && !b.is_ascii_uppercase()),
        Normal::Digits => value.bytes().all(|b| b.is_ascii_digit()),
        Normal::Upper => !value.bytes().any(|b| b.is_ascii_lowercase()),
        Normal::Trimmed => true,
    }
}

/// What normalizing an attribute does besides trimming (the module table),
/// in one place for [`normalize`] and [`is_normalized`].
enum Normal {
    /// Lower-cased (Unicode).
    Lower,
    /// ASCII digits only.
    Digits,
    /// Upper-cased (ASCII letters only).
    Upper,
    /// Trimmed only.
    Trimmed,
}

impl Normal {
    fn of(field: Field) -> Normal {
        match field {
            Field::Email
            | Field::EmailSha256
            | Field::CustomerType
            | Field::Device
            | Field::Gender
            | Field::PaymentType
            | Field::LoyaltyTier => Normal::Lower,
            Field::Phone | Field::CcBin => Normal::Digits,
            Field::State | Field::Country | Field::Currency | Field::ZipCode => Normal::Upper,
            Field::FirstName
            | Field::LastName
            | Field::City
            | Field::Amount
            | Field::Quantity
            | Field::ConfirmationRef
            | Field::Language
            | Field::Age
            | Field::Dob
            | Field::Placement
            | Field::AmountFormatted => Normal::Trimmed,
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    /// `is_normalized` says yes only of values `normalize` keeps as they
    /// are, and, for ASCII, of all of them: the engine may then skip
    /// normalizing without changing what any rule or audience sees.
    #[test]
    fn is_normalized_agrees_with_normalize() {
        let values = [
            "",
            " ",
            "CA",
            "ca",
            " CA",
            "Ca",
            "94107",
            "9410 7",
            "+1 (555) 010-0199",
            "15550100199",
            "ada@example.com",
            "Ada@Example.com",
            "visa",
            "VISA",
            "Ada",
            "ada ",
            "\u{a0}x",
            "émile@example.com",
            "ÉMILE",
            "1990-04-30",
            "abc123",
            "ABC123",
        ];
        for field in Field::ALL {
            for v in values {
                let kept = !v.is_empty() && normalize(field, v) == v;
                let said = is_normalized(field, v);
                assert!(!said || kept, "{field} {v:?}: said normalized, is not");
                if v.is_ascii() {
                    assert_eq!(said, kept, "{field} {v:?}");
                }
            }
        }
    }
}

//! Two-step PII: the shopper's email, asked for only after they accept an
//! offer that needs a confirmation email, is sealed at once with HPKE
//! (RFC 9180) to the partner's fulfilment key. Only the partner's fulfilment
//! service, holding the private key, can read it.
//!
//! Binding (why a sealed request cannot be moved):
//! - `info` = domain ‖ partner ‖ kid (each length-prefixed): a request sealed
//!   for partner A does not open as partner B's, nor under another key id,
//!   even if the same key pair were reused.
//! - AAD = offer id ‖ decision id: a request cannot be re-attached to another
//!   offer or decision.
//!
//! The email is trimmed and lower-cased before sealing, then padded to a fixed
//! size so the ciphertext length does not reveal the address length.

mod keys;
mod suite;

#[cfg(test)]
mod kat_tests;

pub use keys::{
    decode_public_key, fulfilment_key_files, generate_fulfilment_keypair, FulfilmentPrivateKey,
    FULFILMENT_KEY_KIND,
};

use crate::bundle::FulfilmentKey;
use crate::error::{Error, ErrorCode, Result};
use crate::limits::{MAX_EMAIL_LEN, MAX_ID_LEN};
use crate::receipt::{Receipt, DECISION_ID_HEX_LEN};
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use chacha20::rand_core::SeedableRng;
use chacha20::ChaCha20Rng;
use serde::{Deserialize, Serialize};

/// Domain-separation prefix of the HPKE `info` string. Bump on any format change.
pub const FULFILMENT_INFO_DOMAIN: &str = "offer-edge/fulfilment/v1";

/// Plaintext size before the tag: one length byte and the email, zero-padded.
const PADDED_LEN: usize = 256;
/// Sealed ciphertext size (padded plaintext plus the AEAD tag).
const CIPHERTEXT_LEN: usize = PADDED_LEN + suite::TAG_LEN;

/// An email sealed to the partner's fulfilment key, safe to put in an event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FulfilmentRequest {
    /// The partner it is sealed for (bound into HPKE `info`).
    pub partner: String,
    /// Key id of the partner's fulfilment key (bound into HPKE `info`).
    pub kid: String,
    /// The accepted offer (bound into the AAD).
    pub offer_id: String,
    /// The decision it came from (bound into the AAD).
    pub decision_id: String,
    /// Base64 (standard) of the 32-byte HPKE encapsulated key.
    pub enc: String,
    /// Base64 (standard) of the ChaCha20-Poly1305 ciphertext and tag.
    pub ciphertext: String,
}

/// What the fulfilment side learns from a request it opened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OpenedFulfilment {
    /// The shopper's email, normalised (trimmed, lower-case).
    pub email: String,
    /// The accepted offer.
    pub offer_id: String,
    /// The decision it came from.
    pub decision_id: String,
}

fn put_field(out: &mut Vec<u8>, bytes: &[u8]) {
    let len = u32::try_from(bytes.len()).unwrap_or(u32::MAX);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(bytes);
}

fn info_for(partner: &str, kid: &str) -> Vec<u8> {
    let mut info = Vec::with_capacity(64 + partner.len() + kid.len());
    put_field(&mut info, FULFILMENT_INFO_DOMAIN.as_bytes());
    put_field(&mut info, partner.as_bytes());
    put_field(&mut info, kid.as_bytes());
    info
}

fn aad_for(offer_id: &str, decision_id: &str) -> Vec<u8> {
    let mut aad = Vec::with_capacity(16 + offer_id.len() + decision_id.len());
    put_field(&mut aad, offer_id.as_bytes());
    put_field(&mut aad, decision_id.as_bytes());
    aad
}

fn email_invalid(message: impl Into<String>) -> Error {
    Error::new(ErrorCode::EmailInvalid, message)
}

/// Longest local part (before the `@`), RFC 5321 §4.5.3.1.1.
const MAX_LOCAL_PART_LEN: usize = 64;

/// RFC 5322 `atext` (lower-case, since the address is lower-cased first) or a
/// non-ASCII letter (RFC 6531 lets UTF-8 into atext; we accept letters only,
/// so no invisible, combining or look-alike punctuation gets through).
fn is_local_char(c: char) -> bool {
    matches!(c, 'a'..='z' | '0'..='9')
        || "!#$%&'*+/=?^_`{|}~-".contains(c)
        || (!c.is_ascii() && c.is_alphabetic())
}

/// A domain label character: LDH (lower-case) or a non-ASCII letter (IDN).
fn is_label_char(c: char) -> bool {
    matches!(c, 'a'..='z' | '0'..='9' | '-') || (!c.is_ascii() && c.is_alphabetic())
}

/// Trims and lower-cases an email and checks that it is exactly one RFC 5322
/// `addr-spec` in dot-atom form (no quoted strings, comments, IP literals or
/// display names), at most [`MAX_EMAIL_LEN`] bytes:
///
/// - local part: 1..=64 bytes of RFC 5322 atext (`a-z`, `0-9` and
///   ``!#$%&'*+/=?^_`{|}~-``) or non-ASCII letters (RFC 6531), with dots
///   only between them (not leading, trailing or doubled);
/// - exactly one `@`;
/// - domain: at least two dot-separated labels of `a-z`, `0-9`, `-` or
///   non-ASCII letters (IDN), none empty or starting/ending with `-`.
///
/// Why this strict: the address ends up in a mail header (`To:`) and is
/// hashed for partner attestation. Anything a mail system could read as
/// *more* than one mailbox or as extra header text (`a@x,b@y`, `<…>`,
/// quotes, comments, CR/LF) is refused, and one address has exactly one
/// normal form, so hashes computed by a partner and by us agree.
///
/// The same normalisation as audience lookups (trim, lower-case), so hosts
/// can reuse it.
///
/// # Errors
/// `EMAIL_INVALID` describing the first problem.
pub fn normalize_email(email: &str) -> Result<String> {
    let email = email.trim().to_lowercase();
    if email.is_empty() {
        return Err(email_invalid("email is empty"));
    }
    if email.len() > MAX_EMAIL_LEN {
        return Err(email_invalid("email is longer than 254 bytes"));
    }
    if email.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(email_invalid(
            "email contains whitespace or control characters",
        ));
    }
    let (local, domain) = email
        .split_once('@')
        .ok_or_else(|| email_invalid("email has no '@'"))?;
    if domain.contains('@') {
        return Err(email_invalid("email has more than one '@'"));
    }
    check_local_part(local)?;
    check_domain(domain)?;
    Ok(email)
}

fn check_local_part(local: &str) -> Result<()> {
    if local.is_empty() || local.len() > MAX_LOCAL_PART_LEN {
        return Err(email_invalid(format!(
            "the part before '@' must be 1..={MAX_LOCAL_PART_LEN} bytes"
        )));
    }
    for atom in local.split('.') {
        if atom.is_empty() {
            return Err(email_invalid(
                "dots before '@' must not lead, trail or repeat",
            ));
        }
        if let Some(c) = atom.chars().find(|&c| !is_local_char(c)) {
            return Err(email_invalid(format!(
                "character {c:?} is not allowed before '@'"
            )));
        }
    }
    Ok(())
}

fn check_domain(domain: &str) -> Result<()> {
    let mut labels = 0usize;
    for label in domain.split('.') {
        labels += 1;
        if label.is_empty() {
            return Err(email_invalid("the domain has an empty label"));
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Err(email_invalid(
                "a domain label must not start or end with '-'",
            ));
        }
        if let Some(c) = label.chars().find(|&c| !is_label_char(c)) {
            return Err(email_invalid(format!(
                "character {c:?} is not allowed in the domain"
            )));
        }
    }
    if labels < 2 {
        return Err(email_invalid(
            "the domain needs at least two labels (example.com)",
        ));
    }
    Ok(())
}

fn check_id(name: &str, value: &str) -> Result<()> {
    if value.is_empty() || value.len() > MAX_ID_LEN {
        return Err(Error::new(
            ErrorCode::SealFailed,
            format!("{name} must be 1..={MAX_ID_LEN} bytes"),
        ));
    }
    Ok(())
}

impl FulfilmentRequest {
    /// Checks sizes and encodings without opening: ids within limits, a
    /// 32-hex-digit decision id, a 32-byte `enc` and a ciphertext of the one
    /// size this format produces. Lets a collector refuse junk cheaply.
    ///
    /// # Errors
    /// `SEAL_FAILED` naming the first bad field.
    pub fn validate(&self) -> Result<()> {
        self.decoded().map(|_| ())
    }

    fn decoded(&self) -> Result<(Vec<u8>, Vec<u8>)> {
        check_id("partner", &self.partner)?;
        check_id("kid", &self.kid)?;
        check_id("offerId", &self.offer_id)?;
        let hex_ok = self.decision_id.len() == DECISION_ID_HEX_LEN
            && self
                .decision_id
                .bytes()
                .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
        if !hex_ok {
            return Err(Error::new(
                ErrorCode::SealFailed,
                "decisionId must be 32 lower-case hex digits",
            ));
        }
        let enc = STANDARD
            .decode(&self.enc)
            .ok()
            .filter(|e| e.len() == suite::KEY_LEN)
            .ok_or_else(|| Error::new(ErrorCode::SealFailed, "enc must be 32 bytes of base64"))?;
        // Bound the text before decoding so a huge field costs nothing.
        let ciphertext = (self.ciphertext.len() <= 2 * CIPHERTEXT_LEN)
            .then(|| STANDARD.decode(&self.ciphertext).ok())
            .flatten()
            .filter(|c| c.len() == CIPHERTEXT_LEN)
            .ok_or_else(|| {
                Error::new(
                    ErrorCode::SealFailed,
                    format!("ciphertext must be {CIPHERTEXT_LEN} bytes of base64"),
                )
            })?;
        Ok((enc, ciphertext))
    }
}

/// Seals `email` for the partner of `receipt` (the decision whose offer the
/// shopper accepted) to the bundle's fulfilment `key`. `entropy` (32 bytes
/// from the host's CSPRNG, fresh per call) seeds the ephemeral key.
///
/// Partner, offer and decision id come from the receipt so they cannot
/// disagree with it.
///
/// # Errors
/// `EMAIL_INVALID` for an unusable address (see [`normalize_email`]);
/// `KEY_INVALID` when the bundle's public key is not 32 bytes of base64;
/// `SEAL_FAILED` for over-long ids or a key HPKE refuses.
pub fn seal_for_fulfilment(
    key: &FulfilmentKey,
    receipt: &Receipt,
    email: &str,
    entropy: &[u8; 32],
) -> Result<FulfilmentRequest> {
    let email = normalize_email(email)?;
    let public_key = decode_public_key(key)?;
    check_id("partner", &receipt.partner)?;
    check_id("kid", &key.kid)?;
    check_id("offerId", &receipt.offer_id)?;
    check_id("decisionId", &receipt.decision_id)?;

    // normalize_email bounds the length to 254, so it fits one byte and the
    // padded block.
    let len = u8::try_from(email.len()).map_err(|_| email_invalid("email too long"))?;
    let mut padded = Vec::with_capacity(PADDED_LEN);
    padded.push(len);
    padded.extend_from_slice(email.as_bytes());
    padded.resize(PADDED_LEN, 0);

    let mut rng = ChaCha20Rng::from_seed(*entropy);
    let (enc, ciphertext) = suite::seal_base(
        &public_key,
        &info_for(&receipt.partner, &key.kid),
        &aad_for(&receipt.offer_id, &receipt.decision_id),
        &padded,
        &mut rng,
    )?;
    Ok(FulfilmentRequest {
        partner: receipt.partner.clone(),
        kid: key.kid.clone(),
        offer_id: receipt.offer_id.clone(),
        decision_id: receipt.decision_id.clone(),
        enc: STANDARD.encode(enc),
        ciphertext: STANDARD.encode(ciphertext),
    })
}

/// Opens a request with the partner's fulfilment private key. `kid` and
/// `partner` are what the fulfilment service *expects* (its own key id and
/// partner id), never taken from the request: a request naming another
/// partner or key is refused, and one whose fields were rewritten to match
/// does not authenticate.
///
/// # Errors
/// `SEAL_FAILED` when the request is malformed, names another partner or
/// key id, or does not authenticate (wrong key, tampered `enc`/ciphertext,
/// moved to another offer or decision); `KEY_INVALID` for a bad private key.
pub fn open_fulfilment(
    private_key: &[u8; 32],
    kid: &str,
    partner: &str,
    request: &FulfilmentRequest,
) -> Result<OpenedFulfilment> {
    let (enc, ciphertext) = request.decoded()?;
    if request.partner != partner {
        return Err(Error::new(
            ErrorCode::SealFailed,
            "request is sealed for another partner",
        ));
    }
    if request.kid != kid {
        return Err(Error::new(
            ErrorCode::SealFailed,
            format!("request is sealed to key {:?}, not {kid:?}", request.kid),
        ));
    }
    let padded = suite::open_base(
        private_key,
        &enc,
        &info_for(partner, kid),
        &aad_for(&request.offer_id, &request.decision_id),
        &ciphertext,
    )?;
    let malformed = || Error::new(ErrorCode::SealFailed, "sealed plaintext is malformed");
    let (&len, rest) = padded.split_first().ok_or_else(malformed)?;
    let (email, padding) = rest
        .split_at_checked(usize::from(len))
        .ok_or_else(malformed)?;
    if padding.iter().any(|&b| b != 0) {
        return Err(malformed());
    }
    let email = std::str::from_utf8(email).map_err(|_| malformed())?;
    // Only normalised addresses are ever sealed; anything else is not ours.
    if normalize_email(email).ok().as_deref() != Some(email) {
        return Err(malformed());
    }
    Ok(OpenedFulfilment {
        email: email.to_owned(),
        offer_id: request.offer_id.clone(),
        decision_id: request.decision_id.clone(),
    })
}

//! Edge receipts: proof that the engine really showed offer X to this partner
//! for decision D under bundle B, valid until an expiry.
//!
//! A receipt is signed with HMAC-SHA256 under a key only the edge (worker)
//! holds, so the collector can reject forged, altered, expired or replayed
//! engagement. The MAC covers a canonical, length-prefixed byte encoding of
//! the fields (domain separated by [`RECEIPT_DOMAIN`]), never JSON text: two
//! JSON spellings of the same receipt verify alike, and no field can bleed
//! into its neighbour (`"ab"+"c"` ≠ `"a"+"bc"`).
//!
//! Compact form: `base64url(JSON receipt) "." base64url(mac)`, both without
//! padding, small enough for an event or a header.
//!
//! Keys per partner: the edge keeps one master secret and signs each
//! partner's receipts under [`derive_receipt_key`]`(master, partner, kid)`,
//! naming the `kid` in the receipt (and in the MAC). A partner's collector
//! gets only its own derived key, so it can verify its receipts but never
//! mint another partner's; rotating means a new `kid`, not a new master.

use crate::context::lower_hex;
use crate::error::{Error, ErrorCode, Result};
use crate::limits::{MAX_ID_LEN, MAX_RECEIPT_BYTES, MIN_RECEIPT_KEY_BYTES};
use crate::time::Timestamp;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use hkdf::Hkdf;
use hmac::{Hmac, KeyInit, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use std::fmt;
use std::str::FromStr;

/// Domain-separation tag, the first thing the MAC covers. Bump the version
/// when the encoding changes so old tags can never verify under new rules.
/// v2 added `kid` to the signed bytes.
pub const RECEIPT_DOMAIN: &str = "offer-edge/receipt/v2";

/// Salt of [`derive_receipt_key`] (HKDF-SHA256 extract). Bump on any change.
pub const RECEIPT_KEY_SALT: &[u8] = b"offer-edge/receipt-key/v1";

/// Longest receipt key id.
pub const MAX_RECEIPT_KID_LEN: usize = 64;

/// Length of a decision id: 16 bytes as lower-case hex.
pub const DECISION_ID_HEX_LEN: usize = 32;
/// Length of a bundle hash: SHA-256 as lower-case hex.
pub const BUNDLE_SHA256_HEX_LEN: usize = 64;
/// Length of an HMAC-SHA256 tag in bytes.
const MAC_LEN: usize = 32;

type HmacSha256 = Hmac<Sha256>;

/// What the engine decided, as far as engagement reporting needs to know.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Receipt {
    /// 16 bytes of host entropy as 32 lower-case hex digits.
    pub decision_id: String,
    /// The partner whose bundle made the decision.
    pub partner: String,
    /// The placement the offer was shown in.
    pub placement: String,
    /// The offer shown.
    pub offer_id: String,
    /// The creative shown.
    pub creative_id: String,
    /// SHA-256 (lower-case hex) of the signed bundle payload.
    pub bundle_sha256: String,
    /// When the decision was made.
    pub issued_at: Timestamp,
    /// Engagement reported at or after this instant is refused as expired.
    pub expires_at: Timestamp,
    /// Key id of the partner receipt key that signed it (see
    /// [`derive_receipt_key`]); `None` for the page's plain receipts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kid: Option<String>,
}

/// A [`Receipt`] with its HMAC-SHA256 tag (base64url, no padding).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SignedReceipt {
    /// The signed fields.
    pub receipt: Receipt,
    /// base64url (no padding) of the 32-byte HMAC-SHA256 tag.
    pub mac: String,
}

fn is_lower_hex(text: &str, len: usize) -> bool {
    text.len() == len && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

fn invalid(message: impl Into<String>) -> Error {
    Error::new(ErrorCode::ReceiptInvalid, message)
}

/// Appends `bytes` with a 4-byte big-endian length prefix.
fn put_field(out: &mut Vec<u8>, bytes: &[u8]) {
    // Fields are bounded by MAX_ID_LEN long before u32 overflows.
    let len = u32::try_from(bytes.len()).unwrap_or(u32::MAX);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(bytes);
}

fn mac_for(key: &[u8], message: &[u8]) -> Result<HmacSha256> {
    if key.len() < MIN_RECEIPT_KEY_BYTES {
        return Err(Error::new(
            ErrorCode::KeyInvalid,
            format!("receipt key must be at least {MIN_RECEIPT_KEY_BYTES} bytes"),
        ));
    }
    let mut mac = <HmacSha256 as KeyInit>::new_from_slice(key)
        .map_err(|_| Error::new(ErrorCode::KeyInvalid, "receipt key rejected by HMAC"))?;
    mac.update(message);
    Ok(mac)
}

impl Receipt {
    /// The decision id for 16 bytes of host entropy (lower-case hex).
    pub fn decision_id_from_entropy(entropy: &[u8; 16]) -> String {
        lower_hex(entropy)
    }

    /// Checks the shape of every field: hex ids of the right length, ids
    /// non-empty and within [`MAX_ID_LEN`], a `kid` (when present) of
    /// 1..=[`MAX_RECEIPT_KID_LEN`] bytes, `issuedAt` ≤ `expiresAt`.
    ///
    /// # Errors
    /// `RECEIPT_INVALID` naming the first bad field.
    pub fn validate(&self) -> Result<()> {
        if !is_lower_hex(&self.decision_id, DECISION_ID_HEX_LEN) {
            return Err(invalid("decisionId must be 32 lower-case hex digits"));
        }
        if !is_lower_hex(&self.bundle_sha256, BUNDLE_SHA256_HEX_LEN) {
            return Err(invalid("bundleSha256 must be 64 lower-case hex digits"));
        }
        for (name, value) in [
            ("partner", &self.partner),
            ("placement", &self.placement),
            ("offerId", &self.offer_id),
            ("creativeId", &self.creative_id),
        ] {
            if value.is_empty() || value.len() > MAX_ID_LEN {
                return Err(invalid(format!("{name} must be 1..={MAX_ID_LEN} bytes")));
            }
        }
        if let Some(kid) = &self.kid {
            if kid.is_empty() || kid.len() > MAX_RECEIPT_KID_LEN {
                return Err(invalid(format!(
                    "kid must be 1..={MAX_RECEIPT_KID_LEN} bytes"
                )));
            }
        }
        if self.issued_at > self.expires_at {
            return Err(invalid("issuedAt is after expiresAt"));
        }
        Ok(())
    }

    /// The exact bytes the MAC covers: the domain tag, then every field in a
    /// fixed order, strings length-prefixed (`kid` last of them, empty when
    /// absent: [`Receipt::validate`] refuses an empty `kid`, so the two never
    /// collide), instants as big-endian i64 ms.
    pub fn canonical_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(256);
        put_field(&mut out, RECEIPT_DOMAIN.as_bytes());
        for field in [
            &self.decision_id,
            &self.partner,
            &self.placement,
            &self.offer_id,
            &self.creative_id,
            &self.bundle_sha256,
        ] {
            put_field(&mut out, field.as_bytes());
        }
        put_field(&mut out, self.kid.as_deref().unwrap_or_default().as_bytes());
        out.extend_from_slice(&self.issued_at.as_millis().to_be_bytes());
        out.extend_from_slice(&self.expires_at.as_millis().to_be_bytes());
        out
    }

    /// Signs the receipt with HMAC-SHA256 under `key`.
    ///
    /// # Errors
    /// `KEY_INVALID` when `key` is shorter than [`MIN_RECEIPT_KEY_BYTES`] (a
    /// short or empty key would make every receipt forgeable);
    /// `RECEIPT_INVALID` when a field is malformed (see [`Receipt::validate`]).
    pub fn sign(&self, key: &[u8]) -> Result<SignedReceipt> {
        self.validate()?;
        let tag = mac_for(key, &self.canonical_bytes())?
            .finalize()
            .into_bytes();
        Ok(SignedReceipt {
            receipt: self.clone(),
            mac: URL_SAFE_NO_PAD.encode(tag),
        })
    }
}

impl SignedReceipt {
    /// The compact string form `base64url(JSON).base64url(mac)`.
    pub fn to_compact(&self) -> String {
        // Serializing plain strings and timestamps cannot fail.
        let json = serde_json::to_vec(&self.receipt);
        debug_assert!(json.is_ok(), "a receipt always serializes");
        let json = json.unwrap_or_default();
        format!("{}.{}", URL_SAFE_NO_PAD.encode(json), self.mac)
    }

    /// Parses the compact form without verifying it (use
    /// [`SignedReceipt::verify`] before trusting any field).
    ///
    /// # Errors
    /// `RECEIPT_INVALID` when the text is too long, not two base64url parts,
    /// or the payload is not a receipt.
    pub fn from_compact(text: &str) -> Result<Self> {
        if text.len() > MAX_RECEIPT_BYTES {
            return Err(invalid(format!(
                "receipt longer than {MAX_RECEIPT_BYTES} bytes"
            )));
        }
        let (payload, mac) = text
            .split_once('.')
            .ok_or_else(|| invalid("receipt is not payload.mac"))?;
        if mac.contains('.') {
            return Err(invalid("receipt has more than two parts"));
        }
        let json = URL_SAFE_NO_PAD
            .decode(payload)
            .map_err(|_| invalid("receipt payload is not base64url"))?;
        let receipt: Receipt = serde_json::from_slice(&json)
            .map_err(|e| invalid(format!("receipt payload is not a receipt: {e}")))?;
        Ok(Self {
            receipt,
            mac: mac.to_owned(),
        })
    }

    /// Verifies the MAC under `key` (constant-time), then that the receipt is
    /// for `expected_partner` and `expected_offer`, then that `now` is before
    /// `expiresAt`. Returns the trusted receipt.
    ///
    /// # Errors
    /// `KEY_INVALID` for a key shorter than [`MIN_RECEIPT_KEY_BYTES`];
    /// `RECEIPT_INVALID` when the tag does not verify (forged, altered, other
    /// key) or the receipt is for another partner or offer (replayed);
    /// `RECEIPT_EXPIRED` when it is genuine but `now >= expiresAt`.
    pub fn verify(
        &self,
        key: &[u8],
        now: Timestamp,
        expected_partner: &str,
        expected_offer: &str,
    ) -> Result<Receipt> {
        let tag = URL_SAFE_NO_PAD
            .decode(&self.mac)
            .map_err(|_| invalid("receipt mac is not base64url"))?;
        if tag.len() != MAC_LEN {
            return Err(invalid("receipt mac has the wrong length"));
        }
        mac_for(key, &self.receipt.canonical_bytes())?
            .verify_slice(&tag)
            .map_err(|_| invalid("receipt mac does not verify"))?;
        // Shape checks after the MAC: only our own signer produced these
        // fields, but a receipt signed by a buggy build must still not pass.
        self.receipt.validate()?;
        if self.receipt.partner != expected_partner {
            return Err(invalid("receipt is for another partner"));
        }
        if self.receipt.offer_id != expected_offer {
            return Err(invalid("receipt is for another offer"));
        }
        if now >= self.receipt.expires_at {
            return Err(Error::new(
                ErrorCode::ReceiptExpired,
                format!("receipt expired at {}", self.receipt.expires_at),
            ));
        }
        Ok(self.receipt.clone())
    }
}

/// The receipt key of one partner key id, derived from the edge's `master`
/// secret with HKDF-SHA256 (RFC 5869): salt [`RECEIPT_KEY_SALT`], IKM
/// `master`, info = `len‖partner ‖ len‖kid` (4-byte big-endian lengths).
///
/// Why derive: the edge holds one master secret, yet every partner (and
/// every rotation, by `kid`) gets its own key, so a key handed to one
/// partner's collector cannot sign or verify another partner's receipts,
/// and no per-partner secret needs storing.
///
/// # Errors
/// `KEY_INVALID` when `master` is shorter than [`MIN_RECEIPT_KEY_BYTES`],
/// `partner` is not 1..=[`MAX_ID_LEN`] bytes or `kid` is not
/// 1..=[`MAX_RECEIPT_KID_LEN`] bytes.
pub fn derive_receipt_key(master: &[u8], partner: &str, kid: &str) -> Result<[u8; 32]> {
    let key_invalid = |message: String| Error::new(ErrorCode::KeyInvalid, message);
    if master.len() < MIN_RECEIPT_KEY_BYTES {
        return Err(key_invalid(format!(
            "receipt master key must be at least {MIN_RECEIPT_KEY_BYTES} bytes"
        )));
    }
    if partner.is_empty() || partner.len() > MAX_ID_LEN {
        return Err(key_invalid(format!(
            "partner must be 1..={MAX_ID_LEN} bytes"
        )));
    }
    if kid.is_empty() || kid.len() > MAX_RECEIPT_KID_LEN {
        return Err(key_invalid(format!(
            "kid must be 1..={MAX_RECEIPT_KID_LEN} bytes"
        )));
    }
    let mut info = Vec::with_capacity(8 + partner.len() + kid.len());
    put_field(&mut info, partner.as_bytes());
    put_field(&mut info, kid.as_bytes());
    let mut key = [0u8; 32];
    Hkdf::<Sha256>::new(Some(RECEIPT_KEY_SALT), master)
        .expand(&info, &mut key)
        .map_err(|_| key_invalid("HKDF refused the output length".to_owned()))?;
    Ok(key)
}

/// Parses and verifies a compact receipt in one step (see
/// [`SignedReceipt::from_compact`] and [`SignedReceipt::verify`]).
///
/// # Errors
/// As [`SignedReceipt::from_compact`] and [`SignedReceipt::verify`].
pub fn verify_compact(
    text: &str,
    key: &[u8],
    now: Timestamp,
    expected_partner: &str,
    expected_offer: &str,
) -> Result<Receipt> {
    SignedReceipt::from_compact(text)?.verify(key, now, expected_partner, expected_offer)
}

impl fmt::Display for SignedReceipt {
    /// The compact form.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_compact())
    }
}

impl FromStr for SignedReceipt {
    type Err = Error;

    fn from_str(text: &str) -> Result<Self> {
        Self::from_compact(text)
    }
}

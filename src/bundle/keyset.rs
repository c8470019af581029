//! Key rotation: a signed keyset update replaces a partner's trusted keys.
//!
//! The update is a DSSE envelope with payload type [`KEYSET_PAYLOAD_TYPE`] and
//! payload `{"partner", "version", "threshold", "keys": {keyid: base64}}`. It
//! is accepted only when a threshold of the CURRENT keys signed it (the old
//! owners consent) AND the new threshold of the NEW keys signed it (the new
//! owners hold their private keys), for the same partner, with a version above
//! the current keyset version.
//!
//! Codes: a rotation lacking either set of signatures is `KEYSET_INVALID`
//! (whichever of `UNKNOWN_KEY`/`THRESHOLD_NOT_MET` caused it is in the
//! message); a signature from a known key that does not verify stays
//! `SIGNATURE_INVALID` (tampering); a version not above the current one,
//! equal included, is `VERSION_ROLLBACK` (replaying the current keyset is
//! refused, not a no-op, because after rotating its signers are no longer
//! the current keys).

use super::envelope::Envelope;
use super::trust::{decode_keys, Trust};
use super::validate::check_json_depth;
use crate::error::{Error, ErrorCode, Result};
use crate::limits::MAX_KEYSET_BYTES;
use ed25519_dalek::SigningKey;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// DSSE `payloadType` of a keyset update.
pub const KEYSET_PAYLOAD_TYPE: &str = "application/vnd.offer-edge.keyset+json";

/// The payload of a keyset update.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Keyset {
    /// The partner whose keys rotate.
    pub partner: String,
    /// Keyset version; must exceed the trust's current `keysetVersion`.
    pub version: u64,
    /// Distinct new keys that must sign future bundles (and this update).
    pub threshold: usize,
    /// keyid → standard base64 Ed25519 public key.
    pub keys: BTreeMap<String, String>,
}

impl Keyset {
    /// Serializes the keyset and signs it with every given key (current and
    /// new signers alike).
    ///
    /// # Errors
    /// `KEYSET_INVALID` if serialization fails.
    pub fn sign(&self, signers: &[(&str, &SigningKey)]) -> Result<Envelope> {
        let payload = serde_json::to_vec(self)
            .map_err(|e| Error::new(ErrorCode::KeysetInvalid, e.to_string()))?;
        Ok(Envelope::sign(KEYSET_PAYLOAD_TYPE, &payload, signers))
    }
}

fn refused(e: Error, whose: &str) -> Error {
    match e.code() {
        ErrorCode::SignatureInvalid => e,
        code => Error::new(
            ErrorCode::KeysetInvalid,
            format!(
                "not signed by a threshold of the {whose} keys ({code}: {})",
                e.message()
            ),
        ),
    }
}

/// A keyset update's envelope and decoded payload, nothing verified: the
/// size, envelope and payload-type checks every reading of one starts with.
fn unverified_update(envelope_bytes: &[u8]) -> Result<(Envelope, Vec<u8>)> {
    if envelope_bytes.len() > MAX_KEYSET_BYTES {
        return Err(Error::new(
            ErrorCode::BundleTooLarge,
            format!("keyset update larger than {MAX_KEYSET_BYTES} bytes"),
        ));
    }
    let envelope = Envelope::parse(envelope_bytes)?;
    if envelope.payload_type != KEYSET_PAYLOAD_TYPE {
        return Err(Error::new(
            ErrorCode::KeysetInvalid,
            format!(
                "payloadType {:?} is not {KEYSET_PAYLOAD_TYPE}",
                envelope.payload_type
            ),
        ));
    }
    let payload = envelope.payload_bytes()?;
    Ok((envelope, payload))
}

/// The version a keyset update claims, read WITHOUT verifying anything
/// (`None` when it is not one): only ever used to skip an update, never to
/// trust one (see [`super::BundleStore::rotate_keys`]).
pub fn claimed_keyset_version(envelope_bytes: &[u8]) -> Option<u64> {
    #[derive(Deserialize)]
    struct Claim {
        version: u64,
    }
    let (_, payload) = unverified_update(envelope_bytes).ok()?;
    check_json_depth(&payload).ok()?;
    serde_json::from_slice::<Claim>(&payload)
        .ok()
        .map(|c| c.version)
}

impl Trust {
    /// Applies a signed keyset update and returns the new trust config (same
    /// partner, size and age policy; new keys, threshold and keyset version).
    ///
    /// # Errors
    /// `BUNDLE_TOO_LARGE` above [`MAX_KEYSET_BYTES`]; `ENVELOPE_MALFORMED`;
    /// `KEYSET_INVALID` (wrong payload type, bad payload, bad threshold,
    /// missing current or new signatures); `SIGNATURE_INVALID`;
    /// `PARTNER_MISMATCH`; `VERSION_ROLLBACK`; `KEY_INVALID` for a bad new key.
    pub fn rotate(&self, envelope_bytes: &[u8]) -> Result<Trust> {
        let (envelope, payload) = unverified_update(envelope_bytes)?;
        envelope
            .verify_threshold(&payload, self.keys(), self.threshold())
            .map_err(|e| refused(e, "current"))?;
        check_json_depth(&payload)?;
        let keyset: Keyset = serde_json::from_slice(&payload)
            .map_err(|e| Error::new(ErrorCode::KeysetInvalid, format!("not a keyset: {e}")))?;
        if keyset.partner != self.partner() {
            return Err(Error::new(
                ErrorCode::PartnerMismatch,
                format!(
                    "keyset is for partner {:?}, trust is pinned to {:?}",
                    keyset.partner,
                    self.partner()
                ),
            ));
        }
        if keyset.version <= self.keyset_version() {
            return Err(Error::new(
                ErrorCode::VersionRollback,
                format!(
                    "keyset version {} is not above the current {}",
                    keyset.version,
                    self.keyset_version()
                ),
            ));
        }
        let keys = decode_keys(&keyset.keys, keyset.threshold, ErrorCode::KeysetInvalid)?;
        envelope
            .verify_threshold(&payload, &keys, keyset.threshold)
            .map_err(|e| refused(e, "new"))?;
        Ok(self.with_keys(keys, keyset.threshold, keyset.version))
    }
}

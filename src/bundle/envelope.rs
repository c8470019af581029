//! The DSSE v1 envelope that carries a signed payload.
//!
//! `{"payloadType", "payload" (standard base64 of the exact payload bytes),
//! "signatures": [{"keyid", "sig"}]}`. Signatures are Ed25519 over the DSSE
//! pre-authentication encoding (PAE) of the payload type and the *decoded*
//! payload bytes: we never re-serialize what we verify, so what was signed is
//! byte for byte what gets parsed. Verification uses `verify_strict`, which
//! refuses malleable (non-canonical S) signatures and small-order keys.

use crate::error::{Error, ErrorCode, Result};
use crate::limits::MAX_SIGNATURES;
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// A DSSE envelope as it travels (base64 fields still encoded).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Envelope {
    /// Media type of the payload, e.g. [`crate::bundle::BUNDLE_PAYLOAD_TYPE`].
    pub payload_type: String,
    /// Standard base64 of the exact payload bytes.
    pub payload: String,
    /// One entry per signer.
    pub signatures: Vec<EnvelopeSignature>,
}

/// One signature of an [`Envelope`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnvelopeSignature {
    /// Which key signed (looked up in the pinned trust config, never trusted blindly).
    pub keyid: String,
    /// Standard base64 of the 64-byte Ed25519 signature over the PAE.
    pub sig: String,
}

/// DSSE v1 pre-authentication encoding:
/// `"DSSEv1" SP LEN(type) SP type SP LEN(body) SP body`, lengths in ASCII decimal.
pub fn pae(payload_type: &str, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(payload.len() + payload_type.len() + 32);
    out.extend_from_slice(b"DSSEv1 ");
    out.extend_from_slice(payload_type.len().to_string().as_bytes());
    out.push(b' ');
    out.extend_from_slice(payload_type.as_bytes());
    out.push(b' ');
    out.extend_from_slice(payload.len().to_string().as_bytes());
    out.push(b' ');
    out.extend_from_slice(payload);
    out
}

impl Envelope {
    /// Signs `payload` (the exact bytes that will be verified and parsed) with
    /// every `(keyid, key)` pair, in order.
    pub fn sign(payload_type: &str, payload: &[u8], keys: &[(&str, &SigningKey)]) -> Self {
        let message = pae(payload_type, payload);
        let signatures = keys
            .iter()
            .map(|(keyid, key)| EnvelopeSignature {
                keyid: (*keyid).to_owned(),
                sig: B64.encode(key.sign(&message).to_bytes()),
            })
            .collect();
        Self {
            payload_type: payload_type.to_owned(),
            payload: B64.encode(payload),
            signatures,
        }
    }

    /// Parses an envelope from JSON bytes.
    ///
    /// # Errors
    /// `ENVELOPE_MALFORMED` when the bytes are not an envelope, or carry no
    /// signature or more than [`MAX_SIGNATURES`].
    pub fn parse(bytes: &[u8]) -> Result<Self> {
        let env: Self = serde_json::from_slice(bytes).map_err(|e| {
            Error::new(
                ErrorCode::EnvelopeMalformed,
                format!("not a DSSE envelope: {e}"),
            )
        })?;
        env.checked()
    }

    /// The envelope, if it carries between 1 and [`MAX_SIGNATURES`] signatures.
    ///
    /// # Errors
    /// `ENVELOPE_MALFORMED` otherwise.
    pub(crate) fn checked(self) -> Result<Self> {
        let env = self;
        if env.signatures.is_empty() {
            return Err(Error::new(
                ErrorCode::EnvelopeMalformed,
                "envelope carries no signature",
            ));
        }
        if env.signatures.len() > MAX_SIGNATURES {
            return Err(Error::new(
                ErrorCode::EnvelopeMalformed,
                format!(
                    "envelope carries {} signatures, at most {MAX_SIGNATURES} are considered",
                    env.signatures.len()
                ),
            ));
        }
        Ok(env)
    }

    /// The envelope as compact JSON (no trailing newline, so that every byte
    /// of a signed file is significant).
    ///
    /// # Errors
    /// Never in practice; `ENVELOPE_MALFORMED` if serialization failed.
    pub fn to_json(&self) -> Result<String> {
        serde_json::to_string(self)
            .map_err(|e| Error::new(ErrorCode::EnvelopeMalformed, e.to_string()))
    }

    /// Decodes the payload to its exact bytes.
    ///
    /// # Errors
    /// `ENVELOPE_MALFORMED` when `payload` is not canonical standard base64.
    pub fn payload_bytes(&self) -> Result<Vec<u8>> {
        B64.decode(&self.payload).map_err(|e| {
            Error::new(
                ErrorCode::EnvelopeMalformed,
                format!("payload is not base64: {e}"),
            )
        })
    }

    /// Checks that enough distinct trusted keys signed `payload` (the decoded
    /// payload of this envelope) and returns the keyids that verified, sorted.
    ///
    /// Signatures whose keyid is not in `keys` are skipped (another party may
    /// co-sign); a signature from a trusted key that does not verify fails the
    /// whole envelope, because it means the bytes were altered.
    ///
    /// The threshold counts distinct *public keys*, not keyids (TUF's rule): a
    /// trust config or keyset that lists one key under two keyids would
    /// otherwise let its holder alone meet a threshold of two.
    ///
    /// # Errors
    /// `SIGNATURE_INVALID` for a trusted key's bad (or badly encoded) signature,
    /// `UNKNOWN_KEY` when no trusted key signed, `THRESHOLD_NOT_MET` when fewer
    /// than `threshold` distinct trusted keys signed.
    pub fn verify_threshold(
        &self,
        payload: &[u8],
        keys: &BTreeMap<String, VerifyingKey>,
        threshold: usize,
    ) -> Result<Vec<String>> {
        let message = pae(&self.payload_type, payload);
        let mut signers = BTreeSet::new();
        // At most MAX_SIGNATURES entries: a scan, not a second B-tree type.
        let mut distinct_keys: Vec<[u8; 32]> = Vec::new();
        for entry in &self.signatures {
            let Some(key) = keys.get(&entry.keyid) else {
                continue;
            };
            verify_signature(key, &message, &entry.sig).map_err(|e| {
                Error::new(
                    e.code(),
                    format!("signature by key {:?}: {}", entry.keyid, e.message()),
                )
            })?;
            signers.insert(entry.keyid.clone());
            if !distinct_keys.contains(&key.to_bytes()) {
                distinct_keys.push(key.to_bytes());
            }
        }
        if signers.is_empty() {
            let ids: Vec<&str> = self.signatures.iter().map(|s| s.keyid.as_str()).collect();
            return Err(Error::new(
                ErrorCode::UnknownKey,
                format!("no signature from a trusted key (signed by {ids:?})"),
            ));
        }
        if distinct_keys.len() < threshold {
            return Err(Error::new(
                ErrorCode::ThresholdNotMet,
                format!(
                    "{} distinct trusted key(s) signed (keyids {:?}), {threshold} required",
                    distinct_keys.len(),
                    signers
                ),
            ));
        }
        Ok(signers.into_iter().collect())
    }
}

/// Verifies one base64 signature over an already-built PAE `message` with
/// strict Ed25519 semantics (canonical S, no small-order key or R).
///
/// # Errors
/// `SIGNATURE_INVALID` when the signature is not 64 bytes of base64 or does
/// not verify strictly.
pub fn verify_signature(key: &VerifyingKey, message: &[u8], sig_b64: &str) -> Result<()> {
    let bad = |why: &str| Error::new(ErrorCode::SignatureInvalid, why.to_owned());
    let raw = B64
        .decode(sig_b64)
        .map_err(|_| bad("signature is not base64"))?;
    let sig = Signature::from_slice(&raw).map_err(|_| bad("signature is not 64 bytes"))?;
    key.verify_strict(message, &sig)
        .map_err(|_| bad("signature does not verify"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pae_matches_the_dsse_spec_example() {
        // Example from the DSSE v1 protocol document.
        assert_eq!(
            pae("http://example.com/HelloWorld", b"hello world"),
            b"DSSEv1 29 http://example.com/HelloWorld 11 hello world".to_vec()
        );
        assert_eq!(pae("", b""), b"DSSEv1 0  0 ".to_vec());
    }

    #[test]
    fn signs_and_verifies_round_trip() {
        let key = SigningKey::from_bytes(&[7u8; 32]);
        let env = Envelope::sign("t", b"{}", &[("k", &key)]);
        let parsed = Envelope::parse(env.to_json().unwrap().as_bytes()).unwrap();
        let payload = parsed.payload_bytes().unwrap();
        let keys = BTreeMap::from([("k".to_owned(), key.verifying_key())]);
        assert_eq!(parsed.verify_threshold(&payload, &keys, 1).unwrap(), ["k"]);
        let wrong_type = Envelope {
            payload_type: "u".into(),
            ..parsed
        };
        let err = wrong_type.verify_threshold(&payload, &keys, 1).unwrap_err();
        assert_eq!(err.code(), ErrorCode::SignatureInvalid);
    }
}

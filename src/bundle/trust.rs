//! The pinned trust config: which keys may sign a partner's bundles.
//!
//! The host pins it (a file next to the CLI, a constant in the page, a worker
//! secret); it is never taken from a bundle. Only a signed keyset update
//! ([`Trust::rotate`], see [`super::keyset`]) may change its keys.

use crate::error::{Error, ErrorCode, Result};
use crate::limits::{MAX_BUNDLE_BYTES, MAX_BUNDLE_BYTES_CEILING, MAX_ID_LEN, MAX_TRUSTED_KEYS};
use crate::time::DurationMs;
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use ed25519_dalek::VerifyingKey;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The JSON form of a [`Trust`] (`trust.json`), before validation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TrustDoc {
    /// The partner whose bundles these keys sign.
    pub partner: String,
    /// keyid → standard base64 of the 32-byte Ed25519 public key.
    pub keys: BTreeMap<String, String>,
    /// Distinct trusted keys that must sign.
    pub threshold: usize,
    /// Largest signed envelope accepted (default [`MAX_BUNDLE_BYTES`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_bundle_bytes: Option<usize>,
    /// Refuse bundles issued longer ago than this (default: no limit).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_age_seconds: Option<u64>,
    /// Version of the keyset these keys came from (0 for the first pinned set).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keyset_version: Option<u64>,
    /// How long an engine may keep deciding on a loaded bundle after its
    /// `expiresAt` (default 0: not at all). Loading still refuses a bundle
    /// that has already expired.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decide_grace_seconds: Option<u64>,
}

/// A validated trust config.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trust {
    partner: String,
    keys: BTreeMap<String, VerifyingKey>,
    threshold: usize,
    max_bundle_bytes: usize,
    max_age: Option<DurationMs>,
    keyset_version: u64,
    decide_grace: DurationMs,
}

/// Decodes a base64 Ed25519 public key, refusing weak (small-order) keys:
/// a weak key lets anyone forge signatures under non-strict verification.
///
/// # Errors
/// `KEY_INVALID` for bad base64, a length other than 32, a non-point, or a weak key.
pub fn decode_public_key(keyid: &str, b64: &str) -> Result<VerifyingKey> {
    let bad = |why: &str| Error::new(ErrorCode::KeyInvalid, format!("key {keyid:?}: {why}"));
    let raw = B64.decode(b64).map_err(|_| bad("not base64"))?;
    let bytes: [u8; 32] = raw
        .as_slice()
        .try_into()
        .map_err(|_| bad("an Ed25519 public key is 32 bytes"))?;
    let key = VerifyingKey::from_bytes(&bytes).map_err(|_| bad("not a curve point"))?;
    if key.is_weak() {
        return Err(bad("weak (small-order) key"));
    }
    Ok(key)
}

/// Checks a key map and threshold (shared with keyset updates).
pub(crate) fn decode_keys(
    keys: &BTreeMap<String, String>,
    threshold: usize,
    code: ErrorCode,
) -> Result<BTreeMap<String, VerifyingKey>> {
    if keys.is_empty() || keys.len() > MAX_TRUSTED_KEYS {
        return Err(Error::new(
            code,
            format!("between 1 and {MAX_TRUSTED_KEYS} keys are required"),
        ));
    }
    let decoded = keys
        .iter()
        .map(|(id, b64)| {
            if id.is_empty() || id.len() > MAX_ID_LEN {
                return Err(Error::new(code, format!("bad keyid {id:?}")));
            }
            Ok((id.clone(), decode_public_key(id, b64)?))
        })
        .collect::<Result<BTreeMap<_, _>>>()?;
    // Signatures count once per public key (see `Envelope::verify_threshold`),
    // so a threshold above the distinct keys could never be met: refuse it
    // here rather than refuse every bundle later.
    // At most MAX_TRUSTED_KEYS keys: a scan, not a set (collecting a
    // `BTreeSet` links a stable sort into the wasm build).
    let keys_seen: Vec<[u8; 32]> = decoded.values().map(VerifyingKey::to_bytes).collect();
    let distinct = keys_seen
        .iter()
        .enumerate()
        .filter(|(i, k)| !keys_seen[..*i].contains(k))
        .count();
    if threshold == 0 || threshold > distinct {
        return Err(Error::new(
            code,
            format!(
                "threshold {threshold} must be between 1 and the number of distinct keys ({distinct})"
            ),
        ));
    }
    Ok(decoded)
}

impl Trust {
    /// Validates a [`TrustDoc`].
    ///
    /// # Errors
    /// `TRUST_INVALID` for an empty partner, no keys, a threshold outside
    /// 1..=keys, or a size limit above [`MAX_BUNDLE_BYTES_CEILING`];
    /// `KEY_INVALID` for an unusable key.
    pub fn from_doc(doc: TrustDoc) -> Result<Self> {
        let invalid = |m: String| Error::new(ErrorCode::TrustInvalid, m);
        if doc.partner.is_empty() || doc.partner.len() > MAX_ID_LEN {
            return Err(invalid(format!("bad partner id {:?}", doc.partner)));
        }
        let keys = decode_keys(&doc.keys, doc.threshold, ErrorCode::TrustInvalid)?;
        let max_bundle_bytes = doc.max_bundle_bytes.unwrap_or(MAX_BUNDLE_BYTES);
        if max_bundle_bytes == 0 || max_bundle_bytes > MAX_BUNDLE_BYTES_CEILING {
            return Err(invalid(format!(
                "maxBundleBytes must be between 1 and {MAX_BUNDLE_BYTES_CEILING}"
            )));
        }
        let seconds = |s: Option<u64>, name: &str| -> Result<Option<DurationMs>> {
            s.map(|s| {
                s.checked_mul(1_000)
                    .map(DurationMs)
                    .ok_or_else(|| invalid(format!("{name} is too large")))
            })
            .transpose()
        };
        let max_age = seconds(doc.max_age_seconds, "maxAgeSeconds")?;
        let decide_grace =
            seconds(doc.decide_grace_seconds, "decideGraceSeconds")?.unwrap_or(DurationMs(0));
        Ok(Self {
            partner: doc.partner,
            keys,
            threshold: doc.threshold,
            max_bundle_bytes,
            max_age,
            keyset_version: doc.keyset_version.unwrap_or(0),
            decide_grace,
        })
    }

    /// Parses and validates `trust.json`.
    ///
    /// # Errors
    /// `TRUST_INVALID` when the JSON is not a trust config, plus everything
    /// [`Trust::from_doc`] refuses.
    pub fn from_json(bytes: &[u8]) -> Result<Self> {
        let doc: TrustDoc = serde_json::from_slice(bytes)
            .map_err(|e| Error::new(ErrorCode::TrustInvalid, format!("not a trust config: {e}")))?;
        Self::from_doc(doc)
    }

    /// The JSON form (round-trips through [`Trust::from_doc`]).
    pub fn to_doc(&self) -> TrustDoc {
        TrustDoc {
            partner: self.partner.clone(),
            keys: self
                .keys
                .iter()
                .map(|(id, k)| (id.clone(), B64.encode(k.as_bytes())))
                .collect(),
            threshold: self.threshold,
            max_bundle_bytes: (self.max_bundle_bytes != MAX_BUNDLE_BYTES)
                .then_some(self.max_bundle_bytes),
            max_age_seconds: self.max_age.map(|d| d.0 / 1_000),
            keyset_version: (self.keyset_version != 0).then_some(self.keyset_version),
            decide_grace_seconds: (self.decide_grace.0 != 0).then_some(self.decide_grace.0 / 1_000),
        }
    }

    /// The pinned partner id.
    pub fn partner(&self) -> &str {
        &self.partner
    }

    /// Trusted keys by keyid.
    pub fn keys(&self) -> &BTreeMap<String, VerifyingKey> {
        &self.keys
    }

    /// Distinct trusted keys that must sign.
    pub fn threshold(&self) -> usize {
        self.threshold
    }

    /// Largest signed envelope accepted, in bytes.
    pub fn max_bundle_bytes(&self) -> usize {
        self.max_bundle_bytes
    }

    /// Oldest `issuedAt` accepted, relative to now (None: no limit).
    pub fn max_age(&self) -> Option<DurationMs> {
        self.max_age
    }

    /// Version of the keyset in force (0 for the originally pinned keys).
    pub fn keyset_version(&self) -> u64 {
        self.keyset_version
    }

    /// How long an engine keeps deciding on a loaded bundle past its
    /// `expiresAt` (`decideGraceSeconds`, default 0).
    pub fn decide_grace(&self) -> DurationMs {
        self.decide_grace
    }

    /// The same policy (partner, size and age limits) with new keys; used by rotation.
    pub(crate) fn with_keys(
        &self,
        keys: BTreeMap<String, VerifyingKey>,
        threshold: usize,
        keyset_version: u64,
    ) -> Self {
        Self {
            keys,
            threshold,
            keyset_version,
            ..self.clone()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ed25519_dalek::SigningKey;

    fn pub_b64(seed: u8) -> String {
        B64.encode(
            SigningKey::from_bytes(&[seed; 32])
                .verifying_key()
                .as_bytes(),
        )
    }

    #[test]
    fn loads_and_round_trips() {
        let json = format!(
            r#"{{"partner":"acme","keys":{{"a":"{}","b":"{}"}},"threshold":2,"maxAgeSeconds":86400,"decideGraceSeconds":3600}}"#,
            pub_b64(1),
            pub_b64(2)
        );
        let trust = Trust::from_json(json.as_bytes()).unwrap();
        assert_eq!(trust.threshold(), 2);
        assert_eq!(trust.max_age(), Some(DurationMs(86_400_000)));
        assert_eq!(trust.decide_grace(), DurationMs(3_600_000));
        assert_eq!(Trust::from_doc(trust.to_doc()).unwrap(), trust);
    }

    #[test]
    fn refuses_bad_thresholds_and_keys() {
        let doc = |keys: Vec<(&str, String)>, threshold| TrustDoc {
            partner: "acme".into(),
            keys: keys.into_iter().map(|(k, v)| (k.to_owned(), v)).collect(),
            threshold,
            max_bundle_bytes: None,
            max_age_seconds: None,
            keyset_version: None,
            decide_grace_seconds: None,
        };
        let code = |d| Trust::from_doc(d).unwrap_err().code();
        assert_eq!(
            code(doc(vec![("a", pub_b64(1))], 0)),
            ErrorCode::TrustInvalid
        );
        assert_eq!(
            code(doc(vec![("a", pub_b64(1))], 2)),
            ErrorCode::TrustInvalid
        );
        assert_eq!(code(doc(vec![], 1)), ErrorCode::TrustInvalid);
        assert_eq!(
            code(doc(vec![("a", B64.encode([1u8; 31]))], 1)),
            ErrorCode::KeyInvalid
        );
        // The identity point is a small-order (weak) key.
        let mut identity = [0u8; 32];
        identity[0] = 1;
        assert_eq!(
            code(doc(vec![("a", B64.encode(identity))], 1)),
            ErrorCode::KeyInvalid
        );
    }
}

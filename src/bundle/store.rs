//! Verification of signed bundle bytes and the store that keeps the last good
//! bundle.
//!
//! [`verify_bundle`] runs every check in a fixed order, each failing with its
//! own code: size → envelope → payload type → signatures → payload parse →
//! partner → freshness → version → schema/limits. [`BundleStore`] adds the
//! last step, *compile*, and only then swaps the new bundle in: a failed load
//! never replaces the active bundle or moves the version.

use super::envelope::Envelope;
use super::model::{Bundle, BUNDLE_PAYLOAD_TYPE};
use super::trust::Trust;
use super::validate::{check_json_depth, validate};
use crate::error::{Error, ErrorCode, Result};
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::sync::Arc;

/// A bundle that passed every check, with its identity.
#[derive(Debug, Clone, PartialEq)]
pub struct VerifiedBundle {
    /// The parsed, validated document.
    pub bundle: Bundle,
    /// SHA-256 of the exact signed payload bytes (the bundle's identity in receipts).
    pub sha256: [u8; 32],
    /// Distinct trusted keyids whose signatures verified, sorted.
    pub signer_keyids: Vec<String>,
}

/// The outcome of [`verify_bundle`].
#[derive(Debug, Clone, PartialEq)]
pub enum Verification {
    /// A newer bundle, fully verified.
    New(Box<VerifiedBundle>),
    /// Same version as the last accepted one: nothing to do (it is not
    /// parsed further, and it is not an error).
    Unchanged {
        /// The version both share.
        version: u64,
    },
}

fn parse_payload(payload: &[u8]) -> Result<Bundle> {
    check_json_depth(payload)?;
    serde_json::from_slice(payload).map_err(|e| {
        Error::new(
            ErrorCode::PayloadMalformed,
            format!("payload is not a bundle: {e}"),
        )
    })
}

/// Checks signed envelope `bytes` against `trust` at instant `now`, given
/// the highest version already accepted for this partner (if any).
///
/// # Errors
/// In order: `BUNDLE_TOO_LARGE`; `ENVELOPE_MALFORMED` (not an envelope, no or
/// too many signatures, wrong `payloadType`, bad base64); `SIGNATURE_INVALID`,
/// `UNKNOWN_KEY`, `THRESHOLD_NOT_MET`; `LIMIT_EXCEEDED` (nesting) or
/// `PAYLOAD_MALFORMED`; `PARTNER_MISMATCH`; `BUNDLE_EXPIRED` (`expiresAt` ≤ now,
/// or issued longer ago than the trust's max age); `VERSION_ROLLBACK`; then
/// whatever [`validate`] refuses.
pub fn verify_bundle(
    trust: &Trust,
    bytes: &[u8],
    now: Timestamp,
    last_accepted: Option<u64>,
) -> Result<Verification> {
    verify_against(trust, bytes, now, last_accepted, true)
}

/// [`verify_bundle`], where an equal version is a no-op only when
/// `equal_is_unchanged` (a host that has the bundle active); a host that
/// restored its rollback state but has no bundle yet must load it again.
fn verify_against(
    trust: &Trust,
    bytes: &[u8],
    now: Timestamp,
    last_accepted: Option<u64>,
    equal_is_unchanged: bool,
) -> Result<Verification> {
    if bytes.len() > trust.max_bundle_bytes() {
        return Err(Error::new(
            ErrorCode::BundleTooLarge,
            format!(
                "{} bytes, the trust config allows {}",
                bytes.len(),
                trust.max_bundle_bytes()
            ),
        ));
    }
    let mut envelope = Envelope::parse(bytes)?;
    if envelope.payload_type != BUNDLE_PAYLOAD_TYPE {
        return Err(Error::new(
            ErrorCode::EnvelopeMalformed,
            format!(
                "payloadType {:?} is not {BUNDLE_PAYLOAD_TYPE}",
                envelope.payload_type
            ),
        ));
    }
    let payload = envelope.payload_bytes()?;
    // The base64 text is as large as the bundle: free it before parsing, so a
    // WebAssembly host's memory (which never shrinks) does not keep the peak.
    envelope.payload = String::new();
    let signer_keyids = envelope.verify_threshold(&payload, trust.keys(), trust.threshold())?;
    let bundle = parse_payload(&payload)?;
    if bundle.partner != trust.partner() {
        return Err(Error::new(
            ErrorCode::PartnerMismatch,
            format!(
                "bundle is for partner {:?}, trust is pinned to {:?}",
                bundle.partner,
                trust.partner()
            ),
        ));
    }
    if bundle.expires_at <= now {
        return Err(Error::new(
            ErrorCode::BundleExpired,
            format!("bundle expired at {}", bundle.expires_at),
        ));
    }
    if let Some(max_age) = trust.max_age() {
        if now.as_millis().saturating_sub(bundle.issued_at.as_millis())
            > i64::try_from(max_age.as_millis()).unwrap_or(i64::MAX)
        {
            return Err(Error::new(
                ErrorCode::BundleExpired,
                format!(
                    "bundle issued at {} is older than the trust's max age {max_age}",
                    bundle.issued_at
                ),
            ));
        }
    }
    match last_accepted {
        Some(last) if bundle.version < last => {
            return Err(Error::new(
                ErrorCode::VersionRollback,
                format!(
                    "bundle version {} is lower than accepted version {last}",
                    bundle.version
                ),
            ))
        }
        Some(last) if bundle.version == last && equal_is_unchanged => {
            return Ok(Verification::Unchanged { version: last })
        }
        _ => {}
    }
    validate(&bundle)?;
    Ok(Verification::New(Box::new(VerifiedBundle {
        bundle,
        sha256: Sha256::digest(&payload).into(),
        signer_keyids,
    })))
}

/// What [`BundleStore::load`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoadOutcome {
    /// A new bundle is now active.
    Loaded {
        /// Its version.
        version: u64,
    },
    /// The bundle had the active version; the active bundle stays.
    Unchanged {
        /// The active version.
        version: u64,
    },
}

/// The persisted rollback state of a store (the CLI's `--state` file):
/// `{"partner": "...", "lastVersion": N}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StoreState {
    /// The partner the version belongs to.
    pub partner: String,
    /// Highest bundle version accepted.
    pub last_version: u64,
}

/// Turns a verified bundle into what the store keeps active (e.g. a compiled
/// engine). Runs as the last check: if it fails, the load fails.
pub type Compile<T> = fn(VerifiedBundle) -> Result<T>;

/// Keeps one partner's trust config, its active bundle (as `T`, by default
/// the [`VerifiedBundle`] itself) and the highest version accepted.
///
/// `T` is produced by the [`Compile`] function given at construction, so a
/// host can keep a compiled engine active: `BundleStore::with_compile(trust,
/// Engine::compile)`. The active value is shared as `Arc<T>` so readers keep
/// a consistent snapshot while a newer bundle is loaded.
#[derive(Debug, Clone)]
pub struct BundleStore<T = VerifiedBundle> {
    trust: Trust,
    active: Option<Arc<T>>,
    last_version: Option<u64>,
    compile: Compile<T>,
}

impl BundleStore<VerifiedBundle> {
    /// A store that keeps the verified bundle itself active.
    pub fn new(trust: Trust) -> Self {
        Self::with_compile(trust, Ok)
    }
}

impl<T> BundleStore<T> {
    /// A store whose active value is `compile(verified_bundle)`.
    pub fn with_compile(trust: Trust, compile: Compile<T>) -> Self {
        Self {
            trust,
            active: None,
            last_version: None,
            compile,
        }
    }

    /// Verifies, validates and compiles `bytes`; on success the result becomes
    /// active. On any error nothing changes.
    ///
    /// # Errors
    /// Everything [`verify_bundle`] refuses, and whatever `compile` returns.
    pub fn load(&mut self, bytes: &[u8], now: Timestamp) -> Result<LoadOutcome> {
        // An equal version is a no-op only when that bundle is active: after
        // `import_state` alone (a page reload) it must load again.
        let equal_is_unchanged = self.active.is_some();
        match verify_against(
            &self.trust,
            bytes,
            now,
            self.last_version,
            equal_is_unchanged,
        )? {
            Verification::Unchanged { version } => Ok(LoadOutcome::Unchanged { version }),
            Verification::New(verified) => {
                let version = verified.bundle.version;
                let compiled = (self.compile)(*verified)?;
                self.active = Some(Arc::new(compiled));
                self.last_version = Some(version);
                Ok(LoadOutcome::Loaded { version })
            }
        }
    }

    /// The active bundle (compiled), if any load succeeded.
    pub fn active(&self) -> Option<Arc<T>> {
        self.active.clone()
    }

    /// Highest bundle version accepted (loaded or imported).
    pub fn last_version(&self) -> Option<u64> {
        self.last_version
    }

    /// The trust config in force.
    pub fn trust(&self) -> &Trust {
        &self.trust
    }

    /// Applies a signed keyset update (see [`Trust::rotate`]); later bundles
    /// must be signed by the new keys. The active bundle stays active.
    /// Returns the new keyset version.
    ///
    /// # Errors
    /// Whatever [`Trust::rotate`] refuses; the trust config is then unchanged.
    pub fn rotate_keys(&mut self, envelope_bytes: &[u8]) -> Result<u64> {
        let trust = self.trust.rotate(envelope_bytes)?;
        self.trust = trust;
        Ok(self.trust.keyset_version())
    }

    /// The rollback state to persist, if a version was accepted.
    pub fn export_state(&self) -> Option<StoreState> {
        self.last_version.map(|v| StoreState {
            partner: self.trust.partner().to_owned(),
            last_version: v,
        })
    }

    /// Restores persisted rollback state. The version only ever moves up.
    ///
    /// # Errors
    /// `PARTNER_MISMATCH` when the state belongs to another partner.
    pub fn import_state(&mut self, state: &StoreState) -> Result<()> {
        if state.partner != self.trust.partner() {
            return Err(Error::new(
                ErrorCode::PartnerMismatch,
                format!(
                    "state is for partner {:?}, trust is pinned to {:?}",
                    state.partner,
                    self.trust.partner()
                ),
            ));
        }
        self.last_version = Some(
            self.last_version
                .map_or(state.last_version, |v| v.max(state.last_version)),
        );
        Ok(())
    }
}

//! The store that keeps one partner's last good bundle: each load is
//! verified ([`super::verify`]), then compiled (the [`Compile`] step given at
//! construction, `Engine::compile` for hosts that decide), and only then
//! swapped in. A failed load never replaces the active bundle or moves the
//! version; the highest accepted version is the rollback state a host
//! persists ([`StoreState`]).

use super::form::{verify_form_against, FormVerification, VerifiedForm};
use super::keyset::claimed_keyset_version;
use super::trust::Trust;
use super::verify::{verify_against, Rollback, Verification, VerifiedBundle};
use crate::error::{Error, ErrorCode, Result};
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

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
    /// The keyset version of the trust the store was made with.
    pinned_keyset_version: u64,
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
            pinned_keyset_version: trust.keyset_version(),
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
    /// Everything [`verify_bundle`](super::verify_bundle) refuses, and whatever `compile` returns.
    pub fn load(&mut self, bytes: &[u8], now: Timestamp) -> Result<LoadOutcome> {
        let verification = self.verify(bytes, now)?;
        self.activate(verification)
    }

    /// [`BundleStore::load`] taking the signed bytes by value: they are freed
    /// once verified, before compiling, so a host whose memory keeps its peak
    /// (WebAssembly) does not hold a multi-megabyte input next to the engine
    /// being compiled.
    ///
    /// # Errors
    /// As [`BundleStore::load`].
    pub fn load_owned(&mut self, bytes: Vec<u8>, now: Timestamp) -> Result<LoadOutcome> {
        let verification = self.verify(&bytes, now)?;
        drop(bytes);
        self.activate(verification)
    }

    fn verify(&self, bytes: &[u8], now: Timestamp) -> Result<Verification> {
        verify_against(
            &self.trust,
            bytes,
            now,
            self.last_version,
            self.rollback().equal_is_unchanged,
        )
    }

    fn rollback(&self) -> Rollback {
        Rollback {
            last_accepted: self.last_version,
            // An equal version is a no-op only when that bundle is active:
            // after `import_state` alone (a page reload) it must load again.
            equal_is_unchanged: self.active.is_some(),
        }
    }

    /// [`BundleStore::load`] for a compiled-form file (`*.oeb`, see
    /// [`super::form`]): the same trust, rollback and swap, and `read`
    /// (`Engine::from_verified_form`) instead of the compile step. The only
    /// way a page build loads a bundle: it links no JSON bundle reader.
    ///
    /// # Errors
    /// As described in [`super::form`], and whatever `read` returns.
    pub fn load_form(
        &mut self,
        bytes: &[u8],
        now: Timestamp,
        read: fn(VerifiedForm<'_>) -> Result<T>,
    ) -> Result<LoadOutcome> {
        match verify_form_against(&self.trust, bytes, now, &self.rollback())? {
            FormVerification::Unchanged { version } => Ok(LoadOutcome::Unchanged { version }),
            FormVerification::New(form) => {
                let version = form.manifest.version;
                let engine = read(form)?;
                self.active = Some(Arc::new(engine));
                self.last_version = Some(version);
                Ok(LoadOutcome::Loaded { version })
            }
        }
    }

    /// The compile step, then the swap.
    fn activate(&mut self, verification: Verification) -> Result<LoadOutcome> {
        match verification {
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
    /// Returns the keyset version in force.
    ///
    /// An update whose version is at or below the pinned trust's (the one
    /// this store was made with) is skipped, the version unchanged: a
    /// deployment that pinned the rotated trust supersedes the updates that
    /// led to it, whose signers it no longer holds. Hosts re-apply a kept
    /// chain from the pinned trust, so that chain may start with them. The
    /// claim is read unverified: skipping trusts nothing.
    ///
    /// # Errors
    /// Whatever [`Trust::rotate`] refuses; the trust config is then unchanged.
    pub fn rotate_keys(&mut self, envelope_bytes: &[u8]) -> Result<u64> {
        if claimed_keyset_version(envelope_bytes).is_some_and(|v| v <= self.pinned_keyset_version) {
            return Ok(self.trust.keyset_version());
        }
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

//! Engines from compiled-form files (src/bundle/form.rs): the signed bytes
//! pages load, read into the same structures `Engine::compile` builds.

use super::Engine;
use crate::bundle::verify::{differing_claim, Claims};
use crate::bundle::VerifiedForm;
use crate::error::{Error, ErrorCode, Result};

impl Engine {
    /// Reads a verified compiled form into an engine, and checks that it is
    /// the engine of the bundle its signed manifest describes: the same
    /// partner, version and dates, and the same bundle SHA-256 (the
    /// identity receipts carry). Signers and the decide-until bound come
    /// from the verification, as in [`Engine::from_verified`].
    ///
    /// # Errors
    /// `PAYLOAD_MALFORMED` when the body does not read back;
    /// `DIGEST_MISMATCH` when the engine describes another bundle.
    pub fn from_verified_form(form: VerifiedForm<'_>) -> Result<Self> {
        let mut engine = Self::from_compiled_form(form.body)?;
        let mismatch = |what: &str| {
            Error::new(
                ErrorCode::DigestMismatch,
                format!("the compiled form's {what} differs from its signed manifest's"),
            )
        };
        if let Some(field) = differing_claim(Claims::of(&engine.bundle), form.claims()) {
            return Err(mismatch(field));
        }
        if engine.sha256_hex != form.manifest.bundle_sha256 {
            return Err(mismatch("bundle SHA-256"));
        }
        engine.signers = form.signer_keyids;
        engine.decide_until = Some(engine.bundle.expires_at.plus(form.decide_grace));
        Ok(engine)
    }
}

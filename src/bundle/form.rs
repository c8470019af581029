//! Compiled-form files (`*.oeb`): the bundle as pages load it.
//!
//! `sign` compiles the bundle pages get (its page edition, or the bundle
//! itself when it has no confidential audience) and writes the engine's
//! compiled structures next to the JSON (src/wire: rules as node trees,
//! templates parsed with their escaping decided, model tables, the predicate
//! index, filters). The JSON file's signed manifest names the body's length
//! and SHA-256 (`compiled`), and the compiled file carries that same signed
//! manifest:
//!
//! ```text
//! file = "\x89OEB" envelope_len:u32le envelope:<DSSE envelope of the manifest, JSON> body
//! ```
//!
//! A page therefore runs no JSON parser over the bundle, no JSONLogic
//! compiler and no HTML tokenizer: work done once at sign time instead of in
//! every page view (ARCHITECTURE.md, "Compile at sign time"). Checks, in order, each with its code:
//! size (`BUNDLE_TOO_LARGE`) → file shape and envelope
//! (`ENVELOPE_MALFORMED`) → signatures → manifest (`PAYLOAD_MALFORMED`) →
//! partner, freshness, version (as for JSON) → the manifest names a compiled
//! form (`PAYLOAD_MALFORMED`) → its length and SHA-256 (`DIGEST_MISMATCH`) →
//! the body reads back (`PAYLOAD_MALFORMED`) → the engine read describes the
//! manifest's bundle (`DIGEST_MISMATCH`).

use super::envelope::Envelope;
use super::manifest::Manifest;
use super::trust::Trust;
use super::verify::{check_claims, check_size, digest_mismatch, signed_manifest, Claims, Rollback};
use crate::context::sha256_hex;
use crate::error::{Error, ErrorCode, Result};
use crate::time::{DurationMs, Timestamp};

/// How a compiled-form file starts: a byte no text file starts with, so it
/// is never mistaken for a JSON bundle (and the reverse).
pub const FORM_MAGIC: &[u8; 4] = b"\x89OEB";

/// Whether `bytes` claim to be a compiled-form file (first bytes only).
pub fn is_form_file(bytes: &[u8]) -> bool {
    bytes.starts_with(FORM_MAGIC)
}

fn malformed(why: impl Into<String>) -> Error {
    Error::new(ErrorCode::EnvelopeMalformed, why)
}

/// Joins a signed manifest envelope (whose manifest names `body` in
/// `compiled`) and the body into a compiled-form file.
///
/// # Errors
/// `ENVELOPE_MALFORMED` if the envelope does not serialize.
pub fn assemble_form(envelope: &Envelope, body: &[u8]) -> Result<Vec<u8>> {
    let envelope = envelope.to_json()?;
    let len = u32::try_from(envelope.len()).map_err(|_| malformed("envelope too large"))?;
    let mut out = Vec::with_capacity(FORM_MAGIC.len() + 4 + envelope.len() + body.len());
    out.extend_from_slice(FORM_MAGIC);
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(envelope.as_bytes());
    out.extend_from_slice(body);
    Ok(out)
}

/// A compiled-form file taken apart (nothing verified yet).
fn split_form(bytes: &[u8]) -> Result<(Envelope, &[u8])> {
    let rest = bytes
        .strip_prefix(FORM_MAGIC)
        .ok_or_else(|| malformed("a compiled form starts with \\x89OEB"))?;
    let (len, rest) = rest
        .split_first_chunk::<4>()
        .ok_or_else(|| malformed("the compiled form ends before its envelope's length"))?;
    let len = usize::try_from(u32::from_le_bytes(*len)).unwrap_or(usize::MAX);
    if len > rest.len() {
        return Err(malformed("the envelope's length runs past the file"));
    }
    let (envelope, body) = rest.split_at(len);
    Ok((Envelope::parse(envelope)?, body))
}

/// A compiled-form file whose signatures, claims and digest were checked;
/// reading its body is the engine's (`Engine::from_verified_form`).
#[derive(Debug)]
pub struct VerifiedForm<'a> {
    /// The signed manifest (its `compiled` names `body`).
    pub manifest: Manifest,
    /// The body, as the manifest's digest covers it.
    pub body: &'a [u8],
    /// Distinct trusted keyids whose signatures verified, sorted.
    pub signer_keyids: Vec<String>,
    /// The trust config's `decideGraceSeconds`.
    pub decide_grace: DurationMs,
}

impl VerifiedForm<'_> {
    /// What the manifest claims about its bundle.
    pub(crate) fn claims(&self) -> Claims<'_> {
        Claims::of_manifest(&self.manifest)
    }
}

/// The outcome of reading a compiled-form file against the rollback state.
#[derive(Debug)]
pub(crate) enum FormVerification<'a> {
    /// A newer bundle's compiled form.
    New(VerifiedForm<'a>),
    /// The version already active: nothing to do.
    Unchanged { version: u64 },
}

/// Checks a compiled-form file against `trust` at `now` (no rollback floor):
/// what a host that serves forms to pages checks before it does.
///
/// # Errors
/// See the module documentation, up to `DIGEST_MISMATCH` of the body.
pub fn verify_form<'a>(trust: &Trust, bytes: &'a [u8], now: Timestamp) -> Result<VerifiedForm<'a>> {
    let rollback = Rollback {
        last_accepted: None,
        equal_is_unchanged: false,
    };
    match verify_form_against(trust, bytes, now, &rollback)? {
        FormVerification::New(form) => Ok(form),
        FormVerification::Unchanged { version } => Err(Error::new(
            ErrorCode::VersionRollback,
            format!("version {version} was not verified"),
        )),
    }
}

pub(crate) fn verify_form_against<'a>(
    trust: &Trust,
    bytes: &'a [u8],
    now: Timestamp,
    rollback: &Rollback,
) -> Result<FormVerification<'a>> {
    check_size(trust, bytes)?;
    let (envelope, body) = split_form(bytes)?;
    let (manifest, signer_keyids) = signed_manifest(trust, &envelope)?;
    let form = VerifiedForm {
        manifest,
        body,
        signer_keyids,
        decide_grace: trust.decide_grace(),
    };
    if let Some(version) = check_claims(trust, &form.claims(), now, rollback)? {
        return Ok(FormVerification::Unchanged { version });
    }
    let Some(compiled) = &form.manifest.compiled else {
        return Err(Error::new(
            ErrorCode::PayloadMalformed,
            "the signed manifest names no compiled form: sign the bundle again to write one",
        ));
    };
    if compiled.bytes != body.len() as u64 {
        return Err(digest_mismatch(format!(
            "the compiled form is {} bytes, the manifest signed {}",
            body.len(),
            compiled.bytes
        )));
    }
    if sha256_hex(body) != compiled.sha256 {
        return Err(digest_mismatch(
            "the compiled form's SHA-256 is not the one the manifest signed".to_owned(),
        ));
    }
    Ok(FormVerification::New(form))
}

//! Verification: signed bundle bytes in, a [`VerifiedBundle`] out (the
//! pipeline's second stage, after the document model of [`super::model`] and
//! before `Engine::compile` in `src/decide/compile.rs`).
//!
//! [`verify_bundle`] runs every check in a fixed order, each failing with its
//! own code: size → envelope → payload type → signatures → payload parse →
//! partner → freshness → version → schema/limits (format v1). Format v2
//! checks the signed manifest's partner, freshness and version before it
//! hashes the bundle, then the digest, then parses the bundle in place. The
//! claim, size and signed-manifest checks here are shared with compiled
//! forms ([`super::form`]) and page bundles ([`super::page`]).

use super::envelope::Envelope;
use super::manifest::{is_manifest_file, split, Manifest, Split, MANIFEST_PAYLOAD_TYPE};
use super::model::{Bundle, BUNDLE_PAYLOAD_TYPE};
use super::trust::Trust;
use super::validate::{check_json_depth, validate};
use crate::context::lower_hex;
use crate::error::{Error, ErrorCode, Result};
use crate::limits::MAX_JSON_DEPTH;
use crate::time::{DurationMs, Timestamp};
use sha2::{Digest, Sha256};

/// A bundle that passed every check, with its identity.
#[derive(Debug, Clone, PartialEq)]
pub struct VerifiedBundle {
    /// The parsed, validated document.
    pub bundle: Bundle,
    /// SHA-256 of the exact bundle bytes (the bundle's identity in receipts):
    /// v1's signed payload, v2's bundle value; the same for the same bytes.
    pub sha256: [u8; 32],
    /// Distinct trusted keyids whose signatures verified, sorted.
    pub signer_keyids: Vec<String>,
    /// How long past `expiresAt` an engine may keep deciding on this bundle
    /// (the trust config's `decideGraceSeconds`).
    pub decide_grace: DurationMs,
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
    parse_bundle(payload)
}

/// Parses a bundle whose nesting was already checked.
fn parse_bundle(payload: &[u8]) -> Result<Bundle> {
    serde_json::from_slice(payload).map_err(|e| {
        Error::new(
            ErrorCode::PayloadMalformed,
            format!("payload is not a bundle: {e}"),
        )
    })
}

/// Checks signed `bytes` (format v1 or v2, told apart by their first bytes)
/// against `trust` at instant `now`, given the highest version already
/// accepted for this partner (if any).
///
/// # Errors
/// v1, in order: `BUNDLE_TOO_LARGE`; `ENVELOPE_MALFORMED` (not an envelope, no
/// or too many signatures, wrong `payloadType`, bad base64);
/// `SIGNATURE_INVALID`, `UNKNOWN_KEY`, `THRESHOLD_NOT_MET`; `LIMIT_EXCEEDED`
/// (nesting) or `PAYLOAD_MALFORMED`; `PARTNER_MISMATCH`; `BUNDLE_EXPIRED`
/// (`expiresAt` ≤ now, or issued longer ago than the trust's max age);
/// `VERSION_ROLLBACK`; then whatever [`validate`] refuses.
///
/// v2 (see [`super::manifest`]): `BUNDLE_TOO_LARGE`; `ENVELOPE_MALFORMED`
/// (file shape, envelope, `payloadType`); the signature codes over the
/// manifest; `PAYLOAD_MALFORMED` (manifest); `PARTNER_MISMATCH`,
/// `BUNDLE_EXPIRED`, `VERSION_ROLLBACK` from the manifest, before the bundle
/// is hashed; `DIGEST_MISMATCH` (length or SHA-256); `LIMIT_EXCEEDED` or
/// `PAYLOAD_MALFORMED` (bundle); `DIGEST_MISMATCH` when the bundle's partner,
/// version or dates differ from the manifest's; then [`validate`].
pub fn verify_bundle(
    trust: &Trust,
    bytes: &[u8],
    now: Timestamp,
    last_accepted: Option<u64>,
) -> Result<Verification> {
    verify_against(trust, bytes, now, last_accepted, true)
}

/// What a signed file claims about its bundle, checked against the trust and
/// the rollback state before the (expensive) rest; a bundle, its signed
/// manifest and its page edition must all claim the same.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct Claims<'a> {
    pub(crate) partner: &'a str,
    pub(crate) version: u64,
    pub(crate) issued_at: Timestamp,
    pub(crate) expires_at: Timestamp,
}

/// Where to look for the rollback state, and what an equal version means.
pub(crate) struct Rollback {
    pub(crate) last_accepted: Option<u64>,
    pub(crate) equal_is_unchanged: bool,
}

/// Partner, freshness and version checks shared by every format. `Some` is
/// the early answer "unchanged" (the version already active).
pub(crate) fn check_claims(
    trust: &Trust,
    claims: &Claims<'_>,
    now: Timestamp,
    rollback: &Rollback,
) -> Result<Option<u64>> {
    if claims.partner != trust.partner() {
        return Err(Error::new(
            ErrorCode::PartnerMismatch,
            format!(
                "bundle is for partner {:?}, trust is pinned to {:?}",
                claims.partner,
                trust.partner()
            ),
        ));
    }
    if claims.expires_at <= now {
        return Err(Error::new(
            ErrorCode::BundleExpired,
            format!("bundle expired at {}", claims.expires_at),
        ));
    }
    if let Some(max_age) = trust.max_age() {
        if now.as_millis().saturating_sub(claims.issued_at.as_millis())
            > i64::try_from(max_age.as_millis()).unwrap_or(i64::MAX)
        {
            return Err(Error::new(
                ErrorCode::BundleExpired,
                format!(
                    "bundle issued at {} is older than the trust's max age {max_age}",
                    claims.issued_at
                ),
            ));
        }
    }
    match rollback.last_accepted {
        Some(last) if claims.version < last => Err(Error::new(
            ErrorCode::VersionRollback,
            format!(
                "bundle version {} is lower than accepted version {last}",
                claims.version
            ),
        )),
        Some(last) if claims.version == last && rollback.equal_is_unchanged => Ok(Some(last)),
        _ => Ok(None),
    }
}

/// [`verify_bundle`], where an equal version is a no-op only when
/// `equal_is_unchanged` (a host that has the bundle active); a host that
/// restored its rollback state but has no bundle yet must load it again.
pub(crate) fn verify_against(
    trust: &Trust,
    bytes: &[u8],
    now: Timestamp,
    last_accepted: Option<u64>,
    equal_is_unchanged: bool,
) -> Result<Verification> {
    check_size(trust, bytes)?;
    let rollback = Rollback {
        last_accepted,
        equal_is_unchanged,
    };
    if is_manifest_file(bytes) {
        verify_manifest_file(trust, bytes, now, &rollback)
    } else {
        verify_dsse(trust, bytes, now, &rollback)
    }
}

/// Format v1: a DSSE envelope whose payload is the bundle.
fn verify_dsse(
    trust: &Trust,
    bytes: &[u8],
    now: Timestamp,
    rollback: &Rollback,
) -> Result<Verification> {
    let mut envelope = Envelope::parse(bytes)?;
    check_payload_type(&envelope, BUNDLE_PAYLOAD_TYPE)?;
    let payload = envelope.payload_bytes()?;
    // The base64 text is as large as the bundle: free it before parsing, so a
    // WebAssembly host's memory (which never shrinks) does not keep the peak.
    envelope.payload = String::new();
    let signer_keyids = envelope.verify_threshold(&payload, trust.keys(), trust.threshold())?;
    let bundle = parse_payload(&payload)?;
    let claims = Claims::of(&bundle);
    if let Some(version) = check_claims(trust, &claims, now, rollback)? {
        return Ok(Verification::Unchanged { version });
    }
    validate(&bundle)?;
    Ok(Verification::New(Box::new(VerifiedBundle {
        bundle,
        sha256: Sha256::digest(&payload).into(),
        signer_keyids,
        decide_grace: trust.decide_grace(),
    })))
}

pub(crate) fn check_payload_type(envelope: &Envelope, expected: &str) -> Result<()> {
    if envelope.payload_type == expected {
        return Ok(());
    }
    Err(Error::new(
        ErrorCode::EnvelopeMalformed,
        format!("payloadType {:?} is not {expected}", envelope.payload_type),
    ))
}

impl<'a> Claims<'a> {
    pub(crate) fn of(bundle: &'a Bundle) -> Self {
        Self {
            partner: &bundle.partner,
            version: bundle.version,
            issued_at: bundle.issued_at,
            expires_at: bundle.expires_at,
        }
    }

    /// What a signed manifest claims about the bundle it names.
    pub(crate) fn of_manifest(manifest: &'a Manifest) -> Self {
        Self {
            partner: &manifest.partner,
            version: manifest.version,
            issued_at: manifest.issued_at,
            expires_at: manifest.expires_at,
        }
    }
}

/// The name (as the bundle JSON spells it) of the first claim in which `a`
/// and `b` differ, or `None` when they agree.
pub(crate) fn differing_claim(a: Claims<'_>, b: Claims<'_>) -> Option<&'static str> {
    if a.partner != b.partner {
        Some("partner")
    } else if a.version != b.version {
        Some("version")
    } else if a.issued_at != b.issued_at {
        Some("issuedAt")
    } else if a.expires_at != b.expires_at {
        Some("expiresAt")
    } else {
        None
    }
}

pub(crate) fn digest_mismatch(why: String) -> Error {
    Error::new(ErrorCode::DigestMismatch, why)
}

/// The first check of every signed file: its size against the trust's limit.
pub(crate) fn check_size(trust: &Trust, bytes: &[u8]) -> Result<()> {
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
    Ok(())
}

/// The manifest a v2 file or a compiled form carries, with the keyids whose
/// signatures over it verified: payload type, signature threshold, then the
/// manifest parsed.
pub(crate) fn signed_manifest(
    trust: &Trust,
    envelope: &Envelope,
) -> Result<(Manifest, Vec<String>)> {
    check_payload_type(envelope, MANIFEST_PAYLOAD_TYPE)?;
    let payload = envelope.payload_bytes()?;
    let signer_keyids = envelope.verify_threshold(&payload, trust.keys(), trust.threshold())?;
    let manifest = serde_json::from_slice(&payload).map_err(|e| {
        Error::new(
            ErrorCode::PayloadMalformed,
            format!("payload is not a bundle manifest: {e}"),
        )
    })?;
    Ok((manifest, signer_keyids))
}

/// Format v2: a signed manifest, then the bundle's bytes, parsed in place.
fn verify_manifest_file(
    trust: &Trust,
    bytes: &[u8],
    now: Timestamp,
    rollback: &Rollback,
) -> Result<Verification> {
    let Split {
        envelope,
        bundle: bundle_bytes,
        depth,
    } = split(bytes)?;
    let (manifest, signer_keyids) = signed_manifest(trust, &envelope)?;
    let claims = Claims::of_manifest(&manifest);
    // Cheap refusals (and the no-op) come before hashing a megabyte.
    if let Some(version) = check_claims(trust, &claims, now, rollback)? {
        return Ok(Verification::Unchanged { version });
    }
    if manifest.bundle_bytes != bundle_bytes.len() as u64 {
        return Err(digest_mismatch(format!(
            "the bundle is {} bytes, the manifest signed {}",
            bundle_bytes.len(),
            manifest.bundle_bytes
        )));
    }
    let sha256: [u8; 32] = Sha256::digest(bundle_bytes).into();
    if lower_hex(&sha256) != manifest.bundle_sha256 {
        return Err(digest_mismatch(
            "the bundle's SHA-256 is not the one the manifest signed".to_owned(),
        ));
    }
    if depth > MAX_JSON_DEPTH {
        return Err(super::validate::too_deep());
    }
    let bundle = parse_bundle(bundle_bytes)?;
    // The digest binds the bytes; these fields must also say what the
    // manifest said, or the checks above were made on the wrong claims.
    if let Some(field) = differing_claim(Claims::of(&bundle), claims) {
        return Err(digest_mismatch(format!(
            "the bundle's {field} differs from its signed manifest's"
        )));
    }
    validate(&bundle)?;
    Ok(Verification::New(Box::new(VerifiedBundle {
        bundle,
        sha256,
        signer_keyids,
        decide_grace: trust.decide_grace(),
    })))
}

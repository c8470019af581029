//! What a bundle file says it is, unverified: its format, the bundle bytes
//! inside it and the key ids its signatures name. For tools that describe a
//! bundle or explain why it was refused (`offer-edge validate`, the
//! preview's `inspectBundleFile`), so none of them takes the signed formats
//! apart itself. Never for deciding: that is [`super::verify_bundle`].

use super::envelope::Envelope;
use super::form::is_form_file;
use super::manifest::{is_manifest_file, split};
use crate::error::{Error, ErrorCode, Result};
use crate::limits::MAX_BUNDLE_BYTES_CEILING;
use std::borrow::Cow;

/// How a file is laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileFormat {
    /// Not a signed file: the bundle document itself (a draft), or bytes
    /// that are no bundle at all.
    Draft,
    /// Format v1: a DSSE envelope whose payload is the bundle.
    Dsse,
    /// Format v2: a signed manifest followed by the verbatim bundle.
    Manifest,
}

impl FileFormat {
    /// The stable name hosts show: `"draft"`, `"dsse"`, `"manifest"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Dsse => "dsse",
            Self::Manifest => "manifest",
        }
    }
}

/// A file taken apart, nothing verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unverified<'a> {
    /// The layout.
    pub format: FileFormat,
    /// The bundle's bytes: a slice of the file, or a DSSE payload decoded.
    pub bundle: Cow<'a, [u8]>,
    /// Byte offset of `bundle` in the file (0 for a decoded DSSE payload,
    /// whose positions are not the file's).
    pub offset: usize,
    /// The key ids the signatures name, in file order (empty for a draft).
    pub key_ids: Vec<String>,
}

/// Takes `file` apart without verifying anything.
///
/// # Errors
/// `BUNDLE_TOO_LARGE` over [`MAX_BUNDLE_BYTES_CEILING`] (no host accepts
/// it, so nothing is read); `PAYLOAD_MALFORMED` for a compiled form
/// (`*.oeb`, it holds no bundle JSON); `ENVELOPE_MALFORMED` for a v2 file
/// that is not exactly the v2 shape or a DSSE payload that is not base64.
pub fn unverified_contents(file: &[u8]) -> Result<Unverified<'_>> {
    if file.len() > MAX_BUNDLE_BYTES_CEILING {
        return Err(Error::new(
            ErrorCode::BundleTooLarge,
            format!(
                "{} bytes: no host accepts a bundle over {MAX_BUNDLE_BYTES_CEILING}",
                file.len()
            ),
        ));
    }
    if is_form_file(file) {
        return Err(Error::new(
            ErrorCode::PayloadMalformed,
            "a compiled form (*.oeb) holds no bundle JSON: read the file it was compiled from",
        ));
    }
    if is_manifest_file(file) {
        let parts = split(file)?;
        // The bundle is a sub-slice of the file: its offset maps positions.
        let offset = (parts.bundle.as_ptr() as usize).saturating_sub(file.as_ptr() as usize);
        return Ok(Unverified {
            format: FileFormat::Manifest,
            key_ids: key_ids(&parts.envelope),
            bundle: Cow::Borrowed(parts.bundle),
            offset,
        });
    }
    if let Ok(envelope) = Envelope::parse(file) {
        return Ok(Unverified {
            format: FileFormat::Dsse,
            bundle: Cow::Owned(envelope.payload_bytes()?),
            offset: 0,
            key_ids: key_ids(&envelope),
        });
    }
    Ok(Unverified {
        format: FileFormat::Draft,
        bundle: Cow::Borrowed(file),
        offset: 0,
        key_ids: Vec::new(),
    })
}

fn key_ids(envelope: &Envelope) -> Vec<String> {
    envelope
        .signatures
        .iter()
        .map(|s| s.keyid.clone())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bundle::manifest::sign_bundle;
    use ed25519_dalek::SigningKey;

    const BUNDLE: &[u8] = br#"{"partner":"acme","version":1,"issuedAt":"2026-01-01T00:00:00Z","expiresAt":"2027-01-01T00:00:00Z","offers":[]}"#;

    #[test]
    fn a_v2_file_yields_its_verbatim_bundle_at_its_offset_and_key_ids() {
        let key = SigningKey::from_bytes(&[7; 32]);
        let file = sign_bundle(BUNDLE, &[("acme-1", &key)]).unwrap();
        let seen = unverified_contents(&file).unwrap();
        assert_eq!(seen.format, FileFormat::Manifest);
        assert_eq!(&*seen.bundle, BUNDLE);
        assert_eq!(&file[seen.offset..seen.offset + BUNDLE.len()], BUNDLE);
        assert_eq!(seen.key_ids, ["acme-1"]);
    }

    #[test]
    fn a_v1_envelope_yields_its_decoded_payload() {
        let key = SigningKey::from_bytes(&[7; 32]);
        let envelope = Envelope::sign(
            super::super::BUNDLE_PAYLOAD_TYPE,
            BUNDLE,
            &[("k1", &key), ("k2", &key)],
        );
        let file = envelope.to_json().unwrap();
        let seen = unverified_contents(file.as_bytes()).unwrap();
        assert_eq!(
            (seen.format, &*seen.bundle, seen.offset),
            (FileFormat::Dsse, BUNDLE, 0)
        );
        assert_eq!(seen.key_ids, ["k1", "k2"]);
    }

    #[test]
    fn anything_else_is_a_draft_and_broken_signed_files_are_refused_with_codes() {
        let seen = unverified_contents(b"not json").unwrap();
        assert_eq!(
            (seen.format, &*seen.bundle),
            (FileFormat::Draft, &b"not json"[..])
        );
        let broken = unverified_contents(br#"{"manifest":{"payload":1}}"#).unwrap_err();
        assert_eq!(broken.code(), ErrorCode::EnvelopeMalformed);
        // Over the ceiling no host accepts: refused before a byte is read.
        let huge = vec![b' '; MAX_BUNDLE_BYTES_CEILING + 1];
        assert_eq!(
            unverified_contents(&huge).unwrap_err().code(),
            ErrorCode::BundleTooLarge
        );
    }
}

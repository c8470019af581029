//! Format v2, the "manifest envelope": a small signed manifest next to the
//! bundle's verbatim bytes.
//!
//! The signed file is compact JSON, exactly
//! `{"manifest":<DSSE envelope>,"bundle":<bundle JSON, verbatim>}` with no
//! whitespace outside the two values and no trailing newline. The envelope's
//! payload is a [`Manifest`] naming the bundle's partner, version, dates,
//! length and SHA-256. The signatures cover ~200 bytes instead of the whole
//! bundle, the bundle needs no base64, and it is parsed straight from the
//! input slice: no second copy of a megabyte payload.

use super::envelope::Envelope;
use crate::error::{Error, ErrorCode, Result};
use crate::time::Timestamp;
use ed25519_dalek::SigningKey;
use serde::{Deserialize, Serialize};

/// DSSE `payloadType` of a bundle manifest.
pub const MANIFEST_PAYLOAD_TYPE: &str = "application/vnd.offer-edge.manifest+json";

/// How a format v2 file starts; anything else is read as a v1 DSSE envelope.
const PREFIX: &[u8] = b"{\"manifest\":";
/// What joins the envelope and the bundle.
const SEPARATOR: &[u8] = b",\"bundle\":";

/// The signed payload of a format v2 file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Manifest {
    /// The bundle's partner.
    pub partner: String,
    /// The bundle's version.
    pub version: u64,
    /// The bundle's `issuedAt`.
    pub issued_at: Timestamp,
    /// The bundle's `expiresAt`.
    pub expires_at: Timestamp,
    /// Lower-case hex SHA-256 of the bundle bytes.
    pub bundle_sha256: String,
    /// Length of the bundle bytes.
    pub bundle_bytes: u64,
    /// The compiled form of this bundle (`*.oeb`, what pages load; see
    /// [`super::form`]), when `sign` wrote one: the same signatures cover
    /// the JSON and the bytes pages read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compiled: Option<CompiledDigest>,
}

/// Length and SHA-256 of a compiled form's body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CompiledDigest {
    /// Lower-case hex SHA-256 of the body.
    pub sha256: String,
    /// Length of the body.
    pub bytes: u64,
}

/// The fields a manifest repeats from the bundle, read from the bundle
/// itself when signing (the rest of the document is ignored here).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Header {
    partner: String,
    version: u64,
    issued_at: Timestamp,
    expires_at: Timestamp,
}

/// Whether `bytes` claim format v2 (by their first bytes only).
pub fn is_manifest_file(bytes: &[u8]) -> bool {
    bytes.starts_with(PREFIX)
}

/// How tools name the format of `bytes`: `"format v2, manifest"` or
/// `"format v1, dsse"` (by their first bytes only; nothing is verified).
pub fn format_name(bytes: &[u8]) -> &'static str {
    if is_manifest_file(bytes) {
        "format v2, manifest"
    } else {
        "format v1, dsse"
    }
}

fn malformed(why: impl Into<String>) -> Error {
    Error::new(ErrorCode::EnvelopeMalformed, why)
}

/// A format v2 file taken apart (nothing verified yet).
#[derive(Debug)]
pub struct Split<'a> {
    /// The manifest's DSSE envelope.
    pub envelope: Envelope,
    /// The bundle's bytes: a sub-slice of the file, never copied.
    pub bundle: &'a [u8],
    /// How deep the bundle's arrays/objects nest (checked against
    /// [`crate::limits::MAX_JSON_DEPTH`] once the digest matched).
    pub depth: usize,
}

/// Splits a format v2 file into its manifest envelope and the bundle bytes.
/// Each value is scanned once before verification: the envelope by
/// serde_json, which reports where it ends; the bundle by a bracket scan that
/// finds where it ends (and how deep it nests) without parsing it.
///
/// # Errors
/// `ENVELOPE_MALFORMED` when the file does not have exactly the v2 shape
/// (whitespace or any byte outside the two values included), or the envelope
/// is not one (see [`Envelope::parse`]).
pub fn split(bytes: &[u8]) -> Result<Split<'_>> {
    let rest = bytes
        .strip_prefix(PREFIX)
        .ok_or_else(|| malformed("a manifest file starts with {\"manifest\":"))?;
    // The stream deserializer would skip leading whitespace; the format has none.
    if rest.first() != Some(&b'{') {
        return Err(malformed(
            "the manifest envelope must follow {\"manifest\": directly",
        ));
    }
    let mut stream = serde_json::Deserializer::from_slice(rest).into_iter::<Envelope>();
    let envelope = match stream.next() {
        Some(Ok(envelope)) => envelope,
        Some(Err(e)) => return Err(malformed(format!("not a DSSE envelope: {e}"))),
        None => return Err(malformed("no manifest envelope")),
    };
    let end = stream.byte_offset();
    let envelope = envelope.checked()?;
    let bundle = rest
        .get(end..)
        .and_then(|r| r.strip_prefix(SEPARATOR))
        .ok_or_else(|| malformed("the manifest envelope must be followed by ,\"bundle\":"))?
        .strip_suffix(b"}")
        .ok_or_else(|| malformed("the file must end with } (no trailing byte or newline)"))?;
    // A bundle is an object that must close exactly before the final `}`:
    // this refuses whitespace or stray bytes around it, which the digest
    // would otherwise cover and report as tampering.
    if bundle.first() != Some(&b'{') {
        return Err(malformed(
            "the bundle must be a JSON object directly after \"bundle\":",
        ));
    }
    let (end, depth) = object_extent(bundle);
    if end != Some(bundle.len()) {
        return Err(malformed(
            "the bundle object must end directly before the file's final }",
        ));
    }
    Ok(Split {
        envelope,
        bundle,
        depth,
    })
}

/// Where the JSON value starting at `bytes[0]` closes (the index after its
/// last bracket; `None` if it never does), and the deepest nesting seen on
/// the way. One pass that skips string contents (and escapes), so brackets
/// inside strings do not count; it stands in for a separate nesting scan.
fn object_extent(bytes: &[u8]) -> (Option<usize>, usize) {
    let (mut depth, mut deepest) = (0usize, 0usize);
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'"' => {
                // Jump to the closing quote: only `"` and `\` matter inside.
                i += 1;
                while let Some(&c) = bytes.get(i) {
                    if c == b'"' {
                        break;
                    }
                    i += if c == b'\\' { 2 } else { 1 };
                }
            }
            b'{' | b'[' => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            b'}' | b']' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return (Some(i + 1), deepest);
                }
            }
            _ => {}
        }
        i += 1;
    }
    (None, deepest)
}

/// Joins a signed manifest envelope and the bundle bytes into a v2 file.
///
/// # Errors
/// `ENVELOPE_MALFORMED` if the envelope does not serialize.
pub fn assemble(envelope: &Envelope, bundle: &[u8]) -> Result<Vec<u8>> {
    let envelope = envelope.to_json()?;
    let mut out =
        Vec::with_capacity(PREFIX.len() + envelope.len() + SEPARATOR.len() + bundle.len() + 1);
    out.extend_from_slice(PREFIX);
    out.extend_from_slice(envelope.as_bytes());
    out.extend_from_slice(SEPARATOR);
    out.extend_from_slice(bundle);
    out.push(b'}');
    Ok(out)
}

/// `bytes` without leading and trailing ASCII whitespace (a bundle file's
/// final newline is not part of the bundle value).
pub fn trim_json(bytes: &[u8]) -> &[u8] {
    let start = bytes
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(bytes.len());
    let end = bytes
        .iter()
        .rposition(|b| !b.is_ascii_whitespace())
        .map_or(start, |i| i + 1);
    bytes.get(start..end).unwrap_or_default()
}

/// `bytes` (valid JSON) without the whitespace between tokens: the same
/// document, byte for byte the same values, fewer bytes to download. Only
/// whitespace outside strings is dropped; nothing is re-serialized.
pub fn minify_json(bytes: &[u8]) -> Vec<u8> {
    let mut strings = super::validate::JsonStrings::default();
    bytes
        .iter()
        .copied()
        .filter(|&b| strings.in_string(b) || !matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
        .collect()
}

impl Manifest {
    /// The manifest of `bundle` (its exact bytes, without surrounding whitespace).
    ///
    /// # Errors
    /// `PAYLOAD_MALFORMED` when the bytes lack a partner, version or dates.
    pub fn of(bundle: &[u8]) -> Result<Self> {
        let header: Header = serde_json::from_slice(bundle)
            .map_err(|e| Error::new(ErrorCode::PayloadMalformed, format!("not a bundle: {e}")))?;
        Ok(Self {
            partner: header.partner,
            version: header.version,
            issued_at: header.issued_at,
            expires_at: header.expires_at,
            bundle_sha256: crate::context::sha256_hex(bundle),
            bundle_bytes: bundle.len() as u64,
            compiled: None,
        })
    }

    /// Signs this manifest with every `(keyid, key)` pair and assembles the
    /// v2 file around `bundle` (which it must describe; not checked here).
    ///
    /// # Errors
    /// `ENVELOPE_MALFORMED` if serialization fails.
    pub fn sign(&self, bundle: &[u8], keys: &[(&str, &SigningKey)]) -> Result<Vec<u8>> {
        assemble(&self.envelope(keys)?, bundle)
    }

    /// This manifest signed with every `(keyid, key)` pair: the envelope a
    /// v2 file and its compiled form (src/bundle/form.rs) both carry.
    ///
    /// # Errors
    /// `ENVELOPE_MALFORMED` if serialization fails.
    pub fn envelope(&self, keys: &[(&str, &SigningKey)]) -> Result<Envelope> {
        let payload = serde_json::to_vec(self).map_err(|e| malformed(e.to_string()))?;
        Ok(Envelope::sign(MANIFEST_PAYLOAD_TYPE, &payload, keys))
    }
}

/// Signs `bundle` (a bundle document's bytes; surrounding whitespace is
/// dropped) as a format v2 file. Validation is the caller's.
///
/// # Errors
/// `PAYLOAD_MALFORMED` when the bytes are not a bundle header.
pub fn sign_bundle(bundle: &[u8], keys: &[(&str, &SigningKey)]) -> Result<Vec<u8>> {
    let bundle = trim_json(bundle);
    Manifest::of(bundle)?.sign(bundle, keys)
}

#[cfg(test)]
mod tests {
    use super::*;

    const BUNDLE: &[u8] =
        br#"{"partner":"acme","version":3,"issuedAt":"2026-01-01T00:00:00Z","expiresAt":"2099-01-01T00:00:00Z","offers":[]}"#;

    #[test]
    fn minify_drops_whitespace_between_tokens_only() {
        let pretty =
            b"{\n  \"a b\": [ 1 , 2.50 ],\n  \"s\": \" x\\\" \\\\\" ,\"t\" : \"\\t y \"\n}\n";
        let min = minify_json(pretty);
        assert_eq!(
            std::str::from_utf8(&min).unwrap(),
            r#"{"a b":[1,2.50],"s":" x\" \\","t":"\t y "}"#
        );
        let a: serde_json::Value = serde_json::from_slice(pretty).unwrap();
        let b: serde_json::Value = serde_json::from_slice(&min).unwrap();
        assert_eq!(a, b);
    }

    fn signed() -> Vec<u8> {
        let key = SigningKey::from_bytes(&[7u8; 32]);
        sign_bundle(BUNDLE, &[("k", &key)]).unwrap()
    }

    #[test]
    fn splits_what_it_assembles() {
        let file = signed();
        assert!(is_manifest_file(&file));
        let Split {
            envelope,
            bundle,
            depth,
        } = split(&file).unwrap();
        assert_eq!(bundle, BUNDLE);
        assert_eq!(depth, 2);
        assert_eq!(envelope.payload_type, MANIFEST_PAYLOAD_TYPE);
        let manifest: Manifest =
            serde_json::from_slice(&envelope.payload_bytes().unwrap()).unwrap();
        assert_eq!(manifest, Manifest::of(BUNDLE).unwrap());
        assert_eq!(manifest.bundle_bytes, BUNDLE.len() as u64);
        // A file's trailing newline is not part of the bundle.
        let key = SigningKey::from_bytes(&[7u8; 32]);
        let mut with_newline = BUNDLE.to_vec();
        with_newline.extend_from_slice(b"\n");
        assert_eq!(sign_bundle(&with_newline, &[("k", &key)]).unwrap(), file);
    }

    #[test]
    fn refuses_anything_outside_the_two_values() {
        let file = String::from_utf8(signed()).unwrap();
        let variants = [
            file.replacen("{\"manifest\":", "{\"manifest\": ", 1),
            file.replacen(",\"bundle\":", ", \"bundle\":", 1),
            file.replacen(",\"bundle\":", ",\"bundle\": ", 1),
            file.replacen(",\"bundle\":", " ,\"bundle\":", 1),
            format!("{}\n", file),
            format!("{} ", file),
            format!("{}}}", file),
            format!("{} }}", &file[..file.len() - 1]),
            file.replacen(",\"bundle\":", ",\"bundlE\":", 1),
            file[..file.len() - 1].to_owned(),
            file.replacen(",\"bundle\":", ",\"other\":1,\"bundle\":", 1),
            "{\"manifest\":".to_owned(),
            "{\"manifest\":{}}".to_owned(),
        ];
        for v in variants {
            let err = split(v.as_bytes()).unwrap_err();
            assert_eq!(err.code(), ErrorCode::EnvelopeMalformed, "{v:.60}");
        }
    }

    #[test]
    fn finds_where_the_object_ends() {
        assert_eq!(object_extent(br#"{"a":"}]\"}"}x"#), (Some(13), 1));
        assert_eq!(object_extent(br#"{"a":[[{}]]}"#), (Some(12), 4));
        assert_eq!(object_extent(br#"{"a":"\"#), (None, 1));
        assert_eq!(object_extent(b"{"), (None, 1));
    }

    #[test]
    fn trims_only_the_ends() {
        assert_eq!(trim_json(b" \n{ }\r\n"), b"{ }");
        assert_eq!(trim_json(b"  "), b"");
    }
}

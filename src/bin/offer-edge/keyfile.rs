//! Key files written by `keygen` and read by `sign`, `trust`, `demo-bundle`
//! and `checkout-token`.
//!
//! `ID.key` (mode 0600): `{"keyid", "kind", "secretKey"}`; `ID.pub`:
//! `{"keyid", "kind", "publicKey"}`; keys are standard base64 of 32 bytes.

use crate::io::{io_err, read};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use ed25519_dalek::SigningKey;
use offer_edge::{Error, ErrorCode, Result};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// What a key is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum KeyKind {
    /// Ed25519, signs bundles.
    #[value(alias = "signing")]
    Ed25519,
    /// X25519, receives sealed confirmation emails.
    #[value(alias = "fulfilment")]
    X25519,
    /// Ed25519 too, but for a partner's checkout tokens: a kind of its own
    /// so a checkout key can never sign a bundle (or the reverse).
    Checkout,
}

/// A private key file.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SecretFile {
    /// Key id.
    pub keyid: String,
    /// Algorithm.
    pub kind: KeyKind,
    /// Base64 of the 32-byte secret (Ed25519 seed or X25519 scalar).
    pub secret_key: String,
}

/// A public key file.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PublicFile {
    /// Key id.
    pub keyid: String,
    /// Algorithm.
    pub kind: KeyKind,
    /// Base64 of the 32-byte public key.
    pub public_key: String,
}

fn parse<T: for<'de> Deserialize<'de>>(path: &Path) -> Result<T> {
    serde_json::from_slice(&read(path)?).map_err(|e| {
        Error::new(
            ErrorCode::KeyInvalid,
            format!("{}: not a key file: {e}", path.display()),
        )
    })
}

/// Reads an Ed25519 bundle signing key file.
pub fn read_signing_key(path: &Path) -> Result<(String, SigningKey)> {
    read_ed25519(path, KeyKind::Ed25519)
}

/// Reads a partner checkout key file (`keygen --kind checkout`).
pub fn read_checkout_key(path: &Path) -> Result<(String, SigningKey)> {
    read_ed25519(path, KeyKind::Checkout)
}

fn read_ed25519(path: &Path, kind: KeyKind) -> Result<(String, SigningKey)> {
    let file: SecretFile = parse(path)?;
    if file.kind != kind {
        let what = match kind {
            KeyKind::Checkout => "a checkout key (keygen --kind checkout)",
            _ => "an ed25519 signing key",
        };
        return Err(Error::new(
            ErrorCode::KeyInvalid,
            format!("{}: not {what}", path.display()),
        ));
    }
    let seed: [u8; 32] = B64
        .decode(&file.secret_key)
        .ok()
        .and_then(|raw| raw.try_into().ok())
        .ok_or_else(|| bad_secret(path))?;
    Ok((file.keyid, SigningKey::from_bytes(&seed)))
}

fn bad_secret(path: &Path) -> Error {
    Error::new(
        ErrorCode::KeyInvalid,
        format!("{}: secretKey must be base64 of 32 bytes", path.display()),
    )
}

/// Reads a public key file of the expected kind.
pub fn read_public(path: &Path, kind: KeyKind) -> Result<PublicFile> {
    let file: PublicFile = parse(path)?;
    if file.kind != kind {
        return Err(Error::new(
            ErrorCode::KeyInvalid,
            format!("{}: expected a {kind:?} public key", path.display()),
        ));
    }
    Ok(file)
}

/// Refuses key ids that are unsafe as file names.
pub fn check_keyid(keyid: &str) -> Result<()> {
    let ok = !keyid.is_empty()
        && keyid.len() <= 64
        && !keyid.starts_with('.')
        && keyid
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    if ok {
        Ok(())
    } else {
        Err(Error::new(
            ErrorCode::KeyInvalid,
            format!("keyid {keyid:?}: use 1-64 of A-Z a-z 0-9 - _ . (not starting with .)"),
        ))
    }
}

/// Writes a file only the owner can read, refusing to overwrite.
pub fn write_private(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write as _;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut file = options.open(path).map_err(|e| io_err(path, e))?;
    file.write_all(bytes).map_err(|e| io_err(path, e))
}

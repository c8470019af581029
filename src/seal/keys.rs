//! Partner fulfilment key pairs: generation from host entropy and the two
//! JSON files `offer-edge keygen --kind fulfilment` writes — a private file
//! the partner's fulfilment service keeps, and a public `fulfilmentKey`
//! object to paste into the bundle.

use super::suite;
use crate::bundle::FulfilmentKey;
use crate::error::{Error, ErrorCode, Result};
use crate::limits::MAX_ID_LEN;
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use serde::{Deserialize, Serialize};

/// The `kind` tag of a fulfilment private key file.
pub const FULFILMENT_KEY_KIND: &str = "offer-edge/fulfilment-x25519";

/// A partner's fulfilment private key file (keep secret, never in a bundle).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FulfilmentPrivateKey {
    /// Always [`FULFILMENT_KEY_KIND`].
    pub kind: String,
    /// Key id, the same as in the bundle's `fulfilmentKey`.
    pub kid: String,
    /// Base64 (standard) of the 32-byte X25519 private key.
    pub private_key: String,
    /// Base64 (standard) of the matching public key.
    pub public_key: String,
}

fn key_invalid(message: impl Into<String>) -> Error {
    Error::new(ErrorCode::KeyInvalid, message)
}

fn decode_32(what: &str, text: &str) -> Result<[u8; 32]> {
    STANDARD
        .decode(text)
        .ok()
        .and_then(|bytes| <[u8; 32]>::try_from(bytes).ok())
        .ok_or_else(|| key_invalid(format!("{what} must be 32 bytes of standard base64")))
}

fn check_kid(kid: &str) -> Result<()> {
    if kid.is_empty() || kid.len() > MAX_ID_LEN {
        return Err(key_invalid(format!("kid must be 1..={MAX_ID_LEN} bytes")));
    }
    Ok(())
}

/// A fulfilment key pair `(private, public)` from 32 bytes of host entropy
/// (RFC 9180 DeriveKeyPair for DHKEM(X25519, HKDF-SHA256)). Same entropy,
/// same pair: the CLI passes fresh OS randomness.
pub fn generate_fulfilment_keypair(entropy: [u8; 32]) -> ([u8; 32], [u8; 32]) {
    suite::derive_keypair(&entropy)
}

/// The X25519 public key of a bundle's `fulfilmentKey`.
///
/// # Errors
/// `KEY_INVALID` when `kid` is empty or too long, or `publicKey` is not 32
/// bytes of standard base64.
pub fn decode_public_key(key: &FulfilmentKey) -> Result<[u8; 32]> {
    check_kid(&key.kid)?;
    decode_32("fulfilmentKey.publicKey", &key.public_key)
}

/// The two files of a new fulfilment key: `(private_json, public_json)`,
/// both pretty-printed with a trailing newline. `public_json` is a bundle
/// `fulfilmentKey` object.
///
/// # Errors
/// `KEY_INVALID` when `kid` is empty or longer than [`MAX_ID_LEN`].
pub fn fulfilment_key_files(kid: &str, entropy: [u8; 32]) -> Result<(String, String)> {
    check_kid(kid)?;
    let (private, public) = generate_fulfilment_keypair(entropy);
    let private_file = FulfilmentPrivateKey {
        kind: FULFILMENT_KEY_KIND.to_owned(),
        kid: kid.to_owned(),
        private_key: STANDARD.encode(private),
        public_key: STANDARD.encode(public),
    };
    let public_file = FulfilmentKey {
        kid: kid.to_owned(),
        public_key: STANDARD.encode(public),
    };
    let to_json = |value: serde_json::Result<String>| {
        value
            .map(|text| text + "\n")
            .map_err(|e| key_invalid(format!("cannot encode key file: {e}")))
    };
    Ok((
        to_json(serde_json::to_string_pretty(&private_file))?,
        to_json(serde_json::to_string_pretty(&public_file))?,
    ))
}

impl FulfilmentPrivateKey {
    /// Parses a private key file and checks that its public key matches its
    /// private key (a mismatched file would seal to a key nobody can open).
    ///
    /// # Errors
    /// `KEY_INVALID` for malformed JSON, another `kind`, bad base64 or a
    /// public key that does not belong to the private key.
    pub fn from_json(text: &str) -> Result<Self> {
        let file: Self = serde_json::from_slice(text.as_bytes())
            .map_err(|e| key_invalid(format!("not a fulfilment private key file: {e}")))?;
        if file.kind != FULFILMENT_KEY_KIND {
            return Err(key_invalid(format!(
                "key kind is {:?}, expected {FULFILMENT_KEY_KIND:?}",
                file.kind
            )));
        }
        check_kid(&file.kid)?;
        let private = file.private_key_bytes()?;
        let public = decode_32("publicKey", &file.public_key)?;
        if suite::public_of(&private)? != public {
            return Err(key_invalid("publicKey does not match privateKey"));
        }
        Ok(file)
    }

    /// The raw private key for [`super::open_fulfilment`].
    ///
    /// # Errors
    /// `KEY_INVALID` when `privateKey` is not 32 bytes of standard base64.
    pub fn private_key_bytes(&self) -> Result<[u8; 32]> {
        decode_32("privateKey", &self.private_key)
    }

    /// The public half, as the bundle's `fulfilmentKey`.
    pub fn public(&self) -> FulfilmentKey {
        FulfilmentKey {
            kid: self.kid.clone(),
            public_key: self.public_key.clone(),
        }
    }
}

//! JWS compact serialization (RFC 7515 §7.1) for exactly one algorithm:
//! EdDSA over Ed25519 (RFC 8037).
//!
//! Why a hand-written reader rather than a JOSE crate: the whole format we
//! accept is three base64url parts and a two-member header, and a general
//! JOSE library brings algorithm agility (`none`, HMAC with a public key as
//! secret, keys embedded in the header) that is exactly what we must refuse.
//! Here the algorithm is fixed by us, not chosen by the token:
//!
//! | header member            | treatment                                       |
//! |--------------------------|-------------------------------------------------|
//! | `alg`                    | must be `"EdDSA"`; `none`, `HS256`… refused     |
//! | `kid`                    | string of 1..=128 bytes, looked up in pinned keys |
//! | `crit`                   | refused (we implement no extensions)            |
//! | `jwk`, `jku`, `x5u`, `x5c` | refused: a token never brings its own key     |
//! | anything else (`typ`…)   | ignored                                         |

use crate::error::{Error, ErrorCode, Result};
use crate::limits::{MAX_CHECKOUT_TOKEN_BYTES, MAX_ID_LEN};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde::de::IgnoredAny;
use serde::{Deserialize, Deserializer, Serialize};

/// The only `alg` we accept or write.
pub(super) const ALG: &str = "EdDSA";

pub(super) fn invalid(message: impl Into<String>) -> Error {
    Error::new(ErrorCode::TokenInvalid, message)
}

/// A token split into its parts, each decoded from base64url; nothing in it
/// is trusted yet.
pub(super) struct Parts<'a> {
    /// `b64(header) "." b64(payload)`: the bytes the signature covers.
    pub signing_input: &'a str,
    /// Decoded protected header (JSON).
    pub header: Vec<u8>,
    /// Decoded payload (JSON claims).
    pub payload: Vec<u8>,
    /// Decoded signature.
    pub signature: Vec<u8>,
}

fn decode_part(what: &str, part: &str) -> Result<Vec<u8>> {
    if part.is_empty() {
        return Err(invalid(format!("token {what} is empty")));
    }
    // URL_SAFE_NO_PAD refuses `=`, `+`, `/` and non-canonical trailing bits.
    URL_SAFE_NO_PAD
        .decode(part)
        .map_err(|_| invalid(format!("token {what} is not base64url without padding")))
}

/// Splits a compact token after checking its length and that it is exactly
/// three non-empty base64url (unpadded) parts.
///
/// # Errors
/// `TOKEN_INVALID` naming the problem.
pub(super) fn split(token: &str) -> Result<Parts<'_>> {
    if token.len() > MAX_CHECKOUT_TOKEN_BYTES {
        return Err(invalid(format!(
            "token is longer than {MAX_CHECKOUT_TOKEN_BYTES} bytes"
        )));
    }
    let mut parts = token.split('.');
    let (Some(header), Some(payload), Some(signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(invalid(
            "token must be three base64url parts: header.payload.signature",
        ));
    };
    // header and payload are ASCII slices of `token`, adjacent around a '.'.
    let signing_input = token
        .get(..header.len() + 1 + payload.len())
        .ok_or_else(|| invalid("token is malformed"))?;
    Ok(Parts {
        signing_input,
        header: decode_part("header", header)?,
        payload: decode_part("payload", payload)?,
        signature: decode_part("signature", signature)?,
    })
}

/// Whether `json` is (whitespace, then) a JSON object. serde's derived
/// readers also take arrays for structs; JOSE headers and claim sets must be
/// objects.
pub(super) fn is_object(json: &[u8]) -> bool {
    json.trim_ascii_start().first() == Some(&b'{')
}

/// A header member we refuse whatever its value (even `null`): `true` when
/// the member is present.
#[derive(Default)]
struct Present(bool);

impl<'de> Deserialize<'de> for Present {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        IgnoredAny::deserialize(deserializer).map(|_| Self(true))
    }
}

/// The protected header as read. Derived, so a repeated `alg` or `kid` is
/// refused ("duplicate field") rather than silently resolved.
#[derive(Deserialize)]
struct RawHeader {
    alg: String,
    kid: String,
    #[serde(default)]
    crit: Present,
    #[serde(default)]
    jwk: Present,
    #[serde(default)]
    jku: Present,
    #[serde(default)]
    x5u: Present,
    #[serde(default)]
    x5c: Present,
}

/// Checks the protected header and returns its `kid`.
///
/// # Errors
/// `TOKEN_INVALID` when the header is not a JSON object, `alg` is not
/// `"EdDSA"`, `kid` is not a string of 1..=[`MAX_ID_LEN`] bytes, or `crit`,
/// `jwk`, `jku`, `x5u` or `x5c` is present.
pub(super) fn read_header(json: &[u8]) -> Result<String> {
    if !is_object(json) {
        return Err(invalid("token header is not a JSON object"));
    }
    let header: RawHeader =
        serde_json::from_slice(json).map_err(|e| invalid(format!("token header: {e}")))?;
    if header.alg != ALG {
        return Err(invalid(format!(
            "token alg must be {ALG:?} (Ed25519), not {:?}",
            header.alg
        )));
    }
    for (name, present) in [
        ("crit", &header.crit),
        ("jwk", &header.jwk),
        ("jku", &header.jku),
        ("x5u", &header.x5u),
        ("x5c", &header.x5c),
    ] {
        if present.0 {
            return Err(invalid(format!(
                "token header member {name:?} is not allowed"
            )));
        }
    }
    if header.kid.is_empty() || header.kid.len() > MAX_ID_LEN {
        return Err(invalid(format!("token kid must be 1..={MAX_ID_LEN} bytes")));
    }
    Ok(header.kid)
}

/// The header we write.
#[derive(Serialize)]
struct MintHeader<'a> {
    alg: &'static str,
    kid: &'a str,
    typ: &'static str,
}

/// `b64(header) "." b64(payload)` for a new token signed under `kid`.
///
/// # Errors
/// `TOKEN_INVALID` when `kid` is not 1..=[`MAX_ID_LEN`] bytes.
pub(super) fn signing_input(kid: &str, payload: &[u8]) -> Result<String> {
    if kid.is_empty() || kid.len() > MAX_ID_LEN {
        return Err(invalid(format!("token kid must be 1..={MAX_ID_LEN} bytes")));
    }
    let header = serde_json::to_vec(&MintHeader {
        alg: ALG,
        kid,
        typ: "JWT",
    })
    .map_err(|e| invalid(format!("cannot encode token header: {e}")))?;
    Ok(format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header),
        URL_SAFE_NO_PAD.encode(payload)
    ))
}

/// base64url (no padding) of `bytes`.
pub(super) fn b64url(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

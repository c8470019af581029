//! The one HPKE ciphersuite we use, in Base mode (RFC 9180 §5.1.1):
//! DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, ChaCha20-Poly1305.
//!
//! ChaCha20-Poly1305 rather than AES-128-GCM: WebAssembly has no AES
//! instructions, so software AES must be bitsliced to stay constant-time
//! (bigger and slower), while ChaCha20 is naturally constant-time in plain
//! 32-bit arithmetic; and the ChaCha20 core is shared with the RNG that
//! stretches host entropy into the ephemeral key.
//!
//! Everything here works on raw bytes; the fulfilment format lives in the
//! parent module. Known-answer tests against RFC 9180 A.2.1 are in `kat_tests`.

use crate::error::{Error, ErrorCode, Result};
use hpke::aead::ChaCha20Poly1305;
use hpke::kdf::HkdfSha256;
use hpke::kem::X25519HkdfSha256;
use hpke::rand_core::CryptoRng;
use hpke::{Deserializable, Kem as _, OpModeR, OpModeS, Serializable};

pub(crate) type SuiteKem = X25519HkdfSha256;
pub(crate) type SuiteKdf = HkdfSha256;
pub(crate) type SuiteAead = ChaCha20Poly1305;

/// Length of an X25519 key (public or private) and of `enc`.
pub(crate) const KEY_LEN: usize = 32;
/// Length of the ChaCha20-Poly1305 tag appended to every ciphertext.
pub(crate) const TAG_LEN: usize = 16;

fn seal_failed(message: &str) -> Error {
    Error::new(ErrorCode::SealFailed, message)
}

/// RFC 9180 DeriveKeyPair: a deterministic (private, public) pair from `ikm`.
pub(crate) fn derive_keypair(ikm: &[u8]) -> ([u8; KEY_LEN], [u8; KEY_LEN]) {
    let (sk, pk) = SuiteKem::derive_keypair(ikm);
    (sk.to_bytes().into(), pk.to_bytes().into())
}

/// The public key of a private key.
///
/// # Errors
/// `KEY_INVALID` when the bytes are not an X25519 private key.
pub(crate) fn public_of(private_key: &[u8; KEY_LEN]) -> Result<[u8; KEY_LEN]> {
    let sk = <SuiteKem as hpke::Kem>::PrivateKey::from_bytes(private_key)
        .map_err(|_| Error::new(ErrorCode::KeyInvalid, "not an X25519 private key"))?;
    Ok(SuiteKem::sk_to_pk(&sk).to_bytes().into())
}

/// Single-shot Base-mode seal to `public_key`; the ephemeral key is drawn
/// from `rng`. Returns `(enc, ciphertext ‖ tag)`.
///
/// # Errors
/// `KEY_INVALID` for a malformed public key; `SEAL_FAILED` when the KEM or
/// AEAD refuses (e.g. a low-order public key giving an all-zero secret).
pub(crate) fn seal_base(
    public_key: &[u8; KEY_LEN],
    info: &[u8],
    aad: &[u8],
    plaintext: &[u8],
    rng: &mut impl CryptoRng,
) -> Result<([u8; KEY_LEN], Vec<u8>)> {
    let pk = <SuiteKem as hpke::Kem>::PublicKey::from_bytes(public_key)
        .map_err(|_| Error::new(ErrorCode::KeyInvalid, "not an X25519 public key"))?;
    let (enc, ciphertext) = hpke::single_shot_seal_with_rng::<SuiteAead, SuiteKdf, SuiteKem>(
        &OpModeS::Base,
        &pk,
        info,
        plaintext,
        aad,
        rng,
    )
    .map_err(|_| seal_failed("HPKE seal failed (unusable recipient key)"))?;
    Ok((enc.to_bytes().into(), ciphertext))
}

/// Single-shot Base-mode open with `private_key`.
///
/// # Errors
/// `KEY_INVALID` for a malformed private key; `SEAL_FAILED` when `enc` is
/// malformed or the ciphertext does not authenticate under this key, `info`
/// and `aad` (wrong recipient, wrong context, tampering).
pub(crate) fn open_base(
    private_key: &[u8; KEY_LEN],
    enc: &[u8],
    info: &[u8],
    aad: &[u8],
    ciphertext: &[u8],
) -> Result<Vec<u8>> {
    let sk = <SuiteKem as hpke::Kem>::PrivateKey::from_bytes(private_key)
        .map_err(|_| Error::new(ErrorCode::KeyInvalid, "not an X25519 private key"))?;
    let enc = <SuiteKem as hpke::Kem>::EncappedKey::from_bytes(enc)
        .map_err(|_| seal_failed("enc is not an X25519 public key"))?;
    hpke::single_shot_open::<SuiteAead, SuiteKdf, SuiteKem>(
        &OpModeR::Base,
        &sk,
        &enc,
        info,
        ciphertext,
        aad,
    )
    .map_err(|_| seal_failed("sealed request does not open with this key and context"))
}

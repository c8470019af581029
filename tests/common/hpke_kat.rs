//! Reading RFC 9180's known-answer vectors and replaying their ephemeral
//! key: shared by the unit tests of `src/seal/kat_tests.rs` (which reach the
//! crate-private suite wrappers) and the wasm32 suite `tests/wasm/hpke_kat.rs`
//! (which runs the same vectors where the crate ships). Both include this
//! file by `#[path]`; it names only `hpke`, `serde` and `serde_json`, so it
//! compiles inside the crate and outside it, natively and on wasm32.
// Each includer reads the vector fields it checks, not all of them.
#![allow(dead_code)]

use hpke::rand_core::{TryCryptoRng, TryRng};
use serde::Deserialize;
use std::convert::Infallible;

/// One test vector of RFC 9180 Appendix A, hex strings as printed there.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Vector {
    pub mode: u8,
    pub kem_id: u16,
    pub kdf_id: u16,
    pub aead_id: u16,
    pub info: String,
    pub ikm_e: String,
    pub pk_em: String,
    pub sk_em: String,
    pub ikm_r: String,
    pub pk_rm: String,
    pub sk_rm: String,
    pub enc: String,
    pub encryptions: Vec<Encryption>,
    pub exports: Vec<Export>,
}

/// One sealed message of a vector, at its sequence number.
#[derive(Deserialize)]
pub struct Encryption {
    pub seq: u32,
    pub pt: String,
    pub aad: String,
    pub ct: String,
}

/// One exported secret of a vector.
#[derive(Deserialize)]
#[allow(non_snake_case)]
pub struct Export {
    pub exporter_context: String,
    pub L: usize,
    pub exported_value: String,
}

impl Vector {
    /// Each sequence number from 0 to the last the appendix lists, with its
    /// encryption, or `None` where the appendix skips one (a context must
    /// still advance over it).
    pub fn sequence(&self) -> impl Iterator<Item = (u32, Option<&Encryption>)> {
        let last = self.encryptions.iter().map(|e| e.seq).max().unwrap();
        (0..=last).map(move |seq| (seq, self.encryptions.iter().find(|e| e.seq == seq)))
    }

    /// Checks every exported secret, `export(exporter_context, out)` filling
    /// `out` from the context under test.
    pub fn check_exports(&self, mut export: impl FnMut(&[u8], &mut [u8])) {
        for x in &self.exports {
            let mut out = vec![0u8; x.L];
            export(&hex(&x.exporter_context), &mut out);
            assert_eq!(out, hex(&x.exported_value));
        }
    }
}

/// The vector in `json` (a file of `tests/fixtures/hpke/`).
pub fn vector(json: &str) -> Vector {
    // The fixture's field names follow the RFC (`ikmE`, `kem_id`); map them.
    let raw: serde_json::Value = serde_json::from_str(json).unwrap();
    let mut obj = raw.as_object().unwrap().clone();
    for (from, to) in [
        ("kem_id", "kemId"),
        ("kdf_id", "kdfId"),
        ("aead_id", "aeadId"),
    ] {
        let v = obj.remove(from).unwrap();
        obj.insert(to.into(), v);
    }
    serde_json::from_value(serde_json::Value::Object(obj)).unwrap()
}

/// The bytes a hex string spells.
pub fn hex(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
        .collect()
}

/// RFC 9180 §7.1.2: SerializePrivateKey MUST clamp X25519 keys, but the
/// appendix prints them unclamped; compare the clamped forms.
pub fn clamped(mut key: Vec<u8>) -> Vec<u8> {
    key[0] &= 248;
    key[31] &= 127;
    key[31] |= 64;
    key
}

/// An "RNG" that replays fixed bytes: lets the sender derive the RFC's
/// ephemeral key from `ikmE`, as hpke draws exactly Nsk bytes for it.
pub struct Replay(pub Vec<u8>);

impl TryRng for Replay {
    type Error = Infallible;
    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        unreachable!("hpke fills bytes")
    }
    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        unreachable!("hpke fills bytes")
    }
    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        assert!(dst.len() <= self.0.len(), "asked for more than ikmE");
        let rest = self.0.split_off(dst.len());
        dst.copy_from_slice(&self.0);
        self.0 = rest;
        Ok(())
    }
}
impl TryCryptoRng for Replay {}

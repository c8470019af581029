//! RFC 9180 known-answer tests for our suite (Appendix A.2.1, Base mode),
//! run through the exact hpke types and wrappers `seal` uses. The vectors
//! are committed as data in `tests/fixtures/hpke/`.

use super::suite::{self, SuiteAead, SuiteKdf, SuiteKem};
use hpke::rand_core::{TryCryptoRng, TryRng};
use hpke::{Deserializable, OpModeR, OpModeS, Serializable};
use serde::Deserialize;
use std::convert::Infallible;

const A_2_1: &str = include_str!("../../tests/fixtures/hpke/rfc9180-a.2.1.json");

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Vector {
    mode: u8,
    kem_id: u16,
    kdf_id: u16,
    aead_id: u16,
    info: String,
    ikm_e: String,
    pk_em: String,
    sk_em: String,
    ikm_r: String,
    pk_rm: String,
    sk_rm: String,
    enc: String,
    encryptions: Vec<Encryption>,
    exports: Vec<Export>,
}

#[derive(Deserialize)]
struct Encryption {
    seq: u32,
    pt: String,
    aad: String,
    ct: String,
}

#[derive(Deserialize)]
#[allow(non_snake_case)]
struct Export {
    exporter_context: String,
    L: usize,
    exported_value: String,
}

fn vector() -> Vector {
    // The fixture's field names follow the RFC (`ikmE`, `kem_id`); map them.
    let raw: serde_json::Value = serde_json::from_str(A_2_1).unwrap();
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

fn hex(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
        .collect()
}

/// An "RNG" that replays fixed bytes: lets the sender derive the RFC's
/// ephemeral key from `ikmE`, as hpke draws exactly Nsk bytes for it.
struct Replay(Vec<u8>);

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

#[test]
fn vector_is_for_our_suite() {
    let v = vector();
    // Base mode, DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, ChaCha20Poly1305.
    assert_eq!((v.mode, v.kem_id, v.kdf_id, v.aead_id), (0, 0x20, 1, 3));
}

/// RFC 9180 §7.1.2: SerializePrivateKey MUST clamp X25519 keys, but the
/// appendix prints them unclamped; compare the clamped forms.
fn clamped(mut key: Vec<u8>) -> Vec<u8> {
    key[0] &= 248;
    key[31] &= 127;
    key[31] |= 64;
    key
}

#[test]
fn derive_keypair_matches_rfc() {
    let v = vector();
    let (sk_e, pk_e) = suite::derive_keypair(&hex(&v.ikm_e));
    assert_eq!(sk_e.to_vec(), clamped(hex(&v.sk_em)));
    assert_eq!(pk_e.to_vec(), hex(&v.pk_em));
    let (sk_r, pk_r) = suite::derive_keypair(&hex(&v.ikm_r));
    assert_eq!(sk_r.to_vec(), clamped(hex(&v.sk_rm)));
    assert_eq!(pk_r.to_vec(), hex(&v.pk_rm));
    assert_eq!(suite::public_of(&sk_r).unwrap(), pk_r);
}

#[test]
fn sender_reproduces_enc_ciphertexts_and_exports() {
    let v = vector();
    let pk_r = <SuiteKem as hpke::Kem>::PublicKey::from_bytes(&hex(&v.pk_rm)).unwrap();
    let mut rng = Replay(hex(&v.ikm_e));
    let (enc, mut ctx) = hpke::setup_sender_with_rng::<SuiteAead, SuiteKdf, SuiteKem>(
        &OpModeS::Base,
        &pk_r,
        &hex(&v.info),
        &mut rng,
    )
    .unwrap();
    assert_eq!(enc.to_bytes().to_vec(), hex(&v.enc));
    let last = v.encryptions.iter().map(|e| e.seq).max().unwrap();
    let mut checked = 0;
    for seq in 0..=last {
        match v.encryptions.iter().find(|e| e.seq == seq) {
            Some(e) => {
                let ct = ctx.seal(&hex(&e.pt), &hex(&e.aad)).unwrap();
                assert_eq!(ct, hex(&e.ct), "sequence number {seq}");
                checked += 1;
            }
            // Advance the sequence number as the RFC's sender did.
            None => drop(ctx.seal(b"", b"").unwrap()),
        }
    }
    assert_eq!(checked, v.encryptions.len());
    for x in &v.exports {
        let mut out = vec![0u8; x.L];
        ctx.export(&hex(&x.exporter_context), &mut out).unwrap();
        assert_eq!(out, hex(&x.exported_value));
    }
}

#[test]
fn receiver_opens_every_rfc_ciphertext() {
    let v = vector();
    let sk_r = <SuiteKem as hpke::Kem>::PrivateKey::from_bytes(&hex(&v.sk_rm)).unwrap();
    let enc = <SuiteKem as hpke::Kem>::EncappedKey::from_bytes(&hex(&v.enc)).unwrap();
    let mut receiver = hpke::setup_receiver::<SuiteAead, SuiteKdf, SuiteKem>(
        &OpModeR::Base,
        &sk_r,
        &enc,
        &hex(&v.info),
    )
    .unwrap();
    // A receiver's sequence number only advances on a successful open, so
    // the gaps between the RFC's sequence numbers are filled with messages
    // from a sender in the same context.
    let pk_r = <SuiteKem as hpke::Kem>::PublicKey::from_bytes(&hex(&v.pk_rm)).unwrap();
    let (_, mut sender) = hpke::setup_sender_with_rng::<SuiteAead, SuiteKdf, SuiteKem>(
        &OpModeS::Base,
        &pk_r,
        &hex(&v.info),
        &mut Replay(hex(&v.ikm_e)),
    )
    .unwrap();
    let last = v.encryptions.iter().map(|e| e.seq).max().unwrap();
    for seq in 0..=last {
        match v.encryptions.iter().find(|e| e.seq == seq) {
            Some(e) => {
                let pt = receiver.open(&hex(&e.ct), &hex(&e.aad)).unwrap();
                assert_eq!(pt, hex(&e.pt), "sequence number {seq}");
                drop(sender.seal(b"", b"").unwrap());
            }
            None => {
                let filler = sender.seal(b"gap", b"").unwrap();
                assert_eq!(receiver.open(&filler, b"").unwrap(), b"gap");
            }
        }
    }
    for x in &v.exports {
        let mut out = vec![0u8; x.L];
        receiver
            .export(&hex(&x.exporter_context), &mut out)
            .unwrap();
        assert_eq!(out, hex(&x.exported_value));
    }
}

#[test]
fn our_single_shot_wrappers_match_sequence_zero() {
    let v = vector();
    let first = &v.encryptions[0];
    let pk_r: [u8; 32] = hex(&v.pk_rm).try_into().unwrap();
    let (enc, ct) = suite::seal_base(
        &pk_r,
        &hex(&v.info),
        &hex(&first.aad),
        &hex(&first.pt),
        &mut Replay(hex(&v.ikm_e)),
    )
    .unwrap();
    assert_eq!(enc.to_vec(), hex(&v.enc));
    assert_eq!(ct, hex(&first.ct));

    let sk_r: [u8; 32] = hex(&v.sk_rm).try_into().unwrap();
    let pt = suite::open_base(&sk_r, &enc, &hex(&v.info), &hex(&first.aad), &ct).unwrap();
    assert_eq!(pt, hex(&first.pt));
    // One flipped bit anywhere and the RFC ciphertext no longer opens.
    for i in 0..ct.len() {
        let mut bad = ct.clone();
        bad[i] ^= 0x01;
        assert!(suite::open_base(&sk_r, &enc, &hex(&v.info), &hex(&first.aad), &bad).is_err());
    }
}

//! RFC 9180 Appendix A.2.1 known answers on wasm32, from the same fixture
//! file the native unit tests read: key derivation through our public API,
//! and the RFC's sender/receiver runs through the hpke types `seal` uses.

use crate::fixtures;
use hpke::aead::ChaCha20Poly1305;
use hpke::kdf::HkdfSha256;
use hpke::kem::X25519HkdfSha256;
use hpke::rand_core::{TryCryptoRng, TryRng};
use hpke::{Deserializable, Kem, OpModeR, OpModeS, Serializable};
use offer_edge::seal::generate_fulfilment_keypair;
use serde_json::Value;
use std::convert::Infallible;

fn vector() -> Value {
    serde_json::from_str(fixtures::get(fixtures::HPKE, "rfc9180-a.2.1.json")).unwrap()
}

fn hex(v: &Value) -> Vec<u8> {
    let text = v.as_str().unwrap();
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
        .collect()
}

/// RFC 9180 §7.1.2: private keys are compared in clamped form.
fn clamped(mut key: Vec<u8>) -> Vec<u8> {
    key[0] &= 248;
    key[31] &= 127;
    key[31] |= 64;
    key
}

/// Replays `ikmE` so the sender derives the RFC's ephemeral key.
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
        let rest = self.0.split_off(dst.len());
        dst.copy_from_slice(&self.0);
        self.0 = rest;
        Ok(())
    }
}
impl TryCryptoRng for Replay {}

type Aead = ChaCha20Poly1305;
type Kdf = HkdfSha256;
type Suite = X25519HkdfSha256;

tests! {
    fn fulfilment_keypair_is_rfc_derive_keypair() {
        let v = vector();
        for (ikm, sk, pk) in [("ikmE", "skEm", "pkEm"), ("ikmR", "skRm", "pkRm")] {
            let (private, public) = generate_fulfilment_keypair(hex(&v[ikm]).try_into().unwrap());
            assert_eq!(private.to_vec(), clamped(hex(&v[sk])), "{sk}");
            assert_eq!(public.to_vec(), hex(&v[pk]), "{pk}");
        }
    }

    fn sender_and_receiver_match_every_rfc_ciphertext() {
        let v = vector();
        let info = hex(&v["info"]);
        let pk_r = <Suite as Kem>::PublicKey::from_bytes(&hex(&v["pkRm"])).unwrap();
        let sk_r = <Suite as Kem>::PrivateKey::from_bytes(&hex(&v["skRm"])).unwrap();
        let (enc, mut sender) = hpke::setup_sender_with_rng::<Aead, Kdf, Suite>(
            &OpModeS::Base, &pk_r, &info, &mut Replay(hex(&v["ikmE"]))).unwrap();
        assert_eq!(enc.to_bytes().to_vec(), hex(&v["enc"]));
        let mut receiver = hpke::setup_receiver::<Aead, Kdf, Suite>(&OpModeR::Base, &sk_r, &enc, &info).unwrap();
        let encryptions = v["encryptions"].as_array().unwrap();
        let last = encryptions.iter().map(|e| e["seq"].as_u64().unwrap()).max().unwrap();
        let mut checked = 0;
        for seq in 0..=last {
            match encryptions.iter().find(|e| e["seq"].as_u64() == Some(seq)) {
                Some(e) => {
                    let ct = sender.seal(&hex(&e["pt"]), &hex(&e["aad"])).unwrap();
                    assert_eq!(ct, hex(&e["ct"]), "sequence number {seq}");
                    assert_eq!(receiver.open(&ct, &hex(&e["aad"])).unwrap(), hex(&e["pt"]));
                    checked += 1;
                }
                // Both sides advance over the RFC's gaps together.
                None => {
                    let filler = sender.seal(b"gap", b"").unwrap();
                    assert_eq!(receiver.open(&filler, b"").unwrap(), b"gap");
                }
            }
        }
        assert_eq!(checked, encryptions.len());
        for x in v["exports"].as_array().unwrap() {
            let mut out = vec![0u8; usize::try_from(x["L"].as_u64().unwrap()).unwrap()];
            receiver.export(&hex(&x["exporter_context"]), &mut out).unwrap();
            assert_eq!(out, hex(&x["exported_value"]));
        }
    }
}

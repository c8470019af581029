//! RFC 9180 Appendix A.2.1 known answers on wasm32, from the same fixture
//! file the native unit tests read: key derivation through our public API,
//! and the RFC's sender/receiver runs through the hpke types `seal` uses.

use crate::fixtures;
use hpke::aead::ChaCha20Poly1305;
use hpke::kdf::HkdfSha256;
use hpke::kem::X25519HkdfSha256;
use hpke::{Deserializable, Kem, OpModeR, OpModeS, Serializable};
use offer_edge::seal::generate_fulfilment_keypair;

// The reader and replaying RNG of the native unit tests
// (src/seal/kat_tests.rs), so both runs read the vectors alike.
#[path = "../common/hpke_kat.rs"]
mod vectors;
use vectors::{clamped, hex, Replay, Vector};

fn vector() -> Vector {
    vectors::vector(fixtures::get(fixtures::HPKE, "rfc9180-a.2.1.json"))
}

type Aead = ChaCha20Poly1305;
type Kdf = HkdfSha256;
type Suite = X25519HkdfSha256;

tests! {
    fn fulfilment_keypair_is_rfc_derive_keypair() {
        let v = vector();
        for (ikm, sk, pk) in [(&v.ikm_e, &v.sk_em, &v.pk_em), (&v.ikm_r, &v.sk_rm, &v.pk_rm)] {
            let (private, public) = generate_fulfilment_keypair(hex(ikm).try_into().unwrap());
            assert_eq!(private.to_vec(), clamped(hex(sk)), "{sk}");
            assert_eq!(public.to_vec(), hex(pk), "{pk}");
        }
    }

    fn sender_and_receiver_match_every_rfc_ciphertext() {
        let v = vector();
        let info = hex(&v.info);
        let pk_r = <Suite as Kem>::PublicKey::from_bytes(&hex(&v.pk_rm)).unwrap();
        let sk_r = <Suite as Kem>::PrivateKey::from_bytes(&hex(&v.sk_rm)).unwrap();
        let (enc, mut sender) = hpke::setup_sender_with_rng::<Aead, Kdf, Suite>(
            &OpModeS::Base, &pk_r, &info, &mut Replay(hex(&v.ikm_e))).unwrap();
        assert_eq!(enc.to_bytes().to_vec(), hex(&v.enc));
        let mut receiver = hpke::setup_receiver::<Aead, Kdf, Suite>(&OpModeR::Base, &sk_r, &enc, &info).unwrap();
        let mut checked = 0;
        for (seq, encryption) in v.sequence() {
            match encryption {
                Some(e) => {
                    let ct = sender.seal(&hex(&e.pt), &hex(&e.aad)).unwrap();
                    assert_eq!(ct, hex(&e.ct), "sequence number {seq}");
                    assert_eq!(receiver.open(&ct, &hex(&e.aad)).unwrap(), hex(&e.pt));
                    checked += 1;
                }
                // Both sides advance over the RFC's gaps together.
                None => {
                    let filler = sender.seal(b"gap", b"").unwrap();
                    assert_eq!(receiver.open(&filler, b"").unwrap(), b"gap");
                }
            }
        }
        assert_eq!(checked, v.encryptions.len());
        v.check_exports(|context, out| receiver.export(context, out).unwrap());
    }
}

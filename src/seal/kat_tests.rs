//! RFC 9180 known-answer tests for our suite (Appendix A.2.1, Base mode),
//! run through the exact hpke types and wrappers `seal` uses. The vectors
//! are committed as data in `tests/fixtures/hpke/`.

// The vector reader and the replaying RNG are shared with the wasm32 run of
// the same vectors (tests/wasm/hpke_kat.rs), which cannot reach `suite`.
#[path = "../../tests/common/hpke_kat.rs"]
mod vectors;

use super::suite::{self, SuiteAead, SuiteKdf, SuiteKem};
use hpke::{Deserializable, OpModeR, OpModeS, Serializable};
use vectors::{clamped, hex, Replay, Vector};

const A_2_1: &str = include_str!("../../tests/fixtures/hpke/rfc9180-a.2.1.json");

fn vector() -> Vector {
    vectors::vector(A_2_1)
}

#[test]
fn vector_is_for_our_suite() {
    let v = vector();
    // Base mode, DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, ChaCha20Poly1305.
    assert_eq!((v.mode, v.kem_id, v.kdf_id, v.aead_id), (0, 0x20, 1, 3));
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
    let mut checked = 0;
    for (seq, encryption) in v.sequence() {
        match encryption {
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
    v.check_exports(|context, out| ctx.export(context, out).unwrap());
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
    for (seq, encryption) in v.sequence() {
        match encryption {
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
    v.check_exports(|context, out| receiver.export(context, out).unwrap());
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

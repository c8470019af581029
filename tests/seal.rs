#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Sealing confirmation emails to a partner's fulfilment key: round trips,
//! and every way a request must refuse to open.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use offer_edge::bundle::FulfilmentKey;
use offer_edge::receipt::Receipt;
use offer_edge::seal::{
    fulfilment_key_files, generate_fulfilment_keypair, normalize_email, open_fulfilment,
    seal_for_fulfilment, FulfilmentPrivateKey, FulfilmentRequest,
};
use offer_edge::time::Timestamp;
use offer_edge::ErrorCode;

struct Partner {
    id: &'static str,
    kid: &'static str,
    private: [u8; 32],
    key: FulfilmentKey,
}

fn partner(id: &'static str, kid: &'static str, seed: u8) -> Partner {
    let (private, public) = generate_fulfilment_keypair([seed; 32]);
    Partner {
        id,
        kid,
        private,
        key: FulfilmentKey {
            kid: kid.into(),
            public_key: STANDARD.encode(public),
        },
    }
}

fn acme() -> Partner {
    partner("acme-shop", "acme-2026-01", 7)
}

fn globex() -> Partner {
    partner("globex-store", "globex-2026-01", 9)
}

fn receipt(partner: &str, offer: &str) -> Receipt {
    Receipt {
        decision_id: "0123456789abcdef0123456789abcdef".into(),
        partner: partner.into(),
        placement: "confirmation".into(),
        offer_id: offer.into(),
        creative_id: "creative-1".into(),
        bundle_sha256: "ab".repeat(32),
        issued_at: Timestamp(1_795_955_696_000),
        expires_at: Timestamp(1_796_042_096_000),
        kid: None,
    }
}

fn sealed_for_acme() -> FulfilmentRequest {
    let a = acme();
    seal_for_fulfilment(
        &a.key,
        &receipt(a.id, "offer-meal-kit"),
        "  Ada@Example.COM ",
        &[42; 32],
    )
    .unwrap()
}

#[test]
fn round_trip_normalises_and_hides_the_email() {
    let a = acme();
    let request = sealed_for_acme();
    assert_eq!(request.partner, "acme-shop");
    assert_eq!(request.kid, "acme-2026-01");
    assert_eq!(request.offer_id, "offer-meal-kit");
    assert_eq!(request.decision_id, "0123456789abcdef0123456789abcdef");
    let json = serde_json::to_string(&request).unwrap();
    assert!(!json.to_lowercase().contains("ada@example.com"), "{json}");
    assert!(!json.to_lowercase().contains("example.com"), "{json}");

    let opened = open_fulfilment(&a.private, a.kid, a.id, &request).unwrap();
    assert_eq!(opened.email, "ada@example.com");
    assert_eq!(opened.offer_id, "offer-meal-kit");
    assert_eq!(opened.decision_id, "0123456789abcdef0123456789abcdef");
}

#[test]
fn fresh_entropy_gives_fresh_ciphertexts_and_length_is_hidden() {
    let a = acme();
    let r = receipt(a.id, "offer-meal-kit");
    let one = seal_for_fulfilment(&a.key, &r, "ada@example.com", &[1; 32]).unwrap();
    let two = seal_for_fulfilment(&a.key, &r, "ada@example.com", &[2; 32]).unwrap();
    let same = seal_for_fulfilment(&a.key, &r, "ada@example.com", &[1; 32]).unwrap();
    assert_ne!(one.enc, two.enc);
    assert_ne!(one.ciphertext, two.ciphertext);
    // Deterministic given the entropy (the core is pure).
    assert_eq!(one, same);
    // A long address (64-byte local part, the most RFC 5321 allows).
    let long = seal_for_fulfilment(
        &a.key,
        &r,
        &format!("{}@{}.example.com", "a".repeat(64), "b".repeat(150)),
        &[3; 32],
    )
    .unwrap();
    assert_eq!(one.ciphertext.len(), long.ciphertext.len());
}

#[test]
fn sealed_for_a_does_not_open_with_b_key() {
    let b = globex();
    let request = sealed_for_acme();
    // B's key under A's ids (as if B's service got hold of A's request).
    let err = open_fulfilment(&b.private, "acme-2026-01", "acme-shop", &request).unwrap_err();
    assert_eq!(err.code(), ErrorCode::SealFailed);
    // B's key under B's ids: the request names A, refused up front.
    let err = open_fulfilment(&b.private, b.kid, b.id, &request).unwrap_err();
    assert_eq!(err.code(), ErrorCode::SealFailed);
}

#[test]
fn a_key_under_b_partner_info_fails() {
    let a = acme();
    let mut request = sealed_for_acme();
    // Relabel the request as B's; A's key must not open it under B's info.
    request.partner = "globex-store".into();
    let err = open_fulfilment(&a.private, a.kid, "globex-store", &request).unwrap_err();
    assert_eq!(err.code(), ErrorCode::SealFailed);
    // Same key pair reused by two partners: info still separates them.
    let shared = FulfilmentKey {
        kid: a.kid.into(),
        public_key: a.key.public_key.clone(),
    };
    let for_b = seal_for_fulfilment(
        &shared,
        &receipt("globex-store", "offer-meal-kit"),
        "ada@example.com",
        &[5; 32],
    )
    .unwrap();
    let mut as_a = for_b.clone();
    as_a.partner = a.id.into();
    let err = open_fulfilment(&a.private, a.kid, a.id, &as_a).unwrap_err();
    assert_eq!(err.code(), ErrorCode::SealFailed);
    assert!(open_fulfilment(&a.private, a.kid, "globex-store", &for_b).is_ok());
}

#[test]
fn kid_mismatch_fails() {
    let a = acme();
    let request = sealed_for_acme();
    let err = open_fulfilment(&a.private, "acme-2025-12", a.id, &request).unwrap_err();
    assert_eq!(err.code(), ErrorCode::SealFailed);
    // Rewriting the kid to match the service's does not authenticate.
    let mut rewritten = request.clone();
    rewritten.kid = "acme-2025-12".into();
    let err = open_fulfilment(&a.private, "acme-2025-12", a.id, &rewritten).unwrap_err();
    assert_eq!(err.code(), ErrorCode::SealFailed);
}

#[test]
fn moving_to_another_offer_or_decision_fails() {
    let a = acme();
    let mut moved = sealed_for_acme();
    moved.offer_id = "offer-streaming-trial".into();
    assert_eq!(
        open_fulfilment(&a.private, a.kid, a.id, &moved)
            .unwrap_err()
            .code(),
        ErrorCode::SealFailed
    );
    let mut moved = sealed_for_acme();
    moved.decision_id = "ffffffffffffffffffffffffffffffff".into();
    assert_eq!(
        open_fulfilment(&a.private, a.kid, a.id, &moved)
            .unwrap_err()
            .code(),
        ErrorCode::SealFailed
    );
}

#[test]
fn tampered_ciphertext_or_enc_fails() {
    let a = acme();
    let request = sealed_for_acme();
    let ct = STANDARD.decode(&request.ciphertext).unwrap();
    for i in (0..ct.len()).step_by(13).chain([ct.len() - 1]) {
        let mut bad = ct.clone();
        bad[i] ^= 0x80;
        let mut tampered = request.clone();
        tampered.ciphertext = STANDARD.encode(&bad);
        assert_eq!(
            open_fulfilment(&a.private, a.kid, a.id, &tampered)
                .unwrap_err()
                .code(),
            ErrorCode::SealFailed,
            "byte {i}"
        );
    }
    let enc = STANDARD.decode(&request.enc).unwrap();
    for i in [0, 15, 31] {
        let mut bad = enc.clone();
        bad[i] ^= 0x01;
        let mut tampered = request.clone();
        tampered.enc = STANDARD.encode(&bad);
        assert_eq!(
            open_fulfilment(&a.private, a.kid, a.id, &tampered)
                .unwrap_err()
                .code(),
            ErrorCode::SealFailed,
            "enc byte {i}"
        );
    }
    // Truncated, empty, not base64, swapped fields.
    for (enc, ct) in [
        (request.enc.clone(), request.ciphertext[..40].to_owned()),
        (request.enc.clone(), String::new()),
        (String::new(), request.ciphertext.clone()),
        ("!!!".to_owned(), request.ciphertext.clone()),
        (request.ciphertext.clone(), request.enc.clone()),
        (request.enc.clone(), "A".repeat(100_000)),
    ] {
        let mut broken = request.clone();
        broken.enc = enc;
        broken.ciphertext = ct;
        assert_eq!(
            open_fulfilment(&a.private, a.kid, a.id, &broken)
                .unwrap_err()
                .code(),
            ErrorCode::SealFailed
        );
    }
}

#[test]
fn bad_emails_are_refused_before_sealing() {
    let a = acme();
    let r = receipt(a.id, "offer-meal-kit");
    let too_long = format!("{}@example.com", "a".repeat(250));
    for bad in [
        "",
        "   ",
        "ada",
        "ada@",
        "@example.com",
        "ada @example.com",
        "ada@.com",
        too_long.as_str(),
    ] {
        let err = seal_for_fulfilment(&a.key, &r, bad, &[1; 32]).unwrap_err();
        assert_eq!(err.code(), ErrorCode::EmailInvalid, "{bad:?}");
    }
    assert_eq!(
        normalize_email(" Ada.Lovelace+Perks@Example.com\n").unwrap(),
        "ada.lovelace+perks@example.com"
    );
    // Exactly 254 bytes is allowed and survives the round trip.
    let max = format!(
        "{}@{}.{}.{}.com",
        "b".repeat(64),
        "c".repeat(60),
        "d".repeat(60),
        "e".repeat(63)
    );
    assert_eq!(max.len(), 254);
    let sealed = seal_for_fulfilment(&a.key, &r, &max, &[1; 32]).unwrap();
    assert_eq!(
        open_fulfilment(&a.private, a.kid, a.id, &sealed)
            .unwrap()
            .email,
        max
    );
}

#[test]
fn bad_public_keys_are_refused() {
    let r = receipt("acme-shop", "offer-meal-kit");
    for public_key in ["", "AAAA", &STANDARD.encode([1u8; 31]), "not base64!"] {
        let key = FulfilmentKey {
            kid: "k1".into(),
            public_key: public_key.into(),
        };
        let err = seal_for_fulfilment(&key, &r, "ada@example.com", &[1; 32]).unwrap_err();
        assert_eq!(err.code(), ErrorCode::KeyInvalid, "{public_key:?}");
    }
    // The all-zero (low-order) point gives an all-zero DH secret: refused.
    let key = FulfilmentKey {
        kid: "k1".into(),
        public_key: STANDARD.encode([0u8; 32]),
    };
    let err = seal_for_fulfilment(&key, &r, "ada@example.com", &[1; 32]).unwrap_err();
    assert_eq!(err.code(), ErrorCode::SealFailed);
}

#[test]
fn key_files_round_trip_into_sealing_and_opening() {
    let (private_json, public_json) = fulfilment_key_files("acme-2026-02", [77; 32]).unwrap();
    let public: FulfilmentKey = serde_json::from_str(&public_json).unwrap();
    assert_eq!(public.kid, "acme-2026-02");
    let private = FulfilmentPrivateKey::from_json(&private_json).unwrap();
    assert_eq!(private.public(), public);
    assert!(!public_json.contains(&private.private_key));

    let request = seal_for_fulfilment(
        &public,
        &receipt("acme-shop", "offer-meal-kit"),
        "ada@example.com",
        &[9; 32],
    )
    .unwrap();
    let opened = open_fulfilment(
        &private.private_key_bytes().unwrap(),
        &private.kid,
        "acme-shop",
        &request,
    )
    .unwrap();
    assert_eq!(opened.email, "ada@example.com");

    // A file whose public key does not match its private key is refused.
    let other: FulfilmentPrivateKey =
        FulfilmentPrivateKey::from_json(&fulfilment_key_files("x", [78; 32]).unwrap().0).unwrap();
    let mut mismatched = private.clone();
    mismatched.public_key = other.public_key;
    let text = serde_json::to_string(&mismatched).unwrap();
    assert_eq!(
        FulfilmentPrivateKey::from_json(&text).unwrap_err().code(),
        ErrorCode::KeyInvalid
    );
    assert_eq!(
        fulfilment_key_files("", [1; 32]).unwrap_err().code(),
        ErrorCode::KeyInvalid
    );
    assert_eq!(
        FulfilmentPrivateKey::from_json("{}").unwrap_err().code(),
        ErrorCode::KeyInvalid
    );
}

#[test]
fn only_one_plain_address_is_accepted() {
    for bad in [
        "a@x.com,b@y.com",
        "a@x.com;b@y.com",
        "<a@x.com>",
        "Ada <a@x.com>",
        "\"a b\"@x.com",
        "\"a\"@x.com",
        "a@x.com\r\nBcc: c@y.com",
        "a@x.com\nbcc:c@y.com",
        "a\u{0}b@x.com",
        "a\tb@x.com",
        "a@x",
        "a@localhost",
        "a..b@x.com",
        ".a@x.com",
        "a.@x.com",
        "a@b@x.com",
        "a(comment)@x.com",
        "a@x.com(comment)",
        "a@[127.0.0.1]",
        "a\\b@x.com",
        "a:b@x.com",
        "a@x..com",
        "a@.x.com",
        "a@x.com.",
        "a@-x.com",
        "a@x-.com",
        "a@x_y.com",
        "a@x.com:25",
        "a@x.com\u{200b}",
        "a\u{301}@x.com",
        "a\u{85}b@x.com",
        "a\u{2028}@x.com",
    ] {
        let err = normalize_email(bad).unwrap_err();
        assert_eq!(err.code(), ErrorCode::EmailInvalid, "{bad:?}");
    }
    let too_long_local = format!("{}@example.com", "a".repeat(65));
    assert_eq!(
        normalize_email(&too_long_local).unwrap_err().code(),
        ErrorCode::EmailInvalid
    );
    for (good, normal) in [
        ("ada@example.com", "ada@example.com"),
        (
            "  Ada.Lovelace@Example.CO.UK \r\n",
            "ada.lovelace@example.co.uk",
        ),
        ("a+tag@sub.example.com", "a+tag@sub.example.com"),
        (
            "o'brien_x-y!#$%&*/=?^`{|}~@mail-1.example.org",
            "o'brien_x-y!#$%&*/=?^`{|}~@mail-1.example.org",
        ),
        ("1@2.io", "1@2.io"),
        ("JOSÉ@Exämple.de", "josé@exämple.de"),
        ("用户@例子.广告", "用户@例子.广告"),
        (
            format!("{}@x.com", "a".repeat(64)).as_str(),
            format!("{}@x.com", "a".repeat(64)).as_str(),
        ),
    ] {
        assert_eq!(normalize_email(good).unwrap(), normal, "{good:?}");
    }
}

#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Edge receipts: a collector must accept genuine engagement and reject
//! forged, altered, expired, cross-partner and replayed receipts.

use offer_edge::receipt::{derive_receipt_key, verify_compact, Receipt, SignedReceipt};
use offer_edge::time::Timestamp;
use offer_edge::ErrorCode;
use proptest::prelude::*;

const KEY: &[u8; 32] = b"edge-receipt-key-0123456789abcde";
const OTHER_KEY: &[u8; 32] = b"edge-receipt-key-0123456789abcdX";

fn at(text: &str) -> Timestamp {
    Timestamp::parse_rfc3339(text).unwrap()
}

fn receipt() -> Receipt {
    Receipt {
        decision_id: Receipt::decision_id_from_entropy(&[
            0x9f, 0x01, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd,
            0xee, 0xff,
        ]),
        partner: "acme-shop".into(),
        placement: "confirmation".into(),
        offer_id: "offer-streaming-trial".into(),
        creative_id: "creative-7".into(),
        bundle_sha256: "3a7bd3e2360a3d29eea436fcfb7e44c735d117c42d1c1835420b6b9942dd4f1b".into(),
        issued_at: at("2026-11-29T12:00:00Z"),
        expires_at: at("2026-11-30T12:00:00Z"),
        kid: None,
    }
}

fn now() -> Timestamp {
    at("2026-11-29T12:05:00Z")
}

#[test]
fn genuine_receipt_verifies_in_both_forms() {
    let signed = receipt().sign(KEY).unwrap();
    assert_eq!(
        receipt().decision_id,
        "9f0122334455667788".to_owned() + "99aabbccddeeff"
    );
    let ok = signed
        .verify(KEY, now(), "acme-shop", "offer-streaming-trial")
        .unwrap();
    assert_eq!(ok, receipt());

    let compact = signed.to_compact();
    assert!(
        compact.len() < 512,
        "compact receipt is {} bytes",
        compact.len()
    );
    let parsed: SignedReceipt = compact.parse().unwrap();
    assert_eq!(parsed, signed);
    let ok = verify_compact(&compact, KEY, now(), "acme-shop", "offer-streaming-trial").unwrap();
    assert_eq!(ok, receipt());

    // JSON form round-trips through serde too (camelCase).
    let json = serde_json::to_string(&signed).unwrap();
    assert!(json.contains("\"decisionId\"") && json.contains("\"bundleSha256\""));
    let back: SignedReceipt = serde_json::from_str(&json).unwrap();
    assert_eq!(back, signed);
}

#[test]
fn forged_mac_is_rejected() {
    let mut signed = receipt().sign(KEY).unwrap();
    // A random-looking 32-byte tag.
    signed.mac = "q83vEjRWeJq83vEjRWeJq83vEjRWeJq83vEjRWeJq80".into();
    let err = signed
        .verify(KEY, now(), "acme-shop", "offer-streaming-trial")
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::ReceiptInvalid);
    // A receipt built by someone without the key.
    let forged = receipt().sign(OTHER_KEY).unwrap();
    let err = forged
        .verify(KEY, now(), "acme-shop", "offer-streaming-trial")
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::ReceiptInvalid);
}

#[test]
fn altering_any_field_breaks_the_mac() {
    let signed = receipt().sign(KEY).unwrap();
    type Alter = Box<dyn Fn(&mut Receipt)>;
    let alterations: Vec<(&str, Alter)> = vec![
        ("decisionId", Box::new(|r| r.decision_id = "00".repeat(16))),
        ("partner", Box::new(|r| r.partner = "acme-shoq".into())),
        ("placement", Box::new(|r| r.placement = "thank-you".into())),
        (
            "offerId",
            Box::new(|r| r.offer_id = "offer-streaming-trial2".into()),
        ),
        (
            "creativeId",
            Box::new(|r| r.creative_id = "creative-8".into()),
        ),
        (
            "bundleSha256",
            Box::new(|r| r.bundle_sha256 = "0".repeat(64)),
        ),
        (
            "issuedAt",
            Box::new(|r| r.issued_at = Timestamp(r.issued_at.0 - 1)),
        ),
        (
            "expiresAt",
            Box::new(|r| r.expires_at = Timestamp(r.expires_at.0 + 1)),
        ),
        ("kid", Box::new(|r| r.kid = Some("acme-shop-r2".into()))),
    ];
    for (name, alter) in alterations {
        let mut altered = signed.clone();
        alter(&mut altered.receipt);
        // Verify against the altered partner/offer so only the MAC can object.
        let (p, o) = (
            altered.receipt.partner.clone(),
            altered.receipt.offer_id.clone(),
        );
        let err = altered.verify(KEY, now(), &p, &o).unwrap_err();
        assert_eq!(err.code(), ErrorCode::ReceiptInvalid, "altered {name}");
        // And through the compact form.
        let err = verify_compact(&altered.to_compact(), KEY, now(), &p, &o).unwrap_err();
        assert_eq!(
            err.code(),
            ErrorCode::ReceiptInvalid,
            "altered {name} (compact)"
        );
    }
}

#[test]
fn field_boundaries_cannot_shift() {
    // Moving a character from one field to its neighbour keeps the JSON-free
    // concatenation identical; the length prefixes must still tell them apart.
    let mut a = receipt();
    a.placement = "confirmationX".into();
    a.offer_id = "offer".into();
    let mut b = receipt();
    b.placement = "confirmation".into();
    b.offer_id = "Xoffer".into();
    assert_ne!(a.canonical_bytes(), b.canonical_bytes());
    let mut moved = a.sign(KEY).unwrap();
    moved.receipt = b;
    assert_eq!(
        moved
            .verify(KEY, now(), "acme-shop", "Xoffer")
            .unwrap_err()
            .code(),
        ErrorCode::ReceiptInvalid
    );
}

#[test]
fn expiry_is_exact_to_the_millisecond() {
    let signed = receipt().sign(KEY).unwrap();
    let expires = receipt().expires_at;
    assert!(signed
        .verify(
            KEY,
            Timestamp(expires.0 - 1),
            "acme-shop",
            "offer-streaming-trial"
        )
        .is_ok());
    for late in [expires, Timestamp(expires.0 + 1)] {
        let err = signed
            .verify(KEY, late, "acme-shop", "offer-streaming-trial")
            .unwrap_err();
        assert_eq!(err.code(), ErrorCode::ReceiptExpired);
    }
}

#[test]
fn other_partner_and_replay_to_another_offer_are_rejected() {
    let signed = receipt().sign(KEY).unwrap();
    let err = signed
        .verify(KEY, now(), "globex-store", "offer-streaming-trial")
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::ReceiptInvalid);
    let err = signed
        .verify(KEY, now(), "acme-shop", "offer-meal-kit")
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::ReceiptInvalid);
}

#[test]
fn wrong_or_short_key_is_rejected() {
    let signed = receipt().sign(KEY).unwrap();
    assert_eq!(
        signed
            .verify(OTHER_KEY, now(), "acme-shop", "offer-streaming-trial")
            .unwrap_err()
            .code(),
        ErrorCode::ReceiptInvalid
    );
    assert_eq!(
        receipt().sign(b"short").unwrap_err().code(),
        ErrorCode::KeyInvalid
    );
    assert_eq!(
        receipt().sign(b"").unwrap_err().code(),
        ErrorCode::KeyInvalid
    );
    assert_eq!(
        signed
            .verify(b"", now(), "acme-shop", "offer-streaming-trial")
            .unwrap_err()
            .code(),
        ErrorCode::KeyInvalid
    );
}

#[test]
fn malformed_receipts_are_refused_before_signing() {
    let mut r = receipt();
    r.decision_id = "ABCDEF".into();
    assert_eq!(r.sign(KEY).unwrap_err().code(), ErrorCode::ReceiptInvalid);
    let mut r = receipt();
    r.expires_at = Timestamp(r.issued_at.0 - 1);
    assert_eq!(r.sign(KEY).unwrap_err().code(), ErrorCode::ReceiptInvalid);
    let mut r = receipt();
    r.partner = "p".repeat(129);
    assert_eq!(r.sign(KEY).unwrap_err().code(), ErrorCode::ReceiptInvalid);
}

#[test]
fn truncated_and_garbled_strings_are_errors() {
    let compact = receipt().sign(KEY).unwrap().to_compact();
    let (payload, mac) = compact.split_once('.').unwrap();
    let mut cases: Vec<String> = vec![
        String::new(),
        ".".into(),
        payload.into(),
        format!("{payload}."),
        format!(".{mac}"),
        format!("{payload}.{mac}.{mac}"),
        format!("{payload}.{}", &mac[..mac.len() - 1]),
        format!("{payload}.{mac}A"),
        format!("{}.{mac}", &payload[..payload.len() - 3]),
        format!("{payload}!.{mac}"),
        format!("e30.{mac}"), // "{}"
        "x".repeat(5000),
        format!("{payload}.{mac}").replace('e', "é"),
    ];
    for cut in (0..compact.len()).step_by(7) {
        cases.push(compact[..cut].to_owned());
    }
    for case in cases {
        let err = verify_compact(&case, KEY, now(), "acme-shop", "offer-streaming-trial")
            .expect_err(&case);
        assert_eq!(err.code(), ErrorCode::ReceiptInvalid, "{case:?}");
    }
}

proptest! {
    #[test]
    fn arbitrary_strings_never_verify_or_panic(text in ".{0,600}") {
        let result = verify_compact(&text, KEY, now(), "acme-shop", "offer-streaming-trial");
        prop_assert!(result.is_err());
    }

    #[test]
    fn any_single_byte_flip_in_the_compact_form_is_rejected(pos in 0usize..400, bit in 0u8..8) {
        let compact = receipt().sign(KEY).unwrap().to_compact();
        let mut bytes = compact.into_bytes();
        let pos = pos % bytes.len();
        bytes[pos] ^= 1 << bit;
        if let Ok(text) = String::from_utf8(bytes) {
            let result = verify_compact(&text, KEY, now(), "acme-shop", "offer-streaming-trial");
            // A flip in base64's unused trailing bits may decode identically;
            // the decoder refuses non-canonical trailing bits, so every flip fails.
            prop_assert!(result.is_err(), "{}", text);
        }
    }
}

#[test]
fn key_id_is_signed_and_shape_checked() {
    let mut r = receipt();
    r.kid = Some("acme-shop-r1".into());
    let signed = r.sign(KEY).unwrap();
    assert_ne!(signed.mac, receipt().sign(KEY).unwrap().mac);
    let ok = verify_compact(
        &signed.to_compact(),
        KEY,
        now(),
        "acme-shop",
        "offer-streaming-trial",
    )
    .unwrap();
    assert_eq!(ok.kid.as_deref(), Some("acme-shop-r1"));
    // Removing the kid after signing breaks the MAC.
    let mut stripped = signed.clone();
    stripped.receipt.kid = None;
    let err = stripped
        .verify(KEY, now(), "acme-shop", "offer-streaming-trial")
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::ReceiptInvalid);
    // A plain receipt has no `kid` member at all.
    let json = serde_json::to_string(&receipt()).unwrap();
    assert!(!json.contains("kid"), "{json}");
    for bad in [String::new(), "k".repeat(65)] {
        let mut r = receipt();
        r.kid = Some(bad);
        assert_eq!(r.sign(KEY).unwrap_err().code(), ErrorCode::ReceiptInvalid);
    }
}

const MASTER: &[u8; 32] = b"edge-receipt-master-0123456789ab";

#[test]
fn derived_receipt_keys_match_an_independent_hkdf() {
    // Computed with Python's hmac (HKDF-SHA256 by hand, checked against
    // RFC 5869 test case 1): salt "offer-edge/receipt-key/v1", IKM MASTER,
    // info = u32be(9) "acme-shop" u32be(12) "acme-shop-r1".
    let key = derive_receipt_key(MASTER, "acme-shop", "acme-shop-r1").unwrap();
    let hex: String = key.iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(
        hex,
        "ebe38cc4477a4cd212a9e898b95b12cc2afacd5486c675bbab5e955e94a01fe2"
    );
}

#[test]
fn derived_receipt_keys_differ_per_partner_and_kid() {
    let base = derive_receipt_key(MASTER, "acme-shop", "r1").unwrap();
    assert_eq!(base, derive_receipt_key(MASTER, "acme-shop", "r1").unwrap());
    for other in [
        derive_receipt_key(MASTER, "globex-store", "r1").unwrap(),
        derive_receipt_key(MASTER, "acme-shop", "r2").unwrap(),
        // Length prefixes: moving a byte between partner and kid changes the key.
        derive_receipt_key(MASTER, "acme-shopr", "1").unwrap(),
        derive_receipt_key(OTHER_KEY, "acme-shop", "r1").unwrap(),
    ] {
        assert_ne!(base, other);
    }
    // A receipt signed under one partner's key does not verify under another's.
    let signed = receipt().sign(&base).unwrap();
    let globex = derive_receipt_key(MASTER, "globex-store", "r1").unwrap();
    let err = signed
        .verify(&globex, now(), "acme-shop", "offer-streaming-trial")
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::ReceiptInvalid);
    for (master, partner, kid) in [
        (&b"short"[..], "acme-shop", "r1"),
        (&MASTER[..], "", "r1"),
        (&MASTER[..], "acme-shop", ""),
        (&MASTER[..], "acme-shop", &"k".repeat(65)[..]),
    ] {
        assert_eq!(
            derive_receipt_key(master, partner, kid).unwrap_err().code(),
            ErrorCode::KeyInvalid,
            "{partner:?} {kid:?}"
        );
    }
}

//! HPKE sealing of confirmation emails on wasm32: round trip, and a request
//! sealed for one partner never opens as another's.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use offer_edge::bundle::FulfilmentKey;
use offer_edge::receipt::Receipt;
use offer_edge::seal::{generate_fulfilment_keypair, open_fulfilment, seal_for_fulfilment};
use offer_edge::time::Timestamp;
use offer_edge::ErrorCode;

/// `(private key, bundle fulfilmentKey)` of a partner.
pub fn partner_key(kid: &str, seed: u8) -> ([u8; 32], FulfilmentKey) {
    let (private, public) = generate_fulfilment_keypair([seed; 32]);
    let key = FulfilmentKey {
        kid: kid.into(),
        public_key: STANDARD.encode(public),
    };
    (private, key)
}

/// A receipt for `partner` showing the meal-kit offer.
pub fn receipt(partner: &str) -> Receipt {
    Receipt {
        decision_id: "0123456789abcdef0123456789abcdef".into(),
        partner: partner.into(),
        placement: "confirmation".into(),
        offer_id: "offer-meal-kit".into(),
        creative_id: "creative-1".into(),
        bundle_sha256: "ab".repeat(32),
        issued_at: Timestamp(1_795_955_696_000),
        expires_at: Timestamp(1_796_042_096_000),
        kid: None,
    }
}

tests! {
    fn round_trip_opens_the_normalised_email() {
        let (private, key) = partner_key("acme-2026-01", 7);
        let request = seal_for_fulfilment(&key, &receipt("acme-shop"), "  Ada@Example.COM ", &[42; 32]).unwrap();
        let json = serde_json::to_string(&request).unwrap();
        assert!(!json.to_lowercase().contains("example.com"), "{json}");
        let opened = open_fulfilment(&private, "acme-2026-01", "acme-shop", &request).unwrap();
        assert_eq!(opened.email, "ada@example.com");
        assert_eq!(opened.offer_id, "offer-meal-kit");
        // Deterministic given the entropy; fresh entropy, fresh ciphertext.
        let again = seal_for_fulfilment(&key, &receipt("acme-shop"), "ada@example.com", &[42; 32]).unwrap();
        assert_eq!(again, request);
        let other = seal_for_fulfilment(&key, &receipt("acme-shop"), "ada@example.com", &[43; 32]).unwrap();
        assert_ne!(other.enc, request.enc);
    }

    fn sealed_for_one_partner_fails_for_another() {
        let (_, acme) = partner_key("acme-2026-01", 7);
        let (globex_private, _) = partner_key("globex-2026-01", 9);
        let request = seal_for_fulfilment(&acme, &receipt("acme-shop"), "ada@example.com", &[1; 32]).unwrap();
        // Globex's key under Acme's ids, and under its own.
        let err = open_fulfilment(&globex_private, "acme-2026-01", "acme-shop", &request).unwrap_err();
        assert_eq!(err.code(), ErrorCode::SealFailed);
        let err = open_fulfilment(&globex_private, "globex-2026-01", "globex-store", &request).unwrap_err();
        assert_eq!(err.code(), ErrorCode::SealFailed);
        // Relabelled as Globex's: Acme's own key refuses under Globex's info.
        let (acme_private, _) = partner_key("acme-2026-01", 7);
        let mut moved = request.clone();
        moved.partner = "globex-store".into();
        let err = open_fulfilment(&acme_private, "acme-2026-01", "globex-store", &moved).unwrap_err();
        assert_eq!(err.code(), ErrorCode::SealFailed);
    }

    fn bad_email_and_key_have_their_own_codes() {
        let (_, key) = partner_key("acme-2026-01", 7);
        let err = seal_for_fulfilment(&key, &receipt("acme-shop"), "not-an-email", &[1; 32]).unwrap_err();
        assert_eq!(err.code(), ErrorCode::EmailInvalid);
        let broken = FulfilmentKey { kid: "k".into(), public_key: "AAAA".into() };
        let err = seal_for_fulfilment(&broken, &receipt("acme-shop"), "ada@example.com", &[1; 32]).unwrap_err();
        assert_eq!(err.code(), ErrorCode::KeyInvalid);
    }
}

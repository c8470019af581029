//! Edge receipts sign and verify on wasm32 exactly as natively: a tag made
//! in a browser verifies in a worker and vice versa.

use offer_edge::receipt::{verify_compact, Receipt};
use offer_edge::time::Timestamp;
use offer_edge::ErrorCode;

const KEY: &[u8; 32] = b"edge-receipt-key-0123456789abcde";

fn receipt() -> Receipt {
    Receipt {
        decision_id: Receipt::decision_id_from_entropy(&[7; 16]),
        partner: "acme-shop".into(),
        placement: "confirmation".into(),
        offer_id: "offer-streaming-trial".into(),
        creative_id: "creative-7".into(),
        bundle_sha256: "3a7bd3e2360a3d29eea436fcfb7e44c735d117c42d1c1835420b6b9942dd4f1b".into(),
        issued_at: Timestamp::parse_rfc3339("2026-11-29T12:00:00Z").unwrap(),
        expires_at: Timestamp::parse_rfc3339("2026-11-30T12:00:00Z").unwrap(),
    }
}

fn now() -> Timestamp {
    Timestamp::parse_rfc3339("2026-11-29T12:05:00Z").unwrap()
}

/// The tag of `receipt()` under `KEY`, computed independently (Python
/// hmac over the documented canonical bytes): a wasm32 build
/// that hashed or encoded differently would produce another one.
const EXPECTED_COMPACT_MAC: &str = "WThgUT7kY_vslvlRWd5Y99FAMMhEnH91epT5tzkDKlM";

tests! {
    fn genuine_receipt_verifies_and_tag_matches_native() {
        let compact = receipt().sign(KEY).unwrap().to_compact();
        let (_, mac) = compact.split_once('.').unwrap();
        assert_eq!(mac, EXPECTED_COMPACT_MAC);
        let ok = verify_compact(&compact, KEY, now(), "acme-shop", "offer-streaming-trial").unwrap();
        assert_eq!(ok, receipt());
    }

    fn tampered_expired_and_replayed_receipts_fail() {
        let signed = receipt().sign(KEY).unwrap();
        let mut altered = signed.clone();
        altered.receipt.offer_id = "offer-meal-kit".into();
        let err = verify_compact(&altered.to_compact(), KEY, now(), "acme-shop", "offer-meal-kit").unwrap_err();
        assert_eq!(err.code(), ErrorCode::ReceiptInvalid);

        let compact = signed.to_compact();
        let late = Timestamp::parse_rfc3339("2026-11-30T12:00:00Z").unwrap();
        let err = verify_compact(&compact, KEY, late, "acme-shop", "offer-streaming-trial").unwrap_err();
        assert_eq!(err.code(), ErrorCode::ReceiptExpired);

        let err = verify_compact(&compact, KEY, now(), "globex-store", "offer-streaming-trial").unwrap_err();
        assert_eq!(err.code(), ErrorCode::ReceiptInvalid);

        let err = verify_compact(&compact, b"edge-receipt-key-0123456789abcdX", now(), "acme-shop", "offer-streaming-trial").unwrap_err();
        assert_eq!(err.code(), ErrorCode::ReceiptInvalid);

        let err = receipt().sign(b"short").unwrap_err();
        assert_eq!(err.code(), ErrorCode::KeyInvalid);
        for junk in ["", ".", "a.b.c", "!!!.???"] {
            assert_eq!(verify_compact(junk, KEY, now(), "acme-shop", "x").unwrap_err().code(), ErrorCode::ReceiptInvalid, "{junk:?}");
        }
    }
}

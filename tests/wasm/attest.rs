//! Partner checkout tokens verify on wasm32 exactly as natively: the shared
//! `tests/fixtures/checkout/` cases run through the JS exports
//! (`verifyCheckoutToken`, `attestedEmailHash`, `deriveReceiptKey`) where
//! the binding exists, and through the core otherwise (the native run).

use crate::fixtures::{get, CHECKOUT};
use serde_json::Value;

// The fixtures' types, shared with their writer (tests/attest.rs).
#[path = "../common/checkout_cases.rs"]
mod checkout_cases;
use checkout_cases::EmailCase;

/// A token case with its expectation as plain JSON, compared with what the
/// host returns.
type Case = checkout_cases::Case<Value>;

/// The verified claims as JSON, or the error code.
#[cfg(all(target_arch = "wasm32", feature = "wasm"))]
mod host {
    use crate::js::{back, code_of, js};
    use serde_json::Value;

    pub fn verify(token: &str, partner: &str, keys: &Value, now_ms: i64) -> Result<Value, String> {
        offer_edge::wasm::verify_checkout_token(token, partner, js(keys), now_ms as f64)
            .map(|v| back(&v))
            .map_err(|thrown| code_of(&thrown))
    }

    pub fn email_hash(partner: &str, email: &str) -> Result<String, String> {
        offer_edge::wasm::attested_email_hash(partner, email).map_err(|thrown| code_of(&thrown))
    }

    pub fn receipt_key(master: &[u8], partner: &str, kid: &str) -> Result<Vec<u8>, String> {
        offer_edge::wasm::derive_receipt_key(master, partner, kid)
            .map_err(|thrown| code_of(&thrown))
    }
}

/// The same through the core (native run, or wasm32 without the binding).
#[cfg(not(all(target_arch = "wasm32", feature = "wasm")))]
mod host {
    use offer_edge::attest::CheckoutKeys;
    use offer_edge::time::Timestamp;
    use serde_json::Value;
    use std::collections::BTreeMap;

    pub fn verify(token: &str, partner: &str, keys: &Value, now_ms: i64) -> Result<Value, String> {
        let map: BTreeMap<String, String> = serde_json::from_value(keys.clone()).unwrap();
        CheckoutKeys::from_map(&map)
            .and_then(|keys| {
                offer_edge::attest::verify_checkout_token(token, partner, &keys, Timestamp(now_ms))
            })
            .map(|v| serde_json::to_value(v).unwrap())
            .map_err(|e| e.code().as_str().to_owned())
    }

    pub fn email_hash(partner: &str, email: &str) -> Result<String, String> {
        offer_edge::attest::attested_email_hash(partner, email)
            .map_err(|e| e.code().as_str().to_owned())
    }

    pub fn receipt_key(master: &[u8], partner: &str, kid: &str) -> Result<Vec<u8>, String> {
        offer_edge::receipt::derive_receipt_key(master, partner, kid)
            .map(|k| k.to_vec())
            .map_err(|e| e.code().as_str().to_owned())
    }
}

tests! {
    fn shared_checkout_token_cases() {
        let keys: Value = serde_json::from_str(get(CHECKOUT, "keys.json")).unwrap();
        let cases: Vec<Case> = serde_json::from_str(get(CHECKOUT, "tokens.json")).unwrap();
        assert!(cases.len() >= 12);
        for case in &cases {
            let got = match host::verify(&case.token, &case.partner, &keys, case.now_ms) {
                Ok(claims) => claims,
                Err(code) => serde_json::json!({ "error": code }),
            };
            assert_eq!(got, case.expect, "{}", case.description);
        }
    }

    fn bad_pinned_keys_are_refused() {
        let cases: Vec<Case> = serde_json::from_str(get(CHECKOUT, "tokens.json")).unwrap();
        let valid = &cases[0];
        let bad_keys = serde_json::json!({ "acme-checkout-1": "AAAA" });
        assert_eq!(host::verify(&valid.token, "acme", &bad_keys, valid.now_ms).unwrap_err(), "KEY_INVALID");
    }

    fn shared_attested_email_hashes() {
        let cases: Vec<EmailCase> = serde_json::from_str(get(CHECKOUT, "emails.json")).unwrap();
        for case in &cases {
            assert_eq!(host::email_hash(&case.partner, &case.email).unwrap(), case.eh, "{:?}", case.email);
        }
        for bad in ["a@x.com,b@y.com", "<a@x.com>", "a@x.com\r\nBcc: c@y.com", "a@x"] {
            assert_eq!(host::email_hash("acme", bad).unwrap_err(), "EMAIL_INVALID", "{bad:?}");
        }
    }

    fn receipt_keys_derive_alike_everywhere() {
        // The vector of tests/receipts.rs (independently computed).
        let key = host::receipt_key(b"edge-receipt-master-0123456789ab", "acme-shop", "acme-shop-r1").unwrap();
        let hex: String = key.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(hex, "ebe38cc4477a4cd212a9e898b95b12cc2afacd5486c675bbab5e955e94a01fe2");
        assert_eq!(host::receipt_key(b"short", "acme-shop", "r1").unwrap_err(), "KEY_INVALID");
    }
}

//! Edge receipts sign and verify on wasm32 exactly as natively: a tag made
//! in a browser verifies in a worker and vice versa. Driven by the shared
//! `tests/fixtures/receipts/*.json` cases (the Node tests run the same).

use crate::fixtures;
use offer_edge::receipt::{verify_compact, Receipt, SignedReceipt};
use offer_edge::time::Timestamp;
use serde::Deserialize;
use serde_json::{Map, Value};

#[derive(Deserialize)]
struct Suite {
    key: String,
    receipt: Receipt,
    mac: String,
    cases: Vec<Case>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Case {
    description: String,
    key: Option<String>,
    #[serde(default)]
    alter: Map<String, Value>,
    now: String,
    partner: String,
    offer_id: String,
    expect: String,
}

tests! {
    fn shared_receipt_cases() {
        for (file, text) in fixtures::RECEIPTS {
            let suite: Suite = serde_json::from_str(text).unwrap();
            let signed = suite.receipt.sign(suite.key.as_bytes()).unwrap();
            assert_eq!(signed.mac, suite.mac, "{file}: tag differs from the independently computed one");
            for case in &suite.cases {
                let mut fields = serde_json::to_value(&suite.receipt).unwrap();
                for (name, value) in &case.alter {
                    fields[name] = value.clone();
                }
                let compact = SignedReceipt { receipt: serde_json::from_value(fields).unwrap(), mac: signed.mac.clone() }
                    .to_compact();
                let key = case.key.as_deref().unwrap_or(&suite.key);
                let now = Timestamp::parse_rfc3339(&case.now).unwrap();
                let got = match verify_compact(&compact, key.as_bytes(), now, &case.partner, &case.offer_id) {
                    Ok(receipt) => {
                        assert_eq!(receipt, suite.receipt, "{file}: {}", case.description);
                        "ok".to_owned()
                    }
                    Err(e) => e.code().as_str().to_owned(),
                };
                assert_eq!(got, case.expect, "{file}: {}", case.description);
            }
        }
    }

    fn malformed_compact_receipts_are_invalid() {
        for junk in ["", ".", "a.b.c", "!!!.???", "eyJ9.AAAA"] {
            let err = verify_compact(junk, b"edge-receipt-key-0123456789abcde", Timestamp(0), "acme-shop", "x").unwrap_err();
            assert_eq!(err.code().as_str(), "RECEIPT_INVALID", "{junk:?}");
        }
    }
}

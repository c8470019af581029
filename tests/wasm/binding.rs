//! The JS binding inside the real host (Node, Chromium): entropy really comes
//! from `crypto.getRandomValues`, sealed requests open with the partner's
//! private key, and failures are `OfferEdgeError`s carrying the core's code.

use crate::bundles;
use crate::decide::decide_fixture;
use crate::fixtures::{get, BUNDLES};
use crate::js::{back, code_of, field, js, name_and_code, signed_engine};
use crate::seal::{partner_key, receipt};
use base64::Engine as _;
use offer_edge::seal::{open_fulfilment, FulfilmentRequest};
use offer_edge::wasm::{self, WasmEngine};
use serde_json::{json, Value};
use wasm_bindgen::{JsCast, JsValue};

/// The fulfilment key file whose public half is the decide fixture bundle's key.
const FX_KEY: &str = include_str!("../fixtures/keys/fulfilment-fx-2026.key.json");

/// `Date.parse` of an RFC 3339 instant.
fn ms(text: &str) -> f64 {
    offer_edge::time::Timestamp::parse_rfc3339(text)
        .unwrap()
        .as_millis() as f64
}

const KEY: &[u8; 32] = b"edge-receipt-key-0123456789abcde";

tests! {
    fn seal_draws_host_entropy_and_opens_for_the_partner_only() {
        let (private, key) = partner_key("acme-2026-01", 7);
        let (globex_private, _) = partner_key("globex-2026-01", 9);
        let r = receipt("acme-shop");
        let one: FulfilmentRequest = back(&wasm::seal_for_fulfilment(js(&key), js(&r), "Ada@Example.com").unwrap());
        let two: FulfilmentRequest = back(&wasm::seal_for_fulfilment(js(&key), js(&r), "Ada@Example.com").unwrap());
        // Fresh host entropy per call.
        assert_ne!(one.enc, two.enc);
        assert_ne!(one.ciphertext, two.ciphertext);
        for request in [&one, &two] {
            let opened = open_fulfilment(&private, "acme-2026-01", "acme-shop", request).unwrap();
            assert_eq!(opened.email, "ada@example.com");
            let err = open_fulfilment(&globex_private, "acme-2026-01", "acme-shop", request).unwrap_err();
            assert_eq!(err.code().as_str(), "SEAL_FAILED");
        }
    }

    fn errors_are_offer_edge_errors_with_stable_codes() {
        let (_, key) = partner_key("acme-2026-01", 7);
        let thrown = wasm::seal_for_fulfilment(js(&key), js(&receipt("acme-shop")), "nobody").unwrap_err();
        assert_eq!(name_and_code(&thrown), ("OfferEdgeError".into(), "EMAIL_INVALID".into()));

        let compact = wasm::sign_receipt(js(&receipt("acme-shop")), KEY).unwrap();
        let trusted: offer_edge::receipt::Receipt =
            back(&wasm::verify_receipt(&compact, KEY, 1_795_955_700_000.0, "acme-shop", "offer-meal-kit").unwrap());
        assert_eq!(trusted, receipt("acme-shop"));
        let cases: [(f64, &str, &str); 4] = [
            (1_796_042_096_000.0, "acme-shop", "RECEIPT_EXPIRED"),
            (1_795_955_700_000.0, "globex-store", "RECEIPT_INVALID"),
            (f64::NAN, "acme-shop", "CONTEXT_INVALID"),
            (1.5, "acme-shop", "CONTEXT_INVALID"),
        ];
        for (now, partner, code) in cases {
            let thrown = wasm::verify_receipt(&compact, KEY, now, partner, "offer-meal-kit").unwrap_err();
            assert_eq!(name_and_code(&thrown).1, code, "{now} {partner}");
        }
        let thrown = wasm::sign_receipt(JsValue::UNDEFINED, KEY).unwrap_err();
        assert_eq!(name_and_code(&thrown).1, "RECEIPT_INVALID");
        let thrown = wasm::sign_receipt(js(&receipt("acme-shop")), b"short").unwrap_err();
        assert_eq!(name_and_code(&thrown).1, "KEY_INVALID");
    }

    fn uuid_v4_is_fresh_and_well_formed() {
        let a = wasm::uuid_v4().unwrap();
        let b = wasm::uuid_v4().unwrap();
        assert_ne!(a, b);
        assert!(offer_edge::events::is_uuid_v4(&a), "{a}");
    }
}

tests! {
    fn decide_fixtures_through_the_js_engine_match_the_core() {
        for case in decide_fixture::cases() {
            let name = case["description"].as_str().unwrap();
            let bundle = serde_json::to_string(&decide_fixture::bundle_for(&case)).unwrap();
            let engine = WasmEngine::from_draft(JsValue::from_str(&bundle)).unwrap();
            let stored: Option<Vec<u8>> = case["historyBlob"]
                .as_str()
                .map(|b| base64::engine::general_purpose::STANDARD.decode(b).unwrap());
            let entries: Vec<_> = case["history"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|e| json!({"type": e["kind"], "offerId": e["offerId"], "at": ms(e["at"].as_str().unwrap())}))
                .collect();
            let blob = Some(engine.replay(stored, js(&json!(entries))).unwrap());
            let mut options = case.get("options").cloned().unwrap_or(json!({}));
            options["seed"] = json!(case["seed"].as_u64().unwrap_or(1));
            let result = engine.decide(js(&case["context"]), blob, ms(case["now"].as_str().unwrap()), js(&options));
            let native = decide_fixture::run_case(&case);
            match (result, native) {
                (Err(thrown), None) => assert_eq!(code_of(&thrown), case["expect"]["error"].as_str().unwrap(), "{name}"),
                (Ok(out), Some(native)) => {
                    // The draft's identity is the SHA-256 of its JSON; the
                    // native runner compiles with zeros. Numbers cross JS
                    // (1.0 becomes 1), so compare both after the same trip.
                    let got: Value = back(&field(&out, "decision"));
                    let sha = got["bundleSha256"].as_str().unwrap().to_owned();
                    let want: Value = back(&js(&native));
                    let want = serde_json::to_string(&want).unwrap().replace(&"0".repeat(64), &sha);
                    assert_eq!(got, serde_json::from_str::<Value>(&want).unwrap(), "{name}");
                    assert!(field(&out, "history").is_instance_of::<js_sys::Uint8Array>(), "{name}");
                }
                (Ok(_), None) => panic!("{name}: the binding decided where the core refused"),
                (Err(thrown), Some(_)) => panic!("{name}: the binding threw {}", code_of(&thrown)),
            }
        }
    }

    fn bundle_cases_through_the_js_engine_keep_their_codes() {
        for case in bundles::cases() {
            let mut engine = WasmEngine::new(js_sys::JSON::parse(get(BUNDLES, &case.trust)).unwrap()).unwrap();
            if let Some(v) = case.last_version {
                engine.import_state(js(&json!({"partner": "acme", "lastVersion": v}))).unwrap();
            }
            let bytes = js_sys::Uint8Array::from(get(BUNDLES, &case.file).as_bytes());
            let got = match engine.load(bytes.into(), ms(&case.now)) {
                Ok(out) => match field(&out, "status").as_string().unwrap().as_str() {
                    "loaded" => "ok".to_string(),
                    other => other.to_string(),
                },
                Err(thrown) => code_of(&thrown),
            };
            assert_eq!(got, case.expect, "{}", case.description);
        }
    }

    fn previous_bundle_stays_active_after_a_failed_load() {
        let mut engine = signed_engine();
        let now = ms("2026-06-01T00:00:00Z");
        let context = js(&json!({"firstname": "Ada", "state": "CA", "amount": "64.50"}));
        let thrown = engine.decide(context.clone(), None, now, JsValue::UNDEFINED).err().unwrap();
        assert_eq!(code_of(&thrown), "NO_BUNDLE");
        assert!(engine.info().unwrap().is_null());
        engine.load(JsValue::from_str(get(BUNDLES, "acme-v1.signed.json")), now).unwrap();
        for (file, code) in [
            ("acme-v2-tampered-payload.signed.json", "SIGNATURE_INVALID"),
            ("globex-v2.signed.json", "PARTNER_MISMATCH"),
            ("acme-v2-expired.signed.json", "BUNDLE_EXPIRED"),
        ] {
            let thrown = engine.load(JsValue::from_str(get(BUNDLES, file)), now).err().unwrap();
            assert_eq!(code_of(&thrown), code, "{file}");
        }
        let out = engine.decide(context, None, now, js(&json!({"seed": 3}))).unwrap();
        let decision: Value = back(&field(&out, "decision"));
        assert_eq!(decision["bundleVersion"], 1);
        let info: Value = back(&engine.info().unwrap());
        assert_eq!((info["version"].clone(), info["draft"].clone()), (json!(1), json!(false)));
        assert_eq!(info["signers"], json!(["k1", "k2"]));
    }

    fn sealed_email_renders_the_confirmation_for_the_partner() {
        let engine = WasmEngine::from_draft(JsValue::from_str(decide_fixture::BUNDLE_JSON)).unwrap();
        let context = js(&json!({"firstname": "Ada", "state": "CA", "amount": "64.50", "age": 29}));
        let now = ms("2026-11-29T12:00:00Z");
        let out = engine.decide(context, None, now, js(&json!({"seed": 1}))).unwrap();
        let decision: Value = back(&field(&out, "decision"));
        let offer = decision["placements"].as_array().unwrap().iter()
            .flat_map(|p| p["offers"].as_array().unwrap().iter())
            .find(|o| o["needsConfirmationEmail"] == json!(true))
            .expect("a shown offer that sends a confirmation email")
            .clone();
        let request = engine.seal_for_fulfilment(" Ada@Example.com", js(&offer["receipt"])).unwrap();
        let event: Value = back(&engine.event("accept", js(&offer), now, js(&json!({"fulfilment": back::<Value>(&request)}))).unwrap());
        assert_eq!(event["offerId"], offer["offerId"]);
        assert!(offer_edge::events::is_uuid_v4(event["id"].as_str().unwrap()));
        let mail: Value = back(&engine.confirmation_email(FX_KEY, request.clone(), now, None, None).unwrap());
        assert_eq!(mail["to"], "ada@example.com");
        // With the order's attested email hash: only the attested address is mailed.
        let partner = decision["partner"].as_str().unwrap();
        let eh = wasm::attested_email_hash(partner, "ada@example.com").unwrap();
        let attested: Value = back(&engine.confirmation_email(FX_KEY, request.clone(), now, Some(eh), None).unwrap());
        assert_eq!(attested["to"], "ada@example.com");
        let other = wasm::attested_email_hash(partner, "bob@example.com").unwrap();
        let thrown = engine.confirmation_email(FX_KEY, request.clone(), now, Some(other), None).err().unwrap();
        assert_eq!(code_of(&thrown), "EMAIL_MISMATCH");
        assert_eq!(mail["offerId"], offer["offerId"]);
        assert_eq!(mail["decisionId"], decision["decisionId"]);
        assert!(!mail["subject"].as_str().unwrap().contains("{{"));
        // A key file with the same kid but another key cannot open it.
        let (other, _) = offer_edge::seal::fulfilment_key_files("fx-2026", [9; 32]).unwrap();
        let thrown = engine.confirmation_email(&other, request.clone(), now, None, None).err().unwrap();
        assert_eq!(code_of(&thrown), "SEAL_FAILED");
        let thrown = engine.confirmation_email("{}", request, now, None, None).err().unwrap();
        assert_eq!(code_of(&thrown), "KEY_INVALID");
    }

    fn engine_offer_reads_the_bundle_not_the_client() {
        let engine = WasmEngine::from_draft(JsValue::from_str(decide_fixture::BUNDLE_JSON)).unwrap();
        let bundle: Value = serde_json::from_str(decide_fixture::BUNDLE_JSON).unwrap();
        let first = &bundle["offers"][0];
        let summary: Value = back(&engine.offer(first["id"].as_str().unwrap()).unwrap());
        assert_eq!(summary, json!({
            "offerId": first["id"], "creativeId": first["creative"]["id"],
            "campaign": first["campaign"], "advertiser": first["advertiser"],
            "needsConfirmationEmail": first["creative"]["confirmationEmail"]["required"] == json!(true),
        }));
        assert!(engine.offer("no-such-offer").unwrap().is_null());
        let thrown = signed_engine().offer("x").err().unwrap();
        assert_eq!(code_of(&thrown), "NO_BUNDLE");
    }

    fn events_carry_a_checkout_token_of_the_right_shape() {
        let engine = WasmEngine::from_draft(JsValue::from_str(decide_fixture::BUNDLE_JSON)).unwrap();
        let now = ms("2026-11-29T12:00:00Z");
        let context = js(&json!({"firstname": "Ada", "state": "CA", "amount": "64.50", "age": 29}));
        let out = engine.decide(context, None, now, js(&json!({"seed": 1}))).unwrap();
        let decision: Value = back(&field(&out, "decision"));
        let offer = decision["placements"].as_array().unwrap().iter()
            .flat_map(|p| p["offers"].as_array().unwrap().iter())
            .next()
            .expect("a shown offer")
            .clone();
        let tokens: Value = serde_json::from_str(get(crate::fixtures::CHECKOUT, "tokens.json")).unwrap();
        let token = tokens[0]["token"].as_str().unwrap();
        let event: Value = back(&engine.event("impression", js(&offer), now, js(&json!({"checkout": token}))).unwrap());
        assert_eq!(event["checkout"], token);
        let thrown = engine.event("impression", js(&offer), now, js(&json!({"checkout": "a.b"}))).err().unwrap();
        assert_eq!(code_of(&thrown), "EVENT_INVALID");
    }
}

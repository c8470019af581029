#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Engagement events: every event type built from a checkout context full of
//! PII serializes without any of it; validation and batching limits hold.

mod common;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use offer_edge::bundle::{FulfilmentKey, Offer};
use offer_edge::email::needs_fulfilment;
use offer_edge::events::{
    is_uuid_v4, uuid_v4, Event, EventBatch, EventOffer, EventReceipt, EventType,
};
use offer_edge::receipt::Receipt;
use offer_edge::seal::{generate_fulfilment_keypair, open_fulfilment, seal_for_fulfilment};
use offer_edge::time::Timestamp;
use offer_edge::ErrorCode;
use serde_json::json;

const EDGE_KEY: &[u8; 32] = b"edge-receipt-key-0123456789abcde";
const ALL_TYPES: [EventType; 5] = [
    EventType::Impression,
    EventType::Accept,
    EventType::Decline,
    EventType::Close,
    EventType::Conversion,
];

fn context() -> serde_json::Value {
    json!({
        "email": "Ada@Example.com",
        "emailsha256": "3b5f3c8e2f1c0c8f5f8d9f3b2a1e0d4c5b6a7980f1e2d3c4b5a69788f7e6d5c4",
        "firstname": "Ada",
        "lastname": "Lovelace",
        "phone": "+44 20 7946 0958",
        "zipcode": "94107",
        "state": "CA",
        "amount": 129.5,
        "placement": "confirmation"
    })
}

/// The meal-kit offer, greeting the shopper and needing a confirmation email.
fn offer() -> Offer {
    common::meal_kit_offer(
        json!({"headline": "{{firstname|there}}, 50% off meals", "body": "Fresh food", "cta": "Claim"}),
        Some(json!({"required": true, "subject": "Your code", "html": "<p>{{couponCode}}</p>"})),
    )
}

fn receipt_for(offer: &Offer, ctx: &serde_json::Value) -> Receipt {
    Receipt {
        decision_id: Receipt::decision_id_from_entropy(&[0x5a; 16]),
        partner: "acme-shop".into(),
        placement: ctx["placement"].as_str().unwrap().into(),
        offer_id: offer.id.clone(),
        creative_id: offer.creative.id.clone(),
        bundle_sha256: "cd".repeat(32),
        issued_at: Timestamp(1_795_955_696_000),
        expires_at: Timestamp(1_796_042_096_000),
        kid: None,
    }
}

fn event_offer(offer: &Offer) -> EventOffer<'_> {
    EventOffer {
        campaign: &offer.campaign,
        advertiser: &offer.advertiser,
        propensity: 0.37,
    }
}

/// Builds every event type the way a host does after a decision, in both
/// receipt forms, with the shopper's email sealed on the accept.
fn all_events() -> Vec<Event> {
    let ctx = context();
    let offer = offer();
    let receipt = receipt_for(&offer, &ctx);
    let signed = receipt.sign(EDGE_KEY).unwrap();
    let (_, public) = generate_fulfilment_keypair([3; 32]);
    let key = FulfilmentKey {
        kid: "acme-1".into(),
        public_key: STANDARD.encode(public),
    };
    let mut events = Vec::new();
    for (n, form) in [
        EventReceipt::from(&signed),
        EventReceipt::from(receipt.clone()),
    ]
    .into_iter()
    .enumerate()
    {
        for (i, kind) in ALL_TYPES.into_iter().enumerate() {
            let entropy = [u8::try_from(n * 16 + i).unwrap(); 16];
            let time = Timestamp(1_795_955_700_000 + i64::try_from(i).unwrap());
            let mut event =
                Event::new(kind, &entropy, time, form.clone(), event_offer(&offer)).unwrap();
            if needs_fulfilment(kind, &offer) {
                let email = ctx["email"].as_str().unwrap();
                let sealed = seal_for_fulfilment(&key, &receipt, email, &[9; 32]).unwrap();
                event = event.with_fulfilment(sealed).unwrap();
            }
            events.push(event);
        }
    }
    events
}

#[test]
fn no_event_type_leaks_pii_from_the_context() {
    let events = all_events();
    assert_eq!(events.len(), 10);
    assert_eq!(events.iter().filter(|e| e.fulfilment.is_some()).count(), 2);
    let batch = EventBatch { events };
    let json = String::from_utf8(batch.to_json().unwrap()).unwrap();
    let haystacks = [json.clone(), json.to_lowercase()];
    let pii = [
        "Ada@Example.com",
        "ada@example.com",
        "example.com",
        "Ada Lovelace",
        "Lovelace",
        "lovelace",
        "+44 20 7946 0958",
        "442079460958",
        "2079460958",
        "7946 0958",
        "3b5f3c8e2f1c0c8f", // even the hashed email stays out
        "94107",
    ];
    for needle in pii {
        for hay in &haystacks {
            assert!(!hay.contains(needle), "{needle:?} leaked into {json}");
        }
    }
    // Per type too, so a regression names the culprit.
    for event in &batch.events {
        let one = serde_json::to_string(event).unwrap().to_lowercase();
        assert!(
            !one.contains("ada@example.com") && !one.contains("lovelace"),
            "{one}"
        );
    }
    // Only the HPKE ciphertext carries the email, and only the partner reads it.
    let accept = batch
        .events
        .iter()
        .find(|e| e.kind == EventType::Accept)
        .unwrap();
    let (private, _) = generate_fulfilment_keypair([3; 32]);
    let opened = open_fulfilment(
        &private,
        "acme-1",
        "acme-shop",
        accept.fulfilment.as_ref().unwrap(),
    )
    .unwrap();
    assert_eq!(opened.email, "ada@example.com");
}

#[test]
fn events_round_trip_through_json_with_camel_case_names() {
    let batch = EventBatch {
        events: all_events(),
    };
    let bytes = batch.to_json().unwrap();
    let text = std::str::from_utf8(&bytes).unwrap();
    for key in [
        "\"type\":\"impression\"",
        "\"offerId\"",
        "\"creativeId\"",
        "\"propensity\":0.37",
        "\"type\":\"conversion\"",
    ] {
        assert!(text.contains(key), "missing {key}");
    }
    let back = EventBatch::from_json(&bytes).unwrap();
    assert_eq!(back, batch);
    // Signed receipts travel as the compact string, plain ones as objects.
    let value: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    assert!(value["events"][0]["receipt"].is_string());
    assert!(value["events"][5]["receipt"].is_object());
    // The signed receipt in an event verifies at the collector.
    let EventReceipt::Signed(compact) = &back.events[0].receipt else {
        panic!()
    };
    offer_edge::receipt::verify_compact(
        compact,
        EDGE_KEY,
        Timestamp(1_795_955_700_000),
        "acme-shop",
        "offer-meal-kit",
    )
    .unwrap();
}

#[test]
fn uuid_v4_sets_version_and_variant() {
    let id = uuid_v4(&[0xff; 16]);
    assert_eq!(id, "ffffffff-ffff-4fff-bfff-ffffffffffff");
    assert_eq!(uuid_v4(&[0; 16]), "00000000-0000-4000-8000-000000000000");
    assert!(is_uuid_v4(&id));
    for bad in [
        "",
        "ffffffff-ffff-1fff-bfff-ffffffffffff",
        "ffffffff-ffff-4fff-7fff-ffffffffffff",
        "FFFFFFFF-FFFF-4FFF-BFFF-FFFFFFFFFFFF",
        "ffffffffffff4fffbfffffffffffffffffff",
        "ffffffff-ffff-4fff-bfff-fffffffffffff",
    ] {
        assert!(!is_uuid_v4(bad), "{bad}");
    }
}

fn mutated(edit: impl Fn(&mut serde_json::Value)) -> ErrorCode {
    let mut value = serde_json::to_value(&all_events()[6]).unwrap();
    assert_eq!(value["type"], "accept");
    edit(&mut value);
    let batch = json!({ "events": [value] });
    EventBatch::from_json(&serde_json::to_vec(&batch).unwrap())
        .unwrap_err()
        .code()
}

#[test]
fn invalid_events_are_refused_with_event_invalid() {
    type Edit = Box<dyn Fn(&mut serde_json::Value)>;
    let cases: Vec<(&str, Edit)> = vec![
        ("bad uuid", Box::new(|v| v["id"] = json!("not-a-uuid"))),
        ("propensity > 1", Box::new(|v| v["propensity"] = json!(1.5))),
        (
            "propensity < 0",
            Box::new(|v| v["propensity"] = json!(-0.1)),
        ),
        ("empty campaign", Box::new(|v| v["campaign"] = json!(""))),
        (
            "long advertiser",
            Box::new(|v| v["advertiser"] = json!("a".repeat(129))),
        ),
        ("unknown type", Box::new(|v| v["type"] = json!("click"))),
        (
            "pii field",
            Box::new(|v| v["email"] = json!("ada@example.com")),
        ),
        (
            "other offer",
            Box::new(|v| v["offerId"] = json!("offer-other")),
        ),
        (
            "other partner",
            Box::new(|v| v["partner"] = json!("globex")),
        ),
        ("bad receipt", Box::new(|v| v["receipt"] = json!("garbage"))),
        ("bad time", Box::new(|v| v["time"] = json!("yesterday"))),
        (
            "fulfilment on decline",
            Box::new(|v| v["type"] = json!("decline")),
        ),
    ];
    for (name, edit) in cases {
        assert_eq!(mutated(edit), ErrorCode::EventInvalid, "{name}");
    }
}

#[test]
fn fulfilment_only_on_accept_for_the_same_decision() {
    let events = all_events();
    let accept = events.iter().find(|e| e.kind == EventType::Accept).unwrap();
    let request = accept.fulfilment.clone().unwrap();
    for kind in [
        EventType::Impression,
        EventType::Decline,
        EventType::Close,
        EventType::Conversion,
    ] {
        let event = events.iter().find(|e| e.kind == kind).unwrap().clone();
        assert!(!needs_fulfilment(kind, &offer()));
        assert_eq!(
            event.with_fulfilment(request.clone()).unwrap_err().code(),
            ErrorCode::EventInvalid
        );
    }
    let mut other_decision = request;
    other_decision.decision_id = "0".repeat(32);
    let mut plain_accept = accept.clone();
    plain_accept.fulfilment = None;
    assert_eq!(
        plain_accept
            .with_fulfilment(other_decision)
            .unwrap_err()
            .code(),
        ErrorCode::EventInvalid
    );
}

#[test]
fn batches_respect_the_beacon_limits() {
    assert_eq!(
        EventBatch::from_json(&vec![b' '; 64 * 1024 + 1])
            .unwrap_err()
            .code(),
        ErrorCode::LimitExceeded
    );
    assert_eq!(
        EventBatch::from_json(b"[1,2]").unwrap_err().code(),
        ErrorCode::EventInvalid
    );
    assert_eq!(
        EventBatch::from_json(b"{\"events\":[]}").unwrap(),
        EventBatch::default()
    );
    // Counted before any event is read: 257 non-events are too many, not invalid.
    let too_many = format!("{{\"events\":[{}1]}}", "1,".repeat(256));
    assert_eq!(
        EventBatch::from_json(too_many.as_bytes())
            .unwrap_err()
            .code(),
        ErrorCode::LimitExceeded
    );
    // An event carrying a field no event has (PII) is refused, the field named.
    let named =
        EventBatch::from_json(b"{\"events\":[{\"email\":\"ada@example.com\"}]}").unwrap_err();
    assert_eq!(named.code(), ErrorCode::EventInvalid);
    assert!(
        named.message().contains("unknown field `email`"),
        "{}",
        named.message()
    );

    // 1,000 events (accepts carry ~500-byte sealed requests) split into
    // batches that each fit 64 KiB, in order, nothing lost.
    let template = all_events();
    let many: Vec<Event> = (0..1000u32)
        .map(|i| {
            let mut e = template[usize::try_from(i).unwrap() % template.len()].clone();
            let mut entropy = [0u8; 16];
            entropy[..4].copy_from_slice(&i.to_be_bytes());
            e.id = uuid_v4(&entropy);
            e
        })
        .collect();
    let batches = EventBatch::split(many.clone()).unwrap();
    assert!(batches.len() > 1);
    for batch in &batches {
        let bytes = batch.to_json().unwrap();
        assert!(bytes.len() <= 64 * 1024);
        assert_eq!(EventBatch::from_json(&bytes).unwrap(), *batch);
    }
    let rejoined: Vec<Event> = batches.into_iter().flat_map(|b| b.events).collect();
    assert_eq!(rejoined, many);
    let too_many = EventBatch { events: many };
    assert_eq!(
        too_many.to_json().unwrap_err().code(),
        ErrorCode::LimitExceeded
    );
}

/// `docs/event.schema.json` must describe exactly what we emit: same
/// property names, same required set, same enum of types.
#[test]
fn json_schema_matches_the_emitted_events() {
    let schema: serde_json::Value =
        serde_json::from_str(include_str!("../docs/event.schema.json")).unwrap();
    let defs = &schema["$defs"];
    let keys = |v: &serde_json::Value| {
        let mut k: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
        k.sort();
        k
    };
    let strings = |v: &serde_json::Value| {
        let mut k: Vec<String> = v
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s.as_str().unwrap().to_owned())
            .collect();
        k.sort();
        k
    };
    let events = all_events();
    // Every optional field set: a sealed email, a checkout token, and a
    // receipt naming its key.
    let full = events[6].clone().with_checkout(checkout_token()).unwrap();
    let accept = serde_json::to_value(&full).unwrap();
    let impression = serde_json::to_value(&events[5]).unwrap();
    assert_eq!(keys(&defs["event"]["properties"]), keys(&accept));
    assert_eq!(strings(&defs["event"]["required"]), keys(&impression));
    let mut keyed = full.receipt.fields().unwrap();
    keyed.kid = Some("acme-shop-r1".into());
    assert_eq!(
        keys(&defs["receipt"]["properties"]),
        keys(&serde_json::to_value(&keyed).unwrap())
    );
    assert_eq!(
        strings(&defs["receipt"]["required"]),
        keys(&accept["receipt"])
    );
    assert_eq!(
        keys(&defs["fulfilment"]["properties"]),
        keys(&accept["fulfilment"])
    );
    assert_eq!(
        strings(&defs["fulfilment"]["required"]),
        keys(&accept["fulfilment"])
    );
    let types: Vec<String> = ALL_TYPES.iter().map(|t| t.as_str().to_owned()).collect();
    let mut sorted = types.clone();
    sorted.sort();
    assert_eq!(
        strings(&defs["event"]["properties"]["type"]["enum"]),
        sorted
    );
    assert_eq!(schema["properties"]["events"]["maxItems"], 256);
}

/// The valid token of the shared checkout fixtures.
fn checkout_token() -> String {
    let cases: serde_json::Value =
        serde_json::from_str(include_str!("fixtures/checkout/tokens.json")).unwrap();
    cases[0]["token"].as_str().unwrap().to_owned()
}

#[test]
fn an_event_carries_the_checkout_token_shape_checked_only() {
    let offer = offer();
    let receipt = receipt_for(&offer, &context());
    let event = Event::new(
        EventType::Accept,
        &[1; 16],
        Timestamp(1_795_955_700_000),
        EventReceipt::from(receipt),
        event_offer(&offer),
    )
    .unwrap();
    let json = serde_json::to_string(&event).unwrap();
    assert!(!json.contains("checkout"), "absent when not given: {json}");

    let token = checkout_token();
    let with = event.clone().with_checkout(token.clone()).unwrap();
    let batch = EventBatch::from_json(
        &EventBatch {
            events: vec![with.clone()],
        }
        .to_json()
        .unwrap(),
    )
    .unwrap();
    assert_eq!(batch.events[0].checkout.as_deref(), Some(token.as_str()));

    let (input, _) = token.rsplit_once('.').unwrap();
    for bad in [
        String::new(),
        input.to_owned(),
        format!("{token}.x"),
        format!("{input}.!!!"),
        format!("{input}.{}", "A".repeat(2048)),
    ] {
        let err = event.clone().with_checkout(bad.clone()).unwrap_err();
        assert_eq!(err.code(), ErrorCode::EventInvalid, "{bad:?}");
        // Also when it arrives in a batch.
        let mut value = serde_json::to_value(&with).unwrap();
        value["checkout"] = json!(bad);
        let bytes = serde_json::to_vec(&json!({ "events": [value] })).unwrap();
        let err = EventBatch::from_json(&bytes).unwrap_err();
        assert_eq!(err.code(), ErrorCode::EventInvalid, "{bad:?}");
    }
    // Not verified here: a token of another partner still passes the shape
    // check (the edge verifies it against the partner's pinned keys).
    let cases: serde_json::Value =
        serde_json::from_str(include_str!("fixtures/checkout/tokens.json")).unwrap();
    let theirs = cases
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["expect"]["error"] == "TOKEN_PARTNER_MISMATCH")
        .unwrap();
    event
        .with_checkout(theirs["token"].as_str().unwrap().to_owned())
        .unwrap();
}

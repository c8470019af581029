#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Confirmation email data path: which engagements need a sealed email, when
//! the reminder goes out, and what the templates are given.

mod common;

use offer_edge::bundle::{ConfirmationEmail, Offer};
use offer_edge::email::{
    compose_confirmation, confirmation_data, confirmation_shape, needs_fulfilment, reminder_at,
    EmailPart, DEFAULT_TEXT_TEMPLATE,
};
use offer_edge::events::EventType;
use offer_edge::limits::{MAX_EMAIL_LEN, MAX_ID_LEN};
use offer_edge::seal::OpenedFulfilment;
use offer_edge::template::{Data, Datum, Shape};
use offer_edge::time::{DurationMs, Timestamp, DAY_MS, HOUR_MS};
use offer_edge::{ErrorCode, Result};
use serde_json::{json, Value};
use std::cell::RefCell;

/// The meal-kit offer with `confirmation` as its `confirmationEmail` (none
/// when null).
fn offer(confirmation: Value) -> Offer {
    let fields = json!({"headline": "50% off meals", "body": "Fresh food", "cta": "Claim", "terms": "One per household"});
    common::meal_kit_offer(fields, (!confirmation.is_null()).then_some(confirmation))
}

fn settings(required: bool, reminder_after: Option<&str>) -> ConfirmationEmail {
    ConfirmationEmail {
        required,
        subject: "Your {{advertiser}} code".into(),
        html: "<p>{{couponCode}}</p>".into(),
        text: None,
        reminder_after: reminder_after.map(|d| DurationMs::parse(d).unwrap()),
    }
}

fn accepted_at() -> Timestamp {
    Timestamp::parse_rfc3339("2026-11-29T12:00:00Z").unwrap()
}

#[test]
fn reminder_defaults_to_a_day_and_follows_reminder_after() {
    let t = accepted_at();
    assert_eq!(
        reminder_at(t, &settings(true, None)),
        Some(Timestamp(t.0 + DAY_MS))
    );
    assert_eq!(
        reminder_at(t, &settings(true, Some("48h"))),
        Some(Timestamp(t.0 + 2 * DAY_MS))
    );
    assert_eq!(
        reminder_at(t, &settings(true, Some("90m"))),
        Some(Timestamp(t.0 + 90 * 60_000))
    );
    assert_eq!(
        reminder_at(t, &settings(true, Some("2h")))
            .unwrap()
            .to_string(),
        "2026-11-29T14:00:00Z"
    );
    assert_eq!(reminder_at(t, &settings(true, Some("0s"))), None);
    assert_eq!(reminder_at(t, &settings(false, None)), None);
    assert_eq!(reminder_at(t, &settings(false, Some("1h"))), None);
    // Saturates instead of overflowing.
    let far = reminder_at(Timestamp(i64::MAX - HOUR_MS), &settings(true, Some("2h"))).unwrap();
    assert_eq!(far, Timestamp(i64::MAX));
}

#[test]
fn only_accepts_of_offers_requiring_confirmation_need_fulfilment() {
    let required = offer(json!({"required": true, "subject": "s", "html": "h"}));
    let optional = offer(json!({"required": false, "subject": "s", "html": "h"}));
    let absent = offer(Value::Null);
    for kind in [
        EventType::Impression,
        EventType::Accept,
        EventType::Decline,
        EventType::Close,
        EventType::Conversion,
    ] {
        assert_eq!(
            needs_fulfilment(kind, &required),
            kind == EventType::Accept,
            "{kind:?}"
        );
        assert!(!needs_fulfilment(kind, &optional));
        assert!(!needs_fulfilment(kind, &absent));
    }
}

fn opened() -> OpenedFulfilment {
    OpenedFulfilment {
        email: "ada@example.com".into(),
        offer_id: "offer-meal-kit".into(),
        decision_id: "5a".repeat(16),
    }
}

#[test]
fn composes_with_coupon_details_and_reminder() {
    let offer = offer(json!({
        "required": true,
        "subject": "Your {{advertiser}} code",
        "html": "<p>{{couponCode}}</p>",
        "reminderAfter": "48h"
    }));
    let opened_request = opened();
    let data = confirmation_data(&opened_request, &offer);
    let text = |key: &str| data.get(key).and_then(|d| d.as_text());
    assert_eq!(text("couponCode"), Some("FRESH50"));
    assert_eq!(text("actionUrl"), Some("https://freshbox.example/redeem"));
    assert_eq!(text("actionType"), Some("coupon"));
    assert_eq!(text("email"), Some("ada@example.com"));
    assert_eq!(text("headline"), Some("50% off meals"));
    // Names that do not apply are null (they stop the Mustache context
    // search), unknown names are missing.
    assert!(matches!(data.get("sku"), Some(Datum::Null)));
    assert!(data.get("firstname").is_none());

    let calls = RefCell::new(Vec::new());
    let renderer = |part: EmailPart, template: &str, data: &dyn Data| -> Result<String> {
        calls.borrow_mut().push((part, template.to_owned()));
        Ok(format!(
            "{part:?}:{}",
            data.get("couponCode")
                .and_then(|d| d.as_text())
                .unwrap_or("")
        ))
    };
    let message = compose_confirmation(&opened(), &offer, accepted_at(), &renderer).unwrap();
    assert_eq!(message.to, "ada@example.com");
    assert_eq!(message.subject, "Subject:FRESH50");
    assert_eq!(message.html, "Html:FRESH50");
    assert_eq!(message.text, "Text:FRESH50");
    assert_eq!(
        message.reminder_at,
        Some(Timestamp(accepted_at().0 + 2 * DAY_MS))
    );
    let calls = calls.into_inner();
    assert_eq!(
        calls[0],
        (EmailPart::Subject, "Your {{advertiser}} code".to_owned())
    );
    assert_eq!(
        calls[1],
        (EmailPart::Html, "<p>{{couponCode}}</p>".to_owned())
    );
    // No text template in the creative: the default one carries the offer details.
    assert_eq!(
        calls[2],
        (EmailPart::Text, DEFAULT_TEXT_TEMPLATE.to_owned())
    );
    assert!(DEFAULT_TEXT_TEMPLATE.contains("{{couponCode}}"));
}

#[test]
fn refuses_requests_for_other_offers_or_offers_without_email() {
    let renderer = |_: EmailPart, _: &str, _: &dyn Data| -> Result<String> { Ok(String::new()) };
    let with_email = offer(json!({"required": true, "subject": "s", "html": "h"}));
    let mut other = opened();
    other.offer_id = "offer-other".into();
    assert_eq!(
        compose_confirmation(&other, &with_email, accepted_at(), &renderer)
            .unwrap_err()
            .code(),
        ErrorCode::EventInvalid
    );
    for no_email in [
        offer(Value::Null),
        offer(json!({"required": false, "subject": "s", "html": "h"})),
    ] {
        assert_eq!(
            compose_confirmation(&opened(), &no_email, accepted_at(), &renderer)
                .unwrap_err()
                .code(),
            ErrorCode::EventInvalid
        );
    }
}

/// The shape the email templates are bounded with names exactly what the
/// data has, each at least as long as what it holds: request-side values at
/// their limits, offer-side ones at their length in the offer (0 for null).
#[test]
fn the_shape_mirrors_the_data() {
    let offer = offer(json!({"required": true, "subject": "s", "html": "h"}));
    let opened_request = opened();
    let data = confirmation_data(&opened_request, &offer);
    let Shape::Map(entries) = confirmation_shape(&offer) else {
        panic!("the email data is a map");
    };
    let names: Vec<&str> = entries.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "email",
            "offerId",
            "decisionId",
            "campaign",
            "advertiser",
            "headline",
            "body",
            "cta",
            "image",
            "imageAlt",
            "terms",
            "actionType",
            "actionUrl",
            "couponCode",
            "sku"
        ]
    );
    for (name, shape) in &entries {
        let Shape::Scalar(max) = *shape else {
            panic!("{name} is not a scalar");
        };
        let expected = match name.as_str() {
            "email" => MAX_EMAIL_LEN,
            "offerId" | "decisionId" => MAX_ID_LEN,
            _ => data.get(name).and_then(|d| d.as_text()).map_or(0, str::len),
        };
        assert_eq!(max, expected, "{name}");
        match data.get(name) {
            Some(Datum::Text(t)) => assert!(t.len() <= max, "{name}"),
            Some(Datum::Null) => assert_eq!(max, 0, "{name}"),
            _ => panic!("{name} is not in the data"),
        }
    }
    assert_eq!(
        entries
            .iter()
            .find(|(n, _)| n == "couponCode")
            .map(|e| &e.1),
        Some(&Shape::Scalar("FRESH50".len()))
    );
    assert!(data.get("firstname").is_none());
}

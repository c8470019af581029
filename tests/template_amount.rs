//! `amountFormatted` in templates: the cart total as the page formatted it
//! for the shopper (`amountformatted`, Intl.NumberFormat in the page), else
//! one locale-free fallback (two decimals and the currency code), so native,
//! wasm and CLI hosts render the same from the same context. The attribute
//! is plain text: escaped like every attribute, and cut like every one.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use offer_edge::context::{Context, Field};
use offer_edge::decide::{DecideOptions, Engine};
use offer_edge::history::History;
use offer_edge::limits::MAX_TEMPLATE_ATTRIBUTE_BYTES;
use serde_json::{json, Value};

/// Every offer's headline shows the amount; the layout shows it too.
fn engine() -> Engine {
    let mut b = open_bundle();
    for o in &mut b.offers {
        o.creative.fields.headline = "Total {{amountFormatted|unknown}}".to_owned();
    }
    b.placements[0].layout =
        "<p class=\"t\">{{amountFormatted}}</p>{{#offers}}<h3>{{headline}}</h3>{{/offers}}"
            .to_owned();
    Engine::compile(b, &[0; 32]).unwrap()
}

/// The first headline and the layout's total, decided for `ctx`.
fn shown(ctx: Value) -> (String, String) {
    let ctx = Context::from_value(&ctx).unwrap();
    let decision = engine()
        .decide(
            &ctx,
            &History::new(PARTNER),
            now(),
            &[7; 8],
            &DecideOptions::default(),
        )
        .unwrap();
    let p = &decision.placements[0];
    let html = &p.html;
    let total = html
        .split("<p class=\"t\">")
        .nth(1)
        .and_then(|rest| rest.split("</p>").next())
        .unwrap()
        .to_owned();
    (p.offers[0].fields.headline.clone(), total)
}

#[test]
fn the_page_formatted_amount_is_shown_as_given() {
    let (headline, total) =
        shown(json!({"amount": "120", "currency": "EUR", "amountformatted": "120,00\u{a0}€"}));
    assert_eq!(headline, "Total 120,00\u{a0}€");
    assert_eq!(total, "120,00\u{a0}€");
    let (headline, _) =
        shown(json!({"amount": 120, "currency": "USD", "amountformatted": " $120.00 "}));
    assert_eq!(
        headline, "Total $120.00",
        "trimmed like every text attribute"
    );
}

#[test]
fn without_it_the_fallback_is_two_decimals_and_the_currency_code() {
    assert_eq!(
        shown(json!({"amount": "120", "currency": "eur"})).0,
        "Total 120.00 EUR"
    );
    assert_eq!(shown(json!({"amount": 64.5})).0, "Total 64.50");
    assert_eq!(
        shown(json!({"amount": "0.125", "currency": "USD"})).0,
        "Total 0.12 USD"
    );
    // No amount: absent, so the template's default applies.
    assert_eq!(shown(json!({"currency": "USD"})).0, "Total unknown");
    assert_eq!(shown(json!({})).1, "");
}

#[test]
fn a_hostile_formatted_amount_is_escaped_and_cut() {
    let (headline, total) =
        shown(json!({"amount": 1, "amountformatted": "<img src=x onerror=alert(1)>\"'&"}));
    // Creative fields are text (escaped where the layout prints them).
    assert_eq!(headline, "Total <img src=x onerror=alert(1)>\"'&");
    assert_eq!(total, "&lt;img src=x onerror=alert(1)&gt;&quot;&#39;&amp;");
    let long = "9".repeat(MAX_TEMPLATE_ATTRIBUTE_BYTES * 4);
    let (headline, _) = shown(json!({"amountformatted": long}));
    assert_eq!(
        headline.len(),
        "Total ".len() + MAX_TEMPLATE_ATTRIBUTE_BYTES
    );
    // The largest amount a context holds prints in full, without exponent.
    let (headline, _) = shown(json!({"amount": 1e12, "currency": "USD"}));
    assert_eq!(headline, "Total 1000000000000.00 USD");
}

#[test]
fn amountformatted_is_a_context_attribute_and_round_trips() {
    assert_eq!(
        Field::from_name("amountformatted"),
        Some(Field::AmountFormatted)
    );
    let ctx = Context::from_value(&json!({"amountformatted": "120,00 €"})).unwrap();
    assert_eq!(ctx.to_value(), json!({"amountformatted": "120,00 €"}));
    // A non-string is not shown: refused or dropped like any text attribute's.
    let object = Context::from_value(&json!({"amountformatted": {"x": 1}}));
    assert!(object.map_or(true, |ctx| ctx.amountformatted.is_none()));
}

//! Confirmation email templates are bounded like layouts: their subject, HTML
//! and text are compiled against the shape of the email data
//! (`email::confirmation_shape`), so a template that could render megabytes
//! inside the worker at fulfil time is refused at load (engine compile,
//! store verify in both signed formats), with its name and position. Emails
//! within the bound render exactly as the unbounded templates did.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use offer_edge::bundle::{Action, Bundle, BundleStore, ConfirmationEmail, Coupon, Trust};
use offer_edge::decide::Engine;
use offer_edge::email::{confirmation_data, DEFAULT_TEXT_TEMPLATE};
use offer_edge::limits::{
    MAX_EMAIL_LEN, MAX_ID_LEN, MAX_RENDERED_BYTES, MAX_TEMPLATE_LEN, MAX_TEXT_LEN,
};
use offer_edge::seal::OpenedFulfilment;
use offer_edge::template::{HtmlTemplate, TextTemplate};
use offer_edge::time::Timestamp;
use offer_edge::{Error, ErrorCode};

/// A body of this many bytes prints at most 6× as much in HTML (`&quot;`).
const BODY_LEN: usize = 100;

fn assert_invalid(err: &Error, parts: &[&str]) {
    assert_eq!(err.code(), ErrorCode::TemplateInvalid, "{err}");
    for p in parts {
        assert!(err.message().contains(p), "{err} should contain {p:?}");
    }
}

/// The demo bundle whose first offer sends a confirmation email with these
/// templates, and has a coupon and a `BODY_LEN`-byte body.
fn bundle_with_email(subject: &str, html: &str, text: Option<&str>) -> Bundle {
    let mut b = bundle(PARTNER, 1);
    let offer = &mut b.offers[0];
    offer.creative.fields.body = "b".repeat(BODY_LEN);
    offer.creative.confirmation_email = Some(Box::new(ConfirmationEmail {
        required: true,
        subject: subject.to_owned(),
        html: html.to_owned(),
        text: text.map(str::to_owned),
        reminder_after: None,
    }));
    b
}

fn store() -> BundleStore<Engine> {
    let t: Trust = trust(&["k1", "k2"], 2);
    BundleStore::with_compile(t, Engine::from_verified)
}

/// `compile` and a store load of both signed formats refuse `b` with
/// TEMPLATE_INVALID naming `part` of the first offer's email, and `parts`.
fn refused_everywhere(b: &Bundle, part: &str, parts: &[&str]) {
    let name = format!(
        "offers[{}].creative.confirmationEmail.{part}",
        b.offers[0].id
    );
    let mut expected = vec![name.as_str(), "worst case"];
    expected.extend_from_slice(parts);
    let err = Engine::compile(b.clone(), &[0; 32]).unwrap_err();
    assert_invalid(&err, &expected);
    for signed in [sign(b, &["k1", "k2"]), sign_manifest(b, &["k1", "k2"])] {
        let err = store().load(&signed, now()).unwrap_err();
        assert_invalid(&err, &expected);
    }
}

/// The HTML body repeating `{{body}}` 4,000 times (32 KiB of template) would
/// render 4,000 × 600 bytes: refused where the running worst case passes
/// `MAX_RENDERED_BYTES`, not rendered per accept.
#[test]
fn an_email_html_repeating_the_body_past_the_limit_is_refused_at_load() {
    let repeats = 4_000;
    let html = format!("<p>{}</p>", "{{body}}".repeat(repeats));
    assert!(html.len() <= MAX_TEMPLATE_LEN);
    let b = bundle_with_email("Your code", &html, None);
    // Each `{{body}}` may print `BODY_LEN` escaped bytes; the one that
    // passes the limit is the position reported (1-based column).
    let per_value = 6 * BODY_LEN;
    let nth = (MAX_RENDERED_BYTES - "<p>".len()) / per_value + 1;
    let col = "<p>".len() + (nth - 1) * "{{body}}".len() + 1;
    refused_everywhere(
        &b,
        "html",
        &[
            &format!(" 1:{col}:"),
            &format!("renders {} bytes", 3 + 4 + repeats * per_value),
            &format!("limit of {MAX_RENDERED_BYTES}"),
        ],
    );
}

/// The subject and the text body are bounded too (unescaped: a value prints
/// its own length).
#[test]
fn an_email_subject_or_text_over_the_limit_is_refused_at_load() {
    let mut b = bundle_with_email(
        "{{body}}".repeat(MAX_TEXT_LEN / 8).as_str(),
        "<p>ok</p>",
        None,
    );
    b.offers[0].creative.fields.body = "b".repeat(MAX_TEXT_LEN);
    refused_everywhere(&b, "subject", &[" 1:"]);

    let text = "{{body}}\n".repeat(3_000);
    let b = bundle_with_email("Your code", "<p>ok</p>", Some(&text));
    let nth = MAX_RENDERED_BYTES / (BODY_LEN + 1) + 1;
    refused_everywhere(&b, "text", &[&format!(" {nth}:1:")]);
}

/// An email that prints every name once, with every value at its longest
/// valid length (request-side values at their limits, offer-side values at
/// `MAX_TEXT_LEN` / `MAX_ID_LEN`), fits the bound: real templates do not
/// come near it.
#[test]
fn an_email_printing_every_name_at_its_longest_loads() {
    let mut b = bundle_with_email("{{headline}} from {{advertiser}}", &every_name_html(), None);
    // The demo layouts print most fields of several offers: at these
    // lengths they are over their own bound (tests/template_bounds.rs).
    for p in &mut b.placements {
        p.layout = "<ol>{{#offers}}<li>{{id}}</li>{{/offers}}</ol>".to_owned();
    }
    let offer = &mut b.offers[0];
    let text = "t".repeat(MAX_TEXT_LEN);
    let id = "i".repeat(MAX_ID_LEN);
    let f = &mut offer.creative.fields;
    (f.headline, f.body, f.cta) = (text.clone(), text.clone(), text.clone());
    f.terms = Some(text.clone());
    f.image_alt = Some(text.clone());
    let url = format!("https://{}", "u".repeat(MAX_TEXT_LEN - 8));
    f.image = Some(url.clone());
    offer.action = Action::Coupon(Coupon::fixed(id.clone(), Some(url)));
    (offer.campaign, offer.advertiser) = (id.clone(), id);
    store().load(&sign(&b, &["k1", "k2"]), now()).unwrap();
}

/// Every name of `confirmation_data`, each in a slot of its own.
fn every_name_html() -> String {
    "<h1>{{headline}}</h1><p>{{body}}</p><img src=\"{{image}}\" alt=\"{{imageAlt}}\">\
     <p><a href=\"{{actionUrl}}\">{{cta}}</a></p>\
     {{#couponCode}}<p>Code: {{couponCode}}</p>{{/couponCode}}{{#sku}}<p>{{sku}}</p>{{/sku}}\
     <p>{{terms}}</p><p>{{email}} {{offerId}} {{decisionId}} {{campaign}} {{advertiser}} \
     {{actionType}} {{firstname|there}}</p>"
        .to_owned()
}

/// A normal email renders exactly as the unbounded templates rendered it,
/// even with the longest email address and decision id (nothing is cut).
#[test]
fn a_normal_email_renders_as_before() {
    let mut b = bundle_with_email(
        "{{firstname|there}}, your {{advertiser}} code",
        &every_name_html(),
        None,
    );
    let offer = &mut b.offers[0];
    offer.creative.fields.headline = "Hi {{firstname|there}} & co".to_owned();
    offer.creative.fields.terms = Some("One per \"household\"".to_owned());
    offer.action = Action::Coupon(Coupon::fixed(
        "FRESH50",
        Some("https://freshbox.example/redeem?a=1&b=2".to_owned()),
    ));
    let source = (**offer).clone();
    let engine = Engine::compile(b, &[0; 32]).unwrap();

    let local = "a".repeat(MAX_EMAIL_LEN - "@example.com".len());
    let opened = OpenedFulfilment {
        email: format!("{local}@example.com"),
        offer_id: source.id.clone(),
        decision_id: "d".repeat(MAX_ID_LEN),
    };
    let at = Timestamp::parse_rfc3339("2026-11-29T12:00:00Z").unwrap();
    let message = engine.confirmation_email(&opened, at).unwrap();

    // What fulfilment rendered before email templates had a bound: the
    // creative fields with no data, then the email templates unbounded.
    let mut rendered = source.clone();
    let f = &mut rendered.creative.fields;
    let no_data = |t: &str| TextTemplate::compile("f", t).unwrap().render(&());
    f.headline = no_data(&f.headline);
    f.body = no_data(&f.body);
    f.cta = no_data(&f.cta);
    f.terms = f.terms.as_deref().map(no_data);
    f.image_alt = f.image_alt.as_deref().map(no_data);
    let data = confirmation_data(&opened, &rendered);
    let email = source.creative.confirmation_email.as_ref().unwrap();
    let subject = TextTemplate::compile("s", &email.subject).unwrap();
    let html = HtmlTemplate::compile("h", &email.html).unwrap();
    let text = TextTemplate::compile("t", DEFAULT_TEXT_TEMPLATE).unwrap();
    assert_eq!(message.subject, subject.render(&data));
    assert_eq!(message.html, html.render(&data));
    assert_eq!(message.text, text.render(&data));

    assert_eq!(
        message.subject,
        format!("there, your {} code", source.advertiser)
    );
    assert!(message.html.starts_with("<h1>Hi there &amp; co</h1>"));
    assert!(message.html.contains(&opened.email));
    assert!(message.html.contains(&opened.decision_id));
    assert!(message
        .html
        .contains("<p>Code: FRESH50</p><p>One per &quot;household&quot;</p>"));
    assert!(message
        .html
        .contains("href=\"https://freshbox.example/redeem?a=1&amp;b=2\""));
    assert!(message.text.contains("Your code: FRESH50"));
}

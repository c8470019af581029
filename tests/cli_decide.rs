//! `offer-edge decide` and the fulfilment key path through the real binary:
//! a demo bundle decided with `--explain` names every offer with a reason;
//! `sign` refuses unsafe templates; a `keygen --kind fulfilment` key opens
//! what the engine sealed to the bundle's fulfilment key.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use common::cli::{decide_args, ok, round_trip, run, sign_args, with};
use offer_edge::attest::{attested_email_hash, check_attested_email};
use offer_edge::bundle::Bundle;
use offer_edge::decide::Engine;
use offer_edge::receipt::Receipt;
use offer_edge::seal::{open_fulfilment, seal_for_fulfilment, FulfilmentPrivateKey};
use offer_edge::time::Timestamp;
use offer_edge::ErrorCode;
use std::path::PathBuf;

mod common;

/// A signed 60-offer demo bundle (signing key `acme-2026`, fulfilment key
/// `fk1`) with its trust config, and a New York shopper's context.
fn setup(name: &str) -> PathBuf {
    let dir = round_trip(name, "60");
    std::fs::write(
        dir.join("ctx.json"),
        r#"{"firstname":"Ada","email":"ada@example.com","state":"NY","country":"US","amount":"64.50","paymenttype":"visa","device":"mobile","age":29}"#,
    )
    .unwrap();
    dir
}

/// `decide` of the signed bundle for `context` at a fixed instant and seed,
/// so two runs decide alike.
fn seeded_decide(context: &str) -> Vec<&str> {
    let args = decide_args("signed.json", "trust.json", context);
    with(args, &["--now", "2026-11-29T17:00:00Z", "--seed", "9"])
}

#[test]
fn decide_explain_shows_winners_and_a_reason_for_every_loser() {
    let dir = setup("cli-decide");
    let text = ok(&dir, &with(seeded_decide("ctx.json"), &["--explain"]));
    let bundle: Bundle =
        serde_json::from_slice(&std::fs::read(dir.join("bundle.json")).unwrap()).unwrap();
    assert!(text.contains("placement confirmation"), "{text}");
    assert!(text.contains("SHOWN"), "{text}");
    for offer in &bundle.offers {
        let line = text
            .lines()
            .find(|l| l.contains(&format!(" {} ", offer.id)) && l.contains(" · "))
            .unwrap_or_else(|| panic!("no verdict line for {}", offer.id));
        assert!(
            line.split(" · ")
                .nth(1)
                .is_some_and(|r| !r.trim().is_empty()),
            "{line}"
        );
    }
    // NY shoppers hit the demo's "can't redeem in this state" rule, with the value seen.
    assert!(text.contains(r#"(saw state="NY")"#), "{text}");

    // --json is the Decision; the same seed gives the same decision.
    let json_args = with(seeded_decide("ctx.json"), &["--json"]);
    let a: serde_json::Value = serde_json::from_str(&ok(&dir, &json_args)).unwrap();
    let b: serde_json::Value = serde_json::from_str(&ok(&dir, &json_args)).unwrap();
    assert_eq!(a, b);
    assert_eq!(a["partner"], "acme");
    assert!(a["placements"][0]["html"]
        .as_str()
        .unwrap()
        .contains("Ada, here are some extra perks selected just for you"));

    // An unknown placement is an error with its code.
    let base = decide_args("signed.json", "trust.json", "ctx.json");
    let out = run(&dir, &with(base, &["--placement", "footer"]));
    assert!(String::from_utf8_lossy(&out.stderr).starts_with("error[PLACEMENT_UNKNOWN]"));
}

#[test]
fn sign_refuses_unsafe_templates_and_broken_rules() {
    let dir = setup("cli-sign-refuses");
    let mut bundle: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("bundle.json")).unwrap()).unwrap();
    let cases = [
        (
            "/placements/0/layout",
            serde_json::json!("<div onclick=\"{{id}}\">x</div>"),
            "TEMPLATE_INVALID",
        ),
        (
            "/placements/0/layout",
            serde_json::json!("<p>{{{firstname}}}</p>"),
            "TEMPLATE_INVALID",
        ),
        (
            "/offers/0/eligibility",
            serde_json::json!({"no_such_op": [1]}),
            "RULE_INVALID",
        ),
    ];
    for (pointer, value, code) in cases {
        let original = bundle.pointer(pointer).cloned();
        *bundle.pointer_mut(pointer).unwrap() = value;
        std::fs::write(dir.join("bad.json"), serde_json::to_vec(&bundle).unwrap()).unwrap();
        let out = run(
            &dir,
            &sign_args("keys/acme-2026.key", "bad.json", "bad.signed.json"),
        );
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.starts_with(&format!("error[{code}]")),
            "{pointer}: {stderr}"
        );
        assert!(!dir.join("bad.signed.json").exists());
        *bundle.pointer_mut(pointer).unwrap() = original.unwrap_or(serde_json::Value::Null);
    }
}

#[test]
fn a_keygen_fulfilment_key_opens_what_was_sealed_to_the_bundle_and_the_email_renders() {
    let dir = setup("cli-fulfilment");
    let bundle: Bundle =
        serde_json::from_slice(&std::fs::read(dir.join("bundle.json")).unwrap()).unwrap();
    let engine = Engine::compile(bundle.clone(), &[1; 32]).unwrap();
    let offer = bundle
        .offers
        .iter()
        .find(|o| {
            o.creative
                .confirmation_email
                .as_ref()
                .is_some_and(|e| e.required)
        })
        .expect("the demo bundle has offers needing confirmation");
    let now = Timestamp::parse_rfc3339("2026-11-29T12:00:00Z").unwrap();
    let receipt = Receipt {
        decision_id: Receipt::decision_id_from_entropy(&[3; 16]),
        partner: "acme".into(),
        placement: "confirmation".into(),
        offer_id: offer.id.clone(),
        creative_id: offer.creative.id.clone(),
        bundle_sha256: engine.bundle_sha256().into(),
        issued_at: now,
        expires_at: Timestamp(now.0 + 3_600_000),
        kid: None,
    };
    let request = seal_for_fulfilment(
        engine.fulfilment_key(),
        &receipt,
        " Ada@Example.com ",
        &[9; 32],
    )
    .unwrap();
    let key = FulfilmentPrivateKey::from_json(
        &std::fs::read_to_string(dir.join("keys/fk1.key")).unwrap(),
    )
    .unwrap();
    let opened =
        open_fulfilment(&key.private_key_bytes().unwrap(), "fk1", "acme", &request).unwrap();
    assert_eq!(opened.email, "ada@example.com");
    let email = engine.confirmation_email(&opened, now).unwrap();
    assert_eq!(email.to, "ada@example.com");
    // Fulfilment with a verified checkout token: the opened address must be
    // the one the partner attested (its `eh`).
    check_attested_email(
        "acme",
        &opened.email,
        &attested_email_hash("acme", "ada@example.com").unwrap(),
    )
    .unwrap();
    let other = attested_email_hash("acme", "bob@example.com").unwrap();
    let err = check_attested_email("acme", &opened.email, &other).unwrap_err();
    assert_eq!(err.code(), ErrorCode::EmailMismatch);
    // A collector takes campaign and advertiser from the bundle.
    let summary = engine.offer_summary(&offer.id).unwrap();
    assert_eq!(
        (summary.offer_id.as_str(), summary.creative_id.as_str()),
        (offer.id.as_str(), offer.creative.id.as_str())
    );
    assert_eq!(
        (summary.campaign.as_str(), summary.advertiser.as_str()),
        (offer.campaign.as_str(), offer.advertiser.as_str())
    );
    assert!(summary.needs_confirmation_email);
    assert!(engine.offer_summary("no-such-offer").is_none());
    assert!(
        !email.subject.contains("{{"),
        "subject rendered: {}",
        email.subject
    );
    assert!(email.html.contains("<p>Hi there,</p>"), "{}", email.html);
    assert_eq!(email.reminder_at, Some(Timestamp(now.0 + 24 * 3_600_000)));
}

#[test]
fn decide_goes_on_without_an_unknown_or_malformed_attribute_and_says_so() {
    let dir = setup("cli-decide-tolerant");
    std::fs::write(
        dir.join("ctx2.json"),
        r#"{"firstname":"Ada","state":"NY","country":"US","billingzipcode":"10001","amount":"12,34.5"}"#,
    )
    .unwrap();
    let text = ok(&dir, &with(seeded_decide("ctx2.json"), &["--explain"]));
    assert!(text.contains("SHOWN"), "{text}");
    assert!(
        text.contains("warning: ATTRIBUTE_UNKNOWN: billingzipcode: "),
        "{text}"
    );
    assert!(
        text.contains(
            "warning: ATTRIBUTE_INVALID: amount: amount groups digits other than in threes"
        ),
        "{text}"
    );
}

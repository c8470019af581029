//! `offer-edge decide` and the fulfilment key path through the real binary:
//! a demo bundle decided with `--explain` names every offer with a reason;
//! `sign` refuses unsafe templates; a `keygen --kind fulfilment` key opens
//! what the engine sealed to the bundle's fulfilment key.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use offer_edge::bundle::Bundle;
use offer_edge::decide::Engine;
use offer_edge::receipt::Receipt;
use offer_edge::seal::{open_fulfilment, seal_for_fulfilment, FulfilmentPrivateKey};
use offer_edge::time::Timestamp;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn run(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_offer-edge"))
        .current_dir(dir)
        .args(args)
        .output()
        .unwrap()
}

fn ok(dir: &Path, args: &[&str]) -> String {
    let out = run(dir, args);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn setup(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    ok(&dir, &["keygen", "--out-dir", "keys", "--keyid", "sig1"]);
    ok(
        &dir,
        &[
            "keygen",
            "--out-dir",
            "keys",
            "--keyid",
            "fk1",
            "--kind",
            "fulfilment",
        ],
    );
    ok(
        &dir,
        &[
            "demo-bundle",
            "--partner",
            "acme",
            "--offers",
            "60",
            "--seed",
            "5",
            "--fulfilment-pub",
            "keys/fk1.pub",
            "--issued-at",
            "2026-11-01T00:00:00Z",
            "--expires-at",
            "2099-01-01T00:00:00Z",
            "-o",
            "bundle.json",
        ],
    );
    ok(
        &dir,
        &[
            "sign",
            "--key",
            "keys/sig1.key",
            "bundle.json",
            "-o",
            "signed.json",
        ],
    );
    ok(
        &dir,
        &[
            "trust",
            "--partner",
            "acme",
            "--pub",
            "keys/sig1.pub",
            "-o",
            "trust.json",
        ],
    );
    std::fs::write(
        dir.join("ctx.json"),
        r#"{"firstname":"Ada","email":"ada@example.com","state":"NY","country":"US","amount":"64.50","paymenttype":"visa","device":"mobile","age":29}"#,
    )
    .unwrap();
    dir
}

#[test]
fn decide_explain_shows_winners_and_a_reason_for_every_loser() {
    let dir = setup("cli-decide");
    let base = [
        "decide",
        "--bundle",
        "signed.json",
        "--trust",
        "trust.json",
        "--context",
        "ctx.json",
    ];
    let args = [
        &base[..],
        &["--now", "2026-11-29T17:00:00Z", "--seed", "9", "--explain"],
    ]
    .concat();
    let text = ok(&dir, &args);
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
    let json_args = [
        &base[..],
        &["--now", "2026-11-29T17:00:00Z", "--seed", "9", "--json"],
    ]
    .concat();
    let a: serde_json::Value = serde_json::from_str(&ok(&dir, &json_args)).unwrap();
    let b: serde_json::Value = serde_json::from_str(&ok(&dir, &json_args)).unwrap();
    assert_eq!(a, b);
    assert_eq!(a["partner"], "acme");
    assert!(a["placements"][0]["html"]
        .as_str()
        .unwrap()
        .contains("Ada, here are some extra perks selected just for you"));

    // An unknown placement is an error with its code.
    let out = run(&dir, &[&base[..], &["--placement", "footer"]].concat());
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
            &[
                "sign",
                "--key",
                "keys/sig1.key",
                "bad.json",
                "-o",
                "bad.signed.json",
            ],
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
    assert!(
        !email.subject.contains("{{"),
        "subject rendered: {}",
        email.subject
    );
    assert!(email.html.contains("<p>Hi there,</p>"), "{}", email.html);
    assert_eq!(email.reminder_at, Some(Timestamp(now.0 + 24 * 3_600_000)));
}

//! Confidential audiences, attacker first: the page bundle `sign` writes
//! answers no membership question about a confidential list (its bytes hold
//! neither the filter nor the salt, and a page engine treats a listed and an
//! unlisted email alike), while the full bundle still applies the list; a
//! full bundle cannot lose a filter, and a host only pairs a page bundle
//! with the full bundle it was signed with.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::cli::{fails, ok, round_trip, sign_args, with};
use offer_edge::bundle::{
    page_edition, validate, verify_bundle, verify_page_bundle, Audience, Bundle, Edition, Trust,
    Verification, VerifiedBundle,
};
use offer_edge::context::Context;
use offer_edge::decide::{DecideOptions, Engine, Reason};
use offer_edge::history::History;
use offer_edge::time::Timestamp;
use offer_edge::ErrorCode;
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::path::Path;

const CONFIDENTIAL: &str = "existing-subscribers";
/// On the demo's confidential suppression list.
const LISTED: &str = "grace@example.com";
/// On no demo list.
const UNLISTED: &str = "nobody@example.com";

fn now() -> Timestamp {
    Timestamp::parse_rfc3339("2026-06-01T15:00:00Z").unwrap()
}

fn read(dir: &Path, name: &str) -> Vec<u8> {
    std::fs::read(dir.join(name)).unwrap()
}

fn verified(trust: &Trust, bytes: &[u8]) -> VerifiedBundle {
    match verify_bundle(trust, bytes, now(), None).unwrap() {
        Verification::New(v) => *v,
        Verification::Unchanged { .. } => unreachable!("no rollback state given"),
    }
}

fn engine(trust: &Trust, bytes: &[u8]) -> Engine {
    Engine::from_verified(verified(trust, bytes)).unwrap()
}

/// The same shopper but for the email.
fn shopper(email: &str) -> Context {
    Context::from_json(
        format!(
            r#"{{"firstname":"Sam","email":"{email}","state":"CA","country":"US","amount":"80.00","paymenttype":"visa","device":"desktop","age":41}}"#
        )
        .as_bytes(),
    )
    .unwrap()
}

fn eligible(engine: &Engine, email: &str) -> BTreeSet<String> {
    let ids = engine
        .eligible_offers(&shopper(email), &History::new("acme"), now())
        .unwrap();
    ids.iter()
        .map(|&i| engine.bundle().offers[i as usize].id.clone())
        .collect()
}

fn confidential_audience(bundle: &Bundle) -> &Audience {
    bundle
        .audiences
        .iter()
        .find(|a| a.id == CONFIDENTIAL)
        .unwrap()
}

#[test]
fn the_page_bundle_answers_no_membership_question_and_the_full_one_still_applies_the_list() {
    let dir = round_trip("confidential-sign", "60");
    let source: Bundle = serde_json::from_slice(&read(&dir, "bundle.json")).unwrap();
    let list = confidential_audience(&source);
    assert!(
        list.confidential,
        "the demo marks its suppression list confidential"
    );
    let (salt, filter) = (list.salt.clone().unwrap(), list.filter.clone().unwrap());

    // `sign -o signed.json` wrote the page bundle next to it.
    let full_bytes = read(&dir, "signed.json");
    let page_bytes = read(&dir, "signed.page.json");
    let contains =
        |hay: &[u8], needle: &str| hay.windows(needle.len()).any(|w| w == needle.as_bytes());
    assert!(contains(&full_bytes, &salt) && contains(&full_bytes, &filter));
    assert!(
        !contains(&page_bytes, &salt),
        "the page bundle carries the salt"
    );
    // Not even a fragment of the filter's body.
    let middle = filter.len() / 2;
    assert!(
        !contains(&page_bytes, &filter[middle..middle + 32]),
        "the page bundle carries the filter"
    );
    // The other audience (not confidential) ships as before.
    let cohort = source.audiences.iter().find(|a| !a.confidential).unwrap();
    assert!(contains(&page_bytes, cohort.filter.as_deref().unwrap()));

    let trust = Trust::from_json(&read(&dir, "trust.json")).unwrap();
    let page = engine(&trust, &page_bytes);
    let full = engine(&trust, &full_bytes);
    assert_eq!(page.bundle().edition, Edition::Page);
    assert_eq!(
        (page.version(), page.partner(), page.expires_at()),
        (full.version(), full.partner(), full.expires_at())
    );
    assert_eq!(page.signers(), full.signers(), "signed by the same keys");

    // The offers naming the list are edge-only in the page bundle, for everyone.
    let gated: BTreeSet<String> = source
        .offers
        .iter()
        .filter(|o| o.audiences.exclude.iter().any(|a| a == CONFIDENTIAL))
        .map(|o| o.id.clone())
        .collect();
    assert!(!gated.is_empty());
    let info = page.info(false);
    assert_eq!(info.confidential_audiences, [CONFIDENTIAL]);
    let edge_only: BTreeSet<String> = info.edge_only.iter().map(|e| e.offer_id.clone()).collect();
    assert_eq!(edge_only, gated);
    assert!(info.edge_only.iter().all(|e| e.audience == CONFIDENTIAL));
    assert!(full.info(false).edge_only.is_empty());

    // A page engine cannot tell a listed shopper from an unlisted one.
    let (listed, unlisted) = (eligible(&page, LISTED), eligible(&page, UNLISTED));
    assert_eq!(listed, unlisted);
    assert!(listed.is_disjoint(&gated));
    let options = DecideOptions {
        explain: true,
        ..DecideOptions::default()
    };
    let reasons = |email: &str| -> Vec<(String, Reason)> {
        let d = page
            .decide(
                &shopper(email),
                &History::new("acme"),
                now(),
                &[1; 16],
                &options,
            )
            .unwrap();
        d.explanations
            .into_iter()
            .filter(|x| gated.contains(&x.offer_id) && x.reason != Reason::NotInPlacement)
            .map(|x| {
                assert_eq!(
                    x.message,
                    format!("audience {CONFIDENTIAL} is confidential: decided at the edge only")
                );
                (x.offer_id, x.reason)
            })
            .collect()
    };
    let for_listed = reasons(LISTED);
    assert!(!for_listed.is_empty());
    assert_eq!(for_listed, reasons(UNLISTED));
    assert!(for_listed.iter().all(|(_, r)| *r
        == Reason::EdgeOnly {
            audience: CONFIDENTIAL.into()
        }));

    // The full bundle applies the list exactly as before.
    let (listed, unlisted) = (eligible(&full, LISTED), eligible(&full, UNLISTED));
    let suppressed: BTreeSet<_> = unlisted.difference(&listed).cloned().collect();
    assert!(
        !suppressed.is_empty() && suppressed.is_subset(&gated),
        "{suppressed:?}"
    );
    let d = full
        .decide(
            &shopper(LISTED),
            &History::new("acme"),
            now(),
            &[1; 16],
            &options,
        )
        .unwrap();
    let first = suppressed.iter().next().unwrap();
    let x = d
        .explanations
        .iter()
        .find(|x| &x.offer_id == first && x.reason != Reason::NotInPlacement)
        .unwrap();
    assert_eq!(
        x.reason,
        Reason::InSuppressionAudience {
            audience: CONFIDENTIAL.into()
        }
    );

    // verify and inspect say which edition they read.
    let line = ok(
        &dir,
        &["verify", "--trust", "trust.json", "signed.page.json"],
    );
    assert!(
        line.contains(&format!(
            "; page bundle withholding {CONFIDENTIAL}: {} offer(s) edge-only",
            gated.len()
        )),
        "{line}"
    );
    let text = ok(&dir, &["inspect", "signed.page.json"]);
    assert!(
        text.contains(&format!(
            "edition:        page (confidential audiences withheld: {CONFIDENTIAL})"
        )),
        "{text}"
    );
    // The v1 (DSSE) file got its page edition too.
    let v1 = engine(&trust, &read(&dir, "signed-v1.page.json"));
    assert_eq!(v1.bundle().edition, Edition::Page);
}

#[test]
fn sign_writes_one_file_without_confidential_audiences_and_honours_page_out() {
    let dir = round_trip("confidential-plain", "12");
    let mut bundle: serde_json::Value = serde_json::from_slice(&read(&dir, "bundle.json")).unwrap();
    for a in bundle["audiences"].as_array_mut().unwrap() {
        a.as_object_mut().unwrap().remove("confidential");
    }
    std::fs::write(dir.join("plain.json"), bundle.to_string()).unwrap();
    let key = "keys/acme-2026.key";
    ok(&dir, &sign_args(key, "plain.json", "plain.signed.json"));
    assert!(!dir.join("plain.signed.page.json").exists());

    let sign = sign_args(key, "bundle.json", "edge.json");
    ok(&dir, &with(sign, &["--page-out", "acme-page.json"]));
    assert!(dir.join("acme-page.json").exists() && !dir.join("edge.page.json").exists());
    // To stdout, the page bundle needs a place to go.
    fails(&dir, &["sign", "--key", key, "bundle.json"], "IO");
}

/// The demo bundle's JSON, its first audience (the suppression list) made
/// confidential, then `edit`ed.
fn edited(edit: impl FnOnce(&mut Value)) -> Vec<u8> {
    let mut doc = serde_json::to_value(common::bundle("acme", 1)).unwrap();
    doc["audiences"][0]["confidential"] = true.into();
    edit(&mut doc);
    serde_json::to_vec(&doc).unwrap()
}

fn list(doc: &mut Value) -> &mut serde_json::Map<String, Value> {
    doc["audiences"][0].as_object_mut().unwrap()
}

fn drop_both(doc: &mut Value) {
    list(doc).remove("filter");
    list(doc).remove("salt");
}

fn as_page(doc: &mut Value) {
    doc["edition"] = "page".into();
}

fn refused(json: &[u8]) -> ErrorCode {
    let bundle: Bundle = match serde_json::from_slice(json) {
        Ok(b) => b,
        Err(_) => return ErrorCode::PayloadMalformed,
    };
    validate(&bundle).unwrap_err().code()
}

#[test]
fn only_a_page_bundle_withholds_and_only_a_confidential_audience() {
    // A full bundle that lost a confidential list's filter (or salt) is refused.
    assert_eq!(refused(&edited(drop_both)), ErrorCode::SchemaInvalid);
    assert_eq!(
        refused(&edited(|d| drop(list(d).remove("filter")))),
        ErrorCode::SchemaInvalid
    );
    // … also when compiled without validation: it never decides without its list.
    let bundle: Bundle = serde_json::from_slice(&edited(drop_both)).unwrap();
    assert_eq!(
        Engine::compile(bundle, &[0; 32]).unwrap_err().code(),
        ErrorCode::AudienceInvalid
    );
    // A page bundle: a confidential audience goes without both, never with one.
    let page: Bundle = serde_json::from_slice(&edited(|d| {
        as_page(d);
        drop_both(d);
    }))
    .unwrap();
    validate(&page).unwrap();
    assert_eq!(refused(&edited(as_page)), ErrorCode::SchemaInvalid);
    assert_eq!(
        refused(&edited(|d| {
            as_page(d);
            list(d).remove("salt");
        })),
        ErrorCode::SchemaInvalid
    );
    // … and a non-confidential audience keeps its filter in a page bundle.
    assert_eq!(
        refused(&edited(|d| {
            as_page(d);
            drop_both(d);
            list(d).insert("confidential".into(), false.into());
        })),
        ErrorCode::SchemaInvalid
    );
    // Misspelt or mistyped fields are no way around it.
    assert_eq!(
        refused(&edited(|d| d["edition"] = "browser".into())),
        ErrorCode::PayloadMalformed
    );
    assert_eq!(
        refused(&edited(|d| drop(
            list(d).insert("confidental".into(), true.into())
        ))),
        ErrorCode::PayloadMalformed
    );
    assert_eq!(
        refused(&edited(|d| drop(
            list(d).insert("confidential".into(), "yes".into())
        ))),
        ErrorCode::PayloadMalformed
    );
}

#[test]
fn page_edition_drops_only_the_withheld_members_and_keeps_every_other_value() {
    let json = edited(|_| {});
    let bundle: Bundle = serde_json::from_slice(&json).unwrap();
    let page = page_edition(&json, &bundle).unwrap().unwrap();
    assert!(page.starts_with(br#"{"edition":"page","#));
    let mut expected: Bundle = serde_json::from_slice(&json).unwrap();
    expected.edition = Edition::Page;
    expected.audiences[0].filter = None;
    expected.audiences[0].salt = None;
    assert_eq!(serde_json::from_slice::<Bundle>(&page).unwrap(), expected);
    validate(&expected).unwrap();
    // Nothing to withhold, or already a page bundle: pages get the bundle itself.
    let plain = serde_json::to_vec(&common::bundle("acme", 1)).unwrap();
    assert_eq!(
        page_edition(&plain, &common::bundle("acme", 1)).unwrap(),
        None
    );
    assert_eq!(page_edition(&page, &expected).unwrap(), None);
}

#[test]
fn a_rule_naming_a_confidential_audience_makes_its_offer_edge_only() {
    let json = edited(|d| {
        d["offers"][0]["audiences"] = json!({"include": [], "exclude": []});
        d["offers"][0]["eligibility"] =
            json!({"and": [{"!": {"in_audience": [CONFIDENTIAL]}}, true]});
    });
    let bundle: Bundle = serde_json::from_slice(&json).unwrap();
    let first = bundle.offers[0].id.clone();
    let page = page_edition(&json, &bundle).unwrap().unwrap();
    let page = Engine::from_draft_json(&page).unwrap();
    let info = page.info(true);
    assert!(info
        .edge_only
        .iter()
        .any(|e| e.offer_id == first && e.audience == CONFIDENTIAL));
    let full = Engine::from_draft_json(&json).unwrap();
    assert!(full.info(true).edge_only.is_empty());
}

#[test]
fn a_host_pairs_a_page_bundle_only_with_the_full_bundle_it_was_signed_with() {
    let trust = common::trust(&["k1"], 1);
    let sign = |version: u64, page: bool| {
        let json = edited(|d| d["version"] = version.into());
        let bundle: Bundle = serde_json::from_slice(&json).unwrap();
        let bytes = if page {
            page_edition(&json, &bundle).unwrap().unwrap()
        } else {
            json
        };
        let manifest = offer_edge::bundle::Manifest::of(&bytes).unwrap();
        common::sign_manifest_of(&manifest, &bytes, &["k1"])
    };
    let full = verified(&trust, &sign(2, false)).bundle;
    let ok = verify_page_bundle(&trust, &sign(2, true), now(), &full).unwrap();
    assert_eq!(ok.bundle.edition, Edition::Page);
    let code = |bytes: &[u8]| {
        verify_page_bundle(&trust, bytes, now(), &full)
            .unwrap_err()
            .code()
    };
    assert_eq!(
        code(&sign(1, true)),
        ErrorCode::PageBundleMismatch,
        "an older page bundle"
    );
    assert_eq!(
        code(&sign(3, true)),
        ErrorCode::PageBundleMismatch,
        "a newer page bundle"
    );
    assert_eq!(
        code(&sign(2, false)),
        ErrorCode::PageBundleMismatch,
        "the full bundle itself"
    );
    let other = common::trust(&["k2"], 1);
    assert_eq!(
        verify_page_bundle(&other, &sign(2, true), now(), &full)
            .unwrap_err()
            .code(),
        ErrorCode::UnknownKey,
        "signed by keys the trust does not pin"
    );
}

//! Consent and licensed cohorts (issue 17, docs/PRIVACY.md), natively:
//! every consent state's `Decision.privacy` and effects (the shared cases
//! in tests/fixtures/decide/cases.json, which also run in WASM and from JS),
//! nothing personal used under an opt-out, licensed cohorts never applied
//! to a shopper in the EU or the UK (by the context's country or the
//! request's), licences checked at `validate`, and the CLI's flags.
//!
//! Test vectors: US Privacy strings per the IAB "U.S. Privacy String"
//! specification (`1YYN`: notice given, opted out of sale, LSPA not
//! covered); GPP strings from the `iab_gpp` crate's tests/data
//! (usnat_v1_opted_out.json, usca_with_gpc.json, usnat_v1_not_applicable.json).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
#[path = "common/decide_fixture.rs"]
mod decide_fixture;

use offer_edge::bundle::{validate, Bundle, Licence};
use offer_edge::consent::{CohortBlock, Consent};
use offer_edge::context::Context;
use offer_edge::decide::{DecideOptions, Decision, Engine, Reason, Verdict};
use offer_edge::history::History;
use offer_edge::rank::sigmoid;
use offer_edge::time::Timestamp;
use offer_edge::ErrorCode;
use serde_json::{json, Value};

const NOW: &str = "2026-11-29T12:00:00Z";

fn now() -> Timestamp {
    Timestamp::parse_rfc3339(NOW).unwrap()
}

/// The shared fixture bundle, with the travel offer (the licensed cohort's)
/// promoted to tier 0 where it wins when applied, and `licence` on the cohort.
fn engine(licence: Option<Licence>) -> Engine {
    let mut bundle = decide_fixture::bundle_for(&json!({
        "offersPatch": {"travelco-points": {"tier": 0}}
    }));
    bundle.audiences[1].licence = licence;
    Engine::compile(bundle, &[0; 32]).unwrap()
}

fn context(country: Option<&str>) -> Context {
    let mut ctx = json!({"firstname": "Ada", "email": "ada@example.com", "state": "CA",
        "amount": "64.50", "paymenttype": "visa", "device": "mobile", "age": 29});
    if let Some(c) = country {
        ctx["country"] = json!(c);
    }
    Context::from_value(&ctx).unwrap()
}

fn options(value: Value) -> DecideOptions {
    serde_json::from_value(value).unwrap()
}

fn decide(engine: &Engine, ctx: &Context, options: &DecideOptions) -> Decision {
    let history = History::new(engine.partner());
    engine
        .decide(ctx, &history, now(), &1u64.to_le_bytes(), options)
        .unwrap()
}

fn shown(d: &Decision) -> Vec<&str> {
    d.placements
        .iter()
        .flat_map(|p| p.offers.iter().map(|o| o.offer_id.as_str()))
        .collect()
}

/// The travel offer's reason in the confirmation placement.
fn travel_reason(d: &Decision) -> &Reason {
    &d.explanations
        .iter()
        .find(|e| e.offer_id == "travelco-points" && e.placement == "confirmation")
        .unwrap()
        .reason
}

#[test]
fn every_shared_consent_case_carries_its_privacy() {
    let mut checked = 0;
    for case in decide_fixture::cases() {
        let Some(want) = case["expect"].get("privacy") else {
            continue;
        };
        let name = case["description"].as_str().unwrap();
        let decision = decide_fixture::run_case(&case).unwrap();
        let got = serde_json::to_value(&decision).unwrap()["privacy"].clone();
        assert_eq!(&got, want, "{name}");
        checked += 1;
    }
    assert!(checked >= 15, "{checked}");
}

#[test]
fn every_decision_says_its_privacy_even_with_nothing_said() {
    let d = decide(
        &engine(None),
        &context(Some("US")),
        &DecideOptions::default(),
    );
    let json = serde_json::to_value(&d).unwrap();
    assert_eq!(
        json["privacy"],
        json!({"saleOptOut": false, "personalization": true, "measurement": true,
               "because": [], "removed": []})
    );
}

/// Every opt-out state: the lookalike model sees no feature (the learning
/// log records none, scores are the intercepts'), and no licensed cohort is
/// applied — the explanation says consent removed it.
#[test]
fn nothing_personal_is_used_under_an_opt_out() {
    let engine = engine(None);
    let ctx = context(Some("US"));
    let intercept = |offer: &str| {
        let model = &decide_fixture::bundle_for(&json!({})).model;
        model.global.intercept + model.offers.get(offer).map_or(0.0, |w| w.intercept)
    };
    for consent in [
        json!({"gpc": true}),
        json!({"usPrivacy": "1YYN"}),
        json!({"gpp": "DBABLA~BVVVVVVVVWA"}),
        json!({"gpp": "DBABBg~BVqqqqpY.YA"}),
        json!({"usPrivacy": "not a string"}),
        json!({"gpp": "DBABLA~BVV"}),
        json!({"personalization": false}),
    ] {
        let what = consent.to_string();
        let opts = options(json!({"consent": consent, "explain": true, "learningLog": true}));
        let d = decide(&engine, &ctx, &opts);
        assert!(!d.privacy.personalization, "{what}");
        assert_eq!(d.features.as_ref().map(|f| f.len()), Some(0), "{what}");
        for o in d.placements.iter().flat_map(|p| &p.offers) {
            let p = sigmoid(intercept(&o.offer_id));
            assert!(
                (o.predicted_engagement - p).abs() < 1e-12,
                "{what}: {}",
                o.offer_id
            );
        }
        assert!(!shown(&d).contains(&"travelco-points"), "{what}");
        assert_eq!(
            travel_reason(&d),
            &Reason::LicensedCohortRestricted {
                audience: "travel-lovers".into(),
                why: CohortBlock::Consent
            },
            "{what}"
        );
        let malformed = what.contains("not a string") || what.contains("BVV\"");
        assert_eq!(
            d.warnings
                .iter()
                .map(|w| w.code.as_str())
                .collect::<Vec<_>>(),
            if malformed {
                vec!["CONSENT_MALFORMED"]
            } else {
                vec![]
            },
            "{what}"
        );
        // Without the opt-out the same shopper gets the cohort's offer.
        let plain = decide(&engine, &ctx, &options(json!({"learningLog": true})));
        assert!(shown(&plain).contains(&"travelco-points"));
        assert!(!plain.features.unwrap().is_empty());
    }
}

#[test]
fn measurement_off_alone_keeps_personalization_and_says_to_store_nothing() {
    let engine = engine(None);
    let ctx = context(Some("US"));
    let d = decide(
        &engine,
        &ctx,
        &options(json!({"consent": {"measurement": false}})),
    );
    let plain = decide(&engine, &ctx, &DecideOptions::default());
    assert_eq!(
        d.placements, plain.placements,
        "same winners, scores and receipts"
    );
    assert!(d.privacy.personalization && !d.privacy.measurement && !d.privacy.sale_opt_out);
    let removed: Vec<&str> = d.privacy.removed.iter().map(|r| r.as_str()).collect();
    assert_eq!(removed, ["historyWrites", "eventDetail"]);
    // History is read whatever the consent: a decline still suppresses.
    let mut history = History::new(engine.partner());
    let decline = offer_edge::decide::Engagement {
        kind: offer_edge::events::EventType::Decline,
        offer_id: "travelco-points",
    };
    engine.record(&mut history, decline, now()).unwrap();
    for consent in [json!({"measurement": false}), json!({"gpc": true})] {
        let opts = options(json!({"consent": consent, "explain": true}));
        let d = engine.decide(&ctx, &history, now(), &[1], &opts).unwrap();
        let e = d
            .explanations
            .iter()
            .find(|e| e.offer_id == "travelco-points")
            .unwrap();
        assert_eq!(e.verdict, Verdict::Ineligible);
        if consent["measurement"] == json!(false) {
            assert!(
                matches!(e.reason, Reason::SuppressedAfterDecline { .. }),
                "{:?}",
                e.reason
            );
        }
    }
}

/// The EU-27 and the UK, by the context's country or by the request's:
/// the cohort is never looked up, on the fast path (`eligible_offers`, a
/// decision without explanations) and the explained one alike.
#[test]
fn licensed_cohorts_are_never_applied_to_eu_or_uk_shoppers() {
    let eu_uk =
        "AT BE BG HR CY CZ DK EE FI FR DE GR HU IE IT LV LT LU MT NL PL PT RO SK SI ES SE GB";
    let travel = 3; // index of travelco-points in the fixture bundle
    for licence in [
        None,
        Some(Licence {
            countries: Some(vec!["US".into(), "CA".into()]),
        }),
    ] {
        let engine = engine(licence.clone());
        let us = context(Some("US"));
        assert!(
            shown(&decide(&engine, &us, &DecideOptions::default())).contains(&"travelco-points")
        );
        assert!(engine
            .eligible_offers(&us, &History::new("x"), now())
            .unwrap()
            .contains(&travel));
        for cc in eu_uk.split(' ') {
            let by_context = context(Some(cc));
            let by_request = options(json!({"requestCountry": cc}));
            for (ctx, opts) in [(&by_context, DecideOptions::default()), (&us, by_request)] {
                let d = decide(&engine, ctx, &opts);
                assert!(!shown(&d).contains(&"travelco-points"), "{cc}");
                let explained = decide(
                    &engine,
                    ctx,
                    &DecideOptions {
                        explain: true,
                        ..opts
                    },
                );
                assert_eq!(
                    travel_reason(&explained),
                    &Reason::LicensedCohortRestricted {
                        audience: "travel-lovers".into(),
                        why: CohortBlock::Region
                    },
                    "{cc}"
                );
            }
            let history = History::new(engine.partner());
            let eligible = engine
                .eligible_offers(&by_context, &history, now())
                .unwrap();
            assert!(!eligible.contains(&travel), "{cc}");
        }
        // Unknown: no country, not a country, Cloudflare's XX and Tor's T1.
        for (country, request) in [
            (None, None),
            (Some("USA"), None),
            (Some("US"), Some("XX")),
            (Some("US"), Some("T1")),
        ] {
            let opts = options(json!({"explain": true, "requestCountry": request}));
            let d = decide(&engine, &context(country), &opts);
            assert_eq!(
                travel_reason(&d),
                &Reason::LicensedCohortRestricted {
                    audience: "travel-lovers".into(),
                    why: CohortBlock::UnknownRegion
                },
                "{country:?} {request:?}"
            );
        }
    }
}

/// `in_audience` of a licensed cohort in a rule: `false` where the cohort
/// may not be used, and the explanation names the cohort only when the rule
/// could have held through it. (Not in the shared fixture cases: the rule
/// codec's tests compile those rules against audiences of their own.)
#[test]
fn in_audience_of_a_restricted_cohort_is_false_and_explained_only_when_it_mattered() {
    let rule_reason = |rule: Value, country: &str| {
        let mut bundle = decide_fixture::bundle_for(&json!({}));
        let insure = bundle
            .offers
            .iter_mut()
            .find(|o| o.id == "insureco-quote")
            .unwrap();
        insure.eligibility = Some(serde_json::from_value(rule).unwrap());
        let engine = Engine::compile(bundle, &[0; 32]).unwrap();
        let d = decide(
            &engine,
            &context(Some(country)),
            &options(json!({"explain": true})),
        );
        let quick = decide(&engine, &context(Some(country)), &DecideOptions::default());
        assert_eq!(d.placements, quick.placements);
        let e = d
            .explanations
            .iter()
            .find(|e| e.offer_id == "insureco-quote")
            .unwrap();
        (e.reason.clone(), e.message.clone())
    };
    let member = json!({"in_audience": "travel-lovers"});
    let restricted = Reason::LicensedCohortRestricted {
        audience: "travel-lovers".into(),
        why: CohortBlock::Region,
    };
    assert_eq!(rule_reason(member.clone(), "FR").0, restricted);
    assert!(matches!(
        rule_reason(member.clone(), "US").0,
        Reason::Outranked { .. } | Reason::Shown { .. }
    ));
    // Also false for another reason: the rule's own part is the reason.
    let and_zz = json!({"and": [member.clone(), {"==": [{"var": "state"}, "ZZ"]}]});
    assert!(matches!(
        rule_reason(and_zz, "FR").0,
        Reason::RuleFalse { .. }
    ));
    // Its negation holds: not applied is not a member.
    let not_member = json!({"!": member});
    assert!(matches!(
        rule_reason(not_member.clone(), "FR").0,
        Reason::Outranked { .. } | Reason::Shown { .. }
    ));
    assert!(matches!(
        rule_reason(not_member, "US").0,
        Reason::RuleFalse { .. }
    ));
    let (_, message) = rule_reason(member, "GB");
    assert!(
        message.contains("licensed cohort travel-lovers not applied"),
        "{message}"
    );
}

#[test]
fn a_licence_limits_its_cohort_to_its_countries() {
    let engine = engine(Some(Licence {
        countries: Some(vec!["CA".into()]),
    }));
    let ca = decide(&engine, &context(Some("CA")), &DecideOptions::default());
    assert!(shown(&ca).contains(&"travelco-points"));
    let us = context(Some("US"));
    assert!(!shown(&decide(&engine, &us, &DecideOptions::default())).contains(&"travelco-points"));
    // Both countries must be covered: a CA shopper seen from the US is not.
    let from_us = options(json!({"requestCountry": "US"}));
    assert!(!shown(&decide(&engine, &context(Some("CA")), &from_us)).contains(&"travelco-points"));
}

#[test]
fn validate_refuses_a_licence_naming_the_eu_or_the_uk() {
    let base = decide_fixture::bundle_for(&json!({}));
    let with = |kind: usize, licence: Value| -> Bundle {
        let mut b = base.clone();
        b.audiences[kind].licence = Some(serde_json::from_value(licence).unwrap());
        b
    };
    assert!(validate(&with(1, json!({"countries": ["US", "CA"]}))).is_ok());
    assert!(validate(&with(1, json!({}))).is_ok());
    for (kind, licence, says) in [
        (1, json!({"countries": ["US", "FR"]}), "names FR"),
        (1, json!({"countries": ["GB"]}), "names GB"),
        (1, json!({"countries": ["UK"]}), "names UK"),
        (1, json!({"countries": []}), "names no country"),
        (1, json!({"countries": ["us"]}), "alpha-2"),
        (1, json!({"countries": ["USA"]}), "alpha-2"),
        (1, json!({"countries": ["US", "US"]}), "twice"),
        (0, json!({"countries": ["US"]}), "licensed cohorts only"),
    ] {
        let err = validate(&with(kind, licence.clone())).unwrap_err();
        assert_eq!(err.code(), ErrorCode::SchemaInvalid, "{licence}");
        assert!(err.message().contains(says), "{licence}: {}", err.message());
    }
    // Unknown licence members are refused when the bundle is read.
    let mut json = serde_json::to_value(&base).unwrap();
    json["audiences"][1]["licence"] = json!({"countries": ["US"], "regions": ["x"]});
    assert!(serde_json::from_value::<Bundle>(json).is_err());
}

#[test]
fn consent_options_refuse_unknown_members() {
    let err = serde_json::from_value::<DecideOptions>(json!({"consent": {"tcf": "x"}}));
    assert!(err.is_err());
    let o = options(
        json!({"consent": {"gpc": true, "usPrivacy": "1YYN", "gpp": "DBABTA~1YNN",
        "personalization": true, "measurement": true}, "requestCountry": "US"}),
    );
    assert_eq!(
        o.consent,
        Consent {
            gpc: true,
            us_privacy: Some("1YYN".into()),
            gpp: Some("DBABTA~1YNN".into()),
            personalization: Some(true),
            measurement: Some(true)
        }
    );
    assert_eq!(o.request_country.as_deref(), Some("US"));
}

#[test]
fn the_cli_passes_consent_and_prints_what_it_removed() {
    let dir = std::env::temp_dir().join(format!("offer-edge-consent-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("bundle.json"), decide_fixture::BUNDLE_JSON).unwrap();
    std::fs::write(
        dir.join("ctx.json"),
        r#"{"firstname":"Ada","email":"ada@example.com","state":"CA","country":"US","amount":"64.50"}"#,
    )
    .unwrap();
    let base = [
        "decide",
        "--draft",
        "--bundle",
        "bundle.json",
        "--context",
        "ctx.json",
        "--now",
        NOW,
        "--seed",
        "1",
    ];
    let run = |extra: &[&str]| {
        let args: Vec<&str> = base.iter().chain(extra).copied().collect();
        common::cli::ok(&dir, &args)
    };
    let out = run(&["--gpc", "--explain"]);
    assert!(
        out.contains("privacy: personalization off · measurement off"),
        "{out}"
    );
    assert!(
        out.contains("licensed cohort travel-lovers not applied"),
        "{out}"
    );
    let json: Value = serde_json::from_str(&run(&[
        "--json",
        "--consent",
        "measurement=false",
        "--request-country",
        "FR",
        "--us-privacy",
        "1YNN",
        "--gpp",
        "DBABLA~BAAAAAAAAQA",
    ]))
    .unwrap();
    assert_eq!(
        json["privacy"]["removed"],
        json!(["historyWrites", "eventDetail"])
    );
    assert_eq!(json["privacy"]["because"], json!(["consent"]));
    let out = common::cli::run(
        &dir,
        &[&base[..], &["--consent", "tracking=false"]].concat(),
    );
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown choice"));
    let _ = std::fs::remove_dir_all(&dir);
}

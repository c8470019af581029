//! Ranking shortcuts change nothing a host sees: a decision without
//! `explain` (which skips exact scores of offers that cannot reach the
//! shortlist) picks exactly what the exhaustive `explain` run picks, and
//! `eligible_offers` is the set `explain` calls eligible.

use super::*;
use crate::bundle::{Bundle, FulfilmentKey};
use crate::decide::{Reason, Verdict};
use crate::demo::demo_bundle;
use crate::events::EventType;
use crate::rank::{FeatureName, FeatureValues};
use std::collections::BTreeSet;

const ISSUED: Timestamp = Timestamp(1_795_910_400_000); // 2026-11-29T00:00:00Z
const NOW: Timestamp = Timestamp(1_795_953_600_000);

fn bundle(offers: usize) -> Bundle {
    let fk = FulfilmentKey {
        kid: "fk".into(),
        public_key: "X9R2M7XkP8p7rRv75CT+rLF12dTUow8Wbb0wY28LRGs=".into(),
    };
    demo_bundle("acme", offers, 3, ISSUED, fk)
}

fn contexts() -> Vec<Context> {
    contexts_in(r#""country":"US","#)
}

/// [`contexts`] with `country` (a JSON member and a comma, or nothing).
fn contexts_in(country: &str) -> Vec<Context> {
    let states = ["CA", "NY", "TX", "FL", "WA"];
    (0..10)
        .map(|i| {
            let json = format!(
                r#"{{"firstname":"Ada","state":"{}",{country}"amount":"{}.00","age":{},
                    "paymenttype":"{}","device":"mobile","customertype":"{}","loyaltytier":"gold"{}}}"#,
                states[i % states.len()],
                15 + (i * 37) % 300,
                19 + (i * 7) % 50,
                ["visa", "amex", "paypal"][i % 3],
                if i % 2 == 0 { "new" } else { "returning" },
                // Members of the demo audiences (Ada, Grace) and a stranger:
                // inclusion and suppression lists answer both ways.
                [
                    "",
                    r#","email":"ada@example.com""#,
                    r#","email":"grace@example.com""#,
                    r#","email":"nobody@example.com""#
                ][i % 4],
            );
            Context::from_json(json.as_bytes()).unwrap()
        })
        .collect()
}

/// What a host sees of the winners (explanations aside).
fn winners(d: &Decision) -> Vec<(String, String, u64, u64, u64)> {
    d.placements
        .iter()
        .flat_map(|p| {
            p.offers.iter().map(|o| {
                (
                    p.id.clone(),
                    o.offer_id.clone(),
                    o.score.to_bits(),
                    o.propensity.to_bits(),
                    o.predicted_engagement.to_bits(),
                )
            })
        })
        .collect()
}

fn same_winners_as_explain(bundle: Bundle) {
    let engine = Engine::compile(bundle, &[0; 32]).unwrap();
    let history = History::new(engine.partner());
    let quick = DecideOptions::default();
    let full = DecideOptions {
        explain: true,
        ..DecideOptions::default()
    };
    for (i, ctx) in contexts().iter().enumerate() {
        for seed in 0..4u64 {
            let entropy = (seed * 31 + i as u64).to_le_bytes();
            let a = engine.decide(ctx, &history, NOW, &entropy, &quick).unwrap();
            let b = engine.decide(ctx, &history, NOW, &entropy, &full).unwrap();
            assert!(!winners(&a).is_empty());
            assert_eq!(winners(&a), winners(&b), "context {i}, seed {seed}");
            assert_eq!(a.placements, b.placements, "context {i}, seed {seed}");
        }
    }
}

#[test]
fn skipping_hopeless_offers_never_changes_the_winners_with_exploration() {
    let b = bundle(400);
    assert!(b.model.exploration.enabled);
    same_winners_as_explain(b);
}

#[test]
fn skipping_hopeless_offers_never_changes_the_winners_greedy() {
    let mut b = bundle(400);
    b.model.exploration.enabled = false;
    same_winners_as_explain(b.clone());
    // Few advertisers: greedy must look past the shortlist for distinct ones.
    for (i, offer) in b.offers.iter_mut().enumerate() {
        offer.advertiser = format!("adv-{}", i % 3);
    }
    same_winners_as_explain(b);
}

/// Consent and licensed cohorts answer alike on the fast path (the index,
/// `eligible_fast`, the membership memo) and the explained one (`check`):
/// shoppers in and out of the EU and the UK, without a usable country, seen
/// from another request country, under each consent state.
/// The offers an explained decision does not call ineligible (an offer shown
/// in another placement was eligible): what `eligible_offers` must list.
fn explained_eligible(d: &Decision) -> BTreeSet<&str> {
    d.explanations
        .iter()
        .filter(|e| {
            e.verdict != Verdict::Ineligible
                || matches!(e.reason, Reason::ShownInOtherPlacement { .. })
        })
        .map(|e| e.offer_id.as_str())
        .collect()
}

/// The ids `eligible_offers` lists, in its order.
fn eligible_ids<'e>(engine: &'e Engine, ctx: &Context, history: &History) -> Vec<&'e str> {
    engine
        .eligible_offers(ctx, history, NOW)
        .unwrap()
        .into_iter()
        .map(|i| engine.bundle().offers[i as usize].id.as_str())
        .collect()
}

#[test]
fn consent_and_licensed_cohorts_agree_on_the_fast_and_explained_paths() {
    let engine = Engine::compile(bundle(300), &[0; 32]).unwrap();
    let history = History::new(engine.partner());
    let mut restricted = 0;
    for country in [
        r#""country":"US","#,
        r#""country":"FR","#,
        r#""country":"GB","#,
        r#""country":"XX","#,
        "",
    ] {
        for options in [
            r#"{}"#,
            r#"{"requestCountry":"DE"}"#,
            r#"{"requestCountry":"US"}"#,
            r#"{"consent":{"personalization":false}}"#,
            r#"{"consent":{"gpc":true}}"#,
            r#"{"consent":{"gpp":"DBABLA~BAAAAAAAAQA","measurement":false}}"#,
        ] {
            let quick: DecideOptions = serde_json::from_str(options).unwrap();
            let full = DecideOptions {
                explain: true,
                ..quick.clone()
            };
            for (i, ctx) in contexts_in(country).iter().enumerate() {
                let what = format!("{country} {options} context {i}");
                let entropy = (i as u64).to_le_bytes();
                let a = engine.decide(ctx, &history, NOW, &entropy, &quick).unwrap();
                let b = engine.decide(ctx, &history, NOW, &entropy, &full).unwrap();
                assert_eq!(a.placements, b.placements, "{what}");
                restricted += b
                    .explanations
                    .iter()
                    .filter(|e| matches!(e.reason, Reason::LicensedCohortRestricted { .. }))
                    .count();
                if options != "{}" {
                    continue;
                }
                let got: BTreeSet<&str> =
                    eligible_ids(&engine, ctx, &history).into_iter().collect();
                assert_eq!(got, explained_eligible(&b), "{what}");
            }
        }
    }
    assert!(restricted > 100, "{restricted}");
}

#[test]
fn eligible_offers_are_the_offers_explain_does_not_call_ineligible() {
    let engine = Engine::compile(bundle(300), &[0; 32]).unwrap();
    // A returning shopper too: impressions (caps), declines and accepts.
    let mut returning = History::new(engine.partner());
    let ids: Vec<String> = engine
        .bundle()
        .offers
        .iter()
        .take(40)
        .map(|o| o.id.clone())
        .collect();
    for (i, id) in ids.iter().enumerate() {
        let at = Timestamp(NOW.0 - (i as i64 + 1) * 3_600_000);
        for kind in [
            EventType::Impression,
            [EventType::Decline, EventType::Accept, EventType::Impression][i % 3],
        ] {
            let engagement = crate::decide::Engagement { kind, offer_id: id };
            engine.record(&mut returning, engagement, at).unwrap();
        }
    }
    let full = DecideOptions {
        explain: true,
        ..DecideOptions::default()
    };
    for (ctx, history) in contexts().into_iter().flat_map(|c| {
        [
            (c.clone(), History::new(engine.partner())),
            (c, returning.clone()),
        ]
    }) {
        let d = engine.decide(&ctx, &history, NOW, &[7; 16], &full).unwrap();
        let expected = explained_eligible(&d);
        let got = eligible_ids(&engine, &ctx, &history);
        assert!(!got.is_empty() && got.len() < engine.bundle().offers.len());
        assert!(got.windows(2).all(|w| {
            let pos = |id: &str| engine.bundle().offers.iter().position(|o| o.id == id);
            pos(w[0]) < pos(w[1])
        }));
        assert_eq!(got.iter().copied().collect::<BTreeSet<_>>(), expected);
    }
}

/// A decision as it would be without `learningLog`.
fn without_log(mut d: Decision) -> Decision {
    d.features = None;
    for p in &mut d.placements {
        p.eligible = None;
    }
    d
}

fn learning_log_is_complete_and_changes_nothing(bundle: Bundle) {
    let engine = Engine::compile(bundle, &[0; 32]).unwrap();
    let history = History::new(engine.partner());
    let quick = DecideOptions::default();
    let log = DecideOptions {
        learning_log: true,
        ..DecideOptions::default()
    };
    let explain = DecideOptions {
        explain: true,
        ..DecideOptions::default()
    };
    let index: std::collections::HashMap<&str, u32> = engine
        .bundle()
        .offers
        .iter()
        .enumerate()
        .map(|(i, o)| (o.id.as_str(), i as u32))
        .collect();
    let mut uncertain = 0;
    for (i, ctx) in contexts().iter().enumerate() {
        for seed in 0..4u64 {
            let entropy = (seed * 31 + i as u64).to_le_bytes();
            let a = engine.decide(ctx, &history, NOW, &entropy, &quick).unwrap();
            let b = engine.decide(ctx, &history, NOW, &entropy, &log).unwrap();
            let c = engine
                .decide(ctx, &history, NOW, &entropy, &explain)
                .unwrap();
            assert!(a.features.is_none() && a.placements.iter().all(|p| p.eligible.is_none()));
            let features = b.features.clone().unwrap();
            assert_eq!(without_log(b.clone()), a, "context {i}, seed {seed}");
            let mut values = FeatureValues::default();
            for (name, value) in &features {
                values.set(FeatureName::parse(name).unwrap(), Some(value));
            }
            for p in &b.placements {
                let eligible = p.eligible.as_ref().unwrap();
                // Every offer explain does not rule out (rules, caps, an
                // earlier placement), in bundle order.
                let expected: Vec<&str> = c
                    .explanations
                    .iter()
                    .filter(|e| e.placement == p.id && e.verdict != Verdict::Ineligible)
                    .map(|e| e.offer_id.as_str())
                    .collect();
                assert_eq!(eligible, &expected, "context {i}, seed {seed}, {}", p.id);
                // The offline policy gives every winner its logged propensity.
                let ids: Vec<u32> = eligible.iter().map(|id| index[id.as_str()]).collect();
                let shown = engine.shown_probabilities(&p.id, &values, &ids).unwrap();
                for o in &p.offers {
                    let k = eligible.iter().position(|id| *id == o.offer_id).unwrap();
                    assert_eq!(shown[k].to_bits(), o.propensity.to_bits(), "{}", o.offer_id);
                    uncertain += usize::from(o.propensity < 1.0);
                }
                let total: f64 = shown.iter().sum();
                assert!((total - p.offers.len() as f64).abs() < 0.02, "{total}");
            }
        }
    }
    assert_eq!(uncertain > 0, engine.model.explores());
}

#[test]
fn learning_log_lists_features_and_eligible_sets_and_keeps_the_winners() {
    let b = bundle(120);
    assert!(b.model.exploration.enabled);
    learning_log_is_complete_and_changes_nothing(b.clone());
    let mut greedy = b;
    greedy.model.exploration.enabled = false;
    learning_log_is_complete_and_changes_nothing(greedy);
}

#[test]
fn learning_log_features_are_the_model_inputs() {
    let engine = Engine::compile(bundle(20), &[0; 32]).unwrap();
    let history = History::new(engine.partner());
    let options = DecideOptions {
        learning_log: true,
        ..DecideOptions::default()
    };
    let features = |json: &str| {
        let ctx = Context::from_json(json.as_bytes()).unwrap();
        let d = engine
            .decide(&ctx, &history, NOW, &[1; 16], &options)
            .unwrap();
        let text = serde_json::to_value(&d).unwrap();
        assert_eq!(text["features"], serde_json::to_value(&d.features).unwrap());
        assert!(text["placements"][0]["eligible"].is_array());
        d.features.unwrap()
    };
    let all = features(
        r#"{"state":"ny","country":"us","amount":"120.00","age":30,"device":"mobile",
            "paymenttype":"visa","customertype":"new","loyaltytier":"gold"}"#,
    );
    // NOW is 12:00 UTC, 07:00 in the demo bundle's UTC-5: morning.
    let expected = [
        ("state", "NY"),
        ("country", "US"),
        ("ageBand", "25-34"),
        ("cartBand", "100-250"),
        ("payment", "visa"),
        ("loyalty", "gold"),
        ("customer", "new"),
        ("device", "mobile"),
        ("hourBand", "morning"),
    ];
    let expected: std::collections::BTreeMap<String, String> = expected
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    assert_eq!(all, expected);
    // Absent attributes are absent features.
    let few = features(r#"{"state":"CA","amount":"12"}"#);
    assert_eq!(
        few.keys().map(String::as_str).collect::<Vec<_>>(),
        ["cartBand", "hourBand", "state"]
    );
    assert_eq!(few["cartBand"], "0-25");
}

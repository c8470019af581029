//! Ranking shortcuts change nothing a host sees: a decision without
//! `explain` (which skips exact scores of offers that cannot reach the
//! shortlist) picks exactly what the exhaustive `explain` run picks, and
//! `eligible_offers` is the set `explain` calls eligible.

use super::*;
use crate::bundle::{Bundle, FulfilmentKey};
use crate::decide::Verdict;
use crate::demo::demo_bundle;
use crate::events::EventType;
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
    let states = ["CA", "NY", "TX", "FL", "WA"];
    (0..10)
        .map(|i| {
            let json = format!(
                r#"{{"firstname":"Ada","state":"{}","country":"US","amount":"{}.00","age":{},
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
        let expected: BTreeSet<&str> = d
            .explanations
            .iter()
            .filter(|e| {
                e.verdict != Verdict::Ineligible
                    || matches!(e.reason, Reason::ShownInOtherPlacement { .. })
            })
            .map(|e| e.offer_id.as_str())
            .collect();
        let got: Vec<&str> = engine
            .eligible_offers(&ctx, &history, NOW)
            .unwrap()
            .into_iter()
            .map(|i| engine.bundle().offers[i as usize].id.as_str())
            .collect();
        assert!(!got.is_empty() && got.len() < engine.bundle().offers.len());
        assert!(got.windows(2).all(|w| {
            let pos = |id: &str| engine.bundle().offers.iter().position(|o| o.id == id);
            pos(w[0]) < pos(w[1])
        }));
        assert_eq!(got.iter().copied().collect::<BTreeSet<_>>(), expected);
    }
}

//! Selection's guarantees: greedy order by tier and advertiser, logged
//! propensities equal to how often an offer really shows, and the exact
//! shown probabilities behind them.

use super::*;
use crate::bundle::{BetaPrior, Exploration, Model};

// The model and candidate builders are shared with the wasm32 run of the
// same checks (tests/wasm/rank.rs), which sees the crate from outside.
#[path = "../../tests/common/rank_model.rs"]
mod rank_model;
use rank_model::{cand, model};

#[test]
fn greedy_respects_tiers_and_one_offer_per_advertiser() {
    let m = model(false, &["a", "b", "c", "d"]);
    let mut cs = vec![
        cand(0, 1, 0, 9.0),
        cand(1, 0, 1, 1.0),
        cand(2, 0, 1, 2.0),
        cand(3, 0, 2, 0.5),
    ];
    let picks = select(&mut cs, 3, &m, &mut SplitMix64::new(1));
    let offers: Vec<u32> = picks.iter().map(|p| cs[p.candidate].offer).collect();
    // Tier 0 first (offer 2 beats its same-advertiser sibling 1), then tier 1.
    assert_eq!(offers, vec![2, 3, 0]);
    assert!(picks.iter().all(|p| p.propensity == 1.0));
}

#[test]
fn logged_propensity_matches_empirical_selection_frequency() {
    let ids = ["a", "b", "c", "d", "e"];
    let m = model(true, &ids);
    let cs = vec![
        cand(0, 0, 0, 1.0),
        cand(1, 0, 1, 0.9),
        cand(2, 0, 2, 0.8),
        cand(3, 0, 3, 0.5),
        cand(4, 0, 4, 0.3),
    ];
    let runs = 3_000;
    let mut shown = [0u32; 5];
    let mut logged = [0f64; 5];
    for seed in 0..runs {
        let mut cs = cs.clone();
        for p in select(
            &mut cs,
            2,
            &m,
            &mut SplitMix64::from_entropy(&u64::to_le_bytes(seed)),
        ) {
            shown[cs[p.candidate].offer as usize] += 1;
            logged[cs[p.candidate].offer as usize] += p.propensity;
        }
    }
    for i in 0..5 {
        if shown[i] == 0 {
            continue;
        }
        let empirical = f64::from(shown[i]) / runs as f64;
        let mean_logged = logged[i] / f64::from(shown[i]);
        // Stated tolerance: 0.04 absolute (sampling error of both estimates).
        assert!(
            (empirical - mean_logged).abs() < 0.04,
            "offer {i}: empirical {empirical:.3} vs logged {mean_logged:.3}"
        );
    }
    // Exploration really explores: the weaker offers get some share.
    assert!(shown[3] > 0 && shown[0] < runs as u32);
}

#[test]
fn shown_probabilities_are_the_logged_propensities() {
    let ids = ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k"];
    // Eleven candidates: three past the shortlist (one of them in a
    // worse tier, one hopeless), two pairs sharing an advertiser.
    const ADVERTISER: [u32; 11] = [0, 0, 1, 2, 2, 3, 4, 5, 6, 7, 8];
    let base: Vec<Candidate> = (0..11u32)
        .map(|i| {
            let expected = match i {
                9 => 1e-9,
                _ => 1.0 - f64::from(i) * 0.07,
            };
            cand(i, u8::from(i == 10), ADVERTISER[i as usize], expected)
        })
        .collect();
    for (explore, slots) in [(true, 1), (true, 2), (true, 3), (false, 2)] {
        let m = model(explore, &ids);
        let mut cs = base.clone();
        let p = shown_probabilities(&mut cs, slots, &m);
        let by_offer: Vec<(u32, f64)> = cs.iter().map(|c| c.offer).zip(p).collect();
        let of = |offer: u32| by_offer.iter().find(|(o, _)| *o == offer).map(|x| x.1);
        let mut seen = 0;
        for seed in 0..200u64 {
            let mut cs = base.clone();
            for pick in select(&mut cs, slots, &m, &mut SplitMix64::new(seed)) {
                let offer = cs[pick.candidate].offer;
                // The same computation: equal to the bit.
                assert_eq!(of(offer), Some(pick.propensity), "offer {offer}");
                seen += 1;
            }
        }
        assert!(seen > 0);
        let total: f64 = by_offer.iter().map(|x| x.1).sum();
        // Every slot is filled (enough advertisers), so the chances
        // add up to the slots, within the quadrature's accuracy.
        assert!(
            (total - slots as f64).abs() < 0.02,
            "{explore} {slots}: {total}"
        );
        // Outside the shortlist nothing shows.
        for offer in 8..11 {
            assert_eq!(of(offer), Some(0.0), "offer {offer}");
        }
    }
}

#[test]
fn offers_that_can_never_win_are_pruned_with_propensity_zero() {
    let m = model(true, &["a", "b", "c"]);
    // Offer 2 is so far behind that no draw of a Beta(2, 30) factor can
    // lift it past both others; offer 1 shares an advertiser with 0.
    let base = vec![cand(0, 0, 0, 1.0), cand(1, 0, 0, 0.9), cand(2, 0, 2, 1e-6)];
    let mut seen = [0u32; 3];
    for seed in 0..500u64 {
        let mut cs = base.clone();
        for p in select(&mut cs, 1, &m, &mut SplitMix64::new(seed)) {
            seen[cs[p.candidate].offer as usize] += 1;
            assert!(p.propensity > 0.0);
        }
    }
    assert_eq!(seen[2], 0, "never shown");
    assert!(
        seen[0] > 0 && seen[1] > 0,
        "both close offers explored: {seen:?}"
    );
}

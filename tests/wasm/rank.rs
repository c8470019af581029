//! Ranking on wasm32: the same greedy order, and logged propensities that
//! match how often an offer is really shown under exploration.

use offer_edge::bundle::{BetaPrior, Exploration, Model};
use offer_edge::rank::{select, Candidate, CompiledModel};
use offer_edge::rng::SplitMix64;

// The builders of the native unit tests (src/rank/select_tests.rs).
#[path = "../common/rank_model.rs"]
mod rank_model;
use rank_model::{cand, model};

tests! {
    fn greedy_order_respects_tiers_and_advertisers() {
        let m = model(false, &["a", "b", "c", "d"]);
        let mut cs = vec![cand(0, 1, 0, 9.0), cand(1, 0, 1, 1.0), cand(2, 0, 1, 2.0), cand(3, 0, 2, 0.5)];
        let picks = select(&mut cs, 3, &m, &mut SplitMix64::new(1));
        let offers: Vec<u32> = picks.iter().map(|p| cs[p.candidate].offer).collect();
        assert_eq!(offers, vec![2, 3, 0]);
        assert!(picks.iter().all(|p| p.propensity == 1.0));
    }

    fn logged_propensity_matches_selection_frequency() {
        let m = model(true, &["a", "b", "c", "d", "e"]);
        let cs = vec![cand(0, 0, 0, 1.0), cand(1, 0, 1, 0.9), cand(2, 0, 2, 0.8), cand(3, 0, 3, 0.5), cand(4, 0, 4, 0.3)];
        // Fewer runs than the native unit test: wasm in a browser is slower,
        // and 1,000 runs keep the sampling error well inside the tolerance.
        let runs = 1_000u32;
        let mut shown = [0u32; 5];
        let mut logged = [0f64; 5];
        for seed in 0..runs {
            let mut rng = SplitMix64::from_entropy(&u64::from(seed).to_le_bytes());
            let mut cs = cs.clone();
            for p in select(&mut cs, 2, &m, &mut rng) {
                let offer = cs[p.candidate].offer as usize;
                shown[offer] += 1;
                logged[offer] += p.propensity;
            }
        }
        for i in 0..5 {
            if shown[i] == 0 {
                continue;
            }
            let empirical = f64::from(shown[i]) / f64::from(runs);
            let mean_logged = logged[i] / f64::from(shown[i]);
            // Stated tolerance: 0.06 absolute (sampling error at 1,000 runs).
            assert!((empirical - mean_logged).abs() < 0.06, "offer {i}: empirical {empirical:.3} vs logged {mean_logged:.3}");
        }
        assert!(shown[3] > 0 && shown[0] < runs, "exploration explores: {shown:?}");
    }
}

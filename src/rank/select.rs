//! Choosing the winners of a placement: priority tiers first, then score =
//! P(engage) × value, times a Thompson-sampling exploration factor when the
//! bundle turns exploration on; at most one offer per advertiser.
//!
//! Propensity: the probability that an offer ends up among the shown ones.
//! With exploration it has no closed form (top-N with advertiser de-dup), so
//! it is estimated by re-running the same randomized choice on
//! [`PROPENSITY_DRAWS`] independent draws (the one acted upon included).
//! The policy is defined over a shortlist of the [`MAX_CONTENDERS`] best
//! candidates by expected score, which bounds the work per decision; offers
//! outside the shortlist have propensity 0 by definition.

use super::model::CompiledModel;
use crate::rng::SplitMix64;
use std::cmp::Ordering;

/// Draws used to estimate propensities (the acted-upon draw is one of them).
pub const PROPENSITY_DRAWS: usize = 128;
/// Candidates that take part in exploration.
pub const MAX_CONTENDERS: usize = 16;

/// One eligible offer competing for a placement.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Candidate {
    /// Offer index in the bundle.
    pub offer: u32,
    /// Priority tier (lower wins).
    pub tier: u8,
    /// Interned advertiser id (one offer per advertiser is shown).
    pub advertiser: u32,
    /// P(engage) × value.
    pub expected: f64,
}

/// A winner.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Pick {
    /// Index into the (sorted) candidate slice.
    pub candidate: usize,
    /// The score it won with (expected × exploration factor).
    pub score: f64,
    /// Estimated probability that this offer is shown for this checkout.
    pub propensity: f64,
}

fn by_rank(a: (u8, f64, u32), b: (u8, f64, u32)) -> Ordering {
    a.0.cmp(&b.0).then(b.1.total_cmp(&a.1)).then(a.2.cmp(&b.2))
}

/// Sorts `candidates` best first (tier, expected score, bundle order).
pub fn sort_candidates(candidates: &mut [Candidate]) {
    candidates.sort_unstable_by(|a, b| {
        by_rank((a.tier, a.expected, a.offer), (b.tier, b.expected, b.offer))
    });
}

/// Greedy top-`slots` with distinct advertisers over `scores`; writes the
/// chosen indices (best first) into `out`.
fn choose(candidates: &[Candidate], scores: &[f64], slots: usize, out: &mut Vec<usize>) {
    out.clear();
    while out.len() < slots {
        let mut best: Option<usize> = None;
        for (i, c) in candidates.iter().enumerate() {
            if out.contains(&i)
                || out
                    .iter()
                    .any(|&j| candidates[j].advertiser == c.advertiser)
            {
                continue;
            }
            let better = match best {
                None => true,
                Some(b) => {
                    let cb = &candidates[b];
                    by_rank((c.tier, scores[i], c.offer), (cb.tier, scores[b], cb.offer))
                        == Ordering::Less
                }
            };
            if better {
                best = Some(i);
            }
        }
        match best {
            Some(i) => out.push(i),
            None => break,
        }
    }
}

fn sample_scores(
    candidates: &[Candidate],
    model: &CompiledModel,
    rng: &mut SplitMix64,
    scores: &mut Vec<f64>,
) {
    scores.clear();
    scores.extend(
        candidates
            .iter()
            .map(|c| c.expected * model.exploration_factor(c.offer as usize, rng.next_f64())),
    );
}

/// Picks up to `slots` winners from `candidates`, which must be sorted with
/// [`sort_candidates`]. Deterministic for a given `rng` state.
pub fn select(
    candidates: &[Candidate],
    slots: usize,
    model: &CompiledModel,
    rng: &mut SplitMix64,
) -> Vec<Pick> {
    let mut chosen = Vec::with_capacity(slots);
    if !model.explores() {
        let scores: Vec<f64> = candidates.iter().map(|c| c.expected).collect();
        choose(candidates, &scores, slots, &mut chosen);
        return chosen
            .into_iter()
            .map(|i| Pick {
                candidate: i,
                score: scores[i],
                propensity: 1.0,
            })
            .collect();
    }
    let contenders = &candidates[..candidates.len().min(MAX_CONTENDERS)];
    let mut scores = Vec::with_capacity(contenders.len());
    let mut replay = rng.fork(0x7072_6f70); // "prop": estimation draws never touch the acted-upon stream
    sample_scores(contenders, model, rng, &mut scores);
    choose(contenders, &scores, slots, &mut chosen);
    let acted: Vec<(usize, f64)> = chosen.iter().map(|&i| (i, scores[i])).collect();

    let mut shown = vec![0u32; contenders.len()];
    for &(i, _) in &acted {
        shown[i] += 1;
    }
    for _ in 1..PROPENSITY_DRAWS {
        sample_scores(contenders, model, &mut replay, &mut scores);
        choose(contenders, &scores, slots, &mut chosen);
        for &i in &chosen {
            shown[i] += 1;
        }
    }
    acted
        .into_iter()
        .map(|(i, score)| Pick {
            candidate: i,
            score,
            propensity: f64::from(shown[i]) / PROPENSITY_DRAWS as f64,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bundle::{BetaPrior, Exploration, Model};

    fn model(explore: bool, offers: &[&str]) -> CompiledModel {
        let m = Model {
            exploration: Exploration {
                enabled: explore,
                default_prior: Some(BetaPrior {
                    alpha: 2.0,
                    beta: 30.0,
                }),
                ..Exploration::default()
            },
            ..Model::default()
        };
        CompiledModel::compile(&m, offers).unwrap()
    }

    fn cand(offer: u32, tier: u8, advertiser: u32, expected: f64) -> Candidate {
        Candidate {
            offer,
            tier,
            advertiser,
            expected,
        }
    }

    #[test]
    fn greedy_respects_tiers_and_one_offer_per_advertiser() {
        let m = model(false, &["a", "b", "c", "d"]);
        let mut cs = vec![
            cand(0, 1, 0, 9.0),
            cand(1, 0, 1, 1.0),
            cand(2, 0, 1, 2.0),
            cand(3, 0, 2, 0.5),
        ];
        sort_candidates(&mut cs);
        let picks = select(&cs, 3, &m, &mut SplitMix64::new(1));
        let offers: Vec<u32> = picks.iter().map(|p| cs[p.candidate].offer).collect();
        // Tier 0 first (offer 2 beats its same-advertiser sibling 1), then tier 1.
        assert_eq!(offers, vec![2, 3, 0]);
        assert!(picks.iter().all(|p| p.propensity == 1.0));
    }

    #[test]
    fn logged_propensity_matches_empirical_selection_frequency() {
        let ids = ["a", "b", "c", "d", "e"];
        let m = model(true, &ids);
        let mut cs = vec![
            cand(0, 0, 0, 1.0),
            cand(1, 0, 1, 0.9),
            cand(2, 0, 2, 0.8),
            cand(3, 0, 3, 0.5),
            cand(4, 0, 4, 0.3),
        ];
        sort_candidates(&mut cs);
        let runs = 3_000;
        let mut shown = [0u32; 5];
        let mut logged = [0f64; 5];
        for seed in 0..runs {
            for p in select(
                &cs,
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
}

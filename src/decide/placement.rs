//! Filling one placement: eligibility, scoring and selection of the offers
//! it lists.
//!
//! What a decision learns of an offer does not depend on the placement, so
//! it is kept per offer for the whole decision ([`OfferState`]): each offer
//! is checked at most once and scored at most once, however many
//! placements list it, and an offer shown in one placement is shown in no
//! other.
//!
//! Without `explain`, only offers that can reach the shortlist (the best
//! candidates `select` looks at) need their checks and an exact score (an
//! `exp`): the others are skipped on an upper bound. Greedy selection may
//! look past the shortlist when advertisers collide; the placement is then
//! ranked again without skipping.

use super::compile::{CompiledPlacement, Engine};
use super::decision::Reason;
use super::eligible::Env;
use super::index::{is_set, OfferKey};
use crate::context::Context;
use crate::rank::{
    expected_upper_bound, select, shortlist_len, sigmoid, Candidate, Pick, Shortlist,
};
use crate::rng::SplitMix64;

/// What one decision knows of an offer so far.
#[derive(Debug)]
pub(super) enum OfferState {
    /// Not looked at yet.
    Unchecked,
    /// Failed a check: why, when the decision explains (the fast path
    /// without `explain` does not work reasons out).
    Ineligible(Option<Reason>),
    /// Passed every check; its exact score was not needed yet.
    Eligible,
    /// Passed every check, with its expected score: P(engage) × value.
    Scored(f64),
    /// Won a slot in this placement (an index into the engine's
    /// placements); it is shown in no other.
    Shown { placement: usize },
}

/// Every offer [`OfferState::Unchecked`], in bundle order.
pub(super) fn unchecked(offers: usize) -> Vec<OfferState> {
    std::iter::repeat_with(|| OfferState::Unchecked)
        .take(offers)
        .collect()
}

/// What ranking reads of the checkout: the same for every placement.
pub(super) struct Checkout<'a> {
    /// The context, normalized.
    pub ctx: &'a Context,
    /// What rules and checks may ask about the shopper.
    pub env: &'a Env<'a>,
    /// The offers whose rule the predicate index rules out (empty when
    /// explaining: every rule is then evaluated for its reason).
    pub ruled_out: &'a [u64],
    /// The model's logit per offer, bundle order.
    pub logits: &'a [f64],
    /// Give every ineligible offer its reason, and skip no offer.
    pub explain: bool,
    /// List every eligible offer (docs/LEARNING.md), and skip no offer.
    pub learning_log: bool,
}

/// A placement's candidates and winners.
pub(super) struct Ranking {
    /// The eligible offers ranked, in the order `select` left them.
    pub candidates: Vec<Candidate>,
    /// The winners, best first (indices into `candidates`).
    pub picks: Vec<Pick>,
    /// With a learning log: the ids of every eligible offer, bundle order.
    #[cfg(feature = "explain")]
    pub eligible: Option<Vec<String>>,
}

impl Ranking {
    /// The winners' offer indices, best first.
    pub(super) fn winners(&self) -> impl Iterator<Item = u32> + '_ {
        self.picks
            .iter()
            .map(|p| self.candidates[p.candidate].offer)
    }
}

impl Engine {
    /// Ranks the offers `placement` lists for this checkout and picks its
    /// winners; `states` carries what earlier placements learned.
    pub(super) fn rank_placement(
        &self,
        placement: &CompiledPlacement,
        states: &mut [OfferState],
        checkout: &Checkout<'_>,
        rng: &mut SplitMix64,
    ) -> Ranking {
        // Explanations and a learning log see every eligible offer.
        let mut shortlist = (!checkout.explain && !checkout.learning_log)
            .then(|| Shortlist::new(shortlist_len(placement.max_offers, &self.model)));
        let (mut candidates, skipped) =
            self.candidates(placement, states, checkout, shortlist.as_mut());
        // The learning log's eligible set: every candidate (none was
        // skipped), in bundle order until `select` reorders them.
        #[cfg(feature = "explain")]
        let eligible = checkout.learning_log.then(|| {
            candidates
                .iter()
                .map(|c| self.bundle.offers[c.offer as usize].id.clone())
                .collect()
        });
        let mut picks = select(&mut candidates, placement.max_offers, &self.model, rng);
        // Only greedy selection (no draws: `rng` untouched) looks past the
        // shortlist, and only when it came up short.
        if skipped && picks.len() < placement.max_offers && !self.model.explores() {
            (candidates, _) = self.candidates(placement, states, checkout, None);
            picks = select(&mut candidates, placement.max_offers, &self.model, rng);
        }
        Ranking {
            candidates,
            picks,
            #[cfg(feature = "explain")]
            eligible,
        }
    }

    /// The eligible offers of `placement` with their expected scores, and
    /// whether any was skipped because it cannot reach `shortlist` (when
    /// given: without it every eligible offer is a candidate).
    fn candidates(
        &self,
        placement: &CompiledPlacement,
        states: &mut [OfferState],
        checkout: &Checkout<'_>,
        mut shortlist: Option<&mut Shortlist>,
    ) -> (Vec<Candidate>, bool) {
        let keys = self.offer_keys();
        let mut candidates = Vec::new();
        let mut skipped = false;
        for &i in &placement.offers {
            let idx = i as usize;
            let (key, logit, state) = (&keys[idx], checkout.logits[idx], &mut states[idx]);
            if shortlist
                .as_deref()
                .is_some_and(|s| cannot_reach(s, state, key, logit, i))
            {
                skipped = true;
                continue;
            }
            if let OfferState::Unchecked = state {
                *state = self.eligibility(idx, key, checkout);
            }
            if let OfferState::Eligible = state {
                let expected = sigmoid(logit) * key.value;
                *state = OfferState::Scored(expected);
                if shortlist
                    .as_deref()
                    .is_some_and(|s| s.excludes(key.tier, expected, i))
                {
                    skipped = true;
                    continue;
                }
            }
            // Ineligible, or shown in an earlier placement.
            let OfferState::Scored(expected) = *state else {
                continue;
            };
            if let Some(shortlist) = shortlist.as_deref_mut() {
                shortlist.insert(key.tier, expected, i);
            }
            candidates.push(Candidate {
                offer: i,
                tier: key.tier,
                advertiser: self.offers[idx].advertiser,
                expected,
            });
        }
        (candidates, skipped)
    }

    /// Offer `i`'s eligibility checks, cheapest first: `Eligible` or
    /// `Ineligible` (with the reason when explaining).
    fn eligibility(&self, i: usize, key: &OfferKey, checkout: &Checkout<'_>) -> OfferState {
        let ruled_out = is_set(checkout.ruled_out, i as u32);
        let (ctx, env) = (checkout.ctx, checkout.env);
        if checkout.explain {
            return match self.check(i, ctx, env, ruled_out, true) {
                Ok(()) => OfferState::Eligible,
                Err(reason) => OfferState::Ineligible(Some(reason)),
            };
        }
        if self.eligible_fast(i, key, ctx, env, ruled_out) {
            OfferState::Eligible
        } else {
            OfferState::Ineligible(None)
        }
    }
}

/// Whether an offer in `state` certainly ranks below everything in a full
/// `shortlist`, so it needs neither its checks nor an exact score: bounded
/// by its exact score once known, else by its value (P(engage) ≤ 1) and
/// by exp-free bounds on the score. Never for an offer out of the running
/// (ineligible, shown elsewhere): skipping it skips nothing.
fn cannot_reach(
    shortlist: &Shortlist,
    state: &OfferState,
    key: &OfferKey,
    logit: f64,
    offer: u32,
) -> bool {
    let below = |bound: f64| shortlist.excludes(key.tier, bound, offer);
    match *state {
        OfferState::Scored(expected) => below(expected),
        OfferState::Unchecked | OfferState::Eligible => {
            shortlist.excludes_log(key.tier, logit, key.ln_value)
                || below(key.value)
                || below(expected_upper_bound(logit, key.value))
        }
        OfferState::Ineligible(_) | OfferState::Shown { .. } => false,
    }
}

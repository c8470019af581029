//! Choosing the winners of a placement: priority tiers first, then score =
//! P(engage) × value, times a Thompson-sampling exploration factor when the
//! bundle turns exploration on; at most one offer per advertiser.
//!
//! Propensity: the probability that an offer ends up among the shown ones.
//! With exploration it is computed by quadrature over the offer's own draw
//! (see `rank::propensity`): closed form per node, no re-run draws.
//!
//! The policy is defined over a shortlist of the [`MAX_CONTENDERS`] best
//! candidates by expected score, which bounds the work per decision; offers
//! outside it have propensity 0 by definition. Within the shortlist, offers
//! that can never win are pruned exactly before sampling: a factor table is
//! bounded, so an offer is out when enough distinct advertisers (or one offer
//! of its own advertiser) beat it under every draw.

use super::beta::FactorTable;
use super::model::CompiledModel;
use super::propensity::{Contender, Rivals};
use crate::rng::SplitMix64;
use std::cmp::Ordering;

/// Candidates that take part in exploration.
pub const MAX_CONTENDERS: usize = 8;

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
    /// Index into the candidate slice (as reordered by [`select`]).
    pub candidate: usize,
    /// The score it won with (expected × exploration factor).
    pub score: f64,
    /// Estimated probability that this offer is shown for this checkout.
    pub propensity: f64,
}

/// How many of the best candidates [`select`] can look at before it widens
/// its search (greedy selection widens only when advertisers collide).
pub fn shortlist_len(slots: usize, model: &CompiledModel) -> usize {
    if model.explores() {
        MAX_CONTENDERS
    } else {
        greedy_window(slots)
    }
}

fn greedy_window(slots: usize) -> usize {
    (slots * 4).max(8)
}

/// The best `len` ranking keys (tier, expected, offer) seen so far, to tell
/// whether a new candidate could still be among the best `len`: anything
/// that ranks below the worst of a full set never can.
#[derive(Debug)]
pub struct Shortlist {
    len: usize,
    /// Best first.
    keys: Vec<(u8, f64, u32)>,
    /// When full: the worst key's tier and `ln` of its expected score,
    /// lowered by a margin that covers rounding (see [`Self::excludes_log`]).
    log_floor: Option<(u8, f64)>,
}

/// Absolute margin on log-space comparisons: far above the rounding of a
/// logit sum and two `ln`s (~1e-13), far below any real score difference.
const LOG_MARGIN: f64 = 1e-9;

impl Shortlist {
    /// Tracks the best `len` keys.
    pub fn new(len: usize) -> Self {
        Self {
            len,
            keys: Vec::with_capacity(len.min(64) + 1),
            log_floor: None,
        }
    }

    /// Forgets every key and tracks the best `len` from now on (keeps the
    /// allocation).
    pub fn reset(&mut self, len: usize) {
        self.len = len;
        self.keys.clear();
        self.log_floor = None;
    }

    /// Whether a candidate whose expected score is at most `bound` ranks
    /// below `len` candidates already seen, so it cannot be shortlisted.
    #[inline]
    pub fn excludes(&self, tier: u8, bound: f64, offer: u32) -> bool {
        self.keys.len() >= self.len
            && self
                .keys
                .last()
                .is_some_and(|&worst| by_rank((tier, bound, offer), worst) == Ordering::Greater)
    }

    /// Whether a candidate with this `logit` and `ln(value)` cannot be
    /// shortlisted, by one addition: its expected score
    /// `sigmoid(logit) × value` is below `e^(logit + ln value)`, so when
    /// that is below the worst shortlisted score (same tier) it ranks below
    /// it. `false` means "not known", never "included".
    #[inline]
    pub fn excludes_log(&self, tier: u8, logit: f64, ln_value: f64) -> bool {
        self.log_floor
            .is_some_and(|(t, floor)| tier > t || (tier == t && logit + ln_value < floor))
    }

    /// Records a candidate's exact key.
    pub fn insert(&mut self, tier: u8, expected: f64, offer: u32) {
        let key = (tier, expected, offer);
        if self.excludes(tier, expected, offer) {
            return;
        }
        let at = self
            .keys
            .iter()
            .position(|&k| by_rank(key, k) == Ordering::Less)
            .unwrap_or(self.keys.len());
        self.keys.insert(at, key);
        self.keys.truncate(self.len);
        self.log_floor = match self.keys.last() {
            Some(&(t, worst, _)) if self.keys.len() >= self.len => {
                Some((t, worst.ln() - LOG_MARGIN))
            }
            _ => None,
        };
    }
}

fn by_rank(a: (u8, f64, u32), b: (u8, f64, u32)) -> Ordering {
    a.0.cmp(&b.0).then(b.1.total_cmp(&a.1)).then(a.2.cmp(&b.2))
}

fn cmp_candidates(a: &Candidate, b: &Candidate) -> Ordering {
    by_rank((a.tier, a.expected, a.offer), (b.tier, b.expected, b.offer))
}

/// Puts the best `n` candidates (tier, expected score, bundle order) first,
/// sorted; the rest stay behind in no particular order. Linear time plus
/// `n log n`, instead of sorting every eligible offer.
fn best_first(candidates: &mut [Candidate], n: usize) {
    if n < candidates.len() {
        candidates.select_nth_unstable_by(n, cmp_candidates);
    }
    let n = n.min(candidates.len());
    candidates[..n].sort_unstable_by(cmp_candidates);
}

/// What [`choose`] compares besides the score: tier, advertiser, offer.
type Key = (u8, u32, u32);

fn key(c: &Candidate) -> Key {
    (c.tier, c.advertiser, c.offer)
}

/// Greedy top-`slots` with distinct advertisers over `scores` (one per
/// entry of `keys`); writes positions into `keys`, best first, into `out`.
/// Runs once per propensity draw: the keys sit side by side so that the
/// scan touches one small slice.
fn choose(keys: &[Key], scores: &[f64], slots: usize, out: &mut Vec<usize>) {
    out.clear();
    while out.len() < slots {
        let mut best: Option<(usize, Key, f64)> = None;
        for (k, (&(tier, advertiser, offer), &score)) in keys.iter().zip(scores).enumerate() {
            if out
                .iter()
                .any(|&j| keys.get(j).is_some_and(|o| o.1 == advertiser))
            {
                continue;
            }
            let better = best.is_none_or(|(_, (bt, _, bo), bs)| {
                by_rank((tier, score, offer), (bt, bs, bo)) == Ordering::Less
            });
            if better {
                best = Some((k, (tier, advertiser, offer), score));
            }
        }
        match best {
            Some((k, _, _)) => out.push(k),
            None => break,
        }
    }
}

/// Whether `a` beats `b` under every possible draw.
fn always_beats(a: (u8, f64), b: (u8, f64)) -> bool {
    a.0 < b.0 || (a.0 == b.0 && a.1 > b.1)
}

/// The shortlist positions that can win at least one draw.
fn live_contenders(
    shortlist: &[Candidate],
    tables: &[Option<&FactorTable>],
    slots: usize,
) -> Vec<usize> {
    let bounds: Vec<(f64, f64)> = shortlist
        .iter()
        .zip(tables)
        .map(|(c, t)| {
            t.map_or((c.expected, c.expected), |t| {
                (c.expected * t.min(), c.expected * t.max())
            })
        })
        .collect();
    let mut blockers: Vec<u32> = Vec::with_capacity(slots);
    (0..shortlist.len())
        .filter(|&j| {
            let cj = &shortlist[j];
            blockers.clear();
            for (i, ci) in shortlist.iter().enumerate() {
                if i == j || !always_beats((ci.tier, bounds[i].0), (cj.tier, bounds[j].1)) {
                    continue;
                }
                if ci.advertiser == cj.advertiser {
                    return false;
                }
                if !blockers.contains(&ci.advertiser) {
                    blockers.push(ci.advertiser);
                    if blockers.len() >= slots {
                        return false;
                    }
                }
            }
            true
        })
        .collect()
}

/// Greedy top-`slots` with distinct advertisers by expected score, best
/// first (propensity 1). The winners are among the best few unless many
/// share an advertiser; then the search widens to the full order.
fn greedy(candidates: &mut [Candidate], slots: usize) -> Vec<Pick> {
    let mut chosen = Vec::with_capacity(slots);
    let mut n = greedy_window(slots);
    loop {
        best_first(candidates, n);
        let top = &candidates[..n.min(candidates.len())];
        let keys: Vec<Key> = top.iter().map(key).collect();
        let scores: Vec<f64> = top.iter().map(|c| c.expected).collect();
        choose(&keys, &scores, slots, &mut chosen);
        if chosen.len() == slots || n >= candidates.len() {
            return chosen
                .iter()
                .map(|&k| Pick {
                    candidate: k,
                    score: scores[k],
                    propensity: 1.0,
                })
                .collect();
        }
        n *= 4;
    }
}

/// The exploring policy over one candidate set: the shortlist (the first
/// `len` candidates once [`Contest::new`] has put the best first), which of
/// them can win, and how to compute each one's chance. [`select`] draws
/// from it and `shown_probabilities` reads it, so a logged propensity and
/// an offline estimate are the same number.
struct Contest<'m> {
    /// Shortlist length.
    len: usize,
    /// Exploration table per shortlisted candidate.
    tables: Vec<Option<&'m FactorTable>>,
    /// Shortlist positions that can win at least one draw.
    live: Vec<usize>,
    /// [`choose`]'s keys of the live positions.
    keys: Vec<Key>,
    /// Every live offer is always shown (as many slots as advertisers).
    certain: bool,
}

impl<'m> Contest<'m> {
    fn new(candidates: &mut [Candidate], slots: usize, model: &'m CompiledModel) -> Self {
        best_first(candidates, MAX_CONTENDERS);
        let len = candidates.len().min(MAX_CONTENDERS);
        let shortlist = &candidates[..len];
        let tables: Vec<Option<&FactorTable>> = shortlist
            .iter()
            .map(|c| model.exploration_table(c.offer as usize))
            .collect();
        let live = live_contenders(shortlist, &tables, slots);
        let keys: Vec<Key> = live.iter().map(|&i| key(&shortlist[i])).collect();
        // When every live offer is always shown, the propensity is exactly 1.
        let certain = live.len() <= slots && {
            let mut advertisers: Vec<u32> = keys.iter().map(|k| k.1).collect();
            advertisers.sort_unstable();
            advertisers.dedup();
            advertisers.len() == live.len()
        };
        Self {
            len,
            tables,
            live,
            keys,
            certain,
        }
    }

    /// The live contenders as the propensity estimator sees them.
    fn contenders(&self, shortlist: &[Candidate]) -> Vec<Contender<'m>> {
        self.live
            .iter()
            .map(|&i| {
                let c = &shortlist[i];
                Contender {
                    tier: c.tier,
                    advertiser: c.advertiser,
                    offer: c.offer,
                    expected: c.expected,
                    table: self.tables[i],
                }
            })
            .collect()
    }

    /// P(live contender `k` is shown).
    fn propensity(&self, rivals: &mut Rivals<'_>, k: usize, slots: usize) -> f64 {
        if self.certain {
            1.0
        } else {
            rivals.shown_probability(k, slots)
        }
    }
}

/// Picks up to `slots` winners from `candidates` (reordering it: read winners
/// through [`Pick::candidate`]). Deterministic for a given `rng` state.
pub fn select(
    candidates: &mut [Candidate],
    slots: usize,
    model: &CompiledModel,
    rng: &mut SplitMix64,
) -> Vec<Pick> {
    if !model.explores() {
        return greedy(candidates, slots);
    }
    let contest = Contest::new(candidates, slots, model);
    let shortlist = &candidates[..contest.len];
    let mut scores = Vec::with_capacity(contest.live.len());
    scores.extend(contest.live.iter().map(|&i| {
        let u = rng.next_f64();
        shortlist[i].expected * contest.tables[i].map_or(1.0, |t| t.sample(u))
    }));
    let mut chosen = Vec::with_capacity(slots);
    choose(&contest.keys, &scores, slots, &mut chosen);
    let contenders = contest.contenders(shortlist);
    let mut rivals = Rivals::new(&contenders);
    chosen
        .iter()
        .map(|&k| Pick {
            candidate: contest.live[k],
            score: scores[k],
            propensity: contest.propensity(&mut rivals, k, slots),
        })
        .collect()
}

/// For every candidate, the probability that [`select`] shows it: greedy,
/// 1 for the winners and 0 for the rest; exploring, 0 outside the
/// shortlist or for an offer that can never win, else exactly the
/// propensity [`select`] logs when it shows that offer. For off-policy
/// evaluation (`crate::learn`), and native only like it: a second caller
/// of the steps above changes how the WebAssembly builds inline them
/// (+240 B gzip of the page build, measured). Reorders `candidates` like
/// [`select`]; the result is aligned with the reordered slice.
#[cfg(not(target_arch = "wasm32"))]
pub fn shown_probabilities(
    candidates: &mut [Candidate],
    slots: usize,
    model: &CompiledModel,
) -> Vec<f64> {
    let mut shown = vec![0.0; candidates.len()];
    if !model.explores() {
        for pick in greedy(candidates, slots) {
            shown[pick.candidate] = 1.0;
        }
        return shown;
    }
    let contest = Contest::new(candidates, slots, model);
    let contenders = contest.contenders(&candidates[..contest.len]);
    let mut rivals = Rivals::new(&contenders);
    for (k, &i) in contest.live.iter().enumerate() {
        shown[i] = contest.propensity(&mut rivals, k, slots);
    }
    shown
}

#[cfg(test)]
#[path = "select_tests.rs"]
mod tests;

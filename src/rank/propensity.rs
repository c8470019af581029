//! Propensities by quadrature instead of re-running the randomized choice.
//!
//! With exploration, each live contender's score is `expected × factor`,
//! the factor drawn independently by inverse CDF from its offer's table.
//! The choice shows the best offer of each advertiser, up to `slots` of them,
//! so offer `k` is shown exactly when
//! - every other offer of its advertiser ranks below it, and
//! - fewer than `slots` other advertisers have an offer ranking above it.
//!
//! Given `k`'s own score `x`, those events are independent across
//! advertisers, so P(shown | x) is a product times a Poisson-binomial tail,
//! each term read off the rivals' piecewise-linear score curves in closed
//! form. Integrating over `k`'s draw by the midpoint rule gives the
//! propensity to within 0.004 (tested against a large Monte Carlo run),
//! where the 64 re-run draws this replaces had a standard error of up to
//! 0.06 per decision, at a fraction of the cost.

use super::beta::{FactorTable, QUANTILES};

/// Midpoint-rule nodes over the shown offer's own draw: one per table
/// segment, at its midpoint (the score is linear in the draw there).
/// Within 0.004 of a 200,000-run Monte Carlo in the tests.
pub const PROPENSITY_NODES: usize = QUANTILES - 1;

/// A live contender as the estimator sees it.
#[derive(Debug, Clone, Copy)]
pub(super) struct Contender<'a> {
    pub tier: u8,
    pub advertiser: u32,
    pub offer: u32,
    pub expected: f64,
    pub table: Option<&'a FactorTable>,
}

/// One contender's score as a function of its draw: `expected` times its
/// table's factor (constant without a table).
#[derive(Debug)]
struct Curve<'a> {
    expected: f64,
    inv_expected: f64,
    table: Option<&'a FactorTable>,
}

impl<'a> Curve<'a> {
    fn new(c: &Contender<'a>) -> Self {
        Self {
            expected: c.expected,
            inv_expected: if c.expected > 0.0 {
                1.0 / c.expected
            } else {
                0.0
            },
            table: c.table.filter(|_| c.expected > 0.0),
        }
    }

    fn low(&self) -> f64 {
        self.expected * self.table.map_or(1.0, FactorTable::min)
    }

    fn high(&self) -> f64 {
        self.expected * self.table.map_or(1.0, FactorTable::max)
    }

    /// The share of draws scoring below `x` (at most `x` when
    /// `inclusive`); `cursor` as in [`FactorTable::fraction_below`].
    #[inline]
    fn below(&self, x: f64, inclusive: bool, cursor: &mut usize) -> f64 {
        match self.table {
            Some(t) => t.fraction_below(x * self.inv_expected, inclusive, cursor),
            None if self.expected < x || (inclusive && self.expected == x) => 1.0,
            None => 0.0,
        }
    }
}

/// A same-tier rival: its rank against the shown offer depends on draws.
#[derive(Debug, Clone, Copy)]
struct Open {
    /// Index into the live contenders.
    rival: usize,
    /// Index into the per-advertiser products (the shown offer's own
    /// advertiser is the last entry).
    group: usize,
    /// Whether an equal score ranks the rival below (its index is higher).
    inclusive: bool,
    cursor: usize,
}

/// The live contenders of one choice, each one's score curve built once.
#[derive(Debug)]
pub(super) struct Rivals<'a> {
    live: &'a [Contender<'a>],
    curves: Vec<Curve<'a>>,
    open: Vec<Open>,
    /// Other advertisers with a same-tier rival and none in a better tier.
    advertisers: Vec<u32>,
    /// Advertisers with a rival in a better tier: above under every draw.
    certain_above: Vec<u32>,
    /// Per entry of `advertisers`, at the current node: P(none of its
    /// offers ranks above the shown one).
    none_above: Vec<f64>,
    /// Per entry of `advertisers` (then `k`'s own): the highest of its
    /// rivals' lowest possible scores.
    lows: Vec<f64>,
    /// P(exactly c of them rank above), c < free slots.
    counts: Vec<f64>,
}

impl<'a> Rivals<'a> {
    /// Builds the score curves of `live`.
    pub fn new(live: &'a [Contender<'a>]) -> Self {
        Self {
            live,
            curves: live.iter().map(Curve::new).collect(),
            open: Vec::with_capacity(live.len()),
            advertisers: Vec::with_capacity(live.len()),
            certain_above: Vec::with_capacity(live.len()),
            none_above: Vec::with_capacity(live.len()),
            lows: Vec::with_capacity(live.len()),
            counts: Vec::new(),
        }
    }

    /// The probability that `live[k]` is shown in a choice of `slots`
    /// (see the module docs).
    pub fn shown_probability(&mut self, k: usize, slots: usize) -> f64 {
        let (Some(me), Some(my_curve)) = (self.live.get(k), self.curves.get(k)) else {
            return 0.0;
        };
        // Rivals in another tier rank the same way under every draw: a
        // worse tier never counts, a better one takes its advertiser's slot
        // (or rules `k` out if it shares `k`'s advertiser).
        self.certain_above.clear();
        for c in self.live.iter().filter(|c| c.tier < me.tier) {
            if c.advertiser == me.advertiser {
                return 0.0;
            }
            if !self.certain_above.contains(&c.advertiser) {
                self.certain_above.push(c.advertiser);
            }
        }
        if self.certain_above.len() >= slots {
            return 0.0;
        }
        self.open.clear();
        self.advertisers.clear();
        let (my_low, my_high) = (my_curve.low(), my_curve.high());
        for (j, (c, curve)) in self.live.iter().zip(&self.curves).enumerate() {
            if j == k || c.tier != me.tier || self.certain_above.contains(&c.advertiser) {
                continue;
            }
            // Entirely below `k`'s curve: never ranks above it.
            if curve.high() < my_low {
                continue;
            }
            let own = c.advertiser == me.advertiser;
            // Entirely above: `k` is out, or that advertiser takes a slot.
            if curve.low() > my_high {
                if own {
                    return 0.0;
                }
                self.certain_above.push(c.advertiser);
                continue;
            }
            let group = if own {
                usize::MAX
            } else if let Some(g) = self.advertisers.iter().position(|&a| a == c.advertiser) {
                g
            } else {
                self.advertisers.push(c.advertiser);
                self.advertisers.len() - 1
            };
            self.open.push(Open {
                rival: j,
                group,
                inclusive: c.offer > me.offer,
                cursor: 0,
            });
        }
        // An advertiser found certainly above late drops its open rivals.
        let Some(free) = slots
            .checked_sub(self.certain_above.len())
            .filter(|&f| f > 0)
        else {
            return 0.0;
        };
        let (advertisers, certain) = (&self.advertisers, &self.certain_above);
        self.open.retain(|o| {
            advertisers
                .get(o.group)
                .is_none_or(|a| !certain.contains(a))
        });
        let own = self.advertisers.len();
        for o in &mut self.open {
            if o.group == usize::MAX {
                o.group = own;
            }
        }
        // Per advertiser; the last entry is `k`'s own (every other offer of
        // it must rank below). A certain advertiser's entry stays at 1.
        // Below `floor` a node scores 0 (an own-advertiser rival, or `free`
        // other advertisers, certainly above); above `ceiling`, 1 (every
        // rival certainly below). Only nodes between need the rivals.
        self.lows.clear();
        self.lows.resize(own + 1, f64::NEG_INFINITY);
        let mut ceiling = f64::NEG_INFINITY;
        for o in &self.open {
            if let (Some(curve), Some(low)) = (self.curves.get(o.rival), self.lows.get_mut(o.group))
            {
                *low = low.max(curve.low());
                ceiling = ceiling.max(curve.high());
            }
        }
        // `lows` was resized to `own + 1` entries above: never empty.
        let own_floor = self.lows.pop();
        debug_assert!(own_floor.is_some());
        let own_floor = own_floor.unwrap_or(f64::NEG_INFINITY);
        // The `free`-th highest: a few entries, so repeated maxima instead
        // of a slice sort (a sort instantiation costs KBs of WebAssembly).
        let mut others_floor = f64::NEG_INFINITY;
        for _ in 0..free {
            let Some(top) = self.lows.iter_mut().max_by(|a, b| a.total_cmp(b)) else {
                break;
            };
            others_floor = *top;
            *top = f64::NEG_INFINITY;
        }
        let floor = own_floor.max(others_floor);
        self.none_above.clear();
        self.none_above.resize(own + 1, 1.0);
        let mut total = 0.0;
        // Without a table `k`'s score is fixed: every node is the same.
        let nodes = my_curve
            .table
            .into_iter()
            .flat_map(FactorTable::midpoints)
            .chain(std::iter::repeat(1.0))
            .take(PROPENSITY_NODES);
        // Nodes rise (factors never fall), so every cursor only moves forward.
        for factor in nodes {
            let x = me.expected * factor;
            if x < floor {
                continue;
            }
            if x > ceiling {
                total += 1.0;
                continue;
            }
            self.none_above.fill(1.0);
            for open in &mut self.open {
                if let (Some(curve), Some(p)) = (
                    self.curves.get(open.rival),
                    self.none_above.get_mut(open.group),
                ) {
                    *p *= curve.below(x, open.inclusive, &mut open.cursor);
                }
            }
            if let Some((&same, others)) = self.none_above.split_last() {
                if same > 0.0 {
                    total += same * fewer_than(free, others, &mut self.counts);
                }
            }
        }
        (total / PROPENSITY_NODES as f64).clamp(0.0, 1.0)
    }
}

/// P(fewer than `slots` of independent events happen), event `i` failing
/// with probability `none_above[i]` (a Poisson-binomial tail).
fn fewer_than(slots: usize, none_above: &[f64], counts: &mut Vec<f64>) -> f64 {
    if slots == 1 {
        return none_above.iter().product();
    }
    counts.clear();
    counts.resize(slots, 0.0);
    if let Some(first) = counts.first_mut() {
        *first = 1.0;
    }
    for &none in none_above {
        // `carry` is the previous count's value before this event.
        let mut carry = 0.0;
        for n in counts.iter_mut() {
            let here = *n;
            *n = here * none + carry * (1.0 - none);
            carry = here;
        }
    }
    counts.iter().sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::SplitMix64;

    /// Shown frequencies over `runs` independent draws, by a plain
    /// reference: sort by (tier, score desc, offer), then the first offer of
    /// each advertiser until `slots` are taken.
    fn monte_carlo(live: &[Contender<'_>], slots: usize, runs: u32) -> Vec<f64> {
        let mut rng = SplitMix64::new(42);
        let mut shown = vec![0u32; live.len()];
        for _ in 0..runs {
            let mut drawn: Vec<(u8, f64, u32, u32, usize)> = live
                .iter()
                .enumerate()
                .map(|(j, c)| {
                    let f = c.table.map_or(1.0, |t| t.sample(rng.next_f64()));
                    (c.tier, c.expected * f, c.offer, c.advertiser, j)
                })
                .collect();
            drawn.sort_by(|a, b| a.0.cmp(&b.0).then(b.1.total_cmp(&a.1)).then(a.2.cmp(&b.2)));
            let mut taken: Vec<u32> = Vec::new();
            for &(_, _, _, advertiser, j) in &drawn {
                if taken.len() == slots {
                    break;
                }
                if !taken.contains(&advertiser) {
                    taken.push(advertiser);
                    shown[j] += 1;
                }
            }
        }
        shown
            .iter()
            .map(|&n| f64::from(n) / f64::from(runs))
            .collect()
    }

    #[test]
    fn quadrature_matches_a_large_monte_carlo_run() {
        let vague = FactorTable::new(2.0, 30.0);
        let firm = FactorTable::new(40.0, 400.0);
        let uniform = FactorTable::new(1.0, 1.0);
        let c = |offer: u32, tier: u8, advertiser: u32, expected: f64, table| Contender {
            tier,
            advertiser,
            offer,
            expected,
            table: Some(table),
        };
        // Shared advertisers, a second tier, close and distant scores, and
        // both tie-break directions among equal expectations.
        let live = [
            c(0, 0, 0, 1.0, &vague),
            c(1, 0, 1, 0.9, &firm),
            c(2, 0, 0, 0.8, &vague),
            c(3, 0, 2, 0.5, &uniform),
            c(4, 1, 3, 5.0, &vague),
            c(5, 0, 4, 0.9, &firm),
            c(6, 0, 5, 0.3, &vague),
            c(7, 1, 2, 0.2, &firm),
        ];
        let mut rivals = Rivals::new(&live);
        for slots in 1..=3 {
            let reference = monte_carlo(&live, slots, 200_000);
            let mut sum = 0.0;
            for (k, &expected) in reference.iter().enumerate() {
                let p = rivals.shown_probability(k, slots);
                sum += p;
                // 200,000 runs: standard error ≤ 0.0012.
                assert!(
                    (p - expected).abs() < 0.004,
                    "slots {slots}, offer {k}: quadrature {p:.4} vs Monte Carlo {expected:.4}"
                );
            }
            // Exactly `slots` offers are shown each time (6 advertisers).
            assert!(
                (sum - slots as f64).abs() < 0.01,
                "slots {slots}: sum {sum}"
            );
        }
    }

    #[test]
    fn fixed_scores_give_certainties() {
        let fixed = |offer: u32, advertiser: u32, expected: f64| Contender {
            tier: 0,
            advertiser,
            offer,
            expected,
            table: None,
        };
        let live = [fixed(0, 0, 1.0), fixed(1, 1, 1.0), fixed(2, 0, 2.0)];
        let mut rivals = Rivals::new(&live);
        let p: Vec<f64> = (0..3).map(|k| rivals.shown_probability(k, 1)).collect();
        // Offer 2 beats everyone; a tie goes to the lower offer index.
        assert_eq!(p, vec![0.0, 0.0, 1.0]);
        let p: Vec<f64> = (0..3).map(|k| rivals.shown_probability(k, 2)).collect();
        assert_eq!(p, vec![0.0, 1.0, 1.0]);
    }
}

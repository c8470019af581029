//! The predicate index's numeric part: offers whose rule bounds a numeric
//! attribute (`amount >= 50`, `age < 21`) are ruled out by two binary
//! searches per attribute when the checkout's value lies outside the bound.
//!
//! Built from [`CompiledRule::required_ranges`], which only reports
//! intervals that hold whenever the rule is true (reading an absent
//! attribute as 0, as rules do): like the text part, a pure shortcut.

use super::set;
use crate::context::{Context, FieldValue};
use crate::rules::{order_key, CompiledRule, RangeEnd, NUMERIC_FIELDS};

/// One attribute's bounds as sort keys (see [`key`]), ascending. An
/// offer's two ends are kept apart: a value outside the interval violates
/// one of them, and an empty interval one of them for every value, so
/// ruling out by each end alone rules out exactly the offers whose
/// interval excludes the value.
#[derive(Debug, Default, PartialEq)]
struct Bounds {
    /// Lower ends, flag set when strict (`>`): the ends a value violates
    /// (above it, or equal to it and strict) are a suffix.
    lower: Vec<u128>,
    /// Upper ends, flag set when NOT strict (`<=`): the ends a value
    /// violates (below it, or equal to it and strict) are a prefix.
    upper: Vec<u128>,
}

/// Offers' required intervals, per numeric attribute.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct NumericIndex {
    /// Per attribute of [`NUMERIC_FIELDS`], in its order.
    bounds: [Bounds; NUMERIC_FIELDS.len()],
}

/// The sort key of a bound at `value` for `offer`: `value`'s order key,
/// then `flag`, then the offer. Integer keys rather than `(f64, bool, u32)`
/// triples: the `u128` sort is already in the wasm build, a float one would
/// be a second quicksort (see `ConstSet::from_items`). `+ 0.0` reads -0 as
/// 0 (they compare equal), so on non-NaN values the keys order as `<` does.
fn key(value: f64, flag: bool, offer: u32) -> u128 {
    u128::from(order_key(value + 0.0)) << 64 | u128::from(flag) << 32 | u128::from(offer)
}

/// How many of `keys` (ascending) are below `split`. One function for both
/// searches: one copy in the wasm build.
fn count_below(keys: &[u128], split: u128) -> usize {
    keys.partition_point(|&k| k < split)
}

impl NumericIndex {
    /// Indexes the rules of offers `0..n` (bundle order; `None`: no rule).
    pub(crate) fn build(rules: &[Option<&CompiledRule>]) -> Self {
        let mut index = Self::default();
        for (i, rule) in rules.iter().enumerate() {
            let (Some(rule), Ok(offer)) = (rule, u32::try_from(i)) else {
                continue;
            };
            for range in rule.required_ranges() {
                let at = NUMERIC_FIELDS.iter().position(|f| *f == range.field);
                let Some(bounds) = at.and_then(|at| index.bounds.get_mut(at)) else {
                    continue;
                };
                // An infinite end is no bound (every number satisfies it).
                let RangeEnd { value, strict } = range.lower;
                if value.is_finite() {
                    bounds.lower.push(key(value, strict, offer));
                }
                let RangeEnd { value, strict } = range.upper;
                if value.is_finite() {
                    bounds.upper.push(key(value, !strict, offer));
                }
            }
        }
        for bounds in &mut index.bounds {
            bounds.lower.sort_unstable();
            bounds.upper.sort_unstable();
        }
        index
    }

    /// Sets in `out` the bit of every offer whose interval on some numeric
    /// attribute excludes that attribute's value in `ctx`.
    pub(crate) fn rule_out(&self, ctx: &Context, out: &mut [u64]) {
        for (field, bounds) in NUMERIC_FIELDS.iter().zip(&self.bounds) {
            // The value as a rule reads it (see `eval`'s `NumCmp`).
            let x = match ctx.get(*field) {
                Some(FieldValue::Number(n)) => n,
                _ => 0.0,
            };
            // Never for a context read from JSON; the intervals assume a
            // number (a negated comparison with NaN holds).
            if x.is_nan() {
                continue;
            }
            // The keys below this are the lower ends `x` satisfies and the
            // upper ends it violates. A key's low 32 bits are its offer.
            let split = key(x, true, 0);
            let satisfied = count_below(&bounds.lower, split);
            for &k in bounds.lower.iter().skip(satisfied) {
                set(out, k as u32);
            }
            let violated = count_below(&bounds.upper, split);
            for &k in bounds.upper.iter().take(violated) {
                set(out, k as u32);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::{is_set, PredicateIndex};
    use crate::context::Context;
    use crate::rng::SplitMix64;
    use crate::rules::{compile, CompileEnv, CompiledRule, FixedEnv};
    use crate::time::Timestamp;
    use serde_json::{json, Value};

    fn rule(json: &Value) -> CompiledRule {
        compile(json, &CompileEnv::checkout("o", &|_| None)).unwrap()
    }

    fn checkout(amount: Option<f64>, quantity: Option<u32>, age: Option<u8>) -> Context {
        Context {
            amount,
            quantity,
            age,
            ..Context::default()
        }
    }

    /// Which of offers `0..n` the index rules out for `ctx`.
    fn ruled_out(index: &PredicateIndex, ctx: &Context, n: usize) -> Vec<bool> {
        let (mut out, mut scratch) = (Vec::new(), Vec::new());
        index.ruled_out(ctx, &mut out, &mut scratch);
        (0..n as u32).map(|i| is_set(&out, i)).collect()
    }

    #[test]
    fn numeric_bounds_rule_out_exactly_the_offers_whose_interval_excludes_the_value() {
        let a = || json!({"var": "amount"});
        let rules = [
            Some(rule(&json!({">=": [a(), 50]}))),
            Some(rule(&json!({"<": [a(), 50]}))),
            // 10 < amount <= 50 (the literal first, then a negation).
            Some(rule(
                &json!({"and": [{"<": [10, a()]}, {"!": {">": [a(), 50]}}]}),
            )),
            // Empty: never matches, whatever the amount.
            Some(rule(
                &json!({"and": [{">=": [a(), 100]}, {"<": [a(), 50]}]}),
            )),
            None,
            // Bounds on two attributes: both must hold.
            Some(rule(&json!({"and": [
                {">=": [{"var": "age"}, 21]},
                {"<=": [{"var": "quantity"}, 3]},
            ]}))),
            // No bound the index can use: never ruled out.
            Some(rule(&json!({"or": [{">=": [a(), 50]}, {"<": [a(), 10]}]}))),
        ];
        let index = PredicateIndex::build(rules.iter().map(Option::as_ref));
        let out = |amount, quantity, age| ruled_out(&index, &checkout(amount, quantity, age), 7);
        let (t, f) = (true, false);
        // Absent reads as 0: `amount < 50` holds, `amount >= 50` does not.
        assert_eq!(out(None, None, None), [t, f, t, t, f, t, f]);
        assert_eq!(out(Some(0.0), None, Some(30)), [t, f, t, t, f, f, f]);
        assert_eq!(out(Some(10.0), Some(4), Some(30)), [t, f, t, t, f, t, f]);
        assert_eq!(out(Some(10.01), Some(3), Some(21)), [t, f, f, t, f, f, f]);
        assert_eq!(out(Some(50.0), Some(3), Some(20)), [f, t, f, t, f, t, f]);
        assert_eq!(out(Some(50.01), None, Some(99)), [f, t, t, t, f, f, f]);
        assert_eq!(out(Some(1e9), None, None), [f, t, t, t, f, t, f]);
    }

    /// Threshold pool: small, so literals often share a value.
    const THRESHOLDS: [f64; 5] = [0.0, 10.0, 10.5, 20.0, 25.0];

    fn pick<'a, T>(rng: &mut SplitMix64, items: &'a [T]) -> &'a T {
        &items[(rng.next_u64() % items.len() as u64) as usize]
    }

    /// A comparison of a numeric attribute with a number, possibly negated:
    /// a literal the index reads.
    fn literal(rng: &mut SplitMix64) -> Value {
        let field = json!({"var": pick(rng, &["amount", "quantity", "age"])});
        let op = *pick(rng, &["<", "<=", ">", ">="]);
        let k = json!(*pick(rng, &THRESHOLDS));
        let cmp = if rng.next_u64().is_multiple_of(2) {
            json!({ op: [field, k] })
        } else {
            json!({ op: [k, field] })
        };
        match rng.next_u64() % 4 {
            0 => json!({"!": cmp}),
            1 => json!({"!!": cmp}),
            2 => json!({"!": {"!": cmp}}),
            _ => cmp,
        }
    }

    /// A conjunct the index cannot read (it must then rule nothing out
    /// because of it).
    fn opaque(rng: &mut SplitMix64) -> Value {
        let a = json!({"var": "amount"});
        let k = *pick(rng, &THRESHOLDS);
        match rng.next_u64() % 5 {
            0 => json!({"or": [literal(rng), literal(rng)]}),
            1 => json!({"!": {"and": [literal(rng), literal(rng)]}}),
            2 => json!({"==": [a, k]}),
            3 => json!({"<": [{"var": ["quantity", 15]}, k]}),
            _ => json!({"<=": [0, a, k]}),
        }
    }

    /// A conjunction of 1–4 conjuncts from `item`, nested at random under
    /// `and` and `!!`.
    fn conjunction(rng: &mut SplitMix64, item: fn(&mut SplitMix64) -> Value) -> Value {
        let n = 1 + rng.next_u64() % 4;
        let mut items: Vec<Value> = (0..n).map(|_| item(rng)).collect();
        if items.len() > 1 && rng.next_u64().is_multiple_of(3) {
            let inner = items.split_off(items.len() / 2);
            let inner = json!({"and": inner});
            items.push(if rng.next_u64().is_multiple_of(2) {
                json!({"!!": inner})
            } else {
                inner
            });
        }
        match (items.len(), rng.next_u64() % 3) {
            (1, 0) => items.remove(0),
            (_, 1) => json!({"!!": {"and": items}}),
            _ => json!({"and": items}),
        }
    }

    fn mixed(rng: &mut SplitMix64) -> Value {
        if rng.next_u64().is_multiple_of(3) {
            opaque(rng)
        } else {
            literal(rng)
        }
    }

    #[test]
    fn offers_are_ruled_out_only_when_their_rule_cannot_match() {
        let mut rng = SplitMix64::new(0x006e_756d_6572_6963);
        // Even offers: literals only (ruled out exactly when not matching);
        // odd offers: with conjuncts the index cannot read (only soundness).
        let rules: Vec<(Value, bool)> = (0..400)
            .map(|i| {
                let only_literals = i % 2 == 0;
                let item = if only_literals { literal } else { mixed };
                (conjunction(&mut rng, item), only_literals)
            })
            .collect();
        let compiled: Vec<CompiledRule> = rules.iter().map(|(r, _)| rule(r)).collect();
        let index = PredicateIndex::build(compiled.iter().map(Some));
        let env = FixedEnv::at(Timestamp(0));
        // -1 stands for absent; then 0, each threshold, between and beyond.
        let amounts: [Option<f64>; 10] =
            [0.0, 5.0, 10.0, 10.25, 10.5, 15.0, 20.0, 25.0, 30.0, -1.0]
                .map(|x| (x >= 0.0).then_some(x));
        let counts = [
            None,
            Some(0),
            Some(5),
            Some(10),
            Some(11),
            Some(20),
            Some(25),
            Some(30),
        ];
        let (mut out_count, mut exact_count) = (0, 0);
        for &amount in &amounts {
            for &quantity in &counts {
                for &age in &counts {
                    let ctx = checkout(amount, quantity, age.map(|a| a as u8));
                    let out = ruled_out(&index, &ctx, rules.len());
                    for (i, ((json, only_literals), rule)) in
                        rules.iter().zip(&compiled).enumerate()
                    {
                        let matches = rule.matches(&ctx, &env);
                        let at = (amount, quantity, age);
                        assert!(!(out[i] && matches), "{json} ruled out at {at:?}");
                        if *only_literals {
                            assert_eq!(out[i], !matches, "{json} at {at:?}");
                            exact_count += usize::from(!matches);
                        }
                        out_count += usize::from(out[i]);
                    }
                }
            }
        }
        // The generator exercises the index: many offers ruled out.
        assert!(
            exact_count > 10_000 && out_count > exact_count,
            "{exact_count} {out_count}"
        );
    }
}

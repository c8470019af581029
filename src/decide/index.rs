//! The predicate index: offers whose rule cannot match this checkout's text
//! attributes (wrong state, country, payment type…) are ruled out with a few
//! word operations, and those whose rule bounds a numeric attribute the
//! checkout's value lies outside of (`amount >= 50` for a 20.00 cart) with
//! two binary searches per attribute ([`numeric`]), so their rules are never
//! evaluated.
//!
//! Built from [`CompiledRule::required_values`] and
//! [`CompiledRule::required_ranges`], which only report constraints that
//! hold whenever the rule is true; the index is therefore a pure shortcut:
//! it never rules out an offer whose rule would match.

mod numeric;

pub(super) use numeric::NumericIndex;

use crate::context::{Context, Field};
use crate::rules::{CompiledRule, ConstraintKind};
use std::collections::HashMap;
use std::sync::OnceLock;

/// Index of one attribute. (This and [`PredicateIndex`]'s fields are
/// `pub(super)` for the compiled form's codec, `super::wire`.)
#[derive(Debug, Default)]
pub(super) struct FieldIndex {
    /// Bitset of offers that require the attribute to be in some set.
    pub(super) constrained: Vec<u64>,
    /// Value → offers whose required set contains it.
    pub(super) accepts: HashMap<String, Vec<u32>>,
    /// Value → offers that require the attribute NOT to be it.
    pub(super) refuses: HashMap<String, Vec<u32>>,
}

/// One offer's merged constraints on one attribute: the set it must be in
/// (intersection of every `In`), and the values it must not be (union of
/// every `NotIn`). `Vec`s rather than `BTreeSet`s: the B-tree code (insert,
/// remove, set operations, per key type) cost the wasm build several KB, for
/// sets built once per bundle load. [`CompiledRule::required_values`] gives
/// each attribute at most once, sorted and deduplicated, so the merging
/// below is a safety net that normally never runs.
#[derive(Debug, Default)]
struct Merged {
    required: Option<Vec<String>>,
    refused: Vec<String>,
}

/// Offers ruled out by attribute, per attribute; and which offers share an
/// identical compiled rule.
#[derive(Debug, Default)]
pub(crate) struct PredicateIndex {
    pub(super) words: usize,
    pub(super) fields: Vec<(Field, FieldIndex)>,
    /// Numeric attributes' bounds (derived from the rules, never stored).
    pub(super) numeric: NumericIndex,
    /// Per offer: its rule's slot among the distinct rules ([`NO_RULE`]:
    /// none). Bundles repeat a few rule shapes across many offers
    /// (`country == "US"`, `amount >= 50`); a rule's outcome depends only on
    /// the checkout, so `decide` evaluates each distinct rule once.
    pub(super) rule_slot: Vec<u32>,
    pub(super) rule_slots: usize,
    /// Per offer: what ranking reads of every offer, side by side: the
    /// compiled offers are large, and touching each one per decision costs
    /// a cache miss per offer on big bundles.
    pub(super) offer_keys: OnceLock<Box<[OfferKey]>>,
    /// Bitset of the offers no checkout can see (edge-only or not
    /// approved), made from the keys on first use: `eligible_offers` skips
    /// them a word at a time.
    pub(super) blocked: OnceLock<Box<[u64]>>,
}

/// What `decide` reads of every offer, side by side.
#[derive(Debug, Clone, Copy)]
pub(crate) struct OfferKey {
    /// Priority tier.
    pub tier: u8,
    /// Value (≥ 0).
    pub value: f64,
    /// `ln(value)` (`-inf` for 0), for log-space bounds.
    pub ln_value: f64,
    /// Whether the creative is approved.
    pub approved: bool,
    /// Whether the offer names a withheld audience (page bundles only).
    pub edge_only: bool,
    /// Shown from this instant (ms; `i64::MIN`: no start).
    pub start_ms: i64,
    /// Not shown from this instant (ms; `i64::MAX`: no end).
    pub end_ms: i64,
    /// Whether the offer has an eligibility rule.
    pub has_rule: bool,
    /// Whether the offer names inclusion or suppression audiences.
    pub has_audiences: bool,
}

/// [`PredicateIndex::rule_slot`] of an offer without a rule.
pub(crate) const NO_RULE: u32 = u32::MAX;

/// Slot per offer (offers with identical rules share one) and slot count.
pub(super) fn dedupe(rules: &[Option<&CompiledRule>]) -> (Vec<u32>, usize) {
    let mut seen: HashMap<u64, Vec<(u32, &CompiledRule)>> = HashMap::new();
    let mut slots = 0u32;
    let slot_of = rules
        .iter()
        .map(|rule| {
            let Some(rule) = rule else { return NO_RULE };
            let Some(key) = rule.share_key() else {
                slots += 1;
                return slots - 1;
            };
            let same = seen.entry(key).or_default();
            if let Some(&(slot, _)) = same.iter().find(|(_, r)| *r == *rule) {
                return slot;
            }
            same.push((slots, rule));
            slots += 1;
            slots - 1
        })
        .collect();
    (slot_of, slots as usize)
}

/// Sets bit `i` (nothing past the end).
pub(crate) fn set(bits: &mut [u64], i: u32) {
    if let Some(w) = bits.get_mut((i / 64) as usize) {
        *w |= 1 << (i % 64);
    }
}

fn clear(bits: &mut [u64], i: u32) {
    if let Some(w) = bits.get_mut((i / 64) as usize) {
        *w &= !(1 << (i % 64));
    }
}

/// Whether bit `i` is set.
pub(crate) fn is_set(bits: &[u64], i: u32) -> bool {
    bits.get((i / 64) as usize)
        .is_some_and(|w| w & (1 << (i % 64)) != 0)
}

impl PredicateIndex {
    /// Indexes the rules of offers `0..n` (bundle order; `None`: no rule).
    pub fn build<'a>(rules: impl ExactSizeIterator<Item = Option<&'a CompiledRule>>) -> Self {
        let rules: Vec<Option<&CompiledRule>> = rules.collect();
        let words = rules.len().div_ceil(64);
        // Attributes in first-seen order: `ruled_out` ORs them, so order
        // does not matter, and a rule names few attributes (linear search).
        let mut fields: Vec<(Field, FieldIndex)> = Vec::new();
        for (i, rule) in rules.iter().enumerate() {
            let Some(rule) = rule else { continue };
            let offer = i as u32;
            // This offer's constraints, merged per attribute.
            let mut merged: Vec<(Field, Merged)> = Vec::new();
            for c in rule.required_values() {
                let at = match merged.iter().position(|(f, _)| *f == c.field) {
                    Some(at) => at,
                    None => {
                        merged.push((c.field, Merged::default()));
                        merged.len() - 1
                    }
                };
                let Some((_, entry)) = merged.get_mut(at) else {
                    continue;
                };
                let values = c.values;
                match c.kind {
                    ConstraintKind::In => {
                        entry.required = Some(match entry.required.take() {
                            Some(mut prev) => {
                                prev.retain(|v| values.binary_search(v).is_ok());
                                prev
                            }
                            None => values,
                        });
                    }
                    ConstraintKind::NotIn => entry.refused.extend(values),
                }
            }
            for (field, Merged { required, refused }) in merged {
                let at = match fields.iter().position(|(f, _)| *f == field) {
                    Some(at) => at,
                    None => {
                        let index = FieldIndex {
                            constrained: vec![0; words],
                            ..FieldIndex::default()
                        };
                        fields.push((field, index));
                        fields.len() - 1
                    }
                };
                let Some((_, index)) = fields.get_mut(at) else {
                    continue;
                };
                match required {
                    Some(required) => {
                        set(&mut index.constrained, offer);
                        for v in required {
                            if !refused.contains(&v) {
                                index.accepts.entry(v).or_default().push(offer);
                            }
                        }
                    }
                    None => {
                        for v in refused {
                            index.refuses.entry(v).or_default().push(offer);
                        }
                    }
                }
            }
        }
        Self::with_fields(&rules, fields)
    }

    /// The index of offers with `rules` (bundle order) whose text
    /// constraints are `fields`, as [`build`](Self::build) made them or a
    /// compiled form stored them. The rest is derived from the rules alike
    /// on both paths: the rule slots, and the numeric bounds (a cheap pass
    /// over each rule's top-level conjunction, so a form stores no bounds
    /// and cannot claim any its rules do not imply).
    pub(super) fn with_fields(
        rules: &[Option<&CompiledRule>],
        fields: Vec<(Field, FieldIndex)>,
    ) -> Self {
        let (rule_slot, rule_slots) = dedupe(rules);
        Self {
            words: rules.len().div_ceil(64),
            fields,
            numeric: NumericIndex::build(rules),
            rule_slot,
            rule_slots,
            offer_keys: OnceLock::new(),
            blocked: OnceLock::new(),
        }
    }

    /// The distinct-rule slot of offer `i` ([`NO_RULE`] when it has none).
    pub fn rule_slot(&self, i: usize) -> u32 {
        self.rule_slot.get(i).copied().unwrap_or(NO_RULE)
    }

    /// Per offer (bundle order): its [`OfferKey`], made by `init` on first use.
    pub fn offer_keys(&self, init: impl FnOnce() -> Box<[OfferKey]>) -> &[OfferKey] {
        self.offer_keys.get_or_init(init)
    }

    /// The [`blocked`](Self::blocked) bitset, made by `init` on first use.
    pub fn blocked(&self, init: impl FnOnce() -> Box<[u64]>) -> &[u64] {
        self.blocked.get_or_init(init)
    }

    /// How many distinct rules the offers have.
    pub fn rule_slots(&self) -> usize {
        self.rule_slots
    }

    /// Fills `out` with the bitset of offers whose rule cannot match `ctx`
    /// (`field_bits` is scratch space, reused across calls).
    pub fn ruled_out(&self, ctx: &Context, out: &mut Vec<u64>, field_bits: &mut Vec<u64>) {
        out.clear();
        out.resize(self.words, 0);
        for (field, index) in &self.fields {
            // Per attribute: constrained offers are out unless this value is
            // in their set; refusing offers are out when it is the value.
            field_bits.clear();
            field_bits.extend_from_slice(&index.constrained);
            if let Some(v) = ctx.text(*field) {
                for &offer in index.accepts.get(v).into_iter().flatten() {
                    clear(field_bits, offer);
                }
                for &offer in index.refuses.get(v).into_iter().flatten() {
                    set(field_bits, offer);
                }
            }
            for (o, f) in out.iter_mut().zip(field_bits.iter()) {
                *o |= f;
            }
        }
        self.numeric.rule_out(ctx, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::{compile, CompileEnv};
    use serde_json::{json, Value};

    fn rule(offer: &str, json: Value) -> CompiledRule {
        compile(&json, &CompileEnv::checkout(offer, &|_| None)).unwrap()
    }

    #[test]
    fn offers_with_identical_rules_share_one_slot() {
        let us = json!({"==": [{"var": "country"}, "US"]});
        let rules = [
            Some(rule("a", us.clone())),
            None,
            Some(rule("b", json!({">=": [{"var": "amount"}, 50]}))),
            Some(rule("c", us)),
            // Equal under `PartialEq`, yet 1 / -0 and 1 / 0 differ: never shared.
            Some(rule("d", json!({">": [{"/": [1, 0.0]}, 0]}))),
            Some(rule("e", json!({">": [{"/": [1, -0.0]}, 0]}))),
        ];
        let index = PredicateIndex::build(rules.iter().map(Option::as_ref));
        let slots: Vec<u32> = (0..rules.len()).map(|i| index.rule_slot(i)).collect();
        assert_eq!(slots, vec![0, NO_RULE, 1, 0, 2, 3]);
        assert_eq!(index.rule_slots(), 4);
    }

    #[test]
    fn merged_constraints_rule_out_exactly_the_offers_that_cannot_match() {
        let rules = [
            // In {CA, NY} and not NY: only CA can match.
            Some(rule(
                "a",
                json!({"and": [
                    {"in": [{"var": "state"}, ["NY", "CA", "CA"]]},
                    {"!=": [{"var": "state"}, "NY"]},
                ]}),
            )),
            // Two `in`s intersect to {TX}; the country is refused separately.
            Some(rule(
                "b",
                json!({"and": [
                    {"in": [{"var": "state"}, ["TX", "CA"]]},
                    {"in": [{"var": "state"}, ["WA", "TX"]]},
                    {"!=": [{"var": "country"}, "CA"]},
                ]}),
            )),
            None,
        ];
        let index = PredicateIndex::build(rules.iter().map(Option::as_ref));
        let out_for = |ctx: &str| {
            let ctx = Context::from_json(ctx.as_bytes()).unwrap();
            let (mut out, mut scratch) = (Vec::new(), Vec::new());
            index.ruled_out(&ctx, &mut out, &mut scratch);
            (0..3).map(|i| is_set(&out, i)).collect::<Vec<_>>()
        };
        assert_eq!(out_for(r#"{"state":"CA"}"#), vec![false, true, false]);
        assert_eq!(out_for(r#"{"state":"NY"}"#), vec![true, true, false]);
        assert_eq!(out_for(r#"{"state":"TX"}"#), vec![true, false, false]);
        assert_eq!(
            out_for(r#"{"state":"TX","country":"CA"}"#),
            vec![true, true, false]
        );
        assert_eq!(out_for(r#"{}"#), vec![true, true, false]);
    }
}

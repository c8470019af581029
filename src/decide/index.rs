//! The predicate index: offers whose rule cannot match this checkout's text
//! attributes (wrong state, country, payment type…) are ruled out with a few
//! word operations, so their rules are never evaluated.
//!
//! Built from [`CompiledRule::required_values`], which only reports
//! constraints that hold whenever the rule is true; the index is therefore
//! a pure shortcut: it never rules out an offer whose rule would match.

use crate::context::{Context, Field};
use crate::rules::{CompiledRule, ConstraintKind};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// Index of one attribute.
#[derive(Debug, Default)]
struct FieldIndex {
    /// Bitset of offers that require the attribute to be in some set.
    constrained: Vec<u64>,
    /// Value → offers whose required set contains it.
    accepts: HashMap<String, Vec<u32>>,
    /// Value → offers that require the attribute NOT to be it.
    refuses: HashMap<String, Vec<u32>>,
}

/// One offer's merged constraints on one attribute: the set it must be in
/// (intersection of every `In`), and the values it must not be (union of
/// every `NotIn`).
#[derive(Debug, Default)]
struct Merged {
    required: Option<BTreeSet<String>>,
    refused: BTreeSet<String>,
}

/// Offers ruled out by attribute, per attribute.
#[derive(Debug, Default)]
pub(crate) struct PredicateIndex {
    words: usize,
    fields: Vec<(Field, FieldIndex)>,
}

fn set(bits: &mut [u64], i: u32) {
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
        let words = rules.len().div_ceil(64);
        let mut merged: BTreeMap<(Field, u32), Merged> = BTreeMap::new();
        for (i, rule) in rules.enumerate() {
            let Some(rule) = rule else { continue };
            for c in rule.required_values() {
                let entry = merged.entry((c.field, i as u32)).or_default();
                let values: BTreeSet<String> = c.values.into_iter().collect();
                match c.kind {
                    ConstraintKind::In => {
                        entry.required = Some(match entry.required.take() {
                            Some(prev) => prev.intersection(&values).cloned().collect(),
                            None => values,
                        });
                    }
                    ConstraintKind::NotIn => entry.refused.extend(values),
                }
            }
        }
        let mut fields: BTreeMap<Field, FieldIndex> = BTreeMap::new();
        for ((field, offer), Merged { required, refused }) in merged {
            let index = fields.entry(field).or_insert_with(|| FieldIndex {
                constrained: vec![0; words],
                ..FieldIndex::default()
            });
            match required {
                Some(required) => {
                    set(&mut index.constrained, offer);
                    for v in required.difference(&refused) {
                        index.accepts.entry(v.clone()).or_default().push(offer);
                    }
                }
                None => {
                    for v in refused {
                        index.refuses.entry(v).or_default().push(offer);
                    }
                }
            }
        }
        Self {
            words,
            fields: fields.into_iter().collect(),
        }
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
    }
}

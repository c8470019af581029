//! Static analysis for the decision engine's predicate index: which values
//! of which attributes a rule requires.
//!
//! Only constraints that provably hold whenever [`super::CompiledRule::matches`]
//! is true are reported. They come from the top-level conjunction (`and`,
//! nested `and`, `!!`) of literals of the forms
//!
//! - `{"==": [{"var": F}, "s"]}` / `===` (either order) → F ∈ {s}
//! - `{"!=": [{"var": F}, "s"]}` / `!==` → F ∉ {s}
//! - `{"in": [{"var": F}, ["a", "b", …]]}` → F ∈ {a, b, …}
//! - `{"!": L}` → the negation of literal L
//! - `{"or": [L1, L2, …]}` where every Li is F ∈ Si for the same F → F ∈ ∪Si
//!
//! where F is a *text* attribute read without a default (a text attribute
//! is a string or absent, so loose equality with a string constant is
//! exact, and an absent attribute equals no string). Anything else (numbers,
//! defaults, `if`, custom attributes) yields no constraint.
//!
//! [`required_ranges`] reads the same conjunction for *numeric* attributes
//! (`amount`, `quantity`, `age`; N below), whose value a rule reads as 0
//! when absent, from the literals
//!
//! - `{"<": [{"var": N}, k]}` → N < k, and likewise `<=`, `>`, `>=`
//! - `{"<": [k, {"var": N}]}` → k < N (the attribute on either side)
//! - `{"!": L}` → the negation of literal L: `!(N < k)` is N ≥ k
//!
//! where k is a finite number literal (the compiler's `NumCmp`). Negation
//! is exact because a context's numbers are finite, never NaN. The literals
//! on one attribute intersect into one interval, possibly empty (then the
//! rule can never match).

use super::node::{EqOp, Lit, Node, VarPath};
use crate::context::Field;
use std::cmp::Ordering;

mod ranges;

pub(crate) use ranges::{required_ranges, NUMERIC_FIELDS};
pub use ranges::{NumericRange, RangeEnd};

/// Whether the attribute must be in, or must not be in, the set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConstraintKind {
    /// The attribute is present and its value is one of the values (an
    /// empty set means the rule can never match).
    In,
    /// The attribute is absent, or present with none of the values.
    NotIn,
}

/// A necessary condition of a rule on one text attribute.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldConstraint {
    /// The attribute (a text attribute such as `state` or `device`).
    pub field: Field,
    /// In or not in.
    pub kind: ConstraintKind,
    /// The values, sorted and deduplicated, compared exactly against the
    /// normalized context.
    pub values: Vec<String>,
}

/// A set of strings: a sorted, deduplicated `Vec`. Not `BTreeSet`: its
/// B-tree code (set operations, insert, remove) cost the wasm build several
/// KB for sets built once per bundle load.
type Set = Vec<String>;

type Literal = (Field, ConstraintKind, Set);

/// `a ∪ b` (both sorted and deduplicated), by merging.
fn union(a: Set, b: Set) -> Set {
    let mut out = Vec::with_capacity(a.len() + b.len());
    let (mut a, mut b) = (a.into_iter().peekable(), b.into_iter().peekable());
    loop {
        let from_a = match (a.peek(), b.peek()) {
            (Some(x), Some(y)) => match x.cmp(y) {
                Ordering::Less => true,
                Ordering::Greater => false,
                Ordering::Equal => {
                    b.next();
                    true
                }
            },
            (Some(_), None) => true,
            (None, Some(_)) => false,
            (None, None) => return out,
        };
        out.extend(if from_a { a.next() } else { b.next() });
    }
}

/// The members of `a` that are (`keep`) or are not in `b`, in order.
fn filter(mut a: Set, b: &Set, keep: bool) -> Set {
    a.retain(|v| b.binary_search(v).is_ok() == keep);
    a
}

/// A text attribute read without a (non-null) default.
fn plain_text_field(node: &Node) -> Option<Field> {
    match node {
        Node::Var {
            path: VarPath::Field(f),
            default,
        } if !f.is_numeric() && matches!(default.as_deref(), None | Some(Node::Lit(Lit::Null))) => {
            Some(*f)
        }
        _ => None,
    }
}

fn field_vs_string(a: &Node, b: &Node) -> Option<(Field, String)> {
    match (plain_text_field(a), b, plain_text_field(b), a) {
        (Some(f), Node::Lit(Lit::Str(s)), _, _) => Some((f, s.to_string())),
        (_, _, Some(f), Node::Lit(Lit::Str(s))) => Some((f, s.to_string())),
        _ => None,
    }
}

fn negate(lit: Literal) -> Literal {
    let (field, kind, values) = lit;
    let kind = match kind {
        ConstraintKind::In => ConstraintKind::NotIn,
        ConstraintKind::NotIn => ConstraintKind::In,
    };
    (field, kind, values)
}

/// The constraint implied by `node` being truthy, if it is a literal, and
/// whether it is exact (the node is truthy *if and only if* the constraint
/// holds). Only exact literals may be negated.
fn literal(node: &Node) -> Option<(Literal, bool)> {
    match node {
        Node::TextEq { op, field, value } => {
            let kind = if op.negated() {
                ConstraintKind::NotIn
            } else {
                ConstraintKind::In
            };
            Some(((*field, kind, vec![value.to_string()]), true))
        }
        Node::TextIn(field, set) if !set.null => {
            let values = set.strs.iter().map(|s| s.to_string()).collect();
            Some(((*field, ConstraintKind::In, values), true))
        }
        Node::Eq(op, args) => {
            let [a, b] = &**args;
            let (field, value) = field_vs_string(a, b)?;
            let kind = match op {
                EqOp::Loose | EqOp::Strict => ConstraintKind::In,
                EqOp::NotLoose | EqOp::NotStrict => ConstraintKind::NotIn,
            };
            Some(((field, kind, vec![value]), true))
        }
        // An absent attribute reads as null, which a list containing null
        // matches: then presence cannot be claimed.
        Node::InSet(needle, set) if !set.null => {
            let field = plain_text_field(needle)?;
            let values = set.strs.iter().map(|s| s.to_string()).collect();
            Some(((field, ConstraintKind::In, values), true))
        }
        Node::Not(inner) => match &**inner {
            Node::TextIn(field, set) if set.null => {
                let values = set.strs.iter().map(|s| s.to_string()).collect();
                Some(((*field, ConstraintKind::NotIn, values), false))
            }
            // `!in` is false for every listed string whatever nulls the list
            // has; with a null it also requires presence, so it is not exact.
            Node::InSet(needle, set) if set.null => {
                let field = plain_text_field(needle)?;
                let values = set.strs.iter().map(|s| s.to_string()).collect();
                Some(((field, ConstraintKind::NotIn, values), false))
            }
            other => match literal(other)? {
                (lit, true) => Some((negate(lit), true)),
                (_, false) => None,
            },
        },
        Node::NotNot(inner) => literal(inner),
        Node::Or(items) if !items.is_empty() => {
            let mut acc: Option<(Field, Set)> = None;
            let mut exact = true;
            for item in items.iter() {
                let ((field, kind, values), item_exact) = literal(item)?;
                if kind != ConstraintKind::In {
                    return None;
                }
                exact &= item_exact;
                acc = match acc {
                    None => Some((field, values)),
                    Some((f, have)) if f == field => Some((f, union(have, values))),
                    Some(_) => return None,
                };
            }
            acc.map(|(f, v)| ((f, ConstraintKind::In, v), exact))
        }
        _ => None,
    }
}

/// Calls `visit` on each conjunct of the top-level conjunction (the nodes
/// under `and`, nested `and` and `!!`; the root itself when it is none).
fn conjuncts(node: &Node, visit: &mut impl FnMut(&Node)) {
    match node {
        Node::And(items) => items.iter().for_each(|item| conjuncts(item, visit)),
        Node::NotNot(inner) => conjuncts(inner, visit),
        other => visit(other),
    }
}

pub(crate) fn required_values(root: &Node) -> Vec<FieldConstraint> {
    let mut lits = Vec::new();
    conjuncts(root, &mut |node| {
        lits.extend(literal(node).map(|(lit, _)| lit))
    });
    // Per attribute, in first-seen order (a rule names few attributes).
    let mut merged: Vec<(Field, ConstraintKind, Set)> = Vec::new();
    for (field, kind, values) in lits {
        let Some(slot) = merged.iter_mut().find(|(f, _, _)| *f == field) else {
            merged.push((field, kind, values));
            continue;
        };
        let have = std::mem::take(&mut slot.2);
        let (kind, values) = match (slot.1, kind) {
            (ConstraintKind::In, ConstraintKind::In) => {
                (ConstraintKind::In, filter(have, &values, true))
            }
            (ConstraintKind::In, ConstraintKind::NotIn) => {
                (ConstraintKind::In, filter(have, &values, false))
            }
            (ConstraintKind::NotIn, ConstraintKind::In) => {
                (ConstraintKind::In, filter(values, &have, false))
            }
            (ConstraintKind::NotIn, ConstraintKind::NotIn) => {
                (ConstraintKind::NotIn, union(have, values))
            }
        };
        *slot = (field, kind, values);
    }
    // Reported in `Field` order (`Field::ALL` is declaration order), as the
    // B-tree map did: deterministic output for callers and tests.
    Field::ALL
        .iter()
        .filter_map(|f| {
            let at = merged.iter().position(|(g, _, _)| g == f)?;
            let (field, kind, values) = merged.swap_remove(at);
            Some(FieldConstraint {
                field,
                kind,
                values,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(items: &[&str]) -> Set {
        items.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn sorted_set_operations() {
        assert_eq!(
            union(set(&["a", "c", "e"]), set(&["b", "c", "f"])),
            set(&["a", "b", "c", "e", "f"])
        );
        assert_eq!(union(set(&[]), set(&["b"])), set(&["b"]));
        assert_eq!(
            filter(set(&["a", "b", "c"]), &set(&["b", "c", "d"]), true),
            set(&["b", "c"])
        );
        assert_eq!(
            filter(set(&["a", "b", "c"]), &set(&["b", "c", "d"]), false),
            set(&["a"])
        );
    }
}

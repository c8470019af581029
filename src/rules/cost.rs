//! Static cost of a compiled rule, checked once at compile so that a signed
//! bundle cannot carry a rule that would take seconds or gigabytes to run.
//!
//! **Cost** counts evaluation steps as the run-time meter does
//! (`super::budget`), in the worst case: every node once; the body of
//! `map`/`filter`/`all`/`some`/`none`/`reduce` once per element of its array
//! (the literal's length when the array is a literal, else
//! [`MAX_RULE_ARRAY_LEN`]); every array a node builds (`merge`, `map`,
//! `filter`, arrays with logic, `missing`) by its largest length; every
//! `in` scan by its haystack's. Nested loops multiply. Over
//! [`MAX_RULE_COST`] the rule is refused.
//!
//! **Growth**: an array a rule surely builds must fit [`MAX_RULE_ARRAY_LEN`].
//! A lower bound of each built array's length is tracked as an affine
//! function `a·A + b` of the enclosing `reduce` accumulator's length `A`,
//! so `{"reduce": [[1,…,24], {"merge": [acc, acc]}, [1]]}` (2^24 elements, a
//! gigabyte) is refused at compile rather than stopped at run time.

use super::node::{ArithOp, IterOp, Node, VarPath};
use crate::limits::{MAX_RULE_ARRAY_LEN, MAX_RULE_COST};
use serde_json::Value;

const L: u64 = MAX_RULE_ARRAY_LEN as u64;

/// The static cost of `root`.
///
/// # Errors
/// Why the rule is refused: its cost is over [`MAX_RULE_COST`], or it
/// surely builds an array over [`MAX_RULE_ARRAY_LEN`] elements.
pub(crate) fn check(root: &Node) -> Result<u64, String> {
    growth(root)?;
    let cost = cost(root);
    if cost > MAX_RULE_COST {
        return Err(format!(
            "rule costs {cost} evaluation steps in the worst case, more than {MAX_RULE_COST} \
             (array operator bodies count once per element, up to {L} for data arrays)"
        ));
    }
    Ok(cost)
}

/// The children of `node` that are evaluated at most once per evaluation
/// of `node` (everything but loop bodies, which [`cost`] multiplies).
fn once(node: &Node) -> Vec<&Node> {
    match node {
        Node::Iter(_, n) => vec![&n[0]],
        Node::Reduce(n) => vec![&n[0], &n[2]],
        _ => node.children(),
    }
}

/// Upper bound of the length of the array `node` yields (0: never an array).
fn max_len(node: &Node) -> u64 {
    match node {
        Node::Const(Value::Array(items)) => items.len() as u64,
        Node::Array(items) => items.len() as u64,
        Node::Merge(args) => args.iter().map(|a| max_len(a).max(1)).sum::<u64>().min(L),
        Node::Iter(IterOp::Map | IterOp::Filter, args) => max_len(&args[0]).min(L),
        // `*` of one argument returns it as is.
        Node::Arith(ArithOp::Mul, args) if args.len() == 1 => max_len(&args[0]),
        Node::Var { .. }
        | Node::DynVar { .. }
        | Node::Missing(_)
        | Node::MissingSome(_)
        | Node::If(_)
        | Node::And(_)
        | Node::Or(_)
        | Node::Log(_)
        | Node::Reduce(_) => L,
        _ => 0,
    }
}

/// Worst-case evaluation steps of `node`.
fn cost(node: &Node) -> u64 {
    let children = once(node)
        .into_iter()
        .fold(0u64, |sum, c| sum.saturating_add(cost(c)));
    let own = match node {
        Node::Array(items) => items.len() as u64,
        Node::Merge(_) => max_len(node),
        // One lookup per key: the arguments, or the first one's elements.
        Node::Missing(args) => args.first().map_or(0, max_len).max(args.len() as u64),
        Node::MissingSome(args) => max_len(&args[1]),
        Node::In(args) => max_len(&args[1]),
        Node::Iter(op, args) => {
            let n = max_len(&args[0]);
            let built = if matches!(op, IterOp::Map | IterOp::Filter) {
                n
            } else {
                0
            };
            n.saturating_mul(cost(&args[1]).saturating_add(1))
                .saturating_add(built)
        }
        Node::Reduce(args) => max_len(&args[0]).saturating_mul(cost(&args[1]).saturating_add(1)),
        _ => 0,
    };
    1u64.saturating_add(children).saturating_add(own)
}

/// A lower bound `a·A + b` of an array's length, `A` being the length of
/// the enclosing `reduce`'s accumulator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Affine {
    a: u64,
    b: u64,
}

impl Affine {
    const ZERO: Affine = Affine { a: 0, b: 0 };

    fn plus(self, o: Affine) -> Affine {
        Affine {
            a: self.a.saturating_add(o.a),
            b: self.b.saturating_add(o.b),
        }
    }

    /// `self` with `A` replaced by `inner` (another affine function).
    fn compose(self, inner: Affine) -> Affine {
        Affine {
            a: self.a.saturating_mul(inner.a),
            b: self.a.saturating_mul(inner.b).saturating_add(self.b),
        }
    }
}

/// Steps of a `reduce` accumulator's lower bound: `step` applied `n` times
/// to `start`, stopping at a fixed point or once over the limit (so at most
/// about [`MAX_RULE_ARRAY_LEN`] rounds, whatever `n`).
fn iterate(start: Affine, step: Affine, n: u64) -> Affine {
    let mut acc = start;
    for _ in 0..n {
        let next = step.compose(acc);
        if next == acc || next.a > L || next.b > L {
            return next;
        }
        acc = next;
    }
    acc
}

/// Checks every array `node` and its descendants surely build against
/// [`MAX_RULE_ARRAY_LEN`] and returns a lower bound of the length of the
/// array `node` surely yields (`None`: maybe not an array), in terms of the
/// enclosing `reduce` accumulator's length. One pass: each node is visited
/// once.
fn growth(node: &Node) -> Result<Option<Affine>, String> {
    let built = |len: Affine, what: &str| -> Result<Option<Affine>, String> {
        // The outermost accumulator is taken as empty: `b` is what is sure.
        if len.b > L {
            return Err(format!(
                "{what} builds an array of at least {} elements, more than {L}",
                len.b
            ));
        }
        Ok(Some(len))
    };
    let fixed = |n: usize| Affine { a: 0, b: n as u64 };
    match node {
        Node::Const(Value::Array(items)) => Ok(Some(fixed(items.len()))),
        Node::Array(items) => {
            for item in items.iter() {
                growth(item)?;
            }
            built(fixed(items.len()), "an array literal")
        }
        // Every argument adds its elements (an array) or itself (anything
        // else, which may also be an empty array: 0 is what is sure).
        Node::Merge(args) => {
            let mut sum = Affine::ZERO;
            for arg in args.iter() {
                sum = sum.plus(growth(arg)?.unwrap_or(Affine::ZERO));
            }
            built(sum, "a `merge`")
        }
        Node::Iter(op, args) => {
            let len = growth(&args[0])?;
            growth(&args[1])?;
            match op {
                IterOp::Map => built(len.unwrap_or(Affine::ZERO), "a `map`"),
                IterOp::Filter => Ok(Some(Affine::ZERO)),
                _ => Ok(None),
            }
        }
        Node::Var {
            path: VarPath::Accumulator(segs),
            default,
        } if segs.is_empty() => {
            if let Some(d) = default {
                growth(d)?;
            }
            Ok(Some(Affine { a: 1, b: 0 }))
        }
        Node::If(items) => {
            // Without an else branch `if` may yield `null`.
            let mut lower: Option<Affine> = None;
            let mut sure = items.len() % 2 == 1;
            for (i, item) in items.iter().enumerate() {
                let len = growth(item)?;
                let is_branch = i % 2 == 1 || i + 1 == items.len();
                if !is_branch {
                    continue;
                }
                match (len, lower) {
                    (Some(b), Some(lo)) => {
                        lower = Some(Affine {
                            a: lo.a.min(b.a),
                            b: lo.b.min(b.b),
                        });
                    }
                    (Some(b), None) => lower = Some(b),
                    (None, _) => sure = false,
                }
            }
            Ok(lower.filter(|_| sure))
        }
        Node::Reduce(args) => {
            let [array, body, init] = &**args;
            growth(array)?;
            let (start, step) = (growth(init)?, growth(body)?);
            let (Some(start), Some(step)) = (start, step) else {
                return Ok(None);
            };
            // Only a literal array says how many steps run; otherwise the
            // result is the initial value or some step's, whichever is less.
            let exact = match array {
                Node::Const(Value::Array(items)) => Some(items.len() as u64),
                Node::Array(items) => Some(items.len() as u64),
                _ => None,
            };
            let Some(n) = exact else {
                return Ok(Some(Affine {
                    a: 0,
                    b: start.b.min(step.b),
                }));
            };
            let sure = iterate(Affine { a: 0, b: start.b }, step, n);
            built(sure, "a `reduce` accumulator")?;
            Ok(Some(iterate(start, step, n)))
        }
        _ => {
            for child in once(node) {
                growth(child)?;
            }
            Ok(None)
        }
    }
}

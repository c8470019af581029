//! The compiled rule tree. Built once by [`super::compile`], evaluated many
//! times by [`super::eval`]: operators are enum variants, arities are
//! checked, context paths are resolved to attribute slots, constant lists are
//! pre-sorted sets.

use super::jsnum::json_number;
use crate::bundle::{CapScope, CapWindow};
use crate::context::Field;
use serde_json::Value;

/// Where a `var` reads from, resolved at compile time.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum VarPath {
    /// `""`, `null` or `[]`: the current data itself.
    Whole,
    /// A checkout attribute (root scope of a checkout rule).
    Field(Field),
    /// `custom.<key>.<rest…>`; no segments means the whole `custom` object.
    Custom(Box<[Box<str>]>),
    /// A dotted path into the current data (JSON data, or an item of
    /// `map`/`filter`/`all`/`some`/`none`).
    Path(Box<[Box<str>]>),
    /// `current[.rest]` inside a `reduce` body.
    Current(Box<[Box<str>]>),
    /// `accumulator[.rest]` inside a `reduce` body.
    Accumulator(Box<[Box<str>]>),
    /// A name that cannot exist in this scope (always the default).
    Undefined,
}

/// Equality operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum EqOp {
    /// `==`
    Loose,
    /// `===`
    Strict,
    /// `!=`
    NotLoose,
    /// `!==`
    NotStrict,
}

/// Ordering operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CmpOp {
    /// `<` (2 or 3 arguments)
    Lt,
    /// `<=` (2 or 3 arguments)
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
}

/// Arithmetic operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ArithOp {
    /// `+` (any count, `parseFloat` coercion)
    Add,
    /// `*` (one or more, `parseFloat` coercion)
    Mul,
    /// `-` (unary minus or difference)
    Sub,
    /// `/`
    Div,
    /// `%`
    Mod,
}

/// Array operators whose second argument is evaluated per element.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum IterOp {
    /// `all`
    All,
    /// `some`
    Some,
    /// `none`
    None,
    /// `map`
    Map,
    /// `filter`
    Filter,
}

/// A constant list, pre-split by type for `in` (which uses strict equality).
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct ConstSet {
    /// String members, sorted and deduplicated.
    pub strs: Box<[Box<str>]>,
    /// Numeric members, sorted (JSON has no NaN).
    pub nums: Box<[f64]>,
    /// Whether `null` is a member.
    pub null: bool,
    /// Whether `true` is a member.
    pub yes: bool,
    /// Whether `false` is a member.
    pub no: bool,
}

impl ConstSet {
    /// Builds the set from the members of a constant JSON array. Arrays and
    /// objects are dropped: under `===` they equal nothing but themselves.
    pub(crate) fn from_items(items: &[Value]) -> ConstSet {
        let mut strs: Vec<Box<str>> = Vec::new();
        let mut nums: Vec<f64> = Vec::new();
        let mut set = ConstSet::default();
        for item in items {
            match item {
                Value::Null => set.null = true,
                Value::Bool(true) => set.yes = true,
                Value::Bool(false) => set.no = true,
                Value::Number(n) => nums.extend(n.as_f64()),
                Value::String(s) => strs.push(s.as_str().into()),
                Value::Array(_) | Value::Object(_) => {}
            }
        }
        // Plain library sorts: this runs when a bundle is compiled from
        // JSON, which the page build (compiled forms only) never does, so
        // the hand-written heapsort and integer sort keys that once kept
        // a second quicksort out of that build no longer pay.
        strs.sort_unstable();
        strs.dedup();
        nums.sort_unstable_by(f64::total_cmp);
        nums.dedup();
        set.strs = strs.into();
        set.nums = nums.into();
        set
    }

    /// Whether `s` is a string member.
    pub(crate) fn contains_str(&self, s: &str) -> bool {
        // Short lists (the usual state or device list) scan faster than
        // they bisect: most members are rejected on length alone.
        if self.strs.len() <= 8 {
            return self.strs.iter().any(|m| m.len() == s.len() && **m == *s);
        }
        self.strs.binary_search_by(|m| (**m).cmp(s)).is_ok()
    }

    /// Whether `n` is a numeric member (`0 === -0`, NaN is never found).
    pub(crate) fn contains_num(&self, n: f64) -> bool {
        self.nums
            .binary_search_by(|m| m.partial_cmp(&n).unwrap_or(std::cmp::Ordering::Less))
            .is_ok()
    }
}

/// `n` as an integer whose unsigned order is `f64::total_cmp`'s. The
/// predicate index packs it with an offer number into the `u128` keys it
/// sorts numeric bounds by: the page build re-derives those bounds on every
/// load and already carries the `u128` sort (history eviction).
pub(crate) fn order_key(n: f64) -> u64 {
    let bits = n.to_bits();
    if bits >> 63 == 1 {
        !bits
    } else {
        bits | 1 << 63
    }
}

/// A scalar literal, decoded at compile time.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Lit {
    /// `null`
    Null,
    /// `true` / `false`
    Bool(bool),
    /// A number.
    Num(f64),
    /// A string.
    Str(Box<str>),
}

impl EqOp {
    /// Whether the operator is a negation (`!=`, `!==`).
    pub(crate) fn negated(self) -> bool {
        matches!(self, EqOp::NotLoose | EqOp::NotStrict)
    }
}

impl Lit {
    /// The literal for a scalar JSON value (`None` for arrays and objects).
    pub(crate) fn from_json(v: &Value) -> Option<Lit> {
        Some(match v {
            Value::Null => Lit::Null,
            Value::Bool(b) => Lit::Bool(*b),
            Value::Number(n) => Lit::Num(json_number(n)),
            Value::String(s) => Lit::Str(s.as_str().into()),
            Value::Array(_) | Value::Object(_) => return None,
        })
    }
}

/// One node of a compiled rule.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Node {
    /// A scalar literal.
    Lit(Lit),
    /// An array literal with no logic inside.
    Const(Value),
    /// An array literal with logic inside; each element is evaluated.
    Array(Box<[Node]>),
    /// `var` with a path known at compile time.
    Var {
        /// What it reads.
        path: VarPath,
        /// Returned when the path is absent.
        default: Option<Box<Node>>,
    },
    /// `var` whose path is computed.
    DynVar {
        /// Evaluates to the path.
        path: Box<Node>,
        /// Returned when the path is absent.
        default: Option<Box<Node>>,
    },
    /// `missing`
    Missing(Box<[Node]>),
    /// `missing_some` (need, keys)
    MissingSome(Box<[Node; 2]>),
    /// `if` / `?:`
    If(Box<[Node]>),
    /// `and`
    And(Box<[Node]>),
    /// `or`
    Or(Box<[Node]>),
    /// `!`
    Not(Box<Node>),
    /// `!!`
    NotNot(Box<Node>),
    /// `==`, `===`, `!=`, `!==`
    Eq(EqOp, Box<[Node; 2]>),
    /// `<`, `<=` (2 or 3 arguments), `>`, `>=`
    Cmp(CmpOp, Box<[Node]>),
    /// `in` against a computed haystack (array or string)
    In(Box<[Node; 2]>),
    /// `in` against a constant list
    InSet(Box<Node>, Box<ConstSet>),
    /// `==`/`===` (or negated) of a text attribute and a string literal:
    /// both are exact for a text attribute, which is a string or absent.
    TextEq {
        /// The comparison as written (used verbatim over JSON data).
        op: EqOp,
        /// The text attribute.
        field: Field,
        /// The literal.
        value: Box<str>,
    },
    /// `in` of a text attribute against a constant list.
    TextIn(Field, Box<ConstSet>),
    /// A two-argument comparison of a numeric attribute with a number
    /// (an absent attribute compares as 0, JSONLogic's `null`).
    NumCmp {
        /// The comparison as written.
        op: CmpOp,
        /// The numeric attribute.
        field: Field,
        /// The literal.
        k: f64,
        /// Whether the attribute is the left operand.
        field_first: bool,
    },
    /// `+ * - / %`
    Arith(ArithOp, Box<[Node]>),
    /// `min` (false) / `max` (true)
    MinMax(bool, Box<[Node]>),
    /// `cat`
    Cat(Box<[Node]>),
    /// `substr` (2 or 3 arguments)
    Substr(Box<[Node]>),
    /// `merge`
    Merge(Box<[Node]>),
    /// `log`: returns its argument (the core has no console).
    Log(Box<Node>),
    /// `all`, `some`, `none`, `map`, `filter` (array, per-element logic)
    Iter(IterOp, Box<[Node; 2]>),
    /// `reduce` (array, logic, initial value)
    Reduce(Box<[Node; 3]>),
    /// `in_audience`: audience index resolved at compile time.
    InAudience(usize),
    /// `history_count`
    HistoryCount {
        /// Counted scope.
        scope: CapScope,
        /// Offer, campaign or advertiser id.
        id: Box<str>,
        /// Counting window.
        window: CapWindow,
    },
    /// `local_hour`: 0–23 in the partner's time zone.
    LocalHour,
    /// `local_weekday`: 0 (Monday) – 6 (Sunday) in the partner's time zone.
    LocalWeekday,
}

impl Node {
    /// The nodes directly below this one, in evaluation order (a dynamic
    /// path before its default). Exhaustive, so a new operator has to say
    /// what it holds; [`crate::rules::cost`] and [`Node::visit`] both walk
    /// the tree through it.
    pub(crate) fn children(&self) -> Vec<&Node> {
        match self {
            Node::Array(n)
            | Node::Missing(n)
            | Node::If(n)
            | Node::And(n)
            | Node::Or(n)
            | Node::Cmp(_, n)
            | Node::Arith(_, n)
            | Node::MinMax(_, n)
            | Node::Cat(n)
            | Node::Substr(n)
            | Node::Merge(n) => n.iter().collect(),
            Node::MissingSome(n) | Node::Eq(_, n) | Node::In(n) | Node::Iter(_, n) => {
                n.iter().collect()
            }
            Node::Reduce(n) => n.iter().collect(),
            Node::Not(n) | Node::NotNot(n) | Node::Log(n) | Node::InSet(n, _) => vec![&**n],
            Node::Var { default, .. } => default.as_deref().into_iter().collect(),
            Node::DynVar { path, default } => {
                std::iter::once(&**path).chain(default.as_deref()).collect()
            }
            Node::Lit(_)
            | Node::Const(_)
            | Node::TextEq { .. }
            | Node::TextIn(..)
            | Node::NumCmp { .. }
            | Node::InAudience(_)
            | Node::HistoryCount { .. }
            | Node::LocalHour
            | Node::LocalWeekday => Vec::new(),
        }
    }

    /// Calls `f` on this node and every node below it.
    fn visit(&self, f: &mut dyn FnMut(&Node)) {
        f(self);
        for child in self.children() {
            child.visit(f);
        }
    }
}

/// A hash of everything that tells two rules apart except `Const` payloads,
/// fed to FNV-1a 64.
struct Fnv(u64);

impl std::hash::Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
}

fn negative_zero(x: f64) -> bool {
    x == 0.0 && x.is_sign_negative()
}

impl super::CompiledRule {
    /// A hash under which identical rules meet, or `None` when this rule
    /// must not be shared with an "equal" one: `PartialEq` treats `-0.0`
    /// and `0.0` alike although `1 / x` tells them apart, and `Const`
    /// payloads are not hashed. Rules with equal hashes that also compare
    /// equal (`==`) evaluate alike on every input.
    pub(crate) fn share_key(&self) -> Option<u64> {
        use std::hash::Hash;
        let mut h = Fnv(0xcbf2_9ce4_8422_2325);
        let mut shareable = true;
        self.root.visit(&mut |node| {
            std::mem::discriminant(node).hash(&mut h);
            match node {
                Node::Const(_) => shareable = false,
                Node::Lit(Lit::Num(x)) | Node::NumCmp { k: x, .. } => {
                    shareable &= !negative_zero(*x);
                    x.to_bits().hash(&mut h);
                }
                Node::Lit(Lit::Str(s)) | Node::TextEq { value: s, .. } => s.hash(&mut h),
                Node::InSet(_, set) | Node::TextIn(_, set) => {
                    shareable &= !set.nums.iter().any(|&x| negative_zero(x));
                    set.strs.hash(&mut h);
                }
                Node::HistoryCount { id, .. } => id.hash(&mut h),
                Node::InAudience(a) => a.hash(&mut h),
                Node::Var {
                    path: VarPath::Field(f),
                    ..
                } => f.hash(&mut h),
                _ => {}
            }
        });
        shareable.then_some(h.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn const_sets_are_sorted_and_deduplicated() {
        let items =
            json!(["NY", "CA", "TX", "CA", "", "AK", 3, -0.0, 0, 1e300, -2.5, 3, -1e-300, null]);
        let set = ConstSet::from_items(items.as_array().unwrap());
        let strs: Vec<&str> = set.strs.iter().map(|s| &**s).collect();
        assert_eq!(strs, ["", "AK", "CA", "NY", "TX"]);
        assert_eq!(&*set.nums, [-2.5, -1e-300, -0.0, 3.0, 1e300]);
        assert!(set.null && !set.yes && !set.no);
        assert!(set.contains_str("NY") && !set.contains_str("ny"));
        assert!(set.contains_num(0.0) && set.contains_num(-1e-300) && !set.contains_num(2.0));
    }

    #[test]
    fn order_keys_follow_total_cmp() {
        let mut xs = vec![
            f64::NEG_INFINITY,
            -1e300,
            -2.5,
            -f64::MIN_POSITIVE,
            -0.0,
            0.0,
            5e-324,
            1.0,
            2.5,
            f64::MAX,
            f64::INFINITY,
        ];
        let sorted = xs.clone();
        xs.reverse();
        xs.sort_by_key(|x| order_key(*x));
        assert_eq!(
            xs.iter().map(|x| x.to_bits()).collect::<Vec<_>>(),
            sorted.iter().map(|x| x.to_bits()).collect::<Vec<_>>()
        );
    }
}

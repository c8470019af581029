//! Evaluation of a compiled rule tree.
//!
//! [`test`] answers "is this node truthy?" without building values for the
//! boolean operators (`and`, `or`, `!`, comparisons, `in`), which is what
//! eligibility needs; [`eval`] produces the full JSONLogic value. Neither
//! allocates for comparisons of attributes with constants. What builds
//! strings and arrays lives in `build.rs`, `var` paths in `path.rs`.
//!
//! Every node evaluated takes a step from the [`Meter`]; once it stops
//! (`super::budget`), every node returns at once (`false`, `undefined`) and
//! every loop breaks, so a stopped rule unwinds in a few steps per level.

use super::budget::Meter;
use super::jsnum::json_number;
use super::node::{CmpOp, ConstSet, EqOp, IterOp, Lit, Node, VarPath};
use super::value::{
    le, loose_eq, lt, scalar_compare, scalar_loose_eq, scalar_strict_eq, strict_eq, Scalar, Text,
    Val,
};
use super::RuleEnv;
use crate::context::{Context, Field, FieldValue};
use crate::time::DAY_MS;
use serde_json::Value;
use std::cmp::Ordering;

mod build;
mod path;

pub(crate) use path::lookup_dynamic;
use path::{field_val, lookup, lookup_field};

/// The data a rule reads at its root.
#[derive(Clone, Copy)]
pub(crate) enum Root<'a> {
    /// A checkout context.
    Context(&'a Context),
    /// Arbitrary JSON data (conformance tests, previews).
    Json(&'a Value),
}

/// What `var` sees at the node being evaluated.
#[derive(Clone, Copy)]
enum Scope<'a, 'f> {
    Root,
    Item(&'f Val<'a>),
    Reduce {
        current: &'f Val<'a>,
        accumulator: &'f Val<'a>,
    },
}

/// Everything evaluation needs besides the node.
#[derive(Clone, Copy)]
pub(crate) struct Frame<'a, 'f> {
    root: Root<'a>,
    scope: Scope<'a, 'f>,
    env: &'f dyn RuleEnv,
    /// Steps and value sizes of this evaluation.
    pub(crate) meter: &'f Meter,
}

impl<'a, 'f> Frame<'a, 'f> {
    pub(crate) fn new(root: Root<'a>, env: &'f dyn RuleEnv, meter: &'f Meter) -> Self {
        Frame {
            root,
            scope: Scope::Root,
            env,
            meter,
        }
    }

    fn with_scope<'g>(&self, scope: Scope<'a, 'g>) -> Frame<'a, 'g>
    where
        'f: 'g,
    {
        Frame {
            root: self.root,
            scope,
            env: self.env,
            meter: self.meter,
        }
    }

    /// The current data as a value (`{"var": ""}`).
    fn data(&self) -> Val<'a> {
        match self.scope {
            Scope::Root => match self.root {
                Root::Context(c) => Val::Context(c),
                Root::Json(v) => Val::from_json(v),
            },
            Scope::Item(item) => item.clone(),
            Scope::Reduce { .. } => Val::Object,
        }
    }
}

/// Strict membership in a constant list (arrays and objects are never
/// members: the list holds no reference to them).
#[inline]
fn in_set(needle: Option<Scalar<'_>>, set: &ConstSet) -> bool {
    match needle {
        Some(Scalar::Str(s)) => set.contains_str(s),
        Some(Scalar::Num(n)) => set.contains_num(n),
        Some(Scalar::Null) => set.null,
        Some(Scalar::Bool(true)) => set.yes,
        Some(Scalar::Bool(false)) => set.no,
        // JSON has no `undefined`: no constant list holds it.
        Some(Scalar::Undefined) | None => false,
    }
}

/// A literal as a value (borrowed from the rule).
#[inline]
fn lit_val(lit: &Lit) -> Val<'_> {
    match lit {
        Lit::Null => Val::Null,
        Lit::Bool(b) => Val::Bool(*b),
        Lit::Num(n) => Val::Num(*n),
        Lit::Str(s) => Val::Str(Text::Borrowed(s)),
    }
}

/// The operand as a [`Scalar`] when it is a literal or a checkout attribute:
/// the allocation- and drop-free path of comparisons.
#[inline]
fn scalar_operand<'a>(node: &'a Node, f: &Frame<'a, '_>) -> Option<Scalar<'a>> {
    match (node, f.root) {
        (Node::Lit(lit), _) => Some(match lit {
            Lit::Null => Scalar::Null,
            Lit::Bool(b) => Scalar::Bool(*b),
            Lit::Num(n) => Scalar::Num(*n),
            Lit::Str(s) => Scalar::Str(s),
        }),
        (
            Node::Var {
                path: VarPath::Field(field),
                default: None,
            },
            Root::Context(c),
        ) => Some(match c.get(*field) {
            None => Scalar::Null,
            Some(FieldValue::Text(s)) => Scalar::Str(s),
            Some(FieldValue::Number(n)) => Scalar::Num(n),
        }),
        (
            Node::Var {
                path: VarPath::Custom(segs),
                default: None,
            },
            Root::Context(c),
        ) => match &**segs {
            [key] => match c.custom.get(&**key) {
                None | Some(Value::Null) => Some(Scalar::Null),
                Some(Value::Bool(b)) => Some(Scalar::Bool(*b)),
                Some(Value::Number(n)) => Some(Scalar::Num(json_number(n))),
                Some(Value::String(s)) => Some(Scalar::Str(s)),
                Some(Value::Array(_) | Value::Object(_)) => None,
            },
            _ => None,
        },
        (Node::LocalHour, _) => Some(Scalar::Num(local_hour(f.env))),
        (Node::LocalWeekday, _) => Some(Scalar::Num(local_weekday(f.env))),
        (Node::HistoryCount { scope, id, window }, _) => Some(Scalar::Num(f64::from(
            f.env.history_count(*scope, id, *window),
        ))),
        _ => None,
    }
}

/// The value of an operand: attribute reads and constants inline, the
/// rest through [`eval`].
#[inline]
fn operand<'a>(node: &'a Node, f: &Frame<'a, '_>) -> Val<'a> {
    match (node, f.root) {
        (Node::Lit(lit), _) => lit_val(lit),
        (Node::Const(v), _) => Val::from_json(v),
        (
            Node::Var {
                path: VarPath::Field(field),
                default: None,
            },
            Root::Context(c),
        ) => field_val(c, *field).unwrap_or(Val::Null),
        _ => eval(node, f),
    }
}

/// Truthiness of `node`'s value, computed without building boolean values.
///
/// Kept small on purpose: every node pays this function's prologue, so the
/// work of each operator lives in its own out-of-line function.
pub(crate) fn test<'a>(node: &'a Node, f: &Frame<'a, '_>) -> bool {
    if !f.meter.tick() {
        return false;
    }
    match node {
        Node::And(items) => !items.is_empty() && items.iter().all(|n| test(n, f)),
        Node::Or(items) => items.iter().any(|n| test(n, f)),
        Node::Not(inner) => !test(inner, f),
        Node::NotNot(inner) => test(inner, f),
        Node::TextEq { op, field, value } => match f.root {
            Root::Context(c) => (c.text(*field) == Some(&**value)) != op.negated(),
            Root::Json(_) => text_eq_json(*op, *field, value, f),
        },
        Node::TextIn(field, set) => match f.root {
            Root::Context(c) => match c.text(*field) {
                Some(s) => set.contains_str(s),
                None => set.null,
            },
            Root::Json(_) => {
                let v = lookup_field(*field, f);
                in_set(v.as_ref().map_or(Some(Scalar::Null), Val::as_scalar), set)
            }
        },
        Node::NumCmp {
            op,
            field,
            k,
            field_first,
        } => {
            let x = match (f.root, field.is_numeric()) {
                (Root::Context(c), true) => match c.get(*field) {
                    Some(FieldValue::Number(n)) => n,
                    _ => 0.0,
                },
                _ => return num_cmp_json(*op, *field, *k, *field_first, f),
            };
            let (a, b) = if *field_first { (x, *k) } else { (*k, x) };
            match op {
                CmpOp::Lt => a < b,
                CmpOp::Le => a <= b,
                CmpOp::Gt => a > b,
                CmpOp::Ge => a >= b,
            }
        }
        Node::Eq(op, args) => test_eq(*op, args, f),
        Node::Cmp(op, args) => compare(*op, args, f),
        Node::InSet(needle, set) => test_in_set(needle, set, f),
        Node::InAudience(index) => f.env.in_audience(*index),
        Node::Lit(lit) => lit_truthy(lit),
        other => test_rare(other, f),
    }
}

/// `TextEq` over JSON data, where the "attribute" may be any value.
#[cold]
#[inline(never)]
fn text_eq_json(op: EqOp, field: Field, value: &str, f: &Frame<'_, '_>) -> bool {
    let a = prim(lookup_field(field, f).unwrap_or(Val::Null), f);
    let b = Val::Str(Text::Borrowed(value));
    let eq = match op {
        EqOp::Loose | EqOp::NotLoose => loose_eq(&a, &b),
        EqOp::Strict | EqOp::NotStrict => strict_eq(&a, &b),
    };
    eq != op.negated()
}

/// `NumCmp` over JSON data.
#[cold]
#[inline(never)]
fn num_cmp_json(op: CmpOp, field: Field, k: f64, field_first: bool, f: &Frame<'_, '_>) -> bool {
    let x = prim(lookup_field(field, f).unwrap_or(Val::Null), f);
    let k = Val::Num(k);
    let (a, b) = if field_first { (&x, &k) } else { (&k, &x) };
    match op {
        CmpOp::Lt => lt(a, b),
        CmpOp::Le => le(a, b),
        CmpOp::Gt => lt(b, a),
        CmpOp::Ge => le(b, a),
    }
}

fn lit_truthy(lit: &Lit) -> bool {
    match lit {
        Lit::Null => false,
        Lit::Bool(b) => *b,
        Lit::Num(n) => *n != 0.0 && !n.is_nan(),
        Lit::Str(s) => !s.is_empty(),
    }
}

#[inline(never)]
fn test_eq<'a>(op: EqOp, args: &'a [Node; 2], f: &Frame<'a, '_>) -> bool {
    let [a, b] = args;
    if let (Some(x), Some(y)) = (scalar_operand(a, f), scalar_operand(b, f)) {
        return match op {
            EqOp::Loose => scalar_loose_eq(x, y),
            EqOp::Strict => scalar_strict_eq(x, y),
            EqOp::NotLoose => !scalar_loose_eq(x, y),
            EqOp::NotStrict => !scalar_strict_eq(x, y),
        };
    }
    eq_values(op, a, b, f)
}

/// `test_eq` when an operand is not a scalar attribute or literal.
#[cold]
#[inline(never)]
fn eq_values<'a>(op: EqOp, a: &'a Node, b: &'a Node, f: &Frame<'a, '_>) -> bool {
    let (mut a, mut b) = (operand(a, f), operand(b, f));
    // `==` of an object and a primitive compares the object's primitive
    // form: make (and pay for) it here; two objects compare by identity.
    if matches!(op, EqOp::Loose | EqOp::NotLoose) && a.is_object_like() != b.is_object_like() {
        a = prim(a, f);
        b = prim(b, f);
    }
    match op {
        EqOp::Loose => loose_eq(&a, &b),
        EqOp::Strict => strict_eq(&a, &b),
        EqOp::NotLoose => !loose_eq(&a, &b),
        EqOp::NotStrict => !strict_eq(&a, &b),
    }
}

#[inline(never)]
fn test_in_set<'a>(needle: &'a Node, set: &ConstSet, f: &Frame<'a, '_>) -> bool {
    match scalar_operand(needle, f) {
        Some(x) => in_set(Some(x), set),
        None => in_set(operand(needle, f).as_scalar(), set),
    }
}

/// The less common operators' truthiness.
#[inline(never)]
fn test_rare<'a>(node: &'a Node, f: &Frame<'a, '_>) -> bool {
    match node {
        Node::In(args) => {
            let [needle, hay] = &**args;
            build::contains(eval(hay, f), eval(needle, f), f)
        }
        Node::If(items) => match choose(items, f) {
            Some(branch) => test(branch, f),
            None => false,
        },
        Node::Iter(op @ (IterOp::All | IterOp::Some | IterOp::None), args) => {
            build::quantify(*op, args, f)
        }
        Node::Const(v) => Val::from_json(v).truthy(),
        other => eval(other, f).truthy(),
    }
}

/// Whether an ordering satisfies `<` (`or_equal` false) or `<=`.
#[inline]
fn ordered(o: Option<Ordering>, or_equal: bool) -> bool {
    matches!(
        (o, or_equal),
        (Some(Ordering::Less), _) | (Some(Ordering::Equal), true)
    )
}

/// `<`, `<=` (with the between form), `>`, `>=`.
#[inline(never)]
fn compare<'a>(op: CmpOp, args: &'a [Node], f: &Frame<'a, '_>) -> bool {
    let or_equal = matches!(op, CmpOp::Le | CmpOp::Ge);
    match args {
        [a, b] => {
            if let (Some(x), Some(y)) = (scalar_operand(a, f), scalar_operand(b, f)) {
                let o = match op {
                    CmpOp::Lt | CmpOp::Le => scalar_compare(x, y),
                    CmpOp::Gt | CmpOp::Ge => scalar_compare(y, x),
                };
                return ordered(o, or_equal);
            }
        }
        [a, b, c] => {
            if let (Some(x), Some(y), Some(z)) = (
                scalar_operand(a, f),
                scalar_operand(b, f),
                scalar_operand(c, f),
            ) {
                return ordered(scalar_compare(x, y), or_equal)
                    && ordered(scalar_compare(y, z), or_equal);
            }
        }
        _ => {}
    }
    compare_values(op, args, f)
}

/// `compare` when an operand is not a scalar attribute or literal.
#[cold]
#[inline(never)]
fn compare_values<'a>(op: CmpOp, args: &'a [Node], f: &Frame<'a, '_>) -> bool {
    let value = |n: &'a Node| prim(operand(n, f), f);
    match (op, args) {
        (CmpOp::Lt | CmpOp::Le, [a, b, c]) => {
            let (a, b, c) = (value(a), value(b), value(c));
            // json-logic-js: `c === undefined ? a < b : a < b && b < c`.
            let two = matches!(c, Val::Undefined);
            if op == CmpOp::Lt {
                lt(&a, &b) && (two || lt(&b, &c))
            } else {
                le(&a, &b) && (two || le(&b, &c))
            }
        }
        (_, [a, b]) => {
            let (a, b) = (value(a), value(b));
            match op {
                CmpOp::Lt => lt(&a, &b),
                CmpOp::Le => le(&a, &b),
                CmpOp::Gt => lt(&b, &a),
                CmpOp::Ge => le(&b, &a),
            }
        }
        _ => false,
    }
}

/// The branch `if` takes, or `None` for no branch (`null`).
fn choose<'a>(items: &'a [Node], f: &Frame<'a, '_>) -> Option<&'a Node> {
    let mut pairs = items.chunks_exact(2);
    for pair in &mut pairs {
        if let [cond, then] = pair {
            if test(cond, f) {
                return Some(then);
            }
        }
    }
    pairs.remainder().first()
}

/// The JSONLogic value of `node`.
pub(crate) fn eval<'a>(node: &'a Node, f: &Frame<'a, '_>) -> Val<'a> {
    if !f.meter.tick() {
        return Val::Undefined;
    }
    match node {
        Node::Lit(lit) => lit_val(lit),
        Node::Const(v) => Val::from_json(v),
        Node::Var { path, default } => match lookup(path, f) {
            Some(v) => v,
            None => var_default(default.as_deref(), f),
        },
        Node::DynVar { path, default } => {
            let key = eval(path, f);
            match lookup_dynamic(&key, f) {
                Some(v) => v,
                None => var_default(default.as_deref(), f),
            }
        }
        Node::If(items) => choose(items, f).map_or(Val::Null, |n| eval(n, f)),
        // json-logic-js returns its last operand, which for no operand is
        // `undefined` (not `null`: `1 >= undefined` is false, `1 >= null` true).
        Node::And(items) => {
            let mut last = Val::Undefined;
            for item in items.iter() {
                last = eval(item, f);
                if !last.truthy() {
                    break;
                }
            }
            last
        }
        Node::Or(items) => {
            let mut last = Val::Undefined;
            for item in items.iter() {
                last = eval(item, f);
                if last.truthy() {
                    break;
                }
            }
            last
        }
        Node::Not(_)
        | Node::NotNot(_)
        | Node::Eq(..)
        | Node::TextEq { .. }
        | Node::TextIn(..)
        | Node::NumCmp { .. }
        | Node::Cmp(..)
        | Node::In(_)
        | Node::InSet(..)
        | Node::InAudience(_)
        | Node::Iter(IterOp::All | IterOp::Some | IterOp::None, _) => Val::Bool(test(node, f)),
        Node::Array(_)
        | Node::Missing(_)
        | Node::MissingSome(_)
        | Node::Arith(..)
        | Node::MinMax(..)
        | Node::Cat(_)
        | Node::Substr(_)
        | Node::Merge(_)
        | Node::Log(_)
        | Node::Iter(..)
        | Node::Reduce(_) => build::eval_rare(node, f),
        Node::HistoryCount { scope, id, window } => {
            Val::Num(f64::from(f.env.history_count(*scope, id, *window)))
        }
        Node::LocalHour => Val::Num(local_hour(f.env)),
        Node::LocalWeekday => Val::Num(local_weekday(f.env)),
    }
}

/// `var`'s default when the path is absent: `null` without one, and
/// json-logic-js turns an `undefined` default into `null` too.
fn var_default<'a>(default: Option<&'a Node>, f: &Frame<'a, '_>) -> Val<'a> {
    match default.map(|d| eval(d, f)) {
        None | Some(Val::Undefined) => Val::Null,
        Some(v) => v,
    }
}

/// `v`, or its primitive form (JS `ToPrimitive`: arrays joined with `,`,
/// objects `[object Object]`) when it is an object, paying for the join.
/// Every coercion of an object goes through here first, so no comparison
/// or arithmetic joins a large array for free.
pub(crate) fn prim<'a>(v: Val<'a>, f: &Frame<'a, '_>) -> Val<'a> {
    if !v.is_object_like() {
        return v;
    }
    let text = v.to_js_string().into_owned();
    f.meter.charge_bytes(text.len());
    Val::string(text)
}

/// `local_hour`: 0–23 on the partner's wall clock (its UTC offset at the
/// decision instant, so daylight saving time counts).
fn local_hour(env: &dyn RuleEnv) -> f64 {
    f64::from(env.now().local_hour(env.utc_offset_minutes()))
}

/// `local_weekday`: 0 (Monday) – 6 (Sunday) on the partner's wall clock.
fn local_weekday(env: &dyn RuleEnv) -> f64 {
    // 1970-01-01 was a Thursday: day 0 is weekday 3 when Monday is 0.
    let days = env
        .now()
        .local_millis(env.utc_offset_minutes())
        .div_euclid(DAY_MS);
    (days + 3).rem_euclid(7) as f64
}

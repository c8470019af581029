//! Evaluation of a compiled rule tree.
//!
//! [`test`] answers "is this node truthy?" without building values for the
//! boolean operators (`and`, `or`, `!`, comparisons, `in`), which is what
//! eligibility needs; [`eval`] produces the full JSONLogic value. Neither
//! allocates for comparisons of attributes with constants.

use super::node::{ArithOp, CmpOp, ConstSet, EqOp, IterOp, Node, VarPath};
use super::ops;
use super::value::{le, loose_eq, lt, strict_eq, Val};
use super::RuleEnv;
use crate::context::{Context, FieldValue};
use crate::time::{DAY_MS, HOUR_MS, MINUTE_MS};
use serde_json::Value;
use std::borrow::Cow;

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
}

impl<'a, 'f> Frame<'a, 'f> {
    pub(crate) fn new(root: Root<'a>, env: &'f dyn RuleEnv) -> Self {
        Frame {
            root,
            scope: Scope::Root,
            env,
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

fn field_val(ctx: &Context, field: crate::context::Field) -> Option<Val<'_>> {
    Some(match ctx.get(field)? {
        FieldValue::Text(s) => Val::Str(Cow::Borrowed(s)),
        FieldValue::Number(n) => Val::Num(n),
    })
}

/// A canonical array index (`"0"`, `"12"`, not `"01"` or `"+1"`).
fn array_index(seg: &str) -> Option<usize> {
    if seg.len() > 1 && seg.starts_with('0') {
        return None;
    }
    if !seg.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    seg.parse().ok()
}

/// One step of a property path, as JavaScript's `data[seg]` (`None` is
/// `undefined`).
fn step<'a, 's>(
    val: &Val<'a>,
    seg: &str,
    rest: &mut impl Iterator<Item = &'s str>,
) -> Option<Val<'a>> {
    match val {
        Val::Json(Value::Object(map)) => map.get(seg).map(Val::from_json),
        Val::Json(Value::Array(items)) => {
            if seg == "length" {
                return Some(Val::Num(items.len() as f64));
            }
            items.get(array_index(seg)?).map(Val::from_json)
        }
        Val::Arr(items) => {
            if seg == "length" {
                return Some(Val::Num(items.len() as f64));
            }
            items.get(array_index(seg)?).cloned()
        }
        Val::Str(s) => {
            if seg == "length" {
                return Some(Val::Num(s.encode_utf16().count() as f64));
            }
            let unit = s.encode_utf16().nth(array_index(seg)?)?;
            Some(Val::Str(Cow::Owned(String::from_utf16_lossy(&[unit]))))
        }
        Val::Context(ctx) => {
            if seg == "custom" {
                // The custom map is not a JSON value; look through it.
                return match rest.next() {
                    Some(key) => ctx.custom.get(key).map(Val::from_json),
                    None => Some(Val::Object),
                };
            }
            crate::context::Field::from_name(seg).and_then(|f| field_val(ctx, f))
        }
        Val::Null | Val::Bool(_) | Val::Num(_) | Val::Json(_) | Val::Object => None,
    }
}

/// Follows `segs` from `start`.
fn walk<'a, 's>(start: Val<'a>, segs: impl IntoIterator<Item = &'s str>) -> Option<Val<'a>> {
    let mut segs = segs.into_iter();
    let mut cur = start;
    while let Some(seg) = segs.next() {
        cur = step(&cur, seg, &mut segs)?;
    }
    Some(cur)
}

fn strs(segs: &[Box<str>]) -> impl Iterator<Item = &str> {
    segs.iter().map(|s| &**s)
}

/// Resolves a compiled `var` path (`None` is `undefined`).
fn lookup<'a>(path: &'a VarPath, f: &Frame<'a, '_>) -> Option<Val<'a>> {
    match path {
        VarPath::Whole => Some(f.data()),
        VarPath::Field(field) => match f.root {
            Root::Context(c) => field_val(c, *field),
            Root::Json(v) => walk(Val::from_json(v), [field.name()]),
        },
        VarPath::Custom(segs) => {
            let root = match f.root {
                Root::Context(c) => Val::Context(c),
                Root::Json(v) => Val::from_json(v),
            };
            walk(root, std::iter::once("custom").chain(strs(segs)))
        }
        VarPath::Path(segs) => walk(f.data(), strs(segs)),
        VarPath::Current(segs) => match f.scope {
            Scope::Reduce { current, .. } => walk(current.clone(), strs(segs)),
            _ => None,
        },
        VarPath::Accumulator(segs) => match f.scope {
            Scope::Reduce { accumulator, .. } => walk(accumulator.clone(), strs(segs)),
            _ => None,
        },
        VarPath::Undefined => None,
    }
}

/// Resolves a path computed at run time (`var` with logic, `missing`).
pub(crate) fn lookup_dynamic<'a>(key: &Val<'a>, f: &Frame<'a, '_>) -> Option<Val<'a>> {
    let key = match key {
        Val::Null => return Some(f.data()),
        other => other.to_js_string(),
    };
    if key.is_empty() {
        return Some(f.data());
    }
    let mut segs = key.split('.');
    match f.scope {
        Scope::Reduce {
            current,
            accumulator,
        } => match segs.next() {
            Some("current") => walk(current.clone(), segs),
            Some("accumulator") => walk(accumulator.clone(), segs),
            _ => None,
        },
        _ => walk(f.data(), segs),
    }
}

/// Strict membership in a constant list.
fn in_set(needle: &Val<'_>, set: &ConstSet) -> bool {
    match needle {
        Val::Str(s) => set.contains_str(s),
        Val::Num(n) => set.contains_num(*n),
        Val::Null => set.null,
        Val::Bool(true) => set.yes,
        Val::Bool(false) => set.no,
        _ => false,
    }
}

/// Truthiness of `node`'s value, computed without building boolean values.
pub(crate) fn test<'a>(node: &'a Node, f: &Frame<'a, '_>) -> bool {
    match node {
        Node::And(items) => !items.is_empty() && items.iter().all(|n| test(n, f)),
        Node::Or(items) => items.iter().any(|n| test(n, f)),
        Node::Not(inner) => !test(inner, f),
        Node::NotNot(inner) => test(inner, f),
        Node::Eq(op, args) => {
            let [a, b] = &**args;
            let (a, b) = (eval(a, f), eval(b, f));
            match op {
                EqOp::Loose => loose_eq(&a, &b),
                EqOp::Strict => strict_eq(&a, &b),
                EqOp::NotLoose => !loose_eq(&a, &b),
                EqOp::NotStrict => !strict_eq(&a, &b),
            }
        }
        Node::Cmp(op, args) => compare(*op, args, f),
        Node::InSet(needle, set) => in_set(&eval(needle, f), set),
        Node::In(args) => {
            let [needle, hay] = &**args;
            ops::contains(&eval(hay, f), &eval(needle, f))
        }
        Node::If(items) => match choose(items, f) {
            Some(branch) => test(branch, f),
            None => false,
        },
        Node::Iter(op @ (IterOp::All | IterOp::Some | IterOp::None), args) => {
            quantify(*op, args, f)
        }
        Node::InAudience(index) => f.env.in_audience(*index),
        Node::Const(v) => Val::from_json(v).truthy(),
        other => eval(other, f).truthy(),
    }
}

fn compare<'a>(op: CmpOp, args: &'a [Node], f: &Frame<'a, '_>) -> bool {
    match (op, args) {
        (CmpOp::Lt | CmpOp::Le, [a, b, c]) => {
            let (a, b, c) = (eval(a, f), eval(b, f), eval(c, f));
            if op == CmpOp::Lt {
                lt(&a, &b) && lt(&b, &c)
            } else {
                le(&a, &b) && le(&b, &c)
            }
        }
        (_, [a, b]) => {
            let (a, b) = (eval(a, f), eval(b, f));
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

/// `all`, `some`, `none`.
fn quantify<'a>(op: IterOp, args: &'a [Node; 2], f: &Frame<'a, '_>) -> bool {
    let [array, body] = args;
    let array = eval(array, f);
    let Some(items) = array.as_array() else {
        return op == IterOp::None;
    };
    if op == IterOp::All && items.len() == 0 {
        return false;
    }
    let mut hits = items
        .iter()
        .map(|item| test(body, &f.with_scope(Scope::Item(&item))));
    match op {
        IterOp::All => hits.all(|t| t),
        IterOp::Some => hits.any(|t| t),
        _ => !hits.any(|t| t),
    }
}

/// The JSONLogic value of `node`.
pub(crate) fn eval<'a>(node: &'a Node, f: &Frame<'a, '_>) -> Val<'a> {
    match node {
        Node::Const(v) => Val::from_json(v),
        Node::Array(items) => Val::Arr(items.iter().map(|n| eval(n, f)).collect()),
        Node::Var { path, default } => match lookup(path, f) {
            Some(v) => v,
            None => default.as_deref().map_or(Val::Null, |d| eval(d, f)),
        },
        Node::DynVar { path, default } => match lookup_dynamic(&eval(path, f), f) {
            Some(v) => v,
            None => default.as_deref().map_or(Val::Null, |d| eval(d, f)),
        },
        Node::Missing(args) => {
            let args: Vec<Val<'a>> = args.iter().map(|n| eval(n, f)).collect();
            Val::Arr(ops::missing(&args, f))
        }
        Node::MissingSome(args) => {
            let [need, keys] = &**args;
            ops::missing_some(&eval(need, f), &eval(keys, f), f)
        }
        Node::If(items) => choose(items, f).map_or(Val::Null, |n| eval(n, f)),
        Node::And(items) => {
            let mut last = Val::Null;
            for item in items.iter() {
                last = eval(item, f);
                if !last.truthy() {
                    break;
                }
            }
            last
        }
        Node::Or(items) => {
            let mut last = Val::Null;
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
        | Node::Cmp(..)
        | Node::In(_)
        | Node::InSet(..)
        | Node::InAudience(_)
        | Node::Iter(IterOp::All | IterOp::Some | IterOp::None, _) => Val::Bool(test(node, f)),
        Node::Arith(op, args) => arith(*op, args, f),
        Node::MinMax(max, args) => {
            let nums = args.iter().map(|n| eval(n, f).to_number());
            Val::Num(ops::min_max(*max, nums))
        }
        Node::Cat(args) => {
            let mut out = String::new();
            for arg in args.iter() {
                eval(arg, f).write_joined(&mut out);
            }
            Val::Str(Cow::Owned(out))
        }
        Node::Substr(args) => {
            let vals: Vec<Val<'a>> = args.iter().map(|n| eval(n, f)).collect();
            ops::substr(&vals)
        }
        Node::Merge(args) => {
            let mut out = Vec::new();
            for arg in args.iter() {
                let v = eval(arg, f);
                match v.as_array() {
                    Some(items) => out.extend(items.iter()),
                    None => out.push(v),
                }
            }
            Val::Arr(out)
        }
        Node::Log(inner) => eval(inner, f),
        Node::Iter(op, args) => {
            let [array, body] = &**args;
            let array = eval(array, f);
            let Some(items) = array.as_array() else {
                return Val::Arr(Vec::new());
            };
            let mut out = Vec::new();
            for item in items.iter() {
                let scoped = f.with_scope(Scope::Item(&item));
                if *op == IterOp::Map {
                    out.push(eval(body, &scoped));
                } else if test(body, &scoped) {
                    out.push(item);
                }
            }
            Val::Arr(out)
        }
        Node::Reduce(args) => {
            let [array, body, init] = &**args;
            let array = eval(array, f);
            let mut acc = eval(init, f);
            let Some(items) = array.as_array() else {
                return acc;
            };
            for item in items.iter() {
                let next = eval(
                    body,
                    &f.with_scope(Scope::Reduce {
                        current: &item,
                        accumulator: &acc,
                    }),
                );
                acc = next;
            }
            acc
        }
        Node::HistoryCount { scope, id, window } => {
            Val::Num(f64::from(f.env.history_count(*scope, id, *window)))
        }
        Node::LocalHour => {
            let local = local_millis(f.env);
            Val::Num((local.rem_euclid(DAY_MS) / HOUR_MS) as f64)
        }
        Node::LocalWeekday => {
            // 1970-01-01 was a Thursday: day 0 is weekday 3 when Monday is 0.
            let days = local_millis(f.env).div_euclid(DAY_MS);
            Val::Num((days + 3).rem_euclid(7) as f64)
        }
    }
}

/// The partner's local wall-clock time, as milliseconds since the epoch.
fn local_millis(env: &dyn RuleEnv) -> i64 {
    env.now()
        .as_millis()
        .saturating_add(i64::from(env.utc_offset_minutes()).saturating_mul(MINUTE_MS))
}

fn arith<'a>(op: ArithOp, args: &'a [Node], f: &Frame<'a, '_>) -> Val<'a> {
    let mut vals = args.iter().map(|n| eval(n, f));
    match op {
        ArithOp::Add => Val::Num(vals.map(|v| v.parse_float()).sum()),
        ArithOp::Mul => {
            // `reduce` without an initial value: one argument comes back as is.
            let Some(first) = vals.next() else {
                return Val::Null;
            };
            let mut rest = vals.peekable();
            if rest.peek().is_none() {
                return first;
            }
            Val::Num(rest.fold(first.parse_float(), |acc, v| acc * v.parse_float()))
        }
        ArithOp::Sub => match (vals.next(), vals.next()) {
            (Some(a), None) => Val::Num(-a.to_number()),
            (Some(a), Some(b)) => Val::Num(a.to_number() - b.to_number()),
            _ => Val::Num(f64::NAN),
        },
        ArithOp::Div | ArithOp::Mod => {
            let a = vals.next().map_or(f64::NAN, |v| v.to_number());
            let b = vals.next().map_or(f64::NAN, |v| v.to_number());
            Val::Num(if op == ArithOp::Div { a / b } else { a % b })
        }
    }
}

//! The operators that build strings and arrays or loop over arrays, kept
//! out of `eval` so the hot path stays small. Each charges the
//! [`Meter`](crate::rules::budget) for what it builds, scans or copies,
//! and stops the rule when a value grows past the size limits:
//! [`MAX_RULE_ARRAY_LEN`] elements, [`MAX_RULE_VALUE_BYTES`] rendered bytes,
//! [`MAX_RULE_VALUE_DEPTH`] levels of built arrays.

use super::{eval, lookup_dynamic, prim, test, Frame, Scope};
use crate::limits::{MAX_RULE_ARRAY_LEN, MAX_RULE_VALUE_BYTES, MAX_RULE_VALUE_DEPTH};
use crate::rules::node::{ArithOp, IterOp, Node};
use crate::rules::ops;
use crate::rules::value::{le, strict_eq, Built, Val};
use serde_json::Value;
use std::rc::Rc;

/// Approximate rendered bytes of data `v`, counting at most up to the value
/// limit (the walk stops there); the nodes walked are charged.
fn json_size(v: &Value, f: &Frame<'_, '_>) -> usize {
    fn walk(v: &Value, size: &mut usize, nodes: &mut usize) {
        *nodes += 1;
        *size += match v {
            Value::Null => 4,
            Value::Bool(_) => 5,
            Value::Number(_) => 8,
            Value::String(s) => s.len() + 2,
            Value::Array(_) | Value::Object(_) => 2,
        };
        if *size > MAX_RULE_VALUE_BYTES {
            return;
        }
        match v {
            Value::Array(items) => items.iter().for_each(|i| walk(i, size, nodes)),
            Value::Object(map) => map.iter().for_each(|(k, i)| {
                *size += k.len() + 3;
                walk(i, size, nodes);
            }),
            _ => {}
        }
    }
    let (mut size, mut nodes) = (0, 0);
    walk(v, &mut size, &mut nodes);
    f.meter.charge(nodes);
    size
}

/// Approximate rendered bytes of `v` as an element of a built array.
fn size_of(v: &Val<'_>, f: &Frame<'_, '_>) -> usize {
    match v {
        Val::Undefined | Val::Null => 4,
        Val::Bool(_) => 5,
        Val::Num(_) => 8,
        Val::Str(s) => s.len() + 2,
        Val::Arr(built) => built.size,
        Val::Json(data) => json_size(data, f),
        // The context is bounded by `MAX_CONTEXT_BYTES` and joins as
        // "[object Object]".
        Val::Context(_) | Val::Object => 16,
    }
}

/// An array built from `items`, charged one step per element; `undefined`
/// (with the meter stopped) when it is over the size limits. Elements are
/// shared, not copied, so nested arrays must be sized from what they hold:
/// `[acc, acc]` doubles in size each time, not in memory.
pub(super) fn array<'a>(items: Vec<Val<'a>>, f: &Frame<'a, '_>) -> Val<'a> {
    if items.len() > MAX_RULE_ARRAY_LEN || !f.meter.charge(items.len()) {
        f.meter.too_big();
        return Val::Undefined;
    }
    let (mut size, mut depth) = (2usize, 0usize);
    for item in &items {
        size = size.saturating_add(1 + size_of(item, f));
        if let Val::Arr(built) = item {
            depth = depth.max(built.depth);
        }
    }
    if size > MAX_RULE_VALUE_BYTES || depth >= MAX_RULE_VALUE_DEPTH {
        f.meter.too_big();
        return Val::Undefined;
    }
    Val::Arr(Rc::new(Built {
        items,
        size,
        depth: depth + 1,
    }))
}

/// A string built during evaluation, charged by its length; `undefined`
/// (with the meter stopped) over [`MAX_RULE_VALUE_BYTES`].
fn text<'a>(s: String, f: &Frame<'a, '_>) -> Val<'a> {
    if s.len() > MAX_RULE_VALUE_BYTES || !f.meter.charge_bytes(s.len()) {
        f.meter.too_big();
        return Val::Undefined;
    }
    Val::string(s)
}

/// The operators that build strings and arrays.
#[inline(never)]
pub(super) fn eval_rare<'a>(node: &'a Node, f: &Frame<'a, '_>) -> Val<'a> {
    match node {
        Node::Array(items) => array(items.iter().map(|n| eval(n, f)).collect(), f),
        Node::Missing(args) => {
            let args: Vec<Val<'a>> = args.iter().map(|n| eval(n, f)).collect();
            array(missing(&args, f), f)
        }
        Node::MissingSome(args) => {
            let [need, keys] = &**args;
            missing_some(eval(need, f), eval(keys, f), f)
        }
        Node::Arith(op, args) => arith(*op, args, f),
        Node::MinMax(max, args) => {
            let nums = args.iter().map(|n| prim(eval(n, f), f).to_number());
            Val::Num(ops::min_max(*max, nums))
        }
        Node::Cat(args) => {
            let mut out = String::new();
            for arg in args.iter() {
                eval(arg, f).write_joined(&mut out);
                if out.len() > MAX_RULE_VALUE_BYTES || f.meter.stopped() {
                    break;
                }
            }
            text(out, f)
        }
        Node::Substr(args) => {
            let vals: Vec<Val<'a>> = args.iter().map(|n| prim(eval(n, f), f)).collect();
            text(ops::substr(&vals), f)
        }
        Node::Merge(args) => {
            let mut out = Vec::new();
            for arg in args.iter() {
                let v = eval(arg, f);
                match v.as_array() {
                    Some(items) if out.len() + items.len() > MAX_RULE_ARRAY_LEN => {
                        f.meter.too_big();
                        return Val::Undefined;
                    }
                    Some(items) => out.extend(items.iter()),
                    None => out.push(v),
                }
            }
            array(out, f)
        }
        Node::Log(inner) => eval(inner, f),
        Node::Iter(op @ (IterOp::Map | IterOp::Filter), args) => map_filter(*op, args, f),
        Node::Reduce(args) => reduce(args, f),
        _ => eval(node, f),
    }
}

/// `all`, `some`, `none`: an empty or non-array is false, false, true.
pub(super) fn quantify<'a>(op: IterOp, args: &'a [Node; 2], f: &Frame<'a, '_>) -> bool {
    let [array, body] = args;
    let array = eval(array, f);
    let Some(items) = array.as_array() else {
        return op == IterOp::None;
    };
    if items.len() == 0 {
        return op == IterOp::None;
    }
    for item in items.iter() {
        if f.meter.stopped() {
            return false;
        }
        let hit = test(body, &f.with_scope(Scope::Item(&item)));
        match op {
            IterOp::All if !hit => return false,
            IterOp::Some if hit => return true,
            IterOp::None if hit => return false,
            _ => {}
        }
    }
    op != IterOp::Some
}

/// `map`, `filter`: a non-array gives `[]`.
fn map_filter<'a>(op: IterOp, args: &'a [Node; 2], f: &Frame<'a, '_>) -> Val<'a> {
    let [array, body] = args;
    let array = eval(array, f);
    let Some(items) = array.as_array() else {
        return self::array(Vec::new(), f);
    };
    if op == IterOp::Map && items.len() > MAX_RULE_ARRAY_LEN {
        f.meter.too_big();
        return Val::Undefined;
    }
    let mut out = Vec::new();
    for item in items.iter() {
        if f.meter.stopped() {
            return Val::Undefined;
        }
        let scoped = f.with_scope(Scope::Item(&item));
        if op == IterOp::Map {
            out.push(eval(body, &scoped));
        } else if test(body, &scoped) {
            out.push(item);
        }
    }
    self::array(out, f)
}

/// `reduce`: a non-array gives the initial value.
fn reduce<'a>(args: &'a [Node; 3], f: &Frame<'a, '_>) -> Val<'a> {
    let [array, body, init] = args;
    let array = eval(array, f);
    let mut acc = eval(init, f);
    let Some(items) = array.as_array() else {
        return acc;
    };
    for item in items.iter() {
        if f.meter.stopped() {
            return Val::Undefined;
        }
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

/// `in`: substring test when the haystack is a non-empty string (the needle
/// converted with `String(x)`), strict-equality membership when it is an
/// array, false otherwise. Scans are charged by length.
pub(super) fn contains<'a>(hay: Val<'a>, needle: Val<'a>, f: &Frame<'a, '_>) -> bool {
    match &hay {
        Val::Str(s) => {
            if s.is_empty() {
                return false;
            }
            let needle = prim(needle, f);
            f.meter.charge_bytes(s.len());
            s.contains(&*needle.to_js_string())
        }
        other => other.as_array().is_some_and(|items| {
            f.meter.charge(items.len());
            items.iter().any(|item| strict_eq(&item, &needle))
        }),
    }
}

/// Whether `missing` counts `key` as missing: json-logic-js looks it up as
/// `{"var": key}`, so an array key is `var`'s argument list (path, default),
/// and only `null` and `""` count (an absent path reads as `null`).
fn is_missing<'a>(key: &Val<'a>, f: &Frame<'a, '_>) -> bool {
    let value = match key.as_array() {
        Some(parts) => {
            let mut parts = parts.iter();
            let path = parts.next().unwrap_or(Val::Undefined);
            let default = parts.next().filter(|d| !matches!(d, Val::Undefined));
            lookup_dynamic(&path, f).or(default)
        }
        None => lookup_dynamic(key, f),
    };
    match value {
        None | Some(Val::Null) => true,
        Some(Val::Str(s)) => s.is_empty(),
        Some(_) => false,
    }
}

/// `missing`: the keys (all arguments, or the elements of a first argument
/// that is an array) whose value is absent, `null` or `""`.
fn missing<'a>(args: &[Val<'a>], f: &Frame<'a, '_>) -> Vec<Val<'a>> {
    let keys: Vec<Val<'a>> = match args.first().and_then(Val::as_array) {
        Some(items) => items.iter().collect(),
        None => args.to_vec(),
    };
    f.meter.charge(keys.len());
    keys.into_iter().filter(|key| is_missing(key, f)).collect()
}

/// `missing_some`: `[]` when at least `need` of `keys` are present, else
/// the missing ones. "Of `keys`" is json-logic-js's `options.length`: an
/// array's or string's length, an object's `length` field, else NaN.
fn missing_some<'a>(need: Val<'a>, keys: Val<'a>, f: &Frame<'a, '_>) -> Val<'a> {
    let total = match &keys {
        Val::Str(s) => s.encode_utf16().count() as f64,
        Val::Json(Value::Object(map)) => map
            .get("length")
            .map_or(f64::NAN, |v| Val::from_json(v).to_number()),
        other => other
            .as_array()
            .map_or(f64::NAN, |items| items.len() as f64),
    };
    // json-logic-js applies `{"missing": options}`: the options are
    // `missing`'s arguments, so a first option that is an array is the list.
    let absent = match keys.as_array() {
        Some(items) => missing(&items.iter().collect::<Vec<_>>(), f),
        None => missing(std::slice::from_ref(&keys), f),
    };
    let present = Val::Num(total - absent.len() as f64);
    if le(&prim(need, f), &present) {
        array(Vec::new(), f)
    } else {
        array(absent, f)
    }
}

/// `+ * - / %`: `+` and `*` coerce with `parseFloat`, the others with
/// `ToNumber`.
fn arith<'a>(op: ArithOp, args: &'a [Node], f: &Frame<'a, '_>) -> Val<'a> {
    let raw = |n: &'a Node| eval(n, f);
    let mut vals = args.iter().map(|n| prim(raw(n), f));
    match op {
        // `reduce((a, b) => parseFloat(a) + parseFloat(b), 0)`.
        ArithOp::Add => Val::Num(vals.fold(0.0, |acc, v| acc + v.parse_float())),
        ArithOp::Mul => {
            // `reduce` without an initial value: one argument comes back as
            // is (an array stays an array).
            let (Some(first), rest) = (args.first(), args.get(1..).unwrap_or_default()) else {
                return Val::Null;
            };
            let first = raw(first);
            if rest.is_empty() {
                return first;
            }
            // The running product is re-read with `parseFloat` each step,
            // which turns a -0 into 0.
            let first = prim(first, f).parse_float();
            Val::Num(rest.iter().fold(first, |acc, n| {
                Val::Num(acc).parse_float() * prim(raw(n), f).parse_float()
            }))
        }
        // `b === undefined ? -a : a - b`.
        ArithOp::Sub => match (vals.next(), vals.next()) {
            (Some(a), None | Some(Val::Undefined)) => Val::Num(-a.to_number()),
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

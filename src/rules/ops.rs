//! Operators whose JavaScript semantics take more than a line: `in`,
//! `missing`, `missing_some`, `min`/`max`, `substr`.

use super::eval::{eval, lookup_dynamic, Frame};
use super::node::{ArithOp, Node};
use super::value::{le, strict_eq, Val};
use std::borrow::Cow;

/// `in`: substring test when the haystack is a non-empty string (the needle
/// converted with `String(x)`), strict-equality membership when it is an
/// array, false otherwise.
pub(crate) fn contains(hay: &Val<'_>, needle: &Val<'_>) -> bool {
    match hay {
        Val::Str(s) => !s.is_empty() && s.contains(&*needle.to_js_string()),
        other => other
            .as_array()
            .is_some_and(|items| items.iter().any(|item| strict_eq(&item, needle))),
    }
}

/// `missing`: the keys (all arguments, or the elements of a first argument
/// that is an array) whose value is absent, `null` or `""`.
pub(crate) fn missing<'a>(args: &[Val<'a>], f: &Frame<'a, '_>) -> Vec<Val<'a>> {
    let keys: Vec<Val<'a>> = match args.first().and_then(Val::as_array) {
        Some(items) => items.iter().collect(),
        None => args.to_vec(),
    };
    keys.into_iter()
        .filter(|key| match lookup_dynamic(key, f) {
            None | Some(Val::Null) => true,
            Some(Val::Str(s)) => s.is_empty(),
            Some(_) => false,
        })
        .collect()
}

/// `missing_some`: `[]` when at least `need` of `keys` are present, else
/// the missing ones.
pub(crate) fn missing_some<'a>(need: &Val<'a>, keys: &Val<'a>, f: &Frame<'a, '_>) -> Val<'a> {
    let total = keys.as_array().map_or(1, |items| items.len());
    let absent = missing(std::slice::from_ref(keys), f);
    let present = Val::Num(total.saturating_sub(absent.len()) as f64);
    if le(need, &present) {
        Val::Arr(Vec::new())
    } else {
        Val::Arr(absent)
    }
}

/// `Math.min` / `Math.max`: NaN if any argument is NaN; ±Infinity when empty.
pub(crate) fn min_max(max: bool, nums: impl Iterator<Item = f64>) -> f64 {
    let mut acc = if max {
        f64::NEG_INFINITY
    } else {
        f64::INFINITY
    };
    for n in nums {
        if n.is_nan() {
            return f64::NAN;
        }
        if (max && n > acc) || (!max && n < acc) {
            acc = n;
        }
    }
    acc
}

/// JS `ToIntegerOrInfinity`.
fn to_integer(v: &Val<'_>) -> f64 {
    let n = v.to_number();
    if n.is_nan() {
        0.0
    } else {
        n.trunc()
    }
}

/// JS `String.prototype.substr(start, length)` over UTF-16 code units.
fn js_substr(units: &[u16], start: f64, length: Option<f64>) -> Vec<u16> {
    let size = units.len() as f64;
    let start = if start < 0.0 {
        (size + start).max(0.0)
    } else {
        start.min(size)
    };
    let length = length.unwrap_or(size).clamp(0.0, size - start);
    // Both are integral and within 0..=size here.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let (from, to) = (start as usize, (start + length) as usize);
    units.get(from..to).map(<[u16]>::to_vec).unwrap_or_default()
}

/// `substr(source, start[, end])` as json-logic-js defines it: a negative
/// `end` drops that many characters from the end (PHP style), otherwise it
/// is a length.
pub(crate) fn substr<'a>(args: &[Val<'a>]) -> Val<'a> {
    let (source, start, end) = (args.first(), args.get(1), args.get(2));
    let text = source.map_or(Cow::Borrowed("undefined"), Val::to_js_string);
    let units: Vec<u16> = text.encode_utf16().collect();
    let start = start.map_or(0.0, to_integer);
    let out = match end {
        None => js_substr(&units, start, None),
        // `end < 0` with a string end concatenates in JS (`9 + "-2"`), which
        // then reads as length 0.
        Some(Val::Str(s)) if Val::Str(s.clone()).to_number() < 0.0 => Vec::new(),
        Some(end) if end.to_number() < 0.0 => {
            let tail = js_substr(&units, start, None);
            let keep = tail.len() as f64 + to_integer(end);
            js_substr(&tail, 0.0, Some(keep))
        }
        Some(end) => js_substr(&units, start, Some(to_integer(end))),
    };
    Val::Str(Cow::Owned(String::from_utf16_lossy(&out)))
}

/// `+ * - / %`: `+` and `*` coerce with `parseFloat`, the others with
/// `ToNumber`.
pub(crate) fn arith<'a>(op: ArithOp, args: &'a [Node], f: &Frame<'a, '_>) -> Val<'a> {
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

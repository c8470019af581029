//! The runtime value of rule evaluation and JavaScript's coercions over it.
//!
//! Values borrow from the context and from the compiled rule wherever they
//! can (`Str(Cow::Borrowed)`, `Json(&Value)`), so comparing an attribute with
//! a constant allocates nothing. Semantics follow json-logic-js, i.e.
//! JavaScript: `==` is abstract equality, `===` strict, `<` the abstract
//! relational comparison, `+`/`*` use `parseFloat`, the rest `ToNumber`.

use super::jsnum::{parse_float, string_to_number, write_number};
use crate::context::Context;
use serde_json::Value;
use std::borrow::Cow;
use std::cmp::Ordering;

/// A value during evaluation.
#[derive(Debug, Clone)]
pub(crate) enum Val<'a> {
    /// JSON `null` (and JavaScript `undefined`).
    Null,
    /// A boolean.
    Bool(bool),
    /// A number (may be NaN or infinite mid-evaluation).
    Num(f64),
    /// A string.
    Str(Cow<'a, str>),
    /// A borrowed JSON array or object (never a scalar: see [`Val::from_json`]).
    Json(&'a Value),
    /// An array built during evaluation.
    Arr(Vec<Val<'a>>),
    /// The whole checkout context, as `{"var": ""}` sees it.
    Context(&'a Context),
    /// Some other object (the `{current, accumulator}` of `reduce`).
    Object,
}

impl<'a> Val<'a> {
    /// A borrowed JSON value; scalars become scalar variants.
    pub(crate) fn from_json(v: &'a Value) -> Val<'a> {
        match v {
            Value::Null => Val::Null,
            Value::Bool(b) => Val::Bool(*b),
            Value::Number(n) => Val::Num(n.as_f64().unwrap_or(f64::NAN)),
            Value::String(s) => Val::Str(Cow::Borrowed(s)),
            Value::Array(_) | Value::Object(_) => Val::Json(v),
        }
    }

    /// The elements when this is an array.
    pub(crate) fn as_array(&self) -> Option<ArrayRef<'_, 'a>> {
        match self {
            Val::Json(Value::Array(items)) => Some(ArrayRef::Json(items)),
            Val::Arr(items) => Some(ArrayRef::Owned(items)),
            _ => None,
        }
    }

    /// JSONLogic truthiness: JS truthiness except that `[]` is falsy.
    pub(crate) fn truthy(&self) -> bool {
        match self {
            Val::Null => false,
            Val::Bool(b) => *b,
            Val::Num(n) => *n != 0.0 && !n.is_nan(),
            Val::Str(s) => !s.is_empty(),
            Val::Json(Value::Array(items)) => !items.is_empty(),
            Val::Arr(items) => !items.is_empty(),
            Val::Json(_) | Val::Context(_) | Val::Object => true,
        }
    }

    fn is_object_like(&self) -> bool {
        matches!(
            self,
            Val::Json(_) | Val::Arr(_) | Val::Context(_) | Val::Object
        )
    }

    /// JS `ToPrimitive` for objects: arrays join with `,`, objects print as
    /// `[object Object]`. Primitives are returned unchanged.
    fn to_primitive(&self) -> Val<'a> {
        if self.is_object_like() {
            Val::Str(Cow::Owned(self.to_js_string().into_owned()))
        } else {
            self.clone()
        }
    }

    /// JS `ToNumber`.
    pub(crate) fn to_number(&self) -> f64 {
        match self {
            Val::Null => 0.0,
            Val::Bool(b) => f64::from(u8::from(*b)),
            Val::Num(n) => *n,
            Val::Str(s) => string_to_number(s),
            Val::Json(Value::Object(_)) | Val::Context(_) | Val::Object => f64::NAN,
            Val::Json(_) | Val::Arr(_) => string_to_number(&self.to_js_string()),
        }
    }

    /// JS `parseFloat(x)`, i.e. `parseFloat(String(x))`.
    pub(crate) fn parse_float(&self) -> f64 {
        match self {
            Val::Num(n) => *n,
            Val::Str(s) => parse_float(s),
            other => parse_float(&other.to_js_string()),
        }
    }

    /// JS `String(x)`: `null` → `"null"`, arrays joined with `,`.
    pub(crate) fn to_js_string(&self) -> Cow<'_, str> {
        match self {
            Val::Null => Cow::Borrowed("null"),
            Val::Str(s) => Cow::Borrowed(s),
            other => {
                let mut out = String::new();
                other.write_joined(&mut out);
                Cow::Owned(out)
            }
        }
    }

    /// Appends this value as `Array.prototype.join` renders an element:
    /// like `String(x)` but `null` is empty.
    pub(crate) fn write_joined(&self, out: &mut String) {
        match self {
            Val::Null => {}
            Val::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Val::Num(n) => write_number(out, *n),
            Val::Str(s) => out.push_str(s),
            Val::Json(Value::Object(_)) | Val::Context(_) | Val::Object => {
                out.push_str("[object Object]");
            }
            Val::Json(_) | Val::Arr(_) => {
                if let Some(items) = self.as_array() {
                    for (i, item) in items.iter().enumerate() {
                        if i > 0 {
                            out.push(',');
                        }
                        item.write_joined(out);
                    }
                }
            }
        }
    }

    /// The value as JSON (NaN and infinities become `null`, as
    /// `JSON.stringify` does; integral numbers become integers).
    pub(crate) fn to_json(&self) -> Value {
        match self {
            Val::Null => Value::Null,
            Val::Bool(b) => Value::Bool(*b),
            Val::Num(n) => number_to_json(*n),
            Val::Str(s) => Value::String(s.clone().into_owned()),
            Val::Json(v) => (*v).clone(),
            Val::Arr(items) => Value::Array(items.iter().map(Val::to_json).collect()),
            Val::Context(ctx) => ctx.to_value(),
            Val::Object => Value::Object(serde_json::Map::new()),
        }
    }
}

/// A JSON number for `n`, integral when exactly representable.
pub(crate) fn number_to_json(n: f64) -> Value {
    const EXACT: f64 = 9_007_199_254_740_992.0; // 2^53
    if n.fract() == 0.0 && n.abs() <= EXACT {
        // Exactly integral and within ±2^53, so the cast is lossless.
        #[allow(clippy::cast_possible_truncation)]
        return Value::from(n as i64);
    }
    serde_json::Number::from_f64(n).map_or(Value::Null, Value::Number)
}

/// Borrowed view of an array value's elements.
pub(crate) enum ArrayRef<'v, 'a> {
    /// Elements of a borrowed JSON array.
    Json(&'a [Value]),
    /// Elements of an array built during evaluation.
    Owned(&'v [Val<'a>]),
}

impl<'v, 'a> ArrayRef<'v, 'a> {
    pub(crate) fn len(&self) -> usize {
        match self {
            ArrayRef::Json(items) => items.len(),
            ArrayRef::Owned(items) => items.len(),
        }
    }

    /// The elements as values (cloned only when owned).
    pub(crate) fn iter(&self) -> impl Iterator<Item = Val<'a>> + '_ {
        let (json, owned) = match self {
            ArrayRef::Json(items) => (Some(items.iter().map(Val::from_json)), None),
            ArrayRef::Owned(items) => (None, Some(items.iter().cloned())),
        };
        json.into_iter()
            .flatten()
            .chain(owned.into_iter().flatten())
    }
}

/// Identity of two object-like values (JS compares objects by reference).
fn same_object(a: &Val<'_>, b: &Val<'_>) -> bool {
    match (a, b) {
        (Val::Json(x), Val::Json(y)) => std::ptr::eq(*x, *y),
        (Val::Context(x), Val::Context(y)) => std::ptr::eq(*x, *y),
        _ => false,
    }
}

/// JS `===`.
pub(crate) fn strict_eq(a: &Val<'_>, b: &Val<'_>) -> bool {
    match (a, b) {
        (Val::Null, Val::Null) => true,
        (Val::Bool(x), Val::Bool(y)) => x == y,
        (Val::Num(x), Val::Num(y)) => x == y,
        (Val::Str(x), Val::Str(y)) => x == y,
        _ => same_object(a, b),
    }
}

/// JS `==` (abstract equality).
pub(crate) fn loose_eq(a: &Val<'_>, b: &Val<'_>) -> bool {
    match (a, b) {
        (Val::Null, Val::Null) => true,
        (Val::Null, _) | (_, Val::Null) => false,
        (Val::Bool(_), _) | (_, Val::Bool(_)) => {
            let (x, y) = (as_number_if_bool(a), as_number_if_bool(b));
            loose_eq(&x, &y)
        }
        (Val::Num(x), Val::Num(y)) => x == y,
        (Val::Str(x), Val::Str(y)) => x == y,
        (Val::Num(x), Val::Str(s)) | (Val::Str(s), Val::Num(x)) => *x == string_to_number(s),
        (x, y) if x.is_object_like() && y.is_object_like() => same_object(x, y),
        (x, y) => loose_eq(&x.to_primitive(), &y.to_primitive()),
    }
}

fn as_number_if_bool<'a>(v: &Val<'a>) -> Val<'a> {
    match v {
        Val::Bool(b) => Val::Num(f64::from(u8::from(*b))),
        other => other.clone(),
    }
}

/// JS abstract relational comparison: strings compare by UTF-16 code units,
/// anything else numerically; `None` when a side is NaN (every comparison
/// is then false).
pub(crate) fn compare(a: &Val<'_>, b: &Val<'_>) -> Option<Ordering> {
    if let (Val::Num(x), Val::Num(y)) = (a, b) {
        return x.partial_cmp(y);
    }
    let (pa, pb) = (a.to_primitive(), b.to_primitive());
    if let (Val::Str(x), Val::Str(y)) = (&pa, &pb) {
        return Some(x.encode_utf16().cmp(y.encode_utf16()));
    }
    pa.to_number().partial_cmp(&pb.to_number())
}

/// `a < b`.
pub(crate) fn lt(a: &Val<'_>, b: &Val<'_>) -> bool {
    compare(a, b) == Some(Ordering::Less)
}

/// `a <= b`.
pub(crate) fn le(a: &Val<'_>, b: &Val<'_>) -> bool {
    matches!(compare(a, b), Some(Ordering::Less | Ordering::Equal))
}

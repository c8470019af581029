//! The runtime value of rule evaluation and JavaScript's coercions over it.
//!
//! Values borrow from the context and from the compiled rule wherever they
//! can (`Str(Text::Borrowed)`, `Json(&Value)`), so comparing an attribute
//! with a constant allocates nothing. What evaluation builds (strings,
//! arrays) is reference-counted: copying a value into a variable, an array
//! element or a `reduce` accumulator is O(1), so the evaluation budget
//! (`super::budget`) only has to charge for what is built, and an array
//! read twice is the same array, as in JavaScript.
//!
//! Semantics follow json-logic-js, i.e. JavaScript: `==` is abstract
//! equality, `===` strict, `<` the abstract relational comparison, `+`/`*`
//! use `parseFloat`, the rest `ToNumber`; `undefined` (an empty `and`/`or`)
//! is kept apart from `null` because JavaScript coerces them differently.

use super::jsnum::{json_number, parse_float, string_to_number, write_number};
use crate::context::Context;
use serde_json::Value;
use std::borrow::Cow;
use std::cmp::Ordering;
use std::ops::Deref;
use std::rc::Rc;

/// A string value: borrowed from the rule or the data, or built during
/// evaluation and shared.
#[derive(Debug, Clone)]
pub(crate) enum Text<'a> {
    /// Borrowed from the rule, the context or the JSON data.
    Borrowed(&'a str),
    /// Built by evaluation (`cat`, `substr`, a coercion).
    Shared(Rc<str>),
}

impl Deref for Text<'_> {
    type Target = str;
    fn deref(&self) -> &str {
        match self {
            Text::Borrowed(s) => s,
            Text::Shared(s) => s,
        }
    }
}

impl From<String> for Text<'_> {
    fn from(s: String) -> Self {
        Text::Shared(s.into())
    }
}

/// An array built during evaluation, with what the budget needs to know
/// about it without walking it again.
#[derive(Debug)]
pub(crate) struct Built<'a> {
    /// The elements.
    pub items: Vec<Val<'a>>,
    /// Approximate bytes of its rendered forms (JSON, `join`), elements included.
    pub size: usize,
    /// Nesting of built arrays (1 for an array of scalars or data).
    pub depth: usize,
}

/// A value during evaluation.
#[derive(Debug, Clone)]
pub(crate) enum Val<'a> {
    /// JavaScript `undefined` (an empty `and`/`or`): falsy like `null`, but
    /// `NaN` as a number, `"undefined"` as text, and not `===` to `null`.
    Undefined,
    /// JSON `null`.
    Null,
    /// A boolean.
    Bool(bool),
    /// A number (may be NaN, infinite or -0 mid-evaluation).
    Num(f64),
    /// A string.
    Str(Text<'a>),
    /// A borrowed JSON array or object (never a scalar: see [`Val::from_json`]).
    Json(&'a Value),
    /// An array built during evaluation.
    Arr(Rc<Built<'a>>),
    /// The whole checkout context, as `{"var": ""}` sees it.
    Context(&'a Context),
    /// Some other object (the `{current, accumulator}` of `reduce`, a
    /// context's `custom` map): prints as `[object Object]`, outputs `{}`.
    Object,
}

impl<'a> Val<'a> {
    /// A borrowed JSON value; scalars become scalar variants.
    #[inline]
    pub(crate) fn from_json(v: &'a Value) -> Val<'a> {
        match v {
            Value::Null => Val::Null,
            Value::Bool(b) => Val::Bool(*b),
            Value::Number(n) => Val::Num(json_number(n)),
            Value::String(s) => Val::Str(Text::Borrowed(s)),
            Value::Array(_) | Value::Object(_) => Val::Json(v),
        }
    }

    /// A string built during evaluation.
    pub(crate) fn string(s: String) -> Val<'a> {
        Val::Str(Text::from(s))
    }

    /// The elements when this is an array.
    pub(crate) fn as_array(&self) -> Option<ArrayRef<'_, 'a>> {
        match self {
            Val::Json(Value::Array(items)) => Some(ArrayRef::Json(items)),
            Val::Arr(built) => Some(ArrayRef::Owned(&built.items)),
            _ => None,
        }
    }

    /// JSONLogic truthiness: JS truthiness except that `[]` is falsy.
    pub(crate) fn truthy(&self) -> bool {
        match self {
            Val::Undefined | Val::Null => false,
            Val::Bool(b) => *b,
            Val::Num(n) => *n != 0.0 && !n.is_nan(),
            Val::Str(s) => !s.is_empty(),
            Val::Json(Value::Array(items)) => !items.is_empty(),
            Val::Arr(built) => !built.items.is_empty(),
            Val::Json(_) | Val::Context(_) | Val::Object => true,
        }
    }

    /// Whether JS would see an object (array or not) rather than a primitive.
    pub(crate) fn is_object_like(&self) -> bool {
        matches!(
            self,
            Val::Json(_) | Val::Arr(_) | Val::Context(_) | Val::Object
        )
    }

    /// JS `ToPrimitive` for objects: arrays join with `,`, objects print as
    /// `[object Object]`. Primitives are returned unchanged.
    pub(crate) fn to_primitive(&self) -> Val<'a> {
        if self.is_object_like() {
            Val::string(self.to_js_string().into_owned())
        } else {
            self.clone()
        }
    }

    /// JS `ToNumber`.
    pub(crate) fn to_number(&self) -> f64 {
        match self {
            Val::Undefined => f64::NAN,
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
            // `String(-0)` is "0": parseFloat never returns -0 for a number.
            Val::Num(n) if *n == 0.0 => 0.0,
            Val::Num(n) => *n,
            Val::Str(s) => parse_float(s),
            other => parse_float(&other.to_js_string()),
        }
    }

    /// JS `String(x)`: `null` → `"null"`, `undefined` → `"undefined"`,
    /// arrays joined with `,`.
    pub(crate) fn to_js_string(&self) -> Cow<'_, str> {
        match self {
            Val::Undefined => Cow::Borrowed("undefined"),
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
    /// like `String(x)` but `null` and `undefined` are empty.
    pub(crate) fn write_joined(&self, out: &mut String) {
        match self {
            Val::Undefined | Val::Null => {}
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
    /// `JSON.stringify` does, and so does `undefined`; integral numbers
    /// become integers).
    pub(crate) fn to_json(&self) -> Value {
        match self {
            Val::Undefined | Val::Null => Value::Null,
            Val::Bool(b) => Value::Bool(*b),
            Val::Num(n) => number_to_json(*n),
            Val::Str(s) => Value::String(s.to_string()),
            Val::Json(v) => (*v).clone(),
            Val::Arr(built) => Value::Array(built.items.iter().map(Val::to_json).collect()),
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

    /// The elements as values (cheap: borrowed, or shared when built).
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

/// A scalar value, borrowed and `Copy`: the operands of almost every
/// comparison, handled without building (and dropping) a [`Val`].
#[derive(Debug, Clone, Copy)]
pub(crate) enum Scalar<'a> {
    /// `undefined`
    Undefined,
    /// `null`
    Null,
    /// A boolean.
    Bool(bool),
    /// A number.
    Num(f64),
    /// A string.
    Str(&'a str),
}

impl Scalar<'_> {
    /// JS `ToNumber`.
    fn to_number(self) -> f64 {
        match self {
            Scalar::Undefined => f64::NAN,
            Scalar::Null => 0.0,
            Scalar::Bool(b) => f64::from(u8::from(b)),
            Scalar::Num(n) => n,
            Scalar::Str(s) => string_to_number(s),
        }
    }
}

impl<'a> Val<'a> {
    /// The value as a scalar, unless it is an array or object.
    #[inline]
    pub(crate) fn as_scalar(&self) -> Option<Scalar<'_>> {
        Some(match self {
            Val::Undefined => Scalar::Undefined,
            Val::Null => Scalar::Null,
            Val::Bool(b) => Scalar::Bool(*b),
            Val::Num(n) => Scalar::Num(*n),
            Val::Str(s) => Scalar::Str(s),
            Val::Json(_) | Val::Arr(_) | Val::Context(_) | Val::Object => return None,
        })
    }
}

/// JS `===` on scalars.
#[inline]
pub(crate) fn scalar_strict_eq(a: Scalar<'_>, b: Scalar<'_>) -> bool {
    match (a, b) {
        (Scalar::Undefined, Scalar::Undefined) | (Scalar::Null, Scalar::Null) => true,
        (Scalar::Bool(x), Scalar::Bool(y)) => x == y,
        (Scalar::Num(x), Scalar::Num(y)) => x == y,
        (Scalar::Str(x), Scalar::Str(y)) => x == y,
        _ => false,
    }
}

/// JS `==` on scalars: `null` and `undefined` equal each other only;
/// booleans compare as numbers; a number and a string compare numerically.
#[inline]
pub(crate) fn scalar_loose_eq(a: Scalar<'_>, b: Scalar<'_>) -> bool {
    let nullish = |s: Scalar<'_>| matches!(s, Scalar::Null | Scalar::Undefined);
    match (a, b) {
        (Scalar::Str(x), Scalar::Str(y)) => x == y,
        (x, y) if nullish(x) || nullish(y) => nullish(x) && nullish(y),
        (Scalar::Bool(x), Scalar::Bool(y)) => x == y,
        (x, y) => x.to_number() == y.to_number(),
    }
}

/// JS abstract relational comparison on scalars: two strings compare by
/// UTF-16 code units, anything else numerically; `None` when NaN is involved.
#[inline]
pub(crate) fn scalar_compare(a: Scalar<'_>, b: Scalar<'_>) -> Option<Ordering> {
    match (a, b) {
        (Scalar::Num(x), Scalar::Num(y)) => x.partial_cmp(&y),
        (Scalar::Str(x), Scalar::Str(y)) => Some(x.encode_utf16().cmp(y.encode_utf16())),
        (x, y) => x.to_number().partial_cmp(&y.to_number()),
    }
}

/// Identity of two object-like values (JS compares objects by reference):
/// the same data node, or the same built array.
fn same_object(a: &Val<'_>, b: &Val<'_>) -> bool {
    match (a, b) {
        (Val::Json(x), Val::Json(y)) => std::ptr::eq(*x, *y),
        (Val::Arr(x), Val::Arr(y)) => Rc::ptr_eq(x, y),
        (Val::Context(x), Val::Context(y)) => std::ptr::eq(*x, *y),
        _ => false,
    }
}

/// JS `===`.
pub(crate) fn strict_eq(a: &Val<'_>, b: &Val<'_>) -> bool {
    match (a.as_scalar(), b.as_scalar()) {
        (Some(x), Some(y)) => scalar_strict_eq(x, y),
        _ => same_object(a, b),
    }
}

/// JS `==` (abstract equality). An object against a primitive compares its
/// primitive form (`[1] == 1`, `[] == ""`, but never equals `null`); two
/// objects compare by identity.
pub(crate) fn loose_eq(a: &Val<'_>, b: &Val<'_>) -> bool {
    match (a.as_scalar(), b.as_scalar()) {
        (Some(x), Some(y)) => scalar_loose_eq(x, y),
        (None, None) => same_object(a, b),
        _ => {
            let (pa, pb) = (a.to_primitive(), b.to_primitive());
            match (pa.as_scalar(), pb.as_scalar()) {
                (Some(x), Some(y)) => scalar_loose_eq(x, y),
                _ => false,
            }
        }
    }
}

/// JS abstract relational comparison (see [`scalar_compare`]); objects
/// compare by their primitive form.
pub(crate) fn compare(a: &Val<'_>, b: &Val<'_>) -> Option<Ordering> {
    if let (Some(x), Some(y)) = (a.as_scalar(), b.as_scalar()) {
        return scalar_compare(x, y);
    }
    let (pa, pb) = (a.to_primitive(), b.to_primitive());
    match (pa.as_scalar(), pb.as_scalar()) {
        (Some(x), Some(y)) => scalar_compare(x, y),
        _ => None,
    }
}

/// `a < b`.
pub(crate) fn lt(a: &Val<'_>, b: &Val<'_>) -> bool {
    compare(a, b) == Some(Ordering::Less)
}

/// `a <= b`.
pub(crate) fn le(a: &Val<'_>, b: &Val<'_>) -> bool {
    matches!(compare(a, b), Some(Ordering::Less | Ordering::Equal))
}

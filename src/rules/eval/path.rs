//! `var` paths: reading attributes, custom attributes and dotted paths,
//! with JavaScript's `data[key]` semantics (`None` is `undefined`).

use super::{Frame, Root, Scope};
use crate::context::{Context, Field, FieldValue};
use crate::rules::node::VarPath;
use crate::rules::value::{Text, Val};
use serde_json::Value;

#[inline]
pub(super) fn field_val(ctx: &Context, field: Field) -> Option<Val<'_>> {
    Some(match ctx.get(field)? {
        FieldValue::Text(s) => Val::Str(Text::Borrowed(s)),
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
        Val::Arr(built) => {
            if seg == "length" {
                return Some(Val::Num(built.items.len() as f64));
            }
            built.items.get(array_index(seg)?).cloned()
        }
        Val::Str(s) => {
            if seg == "length" {
                return Some(Val::Num(s.encode_utf16().count() as f64));
            }
            let unit = s.encode_utf16().nth(array_index(seg)?)?;
            Some(Val::string(String::from_utf16_lossy(&[unit])))
        }
        Val::Context(ctx) => {
            if seg == "custom" {
                // The custom map is not a JSON value; look through it.
                return match rest.next() {
                    Some(key) => ctx.custom.get(key).map(Val::from_json),
                    None => Some(Val::Object),
                };
            }
            Field::from_name(seg).and_then(|f| field_val(ctx, f))
        }
        Val::Undefined | Val::Null | Val::Bool(_) | Val::Num(_) | Val::Json(_) | Val::Object => {
            None
        }
    }
}

/// Follows `segs` from `start`. Like json-logic-js, a step that finds
/// `undefined` (an element of a built array) is "absent" too.
fn walk<'a, 's>(start: Val<'a>, segs: impl IntoIterator<Item = &'s str>) -> Option<Val<'a>> {
    let mut segs = segs.into_iter();
    let mut cur = start;
    while let Some(seg) = segs.next() {
        cur = step(&cur, seg, &mut segs)?;
        if matches!(cur, Val::Undefined) {
            return None;
        }
    }
    Some(cur)
}

/// `current` or `accumulator` of a `reduce`, then `segs`: the first step
/// from json-logic-js's `{current, accumulator}` object.
fn walk_reduce<'a, 's>(
    value: &Val<'a>,
    segs: impl IntoIterator<Item = &'s str>,
) -> Option<Val<'a>> {
    match value {
        Val::Undefined => None,
        v => walk(v.clone(), segs),
    }
}

fn strs(segs: &[Box<str>]) -> impl Iterator<Item = &str> {
    segs.iter().map(|s| &**s)
}

/// Resolves a compiled `var` path (`None` is `undefined`).
pub(super) fn lookup<'a>(path: &'a VarPath, f: &Frame<'a, '_>) -> Option<Val<'a>> {
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
            Scope::Reduce { current, .. } => walk_reduce(current, strs(segs)),
            _ => None,
        },
        VarPath::Accumulator(segs) => match f.scope {
            Scope::Reduce { accumulator, .. } => walk_reduce(accumulator, strs(segs)),
            _ => None,
        },
        VarPath::Undefined => None,
    }
}

/// Resolves a path computed at run time (`var` with logic, `missing`):
/// `null`, `undefined` and `""` are the data itself; anything else is read
/// as `String(key)` split at dots (so `[]`, whose text is `""`, reads the
/// key `""`, as in json-logic-js).
pub(crate) fn lookup_dynamic<'a>(key: &Val<'a>, f: &Frame<'a, '_>) -> Option<Val<'a>> {
    let key = match key {
        Val::Undefined | Val::Null => return Some(f.data()),
        Val::Str(s) if s.is_empty() => return Some(f.data()),
        other => other.to_js_string(),
    };
    f.meter.charge_bytes(key.len());
    let mut segs = key.split('.');
    match f.scope {
        Scope::Reduce {
            current,
            accumulator,
        } => match segs.next() {
            Some("current") => walk_reduce(current, segs),
            Some("accumulator") => walk_reduce(accumulator, segs),
            _ => None,
        },
        _ => walk(f.data(), segs),
    }
}

/// An attribute read from whatever the root is.
pub(super) fn lookup_field<'a>(field: Field, f: &Frame<'a, '_>) -> Option<Val<'a>> {
    match f.root {
        Root::Context(c) => field_val(c, field),
        Root::Json(v) => walk(Val::from_json(v), [field.name()]),
    }
}

//! Reading a [`Context`] from JSON: an unknown attribute is ignored and an
//! attribute of the wrong type or out of range is dropped, each with a
//! warning (never guessed, never the whole context refused); only what
//! protects the engine refuses a context (see [`super`]).

use super::de::ContextSeed;
use super::money::{check_amount, parse_money};
use super::warning::ContextWarningCode;
use super::{Context, Field};
use crate::error::{Error, ErrorCode, Result};
use crate::limits::{MAX_CONTEXT_BYTES, MAX_CUSTOM_ATTRIBUTES, MAX_ID_LEN, MAX_JSON_DEPTH};
use crate::rules::jsnum::{number_to_string, string_to_number};
use serde::de::DeserializeSeed;
use serde_json::{Map, Value};
use std::cell::RefCell;

/// Oldest age a context may state; anything above is a form error.
const MAX_AGE: f64 = 150.0;

fn invalid(message: impl Into<String>) -> Error {
    Error::new(ErrorCode::ContextInvalid, message)
}

pub(super) fn from_json(bytes: &[u8]) -> Result<Context> {
    if bytes.len() > MAX_CONTEXT_BYTES {
        return Err(Error::new(
            ErrorCode::LimitExceeded,
            format!(
                "context is {} bytes, the limit is {MAX_CONTEXT_BYTES}",
                bytes.len()
            ),
        ));
    }
    let failed = RefCell::new(None);
    let mut reader = serde_json::Deserializer::from_slice(bytes);
    let read = ContextSeed { failed: &failed }
        .deserialize(&mut reader)
        .and_then(|ctx| reader.end().map(|()| ctx));
    read.map_err(|e| {
        failed
            .into_inner()
            .unwrap_or_else(|| invalid(format!("context is not valid JSON: {e}")))
    })
}

/// Nesting depth of a JSON value (a scalar is 0, `{}` is 1).
pub(crate) fn json_depth(value: &Value) -> usize {
    match value {
        Value::Array(items) => 1 + items.iter().map(json_depth).max().unwrap_or(0),
        Value::Object(map) => 1 + map.values().map(json_depth).max().unwrap_or(0),
        _ => 0,
    }
}

pub(super) fn from_value(value: &Value) -> Result<Context> {
    let Value::Object(map) = value else {
        return Err(invalid("context must be a JSON object"));
    };
    if json_depth(value) > MAX_JSON_DEPTH {
        return Err(too_deep());
    }
    let mut ctx = Context::default();
    for (key, v) in map {
        if key == "custom" {
            read_custom(&mut ctx, v)?;
            continue;
        }
        match Field::from_name(key) {
            Some(field) => apply_or_drop(&mut ctx, field, Raw::of(v)),
            None => unknown(&mut ctx, key),
        }
    }
    Ok(ctx)
}

/// One attribute's JSON value as the checks see it, borrowed.
#[derive(Debug, Clone, Copy)]
pub(super) enum Raw<'a> {
    /// `null`: the attribute is absent.
    Null,
    /// A string.
    Text(&'a str),
    /// A number.
    Number(f64),
    /// Anything else, described for the error message.
    Other(&'static str),
}

impl<'a> Raw<'a> {
    pub(super) fn of(v: &'a Value) -> Self {
        match v {
            Value::Null => Raw::Null,
            Value::String(s) => Raw::Text(s),
            // Always `Some` without serde_json's arbitrary precision.
            Value::Number(n) => n.as_f64().map_or(Raw::Other("a number"), Raw::Number),
            Value::Bool(_) => Raw::Other("a boolean"),
            Value::Array(_) => Raw::Other("an array"),
            Value::Object(_) => Raw::Other("an object"),
        }
    }
}

impl std::fmt::Display for Raw<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Raw::Null => f.write_str("null"),
            // Not `{s:?}`: Debug escaping would pull Unicode tables into
            // the WebAssembly build for an error message.
            Raw::Text(s) => write!(f, "\"{s}\""),
            Raw::Number(n) => write!(f, "{n}"),
            Raw::Other(what) => f.write_str(what),
        }
    }
}

/// The context (custom attributes included) nests deeper than the limit.
pub(super) fn too_deep() -> Error {
    Error::new(
        ErrorCode::LimitExceeded,
        format!("context nests deeper than {MAX_JSON_DEPTH} levels"),
    )
}

/// Top-level attribute `key` is not one the engine knows: ignored, noted.
pub(super) fn unknown(ctx: &mut Context, key: &str) {
    ctx.warnings.push(
        ContextWarningCode::AttributeUnknown,
        key,
        "unknown attribute, ignored (partner-specific attributes go under \"custom\")",
    );
}

/// Sets attribute `field` from `v`, or, when `v` fails its check, leaves
/// the attribute absent and notes why.
pub(super) fn apply_or_drop(ctx: &mut Context, field: Field, v: Raw<'_>) {
    if let Err(e) = apply(ctx, field, v) {
        // A repeated name's earlier value does not survive a bad later one.
        let _ = apply(ctx, field, Raw::Null);
        ctx.warnings.push(
            ContextWarningCode::AttributeInvalid,
            field.name(),
            e.message(),
        );
    }
}

/// Sets attribute `field` of `ctx` from `v`, checked (`null` clears it).
pub(super) fn apply(ctx: &mut Context, field: Field, v: Raw<'_>) -> Result<()> {
    match field {
        Field::Amount => ctx.amount = read_money(field, v)?,
        Field::Quantity => {
            ctx.quantity = read_integer(field, v, f64::from(u32::MAX))?
                .map(|n| u32::try_from(n).unwrap_or(u32::MAX));
        }
        Field::Age => {
            ctx.age = read_integer(field, v, MAX_AGE)?.map(|n| u8::try_from(n).unwrap_or(u8::MAX));
        }
        _ => {
            let text = read_text(field, v)?;
            let text = match (field, text) {
                (Field::Dob, Some(t)) => Some(check_dob(t)?),
                (Field::EmailSha256, Some(t)) => Some(check_sha256(t)?),
                (_, t) => t,
            };
            if let Some(slot) = ctx.text_mut(field) {
                *slot = text;
            }
        }
    }
    Ok(())
}

/// Sets `ctx.custom` from `v`: a custom attribute with an unusable name
/// is dropped with a warning, a `custom` that is no object too.
///
/// # Errors
/// `LIMIT_EXCEEDED` past [`MAX_CUSTOM_ATTRIBUTES`]: a bound on the
/// engine's work, not one attribute's mistake.
pub(super) fn read_custom(ctx: &mut Context, v: &Value) -> Result<()> {
    ctx.custom.clear();
    let map: &Map<String, Value> = match v {
        Value::Null => return Ok(()),
        Value::Object(map) => map,
        _ => {
            ctx.warnings.push(
                ContextWarningCode::AttributeInvalid,
                "custom",
                "\"custom\" must be an object",
            );
            return Ok(());
        }
    };
    if map.len() > MAX_CUSTOM_ATTRIBUTES {
        return Err(Error::new(
            ErrorCode::LimitExceeded,
            format!(
                "{} custom attributes, the limit is {MAX_CUSTOM_ATTRIBUTES}",
                map.len()
            ),
        ));
    }
    // Rules address custom attributes as `custom.<name>`, split on dots.
    let usable = |key: &String| !key.is_empty() && key.len() <= MAX_ID_LEN && !key.contains('.');
    for key in map.keys().filter(|k| !usable(k)) {
        ctx.warnings.push(
            ContextWarningCode::AttributeInvalid,
            &format!("custom.{key}"),
            &format!("custom attribute names are 1–{MAX_ID_LEN} bytes without '.'"),
        );
    }
    ctx.custom = copy_members(map.iter().filter(|(k, _)| usable(k)));
    Ok(())
}

/// Members into a new map by `insert`, not `collect`: `BTreeMap`'s
/// `FromIterator` sorts first, an instantiation of the slice sort (3 KB of
/// WebAssembly) for input that is already in key order.
fn copy_members<'a, M: Default + Extend<(String, Value)>>(
    members: impl Iterator<Item = (&'a String, &'a Value)>,
) -> M {
    let mut out = M::default();
    for (k, v) in members {
        out.extend(std::iter::once((k.clone(), v.clone())));
    }
    out
}

/// A text attribute: a string, or a number written as JavaScript would.
fn read_text(field: Field, v: Raw<'_>) -> Result<Option<String>> {
    match v {
        Raw::Null => Ok(None),
        Raw::Text(s) if s.trim().is_empty() => Ok(None),
        Raw::Text(s) => Ok(Some(s.to_owned())),
        Raw::Number(n) => Ok(Some(number_to_string(n))),
        Raw::Other(_) => Err(invalid(format!("{field} must be a string"))),
    }
}

/// A money attribute: a JSON number, or text by the money rules
/// ([`super::money`]); an empty string means absent.
fn read_money(field: Field, v: Raw<'_>) -> Result<Option<f64>> {
    let read = match v {
        Raw::Null => return Ok(None),
        Raw::Text(s) if s.trim().is_empty() => return Ok(None),
        Raw::Number(n) => check_amount(n),
        Raw::Text(s) => parse_money(s),
        Raw::Other(what) => return Err(invalid(format!("{field} must be a number, got {what}"))),
    };
    read.map(Some)
        .map_err(|why| invalid(format!("{field} {why}")))
}

/// A numeric attribute: a JSON number or a numeric string (`"49.99"`); an
/// empty string means absent.
fn read_number(field: Field, v: Raw<'_>) -> Result<Option<f64>> {
    let n = match v {
        Raw::Null => return Ok(None),
        Raw::Number(n) => Some(n),
        Raw::Text(s) if s.trim().is_empty() => return Ok(None),
        Raw::Text(s) => Some(string_to_number(s)),
        Raw::Other(_) => None,
    };
    match n {
        Some(n) if n.is_finite() => Ok(Some(n)),
        _ => Err(invalid(format!("{field} must be a number, got {v}"))),
    }
}

fn read_integer(field: Field, v: Raw<'_>, max: f64) -> Result<Option<u64>> {
    let Some(n) = read_number(field, v)? else {
        return Ok(None);
    };
    if n.fract() != 0.0 || !(0.0..=max).contains(&n) {
        return Err(invalid(format!(
            "{field} must be a whole number from 0 to {max}, got {v}"
        )));
    }
    // In range and integral, so the cast is exact.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    Ok(Some(n as u64))
}

/// `YYYY-MM-DD`, a real calendar date.
fn check_dob(text: String) -> Result<String> {
    let t = text.trim();
    let ok =
        t.len() == 10 && crate::time::Timestamp::parse_rfc3339(&format!("{t}T00:00:00Z")).is_ok();
    if ok {
        Ok(t.to_owned())
    } else {
        // The value is not repeated: a date of birth is personal data, and
        // the reason travels in the decision's warnings.
        Err(invalid("dob must be a real date like 1990-04-30"))
    }
}

/// 64 hex digits (case-insensitive).
fn check_sha256(text: String) -> Result<String> {
    let t = text.trim();
    if t.len() == 64 && t.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(t.to_owned())
    } else {
        Err(invalid("emailsha256 must be 64 hex digits"))
    }
}

pub(super) fn to_value(ctx: &Context) -> Value {
    let mut map = Map::new();
    for field in Field::ALL {
        let v = match field {
            Field::Amount => ctx
                .amount
                .and_then(serde_json::Number::from_f64)
                .map(Value::Number),
            Field::Quantity => ctx.quantity.map(Value::from),
            Field::Age => ctx.age.map(Value::from),
            _ => ctx.text(field).map(Value::from),
        };
        if let Some(v) = v {
            map.insert(field.name().to_owned(), v);
        }
    }
    if !ctx.custom.is_empty() {
        let custom: Map<String, Value> = copy_members(ctx.custom.iter());
        map.insert("custom".to_owned(), Value::Object(custom));
    }
    Value::Object(map)
}

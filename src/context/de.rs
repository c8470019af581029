//! Reading a [`Context`] straight from JSON text: each attribute is checked
//! as it is read, names matched and strings borrowed without allocating,
//! with no object tree in between. This is the path a page's context takes
//! through the WebAssembly binding on every decision, and
//! [`Context::from_json`]'s.
//!
//! Same checks as [`Context::from_value`] (the tree path fixtures use): an
//! attribute that fails its check becomes a warning, and an unknown one is
//! skipped unread but measured, so the depth limit holds on both paths. A
//! check that refuses the whole context (a limit) is kept whole (code and
//! message) beside the reader, so a `LIMIT_EXCEEDED` stays one and messages
//! carry no reader position.

use super::parse::{apply_or_drop, json_depth, read_custom, too_deep, unknown, Raw};
use super::{Context, Field};
use crate::error::Error;
use crate::limits::MAX_JSON_DEPTH;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use std::borrow::Cow;
use std::cell::RefCell;
use std::fmt;

/// Reads one context, keeping the first failed check in `failed`.
pub(super) struct ContextSeed<'a> {
    pub(super) failed: &'a RefCell<Option<Error>>,
}

impl<'de> DeserializeSeed<'de> for ContextSeed<'_> {
    type Value = Context;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Context, D::Error> {
        d.deserialize_map(self)
    }
}

/// A context embedded in a caller's own document (same checks; a failed
/// check surfaces as the reader's error, carrying the check's message).
impl<'de> Deserialize<'de> for Context {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let failed = RefCell::new(None);
        ContextSeed { failed: &failed }.deserialize(d)
    }
}

impl<'de> Visitor<'de> for ContextSeed<'_> {
    type Value = Context;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("context must be a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Context, A::Error> {
        let fail = |e: Error| {
            let message = de::Error::custom(e.message());
            *self.failed.borrow_mut() = Some(e);
            message
        };
        let mut ctx = Context::default();
        while let Some(key) = map.next_key::<Key>()? {
            match key {
                Key::Field(field) => {
                    let value: Scalar<'_> = map.next_value()?;
                    // The context object itself is one level.
                    if 1 + value.depth() > MAX_JSON_DEPTH {
                        return Err(fail(too_deep()));
                    }
                    apply_or_drop(&mut ctx, field, value.raw());
                }
                Key::Custom => {
                    // Custom attributes are free-form JSON: a tree is the
                    // honest type, and most contexts have none.
                    let value: serde_json::Value = map.next_value()?;
                    // The context object itself is one level.
                    if 1 + json_depth(&value) > MAX_JSON_DEPTH {
                        return Err(fail(too_deep()));
                    }
                    read_custom(&mut ctx, &value).map_err(fail)?;
                }
                Key::Unknown(name) => {
                    // Skipped unread, its depth measured as the tree path
                    // measures it.
                    let value: Scalar<'_> = map.next_value()?;
                    if 1 + value.depth() > MAX_JSON_DEPTH {
                        return Err(fail(too_deep()));
                    }
                    unknown(&mut ctx, &name);
                }
            }
        }
        Ok(ctx)
    }
}

/// A top-level attribute name, matched without allocating.
enum Key {
    Field(Field),
    Custom,
    Unknown(String),
}

impl<'de> Deserialize<'de> for Key {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl Visitor<'_> for KeyVisitor {
            type Value = Key;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an attribute name")
            }
            fn visit_str<E: de::Error>(self, name: &str) -> Result<Key, E> {
                Ok(match Field::from_name(name) {
                    Some(field) => Key::Field(field),
                    None if name == "custom" => Key::Custom,
                    None => Key::Unknown(name.to_owned()),
                })
            }
        }
        d.deserialize_str(KeyVisitor)
    }
}

/// An attribute's value as read: strings borrowed from the text when they
/// have no escapes (the usual case), arrays and objects skipped unread but
/// measured (the attribute's check refuses them by kind; the depth limit
/// holds as on the tree path).
enum Scalar<'de> {
    Null,
    Text(Cow<'de, str>),
    Number(f64),
    /// What it is, for the message, and its nesting depth.
    Other(&'static str, usize),
}

/// The depth of a skipped array (its elements read as [`Scalar`]s: one
/// reader for every value, not a second instantiation of serde_json's).
fn seq_depth<'de, A: SeqAccess<'de>>(mut seq: A) -> Result<usize, A::Error> {
    let mut deepest = 0;
    while let Some(item) = seq.next_element::<Scalar<'de>>()? {
        deepest = deepest.max(item.depth());
    }
    Ok(1 + deepest)
}

/// The depth of a skipped object, as [`seq_depth`].
fn map_depth<'de, A: MapAccess<'de>>(mut map: A) -> Result<usize, A::Error> {
    let mut deepest = 0;
    while let Some((IgnoredAny, item)) = map.next_entry::<IgnoredAny, Scalar<'de>>()? {
        deepest = deepest.max(item.depth());
    }
    Ok(1 + deepest)
}

impl Scalar<'_> {
    /// Nesting depth (a scalar is 0, `[]` is 1).
    fn depth(&self) -> usize {
        match self {
            Scalar::Other(_, depth) => *depth,
            _ => 0,
        }
    }

    fn raw(&self) -> Raw<'_> {
        match self {
            Scalar::Null => Raw::Null,
            Scalar::Text(s) => Raw::Text(s),
            Scalar::Number(n) => Raw::Number(*n),
            Scalar::Other(what, _) => Raw::Other(what),
        }
    }
}

impl<'de> Deserialize<'de> for Scalar<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ScalarVisitor)
    }
}

struct ScalarVisitor;

impl<'de> Visitor<'de> for ScalarVisitor {
    type Value = Scalar<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_unit<E: de::Error>(self) -> Result<Scalar<'de>, E> {
        Ok(Scalar::Null)
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Scalar<'de>, E> {
        Ok(Scalar::Other("a boolean", 0))
    }
    // JSON numbers: every integer and float reads as its f64, as
    // serde_json's `Value::as_f64` gives on the tree path.
    #[allow(clippy::cast_precision_loss)]
    fn visit_i64<E: de::Error>(self, n: i64) -> Result<Scalar<'de>, E> {
        Ok(Scalar::Number(n as f64))
    }
    #[allow(clippy::cast_precision_loss)]
    fn visit_u64<E: de::Error>(self, n: u64) -> Result<Scalar<'de>, E> {
        Ok(Scalar::Number(n as f64))
    }
    fn visit_f64<E: de::Error>(self, n: f64) -> Result<Scalar<'de>, E> {
        Ok(Scalar::Number(n))
    }
    fn visit_borrowed_str<E: de::Error>(self, s: &'de str) -> Result<Scalar<'de>, E> {
        Ok(Scalar::Text(Cow::Borrowed(s)))
    }
    fn visit_str<E: de::Error>(self, s: &str) -> Result<Scalar<'de>, E> {
        Ok(Scalar::Text(Cow::Owned(s.to_owned())))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Scalar<'de>, A::Error> {
        Ok(Scalar::Other("an array", seq_depth(seq)?))
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Scalar<'de>, A::Error> {
        Ok(Scalar::Other("an object", map_depth(map)?))
    }
}

#[cfg(test)]
mod tests {
    use crate::context::Context;
    use crate::error::ErrorCode;

    /// The streaming reader (`from_json`, the binding's path) and the tree
    /// reader (`from_value`, fixtures' path) agree, errors included.
    #[test]
    fn reads_like_the_tree_path() {
        let valid: [&[u8]; 6] = [
            br#"{"firstname":"Ada","state":" ca","amount":"64.50","age":34,"quantity":2,
                "email":"Ada@Example.com","device":null,"custom":{"segment":"vip","n":[1,{"a":2}]}}"#,
            br#"{"amount":12.5,"zipcode":94107,"language":"","dob":"1990-04-30"}"#,
            br#"{"firstname":"A\u00efda \"quoted\"","emailsha256":"2B2C3AD0BB4BD1A0A6AB3D6AC9E8B3AD3BC0FA46E9B1AD5C4DF0C0CB4A1B7B1E"}"#,
            br#"{"quantity":"3","age":null,"amount":"","custom":null}"#,
            br#"{"amount":18446744073709551615,"quantity":3e0,"age":-0}"#,
            b"{}",
        ];
        for json in valid {
            let tree: serde_json::Value = serde_json::from_slice(json).unwrap();
            assert_eq!(
                Context::from_json(json).unwrap(),
                Context::from_value(&tree).unwrap()
            );
        }
        // Dropped attributes: both paths keep the rest and warn alike.
        let dropped: [&[u8]; 12] = [
            br#"{"nickname":"x","state":"CA"}"#,
            br#"{"amount":"abc"}"#,
            br#"{"amount":-1}"#,
            br#"{"amount":"$1,234.50","zip":{"a":[1]}}"#,
            br#"{"age":151}"#,
            br#"{"quantity":1.5}"#,
            br#"{"firstname":true}"#,
            br#"{"state":["CA","NY"]}"#,
            br#"{"city":{"name":"x"}}"#,
            br#"{"dob":"1990-02-30"}"#,
            br#"{"custom":{"a.b":1,"ok":2}}"#,
            br#"{"custom":[1]}"#,
        ];
        for json in dropped {
            let tree: serde_json::Value = serde_json::from_slice(json).unwrap();
            let streamed = Context::from_json(json).unwrap();
            assert!(!streamed.warnings.is_empty());
            assert_eq!(streamed, Context::from_value(&tree).unwrap());
        }
        let deep = format!(
            r#"{{"custom":{{"a":{}1{}}}}}"#,
            "[".repeat(40),
            "]".repeat(40)
        );
        let unknown_deep = format!(r#"{{"zip":{}1{}}}"#, "[".repeat(40), "]".repeat(40));
        let invalid: [(&[u8], ErrorCode); 2] = [
            (deep.as_bytes(), ErrorCode::LimitExceeded),
            (unknown_deep.as_bytes(), ErrorCode::LimitExceeded),
        ];
        for (json, code) in invalid {
            let tree: serde_json::Value = serde_json::from_slice(json).unwrap();
            let from_tree = Context::from_value(&tree).unwrap_err();
            let streamed = Context::from_json(json).unwrap_err();
            // The check speaks, whole: same code and words.
            assert_eq!(streamed.code(), code, "{streamed}");
            assert_eq!(streamed.message(), from_tree.message());
        }
        for malformed in [
            &b"[1]"[..],
            b"{\"state\":\"CA\"",
            b"{} {}",
            b"{\"state\":\"CA\",}",
        ] {
            let err = Context::from_json(malformed).unwrap_err();
            assert_eq!(err.code(), ErrorCode::ContextInvalid, "{err}");
        }
    }
}

//! `Deserialize` for [`Context`] straight from the JSON reader: each
//! attribute is checked as it is read, names matched without allocating,
//! with no object tree in between. This is the path a JS object takes
//! through the WebAssembly binding on every decision.
//!
//! Same checks as [`Context::from_value`]; errors surface as the reader's
//! error carrying the same message.

use super::parse::{apply, json_depth, read_custom, too_deep, unknown, Raw};
use super::{Context, Field};
use crate::limits::MAX_JSON_DEPTH;
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::Deserialize;
use std::fmt;

impl<'de> Deserialize<'de> for Context {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(ContextVisitor)
    }
}

struct ContextVisitor;

impl<'de> Visitor<'de> for ContextVisitor {
    type Value = Context;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("context must be a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Context, A::Error> {
        let fail = |e: crate::error::Error| de::Error::custom(e.message());
        let mut ctx = Context::default();
        while let Some(key) = map.next_key::<Key>()? {
            match key {
                Key::Field(field) => {
                    // Read as a `Value`: the module already carries that
                    // reader, and a scalar costs one allocation at most.
                    let value: serde_json::Value = map.next_value()?;
                    apply(&mut ctx, field, Raw::of(&value)).map_err(fail)?;
                }
                Key::Custom => {
                    let value: serde_json::Value = map.next_value()?;
                    // The context object itself is one level.
                    if 1 + json_depth(&value) > MAX_JSON_DEPTH {
                        return Err(fail(too_deep()));
                    }
                    ctx.custom = read_custom(&value).map_err(fail)?;
                }
                Key::Unknown(name) => return Err(fail(unknown(&name))),
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The binding's path (serde) and `Context::from_json` agree.
    #[test]
    fn reads_like_from_json() {
        let valid: [&[u8]; 5] = [
            br#"{"firstname":"Ada","state":" ca","amount":"64.50","age":34,"quantity":2,
                "email":"Ada@Example.com","device":null,"custom":{"segment":"vip","n":[1,{"a":2}]}}"#,
            br#"{"amount":12.5,"zipcode":94107,"language":"","dob":"1990-04-30"}"#,
            br#"{"firstname":"A\u00efda \"quoted\"","emailsha256":"2B2C3AD0BB4BD1A0A6AB3D6AC9E8B3AD3BC0FA46E9B1AD5C4DF0C0CB4A1B7B1E"}"#,
            br#"{"quantity":"3","age":null,"amount":"","custom":null}"#,
            b"{}",
        ];
        for json in valid {
            let direct: Context = serde_json::from_slice(json).unwrap();
            assert_eq!(direct, Context::from_json(json).unwrap());
        }
        let invalid: [&[u8]; 10] = [
            br#"{"nickname":"x"}"#,
            br#"{"amount":"abc"}"#,
            br#"{"amount":-1}"#,
            br#"{"age":151}"#,
            br#"{"quantity":1.5}"#,
            br#"{"firstname":true}"#,
            br#"{"state":["CA","NY"]}"#,
            br#"{"city":{"name":"x"}}"#,
            br#"{"dob":"1990-02-30"}"#,
            br#"{"custom":{"a.b":1}}"#,
        ];
        for json in invalid {
            assert!(Context::from_json(json).is_err());
            let err = serde_json::from_slice::<Context>(json).unwrap_err();
            // The attribute's own check speaks, not a type mismatch.
            assert!(!err.to_string().contains("invalid type"), "{err}");
        }
        assert!(serde_json::from_slice::<Context>(b"[1]").is_err());
        let deep = format!(
            r#"{{"custom":{{"a":{}1{}}}}}"#,
            "[".repeat(40),
            "]".repeat(40)
        );
        assert!(serde_json::from_slice::<Context>(deep.as_bytes()).is_err());
    }
}

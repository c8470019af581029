//! Writing the page edition of a bundle (see [`super::page`]): the full
//! bundle's bytes with only the withheld members removed and
//! `"edition":"page"` added. Every other value (rules, numbers, templates) is
//! copied verbatim, never re-serialized, so both editions decide alike
//! wherever a page can decide at all. Signing-tool only (feature `cli`):
//! it needs serde_json's `raw_value`, which the wasm build does without.

use super::model::{Bundle, Edition};
use crate::error::{Error, ErrorCode, Result};
use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;
use std::fmt;

/// A JSON object's members in document order, each value's text verbatim.
struct Members<'a>(Vec<(String, &'a RawValue)>);

impl<'de> Deserialize<'de> for Members<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Ordered;
        impl<'de> Visitor<'de> for Ordered {
            type Value = Members<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut members = Vec::new();
                while let Some(member) = map.next_entry()? {
                    members.push(member);
                }
                Ok(Members(members))
            }
        }
        deserializer.deserialize_map(Ordered)
    }
}

fn schema(message: String) -> Error {
    Error::new(ErrorCode::SchemaInvalid, message)
}

fn parse<'a, T: Deserialize<'a>>(json: &'a [u8], what: &str) -> Result<T> {
    serde_json::from_slice(json).map_err(|e| schema(format!("{what}: {e}")))
}

/// Writes `{"k":v,…}` from members whose values are JSON text.
fn write_object<'a>(
    out: &mut Vec<u8>,
    members: impl Iterator<Item = (&'a str, &'a [u8])>,
) -> Result<()> {
    out.push(b'{');
    for (i, (key, value)) in members.enumerate() {
        if i > 0 {
            out.push(b',');
        }
        let key = serde_json::to_string(key).map_err(|e| schema(format!("member name: {e}")))?;
        out.extend_from_slice(key.as_bytes());
        out.push(b':');
        out.extend_from_slice(value);
    }
    out.push(b'}');
    Ok(())
}

/// The page edition of the full bundle `json` (whose parsed form is
/// `bundle`), or `None` when it has no confidential audience (or already is
/// a page bundle): then pages get the bundle itself.
///
/// The result is `json` with `"edition":"page"` first and each confidential
/// audience's `filter` and `salt` members dropped; the top-level object and
/// the audiences are written compactly, every other value verbatim. Check it
/// like any bundle before signing it (`sign` validates and compiles it).
///
/// # Errors
/// `SCHEMA_INVALID` when `json` is not the document `bundle` was read from
/// (not an object, or another number of audiences).
pub fn page_edition(json: &[u8], bundle: &Bundle) -> Result<Option<Vec<u8>>> {
    if bundle.edition == Edition::Page || !bundle.audiences.iter().any(|a| a.confidential) {
        return Ok(None);
    }
    let top: Members<'_> = parse(json, "bundle")?;
    let mut audiences_text = Vec::new();
    let mut found = false;
    for (key, value) in &top.0 {
        if key != "audiences" {
            continue;
        }
        let objects: Vec<Members<'_>> = parse(value.get().as_bytes(), "audiences")?;
        if objects.len() != bundle.audiences.len() {
            return Err(schema(
                "the bundle text and its parsed audiences differ".to_owned(),
            ));
        }
        audiences_text.push(b'[');
        for (i, (object, audience)) in objects.iter().zip(&bundle.audiences).enumerate() {
            if i > 0 {
                audiences_text.push(b',');
            }
            let withheld = |key: &str| audience.confidential && (key == "filter" || key == "salt");
            write_object(
                &mut audiences_text,
                object
                    .0
                    .iter()
                    .filter(|(k, _)| !withheld(k))
                    .map(|(k, v)| (k.as_str(), v.get().as_bytes())),
            )?;
        }
        audiences_text.push(b']');
        found = true;
    }
    if !found {
        return Err(schema("the bundle text has no audiences member".to_owned()));
    }
    let edition: &[u8] = b"\"page\"";
    let members = std::iter::once(("edition", edition)).chain(
        top.0
            .iter()
            // An explicit `"edition":"full"` gives way to the page's.
            .filter(|(k, _)| k != "edition")
            .map(|(k, v)| {
                let text = if k == "audiences" {
                    audiences_text.as_slice()
                } else {
                    v.get().as_bytes()
                };
                (k.as_str(), text)
            }),
    );
    let mut out = Vec::with_capacity(json.len());
    write_object(&mut out, members)?;
    Ok(Some(out))
}

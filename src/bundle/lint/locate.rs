//! Where a finding is: JSONPath steps, and the path of what an error
//! message of [`validate`](super::validate) or
//! [`Engine::compile`](crate::decide::Engine::compile) names.
//!
//! Why from messages: the core's errors carry their location in words
//! (`offers[o-1].eligibility/and/0`, `offer "o-1": unknown placement`),
//! and threading a structured location through every check for one tool
//! would touch the whole core. Ids are looked up in hash maps and only up
//! to [`MAX_ID_LEN`] bytes, so a hostile bundle's many or long ids cost
//! linear time.

use super::super::model::Bundle;
use crate::limits::MAX_ID_LEN;
use std::collections::HashMap;

/// A member name as a JSONPath step: `.name`, or `["name"]` when it is not
/// an identifier.
pub fn path_key(name: &str) -> String {
    let plain = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if plain {
        format!(".{name}")
    } else {
        format!("[{}]", serde_json::Value::from(name))
    }
}

/// The bundle's ids → their index (the first, for a repeated id).
pub(super) struct Ids<'a> {
    pub(super) bundle: &'a Bundle,
    pub(super) offers: HashMap<&'a str, usize>,
    pub(super) placements: HashMap<&'a str, usize>,
    pub(super) audiences: HashMap<&'a str, usize>,
}

fn index<'a>(ids: impl Iterator<Item = &'a str>) -> HashMap<&'a str, usize> {
    let mut map = HashMap::new();
    for (i, id) in ids.enumerate() {
        map.entry(id).or_insert(i);
    }
    map
}

impl<'a> Ids<'a> {
    pub(super) fn new(bundle: &'a Bundle) -> Self {
        Self {
            bundle,
            offers: index(bundle.offers.iter().map(|o| o.id.as_str())),
            placements: index(bundle.placements.iter().map(|p| p.id.as_str())),
            audiences: index(bundle.audiences.iter().map(|a| a.id.as_str())),
        }
    }
}

/// The item whose id starts `text` and is followed by `end`, with the bytes
/// that used (the longest such id: ids may contain `end`).
fn named(text: &str, ids: &HashMap<&str, usize>, end: &str) -> Option<(usize, usize)> {
    let longest = text.len().min(MAX_ID_LEN);
    (1..=longest).rev().find_map(|k| {
        let id = text.get(..k)?;
        let rest = text.get(k..)?;
        if !rest.starts_with(end) {
            return None;
        }
        ids.get(id).map(|&i| (i, k + end.len()))
    })
}

/// The compiler's location suffix (`.eligibility/and/1/in`,
/// `.creative.fields.headline`) as JSONPath steps.
fn suffix_path(suffix: &str) -> String {
    let end = suffix
        .find(|c: char| c.is_whitespace() || c == '"' || c == ':' || c == ',')
        .unwrap_or(suffix.len());
    let mut parts = suffix.get(..end).unwrap_or("").split('/');
    let mut out = parts.next().unwrap_or("").to_owned();
    for seg in parts {
        match seg.parse::<usize>() {
            Ok(n) => out.push_str(&format!("[{n}]")),
            Err(_) => out.push_str(&path_key(seg)),
        }
    }
    out
}

/// Where in a validate message an offer's problem lies, by what it names.
const OFFER_TOPICS: [(&str, &str); 18] = [
    ("unknown placement", ".placements"),
    ("audience", ".audiences"),
    ("caps", ".caps"),
    ("schedule", ".schedule"),
    ("action url", ".action.url"),
    ("sku", ".action.sku"),
    ("coupon", ".action"),
    ("campaign", ".campaign"),
    ("advertiser", ".advertiser"),
    ("value", ".value"),
    ("email", ".creative.confirmationEmail"),
    ("headline", ".creative.fields.headline"),
    ("body", ".creative.fields.body"),
    ("cta", ".creative.fields.cta"),
    ("declineLabel", ".creative.fields.declineLabel"),
    ("imageAlt", ".creative.fields.imageAlt"),
    ("terms", ".creative.fields.terms"),
    ("image", ".creative.fields.image"),
];

/// Top-level members a message may name, checked in order.
const TOP_TOPICS: [(&str, &str); 9] = [
    ("expiresAt", "$.expiresAt"),
    ("issuedAt", "$.issuedAt"),
    ("utcOffsetMinutes", "$.utcOffsetMinutes"),
    ("timeZone", "$.timeZone"),
    ("fulfilmentKey", "$.fulfilmentKey"),
    ("bundle schema", "$.schema"),
    ("partner", "$.partner"),
    ("model", "$.model"),
    ("prior", "$.model.exploration"),
];

/// The JSONPath of what an error message from `validate` or
/// `Engine::compile` names, as precisely as the message tells: the
/// compiler's `offers[<id>]…` locations exactly, `offer "<id>": …` to the
/// offer and the member it mentions; `$` when it names nothing.
pub(super) fn locate(ids: &Ids<'_>, message: &str) -> String {
    // The compiler and templates: `offers[<id>].eligibility/and/1`.
    for (prefix, which) in [("offers[", 0), ("placements[", 1)] {
        if let Some(at) = message.find(prefix) {
            let text = message.get(at + prefix.len()..).unwrap_or("");
            let found = if which == 0 {
                named(text, &ids.offers, "]")
            } else {
                named(text, &ids.placements, "]")
            };
            if let Some((i, used)) = found {
                let list = if which == 0 { "offers" } else { "placements" };
                return format!(
                    "$.{list}[{i}]{}",
                    suffix_path(text.get(used..).unwrap_or(""))
                );
            }
        }
    }
    // `validate`: `offer "<id>": …`, `audience "<id>" …`, `placement "<id>": …`.
    if let Some(text) = message.strip_prefix("offer \"") {
        if let Some((i, used)) = named(text, &ids.offers, "\"") {
            let rest = text.get(used..).unwrap_or("");
            let member = OFFER_TOPICS
                .iter()
                .find(|(word, _)| rest.contains(word))
                .map_or("", |(_, path)| path);
            return format!("$.offers[{i}]{member}");
        }
    }
    for (word, list, map) in [
        ("audience \"", "audiences", &ids.audiences),
        ("placement \"", "placements", &ids.placements),
    ] {
        if let Some(at) = message.find(word) {
            let text = message.get(at + word.len()..).unwrap_or("");
            if let Some((i, _)) = named(text, map, "\"") {
                return format!("$.{list}[{i}]");
            }
        }
    }
    // `model weights for unknown offer "x"`, `exploration prior for …`.
    for (lead, map) in [
        ("model weights for unknown offer \"", "$.model.offers"),
        (
            "exploration prior for unknown offer \"",
            "$.model.exploration.priors",
        ),
    ] {
        if let Some(id) = message.strip_prefix(lead).and_then(|r| r.strip_suffix('"')) {
            return format!("{map}{}", path_key(id));
        }
    }
    // `duplicate offer id "x"`: the second one is the duplicate.
    if let Some(rest) = message.strip_prefix("duplicate offer id \"") {
        if let Some((first, used)) = named(rest, &ids.offers, "\"") {
            let id = rest.get(..used - 1).unwrap_or("");
            let second = ids
                .bundle
                .offers
                .iter()
                .skip(first + 1)
                .position(|o| o.id == id);
            if let Some(i) = second {
                return format!("$.offers[{}].id", first + 1 + i);
            }
        }
    }
    TOP_TOPICS
        .iter()
        .find(|(word, _)| message.contains(word))
        .map_or_else(|| "$".to_owned(), |(_, path)| (*path).to_owned())
}

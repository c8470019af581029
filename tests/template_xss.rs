//! XSS corpus and property tests for HTML templates.
//!
//! Every vector of tests/fixtures/xss-vectors.json is rendered into every
//! slot kind a template may use, and the output is walked with html5ever's
//! tokenizer (a browser-grade HTML tokenizer), never inspected by substring:
//! - the start tags and their attribute names equal those of a benign render
//!   (nothing injected), with no `<script>` and no `on*` attribute;
//! - every URL attribute decodes to https, mailto, tel, a relative URL or the
//!   placeholder;
//! - the decoded text / attribute value equals the raw vector (escaping is
//!   lossless), and a query slot percent-decodes back to it.
//!
//! The same file holds template cases (`{template, expect, at?, data?,
//! note}`): layouts an attacker could write. `"refused"` ones must fail to
//! compile with TEMPLATE_INVALID at `at`; `"inert"` ones must compile and
//! render (with `data`) without any script-capable construct. The browser
//! suite runs both kinds in Chromium.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::assert_no_failures;
use html5ever::tokenizer::states::RawKind;
use html5ever::tokenizer::{
    BufferQueue, Tag, TagKind, Token, TokenSink, TokenSinkResult, Tokenizer, TokenizerOpts,
};
use offer_edge::template::{HtmlTemplate, URL_PLACEHOLDER};
use proptest::prelude::*;
use serde_json::{json, Value};
use std::cell::RefCell;

// ---------------------------------------------------------------- tokenizer

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Start(String, Vec<(String, String)>),
    End(String),
    Text(String),
    Comment(String),
    Doctype,
}

/// Collects tokens and, like a tree builder in HTML content, switches the
/// tokenizer into RCDATA / raw text / script data after those start tags.
#[derive(Default)]
struct Sink {
    toks: RefCell<Vec<Tok>>,
    svg_depth: RefCell<u32>,
}

impl TokenSink for Sink {
    type Handle = ();
    fn process_token(&self, token: Token, _line: u64) -> TokenSinkResult<()> {
        let mut toks = self.toks.borrow_mut();
        let mut push_text = |s: &str| match toks.last_mut() {
            Some(Tok::Text(t)) => t.push_str(s),
            _ => toks.push(Tok::Text(s.to_owned())),
        };
        match token {
            Token::CharacterTokens(t) => push_text(&t),
            Token::NullCharacterToken => push_text("\0"),
            Token::TagToken(Tag {
                kind,
                name,
                self_closing,
                attrs,
                ..
            }) => {
                let name = name.to_string();
                if kind == TagKind::EndTag {
                    if name == "svg" || name == "math" {
                        let mut d = self.svg_depth.borrow_mut();
                        *d = d.saturating_sub(1);
                    }
                    toks.push(Tok::End(name));
                    return TokenSinkResult::Continue;
                }
                let attrs = attrs
                    .iter()
                    .map(|a| {
                        let n = match &a.name.prefix {
                            Some(p) => format!("{p}:{}", a.name.local),
                            None => a.name.local.to_string(),
                        };
                        (n, a.value.to_string())
                    })
                    .collect();
                toks.push(Tok::Start(name.clone(), attrs));
                let in_foreign = *self.svg_depth.borrow() > 0;
                if (name == "svg" || name == "math") && !self_closing {
                    *self.svg_depth.borrow_mut() += 1;
                }
                if in_foreign {
                    return TokenSinkResult::Continue;
                }
                return match name.as_str() {
                    "textarea" | "title" => TokenSinkResult::RawData(RawKind::Rcdata),
                    "style" | "xmp" | "iframe" | "noembed" | "noframes" | "noscript" => {
                        TokenSinkResult::RawData(RawKind::Rawtext)
                    }
                    "script" => TokenSinkResult::RawData(RawKind::ScriptData),
                    "plaintext" => TokenSinkResult::Plaintext,
                    _ => TokenSinkResult::Continue,
                };
            }
            Token::CommentToken(c) => toks.push(Tok::Comment(c.to_string())),
            Token::DoctypeToken(_) => toks.push(Tok::Doctype),
            Token::EOFToken | Token::ParseError(_) => {}
        }
        TokenSinkResult::Continue
    }
}

fn tokenize(html: &str) -> Vec<Tok> {
    let tokenizer = Tokenizer::new(Sink::default(), TokenizerOpts::default());
    let queue = BufferQueue::default();
    queue.push_back(html.into());
    let _ = tokenizer.feed(&queue);
    tokenizer.end();
    tokenizer.sink.toks.take()
}

/// Start tags with their attribute names: the document's structure.
fn structure(toks: &[Tok]) -> Vec<(String, Vec<String>)> {
    toks.iter()
        .filter_map(|t| match t {
            Tok::Start(n, attrs) => Some((n.clone(), attrs.iter().map(|a| a.0.clone()).collect())),
            _ => None,
        })
        .collect()
}

// ------------------------------------------------------------- invariants

const URL_ATTRS: [&str; 6] = [
    "href",
    "src",
    "action",
    "formaction",
    "xlink:href",
    "poster",
];

/// Independent re-statement of the allow-list, applied to what a browser
/// would see (the tokenizer's decoded attribute value).
fn url_is_safe(v: &str) -> bool {
    if v == URL_PLACEHOLDER {
        return true;
    }
    let cleaned: String = v
        .trim_matches(|c: char| c <= ' ')
        .chars()
        .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
        .collect();
    if cleaned.starts_with("//")
        || cleaned.starts_with("\\\\")
        || cleaned.starts_with("/\\")
        || cleaned.starts_with("\\/")
    {
        return false;
    }
    // WHATWG URL parser: a scheme is ALPHA *(ALPHA / DIGIT / + / - / .)
    // followed by ':'; anything else makes the URL relative.
    let mut chars = cleaned.char_indices();
    match chars.next() {
        Some((_, c)) if c.is_ascii_alphabetic() => {}
        _ => return true,
    }
    for (i, c) in chars {
        if c == ':' {
            let scheme = cleaned[..i].to_ascii_lowercase();
            return ["https", "mailto", "tel"].contains(&scheme.as_str());
        }
        if !(c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.')) {
            return true;
        }
    }
    true
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            out.push(u8::from_str_radix(&s[i + 1..i + 3], 16).unwrap());
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

/// How a slot's decoded content must relate to the raw value.
#[derive(Clone, Copy)]
enum Expect {
    /// Text of the element with id="slot" equals the value.
    Text,
    /// Attribute `title` of the element with id="slot" equals the value
    /// (NUL becomes U+FFFD, as in every browser).
    Attr,
    /// URL attributes are checked for scheme only.
    Url,
    /// The `u` query parameter of the `href` percent-decodes to the value.
    Query,
}

struct Slot {
    name: &'static str,
    template: &'static str,
    expect: Expect,
    /// Build the data from the value.
    data: fn(&str) -> Value,
}

fn v_data(v: &str) -> Value {
    json!({ "v": v })
}

fn offers_data(v: &str) -> Value {
    json!({ "offers": [{ "v": v }, { "v": v }] })
}

const SLOTS: &[Slot] = &[
    Slot { name: "text", template: "<div class=\"offer\"><p id=\"slot\">{{v}}</p><p>after</p></div>", expect: Expect::Text, data: v_data },
    Slot { name: "double-quoted attribute", template: "<div class=\"offer\"><p id=\"slot\" title=\"{{v}}\">x</p></div>", expect: Expect::Attr, data: v_data },
    Slot { name: "single-quoted attribute", template: "<div class='offer'><p id='slot' title='{{v}}'>x</p></div>", expect: Expect::Attr, data: v_data },
    Slot { name: "URL attribute at start", template: "<a id=\"slot\" href=\"{{v}}\">x</a><img src=\"{{v}}\" alt=\"\"><button formaction='{{v}}'></button>", expect: Expect::Url, data: v_data },
    Slot { name: "URL attribute after literal path prefix", template: "<a id=\"slot\" href=\"https://shop.example/offers/{{v}}\">x</a><img src=\"/img/{{v}}.png\">", expect: Expect::Url, data: v_data },
    Slot { name: "URL attribute query", template: "<a id=\"slot\" href=\"https://shop.example/r?u={{v}}&amp;s=1\">x</a>", expect: Expect::Query, data: v_data },
    Slot { name: "within a section", template: "<ul>{{#offers}}<li title=\"{{v}}\"><a href=\"{{v}}\">{{v}}</a></li>{{/offers}}</ul><p id=\"slot\">{{#offers}}{{v}}{{/offers}}</p>", expect: Expect::Url, data: offers_data },
    Slot { name: "default form (text)", template: "<p id=\"slot\">{{v|there}}</p>", expect: Expect::Text, data: v_data },
    Slot { name: "default form (attribute)", template: "<p id=\"slot\" title=\"{{v|there}}\">x</p><a href=\"{{v|/offers}}\">y</a>", expect: Expect::Attr, data: v_data },
    Slot { name: "RCDATA textarea", template: "<textarea id=\"slot\">{{v}}</textarea><p>after</p>", expect: Expect::Text, data: v_data },
    Slot { name: "RCDATA title", template: "<title id=\"slot\">{{v}}</title><p>after</p>", expect: Expect::Text, data: v_data },
];

fn slot_text(toks: &[Tok]) -> Option<String> {
    let i = toks.iter().position(
        |t| matches!(t, Tok::Start(_, a) if a.iter().any(|(n, v)| n == "id" && v == "slot")),
    )?;
    Some(match toks.get(i + 1) {
        Some(Tok::Text(t)) => t.clone(),
        _ => String::new(),
    })
}

fn slot_attr(toks: &[Tok], attr: &str) -> Option<String> {
    toks.iter().find_map(|t| match t {
        Tok::Start(_, a) if a.iter().any(|(n, v)| n == "id" && v == "slot") => {
            a.iter().find(|(n, _)| n == attr).map(|(_, v)| v.clone())
        }
        _ => None,
    })
}

/// Check every invariant for `value` in `slot`; Err describes the breach.
fn check(slot: &Slot, value: &str) -> Result<(), String> {
    let t = HtmlTemplate::compile(slot.name, slot.template).map_err(|e| e.to_string())?;
    let benign = tokenize(&t.render(&(slot.data)("benign")));
    let out = t.render(&(slot.data)(value));
    let toks = tokenize(&out);
    if structure(&toks) != structure(&benign) {
        return Err(format!("structure changed: {out}"));
    }
    let tags = |ts: &[Tok]| ts.iter().filter(|t| !matches!(t, Tok::Text(_))).count();
    if tags(&toks) != tags(&benign) {
        return Err(format!("tags or comments injected: {out}"));
    }
    for tok in &toks {
        match tok {
            Tok::Start(name, attrs) => {
                if name == "script"
                    || name == "style"
                    || name == "iframe"
                    || name == "object"
                    || name == "embed"
                {
                    return Err(format!("dangerous element <{name}>: {out}"));
                }
                for (n, v) in attrs {
                    if n.starts_with("on") {
                        return Err(format!("event handler {n}: {out}"));
                    }
                    if URL_ATTRS.contains(&n.as_str()) && !url_is_safe(v) {
                        return Err(format!("unsafe URL {n}={v:?}: {out}"));
                    }
                }
            }
            Tok::Comment(_) | Tok::Doctype if !benign.contains(tok) => {
                return Err(format!("injected comment/doctype: {out}"));
            }
            _ => {}
        }
    }
    match slot.expect {
        Expect::Text => {
            let want = if value.is_empty() && slot.template.contains("|there") {
                "there".to_owned()
            } else {
                value.replace('\0', "\u{FFFD}")
            };
            let got = slot_text(&toks).unwrap_or_default();
            if got != want {
                return Err(format!("text round-trip: got {got:?} from {out}"));
            }
        }
        Expect::Attr => {
            let want = if value.is_empty() && slot.template.contains("|there") {
                "there".to_owned()
            } else {
                value.replace('\0', "\u{FFFD}")
            };
            let got = slot_attr(&toks, "title").unwrap_or_default();
            if got != want {
                return Err(format!(
                    "attribute round-trip: got {got:?} want {want:?} from {out}"
                ));
            }
        }
        Expect::Url => {}
        Expect::Query => {
            let href = slot_attr(&toks, "href").unwrap_or_default();
            let q = href
                .strip_prefix("https://shop.example/r?u=")
                .and_then(|r| r.strip_suffix("&s=1"))
                .ok_or_else(|| format!("query slot broke the URL: {href:?}"))?;
            if percent_decode(q) != value {
                return Err(format!("query round-trip: {q:?}"));
            }
        }
    }
    Ok(())
}

#[derive(serde::Deserialize)]
struct Vector {
    vector: String,
    note: String,
}

/// A layout from the corpus and what must happen to it.
#[derive(serde::Deserialize)]
struct TemplateCase {
    template: String,
    expect: String,
    #[serde(default)]
    at: Option<String>,
    #[serde(default)]
    data: Option<Value>,
    note: String,
}

fn entries() -> Vec<Value> {
    let path = format!(
        "{}/tests/fixtures/xss-vectors.json",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// The value vectors.
fn corpus() -> Vec<Vector> {
    entries()
        .into_iter()
        .filter(|e| e.get("vector").is_some())
        .map(|e| serde_json::from_value(e).unwrap())
        .collect()
}

/// The template cases.
fn template_cases() -> Vec<TemplateCase> {
    entries()
        .into_iter()
        .filter(|e| e.get("template").is_some())
        .map(|e| serde_json::from_value(e).unwrap())
        .collect()
}

#[test]
fn corpus_has_at_least_150_vectors() {
    assert!(corpus().len() >= 150);
}

/// Elements that must never come out of a compiled template.
const DANGEROUS_ELEMENTS: [&str; 16] = [
    "script",
    "style",
    "iframe",
    "object",
    "embed",
    "base",
    "meta",
    "link",
    "form",
    "template",
    "noscript",
    "xmp",
    "plaintext",
    "svg",
    "math",
    "frame",
];

#[test]
fn template_cases_are_refused_at_their_position_or_render_inert() {
    let cases = template_cases();
    assert!(cases.len() >= 60, "{} template cases", cases.len());
    let mut failures = Vec::new();
    for case in &cases {
        let compiled = HtmlTemplate::compile("placements[x].layout", &case.template);
        match (case.expect.as_str(), compiled) {
            ("refused", Err(e)) => {
                let at = case.at.as_deref().map(|a| format!(" {a}:"));
                if e.code() != offer_edge::ErrorCode::TemplateInvalid
                    || at.is_some_and(|a| !e.message().contains(&a))
                {
                    failures.push(format!(
                        "{:?} ({}): wrong refusal {e}",
                        case.template, case.note
                    ));
                }
            }
            ("refused", Ok(_)) => {
                failures.push(format!("{:?} ({}): compiled", case.template, case.note));
            }
            ("inert", Ok(t)) => {
                let data = case.data.clone().unwrap_or_else(|| json!({}));
                let out = t.render(&data);
                for tok in tokenize(&out) {
                    let Tok::Start(name, attrs) = tok else {
                        continue;
                    };
                    if DANGEROUS_ELEMENTS.contains(&name.as_str()) {
                        failures.push(format!("{:?}: <{name}> in {out}", case.template));
                    }
                    for (n, v) in attrs {
                        if n.starts_with("on")
                            || (URL_ATTRS.contains(&n.as_str()) && !url_is_safe(&v))
                        {
                            failures.push(format!("{:?}: {n}={v:?} in {out}", case.template));
                        }
                    }
                }
            }
            ("inert", Err(e)) => {
                failures.push(format!("{:?} ({}): refused: {e}", case.template, case.note));
            }
            (other, _) => failures.push(format!("{:?}: unknown expect {other:?}", case.template)),
        }
    }
    assert_no_failures(&failures);
}

#[test]
fn every_vector_in_every_slot_renders_inert_and_lossless() {
    let mut failures = Vec::new();
    let vectors = corpus();
    for slot in SLOTS {
        for v in &vectors {
            if let Err(e) = check(slot, &v.vector) {
                failures.push(format!("[{}] ({}) {:?}: {e}", slot.name, v.note, v.vector));
            }
        }
    }
    assert_no_failures(&failures);
}

#[test]
fn dangerous_urls_from_the_corpus_become_the_placeholder() {
    let t = HtmlTemplate::compile("t", "<a href=\"{{v}}\">x</a>").unwrap();
    for v in corpus()
        .iter()
        .filter(|v| v.note.contains("URL") && !v.note.contains("benign"))
    {
        let toks = tokenize(&t.render(&v_data(&v.vector)));
        let href = toks.iter().find_map(|t| match t {
            Tok::Start(_, a) => a.iter().find(|(n, _)| n == "href").map(|(_, v)| v.clone()),
            _ => None,
        });
        let href = href.unwrap();
        assert!(url_is_safe(&href), "{:?} -> {href:?}", v.vector);
    }
    // And the plain attacks are exactly the placeholder.
    for v in [
        "javascript:alert(1)",
        "java\tscript:alert(1)",
        "data:text/html,x",
        "vbscript:x",
        "//evil.example",
    ] {
        assert_eq!(
            t.render(&v_data(v)),
            format!("<a href=\"{URL_PLACEHOLDER}\">x</a>")
        );
    }
}

/// Re-serialize tokens (escaping text and attribute values) for the
/// idempotence check.
fn serialize(toks: &[Tok]) -> String {
    let esc = offer_edge::template::html_escape_text;
    toks.iter()
        .map(|t| match t {
            Tok::Start(n, a) => format!(
                "<{n}{}>",
                a.iter()
                    .map(|(k, v)| format!(" {k}=\"{}\"", esc(v)))
                    .collect::<String>()
            ),
            Tok::End(n) => format!("</{n}>"),
            Tok::Text(s) => esc(s),
            Tok::Comment(c) => format!("<!--{c}-->"),
            Tok::Doctype => String::new(),
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn random_strings_keep_structure_and_round_trip(
        value in prop_oneof![
            any::<String>(),
            "[<>\"'`&=/;:#?%! a-zA-Z0-9\t\n\r\x00\x0c-]{0,48}",
            "(javascript|data|vbscript|https|mailto|tel|JaVaScRiPt|java\tscript)?:?[<>\"'&#/ a-z0-9;()]{0,24}",
        ]
    ) {
        for slot in SLOTS {
            if let Err(e) = check(slot, &value) {
                prop_assert!(false, "[{}] {:?}: {}", slot.name, value, e);
            }
        }
        // Parsing is idempotent: tokens → serialize → tokens is a fixpoint.
        let t = HtmlTemplate::compile("p", SLOTS[0].template).unwrap();
        let toks = tokenize(&t.render(&v_data(&value)));
        prop_assert_eq!(tokenize(&serialize(&toks)), toks);
    }
}

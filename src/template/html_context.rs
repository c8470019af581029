//! Compile-time HTML context analysis (the heart of auto-escaping).
//!
//! A small HTML tokenizer state machine, following the WHATWG tokenizer
//! states closely enough for templates, walks the literal text of a template.
//! At each `{{value}}` the current state decides the escaper, or refuses the
//! template. Sections must start and end in the same state (their body may
//! render zero or many times), so a value's context is static: one escaper
//! per slot, chosen once.
//!
//! Where this machine would have to guess, the template is refused instead:
//! elements whose content browsers parse in another mode (raw text, foreign
//! SVG/MathML content, `<template>`, `<noscript>`) or that load, redirect or
//! submit elsewhere are refused outright ([`REFUSED_ELEMENTS`]), so the only
//! content states left are HTML text and RCDATA (`<title>`, `<textarea>`);
//! anything between `<!` and `>` accepts no values.

use super::attr::{self, AttrKind, UrlPart};
use super::charref::{CharRef, Decoded};
use super::escape::Escape;
use super::invalid;
use super::parse::Node;
use crate::{Error, Result};

/// A tag being read.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Tag {
    name: String,
    end: bool,
    self_closing: bool,
    /// Byte offset of its `<` (for error positions).
    start: usize,
}

/// A quoted (or unquoted) attribute value being read.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Value {
    /// `"`, `'`, or `None` when unquoted.
    quote: Option<char>,
    kind: AttrKind,
    url: UrlPart,
    /// A character reference being read in a URL attribute (after `&`).
    char_ref: Option<CharRef>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum State {
    Data,
    /// `<title>`/`<textarea>` body; `matched` chars of `</name` seen.
    Rcdata {
        elem: String,
        matched: usize,
    },
    TagOpen,
    EndTagOpen,
    TagName(Tag),
    BeforeAttrName(Tag),
    AttrName(Tag, String),
    AfterAttrName(Tag, String),
    BeforeAttrValue(Tag, String),
    AttrValue(Tag, Value),
    SelfClosing(Tag),
    MarkupDecl(String),
    Comment {
        dashes: u8,
        len: usize,
    },
    BogusComment,
}

/// Elements refused anywhere in a template, with the reason. The list is
/// the one in docs/TEMPLATES.md; keep them together.
const REFUSED_ELEMENTS: [(&str, &str); 22] = [
    ("applet", "it loads a plugin"),
    ("base", "it changes every relative URL of the page"),
    ("embed", "it loads a plugin"),
    ("fencedframe", "it embeds another document"),
    ("form", "it submits what the shopper types to any URL"),
    ("frame", "it embeds another document"),
    ("frameset", "it embeds other documents"),
    ("iframe", "it embeds another document"),
    ("link", "it loads stylesheets and other resources"),
    ("math", "MathML is foreign content, parsed by other rules"),
    ("meta", "it can redirect the page"),
    ("noembed", "its body is raw text"),
    ("noframes", "its body is raw text"),
    (
        "noscript",
        "its body is parsed differently with scripting on or off",
    ),
    ("object", "it loads a plugin or another document"),
    ("param", "it configures a plugin"),
    ("plaintext", "everything after it is raw text"),
    ("portal", "it embeds another document"),
    (
        "style",
        "CSS can restyle or read the page; layouts use the page's stylesheet",
    ),
    ("svg", "SVG is foreign content, parsed by other rules"),
    (
        "template",
        "its content is parsed apart and can declare shadow roots",
    ),
    ("xmp", "its body is raw text"),
];

/// Decide the escaper of every value in `nodes`, or refuse the template.
///
/// # Errors
/// `TEMPLATE_INVALID` naming `template` and the line:column of the refused
/// construct.
pub(crate) fn assign_escapes(template: &str, source: &str, nodes: &mut [Node]) -> Result<()> {
    let mut w = Walker {
        template,
        source,
        state: State::Data,
        need_boundary: false,
    };
    w.walk(nodes)?;
    if w.need_boundary || w.state != State::Data {
        return Err(w.err(
            source.len(),
            &format!("template ends inside {}", describe(&w.state)),
        ));
    }
    Ok(())
}

struct Walker<'a> {
    template: &'a str,
    source: &'a str,
    state: State,
    /// A section just closed inside a tag: the next character must end the
    /// attribute name (whitespace, `/` or `>`), so the section cannot splice
    /// two halves of one name (`hr{{#x}}ef`).
    need_boundary: bool,
}

impl Walker<'_> {
    fn err(&self, pos: usize, msg: &str) -> Error {
        invalid(self.template, self.source, pos, msg)
    }

    fn walk(&mut self, nodes: &mut [Node]) -> Result<()> {
        for node in nodes {
            match node {
                Node::Text { start, end } => {
                    let text = self.source.get(*start..*end).unwrap_or("");
                    if let Some(i) = find_ascii_ci(text, "<script") {
                        return Err(
                            self.err(*start + i, "<script> elements are not allowed in templates")
                        );
                    }
                    for (i, c) in text.char_indices() {
                        if self.need_boundary {
                            if !matches!(c, '\t' | '\n' | '\r' | '\x0c' | ' ' | '/' | '>') {
                                return Err(self.err(
                                    *start + i,
                                    "an attribute name continues after a section; end it with a space, '/' or '>'",
                                ));
                            }
                            self.need_boundary = false;
                        }
                        self.step(c, *start + i)?;
                    }
                }
                Node::Var { escape, pos, .. } => *escape = self.slot(*pos)?,
                Node::Section { body, pos, .. } => {
                    self.check_section_tag(*pos)?;
                    let before = self.state.clone();
                    self.walk(body)?;
                    if let State::AttrName(tag, name) | State::AfterAttrName(tag, name) =
                        self.state.clone()
                    {
                        // `<input {{#c}}checked{{/c}}>`: the body ends an
                        // attribute name; the next character must end it too.
                        self.finish_attr_name(&tag, &name, *pos)?;
                        self.state = State::BeforeAttrName(tag);
                        self.need_boundary = true;
                    }
                    if self.state != before {
                        return Err(self.err(
                            *pos,
                            &format!(
                                "the section starts inside {} but its body ends inside {}; \
                                 a section must begin and end in the same HTML context",
                                describe(&before),
                                describe(&self.state)
                            ),
                        ));
                    }
                }
            }
        }
        Ok(())
    }

    /// Sections may open or close only where both branches can continue.
    fn check_section_tag(&self, pos: usize) -> Result<()> {
        let ok = !self.need_boundary
            && match &self.state {
                State::Data | State::BeforeAttrName(Tag { end: false, .. }) => true,
                State::Rcdata { matched, .. } => *matched == 0,
                State::AttrValue(Tag { end: false, .. }, v) => v.char_ref.is_none(),
                _ => false,
            };
        if ok {
            Ok(())
        } else {
            Err(self.err(
                pos,
                &format!("a section cannot start inside {}", describe(&self.state)),
            ))
        }
    }

    /// The escaper for a value at `pos`, or why it is refused.
    fn slot(&mut self, pos: usize) -> Result<Escape> {
        let unquoted = "values are not allowed in unquoted attributes; quote the attribute value";
        let decided: std::result::Result<Escape, String> = if self.need_boundary {
            Err("a value cannot continue an attribute name".to_owned())
        } else {
            match &mut self.state {
                State::Data | State::Rcdata { matched: 0, .. } => Ok(Escape::Html),
                State::AttrValue(tag, v)
                    if !tag.end && v.quote.is_some() && v.char_ref.is_none() =>
                {
                    match v.kind {
                        AttrKind::Normal => Ok(Escape::Html),
                        AttrKind::Refused(reason) => Err(reason.to_owned()),
                        AttrKind::Url => match v.url {
                            UrlPart::Start => {
                                v.url = UrlPart::DynStart;
                                Ok(Escape::UrlStart)
                            }
                            UrlPart::PreQuery => Ok(Escape::UrlPath),
                            UrlPart::Query => Ok(Escape::UrlQuery),
                            UrlPart::SchemeOpen(_) | UrlPart::DynStart => Err(
                                "a value in a URL attribute must come first or after a literal \
                                 prefix that fixes the scheme (containing '/', '?', '#' or an \
                                 allowed 'scheme:')"
                                    .to_owned(),
                            ),
                        },
                    }
                }
                State::AttrValue(_, v) if v.quote.is_none() => Err(unquoted.to_owned()),
                State::BeforeAttrValue(..) => Err(unquoted.to_owned()),
                other => Err(format!("values are not allowed inside {}", describe(other))),
            }
        };
        decided.map_err(|m| self.err(pos, &m))
    }

    fn finish_attr_name(&self, tag: &Tag, name: &str, pos: usize) -> Result<()> {
        if !tag.end && attr::is_event_handler(name) {
            return Err(self.err(
                pos,
                &format!("event handler attribute {name:?} is not allowed in templates"),
            ));
        }
        Ok(())
    }

    /// A start tag's name is complete: refuse the elements we do not model.
    fn finish_tag_name(&self, tag: &Tag) -> Result<()> {
        if tag.end {
            return Ok(());
        }
        if tag.name == "script" {
            return Err(self.err(tag.start, "<script> elements are not allowed in templates"));
        }
        match REFUSED_ELEMENTS.iter().find(|(name, _)| *name == tag.name) {
            Some((name, why)) => Err(self.err(
                tag.start,
                &format!("<{name}> elements are not allowed in templates: {why}"),
            )),
            None => Ok(()),
        }
    }

    /// A start or end tag is complete (`>`): pick the content state. Every
    /// element with raw-text or foreign content is refused by its name, so
    /// only `<title>` and `<textarea>` (RCDATA) change how text is read.
    fn emit_tag(tag: Tag) -> State {
        match tag.name.as_str() {
            "title" | "textarea" if !tag.end => State::Rcdata {
                elem: tag.name,
                matched: 0,
            },
            _ => State::Data,
        }
    }

    /// Advance over one literal character at byte offset `pos`.
    fn step(&mut self, c: char, pos: usize) -> Result<()> {
        let ws = matches!(c, '\t' | '\n' | '\r' | '\x0c' | ' ');
        let state = std::mem::replace(&mut self.state, State::Data);
        self.state = match state {
            State::Data => {
                if c == '<' {
                    State::TagOpen
                } else {
                    State::Data
                }
            }
            State::Rcdata { elem, matched } => match end_tag_progress(&elem, matched, c) {
                EndTag::Progress(m) => State::Rcdata { elem, matched: m },
                EndTag::Complete => after_rcdata_end_tag(elem, c, pos),
            },
            State::TagOpen => match c {
                'a'..='z' | 'A'..='Z' => State::TagName(Tag {
                    name: c.to_ascii_lowercase().to_string(),
                    end: false,
                    self_closing: false,
                    start: pos.saturating_sub(1),
                }),
                '/' => State::EndTagOpen,
                '!' => State::MarkupDecl(String::new()),
                '?' => State::BogusComment,
                _ => {
                    // Not a tag: the `<` was text; reconsider `c` as text.
                    self.state = State::Data;
                    return self.step(c, pos);
                }
            },
            State::EndTagOpen => match c {
                'a'..='z' | 'A'..='Z' => State::TagName(Tag {
                    name: c.to_ascii_lowercase().to_string(),
                    end: true,
                    self_closing: false,
                    start: pos.saturating_sub(2),
                }),
                '>' => State::Data,
                _ => State::BogusComment,
            },
            State::TagName(mut tag) => {
                if ws || c == '/' || c == '>' {
                    self.finish_tag_name(&tag)?;
                }
                match c {
                    _ if ws => State::BeforeAttrName(tag),
                    '/' => State::SelfClosing(tag),
                    '>' => Self::emit_tag(tag),
                    _ => {
                        tag.name.push(c.to_ascii_lowercase());
                        State::TagName(tag)
                    }
                }
            }
            State::BeforeAttrName(tag) => match c {
                _ if ws => State::BeforeAttrName(tag),
                '/' => State::SelfClosing(tag),
                '>' => Self::emit_tag(tag),
                _ => State::AttrName(tag, c.to_ascii_lowercase().to_string()),
            },
            State::AttrName(tag, mut name) => {
                if ws || c == '/' || c == '>' || c == '=' {
                    self.finish_attr_name(&tag, &name, pos)?;
                }
                match c {
                    _ if ws => State::AfterAttrName(tag, name),
                    '/' => State::SelfClosing(tag),
                    '>' => Self::emit_tag(tag),
                    '=' => State::BeforeAttrValue(tag, name),
                    _ => {
                        name.push(c.to_ascii_lowercase());
                        State::AttrName(tag, name)
                    }
                }
            }
            State::AfterAttrName(tag, name) => match c {
                _ if ws => State::AfterAttrName(tag, name),
                '/' => State::SelfClosing(tag),
                '=' => State::BeforeAttrValue(tag, name),
                '>' => Self::emit_tag(tag),
                _ => State::AttrName(tag, c.to_ascii_lowercase().to_string()),
            },
            State::BeforeAttrValue(tag, name) => {
                let value = |quote| Value {
                    quote,
                    kind: attr::classify(&name),
                    url: UrlPart::Start,
                    char_ref: None,
                };
                match c {
                    _ if ws => State::BeforeAttrValue(tag, name),
                    '"' | '\'' => State::AttrValue(tag.clone(), value(Some(c))),
                    '>' => Self::emit_tag(tag),
                    _ => {
                        let mut v = value(None);
                        self.feed_value(&mut v, c, pos)?;
                        State::AttrValue(tag, v)
                    }
                }
            }
            State::AttrValue(tag, mut v) => {
                let closes = match v.quote {
                    Some(q) => c == q,
                    None => ws || c == '>',
                };
                if closes {
                    self.flush_char_ref(&mut v, pos)?;
                    if v.quote.is_none() && c == '>' {
                        Self::emit_tag(tag)
                    } else {
                        State::BeforeAttrName(tag)
                    }
                } else {
                    self.feed_value(&mut v, c, pos)?;
                    State::AttrValue(tag, v)
                }
            }
            State::SelfClosing(mut tag) => {
                if c == '>' {
                    tag.self_closing = true;
                    Self::emit_tag(tag)
                } else {
                    self.state = State::BeforeAttrName(tag);
                    return self.step(c, pos);
                }
            }
            State::MarkupDecl(mut buf) => {
                buf.push(c);
                // `<![CDATA[` is a bogus comment in HTML content (CDATA
                // sections exist only in SVG/MathML, which are refused).
                if buf == "--" {
                    State::Comment { dashes: 0, len: 0 }
                } else if "--".starts_with(&buf) {
                    State::MarkupDecl(buf)
                } else if c == '>' {
                    State::Data
                } else {
                    State::BogusComment
                }
            }
            State::Comment { dashes, len } => match c {
                // `<!-->` and `<!--->` close abruptly; `-->` and `--!>` normally.
                '>' if dashes >= 2 || len == 0 || (len == 1 && dashes == 1) => State::Data,
                '-' => State::Comment {
                    dashes: dashes.saturating_add(1).min(2),
                    len: len + 1,
                },
                '!' if dashes >= 2 => State::Comment {
                    dashes,
                    len: len + 1,
                },
                _ => State::Comment {
                    dashes: 0,
                    len: len + 1,
                },
            },
            State::BogusComment => {
                if c == '>' {
                    State::Data
                } else {
                    State::BogusComment
                }
            }
        };
        Ok(())
    }

    /// One literal character of an attribute value. In a URL attribute,
    /// character references are decoded first (as the browser will) and the
    /// decoded text is what the scheme check sees.
    fn feed_value(&self, v: &mut Value, c: char, pos: usize) -> Result<()> {
        if v.kind != AttrKind::Url {
            return Ok(());
        }
        if let Some(r) = v.char_ref.as_mut() {
            match r.push(c) {
                Decoded::More => return Ok(()),
                Decoded::Done { text, consumed } => {
                    v.char_ref = None;
                    self.feed_url(v, &text, pos)?;
                    if consumed {
                        return Ok(());
                    }
                }
            }
        }
        if c == '&' {
            v.char_ref = Some(CharRef::default());
            return Ok(());
        }
        v.url.feed(c).map_err(|m| self.err(pos, &m))
    }

    /// The attribute value ends: a reference still being read ends with it.
    fn flush_char_ref(&self, v: &mut Value, pos: usize) -> Result<()> {
        match v.char_ref.take() {
            Some(r) => self.feed_url(v, &r.end(), pos),
            None => Ok(()),
        }
    }

    fn feed_url(&self, v: &mut Value, text: &str, pos: usize) -> Result<()> {
        text.chars()
            .try_for_each(|d| v.url.feed(d))
            .map_err(|m| self.err(pos, &m))
    }
}

/// After `</name` in an RCDATA body, `c` (at `pos`) ends the tag name.
fn after_rcdata_end_tag(elem: String, c: char, pos: usize) -> State {
    let tag = Tag {
        start: pos.saturating_sub(elem.len() + 2),
        name: elem,
        end: true,
        self_closing: false,
    };
    match c {
        '>' => Walker::emit_tag(tag),
        '/' => State::SelfClosing(tag),
        _ => State::BeforeAttrName(tag),
    }
}

enum EndTag {
    Progress(usize),
    Complete,
}

/// Track `</elem` followed by whitespace, `/` or `>` in an RCDATA body.
fn end_tag_progress(elem: &str, matched: usize, c: char) -> EndTag {
    let target_len = 2 + elem.len();
    if matched == target_len {
        if matches!(c, '\t' | '\n' | '\r' | '\x0c' | ' ' | '/' | '>') {
            return EndTag::Complete;
        }
        return EndTag::Progress(usize::from(c == '<'));
    }
    let expected = match matched {
        0 => Some('<'),
        1 => Some('/'),
        n => elem.chars().nth(n - 2),
    };
    if expected.is_some_and(|e| e.eq_ignore_ascii_case(&c)) {
        EndTag::Progress(matched + 1)
    } else {
        EndTag::Progress(usize::from(c == '<'))
    }
}

/// Byte offset of `needle` (ASCII, lower-case) in `hay`, ignoring ASCII case.
fn find_ascii_ci(hay: &str, needle: &str) -> Option<usize> {
    let n = needle.len();
    hay.as_bytes()
        .windows(n)
        .position(|w| w.eq_ignore_ascii_case(needle.as_bytes()))
}

/// A human phrase for a state, used in error messages.
fn describe(state: &State) -> String {
    match state {
        State::Data => "HTML text".to_owned(),
        State::Rcdata { elem, .. } => format!("the <{elem}> end tag"),
        State::TagOpen | State::EndTagOpen | State::TagName(_) => "a tag name".to_owned(),
        State::BeforeAttrName(t) | State::SelfClosing(t) if t.end => {
            format!("the end tag </{}>", t.name)
        }
        State::BeforeAttrName(t) | State::SelfClosing(t) => {
            format!("the <{}> tag where an attribute name goes", t.name)
        }
        State::AttrName(_, n) | State::AfterAttrName(_, n) => {
            format!("the attribute name {n:?}")
        }
        State::BeforeAttrValue(_, n) => format!("the unquoted value of attribute {n:?}"),
        State::AttrValue(t, v) => match v.quote {
            Some(_) if t.end => format!("an attribute of the end tag </{}>", t.name),
            Some(_) => format!(
                "a quoted attribute value of <{}>{}",
                t.name,
                match &v.url {
                    _ if v.kind != AttrKind::Url => "",
                    UrlPart::Start => " (URL start)",
                    UrlPart::SchemeOpen(_) | UrlPart::DynStart => " (URL, scheme not yet fixed)",
                    UrlPart::PreQuery => " (URL path)",
                    UrlPart::Query => " (URL query or fragment)",
                }
            ),
            None => "an unquoted attribute value".to_owned(),
        },
        State::MarkupDecl(_) | State::BogusComment => {
            "a <!…> declaration or bogus comment".to_owned()
        }
        State::Comment { .. } => "an HTML comment".to_owned(),
    }
}

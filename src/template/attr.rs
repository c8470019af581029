//! Attribute classification and URL-attribute tracking for the HTML context
//! walker.
//!
//! An attribute's kind (normal, URL, refused) is decided from its name and
//! its element. Inside a URL attribute the walker follows the literal
//! (character-reference-decoded) text to know whether the scheme is already
//! fixed when a value appears: at the very start the value itself is checked
//! at render time; after a literal `https://…/` or a relative `/…` prefix it
//! cannot change the scheme; anywhere in between (`java{{x}}`) is refused.

use super::escape::scheme_is_allowed;

/// What values are allowed in an attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AttrKind {
    /// Escaped as text.
    Normal,
    /// URL-valued: scheme allow-list and URL escaping.
    Url,
    /// No value may appear here; the reason is the error message.
    Refused(&'static str),
}

/// Where in a URL attribute value the walker is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum UrlPart {
    /// Nothing but leading whitespace yet: a value here is checked whole.
    Start,
    /// Literal text that has not fixed the scheme yet (`java…`).
    SchemeOpen(String),
    /// A checked value started the URL; literal text after it has not yet
    /// fixed the scheme (a literal `:` here could complete `javascript:`).
    DynStart,
    /// Scheme fixed, before any `?` or `#`.
    PreQuery,
    /// After a `?` or `#`.
    Query,
}

/// Elements whose attributes may not hold values at all: they redirect the
/// page, load plugins, or animate other attributes (SVG `<set>` can turn an
/// `href` into `javascript:`).
const VALUELESS_ELEMENTS: [&str; 12] = [
    "meta",
    "base",
    "object",
    "embed",
    "applet",
    "param",
    "frame",
    "animate",
    "set",
    "animatemotion",
    "animatetransform",
    "animatecolor",
];

/// Attributes whose value is a URL.
const URL_ATTRS: [&str; 21] = [
    "href",
    "src",
    "action",
    "formaction",
    "poster",
    "cite",
    "background",
    "data",
    "ping",
    "manifest",
    "codebase",
    "longdesc",
    "usemap",
    "icon",
    "profile",
    "classid",
    "archive",
    "dynsrc",
    "lowsrc",
    "xmlns",
    "itemtype",
];

/// Whether a literal attribute name is an event handler (refused even
/// without values: layouts run under a CSP without inline script anyway).
pub(crate) fn is_event_handler(attr: &str) -> bool {
    local_name(attr).starts_with("on")
}

/// The name without namespace prefix (`xlink:href` → `href`) and without
/// `data-` (so `data-href` is treated as a URL, like Go's html/template).
fn local_name(attr: &str) -> &str {
    let local = attr.rsplit(':').next().unwrap_or(attr);
    local.strip_prefix("data-").unwrap_or(local)
}

/// Classify attribute `attr` (lower-cased) of element `tag` (lower-cased).
pub(crate) fn classify(tag: &str, attr: &str) -> AttrKind {
    if VALUELESS_ELEMENTS.contains(&tag) {
        return AttrKind::Refused(
            "values are not allowed in attributes of <meta>, <base>, <object>, <embed>, \
             <applet>, <param>, <frame> or SVG animation elements",
        );
    }
    if attr.starts_with("xmlns") {
        return AttrKind::Url;
    }
    let local = local_name(attr);
    if local.starts_with("on") {
        return AttrKind::Refused("values are not allowed in event handler (on*) attributes");
    }
    match local {
        "style" => AttrKind::Refused("values are not allowed in style attributes"),
        "srcset" | "imagesrcset" => {
            AttrKind::Refused("values are not allowed in srcset attributes; use src")
        }
        "srcdoc" => AttrKind::Refused("values are not allowed in srcdoc attributes"),
        _ if URL_ATTRS.contains(&local) => AttrKind::Url,
        // Unknown names that look URL-valued are treated as URLs (safe side).
        _ if local.contains("url") || local.contains("uri") || local.contains("src") => {
            AttrKind::Url
        }
        _ => AttrKind::Normal,
    }
}

impl UrlPart {
    /// Advance over one literal, already-decoded character.
    ///
    /// # Errors
    /// A message when the literal text names a scheme that is not allowed
    /// (`javascript:`) or could complete a scheme after a value.
    pub(crate) fn feed(&mut self, c: char) -> Result<(), String> {
        // A URL parser removes tabs and newlines anywhere.
        if matches!(c, '\t' | '\n' | '\r') {
            return Ok(());
        }
        let next = match self {
            UrlPart::Start => match c {
                _ if c <= ' ' => return Ok(()),
                ':' => return Err("a URL attribute starts with ':' (empty scheme)".to_owned()),
                '/' | '\\' => UrlPart::PreQuery,
                '?' | '#' => UrlPart::Query,
                _ => UrlPart::SchemeOpen(c.to_string()),
            },
            UrlPart::SchemeOpen(buf) => match c {
                ':' if scheme_is_allowed(buf) => UrlPart::PreQuery,
                ':' => {
                    return Err(format!(
                        "literal URL scheme {buf:?} is not allowed (only https, mailto, tel or relative URLs)"
                    ))
                }
                '/' | '\\' => UrlPart::PreQuery,
                '?' | '#' => UrlPart::Query,
                _ => {
                    buf.push(c);
                    return Ok(());
                }
            },
            UrlPart::DynStart => match c {
                ':' => {
                    return Err(
                        "a literal ':' right after a value in a URL attribute could complete a scheme"
                            .to_owned(),
                    )
                }
                '/' | '\\' => UrlPart::PreQuery,
                '?' | '#' => UrlPart::Query,
                _ => return Ok(()),
            },
            UrlPart::PreQuery => match c {
                '?' | '#' => UrlPart::Query,
                _ => return Ok(()),
            },
            UrlPart::Query => return Ok(()),
        };
        *self = next;
        Ok(())
    }
}

/// Outcome of decoding a character reference in a URL attribute.
pub(crate) enum CharRef {
    /// Decoded to this character.
    Char(char),
    /// Not a reference the browser decodes here: feed `&` and the buffer raw.
    Raw,
}

/// Decode the reference `&{buf}` (`terminated` when a `;` followed).
///
/// Numeric references are decoded; of the named ones only `&amp;`, `&lt;`,
/// `&gt;`, `&quot;` and `&apos;` are accepted, because others (`&colon;`,
/// `&Tab;`, `&sol;`…) exist mainly to smuggle URL syntax past filters.
/// Legacy named references without `;` never decode to URL syntax
/// characters, so treating them as raw text is exact enough.
///
/// # Errors
/// A message for any other named reference.
pub(crate) fn decode_char_ref(buf: &str, terminated: bool) -> Result<CharRef, String> {
    if let Some(num) = buf.strip_prefix('#') {
        let (digits, radix) = match num.strip_prefix(['x', 'X']) {
            Some(hex) => (hex, 16),
            None => (num, 10),
        };
        if digits.is_empty() {
            return Ok(CharRef::Raw);
        }
        let c = u32::from_str_radix(digits, radix)
            .ok()
            .filter(|&n| n != 0)
            .and_then(char::from_u32)
            .unwrap_or('\u{FFFD}');
        return Ok(CharRef::Char(c));
    }
    if !terminated {
        return Ok(CharRef::Raw);
    }
    match buf {
        "amp" => Ok(CharRef::Char('&')),
        "lt" => Ok(CharRef::Char('<')),
        "gt" => Ok(CharRef::Char('>')),
        "quot" => Ok(CharRef::Char('"')),
        "apos" => Ok(CharRef::Char('\'')),
        _ => Err(format!(
            "character reference &{buf}; is not allowed in a URL attribute; write the character itself"
        )),
    }
}

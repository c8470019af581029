//! Attribute classification and URL-attribute tracking for the HTML context
//! walker.
//!
//! An attribute's kind (normal, URL, refused) is decided from its name.
//! Inside a URL attribute the walker follows the literal text, with
//! character references decoded (`charref.rs`), to know whether the scheme
//! is already fixed when a value appears: at the very start the value itself
//! is checked at render time; after a literal `https://…/` or a relative
//! `/…` prefix it cannot change the scheme; anywhere in between
//! (`java{{x}}`) is refused.

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

/// Classify attribute `attr` (lower-cased).
///
/// The element does not matter: every element whose attributes could not
/// hold values safely (`<meta>`, `<base>`, `<object>`, SVG animation…) is
/// refused outright by the HTML walker.
pub(crate) fn classify(attr: &str) -> AttrKind {
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

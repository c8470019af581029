//! Escapers, one per output context, and the URL allow-list.
//!
//! Each escaper appends to the output buffer directly (no intermediate
//! String). HTML escaping is lossless: a tokenizer decoding the output gets
//! back exactly the input (carriage returns are written as `&#13;` because an
//! HTML parser would otherwise normalize them to `\n`), except NUL, which
//! HTML cannot carry and is written as U+FFFD.

/// How a value is written at one slot. Decided once, at compile time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Escape {
    /// Text templates: the value as is.
    None,
    /// HTML text, RCDATA (`<title>`, `<textarea>`) and quoted attribute values.
    Html,
    /// A URL attribute whose value starts with this slot: allow-listed scheme
    /// or relative, else the placeholder; then normalized and HTML-escaped.
    UrlStart,
    /// A URL attribute after a literal prefix that fixed the scheme, before
    /// any `?`/`#`: normalized (percent-encoding what URLs may not hold raw)
    /// and HTML-escaped.
    UrlPath,
    /// A URL attribute after a literal `?` or `#`: percent-encoded as a query
    /// component.
    UrlQuery,
}

/// What a disallowed URL renders as: inert, and easy to find in logs.
pub const URL_PLACEHOLDER: &str = "about:invalid#offer-edge";

/// Schemes a URL value may carry. Anything else (javascript:, data:,
/// vbscript:, http:, …) renders as [`URL_PLACEHOLDER`].
const ALLOWED_SCHEMES: [&str; 3] = ["https", "mailto", "tel"];

impl Escape {
    /// Append `value` escaped for this context.
    pub(crate) fn write(self, out: &mut String, value: &str) {
        match self {
            Escape::None => out.push_str(value),
            Escape::Html => html_escape_into(out, value),
            Escape::UrlStart => {
                let trimmed = trim_url(value);
                if url_is_allowed(trimmed) {
                    normalize_url_into(out, trimmed);
                } else {
                    out.push_str(URL_PLACEHOLDER);
                }
            }
            Escape::UrlPath => normalize_url_into(out, value),
            Escape::UrlQuery => query_escape_into(out, value),
        }
    }

    /// Most bytes writing a value of at most `len` bytes can produce: the
    /// widest replacement of one byte in this context.
    pub(crate) fn max_output(self, len: usize) -> usize {
        if len == 0 {
            return 0;
        }
        match self {
            Escape::None => len,
            // `"` → `&quot;`.
            Escape::Html => len.saturating_mul(6),
            // `&` → `&amp;`; a refused value prints the placeholder.
            Escape::UrlStart => len.saturating_mul(5).max(URL_PLACEHOLDER.len()),
            Escape::UrlPath => len.saturating_mul(5),
            // Every byte → `%XX`.
            Escape::UrlQuery => len.saturating_mul(3),
        }
    }
}

/// Append `value` escaped for HTML text or a quoted attribute value.
pub(crate) fn html_escape_into(out: &mut String, value: &str) {
    let mut last = 0;
    for (i, b) in value.bytes().enumerate() {
        let rep = match b {
            b'&' => "&amp;",
            b'<' => "&lt;",
            b'>' => "&gt;",
            b'"' => "&quot;",
            b'\'' => "&#39;",
            b'`' => "&#96;",
            b'\r' => "&#13;",
            // HTML cannot carry NUL: parsers drop it from text and turn it
            // into U+FFFD elsewhere. Write U+FFFD so every context agrees.
            b'\0' => "\u{FFFD}",
            _ => continue,
        };
        // `i` and `last` sit on ASCII bytes, so both are char boundaries.
        out.push_str(value.get(last..i).unwrap_or(""));
        out.push_str(rep);
        last = i + 1;
    }
    out.push_str(value.get(last..).unwrap_or(""));
}

/// Strip what a URL parser strips: leading and trailing C0 controls and spaces.
fn trim_url(value: &str) -> &str {
    value.trim_matches(|c: char| c <= ' ')
}

/// Whether a (trimmed) URL value is https, mailto, tel or relative.
///
/// The check runs on the raw value, before any escaping, so entity tricks
/// (`&#106;avascript:`) are just characters here: a `:` before the first
/// `/`, `\`, `?` or `#` makes everything before it the scheme, compared
/// ASCII-case-insensitively and exactly against the allow-list. Tabs and
/// newlines are skipped the way a URL parser removes them, so `java\tscript:`
/// is the (refused) scheme `javascript`. Protocol-relative URLs (`//host`,
/// also spelled with backslashes) are refused: they inherit the page's scheme
/// and are never "relative" in the same-site sense.
pub(crate) fn url_is_allowed(value: &str) -> bool {
    let mut chars = value.chars().filter(|c| !matches!(c, '\t' | '\n' | '\r'));
    let first_two: Vec<char> = chars.clone().take(2).collect();
    if first_two.len() == 2 && first_two.iter().all(|c| matches!(c, '/' | '\\')) {
        return false;
    }
    let mut scheme = String::new();
    for c in chars.by_ref() {
        match c {
            ':' => {
                return ALLOWED_SCHEMES
                    .iter()
                    .any(|s| s.eq_ignore_ascii_case(&scheme));
            }
            '/' | '\\' | '?' | '#' => return true,
            _ => scheme.push(c),
        }
    }
    true
}

/// Whether a literal scheme (already decoded) is on the allow-list.
pub(crate) fn scheme_is_allowed(scheme: &str) -> bool {
    ALLOWED_SCHEMES
        .iter()
        .any(|s| s.eq_ignore_ascii_case(scheme))
}

/// Percent-encode bytes that may not appear raw in a URL, keeping reserved
/// and unreserved characters and `%` (as Go's html/template URL normalizer),
/// then HTML-escape the result (for `&` and `'`).
fn normalize_url_into(out: &mut String, value: &str) {
    for b in value.bytes() {
        match b {
            b'A'..=b'Z'
            | b'a'..=b'z'
            | b'0'..=b'9'
            | b'-'
            | b'.'
            | b'_'
            | b'~'
            | b'!'
            | b'#'
            | b'$'
            | b'*'
            | b'+'
            | b','
            | b'/'
            | b':'
            | b';'
            | b'='
            | b'?'
            | b'@'
            | b'['
            | b']'
            | b'%' => out.push(char::from(b)),
            b'&' => out.push_str("&amp;"),
            _ => push_percent(out, b),
        }
    }
}

/// Percent-encode everything but unreserved characters (a query component).
fn query_escape_into(out: &mut String, value: &str) {
    for b in value.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                out.push(char::from(b));
            }
            _ => push_percent(out, b),
        }
    }
}

fn push_percent(out: &mut String, b: u8) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    out.push('%');
    out.push(char::from(HEX[usize::from(b >> 4)]));
    out.push(char::from(HEX[usize::from(b & 0x0f)]));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn esc(e: Escape, v: &str) -> String {
        let mut s = String::new();
        e.write(&mut s, v);
        s
    }

    #[test]
    fn html_escapes_markup_and_quotes() {
        assert_eq!(
            esc(Escape::Html, "<a href=\"x\">'&`\r"),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#96;&#13;"
        );
        assert_eq!(esc(Escape::Html, "Ada Lovelace"), "Ada Lovelace");
    }

    #[test]
    fn url_allow_list() {
        for ok in [
            "https://shop.example/a?b=c",
            "HTTPS://x",
            "mailto:a@b.c",
            "tel:+15551234",
            "/offers/1",
            "offers/1",
            "?q=1",
            "#top",
            "",
            // Checked raw, before escaping: the `#` makes this a relative
            // URL with a fragment, and the `&` is escaped on output, so no
            // browser ever decodes it to `j`.
            "&#106;avascript:alert(1)",
        ] {
            assert!(url_is_allowed(ok), "{ok}");
        }
        for bad in [
            "javascript:alert(1)",
            "JaVaScRiPt:alert(1)",
            "java\tscript:alert(1)",
            "java\nscript:alert(1)",
            "java\0script:alert(1)",
            "data:text/html,<script>",
            "vbscript:msgbox",
            "http://insecure",
            "//evil.example",
            "\\\\evil.example",
            "/\\evil.example",
            ":nothing",
        ] {
            assert!(!url_is_allowed(bad), "{bad:?}");
        }
    }

    #[test]
    fn url_start_replaces_disallowed_values() {
        assert_eq!(
            esc(Escape::UrlStart, " javascript:alert(1)"),
            URL_PLACEHOLDER
        );
        assert_eq!(
            esc(Escape::UrlStart, "https://x/a b?c=1&d='"),
            "https://x/a%20b?c=1&amp;d=%27"
        );
        assert_eq!(esc(Escape::UrlQuery, "a b&c=d/é"), "a%20b%26c%3Dd%2F%C3%A9");
    }
}

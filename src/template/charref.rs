//! Character references in literal URL attribute values, decoded the way a
//! browser's tokenizer decodes them inside an attribute value, so the scheme
//! check sees the characters the URL parser will see
//! (`javascript&#0000058alert(1)` is `javascript:alert(1)`).
//!
//! | reference | decodes to |
//! | --- | --- |
//! | `&#` decimal digits, `&#x`/`&#X` hex digits, `;` optional | the code point; any number of leading zeros |
//! | … 0, a surrogate, or above U+10FFFF | U+FFFD |
//! | … 0x80–0x9F | the windows-1252 character (`&#x80;` → `€`) where it has one |
//! | `&#` or `&#x` without digits | nothing: the text stays as written |
//! | a named reference that decodes to ASCII (`&colon;`, `&Tab;`, `&NewLine;`, `&sol;`, `&fjlig;`…) | that text |
//! | `&amp` `&lt` `&gt` `&quot` (any case form the spec has) without `;` | the character, unless `=` or an alphanumeric follows (then the text stays as written) |
//! | any other name | kept as written |
//!
//! Why the last row is exact enough: of the 2,231 named references only the
//! ones in [`ASCII_NAMES`] produce ASCII; every other one produces non-ASCII
//! characters (or is not a reference and stays `&name;`). Either way what the
//! URL check sees holds no `:`, `/`, `\`, `?`, `#`, tab or newline and cannot
//! be part of an allowed scheme, so the outcome of the check is the same as
//! with the full table, which would cost ~30 KB of WebAssembly.

/// Named references whose decoded text is ASCII (from the WHATWG table),
/// without the `&` and `;`. Sorted for binary search.
const ASCII_NAMES: [(&str, &str); 46] = [
    ("AMP", "&"),
    ("DiacriticalGrave", "`"),
    ("GT", ">"),
    ("Hat", "^"),
    ("LT", "<"),
    ("NewLine", "\n"),
    ("QUOT", "\""),
    ("Tab", "\t"),
    ("UnderBar", "_"),
    ("VerticalLine", "|"),
    ("amp", "&"),
    ("apos", "'"),
    ("ast", "*"),
    ("bsol", "\\"),
    ("colon", ":"),
    ("comma", ","),
    ("commat", "@"),
    ("dollar", "$"),
    ("equals", "="),
    ("excl", "!"),
    ("fjlig", "fj"),
    ("grave", "`"),
    ("gt", ">"),
    ("lbrace", "{"),
    ("lbrack", "["),
    ("lcub", "{"),
    ("lowbar", "_"),
    ("lpar", "("),
    ("lsqb", "["),
    ("lt", "<"),
    ("midast", "*"),
    ("num", "#"),
    ("percnt", "%"),
    ("period", "."),
    ("plus", "+"),
    ("quest", "?"),
    ("quot", "\""),
    ("rbrace", "}"),
    ("rbrack", "]"),
    ("rcub", "}"),
    ("rpar", ")"),
    ("rsqb", "]"),
    ("semi", ";"),
    ("sol", "/"),
    ("verbar", "|"),
    ("vert", "|"),
];

/// Legacy names the spec also accepts without `;` that decode to ASCII.
const LEGACY_ASCII: [(&str, char); 8] = [
    ("AMP", '&'),
    ("GT", '>'),
    ("LT", '<'),
    ("QUOT", '"'),
    ("amp", '&'),
    ("gt", '>'),
    ("lt", '<'),
    ("quot", '"'),
];

/// Longest name in the WHATWG table (`CounterClockwiseContourIntegral`):
/// a longer run of alphanumerics cannot be a reference.
const MAX_NAME_LEN: usize = 31;

/// windows-1252 characters for 0x80–0x9F (0 where it has none, and the code
/// point stays as it is).
const WINDOWS_1252: [u16; 32] = [
    0x20AC, 0, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160, 0x2039,
    0x0152, 0, 0x017D, 0, 0, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014, 0x02DC,
    0x2122, 0x0161, 0x203A, 0x0153, 0, 0x017E, 0x0178,
];

/// A reference being read after `&`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct CharRef {
    /// What followed `&` so far: `#`, `#x`, digits, or name characters.
    buf: String,
    /// Value of the digits read (saturating past U+10FFFF).
    value: u32,
    digits: bool,
}

/// What a reference turned into.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Decoded {
    /// Still reading: the character was consumed.
    More,
    /// Finished; `text` is what the browser puts in the attribute value.
    /// `consumed` says whether the character that ended it (`;`) belongs
    /// to the reference; when false it must be read again as text.
    Done { text: String, consumed: bool },
}

impl CharRef {
    /// Read one more character of the reference.
    pub(crate) fn push(&mut self, c: char) -> Decoded {
        if let Some(rest) = self.buf.strip_prefix('#') {
            let hex = rest.starts_with(['x', 'X']);
            if rest.is_empty() && matches!(c, 'x' | 'X') {
                self.buf.push(c);
                return Decoded::More;
            }
            if let Some(d) = c.to_digit(if hex { 16 } else { 10 }) {
                self.digits = true;
                let radix = if hex { 16 } else { 10 };
                // Saturate just above the Unicode range: any larger value
                // decodes to U+FFFD anyway, however many digits follow.
                self.value = self
                    .value
                    .saturating_mul(radix)
                    .saturating_add(d)
                    .min(0x11_0000);
                return Decoded::More;
            }
            return self.finish_numeric(c == ';');
        }
        if c.is_ascii_alphanumeric() && self.buf.len() < MAX_NAME_LEN {
            self.buf.push(c);
            return Decoded::More;
        }
        if c == '#' && self.buf.is_empty() {
            self.buf.push(c);
            return Decoded::More;
        }
        self.finish_named(Some(c))
    }

    /// The attribute value ended right after the reference.
    pub(crate) fn end(mut self) -> String {
        match if self.buf.starts_with('#') {
            self.finish_numeric(false)
        } else {
            self.finish_named(None)
        } {
            Decoded::Done { text, .. } => text,
            Decoded::More => String::new(),
        }
    }

    fn finish_numeric(&mut self, semicolon: bool) -> Decoded {
        if !self.digits {
            // `&#` or `&#x` with no digits is not a reference.
            return Decoded::Done {
                text: format!("&{}", self.buf),
                consumed: false,
            };
        }
        Decoded::Done {
            text: numeric(self.value).to_string(),
            consumed: semicolon,
        }
    }

    fn finish_named(&mut self, next: Option<char>) -> Decoded {
        let name = self.buf.as_str();
        if next == Some(';') {
            if let Ok(i) = ASCII_NAMES.binary_search_by(|(n, _)| n.cmp(&name)) {
                if let Some((_, text)) = ASCII_NAMES.get(i) {
                    return Decoded::Done {
                        text: (*text).to_owned(),
                        consumed: true,
                    };
                }
            }
        }
        // Without `;`, only the legacy names decode, and in an attribute
        // value not when `=` or an alphanumeric follows the name (here the
        // buffer holds every alphanumeric, so "follows" means "is longer").
        let legacy = LEGACY_ASCII
            .iter()
            .find(|(n, _)| *n == name)
            .filter(|_| next != Some('='));
        match legacy {
            Some((_, c)) => Decoded::Done {
                text: c.to_string(),
                consumed: false,
            },
            None => Decoded::Done {
                text: format!("&{name}"),
                consumed: false,
            },
        }
    }
}

/// The character a numeric reference with `value` decodes to.
fn numeric(value: u32) -> char {
    if (0x80..=0x9F).contains(&value) {
        let mapped = WINDOWS_1252
            .get((value - 0x80) as usize)
            .copied()
            .unwrap_or(0);
        if mapped != 0 {
            return char::from_u32(u32::from(mapped)).unwrap_or('\u{FFFD}');
        }
    }
    match value {
        0 => '\u{FFFD}',
        // Surrogates and values past U+10FFFF are not characters.
        v => char::from_u32(v).unwrap_or('\u{FFFD}'),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Decode every reference in `s` as an attribute value would.
    fn decode(s: &str) -> String {
        let mut out = String::new();
        let mut pending: Option<CharRef> = None;
        for c in s.chars() {
            if let Some(r) = pending.as_mut() {
                match r.push(c) {
                    Decoded::More => continue,
                    Decoded::Done { text, consumed } => {
                        out.push_str(&text);
                        pending = None;
                        if consumed {
                            continue;
                        }
                    }
                }
            }
            if c == '&' {
                pending = Some(CharRef::default());
            } else {
                out.push(c);
            }
        }
        if let Some(r) = pending {
            out.push_str(&r.end());
        }
        out
    }

    #[test]
    fn table_is_sorted_and_unique() {
        assert!(ASCII_NAMES.windows(2).all(|w| w[0].0 < w[1].0));
    }

    #[test]
    fn numeric_references_follow_the_spec() {
        assert_eq!(decode("javascript&#0000058alert(1)"), "javascript:alert(1)");
        assert_eq!(decode("&#106avascript:"), "javascript:");
        assert_eq!(decode("&#x6A;&#X61;"), "ja");
        assert_eq!(decode("&#x3a"), ":");
        assert_eq!(decode("&#00000000000000000000000000000000000058;"), ":");
        assert_eq!(
            decode("&#0;&#xD800;&#x110000;&#99999999999999;"),
            "\u{FFFD}".repeat(4)
        );
        assert_eq!(decode("&#x80;&#150;&#x81;"), "€\u{2013}\u{81}");
        assert_eq!(decode("&#;&#x;&#xg"), "&#;&#x;&#xg");
        assert_eq!(decode("&#9;&#10;&#x0D;"), "\t\n\r");
    }

    #[test]
    fn named_references_that_spell_url_syntax_decode() {
        assert_eq!(decode("javascript&colon;x"), "javascript:x");
        assert_eq!(decode("java&Tab;script&NewLine;:"), "java\tscript\n:");
        assert_eq!(decode("&sol;&sol;x&quest;&num;&bsol;"), "//x?#\\");
        assert_eq!(decode("&fjlig;"), "fj");
        // Legacy names without `;`, except before `=` or an alphanumeric.
        assert_eq!(decode("a&amp;b&ampc&amp=d&lt x&AMP"), "a&b&ampc&amp=d< x&");
        // Not in the ASCII table: kept as written (decodes to non-ASCII).
        assert_eq!(
            decode("&eacute;&colon x&nosuch;"),
            "&eacute;&colon x&nosuch;"
        );
    }
}

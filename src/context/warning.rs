//! What reading a context left out, and why: one unknown or invalid
//! attribute never refuses a whole context (a checkout page that sends
//! `billingzipcode` still gets offers); it is dropped and named here, and
//! the decision carries the list (`Decision::warnings`).
//!
//! The list is bounded ([`MAX_CONTEXT_WARNINGS`] entries, then a count),
//! and names and messages are cut short and stripped of control and
//! direction-override characters: every byte of them came from the page.

/// Most warnings one context keeps; the rest are only counted.
pub const MAX_CONTEXT_WARNINGS: usize = 8;
/// Longest attribute name a warning repeats (bytes, cut on a character).
const MAX_NAME_BYTES: usize = 64;
/// Longest warning message (bytes, cut on a character).
const MAX_MESSAGE_BYTES: usize = 200;

/// The stable tag of a [`ContextWarning`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ContextWarningCode {
    /// A top-level attribute the engine does not know: ignored (rules
    /// cannot read it; partner-specific attributes go under `custom`).
    AttributeUnknown,
    /// A known attribute with a value of the wrong type or out of range:
    /// dropped, as if absent.
    AttributeInvalid,
}

impl ContextWarningCode {
    /// The stable string form, e.g. `"ATTRIBUTE_UNKNOWN"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::AttributeUnknown => "ATTRIBUTE_UNKNOWN",
            Self::AttributeInvalid => "ATTRIBUTE_INVALID",
        }
    }
}

/// One attribute left out of a context.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContextWarning {
    /// Stable tag.
    pub code: ContextWarningCode,
    /// The attribute as sent (`custom.<name>` for a custom one), cut to 64
    /// bytes, control and direction characters replaced by `?`.
    pub attribute: String,
    /// Why, for people (not stable).
    pub message: String,
}

/// The warnings of one context: at most [`MAX_CONTEXT_WARNINGS`], and how
/// many more there were.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ContextWarnings {
    /// The first warnings, in document order.
    pub list: Vec<ContextWarning>,
    /// Warnings past the first [`MAX_CONTEXT_WARNINGS`], counted only.
    pub omitted: u32,
}

impl ContextWarnings {
    /// Records that `attribute` was left out.
    pub(crate) fn push(&mut self, code: ContextWarningCode, attribute: &str, message: &str) {
        if self.list.len() >= MAX_CONTEXT_WARNINGS {
            self.omitted = self.omitted.saturating_add(1);
            return;
        }
        self.list.push(ContextWarning {
            code,
            attribute: shown(attribute, MAX_NAME_BYTES),
            message: shown(message, MAX_MESSAGE_BYTES),
        });
    }

    /// Whether nothing was left out.
    pub fn is_empty(&self) -> bool {
        self.list.is_empty() && self.omitted == 0
    }

    /// The warning about `attribute`, if it was left out.
    pub fn about(&self, attribute: &str) -> Option<&ContextWarning> {
        self.list.iter().find(|w| w.attribute == attribute)
    }
}

/// `text` safe to show in a log line or a page: at most `max` bytes (cut on
/// a character, `…` marking the cut), control characters and bidirectional
/// overrides and isolates (which reorder the text around them) as `?`.
fn shown(text: &str, max: usize) -> String {
    let mut out = String::with_capacity(text.len().min(max + 3));
    for c in text.chars() {
        if out.len() + c.len_utf8() > max {
            out.push('…');
            break;
        }
        let unsafe_char = c.is_control()
            || matches!(c, '\u{200E}' | '\u{200F}' | '\u{61C}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}');
        out.push(if unsafe_char { '?' } else { c });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{ContextWarningCode, ContextWarnings, MAX_CONTEXT_WARNINGS};

    #[test]
    fn bounded_and_safe_to_show() {
        let mut w = ContextWarnings::default();
        let long = "é".repeat(100);
        w.push(ContextWarningCode::AttributeUnknown, &long, "m");
        let name = &w.list[0].attribute;
        assert!(
            name.len() <= 64 + '…'.len_utf8() && name.ends_with('…'),
            "{name}"
        );
        w.push(
            ContextWarningCode::AttributeUnknown,
            "a\u{202E}b\nc\u{2066}",
            "x",
        );
        assert_eq!(w.list[1].attribute, "a?b?c?");
        for i in 0..20 {
            w.push(ContextWarningCode::AttributeInvalid, &format!("n{i}"), "m");
        }
        assert_eq!(w.list.len(), MAX_CONTEXT_WARNINGS);
        assert_eq!(w.omitted, 22 - MAX_CONTEXT_WARNINGS as u32);
    }
}

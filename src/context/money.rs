//! Money attributes (`amount`) as checkout pages write them: `"$10.00"`,
//! `"USD 1,234.50"`, `"1.234,50 €"`, `"$1,000"`. One set of rules,
//! locale-free; text that breaks them is refused (the attribute is dropped
//! with its reason, see [`super`]), never half read.
//!
//! | rule | accepted | refused |
//! |---|---|---|
//! | at most [`MAX_MONEY_TEXT_BYTES`] bytes | | 65 digits |
//! | Unicode whitespace and the invisible direction marks U+200E, U+200F, U+061C (`Intl.NumberFormat` in RTL locales) are trimmed around the number and the marker | `" 10 "`, `"\u{200F}10.00 ₪"` | marks inside the digits; other format characters (U+202A–U+202E, U+2066–U+2069) |
//! | at most one currency marker, before or after the number, space optional: a symbol (`$ € £ ¥ ₹ ₩ ₪ ₽ ₺ ₫ ₱ ₦ ₴ ¢ ฿`), 1–2 ASCII letters then a symbol (`US$`, `R$`), or a 3-letter code (`USD`, `eur`) — not compared with `currency` | `"$10.00"`, `"10 EUR"`, `"US$5"` | `"$10 USD"`, `"kr 10"`, `"(10.00)"` |
//! | digits are ASCII `0-9`, at least one before any separator | `"0.50"` | `"٣"`, `"１０"`, `".50"` |
//! | grouping (thousands) characters: `,` `.` `'` `’` space, U+00A0, U+202F; one kind per amount, first group 1–3 digits, then groups of exactly 3 | `"1 234 567"`, `"1'234.50"` | `"12,34.5"`, `"1,234 567"` |
//! | `,` and `.` both present: the last one is the decimal separator (once), the other groups | `"1,234.50"` = 1234.5, `"1.234,50"` = 1234.5 | `"1.234.50,00"` |
//! | one kind of `,`/`.` repeated: it groups | `"1,234,567"`, `"1.234.567"` | |
//! | a lone `,` or `.` followed by 1, 2 or 4+ digits: decimal | `"10,5"` = 10.5, `"49.99"` | |
//! | a lone `,` or `.` followed by exactly 3 digits groups thousands: prices have at most 2 decimals, and `"$1,000"` is how shops write a thousand — except a plain number (digits, one `.`, nothing else), read as JSON and JavaScript read it. Amounts in the 3-decimal currencies (KWD, BHD…) go as plain numbers or with both separators | `"$1,000"` = 1000, `"1.234 €"` = 1234, `"1.234"` = 1.234 | |
//! | no sign, exponent, `NaN` or `Infinity` | | `"-5"`, `"1e3"`, `"Infinity"` |
//! | the value is at most [`MAX_MONEY_AMOUNT`] | `"999,999,999,999"` | `"1,000,000,000,001"` |
//!
//! A JSON number (`"amount": 10.5`) needs none of this; it is only checked
//! to be finite, non-negative and within [`MAX_MONEY_AMOUNT`].
//!
//! Reasons are static text; the caller prefixes the attribute's name.

use crate::rules::jsnum::string_to_number;

/// Longest money text read. A price with grouping, two decimals and a code
/// fits in 32; anything longer is not a price.
pub const MAX_MONEY_TEXT_BYTES: usize = 64;

/// Largest money amount accepted (10^12): far above any checkout, and
/// cents stay exact in an `f64` below 2^53 / 100.
pub const MAX_MONEY_AMOUNT: f64 = 1e12;

/// Currency symbols a marker may be or end with.
const SYMBOLS: [char; 15] = [
    '$', '€', '£', '¥', '₹', '₩', '₪', '₽', '₺', '₫', '₱', '₦', '₴', '¢', '฿',
];

/// Characters that group digits (never a decimal separator on their own).
const fn is_grouping_only(c: char) -> bool {
    matches!(c, '\'' | '’' | ' ' | '\u{A0}' | '\u{202F}')
}

/// `text` without the whitespace and the invisible direction marks
/// (U+200E, U+200F, U+061C) locale formatting puts around numbers and
/// currency markers. (A loop, not `trim_matches` with a closure: that
/// instantiation alone is 0.8 KB of the page build.)
fn trim_blank(text: &str) -> &str {
    let is_mark = |c: &char| matches!(c, '\u{200E}' | '\u{200F}' | '\u{61C}');
    let mut t = text.trim();
    while let Some(c) = t.chars().next().filter(is_mark) {
        t = t[c.len_utf8()..].trim();
    }
    while let Some(c) = t.chars().next_back().filter(is_mark) {
        t = t[..t.len() - c.len_utf8()].trim();
    }
    t
}

/// Checks a numeric money value: finite, not negative, within the limit.
///
/// # Errors
/// The reason, for the warning.
pub(crate) fn check_amount(n: f64) -> Result<f64, &'static str> {
    if n.is_nan() {
        Err("is not a number")
    } else if n < 0.0 {
        Err("must not be negative")
    } else if n > MAX_MONEY_AMOUNT {
        Err("is over the limit of 1000000000000")
    } else {
        Ok(n)
    }
}

/// Reads money text by the rules of the module table.
///
/// # Errors
/// The reason the text is not an amount, for the warning.
pub(crate) fn parse_money(text: &str) -> Result<f64, &'static str> {
    if text.len() > MAX_MONEY_TEXT_BYTES {
        return Err("is longer than 64 bytes");
    }
    let t = trim_blank(text);
    let (Some(first), Some(last)) = (
        t.find(|c: char| c.is_ascii_digit()),
        t.rfind(|c: char| c.is_ascii_digit()),
    ) else {
        return Err("has no digits");
    };
    let (prefix, body, suffix) = (
        trim_blank(&t[..first]),
        &t[first..=last],
        trim_blank(&t[last + 1..]),
    );
    if prefix.contains('-') || suffix.contains('-') {
        return Err("must not be negative");
    }
    let marked = match (prefix.is_empty(), suffix.is_empty()) {
        (true, true) => false,
        (false, false) => return Err("has text on both sides of the number"),
        _ if is_currency_marker(prefix) && is_currency_marker(suffix) => true,
        _ => return Err("has text that is not a currency symbol or code"),
    };
    if !body
        .chars()
        .all(|c| c.is_ascii_digit() || c == ',' || c == '.' || is_grouping_only(c))
    {
        return Err("has a character other than digits and separators");
    }
    let (int, frac) = match decimal_separator(body, marked)? {
        Some(at) => (&body[..at], &body[at + 1..]),
        None => (body, ""),
    };
    let mut plain = String::with_capacity(body.len());
    grouped_digits(int, &mut plain)?;
    if !frac.is_empty() {
        if !frac.bytes().all(|b| b.is_ascii_digit()) {
            return Err("has a separator after the decimal separator");
        }
        plain.push('.');
        plain.push_str(frac);
    }
    check_amount(string_to_number(&plain))
}

/// An empty marker, or one currency symbol/code (see the module table).
fn is_currency_marker(marker: &str) -> bool {
    let letters = marker.bytes().take_while(u8::is_ascii_alphabetic).count();
    let mut rest = marker[letters..].chars();
    match (rest.next(), rest.next()) {
        (None, _) => letters == 0 || letters == 3,
        (Some(symbol), None) => letters <= 2 && SYMBOLS.contains(&symbol),
        _ => false,
    }
}

/// Byte offset of the decimal separator in `body` (which starts and ends
/// with a digit), if it has one.
fn decimal_separator(body: &str, marked: bool) -> Result<Option<usize>, &'static str> {
    let count = |sep: u8| body.bytes().filter(|&b| b == sep).count();
    let (commas, dots) = (count(b','), count(b'.'));
    let last_comma = body.rfind(',');
    let last_dot = body.rfind('.');
    match (commas, dots) {
        (0, 0) => Ok(None),
        (1.., 1..) => {
            let (at, count) = if last_dot > last_comma {
                (last_dot, dots)
            } else {
                (last_comma, commas)
            };
            if count > 1 {
                return Err("has more than one decimal separator");
            }
            Ok(at)
        }
        (1, 0) | (0, 1) => {
            let at = last_comma.or(last_dot).unwrap_or(0);
            let after = body.len() - at - 1;
            let plain = !marked && commas == 0 && !body.chars().any(is_grouping_only);
            // Three digits after a lone separator group thousands (the
            // module table); `grouped_digits` then checks the groups.
            Ok((after != 3 || plain).then_some(at))
        }
        // One kind, repeated: it groups thousands.
        _ => Ok(None),
    }
}

/// Appends the digits of the integer part `int` to `out`, checking its
/// grouping: one grouping character, first group 1–3 digits, then 3.
fn grouped_digits(int: &str, out: &mut String) -> Result<(), &'static str> {
    let mut separator = None;
    let mut group = 0usize;
    let mut first = true;
    for c in int.chars() {
        if c.is_ascii_digit() {
            out.push(c);
            group += 1;
            continue;
        }
        if *separator.get_or_insert(c) != c {
            return Err("mixes grouping characters");
        }
        let ok = if first {
            (1..=3).contains(&group)
        } else {
            group == 3
        };
        if !ok {
            return Err("groups digits other than in threes");
        }
        first = false;
        group = 0;
    }
    if separator.is_some() && group != 3 {
        return Err("groups digits other than in threes");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::{check_amount, parse_money};

    #[test]
    fn reads_each_rule() {
        let accepted: [(&str, f64); 30] = [
            ("10", 10.0),
            (" 10 ", 10.0),
            ("49.99", 49.99),
            ("$10.00", 10.0),
            ("$ 10.00", 10.0),
            ("10.00$", 10.0),
            ("USD 1,234.50", 1234.5),
            ("usd10", 10.0),
            ("1.234,50 €", 1234.5),
            ("€10", 10.0),
            ("US$5", 5.0),
            ("R$ 1.234,56", 1234.56),
            ("1,234,567", 1_234_567.0),
            ("1.234.567", 1_234_567.0),
            ("1 234 567,89", 1_234_567.89),
            ("1\u{202F}234,5\u{A0}€", 1234.5),
            ("1'234.50", 1234.5),
            ("10,5", 10.5),
            ("10,50", 10.5),
            ("0,1234", 0.1234),
            ("1,0000", 1.0),
            // A plain number reads as JSON and JavaScript read it.
            ("1.234", 1.234),
            ("\u{200F}10.00 ₪", 10.0),
            ("\u{200F}10.00\u{200F} ₪\u{200E}", 10.0),
            ("007.50", 7.5),
            ("999,999,999,999", 999_999_999_999.0),
            // A lone separator before exactly 3 digits groups thousands.
            ("$1,000", 1000.0),
            ("1,234", 1234.0),
            ("$1.234", 1234.0),
            ("1.234 €", 1234.0),
        ];
        for (text, want) in accepted {
            assert_eq!(parse_money(text), Ok(want), "{text:?}");
        }
    }

    #[test]
    fn refuses_ambiguous_and_hostile_text() {
        let long_digits = "9".repeat(65);
        let many_digits = "9".repeat(40);
        let refused = [
            "-5",
            "$-5",
            "(10.00)",
            "1e3",
            "NaN",
            "Infinity",
            "",
            "   ",
            "$",
            ".50",
            "$10 USD",
            "kr 10",
            "10 dollars",
            "\u{663}",
            "１０",
            "1\u{663}",
            "\u{202E}10",
            "1\u{202E}0",
            "1\u{200F}0",
            "12,34.5",
            "1,234 567",
            "1.234.50,00",
            "1,2,3",
            "1,234.5.6",
            "0x10",
            "+10",
            "1 0",
            long_digits.as_str(),
            many_digits.as_str(),
            "1,000,000,000,001",
        ];
        for text in refused {
            assert!(
                parse_money(text).is_err(),
                "{text:?} read as {:?}",
                parse_money(text)
            );
        }
    }

    #[test]
    fn checks_numbers() {
        assert_eq!(check_amount(0.0), Ok(0.0));
        assert_eq!(check_amount(1e12), Ok(1e12));
        assert!(check_amount(-0.01).is_err());
        assert!(check_amount(1e12 + 1.0).is_err());
        assert!(check_amount(f64::NAN).is_err());
        assert!(check_amount(f64::INFINITY).is_err());
    }
}

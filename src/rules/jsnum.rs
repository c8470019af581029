//! JavaScript's number ↔ string conversions, which JSONLogic inherits from
//! json-logic-js: `ToNumber` (used by `-`, `/`, `%`, comparisons, `==`),
//! `parseFloat` (used by `+` and `*`) and `Number.prototype.toString` (used by
//! `cat`, `in` on strings and `var` with a numeric path).

/// A JSON number as the JS number JSONLogic sees. `as_f64` is never `None`
/// (serde_json's `arbitrary_precision` is off in every build); NaN, which no
/// JSON text can spell, would stand in if that changed.
pub(crate) fn json_number(n: &serde_json::Number) -> f64 {
    let x = n.as_f64();
    debug_assert!(x.is_some(), "JSON number {n} has no f64 value");
    x.unwrap_or(f64::NAN)
}

/// JS `StrWhiteSpaceChar`: WhiteSpace and LineTerminator code points.
fn is_js_space(c: char) -> bool {
    matches!(
        c,
        '\u{9}' | '\u{A}' | '\u{B}' | '\u{C}' | '\u{D}' | ' ' | '\u{A0}' | '\u{1680}' | '\u{2000}'
            ..='\u{200A}'
                | '\u{2028}'
                | '\u{2029}'
                | '\u{202F}'
                | '\u{205F}'
                | '\u{3000}'
                | '\u{FEFF}'
    )
}

/// Length of the longest prefix of `b` that is a JS `StrDecimalLiteral`
/// (optional sign, then `Infinity` or digits with optional fraction and
/// exponent), or 0.
fn decimal_prefix(b: &[u8]) -> usize {
    let mut i = 0;
    if matches!(b.first(), Some(b'+' | b'-')) {
        i = 1;
    }
    if b.get(i..).is_some_and(|rest| rest.starts_with(b"Infinity")) {
        return i + 8;
    }
    let int_start = i;
    while b.get(i).is_some_and(u8::is_ascii_digit) {
        i += 1;
    }
    let mut digits = i - int_start;
    if b.get(i) == Some(&b'.') {
        let frac_start = i + 1;
        let mut j = frac_start;
        while b.get(j).is_some_and(u8::is_ascii_digit) {
            j += 1;
        }
        if digits > 0 || j > frac_start {
            digits += j - frac_start;
            i = j;
        }
    }
    if digits == 0 {
        return 0;
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        let mut j = i + 1;
        if matches!(b.get(j), Some(b'+' | b'-')) {
            j += 1;
        }
        let exp_start = j;
        while b.get(j).is_some_and(u8::is_ascii_digit) {
            j += 1;
        }
        if j > exp_start {
            i = j;
        }
    }
    i
}

/// Parses a validated decimal literal (as found by [`decimal_prefix`]).
fn parse_decimal(text: &str) -> f64 {
    let unsigned = text.trim_start_matches(['+', '-']);
    let negative = text.starts_with('-');
    let magnitude = if unsigned == "Infinity" {
        f64::INFINITY
    } else {
        // Rust accepts every JS decimal literal shape ("1.", ".5", "1e5").
        unsigned.parse::<f64>().unwrap_or(f64::NAN)
    };
    if negative {
        -magnitude
    } else {
        magnitude
    }
}

/// JS `ToNumber` applied to a string: the whole (trimmed) string must be a
/// number literal; `""` is 0; `0x`/`0o`/`0b` integers are accepted; anything
/// else is NaN.
pub(crate) fn string_to_number(s: &str) -> f64 {
    let t = s.trim_matches(is_js_space);
    if t.is_empty() {
        return 0.0;
    }
    let b = t.as_bytes();
    if b.len() > 2 && b[0] == b'0' {
        let radix = match b[1] {
            b'x' | b'X' => 16,
            b'o' | b'O' => 8,
            b'b' | b'B' => 2,
            _ => 0,
        };
        if radix != 0 {
            return t[2..]
                .chars()
                .try_fold(0f64, |acc, c| {
                    c.to_digit(radix)
                        .map(|d| acc * f64::from(radix) + f64::from(d))
                })
                .unwrap_or(f64::NAN);
        }
    }
    if decimal_prefix(b) == b.len() {
        parse_decimal(t)
    } else {
        f64::NAN
    }
}

/// JS `parseFloat` of a string: the longest leading decimal literal after
/// leading whitespace, or NaN.
pub(crate) fn parse_float(s: &str) -> f64 {
    let t = s.trim_start_matches(is_js_space);
    let n = decimal_prefix(t.as_bytes());
    if n == 0 {
        return f64::NAN;
    }
    t.get(..n).map_or(f64::NAN, parse_decimal)
}

/// JS `Number.prototype.toString()` (radix 10): integers without a fraction,
/// shortest round-trip digits, exponent form below 1e-6 and from 1e21.
pub(crate) fn number_to_string(x: f64) -> String {
    let mut out = String::new();
    write_number(&mut out, x);
    out
}

/// Appends [`number_to_string`]`(x)` to `out`.
pub(crate) fn write_number(out: &mut String, x: f64) {
    if x.is_nan() {
        out.push_str("NaN");
        return;
    }
    if x == 0.0 {
        out.push('0');
        return;
    }
    if x < 0.0 {
        out.push('-');
    }
    let x = x.abs();
    if x.is_infinite() {
        out.push_str("Infinity");
        return;
    }
    // Shortest round-trip digits and exponent from Rust's `{:e}` ("1.25e-7").
    let sci = format!("{x:e}");
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let e: i32 = exp.parse().unwrap_or(0);
    let k = i32::try_from(digits.len()).unwrap_or(i32::MAX);
    let n = e + 1;
    if k <= n && n <= 21 {
        out.push_str(&digits);
        for _ in 0..(n - k) {
            out.push('0');
        }
    } else if 0 < n && n <= 21 {
        let (int, frac) = digits.split_at(usize::try_from(n).unwrap_or(0));
        out.push_str(int);
        out.push('.');
        out.push_str(frac);
    } else if -6 < n && n <= 0 {
        out.push_str("0.");
        for _ in 0..(-n) {
            out.push('0');
        }
        out.push_str(&digits);
    } else {
        let (first, rest) = digits.split_at(1.min(digits.len()));
        out.push_str(first);
        if !rest.is_empty() {
            out.push('.');
            out.push_str(rest);
        }
        out.push('e');
        out.push(if n - 1 < 0 { '-' } else { '+' });
        out.push_str(&(n - 1).unsigned_abs().to_string());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn to_number_follows_javascript() {
        for (s, want) in [
            ("", 0.0),
            ("  42 ", 42.0),
            ("49.99", 49.99),
            ("-1e3", -1000.0),
            (".5", 0.5),
            ("5.", 5.0),
            ("0x1F", 31.0),
            ("+Infinity", f64::INFINITY),
        ] {
            assert_eq!(string_to_number(s), want, "{s:?}");
        }
        for s in ["abc", "1,5", "inf", "NaN", "1e", "0x", "- 1", "12px"] {
            assert!(string_to_number(s).is_nan(), "{s:?}");
        }
    }

    #[test]
    fn parse_float_takes_the_leading_number() {
        assert_eq!(parse_float("12px"), 12.0);
        assert_eq!(parse_float("  -.5e1x"), -5.0);
        assert_eq!(parse_float("1e"), 1.0);
        assert!(parse_float("").is_nan());
        assert!(parse_float("px12").is_nan());
    }

    #[test]
    fn number_to_string_matches_javascript() {
        for (x, want) in [
            (1.0, "1"),
            (-3.0, "-3"),
            (0.5, "0.5"),
            (49.99, "49.99"),
            (1e21, "1e+21"),
            (123456789012345680000.0, "123456789012345680000"),
            (1e-7, "1e-7"),
            (0.000001, "0.000001"),
            (1.5e-10, "1.5e-10"),
            (f64::INFINITY, "Infinity"),
            (-0.0, "0"),
        ] {
            assert_eq!(number_to_string(x), want, "{x}");
        }
    }
}

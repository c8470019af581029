//! Operators whose JavaScript semantics take more than a line, as pure
//! functions of values already evaluated (and, for objects, already turned
//! into their primitive form): `min`/`max`, `substr`.

use super::value::Val;
use std::borrow::Cow;

/// `Math.min` / `Math.max`: NaN if any argument is NaN; ±Infinity when
/// empty; `-0` is below `+0` (`Math.min(0, -0)` is `-0`).
pub(crate) fn min_max(max: bool, nums: impl Iterator<Item = f64>) -> f64 {
    let mut acc = if max {
        f64::NEG_INFINITY
    } else {
        f64::INFINITY
    };
    for n in nums {
        if n.is_nan() {
            return f64::NAN;
        }
        let better = if max {
            n > acc || (n == 0.0 && acc == 0.0 && acc.is_sign_negative())
        } else {
            n < acc || (n == 0.0 && acc == 0.0 && n.is_sign_negative())
        };
        if better {
            acc = n;
        }
    }
    acc
}

/// JS `ToIntegerOrInfinity` of a number.
fn integer(n: f64) -> f64 {
    if n.is_nan() {
        0.0
    } else {
        n.trunc()
    }
}

/// JS `ToIntegerOrInfinity`.
fn to_integer(v: &Val<'_>) -> f64 {
    integer(v.to_number())
}

/// JS `String.prototype.substr(start, length)` over UTF-16 code units
/// (`start` already an integer; `length` any number).
fn js_substr(units: &[u16], start: f64, length: Option<f64>) -> Vec<u16> {
    let size = units.len() as f64;
    let start = if start < 0.0 {
        (size + start).max(0.0)
    } else {
        start.min(size)
    };
    let length = length.map_or(size, integer).clamp(0.0, size - start);
    // Both are integral and within 0..=size here.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let (from, to) = (start as usize, (start + length) as usize);
    units.get(from..to).map(<[u16]>::to_vec).unwrap_or_default()
}

/// `substr(source, start[, end])` as json-logic-js defines it: a negative
/// `end` drops that many characters from the end (PHP style:
/// `temp.substr(0, temp.length + end)`), otherwise it is a length. Objects
/// among the arguments must already be in their primitive form.
pub(crate) fn substr(args: &[Val<'_>]) -> String {
    let (source, start, end) = (args.first(), args.get(1), args.get(2));
    let text = source.map_or(Cow::Borrowed("undefined"), Val::to_js_string);
    let units: Vec<u16> = text.encode_utf16().collect();
    let start = start.map_or(0.0, to_integer);
    let out = match end {
        None | Some(Val::Undefined) => js_substr(&units, start, None),
        // `end < 0` with a string end: `temp.length + end` concatenates
        // ("9-2"), which then reads as length 0.
        Some(Val::Str(s)) if Val::Str(s.clone()).to_number() < 0.0 => Vec::new(),
        // A fractional end is added before truncating: `9 + -3.5` is 5.5,
        // i.e. length 5, not `9 + trunc(-3.5)`.
        Some(end) if end.to_number() < 0.0 => {
            let tail = js_substr(&units, start, None);
            let length = tail.len() as f64 + end.to_number();
            js_substr(&tail, 0.0, Some(length))
        }
        Some(end) => js_substr(&units, start, Some(end.to_number())),
    };
    String::from_utf16_lossy(&out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::value::Text;

    fn s(text: &'static str) -> Val<'static> {
        Val::Str(Text::Borrowed(text))
    }

    #[test]
    fn substr_matches_json_logic_js() {
        let cases: [(&[Val<'_>], &str); 8] = [
            (&[s("jsonlogic"), Val::Num(4.0)], "logic"),
            (&[s("jsonlogic"), Val::Num(-5.0), Val::Num(3.0)], "log"),
            (&[s("jsonlogic"), Val::Num(0.0), Val::Num(-3.5)], "jsonl"),
            (&[s("jsonlogic"), Val::Num(1.5), Val::Num(-0.5)], "sonlogi"),
            (&[s("jsonlogic"), Val::Num(0.0), s("-2")], ""),
            (&[s("jsonlogic"), Val::Num(2.0), Val::Null], ""),
            (&[s("jsonlogic"), Val::Num(2.0), Val::Undefined], "onlogic"),
            (&[Val::Undefined, Val::Num(1.0), Val::Num(3.0)], "nde"),
        ];
        for (args, want) in cases {
            assert_eq!(substr(args), want, "{args:?}");
        }
    }

    #[test]
    fn min_and_max_order_signed_zeros() {
        assert!(min_max(false, [0.0, -0.0].into_iter()).is_sign_negative());
        assert!(min_max(true, [-0.0, 0.0].into_iter()).is_sign_positive());
        assert!(min_max(true, [1.0, f64::NAN].into_iter()).is_nan());
        assert_eq!(min_max(false, std::iter::empty()), f64::INFINITY);
    }
}

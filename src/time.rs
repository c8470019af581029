//! Time as the engine sees it: integer milliseconds since the Unix epoch,
//! always passed in by the host. Bundles spell instants as RFC 3339 strings
//! and durations as `"90s"`, `"30m"`, `"24h"`, `"7d"`.
//!
//! Hand-written rather than the `time`/`chrono` crates: we need only UTC
//! instants with an optional numeric offset, and each kilobyte ships to every
//! checkout page as WebAssembly. A bundle's IANA time zone reaches hosts as
//! a table of UTC offsets embedded at sign time ([`ZoneOffsets`]), so no
//! host needs a tz database.

#[cfg(feature = "cli")]
pub mod tzdb;
mod zone;

pub use zone::{
    is_plausible_zone_name, ZoneOffsets, MAX_TIME_ZONE_NAME_LEN, MAX_TIME_ZONE_TRANSITIONS,
};

use crate::error::{Error, ErrorCode, Result};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// Milliseconds since 1970-01-01T00:00:00Z.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
#[cfg_attr(
    feature = "cli",
    derive(schemars::JsonSchema),
    schemars(with = "String")
)]
#[cfg_attr(
    feature = "cli",
    schemars(
        description = "An RFC 3339 instant with seconds and an offset (`2026-12-01T00:00:00Z`, `2026-12-01T09:00:00+09:00`); fractions of a second are allowed."
    )
)]
#[cfg_attr(feature = "cli", schemars(extend("format" = "date-time", "pattern" = "^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]+)?([Zz]|[+-][0-9]{2}:[0-9]{2})$")))]
pub struct Timestamp(pub i64);

/// A non-negative span of time in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
#[cfg_attr(
    feature = "cli",
    derive(schemars::JsonSchema),
    schemars(with = "String")
)]
#[cfg_attr(
    feature = "cli",
    schemars(
        description = "A duration: whole number, then `ms`, `s`, `m`, `h` or `d` (`\"90s\"`, `\"24h\"`, `\"7d\"`)."
    )
)]
#[cfg_attr(feature = "cli", schemars(extend("pattern" = "^[0-9]{1,12}(ms|s|m|h|d)$")))]
pub struct DurationMs(pub u64);

/// One second, in milliseconds.
pub const SECOND_MS: i64 = 1_000;
/// One minute, in milliseconds.
pub const MINUTE_MS: i64 = 60 * SECOND_MS;
/// One hour, in milliseconds.
pub const HOUR_MS: i64 = 60 * MINUTE_MS;
/// One day, in milliseconds.
pub const DAY_MS: i64 = 24 * HOUR_MS;

// Earliest and latest instants we accept: years 1970 through 9999.
const MAX_MS: i64 = 253_402_300_799_999;

impl Timestamp {
    /// Parses RFC 3339 (`2026-11-29T12:00:00Z`, fractional seconds and
    /// `±HH:MM` offsets allowed).
    ///
    /// # Errors
    /// `SCHEMA_INVALID` when the text is not a valid RFC 3339 instant in 1970–9999.
    pub fn parse_rfc3339(text: &str) -> Result<Self> {
        parse_rfc3339(text.as_bytes()).ok_or_else(|| {
            Error::new(
                ErrorCode::SchemaInvalid,
                format!("not an RFC 3339 instant: {text:?}"),
            )
        })
    }

    /// Milliseconds since the epoch.
    pub const fn as_millis(self) -> i64 {
        self.0
    }

    /// This instant plus `d`, saturating.
    pub fn plus(self, d: DurationMs) -> Self {
        Self(
            self.0
                .saturating_add(i64::try_from(d.0).unwrap_or(i64::MAX)),
        )
    }

    /// The wall-clock time at `utc_offset_minutes` (the partner's UTC offset
    /// at this instant: `Bundle::utc_offset_at`), as milliseconds since the
    /// epoch; saturating.
    pub fn local_millis(self, utc_offset_minutes: i32) -> i64 {
        self.0
            .saturating_add(i64::from(utc_offset_minutes).saturating_mul(MINUTE_MS))
    }

    /// The hour (0–23) on the wall clock at `utc_offset_minutes`.
    pub fn local_hour(self, utc_offset_minutes: i32) -> u32 {
        // rem_euclid(DAY_MS) / HOUR_MS is within 0..24.
        u32::try_from(self.local_millis(utc_offset_minutes).rem_euclid(DAY_MS) / HOUR_MS)
            .unwrap_or(0)
    }
}

impl fmt::Display for Timestamp {
    /// Formats as RFC 3339 UTC with millisecond precision when non-zero.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ms = self.0.rem_euclid(1_000);
        let secs = self.0.div_euclid(1_000);
        let days = secs.div_euclid(86_400);
        let sod = secs.rem_euclid(86_400);
        let (y, m, d) = civil_from_days(days);
        write!(
            f,
            "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}",
            sod / 3600,
            (sod / 60) % 60,
            sod % 60
        )?;
        if ms != 0 {
            write!(f, ".{ms:03}")?;
        }
        f.write_str("Z")
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Timestamp::parse_rfc3339(&text).map_err(|e| serde::de::Error::custom(e.message()))
    }
}

impl DurationMs {
    /// Parses `"<n><unit>"` with unit `ms`, `s`, `m`, `h` or `d` (e.g. `"24h"`).
    ///
    /// # Errors
    /// `SCHEMA_INVALID` for any other shape or an overflowing value.
    pub fn parse(text: &str) -> Result<Self> {
        let bad = || {
            Error::new(
                ErrorCode::SchemaInvalid,
                format!("not a duration like \"24h\": {text:?}"),
            )
        };
        let split = text.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?;
        let (digits, unit) = text.split_at(split);
        if digits.is_empty() || digits.len() > 12 {
            return Err(bad());
        }
        let n: u64 = digits.parse().map_err(|_| bad())?;
        let unit_ms: u64 = match unit {
            "ms" => 1,
            "s" => 1_000,
            "m" => 60_000,
            "h" => 3_600_000,
            "d" => 86_400_000,
            _ => return Err(bad()),
        };
        n.checked_mul(unit_ms).map(Self).ok_or_else(bad)
    }

    /// Milliseconds.
    pub const fn as_millis(self) -> u64 {
        self.0
    }
}

impl fmt::Display for DurationMs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ms = self.0;
        for (unit, size) in [
            ("d", 86_400_000),
            ("h", 3_600_000),
            ("m", 60_000),
            ("s", 1_000),
        ] {
            if ms != 0 && ms.is_multiple_of(size) {
                return write!(f, "{}{unit}", ms / size);
            }
        }
        write!(f, "{ms}ms")
    }
}

impl Serialize for DurationMs {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for DurationMs {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        DurationMs::parse(&text).map_err(|e| serde::de::Error::custom(e.message()))
    }
}

fn digits(b: &[u8], at: usize, n: usize) -> Option<i64> {
    let part = b.get(at..at + n)?;
    part.iter().try_fold(0i64, |acc, &c| {
        c.is_ascii_digit().then(|| acc * 10 + i64::from(c - b'0'))
    })
}

fn parse_rfc3339(b: &[u8]) -> Option<Timestamp> {
    if b.len() < 20
        || b[4] != b'-'
        || b[7] != b'-'
        || !matches!(b[10], b'T' | b't')
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    let (year, month, day) = (digits(b, 0, 4)?, digits(b, 5, 2)?, digits(b, 8, 2)?);
    let (hour, minute, second) = (digits(b, 11, 2)?, digits(b, 14, 2)?, digits(b, 17, 2)?);
    if !(1..=12).contains(&month)
        || day < 1
        || day > days_in_month(year, month)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return None;
    }
    let mut at = 19;
    let mut millis = 0i64;
    if b.get(at) == Some(&b'.') {
        at += 1;
        let start = at;
        while b.get(at).is_some_and(u8::is_ascii_digit) {
            if at - start < 3 {
                millis = millis * 10 + i64::from(b[at] - b'0');
            }
            at += 1;
        }
        if at == start {
            return None;
        }
        for _ in (at - start)..3 {
            millis *= 10;
        }
    }
    let offset_secs = match b.get(at..)? {
        [b'Z' | b'z'] => 0,
        [sign @ (b'+' | b'-'), _, _, b':', _, _] => {
            let (oh, om) = (digits(b, at + 1, 2)?, digits(b, at + 4, 2)?);
            if oh > 23 || om > 59 {
                return None;
            }
            let off = oh * 3600 + om * 60;
            if *sign == b'+' {
                off
            } else {
                -off
            }
        }
        _ => return None,
    };
    // A leap second (":60") is folded onto the next second.
    let secs = days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second
        - offset_secs;
    let ms = secs.checked_mul(1_000)?.checked_add(millis)?;
    (0..=MAX_MS).contains(&ms).then_some(Timestamp(ms))
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 for a proleptic Gregorian date (Howard Hinnant's algorithm).
pub(crate) fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The civil date for a count of days since 1970-01-01.
pub(crate) fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (
        if m <= 2 {
            yoe + era * 400 + 1
        } else {
            yoe + era * 400
        },
        m,
        d,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_hour_follows_the_offset_and_never_overflows() {
        let t = Timestamp::parse_rfc3339("2026-06-01T15:00:00Z").unwrap();
        assert_eq!(t.local_hour(0), 15);
        assert_eq!(t.local_hour(-300), 10);
        assert_eq!(t.local_hour(-16 * 60), 23);
        assert_eq!(t.local_hour(14 * 60), 5);
        assert_eq!(Timestamp(i64::MAX).local_millis(60), i64::MAX);
        assert!(Timestamp(i64::MIN).local_hour(-60) < 24);
    }

    #[test]
    fn parses_and_formats_round_trip() {
        let t = Timestamp::parse_rfc3339("2026-11-29T12:34:56Z").unwrap();
        assert_eq!(t.0, 1_795_955_696_000);
        assert_eq!(t.to_string(), "2026-11-29T12:34:56Z");
        let t = Timestamp::parse_rfc3339("2024-02-29T00:00:00.5+01:00").unwrap();
        assert_eq!(t.to_string(), "2024-02-28T23:00:00.500Z");
    }

    #[test]
    fn refuses_impossible_dates() {
        for bad in [
            "2026-02-29T00:00:00Z",
            "2026-13-01T00:00:00Z",
            "2026-11-29 12:00:00",
            "2026-11-29T12:00:00",
            "1969-12-31T23:59:59Z",
            "2026-11-29T24:00:00Z",
        ] {
            assert!(Timestamp::parse_rfc3339(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn durations_parse_and_print() {
        assert_eq!(DurationMs::parse("24h").unwrap().0, 86_400_000);
        assert_eq!(DurationMs::parse("90s").unwrap().to_string(), "90s");
        assert_eq!(DurationMs::parse("7d").unwrap().to_string(), "7d");
        for bad in ["", "h", "24", "-1h", "1.5h", "1w"] {
            assert!(DurationMs::parse(bad).is_err(), "{bad}");
        }
    }
}

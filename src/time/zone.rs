//! A bundle's IANA time zone as the table of UTC offsets it takes over the
//! bundle's validity window.
//!
//! Hosts (pages, the edge, the preview) carry no tz database: `offer-edge
//! sign` looks the zone up in its own (natively, feature `cli`) and embeds
//! the offsets in the signed bundle, so a decision reads the wall clock with
//! one binary search:
//!
//! ```json
//! "timeZone": "America/New_York",
//! "timeZoneOffsets": {"zone": "America/New_York",
//!   "from": "2026-11-01T00:00:00Z", "until": "2026-12-13T00:00:00Z",
//!   "initial": -240, "transitions": [["2026-11-01T06:00:00Z", -300]]}
//! ```
//!
//! | member | meaning | checked |
//! |---|---|---|
//! | `zone` | the zone the table was computed for | equals `timeZone` (else `TIME_ZONE_MISSING`: a foreign table) |
//! | `from`, `until` | the span the table is exact for | `from` ≤ `issuedAt`, `until` ≥ `expiresAt` (else `TIME_ZONE_MISSING`: a stale table) |
//! | `initial` | offset in minutes at `from` | within ±18 h (`TIME_ZONE_INVALID`) |
//! | `transitions` | `[instant, offset from then on]` | strictly increasing, inside `from`..=`until`, offsets within ±18 h (`TIME_ZONE_INVALID`); at most [`MAX_TIME_ZONE_TRANSITIONS`] (`LIMIT_EXCEEDED`) |
//!
//! The signer is trusted to have computed the table right (it signs the
//! rules too); the checks make sure no table, however written, can make a
//! host misread it, panic or search long.

use super::Timestamp;
use crate::error::{Error, ErrorCode, Result};
use serde::{Deserialize, Serialize};

/// Transitions one table may hold: a bundle lives days, so a handful; 256
/// covers a zone with two changes a year for over a century.
pub const MAX_TIME_ZONE_TRANSITIONS: usize = 256;
/// Longest IANA zone name accepted (the longest in tzdb is 32 bytes).
pub const MAX_TIME_ZONE_NAME_LEN: usize = 64;
/// Real UTC offsets lie within ±14 h; ±18 h is what RFC 3339 and
/// `utcOffsetMinutes` allow.
const MAX_OFFSET_MINUTES: i32 = 18 * 60;

/// The UTC offsets of one IANA zone over a span of time (see the module doc).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "cli", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ZoneOffsets {
    /// The IANA zone the table was computed for.
    pub zone: String,
    /// The table is exact from this instant …
    pub from: Timestamp,
    /// … up to this one.
    pub until: Timestamp,
    /// The offset in minutes at `from` (local = UTC + offset).
    pub initial: i32,
    /// Each change: the instant it takes effect and the offset in minutes
    /// from then on; strictly increasing instants.
    pub transitions: Vec<(Timestamp, i32)>,
}

fn invalid(message: String) -> Error {
    Error::new(ErrorCode::TimeZoneInvalid, message)
}

fn check_offset(minutes: i32, what: &str) -> Result<()> {
    if (-MAX_OFFSET_MINUTES..=MAX_OFFSET_MINUTES).contains(&minutes) {
        Ok(())
    } else {
        Err(invalid(format!(
            "timeZoneOffsets: {what} offset {minutes} min is not within ±18h"
        )))
    }
}

impl ZoneOffsets {
    /// The UTC offset in minutes at `at`: the last transition at or before
    /// it, else `initial`. Past `until` the last offset holds (a decision
    /// after `expiresAt` plus the sign-time margin, see docs/BUNDLES.md).
    pub fn offset_at(&self, at: Timestamp) -> i32 {
        let after = self
            .transitions
            .partition_point(|(instant, _)| *instant <= at);
        after
            .checked_sub(1)
            .and_then(|last| self.transitions.get(last))
            .map_or(self.initial, |(_, offset)| *offset)
    }

    /// Checks what every host relies on: a bounded table, offsets within
    /// ±18 h, strictly increasing instants inside `from`..=`until`.
    ///
    /// # Errors
    /// `LIMIT_EXCEEDED` over [`MAX_TIME_ZONE_TRANSITIONS`]; `TIME_ZONE_INVALID`
    /// for anything else out of shape.
    pub fn check(&self) -> Result<()> {
        if self.transitions.len() > MAX_TIME_ZONE_TRANSITIONS {
            return Err(Error::new(
                ErrorCode::LimitExceeded,
                format!(
                    "timeZoneOffsets has {} transitions (at most {MAX_TIME_ZONE_TRANSITIONS}): shorten the bundle's validity",
                    self.transitions.len()
                ),
            ));
        }
        if self.from > self.until {
            return Err(invalid("timeZoneOffsets: from is after until".to_owned()));
        }
        check_offset(self.initial, "the initial")?;
        let mut previous = None;
        for &(at, offset) in &self.transitions {
            check_offset(offset, &format!("the {at}"))?;
            if at < self.from || at > self.until {
                return Err(invalid(format!(
                    "timeZoneOffsets: the transition at {at} is outside from..until"
                )));
            }
            if previous.is_some_and(|p| p >= at) {
                return Err(invalid(format!(
                    "timeZoneOffsets: transitions must be strictly increasing (at {at})"
                )));
            }
            previous = Some(at);
        }
        Ok(())
    }
}

/// Whether `name` is shaped like an IANA zone name (`UTC`,
/// `America/New_York`, `America/Argentina/Buenos_Aires`, `Etc/GMT+5`):
/// `/`-separated parts of ASCII letters, digits, `_`, `-`, `+` and `.`,
/// none empty, `.` or `..`, none starting with `-`. Whether the zone exists
/// is for `sign` (its tz database) to say.
pub fn is_plausible_zone_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= MAX_TIME_ZONE_NAME_LEN
        && name.split('/').all(|part| {
            !part.is_empty()
                && part != "."
                && part != ".."
                && !part.starts_with('-')
                && part
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'+' | b'.'))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Timestamp {
        Timestamp::parse_rfc3339(text).unwrap()
    }

    fn new_york() -> ZoneOffsets {
        ZoneOffsets {
            zone: "America/New_York".to_owned(),
            from: at("2026-01-01T00:00:00Z"),
            until: at("2026-12-31T00:00:00Z"),
            initial: -300,
            transitions: vec![
                (at("2026-03-08T07:00:00Z"), -240),
                (at("2026-11-01T06:00:00Z"), -300),
            ],
        }
    }

    #[test]
    fn offset_at_flips_exactly_at_each_transition() {
        let table = new_york();
        assert_eq!(table.offset_at(at("2025-06-01T00:00:00Z")), -300);
        assert_eq!(
            table.offset_at(Timestamp(at("2026-03-08T07:00:00Z").0 - 1)),
            -300
        );
        assert_eq!(table.offset_at(at("2026-03-08T07:00:00Z")), -240);
        assert_eq!(
            table.offset_at(Timestamp(at("2026-11-01T06:00:00Z").0 - 1)),
            -240
        );
        assert_eq!(table.offset_at(at("2026-11-01T06:00:00Z")), -300);
        assert_eq!(table.offset_at(Timestamp(i64::MAX)), -300);
        assert_eq!(table.offset_at(Timestamp(i64::MIN)), -300);
        table.check().unwrap();
    }

    #[test]
    fn refuses_tables_a_host_could_misread() {
        let mut unordered = new_york();
        unordered.transitions.swap(0, 1);
        let mut repeated = new_york();
        repeated.transitions[1].0 = repeated.transitions[0].0;
        let mut outside = new_york();
        outside.transitions[1].0 = at("2027-01-01T00:00:00Z");
        let mut far = new_york();
        far.initial = 18 * 60 + 1;
        let mut far_transition = new_york();
        far_transition.transitions[0].1 = i32::MIN;
        let mut backwards = new_york();
        backwards.until = at("2025-01-01T00:00:00Z");
        for table in [unordered, repeated, outside, far, far_transition, backwards] {
            assert_eq!(
                table.check().unwrap_err().code(),
                ErrorCode::TimeZoneInvalid
            );
        }
        let mut long = new_york();
        long.transitions = (0..=MAX_TIME_ZONE_TRANSITIONS as i64)
            .map(|i| (Timestamp(long.from.0 + i), -300))
            .collect();
        assert_eq!(long.check().unwrap_err().code(), ErrorCode::LimitExceeded);
    }

    #[test]
    fn zone_names_are_shaped_like_iana_names() {
        for good in [
            "UTC",
            "America/New_York",
            "America/Argentina/Buenos_Aires",
            "America/Port-au-Prince",
            "Etc/GMT+5",
            "Asia/Kolkata",
        ] {
            assert!(is_plausible_zone_name(good), "{good}");
        }
        let long = "A".repeat(MAX_TIME_ZONE_NAME_LEN + 1);
        for bad in [
            "",
            "/",
            "America//New_York",
            "../etc/passwd",
            "America/./X",
            "-05:00",
            "America/New York",
            "Europe/Zürich",
            "America/New_York\n",
            long.as_str(),
        ] {
            assert!(!is_plausible_zone_name(bad), "{bad:?}");
        }
    }
}

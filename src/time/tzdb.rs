//! Looking up IANA zones, for the signing tool only (feature `cli`): the
//! offsets of a bundle's `timeZone` over its validity window, which `sign`
//! embeds as [`ZoneOffsets`]. From the tz database compiled into the binary
//! (`jiff`'s bundled tzdb), never the machine's `/usr/share/zoneinfo`: two
//! authors signing the same bundle embed the same table.

use super::{is_plausible_zone_name, DurationMs, Timestamp, ZoneOffsets, DAY_MS};
use super::{MAX_MS, MAX_TIME_ZONE_TRANSITIONS};
use crate::error::{Error, ErrorCode, Result};
use jiff::tz::{Offset, TimeZoneDatabase};

/// How far past `expiresAt` `sign` embeds a zone's offsets: a host may
/// still decide with a bundle for its trust config's `decideGraceSeconds`
/// after it expired. Past the table, its last offset holds.
pub const TIME_ZONE_MARGIN: DurationMs = DurationMs(7 * DAY_MS as u64);

fn unknown(message: String) -> Error {
    Error::new(ErrorCode::TimeZoneUnknown, message)
}

/// The offsets of the IANA zone `zone` from `from` to `until`.
///
/// # Errors
/// `TIME_ZONE_INVALID` for a name not shaped like a zone name;
/// `TIME_ZONE_UNKNOWN` for a zone the bundled tz database does not have
/// (or spelt in another case than its own), or an offset that is not whole
/// minutes; `LIMIT_EXCEEDED` when the span holds more than
/// [`MAX_TIME_ZONE_TRANSITIONS`] changes.
pub fn zone_offsets(zone: &str, from: Timestamp, until: Timestamp) -> Result<ZoneOffsets> {
    if !is_plausible_zone_name(zone) {
        return Err(Error::new(
            ErrorCode::TimeZoneInvalid,
            format!("timeZone {zone:?} is not an IANA zone name"),
        ));
    }
    let db = TimeZoneDatabase::bundled();
    let tz = db.get(zone).map_err(|_| {
        unknown(format!(
            "timeZone {zone:?} is not in the tz database (e.g. \"America/New_York\", \"Europe/London\")"
        ))
    })?;
    // The database finds names in any case; the bundle names the zone as
    // the database does, so every reader sees one spelling.
    if let Some(name) = tz.iana_name().filter(|name| *name != zone) {
        return Err(unknown(format!(
            "timeZone {zone:?} is spelt {name:?} in the tz database"
        )));
    }
    let until = Timestamp(until.0.min(MAX_MS));
    let instant = |t: Timestamp| {
        jiff::Timestamp::from_millisecond(t.0)
            .map_err(|e| unknown(format!("{t} is out of the tz database's range: {e}")))
    };
    let minutes = |offset: Offset| {
        let seconds = offset.seconds();
        if seconds % 60 == 0 {
            Ok(seconds / 60)
        } else {
            Err(unknown(format!(
                "timeZone {zone:?} has an offset of {seconds} s, not whole minutes, in the bundle's validity"
            )))
        }
    };
    let initial = minutes(tz.to_offset(instant(from)?))?;
    let mut transitions = Vec::new();
    let mut current = initial;
    for change in tz.following(instant(from)?) {
        let at = Timestamp(change.timestamp().as_millisecond());
        if at > until {
            break;
        }
        let offset = minutes(change.offset())?;
        // Changes of name or of the DST flag alone leave the clock as it is.
        if offset == current {
            continue;
        }
        if transitions.len() == MAX_TIME_ZONE_TRANSITIONS {
            return Err(Error::new(
                ErrorCode::LimitExceeded,
                format!(
                    "timeZone {zone:?} changes offset more than {MAX_TIME_ZONE_TRANSITIONS} times between {from} and {until}: shorten the bundle's validity"
                ),
            ));
        }
        transitions.push((at, offset));
        current = offset;
    }
    let table = ZoneOffsets {
        zone: zone.to_owned(),
        from,
        until,
        initial,
        transitions,
    };
    table.check()?;
    Ok(table)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Timestamp {
        Timestamp::parse_rfc3339(text).unwrap()
    }

    #[test]
    fn new_york_2026_springs_forward_and_falls_back() {
        let table = zone_offsets(
            "America/New_York",
            at("2026-01-01T00:00:00Z"),
            at("2027-01-01T00:00:00Z"),
        )
        .unwrap();
        assert_eq!(table.initial, -300);
        assert_eq!(
            table.transitions,
            vec![
                (at("2026-03-08T07:00:00Z"), -240),
                (at("2026-11-01T06:00:00Z"), -300)
            ]
        );
    }

    #[test]
    fn refuses_unknown_and_misspelt_zones() {
        let (from, until) = (at("2026-01-01T00:00:00Z"), at("2026-02-01T00:00:00Z"));
        for zone in ["Mars/Olympus_Mons", "america/new_york", "EST-5"] {
            assert_eq!(
                zone_offsets(zone, from, until).unwrap_err().code(),
                ErrorCode::TimeZoneUnknown,
                "{zone}"
            );
        }
        assert_eq!(
            zone_offsets("../../etc/passwd", from, until)
                .unwrap_err()
                .code(),
            ErrorCode::TimeZoneInvalid
        );
    }

    #[test]
    fn a_century_of_changes_is_over_the_limit() {
        let err = zone_offsets(
            "Europe/London",
            at("2026-01-01T00:00:00Z"),
            at("2300-01-01T00:00:00Z"),
        )
        .unwrap_err();
        assert_eq!(err.code(), ErrorCode::LimitExceeded);
    }
}

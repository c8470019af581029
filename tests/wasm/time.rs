//! RFC 3339 instants and "24h"-style durations parse identically on wasm32.

use offer_edge::time::{DurationMs, Timestamp, DAY_MS};
use offer_edge::ErrorCode;

tests! {
    fn rfc3339_parses_offsets_and_fractions() {
        let t = Timestamp::parse_rfc3339("2026-11-29T12:34:56Z").unwrap();
        assert_eq!(t.as_millis(), 1_795_955_696_000);
        assert_eq!(t.to_string(), "2026-11-29T12:34:56Z");
        // Same instant written with an offset and a fraction.
        let shifted = Timestamp::parse_rfc3339("2026-11-29T07:34:56.250-05:00").unwrap();
        assert_eq!(shifted.as_millis(), 1_795_955_696_250);
        assert_eq!(shifted.to_string(), "2026-11-29T12:34:56.250Z");
        // Leap day and the far end of the accepted range.
        assert_eq!(
            Timestamp::parse_rfc3339("2024-02-29T00:00:00Z").unwrap().to_string(),
            "2024-02-29T00:00:00Z"
        );
        assert!(Timestamp::parse_rfc3339("9999-12-31T23:59:59Z").is_ok());
    }

    fn bad_instants_are_schema_errors() {
        for bad in ["", "2026-02-30T00:00:00Z", "2026-11-29 12:00:00Z", "2026-11-29T24:00:00Z", "1969-12-31T23:59:59Z"] {
            let err = Timestamp::parse_rfc3339(bad).unwrap_err();
            assert_eq!(err.code(), ErrorCode::SchemaInvalid, "{bad:?}");
        }
    }

    fn durations_parse_and_add() {
        let day = DurationMs::parse("24h").unwrap();
        assert_eq!(day.0, 86_400_000);
        assert_eq!(DurationMs::parse("90s").unwrap().to_string(), "90s");
        let t = Timestamp::parse_rfc3339("2026-11-29T12:00:00Z").unwrap();
        assert_eq!(t.plus(day).as_millis() - t.as_millis(), DAY_MS);
        // Saturates instead of overflowing (i64 arithmetic on a 32-bit target).
        assert_eq!(Timestamp(i64::MAX - 1).plus(day), Timestamp(i64::MAX));
        for bad in ["", "24", "h", "-1h", "1.5h", "99999999999999999999d"] {
            assert_eq!(DurationMs::parse(bad).unwrap_err().code(), ErrorCode::SchemaInvalid, "{bad:?}");
        }
    }
}

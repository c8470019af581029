#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Property tests for cap arithmetic: counts agree with a naive model over raw
//! timestamps, never exceed what was recorded, grow with the window, and
//! survive storage.

use offer_edge::bundle::CapWindow;
use offer_edge::history::{codec, Engagement, EngagementKind, History, OfferKeys};
use offer_edge::limits::MAX_HISTORY_BYTES;
use offer_edge::time::{Timestamp, DAY_MS, HOUR_MS};
use proptest::prelude::*;

const PARTNER: &str = "acme-shoes";
const START: i64 = 1_795_000_000_000; // 2026-11-18

fn offer(i: usize) -> OfferKeys {
    // Offers 0..4 share two campaigns and one advertiser.
    OfferKeys::new(&format!("offer-{i}"), &format!("camp-{}", i % 2), "adv")
}

/// Impressions as (offer index, ms since START), times non-decreasing.
fn impressions() -> impl Strategy<Value = Vec<(usize, i64)>> {
    prop::collection::vec((0usize..4, 0i64..(40 * HOUR_MS)), 0..60).prop_map(|steps| {
        let mut t = 0;
        steps
            .into_iter()
            .map(|(o, gap)| {
                // Mostly short gaps, sometimes a day or more.
                t += if gap % 7 == 0 { gap * 3 } else { gap / 40 };
                (o, t)
            })
            .collect()
    })
}

fn replay(steps: &[(usize, i64)]) -> History {
    let mut h = History::new(PARTNER);
    h.set_session("s1");
    for &(o, t) in steps {
        h.record(
            Engagement::new(EngagementKind::Impression, &offer(o)),
            Timestamp(START + t),
        );
    }
    h
}

/// The documented window semantics, computed from raw timestamps.
fn naive(times: &[i64], window: CapWindow, now: i64) -> u32 {
    let (h, d) = (now.div_euclid(HOUR_MS), now.div_euclid(DAY_MS));
    times
        .iter()
        .filter(|&&t| {
            let (th, td) = (t.div_euclid(HOUR_MS), t.div_euclid(DAY_MS));
            match window {
                CapWindow::Session | CapWindow::Lifetime => true,
                CapWindow::Hour => th == h,
                CapWindow::Day => (h - 23..=h).contains(&th),
                CapWindow::Week => (d - 6..=d).contains(&td),
                CapWindow::Month => (d - 29..=d).contains(&td),
            }
        })
        .count() as u32
}

fn times_of(steps: &[(usize, i64)], key: u64) -> Vec<i64> {
    steps
        .iter()
        .filter(|&&(o, _)| {
            let k = offer(o);
            k.offer == key || k.campaign == key || k.advertiser == key
        })
        .map(|&(_, t)| START + t)
        .collect()
}

fn all_keys() -> Vec<u64> {
    (0..4)
        .flat_map(|o| {
            let k = offer(o);
            [k.offer, k.campaign, k.advertiser]
        })
        .collect()
}

proptest! {
    #[test]
    fn counts_match_the_naive_model(steps in impressions(), ahead in 0i64..(45 * DAY_MS)) {
        let h = replay(&steps);
        let now = START + steps.last().map_or(0, |s| s.1) + ahead;
        for key in all_keys() {
            let times = times_of(&steps, key);
            for w in CapWindow::ALL {
                let count = h.count(key, w, Timestamp(now));
                prop_assert_eq!(count, naive(&times, w, now), "{:?}", w);
                prop_assert!(count as usize <= times.len());
            }
        }
    }

    #[test]
    fn counts_grow_with_the_window(steps in impressions(), ahead in 0i64..(45 * DAY_MS)) {
        let h = replay(&steps);
        let now = Timestamp(START + steps.last().map_or(0, |s| s.1) + ahead);
        for key in all_keys() {
            let c = |w| h.count(key, w, now);
            prop_assert!(c(CapWindow::Hour) <= c(CapWindow::Day));
            prop_assert!(c(CapWindow::Session) <= c(CapWindow::Lifetime));
            prop_assert!(c(CapWindow::Day) <= c(CapWindow::Week));
            prop_assert!(c(CapWindow::Week) <= c(CapWindow::Month));
            prop_assert!(c(CapWindow::Month) <= c(CapWindow::Lifetime));
            // All recorded in one session: session is everything.
            prop_assert_eq!(c(CapWindow::Session), c(CapWindow::Lifetime));
        }
    }

    #[test]
    fn counts_never_exceed_recorded_even_with_clock_jumps(
        steps in prop::collection::vec((0usize..4, -(60 * DAY_MS)..(60 * DAY_MS)), 0..60),
        now in -(90 * DAY_MS)..(90 * DAY_MS),
    ) {
        let h = replay(&steps);
        for key in all_keys() {
            let recorded = times_of(&steps, key).len();
            for w in CapWindow::ALL {
                prop_assert!(h.count(key, w, Timestamp(START + now)) as usize <= recorded);
            }
        }
        prop_assert!(h.encode().len() <= MAX_HISTORY_BYTES);
    }

    #[test]
    fn round_trip_preserves_counts_under_the_size_limit(
        steps in impressions(),
        ahead in 0i64..(45 * DAY_MS),
    ) {
        let h = replay(&steps);
        let last = START + steps.last().map_or(0, |s| s.1);
        let blob = h.encode();
        prop_assert!(blob.len() <= MAX_HISTORY_BYTES);
        let (back, warning) = History::decode(&blob, PARTNER, Timestamp(last));
        prop_assert!(warning.is_none());
        let now = Timestamp(last + ahead);
        for key in all_keys() {
            for w in CapWindow::ALL {
                prop_assert_eq!(back.count(key, w, now), h.count(key, w, now), "{:?}", w);
            }
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..600)) {
        let (h, warning) = History::decode(&bytes, PARTNER, Timestamp(START));
        // Random bytes essentially never carry the magic and a valid checksum.
        prop_assert_eq!(warning.is_none(), bytes.is_empty());
        prop_assert!(h.is_empty());
        prop_assert!(h.encode().len() <= MAX_HISTORY_BYTES);
    }

    #[test]
    fn damaged_bodies_behind_a_valid_checksum_never_panic(
        steps in impressions(),
        flips in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..6),
        cut in any::<prop::sample::Index>(),
    ) {
        let blob = replay(&steps).encode();
        let mut body = blob[..blob.len() - 8].to_vec();
        for (at, value) in flips {
            let i = at.index(body.len());
            body[i] = value;
        }
        body.truncate(4 + cut.index(body.len() - 3));
        let now = Timestamp(START);
        let (h, warning) = History::decode(&codec::seal(&body), PARTNER, now);
        if warning.is_some() {
            prop_assert!(h.is_empty());
        }
        let again = h.encode();
        prop_assert!(again.len() <= MAX_HISTORY_BYTES);
        prop_assert!(History::decode(&again, PARTNER, now).1.is_none());
    }
}

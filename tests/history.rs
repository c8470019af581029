#![allow(clippy::unwrap_used, clippy::expect_used)]
//! History and caps through the public API: window edges, sessions,
//! declines/accepts, the stored blob, eviction and discarded blobs.

use offer_edge::bundle::{Cap, CapScope, CapWindow};
use offer_edge::history::{
    cap_allows, history_key, CapCheck, Engagement, EngagementKind, History, HistoryWarningCode,
    OfferKeys,
};
use offer_edge::limits::MAX_HISTORY_BYTES;
use offer_edge::time::{DurationMs, Timestamp, DAY_MS, HOUR_MS, MINUTE_MS};

const PARTNER: &str = "acme-shoes";

fn at(rfc3339: &str) -> Timestamp {
    Timestamp::parse_rfc3339(rfc3339).unwrap()
}

fn later(t: Timestamp, ms: i64) -> Timestamp {
    Timestamp(t.0 + ms)
}

fn keys() -> OfferKeys {
    OfferKeys::new("spring-sale", "spring-2026", "northwind")
}

fn show(h: &mut History, keys: &OfferKeys, now: Timestamp) {
    h.record(Engagement::new(EngagementKind::Impression, keys), now);
}

fn cap(scope: CapScope, max: u32, window: CapWindow) -> Cap {
    Cap { scope, max, window }
}

/// Asserts the cap's verdict at `now` and that the count is `count`.
fn assert_cap(h: &History, c: &Cap, now: Timestamp, allowed: bool, count: u32) {
    let check = h.check_cap(c, &keys(), now);
    assert_eq!(check.is_allowed(), allowed, "{c:?} at {now}: {check:?}");
    assert_eq!(
        h.count(keys().for_scope(c.scope), c.window, now),
        count,
        "{c:?} at {now}"
    );
}

/// Two impressions at 10:15 and 10:45; returns the history and 10:15.
fn two_impressions() -> (History, Timestamp) {
    let mut h = History::new(PARTNER);
    let t0 = at("2026-11-24T10:15:00Z");
    show(&mut h, &keys(), t0);
    show(&mut h, &keys(), later(t0, 30 * MINUTE_MS));
    (h, t0)
}

#[test]
fn hour_window_is_the_current_clock_hour() {
    let mut h = History::new(PARTNER);
    let t0 = at("2026-11-24T10:15:00Z");
    let c = cap(CapScope::Offer, 2, CapWindow::Hour);
    show(&mut h, &keys(), t0);
    assert_cap(&h, &c, t0, true, 1); // one below the limit
    show(&mut h, &keys(), later(t0, 30 * MINUTE_MS));
    assert_cap(&h, &c, at("2026-11-24T10:59:59.999Z"), false, 2); // exactly at the limit
    assert_cap(&h, &c, at("2026-11-24T11:00:00Z"), true, 0); // one bucket later
}

#[test]
fn day_window_is_the_last_24_hourly_buckets() {
    let (h, _) = two_impressions();
    let c = cap(CapScope::Campaign, 2, CapWindow::Day);
    let one_below = cap(CapScope::Campaign, 3, CapWindow::Day);
    assert_cap(&h, &one_below, at("2026-11-25T09:59:59.999Z"), true, 2);
    assert_cap(&h, &c, at("2026-11-25T09:59:59.999Z"), false, 2);
    assert_cap(&h, &c, at("2026-11-25T10:00:00Z"), true, 0);
}

#[test]
fn week_window_is_the_last_7_daily_buckets() {
    let (h, _) = two_impressions();
    let c = cap(CapScope::Advertiser, 2, CapWindow::Week);
    assert_cap(&h, &c, at("2026-11-30T23:59:59.999Z"), false, 2);
    assert_cap(
        &h,
        &cap(CapScope::Advertiser, 3, CapWindow::Week),
        at("2026-11-30T23:59:59.999Z"),
        true,
        2,
    );
    assert_cap(&h, &c, at("2026-12-01T00:00:00Z"), true, 0);
}

#[test]
fn month_window_is_the_last_30_daily_buckets() {
    let (h, _) = two_impressions();
    let c = cap(CapScope::Offer, 2, CapWindow::Month);
    assert_cap(&h, &c, at("2026-12-23T23:59:59.999Z"), false, 2);
    assert_cap(
        &h,
        &cap(CapScope::Offer, 3, CapWindow::Month),
        at("2026-12-23T12:00:00Z"),
        true,
        2,
    );
    assert_cap(&h, &c, at("2026-12-24T00:00:00Z"), true, 0);
}

#[test]
fn lifetime_never_forgets_and_counts_every_scope() {
    let (mut h, t0) = two_impressions();
    let years_later = later(t0, 3 * 365 * DAY_MS);
    let c = cap(CapScope::Offer, 2, CapWindow::Lifetime);
    assert_cap(&h, &c, years_later, false, 2);
    // Another offer of the same advertiser bumps only the shared scopes.
    let sibling = OfferKeys::new("winter-sale", "winter-2026", "northwind");
    show(&mut h, &sibling, years_later);
    assert_eq!(h.count(keys().offer, CapWindow::Lifetime, years_later), 2);
    assert_eq!(
        h.count(keys().campaign, CapWindow::Lifetime, years_later),
        2
    );
    assert_eq!(
        h.count(keys().advertiser, CapWindow::Lifetime, years_later),
        3
    );
    assert_eq!(h.count(sibling.offer, CapWindow::Lifetime, years_later), 1);
    assert!(cap_allows(1, &c));
    assert!(!cap_allows(2, &c));
}

#[test]
fn first_cap_hit_names_the_blocking_cap() {
    let (h, t0) = two_impressions();
    let caps = [
        cap(CapScope::Offer, 5, CapWindow::Day),
        cap(CapScope::Advertiser, 2, CapWindow::Week),
        cap(CapScope::Campaign, 1, CapWindow::Day),
    ];
    let hit = h.first_cap_hit(&caps, &keys(), t0).unwrap();
    assert_eq!(hit.scope, CapScope::Advertiser);
    assert_eq!(hit.to_string(), "capped by advertiser 2/week (seen 2)");
    assert!(h.first_cap_hit(&caps[..1], &keys(), t0).is_none());
}

#[test]
fn a_new_session_id_resets_session_counts() {
    let mut h = History::new(PARTNER);
    let t0 = at("2026-11-24T10:15:00Z");
    let c = cap(CapScope::Offer, 1, CapWindow::Session);
    h.set_session("tab-1");
    show(&mut h, &keys(), t0);
    assert_cap(&h, &c, t0, false, 1);
    h.set_session("tab-1"); // same session: still counted
    assert_cap(&h, &c, later(t0, MINUTE_MS), false, 1);
    // The session survives storage.
    let (mut h, warning) = History::decode(&h.encode(), PARTNER, later(t0, MINUTE_MS));
    assert!(warning.is_none());
    h.set_session("tab-1");
    assert_cap(&h, &c, later(t0, MINUTE_MS), false, 1);
    h.set_session("tab-2");
    assert_cap(&h, &c, later(t0, MINUTE_MS), true, 0);
    // Other windows do not care about sessions.
    assert_eq!(h.count(keys().offer, CapWindow::Hour, t0), 1);
}

#[test]
fn declines_suppress_for_the_offer_duration_and_accepts_are_remembered() {
    let mut h = History::new(PARTNER);
    let t0 = at("2026-11-24T10:15:00Z");
    assert_eq!(h.declined_at(keys().offer), None);
    h.record(Engagement::new(EngagementKind::Decline, &keys()), t0);
    assert_eq!(h.declined_at(keys().offer), Some(t0));
    assert_eq!(h.declined_at(keys().campaign), None);
    let day = Some(DurationMs(DAY_MS as u64));
    let s = h
        .suppressed(keys().offer, day, later(t0, DAY_MS - 1))
        .unwrap();
    assert_eq!(s.declined_at, t0);
    assert_eq!(s.until, Some(later(t0, DAY_MS)));
    assert!(h.suppressed(keys().offer, day, later(t0, DAY_MS)).is_none());
    assert!(h
        .suppressed(keys().offer, None, later(t0, 900 * DAY_MS))
        .is_some());

    assert_eq!(h.accepted_at(keys().offer), None);
    h.record(
        Engagement::new(EngagementKind::Accept, &keys()),
        later(t0, HOUR_MS),
    );
    h.record(
        Engagement::new(EngagementKind::Close, &keys()),
        later(t0, 2 * HOUR_MS),
    );
    assert_eq!(h.accepted_at(keys().offer), Some(later(t0, HOUR_MS)));
    // Neither counts as an impression.
    assert_eq!(h.count(keys().offer, CapWindow::Lifetime, t0), 0);

    let (back, warning) = History::decode(&h.encode(), PARTNER, later(t0, 3 * HOUR_MS));
    assert!(warning.is_none());
    assert_eq!(back.declined_at(keys().offer), Some(t0));
    assert_eq!(back.accepted_at(keys().offer), Some(later(t0, HOUR_MS)));
}

#[test]
fn encode_decode_round_trip_keeps_every_count() {
    let mut h = History::new(PARTNER);
    let start = at("2026-11-01T08:00:00Z");
    let offers: Vec<OfferKeys> = (0..6)
        .map(|i| OfferKeys::new(&format!("offer-{i}"), &format!("camp-{}", i % 3), "adv"))
        .collect();
    for step in 0..200i64 {
        let k = &offers[(step % 6) as usize];
        show(
            &mut h,
            k,
            later(start, step * 3 * HOUR_MS + step * 7 * MINUTE_MS),
        );
    }
    let now = later(start, 200 * 3 * HOUR_MS + DAY_MS);
    let blob = h.encode();
    assert!(blob.len() <= MAX_HISTORY_BYTES);
    let (back, warning) = History::decode(&blob, PARTNER, now);
    assert!(warning.is_none());
    for k in &offers {
        for key in [k.offer, k.campaign, k.advertiser] {
            for w in CapWindow::ALL {
                for t in [now, later(now, 5 * HOUR_MS), later(now, 9 * DAY_MS)] {
                    assert_eq!(back.count(key, w, t), h.count(key, w, t), "{w:?} at {t}");
                }
            }
        }
    }
    // Decoded in the hour it was written, a blob re-encodes byte for byte.
    let written = later(start, 199 * 3 * HOUR_MS + 199 * 7 * MINUTE_MS);
    let (same, _) = History::decode(&blob, PARTNER, written);
    assert_eq!(same.encode(), blob, "encoding is canonical");
}

#[test]
fn eviction_stays_under_4_kb_and_keeps_the_newest_data() {
    let mut h = History::new(PARTNER);
    let start = at("2026-10-01T00:00:00Z");
    // 400 distinct offers/campaigns/advertisers over 40 days: far over 4 KB.
    for i in 0..400i64 {
        let k = OfferKeys::new(&format!("o{i}"), &format!("c{i}"), &format!("a{i}"));
        show(&mut h, &k, later(start, i * 2 * HOUR_MS + i));
    }
    let last = OfferKeys::new("o399", "c399", "a399");
    let first = OfferKeys::new("o0", "c0", "a0");
    let now = later(start, 399 * 2 * HOUR_MS + 399);
    let blob = h.encode();
    assert!(blob.len() <= MAX_HISTORY_BYTES, "{} bytes", blob.len());
    assert!(
        blob.len() > MAX_HISTORY_BYTES - 64,
        "eviction stops once it fits"
    );
    let (back, warning) = History::decode(&blob, PARTNER, now);
    assert!(warning.is_none());
    // The newest impressions survive with all their windows...
    for k in [last.offer, last.campaign, last.advertiser] {
        assert_eq!(back.count(k, CapWindow::Hour, now), 1);
        assert_eq!(back.count(k, CapWindow::Day, now), 1);
        assert_eq!(back.count(k, CapWindow::Month, now), 1);
        assert_eq!(back.count(k, CapWindow::Lifetime, now), 1);
    }
    // ...the oldest key is gone entirely.
    assert_eq!(back.count(first.offer, CapWindow::Lifetime, now), 0);
    assert!(back.len() < h.len());
    // A decline recorded now survives the next encode too.
    let mut back = back;
    back.record(Engagement::new(EngagementKind::Decline, &first), now);
    let (again, _) = History::decode(&back.encode(), PARTNER, now);
    assert_eq!(again.declined_at(first.offer), Some(now));
    assert!(back.encode().len() <= MAX_HISTORY_BYTES);
}

fn sample_blob() -> Vec<u8> {
    two_impressions().0.encode()
}

fn assert_discarded(bytes: &[u8], code: HistoryWarningCode) {
    let (h, warning) = History::decode(bytes, PARTNER, at("2026-11-24T12:00:00Z"));
    assert!(h.is_empty());
    let warning = warning.expect("a warning");
    assert_eq!(warning.code, code, "{warning}");
    assert_eq!(h.count(keys().offer, CapWindow::Lifetime, Timestamp(0)), 0);
}

#[test]
fn empty_bytes_are_a_new_shopper_without_warning() {
    let (h, warning) = History::decode(&[], PARTNER, at("2026-11-24T12:00:00Z"));
    assert!(h.is_empty());
    assert!(warning.is_none());
}

#[test]
fn corrupt_and_truncated_blobs_are_discarded_with_a_warning() {
    let blob = sample_blob();
    for cut in 1..blob.len() {
        assert_discarded(&blob[..cut], HistoryWarningCode::HistoryCorrupt);
    }
    for i in 0..blob.len() {
        let mut bad = blob.clone();
        bad[i] ^= 0x10;
        let (h, warning) = History::decode(&bad, PARTNER, at("2026-11-24T12:00:00Z"));
        assert!(h.is_empty(), "byte {i}");
        assert!(warning.is_some(), "byte {i}");
    }
    assert_discarded(b"{\"not\":\"a blob\"}", HistoryWarningCode::HistoryCorrupt);
    assert_discarded(
        &vec![0u8; MAX_HISTORY_BYTES + 1],
        HistoryWarningCode::HistoryCorrupt,
    );
}

#[test]
fn another_partners_blob_is_discarded_as_foreign() {
    let blob = sample_blob();
    let (h, warning) = History::decode(&blob, "globex", at("2026-11-24T12:00:00Z"));
    assert!(h.is_empty());
    assert_eq!(
        warning.unwrap().code,
        HistoryWarningCode::HistoryForeignPartner
    );
}

#[test]
fn a_newer_format_version_is_discarded_as_future() {
    let mut blob = sample_blob();
    blob[3] = 2;
    assert_discarded(&blob, HistoryWarningCode::HistoryFutureVersion);
    let code = serde_json::to_value(HistoryWarningCode::HistoryFutureVersion).unwrap();
    assert_eq!(code, "HISTORY_FUTURE_VERSION");
}

#[test]
fn keys_match_the_documented_hash() {
    use sha2::{Digest, Sha256};
    let d = Sha256::digest(b"a:northwind");
    let expected = u64::from_be_bytes(d[..8].try_into().unwrap());
    assert_eq!(history_key(CapScope::Advertiser, "northwind"), expected);
    assert_eq!(keys().advertiser, expected);
    assert!(matches!(
        CapCheck::of(0, &cap(CapScope::Offer, 0, CapWindow::Lifetime)),
        CapCheck::Hit(_)
    ));
}

//! One key's counters: hourly and daily impression buckets in small rings,
//! a lifetime total, the current session's count, and the latest decline and
//! accept.
//!
//! Rings are indexed by absolute bucket number (`hour = ms / HOUR_MS`,
//! `day = ms / DAY_MS`, UTC) modulo the ring length. A ring remembers the
//! newest bucket it was written at (`last_*`); a slot holds the count of the
//! one bucket in `(last - len, last]` that maps to it. Queries intersect the
//! asked window with that range, so reading never mutates and never allocates.

use crate::time::{Timestamp, DAY_MS, HOUR_MS};

/// Hourly buckets kept per key: enough for the rolling 24-hour "day" window.
pub(crate) const HOUR_SLOTS: usize = 24;
/// Daily buckets kept per key: enough for the 30-day "month" window.
pub(crate) const DAY_SLOTS: usize = 30;

/// The absolute UTC hour bucket of an instant.
pub(crate) fn hour_of(t: Timestamp) -> i64 {
    t.0.div_euclid(HOUR_MS)
}

/// The absolute UTC day bucket of an instant.
pub(crate) fn day_of(t: Timestamp) -> i64 {
    t.0.div_euclid(DAY_MS)
}

/// The UTC day an hour bucket falls in.
pub(crate) fn day_of_hour(hour: i64) -> i64 {
    hour.div_euclid(24)
}

/// Counters of one (scope, id) key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Entry {
    /// The `history_key` this entry counts.
    pub key: u64,
    /// Impressions ever recorded (saturating).
    pub lifetime: u32,
    /// Impressions in the history's current session.
    pub session: u32,
    /// Newest hour bucket the hourly ring was written at.
    pub last_hour: i64,
    /// Newest day bucket the daily ring was written at.
    pub last_day: i64,
    /// Hour of the most recent write of any kind (for eviction order).
    pub touched_hour: i64,
    /// Hourly impression counts, slot = hour mod 24.
    pub hours: [u16; HOUR_SLOTS],
    /// Daily impression counts, slot = day mod 30.
    pub days: [u16; DAY_SLOTS],
    /// Latest decline of this offer.
    pub declined_at: Option<Timestamp>,
    /// Latest accept of this offer.
    pub accepted_at: Option<Timestamp>,
}

impl Entry {
    /// An entry with nothing counted yet, its rings based at `hour`.
    pub fn new(key: u64, hour: i64) -> Self {
        Self {
            key,
            lifetime: 0,
            session: 0,
            last_hour: hour,
            last_day: day_of_hour(hour),
            touched_hour: hour,
            hours: [0; HOUR_SLOTS],
            days: [0; DAY_SLOTS],
            declined_at: None,
            accepted_at: None,
        }
    }

    /// Counts one impression at `now`.
    pub fn record_impression(&mut self, now: Timestamp) {
        let hour = hour_of(now);
        bump(&mut self.hours, &mut self.last_hour, hour);
        bump(&mut self.days, &mut self.last_day, day_of(now));
        self.lifetime = self.lifetime.saturating_add(1);
        self.session = self.session.saturating_add(1);
        self.touch(hour);
    }

    /// Marks the entry as written at `hour` (eviction keeps recent keys).
    pub fn touch(&mut self, hour: i64) {
        self.touched_hour = self.touched_hour.max(hour);
    }

    /// Impressions in hour buckets `lo..=hi`.
    pub fn hours_between(&self, lo: i64, hi: i64) -> u32 {
        sum(&self.hours, self.last_hour, lo, hi)
    }

    /// Impressions in day buckets `lo..=hi`.
    pub fn days_between(&self, lo: i64, hi: i64) -> u32 {
        sum(&self.days, self.last_day, lo, hi)
    }

    /// The count stored for absolute hour bucket `hour` (0 when not held).
    #[cfg(test)]
    pub fn hour_count(&self, hour: i64) -> u16 {
        at(&self.hours, self.last_hour, hour)
    }
}

fn slot(bucket: i64, len: usize) -> usize {
    // rem_euclid of a positive length is in 0..len, so slot() never goes out
    // of bounds; `get` below guards anyway.
    usize::try_from(bucket.rem_euclid(len as i64)).unwrap_or(0)
}

/// Whether `bucket` is one of the `ring.len()` buckets ending at `last`.
fn held(len: usize, last: i64, bucket: i64) -> bool {
    bucket <= last && bucket > last.saturating_sub(len as i64)
}

#[cfg(test)]
fn at(ring: &[u16], last: i64, bucket: i64) -> u16 {
    if held(ring.len(), last, bucket) {
        ring.get(slot(bucket, ring.len())).copied().unwrap_or(0)
    } else {
        0
    }
}

fn sum(ring: &[u16], last: i64, lo: i64, hi: i64) -> u32 {
    let len = ring.len();
    let oldest = last.saturating_sub(len as i64 - 1);
    let (lo, hi) = (lo.max(oldest), hi.min(last));
    if lo > hi {
        return 0;
    }
    // At most `len` buckets, contiguous in the ring modulo wrap-around: sum
    // one or two plain slices (one division, and the loop vectorizes).
    let n = usize::try_from(hi - lo + 1).unwrap_or(len).min(len);
    let start = slot(lo, len);
    let first = ring.get(start..(start + n).min(len)).unwrap_or_default();
    let wrapped = ring
        .get(..(start + n).saturating_sub(len))
        .unwrap_or_default();
    let add = |acc: u32, &c: &u16| acc + u32::from(c);
    // 30 buckets of u16 cannot overflow u32.
    first.iter().fold(0, add) + wrapped.iter().fold(0, add)
}

/// `(age, count)` of every non-zero bucket the ring holds at ages
/// `0..ring.len()` counted back from `reference` (≥ `last`), youngest first.
pub(crate) fn held_ages(
    ring: &[u16],
    last: i64,
    reference: i64,
) -> impl Iterator<Item = (u32, u16)> + '_ {
    let len = ring.len();
    // Ages below `skip` are newer than the ring's newest bucket.
    let skip = reference.saturating_sub(last).clamp(0, len as i64);
    let skip = usize::try_from(skip).unwrap_or(len);
    let newest = slot(last, len);
    // Walk the ring backwards from the newest slot: no division per bucket.
    let older = (0..len).map(move |back| {
        if back <= newest {
            newest - back
        } else {
            newest + len - back
        }
    });
    older
        .take(len - skip)
        .zip(skip..len)
        .filter_map(move |(at, age)| match ring.get(at) {
            Some(&c) if c > 0 => Some((age as u32, c)),
            _ => None,
        })
}

/// Adds one to `bucket`, first advancing the ring when `bucket` is newer than
/// `last` (slots of skipped buckets are cleared). A bucket older than the ring
/// holds is dropped: it is outside every window the ring answers.
fn bump(ring: &mut [u16], last: &mut i64, bucket: i64) {
    let len = ring.len();
    if bucket > *last {
        let gap = bucket.saturating_sub(*last).min(len as i64);
        for step in 1..=gap {
            if let Some(c) = ring.get_mut(slot(*last + step, len)) {
                *c = 0;
            }
        }
        *last = bucket;
    }
    if held(len, *last, bucket) {
        if let Some(c) = ring.get_mut(slot(bucket, len)) {
            *c = c.saturating_add(1);
        }
    }
}

/// Puts `count` into the ring at `bucket` (decoding), leaving `last` alone.
pub(crate) fn set_hour(entry: &mut Entry, hour: i64, count: u16) {
    if held(HOUR_SLOTS, entry.last_hour, hour) {
        if let Some(c) = entry.hours.get_mut(slot(hour, HOUR_SLOTS)) {
            *c = count;
        }
    }
}

/// Puts `count` into the daily ring at `day` (decoding).
pub(crate) fn set_day(entry: &mut Entry, day: i64, count: u16) {
    if held(DAY_SLOTS, entry.last_day, day) {
        if let Some(c) = entry.days.get_mut(slot(day, DAY_SLOTS)) {
            *c = count;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: i64 = HOUR_MS;

    #[test]
    fn ring_forgets_buckets_older_than_its_length() {
        let mut e = Entry::new(1, 0);
        e.record_impression(Timestamp(0));
        e.record_impression(Timestamp(23 * H));
        assert_eq!(e.hours_between(0, 23), 2);
        e.record_impression(Timestamp(24 * H));
        // hour 0 shares slot 0 with hour 24 and was cleared when the ring advanced.
        assert_eq!(e.hours_between(0, 24), 2);
        assert_eq!(e.hour_count(0), 0);
        assert_eq!(e.hour_count(24), 1);
        assert_eq!(e.lifetime, 3);
    }

    #[test]
    fn late_write_inside_the_ring_counts_and_older_is_dropped() {
        let mut e = Entry::new(1, 100);
        e.record_impression(Timestamp(100 * H));
        e.record_impression(Timestamp(90 * H));
        e.record_impression(Timestamp(50 * H));
        assert_eq!(e.hours_between(0, 100), 2);
        assert_eq!(e.lifetime, 3);
        assert_eq!(e.last_hour, 100);
    }

    #[test]
    fn big_jump_clears_the_whole_ring() {
        let mut e = Entry::new(1, 0);
        for _ in 0..5 {
            e.record_impression(Timestamp(3 * H));
        }
        e.record_impression(Timestamp(1_000 * H));
        assert_eq!(e.hours_between(0, 2_000), 1);
        assert_eq!(e.days_between(0, 2_000), 1);
    }
}

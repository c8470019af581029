//! One key's counters: hourly and daily impression buckets in small rings,
//! a lifetime total, the current session's count, and the latest decline and
//! accept.
//!
//! Rings are indexed by absolute bucket number (`hour = ms / HOUR_MS`,
//! `day = ms / DAY_MS`, UTC) modulo the ring length. A ring remembers the
//! newest bucket it was written at (`last_*`); a slot holds the count of the
//! one bucket in `(last - RING, last]` that maps to it. Queries intersect the
//! asked window with that range, so reading never mutates and never allocates.
//! Rings have a power-of-two length (32) so the slot is a mask, not a
//! division: window sums are on the decide hot path. Only the last 24 hours
//! and 30 days are ever stored (`HOUR_SPAN`, `DAY_SPAN`).

use crate::time::{Timestamp, DAY_MS, HOUR_MS};

/// Slots per ring (a power of two, ≥ both spans).
pub(crate) const RING: usize = 32;
/// Hourly buckets worth storing: the rolling 24-hour "day" window.
pub(crate) const HOUR_SPAN: usize = 24;
/// Daily buckets worth storing: the 30-day "month" window.
pub(crate) const DAY_SPAN: usize = 30;

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
#[derive(Debug, Clone)]
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
    pub hours: [u16; RING],
    /// Daily impression counts, slot = day mod 30.
    pub days: [u16; RING],
    /// Latest decline of this offer.
    pub declined_at: Option<Timestamp>,
    /// Latest accept of this offer.
    pub accepted_at: Option<Timestamp>,
    /// Hour bucket `windows` was computed for (`i64::MIN`: never).
    pub cached_hour: i64,
    /// Hour, day, week and month totals as of `cached_hour`, so the decide
    /// path reads one number instead of summing up to 30 buckets.
    pub windows: [u32; 4],
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
            hours: [0; RING],
            days: [0; RING],
            declined_at: None,
            accepted_at: None,
            cached_hour: i64::MIN,
            windows: [0; 4],
        }
    }

    /// Totals of the timed windows as seen in hour bucket `hour`, in the
    /// order hour, day (24 hourly buckets), week (7 daily), month (30 daily).
    pub fn compute_windows(&self, hour: i64) -> [u32; 4] {
        let day = day_of_hour(hour);
        [
            self.hours_between(hour, hour),
            self.hours_between(hour - 23, hour),
            self.days_between(day - 6, day),
            self.days_between(day - 29, day),
        ]
    }

    /// Caches [`Entry::compute_windows`] for `hour`.
    pub fn refresh(&mut self, hour: i64) {
        self.windows = self.compute_windows(hour);
        self.cached_hour = hour;
    }

    /// One timed window's total (index as in [`Entry::compute_windows`]):
    /// the cached value when `hour` is the cached hour.
    pub fn window(&self, index: usize, hour: i64) -> u32 {
        let windows = if hour == self.cached_hour {
            self.windows
        } else {
            self.compute_windows(hour)
        };
        windows.get(index).copied().unwrap_or(0)
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

fn slot(bucket: i64) -> usize {
    // Two's complement masking is the Euclidean remainder mod RING, so
    // slot() is in 0..RING; `get` below guards anyway.
    (bucket & (RING as i64 - 1)) as usize
}

/// Whether `bucket` is one of the `len` buckets ending at `last`.
fn held(len: usize, last: i64, bucket: i64) -> bool {
    bucket <= last && bucket > last.saturating_sub(len as i64)
}

#[cfg(test)]
fn at(ring: &[u16], last: i64, bucket: i64) -> u16 {
    if held(ring.len(), last, bucket) {
        ring.get(slot(bucket)).copied().unwrap_or(0)
    } else {
        0
    }
}

fn sum(ring: &[u16; RING], last: i64, lo: i64, hi: i64) -> u32 {
    let len = ring.len();
    let oldest = last.saturating_sub(len as i64 - 1);
    let (lo, hi) = (lo.max(oldest), hi.min(last));
    if lo > hi {
        return 0;
    }
    // At most `len` buckets, contiguous in the ring modulo wrap-around: sum
    // one or two plain slices (no division; the loops vectorize).
    let n = usize::try_from(hi - lo + 1).unwrap_or(len).min(len);
    let start = slot(lo);
    let first = ring.get(start..(start + n).min(len)).unwrap_or_default();
    let wrapped = ring
        .get(..(start + n).saturating_sub(len))
        .unwrap_or_default();
    let add = |acc: u32, &c: &u16| acc + u32::from(c);
    // 32 buckets of u16 cannot overflow u32.
    first.iter().fold(0, add) + wrapped.iter().fold(0, add)
}

/// `(age, count)` of every non-zero bucket at ages `0..span` counted back
/// from `reference` (≥ `last`) that the ring holds, youngest first.
pub(crate) fn held_ages(
    ring: &[u16; RING],
    last: i64,
    reference: i64,
    span: usize,
) -> impl Iterator<Item = (u32, u16)> + '_ {
    // Ages below `skip` are newer than the ring's newest bucket.
    let skip =
        usize::try_from(reference.saturating_sub(last).clamp(0, span as i64)).unwrap_or(span);
    (skip..span).filter_map(move |age| {
        // Bucket `reference - age` is `age - skip` buckets before `last`.
        let bucket = last - (age - skip) as i64;
        match ring.get(slot(bucket)) {
            Some(&c) if c > 0 => Some((age as u32, c)),
            _ => None,
        }
    })
}

/// Adds one to `bucket`, first advancing the ring when `bucket` is newer than
/// `last` (slots of skipped buckets are cleared). A bucket older than the ring
/// holds is dropped: it is outside every window the ring answers.
fn bump(ring: &mut [u16; RING], last: &mut i64, bucket: i64) {
    let len = ring.len();
    if bucket > *last {
        let gap = bucket.saturating_sub(*last).min(len as i64);
        for step in 1..=gap {
            if let Some(c) = ring.get_mut(slot(*last + step)) {
                *c = 0;
            }
        }
        *last = bucket;
    }
    if held(len, *last, bucket) {
        if let Some(c) = ring.get_mut(slot(bucket)) {
            *c = c.saturating_add(1);
        }
    }
}

/// Puts `count` into the ring at `bucket` (decoding), leaving `last` alone.
pub(crate) fn set_hour(entry: &mut Entry, hour: i64, count: u16) {
    if held(RING, entry.last_hour, hour) {
        if let Some(c) = entry.hours.get_mut(slot(hour)) {
            *c = count;
        }
    }
}

/// Puts `count` into the daily ring at `day` (decoding).
pub(crate) fn set_day(entry: &mut Entry, day: i64, count: u16) {
    if held(RING, entry.last_day, day) {
        if let Some(c) = entry.days.get_mut(slot(day)) {
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
        e.record_impression(Timestamp(31 * H));
        assert_eq!(e.hours_between(0, 31), 2);
        e.record_impression(Timestamp(32 * H));
        // hour 0 shares slot 0 with hour 32 and was cleared when the ring advanced.
        assert_eq!(e.hours_between(0, 32), 2);
        assert_eq!(e.hour_count(0), 0);
        assert_eq!(e.hour_count(32), 1);
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

//! The stored history blob, format version 1.
//!
//! ```text
//! blob    = "OEH" version:u8 partner:u64be ref_hour:zigzag-varint
//!           session:u64be n_entries:varint entry* checksum:u32le
//! entry   = key:u64be flags:u8 touch_age:varint lifetime:varint
//!           [session:varint]      (flags bit 2)
//!           [declined_ms:zigzag]  (flags bit 0)
//!           [accepted_ms:zigzag]  (flags bit 1)
//!           n_hours:u8 (age:u8 count:varint){n_hours}   age 0..24, ascending
//!           n_days:u8  (age:u8 count:varint){n_days}    age 0..30, ascending
//! ```
//! `ref_hour` is the newest UTC hour bucket the history had seen; bucket ages
//! count back from it (hour `ref_hour - age`, day `ref_hour / 24 - age`).
//! Keys are strictly ascending, bucket counts are 1..=65535, and the checksum
//! is FNV-1a (32-bit) of every byte before it. Anything else is
//! `HISTORY_CORRUPT`; a version above [`HISTORY_FORMAT_VERSION`] is
//! `HISTORY_FUTURE_VERSION` (checked before the checksum, whose definition a
//! future version may change); a partner other than the caller's is
//! `HISTORY_FOREIGN_PARTNER`.
//!
//! # Eviction
//! Encoding first drops buckets no window can reach any more (hours older than
//! 24 and days older than 30 buckets before `ref_hour`). If the blob is still
//! over [`MAX_HISTORY_BYTES`], data goes oldest first, ranked by the newest
//! hour it covers: an hourly bucket covers its hour, a daily bucket its last
//! hour (or `ref_hour` for today), and a key's remaining totals (lifetime,
//! session, decline, accept) its last-touched hour. On ties, daily buckets go
//! before hourly ones and buckets before whole keys; then by key.

use super::counters::{day_of_hour, set_day, set_hour, Entry, DAY_SLOTS, HOUR_SLOTS};
use super::{History, HistoryWarning, HistoryWarningCode};
use crate::limits::MAX_HISTORY_BYTES;
use crate::time::Timestamp;

/// The blob format this build writes and reads.
pub const HISTORY_FORMAT_VERSION: u8 = 1;

const MAGIC: &[u8; 3] = b"OEH";
const CHECKSUM_LEN: usize = 4;
const FLAG_DECLINED: u8 = 1;
const FLAG_ACCEPTED: u8 = 2;
const FLAG_SESSION: u8 = 4;
/// Smallest possible entry: key, flags, touch age, lifetime, two bucket counts.
const MIN_ENTRY_LEN: usize = 8 + 1 + 1 + 1 + 1 + 1;

fn fnv1a32(bytes: &[u8]) -> u32 {
    bytes.iter().fold(0x811c_9dc5_u32, |h, &b| {
        (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
    })
}

fn zigzag(n: i64) -> u64 {
    ((n << 1) ^ (n >> 63)) as u64
}

fn unzigzag(n: u64) -> i64 {
    ((n >> 1) as i64) ^ -((n & 1) as i64)
}

fn varint_len(mut n: u64) -> usize {
    let mut len = 1;
    while n >= 0x80 {
        n >>= 7;
        len += 1;
    }
    len
}

fn put_varint(out: &mut Vec<u8>, mut n: u64) {
    while n >= 0x80 {
        out.push((n as u8) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

// ---------------------------------------------------------------- encoding

/// What survives of one entry: which bucket ages (bit i = age i) are kept.
struct Plan<'a> {
    entry: &'a Entry,
    hours: u32,
    days: u32,
    alive: bool,
    len: usize,
}

impl Plan<'_> {
    fn hour_count(&self, ref_hour: i64, age: u32) -> u16 {
        self.entry.hour_count(ref_hour - i64::from(age))
    }

    fn day_count(&self, ref_day: i64, age: u32) -> u16 {
        self.entry.day_count(ref_day - i64::from(age))
    }
}

fn bucket_len(count: u16) -> usize {
    1 + varint_len(u64::from(count))
}

fn entry_len(plan: &Plan<'_>, ref_hour: i64) -> usize {
    let e = plan.entry;
    let ref_day = day_of_hour(ref_hour);
    let mut len = 8 + 1 + varint_len(touch_age(e, ref_hour)) + varint_len(u64::from(e.lifetime));
    if e.session > 0 {
        len += varint_len(u64::from(e.session));
    }
    if let Some(t) = e.declined_at {
        len += varint_len(zigzag(t.0));
    }
    if let Some(t) = e.accepted_at {
        len += varint_len(zigzag(t.0));
    }
    len += 2;
    for age in ages(plan.hours) {
        len += bucket_len(plan.hour_count(ref_hour, age));
    }
    for age in ages(plan.days) {
        len += bucket_len(plan.day_count(ref_day, age));
    }
    len
}

fn touch_age(e: &Entry, ref_hour: i64) -> u64 {
    u64::try_from(ref_hour.saturating_sub(e.touched_hour)).unwrap_or(0)
}

fn ages(mask: u32) -> impl Iterator<Item = u32> {
    (0..32).filter(move |age| mask & (1 << age) != 0)
}

/// One thing eviction can drop, ranked by `(newest_hour, rank, key)`.
struct Candidate {
    newest_hour: i64,
    rank: u8,
    plan: usize,
    age: u32,
}

const RANK_DAY: u8 = 0;
const RANK_HOUR: u8 = 1;
const RANK_ENTRY: u8 = 2;

pub(super) fn encode(history: &History) -> Vec<u8> {
    let ref_hour = history
        .entries
        .iter()
        .map(|e| e.last_hour.max(e.touched_hour))
        .fold(history.clock_hour, i64::max)
        .max(0);
    let ref_day = day_of_hour(ref_hour);

    let mut order: Vec<&Entry> = history.entries.iter().collect();
    order.sort_unstable_by_key(|e| e.key);
    let mut plans: Vec<Plan<'_>> = order
        .into_iter()
        .map(|entry| {
            let hours = (0..HOUR_SLOTS as u32)
                .filter(|&age| entry.hour_count(ref_hour - i64::from(age)) > 0)
                .fold(0u32, |m, age| m | (1 << age));
            let days = (0..DAY_SLOTS as u32)
                .filter(|&age| entry.day_count(ref_day - i64::from(age)) > 0)
                .fold(0u32, |m, age| m | (1 << age));
            let mut plan = Plan {
                entry,
                hours,
                days,
                alive: true,
                len: 0,
            };
            plan.alive = hours != 0 || days != 0 || !entry.is_empty();
            plan.len = entry_len(&plan, ref_hour);
            plan
        })
        .collect();
    plans.retain(|p| p.alive);

    let header_len =
        MAGIC.len() + 1 + 8 + varint_len(zigzag(ref_hour)) + 8 + varint_len(plans.len() as u64);
    let mut total = header_len + CHECKSUM_LEN + plans.iter().map(|p| p.len).sum::<usize>();
    if total > MAX_HISTORY_BYTES {
        evict(&mut plans, ref_hour, &mut total);
    }

    let mut out = Vec::with_capacity(total);
    out.extend_from_slice(MAGIC);
    out.push(HISTORY_FORMAT_VERSION);
    out.extend_from_slice(&history.partner_tag.to_be_bytes());
    put_varint(&mut out, zigzag(ref_hour));
    out.extend_from_slice(&history.session_tag.to_be_bytes());
    put_varint(&mut out, plans.iter().filter(|p| p.alive).count() as u64);
    for plan in plans.iter().filter(|p| p.alive) {
        write_entry(&mut out, plan, ref_hour);
    }
    let sum = fnv1a32(&out);
    out.extend_from_slice(&sum.to_le_bytes());
    out
}

fn evict(plans: &mut [Plan<'_>], ref_hour: i64, total: &mut usize) {
    let ref_day = day_of_hour(ref_hour);
    let mut candidates = Vec::new();
    for (i, plan) in plans.iter().enumerate() {
        for age in ages(plan.hours) {
            candidates.push(Candidate {
                newest_hour: ref_hour - i64::from(age),
                rank: RANK_HOUR,
                plan: i,
                age,
            });
        }
        for age in ages(plan.days) {
            let day = ref_day - i64::from(age);
            candidates.push(Candidate {
                newest_hour: (day * 24 + 23).min(ref_hour),
                rank: RANK_DAY,
                plan: i,
                age,
            });
        }
        candidates.push(Candidate {
            newest_hour: plan.entry.touched_hour,
            rank: RANK_ENTRY,
            plan: i,
            age: 0,
        });
    }
    // Plans are in key order, so `plan` breaks ties by key.
    candidates.sort_unstable_by_key(|c| (c.newest_hour, c.rank, c.plan, c.age));
    for c in candidates {
        if *total <= MAX_HISTORY_BYTES {
            break;
        }
        let Some(plan) = plans.get_mut(c.plan) else {
            continue;
        };
        if !plan.alive {
            continue;
        }
        let saved = match c.rank {
            RANK_HOUR => {
                plan.hours &= !(1 << c.age);
                bucket_len(plan.hour_count(ref_hour, c.age))
            }
            RANK_DAY => {
                plan.days &= !(1 << c.age);
                bucket_len(plan.day_count(ref_day, c.age))
            }
            _ => {
                plan.alive = false;
                plan.len
            }
        };
        plan.len = plan.len.saturating_sub(saved);
        *total = total.saturating_sub(saved);
    }
}

fn write_entry(out: &mut Vec<u8>, plan: &Plan<'_>, ref_hour: i64) {
    let e = plan.entry;
    let ref_day = day_of_hour(ref_hour);
    out.extend_from_slice(&e.key.to_be_bytes());
    let mut flags = 0;
    if e.declined_at.is_some() {
        flags |= FLAG_DECLINED;
    }
    if e.accepted_at.is_some() {
        flags |= FLAG_ACCEPTED;
    }
    if e.session > 0 {
        flags |= FLAG_SESSION;
    }
    out.push(flags);
    put_varint(out, touch_age(e, ref_hour));
    put_varint(out, u64::from(e.lifetime));
    if e.session > 0 {
        put_varint(out, u64::from(e.session));
    }
    if let Some(t) = e.declined_at {
        put_varint(out, zigzag(t.0));
    }
    if let Some(t) = e.accepted_at {
        put_varint(out, zigzag(t.0));
    }
    out.push(plan.hours.count_ones() as u8);
    for age in ages(plan.hours) {
        out.push(age as u8);
        put_varint(out, u64::from(plan.hour_count(ref_hour, age)));
    }
    out.push(plan.days.count_ones() as u8);
    for age in ages(plan.days) {
        out.push(age as u8);
        put_varint(out, u64::from(plan.day_count(ref_day, age)));
    }
}

// ---------------------------------------------------------------- decoding

struct Reader<'a> {
    bytes: &'a [u8],
}

/// Marker for "the blob is malformed"; turned into one warning at the top.
struct Corrupt;

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], Corrupt> {
        if n > self.bytes.len() {
            return Err(Corrupt);
        }
        let (head, rest) = self.bytes.split_at(n);
        self.bytes = rest;
        Ok(head)
    }

    fn u8(&mut self) -> Result<u8, Corrupt> {
        self.take(1)?.first().copied().ok_or(Corrupt)
    }

    fn u64be(&mut self) -> Result<u64, Corrupt> {
        Ok(self
            .take(8)?
            .iter()
            .fold(0u64, |acc, &b| (acc << 8) | u64::from(b)))
    }

    /// LEB128, canonical (no overlong forms), at most 64 bits.
    fn varint(&mut self) -> Result<u64, Corrupt> {
        let mut value = 0u64;
        for i in 0..10 {
            let byte = self.u8()?;
            let bits = u64::from(byte & 0x7f);
            if i == 9 && bits > 1 {
                return Err(Corrupt);
            }
            value |= bits << (7 * i);
            if byte & 0x80 == 0 {
                if i > 0 && byte == 0 {
                    return Err(Corrupt);
                }
                return Ok(value);
            }
        }
        Err(Corrupt)
    }

    fn u32_varint(&mut self) -> Result<u32, Corrupt> {
        u32::try_from(self.varint()?).map_err(|_| Corrupt)
    }
}

pub(super) fn decode(bytes: &[u8], partner_tag: u64) -> Result<History, HistoryWarning> {
    let corrupt = |why: &str| {
        HistoryWarning::new(
            HistoryWarningCode::HistoryCorrupt,
            format!("stored history discarded: {why}"),
        )
    };
    if bytes.len() > MAX_HISTORY_BYTES {
        return Err(corrupt("larger than the history size limit"));
    }
    let (Some(magic), Some(&version)) = (bytes.get(..MAGIC.len()), bytes.get(MAGIC.len())) else {
        return Err(corrupt("too short to be a history blob"));
    };
    if magic != MAGIC {
        return Err(corrupt("not a history blob"));
    }
    if version > HISTORY_FORMAT_VERSION {
        return Err(HistoryWarning::new(
            HistoryWarningCode::HistoryFutureVersion,
            format!(
                "stored history discarded: format version {version} is newer than {HISTORY_FORMAT_VERSION}"
            ),
        ));
    }
    if version != HISTORY_FORMAT_VERSION {
        return Err(corrupt("unknown format version"));
    }
    let Some(body_len) = bytes.len().checked_sub(CHECKSUM_LEN) else {
        return Err(corrupt("truncated"));
    };
    let (body, sum) = bytes.split_at(body_len);
    let expected = sum
        .iter()
        .rev()
        .fold(0u32, |acc, &b| (acc << 8) | u32::from(b));
    if body.len() < MAGIC.len() + 1 + 8 || fnv1a32(body) != expected {
        return Err(corrupt("checksum mismatch (truncated or altered)"));
    }
    let mut reader = Reader {
        bytes: body.get(MAGIC.len() + 1..).unwrap_or_default(),
    };
    let read = |reader: &mut Reader<'_>| -> Result<History, Corrupt> {
        let tag = reader.u64be()?;
        let mut history = History::with_tag(tag);
        if tag != partner_tag {
            return Ok(history);
        }
        read_body(reader, &mut history)?;
        Ok(history)
    };
    match read(&mut reader) {
        Ok(history) if history.partner_tag != partner_tag => Err(HistoryWarning::new(
            HistoryWarningCode::HistoryForeignPartner,
            "stored history discarded: it belongs to another partner",
        )),
        Ok(history) => Ok(history),
        Err(Corrupt) => Err(corrupt("malformed contents")),
    }
}

fn read_body(reader: &mut Reader<'_>, history: &mut History) -> Result<(), Corrupt> {
    let ref_hour = unzigzag(reader.varint()?);
    // Hour buckets of instants representable as i64 milliseconds.
    if !(0..=i64::MAX / crate::time::HOUR_MS).contains(&ref_hour) {
        return Err(Corrupt);
    }
    let ref_day = day_of_hour(ref_hour);
    history.clock_hour = ref_hour;
    history.session_tag = reader.u64be()?;
    let n = usize::try_from(reader.varint()?).map_err(|_| Corrupt)?;
    if n > reader.bytes.len() / MIN_ENTRY_LEN {
        return Err(Corrupt);
    }
    history.entries.reserve_exact(n);
    let mut previous: Option<u64> = None;
    for _ in 0..n {
        let key = reader.u64be()?;
        if previous.is_some_and(|p| p >= key) {
            return Err(Corrupt);
        }
        previous = Some(key);
        let flags = reader.u8()?;
        if flags & !(FLAG_DECLINED | FLAG_ACCEPTED | FLAG_SESSION) != 0 {
            return Err(Corrupt);
        }
        let touch_age = i64::try_from(reader.varint()?).map_err(|_| Corrupt)?;
        let mut entry = Entry::new(key, ref_hour);
        entry.touched_hour = ref_hour.checked_sub(touch_age).ok_or(Corrupt)?;
        entry.lifetime = reader.u32_varint()?;
        if flags & FLAG_SESSION != 0 {
            entry.session = reader.u32_varint()?;
        }
        if flags & FLAG_DECLINED != 0 {
            entry.declined_at = Some(Timestamp(unzigzag(reader.varint()?)));
        }
        if flags & FLAG_ACCEPTED != 0 {
            entry.accepted_at = Some(Timestamp(unzigzag(reader.varint()?)));
        }
        read_buckets(reader, HOUR_SLOTS, |age, count| {
            set_hour(&mut entry, ref_hour - age, count);
        })?;
        read_buckets(reader, DAY_SLOTS, |age, count| {
            set_day(&mut entry, ref_day - age, count);
        })?;
        history.entries.push(entry);
    }
    if !reader.bytes.is_empty() {
        return Err(Corrupt);
    }
    history.rebuild_index();
    Ok(())
}

fn read_buckets(
    reader: &mut Reader<'_>,
    slots: usize,
    mut put: impl FnMut(i64, u16),
) -> Result<(), Corrupt> {
    let n = usize::from(reader.u8()?);
    if n > slots {
        return Err(Corrupt);
    }
    let mut previous: Option<u8> = None;
    for _ in 0..n {
        let age = reader.u8()?;
        if usize::from(age) >= slots || previous.is_some_and(|p| p >= age) {
            return Err(Corrupt);
        }
        previous = Some(age);
        let count = u16::try_from(reader.varint()?).map_err(|_| Corrupt)?;
        if count == 0 {
            return Err(Corrupt);
        }
        put(i64::from(age), count);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints_round_trip_and_refuse_overlong_forms() {
        for n in [0, 1, 127, 128, 300, u64::from(u32::MAX), u64::MAX] {
            let mut out = Vec::new();
            put_varint(&mut out, n);
            assert_eq!(out.len(), varint_len(n));
            let mut r = Reader { bytes: &out };
            assert!(matches!(r.varint(), Ok(v) if v == n));
        }
        for bad in [&[0x80, 0x00][..], &[0xff; 11][..], &[0x80][..]] {
            assert!(Reader { bytes: bad }.varint().is_err());
        }
        for n in [0, -1, 1, i64::MIN, i64::MAX] {
            assert_eq!(unzigzag(zigzag(n)), n);
        }
    }
}

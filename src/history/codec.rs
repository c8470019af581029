//! The stored history blob, format version 1.
//!
//! ```text
//! blob    = "OEH" version:u8 partner:u64be ref_hour:zigzag-varint
//!           session:u64be n_entries:varint entry* checksum:u64le
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
//! covers every byte before it (see `checksum`). Anything else is
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

mod evict;

use super::counters::{day_of_hour, held_ages, set_day, set_hour, Entry, DAY_SPAN, HOUR_SPAN};
use super::{History, HistoryWarning, HistoryWarningCode};
use crate::limits::MAX_HISTORY_BYTES;
use crate::time::Timestamp;
use evict::{evict, low_half, sort_packed};

/// The blob format this build writes and reads.
pub const HISTORY_FORMAT_VERSION: u8 = 1;

const MAGIC: &[u8; 3] = b"OEH";
const CHECKSUM_LEN: usize = 8;
const FLAG_DECLINED: u8 = 1;
const FLAG_ACCEPTED: u8 = 2;
const FLAG_SESSION: u8 = 4;
/// Smallest possible entry: key, flags, touch age, lifetime, two bucket counts.
const MIN_ENTRY_LEN: usize = 8 + 1 + 1 + 1 + 1 + 1;

/// Detects truncation and accidental damage (not tampering: the shopper owns
/// the blob and caps in the browser are advisory). A multiply-xorshift over
/// little-endian 8-byte words, the tail zero-padded, seeded with the length.
/// Every step is a bijection of the state, so changing any one word always
/// changes the result. Word-wise rather than byte-wise FNV: 8× fewer serial
/// multiplies, which is most of decoding a full blob.
fn checksum(bytes: &[u8]) -> u64 {
    const K: u64 = 0x9E37_79B9_7F4A_7C15;
    let mix = |h: u64, w: u64| {
        let h = (h ^ w).wrapping_mul(K);
        h ^ (h >> 29)
    };
    let mut chunks = bytes.chunks_exact(8);
    let mut h = (bytes.len() as u64) ^ 0x4f45_4831_0000_0000;
    for chunk in &mut chunks {
        h = mix(
            h,
            u64::from_le_bytes(<[u8; 8]>::try_from(chunk).unwrap_or_default()),
        );
    }
    let mut tail = [0u8; 8];
    for (t, &b) in tail.iter_mut().zip(chunks.remainder()) {
        *t = b;
    }
    let h = mix(h, u64::from_le_bytes(tail));
    h ^ (h >> 32)
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

/// Appends the checksum to a hand-built blob body (everything before the
/// checksum). For tools and fuzzers that need to reach the parser behind the
/// checksum; [`History::encode`] already does this.
pub fn seal(body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len() + CHECKSUM_LEN);
    out.extend_from_slice(body);
    out.extend_from_slice(&checksum(body).to_le_bytes());
    out
}

// ---------------------------------------------------------------- encoding

/// What survives of one entry: bucket counts by age (0: none or evicted).
struct Plan<'a> {
    entry: &'a Entry,
    hours: [u16; HOUR_SPAN],
    days: [u16; DAY_SPAN],
    alive: bool,
    len: usize,
}

impl<'a> Plan<'a> {
    fn new(entry: &'a Entry, ref_hour: i64) -> Self {
        let mut hours = [0; HOUR_SPAN];
        for (age, count) in held_ages(&entry.hours, entry.last_hour, ref_hour, HOUR_SPAN) {
            if let Some(c) = hours.get_mut(age as usize) {
                *c = count;
            }
        }
        let mut days = [0; DAY_SPAN];
        for (age, count) in held_ages(&entry.days, entry.last_day, day_of_hour(ref_hour), DAY_SPAN)
        {
            if let Some(c) = days.get_mut(age as usize) {
                *c = count;
            }
        }
        let mut plan = Self {
            entry,
            hours,
            days,
            alive: true,
            len: 0,
        };
        plan.alive = buckets(&hours).next().is_some()
            || buckets(&days).next().is_some()
            || entry.lifetime > 0
            || entry.session > 0
            || entry.declined_at.is_some()
            || entry.accepted_at.is_some();
        plan.len = plan.encoded_len(ref_hour);
        plan
    }

    fn encoded_len(&self, ref_hour: i64) -> usize {
        let e = self.entry;
        let mut len =
            8 + 1 + varint_len(touch_age(e, ref_hour)) + varint_len(u64::from(e.lifetime));
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
        for (_, count) in buckets(&self.hours).chain(buckets(&self.days)) {
            len += bucket_len(count);
        }
        len
    }
}

/// `(age, count)` of the non-zero buckets, oldest age last.
fn buckets(by_age: &[u16]) -> impl Iterator<Item = (u8, u16)> + '_ {
    by_age
        .iter()
        .enumerate()
        .filter(|(_, &c)| c > 0)
        .map(|(age, &c)| (age as u8, c))
}

fn bucket_len(count: u16) -> usize {
    1 + varint_len(u64::from(count))
}

fn touch_age(e: &Entry, ref_hour: i64) -> u64 {
    u64::try_from(ref_hour.saturating_sub(e.touched_hour)).unwrap_or(0)
}

pub(super) fn encode(history: &History) -> Vec<u8> {
    let ref_hour = history
        .entries
        .iter()
        .map(|e| e.last_hour.max(e.touched_hour))
        .fold(history.clock_hour, i64::max)
        .max(0);

    // Key order, via the one packed-u128 sort this module instantiates
    // (see `sort_packed`): the key in the high half, the entry's position low.
    let mut order: Vec<u128> = (0u64..)
        .zip(&history.entries)
        .map(|(i, e)| u128::from(e.key) << 64 | u128::from(i))
        .collect();
    sort_packed(&mut order);
    let mut plans: Vec<Plan<'_>> = order
        .into_iter()
        .filter_map(|packed| history.entries.get(low_half(packed) as usize))
        .map(|entry| Plan::new(entry, ref_hour))
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
    let sum = checksum(&out);
    out.extend_from_slice(&sum.to_le_bytes());
    out
}

fn write_entry(out: &mut Vec<u8>, plan: &Plan<'_>, ref_hour: i64) {
    let e = plan.entry;
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
    for by_age in [&plan.hours[..], &plan.days[..]] {
        out.push(buckets(by_age).count() as u8);
        for (age, count) in buckets(by_age) {
            out.push(age);
            put_varint(out, u64::from(count));
        }
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
        .fold(0u64, |acc, &b| (acc << 8) | u64::from(b));
    if body.len() < MAGIC.len() + 1 + 8 || checksum(body) != expected {
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
        read_buckets(reader, HOUR_SPAN, |age, count| {
            set_hour(&mut entry, ref_hour - age, count);
        })?;
        read_buckets(reader, DAY_SPAN, |age, count| {
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

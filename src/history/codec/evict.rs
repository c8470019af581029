//! Eviction when an encoded history would exceed [`MAX_HISTORY_BYTES`]:
//! the oldest data goes first (see the module docs of `codec`).

use super::{bucket_len, buckets, day_of_hour, Plan};
use crate::limits::MAX_HISTORY_BYTES;

const RANK_DAY: u8 = 0;
const RANK_HOUR: u8 = 1;
const RANK_ENTRY: u8 = 2;

/// One thing eviction can drop, ranked by `(newest_hour, rank, key)`.
struct Candidate {
    newest_hour: i64,
    rank: u8,
    plan: usize,
    age: u8,
}

/// Bits of a plan index in a packed candidate (far more entries than a
/// history of [`MAX_HISTORY_BYTES`] can hold).
const PLAN_MASK: u64 = (1 << 48) - 1;

impl Candidate {
    /// `(newest_hour, rank, plan, age)` as one `u128` with the same order:
    /// the hour with its sign bit flipped in the high half, then rank (8
    /// bits), plan (48 bits) and age (8 bits).
    fn pack(&self) -> u128 {
        let hour = u64::from_ne_bytes(self.newest_hour.to_ne_bytes()) ^ (1 << 63);
        let plan = u64::try_from(self.plan).unwrap_or(PLAN_MASK) & PLAN_MASK;
        let low = u64::from(self.rank) << 56 | plan << 8 | u64::from(self.age);
        u128::from(hour) << 64 | u128::from(low)
    }

    /// The inverse of [`Candidate::pack`].
    fn unpack(packed: u128) -> Self {
        let hour = ((packed >> 64) as u64) ^ (1 << 63);
        let low = low_half(packed);
        Self {
            newest_hour: i64::from_ne_bytes(hour.to_ne_bytes()),
            rank: (low >> 56) as u8,
            plan: ((low >> 8) & PLAN_MASK) as usize,
            age: low as u8,
        }
    }
}

/// The low 64 bits of a packed sort item.
pub(super) fn low_half(packed: u128) -> u64 {
    packed as u64
}

/// Both orders the encoder needs (entries by key, eviction candidates by
/// age and rank) sort packed `u128`s, so the WebAssembly build carries one
/// sort instead of one per element type and key (4 KB of code). Still
/// worth it once the page build stopped compiling rules (issue 15 kept
/// only the size tricks that pay): sorting `Candidate`s by their fields
/// measured +1,559 B gzip, 0.58 % of the page build (2026-12-05).
pub(super) fn sort_packed(items: &mut [u128]) {
    items.sort_unstable();
}

pub(super) fn evict(plans: &mut [Plan<'_>], ref_hour: i64, total: &mut usize) {
    let ref_day = day_of_hour(ref_hour);
    let mut candidates = Vec::new();
    for (i, plan) in plans.iter().enumerate() {
        for (age, _) in buckets(&plan.hours) {
            candidates.push(Candidate {
                newest_hour: ref_hour - i64::from(age),
                rank: RANK_HOUR,
                plan: i,
                age,
            });
        }
        for (age, _) in buckets(&plan.days) {
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
    let mut packed: Vec<u128> = candidates.iter().map(Candidate::pack).collect();
    sort_packed(&mut packed);
    for c in packed.into_iter().map(Candidate::unpack) {
        if *total <= MAX_HISTORY_BYTES {
            break;
        }
        let Some(plan) = plans.get_mut(c.plan) else {
            continue;
        };
        if !plan.alive {
            continue;
        }
        let ring = match c.rank {
            RANK_HOUR => plan.hours.get_mut(usize::from(c.age)),
            RANK_DAY => plan.days.get_mut(usize::from(c.age)),
            _ => None,
        };
        let saved = match ring {
            Some(count) => bucket_len(std::mem::take(count)),
            None if c.rank != RANK_ENTRY => 0,
            _ => {
                plan.alive = false;
                plan.len
            }
        };
        plan.len = plan.len.saturating_sub(saved);
        *total = total.saturating_sub(saved);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packed_candidates_sort_like_their_fields() {
        let c = |newest_hour, rank, plan, age| Candidate {
            newest_hour,
            rank,
            plan,
            age,
        };
        let fields = |c: &Candidate| (c.newest_hour, c.rank, c.plan, c.age);
        let mut list = vec![
            c(5, 0, 1, 3),
            c(-2, 2, 9, 0),
            c(5, 0, 0, 7),
            c(i64::MIN, 1, 2, 255),
        ];
        list.push(c(i64::MAX, RANK_ENTRY, 1 << 40, 0));
        let mut packed: Vec<u128> = list.iter().map(Candidate::pack).collect();
        sort_packed(&mut packed);
        let got: Vec<_> = packed
            .into_iter()
            .map(|p| fields(&Candidate::unpack(p)))
            .collect();
        let mut want: Vec<_> = list.iter().map(fields).collect();
        want.sort_unstable();
        assert_eq!(got, want);
    }
}

//! Age and cart bands: the coarse context features the ranking model and the
//! "lookalike segment" crosses use (`ageBand=25-34`, `cartBand=50-100`).

use super::Context;
use crate::time::{civil_from_days, Timestamp, DAY_MS};

/// Age bands, youngest first. Under 18 has no band.
pub const AGE_BANDS: [&str; 6] = ["18-24", "25-34", "35-44", "45-54", "55-64", "65+"];
/// Cart bands by amount, lower bound inclusive, upper bound exclusive:
/// `[0, 25)`, `[25, 50)`, `[50, 100)`, `[100, 250)`, `[250, ∞)`.
pub const CART_BANDS: [&str; 5] = ["0-25", "25-50", "50-100", "100-250", "250+"];

impl Context {
    /// The shopper's age in whole years: `age` when given, else from `dob`
    /// at instant `now` (UTC calendar date).
    pub fn age_at(&self, now: Timestamp) -> Option<u32> {
        if let Some(age) = self.age {
            return Some(u32::from(age));
        }
        let dob = self.dob.as_deref()?;
        let part = |r: std::ops::Range<usize>| dob.get(r).and_then(|s| s.parse::<i64>().ok());
        let (y, m, d) = (part(0..4)?, part(5..7)?, part(8..10)?);
        let (ny, nm, nd) = civil_from_days(now.as_millis().div_euclid(DAY_MS));
        let mut years = ny - y;
        if (nm, nd) < (m, d) {
            years -= 1;
        }
        u32::try_from(years).ok()
    }

    /// The age band (`"25-34"`…), from `age` or `dob` at `now`; `None`
    /// when unknown or under 18.
    pub fn age_band(&self, now: Timestamp) -> Option<&'static str> {
        let idx = match self.age_at(now)? {
            0..=17 => return None,
            18..=24 => 0,
            25..=34 => 1,
            35..=44 => 2,
            45..=54 => 3,
            55..=64 => 4,
            _ => 5,
        };
        AGE_BANDS.get(idx).copied()
    }

    /// The cart band of `amount` (see [`CART_BANDS`]); `None` when absent.
    pub fn cart_band(&self) -> Option<&'static str> {
        let amount = self.amount?;
        let idx = [25.0, 50.0, 100.0, 250.0]
            .iter()
            .position(|&upper| amount < upper)
            .unwrap_or(4);
        CART_BANDS.get(idx).copied()
    }
}

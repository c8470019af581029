//! What rules may ask of the decision beyond the context: audience
//! membership, impression history and time.

use crate::bundle::{CapScope, CapWindow};
use crate::time::Timestamp;

/// The environment of one evaluation, supplied by the decision engine.
/// Implementations must be pure functions of their inputs (no clock, no
/// I/O): the core stays deterministic.
pub trait RuleEnv {
    /// Whether the shopper is in the audience with this bundle index (as
    /// resolved by [`CompileEnv::audience_index`](super::CompileEnv)).
    fn in_audience(&self, audience: usize) -> bool;
    /// Impressions counted for `scope`/`id` within `window` ending now.
    fn history_count(&self, scope: CapScope, id: &str, window: CapWindow) -> u32;
    /// The decision instant.
    fn now(&self) -> Timestamp;
    /// The partner's UTC offset in minutes at [`now`](Self::now): the
    /// bundle's `utcOffsetMinutes`, or the offset its IANA `timeZone` has
    /// at that instant (`Bundle::utc_offset_at`: daylight saving time
    /// included).
    fn utc_offset_minutes(&self) -> i32;
}

/// A [`RuleEnv`] with fixed answers: for previews, the CLI's rule checks,
/// fixtures and tests. Audiences not listed are non-members; history not
/// listed counts 0.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FixedEnv {
    /// The decision instant.
    pub now: Timestamp,
    /// The partner's UTC offset in minutes at `now`.
    pub utc_offset_minutes: i32,
    /// Indices of the audiences the shopper is in.
    pub audiences: Vec<usize>,
    /// Known counts: `(scope, id, window, count)`.
    pub history: Vec<(CapScope, String, CapWindow, u32)>,
}

impl FixedEnv {
    /// UTC, no audiences, no history, at `now`.
    pub fn at(now: Timestamp) -> Self {
        FixedEnv {
            now,
            ..FixedEnv::default()
        }
    }
}

impl RuleEnv for FixedEnv {
    fn in_audience(&self, audience: usize) -> bool {
        self.audiences.contains(&audience)
    }

    fn history_count(&self, scope: CapScope, id: &str, window: CapWindow) -> u32 {
        self.history
            .iter()
            .find(|(s, i, w, _)| *s == scope && i == id && *w == window)
            .map_or(0, |(_, _, _, n)| *n)
    }

    fn now(&self) -> Timestamp {
        self.now
    }

    fn utc_offset_minutes(&self) -> i32 {
        self.utc_offset_minutes
    }
}

//! Keys and cap arithmetic: how an offer, campaign or advertiser id becomes a
//! 64-bit counter key, and the typed outcome of checking a cap.

use crate::bundle::{Cap, CapScope, CapWindow};
use crate::time::{DurationMs, Timestamp};
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::fmt;

/// The counter key of `(scope, id)`: the first 8 bytes, big-endian, of
/// SHA-256 of a scope prefix (`"o:"`, `"c:"`, `"a:"`) followed by the id's
/// UTF-8 bytes.
///
/// Stable across builds, platforms and releases (stored blobs depend on it);
/// the engine computes it once per offer at compile time. The prefix keeps an
/// offer and a campaign that share an id apart.
pub fn history_key(scope: CapScope, id: &str) -> u64 {
    let prefix: &[u8] = match scope {
        CapScope::Offer => b"o:",
        CapScope::Campaign => b"c:",
        CapScope::Advertiser => b"a:",
    };
    first_u64(
        Sha256::new()
            .chain_update(prefix)
            .chain_update(id.as_bytes()),
    )
}

/// First 8 bytes of a finished SHA-256, big-endian.
pub(crate) fn first_u64(hasher: Sha256) -> u64 {
    hasher
        .finalize()
        .iter()
        .take(8)
        .fold(0u64, |acc, &b| (acc << 8) | u64::from(b))
}

/// The three counter keys of one offer, precomputed at compile time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct OfferKeys {
    /// `history_key(Offer, offer.id)`.
    pub offer: u64,
    /// `history_key(Campaign, offer.campaign)`.
    pub campaign: u64,
    /// `history_key(Advertiser, offer.advertiser)`.
    pub advertiser: u64,
}

impl OfferKeys {
    /// Hashes the offer's three ids.
    pub fn new(offer_id: &str, campaign_id: &str, advertiser_id: &str) -> Self {
        Self {
            offer: history_key(CapScope::Offer, offer_id),
            campaign: history_key(CapScope::Campaign, campaign_id),
            advertiser: history_key(CapScope::Advertiser, advertiser_id),
        }
    }

    /// The key a cap of `scope` counts.
    pub const fn for_scope(&self, scope: CapScope) -> u64 {
        match scope {
            CapScope::Offer => self.offer,
            CapScope::Campaign => self.campaign,
            CapScope::Advertiser => self.advertiser,
        }
    }
}

/// Whether one more impression is allowed when `count` were already seen in
/// the cap's window: `count < cap.max` (a cap of 0 blocks everything).
pub const fn cap_allows(count: u32, cap: &Cap) -> bool {
    count < cap.max
}

/// A cap that blocks an offer, with what the explainer needs to say why.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CapHit {
    /// What the cap counts.
    pub scope: CapScope,
    /// Impressions allowed in the window.
    pub max: u32,
    /// The window.
    pub window: CapWindow,
    /// Impressions already counted in the window (≥ `max`).
    pub count: u32,
}

impl fmt::Display for CapHit {
    /// E.g. `capped by advertiser 1/day (seen 1)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "capped by {} {}/{} (seen {})",
            self.scope.name(),
            self.max,
            self.window.name(),
            self.count
        )
    }
}

/// The outcome of checking one cap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CapCheck {
    /// Under the cap; `count` impressions so far in the window.
    Allowed {
        /// Impressions counted in the window.
        count: u32,
    },
    /// At or over the cap.
    Hit(CapHit),
}

impl CapCheck {
    /// Checks `count` against `cap`.
    pub const fn of(count: u32, cap: &Cap) -> Self {
        if cap_allows(count, cap) {
            Self::Allowed { count }
        } else {
            Self::Hit(CapHit {
                scope: cap.scope,
                max: cap.max,
                window: cap.window,
                count,
            })
        }
    }

    /// Whether the offer may show as far as this cap is concerned.
    pub const fn is_allowed(&self) -> bool {
        matches!(self, Self::Allowed { .. })
    }
}

/// An offer hidden because the shopper declined it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Suppressed {
    /// When the shopper (last) declined.
    pub declined_at: Timestamp,
    /// When it may show again; `None` means never (no `suppressAfterDecline`).
    pub until: Option<Timestamp>,
}

impl Suppressed {
    /// Whether a decline at `declined_at` still hides the offer at `now`:
    /// for `Some(d)` while `now < declined_at + d`, for `None` forever.
    pub fn check(
        declined_at: Timestamp,
        suppress_after: Option<DurationMs>,
        now: Timestamp,
    ) -> Option<Self> {
        let until = suppress_after.map(|d| declined_at.plus(d));
        match until {
            Some(end) if now >= end => None,
            _ => Some(Self { declined_at, until }),
        }
    }
}

impl fmt::Display for Suppressed {
    /// E.g. `suppressed after decline on 2026-11-29T12:00:00Z until …`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "suppressed after decline on {}", self.declined_at)?;
        match self.until {
            Some(until) => write!(f, " until {until}"),
            None => f.write_str(" (for good)"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_stable_and_scoped() {
        // Pinned: stored blobs depend on these never changing.
        assert_eq!(
            history_key(CapScope::Offer, "offer-1"),
            history_key(CapScope::Offer, "offer-1")
        );
        assert_ne!(
            history_key(CapScope::Offer, "x"),
            history_key(CapScope::Campaign, "x")
        );
        assert_ne!(
            history_key(CapScope::Campaign, "x"),
            history_key(CapScope::Advertiser, "x")
        );
        let expected = {
            let d = Sha256::digest(b"o:offer-1");
            u64::from_be_bytes([d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7]])
        };
        assert_eq!(history_key(CapScope::Offer, "offer-1"), expected);
    }

    #[test]
    fn cap_hit_prints_what_the_explainer_needs() {
        let cap = Cap {
            scope: CapScope::Advertiser,
            max: 1,
            window: CapWindow::Day,
        };
        assert!(CapCheck::of(0, &cap).is_allowed());
        let CapCheck::Hit(hit) = CapCheck::of(1, &cap) else {
            panic!("one impression must hit a 1/day cap")
        };
        assert_eq!(hit.to_string(), "capped by advertiser 1/day (seen 1)");
        assert_eq!(
            serde_json::to_value(hit).unwrap(),
            serde_json::json!({"scope": "advertiser", "max": 1, "window": "day", "count": 1})
        );
    }

    #[test]
    fn suppression_ends_exactly_after_the_duration() {
        let t = Timestamp(1_000_000);
        let d = Some(DurationMs(500));
        assert!(Suppressed::check(t, d, Timestamp(1_000_499)).is_some());
        assert!(Suppressed::check(t, d, Timestamp(1_000_500)).is_none());
        assert!(Suppressed::check(t, None, Timestamp(i64::MAX)).is_some());
    }
}

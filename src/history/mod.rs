//! Per-partner, per-shopper history: impression counters per offer, campaign
//! and advertiser in time buckets, the latest decline and accept per offer,
//! and the compact versioned blob hosts store between page views.
//!
//! # Keys
//! Every counter is keyed by [`history_key`]`(scope, id)`, a 64-bit hash the
//! engine computes once per offer at compile time ([`OfferKeys`]).
//!
//! # Windows
//! Time is bucketed by absolute UTC hour (`ms / 3_600_000`) and UTC day
//! (`ms / 86_400_000`); no raw impression timestamps are kept. With `H` the
//! hour bucket and `D` the day bucket of `now`, [`History::count`] answers:
//!
//! | window     | counts impressions in                                   |
//! |------------|---------------------------------------------------------|
//! | `hour`     | hour bucket `H` (the current clock hour)                |
//! | `day`      | hour buckets `H-23 ..= H` (24 hourly buckets)           |
//! | `week`     | day buckets `D-6 ..= D` (7 daily buckets)               |
//! | `month`    | day buckets `D-29 ..= D` (30 daily buckets)             |
//! | `lifetime` | every impression the blob still remembers               |
//! | `session`  | impressions since the current session began             |
//!
//! So an impression at 10:15 counts in `hour` until 10:59:59.999 and is
//! gone at 11:00; it counts in `day` until 09:59:59.999 the next day; in `week`
//! through the 6th UTC midnight after it. "Exactly at the limit" and "one bucket
//! later" are crisp instants.
//!
//! # Sessions
//! The host defines sessions: it calls [`History::set_session`] with its
//! session id before deciding; a different id than the stored one resets every
//! session count. Without a call, session counts keep accumulating.
//!
//! # Storage
//! [`History::encode`] writes a versioned blob of at most
//! [`MAX_HISTORY_BYTES`](crate::limits::MAX_HISTORY_BYTES), evicting the oldest
//! data first (see [`codec`]). [`History::decode`] never fails: a corrupt,
//! foreign or future blob yields an empty history and a [`HistoryWarning`].

mod caps;
pub mod codec;
mod counters;

pub use caps::{cap_allows, history_key, CapCheck, CapHit, OfferKeys, Suppressed};

use crate::bundle::{Cap, CapWindow};
use crate::time::{DurationMs, Timestamp};
use counters::{hour_of, Entry};
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::fmt;

/// What a shopper did with an offer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum EngagementKind {
    /// The offer was shown: bumps the offer, campaign and advertiser counters.
    Impression,
    /// The shopper accepted: stores the accept time.
    Accept,
    /// The shopper declined: stores the decline time (suppression).
    Decline,
    /// The shopper closed the placement: nothing to remember.
    Close,
    /// The advertiser reported a conversion: nothing to remember here.
    Conversion,
}

/// One engagement to record, with the offer's precomputed keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Engagement {
    /// What happened.
    pub kind: EngagementKind,
    /// `history_key(Offer, id)`.
    pub offer_key: u64,
    /// `history_key(Campaign, id)`.
    pub campaign_key: u64,
    /// `history_key(Advertiser, id)`.
    pub advertiser_key: u64,
}

impl Engagement {
    /// An engagement of `kind` with the offer whose keys are `keys`.
    pub const fn new(kind: EngagementKind, keys: &OfferKeys) -> Self {
        Self {
            kind,
            offer_key: keys.offer,
            campaign_key: keys.campaign,
            advertiser_key: keys.advertiser,
        }
    }
}

/// Why a stored blob was discarded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum HistoryWarningCode {
    /// Truncated, altered, oversized or not a history blob at all.
    HistoryCorrupt,
    /// Written for another partner.
    HistoryForeignPartner,
    /// Written by a newer format version than this build reads.
    HistoryFutureVersion,
}

impl HistoryWarningCode {
    /// The stable string form, e.g. `"HISTORY_CORRUPT"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::HistoryCorrupt => "HISTORY_CORRUPT",
            Self::HistoryForeignPartner => "HISTORY_FOREIGN_PARTNER",
            Self::HistoryFutureVersion => "HISTORY_FUTURE_VERSION",
        }
    }
}

impl fmt::Display for HistoryWarningCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A discarded history blob: the decision goes on with an empty history and
/// reports this.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HistoryWarning {
    /// Stable tag.
    pub code: HistoryWarningCode,
    /// For people; not stable.
    pub message: String,
}

impl HistoryWarning {
    pub(crate) fn new(code: HistoryWarningCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }
}

impl fmt::Display for HistoryWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

/// Marks an empty slot of the key index.
const EMPTY_SLOT: u32 = u32::MAX;
/// Fibonacci hashing multiplier: spreads test keys like 1, 2, 3 as well as
/// real (already uniform) SHA-256 keys.
const SPREAD: u64 = 0x9E37_79B9_7F4A_7C15;

/// One shopper's history with one partner.
#[derive(Debug, Clone)]
pub struct History {
    /// First 8 bytes of SHA-256 of the partner id (blobs carry it).
    partner_tag: u64,
    /// Hash of the host's current session id (0: none set yet).
    session_tag: u64,
    /// Newest hour bucket seen (decode's `now`, records, the blob's own).
    clock_hour: i64,
    /// Counters, in insertion order; `index` finds them by key.
    entries: Vec<Entry>,
    /// Open-addressing table (power-of-two length, load ≤ ½) of entry
    /// positions, so lookups are O(1) without allocation.
    index: Vec<u32>,
}

impl History {
    /// An empty history (a new shopper) for `partner`.
    pub fn new(partner: &str) -> Self {
        Self::with_tag(partner_tag(partner))
    }

    pub(crate) fn with_tag(partner_tag: u64) -> Self {
        Self {
            partner_tag,
            session_tag: 0,
            clock_hour: i64::MIN,
            entries: Vec::new(),
            index: Vec::new(),
        }
    }

    /// Reads a stored blob for `partner` at `now`.
    ///
    /// Never fails: empty `bytes` is a new shopper (empty history, no
    /// warning); a corrupt, truncated, oversized, foreign-partner or
    /// future-version blob gives an empty history plus a [`HistoryWarning`]
    /// with the matching code.
    pub fn decode(bytes: &[u8], partner: &str, now: Timestamp) -> (Self, Option<HistoryWarning>) {
        let tag = partner_tag(partner);
        let (mut history, warning) = if bytes.is_empty() {
            (Self::with_tag(tag), None)
        } else {
            match codec::decode(bytes, tag) {
                Ok(history) => (history, None),
                Err(warning) => (Self::with_tag(tag), Some(warning)),
            }
        };
        history.clock_hour = history.clock_hour.max(hour_of(now));
        history.prepare(now);
        (history, warning)
    }

    /// The versioned blob to store, at most
    /// [`MAX_HISTORY_BYTES`](crate::limits::MAX_HISTORY_BYTES): the oldest data
    /// is evicted first when everything does not fit.
    pub fn encode(&self) -> Vec<u8> {
        codec::encode(self)
    }

    /// Starts (or continues) the host's session `session_id`: when it differs
    /// from the stored one, every session count resets to 0.
    pub fn set_session(&mut self, session_id: &str) {
        let tag = caps::first_u64(
            Sha256::new()
                .chain_update(b"s:")
                .chain_update(session_id.as_bytes()),
        );
        if tag != self.session_tag {
            self.session_tag = tag;
            for entry in &mut self.entries {
                entry.session = 0;
            }
        }
    }

    /// Impressions counted under `key` in `window` as seen at `now` (see the
    /// module docs for the exact buckets). O(1), no allocation; a single
    /// load when `now` is in the hour last passed to decode/record/prepare.
    pub fn count(&self, key: u64, window: CapWindow, now: Timestamp) -> u32 {
        let Some(entry) = self.find(key) else {
            return 0;
        };
        let index = match window {
            CapWindow::Session => return entry.session,
            CapWindow::Lifetime => return entry.lifetime,
            CapWindow::Hour => 0,
            CapWindow::Day => 1,
            CapWindow::Week => 2,
            CapWindow::Month => 3,
        };
        entry.window(index, hour_of(now))
    }

    /// Precomputes every key's window totals for the hour of `now`, so that
    /// [`History::count`] at any instant of that hour is a single load.
    /// [`History::decode`] and [`History::record`] already do this for their
    /// `now`; call it when deciding at a different hour than the decode.
    pub fn prepare(&mut self, now: Timestamp) {
        let hour = hour_of(now);
        for entry in &mut self.entries {
            entry.refresh(hour);
        }
    }

    /// Checks one cap for the offer with `keys` at `now`.
    pub fn check_cap(&self, cap: &Cap, keys: &OfferKeys, now: Timestamp) -> CapCheck {
        CapCheck::of(self.count(keys.for_scope(cap.scope), cap.window, now), cap)
    }

    /// The first of `caps` that blocks the offer with `keys`, if any.
    pub fn first_cap_hit(&self, caps: &[Cap], keys: &OfferKeys, now: Timestamp) -> Option<CapHit> {
        caps.iter()
            .find_map(|cap| match self.check_cap(cap, keys, now) {
                CapCheck::Hit(hit) => Some(hit),
                CapCheck::Allowed { .. } => None,
            })
    }

    /// When the shopper last declined the offer with `offer_key`.
    pub fn declined_at(&self, offer_key: u64) -> Option<Timestamp> {
        self.find(offer_key).and_then(|e| e.declined_at)
    }

    /// When the shopper last accepted the offer with `offer_key`.
    pub fn accepted_at(&self, offer_key: u64) -> Option<Timestamp> {
        self.find(offer_key).and_then(|e| e.accepted_at)
    }

    /// Whether a decline still hides the offer at `now`, given the offer's
    /// `suppressAfterDecline` (`None`: declined offers never show again).
    pub fn suppressed(
        &self,
        offer_key: u64,
        suppress_after: Option<DurationMs>,
        now: Timestamp,
    ) -> Option<Suppressed> {
        Suppressed::check(self.declined_at(offer_key)?, suppress_after, now)
    }

    /// Records an engagement at `now`: an impression bumps the offer,
    /// campaign and advertiser counters; a decline or accept stores its time
    /// (the latest one wins); close and conversion change nothing.
    pub fn record(&mut self, engagement: Engagement, now: Timestamp) {
        let hour = hour_of(now);
        self.clock_hour = self.clock_hour.max(hour);
        match engagement.kind {
            EngagementKind::Impression => {
                let keys = [
                    engagement.offer_key,
                    engagement.campaign_key,
                    engagement.advertiser_key,
                ];
                for (i, &key) in keys.iter().enumerate() {
                    // Equal keys (a caller passing one key thrice) count once.
                    if keys.iter().take(i).any(|&k| k == key) {
                        continue;
                    }
                    let entry = self.entry_mut(key, hour);
                    entry.record_impression(now);
                    entry.refresh(hour);
                }
            }
            EngagementKind::Decline => {
                let entry = self.entry_mut(engagement.offer_key, hour);
                entry.declined_at = entry.declined_at.max(Some(now));
                entry.touch(hour);
            }
            EngagementKind::Accept => {
                let entry = self.entry_mut(engagement.offer_key, hour);
                entry.accepted_at = entry.accepted_at.max(Some(now));
                entry.touch(hour);
            }
            EngagementKind::Close | EngagementKind::Conversion => {}
        }
    }

    /// Number of keys with counters.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether nothing is remembered (a new shopper).
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    fn home(&self, key: u64) -> usize {
        let bits = self.index.len().trailing_zeros();
        usize::try_from(key.wrapping_mul(SPREAD) >> (64 - bits)).unwrap_or(0)
    }

    fn position(&self, key: u64) -> Option<usize> {
        if self.index.is_empty() {
            return None;
        }
        let mask = self.index.len() - 1;
        let mut slot = self.home(key);
        // Load ≤ ½ guarantees an empty slot; the bound is belt and braces.
        for _ in 0..self.index.len() {
            let at = *self.index.get(slot)?;
            if at == EMPTY_SLOT {
                return None;
            }
            let pos = at as usize;
            if self.entries.get(pos).is_some_and(|e| e.key == key) {
                return Some(pos);
            }
            slot = (slot + 1) & mask;
        }
        None
    }

    fn find(&self, key: u64) -> Option<&Entry> {
        self.entries.get(self.position(key)?)
    }

    fn entry_mut(&mut self, key: u64, hour: i64) -> &mut Entry {
        let pos = match self.position(key) {
            Some(pos) => pos,
            None => {
                self.entries.push(Entry::new(key, hour));
                if self.entries.len() * 2 > self.index.len() {
                    self.rebuild_index();
                } else {
                    self.index_insert(self.entries.len() - 1);
                }
                self.entries.len() - 1
            }
        };
        let last = self.entries.len() - 1;
        // `pos` came from the index or was just pushed, so it is in range;
        // falling back to the last entry keeps this panic-free regardless.
        let pos = pos.min(last);
        &mut self.entries[pos]
    }

    fn index_insert(&mut self, pos: usize) {
        let Some(key) = self.entries.get(pos).map(|e| e.key) else {
            return;
        };
        let mask = self.index.len().wrapping_sub(1);
        let mut slot = self.home(key);
        for _ in 0..self.index.len() {
            match self.index.get_mut(slot) {
                Some(s) if *s == EMPTY_SLOT => {
                    *s = u32::try_from(pos).unwrap_or(EMPTY_SLOT);
                    return;
                }
                _ => slot = (slot + 1) & mask,
            }
        }
    }

    pub(crate) fn rebuild_index(&mut self) {
        let size = (self.entries.len() * 2).next_power_of_two().max(16);
        self.index.clear();
        self.index.resize(size, EMPTY_SLOT);
        for pos in 0..self.entries.len() {
            self.index_insert(pos);
        }
    }
}

/// First 8 bytes of SHA-256 of `"p:" + partner`: what a blob stores to tell
/// whose it is.
pub(crate) fn partner_tag(partner: &str) -> u64 {
    caps::first_u64(
        Sha256::new()
            .chain_update(b"p:")
            .chain_update(partner.as_bytes()),
    )
}

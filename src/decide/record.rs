//! `Engine::record`: engagement into history (impressions feed caps, declines
//! feed suppression, accepts stop repeats), and the event to report.
//! `Engine::replay`: many past engagements at once, in time order — how a
//! host rebuilds a shopper's history (the preview's simulated shopper, the
//! shared fixtures) without a loop of `record` calls of its own.

use super::compile::Engine;
use crate::error::{Error, ErrorCode, Result};
use crate::events::EventType;
use crate::history::{Engagement as HistoryEngagement, EngagementKind, History};
use crate::limits::MAX_REPLAY_ENTRIES;
use crate::time::Timestamp;

/// One engagement with one offer, as a host reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Engagement<'a> {
    /// What happened.
    pub kind: EventType,
    /// The offer it happened to.
    pub offer_id: &'a str,
}

/// An engagement and when it happened: one entry of a history to replay.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimedEngagement<'a> {
    /// What happened, to which offer.
    pub engagement: Engagement<'a>,
    /// When.
    pub at: Timestamp,
}

/// A replay entry checked against the bundle, ready to record.
#[derive(Debug, Clone, Copy)]
pub(super) struct ResolvedEngagement {
    pub(super) at: Timestamp,
    kind: EngagementKind,
    /// Index into the engine's offers.
    offer: usize,
}

fn kind_of(event: EventType) -> EngagementKind {
    match event {
        EventType::Impression => EngagementKind::Impression,
        EventType::Accept => EngagementKind::Accept,
        EventType::Decline => EngagementKind::Decline,
        EventType::Close => EngagementKind::Close,
        EventType::Conversion => EngagementKind::Conversion,
    }
}

/// Refuses a replay of more than [`MAX_REPLAY_ENTRIES`] engagements. Public
/// so a binding can refuse an oversized list before converting it.
///
/// # Errors
/// `LIMIT_EXCEEDED` when `count` is over the limit.
pub fn check_replay_count(count: usize) -> Result<()> {
    if count > MAX_REPLAY_ENTRIES {
        return Err(Error::new(
            ErrorCode::LimitExceeded,
            format!("{count} engagements to replay, at most {MAX_REPLAY_ENTRIES} are allowed"),
        ));
    }
    Ok(())
}

impl Engine {
    /// Records `engagement` at `now` into `history`.
    ///
    /// # Errors
    /// `EVENT_INVALID` when the offer is not in this bundle (history is left
    /// unchanged).
    pub fn record(
        &self,
        history: &mut History,
        engagement: Engagement<'_>,
        now: Timestamp,
    ) -> Result<()> {
        let offer = self.offer_index(engagement.offer_id)?;
        history.record(
            HistoryEngagement::new(kind_of(engagement.kind), &self.offers[offer].keys),
            now,
        );
        Ok(())
    }

    /// Records `entries`, oldest first, into `history`: what one
    /// [`record`](Self::record) per entry does.
    ///
    /// # Errors
    /// `LIMIT_EXCEEDED` for more than [`MAX_REPLAY_ENTRIES`] entries;
    /// `EVENT_INVALID` when an entry's offer is not in this bundle or it is
    /// older than the entry before it (the message names the entry's index).
    /// Every entry is checked before any is recorded, so on an error
    /// `history` is unchanged.
    pub fn replay(&self, history: &mut History, entries: &[TimedEngagement<'_>]) -> Result<()> {
        let resolved = self.resolve_replay(entries)?;
        self.record_resolved(history, &resolved);
        Ok(())
    }

    /// `entries` checked against the bundle and for time order. Hosts sort
    /// (in JS, for free): a stable sort here costs the edge build ~2 KB.
    pub(super) fn resolve_replay(
        &self,
        entries: &[TimedEngagement<'_>],
    ) -> Result<Vec<ResolvedEngagement>> {
        check_replay_count(entries.len())?;
        let mut resolved = Vec::with_capacity(entries.len());
        let mut previous = None;
        for (index, entry) in entries.iter().enumerate() {
            let entry_error = |message: &str| {
                Error::new(ErrorCode::EventInvalid, format!("entry {index}: {message}"))
            };
            let offer = self
                .offer_index(entry.engagement.offer_id)
                .map_err(|e| entry_error(e.message()))?;
            if previous.is_some_and(|at| entry.at < at) {
                return Err(entry_error(
                    "older than the entry before it: replay oldest first",
                ));
            }
            previous = Some(entry.at);
            resolved.push(ResolvedEngagement {
                at: entry.at,
                kind: kind_of(entry.engagement.kind),
                offer,
            });
        }
        Ok(resolved)
    }

    pub(super) fn record_resolved(&self, history: &mut History, resolved: &[ResolvedEngagement]) {
        for entry in resolved {
            history.record(
                HistoryEngagement::new(entry.kind, &self.offers[entry.offer].keys),
                entry.at,
            );
        }
    }

    /// Where `offer_id` is among this bundle's offers.
    fn offer_index(&self, offer_id: &str) -> Result<usize> {
        self.bundle
            .offers
            .iter()
            .position(|o| o.id == offer_id)
            .ok_or_else(|| {
                Error::new(
                    ErrorCode::EventInvalid,
                    format!(
                        "offer {offer_id:?} is not in bundle version {}",
                        self.bundle.version
                    ),
                )
            })
    }
}

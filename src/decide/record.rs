//! `Engine::record`: engagement into history (impressions feed caps, declines
//! feed suppression, accepts stop repeats), and the event to report.

use super::engine::Engine;
use crate::error::{Error, ErrorCode, Result};
use crate::events::EventType;
use crate::history::{Engagement as HistoryEngagement, EngagementKind, History};
use crate::time::Timestamp;

/// One engagement with one offer, as a host reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Engagement<'a> {
    /// What happened.
    pub kind: EventType,
    /// The offer it happened to.
    pub offer_id: &'a str,
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
        let i = self
            .bundle
            .offers
            .iter()
            .position(|o| o.id == engagement.offer_id)
            .ok_or_else(|| {
                Error::new(
                    ErrorCode::EventInvalid,
                    format!(
                        "offer {:?} is not in bundle version {}",
                        engagement.offer_id, self.bundle.version
                    ),
                )
            })?;
        history.record(
            HistoryEngagement::new(kind_of(engagement.kind), &self.offers[i].keys),
            now,
        );
        Ok(())
    }
}

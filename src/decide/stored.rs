//! Deciding from what a host keeps per shopper: the stored history blob and
//! the host's session id. The WASM binding's `Engine.decide`,
//! `Engine.record` and `Engine.replay` are these calls; the host only
//! converts values and stores what they return.

use super::compile::Engine;
use super::decision::Decision;
use super::record::{Engagement, TimedEngagement};
use super::run::DecideOptions;
use crate::context::Context;
use crate::error::Result;
use crate::history::History;
use crate::time::Timestamp;

/// What a host keeps for one shopper between decisions.
#[derive(Debug, Clone, Copy, Default)]
pub struct StoredHistory<'a> {
    /// The history blob as stored (empty for a new shopper).
    pub blob: &'a [u8],
    /// The host's session id: session caps reset when it changes.
    pub session_id: Option<&'a str>,
}

/// A decision and what the host stores back.
#[derive(Debug)]
pub struct StoredDecision {
    /// The decision, the blob's warning (if any) among its warnings.
    pub decision: Decision,
    /// The history blob to store back (the session applied), or `None` when
    /// the shopper's consent removes history writes
    /// (`decision.privacy.measurement` off): the stored bytes stay as they
    /// came, not even re-encoded (docs/PRIVACY.md).
    pub history_blob: Option<Vec<u8>>,
}

impl Engine {
    /// Decides over a shopper's stored history: a corrupt or foreign blob is
    /// discarded with a warning in the decision; the session is applied
    /// before deciding, so session caps count within it.
    ///
    /// # Errors
    /// As [`decide`](Self::decide).
    pub fn decide_stored(
        &self,
        context: &Context,
        stored: StoredHistory<'_>,
        now: Timestamp,
        entropy: &[u8],
        options: &DecideOptions,
    ) -> Result<StoredDecision> {
        let (mut history, warning) = History::decode(stored.blob, self.partner(), now);
        if let Some(session_id) = stored.session_id {
            history.set_session(session_id);
        }
        let mut decision = self.decide(context, &history, now, entropy, options)?;
        decision.warnings.extend(warning);
        let history_blob = decision.privacy.measurement.then(|| history.encode());
        Ok(StoredDecision {
            decision,
            history_blob,
        })
    }

    /// Records `engagement` at `now` into a shopper's stored history blob
    /// (a corrupt or foreign one starts afresh) and returns the blob to
    /// store back.
    ///
    /// # Errors
    /// As [`record`](Self::record).
    pub fn record_stored(
        &self,
        history_blob: &[u8],
        engagement: Engagement<'_>,
        now: Timestamp,
    ) -> Result<Vec<u8>> {
        let (mut history, _) = History::decode(history_blob, self.partner(), now);
        self.record(&mut history, engagement, now)?;
        Ok(history.encode())
    }

    /// Replays `entries` (see [`replay`](Self::replay)) into a shopper's
    /// stored history blob and returns the blob to store back: what one
    /// [`record_stored`](Self::record_stored) per entry, oldest first,
    /// stores, except that the blob is trimmed to
    /// [`MAX_HISTORY_BYTES`](crate::limits::MAX_HISTORY_BYTES) once, at the
    /// end. With entries, a corrupt or foreign blob starts afresh; with none,
    /// it comes back as it came (so `decide` still warns about a corrupt one).
    ///
    /// # Errors
    /// As [`replay`](Self::replay).
    pub fn replay_stored(
        &self,
        history_blob: &[u8],
        entries: &[TimedEngagement<'_>],
    ) -> Result<Vec<u8>> {
        let resolved = self.resolve_replay(entries)?;
        let Some(oldest) = resolved.first() else {
            return Ok(history_blob.to_vec());
        };
        let (mut history, _) = History::decode(history_blob, self.partner(), oldest.at);
        self.record_resolved(&mut history, &resolved);
        Ok(history.encode())
    }
}

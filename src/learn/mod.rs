//! The learning loop, offline: estimate how a candidate bundle's model would
//! have done on the decisions the edge logged (`evaluate`), and fit the
//! lookalike model's weights from them (`train`). Native only: the CLI runs
//! it on exported events; no page or edge ever links it.
//!
//! What the log holds (docs/LEARNING.md): the edge's event export, one
//! billable event per line. Events carry no context, so an edge decision
//! made with `learningLog` copies onto its impression rows the model's
//! feature values (`features`) and the placement's full eligible set
//! (`eligible`); every edge event carries the logged `propensity`.
//!
//! | step | input | output |
//! |---|---|---|
//! | [`read_log`] | NDJSON lines | one [`LoggedDecision`] per (decision, placement) with its shown offers, their propensities and rewards; skipped rows counted |
//! | [`evaluate`] | an [`Engine`](crate::decide::Engine) and the log | IPS and self-normalized IPS with 95 % intervals, the logged policy's value, effective sample size |
//! | [`train`] | a base bundle and the log | a new [`Model`](crate::bundle::Model): propensity-weighted, L2-regularized logistic regression |
//!
//! Decisions are re-scored with the engine's own ranking
//! ([`Engine::shown_probabilities`](crate::decide::Engine::shown_probabilities)),
//! so a candidate identical to the logging bundle gets exactly the logged
//! propensities back (weights of 1).

mod evaluate;
mod lbfgs;
mod log;
mod train;

pub use evaluate::{evaluate, Estimate, Evaluation, Z_95};
pub use log::{read_log, EventLog, LogStats, LoggedDecision, LoggedImpression, Reward};
pub use train::{train, TrainOptions, TrainReport};

use crate::bundle::manifest::{is_manifest_file, split};
use crate::bundle::{validate, Bundle, Envelope};
use crate::error::{Error, ErrorCode, Result};

/// Longest line of an event log (an impression row lists its placement's
/// eligible offers: 10,000 ids of 128 bytes fit).
pub const MAX_LOG_LINE_BYTES: usize = 2 * 1024 * 1024;
/// Most lines of one event log.
pub const MAX_LOG_LINES: usize = 20_000_000;

/// The bundle in `bytes`: an unsigned bundle JSON (as `demo-bundle` writes
/// it), or a signed file (format v2 manifest or v1 DSSE) whose bundle is
/// read WITHOUT verifying any signature: offline evaluation and training
/// trust the file they are given, and never serve it.
///
/// # Errors
/// `PAYLOAD_MALFORMED` (not a bundle), `ENVELOPE_MALFORMED` (a broken
/// signed file), or what [`validate`] reports.
pub fn read_bundle(bytes: &[u8]) -> Result<Bundle> {
    let payload;
    let json: &[u8] = if is_manifest_file(bytes) {
        split(bytes)?.bundle
    } else if looks_like_envelope(bytes) {
        payload = Envelope::parse(bytes)?.payload_bytes()?;
        &payload
    } else {
        bytes
    };
    let bundle: Bundle = serde_json::from_slice(json)
        .map_err(|e| Error::new(ErrorCode::PayloadMalformed, format!("not a bundle: {e}")))?;
    validate(&bundle)?;
    Ok(bundle)
}

/// Whether `bytes` is a JSON object naming a DSSE `payloadType` at its top
/// level (a bundle never has that member).
fn looks_like_envelope(bytes: &[u8]) -> bool {
    #[derive(serde::Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Probe {
        payload_type: Option<serde::de::IgnoredAny>,
    }
    serde_json::from_slice::<Probe>(bytes).is_ok_and(|p| p.payload_type.is_some())
}

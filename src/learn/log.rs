//! Reading the edge's event export (`GET /v1/reports/:partner/events?format=ndjson`):
//! one billable event per line, grouped into logged decisions.
//!
//! A row is read for `partner`, `type`, `decisionId`, `placement`,
//! `offerId`, `propensity`, `features` and `eligible`; every other member is
//! ignored, so the export can grow. Impressions become the shown offers of
//! their (decision, placement); an impression without a propensity (a page
//! decision) or without `features`/`eligible` (logged before `learningLog`)
//! is skipped and counted, never guessed at. A reward is a row of the
//! reward type (`accept`, or `conversion`) for the same decision, placement
//! and offer, wherever it appears in the file.

use super::{MAX_LOG_LINES, MAX_LOG_LINE_BYTES};
use crate::error::{Error, ErrorCode, Result};
use crate::events::EventType;
use crate::limits::MAX_OFFERS;
use crate::rank::{FeatureName, FeatureValues};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::{BufRead, Read};

/// What counts as success for a shown offer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Reward {
    /// The shopper accepted it.
    #[default]
    Accept,
    /// The advertiser reported a conversion for it.
    Conversion,
}

impl Reward {
    fn event(self) -> EventType {
        match self {
            Self::Accept => EventType::Accept,
            Self::Conversion => EventType::Conversion,
        }
    }
}

/// One shown offer of a logged decision.
#[derive(Debug, Clone, PartialEq)]
pub struct LoggedImpression {
    /// Offer id.
    pub offer_id: String,
    /// P(shown) under the logging policy, in (0, 1].
    pub propensity: f64,
    /// Whether a reward row exists for it.
    pub reward: bool,
}

/// One placement of one edge decision, as the learning log recorded it.
#[derive(Debug, Clone, PartialEq)]
pub struct LoggedDecision {
    /// The decision id.
    pub decision_id: String,
    /// The placement.
    pub placement: String,
    /// The line of its first impression (1-based), for messages.
    pub line: usize,
    /// The model's feature values.
    pub features: Vec<(FeatureName, String)>,
    /// Every offer the winners were chosen from, as logged.
    pub eligible: Vec<String>,
    /// The shown offers.
    pub shown: Vec<LoggedImpression>,
}

impl LoggedDecision {
    /// The features as the model reads them.
    pub fn feature_values(&self) -> FeatureValues<'_> {
        let mut values = FeatureValues::default();
        for (name, value) in &self.features {
            values.set(*name, Some(value));
        }
        values
    }
}

/// What the reader saw and what it left out.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LogStats {
    /// Non-blank lines.
    pub lines: usize,
    /// Impression rows.
    pub impressions: usize,
    /// Impressions used (in a logged decision).
    pub used_impressions: usize,
    /// Impressions without a logged propensity (page decisions): skipped.
    pub without_propensity: usize,
    /// Impressions with a propensity but no `features`/`eligible` (edge
    /// decisions made without `learningLog`): skipped.
    pub without_learning_log: usize,
    /// Impression rows repeating an earlier one: counted once.
    pub duplicates: usize,
    /// Rows of the reward type.
    pub rewards: usize,
    /// Of those, rewards of a used impression.
    pub matched_rewards: usize,
}

/// A read event log.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EventLog {
    /// The partner every row names (`None` for an empty log).
    pub partner: Option<String>,
    /// The reward read.
    pub reward: Reward,
    /// Logged decisions, in order of first impression.
    pub decisions: Vec<LoggedDecision>,
    /// Counts.
    pub stats: LogStats,
}

/// The members of a row the reader uses.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Row {
    partner: String,
    #[serde(rename = "type")]
    kind: EventType,
    decision_id: Option<String>,
    placement: Option<String>,
    offer_id: String,
    propensity: Option<f64>,
    features: Option<BTreeMap<String, String>>,
    eligible: Option<Vec<String>>,
}

fn invalid(line: usize, message: impl std::fmt::Display) -> Error {
    Error::new(ErrorCode::EventInvalid, format!("line {line}: {message}"))
}

/// Reads an NDJSON event export, `reward` deciding which rows are rewards.
///
/// # Errors
/// `LIMIT_EXCEEDED` past [`MAX_LOG_LINES`] lines or a line longer than
/// [`MAX_LOG_LINE_BYTES`] (or an eligible set past `MAX_OFFERS`);
/// `EVENT_INVALID` naming the line for a row that is not JSON, misses a
/// member or has one of the wrong type, names another partner than earlier
/// rows, an unknown feature, a propensity outside (0, 1], an eligible set
/// with repeats or without the shown offer, or disagrees with an earlier
/// impression of its decision; `IO` when reading fails.
pub fn read_log(mut input: impl BufRead, reward: Reward) -> Result<EventLog> {
    let mut log = EventLog {
        reward,
        ..EventLog::default()
    };
    let mut index: HashMap<(String, String), usize> = HashMap::new();
    let mut rewarded: HashSet<(String, String, String)> = HashSet::new();
    let mut buf = Vec::new();
    let mut line = 0;
    loop {
        buf.clear();
        // One byte past the limit tells an over-long line from a full one.
        let read = (&mut input)
            .take(MAX_LOG_LINE_BYTES as u64 + 1)
            .read_until(b'\n', &mut buf)
            .map_err(|e| Error::new(ErrorCode::Io, format!("reading the event log: {e}")))?;
        if read == 0 {
            break;
        }
        line += 1;
        if line > MAX_LOG_LINES {
            return Err(Error::new(
                ErrorCode::LimitExceeded,
                format!("the event log has more than {MAX_LOG_LINES} lines"),
            ));
        }
        if buf.last() == Some(&b'\n') {
            buf.pop();
        }
        if buf.len() > MAX_LOG_LINE_BYTES {
            return Err(Error::new(
                ErrorCode::LimitExceeded,
                format!("line {line}: longer than {MAX_LOG_LINE_BYTES} bytes"),
            ));
        }
        if buf.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        log.stats.lines += 1;
        let row: Row = serde_json::from_slice(&buf)
            .map_err(|e| invalid(line, format_args!("not an event row: {e}")))?;
        match &log.partner {
            None => log.partner = Some(row.partner.clone()),
            Some(p) if *p != row.partner => {
                return Err(invalid(
                    line,
                    format_args!("partner {:?}, earlier rows {p:?}", row.partner),
                ))
            }
            Some(_) => {}
        }
        if let Some(p) = row.propensity {
            if !(p > 0.0 && p <= 1.0) {
                return Err(invalid(
                    line,
                    format_args!("propensity {p} is not in (0, 1]"),
                ));
            }
        }
        if row.kind == reward.event() {
            log.stats.rewards += 1;
            if let (Some(d), Some(p)) = (&row.decision_id, &row.placement) {
                rewarded.insert((d.clone(), p.clone(), row.offer_id.clone()));
            }
            continue;
        }
        if row.kind != EventType::Impression {
            continue;
        }
        log.stats.impressions += 1;
        add_impression(&mut log, &mut index, row, line)?;
    }
    for d in &mut log.decisions {
        for shown in &mut d.shown {
            let key = (
                d.decision_id.clone(),
                d.placement.clone(),
                shown.offer_id.clone(),
            );
            shown.reward = rewarded.contains(&key);
            log.stats.matched_rewards += usize::from(shown.reward);
        }
    }
    Ok(log)
}

fn add_impression(
    log: &mut EventLog,
    index: &mut HashMap<(String, String), usize>,
    row: Row,
    line: usize,
) -> Result<()> {
    let Some(propensity) = row.propensity else {
        log.stats.without_propensity += 1;
        return Ok(());
    };
    let (Some(features), Some(eligible)) = (row.features, row.eligible) else {
        log.stats.without_learning_log += 1;
        return Ok(());
    };
    let (Some(decision_id), Some(placement)) = (row.decision_id, row.placement) else {
        return Err(invalid(
            line,
            "a logged impression needs its decisionId and placement",
        ));
    };
    if eligible.len() > MAX_OFFERS {
        return Err(Error::new(
            ErrorCode::LimitExceeded,
            format!("line {line}: more than {MAX_OFFERS} eligible offers"),
        ));
    }
    let mut sorted: Vec<&str> = eligible.iter().map(String::as_str).collect();
    sorted.sort_unstable();
    if sorted.windows(2).any(|w| w[0] == w[1]) {
        return Err(invalid(line, "the eligible set lists an offer twice"));
    }
    if sorted.binary_search(&row.offer_id.as_str()).is_err() {
        return Err(invalid(
            line,
            format_args!(
                "the shown offer {:?} is not in its eligible set",
                row.offer_id
            ),
        ));
    }
    let features = features
        .into_iter()
        .map(|(name, value)| {
            FeatureName::parse(&name)
                .map(|n| (n, value))
                .map_err(|e| invalid(line, e.message()))
        })
        .collect::<Result<Vec<_>>>()?;
    let shown = LoggedImpression {
        offer_id: row.offer_id,
        propensity,
        reward: false,
    };
    let key = (decision_id, placement);
    if let Some(&at) = index.get(&key) {
        let d = &mut log.decisions[at];
        if d.features != features || d.eligible != eligible {
            return Err(invalid(
                line,
                format_args!(
                    "features or eligible set differ from line {} of the same decision and placement",
                    d.line
                ),
            ));
        }
        if d.shown.iter().any(|s| s.offer_id == shown.offer_id) {
            log.stats.duplicates += 1;
        } else {
            d.shown.push(shown);
            log.stats.used_impressions += 1;
        }
        return Ok(());
    }
    index.insert(key.clone(), log.decisions.len());
    log.decisions.push(LoggedDecision {
        decision_id: key.0,
        placement: key.1,
        line,
        features,
        eligible,
        shown: vec![shown],
    });
    log.stats.used_impressions += 1;
    Ok(())
}

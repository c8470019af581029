//! Off-policy evaluation: what a candidate bundle's policy would have earned
//! on the logged decisions, by inverse propensity scoring.
//!
//! For logged decision `i` (one placement view) with context `x_i`, eligible
//! set `E_i` and shown offers `a` with logged propensity `p_a` and reward
//! `r_a`, the candidate's chance to show `a` is `π(a|x_i)`
//! ([`Engine::shown_probabilities`] on the logged features and eligible set)
//! and its weight `w_a = π(a|x_i) / p_a`.
//!
//! | quantity | per decision | estimate | interval (95 %) |
//! |---|---|---|---|
//! | IPS | `Y_i = Σ_shown r_a w_a` | `Ȳ` | `Ȳ ± 1.96 s(Y)/√n` |
//! | SNIPS | `W_i = Σ_shown w_a`, `S_i = Σ_{a∈E_i} π(a|x_i)` | `Ȳ / W̄ × S̄` | delta method |
//! | logged policy | `R_i = Σ_shown r_a` | `R̄` | `R̄ ± 1.96 s(R)/√n` |
//!
//! The value is expected rewards per placement view (the accept rate when a
//! placement shows one offer). IPS is unbiased when every offer the
//! candidate may show had a positive logged propensity and an offer's
//! reward does not depend on what shows beside it. SNIPS uses that
//! `E[W_i | x_i] = S_i` (the candidate's expected number of offers shown)
//! as a control variate: biased by O(1/n), much less variable when weights
//! are large. Its interval linearizes `f(Ȳ, W̄, S̄) = Ȳ S̄ / W̄`: the standard
//! error of the mean of `ψ_i = (S̄/W̄) Y_i − (Ȳ S̄/W̄²) W_i + (Ȳ/W̄) S_i`.

use super::log::EventLog;
use crate::decide::Engine;
use crate::error::{Error, ErrorCode, Result};
use serde::Serialize;
use std::collections::HashMap;

/// The normal quantile of a two-sided 95 % interval.
pub const Z_95: f64 = 1.96;

/// A point estimate with its 95 % confidence interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Estimate {
    /// The estimate.
    pub value: f64,
    /// Its standard error.
    pub std_err: f64,
    /// Lower end of the interval.
    pub low: f64,
    /// Upper end of the interval.
    pub high: f64,
}

impl Estimate {
    fn new(value: f64, std_err: f64) -> Self {
        Self {
            value,
            std_err,
            low: value - Z_95 * std_err,
            high: value + Z_95 * std_err,
        }
    }

    /// Whether the interval covers `x`.
    pub fn covers(&self, x: f64) -> bool {
        self.low <= x && x <= self.high
    }
}

/// A candidate policy's estimated value on a log.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Evaluation {
    /// Logged decisions (placement views) evaluated.
    pub decisions: usize,
    /// Shown offers in them.
    pub impressions: usize,
    /// Rewards per placement view of the logging policy (on-policy mean).
    pub logged: Estimate,
    /// The candidate's value, inverse propensity scoring.
    pub ips: Estimate,
    /// The candidate's value, self-normalized; `None` when the candidate
    /// shows none of the logged offers (every weight 0).
    pub snips: Option<Estimate>,
    /// The candidate's expected offers shown per view (mean of `S_i`).
    pub expected_shown: f64,
    /// `(Σw)² / Σw²` over the shown offers: how many equally weighted
    /// samples the estimate is worth.
    pub effective_sample_size: f64,
    /// The largest weight `π/p`.
    pub max_weight: f64,
}

fn mean(xs: &[f64]) -> f64 {
    xs.iter().sum::<f64>() / xs.len() as f64
}

/// Standard error of the mean (sample variance, n − 1).
fn std_err(xs: &[f64]) -> f64 {
    let m = mean(xs);
    let var = xs.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (xs.len() as f64 - 1.0);
    (var / xs.len() as f64).sqrt()
}

/// Evaluates `engine`'s policy (its model, values and tiers; eligibility as
/// logged) on `log`.
///
/// # Errors
/// `PARTNER_MISMATCH` when the log is another partner's; `EVENT_INVALID`
/// with fewer than two logged decisions; `SCHEMA_INVALID` or
/// `PLACEMENT_UNKNOWN` (naming the line) when a logged offer or placement is
/// not in the bundle.
pub fn evaluate(engine: &Engine, log: &EventLog) -> Result<Evaluation> {
    check_partner(engine.partner(), log)?;
    let n = log.decisions.len();
    if n < 2 {
        return Err(Error::new(
            ErrorCode::EventInvalid,
            format!(
                "the log has {n} usable decision(s); an estimate needs 2 or more \
                 (impressions without propensity: {}, without learning log: {})",
                log.stats.without_propensity, log.stats.without_learning_log
            ),
        ));
    }
    let offers = offer_index(engine);
    let (mut y, mut w, mut s, mut r) = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    );
    let (mut sum_w, mut sum_w2, mut max_weight, mut impressions) = (0.0, 0.0, 0.0f64, 0);
    let mut ids = Vec::new();
    for d in &log.decisions {
        ids.clear();
        for id in &d.eligible {
            ids.push(known(&offers, id, d.line)?);
        }
        let pi = engine
            .shown_probabilities(&d.placement, &d.feature_values(), &ids)
            .map_err(|e| Error::new(e.code(), format!("line {}: {}", d.line, e.message())))?;
        debug_assert_eq!(pi.len(), ids.len(), "one probability per eligible offer");
        let (mut yi, mut wi, mut ri) = (0.0, 0.0, 0.0);
        for shown in &d.shown {
            // The reader checked that every shown offer is in `eligible`.
            let k = d
                .eligible
                .iter()
                .position(|id| *id == shown.offer_id)
                .ok_or_else(|| Error::new(ErrorCode::EventInvalid, "shown offer not eligible"))?;
            let weight = pi.get(k).copied().unwrap_or(0.0) / shown.propensity;
            let reward = f64::from(u8::from(shown.reward));
            yi += reward * weight;
            wi += weight;
            ri += reward;
            sum_w += weight;
            sum_w2 += weight * weight;
            max_weight = max_weight.max(weight);
            impressions += 1;
        }
        y.push(yi);
        w.push(wi);
        s.push(pi.iter().sum::<f64>());
        r.push(ri);
    }
    let (y_bar, w_bar, s_bar) = (mean(&y), mean(&w), mean(&s));
    let snips = (w_bar > 0.0).then(|| {
        let psi: Vec<f64> = (0..n)
            .map(|i| {
                s_bar / w_bar * y[i] - y_bar * s_bar / (w_bar * w_bar) * w[i] + y_bar / w_bar * s[i]
            })
            .collect();
        Estimate::new(y_bar / w_bar * s_bar, std_err(&psi))
    });
    Ok(Evaluation {
        decisions: n,
        impressions,
        logged: Estimate::new(mean(&r), std_err(&r)),
        ips: Estimate::new(y_bar, std_err(&y)),
        snips,
        expected_shown: s_bar,
        effective_sample_size: if sum_w2 > 0.0 {
            sum_w * sum_w / sum_w2
        } else {
            0.0
        },
        max_weight,
    })
}

/// Refuses a log of another partner than the bundle's.
pub(super) fn check_partner(partner: &str, log: &EventLog) -> Result<()> {
    match &log.partner {
        Some(p) if p != partner => Err(Error::new(
            ErrorCode::PartnerMismatch,
            format!("the log is partner {p:?}'s, the bundle partner {partner:?}'s"),
        )),
        _ => Ok(()),
    }
}

/// Offer id → index in the engine's bundle.
fn offer_index(engine: &Engine) -> HashMap<&str, u32> {
    engine
        .bundle()
        .offers
        .iter()
        .enumerate()
        .map(|(i, o)| (o.id.as_str(), i as u32))
        .collect()
}

/// The index of a logged offer the bundle must have.
pub(super) fn known(offers: &HashMap<&str, u32>, id: &str, line: usize) -> Result<u32> {
    offers.get(id).copied().ok_or_else(|| {
        Error::new(
            ErrorCode::SchemaInvalid,
            format!("line {line}: offer {id:?} is not in the bundle"),
        )
    })
}

//! Fitting the lookalike model from a learning log: propensity-weighted,
//! L2-regularized logistic regression of the reward on each shown offer's
//! features.
//!
//! One sample per logged impression: `y` = rewarded, weight `min(1/p,
//! max_weight)` (inverse propensity, clipped: an offer the logging policy
//! rarely showed counts for the contexts it would have been shown in,
//! without one lucky draw dominating the fit). Columns are what the
//! engine's model can hold (`rank::model`): a global intercept, one weight
//! per base feature `name=value` and per declared cross of the base bundle,
//! an intercept per offer, and with `per_offer_features` a weight per
//! (offer, feature). The loss is
//!
//! `Σ w_i (log(1 + e^{z_i}) − y_i z_i) + λ/2 · Σ θ_j²` (every θ but the
//! global intercept),
//!
//! i.e. a N(0, 1/λ) prior on each weight, which also picks one answer among
//! the equivalent one-hot codings (every level of a feature plus the
//! intercept). Minimized by L-BFGS (`super::lbfgs`); weights are then
//! clamped to the model's ±100 and cut to `MAX_MODEL_WEIGHTS` (smallest
//! first).

use super::evaluate::check_partner;
use super::lbfgs::minimize;
use super::log::EventLog;
use crate::bundle::{Bundle, CompactMap, Model, Weights};
use crate::error::{Error, ErrorCode, Result};
use crate::limits::MAX_MODEL_WEIGHTS;
use crate::rank::{sigmoid, FeatureName};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

/// How to train.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainOptions {
    /// L2 penalty λ (> 0).
    pub l2: f64,
    /// Largest sample weight `1/p` (≥ 1).
    pub max_weight: f64,
    /// Fit a weight per (offer, feature) besides the per-offer intercepts.
    pub per_offer_features: bool,
    /// L-BFGS iterations at most.
    pub max_iterations: usize,
}

impl Default for TrainOptions {
    fn default() -> Self {
        Self {
            l2: 1.0,
            max_weight: 20.0,
            per_offer_features: false,
            max_iterations: 1_000,
        }
    }
}

/// What training did.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TrainReport {
    /// Samples (logged impressions).
    pub impressions: usize,
    /// Of those, rewarded.
    pub rewarded: usize,
    /// Samples whose weight `1/p` was clipped to the maximum.
    pub clipped_weights: usize,
    /// Parameters fitted (intercept, feature weights, offer intercepts…).
    pub parameters: usize,
    /// L-BFGS iterations.
    pub iterations: usize,
    /// Whether the fit converged.
    pub converged: bool,
    /// Weights clamped to the model's ±100.
    pub clamped: usize,
    /// Feature weights dropped (smallest first) to stay within the limit.
    pub pruned: usize,
    /// Offers of the bundle without a logged impression: scored by the
    /// global weights alone.
    pub offers_without_data: usize,
    /// Feature values that cannot be written as a weight key (they hold
    /// `&`), left out.
    pub unrepresentable_features: usize,
}

/// What a column of the design holds.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Column {
    Intercept,
    Global(String),
    Offer(u32),
    OfferFeature(u32, String),
}

/// The samples, sparse: every active column has the value 1.
#[derive(Default)]
struct Design {
    columns: Vec<Column>,
    index: HashMap<Column, u32>,
    /// Sample `i`'s columns: `active[starts[i]..starts[i + 1]]`.
    starts: Vec<usize>,
    active: Vec<u32>,
    y: Vec<f64>,
    w: Vec<f64>,
}

impl Design {
    fn column(&mut self, c: Column) -> u32 {
        if let Some(&j) = self.index.get(&c) {
            return j;
        }
        let j = self.columns.len() as u32;
        self.columns.push(c.clone());
        self.index.insert(c, j);
        j
    }

    fn sample(&self, i: usize) -> &[u32] {
        &self.active[self.starts[i]..self.starts[i + 1]]
    }

    /// The penalized loss at `theta` (divided by the total weight, which
    /// moves no minimum and keeps the tolerance scale-free), its gradient
    /// into `grad`.
    fn loss(&self, theta: &[f64], l2: f64, total: f64, grad: &mut [f64]) -> f64 {
        grad.fill(0.0);
        let mut loss = 0.0;
        for i in 0..self.y.len() {
            let cols = self.sample(i);
            let z: f64 = cols.iter().map(|&j| theta[j as usize]).sum();
            // log(1 + e^z) without overflow.
            let softplus = z.max(0.0) + (-z.abs()).exp().ln_1p();
            loss += self.w[i] * (softplus - self.y[i] * z);
            let residual = self.w[i] * (sigmoid(z) - self.y[i]);
            for &j in cols {
                grad[j as usize] += residual;
            }
        }
        for (j, (g, t)) in grad.iter_mut().zip(theta).enumerate() {
            if j > 0 {
                loss += 0.5 * l2 * t * t;
                *g += l2 * t;
            }
            *g /= total;
        }
        loss / total
    }
}

/// The weight keys of one checkout: base features, then declared crosses.
fn feature_keys(
    values: &[(FeatureName, String)],
    crosses: &[Vec<FeatureName>],
    skipped: &mut usize,
) -> Vec<String> {
    let get = |name: FeatureName| {
        values
            .iter()
            .find(|(n, v)| *n == name && !v.is_empty())
            .map(|(_, v)| v.as_str())
    };
    let mut keys = Vec::new();
    for name in FeatureName::ALL {
        match get(name) {
            // A key splits at `&` (crosses): such a value has no weight key.
            Some(v) if v.contains('&') => *skipped += 1,
            Some(v) => keys.push(format!("{}={v}", name.as_str())),
            None => {}
        }
    }
    for cross in crosses {
        let parts: Option<Vec<String>> = cross
            .iter()
            .map(|&n| {
                get(n)
                    .filter(|v| !v.contains('&'))
                    .map(|v| format!("{}={v}", n.as_str()))
            })
            .collect();
        if let Some(parts) = parts {
            keys.push(parts.join("&"));
        }
    }
    keys
}

/// Six decimals: the compiled model keeps per-offer weights as `f32`, and
/// shorter numbers keep the bundle small.
fn rounded(w: f64) -> f64 {
    (w * 1e6).round() / 1e6
}

/// Fits a new model for `base`'s offers from `log`: `base`'s crosses and
/// exploration settings, new global and per-offer weights.
///
/// # Errors
/// `SCHEMA_INVALID` for options out of range, a logged offer the bundle
/// lacks (naming the line) or a bundle cross naming an unknown feature;
/// `PARTNER_MISMATCH` for another partner's log; `EVENT_INVALID` when the
/// log has no impression, or only rewarded or only unrewarded ones.
pub fn train(
    base: &Bundle,
    log: &EventLog,
    options: &TrainOptions,
) -> Result<(Model, TrainReport)> {
    let valid = options.l2.is_finite()
        && options.l2 > 0.0
        && options.max_weight.is_finite()
        && options.max_weight >= 1.0;
    if !valid {
        return Err(Error::new(
            ErrorCode::SchemaInvalid,
            "train: the L2 penalty must be > 0 and the maximum weight ≥ 1",
        ));
    }
    check_partner(&base.partner, log)?;
    let crosses = base
        .model
        .crosses
        .iter()
        .map(|c| c.iter().map(|n| FeatureName::parse(n)).collect())
        .collect::<Result<Vec<Vec<FeatureName>>>>()?;
    let offers: HashMap<&str, u32> = base
        .offers
        .iter()
        .enumerate()
        .map(|(i, o)| (o.id.as_str(), i as u32))
        .collect();
    let mut report = TrainReport::default();
    let mut design = Design::default();
    design.column(Column::Intercept);
    design.starts.push(0);
    for d in &log.decisions {
        let keys = feature_keys(&d.features, &crosses, &mut report.unrepresentable_features);
        for shown in &d.shown {
            let offer = super::evaluate::known(&offers, &shown.offer_id, d.line)?;
            let mut cols = vec![0];
            for key in &keys {
                cols.push(design.column(Column::Global(key.clone())));
            }
            cols.push(design.column(Column::Offer(offer)));
            if options.per_offer_features {
                for key in &keys {
                    cols.push(design.column(Column::OfferFeature(offer, key.clone())));
                }
            }
            design.active.extend(cols);
            design.starts.push(design.active.len());
            let inverse = 1.0 / shown.propensity;
            report.clipped_weights += usize::from(inverse > options.max_weight);
            design.w.push(inverse.min(options.max_weight));
            design.y.push(f64::from(u8::from(shown.reward)));
            report.rewarded += usize::from(shown.reward);
        }
    }
    report.impressions = design.y.len();
    if report.rewarded == 0 || report.rewarded == report.impressions {
        return Err(Error::new(
            ErrorCode::EventInvalid,
            format!(
                "training needs rewarded and unrewarded impressions; the log has {} of {} rewarded",
                report.rewarded, report.impressions
            ),
        ));
    }
    report.parameters = design.columns.len();
    let total: f64 = design.w.iter().sum();
    let mut theta = vec![0.0; design.columns.len()];
    // Start at the weighted base rate: most of the way for the intercept.
    let rate = design
        .w
        .iter()
        .zip(&design.y)
        .map(|(w, y)| w * y)
        .sum::<f64>()
        / total;
    theta[0] = (rate / (1.0 - rate)).ln();
    let outcome = minimize(
        &mut theta,
        |t, g| design.loss(t, options.l2, total, g),
        options.max_iterations,
        1e-7,
    );
    report.iterations = outcome.iterations;
    report.converged = outcome.converged;
    let model = to_model(base, &design, &theta, &mut report);
    Ok((model, report))
}

/// The fitted weights as the bundle's model.
fn to_model(base: &Bundle, design: &Design, theta: &[f64], report: &mut TrainReport) -> Model {
    let mut clamp = |w: f64| {
        report.clamped += usize::from(w.abs() > 100.0);
        rounded(w.clamp(-100.0, 100.0))
    };
    let weights: Vec<f64> = theta.iter().map(|&w| clamp(w)).collect();
    // Keep the largest feature weights within the limit (intercepts are
    // not counted by it).
    let mut features: Vec<usize> = (0..design.columns.len())
        .filter(|&j| {
            matches!(
                design.columns[j],
                Column::Global(_) | Column::OfferFeature(..)
            )
        })
        .collect();
    if features.len() > MAX_MODEL_WEIGHTS {
        features.sort_by(|&a, &b| weights[b].abs().total_cmp(&weights[a].abs()));
        report.pruned = features.len() - MAX_MODEL_WEIGHTS;
        features.truncate(MAX_MODEL_WEIGHTS);
    }
    let mut keep = vec![false; design.columns.len()];
    for j in features {
        keep[j] = true;
    }
    let mut global = Weights::default();
    let mut per_offer: BTreeMap<&str, Weights> = BTreeMap::new();
    let id = |offer: u32| {
        base.offers
            .get(offer as usize)
            .map_or("", |o| o.id.as_str())
    };
    for (j, column) in design.columns.iter().enumerate() {
        let w = weights[j];
        match column {
            Column::Intercept => global.intercept = w,
            Column::Global(key) if keep[j] => {
                global.features.insert(key.clone(), w);
            }
            Column::Offer(offer) => per_offer.entry(id(*offer)).or_default().intercept = w,
            Column::OfferFeature(offer, key) if keep[j] => {
                per_offer
                    .entry(id(*offer))
                    .or_default()
                    .features
                    .insert(key.clone(), w);
            }
            _ => {}
        }
    }
    report.offers_without_data = base.offers.len().saturating_sub(per_offer.len());
    Model {
        crosses: base.model.crosses.clone(),
        global,
        offers: per_offer
            .into_iter()
            .map(|(id, w)| (id.to_owned(), w))
            .collect::<CompactMap<Weights>>(),
        exploration: base.model.exploration.clone(),
    }
}

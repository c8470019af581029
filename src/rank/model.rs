//! The compiled propensity model: logistic regression over context features,
//! shared weights plus per-offer weights, stored as posting lists so that a
//! decision touches only the weights of features this checkout actually has.

use super::beta::FactorTable;
use super::features::{active_features, parse_feature_key, FeatureName, FeatureValues};
use crate::bundle::{BetaPrior, Model};
use crate::error::{Error, ErrorCode, Result};
use crate::limits::MAX_MODEL_WEIGHTS;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::OnceLock;

/// Feature ids are already well-mixed 64-bit hashes: hashing them again with
/// SipHash would only cost time on the hot path.
#[derive(Default)]
pub(crate) struct PassThroughHasher(u64);

impl Hasher for PassThroughHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

/// A hash map keyed by pre-hashed 64-bit ids.
pub(crate) type IdMap<V> = HashMap<u64, V, BuildHasherDefault<PassThroughHasher>>;

/// Exploration of one offer: its prior, tabulated on first use.
#[derive(Debug)]
pub(super) struct OfferExploration {
    pub(super) prior: BetaPrior,
    /// Boxed: a table is 260 bytes and made on first use; inline, every
    /// offer held room for one from the moment its bundle loaded (1.4 MB
    /// for 5,000 offers, measured under massif).
    pub(super) table: OnceLock<Box<FactorTable>>,
}

/// A model ready to score offers. (Fields `pub(super)` for the compiled
/// form's codec, `super::wire`.)
#[derive(Debug, Default)]
pub struct CompiledModel {
    pub(super) crosses: Vec<Vec<FeatureName>>,
    pub(super) global_intercept: f64,
    pub(super) global: IdMap<f64>,
    pub(super) offer_intercepts: Vec<f64>,
    pub(super) postings: IdMap<Vec<(u32, f32)>>,
    pub(super) exploration: Option<Vec<OfferExploration>>,
}

pub(super) fn check_prior(prior: &BetaPrior, what: &str) -> Result<()> {
    let ok = |x: f64| x.is_finite() && x > 0.0 && x <= 1e7;
    if ok(prior.alpha) && ok(prior.beta) {
        Ok(())
    } else {
        Err(Error::new(
            ErrorCode::SchemaInvalid,
            format!("model: {what}: Beta prior needs 0 < alpha, beta <= 1e7"),
        ))
    }
}

pub(super) fn check_weight(w: f64, key: &str) -> Result<()> {
    if w.is_finite() && w.abs() <= 100.0 {
        Ok(())
    } else {
        Err(Error::new(
            ErrorCode::SchemaInvalid,
            format!("model: weight of {key:?} must be finite and within ±100"),
        ))
    }
}

impl CompiledModel {
    /// Compiles `model` for offers whose ids are `offer_ids` (bundle order).
    ///
    /// # Errors
    /// `SCHEMA_INVALID` for unknown features, crosses not declared in
    /// `crosses`, weights for unknown offers, or non-finite numbers;
    /// `LIMIT_EXCEEDED` past [`MAX_MODEL_WEIGHTS`].
    pub fn compile(model: &Model, offer_ids: &[&str]) -> Result<Self> {
        let crosses = model
            .crosses
            .iter()
            .map(|c| {
                if c.len() < 2 {
                    return Err(Error::new(
                        ErrorCode::SchemaInvalid,
                        "model: a cross needs two or more features",
                    ));
                }
                c.iter()
                    .map(|n| FeatureName::parse(n))
                    .collect::<Result<Vec<_>>>()
            })
            .collect::<Result<Vec<_>>>()?;
        let index_of: HashMap<&str, u32> = offer_ids
            .iter()
            .enumerate()
            .map(|(i, id)| (*id, i as u32))
            .collect();
        let total = model.global.features.len()
            + model
                .offers
                .values()
                .map(|w| w.features.len())
                .sum::<usize>();
        if total > MAX_MODEL_WEIGHTS {
            return Err(Error::new(
                ErrorCode::LimitExceeded,
                format!("model: {total} weights, limit {MAX_MODEL_WEIGHTS}"),
            ));
        }
        let key_id = |key: &str| -> Result<u64> {
            let (id, names) = parse_feature_key(key)?;
            if names.len() > 1 && !crosses.contains(&names) {
                return Err(Error::new(
                    ErrorCode::SchemaInvalid,
                    format!(
                        "model: {key:?} crosses features in an order not declared in model.crosses"
                    ),
                ));
            }
            Ok(id)
        };
        check_weight(model.global.intercept, "global intercept")?;
        let mut global = IdMap::default();
        for (key, &w) in &model.global.features {
            check_weight(w, key)?;
            global.insert(key_id(key)?, w);
        }
        let mut offer_intercepts = vec![0.0; offer_ids.len()];
        let mut postings: IdMap<Vec<(u32, f32)>> = IdMap::default();
        for (offer, weights) in &model.offers {
            let &idx = index_of.get(offer.as_str()).ok_or_else(|| {
                Error::new(
                    ErrorCode::SchemaInvalid,
                    format!("model: weights for unknown offer {offer:?}"),
                )
            })?;
            check_weight(weights.intercept, offer)?;
            offer_intercepts[idx as usize] = weights.intercept;
            for (key, &w) in &weights.features {
                check_weight(w, key)?;
                postings
                    .entry(key_id(key)?)
                    .or_default()
                    .push((idx, w as f32));
            }
        }
        let exploration = if model.exploration.enabled {
            let default = model.exploration.default_prior.unwrap_or(BetaPrior {
                alpha: 1.0,
                beta: 1.0,
            });
            check_prior(&default, "defaultPrior")?;
            for (offer, prior) in &model.exploration.priors {
                if !index_of.contains_key(offer.as_str()) {
                    return Err(Error::new(
                        ErrorCode::SchemaInvalid,
                        format!("model: prior for unknown offer {offer:?}"),
                    ));
                }
                check_prior(prior, offer)?;
            }
            Some(
                offer_ids
                    .iter()
                    .map(|id| OfferExploration {
                        prior: model
                            .exploration
                            .priors
                            .get(*id)
                            .copied()
                            .unwrap_or(default),
                        table: OnceLock::new(),
                    })
                    .collect(),
            )
        } else {
            None
        };
        Ok(Self {
            crosses,
            global_intercept: model.global.intercept,
            global,
            offer_intercepts,
            postings,
            exploration,
        })
    }

    /// Whether exploration (Thompson sampling) is on.
    pub fn explores(&self) -> bool {
        self.exploration.is_some()
    }

    /// Fills `logits` (one per offer, bundle order) for this checkout.
    /// `scratch` holds the active feature ids; both are reused across calls.
    pub fn logits(
        &self,
        values: &FeatureValues<'_>,
        scratch: &mut Vec<u64>,
        logits: &mut Vec<f64>,
    ) {
        active_features(values, &self.crosses, scratch);
        let mut base = self.global_intercept;
        for id in scratch.iter() {
            base += self.global.get(id).copied().unwrap_or(0.0);
        }
        logits.clear();
        logits.extend(self.offer_intercepts.iter().map(|b| base + b));
        for id in scratch.iter() {
            if let Some(list) = self.postings.get(id) {
                for &(offer, w) in list {
                    if let Some(l) = logits.get_mut(offer as usize) {
                        *l += f64::from(w);
                    }
                }
            }
        }
    }

    /// The exploration table of `offer` (tabulated on first use); `None`
    /// when exploration is off.
    pub fn exploration_table(&self, offer: usize) -> Option<&FactorTable> {
        self.exploration
            .as_ref()
            .and_then(|e| e.get(offer))
            .map(|e| {
                &**e.table
                    .get_or_init(|| Box::new(FactorTable::new(e.prior.alpha, e.prior.beta)))
            })
    }
}

/// The logistic function.
pub fn sigmoid(logit: f64) -> f64 {
    1.0 / (1.0 + (-logit).exp())
}

/// An upper bound on `sigmoid(logit) * value` as computed (value ≥ 0),
/// without `exp`: ranking uses it to skip offers that cannot reach the
/// shortlist, so most eligible offers never pay for an exact score.
///
/// For `x = -logit ≥ 0`, `e^x ≥ 1 + x + x²/2 + … + x⁶/720` (every term of
/// the series is positive), so `1 / (2 + x + … + x⁶/720) ≥ sigmoid(logit)`;
/// within 10 % of exact for logits above −3, 2× at −7. The relative margin
/// covers the rounding of both computations (a few ulps each).
#[inline]
pub fn expected_upper_bound(logit: f64, value: f64) -> f64 {
    if logit >= 0.0 || logit.is_nan() {
        // sigmoid ≤ 1 and rounding is monotone: the product is ≤ value.
        return value;
    }
    let x = -logit;
    // Horner with rounded reciprocals: dependent divisions would cost more
    // than the `exp` this replaces; the rounding is far within the margin.
    const C: [f64; 5] = [1.0 / 2.0, 1.0 / 6.0, 1.0 / 24.0, 1.0 / 120.0, 1.0 / 720.0];
    let series = 1.0 + x * (1.0 + x * (C[0] + x * (C[1] + x * (C[2] + x * (C[3] + x * C[4])))));
    (value / (1.0 + series) * (1.0 + 1e-9)).min(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upper_bound_is_never_below_the_exact_expected_score() {
        let mut logit = -40.0;
        while logit < 40.0 {
            for value in [0.0, 1e-6, 0.3, 1.0, 5.7, 123.456, 1e6] {
                let exact = sigmoid(logit) * value;
                let bound = expected_upper_bound(logit, value);
                assert!(
                    bound >= exact,
                    "logit {logit}, value {value}: {bound} < {exact}"
                );
                assert!(bound <= value);
            }
            logit += 0.001_953_125 * 3.0;
        }
        // Tight where realistic logits live, so the bound prunes.
        assert!(expected_upper_bound(-3.0, 1.0) < 1.25 * sigmoid(-3.0));
    }
}

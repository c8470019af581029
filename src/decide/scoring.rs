//! What the model sees of a checkout and what it predicts: the feature
//! values consent allows, a logit per offer, and (offline) the probability
//! that the policy shows each offer of a logged eligible set.

use super::compile::Engine;
use crate::context::Context;
#[cfg(not(target_arch = "wasm32"))]
use crate::error::{Error, ErrorCode, Result};
use crate::rank::features::hour_band;
#[cfg(not(target_arch = "wasm32"))]
use crate::rank::{shown_probabilities, sigmoid, Candidate};
use crate::rank::{FeatureName, FeatureValues};
use crate::time::Timestamp;

impl Engine {
    /// The model's feature values for this checkout (`ctx` normalized).
    /// Without personalization the lookalike model sees no feature at all:
    /// every score comes from the intercepts.
    pub(super) fn model_features<'c>(
        &self,
        ctx: &'c Context,
        now: Timestamp,
        personalization: bool,
    ) -> FeatureValues<'c> {
        let mut features = FeatureValues::default();
        if personalization {
            let hour = now.local_hour(self.bundle.utc_offset_at(now));
            features
                .set(FeatureName::State, ctx.state.as_deref())
                .set(FeatureName::Country, ctx.country.as_deref())
                .set(FeatureName::AgeBand, ctx.age_band(now))
                .set(FeatureName::CartBand, ctx.cart_band())
                .set(FeatureName::Payment, ctx.paymenttype.as_deref())
                .set(FeatureName::Loyalty, ctx.loyaltytier.as_deref())
                .set(FeatureName::Customer, ctx.customertype.as_deref())
                .set(FeatureName::Device, ctx.device.as_deref())
                .set(FeatureName::HourBand, Some(hour_band(hour)));
        }
        features
    }

    /// The model's logit per offer, bundle order.
    pub(super) fn logits(&self, features: &FeatureValues<'_>) -> Vec<f64> {
        let (mut active, mut logits) = (Vec::new(), Vec::new());
        self.model.logits(features, &mut active, &mut logits);
        // The model is compiled for this bundle's offers (and the compiled
        // form's reader checks the count): every offer has its logit.
        debug_assert_eq!(logits.len(), self.offers.len());
        logits
    }

    /// For offline evaluation: the probability that this engine's policy
    /// shows each offer of `eligible` (indices into the bundle's offers,
    /// the full set a decision chose from, as a learning log lists it) in
    /// `placement`, for a checkout with these model `features`; aligned
    /// with `eligible`. The same computation as the propensity `decide`
    /// logs (equal to the bit for the same bundle and inputs); the other
    /// checks (rules, caps) are taken as the log recorded them.
    ///
    /// Native only, like `crate::learn` (see [`shown_probabilities`]).
    ///
    /// # Errors
    /// `PLACEMENT_UNKNOWN`; `SCHEMA_INVALID` when an index is out of range,
    /// repeated, or an offer the placement does not list.
    #[cfg(not(target_arch = "wasm32"))]
    pub fn shown_probabilities(
        &self,
        placement: &str,
        features: &FeatureValues<'_>,
        eligible: &[u32],
    ) -> Result<Vec<f64>> {
        let p = self.requested_placements(&[placement.to_owned()])?;
        let placement = p
            .first()
            .and_then(|&p| self.placements.get(p))
            .ok_or_else(|| Error::new(ErrorCode::PlacementUnknown, placement.to_owned()))?;
        let logits = self.logits(features);
        let mut candidates = Vec::with_capacity(eligible.len());
        for &i in eligible {
            let offer = self
                .offers
                .get(i as usize)
                .filter(|_| placement.offers.binary_search(&i).is_ok())
                .ok_or_else(|| {
                    Error::new(
                        ErrorCode::SchemaInvalid,
                        format!("offer #{i} is not in placement {:?}", placement.id),
                    )
                })?;
            // As `decide` scores it.
            candidates.push(Candidate {
                offer: i,
                tier: offer.tier,
                advertiser: offer.advertiser,
                expected: sigmoid(logits[i as usize]) * offer.value,
            });
        }
        let shown = shown_probabilities(&mut candidates, placement.max_offers, &self.model);
        let mut by_offer: Vec<(u32, f64)> = candidates.iter().map(|c| c.offer).zip(shown).collect();
        by_offer.sort_unstable_by_key(|&(offer, _)| offer);
        if by_offer.windows(2).any(|w| w[0].0 == w[1].0) {
            return Err(Error::new(
                ErrorCode::SchemaInvalid,
                "an eligible set lists an offer twice",
            ));
        }
        Ok(eligible
            .iter()
            .map(|i| {
                by_offer
                    .binary_search_by_key(i, |&(offer, _)| offer)
                    .map_or(0.0, |k| by_offer[k].1)
            })
            .collect())
    }
}

/// The feature values a learning log records: what the model saw.
#[cfg(feature = "explain")]
pub(super) fn logged_features(
    values: &FeatureValues<'_>,
) -> std::collections::BTreeMap<String, String> {
    // Inserted one by one: `collect` would link a stable sort for the
    // pairs, 1.7 KB gzip of the edge build for nine entries (measured).
    let mut map = std::collections::BTreeMap::new();
    for name in FeatureName::ALL {
        if let Some(value) = values.get(name) {
            map.insert(name.as_str().to_owned(), value.to_owned());
        }
    }
    map
}

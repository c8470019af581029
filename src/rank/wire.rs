//! The compiled model in the compiled form (see [`crate::wire`]).
//!
//! ```text
//! crosses            count, then each cross: count, then feature tags
//! global_intercept   f64
//! global             count, then (feature id: 8 bytes LE, weight: f64), ids ascending
//! offer_intercepts   count (= offers), then f64 each
//! postings           count, then (feature id: 8 bytes LE, count, then (offer, weight: f32 LE)),
//!                    ids ascending, each list in the order compile built it
//! exploration        0, or 1 then count (= offers) and one Beta prior per offer
//! ```
//! Hash maps are written as lists sorted by id, so one model has one
//! encoding, and rebuilt on read. Feature ids are FNV-1a hashes: fixed
//! 8 bytes, as a varint would take 9–10. A posting list keeps its order:
//! `logits` adds its weights in that order, and float addition is not
//! associative.
//!
//! Exploration tables ([`FactorTable`](super::beta::FactorTable)) are not
//! written: each is a pure function of its prior, tabulated on first use as
//! after a JSON compile (a table per offer would be 260 bytes of form for
//! one offer's exploration, which most pages never reach).
//!
//! On read, every weight and prior passes the checks `compile` made
//! (finite, within ±100; 0 < alpha, beta ≤ 1e7, which the tables need), ids
//! ascend, and every posting names an offer below the intercepts' count;
//! the engine's reader checks that count against its offers.

use super::features::FeatureName;
use super::model::{check_prior, check_weight, CompiledModel, IdMap, OfferExploration};
use crate::bundle::BetaPrior;
use crate::error::Result;
use crate::wire::{wire_enum, Reader, Wire, Writer};
use std::sync::OnceLock;

wire_enum!(FeatureName {
    State = 0,
    Country = 1,
    AgeBand = 2,
    CartBand = 3,
    Payment = 4,
    Loyalty = 5,
    Customer = 6,
    Device = 7,
    HourBand = 8,
});

fn put_id(w: &mut Writer, id: u64) {
    w.raw(&id.to_le_bytes());
}

/// The entries of `map` by ascending id.
fn sorted<V>(map: &IdMap<V>) -> Vec<(u64, &V)> {
    let mut entries: Vec<(u64, &V)> = map.iter().map(|(&id, v)| (id, v)).collect();
    entries.sort_unstable_by_key(|&(id, _)| id);
    entries
}

/// Reads `count` then that many entries by strictly ascending id.
fn take_map<V>(
    r: &mut Reader<'_>,
    mut value: impl FnMut(&mut Reader<'_>) -> Result<V>,
) -> Result<IdMap<V>> {
    let n = r.len()?;
    let mut map = IdMap::default();
    map.reserve(n);
    let mut last = None;
    for _ in 0..n {
        let id = u64::from_le_bytes(<[u8; 8]>::take(r)?);
        if last.is_some_and(|last| id <= last) {
            return Err(r.malformed("model feature ids out of order"));
        }
        last = Some(id);
        map.insert(id, value(r)?);
    }
    Ok(map)
}

/// A weight as `compile` accepts it.
fn take_weight(r: &mut Reader<'_>) -> Result<f64> {
    let w = f64::take(r)?;
    check_weight(w, "")
        .map(|()| w)
        .map_err(|_| r.malformed("model weight out of range"))
}

impl Wire for CompiledModel {
    fn put(&self, w: &mut Writer) {
        self.crosses.put(w);
        self.global_intercept.put(w);
        let global = sorted(&self.global);
        w.len(global.len());
        for (id, weight) in global {
            put_id(w, id);
            weight.put(w);
        }
        self.offer_intercepts.put(w);
        let postings = sorted(&self.postings);
        w.len(postings.len());
        for (id, list) in postings {
            put_id(w, id);
            w.len(list.len());
            for &(offer, weight) in list {
                offer.put(w);
                w.raw(&weight.to_bits().to_le_bytes());
            }
        }
        match &self.exploration {
            None => w.byte(0),
            Some(offers) => {
                w.byte(1);
                w.len(offers.len());
                for offer in offers {
                    offer.prior.put(w);
                }
            }
        }
    }

    fn take(r: &mut Reader<'_>) -> Result<Self> {
        let crosses: Vec<Vec<FeatureName>> = Wire::take(r)?;
        if crosses.iter().any(|c| c.len() < 2) {
            return Err(r.malformed("model cross of fewer than two features"));
        }
        let global_intercept = take_weight(r)?;
        let global = take_map(r, take_weight)?;
        let n = r.len()?;
        let offer_intercepts = (0..n)
            .map(|_| take_weight(r))
            .collect::<Result<Vec<f64>>>()?;
        let postings = take_map(r, |r| {
            let len = r.len()?;
            (0..len)
                .map(|_| {
                    let offer = r.index(n)?;
                    let weight = f32::from_bits(u32::from_le_bytes(<[u8; 4]>::take(r)?));
                    check_weight(f64::from(weight), "")
                        .map_err(|_| r.malformed("model weight out of range"))?;
                    let offer = u32::try_from(offer).map_err(|_| r.malformed("offer index"))?;
                    Ok((offer, weight))
                })
                .collect::<Result<Vec<_>>>()
        })?;
        let exploration = <Option<Vec<BetaPrior>> as Wire>::take(r)?
            .map(|priors| {
                if priors.len() != n {
                    return Err(r.malformed("one exploration prior per offer"));
                }
                // Sized up front: collecting a `Result` iterator grows by
                // doubling, and for 5,000 offers that left 3.7 MB where
                // 1.4 MB is needed (measured under massif).
                let mut table = Vec::with_capacity(priors.len());
                for prior in priors {
                    check_prior(&prior, "").map_err(|_| r.malformed("Beta prior out of range"))?;
                    table.push(OfferExploration {
                        prior,
                        table: OnceLock::new(),
                    });
                }
                Ok(table)
            })
            .transpose()?;
        Ok(Self {
            crosses,
            global_intercept,
            global,
            offer_intercepts,
            postings,
            exploration,
        })
    }
}

impl CompiledModel {
    /// How many offers the model scores (its per-offer intercepts): the
    /// engine's reader checks it against the bundle's offers.
    pub(crate) fn offer_count(&self) -> usize {
        self.offer_intercepts.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bundle::Model;
    use crate::error::ErrorCode;
    use crate::rank::features::FeatureValues;
    use serde_json::json;

    use crate::wire::encode;

    fn decode(bytes: &[u8]) -> Result<CompiledModel> {
        crate::wire::decode(bytes)
    }

    fn model() -> CompiledModel {
        let model: Model = serde_json::from_value(json!({
            "crosses": [["ageBand", "state"]],
            "global": {"intercept": -2.0, "features": {"state=CA": 0.4, "device=mobile": -0.1}},
            "offers": {
                "b": {"intercept": 0.3, "features": {"state=CA": 0.25, "ageBand=25-34&state=CA": 1.5}},
                "a": {"features": {"state=CA": -0.5, "country=US": 0.125}}
            },
            "exploration": {"enabled": true, "priors": {"b": {"alpha": 3.0, "beta": 9.0}}}
        }))
        .unwrap();
        CompiledModel::compile(&model, &["a", "b", "c"]).unwrap()
    }

    #[test]
    fn a_model_reads_back_scoring_alike_and_writes_the_same_bytes() {
        let model = model();
        let bytes = encode(&model);
        let back = decode(&bytes).unwrap();
        assert_eq!(encode(&back), bytes);
        let mut values = FeatureValues::default();
        values
            .set(FeatureName::State, Some("CA"))
            .set(FeatureName::AgeBand, Some("25-34"))
            .set(FeatureName::Country, Some("US"));
        let (mut scratch, mut a, mut b) = (Vec::new(), Vec::new(), Vec::new());
        model.logits(&values, &mut scratch, &mut a);
        back.logits(&values, &mut scratch, &mut b);
        assert_eq!(a, b);
        assert_eq!(back.offer_count(), 3);
        for offer in 0..3 {
            assert_eq!(
                back.exploration_table(offer),
                model.exploration_table(offer)
            );
        }
    }

    #[test]
    fn a_posting_past_the_offers_or_a_bad_prior_is_refused() {
        let mut w = Writer::new();
        Vec::<Vec<FeatureName>>::new().put(&mut w);
        0.0f64.put(&mut w);
        w.len(0);
        vec![0.0f64].put(&mut w);
        w.len(1);
        put_id(&mut w, 7);
        w.len(1);
        1u32.put(&mut w); // offer 1 of 1
        w.raw(&0.5f32.to_bits().to_le_bytes());
        w.byte(0);
        let err = decode(&w.into_bytes()).unwrap_err();
        assert_eq!(err.code(), ErrorCode::PayloadMalformed);

        let mut bytes = encode(&model());
        // The last prior's beta (the final 8 bytes): NaN.
        let at = bytes.len() - 8;
        bytes.splice(at.., f64::NAN.to_le_bytes());
        assert_eq!(
            decode(&bytes).unwrap_err().code(),
            ErrorCode::PayloadMalformed
        );
    }
}

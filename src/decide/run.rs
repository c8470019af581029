//! `Engine::decide`: candidates → eligibility → history → ranking → render.

use super::decision::{
    DecidedOffer, Decision, Explanation, PlacementDecision, Reason, Verdict, Warning, WarningCode,
};
use super::engine::Engine;
use super::explain::message;
use super::index::{is_set, OfferKey};
use super::render::{render_layout, render_offer, template_data};
use crate::consent::{CohortAccess, Consent, ConsentState};
use crate::context::Context;
use crate::error::{Error, ErrorCode, Result};
use crate::history::History;
#[cfg(not(target_arch = "wasm32"))]
use crate::rank::shown_probabilities;
use crate::rank::{
    expected_upper_bound, select, shortlist_len, sigmoid, Candidate, FeatureName, FeatureValues,
    Pick, Shortlist, MAX_CONTENDERS,
};
use crate::receipt::Receipt;
use crate::rng::SplitMix64;
use crate::time::{DurationMs, Timestamp, HOUR_MS};
use serde::Deserialize;

/// How to decide.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct DecideOptions {
    /// Placements to fill, in order (an offer shows in at most one); empty
    /// means every placement of the bundle.
    pub placements: Vec<String>,
    /// Give every offer a verdict and reason (preview, CLI `--explain`).
    pub explain: bool,
    /// How long receipts stay valid for engagement reports.
    pub receipt_ttl: DurationMs,
    /// The shopper's privacy signals (GPC, US Privacy, GPP, explicit
    /// choices): what the decision may use and keep (docs/PRIVACY.md,
    /// [`Decision::privacy`]).
    pub consent: Consent,
    /// The host's geo of the request, ISO 3166-1 alpha-2 (the edge passes
    /// Cloudflare's `request.cf.country`). When given, it must pass the
    /// licensed-cohort rule as the context's `country` must.
    pub request_country: Option<String>,
    /// Log what off-policy learning needs (docs/LEARNING.md): the model's
    /// feature values ([`Decision::features`]) and each placement's full
    /// eligible set ([`PlacementDecision::eligible`]). The same winners
    /// and propensities either way; every eligible offer is then scored
    /// (no shortlist pruning). Feature `explain` only: pages never log.
    #[cfg(feature = "explain")]
    pub learning_log: bool,
}

impl Default for DecideOptions {
    fn default() -> Self {
        Self {
            placements: Vec::new(),
            explain: false,
            receipt_ttl: DurationMs(24 * HOUR_MS as u64),
            consent: Consent::default(),
            request_country: None,
            #[cfg(feature = "explain")]
            learning_log: false,
        }
    }
}

impl DecideOptions {
    /// Whether to log for learning (never in a build without `explain`).
    fn learning_log(&self) -> bool {
        #[cfg(feature = "explain")]
        return self.learning_log;
        #[cfg(not(feature = "explain"))]
        false
    }
}

/// The feature values a learning log records: what the model saw.
#[cfg(feature = "explain")]
fn logged_features(values: &FeatureValues<'_>) -> std::collections::BTreeMap<String, String> {
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

/// Marks an offer that failed a check (scores are never negative).
const INELIGIBLE: f64 = -1.0;
/// Marks an eligible offer whose exact score has not been computed.
const UNSCORED: f64 = -2.0;

impl Engine {
    /// Decides which offers `context` sees in each requested placement,
    /// within what the shopper's consent allows (`options.consent`,
    /// docs/PRIVACY.md): without personalization the model scores from its
    /// intercepts alone and licensed cohorts never match; whatever the
    /// consent, history is read (caps and declines protect the shopper).
    ///
    /// Pure: the same engine, context, history, `now` and `entropy` always
    /// give the same decision. `entropy` seeds exploration and the decision id
    /// (pass 16+ random bytes in production, a fixed seed in tests).
    ///
    /// # Errors
    /// `BUNDLE_EXPIRED` when the engine came from a signed bundle and `now`
    /// is at or past its `expiresAt` plus the trust's `decideGraceSeconds`;
    /// `PLACEMENT_UNKNOWN` when an option names a placement the bundle lacks.
    pub fn decide(
        &self,
        context: &Context,
        history: &History,
        now: Timestamp,
        entropy: &[u8],
        options: &DecideOptions,
    ) -> Result<Decision> {
        self.check_fresh(now)?;
        let ctx = context.as_normalized();
        let mut rng = SplitMix64::from_entropy(entropy);
        let decision_id = Receipt::decision_id_from_entropy(&rng.next_bytes16());
        let placements = self.requested_placements(&options.placements)?;

        let (privacy, problems) = ConsentState::resolve(&options.consent);
        let cohorts = CohortAccess::new(
            privacy.personalization,
            ctx.country.as_deref(),
            options.request_country.as_deref(),
        );
        let env = self.env(&ctx, history, now, cohorts);
        let mut ruled_out = Vec::new();
        let mut scratch = Vec::new();
        if !options.explain {
            self.index.ruled_out(&ctx, &mut ruled_out, &mut scratch);
        }
        let hour_band =
            crate::rank::features::hour_band(now.local_hour(self.bundle.utc_offset_at(now)));
        // Without personalization the lookalike model sees no feature at
        // all: every score comes from the intercepts.
        let mut features = FeatureValues::default();
        if privacy.personalization {
            features
                .set(FeatureName::State, ctx.state.as_deref())
                .set(FeatureName::Country, ctx.country.as_deref())
                .set(FeatureName::AgeBand, ctx.age_band(now))
                .set(FeatureName::CartBand, ctx.cart_band())
                .set(FeatureName::Payment, ctx.paymenttype.as_deref())
                .set(FeatureName::Loyalty, ctx.loyaltytier.as_deref())
                .set(FeatureName::Customer, ctx.customertype.as_deref())
                .set(FeatureName::Device, ctx.device.as_deref())
                .set(FeatureName::HourBand, Some(hour_band));
        }
        let mut logits = Vec::new();
        self.model.logits(&features, &mut scratch, &mut logits);

        let data = template_data(&ctx);
        // (offer, placement) of every winner so far: a few entries, scanned,
        // instead of a per-offer table to allocate and clear per decision.
        let mut shown_in: Vec<(u32, usize)> = Vec::new();
        let mut out = Decision {
            decision_id,
            partner: self.bundle.partner.clone(),
            bundle_version: self.bundle.version,
            bundle_sha256: self.sha256_hex.clone(),
            time: now,
            placements: Vec::with_capacity(placements.len()),
            privacy,
            explanations: Vec::new(),
            warnings: Warning::of_context(&ctx.warnings),
            warnings_omitted: ctx.warnings.omitted,
            #[cfg(feature = "explain")]
            features: options.learning_log.then(|| logged_features(&features)),
        };
        // What reading the context left out first, then consent.
        for message in problems {
            out.warnings.push(Warning {
                code: WarningCode::ConsentMalformed,
                attribute: None,
                message,
            });
        }
        let mut candidates = Vec::new();
        let mut reasons: Vec<Option<Reason>> = Vec::new();
        // Per offer: NaN = not checked yet, INELIGIBLE, UNSCORED (eligible,
        // exact score not needed yet), else P(engage) × value.
        let mut expected = vec![f64::NAN; self.offers.len()];
        let mut first_reason: Vec<Option<Reason>> = Vec::new();
        if options.explain {
            first_reason.resize(self.offers.len(), None);
        }
        let mut shortlist = Shortlist::new(MAX_CONTENDERS);
        let offer_keys = self.offer_keys();
        for &p in &placements {
            let placement = &self.placements[p];
            // Without `explain`, only offers that can reach the shortlist
            // need an exact score (an `exp`): the others are skipped on an
            // upper bound. Greedy selection may widen past the shortlist
            // when advertisers collide; it then reruns without skipping.
            // A learning log lists every eligible offer: nothing skipped.
            let mut prune = !options.explain && !options.learning_log();
            #[cfg(feature = "explain")]
            let mut eligible = None;
            let picks = loop {
                candidates.clear();
                shortlist.reset(shortlist_len(placement.max_offers, &self.model));
                let mut pruned = false;
                if options.explain {
                    reasons.clear();
                    reasons.resize(self.offers.len(), Some(Reason::NotInPlacement));
                }
                for &i in &placement.offers {
                    let idx = i as usize;
                    if let Some(&(_, other)) = shown_in.iter().find(|&&(o, _)| o == i) {
                        if options.explain {
                            reasons[idx] = Some(Reason::ShownInOtherPlacement {
                                placement: self.placements[other].id.clone(),
                            });
                        }
                        continue;
                    }
                    let Some(&OfferKey {
                        tier,
                        value,
                        ln_value,
                        ..
                    }) = offer_keys.get(idx)
                    else {
                        continue;
                    };
                    // An offer that cannot reach the shortlist needs neither
                    // its checks nor an exact score (`exp`): bound it first,
                    // by its value (P(engage) ≤ 1), then by an exp-free
                    // bound, or by its exact score once known.
                    if prune && expected[idx] != INELIGIBLE {
                        let bound = |e: f64| shortlist.excludes(tier, e, i);
                        let out = if expected[idx] >= 0.0 {
                            bound(expected[idx])
                        } else {
                            let logit = logits.get(idx).copied().unwrap_or(0.0);
                            shortlist.excludes_log(tier, logit, ln_value)
                                || bound(value)
                                || bound(expected_upper_bound(logit, value))
                        };
                        if out {
                            pruned = true;
                            continue;
                        }
                    }
                    // Eligibility does not depend on the placement: check each
                    // offer once per decision, however many placements list it.
                    if expected[idx].is_nan() {
                        let out = is_set(&ruled_out, i);
                        let verdict = if options.explain {
                            self.check(idx, &ctx, &env, out, true)
                        } else if offer_keys
                            .get(idx)
                            .is_some_and(|key| self.eligible_fast(idx, key, &ctx, &env, out))
                        {
                            Ok(())
                        } else {
                            // Unread without `explain`.
                            Err(Reason::NoSlot)
                        };
                        expected[idx] = match verdict {
                            Ok(()) => UNSCORED,
                            Err(reason) => {
                                if options.explain {
                                    first_reason[idx] = Some(reason);
                                }
                                INELIGIBLE
                            }
                        };
                    }
                    if expected[idx] == INELIGIBLE {
                        if options.explain {
                            reasons[idx] = first_reason[idx].clone();
                        }
                        continue;
                    }
                    if expected[idx] == UNSCORED {
                        let logit = logits.get(idx).copied().unwrap_or(0.0);
                        expected[idx] = sigmoid(logit) * value;
                        if prune && shortlist.excludes(tier, expected[idx], i) {
                            pruned = true;
                            continue;
                        }
                    }
                    shortlist.insert(tier, expected[idx], i);
                    candidates.push(Candidate {
                        offer: i,
                        tier,
                        advertiser: self.offers[idx].advertiser,
                        expected: expected[idx],
                    });
                    if options.explain {
                        reasons[idx] = None;
                    }
                }
                // The learning log's eligible set: every candidate (none was
                // pruned), in bundle order until `select` reorders them.
                #[cfg(feature = "explain")]
                if options.learning_log {
                    eligible = Some(
                        candidates
                            .iter()
                            .filter_map(|c| {
                                Some(self.bundle.offers.get(c.offer as usize)?.id.clone())
                            })
                            .collect(),
                    );
                }
                let picks = select(&mut candidates, placement.max_offers, &self.model, &mut rng);
                // Only greedy selection (no draws: `rng` untouched) looks past
                // the shortlist, and only when it came up short.
                if pruned && picks.len() < placement.max_offers && !self.model.explores() {
                    prune = false;
                    continue;
                }
                break picks;
            };

            let mut offers = Vec::with_capacity(picks.len());
            for (rank, pick) in picks.iter().enumerate() {
                let c = candidates[pick.candidate];
                shown_in.push((c.offer, p));
                let source = &self.bundle.offers[c.offer as usize];
                let compiled = &self.offers[c.offer as usize];
                offers.push(DecidedOffer {
                    offer_id: source.id.clone(),
                    creative_id: source.creative.id.clone(),
                    campaign: source.campaign.clone(),
                    advertiser: source.advertiser.clone(),
                    rank: rank as u32 + 1,
                    tier: c.tier,
                    score: pick.score,
                    predicted_engagement: sigmoid(
                        logits.get(c.offer as usize).copied().unwrap_or(0.0),
                    ),
                    propensity: pick.propensity,
                    needs_confirmation_email: compiled.needs_confirmation,
                    action: super::render::action_view(&source.action),
                    fields: render_offer(compiled, source, &data),
                    receipt: Receipt {
                        decision_id: out.decision_id.clone(),
                        partner: self.bundle.partner.clone(),
                        placement: placement.id.clone(),
                        offer_id: source.id.clone(),
                        creative_id: source.creative.id.clone(),
                        bundle_sha256: self.sha256_hex.clone(),
                        issued_at: now,
                        expires_at: now.plus(options.receipt_ttl),
                        // The edge names its partner receipt key when it signs.
                        kid: None,
                    },
                });
            }
            if options.explain {
                let winners: Vec<u32> = picks
                    .iter()
                    .map(|p| candidates[p.candidate].offer)
                    .collect();
                self.explain_placement(
                    &placement.id,
                    &reasons,
                    &candidates,
                    &picks,
                    &winners,
                    &mut out.explanations,
                );
            }
            let html = if offers.is_empty() {
                String::new()
            } else {
                render_layout(placement, &data, &offers)
            };
            out.placements.push(PlacementDecision {
                id: placement.id.clone(),
                html,
                offers,
                #[cfg(feature = "explain")]
                eligible,
            });
        }
        Ok(out)
    }

    /// Like [`decide`](Self::decide), reading the host's stored history blob:
    /// a corrupt or foreign blob is discarded with a warning in the decision.
    /// The history returned is the blob's, as read: `decide` writes nothing
    /// into it. When `decision.privacy.measurement` is off the host stores
    /// nothing back (it keeps `history_blob` as it was) and records no
    /// engagement under this decision (docs/PRIVACY.md).
    ///
    /// # Errors
    /// As [`decide`](Self::decide).
    pub fn decide_with_blob(
        &self,
        context: &Context,
        history_blob: &[u8],
        now: Timestamp,
        entropy: &[u8],
        options: &DecideOptions,
    ) -> Result<(Decision, History)> {
        let (history, warning) = History::decode(history_blob, &self.bundle.partner, now);
        let mut decision = self.decide(context, &history, now, entropy, options)?;
        decision.warnings.extend(warning);
        Ok((decision, history))
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
        let mut scratch = Vec::new();
        let mut logits = Vec::new();
        self.model.logits(features, &mut scratch, &mut logits);
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
            let logit = logits.get(i as usize).copied().unwrap_or(0.0);
            candidates.push(Candidate {
                offer: i,
                tier: offer.tier,
                advertiser: offer.advertiser,
                expected: sigmoid(logit) * offer.value,
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

    fn requested_placements(&self, wanted: &[String]) -> Result<Vec<usize>> {
        if wanted.is_empty() {
            return Ok((0..self.placements.len()).collect());
        }
        wanted
            .iter()
            .map(|id| {
                self.placements
                    .iter()
                    .position(|p| &p.id == id)
                    .ok_or_else(|| {
                        Error::new(
                            ErrorCode::PlacementUnknown,
                            format!("the bundle has no placement {id:?}"),
                        )
                    })
            })
            .collect()
    }

    /// Appends a verdict for every offer of the bundle in one placement.
    fn explain_placement(
        &self,
        placement: &str,
        reasons: &[Option<Reason>],
        candidates: &[Candidate],
        picks: &[Pick],
        winners: &[u32],
        out: &mut Vec<Explanation>,
    ) {
        let mut candidate_of = vec![None; self.offers.len()];
        for (c, cand) in candidates.iter().enumerate() {
            candidate_of[cand.offer as usize] = Some(c);
        }
        let id = |offer: u32| self.bundle.offers[offer as usize].id.clone();
        for (i, source) in self.bundle.offers.iter().enumerate() {
            let candidate = candidate_of[i];
            let pick = candidate.and_then(|c| picks.iter().position(|p| p.candidate == c));
            let (verdict, reason) = match (&reasons[i], pick) {
                (Some(reason), _) => (Verdict::Ineligible, reason.clone()),
                (None, Some(rank)) => (
                    Verdict::Shown,
                    Reason::Shown {
                        rank: rank as u32 + 1,
                    },
                ),
                (None, None) => {
                    let advertiser = self.offers[i].advertiser;
                    let same = winners
                        .iter()
                        .find(|&&w| self.offers[w as usize].advertiser == advertiser);
                    let reason = match (same, picks.last()) {
                        (Some(&w), _) => Reason::AdvertiserAlreadyShown { by_offer: id(w) },
                        (None, Some(last)) => {
                            let c = candidates[last.candidate];
                            Reason::Outranked {
                                by_offer: id(c.offer),
                                by_tier: c.tier,
                                by_score: last.score,
                            }
                        }
                        (None, None) => Reason::NoSlot,
                    };
                    (Verdict::Outranked, reason)
                }
            };
            out.push(Explanation {
                offer_id: source.id.clone(),
                placement: placement.to_string(),
                tier: source.tier,
                verdict,
                message: message(&reason),
                score: candidate.map(|c| candidates[c].expected),
                propensity: pick.map(|p| picks[p].propensity),
                reason,
            });
        }
    }
}

#[cfg(test)]
#[path = "run_tests.rs"]
mod tests;

//! `Engine::decide`, the pipeline: consent → context → candidates (the
//! predicate index) → per placement: eligibility, scoring and selection
//! (`placement`), explanations (`explain`), rendering (`render`). Nothing
//! is written to history: hosts report what was shown (`record`).

use super::compile::Engine;
use super::decision::{Decision, Warning, WarningCode};
use super::placement::{unchecked, Checkout, OfferState};
use super::render::{template_data, ReceiptTerms};
#[cfg(feature = "explain")]
use super::scoring::logged_features;
use crate::consent::{CohortAccess, Consent, ConsentState};
use crate::context::Context;
use crate::error::{Error, ErrorCode, Result};
use crate::history::History;
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
        // Consent: what this decision may use and keep.
        let (privacy, consent_problems) = ConsentState::resolve(&options.consent);
        let cohorts = CohortAccess::new(
            privacy.personalization,
            ctx.country.as_deref(),
            options.request_country.as_deref(),
        );
        // Context: what rules, audiences and the model see of the shopper.
        let env = self.env(&ctx, history, now, cohorts);
        let features = self.model_features(&ctx, now, privacy.personalization);
        let logits = self.logits(&features);
        let ruled_out = self.ruled_out(&ctx, options.explain);
        let checkout = Checkout {
            ctx: &ctx,
            env: &env,
            ruled_out: &ruled_out,
            logits: &logits,
            explain: options.explain,
            learning_log: options.learning_log(),
        };
        let mut out = self.decision_header(decision_id, now, privacy, &ctx, consent_problems);
        #[cfg(feature = "explain")]
        if options.learning_log {
            out.features = Some(logged_features(&features));
        }
        let terms = ReceiptTerms {
            decision_id: &out.decision_id,
            issued_at: now,
            expires_at: now.plus(options.receipt_ttl),
        };
        let data = template_data(&ctx);
        let mut states = unchecked(self.offers.len());
        for p in placements {
            let placement = &self.placements[p];
            // Eligibility, scoring, selection.
            let ranking = self.rank_placement(placement, &mut states, &checkout, &mut rng);
            if options.explain {
                self.explain_placement(p, &states, &ranking, &mut out.explanations);
            }
            for offer in ranking.winners() {
                states[offer as usize] = OfferState::Shown { placement: p };
            }
            // Rendering, with a receipt per winner.
            let rendered = self.render_placement(placement, ranking, &logits, &data, &terms);
            out.placements.push(rendered);
        }
        Ok(out)
    }

    /// Candidates: the offers whose rule the predicate index rules out for
    /// `ctx`, all at once (a bitset); none when explaining, where every rule
    /// is evaluated for its reason.
    fn ruled_out(&self, ctx: &Context, explain: bool) -> Vec<u64> {
        let mut ruled_out = Vec::new();
        if !explain {
            self.index.ruled_out(ctx, &mut ruled_out, &mut Vec::new());
        }
        ruled_out
    }

    /// A decision without placements yet: who decided, when, under which
    /// consent, and what reading the context left out, then the consent.
    fn decision_header(
        &self,
        decision_id: String,
        now: Timestamp,
        privacy: ConsentState,
        ctx: &Context,
        consent_problems: Vec<String>,
    ) -> Decision {
        let mut warnings = Warning::of_context(&ctx.warnings);
        for message in consent_problems {
            warnings.push(Warning {
                code: WarningCode::ConsentMalformed,
                attribute: None,
                message,
            });
        }
        Decision {
            decision_id,
            partner: self.bundle.partner.clone(),
            bundle_version: self.bundle.version,
            bundle_sha256: self.sha256_hex.clone(),
            time: now,
            placements: Vec::new(),
            privacy,
            explanations: Vec::new(),
            warnings,
            warnings_omitted: ctx.warnings.omitted,
            #[cfg(feature = "explain")]
            features: None,
        }
    }

    /// The engine's indices of the placements `wanted` names, in order;
    /// every placement when it names none.
    pub(super) fn requested_placements(&self, wanted: &[String]) -> Result<Vec<usize>> {
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
}

#[cfg(test)]
#[path = "run_tests.rs"]
mod tests;

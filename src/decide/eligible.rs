//! Eligibility: whether an offer may show to this shopper now (edge-only,
//! approval, schedule, rule, audiences, accepts, declines, caps), for
//! `decide` and for `eligible_offers`.

use super::compile::Engine;
use super::decision::Reason;
use super::explain::rule_detail;
use super::index::{set, OfferKey};
use crate::audience::IdentifierHash;
use crate::bundle::{ApprovalStatus, CapScope, CapWindow, IdentifierKind};
use crate::consent::{CohortAccess, CohortBlock};
use crate::context::Context;
use crate::error::Result;
use crate::history::{history_key, History};
use crate::rules::{BudgetExceeded, CompiledRule, RuleBudget, RuleEnv};
use crate::time::Timestamp;
use std::cell::Cell;

/// What rules and checks may ask about the shopper during one decision.
pub(super) struct Env<'a> {
    engine: &'a Engine,
    history: &'a History,
    now: Timestamp,
    email: Option<IdentifierHash>,
    phone: Option<IdentifierHash>,
    /// Audience membership, computed on first use: 0 unknown, 1 no, 2 yes.
    membership: Vec<Cell<u8>>,
    /// Outcome per distinct rule (see [`PredicateIndex`](super::index)),
    /// computed on first use: 0 unknown, 1 false, 2 true, 3 out of steps,
    /// 4 a value over the size limits.
    rules: Vec<Cell<u8>>,
    /// Evaluation steps left for every rule of this decision.
    pub(super) budget: RuleBudget,
    /// What this decision may do with licensed cohorts (consent, countries).
    cohorts: CohortAccess,
    /// Explanations only (see [`Engine::cohort_detail`]): a licensed cohort
    /// this decision may not use answers "member" instead of "no", and the
    /// first one asked is noted here. Never set while deciding.
    probe: Option<Cell<Option<usize>>>,
}

/// A rule outcome as stored in [`Env::rules`].
fn encode(outcome: Result<bool, BudgetExceeded>) -> u8 {
    match outcome {
        Ok(false) => 1,
        Ok(true) => 2,
        Err(BudgetExceeded::Steps) => 3,
        Err(BudgetExceeded::ValueSize) => 4,
    }
}

/// The outcome stored as `code` (`None`: not evaluated yet).
fn decode(code: u8) -> Option<Result<bool, BudgetExceeded>> {
    match code {
        1 => Some(Ok(false)),
        2 => Some(Ok(true)),
        3 => Some(Err(BudgetExceeded::Steps)),
        4 => Some(Err(BudgetExceeded::ValueSize)),
        _ => None,
    }
}

impl Env<'_> {
    fn identifier(&self, kind: IdentifierKind) -> Option<&IdentifierHash> {
        match kind {
            IdentifierKind::Email => self.email.as_ref(),
            IdentifierKind::Phone => self.phone.as_ref(),
        }
    }

    /// Why audience `audience`, a licensed cohort, may not be used in this
    /// decision; `None` when it may, or when it is an advertiser list
    /// (never restricted).
    pub(super) fn restriction(&self, audience: usize) -> Option<CohortBlock> {
        let countries = self
            .engine
            .bundle
            .audiences
            .get(audience)?
            .licensed_countries()?;
        self.cohorts.restriction(countries)
    }

    fn member(&self, audience: usize) -> bool {
        // Audience indices come from the compiled bundle, which checks them.
        debug_assert!(audience < self.engine.audiences.len());
        let (Some(cell), Some(a)) = (
            self.membership.get(audience),
            self.engine.audiences.get(audience),
        ) else {
            return false;
        };
        match cell.get() {
            1 => false,
            2 => true,
            _ => {
                // A withheld filter answers nothing; its offers are
                // edge-only and stop before asking (see `check`). A
                // licensed cohort this decision may not use is never
                // looked up: inclusion fails, suppression passes, and
                // `in_audience` is false, on every path alike (the
                // predicate index knows no audiences).
                let yes = match (&a.filter, self.identifier(a.identifier)) {
                    _ if self.restriction(audience).is_some() => {
                        self.probe.as_ref().is_some_and(|first| {
                            first.set(first.get().or(Some(audience)));
                            true
                        })
                    }
                    (Some(filter), Some(h)) => filter.contains_identifier(h),
                    _ => false,
                };
                cell.set(if yes { 2 } else { 1 });
                yes
            }
        }
    }
}

impl Env<'_> {
    /// Whether the audiences let the shopper in: a member of one of
    /// `include` (when it names any) and of none of `exclude`.
    fn admits(&self, include: &[usize], exclude: &[usize]) -> bool {
        (include.is_empty() || include.iter().any(|&a| self.member(a)))
            && !exclude.iter().any(|&a| self.member(a))
    }

    /// The memoized outcome of offer `i`'s rule, if already evaluated
    /// (a rule that ran out of budget does not hold).
    fn rule_known(&self, i: usize) -> Option<bool> {
        let code = self
            .rules
            .get(self.engine.index.rule_slot(i) as usize)?
            .get();
        decode(code).map(|outcome| outcome.unwrap_or(false))
    }

    /// Whether offer `i`'s `rule` holds for `ctx`, on this decision's
    /// budget; offers sharing an identical rule share one evaluation.
    fn rule_holds(
        &self,
        i: usize,
        rule: &CompiledRule,
        ctx: &Context,
    ) -> Result<bool, BudgetExceeded> {
        let slot = self.engine.index.rule_slot(i);
        let Some(cell) = self.rules.get(slot as usize) else {
            return rule.matches_within(ctx, self, &self.budget);
        };
        if let Some(outcome) = decode(cell.get()) {
            return outcome;
        }
        let outcome = rule.matches_within(ctx, self, &self.budget);
        cell.set(encode(outcome));
        outcome
    }
}

impl RuleEnv for Env<'_> {
    fn in_audience(&self, audience: usize) -> bool {
        self.member(audience)
    }
    fn history_count(&self, scope: CapScope, id: &str, window: CapWindow) -> u32 {
        self.history.count(history_key(scope, id), window, self.now)
    }
    fn now(&self) -> Timestamp {
        self.now
    }
    fn utc_offset_minutes(&self) -> i32 {
        // The zone's offset at this decision's instant (the embedded table
        // of an IANA zone, else the fixed offset).
        self.engine.bundle.utc_offset_at(self.now)
    }
}

impl Engine {
    /// The offers that pass every check [`decide`](Self::decide) makes
    /// before ranking, for this shopper at `now`: not edge-only (a page
    /// bundle's offers naming a withheld audience), approval, schedule,
    /// eligibility rule, audiences, accepts, declines and caps (placements
    /// and ranking play no part). Indices into `bundle().offers`, in bundle
    /// order.
    ///
    /// # Errors
    /// `BUNDLE_EXPIRED` as [`decide`](Self::decide): an expired signed
    /// bundle answers nothing.
    ///
    /// Licensed cohorts are decided as with no consent signal (the
    /// shopper's consent allows personalization) and no request country:
    /// the context's `country` alone must be known and outside the EU and
    /// the UK. Pass `decide` the consent for anything else.
    pub fn eligible_offers(
        &self,
        context: &Context,
        history: &History,
        now: Timestamp,
    ) -> Result<Vec<u32>> {
        let mut out = Vec::new();
        self.eligible_offers_into(context, history, now, &mut out)?;
        Ok(out)
    }

    /// [`eligible_offers`](Self::eligible_offers) into `out` (cleared
    /// first), so a caller answering many checkouts reuses one buffer.
    ///
    /// # Errors
    /// As [`eligible_offers`](Self::eligible_offers); `out` is then empty.
    pub fn eligible_offers_into(
        &self,
        context: &Context,
        history: &History,
        now: Timestamp,
        out: &mut Vec<u32>,
    ) -> Result<()> {
        out.clear();
        self.check_fresh(now)?;
        let ctx = context.as_normalized();
        let cohorts = CohortAccess::new(true, ctx.country.as_deref(), None);
        let env = self.env(&ctx, history, now, cohorts);
        let (mut ruled_out, mut scratch) = (Vec::new(), Vec::new());
        self.index.ruled_out(&ctx, &mut ruled_out, &mut scratch);
        let keys = self.offer_keys();
        // Only the offers neither the index nor the bundle rules out are
        // looked at, a word of 64 at a time: `eligible_fast` answers false
        // for the others without side effects (no rule runs, no budget is
        // spent), so skipping them changes nothing but the time.
        for (word, (&out_word, &blocked_word)) in
            ruled_out.iter().zip(self.blocked_offers()).enumerate()
        {
            let mut alive = !(out_word | blocked_word);
            while alive != 0 {
                let i = word * 64 + alive.trailing_zeros() as usize;
                alive &= alive - 1;
                // The last word's bits past the last offer are alive too.
                let Some(key) = keys.get(i) else { break };
                if self.eligible_fast(i, key, &ctx, &env, false) {
                    out.push(i as u32);
                }
            }
        }
        Ok(())
    }

    /// Bitset of the offers no checkout can see: edge-only (a page bundle's
    /// offers naming a withheld audience) or not approved.
    fn blocked_offers(&self) -> &[u64] {
        self.index.blocked(|| {
            let keys = self.offer_keys();
            let mut bits = vec![0u64; keys.len().div_ceil(64)];
            for (i, key) in (0u32..).zip(keys) {
                if key.edge_only || !key.approved {
                    set(&mut bits, i);
                }
            }
            bits.into()
        })
    }

    /// What `decide` reads of every offer, side by side (made on first use).
    pub(super) fn offer_keys(&self) -> &[OfferKey] {
        self.index.offer_keys(|| {
            self.offers
                .iter()
                .map(|o| OfferKey {
                    tier: o.tier,
                    value: o.value,
                    ln_value: o.value.ln(),
                    approved: o.approval == ApprovalStatus::Approved,
                    edge_only: o.edge_only.is_some(),
                    start_ms: o.schedule.start.map_or(i64::MIN, |t| t.0),
                    end_ms: o.schedule.end.map_or(i64::MAX, |t| t.0),
                    has_rule: o.rule.is_some(),
                    has_audiences: !o.include.is_empty() || !o.exclude.is_empty(),
                })
                .collect()
        })
    }

    /// [`check`](Self::check)'s verdict without the reason, from the offer
    /// key table and the rule memo where they suffice: most offers never
    /// touch their (large) compiled form.
    pub(super) fn eligible_fast(
        &self,
        i: usize,
        key: &OfferKey,
        ctx: &Context,
        env: &Env<'_>,
        ruled_out: bool,
    ) -> bool {
        let now = env.now.0;
        if key.edge_only || !key.approved || now < key.start_ms || now >= key.end_ms {
            return false;
        }
        let rule_done = if key.has_rule {
            match (ruled_out, env.rule_known(i)) {
                (true, _) | (_, Some(false)) => return false,
                (false, known) => known.is_some(),
            }
        } else {
            true
        };
        if rule_done && env.history.is_empty() {
            // Nothing left but audiences: answered from the membership
            // memo, as `check` would, without building a reason.
            return !key.has_audiences || {
                let offer = &self.offers[i];
                env.admits(&offer.include, &offer.exclude)
            };
        }
        self.check(i, ctx, env, ruled_out, false).is_ok()
    }

    /// What rules and checks may ask about this shopper (`ctx` normalized),
    /// with licensed cohorts as `cohorts` allows.
    pub(super) fn env<'a>(
        &'a self,
        ctx: &Context,
        history: &'a History,
        now: Timestamp,
        cohorts: CohortAccess,
    ) -> Env<'a> {
        Env {
            engine: self,
            history,
            now,
            email: ctx
                .emailsha256
                .as_deref()
                .and_then(IdentifierHash::from_hex),
            phone: ctx
                .phone
                .as_deref()
                .and_then(|p| IdentifierHash::of_raw(IdentifierKind::Phone, p)),
            membership: vec![Cell::new(0); self.audiences.len()],
            rules: vec![Cell::new(0); self.index.rule_slots()],
            budget: RuleBudget::per_decision(),
            cohorts,
            probe: None,
        }
    }

    /// Explanations only: the reason for an offer whose `rule` is false
    /// when the rule would hold if the licensed cohorts this decision may
    /// not use were applied and the shopper a member of them — then they,
    /// not the rest of the rule, kept the offer out. The cohorts are still
    /// not looked up.
    fn cohort_detail(&self, rule: &CompiledRule, ctx: &Context, env: &Env<'_>) -> Option<Reason> {
        if !(0..self.audiences.len()).any(|a| env.restriction(a).is_some()) {
            return None;
        }
        // No rule memo: the rule is evaluated directly, once.
        let probe = Env {
            engine: self,
            history: env.history,
            now: env.now,
            email: env.email,
            phone: env.phone,
            membership: vec![Cell::new(0); self.audiences.len()],
            rules: Vec::new(),
            budget: RuleBudget::per_decision(),
            cohorts: env.cohorts,
            probe: Some(Cell::new(None)),
        };
        if rule.matches_within(ctx, &probe, &probe.budget) != Ok(true) {
            return None;
        }
        let audience = probe.probe.as_ref()?.get()?;
        Some(Reason::LicensedCohortRestricted {
            audience: self.audiences.get(audience)?.id.clone(),
            why: env.restriction(audience)?,
        })
    }

    /// Eligibility and history checks, cheapest first; the first failure is
    /// the reason. `ruled_out` is the predicate index's verdict on the rule.
    pub(super) fn check(
        &self,
        i: usize,
        ctx: &Context,
        env: &Env<'_>,
        ruled_out: bool,
        explain: bool,
    ) -> Result<(), Reason> {
        let offer = &self.offers[i];
        // First: whatever else holds, a page cannot decide this offer.
        if let Some(a) = offer.edge_only {
            return Err(Reason::EdgeOnly {
                audience: self.audiences[a].id.clone(),
            });
        }
        if offer.approval != ApprovalStatus::Approved {
            return Err(Reason::CreativeNotApproved {
                status: offer.approval,
            });
        }
        let now = env.now;
        if let Some(start) = offer.schedule.start.filter(|&s| now < s) {
            return Err(Reason::NotStarted { start });
        }
        if let Some(end) = offer.schedule.end.filter(|&e| now >= e) {
            return Err(Reason::Ended { end });
        }
        if let Some(rule) = &offer.rule {
            let holds = if ruled_out {
                Ok(false)
            } else {
                env.rule_holds(i, rule, ctx)
            };
            match holds {
                Ok(true) => {}
                // Without `explain` the reason is dropped unread: skip working
                // it out, and hand back a variant that costs nothing to drop.
                Ok(false) if !explain => return Err(Reason::NoSlot),
                Ok(false) => {
                    return Err(self
                        .cohort_detail(rule, ctx, env)
                        .unwrap_or_else(|| rule_detail(self, i, ctx, env)))
                }
                Err(exceeded) => return Err(Reason::RuleBudget { exceeded }),
            }
        }
        if !offer.include.is_empty() && !offer.include.iter().any(|&a| env.member(a)) {
            if let Some((a, why)) = offer
                .include
                .iter()
                .find_map(|&a| Some((a, env.restriction(a)?)))
            {
                return Err(Reason::LicensedCohortRestricted {
                    audience: self.audiences[a].id.clone(),
                    why,
                });
            }
            let first = offer.include[0];
            let audience = &self.audiences[first];
            return Err(Reason::NotInAudience {
                audience: audience.id.clone(),
                identifier_present: env.identifier(audience.identifier).is_some(),
            });
        }
        if let Some(&a) = offer.exclude.iter().find(|&&a| env.member(a)) {
            return Err(Reason::InSuppressionAudience {
                audience: self.audiences[a].id.clone(),
            });
        }
        let history = env.history;
        if history.is_empty() {
            return Ok(());
        }
        if !offer.repeat_after_accept {
            if let Some(accepted_at) = history.accepted_at(offer.keys.offer) {
                return Err(Reason::AlreadyAccepted { accepted_at });
            }
        }
        if let Some(s) = history.suppressed(offer.keys.offer, offer.suppress_after_decline, now) {
            return Err(Reason::SuppressedAfterDecline {
                declined_at: s.declined_at,
                until: s.until,
            });
        }
        if let Some(hit) = history.first_cap_hit(&offer.caps, &offer.keys, now) {
            return Err(Reason::Capped {
                scope: hit.scope,
                max: hit.max,
                window: hit.window,
                count: hit.count,
            });
        }
        Ok(())
    }
}

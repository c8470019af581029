//! Explanations: a verdict per offer and placement, which part of a rule
//! failed and what it saw, and a sentence for people per reason. Only runs
//! with `explain` on (preview, CLI).

use super::compile::Engine;
use super::decision::{Explanation, Reason, Verdict, Warning};
use super::eligible::Env;
use super::placement::{OfferState, Ranking};
use crate::consent::CohortBlock;
use crate::context::{Context, Field, FieldValue};
#[cfg(feature = "explain")]
use crate::rules::{compile, CompileEnv};
use serde_json::Value;
use std::collections::BTreeMap;
use std::fmt::Write as _;

impl Engine {
    /// Appends a verdict for every offer of the bundle in placement `p`
    /// (an index into the engine's placements), from what the decision
    /// learned of each offer before this placement's winners are marked
    /// shown. An explained decision skips no offer: each one the placement
    /// lists and no earlier placement showed is ineligible or a candidate.
    pub(super) fn explain_placement(
        &self,
        p: usize,
        states: &[OfferState],
        ranking: &Ranking,
        out: &mut Vec<Explanation>,
    ) {
        let placement = &self.placements[p];
        let Ranking {
            candidates, picks, ..
        } = ranking;
        let winners: Vec<u32> = ranking.winners().collect();
        let mut listed = vec![false; self.offers.len()];
        for &i in &placement.offers {
            listed[i as usize] = true;
        }
        let mut candidate_of = vec![None; self.offers.len()];
        for (c, cand) in candidates.iter().enumerate() {
            candidate_of[cand.offer as usize] = Some(c);
        }
        let id = |offer: u32| self.bundle.offers[offer as usize].id.clone();
        for (i, source) in self.bundle.offers.iter().enumerate() {
            let excluded = match &states[i] {
                _ if !listed[i] => Some(Reason::NotInPlacement),
                OfferState::Shown { placement } => Some(Reason::ShownInOtherPlacement {
                    placement: self.placements[*placement].id.clone(),
                }),
                OfferState::Ineligible(reason) => {
                    debug_assert!(reason.is_some(), "an explained check keeps its reason");
                    reason.clone()
                }
                OfferState::Unchecked | OfferState::Eligible | OfferState::Scored(_) => None,
            };
            let candidate = candidate_of[i];
            let pick = candidate.and_then(|c| picks.iter().position(|p| p.candidate == c));
            let (verdict, reason) = match (excluded, pick) {
                (Some(reason), _) => (Verdict::Ineligible, reason),
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
                placement: placement.id.clone(),
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

/// The failing part of offer `i`'s rule: the first false conjunct of a
/// top-level `and` (or the whole rule), with the context values it reads.
/// Conjuncts are re-evaluated on the decision's budget: a conjunct that runs
/// out of it is not the one reported.
pub(crate) fn rule_detail(engine: &Engine, i: usize, ctx: &Context, env: &Env<'_>) -> Reason {
    let source = &engine.bundle.offers[i];
    // A compiled form carries the rule's source as text beside the compiled
    // rule, unparsed: text that is not JSON explains as `null`.
    let rule = source
        .eligibility
        .as_ref()
        .and_then(|text| text.to_value().ok())
        .unwrap_or(Value::Null);
    let failing = failing_part(engine, &source.id, rule, ctx, env);
    let mut seen = BTreeMap::new();
    collect_vars(&failing, ctx, &mut seen);
    // An attribute the rule saw as absent because reading dropped it: the
    // likeliest reason the rule is false, so the explanation says so.
    let mut dropped = Vec::new();
    for (name, value) in &seen {
        if let Some(w) = ctx.warnings.about(name).filter(|_| value.is_null()) {
            dropped.push(Warning::from(w));
        }
    }
    Reason::RuleFalse {
        rule: failing,
        seen,
        dropped,
    }
}

/// The first false conjunct of a top-level `and`, else the whole rule. It
/// compiles each conjunct afresh: the page build, which never explains (the
/// preview and the CLI do) and carries no JSONLogic compiler (its rules come
/// compiled in the compiled form), names the whole rule instead.
#[cfg(feature = "explain")]
fn failing_part(
    engine: &Engine,
    offer_id: &str,
    rule: Value,
    ctx: &Context,
    env: &Env<'_>,
) -> Value {
    let audience_index = |id: &str| engine.audiences.iter().position(|a| a.id == id);
    match rule.get("and").and_then(Value::as_array) {
        Some(conjuncts) if rule.as_object().is_some_and(|o| o.len() == 1) => conjuncts
            .iter()
            .find(|part| {
                compile(part, &CompileEnv::checkout(offer_id, &audience_index))
                    .map(|c| c.matches_within(ctx, env, &env.budget) == Ok(false))
                    .unwrap_or(false)
            })
            .cloned()
            .unwrap_or(rule),
        _ => rule,
    }
}

#[cfg(not(feature = "explain"))]
fn failing_part(_: &Engine, _: &str, rule: Value, _: &Context, _: &Env<'_>) -> Value {
    rule
}

/// Records the context value of every `{"var": …}` in `rule`.
fn collect_vars(rule: &Value, ctx: &Context, seen: &mut BTreeMap<String, Value>) {
    match rule {
        Value::Object(map) => {
            for (op, args) in map {
                if op == "var" {
                    let path = match args {
                        Value::String(s) => Some(s.as_str()),
                        Value::Array(a) => a.first().and_then(Value::as_str),
                        _ => None,
                    };
                    if let Some(path) = path.filter(|p| !p.is_empty()) {
                        seen.insert(path.to_string(), lookup(ctx, path));
                    }
                } else {
                    collect_vars(args, ctx, seen);
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| collect_vars(v, ctx, seen)),
        _ => {}
    }
}

fn lookup(ctx: &Context, path: &str) -> Value {
    if let Some(name) = path.strip_prefix("custom.") {
        return ctx.custom.get(name).cloned().unwrap_or(Value::Null);
    }
    match Field::from_name(path) {
        // Identifiers are never echoed back, not even in explanations.
        Some(Field::Email | Field::Phone | Field::EmailSha256) => {
            Value::String("(redacted)".into())
        }
        Some(field) => match ctx.get(field) {
            Some(FieldValue::Text(t)) => Value::String(t.to_string()),
            Some(FieldValue::Number(n)) => {
                serde_json::Number::from_f64(n).map_or(Value::Null, Value::Number)
            }
            None => Value::Null,
        },
        None => Value::Null,
    }
}

/// One sentence per reason, e.g. `capped by advertiser 1/day (seen 1)`.
pub(crate) fn message(reason: &Reason) -> String {
    match reason {
        Reason::Shown { rank } => format!("shown at rank {rank}"),
        Reason::NotInPlacement => "not configured for this placement".into(),
        Reason::EdgeOnly { audience } => {
            format!("audience {audience} is confidential: decided at the edge only")
        }
        Reason::CreativeNotApproved { status } => {
            format!("creative not approved (status {status:?})").to_lowercase()
        }
        Reason::NotStarted { start } => format!("scheduled to start at {start}"),
        Reason::Ended { end } => format!("schedule ended at {end}"),
        Reason::RuleFalse {
            rule,
            seen,
            dropped,
        } => {
            let mut text = format!("eligibility rule false: {rule}");
            if !seen.is_empty() {
                text.push_str(" (saw ");
                for (i, (k, v)) in seen.iter().enumerate() {
                    let _ = write!(text, "{}{k}={v}", if i > 0 { ", " } else { "" });
                }
                text.push(')');
            }
            for w in dropped {
                let attribute = w.attribute.as_deref().unwrap_or_default();
                let _ = write!(text, "; {attribute} was sent but dropped: {}", w.message);
            }
            text
        }
        Reason::RuleBudget { exceeded } => {
            format!(
                "eligibility rule ran out of budget: {}",
                exceeded.describe()
            )
        }
        Reason::NotInAudience {
            audience,
            identifier_present: true,
        } => format!("not in audience {audience}"),
        Reason::NotInAudience {
            audience,
            identifier_present: false,
        } => {
            format!("not in audience {audience} (the context has no identifier for it)")
        }
        Reason::LicensedCohortRestricted { audience, why } => {
            let why = match why {
                CohortBlock::Consent => "the shopper's consent does not allow personalization",
                CohortBlock::Region => {
                    "the shopper is outside its licence (never in the EU or the UK)"
                }
                CohortBlock::UnknownRegion => "the shopper's country is unknown",
            };
            format!("licensed cohort {audience} not applied: {why}")
        }
        Reason::InSuppressionAudience { audience } => format!("on suppression list {audience}"),
        Reason::AlreadyAccepted { accepted_at } => format!("already accepted on {accepted_at}"),
        Reason::SuppressedAfterDecline {
            declined_at,
            until: Some(until),
        } => {
            format!("suppressed after decline on {declined_at} until {until}")
        }
        Reason::SuppressedAfterDecline {
            declined_at,
            until: None,
        } => {
            format!("suppressed after decline on {declined_at} (for good)")
        }
        Reason::Capped {
            scope,
            max,
            window,
            count,
        } => {
            format!(
                "capped by {} {max}/{} (seen {count})",
                scope.name(),
                window.name()
            )
        }
        Reason::ShownInOtherPlacement { placement } => {
            format!("already shown in placement {placement}")
        }
        Reason::AdvertiserAlreadyShown { by_offer } => {
            format!("advertiser already shown by offer {by_offer}")
        }
        Reason::Outranked {
            by_offer,
            by_tier,
            by_score,
        } => {
            format!("outranked by offer {by_offer} (tier {by_tier}, score {by_score:.4})")
        }
        Reason::NoSlot => "no slot left in this placement".into(),
    }
}

//! Author-time checks of a parsed bundle (`offer-edge validate`): every
//! error `sign` would stop at, where the core can tell, and warnings about
//! what is valid but cannot do what its author meant.
//!
//! | code | severity | what |
//! | --- | --- | --- |
//! | any [`ErrorCode`] (`SCHEMA_INVALID`, `RULE_INVALID`, `TEMPLATE_INVALID`…) | error | what [`validate`] or [`Engine::compile`] refuses |
//! | `CREATIVE_NOT_APPROVED` | error | one per creative that is not `approved` (`sign` refuses the bundle) |
//! | `OFFER_NO_PLACEMENT` | warning | the offer is in no placement that exists |
//! | `SCHEDULE_OUTSIDE_BUNDLE` | warning | the schedule ends before `issuedAt` or starts at/after `expiresAt` |
//! | `RULE_NEVER_MATCHES` | warning | the eligibility rule is constantly false (a falsy literal, contradictory constraints) |
//! | `AUDIENCE_EMPTY` | warning | an inclusion audience has no members: nobody is in it |
//! | `CAP_ZERO` | warning | a cap allows 0 impressions: the offer never shows |
//! | `CAP_NEVER_BINDS` | warning | a cap over a shorter window allows at least as many as one over a longer window of the same scope |
//! | `TEMPLATE_NEAR_BUDGET` | warning | a template's worst case is over 3/4 of its render budget |
//!
//! Why a core module and not the CLI: the checks reuse the compiler's rule
//! analysis and the templates' worst-case sizes, which are crate-private.
//! Native only (`cli`): pages and the edge never lint, so no wasm bytes.
//! The codes are stable: tools match on them, never on messages.

use super::model::{ApprovalStatus, Bundle, CapWindow, Offer};
use super::validate;
use crate::audience::AudienceFilter;
use crate::decide::Engine;
use crate::error::{Error, ErrorCode};
use crate::limits::{MAX_CAPS_PER_OFFER, MAX_RENDERED_BYTES};
use crate::rules::{compile, CompileEnv, ConstraintKind, NumericRange};
use crate::time::tzdb::{zone_offsets, TIME_ZONE_MARGIN};
use serde::Serialize;
use std::collections::HashMap;

mod locate;

pub use locate::path_key;
use locate::{locate, Ids};

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// `sign` refuses the bundle.
    Error,
    /// The bundle is valid, but part of it cannot do what it says.
    Warning,
}

/// One problem found in a bundle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// Stable code (see the module table).
    pub code: &'static str,
    /// Error or warning.
    pub severity: Severity,
    /// JSONPath of the offending value (`$.offers[3].caps[0].max`).
    pub path: String,
    /// What is wrong, for people.
    pub message: String,
}

/// The offer can appear in no placement that exists.
pub const OFFER_NO_PLACEMENT: &str = "OFFER_NO_PLACEMENT";
/// The offer's schedule lies outside the bundle's validity.
pub const SCHEDULE_OUTSIDE_BUNDLE: &str = "SCHEDULE_OUTSIDE_BUNDLE";
/// The eligibility rule can never be true.
pub const RULE_NEVER_MATCHES: &str = "RULE_NEVER_MATCHES";
/// An inclusion audience has no members.
pub const AUDIENCE_EMPTY: &str = "AUDIENCE_EMPTY";
/// A cap allows no impression at all.
pub const CAP_ZERO: &str = "CAP_ZERO";
/// A cap is always looser than another cap of the offer.
pub const CAP_NEVER_BINDS: &str = "CAP_NEVER_BINDS";
/// A template's worst case is close to its render budget.
pub const TEMPLATE_NEAR_BUDGET: &str = "TEMPLATE_NEAR_BUDGET";

/// A worst case above this share of [`MAX_RENDERED_BYTES`] is "close to"
/// the budget: one more field or a longer creative tips it over.
const NEAR_BUDGET_NUMERATOR: usize = 3;
const NEAR_BUDGET_DENOMINATOR: usize = 4;

/// Every error and warning about `bundle`, errors first.
///
/// Errors: the first failure of [`validate`] (run as if every creative were
/// approved, so the approvals, reported per creative, do not hide the
/// rest), every offer's rule that does not compile, then the first failure
/// of [`Engine::compile`] (layouts, templates, audiences, model) when the
/// earlier checks passed. Warnings: see [`lint`].
pub fn check(bundle: &Bundle) -> Vec<Finding> {
    let ids = Ids::new(bundle);
    let mut findings = approvals(bundle);
    let mut approved = bundle.clone();
    for offer in &mut approved.offers {
        offer.creative.approval.status = ApprovalStatus::Approved;
    }
    // A draft names its zone; `sign` embeds the zone's offsets (hosts have
    // no tz database). Do the same, or a draft would be refused for lacking
    // what signing adds.
    if let Some(zone) = &approved.time_zone {
        let until = approved.expires_at.plus(TIME_ZONE_MARGIN);
        match zone_offsets(zone, approved.issued_at, until) {
            Ok(table) => approved.time_zone_offsets = Some(table),
            Err(e) => findings.push(error_finding(&ids, &e)),
        }
    }
    let valid = match validate(&approved) {
        Ok(()) => true,
        Err(e) => {
            findings.push(error_finding(&ids, &e));
            false
        }
    };
    let rules_compile = rule_errors(&ids, &mut findings);
    let engine = if valid && rules_compile {
        match Engine::compile(approved, &[0; 32]) {
            Ok(engine) => Some(engine),
            Err(e) => {
                findings.push(error_finding(&ids, &e));
                None
            }
        }
    } else {
        None
    };
    findings.extend(lint_with(&ids));
    if let Some(engine) = &engine {
        findings.extend(template_budgets(engine));
    }
    findings.sort_by_key(|f| f.severity);
    findings
}

/// The warnings that need no compiled engine: placements, schedules,
/// rules, audiences and caps (see the module table). Template budgets need
/// the compiled templates: [`check`] adds them.
pub fn lint(bundle: &Bundle) -> Vec<Finding> {
    lint_with(&Ids::new(bundle))
}

fn lint_with(ids: &Ids<'_>) -> Vec<Finding> {
    let bundle = ids.bundle;
    let mut out = Vec::new();
    // Audience index → whether it has no members, decoded once each.
    let mut empty = HashMap::new();
    for (i, offer) in bundle.offers.iter().enumerate() {
        let at = format!("$.offers[{i}]");
        placement(ids, offer, &at, &mut out);
        schedule(bundle, offer, &at, &mut out);
        rule(ids, offer, &at, &mut out);
        audiences(ids, &mut empty, offer, &at, &mut out);
        caps(offer, &at, &mut out);
    }
    out
}

/// How a unit enum is spelt in the bundle (`pending`, `day`).
fn json_name<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(name)) => name,
        _ => String::from("?"),
    }
}

fn warning(code: &'static str, path: String, message: String) -> Finding {
    Finding {
        code,
        severity: Severity::Warning,
        path,
        message,
    }
}

fn error_finding(ids: &Ids<'_>, e: &Error) -> Finding {
    Finding {
        code: e.code().as_str(),
        severity: Severity::Error,
        path: locate(ids, e.message()),
        message: e.message().to_owned(),
    }
}

fn approvals(bundle: &Bundle) -> Vec<Finding> {
    let unapproved = bundle
        .offers
        .iter()
        .enumerate()
        .filter(|(_, o)| o.creative.approval.status != ApprovalStatus::Approved);
    unapproved
        .map(|(i, o)| Finding {
            code: ErrorCode::CreativeNotApproved.as_str(),
            severity: Severity::Error,
            path: format!("$.offers[{i}].creative.approval.status"),
            message: format!(
                "creative {:?} of offer {:?} is {}, not approved: `sign` refuses the bundle",
                o.creative.id,
                o.id,
                json_name(&o.creative.approval.status)
            ),
        })
        .collect()
}

/// Compiles every offer's rule on its own, so each bad rule is reported
/// (the engine stops at the first). False when any failed.
fn rule_errors(ids: &Ids<'_>, out: &mut Vec<Finding>) -> bool {
    let lookup = |id: &str| ids.audiences.get(id).copied();
    let mut ok = true;
    for offer in &ids.bundle.offers {
        let Some(text) = &offer.eligibility else {
            continue;
        };
        let compiled = text
            .to_value()
            .and_then(|rule| compile(&rule, &CompileEnv::checkout(&offer.id, &lookup)));
        if let Err(e) = compiled {
            out.push(error_finding(ids, &e));
            ok = false;
        }
    }
    ok
}

fn placement(ids: &Ids<'_>, offer: &Offer, at: &str, out: &mut Vec<Finding>) {
    let shown = if offer.placements.is_empty() {
        !ids.placements.is_empty()
    } else {
        offer
            .placements
            .iter()
            .any(|p| ids.placements.contains_key(p.as_str()))
    };
    if !shown {
        out.push(warning(
            OFFER_NO_PLACEMENT,
            format!("{at}.placements"),
            format!(
                "offer {:?} is in no placement that exists: it can never show",
                offer.id
            ),
        ));
    }
}

fn schedule(bundle: &Bundle, offer: &Offer, at: &str, out: &mut Vec<Finding>) {
    if let Some(end) = offer.schedule.end.filter(|end| *end <= bundle.issued_at) {
        out.push(warning(
            SCHEDULE_OUTSIDE_BUNDLE,
            format!("{at}.schedule.end"),
            format!(
                "offer {:?} ends at {end}, before the bundle is issued ({}): it can never show",
                offer.id, bundle.issued_at
            ),
        ));
    }
    if let Some(start) = offer.schedule.start.filter(|s| *s >= bundle.expires_at) {
        out.push(warning(
            SCHEDULE_OUTSIDE_BUNDLE,
            format!("{at}.schedule.start"),
            format!(
                "offer {:?} starts at {start}, when the bundle has expired ({}): it can never show",
                offer.id, bundle.expires_at
            ),
        ));
    }
}

/// Whether no number lies in `range`.
fn is_empty(range: &NumericRange) -> bool {
    let (lo, hi) = (range.lower, range.upper);
    lo.value > hi.value || (lo.value == hi.value && (lo.strict || hi.strict))
}

fn rule(ids: &Ids<'_>, offer: &Offer, at: &str, out: &mut Vec<Finding>) {
    let Some(text) = &offer.eligibility else {
        return;
    };
    let path = format!("{at}.eligibility");
    // JSONLogic's falsy literals (json-logic-js truthiness).
    if matches!(
        text.as_str(),
        "false" | "null" | "0" | "0.0" | "\"\"" | "[]"
    ) {
        out.push(warning(
            RULE_NEVER_MATCHES,
            path,
            format!(
                "offer {:?}: the rule is the falsy literal {}",
                offer.id,
                text.as_str()
            ),
        ));
        return;
    }
    let lookup = |id: &str| ids.audiences.get(id).copied();
    let Ok(compiled) = text
        .to_value()
        .and_then(|rule| compile(&rule, &CompileEnv::checkout(&offer.id, &lookup)))
    else {
        return; // reported as an error by `check`
    };
    // The compiler's index analysis: constraints every match satisfies.
    let contradiction = compiled
        .required_values()
        .into_iter()
        .find(|c| c.kind == ConstraintKind::In && c.values.is_empty())
        .map(|c| {
            format!(
                "no value of {:?} satisfies all its conditions",
                c.field.name()
            )
        })
        .or_else(|| {
            compiled
                .required_ranges()
                .iter()
                .find(|r| is_empty(r))
                .map(|r| format!("no number satisfies all the bounds on {:?}", r.field.name()))
        });
    if let Some(why) = contradiction {
        out.push(warning(
            RULE_NEVER_MATCHES,
            path,
            format!("offer {:?}: the rule can never match: {why}", offer.id),
        ));
    }
}

fn audiences(
    ids: &Ids<'_>,
    empty: &mut HashMap<usize, bool>,
    offer: &Offer,
    at: &str,
    out: &mut Vec<Finding>,
) {
    let bundle = ids.bundle;
    for (j, id) in offer.audiences.include.iter().enumerate() {
        let Some(&index) = ids.audiences.get(id.as_str()) else {
            continue; // unknown: an error from `validate`
        };
        let Some(audience) = bundle.audiences.get(index) else {
            continue;
        };
        if audience.withheld(bundle.edition) {
            continue; // a page bundle cannot tell
        }
        let has_none = *empty.entry(index).or_insert_with(|| {
            AudienceFilter::from_bundle_audience(audience).is_ok_and(|f| f.members() == 0)
        });
        if has_none {
            out.push(warning(
                AUDIENCE_EMPTY,
                format!("{at}.audiences.include[{j}]"),
                format!(
                    "offer {:?} requires audience {id:?}, which has no members: it can never show",
                    offer.id
                ),
            ));
        }
    }
}

/// A window's length in hours, for comparing caps (`None`: a session,
/// which is as long as the host says and compares with nothing).
fn window_hours(window: CapWindow) -> Option<u64> {
    match window {
        CapWindow::Session => None,
        CapWindow::Hour => Some(1),
        CapWindow::Day => Some(24),
        CapWindow::Week => Some(24 * 7),
        CapWindow::Month => Some(24 * 30),
        CapWindow::Lifetime => Some(u64::MAX),
    }
}

fn caps(offer: &Offer, at: &str, out: &mut Vec<Finding>) {
    // Compared pairwise below: only as many as `validate` allows.
    let within_limit = offer.caps.len() <= MAX_CAPS_PER_OFFER;
    for (j, cap) in offer.caps.iter().enumerate() {
        if cap.max == 0 {
            out.push(warning(
                CAP_ZERO,
                format!("{at}.caps[{j}].max"),
                format!(
                    "offer {:?}: a cap of 0 impressions per {} means it never shows",
                    offer.id,
                    json_name(&cap.window)
                ),
            ));
            continue;
        }
        // A longer window counts every impression a shorter one does, so
        // a shorter-window cap that allows as many never limits anything.
        let Some(hours) = window_hours(cap.window).filter(|_| within_limit) else {
            continue;
        };
        let tighter = offer.caps.iter().find(|other| {
            other.scope == cap.scope
                && other.max <= cap.max
                && window_hours(other.window).is_some_and(|h| h > hours)
        });
        if let Some(other) = tighter {
            out.push(warning(
                CAP_NEVER_BINDS,
                format!("{at}.caps[{j}]"),
                format!(
                    "offer {:?}: at most {} per {} never binds: the {} cap allows only {}",
                    offer.id,
                    cap.max,
                    json_name(&cap.window),
                    json_name(&other.window),
                    other.max
                ),
            ));
        }
    }
}

/// Warns about templates whose worst case is near [`MAX_RENDERED_BYTES`]
/// (over it, `Engine::compile` refused them).
fn template_budgets(engine: &Engine) -> Vec<Finding> {
    let near = MAX_RENDERED_BYTES / NEAR_BUDGET_DENOMINATOR * NEAR_BUDGET_NUMERATOR;
    let mut out = Vec::new();
    let mut note = |path: String, max: Option<usize>| {
        if let Some(max) = max.filter(|m| *m > near) {
            out.push(warning(
                TEMPLATE_NEAR_BUDGET,
                path,
                format!(
                    "this template renders up to {max} bytes in the worst case, close to the \
                     budget of {MAX_RENDERED_BYTES} (docs/TEMPLATES.md)"
                ),
            ));
        }
    };
    for (i, p) in engine.placements.iter().enumerate() {
        note(format!("$.placements[{i}].layout"), p.layout.max_len());
    }
    for (i, o) in engine.offers.iter().enumerate() {
        let f = &o.fields;
        let at = format!("$.offers[{i}].creative");
        for (name, t) in [
            ("headline", Some(&f.headline)),
            ("body", Some(&f.body)),
            ("cta", Some(&f.cta)),
        ]
        .into_iter()
        .chain([
            ("declineLabel", f.decline_label.as_ref()),
            ("imageAlt", f.image_alt.as_ref()),
            ("terms", f.terms.as_ref()),
        ]) {
            if let Some(t) = t {
                note(format!("{at}.fields.{name}"), t.max_len());
            }
        }
        if let Some(email) = &o.email {
            note(
                format!("{at}.confirmationEmail.subject"),
                email.subject.max_len(),
            );
            note(format!("{at}.confirmationEmail.html"), email.html.max_len());
            note(format!("{at}.confirmationEmail.text"), email.text.max_len());
        }
    }
    out
}

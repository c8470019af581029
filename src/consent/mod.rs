//! Consent: what the shopper's privacy signals let one decision use and
//! keep, resolved in one place so every host (page, edge, CLI) applies the
//! same effects — the Engine applies them, hosts only pass the signals
//! ([`Consent`], `DecideOptions.consent`) and act on the outcome
//! (`Decision.privacy`, a [`ConsentState`]). docs/PRIVACY.md, "Consent".
//!
//! ```text
//! sale_opt_out    = gpc
//!                 ∨ usPrivacy's third character is Y            (usp)
//!                 ∨ a GPP US section says sale / sharing /
//!                   targeted advertising opted out, or its GPC  (gpp)
//!                 ∨ usPrivacy or gpp is malformed               (fail closed, with a warning)
//! personalization = consent.personalization (default true) ∧ ¬sale_opt_out
//! measurement     = consent.measurement (default true)     ∧ ¬sale_opt_out
//! ```
//!
//! | state | lookalike model | licensed cohorts | history writes | events |
//! |---|---|---|---|---|
//! | personalization off | every feature ignored: scores from intercepts only | never match | as measurement says | as measurement says |
//! | measurement off | used | used | none: the host keeps its stored history as it was | no per-event rows |
//! | sale opt-out | as personalization off | never | none | aggregate counts only |
//!
//! History is still *read*: caps and "declined, don't show again" protect
//! the shopper whatever the consent.
//!
//! # GPP: a reader of our own (`gpp`)
//! Only the header and the US sections' opt-out fields: ~1.2 KB gzip in
//! each build, where the `iab_gpp` crate measured ~15.7 KB (see `gpp`).

mod gpp;
pub mod region;
mod usp;

pub use region::{CohortAccess, CohortBlock};

use serde::{Deserialize, Serialize};

/// The shopper's privacy signals as a host passes them
/// (`DecideOptions.consent`): every member optional, unknown members
/// refused. An empty `usPrivacy` or `gpp` counts as absent (hosts pass
/// what a missing cookie gives).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct Consent {
    /// Global Privacy Control: `Sec-GPC: 1` at the edge,
    /// `navigator.globalPrivacyControl` in the page. Set: opted out of sale.
    pub gpc: bool,
    /// The IAB US Privacy string, e.g. `1YYN`.
    pub us_privacy: Option<String>,
    /// The IAB GPP string, e.g. `DBABLA~BVVVVVVVVWA`.
    pub gpp: Option<String>,
    /// The shopper's explicit choice about personalization (default: on).
    pub personalization: Option<bool>,
    /// The shopper's explicit choice about measurement (default: on).
    pub measurement: Option<bool>,
}

/// A signal that turned something off (`Decision.privacy.because`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum ConsentSignal {
    /// Global Privacy Control.
    Gpc,
    /// The US Privacy string says opted out of sale.
    UsPrivacy,
    /// A GPP US section says opted out (or its GPC segment is set).
    Gpp,
    /// An explicit `personalization` or `measurement` of `false`.
    Consent,
    /// A `usPrivacy` or `gpp` string that could not be read: treated as
    /// opted out.
    Malformed,
}

/// What a consent state removes (`Decision.privacy.removed`), so hosts act
/// on it without deriving it again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Removed {
    /// The lookalike model's features (scores from intercepts only).
    Lookalike,
    /// Licensed cohorts (never match).
    LicensedCohorts,
    /// History writes (the host keeps its stored history unchanged).
    HistoryWrites,
    /// Per-event rows (aggregate counts only, or nothing).
    EventDetail,
}

/// The consent a decision was made under (`Decision.privacy`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ConsentState {
    /// Opted out of sale or sharing (GPC, US Privacy, GPP, or a malformed
    /// string).
    pub sale_opt_out: bool,
    /// The lookalike model and licensed cohorts may be used.
    pub personalization: bool,
    /// History may be written and events sent per event.
    pub measurement: bool,
    /// Which signals turned something off, each once, in this order: gpc,
    /// usPrivacy, gpp, malformed, consent (the last alone never means an
    /// opt-out of sale).
    pub because: Vec<ConsentSignal>,
    /// What this state removes, in this order: lookalike, licensedCohorts,
    /// historyWrites, eventDetail.
    pub removed: Vec<Removed>,
}

impl Default for ConsentState {
    /// Nothing said: everything allowed.
    fn default() -> Self {
        Self::resolve(&Consent::default()).0
    }
}

/// A string signal: absent when empty.
fn given(s: &Option<String>) -> Option<&str> {
    s.as_deref().filter(|s| !s.is_empty())
}

impl ConsentState {
    /// Resolves the signals. Never fails: a `usPrivacy` or `gpp` string
    /// that cannot be read counts as opted out (fail closed), and each one
    /// is described in the returned list, for the decision's warnings.
    pub fn resolve(consent: &Consent) -> (Self, Vec<String>) {
        let usp = given(&consent.us_privacy).map(usp::opted_out);
        let gpp = given(&consent.gpp).map(gpp::opted_out);
        let mut problems = Vec::new();
        for (name, read) in [("usPrivacy", usp), ("gpp", gpp)] {
            if let Some(Err(why)) = read {
                problems.push(format!(
                    "consent.{name} {why}: treated as opted out of sale"
                ));
            }
        }
        let explicit = consent.personalization == Some(false) || consent.measurement == Some(false);
        use ConsentSignal::*;
        let because: Vec<ConsentSignal> = [
            (consent.gpc, Gpc),
            (usp == Some(Ok(true)), UsPrivacy),
            (gpp == Some(Ok(true)), Gpp),
            (!problems.is_empty(), Malformed),
            (explicit, Consent),
        ]
        .into_iter()
        .filter_map(|(on, signal)| on.then_some(signal))
        .collect();
        let sale_opt_out = because.first().is_some_and(|&s| s != Consent);
        let personalization = consent.personalization != Some(false) && !sale_opt_out;
        let measurement = consent.measurement != Some(false) && !sale_opt_out;
        let removed = [
            (!personalization, Removed::Lookalike),
            (!personalization, Removed::LicensedCohorts),
            (!measurement, Removed::HistoryWrites),
            (!measurement, Removed::EventDetail),
        ]
        .into_iter()
        .filter_map(|(on, what)| on.then_some(what))
        .collect();
        let state = Self {
            sale_opt_out,
            personalization,
            measurement,
            because,
            removed,
        };
        (state, problems)
    }
}

impl ConsentSignal {
    /// The tag as in JSON, e.g. `"usPrivacy"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Gpc => "gpc",
            Self::UsPrivacy => "usPrivacy",
            Self::Gpp => "gpp",
            Self::Consent => "consent",
            Self::Malformed => "malformed",
        }
    }
}

impl Removed {
    /// The tag as in JSON, e.g. `"licensedCohorts"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Lookalike => "lookalike",
            Self::LicensedCohorts => "licensedCohorts",
            Self::HistoryWrites => "historyWrites",
            Self::EventDetail => "eventDetail",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(json: &str) -> (ConsentState, Vec<String>) {
        ConsentState::resolve(&serde_json::from_str(json).unwrap())
    }

    #[test]
    fn nothing_said_allows_everything() {
        let (s, problems) = state("{}");
        assert!(!s.sale_opt_out && s.personalization && s.measurement);
        assert!(s.because.is_empty() && s.removed.is_empty() && problems.is_empty());
        assert_eq!(s, ConsentState::default());
        let (s, _) = state(r#"{"usPrivacy":"","gpp":"","gpc":false,"personalization":true}"#);
        assert_eq!(s, ConsentState::default());
    }

    #[test]
    fn an_opt_out_removes_everything_and_names_its_signals() {
        let (s, problems) = state(
            r#"{"gpc":true,"usPrivacy":"1YYN","gpp":"DBABLA~BVVVVVVVVWA","measurement":false}"#,
        );
        assert!(s.sale_opt_out && !s.personalization && !s.measurement && problems.is_empty());
        use ConsentSignal::*;
        assert_eq!(s.because, [Gpc, UsPrivacy, Gpp, Consent]);
        use Removed::*;
        assert_eq!(
            s.removed,
            [Lookalike, LicensedCohorts, HistoryWrites, EventDetail]
        );
    }

    #[test]
    fn explicit_choices_remove_only_their_part() {
        let (s, _) = state(r#"{"personalization":false}"#);
        assert!(!s.sale_opt_out && !s.personalization && s.measurement);
        assert_eq!(s.because, [ConsentSignal::Consent]);
        assert_eq!(s.removed, [Removed::Lookalike, Removed::LicensedCohorts]);
        let (s, _) = state(r#"{"measurement":false}"#);
        assert!(!s.sale_opt_out && s.personalization && !s.measurement);
        assert_eq!(s.removed, [Removed::HistoryWrites, Removed::EventDetail]);
    }

    #[test]
    fn malformed_strings_fail_closed_with_a_problem_each() {
        let (s, problems) = state(r#"{"usPrivacy":"yes","gpp":"DBABLA~"}"#);
        assert!(s.sale_opt_out && !s.personalization && !s.measurement);
        assert_eq!(s.because, [ConsentSignal::Malformed]);
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(problems[0].starts_with("consent.usPrivacy"));
        assert!(problems[1].starts_with("consent.gpp"));
    }

    #[test]
    fn tags_are_their_json_names() {
        use ConsentSignal::*;
        for s in [Gpc, UsPrivacy, Gpp, Consent, Malformed] {
            assert_eq!(
                serde_json::to_string(&s).unwrap(),
                format!("\"{}\"", s.as_str())
            );
        }
        use Removed::*;
        for r in [Lookalike, LicensedCohorts, HistoryWrites, EventDetail] {
            assert_eq!(
                serde_json::to_string(&r).unwrap(),
                format!("\"{}\"", r.as_str())
            );
        }
    }

    #[test]
    fn unknown_members_are_refused() {
        assert!(serde_json::from_str::<Consent>(r#"{"gdpr":true}"#).is_err());
        assert!(serde_json::from_str::<Consent>(r#"{"gpc":"1"}"#).is_err());
    }
}

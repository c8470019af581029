//! Frequency caps: what a cap counts (its scope) and over which window.
//!
//! The names below are the one spelling of scopes and windows: bundles
//! (`caps`, through serde), rules (`history_count`'s literal arguments) and
//! explanations (`capped: campaign 4 per week`) all read them from
//! [`CapScope::name`] and [`CapWindow::name`]; a test holds serde's
//! `camelCase` spelling to them. The compiled form writes neither name, only
//! a byte per variant (`rules::wire`).

use serde::{Deserialize, Serialize};

/// What a cap counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "cli", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub enum CapScope {
    /// Impressions of this offer.
    Offer,
    /// Impressions of any offer of the campaign.
    Campaign,
    /// Impressions of any offer of the advertiser.
    Advertiser,
}

impl CapScope {
    /// Every scope.
    pub const ALL: [Self; 3] = [Self::Offer, Self::Campaign, Self::Advertiser];

    /// The lower-case name bundles and rules spell this scope with.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Offer => "offer",
            Self::Campaign => "campaign",
            Self::Advertiser => "advertiser",
        }
    }

    /// The scope spelt `name`, if any.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|scope| scope.name() == name)
    }
}

/// The window a cap counts over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "cli", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub enum CapWindow {
    /// The current session (as the host defines it).
    Session,
    /// The last hour.
    Hour,
    /// The last 24 hours.
    Day,
    /// The last 7 days.
    Week,
    /// The last 30 days.
    Month,
    /// Ever (as far as history remembers).
    Lifetime,
}

impl CapWindow {
    /// Every window, shortest first.
    pub const ALL: [Self; 6] = [
        Self::Session,
        Self::Hour,
        Self::Day,
        Self::Week,
        Self::Month,
        Self::Lifetime,
    ];

    /// The lower-case name bundles and rules spell this window with.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Session => "session",
            Self::Hour => "hour",
            Self::Day => "day",
            Self::Week => "week",
            Self::Month => "month",
            Self::Lifetime => "lifetime",
        }
    }

    /// The window spelt `name`, if any.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|window| window.name() == name)
    }
}

/// A frequency cap: at most `max` impressions per `window` within `scope`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "cli", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Cap {
    /// What is counted.
    pub scope: CapScope,
    /// Impressions allowed in the window.
    pub max: u32,
    /// The window.
    pub window: CapWindow,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serde_spells_every_scope_and_window_by_its_name() {
        for scope in CapScope::ALL {
            let json = format!("\"{}\"", scope.name());
            assert_eq!(serde_json::to_string(&scope).unwrap(), json);
            assert_eq!(serde_json::from_str::<CapScope>(&json).unwrap(), scope);
            assert_eq!(CapScope::from_name(scope.name()), Some(scope));
        }
        for window in CapWindow::ALL {
            let json = format!("\"{}\"", window.name());
            assert_eq!(serde_json::to_string(&window).unwrap(), json);
            assert_eq!(serde_json::from_str::<CapWindow>(&json).unwrap(), window);
            assert_eq!(CapWindow::from_name(window.name()), Some(window));
        }
        assert_eq!(CapScope::from_name("Offer"), None);
        assert_eq!(CapWindow::from_name("year"), None);
    }
}

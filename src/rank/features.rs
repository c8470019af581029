//! Context features for the propensity model ("lookalike segments").
//!
//! A feature is `name=value` (`state=CA`, `cartBand=50-100`); a cross joins
//! features with `&` in the order the bundle's `model.crosses` lists them
//! (`ageBand=25-34&state=CA`). Features are hashed (FNV-1a, 64 bit) without
//! building strings, so a decision computes its dozen feature ids with no
//! allocation; the bundle's weights are hashed the same way at compile time.

use crate::error::{Error, ErrorCode, Result};

/// The context dimensions the model knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FeatureName {
    /// Two-letter state / region code.
    State,
    /// Two-letter country code.
    Country,
    /// Age band (see [`crate::context::AGE_BANDS`]).
    AgeBand,
    /// Cart value band (see [`crate::context::CART_BANDS`]).
    CartBand,
    /// Payment type as the partner sends it.
    Payment,
    /// Loyalty tier.
    Loyalty,
    /// `new` or `returning`.
    Customer,
    /// `mobile`, `desktop` or `tablet`.
    Device,
    /// `night`, `morning`, `afternoon`, `evening` in the partner's time zone.
    HourBand,
}

impl FeatureName {
    /// Every feature, in a fixed order.
    pub const ALL: [FeatureName; 9] = [
        Self::State,
        Self::Country,
        Self::AgeBand,
        Self::CartBand,
        Self::Payment,
        Self::Loyalty,
        Self::Customer,
        Self::Device,
        Self::HourBand,
    ];

    /// The name as written in bundles.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::State => "state",
            Self::Country => "country",
            Self::AgeBand => "ageBand",
            Self::CartBand => "cartBand",
            Self::Payment => "payment",
            Self::Loyalty => "loyalty",
            Self::Customer => "customer",
            Self::Device => "device",
            Self::HourBand => "hourBand",
        }
    }

    /// Parses a name as written in bundles.
    ///
    /// # Errors
    /// `SCHEMA_INVALID` for a name the model does not know.
    pub fn parse(name: &str) -> Result<Self> {
        Self::ALL
            .into_iter()
            .find(|f| f.as_str() == name)
            .ok_or_else(|| {
                Error::new(
                    ErrorCode::SchemaInvalid,
                    format!("model: unknown feature {name:?}"),
                )
            })
    }

    const fn index(self) -> usize {
        self as usize
    }
}

/// The feature values of one checkout, borrowed from the context.
#[derive(Debug, Clone, Copy, Default)]
pub struct FeatureValues<'a> {
    values: [Option<&'a str>; 9],
}

impl<'a> FeatureValues<'a> {
    /// Sets one feature (empty strings count as absent).
    pub fn set(&mut self, name: FeatureName, value: Option<&'a str>) -> &mut Self {
        self.values[name.index()] = value.filter(|v| !v.is_empty());
        self
    }

    /// The value of one feature.
    pub fn get(&self, name: FeatureName) -> Option<&'a str> {
        self.values[name.index()]
    }
}

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

fn fnv(mut hash: u64, bytes: &[u8]) -> u64 {
    for &b in bytes {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(FNV_PRIME);
    }
    hash
}

/// The id of a (possibly crossed) feature from its parts.
pub fn feature_id<'p>(parts: impl IntoIterator<Item = (FeatureName, &'p str)>) -> u64 {
    let mut hash = FNV_OFFSET;
    for (i, (name, value)) in parts.into_iter().enumerate() {
        if i > 0 {
            hash = fnv(hash, b"&");
        }
        hash = fnv(hash, name.as_str().as_bytes());
        hash = fnv(hash, b"=");
        hash = fnv(hash, value.as_bytes());
    }
    hash
}

/// Parses a weight key such as `"ageBand=25-34&state=CA"` into its feature id
/// and the names it crosses (in order).
///
/// # Errors
/// `SCHEMA_INVALID` for a malformed key or unknown feature name.
pub fn parse_feature_key(key: &str) -> Result<(u64, Vec<FeatureName>)> {
    let mut parts = Vec::new();
    for part in key.split('&') {
        let (name, value) = part
            .split_once('=')
            .filter(|(_, v)| !v.is_empty())
            .ok_or_else(|| {
                Error::new(
                    ErrorCode::SchemaInvalid,
                    format!("model: feature {key:?} is not name=value"),
                )
            })?;
        parts.push((FeatureName::parse(name)?, value));
    }
    let names = parts.iter().map(|(n, _)| *n).collect();
    Ok((feature_id(parts), names))
}

/// Computes the active feature ids of a checkout into `out` (cleared first):
/// one per present base feature, one per cross whose parts are all present.
pub fn active_features(
    values: &FeatureValues<'_>,
    crosses: &[Vec<FeatureName>],
    out: &mut Vec<u64>,
) {
    out.clear();
    for name in FeatureName::ALL {
        if let Some(v) = values.get(name) {
            out.push(feature_id([(name, v)]));
        }
    }
    'cross: for cross in crosses {
        let mut hash = FNV_OFFSET;
        for (i, &name) in cross.iter().enumerate() {
            let Some(v) = values.get(name) else {
                continue 'cross;
            };
            if i > 0 {
                hash = fnv(hash, b"&");
            }
            hash = fnv(fnv(fnv(hash, name.as_str().as_bytes()), b"="), v.as_bytes());
        }
        out.push(hash);
    }
}

/// Hour band for a local hour 0–23.
pub fn hour_band(hour: u32) -> &'static str {
    match hour {
        0..=5 => "night",
        6..=11 => "morning",
        12..=17 => "afternoon",
        _ => "evening",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_and_context_features_hash_alike() {
        let mut values = FeatureValues::default();
        values
            .set(FeatureName::State, Some("CA"))
            .set(FeatureName::AgeBand, Some("25-34"));
        let crosses = vec![
            vec![FeatureName::AgeBand, FeatureName::State],
            vec![FeatureName::Device, FeatureName::State],
        ];
        let mut active = Vec::new();
        active_features(&values, &crosses, &mut active);
        assert_eq!(active.len(), 3, "two base features and one complete cross");
        for key in ["state=CA", "ageBand=25-34", "ageBand=25-34&state=CA"] {
            assert!(active.contains(&parse_feature_key(key).unwrap().0), "{key}");
        }
        assert!(!active.contains(&parse_feature_key("state=NY").unwrap().0));
    }

    #[test]
    fn malformed_keys_are_refused() {
        for bad in ["stat=CA", "state", "state=", "state=CA&&x=1"] {
            assert_eq!(
                parse_feature_key(bad).unwrap_err().code(),
                ErrorCode::SchemaInvalid,
                "{bad}"
            );
        }
    }

    #[test]
    fn hour_bands() {
        assert_eq!(hour_band(5), "night");
        assert_eq!(hour_band(6), "morning");
        assert_eq!(hour_band(19), "evening");
    }
}

//! Ranking: the propensity model, Thompson-sampling exploration, and the
//! choice of winners per placement.

pub mod beta;
pub mod features;
pub mod model;
pub mod select;

pub use features::{FeatureName, FeatureValues};
pub use model::{expected_upper_bound, sigmoid, CompiledModel};
pub use select::{
    select, shortlist_len, Candidate, Pick, Shortlist, MAX_CONTENDERS, PROPENSITY_DRAWS,
};

//! Ranking: the propensity model, Thompson-sampling exploration, and the
//! choice of winners per placement.

pub mod beta;
pub mod features;
pub mod model;
mod propensity;
pub mod select;
mod wire;

pub use features::{FeatureName, FeatureValues};
pub use model::{expected_upper_bound, sigmoid, CompiledModel};
pub use propensity::PROPENSITY_NODES;
#[cfg(not(target_arch = "wasm32"))]
pub use select::shown_probabilities;
pub use select::{select, shortlist_len, Candidate, Pick, Shortlist, MAX_CONTENDERS};

//! Signed offer bundles: the document model, the DSSE envelope, the pinned
//! trust config, and the store that keeps the last good bundle per partner.

pub mod model;

pub use model::*;

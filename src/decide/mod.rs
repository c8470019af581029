//! The decision pipeline: compile a verified bundle once into an [`Engine`],
//! then `decide` per checkout and `record` engagement into history.

mod decision;
mod eligible;
mod engine;
mod explain;
mod form;
mod fulfil;
mod index;
mod info;
mod placement;
mod record;
mod render;
mod run;
mod scoring;
mod stored;
mod wire;

pub use decision::{
    ActionView, DecidedOffer, Decision, Explanation, PlacementDecision, Reason, RenderedFields,
    Verdict, Warning, WarningCode,
};
pub use engine::Engine;
pub use info::{EdgeOnlyOffer, EngineInfo, OfferSummary, PlacementInfo};
pub use record::Engagement;
pub use run::DecideOptions;
pub use stored::{StoredDecision, StoredHistory};

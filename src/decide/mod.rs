//! The decision pipeline after verification (`src/bundle/verify.rs`):
//! `compile.rs` turns a verified bundle once into an [`Engine`]; `run.rs`
//! decides per checkout (with `eligible.rs`, `scoring.rs`, `placement.rs`);
//! `render.rs` fills the templates; `record.rs` records engagement into
//! history (the events themselves are `src/events.rs`); `stored.rs` runs
//! decide and record over the blob a host stores per shopper.

mod compile;
mod decision;
mod eligible;
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

pub use compile::Engine;
pub use decision::{
    ActionView, DecidedOffer, Decision, Explanation, PlacementDecision, Reason, RenderedFields,
    Verdict, Warning, WarningCode,
};
pub use info::{EdgeOnlyOffer, EngineInfo, OfferSummary, PlacementInfo};
pub use record::{check_replay_count, Engagement, TimedEngagement};
pub use run::DecideOptions;
pub use stored::{StoredDecision, StoredHistory};

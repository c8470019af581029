//! offer-edge: decide which offers a shopper sees, from a signed bundle, in
//! the browser, at the edge, or natively.
//!
//! The core is pure: no clock, no randomness, no I/O. Time, entropy, stored
//! history and bundle bytes are passed in; decisions, new history and events
//! come out. Hosts own fetching, storage and sending. See ARCHITECTURE.md.
#![forbid(unsafe_code)]

pub mod attest;
pub mod audience;
pub mod bundle;
pub mod consent;
pub mod context;
pub mod decide;
pub mod email;
pub mod error;
pub mod events;
pub mod history;
// Offline evaluation and training from exported events: native tools only,
// never in a WebAssembly build.
#[cfg(not(target_arch = "wasm32"))]
pub mod learn;
pub mod limits;
pub mod rank;
pub mod receipt;
pub mod rng;
pub mod rules;
pub mod seal;
pub mod template;
pub mod time;
mod wire;

#[cfg(feature = "cli")]
pub mod demo;

pub use error::{Error, ErrorCode, Result};

#[cfg(all(feature = "wasm", target_arch = "wasm32"))]
pub mod wasm;

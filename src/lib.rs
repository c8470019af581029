//! offer-edge: decide which offers a shopper sees, from a signed bundle, in
//! the browser, at the edge, or natively.
//!
//! The core is pure: no clock, no randomness, no I/O. Time, entropy, stored
//! history and bundle bytes are passed in; decisions, new history and events
//! come out. Hosts own fetching, storage and sending. See ARCHITECTURE.md.
#![forbid(unsafe_code)]

pub mod bundle;
#[cfg(feature = "cli")]
pub mod demo;
pub mod error;
pub mod limits;
pub mod time;

pub use error::{Error, ErrorCode, Result};

#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The core compiled to wasm32 and run where it ships: Node and headless
//! Chromium (through `wasm-bindgen-test-runner`, see `.cargo/config.toml`).
//! The same tests also run natively (`cargo test --test wasm`), which proves
//! the assertions themselves before the wasm runs compare behaviour.
//!
//! Run (what `scripts/test` does):
//! ```text
//! cargo test --test wasm                                     # native
//! cargo test --target wasm32-unknown-unknown --no-default-features \
//!     --features wasm --test wasm                            # Node
//! CHROMEDRIVER=/usr/bin/chromedriver WASM_BINDGEN_USE_BROWSER=1 \
//!   cargo test --target wasm32-unknown-unknown --no-default-features \
//!     --features wasm --test wasm                            # Chromium
//! ```
//!
//! Adding a fixture-driven suite (e.g. `tests/fixtures/decide/*.json`): list
//! the files in `fixtures.rs` (a native test fails when one is missing) and
//! add a module here that loops over the list.

/// Declares test functions that run under `#[test]` natively and under
/// `#[wasm_bindgen_test]` on wasm32.
macro_rules! tests {
    ($( $(#[$meta:meta])* fn $name:ident() $body:block )*) => {
        $(
            $(#[$meta])*
            #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
            #[cfg_attr(not(target_arch = "wasm32"), test)]
            fn $name() $body
        )*
    };
}

mod attest;
mod bundles;
mod decide;
mod expiry;
mod fixtures;
mod hpke_kat;
mod rank;
mod receipts;
mod rules;
mod seal;
mod time;

// The JS binding itself (entropy from crypto.getRandomValues, JS Errors):
// only where it exists, i.e. wasm32 with the `wasm` feature.
#[cfg(all(target_arch = "wasm32", feature = "wasm"))]
mod binding;
#[cfg(all(target_arch = "wasm32", feature = "wasm"))]
mod js;
#[cfg(all(target_arch = "wasm32", feature = "wasm"))]
mod page;

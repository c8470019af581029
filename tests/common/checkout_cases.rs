//! The shape of the shared checkout fixtures (`tests/fixtures/checkout/`):
//! `tests/attest.rs` writes them, `tests/wasm/attest.rs` runs them on
//! wasm32. Both include this file by `#[path]`, so the writer and the
//! reader cannot disagree on a field. No file system here: it compiles for
//! wasm32.

use serde::{Deserialize, Serialize};

/// One token case of `tokens.json`: `expect` is the verified claims or
/// `{"error": CODE}` (typed by the writer, plain JSON for the wasm reader).
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Case<E> {
    pub description: String,
    pub token: String,
    pub partner: String,
    pub now_ms: i64,
    pub expect: E,
}

/// One attested email hash vector of `emails.json`.
#[derive(Serialize, Deserialize)]
pub struct EmailCase {
    pub partner: String,
    pub email: String,
    pub eh: String,
}

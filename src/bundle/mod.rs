//! Signed offer bundles, the pipeline's first two stages: the document model
//! (`model.rs`, `model/`) and its verification (`verify.rs`) — the DSSE
//! envelope of format v1 (`envelope.rs`) or the signed manifest of format v2
//! (`manifest.rs`), checked against the pinned trust config (`trust.rs`).
//! Also here: the store that keeps the last good bundle per partner
//! (`store.rs`), compiled forms (`form.rs`) and page bundles (`page.rs`, the
//! edition without confidential audiences that browsers get). The next
//! stage, compiling a verified bundle, is `src/decide/compile.rs`.

pub mod compact_map;
pub mod envelope;
pub mod form;
pub mod inspect;
pub mod keyset;
#[cfg(feature = "cli")]
pub mod lint;
pub mod manifest;
pub mod model;
pub mod page;
#[cfg(feature = "cli")]
pub mod page_edition;
pub mod store;
pub mod trust;
pub mod validate;
pub mod verify;
mod wire;

pub use compact_map::CompactMap;
pub use envelope::{Envelope, EnvelopeSignature};
pub use form::{assemble_form, is_form_file, verify_form, VerifiedForm};
pub use keyset::{Keyset, KEYSET_PAYLOAD_TYPE};
pub use manifest::{CompiledDigest, Manifest, MANIFEST_PAYLOAD_TYPE};
pub use model::*;
pub use page::verify_page_bundle;
#[cfg(feature = "cli")]
pub use page_edition::page_edition;
pub use store::{BundleStore, Compile, LoadOutcome, StoreState};
pub use trust::{Trust, TrustDoc};
pub use validate::validate;
pub use verify::{verify_bundle, Verification, VerifiedBundle};

//! Signed offer bundles: the document model, the DSSE envelope (format v1),
//! the signed manifest (format v2), the pinned trust config, the store
//! that keeps the last good bundle per partner, and page bundles (the edition
//! without confidential audiences that browsers get).

pub mod compact_map;
pub mod envelope;
pub mod form;
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
pub use store::{
    verify_bundle, BundleStore, Compile, LoadOutcome, StoreState, Verification, VerifiedBundle,
};
pub use trust::{Trust, TrustDoc};
pub use validate::validate;

//! Page bundles: the edition of a bundle that browsers get.
//!
//! A confidential audience (an advertiser's customer list, a licensed cohort)
//! must not reach browsers: its filter and salt let anyone test whether an
//! email is on the list. `sign` therefore writes two signed files for a
//! bundle that has one (`page_edition`):
//!
//! | edition | who gets it | confidential audiences | offers naming one |
//! |---|---|---|---|
//! | `full` (the bundle as written) | the edge, the CLI | filter and salt | decided as usual |
//! | `page` (`"edition": "page"`) | pages, the preview | no filter, no salt | edge-only: never shown by a page decision |
//!
//! Both carry the same partner, version and dates and are signed by the same
//! keys. A host that serves bundles to pages serves the page edition and
//! checks first that it is the page edition of the bundle it decides with
//! ([`verify_page_bundle`]).
//!
//! Writing the page edition is the signing tool's job (`page_edition`,
//! native builds with the `cli` feature); checking one is every host's.

use super::model::{Bundle, Edition};
use super::trust::Trust;
use super::verify::{differing_claim, verify_bundle, Claims, Verification, VerifiedBundle};
use crate::error::{Error, ErrorCode, Result};
use crate::time::Timestamp;

fn mismatch(message: String) -> Error {
    Error::new(ErrorCode::PageBundleMismatch, message)
}

/// Verifies signed `bytes` against `trust` at `now` as a page bundle for the
/// full bundle `full` (the one the host decides with): every check of
/// [`verify_bundle`] (no rollback floor: the version must equal `full`'s),
/// then that it is a page edition with `full`'s partner, version and dates.
///
/// # Errors
/// Whatever [`verify_bundle`] refuses; `PAGE_BUNDLE_MISMATCH` when the
/// bundle is a full edition or describes another bundle than `full`.
pub fn verify_page_bundle(
    trust: &Trust,
    bytes: &[u8],
    now: Timestamp,
    full: &Bundle,
) -> Result<VerifiedBundle> {
    let verified = match verify_bundle(trust, bytes, now, None)? {
        Verification::New(verified) => *verified,
        // Only a rollback floor makes a bundle "unchanged"; none was given.
        Verification::Unchanged { version } => {
            return Err(mismatch(format!(
                "page bundle version {version} was not verified"
            )))
        }
    };
    let page = &verified.bundle;
    if page.edition != Edition::Page {
        return Err(mismatch(
            "a full bundle is not a page bundle: it would hand confidential audiences to pages"
                .to_owned(),
        ));
    }
    match differing_claim(Claims::of(page), Claims::of(full)) {
        Some(field) => Err(mismatch(format!(
            "the page bundle's {field} differs from the active bundle's (version {} of {})",
            full.version, full.partner
        ))),
        None => Ok(verified),
    }
}

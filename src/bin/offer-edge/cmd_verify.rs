//! `offer-edge verify`: every check the engine runs before trusting a bundle.

use crate::io::{instant, pretty, read, write_atomic};
use offer_edge::bundle::manifest::format_name;
use offer_edge::bundle::Edition;
use offer_edge::bundle::{is_form_file, BundleStore, LoadOutcome, StoreState, Trust};
use offer_edge::decide::{Engine, EngineInfo};
use offer_edge::{Error, ErrorCode, Result};
use std::path::PathBuf;

/// Arguments of `verify`.
#[derive(clap::Args)]
#[command(after_help = "\
Checks, in order: size, envelope, signatures (threshold of distinct trusted
keys), payload, partner, expiry/max age, version (rollback), schema/limits.
Both formats are accepted (v2 manifest, v1 DSSE); v2 checks the signed
manifest's partner, expiry and version, then the bundle's SHA-256
(DIGEST_MISMATCH), then parses the bundle. A compiled form (*.oeb, what
pages load) is checked as the page build checks it: its manifest, the
form's SHA-256, then the form read back. The summary names the format.
A page bundle (the edition `sign` writes for browsers, without confidential
audiences) verifies like any other; the summary says which audiences it
withholds and how many offers are decided at the edge only, or that a full
bundle has confidential audiences (serve its page bundle to pages).
Prints one summary line and exits 0, or prints `error[CODE]: message` and
exits non-zero. With --state, the highest accepted version is read from and
written to that file, so an older bundle is refused later (VERSION_ROLLBACK).

Examples:
  offer-edge verify --trust trust.json bundle.signed.json
  offer-edge verify --trust trust.json bundle.signed.oeb
  offer-edge verify --trust trust.json --state state.json bundle.signed.json
  offer-edge verify --trust trust.json --now 2026-11-29T12:00:00Z bundle.signed.json")]
pub struct Args {
    /// Pinned trust config (partner, keys, threshold).
    #[arg(long)]
    trust: PathBuf,
    /// Rollback state `{"partner","lastVersion"}`; created if missing.
    #[arg(long)]
    state: Option<PathBuf>,
    /// Verify as of this RFC 3339 instant instead of the system clock.
    #[arg(long)]
    now: Option<String>,
    /// The signed envelope.
    signed: PathBuf,
}

/// What the summary adds about confidential audiences: which a page bundle
/// withholds (and how many offers that makes edge-only), or that a full
/// bundle has some (so it must not be served to pages).
fn edition_note(info: &EngineInfo) -> String {
    let ids = info.confidential_audiences.join(",");
    match info.edition {
        Edition::Page => format!(
            "; page bundle withholding {}: {} offer(s) edge-only",
            if ids.is_empty() { "nothing" } else { &ids },
            info.edge_only.len()
        ),
        Edition::Full if !ids.is_empty() => format!(
            "; full bundle with confidential audiences {ids} (edge only: pages get its page bundle)"
        ),
        Edition::Full => String::new(),
    }
}

/// Verifies and prints the summary.
pub fn run(args: Args) -> Result<()> {
    let trust = Trust::from_json(&read(&args.trust)?)?;
    let now = instant(args.now.as_deref())?;
    // Compiling is the last check: rules, templates and filters must load too.
    let mut store = BundleStore::with_compile(trust, Engine::from_verified);
    if let Some(path) = args.state.as_ref().filter(|p| p.exists()) {
        let state: StoreState = serde_json::from_slice(&read(path)?).map_err(|e| {
            Error::new(
                ErrorCode::Io,
                format!("{}: not a state file: {e}", path.display()),
            )
        })?;
        store.import_state(&state)?;
    }
    let bytes = read(&args.signed)?;
    // A compiled form (`*.oeb`) loads as the page build loads it.
    let (format, outcome) = if is_form_file(&bytes) {
        let outcome = store.load_form(&bytes, now, Engine::from_verified_form)?;
        ("compiled form", outcome)
    } else {
        (format_name(&bytes), store.load(&bytes, now)?)
    };
    match outcome {
        LoadOutcome::Unchanged { version } => println!(
            "unchanged: partner {} version {version} was already accepted ({format})",
            store.trust().partner()
        ),
        LoadOutcome::Loaded { .. } => {
            let active = store
                .active()
                .ok_or_else(|| Error::new(ErrorCode::Io, "no active bundle after load"))?;
            let b = active.bundle();
            println!(
                "verified: partner {} version {}, {} offers, expires {}, signed by {} ({format}){}",
                b.partner,
                b.version,
                b.offers.len(),
                b.expires_at,
                active.signers().join(","),
                edition_note(&active.info(false))
            );
        }
    }
    if let (Some(path), Some(state)) = (&args.state, store.export_state()) {
        write_atomic(path, pretty(&state)?.as_bytes())?;
    }
    Ok(())
}

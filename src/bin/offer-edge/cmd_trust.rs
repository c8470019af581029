//! `offer-edge trust`: write a trust config from public key files.

use crate::io::{pretty, write_output};
use crate::keyfile::{read_public, KeyKind};
use offer_edge::bundle::{Trust, TrustDoc};
use offer_edge::Result;
use std::collections::BTreeMap;
use std::path::PathBuf;

/// Arguments of `trust`.
#[derive(clap::Args)]
#[command(after_help = "\
Examples:
  offer-edge trust --partner acme --pub keys/acme-2026.pub -o trust.json
  offer-edge trust --partner acme --pub keys/a.pub --pub keys/b.pub --threshold 2")]
pub struct Args {
    /// The partner these keys sign for.
    #[arg(long)]
    partner: String,
    /// Public key file from `keygen` (repeat for several keys).
    #[arg(long = "pub", required = true)]
    pubs: Vec<PathBuf>,
    /// Distinct keys that must sign (default: all of them).
    #[arg(long)]
    threshold: Option<usize>,
    /// Refuse bundles issued longer ago than this many seconds.
    #[arg(long)]
    max_age_seconds: Option<u64>,
    /// Largest signed bundle accepted, in bytes.
    #[arg(long)]
    max_bundle_bytes: Option<usize>,
    /// Write here instead of stdout.
    #[arg(short, long)]
    out: Option<PathBuf>,
}

/// Builds, validates and writes the trust config.
pub fn run(args: Args) -> Result<()> {
    let mut keys = BTreeMap::new();
    for path in &args.pubs {
        let file = read_public(path, KeyKind::Ed25519)?;
        keys.insert(file.keyid, file.public_key);
    }
    let doc = TrustDoc {
        partner: args.partner,
        threshold: args.threshold.unwrap_or(keys.len()),
        keys,
        max_bundle_bytes: args.max_bundle_bytes,
        max_age_seconds: args.max_age_seconds,
        keyset_version: None,
        decide_grace_seconds: None,
    };
    // Validate exactly as `verify` will load it.
    let trust = Trust::from_doc(doc)?;
    write_output(args.out.as_ref(), pretty(&trust.to_doc())?.as_bytes())
}

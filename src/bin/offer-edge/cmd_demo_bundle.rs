//! `offer-edge demo-bundle`: a realistic generated bundle.

use crate::io::{instant, pretty, write_output};
use crate::keyfile::{read_public, KeyKind};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use ed25519_dalek::SigningKey;
use offer_edge::bundle::FulfilmentKey;
use offer_edge::demo::{demo_bundle, set_time_zone, DEMO_TIME_ZONE};
use offer_edge::time::Timestamp;
use offer_edge::Result;
use sha2::{Digest, Sha256};
use std::path::PathBuf;

/// Arguments of `demo-bundle`.
#[derive(clap::Args)]
#[command(after_help = "\
The same --seed and --issued-at give the same bundle, byte for byte.
Without --fulfilment-pub a demo X25519 key derived from the seed is used:
its private half is public knowledge, fine for demos, never for production.
The partner is in America/New_York: the zone's UTC offsets over the bundle's
validity are embedded as sign embeds them (docs/BUNDLES.md, \"Time zones\").

Examples:
  offer-edge demo-bundle --partner acme --offers 50 -o bundle.json
  offer-edge demo-bundle --partner acme --offers 5000 --seed 7 \\
      --fulfilment-pub keys/acme-fulfilment-1.pub --issued-at 2026-01-01T00:00:00Z")]
pub struct Args {
    /// Partner id.
    #[arg(long)]
    partner: String,
    /// Number of offers.
    #[arg(long, default_value_t = 50)]
    offers: usize,
    /// Seed of the generator.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// X25519 public key file (`keygen --kind x25519`) for sealed emails.
    #[arg(long)]
    fulfilment_pub: Option<PathBuf>,
    /// Bundle version.
    #[arg(long, default_value_t = 1)]
    bundle_version: u64,
    /// Issue time (RFC 3339; default now).
    #[arg(long)]
    issued_at: Option<String>,
    /// Expiry (RFC 3339; default issue time + 7 days).
    #[arg(long)]
    expires_at: Option<String>,
    /// Write here instead of stdout.
    #[arg(short, long)]
    out: Option<PathBuf>,
}

/// Generates and writes the bundle.
pub fn run(args: Args) -> Result<()> {
    let key = match &args.fulfilment_pub {
        Some(path) => {
            let file = read_public(path, KeyKind::X25519)?;
            FulfilmentKey {
                kid: file.keyid,
                public_key: file.public_key,
            }
        }
        None => {
            let mut seed = Sha256::new();
            seed.update(b"offer-edge demo fulfilment key");
            seed.update(args.seed.to_be_bytes());
            let sk = SigningKey::from_bytes(&seed.finalize().into());
            FulfilmentKey {
                kid: format!("{}-demo-fulfilment", args.partner),
                public_key: B64.encode(sk.verifying_key().to_montgomery().to_bytes()),
            }
        }
    };
    let issued = instant(args.issued_at.as_deref())?;
    // Whole seconds keep the timestamps readable.
    let issued = Timestamp(issued.as_millis() - issued.as_millis().rem_euclid(1_000));
    let mut bundle = demo_bundle(&args.partner, args.offers, args.seed, issued, key);
    bundle.version = args.bundle_version;
    if let Some(text) = &args.expires_at {
        bundle.expires_at = Timestamp::parse_rfc3339(text)?;
    }
    // The demo partner is in New York, daylight saving time included.
    set_time_zone(&mut bundle, DEMO_TIME_ZONE)?;
    offer_edge::bundle::validate(&bundle)?;
    write_output(args.out.as_ref(), pretty(&bundle)?.as_bytes())
}

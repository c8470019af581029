//! `offer-edge verify-checkout-token`: every check the edge runs on a
//! partner's checkout token, from the command line (support, integration).

use crate::io::{instant, pretty, read};
use offer_edge::attest::{verify_checkout_token, CheckoutKeys};
use offer_edge::{Error, ErrorCode, Result};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// Arguments of `verify-checkout-token`.
#[derive(clap::Args)]
#[command(after_help = "\
Checks, in order: shape (TOKEN_INVALID), header: alg EdDSA, no crit/jwk/jku/x5u/x5c
(TOKEN_INVALID), iss is --partner (TOKEN_PARTNER_MISMATCH), kid pinned
(TOKEN_KEY_UNKNOWN), Ed25519 signature (TOKEN_INVALID), claims, lifetime ≤ 1h, iat
not in the future (TOKEN_INVALID), expiry with 60s skew (TOKEN_EXPIRED).
Prints the verified claims as JSON, or `error[CODE]: message` and exits non-zero.
The keys file is the partner's pinned map {\"kid\": \"base64 Ed25519 public key\"}.

Examples:
  offer-edge verify-checkout-token --keys checkout-keys.json --partner acme eyJhbGciOi…
  offer-edge verify-checkout-token --keys checkout-keys.json --partner acme \\
      --now 2026-11-29T12:00:00Z \"$(cat token.txt)\"")]
pub struct Args {
    /// The partner's pinned checkout keys, `{kid: base64 public key}`.
    #[arg(long)]
    keys: PathBuf,
    /// The partner the token must be issued by.
    #[arg(long)]
    partner: String,
    /// Verify as of this RFC 3339 instant instead of the system clock.
    #[arg(long)]
    now: Option<String>,
    /// The compact token.
    token: String,
}

/// Verifies and prints the claims.
pub fn run(args: Args) -> Result<()> {
    let map: BTreeMap<String, String> =
        serde_json::from_slice(&read(&args.keys)?).map_err(|e| {
            Error::new(
                ErrorCode::KeyInvalid,
                format!(
                    "{}: not a {{kid: public key}} map: {e}",
                    args.keys.display()
                ),
            )
        })?;
    let keys = CheckoutKeys::from_map(&map)?;
    let now = instant(args.now.as_deref())?;
    let verified = verify_checkout_token(args.token.trim(), &args.partner, &keys, now)?;
    print!("{}", pretty(&verified)?);
    Ok(())
}

//! `offer-edge checkout-token`: mint a partner checkout token the way a
//! partner's backend does, for integration tests and support (the format is
//! in `offer_edge::attest`).

use crate::io::instant;
use crate::keyfile::read_checkout_key;
use offer_edge::attest::{
    attested_email_hash, mint_checkout_token, CheckoutClaims, MAX_TOKEN_LIFETIME_SECS,
};
use offer_edge::events::uuid_v4;
use offer_edge::time::{DurationMs, SECOND_MS};
use offer_edge::{Error, ErrorCode, Result};
use std::path::PathBuf;

/// Arguments of `checkout-token`.
#[derive(clap::Args)]
#[command(after_help = "\
Prints a compact JWS (EdDSA / Ed25519, header {\"alg\":\"EdDSA\",\"kid\":…,\"typ\":\"JWT\"})
with the claims iss (partner), ord, eh (attested email hash), sub, iat, exp, jti.
A partner backend mints the same with any JOSE library, e.g. npm jose:
  new SignJWT(claims).setProtectedHeader({ alg: \"EdDSA\", kid }).sign(key)
where eh = sha256(\"offer-edge/eh/v1\\n\" + partner + \"\\n\" + email.trim().toLowerCase()).

Examples:
  offer-edge keygen --out-dir keys --keyid acme-checkout-1 --kind checkout
  offer-edge checkout-token --key keys/acme-checkout-1.key --partner acme \\
      --order ORD-1001 --email ada@example.com
  offer-edge checkout-token --key keys/acme-checkout-1.key --partner acme \\
      --order ORD-1001 --email ada@example.com --sub shopper-42 --ttl 5m \\
      --now 2026-11-29T12:00:00Z --jti order-1001-a")]
pub struct Args {
    /// Checkout key file written by `keygen --kind checkout` (its keyid is the token's kid).
    #[arg(long)]
    key: PathBuf,
    /// Partner id (the `iss` claim).
    #[arg(long)]
    partner: String,
    /// The partner's order id (`ord`): printable ASCII, no spaces, ≤ 128 bytes.
    #[arg(long)]
    order: String,
    /// The shopper's email; only its attested hash (`eh`) goes in the token.
    #[arg(long)]
    email: String,
    /// The partner's own shopper reference (`sub`).
    #[arg(long)]
    sub: Option<String>,
    /// Lifetime (`exp - iat`), e.g. 90s, 15m; at most 1h.
    #[arg(long, default_value = "15m")]
    ttl: String,
    /// Issue as of this RFC 3339 instant instead of the system clock.
    #[arg(long)]
    now: Option<String>,
    /// Token id (`jti`); default: a random UUID v4.
    #[arg(long)]
    jti: Option<String>,
}

/// Mints and prints the token.
pub fn run(args: Args) -> Result<()> {
    let ttl = DurationMs::parse(&args.ttl)?;
    let ttl_secs = i64::try_from(ttl.as_millis() / 1_000).unwrap_or(i64::MAX);
    if !ttl.as_millis().is_multiple_of(1_000) || !(1..=MAX_TOKEN_LIFETIME_SECS).contains(&ttl_secs)
    {
        return Err(Error::new(
            ErrorCode::TokenInvalid,
            format!(
                "--ttl must be whole seconds from 1s to 1h, not {}",
                args.ttl
            ),
        ));
    }
    let (kid, key) = read_checkout_key(&args.key)?;
    let iat = instant(args.now.as_deref())?
        .as_millis()
        .div_euclid(SECOND_MS);
    let jti = match args.jti {
        Some(jti) => jti,
        None => {
            let mut entropy = [0u8; 16];
            getrandom::fill(&mut entropy)
                .map_err(|e| Error::new(ErrorCode::Io, format!("no OS entropy: {e}")))?;
            uuid_v4(&entropy)
        }
    };
    let claims = CheckoutClaims {
        eh: attested_email_hash(&args.partner, &args.email)?,
        iss: args.partner,
        ord: args.order,
        sub: args.sub,
        iat,
        exp: iat.saturating_add(ttl_secs),
        jti,
    };
    println!("{}", mint_checkout_token(&key, &kid, &claims)?);
    Ok(())
}

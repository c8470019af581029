//! `offer-edge`: the command-line tool for bundle authors and operators.
//!
//! One file per subcommand, each exposing `Args` (clap) and `run(Args)`. To
//! add a subcommand: one variant in [`Command`], one arm in [`run`], one file.
#![forbid(unsafe_code)]

mod audience_cmd;
mod cmd_checkout_token;
mod cmd_decide;
mod cmd_demo_bundle;
mod cmd_evaluate;
mod cmd_inspect;
mod cmd_keygen;
mod cmd_rotate;
mod cmd_schema;
mod cmd_sign;
mod cmd_train;
mod cmd_trust;
mod cmd_validate;
mod cmd_verify;
mod cmd_verify_checkout_token;
mod io;
mod json_spans;
mod keyfile;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// Sign, verify and inspect offer bundles.
#[derive(Parser)]
#[command(name = "offer-edge", version, about, after_help = EXAMPLES)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

const EXAMPLES: &str = "\
Example (a full round trip):
  offer-edge keygen --out-dir keys --keyid acme-2026
  offer-edge demo-bundle --partner acme --offers 50 -o bundle.json
  offer-edge validate bundle.json
  offer-edge sign --key keys/acme-2026.key bundle.json -o bundle.signed.json
  offer-edge trust --partner acme --pub keys/acme-2026.pub -o trust.json
  offer-edge verify --trust trust.json --state state.json bundle.signed.json
  offer-edge audience build --id vip-list --salt s3cret < emails.txt > audience.json
  offer-edge decide --bundle bundle.signed.json --trust trust.json --context ctx.json --explain

Learning from edge events (docs/LEARNING.md; the export: docs/REPORTS.md):
  curl -H \"authorization: Bearer $API_SECRET\" \"$EDGE/v1/reports/acme/events?from=2026-11-01\" > events.ndjson
  offer-edge evaluate --bundle candidate.json --events events.ndjson
  offer-edge train --bundle bundle.json --events events.ndjson -o bundle.trained.json

Key rotation (docs/BUNDLES.md):
  offer-edge rotate --trust trust.json --current keys/acme-2026.key --new keys/acme-2027.key -o keyset.signed.json --write-trust trust.next.json

Partner-attested checkouts:
  offer-edge keygen --out-dir keys --keyid acme-checkout-1 --kind checkout
  offer-edge checkout-token --key keys/acme-checkout-1.key --partner acme --order ORD-1001 --email ada@example.com
  offer-edge verify-checkout-token --keys checkout-keys.json --partner acme TOKEN

Errors print as `error[CODE]: message` with a stable CODE and exit non-zero.";

#[derive(Subcommand)]
enum Command {
    /// Generate a key pair (Ed25519 signing key, X25519 fulfilment key, or Ed25519 checkout key).
    Keygen(cmd_keygen::Args),
    /// Validate a bundle and sign it (format v2 manifest; v1 DSSE with --format dsse).
    Sign(cmd_sign::Args),
    /// Verify a signed bundle against a pinned trust config.
    Verify(cmd_verify::Args),
    /// Show what a signed bundle contains, WITHOUT verifying it.
    Inspect(cmd_inspect::Args),
    /// Generate a realistic demo bundle.
    DemoBundle(cmd_demo_bundle::Args),
    /// Check an unsigned draft (or a signed file's bundle): errors and lint warnings with paths and positions.
    Validate(cmd_validate::Args),
    /// Print the bundle document's JSON Schema (or its field reference with --markdown).
    Schema(cmd_schema::Args),
    /// Write a trust config (trust.json) from public key files.
    Trust(cmd_trust::Args),
    /// Sign a keyset update (key rotation), verified as hosts verify it.
    Rotate(cmd_rotate::Args),
    /// Decide which offers a checkout context sees (and why, with --explain).
    Decide(cmd_decide::Args),
    /// Build audience membership filters (inclusion / suppression lists).
    Audience(audience_cmd::AudienceArgs),
    /// Mint a partner checkout token (EdDSA JWS), as a partner backend does.
    CheckoutToken(cmd_checkout_token::Args),
    /// Verify a partner checkout token against pinned checkout keys.
    VerifyCheckoutToken(cmd_verify_checkout_token::Args),
    /// Estimate a candidate bundle's value on logged edge decisions (off-policy IPS / SNIPS).
    Evaluate(cmd_evaluate::Args),
    /// Fit the model's weights from logged edge decisions into a new bundle, then evaluate it.
    Train(cmd_train::Args),
}

fn run(command: Command) -> offer_edge::Result<()> {
    match command {
        Command::Keygen(args) => cmd_keygen::run(args),
        Command::Sign(args) => cmd_sign::run(args),
        Command::Verify(args) => cmd_verify::run(args),
        Command::Inspect(args) => cmd_inspect::run(args),
        Command::DemoBundle(args) => cmd_demo_bundle::run(args),
        Command::Validate(args) => cmd_validate::run(args),
        Command::Schema(args) => cmd_schema::run(args),
        Command::Trust(args) => cmd_trust::run(args),
        Command::Rotate(args) => cmd_rotate::run(args),
        Command::Decide(args) => cmd_decide::run(args),
        Command::Audience(args) => audience_cmd::run(args),
        Command::CheckoutToken(args) => cmd_checkout_token::run(args),
        Command::VerifyCheckoutToken(args) => cmd_verify_checkout_token::run(args),
        Command::Evaluate(args) => cmd_evaluate::run(args),
        Command::Train(args) => cmd_train::run(args),
    }
}

fn main() -> ExitCode {
    match run(Cli::parse().command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error[{}]: {}", e.code(), e.message());
            ExitCode::FAILURE
        }
    }
}

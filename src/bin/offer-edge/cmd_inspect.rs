//! `offer-edge inspect`: what a signed file claims, without verifying it.

use crate::io::read;
use offer_edge::bundle::Envelope;
use offer_edge::context::lower_hex as hex;
use offer_edge::{Error, ErrorCode, Result};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::path::PathBuf;

/// Arguments of `inspect`.
#[derive(clap::Args)]
#[command(after_help = "\
Nothing is verified: signatures, expiry and partner are shown as claimed.
Use `offer-edge verify` before trusting any of it.

Example:
  offer-edge inspect bundle.signed.json")]
pub struct Args {
    /// The signed envelope.
    signed: PathBuf,
}

fn count(v: &Value, field: &str) -> usize {
    v.get(field).and_then(Value::as_array).map_or(0, Vec::len)
}

fn text(v: &Value, field: &str) -> String {
    match v.get(field) {
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
        None => "?".to_owned(),
    }
}

/// Prints the claimed contents.
pub fn run(args: Args) -> Result<()> {
    let envelope = Envelope::parse(&read(&args.signed)?)?;
    let payload = envelope.payload_bytes()?;
    let doc: Value = serde_json::from_slice(&payload).map_err(|e| {
        Error::new(
            ErrorCode::PayloadMalformed,
            format!("payload is not JSON: {e}"),
        )
    })?;
    let creatives = doc
        .get("offers")
        .and_then(Value::as_array)
        .map_or(0, |offers| {
            offers
                .iter()
                .filter(|o| o.get("creative").is_some())
                .count()
        });
    let signers: Vec<&str> = envelope
        .signatures
        .iter()
        .map(|s| s.keyid.as_str())
        .collect();
    println!(
        "NOT VERIFIED: inspect shows what the file claims; run `offer-edge verify` to check it"
    );
    println!("payload type:   {}", envelope.payload_type);
    println!("partner:        {}", text(&doc, "partner"));
    println!("version:        {}", text(&doc, "version"));
    println!("issued at:      {}", text(&doc, "issuedAt"));
    println!("expires at:     {}", text(&doc, "expiresAt"));
    println!("offers:         {}", count(&doc, "offers"));
    println!("creatives:      {creatives}");
    println!("audiences:      {}", count(&doc, "audiences"));
    println!("placements:     {}", count(&doc, "placements"));
    println!("payload bytes:  {}", payload.len());
    println!("payload sha256: {}", hex(&Sha256::digest(&payload)));
    println!("signatures:     {} (unchecked)", signers.join(", "));
    Ok(())
}

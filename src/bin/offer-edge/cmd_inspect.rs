//! `offer-edge inspect`: what a signed file claims, without verifying it.

use crate::io::read;
use offer_edge::bundle::manifest::{format_name, is_manifest_file, split};
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
Use `offer-edge verify` before trusting any of it. Both formats are read
(v2 manifest: the manifest's claims are shown too; v1 DSSE).

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

/// `full`, or `page` with the confidential audiences it withholds, as claimed.
fn edition(doc: &Value) -> String {
    let confidential: Vec<String> = doc
        .get("audiences")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|a| a.get("confidential") == Some(&Value::Bool(true)))
        .map(|a| text(a, "id"))
        .collect();
    let list = confidential.join(", ");
    match doc.get("edition").and_then(Value::as_str) {
        Some("page") => format!("page (confidential audiences withheld: {list})"),
        None | Some("full") if !confidential.is_empty() => {
            format!("full (confidential audiences: {list}; pages get its page bundle)")
        }
        None => "full".to_owned(),
        Some(other) => other.to_owned(),
    }
}

/// The envelope, the bundle bytes and (v2) the manifest's claims, unverified.
fn open(bytes: &[u8]) -> Result<(Envelope, Vec<u8>, Option<Value>)> {
    if !is_manifest_file(bytes) {
        let envelope = Envelope::parse(bytes)?;
        let payload = envelope.payload_bytes()?;
        return Ok((envelope, payload, None));
    }
    let split = split(bytes)?;
    let manifest = json(&split.envelope.payload_bytes()?, "manifest")?;
    Ok((split.envelope, split.bundle.to_vec(), Some(manifest)))
}

fn json(bytes: &[u8], what: &str) -> Result<Value> {
    serde_json::from_slice(bytes).map_err(|e| {
        Error::new(
            ErrorCode::PayloadMalformed,
            format!("{what} is not JSON: {e}"),
        )
    })
}

/// Prints the claimed contents.
pub fn run(args: Args) -> Result<()> {
    let bytes = read(&args.signed)?;
    let (envelope, payload, manifest) = open(&bytes)?;
    let doc = json(&payload, "bundle")?;
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
    println!("format:         {}", format_name(&bytes));
    println!("payload type:   {}", envelope.payload_type);
    if let Some(m) = &manifest {
        println!(
            "manifest:       partner {}, version {}, issued {}, expires {}, {} bytes, sha256 {}",
            text(m, "partner"),
            text(m, "version"),
            text(m, "issuedAt"),
            text(m, "expiresAt"),
            text(m, "bundleBytes"),
            text(m, "bundleSha256")
        );
    }
    println!("partner:        {}", text(&doc, "partner"));
    println!("version:        {}", text(&doc, "version"));
    println!("issued at:      {}", text(&doc, "issuedAt"));
    println!("expires at:     {}", text(&doc, "expiresAt"));
    println!("offers:         {}", count(&doc, "offers"));
    println!("creatives:      {creatives}");
    println!("audiences:      {}", count(&doc, "audiences"));
    println!("edition:        {}", edition(&doc));
    println!("placements:     {}", count(&doc, "placements"));
    println!("bundle bytes:   {}", payload.len());
    println!("bundle sha256:  {}", hex(&Sha256::digest(&payload)));
    println!("signatures:     {} (unchecked)", signers.join(", "));
    Ok(())
}

//! `offer-edge decide`: what a shopper would see, and why.

use crate::io::{instant, read};
use offer_edge::bundle::{Bundle, BundleStore, Trust};
use offer_edge::consent::Consent;
use offer_edge::context::Context;
use offer_edge::decide::{DecideOptions, Decision, Engine, StoredHistory, Verdict};
use offer_edge::{Error, ErrorCode, Result};
use sha2::{Digest, Sha256};
use std::path::PathBuf;
use std::sync::Arc;

/// Arguments of `decide`.
#[derive(clap::Args)]
#[command(after_help = "\
The signed bundle is verified against the trust config first (as every host
does); --draft decides on an unsigned bundle.json instead (authoring only).

Examples:
  offer-edge decide --bundle bundle.signed.json --trust trust.json --context ctx.json --explain
  offer-edge decide --bundle bundle.signed.json --trust trust.json --context ctx.json \\
      --now 2026-11-29T12:00:00Z --seed 7 --json
  offer-edge decide --draft --bundle bundle.json --context ctx.json --placement sidebar
  offer-edge decide --draft --bundle bundle.json --context ctx.json --explain \\
      --gpc --request-country FR --consent measurement=false

Consent (docs/PRIVACY.md): --gpc, --us-privacy or --gpp saying opted out of sale
(or malformed) turns personalization and measurement off; --consent turns either
off on its own. --request-country is the request's geo, as the edge passes it.")]
pub struct Args {
    /// The signed bundle (or, with --draft, the bundle JSON).
    #[arg(long)]
    bundle: PathBuf,
    /// Trust config to verify the bundle against (required unless --draft).
    #[arg(long, required_unless_present = "draft")]
    trust: Option<PathBuf>,
    /// Decide on an unsigned draft bundle without verifying it.
    #[arg(long)]
    draft: bool,
    /// Checkout context JSON (firstname, state, amount, paymenttype, …).
    #[arg(long)]
    context: PathBuf,
    /// Stored history blob (binary, as hosts keep it); none = a new shopper.
    #[arg(long)]
    history: Option<PathBuf>,
    /// Decide at this instant (RFC 3339); default: the current time.
    #[arg(long)]
    now: Option<String>,
    /// Seed for exploration and ids (same seed, same decision); default: random.
    #[arg(long)]
    seed: Option<u64>,
    /// Placements to fill, in order (repeatable); default: all.
    #[arg(long = "placement")]
    placements: Vec<String>,
    /// Give every offer a verdict and the reason it lost.
    #[arg(long)]
    explain: bool,
    /// Print the Decision as JSON instead of tables.
    #[arg(long)]
    json: bool,
    /// The browser sent Global Privacy Control (an opt-out of sale).
    #[arg(long)]
    gpc: bool,
    /// The IAB US Privacy string, e.g. 1YYN.
    #[arg(long, value_name = "USP")]
    us_privacy: Option<String>,
    /// The IAB GPP string, e.g. DBABLA~BVVVVVVVVWA.
    #[arg(long, value_name = "GPP")]
    gpp: Option<String>,
    /// Explicit choices: personalization=false,measurement=false.
    #[arg(long, value_name = "CHOICES", value_parser = parse_choices)]
    consent: Option<Choices>,
    /// The request's country (ISO 3166-1 alpha-2), as the edge's geo gives it.
    #[arg(long, value_name = "CC")]
    request_country: Option<String>,
}

/// `--consent`: the shopper's explicit choices.
#[derive(Clone, Copy, Default)]
struct Choices {
    personalization: Option<bool>,
    measurement: Option<bool>,
}

fn parse_choices(text: &str) -> std::result::Result<Choices, String> {
    let mut choices = Choices::default();
    for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (name, value) = part
            .split_once('=')
            .ok_or_else(|| format!("{part:?}: expected name=true or name=false"))?;
        let value: bool = value
            .trim()
            .parse()
            .map_err(|_| format!("{part:?}: expected true or false"))?;
        match name.trim() {
            "personalization" => choices.personalization = Some(value),
            "measurement" => choices.measurement = Some(value),
            other => {
                return Err(format!(
                    "unknown choice {other:?} (personalization, measurement)"
                ))
            }
        }
    }
    Ok(choices)
}

fn load_engine(args: &Args, now: offer_edge::time::Timestamp) -> Result<Arc<Engine>> {
    let bytes = read(&args.bundle)?;
    if args.draft {
        let bundle: Bundle = serde_json::from_slice(&bytes).map_err(|e| {
            Error::new(
                ErrorCode::PayloadMalformed,
                format!("{}: not a bundle: {e}", args.bundle.display()),
            )
        })?;
        offer_edge::bundle::validate(&bundle)?;
        let digest: [u8; 32] = Sha256::digest(&bytes).into();
        return Engine::compile(bundle, &digest).map(Arc::new);
    }
    let trust_path = args.trust.as_ref().ok_or_else(|| {
        Error::new(
            ErrorCode::TrustInvalid,
            "--trust is required without --draft",
        )
    })?;
    let mut store =
        BundleStore::with_compile(Trust::from_json(&read(trust_path)?)?, Engine::from_verified);
    store.load(&bytes, now)?;
    store
        .active()
        .ok_or_else(|| Error::new(ErrorCode::Io, "no active bundle after load"))
}

/// Decides and prints.
pub fn run(args: Args) -> Result<()> {
    let now = instant(args.now.as_deref())?;
    let engine = load_engine(&args, now)?;
    let context = Context::from_json(&read(&args.context)?)?;
    let blob = match &args.history {
        Some(path) => read(path)?,
        None => Vec::new(),
    };
    let seed = match args.seed {
        Some(seed) => seed,
        None => {
            let mut bytes = [0u8; 8];
            getrandom::fill(&mut bytes)
                .map_err(|e| Error::new(ErrorCode::Io, format!("no OS entropy: {e}")))?;
            u64::from_le_bytes(bytes)
        }
    };
    let choices = args.consent.unwrap_or_default();
    let options = DecideOptions {
        placements: args.placements.clone(),
        explain: args.explain,
        consent: Consent {
            gpc: args.gpc,
            us_privacy: args.us_privacy.clone(),
            gpp: args.gpp.clone(),
            personalization: choices.personalization,
            measurement: choices.measurement,
        },
        request_country: args.request_country.clone(),
        ..DecideOptions::default()
    };
    let stored = StoredHistory {
        blob: &blob,
        session_id: None,
    };
    let decision = engine
        .decide_stored(&context, stored, now, &seed.to_le_bytes(), &options)?
        .decision;
    if args.json {
        let text = serde_json::to_string_pretty(&decision)
            .map_err(|e| Error::new(ErrorCode::Io, format!("cannot print decision: {e}")))?;
        println!("{text}");
    } else {
        print_tables(&decision);
    }
    Ok(())
}

fn print_tables(d: &Decision) {
    println!(
        "decision {} · partner {} · bundle v{} · {}",
        d.decision_id, d.partner, d.bundle_version, d.time
    );
    for w in &d.warnings {
        println!("warning: {w}");
    }
    let p = &d.privacy;
    if !p.removed.is_empty() {
        // Tags as JSON: the names hosts read in `decision.privacy`.
        let tags = |json: serde_json::Result<String>| json.unwrap_or_default();
        println!(
            "privacy: personalization {} · measurement {} · removed {} · because {}",
            if p.personalization { "on" } else { "off" },
            if p.measurement { "on" } else { "off" },
            tags(serde_json::to_string(&p.removed)),
            tags(serde_json::to_string(&p.because)),
        );
    }
    for p in &d.placements {
        println!("\nplacement {} — {} offer(s)", p.id, p.offers.len());
        if p.offers.is_empty() {
            println!("  (no eligible offer)");
        }
        println!(
            "  {:<4} {:<28} {:<16} {:>4} {:>9} {:>8} {:>10}",
            "rank", "offer", "advertiser", "tier", "score", "P(eng)", "propensity"
        );
        for o in &p.offers {
            println!(
                "  {:<4} {:<28} {:<16} {:>4} {:>9.4} {:>8.4} {:>10.3}{}",
                o.rank,
                o.offer_id,
                o.advertiser,
                o.tier,
                o.score,
                o.predicted_engagement,
                o.propensity,
                if o.needs_confirmation_email {
                    "  ✉ confirmation email"
                } else {
                    ""
                }
            );
            println!("       “{}”", o.fields.headline);
        }
        let explained: Vec<_> = d
            .explanations
            .iter()
            .filter(|e| e.placement == p.id)
            .collect();
        if !explained.is_empty() {
            println!("\n  every offer in {}:", p.id);
            for e in explained {
                let mark = match e.verdict {
                    Verdict::Shown => "SHOWN     ",
                    Verdict::Outranked => "outranked ",
                    Verdict::Ineligible => "ineligible",
                };
                println!(
                    "  {mark} {:<28} tier {} · {}",
                    e.offer_id, e.tier, e.message
                );
            }
        }
    }
}

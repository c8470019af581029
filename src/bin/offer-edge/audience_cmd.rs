//! `offer-edge audience build`: turn a list of raw identifiers (one per line)
//! into a bundle `Audience` entry with a binary fuse filter, and report its
//! size and its false-positive rate measured on synthetic non-members.

use offer_edge::audience::{AudienceFilter, FilterWidth, IdentifierHash};
use offer_edge::bundle::{Audience, AudienceKind, IdentifierKind};
use offer_edge::{Error, ErrorCode};
use std::io::{BufRead, Write};
use std::path::PathBuf;

/// `offer-edge audience …`
#[derive(Debug, clap::Args)]
pub struct AudienceArgs {
    /// What to do.
    #[command(subcommand)]
    pub command: AudienceCommand,
}

/// Audience subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum AudienceCommand {
    /// Build an audience filter from identifiers on stdin (one per line).
    Build(BuildArgs),
}

/// `offer-edge audience build`
#[derive(Debug, clap::Args)]
pub struct BuildArgs {
    /// Audience id, as offers reference it.
    #[arg(long)]
    pub id: String,
    /// Per-audience salt (use a fresh random value per audience).
    #[arg(long)]
    pub salt: String,
    /// Advertiser list or licensed cohort.
    #[arg(long, value_enum, default_value = "advertiserList")]
    pub kind: KindArg,
    /// Which identifier the lines hold.
    #[arg(long, value_enum, default_value = "email")]
    pub identifier: IdentifierArg,
    /// Fingerprint bits: 8 (≈0.39 % false positives, ≈9 bits/member) or
    /// 16 (≈0.0015 %, ≈18 bits/member).
    #[arg(long, default_value_t = 8, value_parser = parse_width)]
    pub width: u8,
    /// Lines are already SHA-256 hex of the normalized identifier (what
    /// `emailsha256` carries) instead of raw identifiers.
    #[arg(long)]
    pub prehashed: bool,
    /// Synthetic non-members used to measure the false-positive rate.
    #[arg(long, default_value_t = 100_000)]
    pub fp_samples: u32,
    /// Write the Audience JSON here instead of stdout.
    #[arg(short = 'o', long)]
    pub output: Option<PathBuf>,
}

fn parse_width(text: &str) -> Result<u8, String> {
    match text {
        "8" => Ok(8),
        "16" => Ok(16),
        _ => Err("must be 8 or 16".into()),
    }
}

/// `--kind` values, spelled as in bundles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum KindArg {
    /// An advertiser's own customer list.
    #[value(name = "advertiserList")]
    AdvertiserList,
    /// A licensed third-party cohort.
    #[value(name = "licensedCohort")]
    LicensedCohort,
}

/// `--identifier` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum IdentifierArg {
    /// Email addresses (trimmed, lower-cased).
    Email,
    /// Phone numbers (digits only).
    Phone,
}

/// Runs `offer-edge audience …` with stdin, stdout and stderr.
///
/// # Errors
/// `IO` when reading input or writing output fails; `LIMIT_EXCEEDED` when
/// the filter would be too large; `AUDIENCE_INVALID` if it cannot be built.
pub fn run(args: AudienceArgs) -> Result<(), Error> {
    match args.command {
        AudienceCommand::Build(build) => {
            let stdin = std::io::stdin();
            let audience = build_audience(&build, stdin.lock(), &mut std::io::stderr())?;
            let mut json = serde_json::to_string_pretty(&audience)
                .map_err(|e| Error::new(ErrorCode::Io, format!("cannot serialize: {e}")))?;
            json.push('\n');
            match &build.output {
                Some(path) => std::fs::write(path, json).map_err(|e| {
                    Error::new(
                        ErrorCode::Io,
                        format!("cannot write {}: {e}", path.display()),
                    )
                }),
                None => std::io::stdout()
                    .write_all(json.as_bytes())
                    .map_err(|e| Error::new(ErrorCode::Io, format!("cannot write stdout: {e}"))),
            }
        }
    }
}

/// Reads identifiers from `input`, builds the audience and writes the size
/// and measured false-positive report to `report`.
///
/// # Errors
/// As [`run`].
pub fn build_audience(
    args: &BuildArgs,
    input: impl BufRead,
    report: &mut impl Write,
) -> Result<Audience, Error> {
    let identifier = match args.identifier {
        IdentifierArg::Email => IdentifierKind::Email,
        IdentifierArg::Phone => IdentifierKind::Phone,
    };
    let kind = match args.kind {
        KindArg::AdvertiserList => AudienceKind::AdvertiserList,
        KindArg::LicensedCohort => AudienceKind::LicensedCohort,
    };
    let width = FilterWidth::from_bits(args.width)
        .ok_or_else(|| Error::new(ErrorCode::AudienceInvalid, "--width must be 8 or 16"))?;

    let mut hashes = Vec::new();
    let mut skipped = 0usize;
    for line in input.lines() {
        let line =
            line.map_err(|e| Error::new(ErrorCode::Io, format!("cannot read input: {e}")))?;
        if line.trim().is_empty() {
            continue;
        }
        let hash = if args.prehashed {
            IdentifierHash::from_hex(&line)
        } else {
            IdentifierHash::of_raw(identifier, &line)
        };
        match hash {
            Some(h) => hashes.push(h),
            None => skipped += 1,
        }
    }
    let filter = AudienceFilter::build(width, &args.salt, &hashes)?;

    // Probes are hashes of strings no normalizer produces (they contain
    // spaces), so none can be a real member of any list.
    let samples = args.fp_samples.max(1);
    let hits = (0..samples)
        .filter(|i| {
            filter.contains_identifier(&IdentifierHash::of_normalized(&format!(
                "offer-edge fp probe {i}"
            )))
        })
        .count();
    let measured = hits as f64 / f64::from(samples);
    let stated = width.stated_false_positive_rate();
    let write = |report: &mut dyn Write, text: String| {
        writeln!(report, "{text}")
            .map_err(|e| Error::new(ErrorCode::Io, format!("cannot write report: {e}")))
    };
    write(
        report,
        format!(
            "audience {}: {} members ({} duplicate, {skipped} unusable line{} skipped)",
            args.id,
            filter.members(),
            hashes.len() - filter.members() as usize,
            if skipped == 1 { "" } else { "s" }
        ),
    )?;
    write(
        report,
        format!(
            "filter: {} bytes, {}-bit fingerprints, {:.2} bits/member",
            filter.serialized_len(),
            width.bits(),
            filter.bits_per_member()
        ),
    )?;
    write(
        report,
        format!(
            "false positives: {:.4}% measured ({hits} of {samples} synthetic non-members), {:.4}% stated",
            measured * 100.0,
            stated * 100.0
        ),
    )?;
    Ok(filter.to_audience(&args.id, kind, identifier))
}

//! `offer-edge evaluate`: a candidate bundle's estimated value on logged
//! edge decisions (off-policy, docs/LEARNING.md).

use crate::io::{io_err, read};
use offer_edge::bundle::Bundle;
use offer_edge::decide::Engine;
use offer_edge::learn::{self, Estimate, Evaluation, EventLog, LogStats, Reward};
use offer_edge::{Error, Result};
use std::io::BufReader;
use std::path::{Path, PathBuf};

/// Arguments of `evaluate`.
#[derive(clap::Args)]
#[command(after_help = "\
The events are the edge's export (GET /v1/reports/<partner>/events?format=ndjson):
edge decisions made with the learningLog option carry what evaluation needs.
Impressions without a logged propensity (page decisions) or without features
and eligible set (logged without learningLog) are skipped and counted.

The bundle may be unsigned (as demo-bundle writes it) or signed; a signed
bundle's signature is NOT checked: offline evaluation trusts the file given.

The estimate is rewards (accepts) per placement view of the candidate's
model and values, on the logged eligible sets: IPS and self-normalized IPS
with 95 % confidence intervals, next to the logged policy's own value.

Examples:
  offer-edge evaluate --bundle candidate.json --events events.ndjson
  offer-edge evaluate --bundle bundle.signed.json --events events.ndjson --reward conversion --json")]
pub struct Args {
    /// The candidate bundle (unsigned JSON, or a signed file read unverified).
    #[arg(long)]
    bundle: PathBuf,
    /// The exported events (NDJSON).
    #[arg(long)]
    events: PathBuf,
    /// What counts as a success of a shown offer.
    #[arg(long, value_enum, default_value_t = RewardArg::Accept)]
    reward: RewardArg,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
}

/// `--reward`.
#[derive(Clone, Copy, clap::ValueEnum)]
pub enum RewardArg {
    /// An accept of the shown offer.
    Accept,
    /// A conversion attributed to the shown offer.
    Conversion,
}

impl From<RewardArg> for Reward {
    fn from(r: RewardArg) -> Self {
        match r {
            RewardArg::Accept => Reward::Accept,
            RewardArg::Conversion => Reward::Conversion,
        }
    }
}

/// Reads a bundle file (unsigned or signed, unverified).
pub fn read_bundle(path: &Path) -> Result<Bundle> {
    learn::read_bundle(&read(path)?)
        .map_err(|e| Error::new(e.code(), format!("{}: {}", path.display(), e.message())))
}

/// Compiles a bundle read by [`read_bundle`]. Its digest (its identity in
/// receipts) stays zero: nothing offline is receipted.
pub fn compile(bundle: Bundle) -> Result<Engine> {
    Engine::compile(bundle, &[0; 32])
}

/// Reads an event log.
pub fn read_events(path: &Path, reward: Reward) -> Result<EventLog> {
    let file = std::fs::File::open(path).map_err(|e| io_err(path, e))?;
    learn::read_log(BufReader::new(file), reward)
        .map_err(|e| Error::new(e.code(), format!("{}: {}", path.display(), e.message())))
}

/// Evaluates and prints.
pub fn run(args: Args) -> Result<()> {
    let engine = compile(read_bundle(&args.bundle)?)?;
    let log = read_events(&args.events, args.reward.into())?;
    let evaluation = learn::evaluate(&engine, &log)?;
    if args.json {
        let doc = serde_json::json!({
            "reward": log.reward,
            "log": log.stats,
            "evaluation": evaluation,
        });
        println!("{}", crate::io::pretty(&doc)?.trim_end());
    } else {
        print_log(&log);
        print_header(&evaluation);
        print_rows("candidate", &evaluation);
        print_weights("candidate", &evaluation);
    }
    Ok(())
}

/// What the log held and what was skipped.
pub fn print_log(log: &EventLog) {
    let LogStats {
        lines,
        impressions,
        used_impressions,
        without_propensity,
        without_learning_log,
        duplicates,
        rewards,
        matched_rewards,
    } = &log.stats;
    let reward = match log.reward {
        Reward::Accept => "accept",
        Reward::Conversion => "conversion",
    };
    println!(
        "events: {lines} lines, {impressions} impressions; {} logged decisions (placement views) with {used_impressions} impressions",
        log.decisions.len()
    );
    println!(
        "skipped: {without_propensity} impressions without propensity (page decisions), \
         {without_learning_log} without features/eligible (no learningLog), {duplicates} duplicates"
    );
    println!("reward: {reward} ({matched_rewards} of {rewards} {reward} rows matched a logged impression)");
}

/// The column headings of [`print_rows`], then the logged policy's row.
pub fn print_header(e: &Evaluation) {
    println!(
        "\n{:<34} {:>9} {:>21} {:>9}",
        "rewards per placement view", "estimate", "95% CI", "std err"
    );
    row("logged policy (on-policy)", &e.logged);
}

fn row(label: &str, e: &Estimate) {
    println!(
        "{label:<34} {:>9.4} {:>21} {:>9.4}",
        e.value,
        format!("[{:.4}, {:.4}]", e.low, e.high),
        e.std_err
    );
}

/// `name`'s IPS and SNIPS rows.
pub fn print_rows(name: &str, e: &Evaluation) {
    row(&format!("{name} IPS"), &e.ips);
    match &e.snips {
        Some(s) => row(&format!("{name} SNIPS"), s),
        None => println!(
            "{:<34} n/a: the candidate shows none of the logged offers",
            format!("{name} SNIPS")
        ),
    }
}

/// The weights' diagnostics of `name`.
pub fn print_weights(name: &str, e: &Evaluation) {
    println!(
        "{name} weights π/p: effective sample size {:.0} of {} impressions, max {:.2}; \
         offers shown per view: {:.3}",
        e.effective_sample_size, e.impressions, e.max_weight, e.expected_shown
    );
}

//! `offer-edge train`: fit the lookalike model's weights from logged edge
//! decisions into a new bundle, then evaluate it against the base
//! (docs/LEARNING.md).

use crate::cmd_evaluate::{
    compile, print_header, print_log, print_rows, print_weights, read_bundle, read_events,
    RewardArg,
};
use crate::io::{pretty, write_atomic};
use offer_edge::learn::{self, TrainOptions};
use offer_edge::Result;
use std::path::PathBuf;

/// Arguments of `train`.
#[derive(clap::Args)]
#[command(after_help = "\
Fits propensity-weighted (1/p, clipped at --max-weight), L2-regularized
logistic regression of the reward on each logged impression's features: a
global intercept, a weight per feature value (state=NY, cartBand=100-250…)
and per cross the base bundle declares, an intercept per offer (and, with
--per-offer-features, a weight per offer and feature). Writes the base
bundle with model.global and model.offers replaced (crosses, exploration and
everything else kept), unsigned: bump its version, review, then sign it.
Then prints the evaluation of the base and the trained model on the same
log (in-sample for the trained one: optimistic; evaluate on newer events).

The bundle may be unsigned or signed (its signature is NOT checked).

Examples:
  offer-edge train --bundle bundle.json --events events.ndjson -o bundle.trained.json
  offer-edge train --bundle bundle.signed.json --events events.ndjson --l2 4 \\
      --max-weight 10 --per-offer-features -o bundle.trained.json --json")]
pub struct Args {
    /// The base bundle (unsigned JSON, or a signed file read unverified).
    #[arg(long)]
    bundle: PathBuf,
    /// The exported events (NDJSON).
    #[arg(long)]
    events: PathBuf,
    /// Write the trained bundle (JSON, unsigned) here.
    #[arg(short, long)]
    out: PathBuf,
    /// What counts as a success of a shown offer.
    #[arg(long, value_enum, default_value_t = RewardArg::Accept)]
    reward: RewardArg,
    /// Clip sample weights 1/p at this value (≥ 1).
    #[arg(long, default_value_t = 20.0)]
    max_weight: f64,
    /// L2 penalty λ on every weight but the global intercept (> 0).
    #[arg(long, default_value_t = 1.0)]
    l2: f64,
    /// Also fit a weight per (offer, feature).
    #[arg(long)]
    per_offer_features: bool,
    /// Print the report as JSON instead of tables.
    #[arg(long)]
    json: bool,
}

/// Trains, writes the bundle, prints the report.
pub fn run(args: Args) -> Result<()> {
    let base = read_bundle(&args.bundle)?;
    let log = read_events(&args.events, args.reward.into())?;
    let options = TrainOptions {
        l2: args.l2,
        max_weight: args.max_weight,
        per_offer_features: args.per_offer_features,
        ..TrainOptions::default()
    };
    let (model, report) = learn::train(&base, &log, &options)?;
    let mut trained = base.clone();
    trained.model = model;
    offer_edge::bundle::validate(&trained)?;
    let text = pretty(&trained)?;
    let base_eval = learn::evaluate(&compile(base)?, &log)?;
    let trained_eval = learn::evaluate(&compile(trained)?, &log)?;
    write_atomic(&args.out, text.as_bytes())?;
    if args.json {
        let doc = serde_json::json!({
            "reward": log.reward,
            "log": log.stats,
            "fit": report,
            "base": base_eval,
            "trained": trained_eval,
        });
        println!("{}", pretty(&doc)?.trim_end());
        return Ok(());
    }
    println!("wrote {} (unsigned)", args.out.display());
    print_log(&log);
    println!(
        "\nfit: {} impressions ({} rewarded, {} weights clipped at {}), {} parameters, \
         {} L-BFGS iterations{}",
        report.impressions,
        report.rewarded,
        report.clipped_weights,
        args.max_weight,
        report.parameters,
        report.iterations,
        if report.converged {
            ""
        } else {
            " (NOT converged)"
        }
    );
    println!(
        "model: {} weights clamped to ±100, {} pruned to the weight limit, {} offers without \
         impressions (global weights only), {} feature values not representable",
        report.clamped, report.pruned, report.offers_without_data, report.unrepresentable_features
    );
    print_header(&base_eval);
    print_rows("base", &base_eval);
    print_rows("trained (in-sample)", &trained_eval);
    print_weights("trained", &trained_eval);
    Ok(())
}

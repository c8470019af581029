#![cfg(feature = "cli")]
#![allow(clippy::unwrap_used, clippy::expect_used)]
//! `offer-edge audience build`, driven through its clap arguments with
//! in-memory input (the subcommand module is compiled into this test).

#[allow(dead_code)]
#[path = "../src/bin/offer-edge/audience_cmd.rs"]
mod audience_cmd;

use audience_cmd::{build_audience, AudienceArgs, AudienceCommand, BuildArgs};
use clap::Parser;
use offer_edge::audience::{AudienceFilter, FilterWidth, IdentifierHash};
use offer_edge::bundle::{AudienceKind, IdentifierKind};

#[derive(Parser)]
struct Cli {
    #[command(subcommand)]
    command: Top,
}

#[derive(clap::Subcommand)]
enum Top {
    Audience(AudienceArgs),
}

fn parse(args: &[&str]) -> BuildArgs {
    let argv = ["offer-edge", "audience", "build"].iter().chain(args);
    let Cli {
        command:
            Top::Audience(AudienceArgs {
                command: AudienceCommand::Build(build),
            }),
    } = Cli::try_parse_from(argv).unwrap();
    build
}

#[test]
fn builds_an_audience_from_raw_emails_and_reports_size_and_fp_rate() {
    let args = parse(&[
        "--id",
        "northwind-customers",
        "--salt",
        "q4-salt",
        "--fp-samples",
        "20000",
    ]);
    let mut input = String::new();
    for i in 0..3_000 {
        input.push_str(&format!("  Customer{i}@Example.COM \n"));
    }
    input.push_str("customer7@example.com\nnot an email\n\n");
    let mut report = Vec::new();
    let audience = build_audience(&args, input.as_bytes(), &mut report).unwrap();
    let report = String::from_utf8(report).unwrap();
    assert!(
        report.contains("3000 members (1 duplicate, 1 unusable line skipped)"),
        "{report}"
    );
    assert!(report.contains("8-bit fingerprints"), "{report}");
    assert!(report.contains("synthetic non-members"), "{report}");

    assert_eq!(audience.kind, AudienceKind::AdvertiserList);
    assert_eq!(audience.identifier, IdentifierKind::Email);
    assert_eq!(
        audience.false_positive_rate,
        FilterWidth::Fuse8.stated_false_positive_rate()
    );
    let filter = AudienceFilter::from_bundle_audience(&audience).unwrap();
    let member = IdentifierHash::of_raw(IdentifierKind::Email, "customer2999@example.com").unwrap();
    assert!(filter.contains_identifier(&member));
}

#[test]
fn phones_prehashed_lines_and_16_bit_width() {
    let args = parse(&[
        "--id",
        "cohort",
        "--salt",
        "s",
        "--kind",
        "licensedCohort",
        "--identifier",
        "phone",
        "--width",
        "16",
        "--fp-samples",
        "1000",
    ]);
    let audience =
        build_audience(&args, "+1 (555) 010-9999\n".as_bytes(), &mut Vec::new()).unwrap();
    assert_eq!(audience.kind, AudienceKind::LicensedCohort);
    let filter = AudienceFilter::from_bundle_audience(&audience).unwrap();
    assert_eq!(filter.width(), FilterWidth::Fuse16);
    assert!(filter.contains_identifier(&IdentifierHash::of_normalized("15550109999")));

    let hex = IdentifierHash::of_normalized("jane@example.com")
        .as_str()
        .to_owned();
    let args = parse(&[
        "--id",
        "a",
        "--salt",
        "s",
        "--prehashed",
        "--fp-samples",
        "10",
    ]);
    let audience = build_audience(&args, format!("{hex}\n").as_bytes(), &mut Vec::new()).unwrap();
    let filter = AudienceFilter::from_bundle_audience(&audience).unwrap();
    let jane = IdentifierHash::of_raw(IdentifierKind::Email, "Jane@Example.com").unwrap();
    assert!(filter.contains_identifier(&jane));
}

#[test]
fn refuses_unsupported_widths() {
    let argv = [
        "offer-edge",
        "audience",
        "build",
        "--id",
        "a",
        "--salt",
        "s",
        "--width",
        "12",
    ];
    assert!(Cli::try_parse_from(argv).is_err());
}

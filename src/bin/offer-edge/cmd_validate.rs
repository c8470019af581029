//! `offer-edge validate`: what is wrong with a draft bundle, where.
//!
//! Reads an unsigned draft, or a signed file (format v2 manifest or v1
//! DSSE, nothing verified) and checks its bundle: the JSON shape (serde's
//! refusals), everything `sign` refuses (`bundle::lint::check`: validation,
//! rules, templates, audiences) and lint warnings (offers that can never
//! show, caps that never allow one, templates near their budget). Each
//! finding has a stable code, a JSONPath and a line:column.
//!
//! Positions come from `json_spans`: one pass over the text per question
//! (where do the findings' values start; which value holds serde's error),
//! in memory bounded by the depth, whatever a hostile file holds.

use crate::io::read;
use crate::json_spans::{innermost, locate};
use offer_edge::bundle::inspect::{unverified_contents, FileFormat};
use offer_edge::bundle::lint::{check, path_key, Finding, Severity};
use offer_edge::bundle::validate::check_json_depth;
use offer_edge::bundle::Bundle;
use offer_edge::limits::{MAX_BUNDLE_BYTES, MAX_BUNDLE_BYTES_CEILING};
use offer_edge::{Error, ErrorCode, Result};
use serde::Serialize;
use std::io::Write as _;
use std::path::PathBuf;

/// Arguments of `validate`.
#[derive(clap::Args)]
#[command(after_help = "\
Checks a draft bundle (unsigned JSON) or the bundle inside a signed file
(nothing is verified: use `offer-edge verify` for signatures). Reports, each
with a stable code, a JSONPath and line:column:
  errors    the JSON shape (SCHEMA_INVALID, PAYLOAD_MALFORMED) and what
            `sign` refuses (RULE_INVALID, TEMPLATE_INVALID, LIMIT_EXCEEDED,
            CREATIVE_NOT_APPROVED…);
  warnings  OFFER_NO_PLACEMENT, SCHEDULE_OUTSIDE_BUNDLE, RULE_NEVER_MATCHES,
            AUDIENCE_EMPTY, CAP_ZERO, CAP_NEVER_BINDS, TEMPLATE_NEAR_BUDGET,
            BUNDLE_OVER_DEFAULT_LIMIT (see docs/BUNDLES.md).
For a v1 DSSE file, positions are in its decoded payload.

Exit status: 0 no errors (warnings are printed), 1 errors, 2 warnings only
with --deny-warnings.

Examples:
  offer-edge validate draft.json
  offer-edge validate --format json draft.json
  offer-edge validate --deny-warnings bundle.signed.json")]
pub struct Args {
    /// Output: `text` (one line per finding) or `json` (an array of findings).
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Exit 2 when there are warnings but no errors.
    #[arg(long)]
    deny_warnings: bool,
    /// The draft bundle or signed file.
    file: PathBuf,
}

/// How findings are printed.
#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Format {
    /// `path (line:col): severity[CODE]: message`.
    Text,
    /// A JSON array of `{code, severity, path, line, column, message}`.
    Json,
}

/// A finding with its place in the file, as printed.
#[derive(Serialize)]
struct Located {
    code: &'static str,
    severity: Severity,
    path: String,
    line: usize,
    column: usize,
    message: String,
}

/// The bundle's text and where it lies in the file.
struct Source {
    bytes: Vec<u8>,
    /// Byte offset of `bytes` in the file (v2: the bundle follows the manifest).
    offset: usize,
    /// Said before the findings (a DSSE payload's positions are not the file's).
    note: Option<&'static str>,
}

fn refused(code: ErrorCode, message: String) -> Finding {
    Finding {
        code: code.as_str(),
        severity: Severity::Error,
        path: "$".to_owned(),
        message,
    }
}

/// The bundle bytes of `file`: a signed file's bundle, else the file.
fn source(file: Vec<u8>) -> std::result::Result<Source, Finding> {
    let seen = unverified_contents(&file).map_err(|e| refused(e.code(), e.message().to_owned()))?;
    Ok(Source {
        bytes: seen.bundle.into_owned(),
        offset: seen.offset,
        note: (seen.format == FileFormat::Dsse)
            .then_some("positions are in the bundle decoded from the DSSE payload"),
    })
}

/// Everything wrong with `src`'s bundle, or the refusal that stopped it;
/// with the byte offset of a syntax error (which has no path to place it).
fn findings(src: &Source) -> (Vec<Finding>, Option<usize>) {
    // Before any parser or walk recurses into it.
    if let Err(e) = check_json_depth(&src.bytes) {
        return (vec![refused(e.code(), e.message().to_owned())], None);
    }
    let bundle: Bundle = match serde_json::from_slice(&src.bytes) {
        Ok(bundle) => bundle,
        Err(e) => {
            let at = (e.classify() != serde_json::error::Category::Data)
                .then(|| byte_offset(&src.bytes, e.line(), e.column()));
            return (vec![serde_finding(&e, &src.bytes)], at);
        }
    };
    let mut out = check(&bundle);
    if src.bytes.len() > MAX_BUNDLE_BYTES {
        out.push(Finding {
            code: "BUNDLE_OVER_DEFAULT_LIMIT",
            severity: Severity::Warning,
            path: "$".to_owned(),
            message: format!(
                "the bundle is {} bytes: hosts refuse it unless their trust config raises \
                 maxBundleBytes above the default {MAX_BUNDLE_BYTES}",
                src.bytes.len()
            ),
        });
    }
    (out, None)
}

/// A serde refusal as a finding: syntax errors are `PAYLOAD_MALFORMED`,
/// shape errors `SCHEMA_INVALID`, at the deepest value holding the position.
fn serde_finding(e: &serde_json::Error, bytes: &[u8]) -> Finding {
    let code = match e.classify() {
        serde_json::error::Category::Data => ErrorCode::SchemaInvalid,
        _ => ErrorCode::PayloadMalformed,
    };
    let offset = byte_offset(bytes, e.line(), e.column());
    let mut path = innermost(bytes, offset);
    let message = e.to_string();
    // `unknown field `x``, `missing field `x``: name the member itself.
    for lead in ["unknown field `", "missing field `"] {
        if let Some(name) = message
            .strip_prefix(lead)
            .and_then(|rest| rest.split('`').next())
        {
            path.push_str(&path_key(name));
        }
    }
    Finding {
        code: code.as_str(),
        severity: Severity::Error,
        path,
        message: strip_position(&message),
    }
}

/// serde's message without its trailing ` at line L column C` (printed apart).
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message.get(..i).unwrap_or(message).to_owned(),
        None => message.to_owned(),
    }
}

/// Byte offset of serde_json's 1-based `line` and `column`, which counts
/// the bytes read on that line (the error is at the last one).
fn byte_offset(bytes: &[u8], line: usize, column: usize) -> usize {
    let mut start = 0;
    for _ in 1..line {
        match bytes
            .get(start..)
            .and_then(|r| r.iter().position(|&b| b == b'\n'))
        {
            Some(i) => start += i + 1,
            None => break,
        }
    }
    (start + column.saturating_sub(1)).min(bytes.len())
}

/// 1-based line and column (in characters) of each byte offset, in one
/// sweep over the text: per-finding counting from the line start would be
/// quadratic on a one-line file with thousands of findings.
fn positions(text: &[u8], offsets: &[usize]) -> Vec<(usize, usize)> {
    let mut order: Vec<usize> = (0..offsets.len()).collect();
    order.sort_by_key(|&i| offsets.get(i).copied().unwrap_or(0));
    let mut out = vec![(1, 1); offsets.len()];
    let (mut at, mut line, mut column) = (0, 1, 1);
    for i in order {
        let target = offsets.get(i).copied().unwrap_or(0).min(text.len());
        while at < target {
            let b = text.get(at).copied().unwrap_or(0);
            if b == b'\n' {
                line += 1;
                column = 1;
            } else if b & 0xC0 != 0x80 {
                // Not a UTF-8 continuation byte: a new character.
                column += 1;
            }
            at += 1;
        }
        if let Some(slot) = out.get_mut(i) {
            *slot = (line, column);
        }
    }
    out
}

/// Checks the file and prints the findings; see `Args` for the exit status.
pub fn run(args: Args) -> Result<()> {
    let file = read(&args.file)?;
    let name = args.file.display().to_string();
    let mut syntax_at = None;
    let (found, src) = if file.len() > MAX_BUNDLE_BYTES_CEILING {
        let message = format!(
            "{} bytes: no host accepts a bundle over {MAX_BUNDLE_BYTES_CEILING}",
            file.len()
        );
        (vec![refused(ErrorCode::BundleTooLarge, message)], None)
    } else {
        match source(file) {
            Ok(src) => {
                let (found, at) = findings(&src);
                syntax_at = at;
                (found, Some(src))
            }
            Err(refusal) => (vec![refusal], None),
        }
    };
    let paths: Vec<String> = found.iter().map(|f| f.path.clone()).collect();
    let places = match &src {
        Some(s) if syntax_at.is_none() => locate(&s.bytes, &paths),
        _ => vec![("$".to_owned(), syntax_at.unwrap_or(0)); paths.len()],
    };
    let offsets: Vec<usize> = places.iter().map(|(_, start)| *start).collect();
    let at = src.as_ref().map_or_else(
        || vec![(1, 1); offsets.len()],
        |s| positions(&s.bytes, &offsets),
    );
    let located: Vec<Located> = found
        .into_iter()
        .zip(places)
        .zip(at)
        .map(|((f, (present, _)), (line, column))| {
            // The rule compiler's locations can go one step past the JSON
            // (`var/0` for `{"var": "x"}`): print the value that exists.
            let path = if f.code == ErrorCode::RuleInvalid.as_str() {
                present
            } else {
                f.path
            };
            // A v2 file's bundle starts on the manifest's line.
            let (line, column) = match &src {
                Some(s) if s.offset > 0 && line == 1 => (line, column + s.offset),
                _ => (line, column),
            };
            Located {
                code: f.code,
                severity: f.severity,
                path: shortened(path),
                line,
                column,
                message: shortened(f.message),
            }
        })
        .collect();
    print(&args, &name, src.as_ref().and_then(|s| s.note), &located)?;
    let errors = located
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .count();
    let warnings = located.len() - errors;
    // The findings are the report: no `error[CODE]` line repeats them.
    if errors > 0 {
        std::process::exit(1);
    }
    if warnings > 0 && args.deny_warnings {
        std::process::exit(2);
    }
    Ok(())
}

/// Longest path or message printed: a hostile file's megabyte-long key
/// would otherwise be printed whole, twice per finding.
const MAX_SHOWN: usize = 1024;

/// `text`, cut at a character boundary after [`MAX_SHOWN`] bytes.
fn shortened(mut text: String) -> String {
    if text.len() > MAX_SHOWN {
        let mut cut = MAX_SHOWN;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        text.truncate(cut);
        text.push('…');
    }
    text
}

fn print(args: &Args, name: &str, note: Option<&str>, found: &[Located]) -> Result<()> {
    let mut text = String::new();
    match args.format {
        Format::Json => {
            text = serde_json::to_string_pretty(found)
                .map_err(|e| Error::new(ErrorCode::Io, e.to_string()))?;
            text.push('\n');
        }
        Format::Text => {
            if let Some(note) = note {
                text.push_str(&format!("note: {note}\n"));
            }
            for f in found {
                let severity = match f.severity {
                    Severity::Error => "error",
                    Severity::Warning => "warning",
                };
                text.push_str(&format!(
                    "{} ({}:{}): {severity}[{}]: {}\n",
                    f.path, f.line, f.column, f.code, f.message
                ));
            }
            let errors = found
                .iter()
                .filter(|f| f.severity == Severity::Error)
                .count();
            text.push_str(&format!(
                "{name}: {errors} error(s), {} warning(s)\n",
                found.len() - errors
            ));
        }
    }
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
        .map_err(|e| Error::new(ErrorCode::Io, format!("<stdout>: {e}")))
}

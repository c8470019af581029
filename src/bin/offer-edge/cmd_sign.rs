//! `offer-edge sign`: validate a bundle, then sign its exact bytes (and its
//! page edition, without confidential audiences, when it has any).

use crate::io::{read, write_atomic, write_output};
use crate::keyfile::read_signing_key;
use offer_edge::bundle::manifest::{assemble, format_name, minify_json, trim_json, Manifest};
use offer_edge::bundle::validate::check_json_depth;
use offer_edge::bundle::{
    assemble_form, page_edition, validate, Bundle, CompiledDigest, Envelope, BUNDLE_PAYLOAD_TYPE,
};
use offer_edge::context::sha256_hex;
use offer_edge::decide::Engine;
use offer_edge::time::tzdb::{zone_offsets, TIME_ZONE_MARGIN};
use offer_edge::time::ZoneOffsets;
use offer_edge::{Error, ErrorCode, Result};
use serde_json::value::RawValue;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Arguments of `sign`.
#[derive(clap::Args)]
#[command(after_help = "\
The bundle is validated and compiled first: a creative that is not approved is
refused (CREATIVE_NOT_APPROVED), as is any schema or limit violation, a rule
that does not compile (RULE_INVALID) or an unsafe template (TEMPLATE_INVALID). The file's exact
bytes are signed (never re-serialized), so the payload is byte-identical;
with --minify, the whitespace between JSON tokens is dropped first (the values'
bytes stay as written): what a deployment ships, ~40 % fewer bytes for a
pretty-printed bundle.

Confidential audiences (\"confidential\": true, docs/BUNDLES.md): the signed
file (-o) is the full bundle, for the edge; next to it, sign writes the PAGE
bundle, for browsers: the same partner, version and dates, signed by the same
keys, with \"edition\": \"page\" and no filter or salt for any confidential
audience (offers naming one are decided at the edge only). It goes to
--page-out, by default the -o path with .json replaced by .page.json
(out.json → out.page.json). A bundle without confidential audiences writes
one file, as always.

Compiled form (format v2): sign also compiles the bundle pages get (the page
bundle, or the bundle itself without confidential audiences) and writes the
engine's compiled structures to --compiled-out, by default the -o path with
.json replaced by .oeb (out.json → out.oeb). Pages load it instead of the
JSON: no JSON parser, rule compiler or HTML tokenizer runs in the page. The
signed manifest of the JSON file names the form's SHA-256, and the form
carries that same signed manifest. Writing to stdout without
--compiled-out writes no form.

Time zones (docs/BUNDLES.md, \"Time zones\"): a bundle naming an IANA zone
(\"timeZone\": \"America/New_York\") gets the zone's UTC offsets from issuedAt
to expiresAt + 7 days embedded as \"timeZoneOffsets\" (inserted after
\"timeZone\", or replacing the member when the file has one), from the tz
database built into this tool: hosts have none. An unknown zone is refused
(TIME_ZONE_UNKNOWN).

Formats (docs/BUNDLES.md):
  manifest (default, v2)  {\"manifest\":<DSSE envelope of a small manifest holding the
                          bundle's SHA-256>,\"bundle\":<the bundle bytes>}; the file's
                          leading/trailing whitespace is not part of the bundle
  dsse (v1)               a DSSE envelope whose payload is the whole bundle (base64)

Examples:
  offer-edge sign --key keys/acme-2026.key bundle.json -o bundle.signed.json
  offer-edge sign --key keys/a.key --key keys/b.key bundle.json > signed.json
  offer-edge sign --minify --key keys/acme-2026.key bundle.json -o bundle.signed.json
  offer-edge sign --format dsse --key keys/acme-2026.key bundle.json -o bundle.v1.json
  offer-edge sign --key keys/a.key bundle.json -o edge.json --page-out page.json
  offer-edge sign --key keys/a.key bundle.json -o signed.json --compiled-out page.oeb")]
pub struct Args {
    /// Private key file from `keygen` (repeat for several signers).
    #[arg(long = "key", required = true)]
    keys: Vec<PathBuf>,
    /// The bundle JSON to sign.
    bundle: PathBuf,
    /// Write the signed envelope here instead of stdout.
    #[arg(short, long)]
    out: Option<PathBuf>,
    /// Where the signed page bundle goes when the bundle has confidential
    /// audiences (default: the -o path, .json → .page.json).
    #[arg(long)]
    page_out: Option<PathBuf>,
    /// Where the signed compiled form goes (format v2; default: the -o
    /// path, .json → .oeb).
    #[arg(long)]
    compiled_out: Option<PathBuf>,
    /// Drop the whitespace between JSON tokens before signing.
    #[arg(long)]
    minify: bool,
    /// Signed file format.
    #[arg(long, value_enum, default_value_t = Format::Manifest)]
    format: Format,
}

/// The signed file formats `sign` writes.
#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// v2: a signed manifest (SHA-256 of the bundle) next to the bundle bytes.
    Manifest,
    /// v1: a DSSE envelope carrying the whole bundle as its payload.
    Dsse,
}

/// Where the page bundle goes: `--page-out`, else next to `-o`.
fn page_path(args: &Args) -> Result<PathBuf> {
    if let Some(path) = &args.page_out {
        return Ok(path.clone());
    }
    let out = args.out.as_ref().ok_or_else(|| {
        Error::new(
            ErrorCode::Io,
            "the bundle has confidential audiences: give -o (the page bundle goes next to it) or --page-out",
        )
    })?;
    Ok(beside(out, "page.json"))
}

/// `out` with its `.json` extension replaced by `.{extension}`.
fn beside(out: &Path, extension: &str) -> PathBuf {
    let name = out
        .file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
    let stem = name.strip_suffix(".json").unwrap_or(&name);
    out.with_file_name(format!("{stem}.{extension}"))
}

/// Where the compiled form goes: `--compiled-out`, else next to `-o`, else nowhere.
fn compiled_path(args: &Args) -> Option<PathBuf> {
    args.compiled_out
        .clone()
        .or_else(|| args.out.as_ref().map(|out| beside(out, "oeb")))
}

/// The compiled form's body of `engine` (the bundle pages get), once it
/// reads back as written: a form this tool cannot load is refused here, not
/// in every shopper's browser.
fn compiled_form(engine: &Engine) -> Result<Vec<u8>> {
    let body = engine.compiled_form();
    if Engine::from_compiled_form(&body)?.compiled_form() != body {
        return Err(Error::new(
            ErrorCode::PayloadMalformed,
            "the compiled form does not read back as written (an offer-edge bug: please report it)",
        ));
    }
    Ok(body)
}

/// Refuses what a host would refuse at load: the schema, then rules,
/// templates (unsafe constructs), audience filters and the model must
/// compile. Returns the engine of `bytes` (the bundle as it will be signed:
/// its identity is the SHA-256 of those bytes without surrounding whitespace).
fn check(bundle: &Bundle, bytes: &[u8]) -> Result<Engine> {
    validate(bundle)?;
    Engine::compile(bundle.clone(), &Sha256::digest(trim_json(bytes)).into())
}

/// A signed file, and the compiled form signed with it (v2 only).
struct Signed {
    file: Vec<u8>,
    form: Option<Vec<u8>>,
}

/// Signs bundle bytes in `format` (v2: the leading/trailing whitespace is not
/// signed), naming `compiled` (a compiled form's body) in the manifest.
fn sign(
    format: Format,
    payload: &[u8],
    signers: &[(&str, &ed25519_dalek::SigningKey)],
    compiled: Option<&[u8]>,
) -> Result<Signed> {
    match format {
        Format::Manifest => {
            let bundle_bytes = trim_json(payload);
            let mut manifest = Manifest::of(bundle_bytes)?;
            manifest.compiled = compiled.map(|body| CompiledDigest {
                sha256: sha256_hex(body),
                bytes: body.len() as u64,
            });
            let envelope = manifest.envelope(signers)?;
            Ok(Signed {
                file: assemble(&envelope, bundle_bytes)?,
                form: compiled
                    .map(|body| assemble_form(&envelope, body))
                    .transpose()?,
            })
        }
        Format::Dsse => Ok(Signed {
            file: Envelope::sign(BUNDLE_PAYLOAD_TYPE, payload, signers)
                .to_json()?
                .into_bytes(),
            form: None,
        }),
    }
}

/// Validates and signs the bundle, and its page edition when it has one.
pub fn run(args: Args) -> Result<()> {
    let payload = read(&args.bundle)?;
    check_json_depth(&payload)?;
    let bundle = parse(&payload, &args.bundle.display().to_string())?;
    // Minified only once the file parsed as written: dropping whitespace from
    // invalid JSON could make it valid (`[1 2]` → `[12]`), and sign a document
    // its author never wrote.
    let payload = if args.minify {
        minify_json(&payload)
    } else {
        payload
    };
    // A bundle naming an IANA zone gets the zone's UTC offsets embedded
    // (hosts have no tz database); every edition is written from these bytes.
    let (payload, bundle) = match &bundle.time_zone {
        Some(zone) => {
            let table = zone_offsets(
                zone,
                bundle.issued_at,
                bundle.expires_at.plus(TIME_ZONE_MARGIN),
            )?;
            let payload = with_zone_offsets(&payload, &table)?;
            let bundle = parse(&payload, "the bundle with its time zone offsets")?;
            (payload, bundle)
        }
        None => (payload, bundle),
    };
    // The page edition is checked like the full one before anything is written.
    let full_engine = check(&bundle, &payload)?;
    let (page, pages_engine) = match page_edition(&payload, &bundle)? {
        Some(page) => {
            let engine = check(&parse(&page, "the page bundle")?, &page)?;
            (Some((page_path(&args)?, page)), engine)
        }
        None => (None, full_engine),
    };
    let keys = args
        .keys
        .iter()
        .map(|p| read_signing_key(p))
        .collect::<Result<Vec<_>>>()?;
    let signers: Vec<_> = keys.iter().map(|(id, k)| (id.as_str(), k)).collect();
    // The compiled form is of the bundle pages get: the page edition when
    // there is one (the full bundle's filters must never reach a page).
    let form_path = compiled_path(&args).filter(|_| args.format == Format::Manifest);
    let body = form_path
        .as_ref()
        .map(|_| compiled_form(&pages_engine))
        .transpose()?;
    let (full_body, page_body) = match &page {
        Some(_) => (None, body.as_deref()),
        None => (body.as_deref(), None),
    };
    let signed = sign(args.format, &payload, &signers, full_body)?;
    let page = page
        .map(|(path, bytes)| sign(args.format, &bytes, &signers, page_body).map(|s| (path, s)))
        .transpose()?;
    write_output(args.out.as_ref(), &signed.file)?;
    let ids: Vec<&str> = signers.iter().map(|(id, _)| *id).collect();
    eprintln!(
        "signed partner {} version {} ({} offers) with {} ({})",
        bundle.partner,
        bundle.version,
        bundle.offers.len(),
        ids.join(","),
        format_name(&signed.file)
    );
    let form = signed
        .form
        .or_else(|| page.as_ref().and_then(|(_, s)| s.form.clone()));
    if let (Some(path), Some(form)) = (&form_path, form) {
        write_atomic(path, &form)?;
        eprintln!(
            "wrote the compiled form pages load ({} bytes) to {}",
            form.len(),
            path.display()
        );
    }
    if let Some((path, page)) = page {
        write_atomic(&path, &page.file)?;
        let withheld: Vec<&str> = bundle
            .audiences
            .iter()
            .filter(|a| a.confidential)
            .map(|a| a.id.as_str())
            .collect();
        eprintln!(
            "signed the page bundle (confidential audiences withheld: {}) to {}",
            withheld.join(","),
            path.display()
        );
    }
    Ok(())
}

/// `payload` with its `timeZoneOffsets` member set to `table`: the value
/// replaced in place when the author wrote one (a stale table is never
/// signed), else inserted right after the `timeZone` member's value. Every
/// other byte stays as the author wrote it: the signed bundle is still the
/// author's text, with one member more.
fn with_zone_offsets(payload: &[u8], table: &ZoneOffsets) -> Result<Vec<u8>> {
    let malformed = |message: String| Error::new(ErrorCode::PayloadMalformed, message);
    let members: HashMap<String, &RawValue> =
        serde_json::from_slice(payload).map_err(|e| malformed(format!("not a bundle: {e}")))?;
    // Where a member's value lies in `payload`: the raw value borrows it.
    let span = |raw: &RawValue| {
        let text = raw.get();
        (text.as_ptr() as usize)
            .checked_sub(payload.as_ptr() as usize)
            .map(|start| start..start + text.len())
            .filter(|range| range.end <= payload.len())
            .ok_or_else(|| malformed("a member outside the bundle text".to_owned()))
    };
    let value =
        serde_json::to_vec(table).map_err(|e| malformed(format!("timeZoneOffsets: {e}")))?;
    let mut out = payload.to_vec();
    match (members.get("timeZoneOffsets"), members.get("timeZone")) {
        (Some(old), _) => {
            out.splice(span(old)?, value);
        }
        (None, Some(zone)) => {
            let end = span(zone)?.end;
            let member = [b",\"timeZoneOffsets\":".as_slice(), &value].concat();
            out.splice(end..end, member);
        }
        (None, None) => return Err(malformed("the bundle names no timeZone".to_owned())),
    }
    Ok(out)
}

fn parse(json: &[u8], what: &str) -> Result<Bundle> {
    serde_json::from_slice(json).map_err(|e| {
        Error::new(
            ErrorCode::PayloadMalformed,
            format!("{what}: not a bundle: {e}"),
        )
    })
}

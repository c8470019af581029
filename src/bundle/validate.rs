//! Semantic checks on a parsed [`Bundle`]: schema version, unique ids,
//! references that resolve, named limits, approvals and sane numbers.
//!
//! Runs after the signature and freshness checks (a bundle we would refuse
//! anyway is not worth walking) and before compilation.

use super::model::{Action, Audience, AudienceKind, Bundle, Offer, BUNDLE_SCHEMA};
use super::model::{CodeSource, Coupon, CouponCode};
use crate::consent::region::in_gdpr_territory;
use crate::error::{Error, ErrorCode, Result};
use crate::limits::{
    MAX_AUDIENCES, MAX_AUDIENCE_FILTER_BYTES, MAX_AUDIENCE_REFS_PER_OFFER, MAX_CAPS_PER_OFFER,
    MAX_ID_LEN, MAX_JSON_DEPTH, MAX_MODEL_WEIGHTS, MAX_OFFERS, MAX_OFFERS_PER_PLACEMENT,
    MAX_PLACEMENTS, MAX_TEMPLATE_LEN, MAX_TEXT_LEN,
};
use crate::limits::{
    MAX_COUPON_CODE_LEN, MAX_COUPON_PREFIX_LEN, MAX_DERIVED_COUPON_CHARS, MIN_DERIVED_COUPON_CHARS,
};
use crate::time::is_plausible_zone_name;
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use std::collections::BTreeSet;

fn schema(msg: String) -> Error {
    Error::new(ErrorCode::SchemaInvalid, msg)
}

fn limit(msg: String) -> Error {
    Error::new(ErrorCode::LimitExceeded, msg)
}

/// A named IANA zone needs its UTC-offset table, for that zone, covering
/// `issuedAt`..`expiresAt`: hosts have no tz database to fall back on
/// (docs/BUNDLES.md, "Time zones").
pub(crate) fn check_time_zone(bundle: &Bundle) -> Result<()> {
    let invalid = |msg: String| Err(Error::new(ErrorCode::TimeZoneInvalid, msg));
    let missing = |msg: String| Err(Error::new(ErrorCode::TimeZoneMissing, msg));
    let (zone, table) = match (&bundle.time_zone, &bundle.time_zone_offsets) {
        (None, None) => return Ok(()),
        (None, Some(_)) => return invalid("timeZoneOffsets without a timeZone".to_owned()),
        (Some(zone), table) => (zone, table),
    };
    if !is_plausible_zone_name(zone) {
        return invalid(format!("timeZone {zone:?} is not an IANA zone name"));
    }
    if bundle.utc_offset_minutes != 0 {
        return invalid(
            "timeZone and a non-zero utcOffsetMinutes are exclusive: drop utcOffsetMinutes"
                .to_owned(),
        );
    }
    let Some(table) = table else {
        return missing(format!(
            "timeZone {zone:?} without timeZoneOffsets: sign the bundle with `offer-edge sign`, which embeds them"
        ));
    };
    table.check()?;
    if table.zone != *zone {
        return missing(format!(
            "timeZoneOffsets are for {:?}, not the bundle's timeZone {zone:?}: sign it again",
            table.zone
        ));
    }
    if table.from > bundle.issued_at || table.until < bundle.expires_at {
        return missing(format!(
            "timeZoneOffsets cover {}..{}, not the bundle's {}..{}: sign it again",
            table.from, table.until, bundle.issued_at, bundle.expires_at
        ));
    }
    Ok(())
}

/// Tells, byte by byte, whether a JSON text is inside a string literal (escapes
/// included): the one definition the byte-level passes over bundles share.
#[derive(Default)]
pub(crate) struct JsonStrings {
    in_string: bool,
    escaped: bool,
}

impl JsonStrings {
    /// Feeds one byte; true when it is part of a string literal (its quotes
    /// included), false when it is structure, a number, a literal or whitespace.
    pub(crate) fn in_string(&mut self, b: u8) -> bool {
        if self.in_string {
            if self.escaped {
                self.escaped = false;
            } else if b == b'\\' {
                self.escaped = true;
            } else if b == b'"' {
                self.in_string = false;
            }
            return true;
        }
        self.in_string = b == b'"';
        self.in_string
    }
}

/// A bundle (or any signed JSON) nests deeper than [`MAX_JSON_DEPTH`].
pub(crate) fn too_deep() -> Error {
    limit(format!("JSON nests deeper than {MAX_JSON_DEPTH} levels"))
}

/// Refuses JSON nested deeper than [`MAX_JSON_DEPTH`] before any parser
/// recurses into it. Scans bytes, skipping string contents (and escapes), so
/// brackets inside strings do not count. Malformed JSON is left to the parser.
///
/// # Errors
/// `LIMIT_EXCEEDED` when arrays/objects nest deeper than the limit.
pub fn check_json_depth(bytes: &[u8]) -> Result<()> {
    let (mut depth, mut strings) = (0usize, JsonStrings::default());
    for &b in bytes {
        if strings.in_string(b) {
            continue;
        }
        match b {
            b'{' | b'[' => {
                depth += 1;
                if depth > MAX_JSON_DEPTH {
                    return Err(too_deep());
                }
            }
            b'}' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    Ok(())
}

fn check_id(what: &str, id: &str) -> Result<()> {
    if id.is_empty() {
        return Err(schema(format!("{what} id is empty")));
    }
    if id.len() > MAX_ID_LEN {
        return Err(limit(format!(
            "{what} id {id:.32}… is longer than {MAX_ID_LEN} bytes"
        )));
    }
    Ok(())
}

fn check_coupon(coupon: &Coupon) -> Result<()> {
    match &coupon.code {
        CouponCode::Fixed(code) => check_id("coupon code", code)?,
        CouponCode::Issued(CodeSource::Derived { prefix, length }) => {
            check_len("coupon prefix", prefix, MAX_COUPON_PREFIX_LEN)?;
            if !prefix
                .bytes()
                .all(|b| matches!(b, b'A'..=b'Z' | b'0'..=b'9' | b'-'))
            {
                return Err(schema(format!(
                    "coupon prefix {prefix:?} may hold only A-Z, 0-9 and -"
                )));
            }
            if !(MIN_DERIVED_COUPON_CHARS..=MAX_DERIVED_COUPON_CHARS).contains(length) {
                return Err(schema(format!(
                    "coupon length {length} is outside {MIN_DERIVED_COUPON_CHARS}..={MAX_DERIVED_COUPON_CHARS}"
                )));
            }
        }
        CouponCode::Issued(CodeSource::Pool { pool }) => {
            check_id("coupon pool", pool)?;
            // The pool id is a path segment of the upload route.
            if !pool
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
            {
                return Err(schema(format!(
                    "coupon pool {pool:.32?} may hold only A-Z, a-z, 0-9, ., _ and -"
                )));
            }
        }
    }
    if let Some(url) = &coupon.url {
        check_https("coupon url", url)?;
    }
    Ok(())
}

/// Checks a coupon code the edge issues (a pool's code as uploaded, or a
/// derived one) before it is printed anywhere: 1..=[`MAX_COUPON_CODE_LEN`]
/// bytes of `A-Z`, `a-z`, `0-9`, `-` and `_`, so it needs no escaping in
/// HTML, email or URLs.
///
/// # Errors
/// `EVENT_INVALID` for any other text.
pub fn check_issued_coupon_code(code: &str) -> Result<()> {
    let ok = !code.is_empty()
        && code.len() <= MAX_COUPON_CODE_LEN
        && code
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(Error::new(
            ErrorCode::EventInvalid,
            format!(
                "coupon code must be 1..={MAX_COUPON_CODE_LEN} bytes of A-Z, a-z, 0-9, - and _"
            ),
        ))
    }
}

fn check_len(what: &str, text: &str, max: usize) -> Result<()> {
    if text.len() > max {
        return Err(limit(format!("{what} is longer than {max} bytes")));
    }
    Ok(())
}

fn check_count(what: &str, n: usize, max: usize) -> Result<()> {
    if n > max {
        return Err(limit(format!("{n} {what}, at most {max} allowed")));
    }
    Ok(())
}

fn unique<'a>(what: &str, ids: impl Iterator<Item = &'a str>) -> Result<BTreeSet<&'a str>> {
    let mut seen = BTreeSet::new();
    for id in ids {
        check_id(what, id)?;
        if !seen.insert(id) {
            return Err(schema(format!("duplicate {what} id {id:?}")));
        }
    }
    Ok(seen)
}

fn check_https(what: &str, url: &str) -> Result<()> {
    check_len(what, url, MAX_TEXT_LEN)?;
    let rest = url
        .strip_prefix("https://")
        .ok_or_else(|| schema(format!("{what} {url:?} is not an https URL")))?;
    if rest.is_empty() || rest.starts_with('/') {
        return Err(schema(format!("{what} {url:?} has no host")));
    }
    Ok(())
}

fn check_number(what: &str, x: f64) -> Result<()> {
    if !x.is_finite() {
        return Err(schema(format!("{what} is not a finite number")));
    }
    Ok(())
}

/// Checks everything about `bundle` that serde cannot: see the module docs.
///
/// # Errors
/// `SCHEMA_INVALID` (wrong schema, duplicate or dangling ids, bad numbers or
/// URLs, an audience's filter or salt missing where it is required or present
/// where it must be withheld), `LIMIT_EXCEEDED` (a named limit),
/// `CREATIVE_NOT_APPROVED` (any creative not `approved`), `KEY_INVALID`
/// (fulfilment key not 32 bytes).
pub fn validate(bundle: &Bundle) -> Result<()> {
    if bundle.schema != BUNDLE_SCHEMA {
        return Err(schema(format!(
            "bundle schema {} is not supported (expected {BUNDLE_SCHEMA})",
            bundle.schema
        )));
    }
    // Approval first: the signing tool must report it whatever else is wrong.
    if let Some(offer) = bundle
        .offers
        .iter()
        .find(|o| o.creative.approval.status != super::model::ApprovalStatus::Approved)
    {
        return Err(Error::new(
            ErrorCode::CreativeNotApproved,
            format!(
                "creative {:?} of offer {:?} is {:?}, not approved",
                offer.creative.id, offer.id, offer.creative.approval.status
            ),
        ));
    }
    check_id("partner", &bundle.partner)?;
    if bundle.expires_at <= bundle.issued_at {
        return Err(schema("expiresAt must be after issuedAt".to_owned()));
    }
    if !(-18 * 60..=18 * 60).contains(&bundle.utc_offset_minutes) {
        return Err(schema("utcOffsetMinutes must be within ±18h".to_owned()));
    }
    check_time_zone(bundle)?;
    check_fulfilment_key(bundle)?;
    check_count("offers", bundle.offers.len(), MAX_OFFERS)?;
    check_count("placements", bundle.placements.len(), MAX_PLACEMENTS)?;
    check_count("audiences", bundle.audiences.len(), MAX_AUDIENCES)?;

    let placements = unique("placement", bundle.placements.iter().map(|p| p.id.as_str()))?;
    for p in &bundle.placements {
        check_len("placement layout", &p.layout, MAX_TEMPLATE_LEN)?;
        if p.max_offers == 0 || usize::from(p.max_offers) > MAX_OFFERS_PER_PLACEMENT {
            return Err(schema(format!(
                "placement {:?}: maxOffers must be 1..={MAX_OFFERS_PER_PLACEMENT}",
                p.id
            )));
        }
    }
    let audiences = unique("audience", bundle.audiences.iter().map(|a| a.id.as_str()))?;
    for a in &bundle.audiences {
        let (salt, filter) = audience_data(bundle, a)?;
        check_len("audience salt", salt, MAX_TEXT_LEN)?;
        // Base64 length bounds the decoded size without decoding.
        if filter.len() / 4 * 3 > MAX_AUDIENCE_FILTER_BYTES {
            return Err(limit(format!("audience {:?} filter is too large", a.id)));
        }
        let fpr = a.false_positive_rate;
        if !(fpr.is_finite() && fpr > 0.0 && fpr < 1.0) {
            return Err(schema(format!(
                "audience {:?}: falsePositiveRate must be in (0, 1)",
                a.id
            )));
        }
        check_licence(a)?;
    }
    let offers = unique("offer", bundle.offers.iter().map(|o| o.id.as_str()))?;
    unique(
        "creative",
        bundle.offers.iter().map(|o| o.creative.id.as_str()),
    )?;
    for offer in &bundle.offers {
        check_offer(offer, &placements, &audiences)
            .map_err(|e| Error::new(e.code(), format!("offer {:?}: {}", offer.id, e.message())))?;
    }
    check_model(bundle, &offers)
}

/// A licence only on a licensed cohort; its `countries` ISO 3166-1 alpha-2
/// in upper case, at least one, none twice, none where a licensed cohort is
/// never used (the EU, the EEA and the UK: `consent::region`), whatever the
/// licence says — a bundle that claims otherwise is refused rather than
/// silently narrowed.
fn check_licence(a: &Audience) -> Result<()> {
    let Some(licence) = &a.licence else {
        return Ok(());
    };
    let what = |msg: &str| schema(format!("audience {:?}: licence {msg}", a.id));
    if a.kind != AudienceKind::LicensedCohort {
        return Err(what("is for licensed cohorts only"));
    }
    let Some(countries) = &licence.countries else {
        return Ok(());
    };
    if countries.is_empty() {
        return Err(what(
            "names no country (leave `countries` out for anywhere outside the EU and the UK)",
        ));
    }
    // Distinct two-letter codes: at most 26², so no named limit is needed.
    for (i, c) in countries.iter().enumerate() {
        if c.len() != 2 || !c.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(what(&format!(
                "country {c:?} is not an upper-case ISO 3166-1 alpha-2 code"
            )));
        }
        if in_gdpr_territory(c) {
            return Err(what(&format!(
                "names {c}: licensed cohorts are never used in the EU or the UK"
            )));
        }
        if countries[..i].contains(c) {
            return Err(what(&format!("names {c} twice")));
        }
    }
    Ok(())
}

/// An audience's salt and filter, or `("", "")` when they are withheld. Both
/// must be present except for a confidential audience of a page bundle, where
/// both must be absent: a full bundle that lost a filter is refused here,
/// never decided with, and a page bundle cannot leak one.
fn audience_data<'a>(bundle: &Bundle, a: &'a Audience) -> Result<(&'a str, &'a str)> {
    match (a.withheld(bundle.edition), a.salt.as_deref(), a.filter.as_deref()) {
        (false, Some(salt), Some(filter)) => Ok((salt, filter)),
        (true, None, None) => Ok(("", "")),
        (false, _, _) if a.confidential => Err(schema(format!(
            "audience {:?} has no filter or no salt: only a page bundle withholds a confidential audience's",
            a.id
        ))),
        (false, _, _) => Err(schema(format!(
            "audience {:?} needs a filter and a salt (only a confidential audience of a page bundle goes without)",
            a.id
        ))),
        (true, _, _) => Err(schema(format!(
            "audience {:?} is confidential: a page bundle must carry neither its filter nor its salt",
            a.id
        ))),
    }
}

fn check_fulfilment_key(bundle: &Bundle) -> Result<()> {
    let key = &bundle.fulfilment_key;
    check_id("fulfilment key", &key.kid)?;
    let ok = B64.decode(&key.public_key).is_ok_and(|raw| raw.len() == 32);
    if !ok {
        return Err(Error::new(
            ErrorCode::KeyInvalid,
            "fulfilmentKey.publicKey must be base64 of 32 bytes",
        ));
    }
    Ok(())
}

fn check_offer(
    offer: &Offer,
    placements: &BTreeSet<&str>,
    audiences: &BTreeSet<&str>,
) -> Result<()> {
    check_id("campaign", &offer.campaign)?;
    check_id("advertiser", &offer.advertiser)?;
    check_number("value", offer.value)?;
    if offer.value < 0.0 {
        return Err(schema("value must not be negative".to_owned()));
    }
    for p in &offer.placements {
        if !placements.contains(p.as_str()) {
            return Err(schema(format!("unknown placement {p:?}")));
        }
    }
    let refs = &offer.audiences;
    check_count(
        "audience references",
        refs.include.len() + refs.exclude.len(),
        MAX_AUDIENCE_REFS_PER_OFFER,
    )?;
    for a in refs.include.iter().chain(&refs.exclude) {
        if !audiences.contains(a.as_str()) {
            return Err(schema(format!("unknown audience {a:?}")));
        }
    }
    check_count("caps", offer.caps.len(), MAX_CAPS_PER_OFFER)?;
    if let (Some(start), Some(end)) = (offer.schedule.start, offer.schedule.end) {
        if end <= start {
            return Err(schema("schedule end must be after start".to_owned()));
        }
    }
    match &offer.action {
        Action::Link { url } => check_https("action url", url)?,
        Action::AddToCart { sku } => check_id("sku", sku)?,
        Action::Coupon(coupon) => check_coupon(coupon)?,
    }
    let f = &offer.creative.fields;
    for (what, text) in [
        ("headline", Some(&f.headline)),
        ("body", Some(&f.body)),
        ("cta", Some(&f.cta)),
        ("declineLabel", f.decline_label.as_ref()),
        ("imageAlt", f.image_alt.as_ref()),
        ("terms", f.terms.as_ref()),
    ] {
        if let Some(text) = text {
            check_len(what, text, MAX_TEXT_LEN)?;
        }
    }
    if let Some(image) = &f.image {
        // Relative paths are fine; anything with a scheme must be https.
        if image.contains(':') {
            check_https("image", image)?;
        }
        check_len("image", image, MAX_TEXT_LEN)?;
    }
    if let Some(email) = &offer.creative.confirmation_email {
        check_len("email subject", &email.subject, MAX_TEXT_LEN)?;
        check_len("email html", &email.html, MAX_TEMPLATE_LEN)?;
        if let Some(text) = &email.text {
            check_len("email text", text, MAX_TEMPLATE_LEN)?;
        }
    }
    Ok(())
}

fn check_model(bundle: &Bundle, offers: &BTreeSet<&str>) -> Result<()> {
    let model = &bundle.model;
    let mut weights = model.global.features.len();
    for cross in &model.crosses {
        if cross.len() < 2 {
            return Err(schema(
                "a model cross needs at least two features".to_owned(),
            ));
        }
    }
    let all = std::iter::once(&model.global).chain(model.offers.values());
    for w in all {
        check_number("model intercept", w.intercept)?;
        for (name, x) in &w.features {
            check_len("feature name", name, MAX_TEXT_LEN)?;
            check_number("model weight", *x)?;
        }
    }
    for (id, w) in &model.offers {
        if !offers.contains(id.as_str()) {
            return Err(schema(format!("model weights for unknown offer {id:?}")));
        }
        weights += w.features.len();
    }
    check_count("model weights", weights, MAX_MODEL_WEIGHTS)?;
    let priors = model.exploration.default_prior.iter();
    for id in model.exploration.priors.keys() {
        if !offers.contains(id.as_str()) {
            return Err(schema(format!(
                "exploration prior for unknown offer {id:?}"
            )));
        }
    }
    for p in priors.chain(model.exploration.priors.values()) {
        if !(p.alpha.is_finite() && p.beta.is_finite() && p.alpha > 0.0 && p.beta > 0.0) {
            return Err(schema(
                "Beta prior parameters must be finite and > 0".to_owned(),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn depth_scanner_counts_only_structure() {
        let deep = "[".repeat(MAX_JSON_DEPTH + 1);
        assert_eq!(
            check_json_depth(deep.as_bytes()).unwrap_err().code(),
            ErrorCode::LimitExceeded
        );
        let ok = "[".repeat(MAX_JSON_DEPTH) + &"]".repeat(MAX_JSON_DEPTH);
        assert!(check_json_depth(ok.as_bytes()).is_ok());
        let in_string = format!(r#"{{"a":"{}\"{}"}}"#, "[".repeat(100), "{".repeat(100));
        assert!(check_json_depth(in_string.as_bytes()).is_ok());
    }
}

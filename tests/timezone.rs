//! IANA time zones with daylight saving time: `local_hour` / `local_weekday`
//! and the model's hour band read the wall clock from the UTC-offset table
//! `offer-edge sign` embeds (docs/BUNDLES.md, "Time zones"), flipping at
//! exactly each transition; a bundle naming a zone without a table for its
//! validity is refused at load; `sign` embeds the table in the full
//! edition, the page edition and the compiled form alike, and refuses a
//! zone its tz database does not know.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "common/cli.rs"]
mod cli;

use cli::{fails, keygen_args, ok, sign_args, tempdir, trust_args, verify_args, with};
use offer_edge::bundle::{validate, verify_form, verify_page_bundle, Bundle, Trust};
use offer_edge::context::Context;
use offer_edge::decide::{DecideOptions, Engine};
use offer_edge::history::History;
use offer_edge::time::tzdb::{zone_offsets, TIME_ZONE_MARGIN};
use offer_edge::time::{Timestamp, ZoneOffsets, HOUR_MS, MINUTE_MS};
use offer_edge::ErrorCode;
use serde_json::{json, Value};
use std::path::Path;

const BUNDLE_JSON: &str = include_str!("fixtures/decide/bundle.json");
/// The offer whose rule each test sets (no other condition applies to it).
const PROBE: &str = "charity-roundup";
const ISSUED: &str = "2026-01-01T00:00:00Z";
const EXPIRES: &str = "2027-12-31T00:00:00Z";

fn at(text: &str) -> Timestamp {
    Timestamp::parse_rfc3339(text).unwrap()
}

fn table(zone: &str) -> ZoneOffsets {
    zone_offsets(zone, at(ISSUED), at(EXPIRES).plus(TIME_ZONE_MARGIN)).unwrap()
}

/// The shared fixture bundle in `zone` (its table embedded as `sign`
/// would), valid through 2027, with `rule` on the probe offer.
fn bundle_json(zone: &str, rule: &Value) -> Value {
    let mut bundle = bundle_without_table(zone, rule);
    bundle["timeZoneOffsets"] = serde_json::to_value(table(zone)).unwrap();
    bundle
}

/// As [`bundle_json`], as its author writes it: no table.
fn bundle_without_table(zone: &str, rule: &Value) -> Value {
    let mut bundle: Value = serde_json::from_str(BUNDLE_JSON).unwrap();
    let object = bundle.as_object_mut().unwrap();
    object.remove("utcOffsetMinutes");
    object.insert("issuedAt".into(), json!(ISSUED));
    object.insert("expiresAt".into(), json!(EXPIRES));
    object.insert("timeZone".into(), json!(zone));
    for offer in bundle["offers"].as_array_mut().unwrap() {
        if offer["id"] == PROBE {
            offer["eligibility"] = rule.clone();
        }
    }
    bundle
}

/// A validated engine (the checks every host runs at load), JSON-compiled
/// or loaded from its compiled form.
fn engines(zone: &str, rule: Value) -> [Engine; 2] {
    let bundle: Bundle = serde_json::from_value(bundle_json(zone, &rule)).unwrap();
    validate(&bundle).unwrap();
    let compiled = Engine::compile(bundle, &[7; 32]).unwrap();
    let loaded = Engine::from_compiled_form(&compiled.compiled_form()).unwrap();
    assert_eq!(
        loaded.bundle().time_zone_offsets,
        compiled.bundle().time_zone_offsets
    );
    [compiled, loaded]
}

fn context() -> Context {
    Context::from_json(br#"{"state":"CA","country":"US","amount":"64.50"}"#).unwrap()
}

/// Whether the probe offer's rule holds at `now`, the same in both engines.
fn holds_at(engines: &[Engine; 2], now: Timestamp) -> bool {
    let answers = engines.each_ref().map(|engine| {
        let probe = engine
            .bundle()
            .offers
            .iter()
            .position(|o| o.id == PROBE)
            .unwrap() as u32;
        let history = History::new(&engine.bundle().partner);
        engine
            .eligible_offers(&context(), &history, now)
            .unwrap()
            .contains(&probe)
    });
    assert_eq!(
        answers[0], answers[1],
        "JSON and form engines differ at {now}"
    );
    answers[0]
}

fn holds(engines: &[Engine; 2], text: &str) -> bool {
    holds_at(engines, at(text))
}

fn just_before(text: &str) -> Timestamp {
    Timestamp(at(text).as_millis() - 1)
}

fn hour_is(hour: u32) -> Value {
    json!({"==": [{"local_hour": []}, hour]})
}

/// The UTC instants of `day` (minute by minute) at which the rule holds.
fn minutes_holding(engines: &[Engine; 2], day: &str) -> Vec<Timestamp> {
    let start = at(day).as_millis();
    (0..24 * 60)
        .map(|m| Timestamp(start + m * MINUTE_MS))
        .filter(|&t| holds_at(engines, t))
        .collect()
}

#[test]
fn new_york_springs_forward_at_exactly_0700z_and_2am_never_happens() {
    let three = engines("America/New_York", hour_is(3));
    // 2026-03-08: 01:59:59.999 EST is followed by 03:00 EDT.
    assert!(!holds_at(&three, just_before("2026-03-08T07:00:00Z")));
    assert!(holds(&three, "2026-03-08T07:00:00Z"));
    let two = engines("America/New_York", hour_is(2));
    assert!(minutes_holding(&two, "2026-03-08T00:00:00Z").is_empty());
    // The day before and after, 02:00 exists for its hour.
    assert_eq!(minutes_holding(&two, "2026-03-07T00:00:00Z").len(), 60);
    assert_eq!(minutes_holding(&two, "2026-03-09T00:00:00Z").len(), 60);
}

#[test]
fn new_york_falls_back_at_exactly_0600z_and_1am_happens_twice() {
    let one = engines("America/New_York", hour_is(1));
    // 2026-11-01: 01:00–02:00 EDT (05:00Z–06:00Z), then again EST (06:00Z–07:00Z).
    let minutes = minutes_holding(&one, "2026-11-01T00:00:00Z");
    assert_eq!(minutes.len(), 120);
    assert_eq!(minutes[0], at("2026-11-01T05:00:00Z"));
    assert_eq!(minutes[119], at("2026-11-01T06:59:00Z"));
    let two = engines("America/New_York", hour_is(2));
    assert!(holds(&two, "2026-11-01T07:00:00Z"));
    assert!(!holds_at(&two, just_before("2026-11-01T07:00:00Z")));
}

#[test]
fn a_nine_oclock_rule_opens_an_hour_earlier_in_utc_under_daylight_saving() {
    let open = engines("America/New_York", json!({">=": [{"local_hour": []}, 9]}));
    // Scanning from 06:00Z (01:00 or 02:00 in New York, closed).
    let opens = |day: &str| minutes_holding(&open, day)[0];
    assert_eq!(opens("2026-03-07T06:00:00Z"), at("2026-03-07T14:00:00Z"));
    assert_eq!(opens("2026-03-08T06:00:00Z"), at("2026-03-08T13:00:00Z"));
    assert_eq!(opens("2026-10-31T06:00:00Z"), at("2026-10-31T13:00:00Z"));
    assert_eq!(opens("2026-11-01T06:00:00Z"), at("2026-11-01T14:00:00Z"));
}

#[test]
fn sydney_changes_the_other_way_round_and_its_weekday_follows_local_midnight() {
    // Southern hemisphere: AEDT (+11) ends 2026-04-05 03:00 local (16:00Z on
    // the 4th); AEST (+10) ends 2026-10-04 02:00 local (16:00Z on the 3rd).
    let offsets = table("Australia/Sydney");
    assert_eq!(offsets.initial, 660);
    assert_eq!(offsets.offset_at(at("2026-04-04T16:00:00Z")), 600);
    assert_eq!(offsets.offset_at(just_before("2026-04-04T16:00:00Z")), 660);
    assert_eq!(offsets.offset_at(at("2026-10-03T16:00:00Z")), 660);
    let two = engines("Australia/Sydney", hour_is(2));
    assert_eq!(minutes_holding(&two, "2026-04-04T12:00:00Z").len(), 120);
    assert!(minutes_holding(&two, "2026-10-03T12:00:00Z").is_empty());
    // Monday begins at 00:00 AEST = 14:00Z on Sunday 2026-04-05 (it began
    // at 13:00Z a week earlier, under AEDT).
    let monday = engines(
        "Australia/Sydney",
        json!({"==": [{"local_weekday": []}, 0]}),
    );
    assert!(!holds_at(&monday, just_before("2026-04-05T14:00:00Z")));
    assert!(holds(&monday, "2026-04-05T14:00:00Z"));
    assert!(holds(&monday, "2026-03-29T13:00:00Z"));
    assert!(!holds_at(&monday, just_before("2026-03-29T13:00:00Z")));
}

#[test]
fn half_hour_zones_keep_their_half_hour() {
    // Kolkata: +05:30 all year, no transition to embed.
    let kolkata = table("Asia/Kolkata");
    assert_eq!((kolkata.initial, kolkata.transitions.len()), (330, 0));
    let nine = engines("Asia/Kolkata", hour_is(9));
    assert!(holds(&nine, "2026-06-01T03:30:00Z"));
    assert!(!holds_at(&nine, just_before("2026-06-01T03:30:00Z")));
    // Adelaide: +10:30 (ACDT) until 2026-04-05 03:00 local (16:30Z), then +09:30.
    let adelaide = table("Australia/Adelaide");
    assert_eq!(adelaide.initial, 630);
    assert_eq!(adelaide.offset_at(at("2026-04-04T16:30:00Z")), 570);
    // 10:00 ACST is 00:30Z (under ACDT it was 23:30Z the day before).
    let ten = engines("Australia/Adelaide", hour_is(10));
    assert!(!holds(&ten, "2026-04-04T23:30:00Z"));
    assert!(!holds_at(&ten, just_before("2026-04-05T00:30:00Z")));
    assert!(holds(&ten, "2026-04-05T00:30:00Z"));
    assert!(holds(&ten, "2026-04-03T23:30:00Z"));
}

#[test]
fn london_moves_between_gmt_and_bst() {
    let two = engines("Europe/London", hour_is(2));
    // 2026-03-29 01:00Z: 01:00 GMT becomes 02:00 BST.
    assert!(holds(&two, "2026-03-29T01:00:00Z"));
    assert!(!holds_at(&two, just_before("2026-03-29T01:00:00Z")));
    // 2026-10-25 01:00Z: 02:00 BST becomes 01:00 GMT; 01:00 comes twice.
    let one = engines("Europe/London", hour_is(1));
    assert_eq!(minutes_holding(&one, "2026-10-25T00:00:00Z").len(), 120);
}

#[test]
fn the_models_hour_band_reads_the_zone_too() {
    let [engine, loaded] = engines("America/New_York", Value::Null);
    // 10:30Z is 06:30 EDT (morning) but 05:30 EST (night).
    for (now, band) in [
        ("2026-07-01T10:30:00Z", "morning"),
        ("2026-12-01T10:30:00Z", "night"),
    ] {
        let options = DecideOptions {
            learning_log: true,
            ..DecideOptions::default()
        };
        for engine in [&engine, &loaded] {
            let history = History::new(&engine.bundle().partner);
            let decision = engine
                .decide(&context(), &history, at(now), &[1; 32], &options)
                .unwrap();
            let features = decision.features.unwrap();
            assert_eq!(
                features.get("hourBand").map(String::as_str),
                Some(band),
                "{now}"
            );
        }
    }
}

fn refused(bundle: Value) -> ErrorCode {
    let bundle: Bundle = serde_json::from_value(bundle).unwrap();
    validate(&bundle).unwrap_err().code()
}

#[test]
fn a_zone_without_its_table_for_the_validity_window_is_refused_at_load() {
    let good = bundle_json("America/New_York", &Value::Null);
    let with = |edit: &dyn Fn(&mut Value)| {
        let mut b = good.clone();
        edit(&mut b);
        b
    };
    // No table: hosts have no tz database to compute one.
    assert_eq!(
        refused(with(&|b| {
            b.as_object_mut().unwrap().remove("timeZoneOffsets");
        })),
        ErrorCode::TimeZoneMissing
    );
    // Not even a draft engine (no signature, no validation) decides in UTC
    // for want of a table.
    let tableless: Bundle = serde_json::from_value(with(&|b| {
        b.as_object_mut().unwrap().remove("timeZoneOffsets");
    }))
    .unwrap();
    let err = Engine::compile(tableless, &[0; 32]).err().unwrap();
    assert_eq!(err.code(), ErrorCode::TimeZoneMissing);
    // Another zone's table.
    assert_eq!(
        refused(with(&|b| {
            b["timeZoneOffsets"] = serde_json::to_value(table("Europe/London")).unwrap();
        })),
        ErrorCode::TimeZoneMissing
    );
    // A stale table: the bundle's validity was extended after signing.
    assert_eq!(
        refused(with(&|b| b["expiresAt"] = json!("2028-06-01T00:00:00Z"))),
        ErrorCode::TimeZoneMissing
    );
    assert_eq!(
        refused(with(&|b| b["issuedAt"] = json!("2025-06-01T00:00:00Z"))),
        ErrorCode::TimeZoneMissing
    );
    // A zone and a fixed offset contradict each other.
    assert_eq!(
        refused(with(&|b| b["utcOffsetMinutes"] = json!(-300))),
        ErrorCode::TimeZoneInvalid
    );
    // A table without a zone, a name that is no zone name.
    assert_eq!(
        refused(with(&|b| {
            b.as_object_mut().unwrap().remove("timeZone");
        })),
        ErrorCode::TimeZoneInvalid
    );
    for name in ["", "../../etc/localtime", "America/New York", "-05:00"] {
        assert_eq!(
            refused(with(&|b| {
                b["timeZone"] = json!(name);
                b["timeZoneOffsets"]["zone"] = json!(name);
            })),
            ErrorCode::TimeZoneInvalid,
            "{name:?}"
        );
    }
    // Tables no host may misread: unordered, out of range, too long.
    assert_eq!(
        refused(with(&|b| {
            let t = b["timeZoneOffsets"]["transitions"].as_array_mut().unwrap();
            t.swap(0, 1);
        })),
        ErrorCode::TimeZoneInvalid
    );
    assert_eq!(
        refused(with(
            &|b| b["timeZoneOffsets"]["transitions"][0][1] = json!(19 * 60)
        )),
        ErrorCode::TimeZoneInvalid
    );
    assert_eq!(
        refused(with(&|b| {
            let from = at(ISSUED).as_millis();
            b["timeZoneOffsets"]["transitions"] = (0..300)
                .map(|i| {
                    let t = Timestamp(from + i * HOUR_MS).to_string();
                    json!([t, if i % 2 == 0 { -240 } else { -300 }])
                })
                .collect();
        })),
        ErrorCode::LimitExceeded
    );
    // A misspelt member is a parse error, as everywhere in a bundle.
    let mut extra = good.clone();
    extra["timeZoneOffsets"]["dst"] = json!(true);
    assert!(serde_json::from_value::<Bundle>(extra).is_err());
    // The good one loads.
    let bundle: Bundle = serde_json::from_value(good).unwrap();
    validate(&bundle).unwrap();
}

/// Keys, a trust config and `bundle.json` (the fixture bundle in `zone`,
/// with no table, a confidential audience so a page edition is written)
/// in a fresh directory.
fn signing_dir(name: &str, zone: &str, extra: &dyn Fn(&mut Value)) -> std::path::PathBuf {
    let dir = tempdir(name);
    ok(&dir, &keygen_args("tz-1"));
    let pinned = ["keys/tz-1.pub"];
    ok(
        &dir,
        &trust_args("fixture-outfitters", &pinned, "trust.json"),
    );
    let mut bundle = bundle_without_table(zone, &hour_is(3));
    let object = bundle.as_object_mut().unwrap();
    object.insert("issuedAt".into(), json!("2026-03-01T00:00:00Z"));
    object.insert("expiresAt".into(), json!("2026-03-20T00:00:00Z"));
    bundle["audiences"][0]["confidential"] = json!(true);
    extra(&mut bundle);
    std::fs::write(
        dir.join("bundle.json"),
        serde_json::to_string_pretty(&bundle).unwrap(),
    )
    .unwrap();
    dir
}

/// `sign` of a [`signing_dir`]'s `bundle.json` to `signed.json`.
fn sign_bundle_json() -> Vec<&'static str> {
    sign_args("keys/tz-1.key", "bundle.json", "signed.json")
}

fn signed_bundle(dir: &Path, file: &str) -> Value {
    let signed: Value = serde_json::from_slice(&std::fs::read(dir.join(file)).unwrap()).unwrap();
    signed["bundle"].clone()
}

#[test]
fn sign_embeds_the_zones_offsets_in_every_edition_and_the_compiled_form() {
    let dir = signing_dir("tz-sign", "America/New_York", &|_| {});
    ok(&dir, &sign_bundle_json());
    let full = signed_bundle(&dir, "signed.json");
    let page = signed_bundle(&dir, "signed.page.json");
    assert_eq!(page["edition"], "page");
    let embedded = &full["timeZoneOffsets"];
    assert_eq!(
        *embedded,
        json!({
            "zone": "America/New_York",
            "from": "2026-03-01T00:00:00Z",
            // expiresAt + 7 days: the margin a trust's decide grace may use.
            "until": "2026-03-27T00:00:00Z",
            "initial": -300,
            "transitions": [["2026-03-08T07:00:00Z", -240]],
        })
    );
    assert_eq!(page["timeZoneOffsets"], *embedded);
    // The author's bytes stay: the member follows `timeZone`, nothing else moved.
    let author = std::fs::read_to_string(dir.join("bundle.json")).unwrap();
    let signed_text = {
        let file = std::fs::read_to_string(dir.join("signed.json")).unwrap();
        let file = file.trim_end();
        let start = file.find("\"bundle\":").unwrap() + "\"bundle\":".len();
        file[start..file.len() - 1].trim().to_owned()
    };
    let table: ZoneOffsets = serde_json::from_value(embedded.clone()).unwrap();
    let inserted = format!(
        ",\"timeZoneOffsets\":{}",
        serde_json::to_string(&table).unwrap()
    );
    assert!(signed_text.contains(&format!("\"timeZone\": \"America/New_York\"{inserted}")));
    assert!(
        signed_text.replacen(&inserted, "", 1) == author.trim(),
        "the signed bundle is the author's text and the inserted member"
    );

    // Every host check holds: the JSON, the page bundle and the form verify,
    // and the form (what pages load) decides from the same table.
    for file in ["signed.json", "signed.oeb"] {
        let now = "2026-03-05T00:00:00Z";
        ok(&dir, &verify_args("trust.json", now, file));
    }
    let trust = Trust::from_json(&std::fs::read(dir.join("trust.json")).unwrap()).unwrap();
    let form_bytes = std::fs::read(dir.join("signed.oeb")).unwrap();
    let form = verify_form(&trust, &form_bytes, at("2026-03-05T00:00:00Z")).unwrap();
    let full_bundle: Bundle = serde_json::from_value(full.clone()).unwrap();
    let page_bytes = std::fs::read(dir.join("signed.page.json")).unwrap();
    let page_verified = verify_page_bundle(
        &trust,
        &page_bytes,
        at("2026-03-05T00:00:00Z"),
        &full_bundle,
    )
    .unwrap();
    assert_eq!(
        page_verified.bundle.time_zone_offsets,
        full_bundle.time_zone_offsets
    );
    let engine = Engine::from_compiled_form(form.body).unwrap();
    assert_eq!(engine.bundle().time_zone_offsets, Some(table));
    assert_eq!(
        engine.bundle().time_zone.as_deref(),
        Some("America/New_York")
    );
}

#[test]
fn sign_replaces_a_stale_table_and_refuses_unknown_zones() {
    // The author kept last month's table: sign writes the current one.
    let stale = table("America/New_York");
    let dir = signing_dir("tz-stale", "America/New_York", &|b| {
        b["timeZoneOffsets"] = serde_json::to_value(&stale).unwrap();
    });
    ok(&dir, &with(sign_bundle_json(), &["--minify"]));
    let full = signed_bundle(&dir, "signed.json");
    assert_eq!(full["timeZoneOffsets"]["from"], "2026-03-01T00:00:00Z");
    assert_eq!(full["timeZoneOffsets"]["until"], "2026-03-27T00:00:00Z");

    for (zone, code) in [
        ("Mars/Olympus_Mons", "TIME_ZONE_UNKNOWN"),
        ("america/new_york", "TIME_ZONE_UNKNOWN"),
        ("../../etc/localtime", "TIME_ZONE_INVALID"),
    ] {
        let dir = signing_dir("tz-unknown", zone, &|_| {});
        fails(&dir, &sign_bundle_json(), code);
        assert!(!dir.join("signed.json").exists(), "{zone}");
    }
    // A zone next to a fixed offset is refused before anything is signed.
    let dir = signing_dir("tz-both", "Europe/London", &|b| {
        b["utcOffsetMinutes"] = json!(60)
    });
    fails(&dir, &sign_bundle_json(), "TIME_ZONE_INVALID");
}

#[test]
fn the_shared_fixtures_zone_table_is_what_sign_embeds() {
    // tests/fixtures/decide/cases.json carries the table by hand (the wasm
    // and JS runners have no tz database): it must be the tz database's.
    let cases: Value = serde_json::from_str(include_str!("fixtures/decide/cases.json")).unwrap();
    let base: Value = serde_json::from_str(BUNDLE_JSON).unwrap();
    let zoned: Vec<&Value> = cases["cases"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["bundlePatch"].get("timeZone").map(|_| &c["bundlePatch"]))
        .collect();
    assert!(zoned.len() >= 3);
    for patch in zoned {
        let written: ZoneOffsets =
            serde_json::from_value(patch["timeZoneOffsets"].clone()).unwrap();
        let issued = at(base["issuedAt"].as_str().unwrap());
        let expires = at(patch["expiresAt"].as_str().unwrap());
        let computed = zone_offsets(
            patch["timeZone"].as_str().unwrap(),
            issued,
            expires.plus(TIME_ZONE_MARGIN),
        )
        .unwrap();
        assert_eq!(written, computed);
    }
}

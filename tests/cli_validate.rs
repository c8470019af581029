//! `offer-edge validate`: each finding names the right code, JSONPath and
//! line of the file an author wrote; hostile files are refused with a code,
//! never a crash; signed files are read (not verified). The codes are
//! stable: tools match on them.
#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::cli::{bin, tempdir};
use offer_edge::audience::{AudienceFilter, FilterWidth, IdentifierHash};
use offer_edge::bundle::{AudienceKind, IdentifierKind};
use offer_edge::demo::demo_bundle;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

/// A small real draft (4 demo offers), as an author's pretty JSON.
fn demo() -> Value {
    let b = demo_bundle("acme", 4, 1, common::issued(), common::fulfilment_key());
    serde_json::to_value(&b).unwrap()
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

/// Runs `validate --format json`: exit code and findings.
fn validate_json(path: &Path, extra: &[&str]) -> (i32, Vec<Value>) {
    let out = bin()
        .args(["validate", "--format", "json"])
        .args(extra)
        .arg(path)
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    let findings: Vec<Value> = serde_json::from_str(&stdout).unwrap_or_else(|e| {
        panic!(
            "not a JSON array ({e}): {stdout} / {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code().unwrap(), findings)
}

/// 1-based line of the first line containing `needle`.
fn line_of(text: &str, needle: &str) -> u64 {
    text.lines().position(|l| l.contains(needle)).expect(needle) as u64 + 1
}

/// 1-based line of the last line containing `key` at or above the first
/// line containing `needle` (where the object or array holding it opens).
fn opened_above(text: &str, needle: &str, key: &str) -> u64 {
    let lines: Vec<&str> = text.lines().take(line_of(text, needle) as usize).collect();
    lines.iter().rposition(|l| l.contains(key)).expect(key) as u64 + 1
}

/// The one finding with `code`, asserting it exists.
fn finding<'a>(findings: &'a [Value], code: &str) -> &'a Value {
    let found: Vec<&Value> = findings.iter().filter(|f| f["code"] == code).collect();
    assert_eq!(found.len(), 1, "{code} in {findings:#?}");
    found[0]
}

/// Writes `doc` pretty-printed, validates it, returns (text, exit, findings).
fn run(name: &str, doc: &Value) -> (String, i32, Vec<Value>) {
    let dir = tempdir(&format!("validate-{name}"));
    let text = serde_json::to_string_pretty(doc).unwrap();
    let path = write(&dir, "draft.json", &text);
    let (code, findings) = validate_json(&path, &[]);
    (text, code, findings)
}

#[test]
fn the_demo_bundle_is_clean() {
    let (_, code, findings) = run("clean", &demo());
    assert_eq!((code, findings), (0, vec![]));
    // Text output: just the summary.
    let dir = tempdir("validate-clean-text");
    let path = write(
        &dir,
        "draft.json",
        &serde_json::to_string_pretty(&demo()).unwrap(),
    );
    let out = bin().arg("validate").arg(&path).output().unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8(out.stdout)
        .unwrap()
        .ends_with(": 0 error(s), 0 warning(s)\n"));
}

#[test]
fn lint_is_a_pure_function_of_the_parsed_bundle() {
    use offer_edge::bundle::lint::{check, lint, Finding, Severity, CAP_ZERO};
    use offer_edge::bundle::{Cap, CapScope, CapWindow};
    let mut bundle = demo_bundle("acme", 4, 1, common::issued(), common::fulfilment_key());
    assert_eq!((lint(&bundle), check(&bundle)), (vec![], vec![]));
    bundle.offers[2].caps = vec![Cap {
        scope: CapScope::Offer,
        max: 0,
        window: CapWindow::Week,
    }];
    let expected = Finding {
        code: CAP_ZERO,
        severity: Severity::Warning,
        path: "$.offers[2].caps[0].max".to_owned(),
        message: format!(
            "offer {:?}: a cap of 0 impressions per week means it never shows",
            bundle.offers[2].id
        ),
    };
    assert_eq!(lint(&bundle), vec![expected.clone()]);
    assert_eq!(check(&bundle), vec![expected]);
}

#[test]
fn the_decision_fixtures_hand_written_bundle_is_clean() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/decide/bundle.json");
    assert_eq!(validate_json(&path, &["--deny-warnings"]), (0, vec![]));
}

#[test]
fn each_lint_names_the_offending_value_and_its_line() {
    struct Case {
        code: &'static str,
        mutate: fn(&mut Value),
        path: &'static str,
        /// Finds the expected line in the written text.
        line: fn(&str) -> u64,
    }
    let cases = [
        Case {
            code: "CAP_ZERO",
            mutate: |d| {
                d["offers"][1]["caps"] = json!([{"scope": "offer", "max": 0, "window": "day"}])
            },
            path: "$.offers[1].caps[0].max",
            line: |t| line_of(t, "\"max\": 0"),
        },
        Case {
            code: "CAP_NEVER_BINDS",
            mutate: |d| {
                d["offers"][1]["caps"] = json!([
                    {"scope": "campaign", "max": 5, "window": "day"},
                    {"scope": "campaign", "max": 3, "window": "week"}
                ])
            },
            path: "$.offers[1].caps[0]",
            // Keys print sorted: the object's `{` is the line before `max`.
            line: |t| line_of(t, "\"max\": 5") - 1,
        },
        Case {
            code: "SCHEDULE_OUTSIDE_BUNDLE",
            mutate: |d| d["offers"][2]["schedule"] = json!({"end": "2020-01-01T00:00:00Z"}),
            path: "$.offers[2].schedule.end",
            line: |t| line_of(t, "2020-01-01T00:00:00Z"),
        },
        Case {
            code: "SCHEDULE_OUTSIDE_BUNDLE",
            mutate: |d| d["offers"][3]["schedule"] = json!({"start": "2098-01-01T00:00:00Z"}),
            path: "$.offers[3].schedule.start",
            line: |t| line_of(t, "2098-01-01T00:00:00Z"),
        },
        Case {
            code: "RULE_NEVER_MATCHES",
            mutate: |d| d["offers"][2]["eligibility"] = json!(false),
            path: "$.offers[2].eligibility",
            line: |t| line_of(t, "\"eligibility\": false"),
        },
        Case {
            code: "RULE_NEVER_MATCHES",
            mutate: |d| {
                d["offers"][2]["eligibility"] = json!({"and": [
                    {"==": [{"var": "state"}, "ZZ"]},
                    {"in": [{"var": "state"}, ["NY", "TX"]]}
                ]})
            },
            path: "$.offers[2].eligibility",
            line: |t| opened_above(t, "\"ZZ\"", "\"eligibility\": {"),
        },
        Case {
            code: "RULE_NEVER_MATCHES",
            mutate: |d| {
                d["offers"][0]["eligibility"] = json!({"and": [
                    {">": [{"var": "amount"}, 100.5]},
                    {"<": [{"var": "amount"}, 50.5]}
                ]})
            },
            path: "$.offers[0].eligibility",
            line: |t| opened_above(t, "100.5", "\"eligibility\": {"),
        },
        Case {
            code: "OFFER_NO_PLACEMENT",
            mutate: |d| {
                d["placements"] = json!([]);
                d["offers"] = json!([d["offers"][0].clone()]);
                d["offers"][0]["placements"] = json!([]);
                d["model"] = json!({});
            },
            path: "$.offers[0].placements",
            line: |t| line_of(t, "\"placements\": []"),
        },
        Case {
            code: "TEMPLATE_NEAR_BUDGET",
            // A first name prints at most 256 bytes, escaped for HTML up to
            // 6× that: 150 of them are over 3/4 of the 256 KiB budget.
            mutate: |d| d["placements"][0]["layout"] = json!("{{firstname}}".repeat(150)),
            path: "$.placements[0].layout",
            line: |t| line_of(t, "{{firstname}}{{firstname}}"),
        },
    ];
    for (i, case) in cases.iter().enumerate() {
        let mut doc = demo();
        (case.mutate)(&mut doc);
        let (text, code, findings) = run(&format!("lint-{i}"), &doc);
        assert_eq!(
            code, 0,
            "{}: warnings alone exit 0: {findings:#?}",
            case.code
        );
        assert!(
            findings.iter().all(|f| f["severity"] == "warning"),
            "{findings:#?}"
        );
        let f = finding(&findings, case.code);
        assert_eq!(f["path"], case.path, "{}", case.code);
        assert_eq!(f["line"], (case.line)(&text), "{}: {f}", case.code);
    }
}

#[test]
fn an_empty_inclusion_audience_is_named_where_the_offer_requires_it() {
    let mut doc = demo();
    let empty = AudienceFilter::build(FilterWidth::Fuse8, "s", &[] as &[IdentifierHash]).unwrap();
    let audience = empty.to_audience(
        "nobody",
        AudienceKind::AdvertiserList,
        IdentifierKind::Email,
    );
    doc["audiences"]
        .as_array_mut()
        .unwrap()
        .push(serde_json::to_value(audience).unwrap());
    doc["offers"][3]["audiences"] = json!({"include": ["nobody"], "exclude": []});
    let (text, code, findings) = run("audience-empty", &doc);
    assert_eq!(code, 0);
    let f = finding(&findings, "AUDIENCE_EMPTY");
    assert_eq!(f["path"], "$.offers[3].audiences.include[0]");
    let line = text.lines().position(|l| l.trim() == "\"nobody\"").unwrap() as u64 + 1;
    assert_eq!(f["line"], line);
}

#[test]
fn deny_warnings_exits_2_and_text_output_reads_like_a_compiler() {
    let mut doc = demo();
    doc["offers"][1]["caps"] = json!([{"scope": "offer", "max": 0, "window": "day"}]);
    let dir = tempdir("validate-deny");
    let text = serde_json::to_string_pretty(&doc).unwrap();
    let path = write(&dir, "draft.json", &text);
    let (code, _) = validate_json(&path, &["--deny-warnings"]);
    assert_eq!(code, 2);
    let out = bin().arg("validate").arg(&path).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let stdout = String::from_utf8(out.stdout).unwrap();
    let line = line_of(&text, "\"max\": 0");
    assert!(
        stdout.starts_with(&format!("$.offers[1].caps[0].max ({line}:")),
        "{stdout}"
    );
    assert!(stdout.contains("): warning[CAP_ZERO]: "), "{stdout}");
    assert!(stdout.ends_with(": 0 error(s), 1 warning(s)\n"), "{stdout}");
}

#[test]
fn schema_errors_name_the_member_and_its_line() {
    /// What is wrong, how to break the draft, the path, the line's needle.
    type Case = (&'static str, fn(&mut Value), &'static str, &'static str);
    let cases: [Case; 3] = [
        (
            "unknown field",
            |d| d["offers"][1]["creative"]["fields"]["headlien"] = json!("Hi"),
            "$.offers[1].creative.fields.headlien",
            "\"headlien\"",
        ),
        (
            "wrong type",
            |d| d["placements"][0]["maxOffers"] = json!("three"),
            "$.placements[0].maxOffers",
            "\"three\"",
        ),
        (
            "missing field",
            |d| {
                d["offers"][2]["creative"]["fields"]
                    .as_object_mut()
                    .unwrap()
                    .remove("cta");
                d["offers"][2]["creative"]["fields"]["terms"] = json!("MARKER");
            },
            "$.offers[2].creative.fields.cta",
            // Reported on the object that lacks it (its `{` line).
            "MARKER",
        ),
    ];
    for (what, mutate, path, needle) in cases {
        let mut doc = demo();
        mutate(&mut doc);
        let (text, code, findings) = run(&format!("schema-{}", what.replace(' ', "-")), &doc);
        assert_eq!(code, 1, "{what}");
        let f = finding(&findings, "SCHEMA_INVALID");
        assert_eq!(f["path"], path, "{what}");
        assert_eq!(f["severity"], "error");
        let line = if what == "missing field" {
            // Reported where `fields` opens, above `MARKER`.
            opened_above(&text, needle, "\"fields\": {")
        } else {
            line_of(&text, needle)
        };
        assert_eq!(f["line"], line, "{what}");
    }
}

#[test]
fn what_sign_refuses_is_placed_on_the_member_its_message_names() {
    // (code, how to break the draft, path, needle on the reported line or
    // just below it, lines above the needle).
    type Case = (
        &'static str,
        fn(&mut Value),
        &'static str,
        &'static str,
        u64,
    );
    let cases: [Case; 4] = [
        (
            "SCHEMA_INVALID",
            |d| d["offers"][1]["id"] = d["offers"][0]["id"].clone(),
            "$.offers[1].id",
            "",
            0,
        ),
        (
            "SCHEMA_INVALID",
            |d| d["offers"][2]["placements"] = json!(["nowhere"]),
            "$.offers[2].placements",
            // The array opens on the line above its item.
            "\"nowhere\"",
            1,
        ),
        (
            "SCHEMA_INVALID",
            |d| d["model"]["offers"]["ghost-offer"] = json!({"intercept": 1.0}),
            "$.model.offers[\"ghost-offer\"]",
            "\"ghost-offer\"",
            0,
        ),
        (
            "SCHEMA_INVALID",
            |d| d["expiresAt"] = d["issuedAt"].clone(),
            "$.expiresAt",
            "\"expiresAt\"",
            0,
        ),
    ];
    for (i, (code, mutate, path, needle, above)) in cases.into_iter().enumerate() {
        let mut doc = demo();
        mutate(&mut doc);
        let (text, exit, findings) = run(&format!("placed-{i}"), &doc);
        assert_eq!(exit, 1, "{path}");
        let f = finding(&findings, code);
        assert_eq!(f["path"], path, "{findings:#?}");
        if !needle.is_empty() {
            assert_eq!(f["line"], line_of(&text, needle) - above, "{path}");
        }
    }
}

#[test]
fn every_bad_rule_and_every_unapproved_creative_is_reported_at_once() {
    let mut doc = demo();
    doc["offers"][0]["eligibility"] = json!({"==": [{"var": "shoe_size"}, 42]});
    doc["offers"][2]["eligibility"] = json!({"frobnicate": [1]});
    doc["offers"][3]["creative"]["approval"]["status"] = json!("pending");
    let (text, code, findings) = run("many-errors", &doc);
    assert_eq!(code, 1);
    let rules: Vec<&Value> = findings
        .iter()
        .filter(|f| f["code"] == "RULE_INVALID")
        .collect();
    assert_eq!(rules.len(), 2, "{findings:#?}");
    assert_eq!(rules[0]["path"], "$.offers[0].eligibility[\"==\"][0].var");
    assert_eq!(rules[0]["line"], line_of(&text, "\"shoe_size\""));
    assert!(rules[0]["message"]
        .as_str()
        .unwrap()
        .contains("custom.shoe_size"));
    assert_eq!(rules[1]["path"], "$.offers[2].eligibility.frobnicate");
    assert_eq!(rules[1]["line"], line_of(&text, "\"frobnicate\""));
    let f = finding(&findings, "CREATIVE_NOT_APPROVED");
    assert_eq!(f["path"], "$.offers[3].creative.approval.status");
    assert_eq!(f["line"], line_of(&text, "\"pending\""));
}

#[test]
fn a_template_over_its_budget_is_an_error_at_the_template() {
    let mut doc = demo();
    doc["placements"][0]["layout"] = json!("{{firstname}}".repeat(200));
    let (text, code, findings) = run("template-over", &doc);
    assert_eq!(code, 1);
    let f = finding(&findings, "TEMPLATE_INVALID");
    assert_eq!(f["path"], "$.placements[0].layout");
    assert_eq!(f["line"], line_of(&text, "{{firstname}}{{firstname}}"));
}

#[test]
fn a_draft_names_its_time_zone_and_validate_embeds_it_as_sign_does() {
    let mut doc = demo();
    doc["timeZone"] = json!("America/New_York");
    let (_, code, findings) = run("zone-and-offset", &doc);
    assert_eq!(code, 1, "a zone and a fixed offset are exclusive");
    assert_eq!(
        finding(&findings, "TIME_ZONE_INVALID")["path"],
        "$.utcOffsetMinutes"
    );
    doc["utcOffsetMinutes"] = json!(0);
    let (_, code, findings) = run("zone-ok", &doc);
    assert_eq!((code, findings), (0, vec![]));
    doc["timeZone"] = json!("Mars/Olympus_Mons");
    let (text, code, findings) = run("zone-unknown", &doc);
    assert_eq!(code, 1);
    let f = finding(&findings, "TIME_ZONE_UNKNOWN");
    assert_eq!(f["path"], "$.timeZone");
    assert_eq!(f["line"], line_of(&text, "Mars/Olympus_Mons"));
}

#[test]
fn hostile_files_are_refused_with_a_code() {
    let dir = tempdir("validate-hostile");
    // Over the 16 MiB ceiling: refused before it is read as JSON.
    let huge = write(&dir, "huge.json", &" ".repeat(16 * 1024 * 1024 + 1));
    let (code, findings) = validate_json(&huge, &[]);
    assert_eq!(
        (code, finding(&findings, "BUNDLE_TOO_LARGE")["path"].clone()),
        (1, json!("$"))
    );
    // Nested past the depth limit, inside a rule: refused before parsing.
    let mut doc = demo();
    let mut deep = json!(true);
    for _ in 0..200 {
        deep = json!({"!!": [deep]});
    }
    doc["offers"][0]["eligibility"] = deep;
    let path = write(&dir, "deep.json", &serde_json::to_string(&doc).unwrap());
    let (code, findings) = validate_json(&path, &[]);
    assert_eq!(code, 1);
    finding(&findings, "LIMIT_EXCEEDED");
    let brackets = write(&dir, "brackets.json", &"[".repeat(100_000));
    let (code, findings) = validate_json(&brackets, &[]);
    assert_eq!(code, 1);
    finding(&findings, "LIMIT_EXCEEDED");
    // Not JSON, truncated, empty, binary: a syntax error with its position.
    for (name, text) in [
        ("truncated.json", "{\n  \"schema\": 1,\n  \"partner\": \"ac"),
        ("empty.json", ""),
        ("binary.json", "\u{0}\u{1}\u{2}"),
    ] {
        let path = write(&dir, name, text);
        let (code, findings) = validate_json(&path, &[]);
        assert_eq!(code, 1, "{name}");
        finding(&findings, "PAYLOAD_MALFORMED");
    }
    let truncated = validate_json(&dir.join("truncated.json"), &[]).1;
    assert_eq!(truncated[0]["line"], 3);
    // A compiled form is binary: refused, pointing at its source.
    let oeb = dir.join("bundle.oeb");
    std::fs::write(&oeb, b"\x89OEB\x00\x01junk").unwrap();
    let (code, findings) = validate_json(&oeb, &[]);
    assert_eq!(code, 1);
    let f = finding(&findings, "PAYLOAD_MALFORMED");
    assert!(f["message"].as_str().unwrap().contains("compiled form"));
    // Not a bundle: the shape is refused.
    let path = write(&dir, "array.json", "[1, 2, 3]");
    let (code, findings) = validate_json(&path, &[]);
    assert_eq!(code, 1);
    finding(&findings, "SCHEMA_INVALID");
}

#[test]
fn hostile_shapes_cost_linear_work_and_print_bounded_output() {
    let dir = tempdir("validate-shapes");
    // A megabyte-long key over a million values: a table of every value's
    // path would take terabytes; the report names it in at most 1 KiB.
    let text = format!(
        "{{\"model\": {{\"{}\": [{}0]}}}}",
        "k".repeat(1 << 20),
        "0,".repeat(1_000_000)
    );
    let path = write(&dir, "long-key.json", &text);
    let out = bin().arg("validate").arg(&path).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        stdout.contains("error[SCHEMA_INVALID]") && stdout.len() < 4096,
        "{}",
        stdout.len()
    );
    // Thousands of findings on one line: positions in one sweep.
    let mut doc = demo();
    let offer = doc["offers"][0].clone();
    let offers: Vec<Value> = (0..3000)
        .map(|i| {
            let mut o = offer.clone();
            o["id"] = json!(format!("o{i}"));
            o["creative"]["id"] = json!(format!("c{i}"));
            o["eligibility"] = json!({"==": [{"var": "shoe"}, 1]});
            o["caps"] = json!([{"scope": "offer", "max": 0, "window": "day"}]);
            o
        })
        .collect();
    doc["offers"] = json!(offers);
    doc["model"] = json!({});
    let path = write(&dir, "many.json", &serde_json::to_string(&doc).unwrap());
    let (code, findings) = validate_json(&path, &[]);
    assert_eq!(code, 1);
    let rules = findings
        .iter()
        .filter(|f| f["code"] == "RULE_INVALID")
        .count();
    let caps = findings.iter().filter(|f| f["code"] == "CAP_ZERO").count();
    assert_eq!((rules, caps), (3000, 3000));
    let last = findings.iter().rfind(|f| f["code"] == "CAP_ZERO").unwrap();
    assert_eq!(last["path"], "$.offers[2999].caps[0].max");
    assert_eq!(last["line"], 1);
}

#[test]
fn signed_files_are_read_in_either_format() {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/bundles");
    for name in ["acme-v1.signed.json", "acme-v1.manifest.json"] {
        let (code, findings) = validate_json(&fixtures.join(name), &[]);
        assert_eq!((code, findings), (0, vec![]), "{name}");
    }
    // v2: the bundle is verbatim in the file, positions are the file's.
    let file = fixtures.join("acme-v2-unapproved.manifest.json");
    let (code, findings) = validate_json(&file, &[]);
    assert_eq!(code, 1);
    let f = finding(&findings, "CREATIVE_NOT_APPROVED");
    assert_eq!(f["line"], 1);
    let text = std::fs::read_to_string(&file).unwrap();
    let column = f["column"].as_u64().unwrap() as usize;
    assert!(text[column - 1..].starts_with("\"pending\""), "{f}");
    // v1: the text output says positions are in the decoded payload.
    let out = bin()
        .arg("validate")
        .arg(fixtures.join("acme-v1.signed.json"))
        .output()
        .unwrap();
    assert!(String::from_utf8(out.stdout)
        .unwrap()
        .starts_with("note: positions are in the bundle decoded"));
}

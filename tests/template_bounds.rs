//! Bounded cost: section nesting depth, the compile-time worst-case output
//! size (and visited nodes) of templates compiled with a `Shape`, the
//! clamps that make renders stay within it whatever the data, and the same
//! refusals reached through a bundle (engine compile, store verify, CLI sign).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::cli::{fails, round_trip, sign_args};
use common::*;
use offer_edge::bundle::{BundleStore, Trust};
use offer_edge::context::Context;
use offer_edge::decide::{DecideOptions, Engine};
use offer_edge::history::History;
use offer_edge::limits::{
    MAX_OFFERS_PER_PLACEMENT, MAX_RENDERED_BYTES, MAX_TEMPLATE_ATTRIBUTE_BYTES,
    MAX_TEMPLATE_SECTION_DEPTH,
};
use offer_edge::template::{HtmlTemplate, Shape, TextTemplate};
use offer_edge::{Error, ErrorCode};
use proptest::prelude::*;
use serde_json::{json, Value};

fn nested(depth: usize, body: &str) -> String {
    format!(
        "<ol>{}{body}{}</ol>",
        "{{#offers}}".repeat(depth),
        "{{/offers}}".repeat(depth)
    )
}

fn assert_invalid(err: &Error, parts: &[&str]) {
    assert_eq!(err.code(), ErrorCode::TemplateInvalid, "{err}");
    for p in parts {
        assert!(err.message().contains(p), "{err} should contain {p:?}");
    }
}

// ------------------------------------------------------------ shapes

#[test]
fn the_bound_is_exact_for_text_and_values() {
    let shape = Shape::map([("x", Shape::Scalar(5))]);
    let t = TextTemplate::compile_bounded("t", "ab{{x}}cd", &shape).unwrap();
    assert_eq!(t.max_len(), Some(9));
    // A longer value is cut (at a character boundary) to what was assumed.
    assert_eq!(t.render(&json!({"x": "123456789"})), "ab12345cd");
    assert_eq!(t.render(&json!({"x": "ééé"})), "abéécd");
    // HTML: the worst case counts escaping (`"` → `&quot;`), and is reached.
    let h =
        HtmlTemplate::compile_bounded("h", "<p>{{x}}</p>", &Shape::map([("x", Shape::Scalar(2))]))
            .unwrap();
    assert_eq!(h.max_len(), Some(7 + 12));
    assert_eq!(h.render(&json!({"x": "\"\"\"\""})).len(), 7 + 12);
    // A URL value at the start may print the placeholder instead.
    let u = HtmlTemplate::compile_bounded(
        "u",
        "<a href=\"{{u}}\">",
        &Shape::map([("u", Shape::Scalar(1))]),
    )
    .unwrap();
    assert_eq!(
        u.max_len(),
        Some(11 + offer_edge::template::URL_PLACEHOLDER.len())
    );
    // Unbounded compiles have no bound.
    assert_eq!(TextTemplate::compile("t", "x").unwrap().max_len(), None);
}

#[test]
fn lists_are_cut_to_their_shape_and_missing_names_print_nothing() {
    let shape = Shape::map([("l", Shape::list(2, Shape::Scalar(1)))]);
    let t = TextTemplate::compile_bounded("t", "{{#l}}{{.}}{{/l}}|{{nope|dflt}}", &shape).unwrap();
    assert_eq!(t.max_len(), Some(2 + 1 + 4));
    assert_eq!(t.render(&json!({"l": ["a", "b", "c"]})), "ab|dflt");
    // Data the shape does not describe prints nothing where it differs:
    // `nope` is not in the shape, `m` is a map there but a list here.
    let t = TextTemplate::compile_bounded(
        "t",
        "{{nope}}{{#m}}{{#v}}[{{.}}]{{/v}}{{/m}}",
        &Shape::map([("m", Shape::map([("v", Shape::Scalar(3))]))]),
    )
    .unwrap();
    assert_eq!(t.max_len(), Some(5));
    assert_eq!(
        t.render(&json!({"nope": "x", "m": [{"v": "a"}, {"v": "b"}]})),
        "[a]"
    );
    // Inverted sections render at most once; a section over a scalar once.
    let t = TextTemplate::compile_bounded(
        "t",
        "{{^l}}none{{/l}}{{#s}}<{{.}}>{{/s}}",
        &Shape::map([
            ("l", Shape::list(9, Shape::Scalar(1))),
            ("s", Shape::Scalar(2)),
        ]),
    )
    .unwrap();
    assert_eq!(t.max_len(), Some(4 + 4));
}

#[test]
fn nesting_depth_is_bounded_for_every_template() {
    let ok = nested(MAX_TEMPLATE_SECTION_DEPTH, "x");
    HtmlTemplate::compile("t", &ok).unwrap();
    let err = HtmlTemplate::compile("t", &nested(MAX_TEMPLATE_SECTION_DEPTH + 1, "x")).unwrap_err();
    let col = 4 + 11 * MAX_TEMPLATE_SECTION_DEPTH + 1;
    assert_invalid(&err, &[&format!(" 1:{col}:"), "nest deeper"]);
    let err = TextTemplate::compile("t", &nested(32, "x")).unwrap_err();
    assert_invalid(&err, &[&format!(" 1:{col}:")]);
}

#[test]
fn the_worst_case_size_and_work_are_refused_with_a_position() {
    let offers = |item| Shape::map([("offers", Shape::list(MAX_OFFERS_PER_PLACEMENT, item))]);
    let offer = Shape::map([("headline", Shape::Scalar(100))]);
    // 10^4 × 600 bytes: far over; the position is the value where the
    // running worst case passes the limit.
    let err = HtmlTemplate::compile_bounded(
        "layout",
        &nested(4, "<p>{{headline}}</p>"),
        &offers(offer.clone()),
    )
    .unwrap_err();
    assert_invalid(
        &err,
        &[
            "\"layout\"",
            " 1:52:",
            "worst case",
            &format!("limit of {MAX_RENDERED_BYTES}"),
        ],
    );
    // Printing nothing does not make 10^5 visits free.
    let err =
        HtmlTemplate::compile_bounded("layout", &nested(5, "{{nothing}}"), &offers(offer.clone()))
            .unwrap_err();
    assert_invalid(&err, &["visits", "65536"]);
    // Two levels of ten offers fit.
    let t =
        HtmlTemplate::compile_bounded("layout", &nested(2, "<p>{{headline}}</p>"), &offers(offer))
            .unwrap();
    assert_eq!(t.max_len(), Some(9 + 100 * (7 + 600)));
}

#[test]
fn render_never_reserves_more_than_a_template_can_be() {
    // Six nested sections around 32 KiB of text: the old hint doubled per
    // section; what is reserved up front is clamped, and rendering works.
    let body = "x".repeat(32 * 1024 - 200);
    let src = nested(MAX_TEMPLATE_SECTION_DEPTH, &body);
    let t = TextTemplate::compile("t", &src).unwrap();
    assert_eq!(t.render(&json!({"offers": [1]})).len(), body.len() + 9);
}

/// A fixed layout-like shape for random templates and data.
fn fuzz_shape() -> Shape {
    let item = Shape::map([
        ("headline", Shape::Scalar(16)),
        ("url", Shape::Scalar(16)),
        ("tags", Shape::list(3, Shape::Scalar(4))),
    ]);
    Shape::map([
        ("offers", Shape::list(3, item)),
        ("firstname", Shape::Scalar(8)),
        ("flag", Shape::Scalar(5)),
    ])
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i32>().prop_map(|n| json!(n)),
        any::<f64>().prop_map(|f| json!(f)),
        ".{0,40}".prop_map(Value::String),
        "[\"&<>'`]{0,40}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
            prop::collection::btree_map(
                prop_oneof![
                    Just("offers".to_owned()),
                    Just("headline".to_owned()),
                    Just("url".to_owned()),
                    Just("tags".to_owned()),
                    Just("firstname".to_owned()),
                    Just("flag".to_owned()),
                    "[a-z]{1,3}"
                ],
                inner,
                0..6
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Whatever compiles renders within its computed bound, for any data
    /// (the same property as fuzz/fuzz_targets/render_cost.rs).
    #[test]
    fn renders_stay_within_the_computed_bound(
        src in "(<p title=\"|\">|<a href=\"|<a href=\"/x?q=|\\{\\{[#^/]?(offers|headline|url|tags|firstname|flag|nope|\\.)(\\|[a-z&\"]{0,3})?\\}\\}|[a-z<>&\" ]){0,24}",
        data in json_value(),
    ) {
        for html in [true, false] {
            let compiled = if html {
                HtmlTemplate::compile_bounded("p", &src, &fuzz_shape()).map(|t| (t.max_len(), t.render(&data)))
            } else {
                TextTemplate::compile_bounded("p", &src, &fuzz_shape()).map(|t| (t.max_len(), t.render(&data)))
            };
            match compiled {
                Ok((Some(max), out)) => prop_assert!(out.len() <= max, "{src:?} {data}: {} > {max}", out.len()),
                Ok((None, _)) => prop_assert!(false, "bounded compile without a bound"),
                Err(e) => prop_assert_eq!(e.code(), ErrorCode::TemplateInvalid),
            }
        }
    }
}

// ------------------------------------------------------------ bundles

fn deep_layout_bundle(depth: usize) -> offer_edge::bundle::Bundle {
    let mut b = open_bundle();
    b.placements[0].layout = nested(depth, "<p>{{headline}}</p>");
    b
}

fn store() -> BundleStore<Engine> {
    let t: Trust = trust(&["k1", "k2"], 2);
    BundleStore::with_compile(t, Engine::from_verified)
}

/// A layout nesting 32 `{{#offers}}` sections used to pass sign and verify
/// and trap at every decide: now compile, verify (both signed formats) and
/// the CLI's sign refuse it with TEMPLATE_INVALID and the position.
#[test]
fn a_32_deep_layout_is_refused_by_compile_verify_and_sign() {
    let b = deep_layout_bundle(32);
    let col = 4 + 11 * MAX_TEMPLATE_SECTION_DEPTH + 1;
    let err = Engine::compile(b.clone(), &[0; 32]).unwrap_err();
    assert_invalid(
        &err,
        &[
            "placements[confirmation].layout",
            &format!(" 1:{col}:"),
            "nest deeper",
        ],
    );
    for signed in [sign(&b, &["k1", "k2"]), sign_manifest(&b, &["k1", "k2"])] {
        let err = store().load(&signed, now()).unwrap_err();
        assert_invalid(
            &err,
            &["placements[confirmation].layout", &format!(" 1:{col}:")],
        );
    }

    let dir = round_trip("template-bounds-sign", "4");
    let path = dir.join("bundle.json");
    let mut json: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    json["placements"][0]["layout"] = json!(nested(32, "<p>{{headline}}</p>"));
    std::fs::write(dir.join("deep.json"), serde_json::to_vec(&json).unwrap()).unwrap();
    fails(
        &dir,
        &sign_args("keys/acme-2026.key", "deep.json", "x.json"),
        "TEMPLATE_INVALID",
    );
    assert!(!dir.join("x.json").exists());
}

/// Within the nesting limit, the computed worst case refuses what would
/// render megabytes; the demo layouts and two nested levels still load.
#[test]
fn layouts_over_the_worst_case_size_are_refused_at_load() {
    let mut b = deep_layout_bundle(MAX_TEMPLATE_SECTION_DEPTH);
    b.placements[0].max_offers = MAX_OFFERS_PER_PLACEMENT as u8;
    let err = store().load(&sign(&b, &["k1", "k2"]), now()).unwrap_err();
    assert_invalid(
        &err,
        &["placements[confirmation].layout", "worst case", " 1:"],
    );

    let b = deep_layout_bundle(2);
    store().load(&sign(&b, &["k1", "k2"]), now()).unwrap();
    store()
        .load(&sign(&open_bundle(), &["k1", "k2"]), now())
        .unwrap();
}

/// A creative field that prints a context attribute 300 times compiles
/// (its own worst case is 300 × 256 bytes), but no layout may print it
/// twice, escaped.
#[test]
fn a_layout_printing_a_huge_creative_field_is_refused() {
    let mut b = open_bundle();
    b.offers[0].creative.fields.headline = "{{firstname}}".repeat(300);
    let err = Engine::compile(b, &[0; 32]).unwrap_err();
    assert_invalid(&err, &["placements[confirmation].layout", "worst case"]);
}

/// Values longer than the bound assumes are cut when rendered: a context
/// attribute at MAX_TEMPLATE_ATTRIBUTE_BYTES.
#[test]
fn long_context_attributes_are_cut_in_creative_fields_and_layouts() {
    let mut b = open_bundle();
    for o in &mut b.offers {
        o.creative.fields.headline = "Hi {{firstname}}".to_owned();
    }
    let engine = Engine::compile(b, &[0; 32]).unwrap();
    let long = "é".repeat(MAX_TEMPLATE_ATTRIBUTE_BYTES);
    let ctx = Context::from_value(&json!({ "firstname": long, "state": "CA" })).unwrap();
    let history = History::new(PARTNER);
    let decision = engine
        .decide(&ctx, &history, now(), &[7; 8], &DecideOptions::default())
        .unwrap();
    let cut = "é".repeat(MAX_TEMPLATE_ATTRIBUTE_BYTES / 2);
    let placement = &decision.placements[0];
    assert!(!placement.offers.is_empty());
    for o in &placement.offers {
        assert_eq!(o.fields.headline, format!("Hi {cut}"));
    }
    assert!(placement
        .html
        .contains(&format!("{cut}, here are some extra perks")));
    assert!(!placement.html.contains(&format!("{cut}é")));
}

//! Mustache behaviour: the official spec cases for the features we support
//! (data-driven from tests/fixtures/mustache-spec/), plus our own additions
//! (the `|default` form, truthiness, numbers) and every refused construct.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use offer_edge::template::{HtmlTemplate, TextTemplate};
use offer_edge::ErrorCode;
use serde_json::{json, Value};

#[derive(serde::Deserialize)]
struct Spec {
    tests: Vec<Case>,
}

#[derive(serde::Deserialize)]
struct Case {
    name: String,
    data: Value,
    template: String,
    expected: String,
    #[serde(default)]
    skip: Option<String>,
}

fn run_spec(file: &str) -> usize {
    let path = format!(
        "{}/tests/fixtures/mustache-spec/{file}",
        env!("CARGO_MANIFEST_DIR")
    );
    let spec: Spec = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let mut ran = 0;
    for case in spec.tests {
        if let Some(why) = &case.skip {
            // Skipped cases use refused features; make sure they ARE refused.
            if why.starts_with("refused") {
                let err = HtmlTemplate::compile(&case.name, &case.template).unwrap_err();
                assert_eq!(err.code(), ErrorCode::TemplateInvalid, "{}", case.name);
            }
            continue;
        }
        let html = HtmlTemplate::compile(&case.name, &case.template)
            .unwrap_or_else(|e| panic!("{file} / {}: {e}", case.name));
        assert_eq!(
            html.render(&case.data),
            case.expected,
            "{file} / {} (html)",
            case.name
        );
        let text = TextTemplate::compile(&case.name, &case.template).unwrap();
        // The spec's escaping cases expect HTML escaping; a text template
        // inserts values as they are.
        let expected_text = if case.name.ends_with("HTML Escaping") {
            case.expected
                .replace("&quot;", "\"")
                .replace("&lt;", "<")
                .replace("&gt;", ">")
                .replace("&amp;", "&")
        } else {
            case.expected.clone()
        };
        assert_eq!(
            text.render(&case.data),
            expected_text,
            "{file} / {} (text)",
            case.name
        );
        ran += 1;
    }
    ran
}

#[test]
fn spec_interpolation() {
    // Including the implicit-iterator cases over a root that is a string
    // or a number.
    assert_eq!(run_spec("interpolation.json"), 19);
}

#[test]
fn spec_sections() {
    // Including `{{#.}}` over a root-level list.
    assert_eq!(run_spec("sections.json"), 33);
}

#[test]
fn spec_inverted() {
    assert_eq!(run_spec("inverted.json"), 14);
}

#[test]
fn spec_comments() {
    assert_eq!(run_spec("comments.json"), 11);
}

fn text(src: &str, data: Value) -> String {
    TextTemplate::compile("t", src).unwrap().render(&data)
}

#[test]
fn default_form_covers_missing_null_and_empty() {
    let src = "{{firstname|there}}, here are some extra perks selected just for you";
    assert_eq!(
        text(src, json!({"firstname": "Ada"})),
        "Ada, here are some extra perks selected just for you"
    );
    for data in [
        json!({}),
        json!({"firstname": null}),
        json!({"firstname": ""}),
    ] {
        assert_eq!(
            text(src, data),
            "there, here are some extra perks selected just for you"
        );
    }
    // Whitespace around the name and the default is ignored; values that are
    // present (0, false) are not replaced.
    assert_eq!(text("{{ n | none }}", json!({"n": 0})), "0");
    assert_eq!(text("{{ n | none }}", json!({"n": false})), "false");
    assert_eq!(text("{{ n | two words }}", json!({})), "two words");
    assert_eq!(text("{{a.b|x}}", json!({"a": {}})), "x");
}

#[test]
fn default_is_escaped_like_a_value() {
    let t = HtmlTemplate::compile("t", "<b>{{who|you & me}}</b>").unwrap();
    assert_eq!(t.render(&json!({})), "<b>you &amp; me</b>");
}

#[test]
fn truthiness_follows_javascript_mustache() {
    let src = "{{#v}}yes{{/v}}{{^v}}no{{/v}}";
    for (v, want) in [
        (json!(""), "no"),
        (json!(0), "no"),
        (json!(0.0), "no"),
        (json!(null), "no"),
        (json!(false), "no"),
        (json!([]), "no"),
        (json!("x"), "yes"),
        (json!(2), "yes"),
        (json!({}), "yes"),
        (json!([1]), "yes"),
    ] {
        assert_eq!(text(src, json!({ "v": v })), want, "{v}");
    }
    assert_eq!(text(src, json!({})), "no");
    // The spec revision we ship has a typo in this case; this is its intent.
    assert_eq!(
        text(
            "\"{{^string}}This should not be {{string}}.{{/string}}\"",
            json!({"string": "rendered"})
        ),
        "\"\""
    );
}

#[test]
fn numbers_render_like_javascript() {
    let t = "{{a}} {{b}} {{c}} {{d}}";
    assert_eq!(
        text(t, json!({"a": 49.5, "b": 50.0, "c": -7, "d": 1e21})),
        "49.5 50 -7 1000000000000000000000"
    );
}

#[test]
fn objects_and_arrays_render_empty() {
    assert_eq!(
        text("[{{o}}][{{a}}]", json!({"o": {"x": 1}, "a": [1, 2]})),
        "[][]"
    );
}

#[test]
fn offers_section_iterates_with_parent_context() {
    let src = "{{#offers}}{{rank}}. {{headline}} for {{firstname|you}}\n{{/offers}}";
    let data = json!({
        "firstname": "Ada",
        "offers": [
            {"rank": 1, "headline": "Free shipping"},
            {"rank": 2, "headline": "10% off", "firstname": "Grace"}
        ]
    });
    assert_eq!(
        text(src, data),
        "1. Free shipping for Ada\n2. 10% off for Grace\n"
    );
}

fn refused(kind: &str, src: &str, pos: &str) {
    let err = match kind {
        "text" => TextTemplate::compile("creative:headline", src).unwrap_err(),
        _ => HtmlTemplate::compile("creative:headline", src).unwrap_err(),
    };
    assert_eq!(err.code(), ErrorCode::TemplateInvalid, "{src}");
    assert!(
        err.message().contains("\"creative:headline\"")
            && err.message().contains(&format!(" {pos}:")),
        "{src}: message {:?} should name the template and {pos}",
        err.message()
    );
}

#[test]
fn refused_mustache_constructs_name_template_and_position() {
    for kind in ["text", "html"] {
        refused(kind, "Hi {{{firstname}}}", "1:4");
        refused(kind, "Hi\n  {{&firstname}}", "2:3");
        refused(kind, "{{>footer}}", "1:1");
        refused(kind, "x {{=<% %>=}}", "1:3");
        refused(kind, "{{#offers}}\n{{headline}}", "1:1");
        refused(kind, "{{#a}}{{#b}}{{/a}}{{/b}}", "1:13");
        refused(kind, "ok {{/a}}", "1:4");
        refused(kind, "{{first name}}", "1:1");
        refused(kind, "{{}}", "1:1");
        refused(kind, "{{a..b}}", "1:1");
        refused(kind, "{{#a|b}}{{/a|b}}", "1:1");
        refused(kind, "abc {{name", "1:5");
    }
}

#[test]
fn oversized_and_overnested_templates_are_refused() {
    let big = "x".repeat(offer_edge::limits::MAX_TEMPLATE_LEN + 1);
    refused("text", &big, "1:1");
    let max = offer_edge::limits::MAX_TEMPLATE_SECTION_DEPTH;
    let nest = |n: usize| format!("{}x{}", "{{#a}}".repeat(n), "{{/a}}".repeat(n));
    TextTemplate::compile("t", &nest(max)).unwrap();
    HtmlTemplate::compile("t", &nest(max)).unwrap();
    // The first section past the limit is named, in both kinds.
    let at = format!("1:{}", 6 * max + 1);
    refused("text", &nest(max + 1), &at);
    refused("html", &nest(max + 1), &at);
    refused("html", &nest(32), &at);
}

/// The Mustache spec's implicit iterator: `{{.}}` is the top of the
/// context stack, which at the root is the data itself, whatever it is.
#[test]
fn implicit_iterator_over_any_root() {
    for (data, src, want) in [
        (json!("world"), "Hello, {{.}}!", "Hello, world!"),
        (json!(85), "{{.}} mph", "85 mph"),
        (json!(1.5), "{{.}}", "1.5"),
        (json!(true), "{{.}}{{#.}}yes{{/.}}", "trueyes"),
        (json!(false), "{{.}}{{^.}}no{{/.}}", "falseno"),
        (json!(null), "[{{.}}]{{^.}}none{{/.}}", "[]none"),
        (json!(["a", "b"]), "{{#.}}({{.}}){{/.}}", "(a)(b)"),
        (
            json!([[1, 2], [3]]),
            "{{#.}}[{{#.}}{{.}}{{/.}}]{{/.}}",
            "[12][3]",
        ),
        (json!([]), "{{#.}}x{{/.}}{{^.}}empty{{/.}}", "empty"),
        (json!([{"v": "a"}, {"v": "b"}]), "{{#.}}{{v}}{{/.}}", "ab"),
        (json!({"v": "m"}), "{{v}}[{{.}}]", "m[]"),
    ] {
        assert_eq!(text(src, data.clone()), want, "{src} / {data}");
        let html = HtmlTemplate::compile("t", src).unwrap().render(&data);
        assert_eq!(html, want, "{src} / {data} (html)");
    }
    let t = HtmlTemplate::compile("t", "<p>{{.}}</p>").unwrap();
    assert_eq!(t.render(&json!("<b>")), "<p>&lt;b&gt;</p>");
}

#[test]
fn implicit_iterator_and_leading_dot() {
    assert_eq!(
        text("{{#tags}}<{{.}}>{{/tags}}", json!({"tags": ["a", "b"]})),
        "<a><b>"
    );
    assert_eq!(
        text(
            "{{#o}}{{.n|none}}{{/o}}",
            json!({"n": "outer", "o": {"x": 1}})
        ),
        "none"
    );
}

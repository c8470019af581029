#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::*;
use crate::error::ErrorCode;
use crate::template::Shape;
use crate::wire::{decode, encode};
use serde_json::{json, Value};

/// One compiled template of either kind.
#[derive(Debug)]
enum Any {
    Text(TextTemplate),
    Html(HtmlTemplate),
}

impl Any {
    fn inner(&self) -> &Compiled {
        match self {
            Any::Text(t) => &t.inner,
            Any::Html(t) => &t.inner,
        }
    }

    fn bytes(&self) -> Vec<u8> {
        match self {
            Any::Text(t) => encode(t),
            Any::Html(t) => encode(t),
        }
    }

    /// Decodes `bytes` as a template of the same kind.
    fn reload(&self, bytes: &[u8]) -> Result<Any> {
        match self {
            Any::Text(_) => decode(bytes).map(Any::Text),
            Any::Html(_) => decode(bytes).map(Any::Html),
        }
    }

    fn render(&self, data: &Value) -> String {
        match self {
            Any::Text(t) => t.render(data),
            Any::Html(t) => t.render(data),
        }
    }
}

/// A shape for data like `v`, tight enough that clamps cut some values.
fn shape_of(v: &Value) -> Shape {
    match v {
        Value::Object(map) => Shape::map(map.iter().map(|(k, v)| (k.clone(), shape_of(v)))),
        Value::Array(items) => Shape::list(2, items.first().map_or(Shape::Scalar(4), shape_of)),
        _ => Shape::Scalar(5),
    }
}

/// Every way the mustache spec's templates compile: text and HTML, with
/// and without a shape; with the data to render them with.
fn spec_templates() -> Vec<(Any, Value)> {
    let files = [
        include_str!("../../tests/fixtures/mustache-spec/comments.json"),
        include_str!("../../tests/fixtures/mustache-spec/interpolation.json"),
        include_str!("../../tests/fixtures/mustache-spec/inverted.json"),
        include_str!("../../tests/fixtures/mustache-spec/sections.json"),
    ];
    let mut out = Vec::new();
    for file in files {
        let spec: Value = serde_json::from_str(file).unwrap();
        for test in spec["tests"].as_array().unwrap() {
            let (name, source, data) = (
                test["name"].as_str().unwrap(),
                test["template"].as_str().unwrap(),
                test["data"].clone(),
            );
            let shape = shape_of(&data);
            let compiled = [
                TextTemplate::compile(name, source).ok().map(Any::Text),
                HtmlTemplate::compile(name, source).ok().map(Any::Html),
                TextTemplate::compile_bounded(name, source, &shape)
                    .ok()
                    .map(Any::Text),
                HtmlTemplate::compile_bounded(name, source, &shape)
                    .ok()
                    .map(Any::Html),
            ];
            out.extend(compiled.into_iter().flatten().map(|t| (t, data.clone())));
        }
    }
    out
}

/// The placement layout fixture, with and without the engine's kind of
/// shape, and templates exercising every escape.
fn layout_templates() -> Vec<(Any, Value)> {
    let layout = include_str!("../../tests/fixtures/templates/placement-layout.html");
    let offer = json!({
        "id": "o-1", "rank": 1, "headline": "Free <b>shipping</b> on every order", "body": "b",
        "cta": "Claim", "image": "javascript:alert(1)", "imageAlt": "\" onerror=\"x",
        "actionType": "link", "actionUrl": "https://shop.example/claim?o=1&r=2",
        "needsConfirmationEmail": true, "terms": "T&Cs"
    });
    let data = json!({
        "firstname": "Ada", "amount": 64.5, "currency": "USD",
        "placement": {"id": "confirmation"}, "offers": [offer, offer, offer]
    });
    let scalar = |n| Shape::Scalar(n);
    let offer_shape = Shape::map(
        [
            "id",
            "rank",
            "headline",
            "body",
            "cta",
            "declineLabel",
            "image",
            "imageAlt",
            "terms",
            "actionType",
            "actionUrl",
            "needsConfirmationEmail",
        ]
        .map(|k| (k, scalar(12))),
    );
    let shape = Shape::map([
        ("firstname", scalar(40)),
        ("amount", scalar(12)),
        ("currency", scalar(3)),
        ("placement", Shape::map([("id", scalar(32))])),
        ("offers", Shape::list(2, offer_shape)),
    ]);
    let escapes =
        r#"<a href="{{u}}" title="{{t|none}}">{{t}}</a><a href="/p/{{u}}?q={{t}}#{{.}}">x</a>"#;
    let url_data = json!({"u": "https://x.example/a b", "t": "<'&\">"});
    vec![
        (
            Any::Html(HtmlTemplate::compile("layout", layout).unwrap()),
            data.clone(),
        ),
        (
            Any::Html(HtmlTemplate::compile_bounded("layout", layout, &shape).unwrap()),
            data.clone(),
        ),
        (
            Any::Text(TextTemplate::compile_bounded("layout", layout, &shape).unwrap()),
            data,
        ),
        (
            Any::Html(HtmlTemplate::compile("urls", escapes).unwrap()),
            url_data,
        ),
    ]
}

fn all_templates() -> Vec<(Any, Value)> {
    let mut all = spec_templates();
    all.extend(layout_templates());
    all
}

#[test]
fn templates_round_trip_and_render_alike() {
    let all = all_templates();
    assert!(all.len() > 200, "only {} templates", all.len());
    for (t, data) in &all {
        let bytes = t.bytes();
        let back = t.reload(&bytes).unwrap();
        assert_eq!(format!("{:?}", back.inner()), format!("{:?}", t.inner()));
        assert_eq!(back.bytes(), bytes, "re-encoding differs");
        for d in [data, &json!({}), &json!({"x": [1, 2, 3]})] {
            assert_eq!(back.render(d), t.render(d));
        }
    }
}

#[test]
fn bounded_templates_keep_their_worst_case() {
    for (t, _) in layout_templates() {
        let back = t.reload(&t.bytes()).unwrap();
        assert_eq!(back.inner().max_len, t.inner().max_len);
        assert_eq!(back.inner().capacity, t.inner().capacity);
    }
}

#[test]
fn every_truncation_is_refused() {
    for (t, _) in all_templates() {
        let bytes = t.bytes();
        for cut in 0..bytes.len() {
            let err = t.reload(bytes.get(..cut).unwrap()).unwrap_err();
            assert_eq!(err.code(), ErrorCode::PayloadMalformed, "{err}");
        }
    }
}

#[test]
fn flipped_bytes_are_refused_or_load_a_template_that_renders() {
    for (t, data) in all_templates() {
        let bytes = t.bytes();
        for at in 0..bytes.len() {
            for mask in [0x01, 0x02, 0x20, 0x80, 0xff] {
                let mut forged = bytes.clone();
                if let Some(b) = forged.get_mut(at) {
                    *b ^= mask;
                }
                match t.reload(&forged) {
                    Ok(loaded) => {
                        let _ = loaded.render(&data);
                    }
                    Err(e) => assert_eq!(e.code(), ErrorCode::PayloadMalformed, "{e}"),
                }
            }
        }
    }
}

/// A template with these fields (skipping the parser), encoded and decoded.
fn forged(html: bool, source: &str, nodes: Vec<Node>, bounded: bool) -> Result<Any> {
    let inner = Compiled {
        source: source.into(),
        nodes,
        capacity: 0,
        max_len: bounded.then_some(0),
    };
    if html {
        decode(&encode(&HtmlTemplate { inner })).map(Any::Html)
    } else {
        decode(&encode(&TextTemplate { inner })).map(Any::Text)
    }
}

fn assert_malformed(result: Result<Any>, what: &str) {
    match result {
        Err(e) => assert_eq!(e.code(), ErrorCode::PayloadMalformed, "{what}: {e}"),
        Ok(t) => panic!("{what}: loaded {t:?}"),
    }
}

fn var(escape: Escape, pos: usize, max_len: usize) -> Node {
    Node::Var {
        name: Name::Path(vec![Box::from("x")].into()),
        default: None,
        escape,
        pos,
        max_len,
    }
}

fn section(body: Vec<Node>, max_items: usize) -> Node {
    Node::Section {
        name: Name::Dot,
        inverted: false,
        body,
        pos: 0,
        max_items,
    }
}

#[test]
fn forged_templates_are_refused() {
    let src = "{{x}}é";
    assert!(forged(true, src, vec![var(Escape::Html, 0, usize::MAX)], false).is_ok());
    assert!(forged(false, src, vec![var(Escape::None, 0, 3)], true).is_ok());
    let cases = [
        (
            true,
            vec![var(Escape::None, 0, usize::MAX)],
            false,
            "unescaped HTML slot",
        ),
        (
            false,
            vec![var(Escape::Html, 0, usize::MAX)],
            false,
            "escaped text slot",
        ),
        (
            false,
            vec![var(Escape::None, 1, usize::MAX)],
            false,
            "offset not at a tag",
        ),
        (
            false,
            vec![var(Escape::None, 99, usize::MAX)],
            false,
            "offset past the end",
        ),
        (
            false,
            vec![var(Escape::None, 0, 3)],
            false,
            "clamp without a shape",
        ),
        (
            false,
            vec![Node::Text { start: 2, end: 99 }],
            false,
            "text past the end",
        ),
        (
            false,
            vec![Node::Text { start: 3, end: 2 }],
            false,
            "reversed text",
        ),
        (
            false,
            vec![Node::Text { start: 0, end: 6 }],
            false,
            "text inside a character",
        ),
        (
            false,
            vec![section(vec![var(Escape::None, 0, usize::MAX)], usize::MAX)],
            true,
            "unbounded section",
        ),
        (
            false,
            vec![var(Escape::None, 0, usize::MAX)],
            true,
            "unbounded value",
        ),
        (
            false,
            vec![Node::Var {
                name: Name::Path(vec![Box::from("")].into()),
                default: None,
                escape: Escape::None,
                pos: 0,
                max_len: usize::MAX,
            }],
            false,
            "empty name part",
        ),
    ];
    for (html, nodes, bounded, what) in cases {
        assert_malformed(forged(html, src, nodes, bounded), what);
    }
    let mut deep = vec![var(Escape::None, 0, usize::MAX)];
    for _ in 0..=MAX_TEMPLATE_SECTION_DEPTH {
        deep = vec![section(deep, usize::MAX)];
    }
    assert_malformed(forged(false, src, deep, false), "sections too deep");
    let big = "{{x}}".repeat(MAX_TEMPLATE_LEN / 5 + 1);
    assert_malformed(forged(false, &big, Vec::new(), false), "source too long");
}

#[test]
fn the_deepest_sections_compile_accepts_load() {
    let depth = MAX_TEMPLATE_SECTION_DEPTH;
    let source = format!(
        "{}{{{{.}}}}{}",
        "{{#a}}".repeat(depth),
        "{{/a}}".repeat(depth)
    );
    let t = Any::Html(HtmlTemplate::compile("deep", &source).unwrap());
    let data = json!({"a": [{"a": "<x>"}]});
    assert_eq!(t.reload(&t.bytes()).unwrap().render(&data), t.render(&data));
}

#[test]
fn deep_forged_sections_are_refused() {
    // Sections nested 500 levels, written by hand: refused at the section
    // depth limit, long before the stack could run out.
    let mut w = Writer::new();
    "t".to_owned().put(&mut w);
    "{{x}}".to_owned().put(&mut w);
    false.put(&mut w);
    for _ in 0..500 {
        w.len(1);
        w.byte(2);
        Name::Dot.put(&mut w);
        false.put(&mut w);
        0usize.put(&mut w);
        None::<u64>.put(&mut w);
    }
    w.len(0);
    let bytes = w.into_bytes();
    let err = decode::<TextTemplate>(&bytes).unwrap_err();
    assert_eq!(err.code(), ErrorCode::PayloadMalformed);
}

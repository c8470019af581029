//! Fuzz the compile-time worst case of templates: any template that compiles
//! with a `Shape` renders within its computed bound (`max_len`), whatever
//! the data, HTML and text alike. The input is a template source, a NUL
//! byte, then JSON data (when it does not parse, a fixed document that
//! overshoots every bound of the shape is used).
#![no_main]

use libfuzzer_sys::fuzz_target;
use offer_edge::template::{HtmlTemplate, Shape, TextTemplate};
use serde_json::{json, Value};

/// A layout-like shape: a short list of offers with a few fields.
fn shape() -> Shape {
    let offer = Shape::map([
        ("headline", Shape::Scalar(24)),
        ("actionUrl", Shape::Scalar(32)),
        ("tags", Shape::list(2, Shape::Scalar(6))),
    ]);
    Shape::map([
        ("offers", Shape::list(3, offer)),
        ("firstname", Shape::Scalar(8)),
        ("placement", Shape::map([("id", Shape::Scalar(12))])),
    ])
}

/// Data longer and wider than the shape everywhere, full of characters
/// that escape to several bytes.
fn overshoot() -> Value {
    let long = "\"<&>'`\u{0}é".repeat(40);
    let offer = json!({"headline": long, "actionUrl": long, "tags": [long, long, long, long]});
    json!({
        "offers": vec![offer; 8],
        "firstname": long,
        "placement": {"id": long},
        "nope": long,
    })
}

fuzz_target!(|input: &[u8]| {
    let (src, rest) = match input.iter().position(|&b| b == 0) {
        Some(i) => (&input[..i], &input[i + 1..]),
        None => (input, &[][..]),
    };
    let Ok(src) = std::str::from_utf8(src) else {
        return;
    };
    let data = serde_json::from_slice::<Value>(rest).unwrap_or_else(|_| overshoot());
    let shape = shape();
    if let Ok(t) = HtmlTemplate::compile_bounded("fuzz", src, &shape) {
        let max = t.max_len().unwrap_or(0);
        let out = t.render(&data);
        assert!(out.len() <= max, "html {src:?}: {} > {max}", out.len());
    }
    if let Ok(t) = TextTemplate::compile_bounded("fuzz", src, &shape) {
        let max = t.max_len().unwrap_or(0);
        let out = t.render(&data);
        assert!(out.len() <= max, "text {src:?}: {} > {max}", out.len());
    }
});

//! Template benchmarks: compiling and rendering a realistic placement layout
//! with two offers (the work `decide` does per placement).
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use criterion::{criterion_group, criterion_main, Criterion};
use offer_edge::template::{HtmlTemplate, TextTemplate};
use serde_json::json;
use std::hint::black_box;

const LAYOUT: &str = include_str!("../tests/fixtures/templates/placement-layout.html");

fn data() -> serde_json::Value {
    json!({
        "firstname": "Ada",
        "amount": 49.5,
        "currency": "USD",
        "state": "CA",
        "placement": { "id": "confirmation" },
        "offers": [
            {
                "id": "o-streaming-1", "rank": 1,
                "headline": "3 months of StreamMax free", "body": "Ada, claim your free trial — cancel anytime.",
                "cta": "Claim offer", "declineLabel": "No thanks",
                "image": "https://cdn.example/img/streammax.png", "imageAlt": "StreamMax logo",
                "terms": "New subscribers only. Renews at $9.99/mo after trial & can be cancelled <anytime>.",
                "actionType": "link", "actionUrl": "https://streammax.example/claim?src=oe&o=o-streaming-1",
                "needsConfirmationEmail": false
            },
            {
                "id": "o-coupon-2", "rank": 2,
                "headline": "$10 off your next order", "body": "Use it within 30 days at \"Grocer\".",
                "cta": "Get coupon", "declineLabel": "Not now",
                "image": "https://cdn.example/img/grocer.png", "imageAlt": "Grocer",
                "terms": "", "actionType": "coupon", "actionUrl": "",
                "needsConfirmationEmail": true
            }
        ]
    })
}

fn bench(c: &mut Criterion) {
    let data = data();
    let html = HtmlTemplate::compile("placement:confirmation", LAYOUT).unwrap();
    let headline = TextTemplate::compile(
        "creative:headline",
        "{{firstname|there}}, here are some extra perks",
    )
    .unwrap();

    c.bench_function("template/compile placement layout", |b| {
        b.iter(|| HtmlTemplate::compile("placement:confirmation", black_box(LAYOUT)).unwrap())
    });
    c.bench_function("template/render placement layout (2 offers)", |b| {
        b.iter(|| html.render(black_box(&data)))
    });
    c.bench_function("template/render text headline", |b| {
        b.iter(|| headline.render(black_box(&data)))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);

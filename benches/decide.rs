//! decide() over realistic demo bundles of 100 / 1,000 / 5,000 offers, for a
//! new shopper and for a returning one with history; and Engine::compile.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use offer_edge::bundle::FulfilmentKey;
use offer_edge::context::Context;
use offer_edge::decide::{DecideOptions, Engagement, Engine};
use offer_edge::demo::demo_bundle;
use offer_edge::events::EventType;
use offer_edge::history::History;
use offer_edge::time::{Timestamp, HOUR_MS};
use std::hint::black_box;

const ISSUED: Timestamp = Timestamp(1_795_910_400_000); // 2026-11-29T00:00:00Z
const NOW: Timestamp = Timestamp(1_795_953_600_000); // 12:00 that day

fn engine(offers: usize) -> Engine {
    let fk = FulfilmentKey {
        kid: "fk".into(),
        public_key: "X9R2M7XkP8p7rRv75CT+rLF12dTUow8Wbb0wY28LRGs=".into(),
    };
    Engine::compile(demo_bundle("acme", offers, 1, ISSUED, fk), &[0; 32]).unwrap()
}

fn context() -> Context {
    Context::from_json(
        br#"{"firstname":"Ada","emailsha256":"2b2c3ad0bb4bd1a0a6ab3d6ac9e8b3ad3bc0fa46e9b1ad5c4df0c0cb4a1b7b1e",
             "state":"CA","country":"US","zipcode":"94107","amount":"64.50","currency":"USD",
             "paymenttype":"visa","customertype":"returning","device":"mobile","age":34,"loyaltytier":"gold"}"#,
    )
    .unwrap()
}

/// A returning shopper: impressions, a decline and an accept on early offers.
fn history(engine: &Engine) -> History {
    let mut h = History::new(engine.partner());
    let ids: Vec<String> = engine
        .bundle()
        .offers
        .iter()
        .take(12)
        .map(|o| o.id.clone())
        .collect();
    for (i, id) in ids.iter().enumerate() {
        let at = Timestamp(NOW.0 - (i as i64 + 1) * 5 * HOUR_MS);
        let kind = match i % 4 {
            1 => EventType::Decline,
            3 => EventType::Accept,
            _ => EventType::Impression,
        };
        engine
            .record(
                &mut h,
                Engagement {
                    kind: EventType::Impression,
                    offer_id: id,
                },
                at,
            )
            .unwrap();
        engine
            .record(&mut h, Engagement { kind, offer_id: id }, at)
            .unwrap();
    }
    h
}

fn bench(c: &mut Criterion) {
    let ctx = context();
    let options = DecideOptions::default();
    let mut group = c.benchmark_group("decide");
    for offers in [100, 1_000, 5_000] {
        let engine = engine(offers);
        let fresh = History::new(engine.partner());
        let returning = history(&engine);
        let mut seed = 0u64;
        group.bench_with_input(BenchmarkId::new("new_shopper", offers), &offers, |b, _| {
            b.iter(|| {
                seed += 1;
                black_box(
                    engine
                        .decide(&ctx, &fresh, NOW, &seed.to_le_bytes(), &options)
                        .unwrap(),
                )
            })
        });
        group.bench_with_input(
            BenchmarkId::new("returning_shopper", offers),
            &offers,
            |b, _| {
                b.iter(|| {
                    seed += 1;
                    black_box(
                        engine
                            .decide(&ctx, &returning, NOW, &seed.to_le_bytes(), &options)
                            .unwrap(),
                    )
                })
            },
        );
    }
    group.finish();

    let mut group = c.benchmark_group("compile");
    group.sample_size(20);
    for offers in [100, 1_000] {
        let fk = FulfilmentKey {
            kid: "fk".into(),
            public_key: "X9R2M7XkP8p7rRv75CT+rLF12dTUow8Wbb0wY28LRGs=".into(),
        };
        let bundle = demo_bundle("acme", offers, 1, ISSUED, fk);
        group.bench_with_input(BenchmarkId::from_parameter(offers), &offers, |b, _| {
            b.iter(|| black_box(Engine::compile(bundle.clone(), &[0; 32]).unwrap()))
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);

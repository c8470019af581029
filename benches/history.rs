//! History on the decide path: decode a full (≈4 KB) blob, answer 1,000 cap
//! lookups, encode it back.

use criterion::{criterion_group, criterion_main, Criterion};
use offer_edge::bundle::CapWindow;
use offer_edge::history::{Engagement, EngagementKind, History, OfferKeys};
use offer_edge::time::{Timestamp, HOUR_MS};
use std::hint::black_box;

const PARTNER: &str = "bench-partner";

/// A shopper who saw 150 different offers over the past weeks: the blob is
/// at the 4 KB limit.
fn full_history(now: Timestamp) -> History {
    let mut h = History::new(PARTNER);
    for i in 0..150i64 {
        let keys = OfferKeys::new(
            &format!("offer-{i}"),
            &format!("campaign-{}", i % 40),
            &format!("advertiser-{}", i % 25),
        );
        let t = Timestamp(now.0 - (150 - i) * 3 * HOUR_MS);
        h.record(Engagement::new(EngagementKind::Impression, &keys), t);
        if i % 10 == 0 {
            h.record(Engagement::new(EngagementKind::Decline, &keys), t);
        }
    }
    h
}

fn bench(c: &mut Criterion) {
    let now = Timestamp(1_795_955_696_000);
    let blob = full_history(now).encode();
    // 1,000 offers, the first 150 of which the shopper has seen.
    let lookups: Vec<OfferKeys> = (0..1_000)
        .map(|i| {
            OfferKeys::new(
                &format!("offer-{i}"),
                &format!("campaign-{}", i % 40),
                &format!("advertiser-{}", i % 25),
            )
        })
        .collect();
    let (history, _) = History::decode(&blob, PARTNER, now);
    eprintln!("blob: {} bytes, {} keys", blob.len(), history.len());

    c.bench_function("history/decode_4kb", |b| {
        b.iter(|| History::decode(black_box(&blob), PARTNER, now))
    });
    c.bench_function("history/count_x1000", |b| {
        b.iter(|| {
            let mut total = 0u32;
            for keys in &lookups {
                total = total
                    .wrapping_add(history.count(keys.offer, CapWindow::Day, now))
                    .wrapping_add(history.count(keys.advertiser, CapWindow::Month, now));
            }
            black_box(total)
        })
    });
    c.bench_function("history/declined_at_x1000", |b| {
        b.iter(|| {
            lookups
                .iter()
                .filter(|k| history.declined_at(k.offer).is_some())
                .count()
        })
    });
    c.bench_function("history/encode_4kb", |b| {
        b.iter(|| black_box(&history).encode())
    });
    c.bench_function("history/decode_count_encode", |b| {
        b.iter(|| {
            let (mut h, _) = History::decode(black_box(&blob), PARTNER, now);
            let mut total = 0u32;
            for keys in &lookups {
                total = total.wrapping_add(h.count(keys.offer, CapWindow::Day, now));
            }
            h.record(
                Engagement::new(EngagementKind::Impression, &lookups[0]),
                now,
            );
            (total, h.encode())
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);

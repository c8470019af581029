//! Audience checks on the decide path: one salted key per audience per
//! decision, then filter lookups.

use criterion::{criterion_group, criterion_main, Criterion};
use offer_edge::audience::{audience_key, AudienceFilter, FilterWidth, IdentifierHash};
use offer_edge::bundle::IdentifierKind;
use std::hint::black_box;

fn bench(c: &mut Criterion) {
    let members: Vec<IdentifierHash> = (0..100_000)
        .map(|i| IdentifierHash::of_normalized(&format!("member{i}@example.com")))
        .collect();
    let shopper = IdentifierHash::of_raw(IdentifierKind::Email, "Member7@example.com")
        .unwrap_or_else(|| IdentifierHash::of_normalized("member7@example.com"));
    for width in [FilterWidth::Fuse8, FilterWidth::Fuse16] {
        let Ok(filter) = AudienceFilter::build(width, "salt", &members) else {
            return;
        };
        let key = audience_key("salt", &shopper);
        c.bench_function(
            &format!("audience/contains_hashed_key_x1000/{}", width.bits()),
            |b| {
                b.iter(|| {
                    (0..1_000u64)
                        .filter(|i| filter.contains_hashed_key(black_box(key ^ i)))
                        .count()
                })
            },
        );
    }
    c.bench_function("audience/audience_key", |b| {
        b.iter(|| audience_key(black_box("northwind-2026-q4"), black_box(&shopper)))
    });
    c.bench_function("audience/identifier_hash_of_raw", |b| {
        b.iter(|| IdentifierHash::of_raw(IdentifierKind::Email, black_box(" Jane@Example.com ")))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);

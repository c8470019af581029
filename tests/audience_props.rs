#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Any filter bytes either load or are refused, and a loaded filter answers
//! every key without panicking (the geometry checks are exactly xorf's
//! in-bounds conditions).

use offer_edge::audience::AudienceFilter;
use offer_edge::ErrorCode;
use proptest::prelude::*;

fn header(
    width: u8,
    members: u32,
    seed: u64,
    seg_len: u32,
    seg_count_len: u32,
    count: u32,
) -> Vec<u8> {
    let mut out = b"OEAF".to_vec();
    out.push(1);
    out.push(width);
    out.extend_from_slice(&[0, 0]);
    out.extend_from_slice(&members.to_le_bytes());
    out.extend_from_slice(&seed.to_le_bytes());
    out.extend_from_slice(&seg_len.to_le_bytes());
    out.extend_from_slice(&seg_count_len.to_le_bytes());
    out.extend_from_slice(&count.to_le_bytes());
    out
}

proptest! {
    #[test]
    fn arbitrary_geometry_loads_or_is_refused_and_never_panics(
        width in prop::sample::select(vec![8u8, 16]),
        members in 0u32..64,
        seed in any::<u64>(),
        seg_len in prop_oneof![(0u32..12).prop_map(|k| 1 << k), 0u32..5000],
        segments in 0u32..20,
        count_delta in -3i64..3,
        extra in -2i64..3,
        keys in prop::collection::vec(any::<u64>(), 1..200),
    ) {
        let seg_count_len = seg_len.saturating_mul(segments);
        let count = (i64::from(seg_count_len) + 2 * i64::from(seg_len) + count_delta).clamp(0, 200_000) as u32;
        let fp_bytes = usize::from(width / 8);
        let body_len = (count as usize * fp_bytes) as i64 + extra;
        let mut bytes = header(width, members, seed, seg_len, seg_count_len, count);
        bytes.extend((0..body_len.max(0)).map(|i| (i as u8).wrapping_mul(31)));
        match AudienceFilter::from_bytes("salt", &bytes) {
            Ok(filter) => {
                for k in keys {
                    let _ = filter.contains_hashed_key(k);
                }
                prop_assert_eq!(filter.to_bytes(), bytes);
            }
            Err(e) => prop_assert_eq!(e.code(), ErrorCode::AudienceInvalid),
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        if let Ok(filter) = AudienceFilter::from_bytes("salt", &bytes) {
            let _ = filter.contains_hashed_key(42);
        }
    }
}

//! An audience filter in the compiled form (see [`crate::wire`]): its parts,
//! rebuilt on read without re-running xorf's construction (which would need
//! the member list the bundle never ships).
//!
//! ```text
//! salt  members  seed (8 bytes, LE)  segment_length  segment_count_length
//! width (8 | 16)  fingerprints (count, then 1 or 2 bytes LE each)
//! ```
//! The reader checks the same geometry as the filter's own file format
//! ([`check_geometry`]): a lookup indexes the fingerprints with no bounds
//! check of its own, so a fingerprint array of the wrong length for its
//! segments must never become a filter.

use super::filter::{check_geometry, descriptor, fingerprints, Inner};
use super::{AudienceFilter, FilterWidth};
use crate::error::Result;
use crate::wire::{wire_enum, Reader, Wire, Writer};

wire_enum!(FilterWidth {
    Fuse8 = 8,
    Fuse16 = 16,
});

impl Wire for AudienceFilter {
    fn put(&self, w: &mut Writer) {
        let (descriptor, width, _) = self.geometry();
        self.salt.put(w);
        self.members.put(w);
        // A random seed: a varint would take 9–10 bytes.
        w.raw(&descriptor.seed.to_le_bytes());
        descriptor.segment_length.put(w);
        descriptor.segment_count_length.put(w);
        width.put(w);
        match &self.inner {
            Inner::Fuse8(f) => w.bytes(&f.fingerprints),
            Inner::Fuse16(f) => {
                w.len(f.fingerprints.len());
                for fp in f.fingerprints.iter() {
                    w.raw(&fp.to_le_bytes());
                }
            }
        }
    }

    fn take(r: &mut Reader<'_>) -> Result<Self> {
        let salt = String::take(r)?;
        let members = u32::take(r)?;
        let seed = u64::from_le_bytes(<[u8; 8]>::take(r)?);
        let segment_length = u32::take(r)?;
        let segment_count_length = u32::take(r)?;
        let width = FilterWidth::take(r)?;
        // Counted in fingerprints, each one or two bytes.
        let count = r.len()?;
        let body = count
            .checked_mul(usize::from(width.bits() / 8))
            .ok_or_else(|| r.malformed("fingerprint count"))
            .and_then(|n| r.raw(n))?;
        check_geometry(members, segment_length, segment_count_length, count)
            .map_err(|what| r.malformed(what))?;
        let inner = fingerprints(
            width,
            descriptor(seed, segment_length, segment_count_length),
            body,
        );
        Ok(Self {
            salt,
            members,
            inner,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audience::{audience_key, IdentifierHash};
    use crate::error::ErrorCode;
    use crate::wire::{decode, encode};

    fn round_trip(filter: &AudienceFilter) -> AudienceFilter {
        let bytes = encode(filter);
        let back: AudienceFilter = decode(&bytes).unwrap();
        assert_eq!(encode(&back), bytes, "canonical");
        back
    }

    #[test]
    fn both_widths_answer_alike_after_a_round_trip() {
        let ids: Vec<IdentifierHash> = (0..500)
            .map(|i| IdentifierHash::of_normalized(&format!("member-{i}@example.com")))
            .collect();
        for width in [FilterWidth::Fuse8, FilterWidth::Fuse16] {
            let filter = AudienceFilter::build(width, "salt", &ids).unwrap();
            let back = round_trip(&filter);
            assert_eq!(back.to_bytes(), filter.to_bytes());
            for i in 0..2_000 {
                let key = audience_key("salt", &IdentifierHash::of_normalized(&format!("x{i}")));
                assert_eq!(
                    back.contains_hashed_key(key),
                    filter.contains_hashed_key(key)
                );
            }
            assert!(ids.iter().all(|id| back.contains_identifier(id)));
        }
        round_trip(&AudienceFilter::build(FilterWidth::Fuse8, "s", &[]).unwrap());
    }

    #[test]
    fn a_fingerprint_array_that_does_not_fit_its_segments_is_refused() {
        let ids = [IdentifierHash::of_normalized("a@example.com")];
        for width in [FilterWidth::Fuse8, FilterWidth::Fuse16] {
            let filter = AudienceFilter::build(width, "salt", &ids).unwrap();
            let (descriptor, _, count) = filter.geometry();
            let mut w = Writer::new();
            "salt".to_owned().put(&mut w);
            filter.members.put(&mut w);
            w.raw(&descriptor.seed.to_le_bytes());
            descriptor.segment_length.put(&mut w);
            descriptor.segment_count_length.put(&mut w);
            width.put(&mut w);
            // One fingerprint short.
            w.len(count - 1);
            w.raw(&vec![0; (count - 1) * usize::from(width.bits() / 8)]);
            let bytes = w.into_bytes();
            let err = AudienceFilter::take(&mut Reader::new(&bytes)).unwrap_err();
            assert_eq!(err.code(), ErrorCode::PayloadMalformed);
        }
    }
}

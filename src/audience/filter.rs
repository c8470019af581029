//! The membership filter and its wire format.
//!
//! `Audience.filter` is standard base64 of:
//! ```text
//! "OEAF" version:u8 width:u8 (8|16) reserved:u16le (0)
//! members:u32le seed:u64le segment_length:u32le segment_count_length:u32le
//! fingerprints:u32le (count) then count × u8 (width 8) or u16le (width 16)
//! ```
//! Our own format rather than xorf's serde: it is a dozen lines, stable under
//! our control, and decoding checks every size before the filter is used.
//! `segment_length` must be a power of two and the fingerprint count must be
//! exactly `segment_count_length + 2 × segment_length`: those are precisely the
//! conditions under which every lookup stays in bounds.

use super::{audience_key, IdentifierHash};
use crate::bundle::{Audience, AudienceKind, IdentifierKind};
use crate::error::{Error, ErrorCode, Result};
use crate::limits::MAX_AUDIENCE_FILTER_BYTES;
use base64::Engine as _;
use xorf::{BinaryFuse16, BinaryFuse8, Descriptor, Filter};

/// The filter format this build writes and reads.
pub const AUDIENCE_FILTER_VERSION: u8 = 1;

const MAGIC: &[u8; 4] = b"OEAF";
const HEADER_LEN: usize = 4 + 1 + 1 + 2 + 4 + 8 + 4 + 4 + 4;
/// xorf never builds longer segments (keeps the arithmetic in u32).
const MAX_SEGMENT_LENGTH: u32 = 1 << 18;

/// Fingerprint width, chosen by the audience's builder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FilterWidth {
    /// 8-bit fingerprints: ≈ 9 bits per member, false positives ≈ 2⁻⁸ (0.39 %).
    Fuse8,
    /// 16-bit fingerprints: ≈ 18 bits per member, false positives ≈ 2⁻¹⁶ (0.0015 %).
    Fuse16,
}

impl FilterWidth {
    /// Bits per fingerprint (8 or 16).
    pub const fn bits(self) -> u8 {
        match self {
            Self::Fuse8 => 8,
            Self::Fuse16 => 16,
        }
    }

    /// The width with `bits` fingerprint bits, if supported.
    pub const fn from_bits(bits: u8) -> Option<Self> {
        match bits {
            8 => Some(Self::Fuse8),
            16 => Some(Self::Fuse16),
            _ => None,
        }
    }

    /// The stated false-positive rate, 2^-bits: a non-member's key matches
    /// when its fingerprint equals the XOR of three slots, one chance in
    /// 2^bits.
    pub fn stated_false_positive_rate(self) -> f64 {
        match self {
            Self::Fuse8 => 1.0 / 256.0,
            Self::Fuse16 => 1.0 / 65_536.0,
        }
    }
}

/// The xorf filter of one width (`pub(super)` for the compiled form's
/// codec, `super::wire`, which rebuilds it from its parts).
#[derive(Debug, Clone)]
pub(super) enum Inner {
    Fuse8(BinaryFuse8),
    Fuse16(BinaryFuse16),
}

/// A loaded (or freshly built) audience membership filter.
#[derive(Debug, Clone)]
pub struct AudienceFilter {
    pub(super) salt: String,
    pub(super) members: u32,
    pub(super) inner: Inner,
}

/// Checks the conditions under which xorf's lookups stay in bounds, for a
/// filter of `count` fingerprints: h0 lies in segment k <
/// segment_count_length / L, h1 and h2 in segments k+1 and k+2, so every
/// index is below segment_count_length + 2·L, which must be `count` (and fit
/// in u32, as xorf adds in u32). Both readers of a filter (its file format
/// and the compiled form) call this before building one.
pub(super) fn check_geometry(
    members: u32,
    segment_length: u32,
    segment_count_length: u32,
    count: usize,
) -> std::result::Result<(), &'static str> {
    if !segment_length.is_power_of_two()
        || segment_length > MAX_SEGMENT_LENGTH
        || segment_count_length == 0
        || !segment_count_length.is_multiple_of(segment_length)
        || segment_length
            .checked_mul(2)
            .and_then(|l2| l2.checked_add(segment_count_length))
            .map(|n| n as usize)
            != Some(count)
    {
        return Err("inconsistent filter geometry");
    }
    if members as usize > count {
        return Err("more members than fingerprint slots");
    }
    Ok(())
}

/// The descriptor of a geometry [`check_geometry`] accepted.
pub(super) fn descriptor(seed: u64, segment_length: u32, segment_count_length: u32) -> Descriptor {
    Descriptor {
        seed,
        segment_length,
        segment_length_mask: segment_length.wrapping_sub(1),
        segment_count_length,
    }
}

/// The filter over `body`, its fingerprints in little-endian order (one or
/// two bytes each, as `width` says); the caller checked `body`'s length
/// against the geometry. Read by the filter file and by the compiled form.
pub(super) fn fingerprints(width: FilterWidth, descriptor: Descriptor, body: &[u8]) -> Inner {
    match width {
        FilterWidth::Fuse8 => Inner::Fuse8(BinaryFuse8 {
            descriptor,
            fingerprints: body.into(),
        }),
        FilterWidth::Fuse16 => Inner::Fuse16(BinaryFuse16 {
            descriptor,
            fingerprints: body
                .chunks_exact(2)
                .map(|p| {
                    u16::from_le_bytes([
                        p.first().copied().unwrap_or(0),
                        p.get(1).copied().unwrap_or(0),
                    ])
                })
                .collect(),
        }),
    }
}

fn invalid(message: impl Into<String>) -> Error {
    Error::new(ErrorCode::AudienceInvalid, message)
}

impl AudienceFilter {
    /// Builds a filter over `identifiers` (hashed, see the module docs) salted
    /// with `salt`. Duplicates are fine.
    ///
    /// # Errors
    /// `LIMIT_EXCEEDED` when the serialized filter would exceed
    /// [`MAX_AUDIENCE_FILTER_BYTES`]; `AUDIENCE_INVALID` if construction fails
    /// (xorf gives up only after 1,000 seeds, practically never).
    pub fn build(width: FilterWidth, salt: &str, identifiers: &[IdentifierHash]) -> Result<Self> {
        let keys: Vec<u64> = identifiers
            .iter()
            .map(|id| audience_key(salt, id))
            .collect();
        Self::from_keys(width, salt, keys)
    }

    /// Builds a filter directly from precomputed [`audience_key`]s.
    ///
    /// # Errors
    /// As [`AudienceFilter::build`].
    pub fn from_keys(width: FilterWidth, salt: &str, mut keys: Vec<u64>) -> Result<Self> {
        keys.sort_unstable();
        keys.dedup();
        // Fuse filters use ≈ 1.125–1.23 slots per key (more for small sets).
        let fp_bytes = usize::from(width.bits() / 8);
        if keys.len().saturating_mul(fp_bytes).saturating_mul(9) / 8 + HEADER_LEN
            > MAX_AUDIENCE_FILTER_BYTES
        {
            return Err(Error::new(
                ErrorCode::LimitExceeded,
                format!(
                    "{} members need more than the {MAX_AUDIENCE_FILTER_BYTES}-byte audience filter limit",
                    keys.len()
                ),
            ));
        }
        let members = u32::try_from(keys.len()).map_err(|_| invalid("too many members"))?;
        let inner = match width {
            FilterWidth::Fuse8 => BinaryFuse8::try_from(&keys).map(Inner::Fuse8),
            FilterWidth::Fuse16 => BinaryFuse16::try_from(&keys).map(Inner::Fuse16),
        }
        .map_err(|e| invalid(format!("could not build the filter: {e}")))?;
        let filter = Self {
            salt: salt.to_owned(),
            members,
            inner,
        };
        if filter.serialized_len() > MAX_AUDIENCE_FILTER_BYTES {
            return Err(Error::new(
                ErrorCode::LimitExceeded,
                format!("audience filter is over {MAX_AUDIENCE_FILTER_BYTES} bytes"),
            ));
        }
        Ok(filter)
    }

    /// Loads the filter of a bundle audience (base64 in `filter`).
    ///
    /// # Errors
    /// `AUDIENCE_INVALID` when the filter or salt is absent (withheld), when
    /// the base64, the header or any size is wrong, when it is larger than
    /// [`MAX_AUDIENCE_FILTER_BYTES`], or when the stated false-positive rate
    /// is not a number in 0–1.
    pub fn from_bundle_audience(audience: &Audience) -> Result<Self> {
        let id = &audience.id;
        let fp = audience.false_positive_rate;
        if !(0.0..=1.0).contains(&fp) {
            return Err(invalid(format!(
                "audience {id:?}: falsePositiveRate {fp} is not in 0–1"
            )));
        }
        let (Some(salt), Some(filter)) = (&audience.salt, &audience.filter) else {
            return Err(invalid(format!(
                "audience {id:?} has no filter or no salt (withheld from a page bundle?)"
            )));
        };
        // Refuse oversized text before allocating for it.
        if filter.len() / 4 * 3 > MAX_AUDIENCE_FILTER_BYTES + 3 {
            return Err(invalid(format!(
                "audience {id:?}: filter is over {MAX_AUDIENCE_FILTER_BYTES} bytes"
            )));
        }
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(filter.as_bytes())
            .map_err(|e| invalid(format!("audience {id:?}: filter is not base64: {e}")))?;
        Self::from_bytes(salt, &bytes)
            .map_err(|e| invalid(format!("audience {id:?}: {}", e.message())))
    }

    /// Loads a filter from its serialized bytes (see the module docs).
    ///
    /// # Errors
    /// `AUDIENCE_INVALID` for a wrong magic, version, width or size.
    pub fn from_bytes(salt: &str, bytes: &[u8]) -> Result<Self> {
        if bytes.len() > MAX_AUDIENCE_FILTER_BYTES {
            return Err(invalid(format!(
                "filter is over {MAX_AUDIENCE_FILTER_BYTES} bytes"
            )));
        }
        let (header, body) = bytes
            .split_at_checked(HEADER_LEN)
            .ok_or_else(|| invalid("filter is truncated"))?;
        let mut r = Le(header);
        if r.take::<4>() != Some(*MAGIC) {
            return Err(invalid("not an audience filter"));
        }
        let version = r.u8();
        if version != Some(AUDIENCE_FILTER_VERSION) {
            return Err(invalid(format!(
                "filter format version {version:?} is not {AUDIENCE_FILTER_VERSION}"
            )));
        }
        let width = r
            .u8()
            .and_then(FilterWidth::from_bits)
            .ok_or_else(|| invalid("fingerprint width is not 8 or 16"))?;
        if r.take::<2>() != Some([0, 0]) {
            return Err(invalid("reserved header bytes are not zero"));
        }
        let (members, seed, segment_length, segment_count_length, count) =
            match (r.u32(), r.u64(), r.u32(), r.u32(), r.u32()) {
                (Some(m), Some(s), Some(l), Some(c), Some(n)) => (m, s, l, c, n),
                _ => return Err(invalid("filter is truncated")),
            };
        check_geometry(
            members,
            segment_length,
            segment_count_length,
            count as usize,
        )
        .map_err(invalid)?;
        let fp_bytes = usize::from(width.bits() / 8);
        if (count as usize).checked_mul(fp_bytes) != Some(body.len()) {
            return Err(invalid(format!(
                "expected {count} fingerprints of {} bits, found {} bytes",
                width.bits(),
                body.len()
            )));
        }
        let inner = fingerprints(
            width,
            descriptor(seed, segment_length, segment_count_length),
            body,
        );
        Ok(Self {
            salt: salt.to_owned(),
            members,
            inner,
        })
    }

    /// The serialized filter (see the module docs).
    pub fn to_bytes(&self) -> Vec<u8> {
        let (descriptor, width, count) = self.geometry();
        let mut out = Vec::with_capacity(self.serialized_len());
        out.extend_from_slice(MAGIC);
        out.push(AUDIENCE_FILTER_VERSION);
        out.push(width.bits());
        out.extend_from_slice(&[0, 0]);
        out.extend_from_slice(&self.members.to_le_bytes());
        out.extend_from_slice(&descriptor.seed.to_le_bytes());
        out.extend_from_slice(&descriptor.segment_length.to_le_bytes());
        out.extend_from_slice(&descriptor.segment_count_length.to_le_bytes());
        out.extend_from_slice(&u32::try_from(count).unwrap_or(u32::MAX).to_le_bytes());
        match &self.inner {
            Inner::Fuse8(f) => out.extend_from_slice(&f.fingerprints),
            Inner::Fuse16(f) => {
                for fp in f.fingerprints.iter() {
                    out.extend_from_slice(&fp.to_le_bytes());
                }
            }
        }
        out
    }

    /// Standard base64 of [`AudienceFilter::to_bytes`], for `Audience.filter`.
    pub fn to_base64(&self) -> String {
        base64::engine::general_purpose::STANDARD.encode(self.to_bytes())
    }

    /// The bundle entry for this filter, stating the width's false-positive rate.
    pub fn to_audience(
        &self,
        id: &str,
        kind: AudienceKind,
        identifier: IdentifierKind,
    ) -> Audience {
        Audience {
            id: id.to_owned(),
            kind,
            identifier,
            confidential: false,
            salt: Some(self.salt.clone()),
            filter: Some(self.to_base64()),
            false_positive_rate: self.width().stated_false_positive_rate(),
            licence: None,
        }
    }

    /// Whether the filter (probably) contains `key`. Members always match;
    /// a non-member matches with the width's false-positive rate. O(1), no
    /// allocation.
    pub fn contains_hashed_key(&self, key: u64) -> bool {
        if self.members == 0 {
            // An empty filter's zeroed slots would match 1 key in 2^bits.
            return false;
        }
        match &self.inner {
            Inner::Fuse8(f) => f.contains(&key),
            Inner::Fuse16(f) => f.contains(&key),
        }
    }

    /// Whether the shopper with this hashed identifier is (probably) in the
    /// audience. Hashes once with the audience's salt; callers checking many
    /// offers against one audience should compute [`audience_key`] once.
    pub fn contains_identifier(&self, identifier: &IdentifierHash) -> bool {
        self.contains_hashed_key(audience_key(&self.salt, identifier))
    }

    /// This audience's salt.
    pub fn salt(&self) -> &str {
        &self.salt
    }

    /// Distinct member keys the filter was built from.
    pub fn members(&self) -> u32 {
        self.members
    }

    /// Fingerprint width.
    pub fn width(&self) -> FilterWidth {
        self.geometry().1
    }

    /// Size of [`AudienceFilter::to_bytes`].
    pub fn serialized_len(&self) -> usize {
        let (_, width, count) = self.geometry();
        HEADER_LEN + count * usize::from(width.bits() / 8)
    }

    /// Bits of fingerprint storage per member (∞-free: 0 for an empty filter).
    pub fn bits_per_member(&self) -> f64 {
        let (_, width, count) = self.geometry();
        if self.members == 0 {
            return 0.0;
        }
        (count as f64) * f64::from(width.bits()) / f64::from(self.members)
    }

    pub(super) fn geometry(&self) -> (&Descriptor, FilterWidth, usize) {
        match &self.inner {
            Inner::Fuse8(f) => (&f.descriptor, FilterWidth::Fuse8, f.fingerprints.len()),
            Inner::Fuse16(f) => (&f.descriptor, FilterWidth::Fuse16, f.fingerprints.len()),
        }
    }
}

/// Little-endian reader over a header already known to be long enough;
/// every read still returns `Option` so no path can panic.
struct Le<'a>(&'a [u8]);

impl Le<'_> {
    fn take<const N: usize>(&mut self) -> Option<[u8; N]> {
        let (head, rest) = self.0.split_first_chunk::<N>()?;
        self.0 = rest;
        Some(*head)
    }

    fn u8(&mut self) -> Option<u8> {
        self.take::<1>().map(|[b]| b)
    }

    fn u32(&mut self) -> Option<u32> {
        self.take().map(u32::from_le_bytes)
    }

    fn u64(&mut self) -> Option<u64> {
        self.take().map(u64::from_le_bytes)
    }
}

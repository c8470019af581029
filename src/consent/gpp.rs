//! A minimal reader of IAB Global Privacy Platform (GPP) strings: only what
//! says "opted out of sale or sharing" for a US shopper. Everything else a
//! GPP string carries (TCF vendor lists, notices, sensitive-data consents)
//! is skipped unread.
//!
//! ```text
//! gpp     = header *("~" section)            one section per id the header lists
//! header  = Type:6 (=3)  Version:6 (=1)  SectionIds: fibonacci integer range
//! section = core *("." optional segment)     each part base64url, 6 bits a character
//! ```
//! - A *fibonacci integer range* is a 12-bit count, then per entry a range
//!   bit: 0 → one id, 1 → a start and a length (`start..=start + length`);
//!   each number a Fibonacci code (bits for 1, 2, 3, 5, 8… ending at the
//!   first `11`) added to the previous id, as the IAB reference library
//!   reads it.
//! - The US sections' cores start with a 6-bit version, then 2-bit fields:
//!   the notices, then the opt-outs (0 not applicable, **1 opted out**,
//!   2 did not opt out). Where they sit:
//!
//! | section (id) | notices before the opt-outs | opt-outs read | GPC segment |
//! |---|---|---|---|
//! | usnat (7), versions 1 and 2 | 6 | sale, sharing, targeted advertising | yes |
//! | usut (11), usia (18) | 4 | sale, targeted advertising | usia only |
//! | usca (8) | 3 | sale, sharing | yes |
//! | usva (9), usfl (13) | 3 | sale, targeted advertising | no |
//! | usco (10), usct (12), usmt (14), usor (15), ustx (16), usde (17), usne (19), usnh (20), usnj (21), ustn (22), usmn (23) | 3 | sale, targeted advertising | yes |
//! | uspv1 (6) | the US Privacy string itself (`usp`) | | |
//!
//!   An optional segment starts with a 2-bit type; type 1 is the GPC
//!   segment, one bit: set means the browser sent Global Privacy Control.
//! - Sections of other ids (TCF EU/CA, future sections) are not US opt-outs
//!   and are skipped; a section of a known id whose core is shorter than
//!   the fields read, or of an unknown version, is malformed.
//!
//! # Why not the `iab_gpp` crate
//! It decodes whole sections (every field of each US section, TCF vendor
//! lists) over `std::io` bit readers with `thiserror` errors, and needs
//! Rust 1.89 (our `rust-version` is 1.87). Measured 2026-12-06, gzip -9 of
//! wasm + glue as `scripts/check-size` counts, against the same tree with
//! GPP not parsed at all: this reader costs +1,207 B (full build) and
//! +1,171 B (page build); `iab_gpp` 0.1.2 in its place, decoding only the
//! US sections (`GPPString::decode::<UsNat>()`…), +15,696 B and +15,869 B —
//! the page build at 291,178 B, past its limit (270,500 + 5 %). The page
//! needs GPP too (it reads `__gpp` as the edge reads the cookie), so a
//! full-build-only parse was no way out. docs/PRIVACY.md has the table.

use super::usp;

/// Bits of a base64url text, most significant first, read in order.
struct Bits<'a> {
    text: &'a [u8],
    at: usize,
}

/// The 6-bit value of a base64url character.
fn sextet(c: u8) -> Option<u32> {
    Some(match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'-' => 62,
        b'_' => 63,
        _ => return None,
    } as u32)
}

impl<'a> Bits<'a> {
    /// Refuses a text that is not base64url (no padding).
    fn new(text: &'a str) -> Result<Self, &'static str> {
        if text.bytes().all(|c| sextet(c).is_some()) {
            Ok(Self {
                text: text.as_bytes(),
                at: 0,
            })
        } else {
            Err("is not base64url")
        }
    }

    fn bit(&mut self) -> Result<bool, &'static str> {
        let c = self.text.get(self.at / 6).copied().ok_or("is cut short")?;
        let value = sextet(c).ok_or("is not base64url")?;
        let bit = (value >> (5 - self.at % 6)) & 1 == 1;
        self.at += 1;
        Ok(bit)
    }

    fn int(&mut self, bits: u32) -> Result<u32, &'static str> {
        (0..bits).try_fold(0, |n, _| Ok((n << 1) | u32::from(self.bit()?)))
    }

    /// A Fibonacci-coded integer (1, 2, 3, 5, 8… ending at the first `11`).
    fn fibonacci(&mut self) -> Result<u32, &'static str> {
        let (mut a, mut b, mut n, mut last) = (1u32, 2u32, 0u32, false);
        loop {
            let bit = self.bit()?;
            if bit && last {
                return Ok(n);
            }
            if bit {
                n = n.checked_add(a).ok_or("has an id out of range")?;
            }
            last = bit;
            (a, b) = (b, a.checked_add(b).ok_or("has an id out of range")?);
        }
    }
}

/// Section ids are few (under 30 are defined): a header listing more is
/// not a GPP string, and this bounds the work.
const MAX_SECTIONS: usize = 64;

/// The section ids a GPP header lists, in order.
fn section_ids(header: &str) -> Result<Vec<u32>, &'static str> {
    let mut bits = Bits::new(header)?;
    if bits.int(6)? != 3 || bits.int(6)? != 1 {
        return Err("is not a version 1 GPP header");
    }
    let mut ids = Vec::new();
    let mut last = 0u32;
    for _ in 0..bits.int(12)? {
        let range = bits.bit()?;
        let start = last
            .checked_add(bits.fibonacci()?)
            .ok_or("has an id out of range")?;
        let end = if range {
            start
                .checked_add(bits.fibonacci()?)
                .ok_or("has an id out of range")?
        } else {
            start
        };
        for id in start..=end {
            if ids.len() == MAX_SECTIONS {
                return Err("lists too many sections");
            }
            ids.push(id);
        }
        last = end;
    }
    Ok(ids)
}

/// Where a US section keeps its opt-outs: 2-bit notices to skip, opt-outs
/// to read, whether it has a GPC segment, and its known core versions.
struct Layout {
    notices: u32,
    opt_outs: u32,
    gpc: bool,
    max_version: u32,
}

fn layout(id: u32) -> Option<Layout> {
    let (notices, opt_outs, gpc, max_version) = match id {
        7 => (6, 3, true, 2),
        11 => (4, 2, false, 1),
        18 => (4, 2, true, 1),
        9 | 13 => (3, 2, false, 1),
        8 | 10 | 12 | 14..=17 | 19..=23 => (3, 2, true, 1),
        _ => return None,
    };
    Some(Layout {
        notices,
        opt_outs,
        gpc,
        max_version,
    })
}

/// Whether one US section says the shopper opted out.
fn us_section(layout: &Layout, section: &str) -> Result<bool, &'static str> {
    let mut segments = section.split('.');
    let mut core = Bits::new(segments.next().unwrap_or_default())?;
    let version = core.int(6)?;
    if !(1..=layout.max_version).contains(&version) {
        return Err("has a US section of an unknown version");
    }
    core.int(2 * layout.notices)?;
    let mut opted_out = false;
    for _ in 0..layout.opt_outs {
        opted_out |= core.int(2)? == 1;
    }
    for segment in segments {
        let mut bits = Bits::new(segment)?;
        if layout.gpc && bits.int(2)? == 1 {
            opted_out |= bits.bit()?;
        }
    }
    Ok(opted_out)
}

/// Whether `gpp` says the shopper opted out of sale, sharing or targeted
/// advertising in any of its US sections (or their GPC segment is set).
///
/// # Errors
/// What is wrong with a string this reader cannot read (the caller treats
/// it as opted out).
pub(super) fn opted_out(gpp: &str) -> Result<bool, &'static str> {
    const MISCOUNTED: &str = "lists another number of sections than it has";
    let mut parts = gpp.split('~');
    let ids = section_ids(parts.next().unwrap_or_default())?;
    let mut opted_out = false;
    let mut read = 0;
    for section in parts {
        let id = *ids.get(read).ok_or(MISCOUNTED)?;
        read += 1;
        if id == 6 {
            opted_out |= usp::opted_out(section)?;
        } else if let Some(layout) = layout(id) {
            opted_out |= us_section(&layout, section)?;
        }
    }
    if read != ids.len() {
        return Err(MISCOUNTED);
    }
    Ok(opted_out)
}

#[cfg(test)]
mod tests {
    use super::{opted_out, section_ids};

    #[test]
    fn headers_list_their_section_ids() {
        // Headers from the IAB GPP specification's examples and the iab_gpp
        // crate's tests: TCF EU v2 (2), US Privacy (6), TCF CA (5), usnat (7).
        assert_eq!(section_ids("DBABMA"), Ok(vec![2]));
        assert_eq!(section_ids("DBACNY"), Ok(vec![2, 6]));
        assert_eq!(section_ids("DBABjw"), Ok(vec![5, 6]));
        assert_eq!(section_ids("DBABLA"), Ok(vec![7]));
        assert_eq!(section_ids("DBABTA"), Ok(vec![6]));
        assert!(section_ids("").is_err());
        assert!(section_ids("CBABMA").is_err(), "type 2");
        assert!(section_ids("DB=BMA").is_err());
    }

    #[test]
    fn iab_test_vectors() {
        // gpp_string of each file in iab_gpp 0.1.2's tests/data/ (usca, usco,
        // usct, usnat v1/v2, usut, usva: not_applicable, opted_out,
        // with_gpc), and the crate's doc examples.
        let opted = [
            "DBABBg~BVVVVVVY",       // usca_opted_out
            "DBABBg~BVqqqqpY.YA",    // usca_with_gpc: did not opt out, GPC set
            "DBABJg~BVVVVVg",        // usco_opted_out
            "DBABJg~BVVVVVg.YA",     // usco_with_gpc
            "DBABVg~BVVVVVVg",       // usct_opted_out
            "DBABLA~BVVVVVVVVWA",    // usnat_v1_opted_out
            "DBABLA~BVVVVVVVVWA.YA", // usnat_v1_with_gpc
            "DBABFg~BVVVVVmA",       // usut_opted_out
            "DBABRg~BVVVVWY",        // usva_opted_out
            "DBABTA~1YYN",           // US Privacy inside GPP
        ];
        let not_opted = [
            "DBABBg~BAAAAACA",       // usca_not_applicable
            "DBABJg~BAAAAEA",        // usco_not_applicable
            "DBABVg~BAAAAAEA",       // usct_not_applicable
            "DBABLA~BAAAAAAAAQA",    // usnat_v1_not_applicable
            "DBABLA~CAAAAAAAAAWA.Q", // usnat_v2_not_applicable, GPC segment 0
            "DBABFg~BAAAAAQA",       // usut_not_applicable
            "DBABRg~BAAAABA",        // usva_not_applicable
            "DBABTA~1YNN",
            "DBACNY~CPXxRfAPXxRfAAfKABENB-CgAAAAAAAAAAYgAAAAAAAA~1YNN", // TCF EU v2 + USP
            "DBABMA~CPXuQIAPXuQIAAfKABENB-CgACAAAAAAAAYgF5wAQF5gAAAA.YAAAAAAAAAAA", // TCF only
        ];
        for gpp in opted {
            assert_eq!(opted_out(gpp), Ok(true), "{gpp}");
        }
        for gpp in not_opted {
            assert_eq!(opted_out(gpp), Ok(false), "{gpp}");
        }
    }

    #[test]
    fn malformed_strings_are_errors() {
        for gpp in [
            "",
            "DBABLA",              // a section listed, none given
            "DBABLA~BVV~BVV",      // more sections than listed
            "DBABLA~BVV",          // usnat core cut short
            "DBABLA~DVVVVVVVVWA",  // usnat version 3
            "DBABLA~BVVVVVVVVWA.", // empty optional segment
            "DBABBg~BVVV VVVY",    // not base64url
            "DBABTA~1YXN",         // bad US Privacy section
            "DBA",                 // header cut short
        ] {
            assert!(opted_out(gpp).is_err(), "{gpp:?}");
        }
    }
}

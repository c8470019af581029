//! Where a licensed cohort may be used. Fail closed: a licensed cohort
//! matches only a shopper whose country is known, outside the EU and the UK,
//! within its licence's `countries` (when it names any), with
//! personalization on. Otherwise it is not looked up at all: an inclusion
//! list naming it fails, a suppression list naming it passes, and
//! `in_audience` of it is false.
//!
//! "Known" means every country the decision has is an ISO 3166-1 alpha-2
//! code: the context's `country` (required) and the host's `requestCountry`
//! (when given: the edge passes its geo of the request). Both must pass.
//! `XX` (Cloudflare: unknown) and `T1` (Tor) are not countries.

use serde::Serialize;

/// Why a licensed cohort was not applied (`why` of the reason
/// `licensedCohortRestricted`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum CohortBlock {
    /// Personalization is off (explicitly, or by an opt-out of sale or
    /// sharing): no licensed cohort is used.
    Consent,
    /// The shopper's country (or the request's) is in the EU or the UK, or
    /// outside the cohort licence's `countries`.
    Region,
    /// The context has no usable `country`, or the host's `requestCountry`
    /// is not one.
    UnknownRegion,
}

/// Where a licensed cohort is never used, whatever its licence says: the
/// EU-27 and the UK, plus what a shopper's country can be in there — the
/// EU's outermost regions and Åland, which have ISO codes of their own
/// (GF, GP, MQ, RE, YT, MF, AX), the EEA states where the GDPR applies too
/// (IS, LI, NO), and the non-ISO aliases hosts send for Greece and the UK
/// (EL, UK). Sorted, for the binary search.
const GDPR_TERRITORY: [&str; 40] = [
    "AT", "AX", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "EL", "ES", "FI", "FR", "GB", "GF", "GP",
    "GR", "HR", "HU", "IE", "IS", "IT", "LI", "LT", "LU", "LV", "MF", "MQ", "MT", "NL", "NO", "PL",
    "PT", "RE", "RO", "SE", "SI", "SK", "UK", "YT",
];

/// Whether `code` (upper case) is in the EU, the EEA or the UK.
pub fn in_gdpr_territory(code: &str) -> bool {
    GDPR_TERRITORY.binary_search(&code).is_ok()
}

/// `code` as an upper-case ISO 3166-1 alpha-2 country, if it is one
/// (surrounding whitespace ignored; `XX` is "unknown").
pub fn country_code(code: &str) -> Option<[u8; 2]> {
    match code.trim().as_bytes() {
        &[a, b] if a.is_ascii_alphabetic() && b.is_ascii_alphabetic() => {
            let code = [a.to_ascii_uppercase(), b.to_ascii_uppercase()];
            (&code != b"XX").then_some(code)
        }
        _ => None,
    }
}

/// What one decision may do with licensed cohorts, worked out once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CohortAccess {
    /// Set when no licensed cohort may be used at all.
    block: Option<CohortBlock>,
    /// The shopper's countries (the context's, then the request's; the
    /// second equal to the first when the host gave none).
    countries: [[u8; 2]; 2],
}

impl CohortAccess {
    /// The access of a decision with `personalization` for a shopper in
    /// `country` (the context's) whose request came from `request_country`
    /// (the host's geo, when it gave one).
    pub fn new(
        personalization: bool,
        country: Option<&str>,
        request_country: Option<&str>,
    ) -> Self {
        let context = country.and_then(country_code);
        let request = match request_country {
            None => context,
            Some(code) => country_code(code),
        };
        let (block, countries) = match (personalization, context, request) {
            (false, _, _) => (Some(CohortBlock::Consent), [[0; 2]; 2]),
            (true, Some(a), Some(b)) => {
                let eu = [a, b]
                    .iter()
                    .any(|c| std::str::from_utf8(c).map_or(true, in_gdpr_territory));
                (eu.then_some(CohortBlock::Region), [a, b])
            }
            (true, _, _) => (Some(CohortBlock::UnknownRegion), [[0; 2]; 2]),
        };
        Self { block, countries }
    }

    /// Why a licensed cohort whose licence allows `countries` (`None`:
    /// anywhere outside the EU and the UK) may not be used here, if so.
    pub fn restriction(&self, countries: Option<&[String]>) -> Option<CohortBlock> {
        if self.block.is_some() {
            return self.block;
        }
        let allowed = |c: &[u8; 2]| {
            countries.is_none_or(|list| list.iter().any(|l| l.as_bytes() == c.as_slice()))
        };
        (!self.countries.iter().all(allowed)).then_some(CohortBlock::Region)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_territory_list_is_sorted_and_covers_the_eu_and_the_uk() {
        assert!(GDPR_TERRITORY.windows(2).all(|w| w[0] < w[1]));
        let eu27 =
            "AT BE BG HR CY CZ DK EE FI FR DE GR HU IE IT LV LT LU MT NL PL PT RO SK SI ES SE";
        for code in eu27.split(' ').chain(["GB", "UK", "EL"]) {
            assert!(in_gdpr_territory(code), "{code}");
        }
        for code in ["US", "CA", "CH", "AU", "ZZ", "XX", ""] {
            assert!(!in_gdpr_territory(code), "{code}");
        }
    }

    #[test]
    fn countries_must_be_alpha_2() {
        assert_eq!(country_code(" us "), Some(*b"US"));
        for bad in ["", "USA", "U", "T1", "XX", "1A", "é"] {
            assert_eq!(country_code(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_cohort_needs_consent_a_known_country_outside_the_eu_and_uk_and_its_licence() {
        let us_only = ["US".to_owned()];
        let check = |p, c: Option<&str>, r: Option<&str>, l: Option<&[String]>| {
            CohortAccess::new(p, c, r).restriction(l)
        };
        assert_eq!(check(true, Some("US"), None, None), None);
        assert_eq!(check(true, Some("us"), Some("US"), Some(&us_only)), None);
        assert_eq!(
            check(true, Some("CA"), None, Some(&us_only)),
            Some(CohortBlock::Region)
        );
        assert_eq!(
            check(true, Some("US"), Some("CA"), Some(&us_only)),
            Some(CohortBlock::Region)
        );
        for eu in ["FR", "DE", "GB", "IE"] {
            assert_eq!(
                check(true, Some(eu), None, None),
                Some(CohortBlock::Region),
                "{eu}"
            );
            assert_eq!(
                check(true, Some("US"), Some(eu), None),
                Some(CohortBlock::Region),
                "{eu}"
            );
            assert_eq!(
                check(true, Some(eu), Some("US"), None),
                Some(CohortBlock::Region),
                "{eu}"
            );
        }
        assert_eq!(
            check(true, None, Some("US"), None),
            Some(CohortBlock::UnknownRegion)
        );
        assert_eq!(
            check(true, Some("US"), Some("XX"), None),
            Some(CohortBlock::UnknownRegion)
        );
        assert_eq!(
            check(true, Some("USA"), None, None),
            Some(CohortBlock::UnknownRegion)
        );
        assert_eq!(
            check(false, Some("US"), None, None),
            Some(CohortBlock::Consent)
        );
    }
}

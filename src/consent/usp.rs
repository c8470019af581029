//! The IAB US Privacy string (CCPA, `usprivacy` / `__uspapi`), version 1:
//!
//! | char | meaning | values |
//! |---|---|---|
//! | 1 | specification version | `1` |
//! | 2 | notice given | `Y`, `N`, `-` (not applicable) |
//! | 3 | **opted out of sale** | `Y`, `N`, `-` |
//! | 4 | covered by the LSPA | `Y`, `N`, `-` |
//!
//! `1---` means the string does not apply. Letters are read without regard
//! to case: a reader that refused `1yyn` would have to treat it as
//! malformed, i.e. opted out — the same answer, plus a warning.

/// Whether `usp` says the shopper opted out of sale (third character `Y`).
///
/// # Errors
/// What is wrong with a string that is not four characters `1`, then three
/// of `Y` / `N` / `-`.
pub(super) fn opted_out(usp: &str) -> Result<bool, &'static str> {
    let &[version, _notice, opt_out, _lspa] = usp.as_bytes() else {
        return Err("is not 4 characters");
    };
    if version != b'1' {
        return Err("is not version 1");
    }
    let flags = &usp.as_bytes()[1..];
    if !flags
        .iter()
        .all(|b| matches!(b.to_ascii_uppercase(), b'Y' | b'N' | b'-'))
    {
        return Err("has a flag other than Y, N or -");
    }
    Ok(opt_out.eq_ignore_ascii_case(&b'Y'))
}

#[cfg(test)]
mod tests {
    use super::opted_out;

    #[test]
    fn the_third_character_is_the_sale_opt_out() {
        assert_eq!(opted_out("1YYN"), Ok(true));
        assert_eq!(opted_out("1NYY"), Ok(true));
        assert_eq!(opted_out("1yyn"), Ok(true));
        assert_eq!(opted_out("1YNN"), Ok(false));
        assert_eq!(opted_out("1---"), Ok(false));
        for bad in ["", "1YY", "1YYNN", "2YYN", "1YXN", "1Y N", "1ÿY"] {
            assert!(opted_out(bad).is_err(), "{bad:?}");
        }
    }
}

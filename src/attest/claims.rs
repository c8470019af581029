//! Checkout token claims: read loosely first (only `iss` is needed before
//! the signature), typed and shape-checked once the signature verified.
//!
//! Why two steps: the order of checks is part of the contract. A token of
//! another partner must get `TOKEN_PARTNER_MISMATCH` even when its other
//! claims are odd, and nothing but `iss` may influence the outcome before
//! the signature is checked.

use super::jws::{invalid, is_object};
use super::{CheckoutClaims, CLOCK_SKEW_SECS, MAX_TOKEN_LIFETIME_SECS};
use crate::error::{Error, ErrorCode, Result};
use crate::limits::MAX_ID_LEN;
use crate::time::{Timestamp, SECOND_MS};
use serde::Deserialize;
use serde_json::{Number, Value};

/// Largest magnitude of `iat` / `exp`: JavaScript's safe integers, so every
/// accepted instant survives a trip through a JS number unchanged.
const MAX_NUMERIC_DATE: i64 = (1 << 53) - 1;

/// The claims we read, as untyped JSON values (`null` reads as absent).
/// Derived, so a repeated known claim is refused ("duplicate field"); other
/// claims are ignored.
#[derive(Deserialize)]
pub(super) struct RawClaims {
    #[serde(default)]
    iss: Option<Value>,
    #[serde(default)]
    ord: Option<Value>,
    #[serde(default)]
    eh: Option<Value>,
    #[serde(default)]
    sub: Option<Value>,
    #[serde(default)]
    iat: Option<Value>,
    #[serde(default)]
    exp: Option<Value>,
    #[serde(default)]
    jti: Option<Value>,
}

impl RawClaims {
    /// Parses the payload as a JSON object of claims (types not checked).
    ///
    /// # Errors
    /// `TOKEN_INVALID` when it is not a JSON object or repeats a claim.
    pub(super) fn parse(json: &[u8]) -> Result<Self> {
        if !is_object(json) {
            return Err(invalid("token claims are not a JSON object"));
        }
        serde_json::from_slice(json).map_err(|e| invalid(format!("token claims: {e}")))
    }

    /// `iss`, when it is a string.
    pub(super) fn issuer(&self) -> Option<&str> {
        self.iss.as_ref().and_then(Value::as_str)
    }

    /// The typed claims, every string and number checked for shape (see
    /// [`check_shape`]). Call only after the signature verified.
    ///
    /// # Errors
    /// `TOKEN_INVALID` naming the first bad claim.
    pub(super) fn typed(self) -> Result<CheckoutClaims> {
        let claims = CheckoutClaims {
            iss: string("iss", self.iss)?,
            ord: string("ord", self.ord)?,
            eh: string("eh", self.eh)?,
            sub: self.sub.map(|v| string("sub", Some(v))).transpose()?,
            iat: numeric_date("iat", self.iat)?,
            exp: numeric_date("exp", self.exp)?,
            jti: string("jti", self.jti)?,
        };
        check_shape(&claims)?;
        Ok(claims)
    }
}

fn string(name: &str, value: Option<Value>) -> Result<String> {
    match value {
        Some(Value::String(text)) => Ok(text),
        Some(_) => Err(invalid(format!("claim {name} must be a string"))),
        None => Err(invalid(format!("claim {name} is missing"))),
    }
}

/// A whole JSON number within ±(2^53 − 1). `1700000000.0` is accepted like
/// `1700000000`: JavaScript hosts cannot tell them apart.
fn whole_number(number: &Number) -> Option<i64> {
    let whole = match number.as_i64() {
        Some(n) => n,
        None => {
            let f = number.as_f64()?;
            if f.fract() != 0.0 || f.abs() > MAX_NUMERIC_DATE as f64 {
                return None;
            }
            f as i64
        }
    };
    (whole.abs() <= MAX_NUMERIC_DATE).then_some(whole)
}

fn numeric_date(name: &str, value: Option<Value>) -> Result<i64> {
    match value {
        Some(Value::Number(number)) => whole_number(&number).ok_or_else(|| {
            invalid(format!(
                "claim {name} must be whole seconds since the epoch"
            ))
        }),
        Some(_) => Err(invalid(format!("claim {name} must be a number"))),
        None => Err(invalid(format!("claim {name} is missing"))),
    }
}

fn check_len(name: &str, value: &str) -> Result<()> {
    if value.is_empty() || value.len() > MAX_ID_LEN {
        return Err(invalid(format!(
            "claim {name} must be 1..={MAX_ID_LEN} bytes"
        )));
    }
    Ok(())
}

/// Shape checks that need no clock: `iss`, `sub`, `jti` 1..=128 bytes; `ord`
/// 1..=128 bytes of printable ASCII without spaces; `eh` 64 lower-case hex
/// digits; `iat`/`exp` within ±(2^53 − 1); `exp > iat`; lifetime at most
/// [`MAX_TOKEN_LIFETIME_SECS`].
///
/// # Errors
/// `TOKEN_INVALID` naming the first bad claim.
pub(super) fn check_shape(claims: &CheckoutClaims) -> Result<()> {
    check_len("iss", &claims.iss)?;
    check_len("ord", &claims.ord)?;
    if !claims.ord.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(invalid("claim ord must be printable ASCII without spaces"));
    }
    let hex = claims.eh.len() == 64
        && claims
            .eh
            .bytes()
            .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    if !hex {
        return Err(invalid("claim eh must be 64 lower-case hex digits"));
    }
    if let Some(sub) = &claims.sub {
        check_len("sub", sub)?;
    }
    check_len("jti", &claims.jti)?;
    for (name, value) in [("iat", claims.iat), ("exp", claims.exp)] {
        if value.abs() > MAX_NUMERIC_DATE {
            return Err(invalid(format!(
                "claim {name} must be whole seconds since the epoch"
            )));
        }
    }
    if claims.exp <= claims.iat {
        return Err(invalid("claim exp must be after iat"));
    }
    if claims.exp - claims.iat > MAX_TOKEN_LIFETIME_SECS {
        return Err(invalid(format!(
            "claims exp - iat (token lifetime) must be at most {MAX_TOKEN_LIFETIME_SECS} s"
        )));
    }
    Ok(())
}

/// Clock checks at `now`, allowing [`CLOCK_SKEW_SECS`] either way: `iat`
/// not in the future, then `now` before `exp`.
///
/// # Errors
/// `TOKEN_INVALID` when `iat` is in the future; `TOKEN_EXPIRED` when expired.
pub(super) fn check_time(claims: &CheckoutClaims, now: Timestamp) -> Result<()> {
    let skew_ms = CLOCK_SKEW_SECS * SECOND_MS;
    let now_ms = now.as_millis();
    // |iat|, |exp| ≤ 2^53 (check_shape), so seconds × 1000 fits an i64.
    if claims.iat.saturating_mul(SECOND_MS) > now_ms.saturating_add(skew_ms) {
        return Err(invalid("claim iat is in the future"));
    }
    let expires_ms = claims.exp.saturating_mul(SECOND_MS).saturating_add(skew_ms);
    if now_ms >= expires_ms {
        return Err(Error::new(
            ErrorCode::TokenExpired,
            format!(
                "token expired at {}",
                Timestamp(claims.exp.saturating_mul(SECOND_MS))
            ),
        ));
    }
    Ok(())
}

//! Exact decimals from the values callers of the Python and Node packages pass for money and quantities.
//!
//! Strings are parsed exactly (plain or scientific notation, as decimal.js and big.js print them); anything
//! that would need rounding to fit a [`Decimal`] is refused rather than rounded. Binary floats are accepted
//! only when their shortest round-trip text has at most 15 significant digits: every decimal literal of up to
//! 15 digits survives the trip through `f64` unchanged (`DBL_DIG`), so `10.15` is the price the caller typed,
//! while `0.1 + 0.2` prints as `0.30000000000000004` (17 digits) and is refused as float-arithmetic noise.

use rust_decimal::Decimal;

use crate::error::{Error, Result};

/// Significant digits an `f64` carries without ambiguity (`DBL_DIG`).
pub const MAX_FLOAT_DIGITS: usize = 15;

/// Parses a decimal string exactly (`"10.15"`, `"-3"`, `"1e-7"`, `"1.5E+3"`); `field` names the argument in
/// the [`Error::Validation`] it fails with.
pub fn parse(field: &str, text: &str) -> Result<Decimal> {
    let t = text.trim();
    let invalid =
        |why: &str| Error::validation(field, format!("`{text}` is not a decimal number: {why}"));
    if t.is_empty() {
        return Err(invalid("it is empty"));
    }
    let body = t.strip_prefix(['-', '+']).unwrap_or(t);
    if !body.starts_with(|c: char| c.is_ascii_digit() || c == '.')
        || !body
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '-' | '+'))
    {
        return Err(invalid("only digits, one `.` and an exponent are allowed"));
    }
    let parsed = if t.contains(['e', 'E']) {
        let (mantissa, exp) = t.split_once(['e', 'E']).unwrap_or((t, "0"));
        let exp: i64 = exp
            .strip_prefix('+')
            .unwrap_or(exp)
            .parse()
            .map_err(|_| invalid("malformed exponent"))?;
        let m = Decimal::from_str_exact(mantissa).map_err(|e| invalid(&e.to_string()))?;
        scale_by_power_of_ten(m, exp).ok_or_else(|| invalid("out of range or too precise"))?
    } else {
        Decimal::from_str_exact(t).map_err(|e| invalid(&e.to_string()))?
    };
    Ok(normalize_zero(parsed))
}

/// The decimal a binary float stands for, when that is unambiguous (see the module docs); `field` names the
/// argument in the [`Error::Validation`] it fails with.
pub fn from_f64(field: &str, value: f64) -> Result<Decimal> {
    if !value.is_finite() {
        return Err(Error::validation(
            field,
            format!("{value} is not a finite number"),
        ));
    }
    // `{:e}` prints the shortest digits that round-trip, e.g. `3.0000000000000004e-1`.
    let shortest = format!("{value:e}");
    let mantissa = shortest.split('e').next().unwrap_or_default();
    let digits = mantissa.chars().filter(|c| c.is_ascii_digit()).count();
    if digits > MAX_FLOAT_DIGITS {
        return Err(Error::validation(
            field,
            format!(
                "the number {value} has {digits} significant digits, more than a float holds exactly \
                 ({MAX_FLOAT_DIGITS}); it looks like float arithmetic: pass the decimal as a string or a decimal object"
            ),
        ));
    }
    parse(field, &shortest)
}

/// `m × 10^exp`, keeping exactly the digits written (`1.5e3` is `1500`, `1.50e-1` is `0.150`).
fn scale_by_power_of_ten(m: Decimal, exp: i64) -> Option<Decimal> {
    let scale = i64::from(m.scale()) - exp;
    if scale >= 0 {
        let scale = u32::try_from(scale).ok().filter(|s| *s <= 28)?;
        let mut v = m;
        v.set_scale(scale).ok()?;
        Some(v)
    } else {
        let mut v = m;
        v.set_scale(0).ok()?;
        for _ in 0..(-scale) {
            v = v.checked_mul(Decimal::TEN)?;
        }
        Some(v)
    }
}

fn normalize_zero(mut d: Decimal) -> Decimal {
    if d.is_zero() {
        d.set_sign_positive(true);
    }
    d
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(s: &str) -> String {
        parse("price", s).unwrap().to_string()
    }

    #[test]
    fn strings_are_exact() {
        assert_eq!(ok("10.15"), "10.15");
        assert_eq!(ok(" -3 "), "-3");
        assert_eq!(ok("+0.500"), "0.500");
        assert_eq!(ok("1e-7"), "0.0000001");
        assert_eq!(ok("1.5E+3"), "1500");
        assert_eq!(ok("1e21"), "1000000000000000000000");
        assert_eq!(ok("-0"), "0");
        for bad in [
            "", "abc", "1.2.3", "NaN", "Infinity", "0x10", "1e", "--1", "1e999",
        ] {
            let err = parse("price", bad).unwrap_err();
            assert_eq!(err.kind().code(), "VALIDATION", "{bad}");
            assert_eq!(err.field(), Some("price"));
        }
        // More digits than a Decimal holds: refused, never rounded.
        assert!(parse("price", "0.12345678901234567890123456789").is_err());
    }

    #[test]
    fn floats_only_when_unambiguous() {
        let f = |v: f64| from_f64("price", v).map(|d| d.to_string());
        assert_eq!(f(10.15).unwrap(), "10.15");
        assert_eq!(f(0.1).unwrap(), "0.1");
        assert_eq!(f(100.0).unwrap(), "100");
        assert_eq!(f(-2.5e-7).unwrap(), "-0.00000025");
        assert_eq!(f(123456789012345.0).unwrap(), "123456789012345");
        let err = from_f64("price", 0.1 + 0.2).unwrap_err();
        assert_eq!(err.kind().code(), "VALIDATION");
        assert!(err.to_string().contains("0.30000000000000004"), "{err}");
        assert!(f(f64::NAN).is_err());
        assert!(f(f64::INFINITY).is_err());
        assert!(f(9007199254740993.0).is_err(), "beyond 2^53 is not exact");
    }
}

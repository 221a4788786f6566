//! Values at the boundary: decimals travel as strings (out) and as strings, numbers or decimal objects (in);
//! times are `Date`s (napi's `chrono_date`). The exactness rules live in core (`autoshares::models::decimal`).

use napi::bindgen_prelude::*;
use napi::sys;
use napi_derive::napi;
use rust_decimal::Decimal;

/// A decimal as JS hands it over, not yet checked: a string, a number, or anything with `toString()`
/// (decimal.js, big.js, bigint).
pub enum DecimalInput {
    Text(String),
    Number(f64),
}

impl TypeName for DecimalInput {
    fn type_name() -> &'static str {
        "DecimalLike"
    }
    fn value_type() -> ValueType {
        ValueType::Unknown
    }
}

impl ValidateNapiValue for DecimalInput {}

impl FromNapiValue for DecimalInput {
    unsafe fn from_napi_value(env: sys::napi_env, value: sys::napi_value) -> Result<Self> {
        let unknown = unsafe { Unknown::from_napi_value(env, value)? };
        match unknown.get_type()? {
            ValueType::String => Ok(DecimalInput::Text(unsafe {
                String::from_napi_value(env, value)?
            })),
            ValueType::Number => Ok(DecimalInput::Number(unsafe {
                f64::from_napi_value(env, value)?
            })),
            ValueType::Object | ValueType::BigInt => {
                let text = unknown.coerce_to_string()?.into_utf8()?.into_owned()?;
                Ok(DecimalInput::Text(text))
            }
            other => Err(Error::new(
                Status::InvalidArg,
                format!("expected a decimal (string, number or decimal object), got {other}"),
            )),
        }
    }
}

impl DecimalInput {
    /// The exact decimal, or a `VALIDATION` error naming `field`.
    pub fn to_decimal(&self, field: &str) -> autoshares::Result<Decimal> {
        match self {
            DecimalInput::Text(s) => autoshares::models::decimal::parse(field, s),
            DecimalInput::Number(n) => autoshares::models::decimal::from_f64(field, *n),
        }
    }
}

/// A money or quantity value as JS gets it: the exact decimal string.
pub fn dec(d: Option<Decimal>) -> Option<String> {
    d.map(|d| plain(&d))
}

/// `d.to_string()` (every digit of the scale kept, `-` for a negative sign), without rust_decimal's digit-by-digit
/// 96-bit division: the mantissa is printed as an integer and the point put in. Streams convert some twenty
/// decimals per quote, and `to_string` was the largest single cost of delivering quotes to JS.
pub fn plain(d: &Decimal) -> String {
    use std::fmt::Write;
    let scale = d.scale() as usize;
    let mut digits = String::with_capacity(40);
    let m = d.mantissa().unsigned_abs();
    if m != 0 {
        let _ = write!(digits, "{m}");
    }
    let mut out = String::with_capacity(digits.len().max(scale) + 3);
    if d.is_sign_negative() {
        out.push('-');
    }
    if scale == 0 {
        out.push_str(if digits.is_empty() { "0" } else { &digits });
        return out;
    }
    if digits.len() <= scale {
        out.push_str("0.");
        out.extend(std::iter::repeat_n('0', scale - digits.len()));
        out.push_str(&digits);
    } else {
        let (whole, fraction) = digits.split_at(digits.len() - scale);
        out.push_str(whole);
        out.push('.');
        out.push_str(fraction);
    }
    out
}

#[cfg(test)]
mod tests {
    use rust_decimal::Decimal;

    #[test]
    fn plain_is_to_string() {
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let mut cases = vec![
            Decimal::ZERO,
            -Decimal::ZERO,
            Decimal::new(0, 5),
            Decimal::new(-0, 3).set_sign_negative_copy(),
            Decimal::new(18925000, 5),
            Decimal::new(-1, 28),
            Decimal::new(5, 1),
            Decimal::MAX,
            Decimal::MIN,
            Decimal::new(i64::MAX, 0),
            Decimal::new(i64::MIN, 18),
        ];
        for _ in 0..20_000 {
            let lo = next();
            let mid = next() as u32;
            let hi = if next() % 3 == 0 { next() as u32 } else { 0 };
            cases.push(Decimal::from_parts(
                lo as u32,
                (lo >> 32) as u32 & mid,
                hi,
                next() % 2 == 0,
                (next() % 29) as u32,
            ));
        }
        for d in cases {
            assert_eq!(super::plain(&d), d.to_string(), "{d:?}");
        }
    }

    trait NegativeCopy {
        fn set_sign_negative_copy(self) -> Self;
    }

    impl NegativeCopy for Decimal {
        fn set_sign_negative_copy(mut self) -> Self {
            self.set_sign_negative(true);
            self
        }
    }
}

/// How a money argument will be sent: the exact decimal string, or an `AutoSharesError` with `code ===
/// 'VALIDATION'` (for a number, when it is not exactly the decimal it prints as, e.g. `0.1 + 0.2`).
///
/// ```js
/// toDecimal('10.15')          // '10.15'
/// toDecimal(new Decimal('1e-7')) // '0.0000001'
/// toDecimal(0.1 + 0.2)        // throws AutoSharesError { code: 'VALIDATION', field: 'value' }
/// ```
#[napi(ts_args_type = "value: DecimalLike, field?: string")]
pub fn to_decimal(env: Env, value: DecimalInput, field: Option<String>) -> Result<String> {
    let field = field.unwrap_or_else(|| "value".to_string());
    value
        .to_decimal(&field)
        .map(|d| d.to_string())
        .map_err(|e| crate::error::core(&env, &e))
}

/// The name of a field inside a request value, for errors: `placeParams.price`, `legs[0].side`.
pub fn field(path: &str, name: &str) -> String {
    if path.is_empty() {
        name.to_string()
    } else {
        format!("{path}.{name}")
    }
}

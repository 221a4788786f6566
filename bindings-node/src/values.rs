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
    d.map(|d| d.to_string())
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

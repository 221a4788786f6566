//! Filters from JS: an array of terms, all of which must hold (the filter language of the API only joins
//! clauses with `and`), turned into core's `Filter` builder, so a malformed filter is a `VALIDATION` error and
//! is never sent. A raw filter string is deliberately not accepted.
//!
//! ```js
//! await client.transactions.list(accountId, { filter: [
//!   { field: 'Symbol', op: 'eq', value: 'AAPL' },
//!   { field: 'Quantity', op: 'between', value: ['10', 100] },
//!   { field: 'Status', op: 'in', value: [0, 1, 4] },
//!   { field: 'CreateDate', op: 'ge', value: new Date('2026-01-01') },
//! ] })
//! ```

use autoshares::filter::{Filter, Value};
use napi::bindgen_prelude::*;
use napi::sys;
use napi_derive::napi;

/// One clause of a filter.
#[napi(object, object_to_js = false)]
pub struct FilterTerm {
    /// A property name of the listed items (letters, digits, `_`, `.`), e.g. `'Symbol'`.
    pub field: String,
    /// The comparison; `in` takes an array, `between` a `[low, high]` pair, the text operators a string.
    #[napi(
        ts_type = "'eq' | 'lt' | 'le' | 'gt' | 'ge' | 'contains' | 'startsWith' | 'endsWith' | 'in' | 'between'"
    )]
    pub op: String,
    /// A string, boolean, `Date`, integer, exact decimal (`DecimalLike`), or an array of them for `in` and
    /// `between`.
    #[napi(ts_type = "FilterValue | FilterValue[]")]
    pub value: FilterInput,
}

/// A filter literal, or a list of them, as JS hands it over.
pub enum FilterInput {
    One(Value),
    Many(Vec<Value>),
    Bad(String),
}

impl TypeName for FilterInput {
    fn type_name() -> &'static str {
        "FilterValue"
    }
    fn value_type() -> ValueType {
        ValueType::Unknown
    }
}

impl ValidateNapiValue for FilterInput {}

fn literal(
    env: sys::napi_env,
    value: sys::napi_value,
) -> Result<std::result::Result<Value, String>> {
    let unknown = unsafe { Unknown::from_napi_value(env, value)? };
    Ok(match unknown.get_type()? {
        ValueType::String => Ok(Value::Str(unsafe { String::from_napi_value(env, value)? })),
        ValueType::Boolean => Ok(Value::Bool(unsafe { bool::from_napi_value(env, value)? })),
        ValueType::Number => {
            let n = unsafe { f64::from_napi_value(env, value)? };
            if n.fract() == 0.0 && n.abs() <= 9_007_199_254_740_991.0 {
                Ok(Value::Int(n as i64))
            } else {
                autoshares::models::decimal::from_f64("filter", n)
                    .map(Value::Decimal)
                    .map_err(|e| e.to_string())
            }
        }
        ValueType::BigInt => {
            let text = unknown.coerce_to_string()?.into_utf8()?.into_owned()?;
            text.parse::<i64>()
                .map(Value::Int)
                .map_err(|_| format!("{text} is out of range"))
        }
        ValueType::Object => {
            let mut is_date = false;
            unsafe { sys::napi_is_date(env, value, &mut is_date) };
            if is_date {
                let d = unsafe { chrono::DateTime::<chrono::Utc>::from_napi_value(env, value)? };
                Ok(Value::Date(d))
            } else {
                let text = unknown.coerce_to_string()?.into_utf8()?.into_owned()?;
                autoshares::models::decimal::parse("filter", &text)
                    .map(Value::Decimal)
                    .map_err(|e| e.to_string())
            }
        }
        other => Err(format!("a filter value cannot be {other}")),
    })
}

impl FromNapiValue for FilterInput {
    unsafe fn from_napi_value(env: sys::napi_env, value: sys::napi_value) -> Result<Self> {
        let mut is_array = false;
        unsafe { sys::napi_is_array(env, value, &mut is_array) };
        if !is_array {
            return Ok(match literal(env, value)? {
                Ok(v) => FilterInput::One(v),
                Err(e) => FilterInput::Bad(e),
            });
        }
        let items = unsafe { Vec::<Unknown>::from_napi_value(env, value)? };
        let mut out = Vec::with_capacity(items.len());
        for item in items {
            match literal(env, unsafe { Unknown::to_napi_value(env, item)? })? {
                Ok(v) => out.push(v),
                Err(e) => return Ok(FilterInput::Bad(e)),
            }
        }
        Ok(FilterInput::Many(out))
    }
}

fn bad(i: usize, message: impl Into<String>) -> autoshares::Error {
    autoshares::Error::Validation {
        field: format!("filter[{i}]"),
        message: message.into(),
    }
}

fn term(i: usize, t: FilterTerm) -> autoshares::Result<Filter> {
    let field = t.field;
    let text = |v: FilterInput| match v {
        FilterInput::One(Value::Str(s)) => Ok(s),
        _ => Err(bad(i, format!("`{}` takes a string", t.op))),
    };
    Ok(match (t.op.as_str(), t.value) {
        (_, FilterInput::Bad(e)) => return Err(bad(i, e)),
        ("eq", FilterInput::One(v)) => Filter::eq(field, v),
        ("lt", FilterInput::One(v)) => Filter::lt(field, v),
        ("le", FilterInput::One(v)) => Filter::le(field, v),
        ("gt", FilterInput::One(v)) => Filter::gt(field, v),
        ("ge", FilterInput::One(v)) => Filter::ge(field, v),
        ("contains", v) => Filter::contains(field, text(v)?),
        ("startsWith", v) => Filter::starts_with(field, text(v)?),
        ("endsWith", v) => Filter::ends_with(field, text(v)?),
        ("in", FilterInput::Many(vs)) => Filter::is_in(field, vs),
        ("between", FilterInput::Many(vs)) if vs.len() == 2 => {
            let mut vs = vs.into_iter();
            let (low, high) = (
                vs.next().unwrap_or(Value::Int(0)),
                vs.next().unwrap_or(Value::Int(0)),
            );
            Filter::between(field, low, high)
        }
        ("in", _) => return Err(bad(i, "`in` takes an array of values")),
        ("between", _) => return Err(bad(i, "`between` takes a [low, high] pair")),
        ("eq" | "lt" | "le" | "gt" | "ge", _) => {
            return Err(bad(i, format!("`{}` takes one value, not an array", t.op)))
        }
        (op, _) => return Err(bad(i, format!("unknown filter operator `{op}`"))),
    })
}

/// The core filter of a term list (all must hold); an empty list is refused.
pub fn to_core(terms: Vec<FilterTerm>) -> autoshares::Result<Filter> {
    let mut out: Option<Filter> = None;
    for (i, t) in terms.into_iter().enumerate() {
        let f = term(i, t)?;
        out = Some(match out {
            None => f,
            Some(prev) => prev.and(f),
        });
    }
    let filter = out.ok_or_else(|| autoshares::Error::Validation {
        field: "filter".into(),
        message: "a filter needs at least one term (leave `filter` out for none)".into(),
    })?;
    filter.render()?;
    Ok(filter)
}

//! The `filter` expression language of list endpoints, as a builder that cannot produce a malformed filter.
//!
//! The grammar (CATALOGUE §3.0): comparisons `=`, `<`, `>`, `<=`, `>=`; `contains`, `startsWith`, `endsWith`;
//! `in (a, b)`; `between a and b`; clauses joined with `and`; numbers bare, booleans `true`/`false`, strings in
//! single quotes, dates between `#`. Field names are checked (letters, digits, `_`, `.`), strings containing a
//! single quote are refused (the language has no documented escape), and an empty `in` list is refused; all of
//! this happens when the request is built, so a bad filter is a `Validation` error and is never sent.
//!
//! ```
//! use autoshares::filter::Filter;
//! let f = Filter::eq("SecurityId", 4).and(Filter::is_in("Status", [0, 1, 4]));
//! assert_eq!(f.render().unwrap(), "SecurityId = 4 and Status in (0, 1, 4)");
//! ```

use chrono::{DateTime, SecondsFormat, Utc};
use rust_decimal::Decimal;

use crate::error::{Error, Result};

/// A literal in a filter.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// An integer (enum fields may be compared by number).
    Int(i64),
    /// An exact decimal.
    Decimal(Decimal),
    /// `true` / `false`.
    Bool(bool),
    /// A string (enum fields may be compared by name).
    Str(String),
    /// A UTC date-time, written `#...#`.
    Date(DateTime<Utc>),
}

macro_rules! value_from {
    ($($t:ty => $v:ident),+) => {$(
        impl From<$t> for Value {
            fn from(x: $t) -> Value {
                Value::$v(x.into())
            }
        }
    )+};
}
value_from!(i64 => Int, i32 => Int, u32 => Int, i16 => Int, Decimal => Decimal, bool => Bool, String => Str, &str => Str, DateTime<Utc> => Date);

#[derive(Debug, Clone, PartialEq)]
enum Clause {
    Compare(String, &'static str, Value),
    Text(String, &'static str, String),
    In(String, Vec<Value>),
    Between(String, Value, Value),
}

/// A filter: one or more clauses joined with `and`.
#[derive(Debug, Clone, PartialEq)]
pub struct Filter {
    clauses: Vec<Clause>,
}

impl Filter {
    fn one(c: Clause) -> Filter {
        Filter { clauses: vec![c] }
    }

    /// `field = value`
    pub fn eq(field: impl Into<String>, value: impl Into<Value>) -> Filter {
        Filter::one(Clause::Compare(field.into(), "=", value.into()))
    }
    /// `field < value`
    pub fn lt(field: impl Into<String>, value: impl Into<Value>) -> Filter {
        Filter::one(Clause::Compare(field.into(), "<", value.into()))
    }
    /// `field <= value`
    pub fn le(field: impl Into<String>, value: impl Into<Value>) -> Filter {
        Filter::one(Clause::Compare(field.into(), "<=", value.into()))
    }
    /// `field > value`
    pub fn gt(field: impl Into<String>, value: impl Into<Value>) -> Filter {
        Filter::one(Clause::Compare(field.into(), ">", value.into()))
    }
    /// `field >= value`
    pub fn ge(field: impl Into<String>, value: impl Into<Value>) -> Filter {
        Filter::one(Clause::Compare(field.into(), ">=", value.into()))
    }
    /// `field contains 'text'`
    pub fn contains(field: impl Into<String>, text: impl Into<String>) -> Filter {
        Filter::one(Clause::Text(field.into(), "contains", text.into()))
    }
    /// `field startsWith 'text'`
    pub fn starts_with(field: impl Into<String>, text: impl Into<String>) -> Filter {
        Filter::one(Clause::Text(field.into(), "startsWith", text.into()))
    }
    /// `field endsWith 'text'`
    pub fn ends_with(field: impl Into<String>, text: impl Into<String>) -> Filter {
        Filter::one(Clause::Text(field.into(), "endsWith", text.into()))
    }
    /// `field in (v1, v2, ...)`
    pub fn is_in<I, V>(field: impl Into<String>, values: I) -> Filter
    where
        I: IntoIterator<Item = V>,
        V: Into<Value>,
    {
        Filter::one(Clause::In(
            field.into(),
            values.into_iter().map(Into::into).collect(),
        ))
    }
    /// `field between low and high`
    pub fn between(
        field: impl Into<String>,
        low: impl Into<Value>,
        high: impl Into<Value>,
    ) -> Filter {
        Filter::one(Clause::Between(field.into(), low.into(), high.into()))
    }

    /// Both this filter and `other`.
    pub fn and(mut self, other: Filter) -> Filter {
        self.clauses.extend(other.clauses);
        self
    }

    /// The expression as sent in the `filter` query parameter (URL-encoding is the transport's job).
    pub fn render(&self) -> Result<String> {
        let mut parts = Vec::with_capacity(self.clauses.len());
        for c in &self.clauses {
            parts.push(match c {
                Clause::Compare(f, op, v) => format!("{} {op} {}", field(f)?, literal(f, v)?),
                Clause::Text(f, op, t) => format!("{} {op} {}", field(f)?, string(f, t)?),
                Clause::In(f, vs) => {
                    if vs.is_empty() {
                        return Err(Error::validation(
                            "filter",
                            format!("`{f} in ()` needs at least one value"),
                        ));
                    }
                    let items = vs
                        .iter()
                        .map(|v| literal(f, v))
                        .collect::<Result<Vec<_>>>()?;
                    format!("{} in ({})", field(f)?, items.join(", "))
                }
                Clause::Between(f, a, b) => format!(
                    "{} between {} and {}",
                    field(f)?,
                    literal(f, a)?,
                    literal(f, b)?
                ),
            });
        }
        Ok(parts.join(" and "))
    }
}

impl std::fmt::Display for Filter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.render() {
            Ok(s) => f.write_str(&s),
            Err(e) => write!(f, "<invalid filter: {e}>"),
        }
    }
}

/// Checks a field name (also used for sort fields).
pub(crate) fn check_field(what: &str, name: &str) -> Result<()> {
    let mut chars = name.chars();
    let ok = matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.');
    if ok {
        Ok(())
    } else {
        Err(Error::validation(
            what,
            format!("`{name}` is not a field name"),
        ))
    }
}

fn field(name: &str) -> Result<&str> {
    check_field("filter", name).map(|_| name)
}

fn string(field: &str, s: &str) -> Result<String> {
    if s.contains('\'') {
        return Err(Error::validation(
            "filter",
            format!("the value for `{field}` contains a single quote, which the filter language cannot express"),
        ));
    }
    if s.chars().any(|c| c.is_control()) {
        return Err(Error::validation(
            "filter",
            format!("the value for `{field}` contains a control character"),
        ));
    }
    Ok(format!("'{s}'"))
}

fn literal(field: &str, v: &Value) -> Result<String> {
    Ok(match v {
        Value::Int(i) => i.to_string(),
        Value::Decimal(d) => d.normalize().to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Str(s) => string(field, s)?,
        Value::Date(d) => format!("#{}#", d.to_rfc3339_opts(SecondsFormat::AutoSi, true)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn every_operator_renders() {
        let d1 = Utc.with_ymd_and_hms(2019, 8, 9, 18, 31, 42).unwrap();
        let d2 = Utc.with_ymd_and_hms(2019, 9, 1, 0, 0, 0).unwrap();
        let f = Filter::eq("Currency", "USD")
            .and(Filter::lt("Quantity", 2500))
            .and(Filter::ge("Cash", Decimal::new(10015, 2)))
            .and(Filter::between("Date", d1, d2))
            .and(Filter::starts_with("OwnerType", "Individual"))
            .and(Filter::contains("Symbol", "AA"))
            .and(Filter::ends_with("Symbol", "L"))
            .and(Filter::eq("Enabled", true))
            .and(Filter::is_in("Status", [0, 1, 4]));
        assert_eq!(
            f.render().unwrap(),
            "Currency = 'USD' and Quantity < 2500 and Cash >= 100.15 and Date between #2019-08-09T18:31:42Z# and \
             #2019-09-01T00:00:00Z# and OwnerType startsWith 'Individual' and Symbol contains 'AA' and Symbol endsWith 'L' \
             and Enabled = true and Status in (0, 1, 4)"
        );
    }

    #[test]
    fn malformed_filters_cannot_be_built() {
        assert!(Filter::eq("Symbol", "O'Brien").render().is_err());
        assert!(Filter::eq("Symbol = 1 or 1", 1).render().is_err());
        assert!(Filter::is_in("Status", Vec::<i32>::new()).render().is_err());
        assert!(Filter::eq("", 1).render().is_err());
        let e = Filter::contains("Symbol", "a\nb").render().unwrap_err();
        assert_eq!(e.field(), Some("filter"));
    }
}

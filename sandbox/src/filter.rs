//! The `filter` expression language of the list endpoints, implemented once.
//!
//! Grammar (CATALOGUE §3.0): conditions joined by `and`; a condition is `Field op literal` with
//! `op` one of `=`, `<>`/`!=`, `<`, `>`, `<=`, `>=`, `contains`, `startsWith`, `endsWith`,
//! or `Field in (v1, v2, ...)`, or `Field between A and B`. Literals: numbers, `true`/`false`,
//! strings in single quotes (`''` escapes a quote), dates wrapped in `#` (`#2019-08-09T18:31:42#`).
//! Keywords and field names are case-insensitive. Items are matched on their wire JSON (field names
//! as sent); enum fields compare by name or by their number (the index in the enum's list).

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use rust_decimal::Decimal;
use serde_json::Value;
use std::str::FromStr;

/// A literal of the filter language.
#[derive(Clone, Debug, PartialEq)]
pub enum Literal {
    /// A number.
    Number(Decimal),
    /// A quoted string.
    Text(String),
    /// A `#...#` date.
    Date(DateTime<Utc>),
    /// `true` / `false`.
    Bool(bool),
}

/// A comparison operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// `=`
    Eq,
    /// `<>` or `!=`
    Ne,
    /// `<`
    Lt,
    /// `>`
    Gt,
    /// `<=`
    Le,
    /// `>=`
    Ge,
    /// `contains` (case-insensitive)
    Contains,
    /// `startsWith` (case-insensitive)
    StartsWith,
    /// `endsWith` (case-insensitive)
    EndsWith,
}

/// One condition.
#[derive(Clone, Debug, PartialEq)]
pub enum Condition {
    /// `Field op literal`.
    Compare(String, Op, Literal),
    /// `Field in (...)`.
    In(String, Vec<Literal>),
    /// `Field between low and high` (inclusive).
    Between(String, Literal, Literal),
}

/// A parsed filter: a conjunction of conditions (empty matches everything).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Filter {
    /// The conditions, all of which must hold.
    pub conditions: Vec<Condition>,
}

/// Why a filter does not parse.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FilterError(pub String);

impl std::fmt::Display for FilterError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "invalid filter: {}", self.0)
    }
}

impl std::error::Error for FilterError {}

#[derive(Clone, Debug, PartialEq)]
enum Token {
    Word(String),
    Lit(Literal),
    Sym(&'static str),
}

fn parse_date(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    if let Ok(d) = DateTime::parse_from_rfc3339(s) {
        return Some(d.with_timezone(&Utc));
    }
    for format in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%m/%d/%Y %H:%M:%S",
    ] {
        if let Ok(d) = NaiveDateTime::parse_from_str(s, format) {
            return Some(d.and_utc());
        }
    }
    for format in ["%Y-%m-%d", "%m/%d/%Y"] {
        if let Ok(d) = NaiveDate::parse_from_str(s, format) {
            return d.and_hms_opt(0, 0, 0).map(|d| d.and_utc());
        }
    }
    None
}

fn lex(input: &str) -> Result<Vec<Token>, FilterError> {
    let chars: Vec<char> = input.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if c == '\'' {
            let mut s = String::new();
            i += 1;
            loop {
                match chars.get(i) {
                    None => return Err(FilterError("unterminated string".into())),
                    Some('\'') if chars.get(i + 1) == Some(&'\'') => {
                        s.push('\'');
                        i += 2;
                    }
                    Some('\'') => {
                        i += 1;
                        break;
                    }
                    Some(&ch) => {
                        s.push(ch);
                        i += 1;
                    }
                }
            }
            out.push(Token::Lit(Literal::Text(s)));
        } else if c == '#' {
            let end = chars[i + 1..]
                .iter()
                .position(|&ch| ch == '#')
                .ok_or_else(|| FilterError("unterminated date".into()))?;
            let text: String = chars[i + 1..i + 1 + end].iter().collect();
            let date =
                parse_date(&text).ok_or_else(|| FilterError(format!("bad date #{text}#")))?;
            out.push(Token::Lit(Literal::Date(date)));
            i += end + 2;
        } else if c.is_ascii_digit()
            || (c == '-' && chars.get(i + 1).is_some_and(|d| d.is_ascii_digit()))
        {
            let start = i;
            i += 1;
            while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '.') {
                i += 1;
            }
            let text: String = chars[start..i].iter().collect();
            let n =
                Decimal::from_str(&text).map_err(|_| FilterError(format!("bad number {text}")))?;
            out.push(Token::Lit(Literal::Number(n)));
        } else if c.is_alphabetic() || c == '_' {
            let start = i;
            while i < chars.len()
                && (chars[i].is_alphanumeric() || chars[i] == '_' || chars[i] == '.')
            {
                i += 1;
            }
            let word: String = chars[start..i].iter().collect();
            match word.to_ascii_lowercase().as_str() {
                "true" => out.push(Token::Lit(Literal::Bool(true))),
                "false" => out.push(Token::Lit(Literal::Bool(false))),
                _ => out.push(Token::Word(word)),
            }
        } else {
            let two: String = chars[i..(i + 2).min(chars.len())].iter().collect();
            let sym = match two.as_str() {
                "<=" => Some("<="),
                ">=" => Some(">="),
                "<>" => Some("<>"),
                "!=" => Some("<>"),
                "==" => Some("="),
                _ => None,
            };
            if let Some(sym) = sym {
                out.push(Token::Sym(sym));
                i += 2;
                continue;
            }
            let sym = match c {
                '=' => "=",
                '<' => "<",
                '>' => ">",
                '(' => "(",
                ')' => ")",
                ',' => ",",
                _ => return Err(FilterError(format!("unexpected character '{c}'"))),
            };
            out.push(Token::Sym(sym));
            i += 1;
        }
    }
    Ok(out)
}

struct Parser {
    tokens: Vec<Token>,
    pos: usize,
}

impl Parser {
    fn next(&mut self) -> Option<Token> {
        let t = self.tokens.get(self.pos).cloned();
        self.pos += 1;
        t
    }

    fn keyword(&mut self, word: &str) -> bool {
        match self.tokens.get(self.pos) {
            Some(Token::Word(w)) if w.eq_ignore_ascii_case(word) => {
                self.pos += 1;
                true
            }
            _ => false,
        }
    }

    fn literal(&mut self) -> Result<Literal, FilterError> {
        match self.next() {
            Some(Token::Lit(l)) => Ok(l),
            other => Err(FilterError(format!("expected a value, found {other:?}"))),
        }
    }

    fn condition(&mut self) -> Result<Condition, FilterError> {
        let field = match self.next() {
            Some(Token::Word(w)) => w,
            other => {
                return Err(FilterError(format!(
                    "expected a field name, found {other:?}"
                )))
            }
        };
        if self.keyword("in") {
            if self.next() != Some(Token::Sym("(")) {
                return Err(FilterError("expected '(' after in".into()));
            }
            let mut values = vec![self.literal()?];
            loop {
                match self.next() {
                    Some(Token::Sym(",")) => values.push(self.literal()?),
                    Some(Token::Sym(")")) => break,
                    other => {
                        return Err(FilterError(format!("expected ',' or ')', found {other:?}")))
                    }
                }
            }
            return Ok(Condition::In(field, values));
        }
        if self.keyword("between") {
            let low = self.literal()?;
            if !self.keyword("and") {
                return Err(FilterError("expected 'and' in between".into()));
            }
            let high = self.literal()?;
            return Ok(Condition::Between(field, low, high));
        }
        let op = match self.next() {
            Some(Token::Sym("=")) => Op::Eq,
            Some(Token::Sym("<>")) => Op::Ne,
            Some(Token::Sym("<")) => Op::Lt,
            Some(Token::Sym(">")) => Op::Gt,
            Some(Token::Sym("<=")) => Op::Le,
            Some(Token::Sym(">=")) => Op::Ge,
            Some(Token::Word(w)) if w.eq_ignore_ascii_case("contains") => Op::Contains,
            Some(Token::Word(w)) if w.eq_ignore_ascii_case("startsWith") => Op::StartsWith,
            Some(Token::Word(w)) if w.eq_ignore_ascii_case("endsWith") => Op::EndsWith,
            other => {
                return Err(FilterError(format!(
                    "expected an operator, found {other:?}"
                )))
            }
        };
        let value = self.literal()?;
        if matches!(op, Op::Contains | Op::StartsWith | Op::EndsWith)
            && !matches!(value, Literal::Text(_))
        {
            return Err(FilterError("string operators take a quoted string".into()));
        }
        Ok(Condition::Compare(field, op, value))
    }
}

/// Parses a filter expression; an empty or blank one matches everything.
pub fn parse(input: &str) -> Result<Filter, FilterError> {
    let tokens = lex(input)?;
    if tokens.is_empty() {
        return Ok(Filter::default());
    }
    let mut p = Parser { tokens, pos: 0 };
    let mut conditions = vec![p.condition()?];
    while p.pos < p.tokens.len() {
        if !p.keyword("and") {
            return Err(FilterError(format!(
                "expected 'and', found {:?}",
                p.tokens[p.pos]
            )));
        }
        conditions.push(p.condition()?);
    }
    Ok(Filter { conditions })
}

/// The enum variant names of a field, for comparisons by number; `None` if not an enum.
pub type EnumLookup<'a> = &'a dyn Fn(&str) -> Option<&'static [&'static str]>;

/// No enum fields.
pub fn no_enums(_: &str) -> Option<&'static [&'static str]> {
    None
}

/// The value of a field of a JSON object, by case-insensitive name.
pub fn field<'v>(item: &'v Value, name: &str) -> Option<&'v Value> {
    item.as_object()?
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v)
}

/// A JSON value as a number, if it is one (or a numeric string).
pub fn number(v: &Value) -> Option<Decimal> {
    match v {
        Value::Number(n) => Decimal::from_str(&n.to_string())
            .or_else(|_| Decimal::from_scientific(&n.to_string()))
            .ok(),
        Value::Bool(b) => Some(Decimal::from(*b as i32)),
        _ => None,
    }
}

/// A JSON value as a date: an ISO string, or epoch milliseconds for `…Date` fields given as numbers.
fn date(v: &Value) -> Option<DateTime<Utc>> {
    match v {
        Value::String(s) => parse_date(s),
        Value::Number(n) => n.as_i64().and_then(DateTime::from_timestamp_millis),
        _ => None,
    }
}

fn compare(name: &str, v: &Value, lit: &Literal, enums: EnumLookup) -> Option<std::cmp::Ordering> {
    match lit {
        Literal::Number(n) => {
            if let Some(x) = number(v) {
                return Some(x.cmp(n));
            }
            let text = v.as_str()?;
            let index = enums(name)?
                .iter()
                .position(|e| e.eq_ignore_ascii_case(text))?;
            Some(Decimal::from(index as i64).cmp(n))
        }
        Literal::Text(t) => match v {
            Value::String(s) => Some(s.to_lowercase().cmp(&t.to_lowercase())),
            Value::Number(_) => Some(number(v)?.cmp(&Decimal::from_str(t).ok()?)),
            Value::Bool(b) => Some(b.to_string().cmp(&t.to_lowercase())),
            _ => None,
        },
        Literal::Date(d) => Some(date(v)?.cmp(d)),
        Literal::Bool(b) => Some(v.as_bool()?.cmp(b)),
    }
}

impl Filter {
    /// Whether the wire JSON of an item satisfies every condition.
    pub fn matches(&self, item: &Value, enums: EnumLookup) -> bool {
        use std::cmp::Ordering::*;
        self.conditions.iter().all(|c| match c {
            Condition::Compare(name, op, lit) => {
                let Some(v) = field(item, name) else {
                    return false;
                };
                match op {
                    Op::Contains | Op::StartsWith | Op::EndsWith => {
                        let (Some(s), Literal::Text(t)) = (v.as_str(), lit) else {
                            return false;
                        };
                        let (s, t) = (s.to_lowercase(), t.to_lowercase());
                        match op {
                            Op::Contains => s.contains(&t),
                            Op::StartsWith => s.starts_with(&t),
                            _ => s.ends_with(&t),
                        }
                    }
                    _ => match compare(name, v, lit, enums) {
                        None => *op == Op::Ne,
                        Some(o) => match op {
                            Op::Eq => o == Equal,
                            Op::Ne => o != Equal,
                            Op::Lt => o == Less,
                            Op::Gt => o == Greater,
                            Op::Le => o != Greater,
                            _ => o != Less,
                        },
                    },
                }
            }
            Condition::In(name, values) => field(item, name).is_some_and(|v| {
                values
                    .iter()
                    .any(|l| compare(name, v, l, enums) == Some(Equal))
            }),
            Condition::Between(name, low, high) => field(item, name).is_some_and(|v| {
                compare(name, v, low, enums).is_some_and(|o| o != Less)
                    && compare(name, v, high, enums).is_some_and(|o| o != Greater)
            }),
        })
    }

    /// The literal a field is compared with by `=`, if any (e.g. `Range = 1` of the option chain).
    pub fn equals(&self, name: &str) -> Option<&Literal> {
        self.conditions.iter().find_map(|c| match c {
            Condition::Compare(n, Op::Eq, l) if n.eq_ignore_ascii_case(name) => Some(l),
            _ => None,
        })
    }

    /// The filter without the conditions on this field (for pseudo-fields handled by the caller).
    pub fn without(&self, name: &str) -> Filter {
        let keep = |c: &&Condition| {
            let n = match c {
                Condition::Compare(n, _, _) | Condition::In(n, _) | Condition::Between(n, _, _) => {
                    n
                }
            };
            !n.eq_ignore_ascii_case(name)
        };
        Filter {
            conditions: self.conditions.iter().filter(keep).cloned().collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const STATUS: &[&str] = &["New", "PartiallyFilled", "Filled"];

    fn enums(name: &str) -> Option<&'static [&'static str]> {
        name.eq_ignore_ascii_case("status").then_some(STATUS)
    }

    #[test]
    fn parses_and_matches_the_documented_examples() {
        let item = json!({"SecurityId": 4, "Status": "Filled", "Symbol": "AAPL", "OwnerType": "IndividualCustomer",
            "CreateDate": "2019-03-14T10:00:00.000Z", "Quantity": 10, "Enabled": true});
        for (expr, expected) in [
            (
                "SecurityId = 4 and Status in (0,1,2,3,4,5,6,7,8,9,20)",
                true,
            ),
            ("Status = 'Filled'", true),
            ("status = 'filled'", true),
            ("Status in (0,1)", false),
            ("CreateDate >= #2019-03-13T18:31:42#", true),
            ("CreateDate < #2019-03-13T18:31:42.000Z#", false),
            ("Quantity between 0 and 1000", true),
            ("Quantity between 11 and 1000", false),
            ("OwnerType startsWith 'Individual'", true),
            ("Symbol endsWith 'PL' and Symbol contains 'AP'", true),
            ("Symbol in ('MSFT', 'AAPL')", true),
            ("Enabled = true", true),
            ("Quantity <> 10", false),
            ("Missing = 1", false),
            ("", true),
        ] {
            let f = parse(expr).unwrap_or_else(|e| panic!("{expr}: {e}"));
            assert_eq!(f.matches(&item, &enums), expected, "{expr}");
        }
    }

    #[test]
    fn rejects_invalid_expressions() {
        for expr in [
            "SecurityId =",
            "= 4",
            "SecurityId = 4 or Status = 1",
            "Symbol = 'AAPL",
            "Date > #not a date#",
            "Status in (1, 2",
            "Quantity between 1 2",
            "Symbol contains 4",
            "SecurityId ~ 4",
            "SecurityId 4",
        ] {
            assert!(parse(expr).is_err(), "{expr} should not parse");
        }
    }
}

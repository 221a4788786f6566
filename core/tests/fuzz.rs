//! Property-based fuzzing of every decoder (proptest; `cargo fuzz` needs a nightly toolchain that CI does not
//! have). `AUTOSHARES_FUZZ_CASES` sets the cases per target: a few thousand in `make test`, 1,000,000 in
//! `make fuzz`.
//!
//! * stream frames: arbitrary text and mutated real frames never panic; they decode or name what is wrong;
//! * REST models: arbitrary JSON decodes into the response models or fails, never panics, and an exact decimal
//!   survives decoding unchanged;
//! * the filter builder: whatever it renders, the sandbox's independent parser reads back with the same
//!   fields and literals (strings with quotes and backslashes included), or the builder refused it.

use autoshares::filter::Filter;
use autoshares::models::{AccountBalance, Order, Position, Quote, StreamerData};
use autoshares::paging::Page;
use autoshares::stream::wire::{decode, Message};
use autoshares_sandbox::filter::{parse, Condition, Literal};
use chrono::{DateTime, TimeZone, Utc};
use proptest::prelude::*;
use rust_decimal::Decimal;

fn cases() -> u32 {
    std::env::var("AUTOSHARES_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3000)
}

const FRAMES: &[&str] = &[
    r#"{"EntityType":"Quote","Key":"4","Bid":"189.25","Ask":"189.30","BidSize":"300","Date":"12/04/2026 15:30:01","LastSize":"100"}"#,
    r#"{"EntityType":"Order","Id":"77","AccountId":"6004","Status":"Filled","Quantity":"10","CreateDate":"1764862200000","ExpireDate":"-62135596800000"}"#,
    r#"{"EntityType":"Position","Id":"1","AccountId":"6004","SecurityId":"4","Quantity":"10","AverageOpenPrice":"189.25"}"#,
    r#"{"EntityType":"AccountBalance","AccountId":"6004","CashBalance":"1.5","Items":"[{\"Name\":\"cash\",\"Value\":1.5}]"}"#,
    r#"{"EntityType":"MarketDepth","Key":"4","Sequence":"1","Snapshot":"True","Bids":"[{\"Price\":\"1.1\",\"Size\":\"2\"}]","Asks":"[]"}"#,
    r#"{"EntityType":"WatchlistContent","Key":"12","AddedSymbols":"4;5","RemovedSymbols":"null"}"#,
    r#"{"Cmd":"Subscribe.txt","StatusCode":"Error","EntityType":"Quote","Keys":"4;5","Message":"no"}"#,
];

fn json_value() -> impl Strategy<Value = serde_json::Value> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::Bool),
        any::<i64>().prop_map(|n| serde_json::json!(n)),
        "-?[0-9]{1,20}(\\.[0-9]{1,12})?(e-?[0-9]{1,3})?"
            .prop_map(|s| serde_json::from_str(&s).unwrap_or(serde_json::Value::Null)),
        ".{0,12}".prop_map(serde_json::Value::String),
    ];
    let keys = prop::sample::select(vec![
        "Id",
        "Symbol",
        "Price",
        "Quantity",
        "Status",
        "Side",
        "Type",
        "Date",
        "CreateDate",
        "Legs",
        "Result",
        "TotalCount",
        "NextPageLink",
        "cash",
        "AccountId",
        "SecurityId",
        "Bid",
        "Ask",
        "Key",
        "QuoteAddresses",
        "Url",
        "TimeInforce",
        "ExpireDate",
        "IsHalted",
    ]);
    leaf.prop_recursive(4, 64, 8, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(serde_json::Value::Array),
            prop::collection::btree_map(keys.clone().prop_map(String::from), inner, 0..8)
                .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn stream_decoding_never_panics_on_arbitrary_text(text in ".{0,300}") {
        let _ = decode(&text);
    }

    #[test]
    fn stream_decoding_of_mutated_frames_decodes_or_names_the_problem(
        frame in prop::sample::select(FRAMES),
        at in any::<prop::sample::Index>(),
        cut in any::<bool>(),
        insert in ".{0,4}",
    ) {
        let mut text = frame.to_string();
        let mut i = at.index(text.len() + 1);
        while !text.is_char_boundary(i) { i -= 1; }
        if cut { text.truncate(i) } else { text.insert_str(i, &insert) }
        match decode(&text) {
            Ok(_) => {}
            Err(e) => prop_assert!(!e.message.is_empty()),
        }
    }

    #[test]
    fn stream_values_in_range_decode_exactly(
        mantissa in -10_000_000_000i64..10_000_000_000i64,
        scale in 0u32..8,
        key in 1i32..i32::MAX,
    ) {
        let price = Decimal::new(mantissa, scale);
        let text = format!(r#"{{"EntityType":"Quote","Key":"{key}","Bid":"{price}"}}"#);
        match decode(&text) {
            Ok(Message::Quote(q)) => {
                prop_assert_eq!(q.quote.bid, Some(price));
                prop_assert_eq!(q.quote.bid.unwrap().to_string(), price.to_string());
                prop_assert_eq!(q.security_id(), Some(key));
            }
            other => prop_assert!(false, "{:?}", other),
        }
    }

    #[test]
    fn rest_models_decode_or_fail_without_panicking(v in json_value()) {
        let _ = serde_json::from_value::<Order>(v.clone());
        let _ = serde_json::from_value::<Position>(v.clone());
        let _ = serde_json::from_value::<Quote>(v.clone());
        let _ = serde_json::from_value::<AccountBalance>(v.clone());
        let _ = serde_json::from_value::<StreamerData>(v.clone());
        let _ = serde_json::from_value::<Page<Order>>(v.clone());
        let text = v.to_string();
        let _ = serde_json::from_str::<Vec<Order>>(&text);
    }

    #[test]
    fn rest_prices_survive_decoding_exactly(mantissa in any::<i64>(), scale in 0u32..12) {
        let price = Decimal::new(mantissa, scale);
        let body = format!(r#"{{"Id":1,"Price":{price},"Quantity":{price}}}"#);
        let o: Order = serde_json::from_str(&body).unwrap();
        prop_assert_eq!(o.price, Some(price));
        prop_assert_eq!(o.quantity.unwrap().to_string(), price.to_string());
    }

    #[test]
    fn rendered_filters_parse_back_the_same(clauses in prop::collection::vec(clause(), 1..5)) {
        let mut filter: Option<Filter> = None;
        let mut expected = Vec::new();
        for (f, want) in clauses {
            expected.push(want);
            filter = Some(match filter { None => f, Some(acc) => acc.and(f) });
        }
        let filter = filter.unwrap();
        let Ok(text) = filter.render() else {
            // Refused by the builder (a field name it cannot write): nothing malformed was produced.
            return Ok(());
        };
        let parsed = parse(&text).map_err(|e| TestCaseError::fail(format!("{text}: {e}")))?;
        prop_assert_eq!(parsed.conditions.len(), expected.len(), "{}", text);
        for (got, want) in parsed.conditions.iter().zip(&expected) {
            let (field, lits) = match got {
                Condition::Compare(f, _, l) => (f, vec![l.clone()]),
                Condition::In(f, ls) => (f, ls.clone()),
                Condition::Between(f, a, b) => (f, vec![a.clone(), b.clone()]),
            };
            prop_assert_eq!(field, &want.0, "{}", text);
            prop_assert_eq!(&lits, &want.1, "{}", text);
        }
    }
}

/// The literal the sandbox should read back for a builder value.
fn lit(v: &Lit) -> Literal {
    match v {
        Lit::Int(n) => Literal::Number(Decimal::from(*n)),
        Lit::Dec(d) => Literal::Number(*d),
        Lit::Str(s) => Literal::Text(s.clone()),
        Lit::Bool(b) => Literal::Bool(*b),
        Lit::Date(d) => Literal::Date(*d),
    }
}

#[derive(Debug, Clone)]
enum Lit {
    Int(i64),
    Dec(Decimal),
    Str(String),
    Bool(bool),
    Date(DateTime<Utc>),
}

impl Lit {
    fn value(&self) -> autoshares::filter::Value {
        match self {
            Lit::Int(n) => (*n).into(),
            Lit::Dec(d) => (*d).into(),
            Lit::Str(s) => s.clone().into(),
            Lit::Bool(b) => (*b).into(),
            Lit::Date(d) => (*d).into(),
        }
    }
}

fn literal() -> impl Strategy<Value = Lit> {
    prop_oneof![
        any::<i64>().prop_map(Lit::Int),
        (any::<i64>(), 0u32..10).prop_map(|(m, s)| Lit::Dec(Decimal::new(m, s))),
        "[ -~]{0,16}".prop_map(Lit::Str),
        "\\PC{0,8}".prop_map(Lit::Str),
        any::<bool>().prop_map(Lit::Bool),
        (0i64..4_102_444_800).prop_map(|s| Lit::Date(Utc.timestamp_opt(s, 0).unwrap())),
    ]
}

type Expected = (String, Vec<Literal>);

fn clause() -> impl Strategy<Value = (Filter, Expected)> {
    let field = "[A-Z][A-Za-z0-9]{0,12}";
    prop_oneof![
        (field, literal(), 0usize..6).prop_map(|(f, v, op)| {
            let filter = match op {
                0 => Filter::eq(f.clone(), v.value()),
                1 => Filter::lt(f.clone(), v.value()),
                2 => Filter::le(f.clone(), v.value()),
                3 => Filter::gt(f.clone(), v.value()),
                4 => Filter::ge(f.clone(), v.value()),
                _ => Filter::eq(f.clone(), v.value()),
            };
            (filter, (f, vec![lit(&v)]))
        }),
        (field, "[ -~]{0,12}", 0usize..3).prop_map(|(f, text, op)| {
            let filter = match op {
                0 => Filter::contains(f.clone(), text.clone()),
                1 => Filter::starts_with(f.clone(), text.clone()),
                _ => Filter::ends_with(f.clone(), text.clone()),
            };
            (filter, (f, vec![Literal::Text(text)]))
        }),
        (field, prop::collection::vec(literal(), 1..4)).prop_map(|(f, vs)| {
            let filter = Filter::is_in(f.clone(), vs.iter().map(Lit::value));
            (filter, (f, vs.iter().map(lit).collect()))
        }),
        (field, literal(), literal()).prop_map(|(f, a, b)| {
            let filter = Filter::between(f.clone(), a.value(), b.value());
            (filter, (f, vec![lit(&a), lit(&b)]))
        }),
    ]
}

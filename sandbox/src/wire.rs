//! Small helpers for the wire JSON: exact decimals as JSON numbers, the date formats.

use chrono::{DateTime, SecondsFormat, TimeZone, Utc};
use rust_decimal::Decimal;
use serde_json::{json, Value};

use crate::market::{Quote, Security};

/// A decimal as a JSON number with its exact digits.
pub fn dec(d: Decimal) -> Value {
    serde_json::from_str(&d.normalize().to_string()).unwrap_or(json!(0))
}

/// An optional decimal; absent is 0 (the vendor sends 0 for unset prices).
pub fn opt_dec(d: Option<Decimal>) -> Value {
    dec(d.unwrap_or_default())
}

/// ISO-8601 UTC with milliseconds.
pub fn iso(d: DateTime<Utc>) -> Value {
    json!(d.to_rfc3339_opts(SecondsFormat::Millis, true))
}

/// Epoch milliseconds.
pub fn date_ms(d: DateTime<Utc>) -> Value {
    json!(d.timestamp_millis())
}

/// `MM/dd/yyyy HH:mm:ss` in UTC, the vendor's text date (order `...DateText`, streamed quotes and
/// watchlists).
pub fn us_datetime(d: DateTime<Utc>) -> String {
    d.format("%m/%d/%Y %H:%M:%S").to_string()
}

/// A decimal as the streamers write numbers: a string with at least five decimals (`"189.25000"`),
/// more when the value has them.
pub fn text_number(d: Decimal) -> String {
    let d = d.normalize();
    if d.scale() < 5 {
        format!("{d:.5}")
    } else {
        d.to_string()
    }
}

/// The vendor's empty date, `0001-01-01T00:00:00Z`.
pub fn empty_date() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(1, 1, 1, 0, 0, 0)
        .single()
        .unwrap_or_default()
}

/// The `QuoteModel` of a quote.
pub fn quote_json(s: &Security, q: &Quote) -> Value {
    let change_pc = if q.previous_close.is_zero() {
        Decimal::ZERO
    } else {
        (q.change() * Decimal::ONE_HUNDRED / q.previous_close).round_dp(2)
    };
    json!({
        "Ask": dec(q.ask), "Bid": dec(q.bid), "Last": dec(q.last), "Volume": q.volume, "OpenInterest": 0,
        "Symbol": s.symbol, "SecurityId": s.id, "Timestamp": iso(q.time), "QuoteTypes": 0,
        "Mark": dec(((q.bid + q.ask) / Decimal::TWO).round_dp(4)), "Price": dec(q.last), "Key": s.id,
        "Date": iso(q.time), "High": dec(q.high), "Low": dec(q.low), "Open": dec(q.open),
        "Close": dec(q.previous_close), "Change": dec(q.change()), "ChangePc": dec(change_pc),
        "Week52Low": dec(q.low), "Week52High": dec(q.high), "TotalDailyVolume": q.volume,
        "AskSize": q.ask_size, "BidSize": q.bid_size, "PreviousClose": dec(q.previous_close),
        "IsHalted": false, "BidExchange": s.exchange, "AskExchange": s.exchange, "LastExchange": s.exchange,
        "Channel": "",
    })
}

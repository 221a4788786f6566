//! The streamers' frames: parsing the string-valued JSON messages into typed events, and writing commands.
//!
//! Every value of a message is a JSON string (`"189.25"`, `"True"`, `"08/20/2015 20:00:00"`, epoch
//! milliseconds, nested arrays JSON-encoded). A frame is parsed once into borrowed `(name, value)` pairs;
//! each entity's decoder then walks the pairs once and matches on the name, so a quote costs one pass and no
//! map. Values that are not strings (a number, a boolean) are accepted too, read from their JSON text.
//! Decoding never rounds: decimals are parsed exactly, and a value that does not parse names its field.

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, NaiveDateTime, Utc};
use rust_decimal::Decimal;
use serde::de::{Deserializer as _, MapAccess, Visitor};
use serde::Serialize;
use serde_json::value::RawValue;

use crate::models::{AccountBalance, Order, Position, Quote};

/// A frame parsed into its `(name, value)` pairs: the general path, for command answers and frames the
/// entity-type scan cannot read (messages go through [`Fields`] without collecting).
#[derive(Debug, Default)]
pub struct Frame {
    fields: Vec<(String, String)>,
}

/// One value of a frame: the content of a JSON string, or the JSON text of anything else.
#[derive(Debug, Clone)]
struct Val<'a>(Cow<'a, str>);

impl Frame {
    /// Parses a text frame; fails when it is not a JSON object.
    pub fn parse(text: &str) -> Result<Frame, DecodeError> {
        let mut fields = Vec::new();
        Fields { text, flat: None }
            .each(|k, v| {
                fields.push((k.to_owned(), v.to_owned()));
                Ok(())
            })
            .map_err(|(_, message)| DecodeError::new(None, message, text))?;
        Ok(Frame { fields })
    }

    /// The value of `name`, if present (first occurrence).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// `EntityType`, when the frame is a message.
    pub fn entity_type(&self) -> Option<&str> {
        self.get("EntityType")
    }

    /// `Cmd`, when the frame answers a command.
    pub fn cmd(&self) -> Option<&str> {
        self.get("Cmd")
    }
}

impl<'a> Val<'a> {
    fn from_raw(raw: &'a RawValue) -> Result<Val<'a>, serde_json::Error> {
        let text = raw.get();
        match text.strip_prefix('"').and_then(|t| t.strip_suffix('"')) {
            Some(inner) if !inner.contains('\\') => Ok(Val(Cow::Borrowed(inner))),
            Some(_) => Ok(Val(Cow::Owned(serde_json::from_str::<String>(text)?))),
            None if text == "null" => Ok(Val(Cow::Borrowed(""))),
            None => Ok(Val(Cow::Borrowed(text))),
        }
    }
}

/// A message or frame the SDK could not decode: which field, why, and the start of the frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError {
    /// The field that failed, when one did.
    pub field: Option<String>,
    /// What is wrong.
    pub message: String,
    /// The start of the frame (at most 200 characters).
    pub snippet: String,
}

impl DecodeError {
    fn new(field: Option<&str>, message: String, frame: &str) -> DecodeError {
        DecodeError {
            field: field.map(str::to_owned),
            message,
            snippet: frame.chars().take(200).collect(),
        }
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.field {
            Some(field) => write!(f, "field `{field}`: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

/// A field that did not parse: (field, message). Turned into a [`DecodeError`] with the frame's snippet.
type FieldResult<T> = Result<T, (String, String)>;

fn bad(field: &str, what: &str, value: &str) -> (String, String) {
    (field.to_owned(), format!("`{value}` is not {what}"))
}

/// Values that mean "none": empty, `null`, `"null"`.
fn is_none(v: &str) -> bool {
    v.is_empty() || v == "null"
}

fn decimal(field: &str, v: &str) -> FieldResult<Option<Decimal>> {
    if is_none(v) {
        return Ok(None);
    }
    if let Some(d) = fast_decimal(v) {
        return Ok(Some(d));
    }
    let parsed = if v.contains(['e', 'E']) {
        Decimal::from_scientific(v)
    } else {
        Decimal::from_str_exact(v)
    };
    parsed
        .map(Some)
        .map_err(|_| bad(field, "a decimal number", v))
}

/// Plain `-123.4500` with at most 18 digits, straight into mantissa and scale (exact, like
/// `Decimal::from_str_exact`, which handles everything else).
fn fast_decimal(v: &str) -> Option<Decimal> {
    let (negative, digits) = match v.as_bytes() {
        [b'-', rest @ ..] => (true, rest),
        b => (false, b),
    };
    if digits.is_empty() || digits.len() > 19 {
        return None;
    }
    let mut mantissa: i64 = 0;
    let mut scale: u32 = 0;
    let mut seen_point = false;
    let mut count = 0;
    for &c in digits {
        match c {
            b'0'..=b'9' => {
                mantissa = mantissa * 10 + i64::from(c - b'0');
                count += 1;
                if seen_point {
                    scale += 1;
                }
            }
            b'.' if !seen_point => seen_point = true,
            _ => return None,
        }
    }
    if count == 0 || count > 18 || (seen_point && scale == 0) {
        return None;
    }
    Some(Decimal::new(
        if negative { -mantissa } else { mantissa },
        scale,
    ))
}

fn int(field: &str, v: &str) -> FieldResult<Option<i32>> {
    if is_none(v) {
        return Ok(None);
    }
    v.parse::<i32>()
        .map_err(|_| bad(field, "an integer", v))
        .map(|n| (n != -1).then_some(n))
}

fn long(field: &str, v: &str) -> FieldResult<Option<i64>> {
    if is_none(v) {
        return Ok(None);
    }
    v.parse::<i64>()
        .map(Some)
        .map_err(|_| bad(field, "an integer", v))
}

fn boolean(field: &str, v: &str) -> FieldResult<Option<bool>> {
    match v {
        "" | "null" => Ok(None),
        "True" | "true" => Ok(Some(true)),
        "False" | "false" => Ok(Some(false)),
        _ => Err(bad(field, "True or False", v)),
    }
}

fn text(v: &str) -> Option<String> {
    (!is_none(v)).then(|| v.to_owned())
}

fn enumerated<T: FromStr>(v: &str) -> Option<T> {
    if is_none(v) {
        None
    } else {
        v.parse().ok()
    }
}

/// `MM/dd/yyyy HH:mm:ss` in UTC (quotes, watchlists); `01/01/1970 00:00:00` and `01/01/0001 ...` are unset.
/// ISO-8601 is accepted as well.
fn us_time(field: &str, v: &str) -> FieldResult<Option<DateTime<Utc>>> {
    if is_none(v) || v.starts_with("01/01/1970 00:00:00") || v.starts_with("01/01/0001") {
        return Ok(None);
    }
    if let Some(t) = fixed_us_time(v) {
        return Ok(Some(t));
    }
    if let Ok(n) = NaiveDateTime::parse_from_str(v, "%m/%d/%Y %H:%M:%S") {
        return Ok(Some(n.and_utc()));
    }
    crate::models::common::iso_datetime::parse(v)
        .map_err(|_| bad(field, "a MM/dd/yyyy HH:mm:ss time", v))
}

/// The common exact shape `MM/dd/yyyy HH:mm:ss`, without chrono's format interpreter (quotes carry three).
fn fixed_us_time(v: &str) -> Option<DateTime<Utc>> {
    let b = v.as_bytes();
    if b.len() != 19
        || b[2] != b'/'
        || b[5] != b'/'
        || b[10] != b' '
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        b[r].iter().try_fold(0u32, |acc, c| {
            c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0'))
        })
    };
    let date = chrono::NaiveDate::from_ymd_opt(num(6..10)? as i32, num(0..2)?, num(3..5)?)?;
    let time = chrono::NaiveTime::from_hms_opt(num(11..13)?, num(14..16)?, num(17..19)?)?;
    Some(date.and_time(time).and_utc())
}

/// Epoch milliseconds (orders, positions); `-1` and `-62135596800000` (0001-01-01) are unset.
fn millis(field: &str, v: &str) -> FieldResult<Option<DateTime<Utc>>> {
    match long(field, v)? {
        Some(ms) if ms != -1 && ms > -62_135_596_800_000 => Ok(DateTime::from_timestamp_millis(ms)),
        _ => Ok(None),
    }
}

/// A Level I quote from the quote streamer.
///
/// `quote` holds every field the REST quote model has (so one type serves REST and streaming); the fields only
/// the streamer sends are beside it.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct QuoteUpdate {
    /// The quote (`Key` and `SecurityId` are the security id; `Symbol` is filled from the subscription).
    pub quote: Quote,
    /// Size of the last trade (`LastSize`).
    pub last_size: Option<Decimal>,
    /// Time of the bid (`BidTime`).
    pub bid_time: Option<DateTime<Utc>>,
    /// Time of the ask (`AskTime`).
    pub ask_time: Option<DateTime<Utc>>,
    /// Market of the bid (`BidMarket`).
    pub bid_market: Option<String>,
    /// Market of the ask (`AskMarket`).
    pub ask_market: Option<String>,
    /// Market of the last trade (`LastMarket`).
    pub last_market: Option<String>,
    /// Day's high (`DayHigh`).
    pub day_high: Option<Decimal>,
    /// Day's low (`DayLow`).
    pub day_low: Option<Decimal>,
    /// Trade condition code (`TradeCondition`).
    pub trade_condition: Option<String>,
}

impl QuoteUpdate {
    /// The security id the quote is for.
    pub fn security_id(&self) -> Option<i32> {
        self.quote.key.or(self.quote.security_id)
    }
}

/// Decodes a `Quote` message.
fn decode_quote(fields: Fields<'_>) -> FieldResult<QuoteUpdate> {
    let mut u = QuoteUpdate::default();
    let q = &mut u.quote;
    fields.each(|k, v| {
        match k {
            "Ask" => q.ask = decimal(k, v)?,
            "Bid" => q.bid = decimal(k, v)?,
            "Last" => q.last = decimal(k, v)?,
            "Price" => q.price = decimal(k, v)?,
            "Volume" => q.volume = decimal(k, v)?,
            "OpenInterest" => q.open_interest = decimal(k, v)?,
            "Key" => q.key = int(k, v)?,
            "SecurityId" => q.security_id = int(k, v)?,
            "Symbol" => q.symbol = text(v),
            "QuoteTypes" => q.quote_types = int(k, v)?,
            "Mark" => q.mark = decimal(k, v)?,
            "Date" => q.date = us_time(k, v)?,
            "Timestamp" => q.timestamp = us_time(k, v)?,
            "High" => q.high = decimal(k, v)?,
            "Low" => q.low = decimal(k, v)?,
            "Open" => q.open = decimal(k, v)?,
            "Close" => q.close = decimal(k, v)?,
            "Change" => q.change = decimal(k, v)?,
            "ChangePc" => q.change_pc = decimal(k, v)?,
            "Week52Low" => q.week52_low = decimal(k, v)?,
            "Week52High" => q.week52_high = decimal(k, v)?,
            "TotalDailyVolume" => q.total_daily_volume = decimal(k, v)?,
            "AskSize" => q.ask_size = decimal(k, v)?,
            "BidSize" => q.bid_size = decimal(k, v)?,
            "PreviousClose" => q.previous_close = decimal(k, v)?,
            "IsHalted" => q.is_halted = boolean(k, v)?,
            "BidExchange" => q.bid_exchange = text(v),
            "AskExchange" => q.ask_exchange = text(v),
            "LastExchange" => q.last_exchange = text(v),
            "Channel" => q.channel = text(v),
            "LastSize" => u.last_size = decimal(k, v)?,
            "BidTime" => u.bid_time = us_time(k, v)?,
            "AskTime" => u.ask_time = us_time(k, v)?,
            "BidMarket" => u.bid_market = text(v),
            "AskMarket" => u.ask_market = text(v),
            "LastMarket" => u.last_market = text(v),
            "DayHigh" => u.day_high = decimal(k, v)?,
            "DayLow" => u.day_low = decimal(k, v)?,
            "TradeCondition" => u.trade_condition = text(v),
            _ => {}
        }
        Ok(())
    })?;
    if u.security_id().is_none() {
        return Err(("Key".into(), "a quote without a security id".into()));
    }
    Ok(u)
}

/// Fields of an `Order` message that the REST order model has no place for.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct OrderExtras {
    /// Security name (`Name`).
    pub name: Option<String>,
    /// Why the order was rejected (`RejectReason`).
    pub reject_reason: Option<String>,
    /// Underlying symbol of an option order (`UnderlyingSymbol`).
    pub underlying_symbol: Option<String>,
    /// The order's type when it was placed (`InitialType`).
    pub initial_type: Option<String>,
}

/// Decodes an `Order` message into the REST order model (plus the stream-only fields).
fn decode_order(fields: Fields<'_>) -> FieldResult<(Order, OrderExtras)> {
    let mut o = Order::default();
    let mut x = OrderExtras::default();
    fields.each(|k, v| {
        match k {
            "Id" => o.id = int(k, v)?,
            "SecurityId" => o.security_id = int(k, v)?,
            "AccountId" => o.account_id = int(k, v)?,
            "UserId" => o.user_id = int(k, v)?,
            "ParentId" => o.parent_id = int(k, v)?,
            "Quantity" => o.quantity = decimal(k, v)?,
            "Price" => o.price = decimal(k, v)?,
            "StopPrice" => o.stop_price = decimal(k, v)?,
            "ExecutedQuantity" => o.executed_quantity = decimal(k, v)?,
            "LastPrice" => o.last_price = decimal(k, v)?,
            "LastQuantity" => o.last_quantity = decimal(k, v)?,
            "LeavesQuantity" => o.leaves_quantity = decimal(k, v)?,
            "AveragePrice" => o.average_price = decimal(k, v)?,
            "TrailingStopAmount" => o.trailing_stop_amount = decimal(k, v)?,
            "TrailingLimitAmount" => o.trailing_limit_amount = decimal(k, v)?,
            "Side" => o.side = enumerated(v),
            "Status" => o.status = enumerated(v),
            "ExecutionStatus" => o.execution_status = enumerated(v),
            "Type" => o.r#type = enumerated(v),
            "TimeInForce" | "TimeInforce" => o.time_in_force = enumerated(v),
            "SecurityType" => o.security_type = enumerated(v),
            "TrailingStopAmountType" => o.trailing_stop_amount_type = enumerated(v),
            "TrailingLimitAmountType" => o.trailing_limit_amount_type = enumerated(v),
            "ExecInst" => o.exec_inst_num = long(k, v).unwrap_or(None),
            "CreateDate" => o.create_date = millis(k, v)?,
            "Date" => o.date = millis(k, v)?,
            "TransactionDate" => o.transaction_date = millis(k, v)?,
            "ExpireDate" => o.expire_date = millis(k, v)?,
            "Symbol" => o.symbol = text(v),
            "Exchange" => o.exchange = text(v),
            "Currency" => o.currency = text(v),
            "Description" => o.description = text(v),
            "Comment" => o.comment = text(v),
            "ClientId" => o.client_id = text(v),
            "Name" => x.name = text(v),
            "RejectReason" => x.reject_reason = text(v),
            "UnderlyingSymbol" => x.underlying_symbol = text(v),
            "InitialType" => x.initial_type = text(v),
            _ => {}
        }
        Ok(())
    })?;
    if o.id.is_none() || o.account_id.is_none() {
        return Err((
            "Id".into(),
            "an order message without Id or AccountId".into(),
        ));
    }
    Ok((o, x))
}

/// Decodes a `Position` message into the REST position model.
fn decode_position(fields: Fields<'_>) -> FieldResult<Position> {
    let mut p = Position::default();
    fields.each(|k, v| {
        match k {
            "Id" => p.id = int(k, v)?,
            "AccountId" => p.account_id = int(k, v)?,
            "SecurityId" => p.security_id = int(k, v)?,
            "Symbol" => p.symbol = text(v),
            "Name" => p.name = text(v),
            "CompanyName" => p.company_name = text(v),
            "Currency" => p.security_currency = text(v),
            "SecurityType" => p.security_type = text(v),
            "CostBasis" => p.cost_basis = decimal(k, v)?,
            "DailyCostBasis" => p.daily_cost_basis = decimal(k, v)?,
            "CreateDate" => p.create_date = millis(k, v)?,
            "ModifyDate" => p.modify_date = millis(k, v)?,
            "Quantity" => p.quantity = decimal(k, v)?,
            "RealizedProfitLoss" => p.realized_profit_loss = decimal(k, v)?,
            "AverageOpenPrice" => p.average_open_price = decimal(k, v)?,
            "AverageClosePrice" => p.average_close_price = decimal(k, v)?,
            _ => {}
        }
        Ok(())
    })?;
    if p.account_id.is_none() || p.security_id.is_none() {
        return Err((
            "AccountId".into(),
            "a position message without AccountId or SecurityId".into(),
        ));
    }
    Ok(p)
}

/// An `AccountBalance` or `UserBalance` message.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct BalanceUpdate {
    /// The account (`AccountId`; for `UserBalance`, the key subscribed to).
    pub account_id: Option<i32>,
    /// `CashBalance`.
    pub cash_balance: Option<Decimal>,
    /// `PendingCash`.
    pub pending_cash: Option<Decimal>,
    /// `PendingOrdersCount`.
    pub pending_orders_count: Option<i32>,
    /// The balance map of `Items`, with the same keys as `GET /accounts/{id}/info`.
    pub balance: AccountBalance,
}

/// Decodes a balance message, including the JSON array embedded in `Items`.
fn decode_balance(fields: Fields<'_>) -> FieldResult<BalanceUpdate> {
    let mut b = BalanceUpdate::default();
    fields.each(|k, v| {
        match k {
            "AccountId" => b.account_id = int(k, v)?,
            "CashBalance" => b.cash_balance = decimal(k, v)?,
            "PendingCash" => b.pending_cash = decimal(k, v)?,
            "PendingOrdersCount" => b.pending_orders_count = int(k, v)?,
            "Items" if !is_none(v) => {
                #[derive(serde::Deserialize)]
                struct Item {
                    #[serde(rename = "Name")]
                    name: String,
                    #[serde(rename = "Value")]
                    value: Option<Decimal>,
                }
                let items: Vec<Item> = serde_json::from_str(v)
                    .map_err(|e| (k.to_owned(), format!("not a JSON array of Name/Value: {e}")))?;
                for item in items {
                    if let Some(value) = item.value {
                        b.balance.values.insert(item.name, value);
                    }
                }
            }
            _ => {}
        }
        Ok(())
    })?;
    Ok(b)
}

/// A `Watchlist` message: a list of the user was created, changed or deleted.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct WatchlistUpdate {
    /// The user (`Key`, `UserId`).
    pub user_id: Option<i32>,
    /// The watchlist (`id`).
    pub watchlist_id: Option<i32>,
    /// `Name`.
    pub name: Option<String>,
    /// `Description`.
    pub description: Option<String>,
    /// `Type` (e.g. `UserList`).
    pub kind: Option<String>,
    /// `IsDeleted`.
    pub is_deleted: bool,
    /// `CreateDate`.
    pub create_date: Option<DateTime<Utc>>,
    /// `ModifyDate`.
    pub modify_date: Option<DateTime<Utc>>,
}

/// Decodes a `Watchlist` message.
fn decode_watchlist(fields: Fields<'_>) -> FieldResult<WatchlistUpdate> {
    let mut w = WatchlistUpdate::default();
    fields.each(|k, v| {
        match k {
            "id" | "Id" => w.watchlist_id = int(k, v)?,
            "Key" | "UserId" => w.user_id = int(k, v)?.or(w.user_id),
            "Name" => w.name = text(v),
            "Description" => w.description = text(v),
            "Type" => w.kind = text(v),
            "IsDeleted" => w.is_deleted = boolean(k, v)?.unwrap_or(false),
            "CreateDate" => w.create_date = us_time(k, v)?,
            "ModifyDate" => w.modify_date = us_time(k, v)?,
            _ => {}
        }
        Ok(())
    })?;
    Ok(w)
}

/// A `WatchlistContent` message: symbols added to or removed from a watchlist.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct WatchlistContentUpdate {
    /// The watchlist (`Key`).
    pub watchlist_id: Option<i32>,
    /// Security ids added (`AddedSymbols`).
    pub added: Vec<i32>,
    /// Security ids removed (`RemovedSymbols`).
    pub removed: Vec<i32>,
}

fn id_list(field: &str, v: &str) -> FieldResult<Vec<i32>> {
    if is_none(v) {
        return Ok(Vec::new());
    }
    let inner = v.trim().trim_start_matches('[').trim_end_matches(']');
    inner
        .split([';', ','])
        .map(|s| s.trim().trim_matches('"'))
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse()
                .map_err(|_| bad(field, "a list of security ids", v))
        })
        .collect()
}

/// Decodes a `WatchlistContent` message.
fn decode_watchlist_content(fields: Fields<'_>) -> FieldResult<WatchlistContentUpdate> {
    let mut w = WatchlistContentUpdate::default();
    fields.each(|k, v| {
        match k {
            "Key" => w.watchlist_id = int(k, v)?,
            "AddedSymbols" => w.added = id_list(k, v)?,
            "RemovedSymbols" => w.removed = id_list(k, v)?,
            _ => {}
        }
        Ok(())
    })?;
    Ok(w)
}

/// One price level of a market-depth book.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct DepthLevel {
    /// Price.
    pub price: Decimal,
    /// Size at that price; `0` in an update removes the level.
    pub size: Decimal,
}

/// A `MarketDepth` message (our documented extension; see `docs/STREAMING.md`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DepthMessage {
    /// The security id (`Key`).
    pub security_id: i32,
    /// Per-key sequence number, 1 for the snapshot after a subscription.
    pub sequence: u64,
    /// Whether this is a full book (`Snapshot` = `True`).
    pub snapshot: bool,
    /// Time of the message (`Date`).
    pub date: Option<DateTime<Utc>>,
    /// Bid levels (changed levels for an update).
    pub bids: Vec<DepthLevel>,
    /// Ask levels (changed levels for an update).
    pub asks: Vec<DepthLevel>,
}

fn levels(field: &str, v: &str) -> FieldResult<Vec<DepthLevel>> {
    if is_none(v) {
        return Ok(Vec::new());
    }
    #[derive(serde::Deserialize)]
    struct Level<'a> {
        #[serde(rename = "Price", borrow)]
        price: Cow<'a, str>,
        #[serde(rename = "Size", borrow)]
        size: Cow<'a, str>,
    }
    let raw: Vec<Level<'_>> = serde_json::from_str(v)
        .map_err(|e| (field.to_owned(), format!("not a JSON array of levels: {e}")))?;
    raw.into_iter()
        .map(|l| {
            Ok(DepthLevel {
                price: decimal(field, &l.price)?.ok_or_else(|| bad(field, "a price", ""))?,
                size: decimal(field, &l.size)?.unwrap_or_default(),
            })
        })
        .collect()
}

/// Decodes a `MarketDepth` message.
fn decode_depth(fields: Fields<'_>) -> FieldResult<DepthMessage> {
    let mut d = DepthMessage::default();
    let mut key = None;
    let mut seq = None;
    fields.each(|k, v| {
        match k {
            "Key" => key = int(k, v)?,
            "Sequence" => seq = long(k, v)?,
            "Snapshot" => d.snapshot = boolean(k, v)?.unwrap_or(false),
            "Date" => d.date = us_time(k, v)?,
            "Bids" => d.bids = levels(k, v)?,
            "Asks" => d.asks = levels(k, v)?,
            _ => {}
        }
        Ok(())
    })?;
    d.security_id = key.ok_or_else(|| ("Key".to_owned(), "missing".to_owned()))?;
    d.sequence = seq
        .and_then(|s| u64::try_from(s).ok())
        .ok_or_else(|| ("Sequence".to_owned(), "missing or negative".to_owned()))?;
    Ok(d)
}

/// A decoded message of either streamer.
#[derive(Debug, Clone, PartialEq)]
pub enum Message {
    /// `Quote`.
    Quote(Box<QuoteUpdate>),
    /// `MarketDepth`.
    Depth(DepthMessage),
    /// `Order`.
    Order(Box<(Order, OrderExtras)>),
    /// `Position`.
    Position(Box<Position>),
    /// `AccountBalance`.
    AccountBalance(Box<BalanceUpdate>),
    /// `UserBalance`.
    UserBalance(Box<BalanceUpdate>),
    /// `Watchlist`.
    Watchlist(Box<WatchlistUpdate>),
    /// `WatchlistContent`.
    WatchlistContent(WatchlistContentUpdate),
    /// The answer to a command: `CreateSession.txt`, `Subscribe.txt`, `Unsubscribe.txt`, ...
    Reply(Reply),
    /// A message of an entity type this SDK version does not know (kept by name).
    Unknown(String),
}

/// The server's answer to a command.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Reply {
    /// The command (`Cmd`).
    pub cmd: String,
    /// Whether `StatusCode` is `Ok`.
    pub ok: bool,
    /// `SessionId` (for `CreateSession.txt`).
    pub session_id: Option<String>,
    /// `EntityType` (for subscriptions).
    pub entity_type: Option<String>,
    /// `Keys` (for subscriptions).
    pub keys: Option<String>,
    /// `Message`, when the server explains itself.
    pub message: Option<String>,
}

/// Decodes one text frame of either streamer.
pub fn decode(text: &str) -> Result<Message, DecodeError> {
    let wrap = |r: (String, String)| {
        let field = (!r.0.is_empty()).then_some(r.0.as_str());
        DecodeError::new(field, r.1, text)
    };
    // The vendor's frames are flat objects of plain strings: read them in one pass when they are.
    let mut buf = [("", ""); MAX_FLAT];
    let flat = flat_pairs(text, &mut buf).map(|n| &buf[..n]);
    let (cmd, entity) = match flat {
        Some(pairs) => {
            let first = |name: &str| pairs.iter().find(|(k, _)| *k == name).map(|(_, v)| *v);
            (first("Cmd"), first("EntityType"))
        }
        None => (scan_key(text, "Cmd"), scan_key(text, "EntityType")),
    };
    let entity: Cow<'_, str> = match (cmd, entity) {
        (None, Some(entity)) => Cow::Borrowed(entity),
        _ => {
            // Answers to commands, and anything the fast scan cannot read: the general path.
            let frame = Frame::parse(text)?;
            if let Some(cmd) = frame.cmd() {
                return Ok(Message::Reply(reply(&frame, cmd)));
            }
            match frame.entity_type() {
                Some(e) => Cow::Owned(e.to_owned()),
                None => {
                    return Err(DecodeError::new(
                        None,
                        "a frame with neither EntityType nor Cmd".into(),
                        text,
                    ))
                }
            }
        }
    };
    let fields = Fields { text, flat };
    Ok(match entity.as_ref() {
        "Quote" => Message::Quote(Box::new(decode_quote(fields).map_err(wrap)?)),
        "MarketDepth" => Message::Depth(decode_depth(fields).map_err(wrap)?),
        "Order" => Message::Order(Box::new(decode_order(fields).map_err(wrap)?)),
        "Position" => Message::Position(Box::new(decode_position(fields).map_err(wrap)?)),
        "AccountBalance" => {
            Message::AccountBalance(Box::new(decode_balance(fields).map_err(wrap)?))
        }
        "UserBalance" => Message::UserBalance(Box::new(decode_balance(fields).map_err(wrap)?)),
        "Watchlist" => Message::Watchlist(Box::new(decode_watchlist(fields).map_err(wrap)?)),
        "WatchlistContent" => {
            Message::WatchlistContent(decode_watchlist_content(fields).map_err(wrap)?)
        }
        other => Message::Unknown(other.to_owned()),
    })
}

fn reply(frame: &Frame, cmd: &str) -> Reply {
    Reply {
        cmd: cmd.to_owned(),
        ok: frame
            .get("StatusCode")
            .is_some_and(|s| s.eq_ignore_ascii_case("ok")),
        session_id: frame.get("SessionId").and_then(text),
        entity_type: frame.get("EntityType").and_then(text),
        keys: frame.get("Keys").and_then(text),
        message: frame.get("Message").and_then(text),
    }
}

/// The plain string value of a top-level `"key":"value"` pair, found without parsing (a key in quotes
/// followed by a colon cannot occur inside a string value, where quotes are escaped). `None` when absent or
/// not a plain string.
fn scan_key<'a>(text: &'a str, key: &str) -> Option<&'a str> {
    let needle = format!("\"{key}\"");
    let at = text.find(&needle)? + needle.len();
    let rest = text[at..].trim_start().strip_prefix(':')?.trim_start();
    let rest = rest.strip_prefix('"')?;
    let end = rest.find('"')?;
    let value = &rest[..end];
    (!value.contains('\\')).then_some(value)
}

/// Most fields a frame may have to be read by [`flat_pairs`] (a quote has 43).
const MAX_FLAT: usize = 96;

/// The `(name, value)` pairs of a flat JSON object whose names and values are all strings without escapes (the
/// vendor's frames: every value is a string), in order, into `out`; their number. `None` for anything else (a
/// number, `null`, a nested value, an escape, a control character, a syntax error, more than [`MAX_FLAT`]
/// fields): the caller then takes serde_json's general path, which also reports the errors. About twice as fast
/// as that path.
fn flat_pairs<'a>(text: &'a str, out: &mut [(&'a str, &'a str); MAX_FLAT]) -> Option<usize> {
    let b = text.as_bytes();
    // No control characters anywhere (whitespace other than spaces included): one branch-free pass the compiler
    // vectorizes, after which a string ends at the first quote or backslash (found with SIMD).
    if b.iter().fold(false, |any, &c| any | (c < 0x20)) {
        return None;
    }
    let ws = |i: &mut usize| {
        while b.get(*i) == Some(&b' ') {
            *i += 1;
        }
    };
    // A string at `i`: its content (no escapes, no control characters), `i` moved past its closing quote.
    let string = |i: &mut usize| -> Option<&'a str> {
        if b.get(*i) != Some(&b'"') {
            return None;
        }
        let start = *i + 1;
        let end = start + memchr::memchr2(b'"', b'\\', b.get(start..)?)?;
        if b[end] != b'"' {
            return None;
        }
        *i = end + 1;
        // Both ends are at ASCII quotes, so on character boundaries.
        text.get(start..end)
    };
    let mut i = 0;
    ws(&mut i);
    if b.get(i) != Some(&b'{') {
        return None;
    }
    i += 1;
    ws(&mut i);
    let mut n = 0;
    if b.get(i) == Some(&b'}') {
        i += 1;
    } else {
        loop {
            let name = string(&mut i)?;
            ws(&mut i);
            if b.get(i) != Some(&b':') {
                return None;
            }
            i += 1;
            ws(&mut i);
            let value = string(&mut i)?;
            *out.get_mut(n)? = (name, value);
            n += 1;
            ws(&mut i);
            match b.get(i)? {
                b',' => {
                    i += 1;
                    ws(&mut i);
                }
                b'}' => {
                    i += 1;
                    break;
                }
                _ => return None,
            }
        }
    }
    ws(&mut i);
    (i == b.len()).then_some(n)
}

/// A frame's text, read field by field without collecting the fields (or its pairs, when [`flat_pairs`] read
/// them already).
#[derive(Clone, Copy)]
struct Fields<'a> {
    text: &'a str,
    flat: Option<&'a [(&'a str, &'a str)]>,
}

impl<'a> Fields<'a> {
    /// Calls `f` with every `(name, value)` pair in order; stops at the first error (a field error from `f`,
    /// or a syntax error with an empty field name).
    fn each(self, mut f: impl FnMut(&str, &str) -> FieldResult<()>) -> FieldResult<()> {
        let mut buf = [("", ""); MAX_FLAT];
        let flat = match self.flat {
            Some(pairs) => Some(pairs),
            None => flat_pairs(self.text, &mut buf).map(|n| &buf[..n]),
        };
        if let Some(pairs) = flat {
            return pairs.iter().try_for_each(|(k, v)| f(k, v));
        }
        self.each_general(f)
    }

    /// [`Fields::each`] through serde_json: any JSON, and the errors.
    fn each_general(self, mut f: impl FnMut(&str, &str) -> FieldResult<()>) -> FieldResult<()> {
        let mut visitor = EachVisitor {
            f: &mut f,
            failed: None,
        };
        let mut de = serde_json::Deserializer::from_str(self.text);
        let parsed = de.deserialize_map(&mut visitor).and_then(|()| de.end());
        match (visitor.failed, parsed) {
            (Some(e), _) => Err(e),
            (None, Err(e)) => Err((String::new(), format!("not a JSON object: {e}"))),
            (None, Ok(())) => Ok(()),
        }
    }
}

struct EachVisitor<'f, F> {
    f: &'f mut F,
    failed: Option<(String, String)>,
}

impl<'de, F: FnMut(&str, &str) -> FieldResult<()>> Visitor<'de> for &mut EachVisitor<'_, F> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<Cow<'de, str>>()? {
            let raw: &'de RawValue = map.next_value()?;
            let value = Val::from_raw(raw).map_err(serde::de::Error::custom)?;
            if let Err(e) = (self.f)(&key, &value.0) {
                self.failed = Some(e);
                return Err(serde::de::Error::custom("field failed"));
            }
        }
        Ok(())
    }
}

/// A `Subscribe.txt` or `Unsubscribe.txt` command.
#[derive(Debug, Serialize)]
pub struct Command<'a> {
    /// `Subscribe.txt` or `Unsubscribe.txt`.
    #[serde(rename = "Cmd")]
    pub cmd: &'a str,
    /// The session id of `CreateSession.txt`.
    #[serde(rename = "SessionId")]
    pub session_id: &'a str,
    /// `;`-joined keys.
    #[serde(rename = "Keys")]
    pub keys: String,
    /// The entity type.
    #[serde(rename = "EntityType")]
    pub entity_type: &'a str,
    /// Always `WebSocket`.
    #[serde(rename = "HttpClientType")]
    pub http_client_type: &'a str,
}

impl<'a> Command<'a> {
    /// A command for `keys` of `entity_type`.
    pub fn new(
        subscribe: bool,
        session_id: &'a str,
        entity_type: &'a str,
        keys: &[String],
    ) -> Self {
        Command {
            cmd: if subscribe {
                "Subscribe.txt"
            } else {
                "Unsubscribe.txt"
            },
            session_id,
            keys: keys.join(";"),
            entity_type,
            http_client_type: "WebSocket",
        }
    }

    /// The JSON text of the command.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_flat_reader_agrees_with_serde_or_leaves_the_frame_to_it() {
        let cases = [
            crate_quote_frame(),
            r#"{}"#.to_string(),
            r#"  { "A" : "1" , "B":"" }  "#.to_string(),
            r#"{"A":"1","A":"2"}"#.to_string(),
            r#"{"A":"x\"y"}"#.to_string(),
            r#"{"A":1,"B":"2"}"#.to_string(),
            r#"{"A":null}"#.to_string(),
            r#"{"A":"1",}"#.to_string(),
            r#"{"A":"1"} x"#.to_string(),
            "{\"A\":\"a\tb\"}".to_string(),
            "{\"A\":\n\"1\"}".to_string(),
            r#"{"A":"1""#.to_string(),
            r#"{"A" "1"}"#.to_string(),
            r#"{"A":["1"]}"#.to_string(),
            r#"["A"]"#.to_string(),
            r#"{"Ünï":"cödé €"}"#.to_string(),
        ];
        for text in &cases {
            let mut buf = [("", ""); super::MAX_FLAT];
            let general = {
                let mut pairs = Vec::new();
                super::Fields { text, flat: None }
                    .each_general(|k, v| {
                        pairs.push((k.to_string(), v.to_string()));
                        Ok(())
                    })
                    .map(|()| pairs)
            };
            // `None`: left to serde, fine whatever serde makes of it.
            if let Some(n) = super::flat_pairs(text, &mut buf) {
                let flat: Vec<(String, String)> = buf[..n]
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect();
                assert_eq!(Ok(flat), general, "{text}");
            }
        }
        let quote = crate_quote_frame();
        let mut buf = [("", ""); super::MAX_FLAT];
        assert!(super::flat_pairs(&quote, &mut buf).is_some_and(|n| n > 30));
        let mut buf = [("", ""); super::MAX_FLAT];
        assert!(super::flat_pairs(r#"{"A":"x\"y"}"#, &mut buf).is_none());
        assert!(super::flat_pairs(r#"{"A":"1",}"#, &mut buf).is_none());
    }

    fn crate_quote_frame() -> String {
        r#"{"EntityType":"Quote","Key":"4","Symbol":"AAPL","Bid":"189.25000","Ask":"189.26000","Date":"12/04/2026 15:30:01","BidSize":"200","AskSize":"300","Last":"189.25000","Price":"189.25000","LastSize":"100","Open":"188.00000","High":"190.10000","Low":"187.30000","Close":"0","PreviousClose":"188.00000","Volume":"12345678","Change":"1.25000","ChangePc":"0.66000","BidTime":"12/04/2026 15:30:00","AskTime":"12/04/2026 15:30:01","BidMarket":"Q","AskMarket":"Q","LastMarket":"Q","DayHigh":"190.10000","DayLow":"187.30000","TradeCondition":"@","QuoteTypes":"0","Week52Low":"150.12000","Week52High":"199.62000","MarketCap":"2900000000000","Eps":"6.42000","Beta":"1.21000"}"#.to_string()
    }

    use super::*;

    const QUOTE: &str = r#"{"EntityType":"Quote","QuoteTypes":"0","Ask":"189.26000","AskMarket":"Q","AskTime":"12/04/2026 15:30:01","Bid":"189.25000","BidTime":"12/04/2026 15:30:00","Last":"189.25","Price":"189.25","Key":"4","Date":"12/04/2026 15:30:01","High":"190.1","Low":"187.3","Open":"188","Close":"0","Volume":"123456","Change":"1.25","ChangePc":"0.66","AskSize":"300","BidSize":"200","PreviousClose":"188.00","LastSize":"100","DontAffectCandle":"False"}"#;

    #[test]
    fn quote_values_are_exact() {
        let Message::Quote(q) = decode(QUOTE).unwrap() else {
            panic!("not a quote")
        };
        assert_eq!(q.security_id(), Some(4));
        assert_eq!(q.quote.bid.unwrap().to_string(), "189.25000");
        assert_eq!(q.quote.ask_size.unwrap().to_string(), "300");
        assert_eq!(
            q.quote.date.unwrap().to_rfc3339(),
            "2026-12-04T15:30:01+00:00"
        );
        assert_eq!(q.last_size.unwrap().to_string(), "100");
    }

    #[test]
    fn the_fast_decimal_path_agrees_with_the_exact_parser() {
        for v in [
            "0",
            "189.25000",
            "-3.5",
            "12345678901234.5678",
            ".5",
            "5.",
            "1e3",
            "-",
            "1.2.3",
            "00.10",
        ] {
            let fast = fast_decimal(v);
            let exact = Decimal::from_str_exact(v).ok();
            if let Some(f) = fast {
                assert_eq!(Some(f), exact, "{v}");
                assert_eq!(f.to_string(), exact.unwrap().to_string(), "{v}");
            }
        }
        assert_eq!(decimal("f", "1e3").unwrap().unwrap().to_string(), "1000");
        assert!(decimal("f", "5.").is_ok());
    }

    #[test]
    fn a_bad_value_names_its_field() {
        let bad = QUOTE.replace(r#""Bid":"189.25000""#, r#""Bid":"abc""#);
        let err = decode(&bad).unwrap_err();
        assert_eq!(err.field.as_deref(), Some("Bid"));
        assert!(err.message.contains("abc"), "{err}");
        let truncated = &QUOTE[..40];
        assert!(decode(truncated).unwrap_err().field.is_none());
    }

    #[test]
    fn numbers_and_escapes_are_accepted() {
        let m = decode(r#"{"EntityType":"Quote","Key":4,"Bid":1.5,"Symbol":"A\u0041PL"}"#).unwrap();
        let Message::Quote(q) = m else { panic!() };
        assert_eq!(q.quote.bid.unwrap().to_string(), "1.5");
        assert_eq!(q.quote.symbol.as_deref(), Some("AAPL"));
    }

    #[test]
    fn order_sentinels_become_none() {
        let m = decode(r#"{"EntityType":"Order","Id":"77","AccountId":"6004","ParentId":"-1","Status":"Filled","Side":"Buy","Quantity":"10","ExecutedQuantity":"10","AveragePrice":"189.25","CreateDate":"1764862200000","ExpireDate":"-62135596800000","TimeInforce":"Day","ExecInst":"65536","RejectReason":""}"#).unwrap();
        let Message::Order(o) = m else { panic!() };
        let (o, x) = *o;
        assert_eq!(o.id, Some(77));
        assert_eq!(o.parent_id, None);
        assert_eq!(o.expire_date, None);
        assert_eq!(o.create_date.unwrap().timestamp_millis(), 1_764_862_200_000);
        assert_eq!(o.status.unwrap().as_str(), "Filled");
        assert_eq!(o.time_in_force.unwrap().as_str(), "Day");
        assert_eq!(o.exec_inst_num, Some(65536));
        assert_eq!(x.reject_reason, None);
    }

    #[test]
    fn balance_items_are_decoded() {
        let m = decode(r#"{"EntityType":"AccountBalance","AccountId":"6004","CashBalance":"98107.50","PendingOrdersCount":"0","Items":"[{\"Name\":\"cash\",\"Value\":98107.5},{\"Name\":\"stockBuyingPower\",\"Value\":98107.50}]"}"#).unwrap();
        let Message::AccountBalance(b) = m else {
            panic!()
        };
        assert_eq!(b.account_id, Some(6004));
        assert_eq!(b.balance.cash().unwrap().to_string(), "98107.5");
        assert_eq!(
            b.balance.stock_buying_power().unwrap().to_string(),
            "98107.50"
        );
    }

    #[test]
    fn depth_and_watchlists_and_replies() {
        let m = decode(r#"{"EntityType":"MarketDepth","Key":"4","Sequence":"1","Snapshot":"True","Bids":"[{\"Price\":\"189.20\",\"Size\":\"300\"}]","Asks":"[{\"Price\":\"189.30\",\"Size\":\"100\"}]"}"#).unwrap();
        let Message::Depth(d) = m else { panic!() };
        assert!(d.snapshot && d.sequence == 1 && d.bids[0].price.to_string() == "189.20");
        let m = decode(
            r#"{"EntityType":"WatchlistContent","Key":"12","AddedSymbols":"4;5","RemovedSymbols":"null"}"#,
        )
        .unwrap();
        let Message::WatchlistContent(w) = m else {
            panic!()
        };
        assert_eq!((w.added, w.removed), (vec![4, 5], vec![]));
        let m =
            decode(r#"{"Cmd":"CreateSession.txt","StatusCode":"Ok","SessionId":"s-1"}"#).unwrap();
        let Message::Reply(r) = m else { panic!() };
        assert!(r.ok && r.session_id.as_deref() == Some("s-1"));
        assert!(matches!(
            decode(r#"{"EntityType":"Trade","Key":"4"}"#).unwrap(),
            Message::Unknown(t) if t == "Trade"
        ));
    }

    #[test]
    fn commands_join_keys() {
        let c = Command::new(true, "sid", "Quote", &["4".into(), "5".into()]).to_json();
        assert_eq!(
            c,
            r#"{"Cmd":"Subscribe.txt","SessionId":"sid","Keys":"4;5","EntityType":"Quote","HttpClientType":"WebSocket"}"#
        );
    }
}

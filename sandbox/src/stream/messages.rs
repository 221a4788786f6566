//! The streamers' JSON frames (docs/STREAMING.md sections 1 to 3): every value a string, numbers as
//! [`text_number`], booleans `"True"`/`"False"`, quote and watchlist times as [`us_datetime`], order
//! and position dates as epoch milliseconds, nested arrays JSON-encoded inside a string.
//!
//! Every data message also carries `Key`, the key its subscribers subscribed with.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde_json::{json, Map, Value};

use crate::engine::{Order, Position, EXEC_INST};
use crate::market::{Market, Quote, Security};
use crate::models::AccountBalance;
use crate::state::{Account, Directory};
use crate::wire::{empty_date, text_number, us_datetime};

use super::EntityType;

/// `"True"` or `"False"`.
pub fn text_bool(b: bool) -> &'static str {
    if b {
        "True"
    } else {
        "False"
    }
}

/// Epoch milliseconds as a string (`"-62135596800000"` for the vendor's empty date).
pub fn text_millis(d: DateTime<Utc>) -> String {
    d.timestamp_millis().to_string()
}

/// The first frame of a connection that was accepted.
pub fn session_ok(session_id: &str) -> String {
    json!({"Cmd": "CreateSession.txt", "StatusCode": "Ok", "SessionId": session_id}).to_string()
}

/// The first (and last) frame of a connection that was refused.
pub fn session_error(message: &str) -> String {
    json!({"Cmd": "CreateSession.txt", "StatusCode": "Error", "Message": message}).to_string()
}

/// The acknowledgement of a `Subscribe.txt`/`Unsubscribe.txt` (**extension**): `Ok` without a
/// message, `Error` with one.
pub fn ack(cmd: &str, entity_type: &str, keys: &[String], error: Option<&str>) -> String {
    let mut v = json!({
        "Cmd": cmd,
        "StatusCode": if error.is_some() { "Error" } else { "Ok" },
        "EntityType": entity_type,
        "Keys": keys.join(";"),
    });
    if let Some(message) = error {
        v["Message"] = json!(message);
    }
    v.to_string()
}

/// The answer to a command that is not understood (unknown `Cmd`, not JSON).
pub fn command_error(cmd: &str, message: &str) -> String {
    json!({"Cmd": cmd, "StatusCode": "Error", "Message": message}).to_string()
}

/// A `Quote` message, from the same [`Quote`] the REST quote routes serve. `changed` tells whether
/// bid and ask moved since the previous quote of this key on the connection (`BidUpdate`,
/// `AskUpdate`).
pub fn quote(security: &Security, q: &Quote, changed: (bool, bool)) -> String {
    let time = us_datetime(q.time);
    let change_pc = if q.previous_close.is_zero() {
        Decimal::ZERO
    } else {
        (q.change() * Decimal::ONE_HUNDRED / q.previous_close).round_dp(2)
    };
    let n = text_number;
    json!({
        "EntityType": EntityType::Quote.as_str(), "Key": security.id.to_string(), "QuoteTypes": "0",
        "Symbol": security.symbol,
        "Ask": n(q.ask), "AskMarket": security.exchange, "AskTime": time, "AskUpdate": text_bool(changed.1),
        "Bid": n(q.bid), "BidMarket": security.exchange, "BidTime": time, "BidUpdate": text_bool(changed.0),
        "Last": n(q.last), "Price": n(q.last), "LastMarket": security.exchange, "LastSize": q.last_size.to_string(),
        "Date": time, "High": n(q.high), "Low": n(q.low), "Open": n(q.open), "Close": n(q.previous_close),
        "Volume": q.volume.to_string(), "Change": n(q.change()), "ChangePc": n(change_pc),
        "Week52Low": n(q.low), "Week52High": n(q.high), "Dividend": n(Decimal::ZERO),
        "DividendShare": n(Decimal::ZERO), "DividendYield": n(Decimal::ZERO), "MarketCap": n(Decimal::ZERO),
        "Eps": n(Decimal::ZERO), "DayHigh": n(q.high), "DayLow": n(q.low), "PeRatio": n(Decimal::ZERO),
        "OpenInterest": "0", "TotalDailyVolume": q.volume.to_string(), "AskSize": q.ask_size.to_string(),
        "BidSize": q.bid_size.to_string(), "TradeCondition": "", "Beta": n(Decimal::ZERO),
        "Sector": security.sector, "AverageVolume3Month": security.daily_volume.to_string(),
        "PreviousClose": n(q.previous_close), "DontAffectCandle": "False",
    })
    .to_string()
}

/// One price level of a book.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Level {
    /// Price.
    pub price: Decimal,
    /// Size; 0 removes the level (updates only).
    pub size: i64,
}

/// A `MarketDepth` message (**extension**): a full book (`snapshot`) or the changed levels.
pub fn depth(
    security_id: i32,
    sequence: u64,
    snapshot: bool,
    time: DateTime<Utc>,
    bids: &[Level],
    asks: &[Level],
) -> String {
    let side = |levels: &[Level]| {
        Value::Array(
            levels
                .iter()
                .map(|l| json!({"Price": text_number(l.price), "Size": l.size.to_string()}))
                .collect(),
        )
        .to_string()
    };
    json!({
        "EntityType": EntityType::MarketDepth.as_str(), "Key": security_id.to_string(),
        "Sequence": sequence.to_string(), "Snapshot": text_bool(snapshot), "Date": us_datetime(time),
        "Bids": side(bids), "Asks": side(asks),
    })
    .to_string()
}

/// The underlying fields shared by orders and positions (`"-1"`, `Undefined` and the empty date
/// when the security is not an option).
fn underlying(v: &mut Map<String, Value>, security: Option<&Security>) {
    let terms = security.and_then(|s| s.option.as_ref());
    let set = |v: &mut Map<String, Value>, k: &str, x: String| {
        v.insert(k.to_string(), Value::String(x));
    };
    set(
        v,
        "UnderlyingSymbol",
        terms
            .map(|t| t.underlying_symbol.clone())
            .unwrap_or_default(),
    );
    set(
        v,
        "UnderlyingId",
        terms
            .map(|t| t.underlying_id.to_string())
            .unwrap_or_else(|| "-1".into()),
    );
    set(
        v,
        "UnderlyingStrike",
        text_number(terms.map(|t| t.strike).unwrap_or_default()),
    );
    set(
        v,
        "UnderlyingOptionType",
        terms
            .map(|t| format!("{:?}", t.option_type))
            .unwrap_or_else(|| "Undefined".into()),
    );
    set(
        v,
        "UnderlyingExpirationDate",
        text_millis(terms.map(|t| t.expires_at()).unwrap_or_else(empty_date)),
    );
    set(
        v,
        "UnderlyingExpirationType",
        terms
            .map(|t| t.expiration_type.as_str().to_string())
            .unwrap_or_else(|| "Undefined".into()),
    );
}

fn security_fields(v: &mut Map<String, Value>, security: Option<&Security>, symbol: &str) {
    let mut put = |k: &str, x: String| {
        v.insert(k.to_string(), Value::String(x));
    };
    put(
        "SecurityType",
        security
            .map(|s| s.security_type.as_str().to_string())
            .unwrap_or_default(),
    );
    put("Symbol", symbol.to_string());
    put(
        "Exchange",
        security.map(|s| s.exchange.to_string()).unwrap_or_default(),
    );
    put("Currency", "USD".to_string());
    put(
        "Name",
        security.map(|s| s.description.clone()).unwrap_or_default(),
    );
    underlying(v, security);
}

/// An `Order` message: the order as it was right after one change.
pub fn order(market: &Market, o: &Order) -> String {
    let security = market.security_by_id(o.security_id);
    let n = text_number;
    let (stop_type, stop_amount) = o
        .trailing_stop
        .map(|(k, a)| (k.to_string(), n(a)))
        .unwrap_or_default();
    let (limit_type, limit_amount) = o
        .trailing_limit
        .map(|(k, a)| (k.to_string(), n(a)))
        .unwrap_or_default();
    let exec_inst = EXEC_INST
        .iter()
        .position(|e| *e == o.exec_inst)
        .unwrap_or(0);
    let mut v = json!({
        "EntityType": EntityType::Order.as_str(), "Key": o.account_id.to_string(),
        "Id": o.id.to_string(), "AccountId": o.account_id.to_string(), "SecurityId": o.security_id.to_string(),
        "ClientId": o.client_id, "Quantity": n(o.quantity), "Price": n(o.price.unwrap_or_default()),
        "StopPrice": n(o.stop_price.unwrap_or_default()), "ExecutedQuantity": n(o.executed),
        "LastPrice": n(o.last_price), "LastQuantity": n(o.last_quantity), "LeavesQuantity": n(o.leaves()),
        "AveragePrice": n(o.average_price()), "Side": o.side, "CreateDate": text_millis(o.create_date),
        "Date": text_millis(o.date), "DateOffset": "0", "DateText": us_datetime(o.date),
        "TransactionDate": text_millis(o.date), "TransactionDateText": us_datetime(o.date),
        "Status": o.status, "ExecutionStatus": o.status, "Type": o.order_type, "InitialType": o.order_type,
        "Description": o.description, "Comment": o.comment, "TimeInForce": o.time_in_force,
        "ExecInst": exec_inst.to_string(),
        "ExpireDate": text_millis(o.expire_date.unwrap_or_else(empty_date)),
        "TrailingStopAmountType": stop_type, "TrailingStopAmount": stop_amount,
        "TrailingLimitAmountType": limit_type, "TrailingLimitAmount": limit_amount,
        "RejectReason": o.reject_code, "ParentId": o.parent_id.to_string(),
    });
    if let Value::Object(m) = &mut v {
        security_fields(m, security, &o.symbol);
    }
    v.to_string()
}

/// A `Position` message: the position right after a fill.
pub fn position(market: &Market, p: &Position) -> String {
    let security = market.security_by_id(p.security_id);
    let cs = security.map(|s| s.contract_size).unwrap_or(Decimal::ONE);
    let n = text_number;
    let mut v = json!({
        "EntityType": EntityType::Position.as_str(), "Key": p.account_id.to_string(),
        "Id": p.id.to_string(), "AccountId": p.account_id.to_string(), "SecurityId": p.security_id.to_string(),
        "CostBasis": n(p.cost), "DailyCostBasis": n(p.cost), "CreateDate": text_millis(p.create_date),
        "CreateDateOffset": "0", "ModifyDate": text_millis(p.modify_date), "ModifyDateOffset": "0",
        "Quantity": n(p.quantity), "RealizedProfitLoss": n(p.realized),
        "AverageOpenPrice": n(p.average_open_price(cs)), "AverageClosePrice": n(Decimal::ZERO),
        "CompanyName": security.map(|s| s.description.clone()).unwrap_or_default(),
    });
    if let Value::Object(m) = &mut v {
        let symbol = security.map(|s| s.symbol.clone()).unwrap_or_default();
        security_fields(m, security, &symbol);
    }
    v.to_string()
}

/// `Items`: the balance keys of `GET /accounts/{id}/info` as `[{"Name":..,"Value":..}]`, JSON-encoded.
fn items(balance: &Value) -> String {
    let list: Vec<Value> = balance
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| json!({"Name": k, "Value": v}))
                .collect()
        })
        .unwrap_or_default();
    Value::Array(list).to_string()
}

fn balance_message(entity: EntityType, key: String, account_id: &str, balance: &Value) -> String {
    let field = |k: &str| {
        balance
            .get(k)
            .and_then(crate::filter::number)
            .unwrap_or_default()
    };
    json!({
        "EntityType": entity.as_str(), "Key": key, "AccountId": account_id,
        "CashBalance": text_number(field("cash")), "PendingCash": text_number(field("pendingCash")),
        "PendingOrdersCount": field("pendingOrdersCount").normalize().to_string(),
        "Items": items(balance),
    })
    .to_string()
}

/// An `AccountBalance` message of an account valued now.
pub fn account_balance(account: &Account, balance: &AccountBalance) -> String {
    let value = serde_json::to_value(balance).unwrap_or(Value::Null);
    let id = account.id.to_string();
    balance_message(EntityType::AccountBalance, id.clone(), &id, &value)
}

/// A `UserBalance` message: the balance keys summed over the user's accounts (`AccountId` `"-1"`).
pub fn user_balance(market: &Market, dir: &Directory, user_id: i32) -> Option<String> {
    let user = dir.users.get(&user_id)?;
    let value = crate::accounts::user_balance_of(market, dir, user);
    Some(balance_message(
        EntityType::UserBalance,
        user_id.to_string(),
        "-1",
        &value,
    ))
}

/// A `Watchlist` message: a list of the user was created, renamed or deleted.
pub fn watchlist(w: &crate::watchlists::Watchlist, deleted: bool) -> String {
    json!({
        "EntityType": EntityType::Watchlist.as_str(), "Key": w.user_id.to_string(), "id": w.id.to_string(),
        "CreateDate": us_datetime(w.create_date), "ModifyDate": us_datetime(w.modify_date),
        "Description": "", "IsDeleted": text_bool(deleted), "Name": w.name, "Type": w.kind,
        "UserId": w.user_id.to_string(),
    })
    .to_string()
}

/// A `WatchlistContent` message: securities added to or removed from a list (`"null"` for none).
pub fn watchlist_content(watchlist_id: i32, added: &[i32], removed: &[i32]) -> String {
    let ids = |list: &[i32]| {
        if list.is_empty() {
            "null".to_string()
        } else {
            list.iter()
                .map(i32::to_string)
                .collect::<Vec<_>>()
                .join(";")
        }
    };
    json!({
        "EntityType": EntityType::WatchlistContent.as_str(), "Key": watchlist_id.to_string(),
        "AddedSymbols": ids(added), "RemovedSymbols": ids(removed),
    })
    .to_string()
}

/// The malformed twin of a frame (fault injection): the frame cut in half (not valid JSON), or with
/// its first numeric field (`Bid`, `Quantity`, `CashBalance`, `Sequence`, ...) set to a non-number.
pub fn malformed(frame: &str, kind: super::Malformed) -> String {
    if kind == super::Malformed::BadNumber {
        if let Ok(Value::Object(mut m)) = serde_json::from_str::<Value>(frame) {
            for field in [
                "Bid",
                "Quantity",
                "CashBalance",
                "Sequence",
                "AddedSymbols",
                "Name",
            ] {
                if let Some(v) = m.get_mut(field) {
                    *v = json!("not-a-number");
                    return Value::Object(m).to_string();
                }
            }
        }
    }
    let mut cut = frame.len() / 2;
    while !frame.is_char_boundary(cut) {
        cut -= 1;
    }
    frame[..cut].to_string()
}

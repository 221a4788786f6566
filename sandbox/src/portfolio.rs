//! Positions and transactions (activity) of the paper-trading accounts.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use http::Uri;
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::accounts::own_account;
use crate::engine::{Position, Transaction};
use crate::filter::no_enums;
use crate::http::{ApiError, Caller};
use crate::listing::{self, ConsolidatedQuery, MissingParams, Page, Params};
use crate::orders::{run_engine, AccountPath};
use crate::state::{AppState, Directory};
use crate::wire::{dec, iso};

/// Transaction types listed by `allowed-types`.
pub const TRANSACTION_TYPES: &[&str] = &[
    "Undefined",
    "Commission",
    "OrderExecution",
    "OptionExpiration",
    "Payment",
    "ManualManipulation",
    "Clearing",
    "Rpl",
];

/// Routes of this module.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/{version}/accounts/{account_id}/positions", get(positions))
        .route(
            "/{version}/accounts/{account_id}/positions/groups",
            get(groups),
        )
        .route("/{version}/accounts/{account_id}/positions/top", get(top))
        .route(
            "/{version}/accounts/{account_id}/positions/{symbol}",
            get(by_symbol),
        )
        .route(
            "/{version}/positions/consolidated",
            post(positions_consolidated),
        )
        .route(
            "/{version}/accounts/{account_id}/transactions",
            get(transactions),
        )
        .route(
            "/{version}/accounts/{account_id}/transactions/allowed-types",
            get(allowed_transactions),
        )
        .route(
            "/{version}/accounts/{account_id}/activity/allowed-types",
            get(allowed_activities),
        )
        .route("/{version}/accounts/{account_id}/activity", get(activity))
        .route(
            "/{version}/accounts/{account_id}/activity/report",
            get(activity_report),
        )
        .route(
            "/{version}/accounts/{account_id}/transaction/report",
            get(transaction_report),
        )
        .route(
            "/{version}/transactions/consolidated",
            post(transactions_consolidated),
        )
}

/// Path with a symbol.
#[derive(Debug, Deserialize)]
pub struct SymbolPath {
    /// Account id.
    pub account_id: i32,
    /// Symbol.
    pub symbol: String,
}

/// The `PositionResource` of a position.
pub fn position_json(state: &AppState, dir: &Directory, p: &Position) -> Value {
    let s = state.market.security_by_id(p.security_id);
    let terms = s.and_then(|s| s.option.as_ref());
    let cs = s.map(|s| s.contract_size).unwrap_or(Decimal::ONE);
    let q = state.market.quote(p.security_id);
    let last = q.as_ref().map(|q| q.last).unwrap_or_default();
    let close = q.as_ref().map(|q| q.previous_close).unwrap_or_default();
    let account = dir.accounts.get(&p.account_id);
    let holder = account
        .and_then(|a| dir.users.get(&a.owner_id))
        .map(|u| format!("{} {}", u.seed.first_name, u.seed.last_name))
        .unwrap_or_default();
    let average = p.average_open_price(cs);
    let mut v = json!({
        "Id": p.id, "AccountId": p.account_id, "SecurityId": p.security_id,
        "Symbol": s.map(|s| s.symbol.clone()).unwrap_or_default(),
        "Name": s.map(|s| s.description.clone()).unwrap_or_default(),
        "CompanyName": s.map(|s| s.description.clone()).unwrap_or_default(),
        "SecurityCurrency": "USD", "SecurityType": s.map(|s| s.security_type.as_str()).unwrap_or(""),
        "ContractSize": dec(cs), "CostBasis": dec(p.cost), "DailyCostBasis": dec(p.cost),
        "CreateDate": iso(p.create_date), "ModifyDate": iso(p.modify_date), "Quantity": dec(p.quantity),
        "RealizedProfitLoss": dec(p.realized), "AverageOpenPrice": dec(average), "AverageClosePrice": 0,
        "StopLossPrice": 0, "TakeProfitPrice": 0, "DailyCloseProfitLoss": 0, "ExcessChanges": 0,
        "DayQuantity": dec(p.day_quantity), "MarketValueEOD": dec(p.quantity * close * cs), "EODPrice": dec(close),
        "OpenQuantity": dec(p.quantity),
        "MarginType": account.map(|a| if p.quantity < Decimal::ZERO { "Short" } else { a.margin_type.as_str() }).unwrap_or("Cash"),
        "UnderlyingSymbol": terms.map(|t| t.underlying_symbol.clone()).unwrap_or_default(),
        "UnderlyingOptionType": terms.map(|t| format!("{:?}", t.option_type)).unwrap_or_default(),
        "UnderlyingExpirationDate": terms.map(|t| t.expires_at().timestamp_millis()).unwrap_or(0),
        "UnderlyingId": terms.map(|t| t.underlying_id).unwrap_or(0),
        "UnderlyingStrike": dec(terms.map(|t| t.strike).unwrap_or_default()),
        "TickSize": dec(s.map(|s| s.tick_size).unwrap_or_default()), "VolumePrecision": 0,
        "ClearingAccount": account.map(|a| a.clearing_account.clone()).unwrap_or_default(),
        "AccountHolderName": holder, "LoanedQuantity": 0,
        "UnrealizedProfitLoss": dec(p.quantity * last * cs - p.cost), "AccountName": holder,
        "Currency": "USD", "Cusip": s.map(|s| s.cusip.clone()).unwrap_or_default(),
    });
    if let Some(t) = terms {
        v["UnderlyingExpirationType"] = json!(t.expiration_type.as_str());
    }
    v
}

fn account_positions(state: &AppState, dir: &Directory, account_id: i32) -> Vec<Value> {
    dir.trading
        .positions_of(account_id)
        .map(|p| position_json(state, dir, p))
        .collect()
}

async fn positions(
    State(state): State<AppState>,
    caller: Caller,
    Path(p): Path<AccountPath>,
    uri: Uri,
) -> Result<Json<Value>, ApiError> {
    let params = Params::parse(uri.query());
    listing::require(
        &state,
        &uri,
        &params,
        &["pageNumber", "pageSize", "sortField", "desc"],
        MissingParams::UnsupportedApiVersion,
    )?;
    let filter = params.filter()?;
    let page = Page {
        number: params.int("pageNumber")?.unwrap_or(0),
        size: params.int("pageSize")?.unwrap_or(10).min(99),
    };
    let desc = params.boolean("desc")?.unwrap_or(false);
    run_engine(&state);
    let dir = state.dir();
    own_account(&dir, caller, p.account_id)?;
    let items = account_positions(&state, &dir, p.account_id);
    Ok(Json(listing::list(
        &state,
        &uri,
        items,
        &filter,
        &no_enums,
        params.get("sortField"),
        desc,
        page,
    )))
}

async fn positions_consolidated(
    State(state): State<AppState>,
    caller: Caller,
    uri: Uri,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let q = ConsolidatedQuery::parse(&body)?;
    let filter = Params::parse(uri.query()).filter()?;
    run_engine(&state);
    let dir = state.dir();
    let items = q
        .accounts(&dir, caller)?
        .into_iter()
        .flat_map(|a| account_positions(&state, &dir, a))
        .collect();
    Ok(Json(listing::list(
        &state,
        &uri,
        items,
        &filter,
        &no_enums,
        q.sort_field.as_deref(),
        q.desc,
        q.page(),
    )))
}

/// Market value by asset group (`GroupPositionsResource`).
fn grouped(state: &AppState, dir: &Directory, account_id: i32) -> Vec<(String, Decimal)> {
    let mut groups: Vec<(String, Decimal)> = Vec::new();
    for p in dir.trading.positions_of(account_id) {
        let Some(s) = state.market.security_by_id(p.security_id) else {
            continue;
        };
        let name = if s.is_option() { "Options" } else { "Equity" };
        let value = p.quantity
            * state.market.quote(s.id).map(|q| q.last).unwrap_or_default()
            * s.contract_size;
        match groups.iter_mut().find(|(n, _)| n == name) {
            Some((_, v)) => *v += value,
            None => groups.push((name.to_string(), value)),
        }
    }
    if let Some(a) = dir.accounts.get(&account_id) {
        groups.push(("Cash".to_string(), a.cash));
    }
    groups
}

async fn groups(
    State(state): State<AppState>,
    caller: Caller,
    Path(p): Path<AccountPath>,
) -> Result<Json<Value>, ApiError> {
    run_engine(&state);
    let dir = state.dir();
    own_account(&dir, caller, p.account_id)?;
    let items: Vec<Value> = grouped(&state, &dir, p.account_id)
        .into_iter()
        .map(|(n, v)| json!({"Name": n, "MarketValue": dec(v)}))
        .collect();
    Ok(Json(Value::Array(items)))
}

async fn top(
    State(state): State<AppState>,
    caller: Caller,
    Path(p): Path<AccountPath>,
    uri: Uri,
) -> Result<Json<Value>, ApiError> {
    let count = Params::parse(uri.query()).int("count")?.unwrap_or(5).max(0) as usize;
    run_engine(&state);
    let dir = state.dir();
    own_account(&dir, caller, p.account_id)?;
    let mut items: Vec<(String, Decimal)> = dir
        .trading
        .positions_of(p.account_id)
        .filter_map(|pos| {
            let s = state.market.security_by_id(pos.security_id)?;
            Some((
                s.symbol.clone(),
                pos.quantity * state.market.quote(s.id)?.last * s.contract_size,
            ))
        })
        .collect();
    items.sort_by_key(|item| std::cmp::Reverse(item.1.abs()));
    let items: Vec<Value> = items
        .into_iter()
        .take(count)
        .map(|(n, v)| json!({"Name": n, "MarketValue": dec(v)}))
        .collect();
    Ok(Json(Value::Array(items)))
}

async fn by_symbol(
    State(state): State<AppState>,
    caller: Caller,
    Path(p): Path<SymbolPath>,
) -> Result<Json<Value>, ApiError> {
    run_engine(&state);
    let dir = state.dir();
    own_account(&dir, caller, p.account_id)?;
    let id = state.market.security_by_symbol(&p.symbol).map(|s| s.id);
    let items: Vec<Value> = dir
        .trading
        .positions_of(p.account_id)
        .filter(|pos| Some(pos.security_id) == id)
        .map(|pos| position_json(&state, &dir, pos))
        .collect();
    Ok(Json(Value::Array(items)))
}

/// The `TransactionMapModel` of a transaction.
pub fn transaction_json(dir: &Directory, t: &Transaction) -> Value {
    let margin = dir
        .accounts
        .get(&t.account_id)
        .map(|a| a.margin_type.as_str())
        .unwrap_or("Cash");
    json!({
        "Id": t.id, "SecurityId": t.security_id, "OrderStateId": t.order_state_id, "AccountId": t.account_id,
        "Date": iso(t.date), "Value": dec(t.value), "Quantity": dec(t.quantity), "LeavesQuantity": dec(t.leaves_quantity),
        "Fee": {"Id": 0, "CommissionId": "Zero", "Value": 0, "Seizure": "Execution", "Leverage": 1, "ValueType": "Absolute"},
        "Type": "OrderExecution", "IsDayTrade": false, "Description": t.description, "Symbol": t.symbol, "Code": t.code,
        "MarginType": margin, "SettlementDate": iso(t.settlement_date), "Price": dec(t.price), "OrderId": t.order_id,
    })
}

/// The `ActivityModelV2` of a transaction.
pub fn activity_json(state: &AppState, dir: &Directory, t: &Transaction) -> Value {
    let account = dir.accounts.get(&t.account_id);
    json!({
        "AccountNumber": account.map(|a| a.clearing_account.clone()).unwrap_or_default(),
        "ActivityType": "Trade", "Date": iso(t.date), "SettlementDate": iso(t.settlement_date), "Symbol": t.symbol,
        "Description": t.description, "Quantity": dec(t.quantity), "Price": dec(t.price), "NetAmount": dec(t.value),
        "Fees": 0, "Commissions": 0, "MarginType": account.map(|a| a.margin_type.as_str()).unwrap_or("Cash"),
        "BatchEntryDescription": "", "BuySellCode": t.code,
        "SecurityName": state.market.security_by_id(t.security_id).map(|s| s.description.clone()).unwrap_or_default(),
        "CurrencyCode": "USD",
    })
}

fn type_enum(name: &str) -> Option<&'static [&'static str]> {
    name.eq_ignore_ascii_case("type")
        .then_some(TRANSACTION_TYPES)
}

/// Shared by the transaction and activity pages: which sort-direction parameter and item shape.
async fn transaction_page(
    state: AppState,
    caller: Caller,
    account_id: i32,
    uri: Uri,
    activity: bool,
) -> Result<Json<Value>, ApiError> {
    let params = Params::parse(uri.query());
    let direction = if activity { "isAsc" } else { "isDesc" };
    listing::require(
        &state,
        &uri,
        &params,
        &["pageSize", "pageNumber", "sortBy", direction],
        MissingParams::UnsupportedApiVersion,
    )?;
    let filter = params.filter()?;
    let page = Page {
        number: params.int("pageNumber")?.unwrap_or(0),
        size: params.int("pageSize")?.unwrap_or(10),
    };
    let flag = params.boolean(direction)?.unwrap_or(false);
    run_engine(&state);
    let dir = state.dir();
    own_account(&dir, caller, account_id)?;
    let items = dir
        .trading
        .transactions
        .iter()
        .filter(|t| t.account_id == account_id)
        .map(|t| {
            if activity {
                activity_json(&state, &dir, t)
            } else {
                transaction_json(&dir, t)
            }
        })
        .collect();
    let desc = if activity { !flag } else { flag };
    Ok(Json(listing::list(
        &state,
        &uri,
        items,
        &filter,
        &type_enum,
        params.get("sortBy"),
        desc,
        page,
    )))
}

async fn transactions(
    State(state): State<AppState>,
    caller: Caller,
    Path(p): Path<AccountPath>,
    uri: Uri,
) -> Result<Json<Value>, ApiError> {
    transaction_page(state, caller, p.account_id, uri, false).await
}

async fn activity(
    State(state): State<AppState>,
    caller: Caller,
    Path(p): Path<AccountPath>,
    uri: Uri,
) -> Result<Json<Value>, ApiError> {
    transaction_page(state, caller, p.account_id, uri, true).await
}

async fn transactions_consolidated(
    State(state): State<AppState>,
    caller: Caller,
    uri: Uri,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let q = ConsolidatedQuery::parse(&body)?;
    let filter = Params::parse(uri.query()).filter()?;
    run_engine(&state);
    let dir = state.dir();
    let accounts = q.accounts(&dir, caller)?;
    let items = dir
        .trading
        .transactions
        .iter()
        .filter(|t| accounts.contains(&t.account_id))
        .map(|t| activity_json(&state, &dir, t))
        .collect();
    Ok(Json(listing::list(
        &state,
        &uri,
        items,
        &filter,
        &no_enums,
        q.sort_field.as_deref(),
        q.desc,
        q.page(),
    )))
}

async fn allowed_transactions(
    State(state): State<AppState>,
    caller: Caller,
    Path(p): Path<AccountPath>,
) -> Result<Json<Vec<&'static str>>, ApiError> {
    own_account(&state.dir(), caller, p.account_id)?;
    Ok(Json(TRANSACTION_TYPES[1..].to_vec()))
}

async fn allowed_activities(
    State(state): State<AppState>,
    caller: Caller,
    Path(p): Path<AccountPath>,
) -> Result<Json<Vec<&'static str>>, ApiError> {
    own_account(&state.dir(), caller, p.account_id)?;
    Ok(Json(vec![
        "Trade",
        "Dividend",
        "Deposit",
        "Withdrawal",
        "Fee",
        "Interest",
    ]))
}

/// A report (CSV lines of the filtered, sorted items; the spec declares an array of strings).
async fn report(
    state: AppState,
    caller: Caller,
    account_id: i32,
    uri: Uri,
    activity: bool,
) -> Result<Json<Vec<String>>, ApiError> {
    let params = Params::parse(uri.query());
    let direction = if activity { "isAsc" } else { "isDesc" };
    listing::require(
        &state,
        &uri,
        &params,
        &["sortBy", direction, "reportEnum"],
        MissingParams::UnsupportedApiVersion,
    )?;
    let format = params.get("reportEnum").unwrap_or("");
    if !["NotReport", "CsvReport", "PdfReport"]
        .iter()
        .any(|f| f.eq_ignore_ascii_case(format))
    {
        return Err(ApiError::invalid(
            "reportEnum",
            format!("The value '{format}' is not valid for reportEnum."),
        ));
    }
    let filter = params.filter()?;
    let flag = params.boolean(direction)?.unwrap_or(false);
    run_engine(&state);
    let dir = state.dir();
    own_account(&dir, caller, account_id)?;
    let mut items: Vec<Value> = dir
        .trading
        .transactions
        .iter()
        .filter(|t| t.account_id == account_id)
        .map(|t| transaction_json(&dir, t))
        .filter(|v| filter.matches(v, &type_enum))
        .collect();
    listing::sort(
        &mut items,
        params.get("sortBy"),
        if activity { !flag } else { flag },
    );
    let mut lines = vec!["Id,Date,Symbol,Code,Quantity,Price,Value,Description".to_string()];
    for v in items {
        lines.push(format!(
            "{},{},{},{},{},{},{},\"{}\"",
            v["Id"],
            v["Date"].as_str().unwrap_or(""),
            v["Symbol"].as_str().unwrap_or(""),
            v["Code"].as_str().unwrap_or(""),
            v["Quantity"],
            v["Price"],
            v["Value"],
            v["Description"].as_str().unwrap_or("")
        ));
    }
    Ok(Json(lines))
}

async fn activity_report(
    State(state): State<AppState>,
    caller: Caller,
    Path(p): Path<AccountPath>,
    uri: Uri,
) -> Result<Json<Vec<String>>, ApiError> {
    report(state, caller, p.account_id, uri, true).await
}

async fn transaction_report(
    State(state): State<AppState>,
    caller: Caller,
    Path(p): Path<AccountPath>,
    uri: Uri,
) -> Result<Json<Vec<String>>, ApiError> {
    report(state, caller, p.account_id, uri, false).await
}

//! `/accounts/{id}/orders`, `/syncorders`, previews, order limits and consolidated orders.
//!
//! Bodies are matched case-insensitively (so `TimeInForce` and the spec's `TimeInforce` both
//! work); enums are accepted by name (case-insensitive) or number. Missing `Type`, `Side` or
//! `Quantity` (or an unknown enum name) is a 422 `ModelState`; business rules are checked by the
//! engine: the fast path answers `PendingNew` and rejects later, `/syncorders` answers after the
//! engine ran, previews answer `IsSuccessful` with the rejection code.

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use chrono::{DateTime, NaiveDate, Utc};
use http::{StatusCode, Uri};
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::{json, Map, Value};

use crate::accounts::own_account;
use crate::engine::{self, Kind, Order, Reject, ORDER_STATUSES};
use crate::filter::no_enums;
use crate::http::{ApiError, Caller};
use crate::listing::{self, Page, Params};
use crate::state::{AppState, Directory};
use crate::wire::{date_ms, dec, iso, opt_dec};

/// Routes of this module.
pub fn routes() -> Router<AppState> {
    let mut r = Router::new();
    for (prefix, sync) in [("orders", false), ("syncorders", true)] {
        let list_path = format!("/{{version}}/accounts/{{account_id}}/{prefix}");
        let one_path = format!("{list_path}/{{order_id}}");
        let preview = format!("/{{version}}/accounts/{{account_id}}/preview/{prefix}");
        r = r
            .route(
                &list_path,
                get(list).post(move |s, c, p, b| place(s, c, p, b, sync)),
            )
            .route(
                &one_path,
                get(get_one)
                    .put(move |s, c, p, b| replace(s, c, p, b, sync))
                    .delete(cancel),
            )
            .route(&preview, post(preview_create))
            .route(&format!("{preview}/{{order_id}}"), put(preview_modify));
    }
    r.route(
        "/{version}/accounts/{account_id}/orders/{order_id}/details",
        get(details),
    )
    .route(
        "/{version}/accounts/{account_id}/verified/orders/{order_id}",
        get(verified),
    )
    .route(
        "/{version}/accounts/{account_id}/preview/limits/{symbol}",
        get(limits),
    )
    .route("/{version}/orders/consolidated", post(consolidated))
}

/// Path of account-scoped routes.
#[derive(Debug, Deserialize)]
pub struct AccountPath {
    /// Account id.
    pub account_id: i32,
}

/// Path of single-order routes.
#[derive(Debug, Deserialize)]
pub struct OrderPath {
    /// Account id.
    pub account_id: i32,
    /// Order id.
    pub order_id: i32,
}

/// Path of the order-limits route.
#[derive(Debug, Deserialize)]
pub struct LimitsPath {
    /// Account id.
    pub account_id: i32,
    /// Symbol.
    pub symbol: String,
}

/// Lower-cases every object key, recursively (case-insensitive property matching).
pub fn lower_keys(v: Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.into_iter()
                .map(|(k, v)| (k.to_ascii_lowercase(), lower_keys(v)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.into_iter().map(lower_keys).collect()),
        other => other,
    }
}

/// Parses a JSON body (missing or malformed is a 422 on `param`).
pub fn body_object(body: &Bytes, param: &str) -> Result<Map<String, Value>, ApiError> {
    match serde_json::from_slice::<Value>(body).map(lower_keys) {
        Ok(Value::Object(m)) => Ok(m),
        _ => Err(ApiError::invalid(
            param,
            "A non-empty request body is required.",
        )),
    }
}

/// An enum field by name (case-insensitive) or number; unknown is a 422.
pub fn enum_field(
    m: &Map<String, Value>,
    key: &str,
    names: &'static [&'static str],
    field: &str,
) -> Result<Option<&'static str>, ApiError> {
    let bad = || {
        ApiError::invalid(
            field,
            format!(
                "The value is not valid for {}.",
                field.rsplit('.').next().unwrap_or(field)
            ),
        )
    };
    match m.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.is_empty() => Ok(None),
        Some(Value::String(s)) => names
            .iter()
            .find(|n| n.eq_ignore_ascii_case(s))
            .copied()
            .map(Some)
            .ok_or_else(bad),
        Some(Value::Number(n)) => n
            .as_u64()
            .and_then(|i| names.get(i as usize))
            .copied()
            .map(Some)
            .ok_or_else(bad),
        Some(_) => Err(bad()),
    }
}

/// A decimal field (JSON number or numeric string); malformed is a 422.
pub fn dec_field(
    m: &Map<String, Value>,
    key: &str,
    field: &str,
) -> Result<Option<Decimal>, ApiError> {
    match m.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => crate::filter::number(v)
            .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
            .map(Some)
            .ok_or_else(|| ApiError::invalid(field, "The value is not a valid number.")),
    }
}

/// A string field.
pub fn str_field(m: &Map<String, Value>, key: &str) -> String {
    m.get(key).and_then(Value::as_str).unwrap_or("").to_string()
}

fn date_field(m: &Map<String, Value>, key: &str) -> Option<DateTime<Utc>> {
    let s = m.get(key)?.as_str()?;
    DateTime::parse_from_rfc3339(s)
        .map(|d| d.with_timezone(&Utc))
        .ok()
        .or_else(|| {
            NaiveDate::parse_from_str(s.get(..10)?, "%Y-%m-%d")
                .ok()?
                .and_hms_opt(21, 0, 0)
                .map(|d| d.and_utc())
        })
}

/// Builds the orders of a `CreateOrderResource` (root first, then legs), unsaved (ids 0).
fn parse_create(
    state: &AppState,
    caller: Caller,
    account_id: i32,
    m: &Map<String, Value>,
    param: &str,
    is_leg: bool,
) -> Result<Vec<Order>, ApiError> {
    let order_type = enum_field(m, "type", engine::ORDER_TYPES, &format!("{param}.Type"))?;
    let legs_json: Vec<Map<String, Value>> = m
        .get("legs")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(|v| v.as_object().cloned()).collect())
        .unwrap_or_default();
    let kind = match order_type {
        Some("OneTriggerOther") => Kind::Oto,
        Some("OneCancelOther") => Kind::Oco,
        Some("OneTriggerOneCancelOther") => Kind::Otoco,
        _ if !legs_json.is_empty() && !is_leg => Kind::Spread,
        _ => Kind::Single,
    };
    let conditional = matches!(kind, Kind::Oto | Kind::Oco | Kind::Otoco);
    let side = enum_field(m, "side", engine::SIDES, &format!("{param}.Side"))?;
    let quantity = dec_field(m, "quantity", &format!("{param}.Quantity"))?;
    let mut errors = Vec::new();
    if order_type.is_none() && !is_leg {
        errors.push((
            format!("{param}.Type"),
            "The Type field is required.".to_string(),
        ));
    }
    if side.is_none() && !conditional && kind != Kind::Spread {
        errors.push((
            format!("{param}.Side"),
            "The Side field is required.".to_string(),
        ));
    }
    if !conditional && quantity.is_none_or(|q| q <= Decimal::ZERO) {
        errors.push((
            format!("{param}.Quantity"),
            "Quantity must be greater than 0.".to_string(),
        ));
    }
    let symbol = str_field(m, "symbol");
    if symbol.trim().is_empty() && kind == Kind::Single {
        errors.push((
            format!("{param}.Symbol"),
            "The Symbol field is required.".to_string(),
        ));
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation {
            model_state: errors,
        });
    }
    let tif = enum_field(
        m,
        "timeinforce",
        engine::TIME_IN_FORCE,
        &format!("{param}.TimeInForce"),
    )?
    .unwrap_or("Day");
    let trailing = |t: &str, a: &str| -> Result<Option<(&'static str, Decimal)>, ApiError> {
        let kind = enum_field(m, t, engine::AMOUNT_TYPES, &format!("{param}.{t}"))?;
        let amount = dec_field(m, a, &format!("{param}.{a}"))?;
        Ok(match (kind, amount) {
            (Some(k), Some(a)) => Some((k, a)),
            (None, Some(a)) => Some(("Absolute", a)),
            _ => None,
        })
    };
    let now = state.market.now();
    let security = state.market.security_by_symbol(&symbol);
    let execution_instructions: BTreeMap<String, String> = m
        .get("executioninstructions")
        .and_then(Value::as_object)
        .map(|o| {
            o.iter()
                .map(|(k, v)| {
                    (
                        k.clone(),
                        v.as_str()
                            .map(str::to_string)
                            .unwrap_or_else(|| v.to_string()),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let root = Order {
        id: 0,
        account_id,
        user_id: caller.user_id,
        security_id: security.map(|s| s.id).unwrap_or(0),
        symbol: security.map(|s| s.symbol.clone()).unwrap_or(symbol),
        side: side.unwrap_or("Buy"),
        order_type: order_type.unwrap_or("Limit"),
        time_in_force: tif,
        exec_inst: enum_field(
            m,
            "execinst",
            engine::EXEC_INST,
            &format!("{param}.ExecInst"),
        )?
        .unwrap_or("None"),
        quantity: quantity.unwrap_or(Decimal::ZERO),
        price: dec_field(m, "price", &format!("{param}.Price"))?,
        stop_price: dec_field(m, "stopprice", &format!("{param}.StopPrice"))?,
        trailing_stop: trailing("trailingstopamounttype", "trailingstopamount")?,
        trailing_limit: trailing("trailinglimitamounttype", "trailinglimitamount")?,
        client_id: str_field(m, "clientid"),
        comment: str_field(m, "comment"),
        exchange: str_field(m, "exchange"),
        extended_hours: str_field(m, "extendedhours"),
        expire_date: date_field(m, "expiredate"),
        execution_instructions,
        status: "PendingNew",
        request_status: "RequireValidation",
        target: "New",
        description: String::new(),
        reject_code: String::new(),
        executed: Decimal::ZERO,
        notional: Decimal::ZERO,
        last_price: Decimal::ZERO,
        last_quantity: Decimal::ZERO,
        create_date: now,
        date: now,
        parent_id: -1,
        legs: Vec::new(),
        kind,
        active: true,
        triggered: false,
        trail_reference: None,
        last_fill_tick: None,
        synchronous: false,
        reports: Vec::new(),
    };
    let mut out = vec![root];
    for (i, leg) in legs_json.iter().enumerate() {
        let leg_param = format!("{param}.Legs[{i}]");
        let mut leg_orders = parse_create(state, caller, account_id, leg, &leg_param, true)?;
        let mut leg_order = leg_orders.remove(0);
        if kind == Kind::Spread {
            leg_order.order_type = "Market";
            leg_order.time_in_force = out[0].time_in_force;
        }
        if matches!(kind, Kind::Oto | Kind::Otoco) && i > 0 {
            leg_order.active = false;
            leg_order.status = "Held";
        }
        out.push(leg_order);
    }
    if kind == Kind::Spread {
        out[0].security_id = 0;
        out[0].symbol = String::new();
    }
    if conditional {
        out[0].security_id = 0;
        out[0].quantity = out.get(1).map(|l| l.quantity).unwrap_or_default();
        out[0].side = out.get(1).map(|l| l.side).unwrap_or("Buy");
    }
    Ok(out)
}

/// Stores parsed orders (ids assigned, legs linked); returns the root id.
fn store(dir: &mut Directory, mut orders: Vec<Order>, sync: bool) -> i32 {
    let root_id = dir.trading.next_id();
    let mut leg_ids = Vec::new();
    for o in orders.iter_mut().skip(1) {
        o.id = dir.trading.next_id();
        o.parent_id = root_id;
        o.synchronous = sync;
        leg_ids.push(o.id);
    }
    let mut root = orders.remove(0);
    root.id = root_id;
    root.synchronous = sync;
    root.legs = leg_ids;
    if root.time_in_force == "Day" && root.expire_date.is_none() {
        root.expire_date = root
            .create_date
            .date_naive()
            .and_hms_opt(21, 0, 0)
            .map(|d| d.and_utc())
            .filter(|d| *d > root.create_date);
    }
    dir.trading.orders.insert(root_id, root);
    for o in orders {
        dir.trading.orders.insert(o.id, o);
    }
    let created = dir.trading.orders[&root_id].create_date;
    engine::report(
        &mut dir.trading,
        root_id,
        created,
        Decimal::ZERO,
        Decimal::ZERO,
    );
    root_id
}

/// Runs the engine (every trading request does, before reading).
pub fn run_engine(state: &AppState) {
    let mut dir = state.dir();
    engine::process(&mut dir, &state.market);
}

fn order_of<'d>(dir: &'d Directory, caller: Caller, p: &OrderPath) -> Result<&'d Order, ApiError> {
    own_account(dir, caller, p.account_id)?;
    dir.trading
        .orders
        .get(&p.order_id)
        .filter(|o| o.account_id == p.account_id)
        .ok_or_else(|| ApiError::not_found(format!("Order {} is not found.", p.order_id)))
}

/// The `OrderResource` of an order (with its legs).
pub fn order_json(dir: &Directory, state: &AppState, o: &Order) -> Value {
    let security = state.market.security_by_id(o.security_id);
    let terms = security.and_then(|s| s.option.as_ref());
    let account = dir.accounts.get(&o.account_id);
    let owner = account.and_then(|a| dir.users.get(&a.owner_id));
    let holder = owner
        .map(|u| format!("{} {}", u.seed.first_name, u.seed.last_name))
        .unwrap_or_default();
    let legs: Vec<Value> = o
        .legs
        .iter()
        .filter_map(|id| dir.trading.orders.get(id))
        .map(|l| order_json(dir, state, l))
        .collect();
    let last_exec = o
        .reports
        .iter()
        .rev()
        .find(|r| !r.exec_id.is_empty())
        .map(|r| r.exec_id.clone())
        .unwrap_or_default();
    let mut v = json!({
        "Id": o.id, "SecurityId": o.security_id, "Symbol": o.symbol, "Currency": "USD",
        "Cusip": security.map(|s| s.cusip.clone()).unwrap_or_default(), "Precision": 2, "VolumePrecision": 0,
        "Quantity": dec(o.quantity), "Price": opt_dec(o.price), "StopPrice": opt_dec(o.stop_price),
        "ClientId": o.client_id, "ParentClientId": "", "OrigClientId": o.client_id,
        "ExecutedQuantity": dec(o.executed), "LastPrice": dec(o.last_price), "LastQuantity": dec(o.last_quantity),
        "LeavesQuantity": dec(o.leaves()), "AveragePrice": dec(o.average_price()), "Side": o.side,
        "Date": iso(o.date), "TransactionDate": iso(o.date), "SettDate": iso(crate::wire::empty_date()),
        "Status": o.status, "ExecutionStatus": o.status, "Type": o.order_type, "RequestStatus": o.request_status,
        "Target": o.target, "Description": o.description, "ErrorDescriptionText": o.description, "Comment": o.comment,
        "TimeInForce": o.time_in_force, "ExecInst": o.exec_inst,
        "ExecInstNum": engine::EXEC_INST.iter().position(|e| *e == o.exec_inst).unwrap_or(0) as i64,
        "ExpireDate": iso(o.expire_date.unwrap_or_else(crate::wire::empty_date)), "CounterPartyOrderId": format!("SBX{}", o.id),
        "AccountId": o.account_id, "UserId": o.user_id, "RequestId": o.id, "StateId": o.reports.last().map(|r| r.id).unwrap_or(o.id),
        "ParentId": o.parent_id, "Legs": legs, "Exchange": if o.exchange.is_empty() { "Auto" } else { o.exchange.as_str() },
        "ExecutionVenue": "PaperTrading", "CreateDate": iso(o.create_date), "InitialType": o.order_type,
        "ExtendedHours": o.extended_hours, "IsExternal": false, "ExecBrocker": "Auto",
        "ExecutionInstructions": o.execution_instructions, "TransType": "New", "ExecId": last_exec, "Token": "",
        "ValidationsToBypass": 0, "ParentRequestId": o.parent_id, "SettlementDate": iso(crate::wire::empty_date()),
        "LastMarket": security.map(|s| s.exchange).unwrap_or(""), "QuantityQualifier": "Shares", "ReinvestAction": 0,
        "Name": security.map(|s| s.description.clone()).unwrap_or_default(),
        "UnderlyingSymbol": terms.map(|t| t.underlying_symbol.clone()).unwrap_or_default(),
        "UnderlyingId": terms.map(|t| t.underlying_id).unwrap_or(0),
        "UnderlyingStrike": dec(terms.map(|t| t.strike).unwrap_or_default()),
        "UnderlyingOptionType": terms.map(|t| format!("{:?}", t.option_type)).unwrap_or_default(),
        "UnderlyingExpirationDate": terms.map(|t| t.expires_at().timestamp_millis()).unwrap_or(0),
        "ContingentDirection": "", "ContingentPriceType": "", "ContingentThreshold": "", "ContingentSecurityId": 0,
        "ContingentSymbol": "", "BrokerServiceCommission": 0, "LocateRefId": "",
        "ClearingAccount": account.map(|a| a.clearing_account.clone()).unwrap_or_default(),
        "UserName": owner.map(|u| u.seed.username.clone()).unwrap_or_default(), "AccountHolderName": holder.clone(),
        "AccountName": holder,
    });
    if let Some(s) = security {
        v["SecurityType"] = json!(s.security_type.as_str());
    }
    if let Some(t) = terms {
        v["UnderlyingExpirationType"] = json!(t.expiration_type.as_str());
    }
    if let Some((k, a)) = o.trailing_stop {
        v["TrailingStopAmountType"] = json!(k);
        v["TrailingStopAmount"] = dec(a);
    }
    if let Some((k, a)) = o.trailing_limit {
        v["TrailingLimitAmountType"] = json!(k);
        v["TrailingLimitAmount"] = dec(a);
    }
    v
}

fn status_enum(name: &str) -> Option<&'static [&'static str]> {
    match name.to_ascii_lowercase().as_str() {
        "status" | "executionstatus" => Some(ORDER_STATUSES),
        "type" | "initialtype" => Some(engine::ORDER_TYPES),
        "side" => Some(engine::SIDES),
        "timeinforce" => Some(engine::TIME_IN_FORCE),
        _ => no_enums(name),
    }
}

async fn list(
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
        &["pageNumber", "pageSize"],
        listing::MissingParams::UnsupportedApiVersion,
    )?;
    let filter = params.filter()?;
    let page = Page {
        number: params.int("pageNumber")?.unwrap_or(0),
        size: params.int("pageSize")?.unwrap_or(10).min(100),
    };
    run_engine(&state);
    let dir = state.dir();
    own_account(&dir, caller, p.account_id)?;
    let items = dir
        .trading
        .orders
        .values()
        .filter(|o| o.account_id == p.account_id && o.parent_id == -1)
        .map(|o| order_json(&dir, &state, o))
        .collect();
    let desc = params.boolean("desc")?.unwrap_or(false);
    Ok(Json(listing::list(
        &state,
        &uri,
        items,
        &filter,
        &status_enum,
        params.get("sortField").or(Some("Id")),
        desc,
        page,
    )))
}

async fn consolidated(
    State(state): State<AppState>,
    caller: Caller,
    uri: Uri,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let q = crate::listing::ConsolidatedQuery::parse(&body)?;
    let filter = Params::parse(uri.query()).filter()?;
    run_engine(&state);
    let dir = state.dir();
    let accounts = q.accounts(&dir, caller)?;
    let items = dir
        .trading
        .orders
        .values()
        .filter(|o| accounts.contains(&o.account_id) && o.parent_id == -1)
        .map(|o| order_json(&dir, &state, o))
        .collect();
    Ok(Json(listing::list(
        &state,
        &uri,
        items,
        &filter,
        &status_enum,
        q.sort_field.as_deref().or(Some("Id")),
        q.desc,
        q.page(),
    )))
}

async fn place(
    State(state): State<AppState>,
    caller: Caller,
    Path(p): Path<AccountPath>,
    body: Bytes,
    sync: bool,
) -> Result<Json<Value>, ApiError> {
    {
        let dir = state.dir();
        own_account(&dir, caller, p.account_id)?;
    }
    let m = body_object(&body, "placeParams")?;
    let orders = parse_create(&state, caller, p.account_id, &m, "placeParams", false)?;
    let mut dir = state.dir();
    let id = store(&mut dir, orders, sync);
    if sync {
        engine::process(&mut dir, &state.market);
    } else {
        let state2 = state.clone();
        tokio::spawn(async move {
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
            run_engine(&state2);
        });
    }
    Ok(Json(order_json(&dir, &state, &dir.trading.orders[&id])))
}

async fn get_one(
    State(state): State<AppState>,
    caller: Caller,
    Path(p): Path<OrderPath>,
) -> Result<Json<Value>, ApiError> {
    run_engine(&state);
    let dir = state.dir();
    let o = order_of(&dir, caller, &p)?;
    Ok(Json(order_json(&dir, &state, o)))
}

/// Applies a `ModifyOrderResource` to a copy of an order.
fn apply_modify(o: &Order, m: &Map<String, Value>) -> Result<Order, ApiError> {
    let mut n = o.clone();
    if let Some(t) = enum_field(m, "type", engine::ORDER_TYPES, "modifyParams.Type")? {
        n.order_type = t;
    }
    if let Some(q) = dec_field(m, "quantity", "modifyParams.Quantity")? {
        if q <= Decimal::ZERO {
            return Err(ApiError::invalid(
                "modifyParams.Quantity",
                "Quantity must be greater than 0.",
            ));
        }
        n.quantity = q;
    }
    if let Some(v) = dec_field(m, "price", "modifyParams.Price")? {
        n.price = Some(v);
    }
    if let Some(v) = dec_field(m, "stopprice", "modifyParams.StopPrice")? {
        n.stop_price = Some(v);
    }
    if let Some(t) = enum_field(
        m,
        "timeinforce",
        engine::TIME_IN_FORCE,
        "modifyParams.TimeInForce",
    )? {
        n.time_in_force = t;
    }
    if let Some(d) = date_field(m, "expiredate") {
        n.expire_date = Some(d);
    }
    if m.contains_key("comment") {
        n.comment = str_field(m, "comment");
    }
    if m.contains_key("clientid") {
        n.client_id = str_field(m, "clientid");
    }
    if let Some(ei) = m.get("executioninstructions").and_then(Value::as_object) {
        for (k, v) in ei {
            n.execution_instructions.insert(
                k.clone(),
                v.as_str()
                    .map(str::to_string)
                    .unwrap_or_else(|| v.to_string()),
            );
        }
    }
    if let Some(a) = dec_field(m, "trailingstopamount", "modifyParams.TrailingStopAmount")? {
        let k = enum_field(
            m,
            "trailingstopamounttype",
            engine::AMOUNT_TYPES,
            "modifyParams.TrailingStopAmountType",
        )?;
        n.trailing_stop = Some((k.or(o.trailing_stop.map(|t| t.0)).unwrap_or("Absolute"), a));
    }
    Ok(n)
}

/// The modify body with its `Id` checked against the path (422 if missing or different).
fn modify_body(body: &Bytes, order_id: i32) -> Result<Map<String, Value>, ApiError> {
    let m = body_object(body, "modifyParams")?;
    match m.get("id").and_then(Value::as_i64) {
        Some(id) if id == i64::from(order_id) => Ok(m),
        Some(id) if (1..=i64::from(i32::MAX)).contains(&id) => Err(ApiError::invalid(
            "modifyParams.Id",
            "The Id must match the order id of the path.",
        )),
        _ => Err(ApiError::invalid(
            "modifyParams.Id",
            "The field Id must be between 1 and 2147483647.",
        )),
    }
}

async fn replace(
    State(state): State<AppState>,
    caller: Caller,
    Path(p): Path<OrderPath>,
    body: Bytes,
    sync: bool,
) -> Result<Json<Value>, ApiError> {
    let m = modify_body(&body, p.order_id)?;
    run_engine(&state);
    let mut dir = state.dir();
    let o = order_of(&dir, caller, &p)?.clone();
    if !o.is_open() || o.parent_id != -1 && o.status != "New" {
        return Err(ApiError::conflict(format!(
            "Order {} cannot be replaced in status {}.",
            o.id, o.status
        )));
    }
    let mut n = apply_modify(&o, &m)?;
    if n.quantity < o.executed {
        return Err(ApiError::conflict(
            "The new quantity is less than the executed quantity.",
        ));
    }
    if let Err(r) = engine::check(
        &dir,
        &state.market,
        &Order {
            executed: Decimal::ZERO,
            quantity: n.quantity - o.executed,
            ..n.clone()
        },
        &[],
    )
    .or_else(|r| {
        if o.kind == Kind::Single {
            Err(r)
        } else {
            Ok(())
        }
    }) {
        return Err(ApiError::conflict(r.text));
    }
    let now = state.market.now();
    n.target = "Modify";
    n.date = now;
    dir.trading.orders.insert(o.id, n);
    engine::set_status(&mut dir.trading, o.id, "PendingReplace", "", now);
    engine::set_status(
        &mut dir.trading,
        o.id,
        if o.executed.is_zero() {
            "New"
        } else {
            "PartiallyFilled"
        },
        "Replaced",
        now,
    );
    if sync {
        engine::process(&mut dir, &state.market);
    }
    Ok(Json(order_json(&dir, &state, &dir.trading.orders[&o.id])))
}

async fn cancel(
    State(state): State<AppState>,
    caller: Caller,
    Path(p): Path<OrderPath>,
) -> Result<Response, ApiError> {
    run_engine(&state);
    let mut dir = state.dir();
    let o = order_of(&dir, caller, &p)?.clone();
    if !o.is_open() {
        return Err(ApiError::conflict(format!(
            "Order {} cannot be canceled in status {}.",
            o.id, o.status
        )));
    }
    let now = state.market.now();
    engine::cancel(&mut dir.trading, o.id, now);
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// The `OrderDetailsModel` history of an order: one entry per report.
async fn details(
    State(state): State<AppState>,
    caller: Caller,
    Path(p): Path<OrderPath>,
) -> Result<Json<Value>, ApiError> {
    run_engine(&state);
    let dir = state.dir();
    let o = order_of(&dir, caller, &p)?;
    let login = dir
        .users
        .get(&o.user_id)
        .map(|u| u.seed.username.clone())
        .unwrap_or_default();
    let base = order_json(&dir, &state, o);
    let items: Vec<Value> = o
        .reports
        .iter()
        .map(|r| {
            json!({
                "IsRequest": r.last_quantity.is_zero(), "ExecutionTarget": o.target, "UserId": o.user_id, "Login": login,
                "CounterPartyOrderId": base["CounterPartyOrderId"], "ClientId": o.client_id, "RequestStatus": o.request_status,
                "ExecutionStatus": r.status, "LastQuantity": dec(r.last_quantity), "OrderStatusDescription": r.description,
                "ExecId": r.exec_id, "TransType": "New", "ParentRequestId": o.parent_id, "IsCompleted": !o.is_open(),
                "LocateRefId": "", "Id": r.id, "ExecInst": base["ExecInstNum"], "SecurityId": o.security_id,
                "LastPrice": dec(r.last_price), "Symbol": o.symbol, "Status": r.status, "CreateDate": date_ms(o.create_date),
                "Date": date_ms(r.date), "TransactionDate": date_ms(r.date),
                "ExpireDate": date_ms(o.expire_date.unwrap_or_else(crate::wire::empty_date)), "ExtendedHours": o.extended_hours,
                "Exchange": base["Exchange"], "Currency": "USD", "TimeInForce": o.time_in_force, "Price": opt_dec(o.price),
                "StopPrice": opt_dec(o.stop_price), "Type": o.order_type, "InitialType": o.order_type, "Quantity": dec(o.quantity),
                "TransactionDateText": crate::wire::us_datetime(r.date), "Side": o.side, "Legs": [],
                "ParentId": o.parent_id, "Name": base["Name"], "UnderlyingSymbol": base["UnderlyingSymbol"],
                "UnderlyingId": base["UnderlyingId"], "UnderlyingStrike": base["UnderlyingStrike"],
                "UnderlyingOptionType": base["UnderlyingOptionType"], "UnderlyingExpirationDate": base["UnderlyingExpirationDate"],
                "AveragePrice": dec(o.average_price()), "ExecutedQuantity": dec(o.executed), "LeavesQuantity": dec(o.leaves()),
                "RejectReason": o.reject_code, "ExecutionVenue": "PaperTrading", "VolumePrecision": 0, "Comment": o.comment,
                "SignalStrategyName": "", "ExecutionRuleName": "", "StateId": r.id, "RequestId": o.id,
                "BrokerServiceCommission": 0, "QuantityQualifier": "Shares", "ReinvestAction": 0,
                "ExecutionInstructions": o.execution_instructions,
            })
        })
        .collect();
    Ok(Json(Value::Array(items)))
}

/// The preview of draft orders: `IsSuccessful`, the rejection, the cost and the quotes.
fn preview_json(
    state: &AppState,
    dir: &Directory,
    orders: &[Order],
    order_id: Option<i32>,
) -> Value {
    let root = &orders[0];
    let legs: Vec<&Order> = orders[1..].iter().collect();
    let result: Result<(), Reject> = engine::check(dir, &state.market, root, &legs);
    let mut cost = Decimal::ZERO;
    let mut quotes = Vec::new();
    for o in orders.iter().filter(|o| o.security_id != 0) {
        let (Some(s), Some(q)) = (
            state.market.security_by_id(o.security_id),
            state.market.quote(o.security_id),
        ) else {
            continue;
        };
        let px = o.price.unwrap_or(if o.is_buy() { q.ask } else { q.bid });
        let signed = if o.is_buy() {
            Decimal::ONE
        } else {
            -Decimal::ONE
        };
        cost += signed * o.quantity * px * s.contract_size;
        quotes.push(crate::wire::quote_json(s, &q));
    }
    let (ok, code, text) = match &result {
        Ok(()) => (true, String::new(), String::new()),
        Err(r) => (false, r.code.to_string(), r.text.clone()),
    };
    let mut v = json!({
        "CurrencyRate": 1, "BasketCurrencyRates": "", "MaximumCommission": 0, "MinimumCommission": 0,
        "Commissions": {"Per Trade Commission": 0, "Per Contract Commission": 0}, "CommissionRates": {},
        "IsSuccessful": ok, "ErrorDescription": code, "ErrorDescriptionText": text,
        "ErrorDescriptionArgs": [], "Commission": 0, "Cost": dec(cost.round_dp(2)), "NetCost": dec(cost.round_dp(2)),
        "TotalCost": dec(cost.round_dp(2)), "Quotes": quotes, "MarginChange": dec(cost.abs().round_dp(2) / Decimal::TWO),
        "InitialMarginRate": 0.5, "MaintenanceMarginRate": 0.25, "MarginRate": 0.5,
    });
    if let Some(id) = order_id {
        v["OrderId"] = json!(id);
    }
    v
}

async fn preview_create(
    State(state): State<AppState>,
    caller: Caller,
    Path(p): Path<AccountPath>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    {
        let dir = state.dir();
        own_account(&dir, caller, p.account_id)?;
    }
    let m = body_object(&body, "placeParams")?;
    let orders = parse_create(&state, caller, p.account_id, &m, "placeParams", false)?;
    let dir = state.dir();
    Ok(Json(preview_json(&state, &dir, &orders, None)))
}

async fn preview_modify(
    State(state): State<AppState>,
    caller: Caller,
    Path(p): Path<OrderPath>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let m = modify_body(&body, p.order_id)?;
    run_engine(&state);
    let dir = state.dir();
    let o = order_of(&dir, caller, &p)?;
    let n = apply_modify(o, &m)?;
    Ok(Json(preview_json(&state, &dir, &[n], Some(p.order_id))))
}

async fn verified(
    State(state): State<AppState>,
    caller: Caller,
    Path(p): Path<OrderPath>,
) -> Result<Json<Value>, ApiError> {
    run_engine(&state);
    let dir = state.dir();
    let o = order_of(&dir, caller, &p)?.clone();
    let mut orders = vec![o.clone()];
    orders.extend(
        o.legs
            .iter()
            .filter_map(|id| dir.trading.orders.get(id).cloned()),
    );
    Ok(Json(preview_json(&state, &dir, &orders, Some(o.id))))
}

async fn limits(
    State(state): State<AppState>,
    caller: Caller,
    Path(p): Path<LimitsPath>,
    uri: Uri,
) -> Result<Json<Value>, ApiError> {
    let params = Params::parse(uri.query());
    let price = params
        .get("price")
        .and_then(|v| v.parse::<Decimal>().ok())
        .filter(|p| !p.is_zero());
    run_engine(&state);
    let dir = state.dir();
    let (account, _) = own_account(&dir, caller, p.account_id)?;
    let security = state
        .market
        .security_by_symbol(&p.symbol)
        .ok_or_else(|| ApiError::not_found(format!("Symbol '{}' is not found.", p.symbol)))?;
    let q = state
        .market
        .quote(security.id)
        .ok_or_else(|| ApiError::not_found("No quote."))?;
    let v = engine::valuation(&dir.trading, &state.market, account.id);
    let bp = engine::buying_power(account.margin_type, account.cash, &v);
    let (buy, sell) = (price.unwrap_or(q.ask), price.unwrap_or(q.bid));
    let held = dir
        .trading
        .positions
        .get(&(account.id, security.id))
        .map(|p| p.quantity)
        .unwrap_or_default();
    let per = |px: Decimal| {
        if px.is_zero() {
            Decimal::ZERO
        } else {
            (bp / (px * security.contract_size)).floor()
        }
    };
    let sell_limit = if account.margin_type == crate::config::MarginType::Margin {
        held.max(Decimal::ZERO) + per(sell)
    } else {
        held.max(Decimal::ZERO)
    };
    Ok(Json(json!({
        "BuyPrice": dec(buy), "SellPrice": dec(sell), "BuyLimit": dec(per(buy)), "SellLimit": dec(sell_limit),
        "AccountId": account.id, "Symbol": security.symbol,
    })))
}

//! Mutual-fund orders: `/v{version}/accounts/{clearingNumber}/orders/mutual-funds/...` (buy, sell,
//! exchange, liquidate), their previews and cancel. The path takes the account's clearing number
//! (e.g. `5DP05506`), not its id.
//!
//! Orders are validated when placed: a malformed body is a 422 `ModelState`, a business rule
//! (not a fund, not enough cash or shares, nothing to liquidate) is a 409 `{"Message"}`, and the
//! previews answer the same rules as `IsSuccessful: false` with the code. Accepted orders are
//! `New` and fill at the next daily NAV (the next UTC midnight, [`engine::work_funds`]).

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, post};
use axum::{Json, Router};
use http::StatusCode;
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::{json, Map, Value};

use crate::engine::{self, Kind, Order, Reject};
use crate::http::{ApiError, Caller};
use crate::orders::{body_object, dec_field, enum_field, run_engine, str_field};
use crate::state::{Account, AppState, Directory};
use crate::wire::dec;

/// The spec's `QuantityQualifier` values.
pub const QUANTITY_QUALIFIERS: &[&str] = &[
    "Shares",
    "EvenDollar",
    "GrossDollar",
    "MinusRounding",
    "PlusRounding",
];

/// What a fund request asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Buy shares or dollars of a fund.
    Buy,
    /// Sell shares or dollars of a fund.
    Sell,
    /// Sell a whole position and buy another fund with the proceeds.
    Exchange,
    /// Sell a whole position.
    Liquidate,
}

/// Routes of this module.
pub fn routes() -> Router<AppState> {
    let mut r = Router::new();
    for (name, action) in [
        ("buy", Action::Buy),
        ("sell", Action::Sell),
        ("exchange", Action::Exchange),
        ("liquidate", Action::Liquidate),
    ] {
        r = r
            .route(
                &format!("/{{version}}/accounts/{{account_id}}/orders/mutual-funds/{name}"),
                post(move |s, c, p, b| place(s, c, p, b, action)),
            )
            .route(
                &format!("/{{version}}/accounts/{{account_id}}/preview/orders/mutual-funds/{name}"),
                post(move |s, c, p, b| preview(s, c, p, b, action)),
            );
    }
    r.route(
        "/{version}/accounts/{account_id}/orders/mutual-funds/{order_id}",
        delete(cancel),
    )
}

/// Path of the fund routes (`account_id` is the clearing number).
#[derive(Debug, Deserialize)]
pub struct FundPath {
    /// The account's clearing number.
    pub account_id: String,
}

/// Path of the cancel route.
#[derive(Debug, Deserialize)]
pub struct FundOrderPath {
    /// The account's clearing number.
    pub account_id: String,
    /// The fund order id.
    pub order_id: i32,
}

/// The caller's account with this clearing number: someone else's is 401, an unknown number 400.
pub fn account_by_clearing<'d>(
    dir: &'d Directory,
    caller: Caller,
    clearing: &str,
) -> Result<&'d Account, ApiError> {
    let account = dir
        .accounts
        .values()
        .find(|a| a.clearing_account.eq_ignore_ascii_case(clearing.trim()))
        .ok_or_else(|| ApiError::bad_request(format!("Account '{clearing}' is not found.")))?;
    if account.owner_id != caller.user_id {
        return Err(ApiError::Denied);
    }
    Ok(account)
}

fn reject(code: &'static str, text: impl Into<String>) -> Reject {
    Reject {
        code,
        text: text.into(),
    }
}

/// One fund order to place: security, side, shares or dollars.
struct Leg {
    security_id: i32,
    symbol: String,
    side: &'static str,
    shares: Decimal,
    dollars: Option<Decimal>,
    qualifier: &'static str,
}

/// Parses and checks a request into the orders it places (an exchange is a sell then a buy).
fn plan(
    dir: &Directory,
    state: &AppState,
    account: &Account,
    m: &Map<String, Value>,
    action: Action,
) -> Result<Result<Vec<Leg>, Reject>, ApiError> {
    let market = &state.market;
    let symbol_key = |key: &str, field: &str| -> Result<String, ApiError> {
        let s = str_field(m, key);
        if s.trim().is_empty() {
            Err(ApiError::invalid(
                format!("resource.{field}"),
                format!("The {field} field is required."),
            ))
        } else {
            Ok(s.trim().to_string())
        }
    };
    let (symbol, target) = match action {
        Action::Exchange => (
            symbol_key("sourcesymbol", "SourceSymbol")?,
            Some(symbol_key("targetsymbol", "TargetSymbol")?),
        ),
        _ => (symbol_key("symbol", "Symbol")?, None),
    };
    let (quantity, qualifier) = match action {
        Action::Buy | Action::Sell => {
            let q = dec_field(m, "quantity", "resource.Quantity")?;
            let q = match q {
                Some(q) if q > Decimal::ZERO => q,
                _ => {
                    return Err(ApiError::invalid(
                        "resource.Quantity",
                        "Quantity must be greater than 0.",
                    ))
                }
            };
            let qualifier = enum_field(
                m,
                "quantityqualifier",
                QUANTITY_QUALIFIERS,
                "resource.QuantityQualifier",
            )?
            .unwrap_or("Shares");
            (q, qualifier)
        }
        _ => (Decimal::ZERO, "Shares"),
    };
    let fund = |symbol: &str| {
        market
            .security_by_symbol(symbol)
            .filter(|s| s.is_mutual_fund())
            .ok_or_else(|| {
                reject(
                    "SymbolNotFound",
                    format!("Mutual fund '{symbol}' is not found."),
                )
            })
    };
    let source = match fund(&symbol) {
        Ok(s) => s,
        Err(r) => return Ok(Err(r)),
    };
    let nav = market.quote(source.id).map(|q| q.last).unwrap_or_default();
    let held = dir
        .trading
        .positions
        .get(&(account.id, source.id))
        .map(|p| p.quantity)
        .unwrap_or_default();
    let pending: Vec<&Order> = dir
        .trading
        .orders
        .values()
        .filter(|o| o.account_id == account.id && o.kind == Kind::Fund && o.is_open())
        .collect();
    let pending_sells: Decimal = pending
        .iter()
        .filter(|o| o.security_id == source.id && !o.is_buy())
        .map(|o| o.quantity)
        .sum();
    let pending_buys: Decimal = pending
        .iter()
        .filter(|o| {
            o.is_buy()
                && !o
                    .execution_instructions
                    .contains_key(engine::FUND_EXCHANGE_OF)
        })
        .map(|o| {
            o.execution_instructions
                .get(engine::FUND_AMOUNT)
                .and_then(|a| a.parse().ok())
                .unwrap_or_else(|| {
                    o.quantity
                        * market
                            .quote(o.security_id)
                            .map(|q| q.last)
                            .unwrap_or_default()
                })
        })
        .sum();
    let available = (held - pending_sells).max(Decimal::ZERO);
    let dollars = matches!(qualifier, "EvenDollar" | "GrossDollar");
    let shares = if dollars {
        if nav.is_zero() {
            Decimal::ZERO
        } else {
            (quantity / nav).round_dp(3)
        }
    } else {
        quantity
    };
    let leg = |security: &crate::market::Security, side, shares, dollars| Leg {
        security_id: security.id,
        symbol: security.symbol.clone(),
        side,
        shares,
        dollars,
        qualifier,
    };
    Ok(match action {
        Action::Buy => {
            let cost = if dollars { quantity } else { quantity * nav };
            if cost + pending_buys > account.cash {
                Err(reject(
                    "InsufficientFunds",
                    format!("Not enough cash to buy {} of {}.", dec(cost), source.symbol),
                ))
            } else {
                Ok(vec![leg(
                    source,
                    "Buy",
                    shares,
                    dollars.then_some(quantity),
                )])
            }
        }
        Action::Sell if shares > available => Err(reject(
            "InsufficientShares",
            format!("Not enough shares of {} to sell.", source.symbol),
        )),
        Action::Sell => Ok(vec![leg(
            source,
            "Sell",
            shares,
            dollars.then_some(quantity),
        )]),
        Action::Liquidate | Action::Exchange if available <= Decimal::ZERO => Err(reject(
            "InsufficientShares",
            format!("No position in {} to sell.", source.symbol),
        )),
        Action::Liquidate => Ok(vec![leg(source, "Sell", available, None)]),
        Action::Exchange => {
            let target = target.unwrap_or_default();
            match fund(&target) {
                Err(r) => Err(r),
                Ok(t) if t.id == source.id => Err(reject(
                    "InvalidOrderType",
                    "The source and target funds of an exchange must differ.",
                )),
                Ok(t) => Ok(vec![
                    leg(source, "Sell", available, None),
                    leg(t, "Buy", Decimal::ZERO, None),
                ]),
            }
        }
    })
}

fn fund_json(o: &Order) -> Value {
    json!({
        "Id": o.id, "Status": o.status, "ExecutionStatus": o.status, "Description": o.description,
        "ExecutedQuantity": dec(o.executed), "Quantity": dec(o.quantity),
    })
}

async fn place(
    State(state): State<AppState>,
    caller: Caller,
    Path(p): Path<FundPath>,
    body: Bytes,
    action: Action,
) -> Result<Json<Value>, ApiError> {
    run_engine(&state);
    let m = body_object(&body, "resource")?;
    let mut dir = state.dir();
    let account = account_by_clearing(&dir, caller, &p.account_id)?.clone();
    let legs = plan(&dir, &state, &account, &m, action)?.map_err(|r| ApiError::conflict(r.text))?;
    let now = state.market.now();
    let reinvest = [
        "reinvestdividends",
        "reinvestshorttermgains",
        "reinvestlongtermgains",
    ];
    let mut ids = Vec::new();
    for l in legs {
        let id = dir.trading.next_id();
        let mut instructions = std::collections::BTreeMap::new();
        instructions.insert(engine::FUND_QUALIFIER.to_string(), l.qualifier.to_string());
        if let Some(d) = l.dollars {
            instructions.insert(engine::FUND_AMOUNT.to_string(), d.normalize().to_string());
        }
        if l.side == "Buy" {
            if let Some(sell) = ids.first() {
                instructions.insert(engine::FUND_EXCHANGE_OF.to_string(), format!("{sell}"));
            }
            for key in reinvest {
                if m.get(key).and_then(Value::as_bool).unwrap_or(false) {
                    instructions.insert(key.to_string(), "true".to_string());
                }
            }
        }
        let description = match (action, l.side) {
            (Action::Exchange, "Buy") => format!("Exchange into {}", l.symbol),
            (Action::Exchange, _) => format!("Exchange out of {}", l.symbol),
            (Action::Liquidate, _) => format!("Liquidate {}", l.symbol),
            _ => format!("{} {} {}", l.side, l.shares.normalize(), l.symbol),
        };
        dir.trading.orders.insert(
            id,
            Order {
                id,
                account_id: account.id,
                user_id: caller.user_id,
                security_id: l.security_id,
                symbol: l.symbol,
                side: l.side,
                order_type: "Market",
                time_in_force: "Day",
                exec_inst: "None",
                quantity: l.shares,
                price: None,
                stop_price: None,
                trailing_stop: None,
                trailing_limit: None,
                client_id: format!("MF{id}"),
                comment: String::new(),
                exchange: "FUND".to_string(),
                extended_hours: String::new(),
                expire_date: None,
                execution_instructions: instructions,
                status: "New",
                request_status: "Validated",
                target: "New",
                description,
                reject_code: String::new(),
                executed: Decimal::ZERO,
                notional: Decimal::ZERO,
                last_price: Decimal::ZERO,
                last_quantity: Decimal::ZERO,
                create_date: now,
                date: now,
                parent_id: -1,
                legs: Vec::new(),
                kind: Kind::Fund,
                active: true,
                triggered: false,
                trail_reference: None,
                last_fill_tick: None,
                synchronous: false,
                reports: Vec::new(),
            },
        );
        engine::report(&mut dir.trading, id, now, Decimal::ZERO, Decimal::ZERO);
        ids.push(id);
    }
    // An exchange answers with its sell; cancelling either cancels both.
    let first = ids.first().copied().unwrap_or_default();
    Ok(Json(fund_json(&dir.trading.orders[&first])))
}

async fn preview(
    State(state): State<AppState>,
    caller: Caller,
    Path(p): Path<FundPath>,
    body: Bytes,
    action: Action,
) -> Result<Json<Value>, ApiError> {
    run_engine(&state);
    let m = body_object(&body, "resource")?;
    let dir = state.dir();
    let account = account_by_clearing(&dir, caller, &p.account_id)?;
    let outcome = plan(&dir, &state, account, &m, action)?;
    Ok(Json(match outcome {
        Ok(_) => {
            json!({"IsSuccessful": true, "ErrorDescription": "", "ErrorDescriptionText": "", "ErrorDescriptionArgs": []})
        }
        Err(r) => {
            json!({"IsSuccessful": false, "ErrorDescription": r.code, "ErrorDescriptionText": r.text, "ErrorDescriptionArgs": []})
        }
    }))
}

async fn cancel(
    State(state): State<AppState>,
    caller: Caller,
    Path(p): Path<FundOrderPath>,
) -> Result<Response, ApiError> {
    run_engine(&state);
    let mut dir = state.dir();
    let account_id = account_by_clearing(&dir, caller, &p.account_id)?.id;
    let order = dir
        .trading
        .orders
        .get(&p.order_id)
        .filter(|o| o.account_id == account_id && o.kind == Kind::Fund)
        .cloned()
        .ok_or_else(|| ApiError::conflict(format!("Order {} is not found.", p.order_id)))?;
    if !order.is_open() {
        return Err(ApiError::conflict(format!(
            "Order {} is {} and cannot be cancelled.",
            order.id, order.status
        )));
    }
    let now = state.market.now();
    let linked: Vec<i32> = dir
        .trading
        .orders
        .values()
        .filter(|o| o.kind == Kind::Fund && o.is_open())
        .filter(|o| {
            o.execution_instructions.get(engine::FUND_EXCHANGE_OF) == Some(&order.id.to_string())
                || order.execution_instructions.get(engine::FUND_EXCHANGE_OF)
                    == Some(&o.id.to_string())
        })
        .map(|o| o.id)
        .collect();
    for id in std::iter::once(order.id).chain(linked) {
        engine::cancel(&mut dir.trading, id, now);
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}

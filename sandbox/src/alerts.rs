//! Price alerts of a user, `/v{version}/users/{userId}/pricealerts`.
//!
//! An alert watches one field (`Ask`, `Bid` or `Last`) of a market security against an argument with
//! `GTEQ` or `LTEQ`. Dates are Unix seconds (CATALOGUE §6.2). Alerts are evaluated against the
//! simulated market whenever they are read: a `New` alert whose condition holds becomes `Completed`,
//! one past its expiration becomes `Expired`; `Stopped` alerts are not evaluated.
//!
//! Missing required fields (`Operator`, `Field`, `ExpirationDate`) are 422; a missing or unknown
//! security, a missing argument, an unknown operator, field or state, or an expiration in the past
//! are 409, as is an absent alert where the operation declares 409 (reading one is 422 on `alertId`).

use axum::extract::{OriginalUri, Path, State};
use axum::response::Response;
use axum::routing::get;
use axum::{Json, Router};
use bytes::Bytes;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::extract::parse_body;
use crate::http::{ApiError, Caller, UserRef};
use crate::listing::{self, MissingParams, Page, Params};
use crate::market::{Market, Quote};
use crate::state::AppState;
use crate::store::Store;
use crate::users::self_only;

/// Routes of this module.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/{version}/users/{user_id}/pricealerts",
            get(list).post(create),
        )
        .route(
            "/{version}/users/{user_id}/pricealerts/{alert_id}",
            get(get_one).put(modify).delete(remove),
        )
}

/// Comparison operators.
pub const OPERATORS: &[&str] = &["GTEQ", "LTEQ"];
/// Quote fields an alert may watch.
pub const FIELDS: &[&str] = &["Ask", "Bid", "Last"];

/// The spec's `PriceAlertState`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum AlertState {
    /// Armed.
    New,
    /// Past its expiration without firing.
    Expired,
    /// Fired.
    Completed,
    /// Paused by the user.
    Stopped,
}

/// One price alert.
#[derive(Clone, Debug, PartialEq)]
pub struct PriceAlert {
    /// Id.
    pub id: i32,
    /// Owner.
    pub user_id: i32,
    /// State.
    pub state: AlertState,
    /// Created, Unix seconds.
    pub created: i64,
    /// `GTEQ` or `LTEQ`.
    pub operator: String,
    /// Security watched.
    pub security_id: i32,
    /// Its symbol.
    pub symbol: String,
    /// `Ask`, `Bid` or `Last`.
    pub field: String,
    /// Threshold.
    pub argument: Decimal,
    /// Expiration, Unix seconds.
    pub expiration: i64,
}

impl PriceAlert {
    /// Whether the condition holds for this quote.
    pub fn holds(&self, quote: &Quote) -> bool {
        let value = match self.field.as_str() {
            "Ask" => quote.ask,
            "Bid" => quote.bid,
            _ => quote.last,
        };
        match self.operator.as_str() {
            "GTEQ" => value >= self.argument,
            _ => value <= self.argument,
        }
    }

    /// Moves a `New` alert to `Completed` or `Expired` against the market now.
    pub fn evaluate(&mut self, market: &Market) {
        if self.state != AlertState::New {
            return;
        }
        let now = market.now().timestamp();
        if market
            .quote(self.security_id)
            .is_some_and(|q| self.holds(&q))
        {
            self.state = AlertState::Completed;
        } else if now > self.expiration {
            self.state = AlertState::Expired;
        }
    }
}

/// The spec's `PriceAlertInfoModel`.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
#[allow(missing_docs)]
pub struct PriceAlertInfoModel {
    pub id: i32,
    pub state: AlertState,
    pub created_date: i64,
    pub operator: String,
    pub security_id: i32,
    pub symbol: String,
    pub field: String,
    #[serde(with = "rust_decimal::serde::float")]
    pub argument: Decimal,
    pub expiration_date: i64,
}

impl From<&PriceAlert> for PriceAlertInfoModel {
    fn from(a: &PriceAlert) -> Self {
        PriceAlertInfoModel {
            id: a.id,
            state: a.state,
            created_date: a.created,
            operator: a.operator.clone(),
            security_id: a.security_id,
            symbol: a.symbol.clone(),
            field: a.field.clone(),
            argument: a.argument,
            expiration_date: a.expiration,
        }
    }
}

/// The spec's `PriceAlertEditableModel`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
#[allow(missing_docs)]
pub struct PriceAlertEditableModel {
    pub operator: Option<String>,
    pub state: Option<String>,
    pub security_id: Option<i64>,
    pub field: Option<String>,
    pub argument: Option<Decimal>,
    pub expiration_date: Option<i64>,
}

/// A validated alert body.
struct Trigger {
    state: AlertState,
    operator: String,
    security_id: i32,
    symbol: String,
    field: String,
    argument: Decimal,
    expiration: i64,
}

fn validate(market: &Market, body: &Bytes) -> Result<Trigger, ApiError> {
    let m: PriceAlertEditableModel = parse_body("model", body)?;
    let mut errors = Vec::new();
    let operator = m.operator.unwrap_or_default().trim().to_string();
    let field = m.field.unwrap_or_default().trim().to_string();
    if operator.is_empty() {
        errors.push((
            "model.Operator".into(),
            "The Operator field is required.".into(),
        ));
    }
    if field.is_empty() {
        errors.push(("model.Field".into(), "The Field field is required.".into()));
    }
    match m.expiration_date {
        None => errors.push((
            "model.ExpirationDate".into(),
            "The ExpirationDate field is required.".into(),
        )),
        Some(e) if e < 0 => errors.push((
            "model.ExpirationDate".into(),
            "ExpirationDate must not be negative.".into(),
        )),
        Some(_) => {}
    }
    if m.argument.is_some_and(|a| a < Decimal::ZERO) {
        errors.push((
            "model.Argument".into(),
            "Argument must not be negative.".into(),
        ));
    }
    if m.security_id
        .is_some_and(|s| !(0..=i64::from(i32::MAX)).contains(&s))
    {
        errors.push((
            "model.SecurityId".into(),
            "SecurityId is out of range.".into(),
        ));
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation {
            model_state: errors,
        });
    }
    let operator = OPERATORS
        .iter()
        .find(|o| o.eq_ignore_ascii_case(&operator))
        .ok_or_else(|| {
            ApiError::conflict(format!("Unknown operator '{operator}': GTEQ or LTEQ"))
        })?;
    let field = FIELDS
        .iter()
        .find(|f| f.eq_ignore_ascii_case(&field))
        .ok_or_else(|| ApiError::conflict(format!("Unknown field '{field}': Ask, Bid or Last")))?;
    let state = match m.state.as_deref().map(str::trim) {
        None | Some("") | Some("New") => AlertState::New,
        Some("Stopped") => AlertState::Stopped,
        Some(other) => {
            return Err(ApiError::conflict(format!(
                "An alert cannot be set to the state '{other}': New or Stopped"
            )))
        }
    };
    let security_id =
        m.security_id
            .filter(|s| *s > 0)
            .ok_or_else(|| ApiError::conflict("The alert needs a SecurityId"))? as i32;
    let security = market
        .security_by_id(security_id)
        .ok_or_else(|| ApiError::conflict(format!("Security {security_id} does not exist")))?;
    let argument = m
        .argument
        .filter(|a| *a > Decimal::ZERO)
        .ok_or_else(|| ApiError::conflict("The alert needs a positive Argument"))?;
    let expiration = m.expiration_date.unwrap_or_default();
    if expiration <= market.now().timestamp() {
        return Err(ApiError::conflict(
            "The expiration date must be in the future (Unix seconds)",
        ));
    }
    Ok(Trigger {
        state,
        operator: operator.to_string(),
        security_id,
        symbol: security.symbol.clone(),
        field: field.to_string(),
        argument,
        expiration,
    })
}

/// Path with a user.
#[derive(Debug, Deserialize)]
pub struct UserPath {
    /// Numeric id or `@me`.
    pub user_id: UserRef,
}

/// Path with a user and an alert.
#[derive(Debug, Deserialize)]
pub struct AlertPath {
    /// Numeric id or `@me`.
    pub user_id: UserRef,
    /// Alert id.
    pub alert_id: i32,
}

fn find<'s>(
    store: &'s mut Store,
    market: &Market,
    user_id: i32,
    id: i32,
) -> Option<&'s mut PriceAlert> {
    let alert = store.alerts.get_mut(&id).filter(|a| a.user_id == user_id)?;
    alert.evaluate(market);
    Some(alert)
}

fn missing(id: i32) -> ApiError {
    ApiError::conflict(format!("Price alert {id} does not exist"))
}

/// `POST /v{version}/users/{userId}/pricealerts`.
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    Path(p): Path<UserPath>,
    body: Bytes,
) -> Result<Json<PriceAlertInfoModel>, ApiError> {
    let user_id = self_only(caller, p.user_id)?;
    let t = validate(&state.market, &body)?;
    let mut store = state.rest();
    let id = store.next_id();
    let mut alert = PriceAlert {
        id,
        user_id,
        state: t.state,
        created: state.market.now().timestamp(),
        operator: t.operator,
        security_id: t.security_id,
        symbol: t.symbol,
        field: t.field,
        argument: t.argument,
        expiration: t.expiration,
    };
    alert.evaluate(&state.market);
    let model = PriceAlertInfoModel::from(&alert);
    store.alerts.insert(id, alert);
    Ok(Json(model))
}

/// `GET .../pricealerts/{alertId}`: absent is 422 on `alertId` (the operation declares no 404 or 409).
pub async fn get_one(
    State(state): State<AppState>,
    caller: Caller,
    Path(p): Path<AlertPath>,
) -> Result<Json<PriceAlertInfoModel>, ApiError> {
    let user_id = self_only(caller, p.user_id)?;
    let mut store = state.rest();
    find(&mut store, &state.market, user_id, p.alert_id)
        .map(|a| Json(PriceAlertInfoModel::from(&*a)))
        .ok_or_else(|| {
            ApiError::invalid(
                "alertId",
                format!("Price alert {} does not exist", p.alert_id),
            )
        })
}

/// `PUT .../pricealerts/{alertId}`: replaces the trigger (send all six fields; same rules as
/// create); absent 409.
pub async fn modify(
    State(state): State<AppState>,
    caller: Caller,
    Path(p): Path<AlertPath>,
    body: Bytes,
) -> Result<Json<PriceAlertInfoModel>, ApiError> {
    let user_id = self_only(caller, p.user_id)?;
    let t = validate(&state.market, &body)?;
    let mut store = state.rest();
    let alert =
        find(&mut store, &state.market, user_id, p.alert_id).ok_or_else(|| missing(p.alert_id))?;
    alert.state = t.state;
    alert.operator = t.operator;
    alert.security_id = t.security_id;
    alert.symbol = t.symbol;
    alert.field = t.field;
    alert.argument = t.argument;
    alert.expiration = t.expiration;
    alert.evaluate(&state.market);
    Ok(Json(PriceAlertInfoModel::from(&*alert)))
}

/// `DELETE .../pricealerts/{alertId}`: 204; absent 409.
pub async fn remove(
    State(state): State<AppState>,
    caller: Caller,
    Path(p): Path<AlertPath>,
) -> Result<Response, ApiError> {
    let user_id = self_only(caller, p.user_id)?;
    let mut store = state.rest();
    find(&mut store, &state.market, user_id, p.alert_id).ok_or_else(|| missing(p.alert_id))?;
    store.alerts.remove(&p.alert_id);
    Ok(crate::extract::no_content())
}

/// The paging parameters of a `sortBy`/`isDesc` list (`pageSize`, `pageNumber`, `sortBy`, `isDesc`
/// all required; missing ones are 404 with `how`; malformed or out-of-range ones 422).
pub fn sort_by_page(
    state: &AppState,
    uri: &http::Uri,
    how: MissingParams,
) -> Result<(Params, Page, Option<String>, bool), ApiError> {
    let params = Params::parse(uri.query());
    listing::require(
        state,
        uri,
        &params,
        &["pageSize", "pageNumber", "sortBy", "isDesc"],
        how,
    )?;
    let size = params.int("pageSize")?.unwrap_or(0);
    let number = params.int("pageNumber")?.unwrap_or(0);
    let desc = params.boolean("isDesc")?.unwrap_or(false);
    if !(1..=100).contains(&size) {
        return Err(ApiError::invalid(
            "pageSize",
            "pageSize must be between 1 and 100.",
        ));
    }
    if number < 0 {
        return Err(ApiError::invalid(
            "pageNumber",
            "pageNumber must not be negative.",
        ));
    }
    let sort = params.get("sortBy").map(str::to_string);
    Ok((params, Page { number, size }, sort, desc))
}

/// `GET .../pricealerts?pageSize=&pageNumber=&sortBy=&isDesc=`: the `PagingResult` of the user's
/// alerts, sorted by any field of the model (case-insensitive); missing parameters are the 404
/// `UnsupportedApiVersion` body.
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Path(p): Path<UserPath>,
    OriginalUri(uri): OriginalUri,
) -> Result<Json<Value>, ApiError> {
    let user_id = self_only(caller, p.user_id)?;
    let (_, page, sort, desc) = sort_by_page(&state, &uri, MissingParams::UnsupportedApiVersion)?;
    let mut store = state.rest();
    let items: Vec<Value> = store
        .alerts
        .values_mut()
        .filter(|a| a.user_id == user_id)
        .map(|a| {
            a.evaluate(&state.market);
            serde_json::to_value(PriceAlertInfoModel::from(&*a)).unwrap_or_default()
        })
        .collect();
    let filter = listing::parse_filter(None)?;
    Ok(Json(listing::list(
        &state,
        &uri,
        items,
        &filter,
        &crate::filter::no_enums,
        sort.as_deref(),
        desc,
        page,
    )))
}

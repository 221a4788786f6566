//! Watchlists of a user, `/v{version}/users/{userId}/watchlists`.
//!
//! Every user starts with one read-only `SystemList` ("Most Active", the five securities of the
//! market with the highest daily volume) and may create `UserList`s: names are unique per user
//! (case-insensitive, 409 on a duplicate), securities must exist in the market (409 otherwise) and
//! appear at most once. An absent watchlist, a read-only one being changed, a security already in the
//! list or not in it are 409 as well.
//!
//! Every change is published to the data streamer (under the store lock, so in order):
//! `Watchlist` (key: the user) on create, rename and delete, `WatchlistContent` (key: the
//! watchlist) on securities added or removed.

use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::{get, put};
use axum::{Json, Router};
use bytes::Bytes;
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::extract::{parse_body, VQuery};
use crate::http::{iso_millis, ApiError, Caller, UserRef};
use crate::market::{Market, Security};
use crate::state::AppState;
use crate::store::Store;
use crate::users::self_only;
use crate::wire::empty_date;

/// Routes of this module.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/{version}/users/{user_id}/watchlists",
            get(list).post(create),
        )
        .route(
            "/{version}/users/{user_id}/watchlists/{watchlist_id}",
            get(get_one).delete(remove),
        )
        .route(
            "/{version}/users/{user_id}/watchlists/{watchlist_id}/securities",
            put(add_by_symbol).delete(remove_by_symbol),
        )
        .route(
            "/{version}/users/{user_id}/watchlists/{watchlist_id}/name",
            put(rename),
        )
        .route(
            "/{version}/users/{user_id}/watchlists/{watchlist_id}/securities/{security_id}",
            put(add_by_id).delete(remove_by_id),
        )
}

/// Longest watchlist name.
pub const MAX_NAME_LEN: usize = 50;
/// Most securities in one watchlist.
pub const MAX_SECURITIES: usize = 200;
/// Name of the seeded system list.
pub const SYSTEM_LIST_NAME: &str = "Most Active";

/// One watchlist.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Watchlist {
    /// Id.
    pub id: i32,
    /// Owner.
    pub user_id: i32,
    /// Name.
    pub name: String,
    /// `UserList` or `SystemList`.
    pub kind: &'static str,
    /// Whether it may be changed.
    pub read_only: bool,
    /// Security ids, in the order added.
    pub securities: Vec<i32>,
    /// Created.
    pub create_date: DateTime<Utc>,
    /// Last changed.
    pub modify_date: DateTime<Utc>,
}

/// The spec's `SecurityModel`, built from a market security.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
#[allow(missing_docs)]
pub struct SecurityModel {
    pub id: i32,
    pub symbol: String,
    pub suffix: String,
    pub description: String,
    pub exchange: String,
    pub currency: String,
    pub base_currency: String,
    #[serde(with = "iso_millis")]
    pub added_date: DateTime<Utc>,
    #[serde(with = "iso_millis")]
    pub modify_date: DateTime<Utc>,
    #[serde(rename = "Type")]
    pub kind: &'static str,
    pub source: i32,
    pub parent_id: i32,
    pub unit: String,
    pub option_type: &'static str,
    pub expiration_type: &'static str,
    #[serde(with = "iso_millis")]
    pub expiration_date: DateTime<Utc>,
    #[serde(with = "rust_decimal::serde::float")]
    pub strike_price: Decimal,
    pub series_id: i32,
    pub underlying_security_symbol: String,
    #[serde(with = "rust_decimal::serde::float")]
    pub contract_size: Decimal,
    pub sector: String,
    pub industry: String,
    pub precision: i32,
    pub volume_precision: i32,
    pub isin: String,
    pub sedol: String,
    pub cusip: String,
    #[serde(with = "rust_decimal::serde::float")]
    pub tick_size: Decimal,
    #[serde(with = "rust_decimal::serde::float")]
    pub margin_rate: Decimal,
}

impl From<&Security> for SecurityModel {
    fn from(s: &Security) -> Self {
        let option = s.option.as_ref();
        SecurityModel {
            id: s.id,
            symbol: s.symbol.clone(),
            suffix: String::new(),
            description: s.description.clone(),
            exchange: s.exchange.to_string(),
            currency: s.currency.to_string(),
            base_currency: s.currency.to_string(),
            added_date: s.added_date,
            modify_date: s.added_date,
            kind: s.security_type.as_str(),
            source: 0,
            parent_id: option.map(|o| o.underlying_id).unwrap_or(0),
            unit: String::new(),
            option_type: match option.map(|o| o.option_type) {
                Some(crate::market::OptionType::Call) => "Call",
                Some(crate::market::OptionType::Put) => "Put",
                None => "Undefined",
            },
            expiration_type: option
                .map(|o| o.expiration_type.as_str())
                .unwrap_or("Undefined"),
            expiration_date: option.map(|o| o.expires_at()).unwrap_or_else(empty_date),
            strike_price: option.map(|o| o.strike).unwrap_or_default(),
            series_id: option.map(|o| o.series_id).unwrap_or(0),
            underlying_security_symbol: option
                .map(|o| o.underlying_symbol.clone())
                .unwrap_or_default(),
            contract_size: s.contract_size,
            sector: s.sector.to_string(),
            industry: s.industry.to_string(),
            precision: s.tick_size.scale() as i32,
            volume_precision: 0,
            isin: s.isin.clone(),
            sedol: String::new(),
            cusip: s.cusip.clone(),
            tick_size: s.tick_size,
            margin_rate: s.margin_rate,
        }
    }
}

/// The spec's `WatchlistModel`.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
#[allow(missing_docs)]
pub struct WatchlistModel {
    pub id: i32,
    pub name: String,
    pub description: String,
    #[serde(rename = "Type")]
    pub kind: &'static str,
    #[serde(with = "iso_millis")]
    pub create_date: DateTime<Utc>,
    #[serde(with = "iso_millis")]
    pub modify_date: DateTime<Utc>,
    pub source: String,
    pub read_only: bool,
    /// The securities (`[]` unless asked for).
    pub security_list: Vec<SecurityModel>,
}

impl WatchlistModel {
    /// The model of `w`, with its securities if `with_securities`.
    pub fn new(market: &Market, w: &Watchlist, with_securities: bool) -> WatchlistModel {
        WatchlistModel {
            id: w.id,
            name: w.name.clone(),
            description: if w.read_only {
                "Most traded securities of the sandbox market".to_string()
            } else {
                String::new()
            },
            kind: w.kind,
            create_date: w.create_date,
            modify_date: w.modify_date,
            source: if w.read_only { "System" } else { "User" }.to_string(),
            read_only: w.read_only,
            security_list: if with_securities {
                w.securities
                    .iter()
                    .filter_map(|id| market.security_by_id(*id))
                    .map(SecurityModel::from)
                    .collect()
            } else {
                Vec::new()
            },
        }
    }
}

/// Seeds the system list of `user_id` on first access.
fn seed_user(store: &mut Store, market: &Market, user_id: i32) {
    if !store.seeded_watchlists.insert(user_id) {
        return;
    }
    let mut liquid: Vec<&Security> = market
        .securities()
        .iter()
        .filter(|s| !s.is_option() && !s.is_mutual_fund())
        .collect();
    liquid.sort_by_key(|s| (std::cmp::Reverse(s.daily_volume), s.id));
    let id = store.next_id();
    let created = market.now();
    store.watchlists.insert(
        id,
        Watchlist {
            id,
            user_id,
            name: SYSTEM_LIST_NAME.to_string(),
            kind: "SystemList",
            read_only: true,
            securities: liquid.iter().take(5).map(|s| s.id).collect(),
            create_date: created,
            modify_date: created,
        },
    );
}

/// The user's store, seeded.
fn user_store<'a>(
    state: &'a AppState,
    caller: Caller,
    user: UserRef,
) -> Result<(std::sync::MutexGuard<'a, Store>, i32), ApiError> {
    let id = self_only(caller, user)?;
    let mut store = state.rest();
    seed_user(&mut store, &state.market, id);
    Ok((store, id))
}

fn find(store: &mut Store, user_id: i32, id: i32) -> Result<&mut Watchlist, ApiError> {
    store
        .watchlists
        .get_mut(&id)
        .filter(|w| w.user_id == user_id)
        .ok_or_else(|| ApiError::conflict(format!("Watchlist {id} does not exist")))
}

fn writable(store: &mut Store, user_id: i32, id: i32) -> Result<&mut Watchlist, ApiError> {
    let w = find(store, user_id, id)?;
    if w.read_only {
        return Err(ApiError::conflict(format!("Watchlist {id} is read-only")));
    }
    Ok(w)
}

/// Path with a user.
#[derive(Debug, Deserialize)]
pub struct UserPath {
    /// Numeric id or `@me`.
    pub user_id: UserRef,
}

/// Path with a user and a watchlist.
#[derive(Debug, Deserialize)]
pub struct WatchlistPath {
    /// Numeric id or `@me`.
    pub user_id: UserRef,
    /// Watchlist id.
    pub watchlist_id: i32,
}

/// Path with a user, a watchlist and a security.
#[derive(Debug, Deserialize)]
pub struct SecurityPath {
    /// Numeric id or `@me`.
    pub user_id: UserRef,
    /// Watchlist id.
    pub watchlist_id: i32,
    /// Security id.
    pub security_id: i32,
}

/// `?includeSecurities=` (required).
#[derive(Debug, Deserialize)]
pub struct IncludeQuery {
    /// Whether to fill `SecurityList`.
    #[serde(rename = "includesecurities")]
    pub include_securities: bool,
}

/// `?resultIncludeSecurities=` (required).
#[derive(Debug, Deserialize)]
pub struct ResultIncludeQuery {
    /// Whether to fill `SecurityList` of the answer.
    #[serde(rename = "resultincludesecurities")]
    pub result_include_securities: bool,
}

/// `GET /v{version}/users/{userId}/watchlists?includeSecurities=`: every watchlist, by id.
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Path(p): Path<UserPath>,
    VQuery(q): VQuery<IncludeQuery>,
) -> Result<Json<Vec<WatchlistModel>>, ApiError> {
    let (store, id) = user_store(&state, caller, p.user_id)?;
    Ok(Json(
        store
            .watchlists
            .values()
            .filter(|w| w.user_id == id)
            .map(|w| WatchlistModel::new(&state.market, w, q.include_securities))
            .collect(),
    ))
}

/// The spec's `CreateWatchlistModel`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct CreateWatchlistModel {
    /// Name.
    pub name: Option<String>,
    /// Security ids to start with.
    pub securities: Option<Vec<i32>>,
}

/// A name's model error, if any.
fn name_error(param: &str, name: &str) -> Option<ApiError> {
    if name.is_empty() {
        Some(ApiError::invalid(param, "The Name field is required."))
    } else if name.chars().count() > MAX_NAME_LEN {
        Some(ApiError::invalid(
            param,
            format!("The name must be at most {MAX_NAME_LEN} characters long."),
        ))
    } else {
        None
    }
}

fn name_taken(store: &Store, user_id: i32, name: &str, except: Option<i32>) -> bool {
    store
        .watchlists
        .values()
        .any(|w| w.user_id == user_id && Some(w.id) != except && w.name.eq_ignore_ascii_case(name))
}

/// `POST /v{version}/users/{userId}/watchlists?resultIncludeSecurities=`: creates a `UserList`. A
/// blank or over-long name is 422; a duplicate name, unknown security ids, repeated ids or unknown
/// body fields are 409.
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    Path(p): Path<UserPath>,
    VQuery(q): VQuery<ResultIncludeQuery>,
    body: Bytes,
) -> Result<Json<WatchlistModel>, ApiError> {
    let raw: Value = parse_body("watchlist", &body)?;
    if let Some(obj) = raw.as_object() {
        if let Some(unknown) = obj
            .keys()
            .find(|k| !["name", "securities"].contains(&k.to_ascii_lowercase().as_str()))
        {
            return Err(ApiError::conflict(format!(
                "Unknown field '{unknown}' in the watchlist"
            )));
        }
    }
    let req: CreateWatchlistModel = parse_body("watchlist", &body)?;
    let name = req.name.unwrap_or_default().trim().to_string();
    if let Some(e) = name_error("watchlist.Name", &name) {
        return Err(e);
    }
    let securities = req.securities.unwrap_or_default();
    let (mut store, user_id) = user_store(&state, caller, p.user_id)?;
    if name_taken(&store, user_id, &name, None) {
        return Err(ApiError::conflict(format!(
            "A watchlist named '{name}' already exists"
        )));
    }
    let mut ids = Vec::new();
    for id in securities {
        if state.market.security_by_id(id).is_none() {
            return Err(ApiError::conflict(format!("Security {id} does not exist")));
        }
        if ids.contains(&id) {
            return Err(ApiError::conflict(format!("Security {id} is listed twice")));
        }
        ids.push(id);
    }
    if ids.len() > MAX_SECURITIES {
        return Err(ApiError::conflict(format!(
            "A watchlist holds at most {MAX_SECURITIES} securities"
        )));
    }
    let id = store.next_id();
    let now = Utc::now();
    let w = Watchlist {
        id,
        user_id,
        name,
        kind: "UserList",
        read_only: false,
        securities: ids,
        create_date: now,
        modify_date: now,
    };
    let model = WatchlistModel::new(&state.market, &w, q.result_include_securities);
    state.streams.publish_watchlist(&w, false);
    if !w.securities.is_empty() {
        state
            .streams
            .publish_watchlist_content(id, &w.securities, &[]);
    }
    store.watchlists.insert(id, w);
    Ok(Json(model))
}

/// `GET .../watchlists/{watchlistId}?includeSecurities=`: one watchlist; absent 409.
pub async fn get_one(
    State(state): State<AppState>,
    caller: Caller,
    Path(p): Path<WatchlistPath>,
    VQuery(q): VQuery<IncludeQuery>,
) -> Result<Json<WatchlistModel>, ApiError> {
    let (mut store, user_id) = user_store(&state, caller, p.user_id)?;
    let w = find(&mut store, user_id, p.watchlist_id)?;
    Ok(Json(WatchlistModel::new(
        &state.market,
        w,
        q.include_securities,
    )))
}

/// `DELETE .../watchlists/{watchlistId}`: 204; absent or read-only 409.
pub async fn remove(
    State(state): State<AppState>,
    caller: Caller,
    Path(p): Path<WatchlistPath>,
) -> Result<Response, ApiError> {
    let (mut store, user_id) = user_store(&state, caller, p.user_id)?;
    writable(&mut store, user_id, p.watchlist_id)?;
    if let Some(mut w) = store.watchlists.remove(&p.watchlist_id) {
        w.modify_date = Utc::now();
        state.streams.publish_watchlist(&w, true);
    }
    Ok(crate::extract::no_content())
}

/// The spec's `SecuritySignature`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct SecuritySignature {
    /// Ticker (or OSI symbol).
    pub symbol: Option<String>,
    /// Listing exchange (optional; must match when given).
    pub exchange: Option<String>,
    /// Currency (optional; must match when given).
    pub currency: Option<String>,
}

/// The security a signature names: a blank symbol is 422; an unknown symbol, or a known one with
/// another exchange or currency, is 409.
fn resolve_signature(market: &Market, body: &Bytes) -> Result<i32, ApiError> {
    let sig: SecuritySignature = parse_body("symbolToExchange", body)?;
    let symbol = sig.symbol.unwrap_or_default();
    if symbol.trim().is_empty() {
        return Err(ApiError::invalid(
            "symbolToExchange.Symbol",
            "The Symbol field is required.",
        ));
    }
    let security = market.security_by_symbol(symbol.trim()).ok_or_else(|| {
        ApiError::conflict(format!("Security '{}' does not exist", symbol.trim()))
    })?;
    let mismatch = |given: &Option<String>, actual: &str| {
        given
            .as_deref()
            .map(str::trim)
            .is_some_and(|g| !g.is_empty() && !g.eq_ignore_ascii_case(actual))
    };
    if mismatch(&sig.exchange, security.exchange) || mismatch(&sig.currency, security.currency) {
        return Err(ApiError::conflict(format!(
            "Security '{}' is not listed on that exchange in that currency",
            security.symbol
        )));
    }
    Ok(security.id)
}

fn add(
    state: &AppState,
    caller: Caller,
    user: UserRef,
    watchlist_id: i32,
    security_id: i32,
) -> Result<Json<WatchlistModel>, ApiError> {
    if state.market.security_by_id(security_id).is_none() {
        return Err(ApiError::conflict(format!(
            "Security {security_id} does not exist"
        )));
    }
    let (mut store, user_id) = user_store(state, caller, user)?;
    let w = writable(&mut store, user_id, watchlist_id)?;
    if w.securities.contains(&security_id) {
        return Err(ApiError::conflict(format!(
            "Security {security_id} is already in the watchlist"
        )));
    }
    if w.securities.len() >= MAX_SECURITIES {
        return Err(ApiError::conflict(format!(
            "A watchlist holds at most {MAX_SECURITIES} securities"
        )));
    }
    w.securities.push(security_id);
    w.modify_date = Utc::now();
    state
        .streams
        .publish_watchlist_content(watchlist_id, &[security_id], &[]);
    Ok(Json(WatchlistModel::new(&state.market, w, true)))
}

fn take_out(
    state: &AppState,
    caller: Caller,
    user: UserRef,
    watchlist_id: i32,
    security_id: i32,
) -> Result<Json<WatchlistModel>, ApiError> {
    let (mut store, user_id) = user_store(state, caller, user)?;
    let w = writable(&mut store, user_id, watchlist_id)?;
    let before = w.securities.len();
    w.securities.retain(|s| *s != security_id);
    if w.securities.len() == before {
        return Err(ApiError::conflict(format!(
            "Security {security_id} is not in the watchlist"
        )));
    }
    w.modify_date = Utc::now();
    state
        .streams
        .publish_watchlist_content(watchlist_id, &[], &[security_id]);
    Ok(Json(WatchlistModel::new(&state.market, w, true)))
}

/// `PUT .../watchlists/{watchlistId}/securities` with a `SecuritySignature`: adds the security.
pub async fn add_by_symbol(
    State(state): State<AppState>,
    caller: Caller,
    Path(p): Path<WatchlistPath>,
    body: Bytes,
) -> Result<Json<WatchlistModel>, ApiError> {
    self_only(caller, p.user_id)?;
    let id = resolve_signature(&state.market, &body)?;
    add(&state, caller, p.user_id, p.watchlist_id, id)
}

/// `DELETE .../watchlists/{watchlistId}/securities` with a `SecuritySignature` body: removes it.
pub async fn remove_by_symbol(
    State(state): State<AppState>,
    caller: Caller,
    Path(p): Path<WatchlistPath>,
    body: Bytes,
) -> Result<Json<WatchlistModel>, ApiError> {
    self_only(caller, p.user_id)?;
    let id = resolve_signature(&state.market, &body)?;
    take_out(&state, caller, p.user_id, p.watchlist_id, id)
}

/// `PUT .../watchlists/{watchlistId}/securities/{securityId}`.
pub async fn add_by_id(
    State(state): State<AppState>,
    caller: Caller,
    Path(p): Path<SecurityPath>,
) -> Result<Json<WatchlistModel>, ApiError> {
    add(&state, caller, p.user_id, p.watchlist_id, p.security_id)
}

/// `DELETE .../watchlists/{watchlistId}/securities/{securityId}`.
pub async fn remove_by_id(
    State(state): State<AppState>,
    caller: Caller,
    Path(p): Path<SecurityPath>,
) -> Result<Json<WatchlistModel>, ApiError> {
    take_out(&state, caller, p.user_id, p.watchlist_id, p.security_id)
}

/// `?name=` (required; missing is the routing 404).
#[derive(Debug, Deserialize)]
pub struct NameQuery {
    /// The new name.
    pub name: String,
}

/// The spec's `Tuple[Int32,String]`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct IdAndName {
    /// Watchlist id.
    #[serde(rename = "m_Item1")]
    pub id: i32,
    /// New name.
    #[serde(rename = "m_Item2")]
    pub name: String,
}

/// `PUT .../watchlists/{watchlistId}/name?name=`: renames; blank or over-long 422, absent, read-only
/// or duplicate 409.
pub async fn rename(
    State(state): State<AppState>,
    caller: Caller,
    Path(p): Path<WatchlistPath>,
    VQuery(q): VQuery<NameQuery>,
) -> Result<Json<IdAndName>, ApiError> {
    let name = q.name.trim().to_string();
    let (mut store, user_id) = user_store(&state, caller, p.user_id)?;
    if let Some(e) = name_error("name", &name) {
        return Err(e);
    }
    writable(&mut store, user_id, p.watchlist_id)?;
    if name_taken(&store, user_id, &name, Some(p.watchlist_id)) {
        return Err(ApiError::conflict(format!(
            "A watchlist named '{name}' already exists"
        )));
    }
    let w = writable(&mut store, user_id, p.watchlist_id)?;
    w.name = name.clone();
    w.modify_date = Utc::now();
    state.streams.publish_watchlist(w, false);
    Ok(Json(IdAndName {
        id: p.watchlist_id,
        name,
    }))
}

//! `/v{version}/accounts/...` resources: the account record, balances, history, the paged list
//! of the caller's accounts, selection, aliases, the users bound to an account, consolidated
//! balances and histories, and `GET /users/{userId}/balance-info`.
//!
//! Authorisation (CATALOGUE §2.6): a token acts only on its user's own accounts; someone else's
//! account is 401 and an unknown id 404 `[]`.

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use http::Uri;
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::{json, Map, Value};

use crate::http::{ApiError, Caller, UserRef};
use crate::listing::{self, MissingParams, Page, Params};
use crate::market::{mix, Market};
use crate::models::{AccountBalance, AccountModel, UserInfoModel};
use crate::state::{Account, AppState, Directory, User};
use crate::wire::{dec, iso};

/// Routes of this module (guarded by [`crate::http::api_guard`] in [`crate::router`]).
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/{version}/accounts/{account_id}", get(account))
        .route("/{version}/accounts/{account_id}/info", get(balance))
        .route("/{version}/accounts/all", get(all))
        .route("/{version}/accounts/{account_id}/details", get(details))
        .route("/{version}/accounts/{account_id}/history", get(history))
        .route("/{version}/accounts/history", post(consolidated_history))
        .route(
            "/{version}/accounts/balance/consolidated",
            post(consolidated_balance),
        )
        .route("/{version}/accounts/{account_id}/select", put(select))
        .route(
            "/{version}/accounts/{account_id}/alias/{alias}",
            put(set_alias),
        )
        .route(
            "/{version}/accounts/{account_id}/alias",
            axum::routing::delete(delete_alias),
        )
        .route("/{version}/accounts/{account_id}/users", get(users))
        .route(
            "/{version}/accounts/{account_id}/users/{user_id}",
            put(add_user).delete(remove_user),
        )
        .route(
            "/{version}/accounts/{account_id}/username/{username}",
            put(add_username),
        )
        .route("/{version}/users/{user_id}/balance-info", get(user_balance))
}

/// Path of the account routes.
#[derive(Debug, Deserialize)]
pub struct AccountPath {
    /// Internal account id.
    pub account_id: i32,
}

/// The account and its owner, if the caller owns it: someone else's is 401, an unknown id 404.
pub fn own_account(
    dir: &Directory,
    caller: Caller,
    account_id: i32,
) -> Result<(&Account, &User), ApiError> {
    let account = dir
        .accounts
        .get(&account_id)
        .ok_or(ApiError::AccountNotFound)?;
    if account.owner_id != caller.user_id {
        return Err(ApiError::Denied);
    }
    let owner = dir
        .users
        .get(&account.owner_id)
        .ok_or(ApiError::AccountNotFound)?;
    Ok((account, owner))
}

/// `GET /v{version}/accounts/{account_id}`: an array of one `AccountModel`, as the spec says.
pub async fn account(
    State(state): State<AppState>,
    caller: Caller,
    Path(p): Path<AccountPath>,
) -> Result<Json<Vec<AccountModel>>, ApiError> {
    let dir = state.dir();
    let (account, owner) = own_account(&dir, caller, p.account_id)?;
    Ok(Json(vec![AccountModel::new(account, owner)]))
}

/// The balance of an account valued at the market now.
pub fn valued_balance(market: &Market, dir: &Directory, account: &Account) -> AccountBalance {
    let v = crate::engine::valuation(&dir.trading, market, account.id);
    AccountBalance::valued(account, &v)
}

/// The balance of a user: every balance key summed over the user's accounts (the body of
/// `GET /users/{id}/balance-info`, and the data streamer's `UserBalance`).
pub fn user_balance_of(market: &Market, dir: &Directory, user: &User) -> Value {
    let balances: Vec<AccountBalance> = user
        .account_ids
        .iter()
        .filter_map(|id| dir.accounts.get(id))
        .map(|a| valued_balance(market, dir, a))
        .collect();
    sum_balances(&balances)
}

/// `GET /v{version}/accounts/{account_id}/info`: balances and buying power.
pub async fn balance(
    State(state): State<AppState>,
    caller: Caller,
    Path(p): Path<AccountPath>,
) -> Result<Json<AccountBalance>, ApiError> {
    crate::orders::run_engine(&state);
    let dir = state.dir();
    let (account, _) = own_account(&dir, caller, p.account_id)?;
    Ok(Json(valued_balance(&state.market, &dir, account)))
}

/// The sum of several balances, key by key (exact decimals).
fn sum_balances(balances: &[AccountBalance]) -> Value {
    let mut total: BTreeMap<String, Decimal> = BTreeMap::new();
    for b in balances {
        if let Ok(Value::Object(m)) = serde_json::to_value(b) {
            for (k, v) in m {
                let n = crate::filter::number(&v).unwrap_or_default();
                *total.entry(k).or_default() += n;
            }
        }
    }
    if balances.is_empty() {
        if let Ok(Value::Object(m)) = serde_json::to_value(AccountBalance::valued(
            &Account {
                id: 0,
                clearing_account: String::new(),
                owner_id: 0,
                margin_type: crate::config::MarginType::Cash,
                cash: Decimal::ZERO,
                base_cash: Decimal::ZERO,
                currency: "USD".into(),
                created_date: Utc::now(),
            },
            &crate::engine::Valuation::default(),
        )) {
            for k in m.keys() {
                total.insert(k.clone(), Decimal::ZERO);
            }
        }
    }
    Value::Object(total.into_iter().map(|(k, v)| (k, dec(v))).collect())
}

/// Account ids in a raw JSON array body (`[6303, 6314]`); malformed is a 422 on `accountIds`.
fn account_ids(body: &Bytes) -> Result<Vec<i32>, ApiError> {
    let bad = || {
        ApiError::invalid(
            "accountIds",
            "The request body must be an array of account ids.",
        )
    };
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Array(a)) => a
            .iter()
            .map(|v| {
                v.as_i64()
                    .and_then(|n| i32::try_from(n).ok())
                    .ok_or_else(bad)
            })
            .collect(),
        _ => Err(bad()),
    }
}

/// The caller's accounts among `ids` (each must be theirs), or all of theirs for an empty list.
fn own_accounts(dir: &Directory, caller: Caller, ids: &[i32]) -> Result<Vec<Account>, ApiError> {
    if ids.is_empty() {
        return Ok(dir
            .accounts
            .values()
            .filter(|a| a.owner_id == caller.user_id)
            .cloned()
            .collect());
    }
    ids.iter()
        .map(|id| own_account(dir, caller, *id).map(|(a, _)| a.clone()))
        .collect()
}

/// `POST /v{version}/accounts/balance/consolidated`: balances summed over the listed accounts.
async fn consolidated_balance(
    State(state): State<AppState>,
    caller: Caller,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    crate::orders::run_engine(&state);
    let ids = account_ids(&body)?;
    let dir = state.dir();
    let accounts = own_accounts(&dir, caller, &ids)?;
    let balances: Vec<AccountBalance> = accounts
        .iter()
        .map(|a| valued_balance(&state.market, &dir, a))
        .collect();
    Ok(Json(sum_balances(&balances)))
}

/// Path of the user routes.
#[derive(Debug, Deserialize)]
pub struct UserPath {
    /// Numeric id or `@me`.
    pub user_id: UserRef,
}

/// `GET /v{version}/users/{user_id}/balance-info`: balances summed over all the user's accounts.
async fn user_balance(
    State(state): State<AppState>,
    caller: Caller,
    Path(p): Path<UserPath>,
) -> Result<Json<Value>, ApiError> {
    crate::orders::run_engine(&state);
    let dir = state.dir();
    let user = crate::users::own_user(&dir, caller, p.user_id)?;
    Ok(Json(user_balance_of(&state.market, &dir, user)))
}

/// A date query parameter: ISO-8601 (CATALOGUE §6.2), or .NET ticks as the spec's text says.
fn date_param(params: &Params, name: &str) -> Result<DateTime<Utc>, ApiError> {
    let raw = params.get(name).unwrap_or("").trim();
    let bad = || ApiError::invalid(name, format!("The value '{raw}' is not valid for {name}."));
    if let Ok(ticks) = raw.parse::<i64>() {
        // 100 ns ticks since 0001-01-01.
        let unix = ticks / 10_000_000 - 62_135_596_800;
        return Utc.timestamp_opt(unix, 0).single().ok_or_else(bad);
    }
    DateTime::parse_from_rfc3339(raw)
        .map(|d| d.with_timezone(&Utc))
        .ok()
        .or_else(|| {
            NaiveDate::parse_from_str(raw.get(..10)?, "%Y-%m-%d")
                .ok()?
                .and_hms_opt(0, 0, 0)
                .map(|d| d.and_utc())
        })
        .ok_or_else(bad)
}

/// Most days one history returns (the latest).
pub const MAX_HISTORY_DAYS: i64 = 3660;

/// The value of an account at `t`: its cash then (today's cash less the trades after `t`) plus its
/// holdings then (from the trades up to `t`) at the market prices of `t`.
pub fn account_value_at(
    state: &AppState,
    dir: &Directory,
    account: &Account,
    t: DateTime<Utc>,
) -> Decimal {
    let mut cash = account.cash;
    let mut held: BTreeMap<i32, Decimal> = BTreeMap::new();
    for tx in dir
        .trading
        .transactions
        .iter()
        .filter(|x| x.account_id == account.id)
    {
        if tx.date > t {
            cash -= tx.value;
        } else {
            *held.entry(tx.security_id).or_default() += tx.quantity;
        }
    }
    let holdings: Decimal = held
        .iter()
        .filter_map(|(id, q)| {
            let s = state.market.security_by_id(*id)?;
            Some(*q * state.market.price_at(s, t) * s.contract_size)
        })
        .sum();
    cash + holdings
}

/// Daily `AccountValueItem`s of the accounts summed, from `start`'s day to `end`'s day (each day
/// valued at its end, or now for today; days before the first account existed and after now are
/// left out).
fn daily_values(
    state: &AppState,
    dir: &Directory,
    accounts: &[Account],
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> Vec<Value> {
    let now = state.market.now();
    let created = accounts.iter().map(|a| a.created_date).min().unwrap_or(now);
    let first = start.max(created).date_naive();
    let last = end.min(now).date_naive();
    let first = first.max(last - Duration::days(MAX_HISTORY_DAYS - 1));
    let mut out = Vec::new();
    let mut day = first;
    while day <= last {
        let end_of_day = (day + Duration::days(1))
            .and_hms_opt(0, 0, 0)
            .map(|d| d.and_utc() - Duration::milliseconds(1))
            .unwrap_or(now)
            .min(now);
        let value: Decimal = accounts
            .iter()
            .map(|a| account_value_at(state, dir, a, end_of_day))
            .sum();
        let date = day.and_hms_opt(0, 0, 0).map(|d| d.and_utc()).unwrap_or(now);
        out.push(json!({"Date": iso(date), "Value": dec(value.round_dp(2))}));
        day += Duration::days(1);
    }
    out
}

/// `GET /v{version}/accounts/{account_id}/history?startDate&endDate&step` (`step` is obsolete).
async fn history(
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
        &["startDate", "endDate", "step"],
        MissingParams::RouteNotFound,
    )?;
    params.int("step")?;
    let (start, end) = (
        date_param(&params, "startDate")?,
        date_param(&params, "endDate")?,
    );
    crate::orders::run_engine(&state);
    let dir = state.dir();
    let (account, _) = own_account(&dir, caller, p.account_id)?;
    let account = account.clone();
    Ok(Json(Value::Array(daily_values(
        &state,
        &dir,
        &[account],
        start,
        end,
    ))))
}

/// `POST /v{version}/accounts/history?startDate&endDate`, body `[accountIds]`: the summed history.
async fn consolidated_history(
    State(state): State<AppState>,
    caller: Caller,
    uri: Uri,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let params = Params::parse(uri.query());
    listing::require(
        &state,
        &uri,
        &params,
        &["startDate", "endDate"],
        MissingParams::RouteNotFound,
    )?;
    let (start, end) = (
        date_param(&params, "startDate")?,
        date_param(&params, "endDate")?,
    );
    let ids = account_ids(&body)?;
    crate::orders::run_engine(&state);
    let dir = state.dir();
    let accounts = own_accounts(&dir, caller, &ids)?;
    Ok(Json(Value::Array(daily_values(
        &state, &dir, &accounts, start, end,
    ))))
}

/// Enum names of the `AccountModel` fields, in number order (for filters like `MarginType = 2`).
fn account_enums(name: &str) -> Option<&'static [&'static str]> {
    const STATUS: &[&str] = &[
        "UnSpecified",
        "New",
        "SentToClearing",
        "Approved",
        "Rejected",
    ];
    const MARGIN: &[&str] = &["Empty", "Cash", "Margin", "DayTrader", "MarginIra"];
    const PERMISSIONS: &[&str] = &[
        "Empty",
        "LongStock",
        "ShortStock",
        "LongOption",
        "ShortOption",
        "AllowTrade",
        "AllowMargin",
        "AllowOpen",
    ];
    const OWNER: &[&str] = &[
        "IndividualCustomer",
        "InstitutionalCustomer",
        "Combined",
        "EmployeeAccount",
        "MarketMaking",
        "OtherProprietary",
        "Unknown",
        "ErrorAccount",
        "Joint",
        "ForeignIndividual",
        "IRA",
    ];
    match name.to_ascii_lowercase().as_str() {
        "status" => Some(STATUS),
        "margintype" => Some(MARGIN),
        "permissions" => Some(PERMISSIONS),
        "ownertype" => Some(OWNER),
        _ => None,
    }
}

/// `GET /v{version}/accounts/all`: the caller's accounts (sandbox users have no administrative
/// rights, §2.6), paged, sorted by `propertyName` (`isAscending`, default true), filtered, and
/// searched by `mask` over phone, e-mail, account number and names.
async fn all(
    State(state): State<AppState>,
    caller: Caller,
    uri: Uri,
) -> Result<Json<Value>, ApiError> {
    let params = Params::parse(uri.query());
    listing::require(
        &state,
        &uri,
        &params,
        &["pageNumber", "pageSize"],
        MissingParams::UnsupportedApiVersion,
    )?;
    let filter = params.filter()?;
    let page = Page {
        number: params.int("pageNumber")?.unwrap_or(0),
        size: params.int("pageSize")?.unwrap_or(10),
    };
    let ascending = params.boolean("isAscending")?.unwrap_or(true);
    params.boolean("isReport")?;
    let mask = params.get("mask").unwrap_or("").trim().to_lowercase();
    let dir = state.dir();
    let items: Vec<Value> = dir
        .accounts
        .values()
        .filter(|a| a.owner_id == caller.user_id)
        .filter_map(|a| dir.users.get(&a.owner_id).map(|u| (a, u)))
        .filter(|(a, u)| {
            mask.is_empty()
                || [
                    &u.phone,
                    &u.seed.email,
                    &a.clearing_account,
                    &u.seed.first_name,
                    &u.seed.last_name,
                ]
                .iter()
                .any(|f| f.to_lowercase().contains(&mask))
        })
        .filter_map(|(a, u)| serde_json::to_value(AccountModel::new(a, u)).ok())
        .collect();
    Ok(Json(listing::list(
        &state,
        &uri,
        items,
        &filter,
        &account_enums,
        params.get("propertyName"),
        !ascending,
        page,
    )))
}

/// `GET /v{version}/accounts/{account_id}/details`: the account-opening (AMS) record.
async fn details(
    State(state): State<AppState>,
    caller: Caller,
    Path(p): Path<AccountPath>,
) -> Result<Json<Value>, ApiError> {
    let dir = state.dir();
    let (account, owner) = own_account(&dir, caller, p.account_id)?;
    let h = mix(state.seed ^ mix(account.id as u64));
    let l = mix(h);
    let id = uuid::Uuid::from_u64_pair(h, l);
    let id = uuid::Builder::from_random_bytes(*id.as_bytes()).into_uuid();
    Ok(Json(json!({
        "Id": id.to_string(), "CreatedAt": iso(account.created_date), "AccountProvider": "PaperTrading",
        "FormType": "Direct", "User": owner.seed.username, "ClearingAccountNumber": account.clearing_account,
        "IsOpened": true, "FormDataReference": "", "FormData": "", "CustomerType": "Individual",
        "AdditionalInfo": {},
    })))
}

/// `PUT /v{version}/accounts/{account_id}/select`: the caller's selected account.
async fn select(
    State(state): State<AppState>,
    caller: Caller,
    Path(p): Path<AccountPath>,
) -> Result<Json<Value>, ApiError> {
    let mut dir = state.dir();
    own_account(&dir, caller, p.account_id)?;
    dir.trading
        .selected_account
        .insert(caller.user_id, p.account_id);
    Ok(Json(json!({"AccountId": p.account_id})))
}

/// Path of the alias route.
#[derive(Debug, Deserialize)]
pub struct AliasPath {
    /// Account id.
    pub account_id: i32,
    /// The alias.
    pub alias: String,
}

/// Longest alias accepted.
pub const MAX_ALIAS: usize = 50;

/// `PUT /v{version}/accounts/{account_id}/alias/{alias}` (shown in `UserAccountModel.Alias`).
async fn set_alias(
    State(state): State<AppState>,
    caller: Caller,
    Path(p): Path<AliasPath>,
) -> Result<Response, ApiError> {
    let alias = p.alias.trim().to_string();
    if alias.is_empty() || alias.chars().count() > MAX_ALIAS {
        return Err(ApiError::invalid(
            "alias",
            format!("The alias must be 1 to {MAX_ALIAS} characters."),
        ));
    }
    let mut dir = state.dir();
    own_account(&dir, caller, p.account_id)?;
    dir.trading.aliases.insert(p.account_id, alias);
    // The spec declares a JSON 200 without a schema: an empty JSON object.
    Ok(Json(json!({})).into_response())
}

/// `DELETE /v{version}/accounts/{account_id}/alias`.
async fn delete_alias(
    State(state): State<AppState>,
    caller: Caller,
    Path(p): Path<AccountPath>,
) -> Result<Response, ApiError> {
    let mut dir = state.dir();
    own_account(&dir, caller, p.account_id)?;
    dir.trading.aliases.remove(&p.account_id);
    Ok(Json(json!({})).into_response())
}

/// The `UserToAccountRelationModel`s of an account: the owner, then the users bound to it.
fn relations(dir: &Directory, account: &Account) -> Vec<Value> {
    let mut out = Vec::new();
    if let Some(owner) = dir.users.get(&account.owner_id) {
        out.push(json!({"UserModel": UserInfoModel::from(owner), "AccountAccessType": "Owner"}));
    }
    for (user_id, access) in dir
        .trading
        .account_users
        .get(&account.id)
        .into_iter()
        .flatten()
    {
        if let Some(u) = dir.users.get(user_id) {
            out.push(json!({"UserModel": UserInfoModel::from(u), "AccountAccessType": access}));
        }
    }
    out
}

/// `GET /v{version}/accounts/{account_id}/users`: an array (CATALOGUE §6.2; the spec says one object).
async fn users(
    State(state): State<AppState>,
    caller: Caller,
    Path(p): Path<AccountPath>,
) -> Result<Json<Value>, ApiError> {
    let dir = state.dir();
    let (account, _) = own_account(&dir, caller, p.account_id)?;
    // The spec declares one `UserToAccountRelationModel` (the docs show a list; the SDK accepts both): the
    // owner's relation, which every account has.
    let owner = relations(&dir, account)
        .into_iter()
        .next()
        .unwrap_or(Value::Null);
    Ok(Json(owner))
}

/// Path of the add/remove user routes.
#[derive(Debug, Deserialize)]
pub struct AccountUserPath {
    /// Account id.
    pub account_id: i32,
    /// User id or `@me`.
    pub user_id: UserRef,
}

/// Path of the add-by-username route.
#[derive(Debug, Deserialize)]
pub struct AccountUsernamePath {
    /// Account id.
    pub account_id: i32,
    /// Login name.
    pub username: String,
}

/// The access types a user can be given (`Owner` is the account's owner only).
const GRANTABLE: &[&str] = &["Full", "ReadOnly", "ClosePositionsOnly"];

fn bind(
    state: &AppState,
    caller: Caller,
    uri: &Uri,
    account_id: i32,
    user: Result<i32, ApiError>,
) -> Result<Json<Value>, ApiError> {
    let params = Params::parse(uri.query());
    listing::require(
        state,
        uri,
        &params,
        &["accessType"],
        MissingParams::RouteNotFound,
    )?;
    let raw = params.get("accessType").unwrap_or("");
    let access = crate::orders::enum_field(
        &Map::from_iter([("a".to_string(), json!(raw))]),
        "a",
        &["Full", "ReadOnly", "ClosePositionsOnly", "Owner"],
        "accessType",
    )?
    .ok_or_else(|| ApiError::invalid("accessType", "The accessType field is required."))?;
    let mut dir = state.dir();
    let owner_id = own_account(&dir, caller, account_id)?.0.owner_id;
    let user_id = user?;
    if !dir.users.contains_key(&user_id) {
        // The vendor answers 500 here; the operation declares 422, which says what is wrong.
        return Err(ApiError::invalid("userId", "The user is not found."));
    }
    if user_id == owner_id || !GRANTABLE.contains(&access) {
        return Err(ApiError::invalid(
            "accessType",
            "The owner's access cannot be granted or changed.",
        ));
    }
    dir.trading
        .account_users
        .entry(account_id)
        .or_default()
        .insert(user_id, access);
    let user = dir.users.get(&user_id).ok_or(ApiError::UserNull)?;
    Ok(Json(
        json!({"UserModel": UserInfoModel::from(user), "AccountAccessType": access}),
    ))
}

/// `PUT /v{version}/accounts/{account_id}/users/{user_id}?accessType=`.
async fn add_user(
    State(state): State<AppState>,
    caller: Caller,
    Path(p): Path<AccountUserPath>,
    uri: Uri,
) -> Result<Json<Value>, ApiError> {
    bind(
        &state,
        caller,
        &uri,
        p.account_id,
        Ok(p.user_id.resolve(caller)),
    )
}

/// `PUT /v{version}/accounts/{account_id}/username/{username}?accessType=` (an unknown login is 500
/// like an unknown user id).
async fn add_username(
    State(state): State<AppState>,
    caller: Caller,
    Path(p): Path<AccountUsernamePath>,
    uri: Uri,
) -> Result<Json<Value>, ApiError> {
    let user = state
        .dir()
        .users
        .values()
        .find(|u| u.seed.username.eq_ignore_ascii_case(p.username.trim()))
        .map(|u| u.id)
        .ok_or_else(|| ApiError::invalid("username", "The user is not found."));
    bind(&state, caller, &uri, p.account_id, user)
}

/// `DELETE /v{version}/accounts/{account_id}/users/{user_id}`: the relations left (the owner
/// cannot be removed: 422).
async fn remove_user(
    State(state): State<AppState>,
    caller: Caller,
    Path(p): Path<AccountUserPath>,
) -> Result<Json<Value>, ApiError> {
    let mut dir = state.dir();
    let (account, _) = own_account(&dir, caller, p.account_id)?;
    let user_id = p.user_id.resolve(caller);
    if user_id == account.owner_id {
        return Err(ApiError::invalid(
            "userId",
            "The owner cannot be removed from the account.",
        ));
    }
    if let Some(bound) = dir.trading.account_users.get_mut(&p.account_id) {
        bound.remove(&user_id);
    }
    let account = dir
        .accounts
        .get(&p.account_id)
        .cloned()
        .ok_or(ApiError::AccountNotFound)?;
    Ok(Json(Value::Array(relations(&dir, &account))))
}

//! Securities from the simulated market: equities and options by id or symbol (one path
//! template, numeric = id, CATALOGUE §6.3), lists, lookup, option chains and expirations.

use axum::extract::{Path, State};
use axum::routing::get;
use axum::{Json, Router};
use http::Uri;
use serde_json::{json, Value};

use crate::filter::no_enums;
use crate::http::{ApiError, Caller};
use crate::listing::{self, MissingParams, Page, Params};
use crate::market::Security;
use crate::state::AppState;
use crate::wire::{dec, iso};

/// Routes of this module.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/{version}/equities", get(equities))
        .route("/{version}/equities/lookup", get(lookup))
        .route("/{version}/equities/{symbol}", get(equity))
        .route("/{version}/options", get(options))
        .route("/{version}/options/expirations", get(expirations))
        .route("/{version}/options/{symbol}", get(option))
}

/// The `EquityResource` (or `OptionResource`) of a security.
pub fn security_json(s: &Security) -> Value {
    let mut v = json!({
        "Id": s.id, "Symbol": s.symbol, "Description": s.description, "Exchange": s.exchange,
        "Currency": s.currency, "AddedDate": iso(s.added_date), "ModifyDate": iso(s.added_date),
        "Type": s.security_type.as_str(), "Precision": 2, "VolumePrecision": 0, "TickSize": dec(s.tick_size),
        "Enabled": true, "AllowTrade": true, "AllowMargin": !s.is_mutual_fund(), "AllowShort": !s.is_mutual_fund(),
        "ContractSize": dec(s.contract_size),
    });
    match &s.option {
        Some(t) => {
            v["Name"] = json!(s.description);
            v["OptionType"] = json!(format!("{:?}", t.option_type));
            v["ExpirationType"] = json!(t.expiration_type.as_str());
            v["ExpirationDate"] = iso(t.expires_at());
            v["StrikePrice"] = dec(t.strike);
            v["SeriesId"] = json!(t.series_id);
            v["UnderlyingAssetSymbol"] = json!(t.underlying_symbol);
        }
        None => v["Industry"] = json!(s.industry),
    }
    v
}

fn find<'m>(state: &'m AppState, segment: &str, option: bool) -> Result<&'m Security, ApiError> {
    let found = match segment.parse::<i32>() {
        Ok(id) => state.market.security_by_id(id),
        Err(_) => state.market.security_by_symbol(segment),
    };
    found
        .filter(|s| s.is_option() == option)
        .ok_or_else(|| ApiError::not_found(format!("Security '{segment}' is not found.")))
}

async fn equity(
    State(state): State<AppState>,
    _c: Caller,
    Path((_, symbol)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    find(&state, &symbol, false).map(|s| Json(security_json(s)))
}

async fn option(
    State(state): State<AppState>,
    _c: Caller,
    Path((_, symbol)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    find(&state, &symbol, true).map(|s| Json(security_json(s)))
}

async fn page_of(state: AppState, uri: Uri, option: bool) -> Result<Json<Value>, ApiError> {
    let params = Params::parse(uri.query());
    listing::require(
        &state,
        &uri,
        &params,
        &["pageNumber", "pageSize", "sortField", "desc"],
        MissingParams::RouteNotFound,
    )?;
    let filter = params.filter()?;
    let page = Page {
        number: params.int("pageNumber")?.unwrap_or(0),
        size: params.int("pageSize")?.unwrap_or(10),
    };
    let desc = params.boolean("desc")?.unwrap_or(false);
    let items = state
        .market
        .securities()
        .iter()
        .filter(|s| s.is_option() == option)
        .map(security_json)
        .collect();
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

async fn equities(
    State(state): State<AppState>,
    _c: Caller,
    uri: Uri,
) -> Result<Json<Value>, ApiError> {
    page_of(state, uri, false).await
}

async fn options(
    State(state): State<AppState>,
    _c: Caller,
    uri: Uri,
) -> Result<Json<Value>, ApiError> {
    page_of(state, uri, true).await
}

async fn lookup(
    State(state): State<AppState>,
    _c: Caller,
    uri: Uri,
) -> Result<Json<Value>, ApiError> {
    let params = Params::parse(uri.query());
    listing::require(
        &state,
        &uri,
        &params,
        &["mask", "count"],
        MissingParams::RouteNotFound,
    )?;
    let mask = params.get("mask").unwrap_or("").to_lowercase();
    let count = params.int("count")?.unwrap_or(10).max(0) as usize;
    let filter = params.filter()?;
    let items: Vec<Value> = state
        .market
        .securities()
        .iter()
        .filter(|s| !s.is_option())
        .filter(|s| {
            [&s.symbol, &s.description]
                .iter()
                .any(|t| t.to_lowercase().contains(&mask))
                || s.exchange.eq_ignore_ascii_case(&mask)
        })
        .map(security_json)
        .filter(|v| filter.matches(v, &no_enums))
        .take(count)
        .collect();
    Ok(Json(Value::Array(items)))
}

async fn expirations(
    State(state): State<AppState>,
    _c: Caller,
    uri: Uri,
) -> Result<Json<Value>, ApiError> {
    let params = Params::parse(uri.query());
    listing::require(
        &state,
        &uri,
        &params,
        &["underlying"],
        MissingParams::RouteNotFound,
    )?;
    let underlying = find(&state, params.get("underlying").unwrap_or(""), false)?;
    let mut seen = Vec::new();
    for t in state
        .market
        .options_on(underlying.id)
        .filter_map(|s| s.option.as_ref())
    {
        if !seen.iter().any(|v: &Value| v["SeriesId"] == t.series_id) {
            seen.push(json!({"SeriesId": t.series_id, "SeriesType": t.expiration_type.as_str(),
                "ExpirationDate": iso(t.expires_at()), "ExpirationType": t.expiration_type.as_str()}));
        }
    }
    Ok(Json(Value::Array(seen)))
}

//! Securities from the simulated market: equities and options by id or symbol (one path
//! template, numeric = id, CATALOGUE §6.3), lists, lookup, option chains and expirations, equity
//! logos and currency rates.

use axum::extract::{Path, State};
use axum::routing::get;
use axum::{Json, Router};
use http::StatusCode;
use http::Uri;
use serde_json::{json, Value};

use axum::response::{IntoResponse, Response};
use chrono::{NaiveDate, TimeZone, Utc};
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;

use crate::filter::{no_enums, Literal};
use crate::http::{ApiError, Caller};
use crate::listing::{self, MissingParams, Page, Params};
use crate::market::{mix, Security};
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
        .route("/{version}/equities/{symbol}/logo", get(logo))
        .route("/{version}/currencyRate", get(currency_rate))
        .route("/{version}/options/optionChain/{symbol}", get(option_chain))
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

/// `GET /v{version}/equities/{symbol}/logo`: a PNG generated for the equity (404 for unknown ones).
async fn logo(
    State(state): State<AppState>,
    _c: Caller,
    Path((_, symbol)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    // The route produces `image/png` only: an unknown symbol is a 404 carrying a neutral generated image (for
    // "?"), so that even the error answer has the documented media type.
    let Ok(security) = find(&state, &symbol, false) else {
        let png = crate::logo::logo_png(state.seed, "?");
        return Ok((
            StatusCode::NOT_FOUND,
            [(http::header::CONTENT_TYPE, "image/png")],
            png,
        )
            .into_response());
    };
    let png = crate::logo::logo_png(state.seed, &security.symbol);
    Ok(([(http::header::CONTENT_TYPE, "image/png")], png).into_response())
}

/// The currencies the sandbox quotes: ISO code and US dollars per unit before the seeded jitter.
pub const CURRENCIES: &[(&str, i64, u32)] = &[
    ("USD", 1, 0),
    ("EUR", 10842, 4),
    ("GBP", 12710, 4),
    ("JPY", 6634, 6),
    ("CAD", 7321, 4),
    ("CHF", 11263, 4),
    ("AUD", 6605, 4),
];

/// US dollars per unit of a currency (exact, 6 decimals; USD is exactly 1), seeded within ±0.5%.
pub fn usd_per_unit(seed: u64, currency: &str) -> Option<Decimal> {
    let (code, mantissa, scale) = CURRENCIES
        .iter()
        .find(|(c, _, _)| c.eq_ignore_ascii_case(currency.trim()))?;
    if *code == "USD" {
        return Some(Decimal::ONE);
    }
    let mut h = mix(seed ^ 0x4658);
    for b in code.bytes() {
        h = mix(h ^ u64::from(b));
    }
    let jitter_ppm = (h % 10_001) as i64 - 5_000;
    let base = Decimal::new(*mantissa, *scale);
    Some((base * Decimal::new(1_000_000 + jitter_ppm, 6)).round_dp(6))
}

/// `GET /v{version}/currencyRate?currency=&targetCurrency=`: units of `targetCurrency` per unit of
/// `currency`, with a one-pip-per-10,000 spread; unknown currencies are 404.
async fn currency_rate(
    State(state): State<AppState>,
    _c: Caller,
    uri: Uri,
) -> Result<Json<Value>, ApiError> {
    let params = Params::parse(uri.query());
    listing::require(
        &state,
        &uri,
        &params,
        &["currency", "targetCurrency"],
        MissingParams::RouteNotFound,
    )?;
    let rate = |name: &str| {
        let code = params.get(name).unwrap_or("");
        usd_per_unit(state.seed, code)
            .ok_or_else(|| ApiError::not_found(format!("Currency '{code}' is not found.")))
    };
    let (from, to) = (rate("currency")?, rate("targetCurrency")?);
    let last = (from / to).round_dp(6);
    let half_spread = if from == to {
        Decimal::ZERO
    } else {
        (last * Decimal::new(1, 4)).round_dp(6)
    };
    Ok(Json(json!({
        "Bid": dec(last - half_spread),
        "Ask": dec(last + half_spread),
        "Last": dec(last),
        "Date": iso(state.market.now()),
    })))
}

/// The `ExpirationType` names in the order of their numbers (for `ExpirationType = 0` filters).
const EXPIRATION_TYPES: &[&str] = &[
    "Regular",
    "Quarterly",
    "Weekly",
    "Flex",
    "Undefined",
    "Mini",
    "NonStandard",
];

fn chain_enums(name: &str) -> Option<&'static [&'static str]> {
    name.eq_ignore_ascii_case("ExpirationType")
        .then_some(EXPIRATION_TYPES)
}

/// `GET /v{version}/options/optionChain/{symbol}`: the options on an underlying grouped by
/// expiration (midnight UTC of the expiration day, as in the vendor's filter examples), each with
/// the listed strike nearest the underlying's price as `CentralStrike`. The filter's `Expiration`
/// and `ExpirationType` terms select expirations, `Range = n` keeps the `n` strikes either side of
/// the central one (calls and puts). An unknown or option-less symbol has no expirations (the spec
/// declares no 404 here).
async fn option_chain(
    State(state): State<AppState>,
    _c: Caller,
    Path((_, symbol)): Path<(String, String)>,
    uri: Uri,
) -> Result<Json<Value>, ApiError> {
    let params = Params::parse(uri.query());
    let filter = params.filter()?;
    let range = match filter.equals("Range") {
        None => None,
        Some(Literal::Number(n)) if *n >= Decimal::ZERO && n.fract().is_zero() => n.to_usize(),
        Some(_) => {
            return Err(ApiError::bad_request(
                "Range must be a non-negative whole number.",
            ))
        }
    };
    let expiration_filter = filter.without("Range");
    let Some(underlying) = state
        .market
        .security_by_symbol(&symbol)
        .filter(|s| !s.is_option())
    else {
        return Ok(Json(json!({ "Expirations": [] })));
    };
    let spot = state
        .market
        .quote(underlying.id)
        .map(|q| q.last)
        .unwrap_or(underlying.reference_price);
    let mut dates: Vec<NaiveDate> = Vec::new();
    for s in state.market.options_on(underlying.id) {
        if let Some(t) = &s.option {
            if !dates.contains(&t.expiration) {
                dates.push(t.expiration);
            }
        }
    }
    dates.sort();
    let mut expirations = Vec::new();
    for date in dates {
        let contracts: Vec<&Security> = state
            .market
            .options_on(underlying.id)
            .filter(|s| s.option.as_ref().is_some_and(|t| t.expiration == date))
            .collect();
        let Some(terms) = contracts.first().and_then(|s| s.option.as_ref()) else {
            continue;
        };
        let midnight = Utc.from_utc_datetime(&date.and_hms_opt(0, 0, 0).unwrap_or_default());
        let probe = json!({
            "Expiration": iso(midnight),
            "ExpirationType": terms.expiration_type.as_str(),
        });
        if !expiration_filter.matches(&probe, &chain_enums) {
            continue;
        }
        let mut strikes: Vec<Decimal> = contracts
            .iter()
            .filter_map(|s| s.option.as_ref().map(|t| t.strike))
            .collect();
        strikes.sort();
        strikes.dedup();
        let central_index = strikes
            .iter()
            .enumerate()
            .min_by_key(|(_, k)| (**k - spot).abs())
            .map(|(i, _)| i)
            .unwrap_or(0);
        let central = strikes.get(central_index).copied().unwrap_or_default();
        let kept = |strike: Decimal| match range {
            None => true,
            Some(n) => strikes
                .iter()
                .position(|k| *k == strike)
                .is_some_and(|i| i.abs_diff(central_index) <= n),
        };
        let mut options: Vec<&Security> = contracts
            .into_iter()
            .filter(|s| s.option.as_ref().is_some_and(|t| kept(t.strike)))
            .collect();
        options.sort_by_key(|s| s.option.as_ref().map(|t| (t.strike, t.option_type as u8)));
        expirations.push(json!({
            "Expiration": iso(midnight),
            "CentralStrike": dec(central),
            "Options": options.into_iter().map(security_json).collect::<Vec<_>>(),
        }));
    }
    Ok(Json(json!({ "Expirations": expirations })))
}

//! IPO offerings: `GET /v{version}/ipo/industries`, the anonymous `GET /v{version}/ipo/security-info`,
//! the paged active offerings of an account (`PageResult` envelope: `Items`, `PageNumber`, `PageSize`,
//! `TotalCount`, `TotalPage`; 1-based `page`) and subscribe/unsubscribe per account.
//!
//! The offerings are drawn from the seed when the sandbox starts.

use std::collections::BTreeSet;

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{Duration, NaiveDate};
use rand::rngs::StdRng;
use rand::Rng;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::accounts::own_account;
use crate::http::{ApiError, Caller, SUPPORTED_VERSIONS};
use crate::state::AppState;

/// Routes behind the bearer guard.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/{version}/ipo/industries", get(industries))
        .route(
            "/{version}/ipo/accounts/{account_id}/offerings/active",
            get(active_offerings),
        )
        .route(
            "/{version}/ipo/accounts/{account_id}/offerings/{offering}/subscribe",
            post(subscribe),
        )
        .route(
            "/{version}/ipo/accounts/{account_id}/offerings/{offering}/unsubscribe",
            post(unsubscribe),
        )
}

/// The route that takes no `Authorization` (the spec's `..._SwaggerAnonymous`); the app key is still
/// checked by [`crate::http::require_app_key`].
pub fn anonymous_routes() -> Router<AppState> {
    Router::new().route("/{version}/ipo/security-info", get(security_info))
}

/// One underwriter of an offering (the spec's `OfferingUnderwriter`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
#[allow(missing_docs)]
pub struct OfferingUnderwriter {
    pub executing_broker_mpid: String,
    pub executing_broker_name: String,
    pub display: bool,
    pub lead: bool,
}

/// One seeded IPO offering.
#[derive(Clone, Debug, PartialEq)]
pub struct Offering {
    /// Reference (the `{offeringReference}` path segment), e.g. `IPO-2026-0003`.
    pub reference: String,
    /// Company name.
    pub name: String,
    /// Ticker to be.
    pub ticker: String,
    /// Offering type, `IPO` or `Follow-on`.
    pub offering_type: &'static str,
    /// Industry.
    pub industry: &'static str,
    /// CUSIP.
    pub cusip: String,
    /// Shares available to order.
    pub available_to_order: i32,
    /// Anticipated shares, as text (e.g. `"12,500,000"`).
    pub anticipated_shares: String,
    /// Price range.
    pub min_price: Decimal,
    /// Price range.
    pub max_price: Decimal,
    /// Expected trade date.
    pub trade_date: NaiveDate,
    /// Days the order window stays open.
    pub active_window: i32,
    /// Underwriters.
    pub underwriters: Vec<OfferingUnderwriter>,
    /// Minimum ticket in USD.
    pub min_ticket: Decimal,
    /// Maximum ticket in USD.
    pub max_ticket: Decimal,
}

/// The offerings and who follows them.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct IpoBook {
    /// The offerings, in reference order.
    pub offerings: Vec<Offering>,
    /// `(account id, offering reference)` pairs subscribed.
    pub subscriptions: BTreeSet<(i32, String)>,
}

const COMPANIES: &[(&str, &str, &str)] = &[
    ("Northwind Robotics", "NWRB", "Industrials"),
    ("Bluefin Therapeutics", "BLFN", "Health Care"),
    ("Cobalt Cloud Systems", "CBLT", "Information Technology"),
    ("Meadowlark Foods", "MDLK", "Consumer Staples"),
    ("Helios Grid Energy", "HLGE", "Utilities"),
    ("Quartz Payments", "QRTZ", "Financials"),
    ("Redwood Outdoor", "RDWD", "Consumer Discretionary"),
    ("Tidewater Logistics", "TDWL", "Industrials"),
    ("Aurora Genomics", "AURG", "Health Care"),
    ("Summit Semiconductors", "SMMT", "Information Technology"),
    ("Prairie Lithium", "PRLI", "Materials"),
    ("Lantern Media", "LNTN", "Communication Services"),
];

const UNDERWRITERS: &[(&str, &str)] = &[
    ("GSCO", "Goldman Sachs & Co."),
    ("MSCO", "Morgan Stanley & Co."),
    ("JPMS", "J.P. Morgan Securities"),
    ("CITI", "Citigroup Global Markets"),
    ("BOFA", "BofA Securities"),
];

impl IpoBook {
    /// Draws the offerings from the seeded RNG.
    pub fn seed(rng: &mut StdRng) -> IpoBook {
        let base = NaiveDate::from_ymd_opt(2026, 1, 5).unwrap_or_default();
        let offerings = COMPANIES
            .iter()
            .enumerate()
            .map(|(i, &(name, ticker, industry))| {
                let min = rng.random_range(8..40) * 100;
                let max = min + rng.random_range(2..8) * 100;
                let lead = rng.random_range(0..UNDERWRITERS.len());
                let co =
                    (lead + 1 + rng.random_range(0..UNDERWRITERS.len() - 1)) % UNDERWRITERS.len();
                let underwriters = [(lead, true), (co, false)]
                    .into_iter()
                    .map(|(u, is_lead)| OfferingUnderwriter {
                        executing_broker_mpid: UNDERWRITERS[u].0.to_string(),
                        executing_broker_name: UNDERWRITERS[u].1.to_string(),
                        display: true,
                        lead: is_lead,
                    })
                    .collect();
                let shares: i64 = rng.random_range(40..400) * 50_000;
                let cusip: String = (0..8)
                    .map(|_| char::from(b'0' + rng.random_range(0..10u8)))
                    .collect();
                Offering {
                    reference: format!("IPO-2026-{:04}", i + 1),
                    name: name.to_string(),
                    ticker: ticker.to_string(),
                    offering_type: if rng.random_bool(0.8) {
                        "IPO"
                    } else {
                        "Follow-on"
                    },
                    industry,
                    cusip: format!("{cusip}{}", i % 10),
                    available_to_order: rng.random_range(10..200) * 1000,
                    anticipated_shares: group_thousands(shares),
                    min_price: Decimal::new(min, 2),
                    max_price: Decimal::new(max, 2),
                    trade_date: base + Duration::days(rng.random_range(7..120)),
                    active_window: rng.random_range(3..15),
                    underwriters,
                    min_ticket: Decimal::from(rng.random_range(1..5) * 250),
                    max_ticket: Decimal::from(rng.random_range(2..20) * 25_000),
                }
            })
            .collect();
        IpoBook {
            offerings,
            subscriptions: BTreeSet::new(),
        }
    }
}

/// `1234567` as `"1,234,567"`.
fn group_thousands(n: i64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Where the offering documents "live": a reserved `.test` host, since the sandbox serves no documents.
pub const DOCUMENTS_HOST: &str = "https://ipo-documents.sandbox.autoshares.test";

/// The spec's `AccountOffering`: an offering as one account sees it.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
#[allow(missing_docs)]
pub struct AccountOffering {
    pub offering_reference: String,
    pub name: String,
    pub ticker_symbol: String,
    pub description: String,
    pub offering_type_name: String,
    pub industry: String,
    pub prospectus_url: String,
    pub brochure_url: String,
    pub underwriter: Vec<OfferingUnderwriter>,
    pub cusip_id: String,
    pub available_to_order: i32,
    pub anticipated_shares: String,
    #[serde(with = "rust_decimal::serde::float")]
    pub min_price: Decimal,
    #[serde(with = "rust_decimal::serde::float")]
    pub max_price: Decimal,
    pub trade_date: String,
    pub settlement_date: String,
    pub active_window: i32,
    pub logo_small: String,
    pub biz_insights_html: String,
    pub unit_increment: i32,
    pub ordr_dollar_share: i32,
    #[serde(with = "rust_decimal::serde::float")]
    pub min_ticket_size: Decimal,
    #[serde(with = "rust_decimal::serde::float")]
    pub max_ticket_size: Decimal,
    pub has_order: bool,
    pub client_order_id: String,
    pub is_subscribed: bool,
    #[serde(with = "rust_decimal::serde::float")]
    pub requested_amount: Decimal,
}

impl AccountOffering {
    /// How `offering` looks to an account (`subscribed` or not).
    pub fn new(offering: &Offering, subscribed: bool) -> AccountOffering {
        let docs = format!("{DOCUMENTS_HOST}/{}", offering.reference);
        AccountOffering {
            offering_reference: offering.reference.clone(),
            name: offering.name.clone(),
            ticker_symbol: offering.ticker.clone(),
            description: format!(
                "{} ({}) plans to offer {} shares at {} to {} USD.",
                offering.name,
                offering.ticker,
                offering.anticipated_shares,
                offering.min_price,
                offering.max_price
            ),
            offering_type_name: offering.offering_type.to_string(),
            industry: offering.industry.to_string(),
            prospectus_url: format!("{docs}/prospectus.pdf"),
            brochure_url: format!("{docs}/brochure.pdf"),
            underwriter: offering.underwriters.clone(),
            cusip_id: offering.cusip.clone(),
            available_to_order: offering.available_to_order,
            anticipated_shares: offering.anticipated_shares.clone(),
            min_price: offering.min_price,
            max_price: offering.max_price,
            trade_date: offering.trade_date.format("%m/%d/%Y").to_string(),
            settlement_date: (offering.trade_date + Duration::days(1))
                .format("%m/%d/%Y")
                .to_string(),
            active_window: offering.active_window,
            logo_small: format!("{docs}/logo.png"),
            biz_insights_html: format!(
                "<p>{} operates in {}.</p>",
                offering.name, offering.industry
            ),
            unit_increment: 1,
            ordr_dollar_share: 0,
            min_ticket_size: offering.min_ticket,
            max_ticket_size: offering.max_ticket,
            has_order: false,
            client_order_id: String::new(),
            is_subscribed: subscribed,
            requested_amount: Decimal::ZERO,
        }
    }
}

/// `GET /v{version}/ipo/industries`: the distinct industries of the offerings, sorted.
pub async fn industries(State(state): State<AppState>, _caller: Caller) -> Json<Vec<String>> {
    let store = state.rest();
    let set: BTreeSet<&str> = store.ipo.offerings.iter().map(|o| o.industry).collect();
    Json(set.into_iter().map(str::to_string).collect())
}

/// Path of the anonymous route.
#[derive(Debug, Deserialize)]
pub struct VersionPath {
    /// `v1.0` or `v1`.
    pub version: String,
}

/// `GET /v{version}/ipo/security-info` (no `Authorization`): a string, as the spec types it, holding
/// the JSON list of offered securities (`TickerSymbol`, `CusipId`, `Name`, `OfferingReference`).
pub async fn security_info(
    State(state): State<AppState>,
    Path(p): Path<VersionPath>,
    method: http::Method,
    uri: http::Uri,
) -> Response {
    match p.version.strip_prefix('v') {
        None => return ApiError::route_not_found(&state, &uri).into_response(),
        Some(v) if !SUPPORTED_VERSIONS.contains(&v) => {
            return ApiError::UnsupportedApiVersion {
                version: v.to_string(),
                method: method.to_string(),
            }
            .into_response()
        }
        Some(_) => {}
    }
    let store = state.rest();
    let list: Vec<Value> = store
        .ipo
        .offerings
        .iter()
        .map(|o| {
            json!({
                "OfferingReference": o.reference,
                "TickerSymbol": o.ticker,
                "CusipId": o.cusip,
                "Name": o.name,
            })
        })
        .collect();
    Json(Value::String(Value::Array(list).to_string())).into_response()
}

/// Path of the subscription routes.
#[derive(Debug, Deserialize)]
pub struct OfferingPath {
    /// Trading account id.
    pub account_id: i32,
    /// Offering reference.
    pub offering: String,
}

/// Path with an account.
#[derive(Debug, Deserialize)]
pub struct AccountPath {
    /// Trading account id.
    pub account_id: i32,
}

fn check_account(state: &AppState, caller: Caller, account_id: i32) -> Result<(), ApiError> {
    own_account(&state.dir(), caller, account_id).map(|_| ())
}

/// `POST .../offerings/{offeringReference}/subscribe`: follows the offering. Unknown offering or
/// already subscribed: 409.
pub async fn subscribe(
    State(state): State<AppState>,
    caller: Caller,
    Path(p): Path<OfferingPath>,
) -> Result<Json<Value>, ApiError> {
    check_account(&state, caller, p.account_id)?;
    let mut store = state.rest();
    if !store
        .ipo
        .offerings
        .iter()
        .any(|o| o.reference == p.offering)
    {
        return Err(ApiError::conflict(format!(
            "The offering '{}' does not exist",
            p.offering
        )));
    }
    if !store
        .ipo
        .subscriptions
        .insert((p.account_id, p.offering.clone()))
    {
        return Err(ApiError::conflict(
            "The account is already subscribed to this offering",
        ));
    }
    Ok(Json(json!({})))
}

/// `POST .../offerings/{offeringReference}/unsubscribe`: stops following. Unknown offering or not
/// subscribed: 409.
pub async fn unsubscribe(
    State(state): State<AppState>,
    caller: Caller,
    Path(p): Path<OfferingPath>,
) -> Result<Json<Value>, ApiError> {
    check_account(&state, caller, p.account_id)?;
    let mut store = state.rest();
    if !store
        .ipo
        .offerings
        .iter()
        .any(|o| o.reference == p.offering)
    {
        return Err(ApiError::conflict(format!(
            "The offering '{}' does not exist",
            p.offering
        )));
    }
    if !store
        .ipo
        .subscriptions
        .remove(&(p.account_id, p.offering.clone()))
    {
        return Err(ApiError::conflict(
            "The account is not subscribed to this offering",
        ));
    }
    Ok(Json(json!({})))
}

/// `GET .../offerings/active?page=&pageSize=[&filter=][&sortBy=]`: the offerings as this account sees
/// them, filtered with the filter language over `AccountOffering` fields (e.g.
/// `Industry = 'Health Care' and MinPrice < 20`; invalid is 422 on `filter`), sorted by any field (`-Field` for
/// descending), in the `PageResult` envelope with a 1-based `page` (`page` and `pageSize` required:
/// missing is the routing 404, out of range 422).
pub async fn active_offerings(
    State(state): State<AppState>,
    caller: Caller,
    Path(p): Path<AccountPath>,
    axum::extract::OriginalUri(uri): axum::extract::OriginalUri,
) -> Result<Json<Value>, ApiError> {
    check_account(&state, caller, p.account_id)?;
    let params = crate::listing::Params::parse(uri.query());
    crate::listing::require(
        &state,
        &uri,
        &params,
        &["page", "pageSize"],
        crate::listing::MissingParams::RouteNotFound,
    )?;
    let page = params.int("page")?.unwrap_or(0);
    let size = params.int("pageSize")?.unwrap_or(0);
    if page < 1 {
        return Err(ApiError::invalid("page", "page must be at least 1."));
    }
    if !(1..=100).contains(&size) {
        return Err(ApiError::invalid(
            "pageSize",
            "pageSize must be between 1 and 100.",
        ));
    }
    // The operation declares no 400: a malformed filter is a model error of `filter` here.
    let filter = crate::filter::parse(params.get("filter").unwrap_or(""))
        .map_err(|e| ApiError::invalid("filter", e.to_string()))?;
    let store = state.rest();
    let mut items: Vec<Value> = store
        .ipo
        .offerings
        .iter()
        .map(|o| {
            let subscribed = store
                .ipo
                .subscriptions
                .contains(&(p.account_id, o.reference.clone()));
            serde_json::to_value(AccountOffering::new(o, subscribed)).unwrap_or_default()
        })
        .filter(|v| filter.matches(v, &crate::filter::no_enums))
        .collect();
    let sort = params.get("sortBy").map(str::trim).unwrap_or("");
    let (field, desc) = match sort.strip_prefix('-') {
        Some(f) => (f, true),
        None => (sort, false),
    };
    crate::listing::sort(&mut items, Some(field), desc);
    let total = items.len() as i32;
    let total_pages = (total + size - 1) / size;
    let skip = (page as usize - 1).saturating_mul(size as usize);
    let page_items: Vec<Value> = items.into_iter().skip(skip).take(size as usize).collect();
    Ok(Json(json!({
        "Items": page_items,
        "PageNumber": page,
        "PageSize": size,
        "TotalCount": total,
        "TotalPage": total_pages,
    })))
}

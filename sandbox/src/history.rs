//! Historical trade data (charts): candles from [`Market::bar`], so they agree with the quotes the
//! sandbox serves (the last candle of a range ending now closes at the current last price).
//!
//! Times are Unix seconds. The simulated market trades around the clock, so every candle is
//! market data (`IsMarket: true`) whatever `IncludeNonMarketData` says. Indicators (`SMA`, `EMA`,
//! `RSI`, `MACD`, `Bollinger`, `VWAP`, `ATR`, `Momentum`, `ROC`) are computed by
//! [`crate::indicators`] over the candles; any other signature gets an empty series (the schema
//! allows it).

use axum::body::Bytes;
use axum::extract::State;
use axum::routing::{post, put};
use axum::{Json, Router};
use chrono::{DateTime, Datelike, Duration, Months, TimeZone, Utc};
use rust_decimal::Decimal;
use serde_json::{json, Map, Value};

use crate::http::{ApiError, Caller};
use crate::indicators::Study;
use crate::market::{Bar, Market, Security};
use crate::orders::{body_object, str_field};
use crate::state::AppState;
use crate::wire::{dec, iso};

/// Most candles one series returns (the latest ones).
pub const MAX_CANDLES: i64 = 2000;

/// Routes of this module.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/{version}/history/symbols", put(symbols))
        .route("/{version}/history/compare", put(compare))
        .route("/{version}/history/export", post(export))
}

/// A candle period (`Period`: `1m` ... `1Y`; minutes are lower-case, months upper-case).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Period {
    /// A fixed number of seconds (minutes, hours, days; weeks start on Monday).
    Seconds(i64),
    /// Calendar months.
    Months(u32),
}

impl Period {
    /// Parses the vendor's period names.
    pub fn parse(s: &str) -> Option<Period> {
        let s = s.trim();
        let (n, unit) = s.split_at(s.find(|c: char| !c.is_ascii_digit())?);
        let n: i64 = n.parse().ok().filter(|n| *n > 0 && *n <= 1000)?;
        Some(match unit {
            "m" | "min" => Period::Seconds(60 * n),
            "h" | "H" => Period::Seconds(3600 * n),
            "D" | "d" => Period::Seconds(86_400 * n),
            "W" | "w" => Period::Seconds(7 * 86_400 * n),
            "M" => Period::Months(n as u32),
            "Y" | "y" => Period::Months(12 * n as u32),
            _ => return None,
        })
    }

    /// The start of the candle containing `t`.
    pub fn align(self, t: DateTime<Utc>) -> DateTime<Utc> {
        match self {
            Period::Seconds(s) => {
                // Weeks start on Monday 1970-01-05.
                let origin = if s % (7 * 86_400) == 0 { 4 * 86_400 } else { 0 };
                let ts = (t.timestamp() - origin).div_euclid(s) * s + origin;
                Utc.timestamp_opt(ts, 0).single().unwrap_or(t)
            }
            Period::Months(n) => {
                let index = t.year() as i64 * 12 + t.month0() as i64;
                let index = index.div_euclid(n as i64) * n as i64;
                Utc.with_ymd_and_hms(
                    index.div_euclid(12) as i32,
                    index.rem_euclid(12) as u32 + 1,
                    1,
                    0,
                    0,
                    0,
                )
                .single()
                .unwrap_or(t)
            }
        }
    }

    /// The start of the next candle.
    pub fn next(self, t: DateTime<Utc>) -> DateTime<Utc> {
        match self {
            Period::Seconds(s) => t + Duration::seconds(s),
            Period::Months(n) => t
                .checked_add_months(Months::new(n))
                .unwrap_or(t + Duration::days(31)),
        }
    }

    /// `t` moved back by `count` candles.
    pub fn back(self, t: DateTime<Utc>, count: i64) -> DateTime<Utc> {
        match self {
            Period::Seconds(s) => t - Duration::seconds(s.saturating_mul(count)),
            Period::Months(n) => t
                .checked_sub_months(Months::new((n as i64 * count).clamp(0, 12_000) as u32))
                .unwrap_or(t),
        }
    }
}

/// The range settings of a request (`SecurityHistoryRequestSettings`, `TimeFrameModel`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RangeSettings {
    /// Unix seconds (0 = not set).
    pub start: i64,
    /// Unix seconds (0 = now).
    pub end: i64,
    /// Candles wanted (-1 or 0 = not used).
    pub candles: i64,
    /// Candle period.
    pub period: Option<Period>,
    /// The `Interval` preset (0 Candles, -1 All, -2 YTD, -3 Custom, -4 Day1 ... -13 Today).
    pub interval: i64,
}

fn int(m: &Map<String, Value>, key: &str, field: &str) -> Result<i64, ApiError> {
    match m.get(key) {
        None | Some(Value::Null) => Ok(0),
        Some(Value::Number(n)) if n.as_i64().is_some_and(|v| i32::try_from(v).is_ok()) => {
            Ok(n.as_i64().unwrap_or(0))
        }
        Some(_) => Err(ApiError::invalid(field, "The value is not a valid Int32.")),
    }
}

impl RangeSettings {
    /// Reads the settings object at `key` of a (lower-cased) body; `param` names it in 422s.
    pub fn parse(
        body: &Map<String, Value>,
        key: &str,
        param: &str,
    ) -> Result<RangeSettings, ApiError> {
        let empty = Map::new();
        let m = match body.get(key) {
            None | Some(Value::Null) => &empty,
            Some(Value::Object(m)) => m,
            Some(_) => return Err(ApiError::invalid(param, "The value is not a valid object.")),
        };
        let period = match m.get("period") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) if s.trim().is_empty() => None,
            Some(Value::String(s)) => Some(Period::parse(s).ok_or_else(|| {
                ApiError::invalid(
                    format!("{param}.Period"),
                    format!("The period '{s}' is not supported."),
                )
            })?),
            Some(_) => {
                return Err(ApiError::invalid(
                    format!("{param}.Period"),
                    "The value is not a valid string.",
                ))
            }
        };
        // The compare docs send the interval as a name (TDY, 1D, ..., ALL).
        let interval = match m.get("interval") {
            Some(Value::String(s)) => match s.to_ascii_uppercase().as_str() {
                "ALL" => -1,
                "YTD" => -2,
                "1D" => -4,
                "1W" => -5,
                "1M" => -6,
                "3M" => -7,
                "6M" => -8,
                "1Y" => -9,
                "3Y" => -10,
                "TDY" => -13,
                _ => {
                    return Err(ApiError::invalid(
                        format!("{param}.Interval"),
                        "The value is not valid for Interval.",
                    ))
                }
            },
            _ => int(m, "interval", &format!("{param}.Interval"))?,
        };
        Ok(RangeSettings {
            start: int(m, "startdate", &format!("{param}.StartDate"))?,
            end: int(m, "enddate", &format!("{param}.EndDate"))?,
            candles: int(m, "candlescount", &format!("{param}.CandlesCount"))?,
            period,
            interval,
        })
    }

    /// The candle start times of the range (at most [`MAX_CANDLES`], the latest), and the end.
    pub fn buckets(
        &self,
        market: &Market,
        security: &Security,
        default_period: Period,
    ) -> (Period, Vec<DateTime<Utc>>, DateTime<Utc>) {
        let period = self.period.unwrap_or(default_period);
        let now = market.now();
        let at = |ts: i64| Utc.timestamp_opt(ts.max(0), 0).single().unwrap_or(now);
        let end = if self.end > 0 {
            at(self.end).min(now)
        } else {
            now
        };
        let months = |n: u32| end.checked_sub_months(Months::new(n)).unwrap_or(end);
        let count = (self.candles > 0).then_some(self.candles);
        // The last candle with any time in it: an `end` on a candle boundary closes the one before.
        let last = match period.align(end) {
            a if a == end => period.back(a, 1),
            a => a,
        };
        let start = match self.interval {
            -1 => security.added_date,
            -2 => Utc
                .with_ymd_and_hms(end.year(), 1, 1, 0, 0, 0)
                .single()
                .unwrap_or(end),
            -4 => end - Duration::days(1),
            -5 => end - Duration::weeks(1),
            -6 => months(1),
            -7 => months(3),
            -8 => months(6),
            -9 => months(12),
            -10 => months(36),
            -12 => end - Duration::days(3),
            -13 => period.align(Period::Seconds(86_400).align(end)),
            0 | -11 => period.back(last, count.unwrap_or(100) - 1),
            _ if self.start > 0 => at(self.start),
            _ => period.back(last, count.unwrap_or(100) - 1),
        };
        let limit = count.unwrap_or(MAX_CANDLES).min(MAX_CANDLES);
        let earliest = period.back(last, limit - 1);
        let mut t = period.align(start.max(earliest));
        let mut out = Vec::new();
        while t <= end && (out.len() as i64) < limit + 1 {
            if t < end || out.is_empty() {
                out.push(t);
            }
            t = period.next(t);
        }
        let skip = out.len().saturating_sub(limit as usize);
        (period, out.split_off(skip), end)
    }
}

/// The candles of a security over the buckets (the last one ends at `end`).
pub fn candles(
    market: &Market,
    security: &Security,
    period: Period,
    starts: &[DateTime<Utc>],
    end: DateTime<Utc>,
) -> Vec<Bar> {
    starts
        .iter()
        .filter_map(|&t| market.bar(security.id, t, period.next(t).min(end).max(t)))
        .collect()
}

/// The `TimeSeriesValueCandleMapModel` of a candle.
pub fn candle_json(b: &Bar) -> Value {
    json!({
        "ValuationLevels": [], "IsMarket": true, "Volume": b.volume, "OpenInterest": 0,
        "Time": b.time.timestamp(), "DateTime": iso(b.time), "Open": dec(b.open), "High": dec(b.high),
        "Low": dec(b.low), "Close": dec(b.close),
    })
}

fn security_of<'m>(
    market: &'m Market,
    signature: Option<&Value>,
    field: &str,
) -> Result<&'m Security, ApiError> {
    let symbol = signature
        .and_then(Value::as_object)
        .map(|m| str_field(m, "symbol"))
        .unwrap_or_default();
    // The spec marks nothing required, so a request without a symbol is schema-valid: it names
    // no existing security, a 409 like an unknown symbol (`field` is kept for the message).
    if symbol.trim().is_empty() {
        return Err(ApiError::conflict(format!(
            "{field}: no security is given."
        )));
    }
    market
        .security_by_symbol(symbol.trim())
        .ok_or_else(|| ApiError::conflict(format!("Security '{}' is not found.", symbol.trim())))
}

/// One indicator of a `history/symbols` request: its points over the candles shown. The indicator's own
/// range settings (`StartDate`, `EndDate`, `CandlesCount`, `Interval`) apply when it has any, else the
/// candles'; its period is the signature's (else its `Period`, else the candles'). The series is computed from
/// the study's warm-up candles before the first one shown (see [`crate::indicators`]).
fn indicator_series(
    market: &Market,
    security: &Security,
    range: &RangeSettings,
    period: Period,
    end: DateTime<Utc>,
    setting: &Value,
    field: &str,
) -> Result<Value, ApiError> {
    let setting = match setting {
        Value::Object(m) => m.clone(),
        _ => Map::new(),
    };
    let signature = setting
        .get("signature")
        .and_then(Value::as_str)
        .unwrap_or("");
    let parts: Vec<&str> = signature.split('|').map(str::trim).collect();
    let bad = |message: String| ApiError::invalid(format!("{field}.Signature"), message);
    let parse_period = |p: &str| {
        Period::parse(p).ok_or_else(|| bad(format!("The period '{p}' is not supported.")))
    };
    let own_period = match parts.get(1).filter(|p| !p.is_empty()) {
        Some(p) => Some(parse_period(p)?),
        None => match setting
            .get("period")
            .and_then(Value::as_str)
            .filter(|p| !p.trim().is_empty())
        {
            Some(p) => Some(parse_period(p)?),
            None => None,
        },
    };
    let study = match Study::parse(
        parts.first().copied().unwrap_or(""),
        parts.get(3..).unwrap_or_default(),
    ) {
        Ok(Some(study)) => study,
        Ok(None) => return Ok(Value::Array(Vec::new())),
        Err(message) => return Err(bad(message)),
    };
    let has_range = ["startdate", "enddate", "candlescount", "interval"]
        .iter()
        .any(|k| setting.get(*k).is_some_and(|v| !v.is_null()));
    let mut ind_range = if has_range {
        let wrapped: Map<String, Value> =
            [("settings".to_string(), Value::Object(setting.clone()))]
                .into_iter()
                .collect();
        RangeSettings::parse(&wrapped, "settings", field)?
    } else {
        range.clone()
    };
    let ind_period = own_period.unwrap_or(period);
    ind_range.period = Some(ind_period);
    let (_, shown, ind_end) = ind_range.buckets(market, security, period);
    let end = if has_range { ind_end } else { end };
    let Some(first) = shown.first() else {
        return Ok(Value::Array(Vec::new()));
    };
    let warm = study.warm_up();
    let mut all: Vec<DateTime<Utc>> = Vec::with_capacity(warm + shown.len());
    let mut t = ind_period.back(*first, warm as i64);
    while t < *first {
        all.push(t);
        t = ind_period.next(t);
    }
    let skip = all.len();
    all.extend(shown.iter().copied());
    let bars = candles(market, security, ind_period, &all, end);
    let points = study
        .compute(&bars)
        .into_iter()
        .enumerate()
        .skip(skip)
        .filter_map(|(i, v)| v.map(|v| json!({"Date": bars[i].time.timestamp(), "Values": v})))
        .collect();
    Ok(Value::Array(points))
}

/// `PUT /v{version}/history/symbols`: candles, indicators and support/resistance of one security.
async fn symbols(
    State(state): State<AppState>,
    _c: Caller,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let m = body_object(&body, "model")?;
    let market = &state.market;
    let security = security_of(market, m.get("security"), "model.Security.Symbol")?;
    let range = RangeSettings::parse(
        &m,
        "securityhistorysettings",
        "model.SecurityHistorySettings",
    )?;
    let (period, starts, end) = range.buckets(market, security, Period::Seconds(86_400));
    let bars = candles(market, security, period, &starts, end);
    let mut indicators = Vec::new();
    for (i, setting) in m
        .get("indicatorshistorysettings")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .enumerate()
    {
        let field = format!("model.IndicatorsHistorySettings[{i}]");
        indicators.push(indicator_series(
            market, security, &range, period, end, setting, &field,
        )?);
    }
    let support = bars.iter().map(|b| b.low).min().unwrap_or_default();
    let resistance = bars.iter().map(|b| b.high).max().unwrap_or_default();
    Ok(Json(json!({
        "SecurityHistory": [bars.iter().map(candle_json).collect::<Vec<_>>()],
        "IndicatorsHistory": indicators,
        "SupportResistanceHistory": {"SupportPrice": dec(support), "ResistancePrice": dec(resistance), "Levels": []},
    })))
}

/// `PUT /v{version}/history/compare`: one candle series per security over the same range; each
/// candle also carries the documented comparison fields `Price` (the close) and `Difference`
/// (percent change from the first close, 2 decimals).
async fn compare(
    State(state): State<AppState>,
    _c: Caller,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let m = body_object(&body, "model")?;
    let market = &state.market;
    let range = RangeSettings::parse(
        &m,
        "securitieshistorysettings",
        "model.SecuritiesHistorySettings",
    )?;
    let signatures = match m.get("securities") {
        Some(Value::Array(a)) if !a.is_empty() => a.clone(),
        _ => {
            return Err(ApiError::invalid(
                "model.Securities",
                "The Securities field is required.",
            ))
        }
    };
    let mut out = Vec::new();
    for (i, s) in signatures.iter().enumerate() {
        let security = security_of(market, Some(s), &format!("model.Securities[{i}].Symbol"))?;
        let (period, starts, end) = range.buckets(market, security, Period::Seconds(86_400));
        let bars = candles(market, security, period, &starts, end);
        let first = bars.first().map(|b| b.close).unwrap_or_default();
        let series: Vec<Value> = bars
            .iter()
            .map(|b| {
                let mut v = candle_json(b);
                v["Price"] = dec(b.close);
                v["Difference"] = dec(if first.is_zero() {
                    Decimal::ZERO
                } else {
                    ((b.close - first) * Decimal::ONE_HUNDRED / first).round_dp(2)
                });
                v
            })
            .collect();
        out.push(Value::Array(series));
    }
    Ok(Json(Value::Array(out)))
}

/// `POST /v{version}/history/export`: the chart data as a CSV file inside a JSON object
/// (`FileName`, `ContentType: "text/csv"`, `Content`). The vendor returns an .xlsx, but the spec
/// declares the 200 body as a JSON `object` produced as `application/json`, so a schema-conforming
/// JSON envelope keeps the sandbox inside the contract (a binary body would break the declared
/// content type) while still carrying a spreadsheet a client can save.
async fn export(
    State(state): State<AppState>,
    _c: Caller,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let m = body_object(&body, "settings")?;
    let market = &state.market;
    let range = RangeSettings::parse(&m, "timeframe", "settings.TimeFrame")?;
    let ids: Vec<i64> = match m.get("securities") {
        Some(Value::Array(a)) if !a.is_empty() => a
            .iter()
            .map(|v| {
                v.as_i64().ok_or_else(|| {
                    ApiError::invalid("settings.Securities", "The value is not a valid Int32.")
                })
            })
            .collect::<Result<_, _>>()?,
        _ => {
            return Err(ApiError::invalid(
                "settings.Securities",
                "The Securities field is required.",
            ))
        }
    };
    let mut csv = String::from("Symbol,Time,DateTime,Open,High,Low,Close,Volume\r\n");
    for id in ids {
        let security = i32::try_from(id)
            .ok()
            .and_then(|id| market.security_by_id(id))
            .ok_or_else(|| {
                ApiError::invalid(
                    "settings.Securities",
                    format!("Security {id} is not found."),
                )
            })?;
        let (period, starts, end) = range.buckets(market, security, Period::Seconds(86_400));
        for b in candles(market, security, period, &starts, end) {
            csv.push_str(&format!(
                "{},{},{},{},{},{},{},{}\r\n",
                security.symbol.trim(),
                b.time.timestamp(),
                b.time.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                b.open.normalize(),
                b.high.normalize(),
                b.low.normalize(),
                b.close.normalize(),
                b.volume
            ));
        }
    }
    let name = str_field(&m, "defaultfilename");
    let name: String = name
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ' '))
        .collect();
    let base = name
        .trim()
        .trim_end_matches(".xlsx")
        .trim_end_matches(".csv");
    let file = if base.is_empty() {
        "history".to_string()
    } else {
        base.to_string()
    };
    Ok(Json(
        json!({"FileName": format!("{file}.csv"), "ContentType": "text/csv", "Content": csv}),
    ))
}

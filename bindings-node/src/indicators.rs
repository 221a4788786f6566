//! Technical indicators (core `indicators`): `computeIndicators(bars, spec)` over the candles of
//! `client.history.bars(...)` (or any `{ open, high, low, close, volume, time }` rows), and
//! `indicatorSignature(study, period, params)`, the server-side signature string built and checked by core.
//!
//! The computation is core's; this file reads the bars (decimal strings or numbers, converted once to `f64`) and
//! the spec, and returns one `Float64Array` per indicator column (`NaN` in the warm-up), in order.

use autoshares::indicators::{self as ind, Bars, ChartPeriod, Indicator, SignatureBuilder, Study};
use autoshares::Error as CoreError;
use chrono::{DateTime, Utc};
use napi::bindgen_prelude::*;
use napi_derive::napi;
use serde_json::Value;

use crate::error;

/// One bar: the prices and volume as decimal strings (as `client.history.bars()` returns them) or numbers.
#[napi(object, object_to_js = false)]
pub struct IndicatorBar {
    pub open: Option<Either<String, f64>>,
    pub high: Option<Either<String, f64>>,
    pub low: Option<Either<String, f64>>,
    pub close: Option<Either<String, f64>>,
    pub volume: Option<Either<String, f64>>,
    /// When the bar starts (only the session VWAP needs it).
    pub time: Option<DateTime<Utc>>,
}

/// A `ChartHistory` (its `securityHistory`, every series in order).
#[napi(object, object_to_js = false)]
pub struct IndicatorChart {
    pub security_history: Vec<Vec<IndicatorBar>>,
}

fn invalid(field: impl Into<String>, message: impl Into<String>) -> CoreError {
    CoreError::Validation {
        field: field.into(),
        message: message.into(),
    }
}

fn number(v: &Option<Either<String, f64>>, field: &str) -> std::result::Result<f64, CoreError> {
    match v {
        None => Ok(f64::NAN),
        Some(Either::B(n)) => Ok(*n),
        Some(Either::A(s)) => s
            .trim()
            .parse::<f64>()
            .map_err(|_| invalid(field, format!("{s:?} is not a number"))),
    }
}

fn bars_of(
    bars: Either<Vec<IndicatorBar>, IndicatorChart>,
) -> std::result::Result<Bars, CoreError> {
    let rows: Vec<IndicatorBar> = match bars {
        Either::A(rows) => rows,
        Either::B(chart) => chart.security_history.into_iter().flatten().collect(),
    };
    let mut cols: [Vec<f64>; 5] = Default::default();
    let mut times = Vec::with_capacity(rows.len());
    for (i, b) in rows.iter().enumerate() {
        for (k, (name, v)) in [
            ("open", &b.open),
            ("high", &b.high),
            ("low", &b.low),
            ("close", &b.close),
            ("volume", &b.volume),
        ]
        .into_iter()
        .enumerate()
        {
            cols[k].push(number(v, &format!("bars[{i}].{name}"))?);
        }
        times.push(b.time);
    }
    let [open, high, low, close, volume] = cols;
    Bars::from_columns(open, high, low, close, volume)?.with_times(times)
}

/// A whole number of bars at `field`.
fn count(v: &Value, field: &str) -> std::result::Result<usize, CoreError> {
    v.as_u64().map(|n| n as usize).ok_or_else(|| {
        invalid(
            field,
            format!("must be a positive whole number of bars, not {v}"),
        )
    })
}

/// `v` as a list of single specs: an array whose first item is an array or object (or an array of numbers for
/// the one-number indicators); else `[v]`.
fn each(v: &Value, numbers_are_list: bool) -> Vec<&Value> {
    match v {
        Value::Array(items)
            if numbers_are_list || items.first().is_some_and(|f| f.is_array() || f.is_object()) =>
        {
            items.iter().collect()
        }
        _ => vec![v],
    }
}

fn triple(v: &Value, name: &str, keys: [&str; 3]) -> std::result::Result<[usize; 3], CoreError> {
    let get = |i: usize| -> std::result::Result<usize, CoreError> {
        let field = format!("{name}.{}", keys[i]);
        let item = match v {
            Value::Array(a) if a.len() == 3 => &a[i],
            Value::Object(o) => o.get(keys[i]).unwrap_or(&Value::Null),
            _ => {
                return Err(invalid(
                    name,
                    format!(
                        "expected [{}] or {{ {} }}",
                        keys.join(", "),
                        keys.join(", ")
                    ),
                ))
            }
        };
        count(item, &field)
    };
    Ok([get(0)?, get(1)?, get(2)?])
}

/// The core indicators of a spec object (keys in the order sma, ema, rsi, macd, bollinger, vwap, atr).
fn indicators_of(spec: &Value) -> std::result::Result<Vec<Indicator>, CoreError> {
    let Value::Object(spec) = spec else {
        return Err(invalid(
            "spec",
            "expected an object such as { sma: 20, macd: true }",
        ));
    };
    const KNOWN: [&str; 7] = ["sma", "ema", "rsi", "macd", "bollinger", "vwap", "atr"];
    if let Some(k) = spec.keys().find(|k| !KNOWN.contains(&k.as_str())) {
        return Err(invalid(
            format!("spec.{k}"),
            format!("not an indicator: {}", KNOWN.join(", ")),
        ));
    }
    let mut out = Vec::new();
    for (name, make) in [
        ("sma", Indicator::sma as fn(usize) -> Indicator),
        ("ema", Indicator::ema),
        ("rsi", Indicator::rsi),
    ] {
        if let Some(v) = spec.get(name) {
            for one in each(v, true) {
                out.push(make(count(one, &format!("{name}.period"))?));
            }
        }
    }
    if let Some(v) = spec.get("macd") {
        for one in each(v, false) {
            match one {
                Value::Bool(true) => out.push(Indicator::macd(12, 26, 9)),
                Value::Bool(false) => {}
                _ => {
                    let [f, s, g] = triple(one, "macd", ["fast", "slow", "signal"])?;
                    out.push(Indicator::macd(f, s, g));
                }
            }
        }
    }
    if let Some(v) = spec.get("bollinger") {
        for one in each(v, false) {
            let k_of = |k: &Value| {
                k.as_f64()
                    .ok_or_else(|| invalid("bollinger.k", format!("must be a number, not {k}")))
            };
            match one {
                Value::Bool(true) => out.push(Indicator::bollinger(20, 2.0)),
                Value::Bool(false) => {}
                Value::Array(a) if a.len() == 2 => out.push(Indicator::bollinger(
                    count(&a[0], "bollinger.period")?,
                    k_of(&a[1])?,
                )),
                Value::Object(o) => out.push(Indicator::bollinger(
                    count(o.get("period").unwrap_or(&Value::Null), "bollinger.period")?,
                    o.get("k").map(k_of).transpose()?.unwrap_or(2.0),
                )),
                n => out.push(Indicator::bollinger(count(n, "bollinger.period")?, 2.0)),
            }
        }
    }
    if let Some(v) = spec.get("vwap") {
        for one in each(v, true) {
            match one {
                Value::Bool(true) => out.push(Indicator::vwap()),
                Value::Bool(false) => {}
                Value::String(s) if s == "cumulative" => out.push(Indicator::vwap()),
                Value::String(s) if s == "session" => out.push(Indicator::vwap_session(0)),
                Value::Object(o) if o.contains_key("session") => {
                    let m = o.get("session").and_then(Value::as_i64).ok_or_else(|| {
                        invalid("vwap.session", "must be the session's UTC offset in minutes")
                    })?;
                    let m = i32::try_from(m).map_err(|_| invalid("vwap.session", "out of range"))?;
                    out.push(Indicator::vwap_session(m));
                }
                n @ Value::Number(_) => out.push(Indicator::vwap_rolling(count(n, "vwap.period")?)),
                other => {
                    return Err(invalid(
                        "vwap",
                        format!("expected true, 'cumulative', 'session', {{ session: minutes }} or a period, not {other}"),
                    ))
                }
            }
        }
    }
    if let Some(v) = spec.get("atr") {
        for one in each(v, true) {
            out.push(Indicator::atr(count(one, "atr.period")?));
        }
    }
    Ok(out)
}

/// Technical indicators computed by the core over `bars` (a `ChartHistory` from `client.history.bars()`, or an
/// array of `{ open, high, low, close, volume, time }` with decimal strings or numbers): one `Float64Array` per
/// column, as long as the bars, `NaN` in each indicator's warm-up, named and ordered as the spec lists them
/// (`sma_20`, `ema_12`, `rsi_14`, `macd_12_26_9`, `macd_signal_12_26_9`, `macd_hist_12_26_9`, `bb_middle_20_2`,
/// `bb_upper_20_2`, `bb_lower_20_2`, `vwap`, `vwap_session`, `vwap_20`, `atr_14`). Wilder's RSI and ATR, EMA
/// seeded with the first close, Bollinger bands of the population standard deviation, VWAP of the typical price.
/// Bad parameters throw an `AutoSharesError` with `code === 'VALIDATION'` and `field` (`'macd.fast'`).
///
/// ```js
/// const h = await client.history.bars({ security: { symbol: 'AAPL' }, securityHistorySettings: { period: '1h', interval: 0, candlesCount: 500 } })
/// const cols = computeIndicators(h, { sma: 20, ema: [12, 26], rsi: 14, macd: true, bollinger: [20, 2], vwap: 'session', atr: 14 })
/// cols.rsi_14[499]   // a number; cols.rsi_14[0] is NaN
/// ```
#[napi(
    ts_args_type = "bars: ChartHistory | IndicatorBar[], spec: IndicatorSpec",
    ts_return_type = "Record<string, Float64Array>"
)]
pub fn compute_indicators<'env>(
    env: &'env Env,
    bars: Either<Vec<IndicatorBar>, IndicatorChart>,
    spec: Value,
) -> Result<Object<'env>> {
    let computed = (|| {
        let indicators = indicators_of(&spec)?;
        let bars = bars_of(bars)?;
        ind::compute(&bars, &indicators)
    })()
    .map_err(|e| error::core(env, &e))?;
    let mut out = Object::new(env)?;
    for c in computed {
        let values: Vec<f64> = c.values.iter().map(|v| v.unwrap_or(f64::NAN)).collect();
        out.set_named_property(&c.name, Float64Array::new(values))?;
    }
    Ok(out)
}

/// A server-side indicator signature (`'MACD|4h|false|12|26|9'`) for `indicatorsHistorySettings[].signature`,
/// built and checked by the core: the study's vendor name, the candle period and its parameters in signature order.
/// Bad parameters (a zero period, a fast period not shorter than the slow one) throw an `AutoSharesError` with
/// `code === 'VALIDATION'` and `field` (`'signature.fast'`).
///
/// ```js
/// indicatorSignature('MACD', '4h', [12, 26, 9])                 // 'MACD|4h|false|12|26|9'
/// indicatorSignature('Bollinger', '1h', [20, 2])                // 'Bollinger|1h|false|20|2|0'
/// indicatorSignature('RSI', '1D', [14], { signalLine: true })   // 'RSI|1D|true|14'
/// ```
#[napi(
    ts_args_type = "study: IndicatorStudy, period: ChartPeriod, params: number[], options?: { signalLine?: boolean }"
)]
pub fn indicator_signature(
    env: Env,
    study: String,
    period: String,
    params: Vec<f64>,
    options: Option<SignatureOptions>,
) -> Result<String> {
    let signal_line = options.and_then(|o| o.signal_line).unwrap_or(false);
    (|| {
        let period: ChartPeriod = period.parse()?;
        let study = Study::from_parts(&study, &params)?;
        SignatureBuilder::new(period, study)
            .signal_line(signal_line)
            .build()
    })()
    .map(|s| s.to_string())
    .map_err(|e| error::core(&env, &e))
}

/// Options of `indicatorSignature`.
#[napi(object, object_to_js = false)]
pub struct SignatureOptions {
    /// The `UseSignalLine` flag (default `false`).
    pub signal_line: Option<bool>,
}

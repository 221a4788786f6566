//! Technical indicators computed locally over any bars: SMA, EMA, RSI, MACD, Bollinger bands, VWAP and ATR.
//!
//! Indicators are statistics, not money: they are computed in `f64`, and the bars' exact `Decimal` prices are
//! converted once, when the [`Bars`] are built (correctly rounded, as `float(Decimal)` in Python or `Number(s)` in
//! JavaScript would). Each indicator gives one or more [`Column`]s with one value per bar, aligned with the
//! input; the rows before an indicator has enough bars (its warm-up) are `None`.
//!
//! Conventions (each one matches a well-known reference, which the tests check to 1e-9 relative error):
//!
//! | indicator | definition | first value at row | same as |
//! |---|---|---|---|
//! | SMA(n) | mean of the last `n` closes | `n-1` | pandas `rolling(n).mean()`, `ta` `SMAIndicator` |
//! | EMA(n) | `α = 2/(n+1)`, seeded with the first close: `e₀ = c₀`, `eᵢ = eᵢ₋₁ + α(cᵢ - eᵢ₋₁)` | `n-1` | pandas `ewm(span=n, adjust=False, min_periods=n)`, `ta` `EMAIndicator` |
//! | RSI(n), Wilder | changes `dᵢ = cᵢ - cᵢ₋₁`; average gain and loss seeded with the simple mean of `d₁..dₙ`, then `aᵢ = (aᵢ₋₁(n-1) + xᵢ)/n`; `100 - 100/(1 + gain/loss)`, 100 when the average loss is 0 | `n` | Wilder (1978), TA-Lib |
//! | MACD(f, s, g) | line `EMA(f) - EMA(s)` (both as above, from the first bar); signal: EMA(g) of the line seeded with its first value; histogram `line - signal` | line `s-1`, signal and histogram `s+g-2` | `ta` `MACD` |
//! | Bollinger(n, k) | middle SMA(n); upper/lower `middle ± k·σ`, σ the **population** standard deviation (divide by `n`) of the last `n` closes | `n-1` | Bollinger's definition, `ta` `BollingerBands` |
//! | VWAP | typical price `(high + low + close)/3` weighted by volume: cumulative from the first bar, or reset at each session (a UTC day, shifted by an offset), or over a rolling window of `n` bars | 0 (rolling: `n-1`) | `ta` `VolumeWeightedAveragePrice` (rolling) |
//! | ATR(n), Wilder | true range `max(h - l, |h - c₋₁|, |l - c₋₁|)` (`h₀ - l₀` on the first bar); seeded with the mean of the first `n`, then `aᵢ = (aᵢ₋₁(n-1) + trᵢ)/n` | `n-1` | Wilder, `ta` `AverageTrueRange` |
//!
//! A VWAP over bars whose volume adds up to 0 is `None`.
//!
//! ```
//! use autoshares::indicators::{compute, Bars, Indicator};
//! let closes = vec![10.0, 11.0, 12.0, 11.0, 13.0];
//! let bars = Bars::from_closes(closes)?;
//! let cols = compute(&bars, &[Indicator::sma(3), Indicator::ema(3)])?;
//! assert_eq!(cols[0].name, "sma_3");
//! assert_eq!(cols[0].values, vec![None, None, Some(11.0), Some(34.0 / 3.0), Some(12.0)]);
//! assert_eq!(cols[1].values[2], Some(11.25)); // 10 → 10.5 → 11.25 with α = 1/2
//! # Ok::<(), autoshares::Error>(())
//! ```

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use crate::error::{Error, Result};
use crate::models::{ChartHistory, TimeSeriesValueCandleMap};

/// The longest window a local indicator accepts.
pub const MAX_LOCAL_PERIOD: usize = 1_000_000;

/// A bar (candle) with open, high, low, close and volume: what [`Bars::from_ohlcv`] reads. Implemented for the
/// history API's candles; implement it for bars of your own.
///
/// ```
/// use autoshares::indicators::{Bars, Ohlcv};
/// use chrono::{DateTime, Utc};
/// use rust_decimal::Decimal;
///
/// struct MyBar { close: Decimal }
/// impl Ohlcv for MyBar {
///     fn open(&self) -> Option<Decimal> { None }
///     fn high(&self) -> Option<Decimal> { None }
///     fn low(&self) -> Option<Decimal> { None }
///     fn close(&self) -> Option<Decimal> { Some(self.close) }
///     fn volume(&self) -> Option<Decimal> { None }
///     fn time(&self) -> Option<DateTime<Utc>> { None }
/// }
/// let bars = Bars::from_ohlcv(&[MyBar { close: Decimal::ONE }]);
/// assert_eq!(bars.close(), &[1.0]);
/// ```
pub trait Ohlcv {
    /// The first price.
    fn open(&self) -> Option<Decimal>;
    /// The highest price.
    fn high(&self) -> Option<Decimal>;
    /// The lowest price.
    fn low(&self) -> Option<Decimal>;
    /// The last price.
    fn close(&self) -> Option<Decimal>;
    /// The volume traded.
    fn volume(&self) -> Option<Decimal>;
    /// When the bar starts (needed only by the session VWAP).
    fn time(&self) -> Option<DateTime<Utc>>;
}

impl Ohlcv for TimeSeriesValueCandleMap {
    fn open(&self) -> Option<Decimal> {
        self.open
    }
    fn high(&self) -> Option<Decimal> {
        self.high
    }
    fn low(&self) -> Option<Decimal> {
        self.low
    }
    fn close(&self) -> Option<Decimal> {
        self.close
    }
    fn volume(&self) -> Option<Decimal> {
        self.volume
    }
    fn time(&self) -> Option<DateTime<Utc>> {
        self.time.or(self.date_time)
    }
}

/// `d` as the nearest `f64` (correctly rounded).
///
/// ```
/// use autoshares::indicators::decimal_to_f64;
/// assert_eq!(decimal_to_f64("0.1".parse().unwrap()), 0.1);
/// assert_eq!(decimal_to_f64("187.2500".parse().unwrap()), 187.25);
/// ```
pub fn decimal_to_f64(d: Decimal) -> f64 {
    // Fast path (Clinger): an integer mantissa and a power of ten both exact in f64 make one correctly rounded
    // division. Otherwise through the decimal text, which Rust parses correctly rounded.
    const EXACT: i128 = 1 << 53;
    const POW10: [f64; 23] = [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
        1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
    ];
    let m = d.mantissa();
    if let (true, Some(p)) = (m.abs() < EXACT, POW10.get(d.scale() as usize)) {
        return m as f64 / p;
    }
    d.to_string().parse().unwrap_or(f64::NAN)
}

/// Bars as columns of `f64` (the input of [`compute`]); a missing value is NaN and is refused by an indicator
/// that needs it.
///
/// ```
/// use autoshares::indicators::Bars;
/// let bars = Bars::from_columns(vec![1.0, 2.0], vec![1.5, 2.5], vec![0.5, 1.5], vec![1.2, 2.2], vec![100.0, 50.0])?;
/// assert_eq!(bars.len(), 2);
/// assert!(Bars::from_columns(vec![1.0], vec![], vec![], vec![], vec![]).is_err());
/// # Ok::<(), autoshares::Error>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Bars {
    time: Vec<Option<DateTime<Utc>>>,
    open: Vec<f64>,
    high: Vec<f64>,
    low: Vec<f64>,
    close: Vec<f64>,
    volume: Vec<f64>,
}

impl Bars {
    /// Bars from any [`Ohlcv`] values (the history API's candles, or your own), converted to `f64` once.
    pub fn from_ohlcv<'a, T: Ohlcv + 'a>(bars: impl IntoIterator<Item = &'a T>) -> Bars {
        let mut out = Bars::default();
        let f = |d: Option<Decimal>| d.map(decimal_to_f64).unwrap_or(f64::NAN);
        for b in bars {
            out.time.push(b.time());
            out.open.push(f(b.open()));
            out.high.push(f(b.high()));
            out.low.push(f(b.low()));
            out.close.push(f(b.close()));
            out.volume.push(f(b.volume()));
        }
        out
    }

    /// The candles of a history response, every series in order (the rows of its bars table).
    ///
    /// ```
    /// use autoshares::indicators::Bars;
    /// use autoshares::models::ChartHistory;
    /// let h: ChartHistory = serde_json::from_str(r#"{"SecurityHistory":[[{"Time":60,"Close":1.5}]]}"#).unwrap();
    /// assert_eq!(Bars::from_history(&h).close(), &[1.5]);
    /// ```
    pub fn from_history(history: &ChartHistory) -> Bars {
        Bars::from_ohlcv(history.security_history.iter().flatten())
    }

    /// Bars from columns of the same length (no times).
    pub fn from_columns(
        open: Vec<f64>,
        high: Vec<f64>,
        low: Vec<f64>,
        close: Vec<f64>,
        volume: Vec<f64>,
    ) -> Result<Bars> {
        let n = close.len();
        for (name, len) in [
            ("open", open.len()),
            ("high", high.len()),
            ("low", low.len()),
            ("volume", volume.len()),
        ] {
            if len != n {
                return Err(Error::validation(
                    name,
                    format!(
                        "has {len} values but close has {n}: the columns must be of one length"
                    ),
                ));
            }
        }
        Ok(Bars {
            time: vec![None; n],
            open,
            high,
            low,
            close,
            volume,
        })
    }

    /// Bars with only closes (enough for SMA, EMA, RSI, MACD and Bollinger bands).
    pub fn from_closes(close: Vec<f64>) -> Result<Bars> {
        let n = close.len();
        Bars::from_columns(
            vec![f64::NAN; n],
            vec![f64::NAN; n],
            vec![f64::NAN; n],
            close,
            vec![f64::NAN; n],
        )
    }

    /// The same bars with their start times (for the session VWAP); as many times as bars.
    pub fn with_times(mut self, times: Vec<Option<DateTime<Utc>>>) -> Result<Bars> {
        if times.len() != self.close.len() {
            return Err(Error::validation(
                "time",
                format!(
                    "has {} values but close has {}: the columns must be of one length",
                    times.len(),
                    self.close.len()
                ),
            ));
        }
        self.time = times;
        Ok(self)
    }

    /// How many bars.
    pub fn len(&self) -> usize {
        self.close.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.close.is_empty()
    }

    /// The opens.
    pub fn open(&self) -> &[f64] {
        &self.open
    }

    /// The highs.
    pub fn high(&self) -> &[f64] {
        &self.high
    }

    /// The lows.
    pub fn low(&self) -> &[f64] {
        &self.low
    }

    /// The closes.
    pub fn close(&self) -> &[f64] {
        &self.close
    }

    /// The volumes.
    pub fn volume(&self) -> &[f64] {
        &self.volume
    }

    /// The start times (`None` where unknown).
    pub fn time(&self) -> &[Option<DateTime<Utc>>] {
        &self.time
    }

    /// `values` (the column `name`), refused if one is not a finite number.
    fn needed<'a>(&self, values: &'a [f64], name: &str, by: &str) -> Result<&'a [f64]> {
        match values.iter().position(|v| !v.is_finite()) {
            None => Ok(values),
            Some(i) => Err(Error::validation(
                format!("bars[{i}].{name}"),
                format!("{by} needs every bar's {name}, and this one has none (or it is not a finite number)"),
            )),
        }
    }
}

/// Where a VWAP's running sums start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum VwapMode {
    /// From the first bar, never reset.
    Cumulative,
    /// Reset at the start of each session: a calendar day in UTC shifted by `utc_offset_minutes` (e.g. `-300`
    /// for a day that starts at midnight in New York in winter). Needs the bars' times.
    Session {
        /// Minutes added to UTC to find the session's day (-1440 to 1440).
        utc_offset_minutes: i32,
    },
    /// Over the last `period` bars.
    Rolling {
        /// Bars in the window.
        period: usize,
    },
}

/// A locally computed indicator and its parameters. Periods count bars.
///
/// ```
/// use autoshares::indicators::Indicator;
/// assert_eq!(Indicator::macd(12, 26, 9).column_names(), ["macd_12_26_9", "macd_signal_12_26_9", "macd_hist_12_26_9"]);
/// assert_eq!(Indicator::bollinger(20, 2.0).column_names(), ["bb_middle_20_2", "bb_upper_20_2", "bb_lower_20_2"]);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub enum Indicator {
    /// Simple moving average of the close.
    Sma {
        /// Bars averaged.
        period: usize,
    },
    /// Exponential moving average of the close (`α = 2/(period+1)`).
    Ema {
        /// Bars of the smoothing.
        period: usize,
    },
    /// Wilder's relative strength index.
    Rsi {
        /// Bars of Wilder's smoothing.
        period: usize,
    },
    /// MACD line, signal and histogram.
    Macd {
        /// The fast EMA's bars (fewer than `slow`).
        fast: usize,
        /// The slow EMA's bars.
        slow: usize,
        /// The signal EMA's bars.
        signal: usize,
    },
    /// Bollinger bands: middle, upper, lower.
    Bollinger {
        /// Bars of the average and the (population) standard deviation.
        period: usize,
        /// Width of the bands in standard deviations.
        k: f64,
    },
    /// Volume-weighted average (typical) price.
    Vwap(VwapMode),
    /// Wilder's average true range.
    Atr {
        /// Bars of Wilder's smoothing.
        period: usize,
    },
}

impl Indicator {
    /// SMA over `period` bars.
    pub fn sma(period: usize) -> Indicator {
        Indicator::Sma { period }
    }

    /// EMA over `period` bars.
    pub fn ema(period: usize) -> Indicator {
        Indicator::Ema { period }
    }

    /// Wilder's RSI over `period` bars.
    pub fn rsi(period: usize) -> Indicator {
        Indicator::Rsi { period }
    }

    /// MACD with the given fast, slow and signal periods (12, 26, 9 is the usual choice).
    pub fn macd(fast: usize, slow: usize, signal: usize) -> Indicator {
        Indicator::Macd { fast, slow, signal }
    }

    /// Bollinger bands over `period` bars, `k` standard deviations wide (20, 2 is the usual choice).
    pub fn bollinger(period: usize, k: f64) -> Indicator {
        Indicator::Bollinger { period, k }
    }

    /// VWAP from the first bar.
    pub fn vwap() -> Indicator {
        Indicator::Vwap(VwapMode::Cumulative)
    }

    /// VWAP reset at each UTC day (shifted by `utc_offset_minutes`).
    pub fn vwap_session(utc_offset_minutes: i32) -> Indicator {
        Indicator::Vwap(VwapMode::Session { utc_offset_minutes })
    }

    /// VWAP over the last `period` bars.
    pub fn vwap_rolling(period: usize) -> Indicator {
        Indicator::Vwap(VwapMode::Rolling { period })
    }

    /// Wilder's ATR over `period` bars.
    pub fn atr(period: usize) -> Indicator {
        Indicator::Atr { period }
    }

    /// The indicator's short name (`"sma"`, `"macd"`, `"vwap"`, ...): the start of its columns' names and of its
    /// validation errors' fields.
    pub fn name(&self) -> &'static str {
        match self {
            Indicator::Sma { .. } => "sma",
            Indicator::Ema { .. } => "ema",
            Indicator::Rsi { .. } => "rsi",
            Indicator::Macd { .. } => "macd",
            Indicator::Bollinger { .. } => "bollinger",
            Indicator::Vwap(_) => "vwap",
            Indicator::Atr { .. } => "atr",
        }
    }

    /// Checks the parameters: periods from 1 to [`MAX_LOCAL_PERIOD`], `fast < slow`, `k` finite and positive, a
    /// session offset within a day. The error's field is `<name>.<parameter>` (`macd.fast`).
    ///
    /// ```
    /// use autoshares::indicators::Indicator;
    /// assert_eq!(Indicator::macd(26, 12, 9).validate().unwrap_err().field(), Some("macd.fast"));
    /// assert_eq!(Indicator::sma(0).validate().unwrap_err().field(), Some("sma.period"));
    /// ```
    pub fn validate(&self) -> Result<()> {
        let name = self.name();
        let period = |field: &str, v: usize| -> Result<()> {
            if v == 0 || v > MAX_LOCAL_PERIOD {
                return Err(Error::validation(
                    format!("{name}.{field}"),
                    format!("must be 1 to {MAX_LOCAL_PERIOD} bars, not {v}"),
                ));
            }
            Ok(())
        };
        match *self {
            Indicator::Sma { period: n }
            | Indicator::Ema { period: n }
            | Indicator::Rsi { period: n }
            | Indicator::Atr { period: n }
            | Indicator::Vwap(VwapMode::Rolling { period: n }) => period("period", n),
            Indicator::Macd { fast, slow, signal } => {
                period("fast", fast)?;
                period("slow", slow)?;
                period("signal", signal)?;
                if fast >= slow {
                    return Err(Error::validation(
                        "macd.fast",
                        format!(
                            "the fast period ({fast}) must be shorter than the slow one ({slow})"
                        ),
                    ));
                }
                Ok(())
            }
            Indicator::Bollinger { period: n, k } => {
                period("period", n)?;
                if !(k.is_finite() && k > 0.0) {
                    return Err(Error::validation(
                        "bollinger.k",
                        format!(
                            "must be a positive, finite number of standard deviations, not {k}"
                        ),
                    ));
                }
                Ok(())
            }
            Indicator::Vwap(VwapMode::Session { utc_offset_minutes }) => {
                if !(-1440..=1440).contains(&utc_offset_minutes) {
                    return Err(Error::validation(
                        "vwap.utc_offset_minutes",
                        format!("must be within a day (-1440 to 1440), not {utc_offset_minutes}"),
                    ));
                }
                Ok(())
            }
            Indicator::Vwap(VwapMode::Cumulative) => Ok(()),
        }
    }

    /// The names of the columns it adds, in order: `sma_20`, `ema_12`, `rsi_14`,
    /// `macd_12_26_9` / `macd_signal_12_26_9` / `macd_hist_12_26_9`, `bb_middle_20_2` / `bb_upper_20_2` /
    /// `bb_lower_20_2`, `vwap` (cumulative), `vwap_session` (`vwap_session_utc-0500` with an offset), `vwap_20`
    /// (rolling), `atr_14`.
    pub fn column_names(&self) -> Vec<String> {
        match *self {
            Indicator::Sma { period } => vec![format!("sma_{period}")],
            Indicator::Ema { period } => vec![format!("ema_{period}")],
            Indicator::Rsi { period } => vec![format!("rsi_{period}")],
            Indicator::Macd { fast, slow, signal } => {
                let p = format!("{fast}_{slow}_{signal}");
                vec![
                    format!("macd_{p}"),
                    format!("macd_signal_{p}"),
                    format!("macd_hist_{p}"),
                ]
            }
            Indicator::Bollinger { period, k } => {
                let p = format!("{period}_{}", number(k));
                vec![
                    format!("bb_middle_{p}"),
                    format!("bb_upper_{p}"),
                    format!("bb_lower_{p}"),
                ]
            }
            Indicator::Vwap(VwapMode::Cumulative) => vec!["vwap".into()],
            Indicator::Vwap(VwapMode::Session {
                utc_offset_minutes: 0,
            }) => vec!["vwap_session".into()],
            Indicator::Vwap(VwapMode::Session { utc_offset_minutes }) => {
                let sign = if utc_offset_minutes < 0 { '-' } else { '+' };
                let m = utc_offset_minutes.unsigned_abs();
                vec![format!("vwap_session_utc{sign}{:02}{:02}", m / 60, m % 60)]
            }
            Indicator::Vwap(VwapMode::Rolling { period }) => vec![format!("vwap_{period}")],
            Indicator::Atr { period } => vec![format!("atr_{period}")],
        }
    }

    /// Its columns over `bars` (see the module docs for the definitions).
    ///
    /// ```
    /// use autoshares::indicators::{Bars, Indicator};
    /// let bars = Bars::from_closes(vec![1.0, 2.0, 3.0, 2.0])?;
    /// let rsi = Indicator::rsi(2).compute(&bars)?;
    /// // Changes +1, +1, -1: the seed (gain 1, loss 0) gives 100, then gain 0.5, loss 0.5 gives 50.
    /// assert_eq!(rsi[0].values, vec![None, None, Some(100.0), Some(50.0)]);
    /// # Ok::<(), autoshares::Error>(())
    /// ```
    pub fn compute(&self, bars: &Bars) -> Result<Vec<Column>> {
        self.validate()?;
        let by = self.name();
        let values: Vec<Vec<Option<f64>>> = match *self {
            Indicator::Sma { period } => vec![sma(bars.needed(&bars.close, "close", by)?, period)],
            Indicator::Ema { period } => vec![ema(bars.needed(&bars.close, "close", by)?, period)],
            Indicator::Rsi { period } => vec![rsi(bars.needed(&bars.close, "close", by)?, period)],
            Indicator::Macd { fast, slow, signal } => {
                let (line, sig, hist) =
                    macd(bars.needed(&bars.close, "close", by)?, fast, slow, signal);
                vec![line, sig, hist]
            }
            Indicator::Bollinger { period, k } => {
                let (mid, up, low) = bollinger(bars.needed(&bars.close, "close", by)?, period, k);
                vec![mid, up, low]
            }
            Indicator::Vwap(mode) => {
                let high = bars.needed(&bars.high, "high", by)?;
                let low = bars.needed(&bars.low, "low", by)?;
                let close = bars.needed(&bars.close, "close", by)?;
                let volume = bars.needed(&bars.volume, "volume", by)?;
                let sessions = match mode {
                    VwapMode::Session { utc_offset_minutes } => {
                        Some(session_keys(bars, utc_offset_minutes)?)
                    }
                    _ => None,
                };
                vec![vwap(high, low, close, volume, mode, sessions.as_deref())]
            }
            Indicator::Atr { period } => vec![atr(
                bars.needed(&bars.high, "high", by)?,
                bars.needed(&bars.low, "low", by)?,
                bars.needed(&bars.close, "close", by)?,
                period,
            )],
        };
        Ok(self
            .column_names()
            .into_iter()
            .zip(values)
            .map(|(name, values)| Column { name, values })
            .collect())
    }
}

/// One computed column: its name and one value per bar (`None` in the warm-up).
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    /// The column's name (see [`Indicator::column_names`]).
    pub name: String,
    /// One value per bar, aligned with the input.
    pub values: Vec<Option<f64>>,
}

/// The columns of every indicator over `bars`, in order (an indicator listed twice is computed once).
///
/// ```
/// use autoshares::indicators::{compute, Bars, Indicator};
/// let bars = Bars::from_closes((1..=30).map(f64::from).collect())?;
/// let cols = compute(&bars, &[Indicator::macd(12, 26, 9), Indicator::rsi(14), Indicator::rsi(14)])?;
/// let names: Vec<&str> = cols.iter().map(|c| c.name.as_str()).collect();
/// assert_eq!(names, ["macd_12_26_9", "macd_signal_12_26_9", "macd_hist_12_26_9", "rsi_14"]);
/// assert_eq!(cols[3].values[29], Some(100.0)); // only gains
/// # Ok::<(), autoshares::Error>(())
/// ```
pub fn compute(bars: &Bars, indicators: &[Indicator]) -> Result<Vec<Column>> {
    let mut seen: Vec<Indicator> = Vec::new();
    let mut out = Vec::new();
    for ind in indicators {
        if seen.contains(ind) {
            continue;
        }
        seen.push(*ind);
        out.extend(ind.compute(bars)?);
    }
    Ok(out)
}

impl Indicator {
    /// An indicator from its name and parameters: `sma`, `ema`, `rsi`, `atr` take a period; `macd` takes
    /// fast, slow and signal (none: 12, 26, 9); `bollinger` takes a period and a width in standard deviations
    /// (none: 20, 2); `vwap` takes nothing (cumulative) or a period (rolling); `vwap_session` takes nothing or
    /// the session's UTC offset in minutes. The name is case-insensitive; the result is checked with
    /// [`Indicator::validate`].
    ///
    /// ```
    /// use autoshares::indicators::Indicator;
    /// assert_eq!(Indicator::from_parts("MACD", &[])?, Indicator::macd(12, 26, 9));
    /// assert_eq!(Indicator::from_parts("vwap", &[20.0])?, Indicator::vwap_rolling(20));
    /// assert_eq!(Indicator::from_parts("rsi", &[14.5]).unwrap_err().field(), Some("rsi.period"));
    /// # Ok::<(), autoshares::Error>(())
    /// ```
    pub fn from_parts(name: &str, params: &[f64]) -> Result<Indicator> {
        let lower = name.to_ascii_lowercase();
        let whole = |field: &str, v: f64| -> Result<usize> {
            if v.fract() == 0.0 && v >= 0.0 && v <= MAX_LOCAL_PERIOD as f64 {
                Ok(v as usize)
            } else {
                Err(Error::validation(
                    format!("{lower}.{field}"),
                    format!("must be a whole number of bars from 1 to {MAX_LOCAL_PERIOD}, not {v}"),
                ))
            }
        };
        let arity = |expected: &str| {
            Error::validation(
                lower.clone(),
                format!(
                    "{lower} takes {expected}, not {} parameter(s)",
                    params.len()
                ),
            )
        };
        let indicator = match (lower.as_str(), params) {
            ("sma", [n]) => Indicator::sma(whole("period", *n)?),
            ("ema", [n]) => Indicator::ema(whole("period", *n)?),
            ("rsi", [n]) => Indicator::rsi(whole("period", *n)?),
            ("atr", [n]) => Indicator::atr(whole("period", *n)?),
            ("sma" | "ema" | "rsi" | "atr", _) => return Err(arity("one period")),
            ("macd", []) => Indicator::macd(12, 26, 9),
            ("macd", [f, s, g]) => Indicator::macd(
                whole("fast", *f)?,
                whole("slow", *s)?,
                whole("signal", *g)?,
            ),
            ("macd", _) => return Err(arity("fast, slow and signal periods (or none: 12, 26, 9)")),
            ("bollinger", []) => Indicator::bollinger(20, 2.0),
            ("bollinger", [n, k]) => Indicator::bollinger(whole("period", *n)?, *k),
            ("bollinger", _) => return Err(arity("a period and a width (or none: 20, 2)")),
            ("vwap", []) => Indicator::vwap(),
            ("vwap", [n]) => Indicator::vwap_rolling(whole("period", *n)?),
            ("vwap", _) => return Err(arity("nothing (cumulative) or a rolling period")),
            ("vwap_session", []) => Indicator::vwap_session(0),
            ("vwap_session", [m]) if m.fract() == 0.0 && m.abs() <= 1440.0 => {
                Indicator::vwap_session(*m as i32)
            }
            ("vwap_session", [m]) => {
                return Err(Error::validation(
                    "vwap.utc_offset_minutes",
                    format!("must be whole minutes within a day (-1440 to 1440), not {m}"),
                ))
            }
            ("vwap_session", _) => return Err(arity("nothing or a UTC offset in minutes")),
            _ => {
                return Err(Error::validation(
                    "indicator",
                    format!(
                        "{name:?} is not a local indicator (sma, ema, rsi, macd, bollinger, vwap, vwap_session, atr)"
                    ),
                ))
            }
        };
        indicator.validate()?;
        Ok(indicator)
    }
}

impl std::str::FromStr for Indicator {
    type Err = Error;

    /// The short form `name` or `name:p1,p2,...` of [`Indicator::from_parts`]: `sma:20`, `macd:12,26,9`,
    /// `bollinger:20,2.5`, `vwap`, `vwap:20`, `vwap_session:-300`, `atr:14`.
    ///
    /// ```
    /// use autoshares::indicators::Indicator;
    /// assert_eq!("bollinger:20,2.5".parse::<Indicator>()?, Indicator::bollinger(20, 2.5));
    /// assert!("sma:ten".parse::<Indicator>().is_err());
    /// # Ok::<(), autoshares::Error>(())
    /// ```
    fn from_str(s: &str) -> Result<Indicator> {
        let (name, params) = super::split_spec(s, "indicator")?;
        Indicator::from_parts(name, &params)
    }
}

/// `2.0` as `2`, `2.5` as `2.5` (column names, signatures).
pub(crate) fn number(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    }
}

/// A running sum with Neumaier's compensation, so that a long rolling window does not drift.
#[derive(Default, Clone, Copy)]
struct Sum {
    sum: f64,
    carry: f64,
}

impl Sum {
    fn add(&mut self, v: f64) {
        let t = self.sum + v;
        if self.sum.abs() >= v.abs() {
            self.carry += (self.sum - t) + v;
        } else {
            self.carry += (v - t) + self.sum;
        }
        self.sum = t;
    }

    fn value(&self) -> f64 {
        self.sum + self.carry
    }
}

fn sma(x: &[f64], n: usize) -> Vec<Option<f64>> {
    let mut out = vec![None; x.len()];
    let mut s = Sum::default();
    for i in 0..x.len() {
        s.add(x[i]);
        if i >= n {
            s.add(-x[i - n]);
        }
        if i + 1 >= n {
            out[i] = Some(s.value() / n as f64);
        }
    }
    out
}

/// The EMA recursion from the first value, every row (no warm-up masking).
fn ema_all(x: &[f64], n: usize) -> Vec<f64> {
    let alpha = 2.0 / (n as f64 + 1.0);
    let mut out = Vec::with_capacity(x.len());
    let mut e = match x.first() {
        Some(v) => *v,
        None => return out,
    };
    for v in x {
        e += alpha * (v - e);
        out.push(e);
    }
    out
}

fn ema(x: &[f64], n: usize) -> Vec<Option<f64>> {
    ema_all(x, n)
        .into_iter()
        .enumerate()
        .map(|(i, v)| (i + 1 >= n).then_some(v))
        .collect()
}

fn rsi(x: &[f64], n: usize) -> Vec<Option<f64>> {
    let mut out = vec![None; x.len()];
    if x.len() <= n {
        return out;
    }
    let value = |gain: f64, loss: f64| {
        if loss == 0.0 {
            100.0
        } else {
            100.0 - 100.0 / (1.0 + gain / loss)
        }
    };
    let (mut gain, mut loss) = (Sum::default(), Sum::default());
    for i in 1..=n {
        let d = x[i] - x[i - 1];
        gain.add(d.max(0.0));
        loss.add((-d).max(0.0));
    }
    let nf = n as f64;
    let (mut g, mut l) = (gain.value() / nf, loss.value() / nf);
    out[n] = Some(value(g, l));
    for i in n + 1..x.len() {
        let d = x[i] - x[i - 1];
        g = (g * (nf - 1.0) + d.max(0.0)) / nf;
        l = (l * (nf - 1.0) + (-d).max(0.0)) / nf;
        out[i] = Some(value(g, l));
    }
    out
}

type Three = (Vec<Option<f64>>, Vec<Option<f64>>, Vec<Option<f64>>);

fn macd(x: &[f64], fast: usize, slow: usize, signal: usize) -> Three {
    let len = x.len();
    let (f, s) = (ema_all(x, fast), ema_all(x, slow));
    let mut line = vec![None; len];
    let mut sig = vec![None; len];
    let mut hist = vec![None; len];
    if len < slow {
        return (line, sig, hist);
    }
    let start = slow - 1;
    let alpha = 2.0 / (signal as f64 + 1.0);
    let mut e = f[start] - s[start];
    for i in start..len {
        let m = f[i] - s[i];
        line[i] = Some(m);
        e += alpha * (m - e);
        if i + 1 >= start + signal {
            sig[i] = Some(e);
            hist[i] = Some(m - e);
        }
    }
    (line, sig, hist)
}

fn bollinger(x: &[f64], n: usize, k: f64) -> Three {
    let middle = sma(x, n);
    let mut upper = vec![None; x.len()];
    let mut lower = vec![None; x.len()];
    for i in n.saturating_sub(1)..x.len() {
        let Some(m) = middle[i] else { continue };
        // Two passes over the window (the mean, then the squared deviations): no cancellation.
        let window = &x[i + 1 - n..=i];
        let mut mean = Sum::default();
        window.iter().for_each(|v| mean.add(*v));
        let mean = mean.value() / n as f64;
        let mut squares = Sum::default();
        window
            .iter()
            .for_each(|v| squares.add((v - mean) * (v - mean)));
        let sd = (squares.value() / n as f64).sqrt();
        upper[i] = Some(m + k * sd);
        lower[i] = Some(m - k * sd);
    }
    (middle, upper, lower)
}

fn session_keys(bars: &Bars, offset_minutes: i32) -> Result<Vec<i64>> {
    bars.time
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let t = t.ok_or_else(|| {
                Error::validation(
                    format!("bars[{i}].time"),
                    "the session VWAP needs every bar's time, and this one has none",
                )
            })?;
            Ok((t.timestamp() + i64::from(offset_minutes) * 60).div_euclid(86_400))
        })
        .collect()
}

fn vwap(
    high: &[f64],
    low: &[f64],
    close: &[f64],
    volume: &[f64],
    mode: VwapMode,
    sessions: Option<&[i64]>,
) -> Vec<Option<f64>> {
    let len = close.len();
    let tp: Vec<f64> = (0..len)
        .map(|i| (high[i] + low[i] + close[i]) / 3.0)
        .collect();
    let mut out = vec![None; len];
    let (mut pv, mut v) = (Sum::default(), Sum::default());
    for i in 0..len {
        if let (Some(keys), true) = (sessions, i > 0) {
            if keys[i] != keys[i - 1] {
                pv = Sum::default();
                v = Sum::default();
            }
        }
        pv.add(tp[i] * volume[i]);
        v.add(volume[i]);
        if let VwapMode::Rolling { period } = mode {
            if i >= period {
                pv.add(-(tp[i - period] * volume[i - period]));
                v.add(-volume[i - period]);
            }
            if i + 1 < period {
                continue;
            }
        }
        let total = v.value();
        if total != 0.0 {
            out[i] = Some(pv.value() / total);
        }
    }
    out
}

fn atr(high: &[f64], low: &[f64], close: &[f64], n: usize) -> Vec<Option<f64>> {
    let len = close.len();
    let mut out = vec![None; len];
    if len < n {
        return out;
    }
    let tr: Vec<f64> = (0..len)
        .map(|i| {
            let range = high[i] - low[i];
            if i == 0 {
                range
            } else {
                range
                    .max((high[i] - close[i - 1]).abs())
                    .max((low[i] - close[i - 1]).abs())
            }
        })
        .collect();
    let nf = n as f64;
    let mut seed = Sum::default();
    tr[..n].iter().for_each(|v| seed.add(*v));
    let mut a = seed.value() / nf;
    out[n - 1] = Some(a);
    for i in n..len {
        a = (a * (nf - 1.0) + tr[i]) / nf;
        out[i] = Some(a);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn close_to(a: Option<f64>, b: f64) -> bool {
        a.is_some_and(|a| (a - b).abs() <= 1e-12 * b.abs().max(1.0))
    }

    fn bars(rows: &[(f64, f64, f64, f64)]) -> Bars {
        // (high, low, close, volume); open = close of the previous bar.
        let n = rows.len();
        let close: Vec<f64> = rows.iter().map(|r| r.2).collect();
        let mut open = vec![close[0]];
        open.extend_from_slice(&close[..n - 1]);
        Bars::from_columns(
            open,
            rows.iter().map(|r| r.0).collect(),
            rows.iter().map(|r| r.1).collect(),
            close,
            rows.iter().map(|r| r.3).collect(),
        )
        .unwrap()
    }

    #[test]
    fn sma_and_ema_by_hand() {
        let b = Bars::from_closes(vec![2.0, 4.0, 6.0, 8.0]).unwrap();
        let c = compute(&b, &[Indicator::sma(2), Indicator::ema(3)]).unwrap();
        assert_eq!(c[0].values, vec![None, Some(3.0), Some(5.0), Some(7.0)]);
        // α = 0.5: 2 → 3 → 4.5 → 6.25; warm-up of 2 rows.
        assert_eq!(c[1].values, vec![None, None, Some(4.5), Some(6.25)]);
    }

    #[test]
    fn a_constant_series_is_its_own_average_with_flat_bands() {
        let b = Bars::from_closes(vec![5.0; 40]).unwrap();
        for col in compute(
            &b,
            &[
                Indicator::sma(10),
                Indicator::ema(10),
                Indicator::bollinger(10, 2.0),
            ],
        )
        .unwrap()
        {
            assert!(
                col.values[9..].iter().all(|v| *v == Some(5.0)),
                "{}",
                col.name
            );
        }
        let m = Indicator::macd(3, 6, 4).compute(&b).unwrap();
        assert!(m
            .iter()
            .all(|c| c.values.iter().flatten().all(|v| *v == 0.0)));
    }

    #[test]
    fn rsi_follows_wilder_by_hand() {
        // Changes: +2, -1, +3, -2, +1 with n = 2.
        let b = Bars::from_closes(vec![10.0, 12.0, 11.0, 14.0, 12.0, 13.0]).unwrap();
        let r = Indicator::rsi(2).compute(&b).unwrap().remove(0).values;
        assert_eq!(&r[..2], &[None, None]);
        // Seed: gain (2+0)/2 = 1, loss (0+1)/2 = 0.5 -> RS 2 -> 66.67.
        assert!(close_to(r[2], 100.0 - 100.0 / 3.0));
        // gain (1*1+3)/2 = 2, loss (0.5+0)/2 = 0.25 -> RS 8.
        assert!(close_to(r[3], 100.0 - 100.0 / 9.0));
        // gain (2+0)/2 = 1, loss (0.25+2)/2 = 1.125.
        assert!(close_to(r[4], 100.0 - 100.0 / (1.0 + 1.0 / 1.125)));
        // gain (1+1)/2 = 1, loss 1.125/2.
        assert!(close_to(r[5], 100.0 - 100.0 / (1.0 + 1.0 / 0.5625)));
    }

    #[test]
    fn macd_signal_is_seeded_with_the_first_line_value() {
        let closes: Vec<f64> = (0..12).map(|i| f64::from(i * i % 7)).collect();
        let b = Bars::from_closes(closes.clone()).unwrap();
        let c = Indicator::macd(2, 4, 3).compute(&b).unwrap();
        let (f, s) = (ema_all(&closes, 2), ema_all(&closes, 4));
        assert_eq!(c[0].values[2], None);
        assert_eq!(c[0].values[3], Some(f[3] - s[3]));
        assert_eq!(
            c[1].values[4], None,
            "signal warm-up: slow + signal - 2 = 5 rows"
        );
        let mut e = f[3] - s[3];
        for i in 4..=5 {
            e += 0.5 * ((f[i] - s[i]) - e);
        }
        assert!(close_to(c[1].values[5], e));
        assert!(close_to(c[2].values[5], (f[5] - s[5]) - e));
    }

    #[test]
    fn bollinger_uses_the_population_deviation() {
        let b = Bars::from_closes(vec![1.0, 2.0, 3.0, 4.0]).unwrap();
        let c = Indicator::bollinger(4, 2.0).compute(&b).unwrap();
        // mean 2.5, population variance 1.25.
        let sd = 1.25f64.sqrt();
        assert_eq!(c[0].values[3], Some(2.5));
        assert!(close_to(c[1].values[3], 2.5 + 2.0 * sd));
        assert!(close_to(c[2].values[3], 2.5 - 2.0 * sd));
        assert_eq!(c[1].values[2], None);
    }

    #[test]
    fn vwap_cumulative_rolling_and_session() {
        let b = bars(&[
            (3.0, 1.0, 2.0, 10.0), // tp 2
            (6.0, 3.0, 3.0, 30.0), // tp 4
            (7.0, 5.0, 6.0, 20.0), // tp 6
        ]);
        let cum = Indicator::vwap().compute(&b).unwrap().remove(0).values;
        assert_eq!(cum, vec![Some(2.0), Some(140.0 / 40.0), Some(260.0 / 60.0)]);
        let roll = Indicator::vwap_rolling(2)
            .compute(&b)
            .unwrap()
            .remove(0)
            .values;
        assert_eq!(roll, vec![None, Some(140.0 / 40.0), Some(240.0 / 50.0)]);
        let day = |d: u32, h: u32| Some(Utc.with_ymd_and_hms(2024, 1, d, h, 0, 0).unwrap());
        let timed = b
            .clone()
            .with_times(vec![day(1, 22), day(1, 23), day(2, 1)])
            .unwrap();
        let s = Indicator::vwap_session(0)
            .compute(&timed)
            .unwrap()
            .remove(0);
        assert_eq!(s.name, "vwap_session");
        assert_eq!(
            s.values,
            vec![Some(2.0), Some(3.5), Some(6.0)],
            "reset at midnight UTC"
        );
        let ny = Indicator::vwap_session(-300)
            .compute(&timed)
            .unwrap()
            .remove(0);
        assert_eq!(ny.name, "vwap_session_utc-0500");
        assert_eq!(
            ny.values,
            vec![Some(2.0), Some(3.5), Some(260.0 / 60.0)],
            "one New York day"
        );
        let e = Indicator::vwap_session(0).compute(&b).unwrap_err();
        assert_eq!(e.field(), Some("bars[0].time"));
        let zero = bars(&[(3.0, 1.0, 2.0, 0.0)]);
        assert_eq!(
            Indicator::vwap().compute(&zero).unwrap()[0].values,
            vec![None]
        );
    }

    #[test]
    fn atr_is_seeded_with_the_mean_true_range() {
        let b = bars(&[
            (10.0, 8.0, 9.0, 1.0),   // tr 2
            (12.0, 9.5, 11.0, 1.0),  // tr max(2.5, 3, 0.5) = 3
            (11.5, 10.0, 10.5, 1.0), // tr max(1.5, 0.5, 1) = 1.5
            (10.0, 7.0, 8.0, 1.0),   // tr max(3, 0.5, 3.5) = 3.5
        ]);
        let a = Indicator::atr(2).compute(&b).unwrap().remove(0).values;
        assert_eq!(a[0], None);
        assert_eq!(a[1], Some(2.5));
        assert_eq!(a[2], Some((2.5 + 1.5) / 2.0));
        assert_eq!(a[3], Some((2.0 + 3.5) / 2.0));
    }

    #[test]
    fn short_inputs_are_all_warm_up() {
        let b = Bars::from_closes(vec![1.0, 2.0]).unwrap();
        for col in compute(
            &b,
            &[
                Indicator::sma(3),
                Indicator::rsi(2),
                Indicator::macd(2, 3, 2),
                Indicator::bollinger(5, 2.0),
            ],
        )
        .unwrap()
        {
            assert!(col.values.iter().all(Option::is_none), "{}", col.name);
            assert_eq!(col.values.len(), 2);
        }
        assert!(compute(&Bars::default(), &[Indicator::ema(3)]).unwrap()[0]
            .values
            .is_empty());
    }

    #[test]
    fn missing_inputs_and_bad_parameters_are_validation_errors() {
        let b = Bars::from_closes(vec![1.0, f64::NAN, 3.0]).unwrap();
        assert_eq!(
            Indicator::sma(2).compute(&b).unwrap_err().field(),
            Some("bars[1].close")
        );
        let closes_only = Bars::from_closes(vec![1.0, 2.0]).unwrap();
        assert_eq!(
            Indicator::atr(1).compute(&closes_only).unwrap_err().field(),
            Some("bars[0].high")
        );
        for (ind, field) in [
            (Indicator::ema(0), "ema.period"),
            (Indicator::macd(12, 26, 0), "macd.signal"),
            (Indicator::macd(26, 26, 9), "macd.fast"),
            (Indicator::bollinger(20, 0.0), "bollinger.k"),
            (Indicator::bollinger(20, f64::INFINITY), "bollinger.k"),
            (Indicator::vwap_rolling(0), "vwap.period"),
            (Indicator::vwap_session(2000), "vwap.utc_offset_minutes"),
        ] {
            let e = compute(&closes_only, &[ind]).unwrap_err();
            assert_eq!(e.field(), Some(field), "{ind:?}");
            assert_eq!(e.kind(), crate::ErrorKind::Validation);
        }
    }

    #[test]
    fn decimals_convert_correctly_rounded() {
        for s in [
            "0.1",
            "187.25",
            "123456789.123456789",
            "0.000000000000000000000000001",
            "79228162514264337593543950335",
            "-42.4242",
        ] {
            let d: Decimal = s.parse().unwrap();
            assert_eq!(decimal_to_f64(d), s.parse::<f64>().unwrap(), "{s}");
        }
    }

    #[test]
    fn a_long_rolling_window_does_not_drift() {
        // Large values with small variation: a plain running sum would lose digits over many rows.
        let x: Vec<f64> = (0..200_000)
            .map(|i| 1e8 + f64::from(i % 97) * 0.01)
            .collect();
        let s = sma(&x, 50);
        let i = x.len() - 1;
        let exact: f64 = x[i - 49..=i].iter().map(|v| v - 1e8).sum::<f64>() / 50.0 + 1e8;
        assert!(
            (s[i].unwrap() - exact).abs() <= 1e-7,
            "{} vs {exact}",
            s[i].unwrap()
        );
    }
}

//! Server-side indicators: the `Signature` strings of `PUT /history/symbols`, built and checked here.
//!
//! The history API computes technical indicators when the request's `IndicatorsHistorySettings` name them by a
//! pipe-separated signature, `Name|Period|UseSignalLine|params…`, for example `MACD|4h|false|12|26|9`
//! (CATALOGUE §3.8.2, from the vendor's candles page). What the sources say about each part:
//!
//! - `Name`: the indicator, spelled as in the vendor's list (`SMA`, `MACD`, `Bollinger`, `KeltnerChannels`, ...).
//! - `Period`: the candle period the indicator is computed on, one of the chart periods `1m` ... `1Y`
//!   ([`ChartPeriod`]).
//! - `UseSignalLine`: a flag, `false` in every published example; sent as the builder's
//!   [`SignatureBuilder::signal_line`] (default `false`).
//! - `params…`: the indicator's parameters in a fixed order (periods, then multipliers). The indicators drawn over
//!   the price panel (`SMA`, `EMA`, `Bollinger`, `VWAP`, `KeltnerChannels`) end with one more field that the vendor
//!   does not document and that is `0` in every example (`SMA|1h|false|10|0`); the builder writes that `0`.
//!
//! Each indicator answers, per candle, an `IndicatorHistoryMapModel` (`Date`, Unix seconds, and `Values`, one
//! double per output line; MACD's documented example is `[line, signal, histogram]`).
//! [`ChartHistory::indicator_values`] lines them up with the candles.
//!
//! The vendor lists two more names whose parameters it does not explain (`SAR|1h|false|1|1`, `SMI|1h|false|3`):
//! [`Study`] leaves them out until it does, rather than guess what `1|1` means.
//!
//! ```
//! use autoshares::indicators::{ChartPeriod, Signature};
//! use autoshares::models::ChartHistoryRequest;
//!
//! let macd = Signature::macd(ChartPeriod::H4, 12, 26, 9).build()?;
//! assert_eq!(macd.to_string(), "MACD|4h|false|12|26|9");
//! let request = ChartHistoryRequest::for_symbol("AAPL", ChartPeriod::H4)
//!     .candles(200)
//!     .indicator(macd)
//!     .indicator(Signature::bollinger(ChartPeriod::H4, 20, 2.0).build()?);
//! assert_eq!(request.indicators_history_settings[1].signature.as_deref(), Some("Bollinger|4h|false|20|2|0"));
//! // Checked before anything is sent: a fast period that is not shorter than the slow one.
//! let err = Signature::macd(ChartPeriod::H4, 26, 12, 9).build().unwrap_err();
//! assert_eq!(err.field(), Some("signature.fast"));
//! # Ok::<(), autoshares::Error>(())
//! ```

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};

use crate::error::{Error, Result};
use crate::models::{
    ChartHistory, ChartHistoryRequest, IndicatorHistoryRequestSettings,
    SecurityHistoryRequestSettings, SecuritySignature,
};

/// The longest period a signature accepts (the API carries parameters as text; this keeps them sane).
pub const MAX_SIGNATURE_PERIOD: u32 = 10_000;

/// A chart (candle) period: the `Period` of history requests and the second part of a signature.
///
/// ```
/// use autoshares::indicators::ChartPeriod;
/// assert_eq!(ChartPeriod::H4.as_str(), "4h");
/// assert_eq!("1D".parse::<ChartPeriod>()?, ChartPeriod::D1);
/// assert!("7x".parse::<ChartPeriod>().is_err());
/// # Ok::<(), autoshares::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ChartPeriod {
    /// `1m`, one minute.
    M1,
    /// `2m`.
    M2,
    /// `3m`.
    M3,
    /// `5m`.
    M5,
    /// `10m`.
    M10,
    /// `15m`.
    M15,
    /// `30m`.
    M30,
    /// `1h`, one hour.
    H1,
    /// `2h`.
    H2,
    /// `4h`.
    H4,
    /// `1D`, one day.
    D1,
    /// `1W`, one week.
    W1,
    /// `1M`, one month (upper-case `M`: minutes are lower-case).
    Mo1,
    /// `3M`.
    Mo3,
    /// `6M`.
    Mo6,
    /// `1Y`, one year.
    Y1,
}

impl ChartPeriod {
    /// Every period, shortest first.
    pub const ALL: [ChartPeriod; 16] = [
        ChartPeriod::M1,
        ChartPeriod::M2,
        ChartPeriod::M3,
        ChartPeriod::M5,
        ChartPeriod::M10,
        ChartPeriod::M15,
        ChartPeriod::M30,
        ChartPeriod::H1,
        ChartPeriod::H2,
        ChartPeriod::H4,
        ChartPeriod::D1,
        ChartPeriod::W1,
        ChartPeriod::Mo1,
        ChartPeriod::Mo3,
        ChartPeriod::Mo6,
        ChartPeriod::Y1,
    ];

    /// The wire spelling (`"4h"`, `"1D"`, ...).
    ///
    /// ```
    /// assert_eq!(autoshares::indicators::ChartPeriod::Mo1.as_str(), "1M");
    /// ```
    pub const fn as_str(self) -> &'static str {
        match self {
            ChartPeriod::M1 => "1m",
            ChartPeriod::M2 => "2m",
            ChartPeriod::M3 => "3m",
            ChartPeriod::M5 => "5m",
            ChartPeriod::M10 => "10m",
            ChartPeriod::M15 => "15m",
            ChartPeriod::M30 => "30m",
            ChartPeriod::H1 => "1h",
            ChartPeriod::H2 => "2h",
            ChartPeriod::H4 => "4h",
            ChartPeriod::D1 => "1D",
            ChartPeriod::W1 => "1W",
            ChartPeriod::Mo1 => "1M",
            ChartPeriod::Mo3 => "3M",
            ChartPeriod::Mo6 => "6M",
            ChartPeriod::Y1 => "1Y",
        }
    }
}

impl fmt::Display for ChartPeriod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ChartPeriod {
    type Err = Error;

    /// The exact wire spelling (case matters: `1m` is a minute, `1M` a month).
    fn from_str(s: &str) -> Result<ChartPeriod> {
        ChartPeriod::ALL
            .into_iter()
            .find(|p| p.as_str() == s)
            .ok_or_else(|| {
                Error::validation(
                    "period",
                    format!("{s:?} is not a chart period (1m 2m 3m 5m 10m 15m 30m 1h 2h 4h 1D 1W 1M 3M 6M 1Y)"),
                )
            })
    }
}

/// An indicator the history API computes, with its parameters (the name and `params…` of a signature).
///
/// Build one through the [`Signature`] constructors, which check the parameters in
/// [`SignatureBuilder::build`]. Periods count candles; multipliers are standard deviations (Bollinger, VWAP bands)
/// or ATR multiples (Keltner).
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub enum Study {
    /// `SMA|p|f|period|0`: simple moving average (price panel).
    Sma {
        /// Candles averaged.
        period: u32,
    },
    /// `EMA|p|f|period|0`: exponential moving average (price panel).
    Ema {
        /// Candles of the smoothing (`α = 2 / (period + 1)`).
        period: u32,
    },
    /// `Bollinger|p|f|period|deviations|0`: Bollinger bands (price panel).
    Bollinger {
        /// Candles of the moving average and standard deviation.
        period: u32,
        /// Width of the bands in standard deviations.
        deviations: f64,
    },
    /// `VWAP|p|f|period|deviations|0`: volume-weighted average price with bands (price panel).
    Vwap {
        /// Candles in the window.
        period: u32,
        /// Width of the bands in (volume-weighted) standard deviations.
        deviations: f64,
    },
    /// `KeltnerChannels|p|f|ema|atr|multiplier|0`: Keltner channels (price panel).
    KeltnerChannels {
        /// Candles of the middle line's EMA.
        ema_period: u32,
        /// Candles of the ATR.
        atr_period: u32,
        /// Width of the channel in ATRs.
        multiplier: f64,
    },
    /// `ADX|p|f|period`: average directional index.
    Adx {
        /// Candles.
        period: u32,
    },
    /// `ATR|p|f|period`: average true range.
    Atr {
        /// Candles.
        period: u32,
    },
    /// `CMF|p|f|period`: Chaikin money flow.
    Cmf {
        /// Candles.
        period: u32,
    },
    /// `CHV|p|f|period`: Chaikin volatility.
    Chv {
        /// Candles.
        period: u32,
    },
    /// `CMO|p|f|period`: Chande momentum oscillator.
    Cmo {
        /// Candles.
        period: u32,
    },
    /// `EOM|p|f|period`: ease of movement.
    Eom {
        /// Candles.
        period: u32,
    },
    /// `BullsBears|p|f|period`: bull and bear power (Elder ray).
    BullsBears {
        /// Candles.
        period: u32,
    },
    /// `EWO|p|f|fast|slow`: Elliott wave oscillator.
    Ewo {
        /// The fast average's candles (shorter than `slow`).
        fast: u32,
        /// The slow average's candles.
        slow: u32,
    },
    /// `IMI|p|f|period`: intraday momentum index.
    Imi {
        /// Candles.
        period: u32,
    },
    /// `KVO|p|f|fast|slow|signal`: Klinger volume oscillator.
    Kvo {
        /// The fast average's candles (shorter than `slow`).
        fast: u32,
        /// The slow average's candles.
        slow: u32,
        /// The signal line's candles.
        signal: u32,
    },
    /// `MACD|p|f|fast|slow|signal`: moving average convergence/divergence; values `[line, signal, histogram]`.
    Macd {
        /// The fast EMA's candles (shorter than `slow`).
        fast: u32,
        /// The slow EMA's candles.
        slow: u32,
        /// The signal EMA's candles.
        signal: u32,
    },
    /// `Momentum|p|f|period`: close minus the close `period` candles earlier.
    Momentum {
        /// Candles back.
        period: u32,
    },
    /// `MoneyFlow|p|f|period`: money flow index.
    MoneyFlow {
        /// Candles.
        period: u32,
    },
    /// `OBV|p|f`: on-balance volume (no parameters).
    Obv,
    /// `PPO|p|f|fast|slow|signal`: percentage price oscillator.
    Ppo {
        /// The fast average's candles (shorter than `slow`).
        fast: u32,
        /// The slow average's candles.
        slow: u32,
        /// The signal line's candles.
        signal: u32,
    },
    /// `PO|p|f|fast|slow|signal`: price oscillator.
    Po {
        /// The fast average's candles (shorter than `slow`).
        fast: u32,
        /// The slow average's candles.
        slow: u32,
        /// The signal line's candles.
        signal: u32,
    },
    /// `ROC|p|f|period`: rate of change, percent.
    Roc {
        /// Candles back.
        period: u32,
    },
    /// `RSI|p|f|period`: relative strength index.
    Rsi {
        /// Candles.
        period: u32,
    },
    /// `StdDev|p|f|period`: standard deviation of the close.
    StdDev {
        /// Candles.
        period: u32,
    },
    /// `StochRSI|p|f|period|k|d`: stochastic RSI.
    StochRsi {
        /// Candles of the RSI and of its stochastic.
        period: u32,
        /// %K smoothing candles.
        k: u32,
        /// %D smoothing candles.
        d: u32,
    },
    /// `Stochastic|p|f|period|k|d`: stochastic oscillator.
    Stochastic {
        /// Candles of the high-low range.
        period: u32,
        /// %K smoothing candles.
        k: u32,
        /// %D smoothing candles.
        d: u32,
    },
    /// `WilliamsR|p|f|period`: Williams %R.
    WilliamsR {
        /// Candles.
        period: u32,
    },
}

/// One parameter of a study: its name and value.
enum Param {
    Period(&'static str, u32),
    Multiplier(&'static str, f64),
}

impl Study {
    /// The name the vendor uses (`"MACD"`, `"Bollinger"`, ...), the first part of a signature.
    ///
    /// ```
    /// use autoshares::indicators::Study;
    /// assert_eq!(Study::StochRsi { period: 14, k: 3, d: 3 }.name(), "StochRSI");
    /// ```
    pub const fn name(&self) -> &'static str {
        match self {
            Study::Sma { .. } => "SMA",
            Study::Ema { .. } => "EMA",
            Study::Bollinger { .. } => "Bollinger",
            Study::Vwap { .. } => "VWAP",
            Study::KeltnerChannels { .. } => "KeltnerChannels",
            Study::Adx { .. } => "ADX",
            Study::Atr { .. } => "ATR",
            Study::Cmf { .. } => "CMF",
            Study::Chv { .. } => "CHV",
            Study::Cmo { .. } => "CMO",
            Study::Eom { .. } => "EOM",
            Study::BullsBears { .. } => "BullsBears",
            Study::Ewo { .. } => "EWO",
            Study::Imi { .. } => "IMI",
            Study::Kvo { .. } => "KVO",
            Study::Macd { .. } => "MACD",
            Study::Momentum { .. } => "Momentum",
            Study::MoneyFlow { .. } => "MoneyFlow",
            Study::Obv => "OBV",
            Study::Ppo { .. } => "PPO",
            Study::Po { .. } => "PO",
            Study::Roc { .. } => "ROC",
            Study::Rsi { .. } => "RSI",
            Study::StdDev { .. } => "StdDev",
            Study::StochRsi { .. } => "StochRSI",
            Study::Stochastic { .. } => "Stochastic",
            Study::WilliamsR { .. } => "WilliamsR",
        }
    }

    /// Whether the vendor draws it over the price panel (its signature ends with the undocumented `|0`).
    pub const fn is_overlay(&self) -> bool {
        matches!(
            self,
            Study::Sma { .. }
                | Study::Ema { .. }
                | Study::Bollinger { .. }
                | Study::Vwap { .. }
                | Study::KeltnerChannels { .. }
        )
    }

    fn params(&self) -> Vec<Param> {
        use Param::{Multiplier as M, Period as P};
        match *self {
            Study::Sma { period }
            | Study::Ema { period }
            | Study::Adx { period }
            | Study::Atr { period }
            | Study::Cmf { period }
            | Study::Chv { period }
            | Study::Cmo { period }
            | Study::Eom { period }
            | Study::BullsBears { period }
            | Study::Imi { period }
            | Study::Momentum { period }
            | Study::MoneyFlow { period }
            | Study::Roc { period }
            | Study::Rsi { period }
            | Study::StdDev { period }
            | Study::WilliamsR { period } => vec![P("period", period)],
            Study::Bollinger { period, deviations } | Study::Vwap { period, deviations } => {
                vec![P("period", period), M("deviations", deviations)]
            }
            Study::KeltnerChannels {
                ema_period,
                atr_period,
                multiplier,
            } => vec![
                P("ema_period", ema_period),
                P("atr_period", atr_period),
                M("multiplier", multiplier),
            ],
            Study::Ewo { fast, slow } => vec![P("fast", fast), P("slow", slow)],
            Study::Kvo { fast, slow, signal }
            | Study::Macd { fast, slow, signal }
            | Study::Ppo { fast, slow, signal }
            | Study::Po { fast, slow, signal } => {
                vec![P("fast", fast), P("slow", slow), P("signal", signal)]
            }
            Study::StochRsi { period, k, d } | Study::Stochastic { period, k, d } => {
                vec![P("period", period), P("k", k), P("d", d)]
            }
            Study::Obv => vec![],
        }
    }

    /// A study from its vendor name (any case: `"MACD"`, `"stochrsi"`) and its parameters in signature order
    /// (periods as whole numbers; an overlay's trailing `0` may be included). The parameters are checked only
    /// for their number and kind here; [`SignatureBuilder::build`] checks their values.
    ///
    /// ```
    /// use autoshares::indicators::Study;
    /// assert_eq!(Study::from_parts("macd", &[12.0, 26.0, 9.0])?, Study::Macd { fast: 12, slow: 26, signal: 9 });
    /// assert_eq!(Study::from_parts("SMA", &[10.0, 0.0])?, Study::Sma { period: 10 });
    /// assert_eq!(Study::from_parts("RSI", &[14.5]).unwrap_err().field(), Some("signature.period"));
    /// assert!(Study::from_parts("SAR", &[1.0, 1.0]).is_err());
    /// # Ok::<(), autoshares::Error>(())
    /// ```
    pub fn from_parts(name: &str, params: &[f64]) -> Result<Study> {
        let template = match name.to_ascii_lowercase().as_str() {
            "sma" => Study::Sma { period: 0 },
            "ema" => Study::Ema { period: 0 },
            "bollinger" => Study::Bollinger {
                period: 0,
                deviations: 0.0,
            },
            "vwap" => Study::Vwap {
                period: 0,
                deviations: 0.0,
            },
            "keltnerchannels" => Study::KeltnerChannels {
                ema_period: 0,
                atr_period: 0,
                multiplier: 0.0,
            },
            "adx" => Study::Adx { period: 0 },
            "atr" => Study::Atr { period: 0 },
            "cmf" => Study::Cmf { period: 0 },
            "chv" => Study::Chv { period: 0 },
            "cmo" => Study::Cmo { period: 0 },
            "eom" => Study::Eom { period: 0 },
            "bullsbears" => Study::BullsBears { period: 0 },
            "ewo" => Study::Ewo { fast: 0, slow: 0 },
            "imi" => Study::Imi { period: 0 },
            "kvo" => Study::Kvo {
                fast: 0,
                slow: 0,
                signal: 0,
            },
            "macd" => Study::Macd {
                fast: 0,
                slow: 0,
                signal: 0,
            },
            "momentum" => Study::Momentum { period: 0 },
            "moneyflow" => Study::MoneyFlow { period: 0 },
            "obv" => Study::Obv,
            "ppo" => Study::Ppo {
                fast: 0,
                slow: 0,
                signal: 0,
            },
            "po" => Study::Po {
                fast: 0,
                slow: 0,
                signal: 0,
            },
            "roc" => Study::Roc { period: 0 },
            "rsi" => Study::Rsi { period: 0 },
            "stddev" => Study::StdDev { period: 0 },
            "stochrsi" => Study::StochRsi {
                period: 0,
                k: 0,
                d: 0,
            },
            "stochastic" => Study::Stochastic {
                period: 0,
                k: 0,
                d: 0,
            },
            "williamsr" => Study::WilliamsR { period: 0 },
            _ => {
                return Err(Error::validation(
                    "signature",
                    format!("{name:?} is not an indicator the SDK knows"),
                ))
            }
        };
        let shape = template.params();
        let mut args = params;
        if template.is_overlay() && args.len() == shape.len() + 1 && args.last() == Some(&0.0) {
            args = &args[..shape.len()];
        }
        if args.len() != shape.len() {
            let names: Vec<&str> = shape
                .iter()
                .map(|p| match p {
                    Param::Period(n, _) | Param::Multiplier(n, _) => *n,
                })
                .collect();
            return Err(Error::validation(
                "signature",
                format!(
                    "{} takes {} parameter(s) ({}), not {}",
                    template.name(),
                    shape.len(),
                    names.join(", "),
                    params.len()
                ),
            ));
        }
        let mut ints = Vec::new();
        let mut reals = Vec::new();
        for (p, v) in shape.iter().zip(args) {
            match p {
                Param::Period(field, _) => {
                    if !(v.fract() == 0.0 && *v >= 0.0 && *v <= f64::from(u32::MAX)) {
                        return Err(Error::validation(
                            format!("signature.{field}"),
                            format!(
                                "{} needs a whole number of candles, not {v}",
                                template.name()
                            ),
                        ));
                    }
                    ints.push(*v as u32);
                }
                Param::Multiplier(_, _) => reals.push(*v),
            }
        }
        let i = |k: usize| ints[k];
        let r = |k: usize| reals[k];
        Ok(match template {
            Study::Sma { .. } => Study::Sma { period: i(0) },
            Study::Ema { .. } => Study::Ema { period: i(0) },
            Study::Bollinger { .. } => Study::Bollinger {
                period: i(0),
                deviations: r(0),
            },
            Study::Vwap { .. } => Study::Vwap {
                period: i(0),
                deviations: r(0),
            },
            Study::KeltnerChannels { .. } => Study::KeltnerChannels {
                ema_period: i(0),
                atr_period: i(1),
                multiplier: r(0),
            },
            Study::Adx { .. } => Study::Adx { period: i(0) },
            Study::Atr { .. } => Study::Atr { period: i(0) },
            Study::Cmf { .. } => Study::Cmf { period: i(0) },
            Study::Chv { .. } => Study::Chv { period: i(0) },
            Study::Cmo { .. } => Study::Cmo { period: i(0) },
            Study::Eom { .. } => Study::Eom { period: i(0) },
            Study::BullsBears { .. } => Study::BullsBears { period: i(0) },
            Study::Ewo { .. } => Study::Ewo {
                fast: i(0),
                slow: i(1),
            },
            Study::Imi { .. } => Study::Imi { period: i(0) },
            Study::Kvo { .. } => Study::Kvo {
                fast: i(0),
                slow: i(1),
                signal: i(2),
            },
            Study::Macd { .. } => Study::Macd {
                fast: i(0),
                slow: i(1),
                signal: i(2),
            },
            Study::Momentum { .. } => Study::Momentum { period: i(0) },
            Study::MoneyFlow { .. } => Study::MoneyFlow { period: i(0) },
            Study::Obv => Study::Obv,
            Study::Ppo { .. } => Study::Ppo {
                fast: i(0),
                slow: i(1),
                signal: i(2),
            },
            Study::Po { .. } => Study::Po {
                fast: i(0),
                slow: i(1),
                signal: i(2),
            },
            Study::Roc { .. } => Study::Roc { period: i(0) },
            Study::Rsi { .. } => Study::Rsi { period: i(0) },
            Study::StdDev { .. } => Study::StdDev { period: i(0) },
            Study::StochRsi { .. } => Study::StochRsi {
                period: i(0),
                k: i(1),
                d: i(2),
            },
            Study::Stochastic { .. } => Study::Stochastic {
                period: i(0),
                k: i(1),
                d: i(2),
            },
            Study::WilliamsR { .. } => Study::WilliamsR { period: i(0) },
        })
    }

    /// Checks the parameters: periods in `1..=`[`MAX_SIGNATURE_PERIOD`], multipliers finite and positive, a
    /// fast period shorter than the slow one. The error names `signature.<parameter>`.
    ///
    /// ```
    /// use autoshares::indicators::Study;
    /// assert!(Study::Rsi { period: 14 }.validate().is_ok());
    /// assert_eq!(Study::Rsi { period: 0 }.validate().unwrap_err().field(), Some("signature.period"));
    /// ```
    pub fn validate(&self) -> Result<()> {
        for p in self.params() {
            match p {
                Param::Period(field, v) if v == 0 || v > MAX_SIGNATURE_PERIOD => {
                    return Err(Error::validation(
                        format!("signature.{field}"),
                        format!(
                            "{} needs a period of 1 to {MAX_SIGNATURE_PERIOD} candles, not {v}",
                            self.name()
                        ),
                    ));
                }
                Param::Multiplier(field, v) if !(v.is_finite() && v > 0.0) => {
                    return Err(Error::validation(
                        format!("signature.{field}"),
                        format!("{} needs a positive, finite {field}, not {v}", self.name()),
                    ));
                }
                _ => {}
            }
        }
        match *self {
            Study::Ewo { fast, slow }
            | Study::Kvo { fast, slow, .. }
            | Study::Macd { fast, slow, .. }
            | Study::Ppo { fast, slow, .. }
            | Study::Po { fast, slow, .. }
                if fast >= slow =>
            {
                Err(Error::validation(
                    "signature.fast",
                    format!(
                        "{}'s fast period ({fast}) must be shorter than its slow period ({slow})",
                        self.name()
                    ),
                ))
            }
            _ => Ok(()),
        }
    }
}

/// A checked indicator signature (`MACD|4h|false|12|26|9`): what `IndicatorHistoryRequestSettings.Signature`
/// carries. `Display` writes the wire form; [`Signature::parse`] reads one back.
///
/// ```
/// use autoshares::indicators::{ChartPeriod, Signature};
/// let rsi = Signature::rsi(ChartPeriod::D1, 14).build()?;
/// assert_eq!(rsi.to_string(), "RSI|1D|false|14");
/// assert_eq!(Signature::parse("RSI|1D|false|14")?, rsi);
/// # Ok::<(), autoshares::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Signature {
    study: Study,
    period: ChartPeriod,
    signal_line: bool,
}

/// Builds a [`Signature`]: start from one of `Signature`'s constructors, then [`build`](Self::build) checks it.
///
/// ```
/// use autoshares::indicators::{ChartPeriod, Signature};
/// let s = Signature::stochastic(ChartPeriod::H1, 14, 3, 3).signal_line(true).build()?;
/// assert_eq!(s.to_string(), "Stochastic|1h|true|14|3|3");
/// # Ok::<(), autoshares::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[must_use = "call .build() to get the signature"]
pub struct SignatureBuilder {
    study: Study,
    period: ChartPeriod,
    signal_line: bool,
}

impl SignatureBuilder {
    /// Any study on candles of `period`.
    pub fn new(period: ChartPeriod, study: Study) -> SignatureBuilder {
        SignatureBuilder {
            study,
            period,
            signal_line: false,
        }
    }

    /// The `UseSignalLine` flag (default `false`, as in every vendor example).
    pub fn signal_line(mut self, on: bool) -> SignatureBuilder {
        self.signal_line = on;
        self
    }

    /// The candle period the indicator is computed on.
    pub fn period(mut self, period: ChartPeriod) -> SignatureBuilder {
        self.period = period;
        self
    }

    /// Checks the parameters ([`Study::validate`]): a [`Error::Validation`] naming `signature.<parameter>`.
    pub fn build(self) -> Result<Signature> {
        self.study.validate()?;
        Ok(Signature {
            study: self.study,
            period: self.period,
            signal_line: self.signal_line,
        })
    }
}

macro_rules! one_period {
    ($($(#[$doc:meta])* $fn:ident => $variant:ident;)*) => {$(
        $(#[$doc])*
        pub fn $fn(period: ChartPeriod, length: u32) -> SignatureBuilder {
            SignatureBuilder::new(period, Study::$variant { period: length })
        }
    )*};
}

macro_rules! three_periods {
    ($($(#[$doc:meta])* $fn:ident => $variant:ident;)*) => {$(
        $(#[$doc])*
        pub fn $fn(period: ChartPeriod, fast: u32, slow: u32, signal: u32) -> SignatureBuilder {
            SignatureBuilder::new(period, Study::$variant { fast, slow, signal })
        }
    )*};
}

impl Signature {
    one_period! {
        /// `SMA|period|false|length|0`.
        ///
        /// ```
        /// use autoshares::indicators::{ChartPeriod, Signature};
        /// assert_eq!(Signature::sma(ChartPeriod::H1, 10).build()?.to_string(), "SMA|1h|false|10|0");
        /// # Ok::<(), autoshares::Error>(())
        /// ```
        sma => Sma;
        /// `EMA|period|false|length|0`.
        ema => Ema;
        /// `ADX|period|false|length`.
        adx => Adx;
        /// `ATR|period|false|length`.
        atr => Atr;
        /// `CMF|period|false|length`.
        cmf => Cmf;
        /// `CHV|period|false|length`.
        chv => Chv;
        /// `CMO|period|false|length`.
        cmo => Cmo;
        /// `EOM|period|false|length`.
        eom => Eom;
        /// `BullsBears|period|false|length`.
        bulls_bears => BullsBears;
        /// `IMI|period|false|length`.
        imi => Imi;
        /// `Momentum|period|false|length`.
        momentum => Momentum;
        /// `MoneyFlow|period|false|length`.
        money_flow => MoneyFlow;
        /// `ROC|period|false|length`.
        roc => Roc;
        /// `RSI|period|false|length`.
        rsi => Rsi;
        /// `StdDev|period|false|length`.
        std_dev => StdDev;
        /// `WilliamsR|period|false|length`.
        williams_r => WilliamsR;
    }

    three_periods! {
        /// `MACD|period|false|fast|slow|signal`.
        ///
        /// ```
        /// use autoshares::indicators::{ChartPeriod, Signature};
        /// assert_eq!(Signature::macd(ChartPeriod::H4, 12, 26, 9).build()?.to_string(), "MACD|4h|false|12|26|9");
        /// # Ok::<(), autoshares::Error>(())
        /// ```
        macd => Macd;
        /// `KVO|period|false|fast|slow|signal`.
        kvo => Kvo;
        /// `PPO|period|false|fast|slow|signal`.
        ppo => Ppo;
        /// `PO|period|false|fast|slow|signal`.
        po => Po;
    }

    /// `Bollinger|period|false|length|deviations|0`.
    ///
    /// ```
    /// use autoshares::indicators::{ChartPeriod, Signature};
    /// assert_eq!(Signature::bollinger(ChartPeriod::H1, 22, 2.0).build()?.to_string(), "Bollinger|1h|false|22|2|0");
    /// # Ok::<(), autoshares::Error>(())
    /// ```
    pub fn bollinger(period: ChartPeriod, length: u32, deviations: f64) -> SignatureBuilder {
        SignatureBuilder::new(
            period,
            Study::Bollinger {
                period: length,
                deviations,
            },
        )
    }

    /// `VWAP|period|false|length|deviations|0`.
    pub fn vwap(period: ChartPeriod, length: u32, deviations: f64) -> SignatureBuilder {
        SignatureBuilder::new(
            period,
            Study::Vwap {
                period: length,
                deviations,
            },
        )
    }

    /// `KeltnerChannels|period|false|ema_period|atr_period|multiplier|0`.
    pub fn keltner_channels(
        period: ChartPeriod,
        ema_period: u32,
        atr_period: u32,
        multiplier: f64,
    ) -> SignatureBuilder {
        SignatureBuilder::new(
            period,
            Study::KeltnerChannels {
                ema_period,
                atr_period,
                multiplier,
            },
        )
    }

    /// `EWO|period|false|fast|slow`.
    pub fn ewo(period: ChartPeriod, fast: u32, slow: u32) -> SignatureBuilder {
        SignatureBuilder::new(period, Study::Ewo { fast, slow })
    }

    /// `OBV|period|false`.
    pub fn obv(period: ChartPeriod) -> SignatureBuilder {
        SignatureBuilder::new(period, Study::Obv)
    }

    /// `StochRSI|period|false|length|k|d`.
    pub fn stoch_rsi(period: ChartPeriod, length: u32, k: u32, d: u32) -> SignatureBuilder {
        SignatureBuilder::new(
            period,
            Study::StochRsi {
                period: length,
                k,
                d,
            },
        )
    }

    /// `Stochastic|period|false|length|k|d`.
    pub fn stochastic(period: ChartPeriod, length: u32, k: u32, d: u32) -> SignatureBuilder {
        SignatureBuilder::new(
            period,
            Study::Stochastic {
                period: length,
                k,
                d,
            },
        )
    }

    /// The study and its parameters.
    pub fn study(&self) -> Study {
        self.study
    }

    /// The candle period.
    pub fn period(&self) -> ChartPeriod {
        self.period
    }

    /// The `UseSignalLine` flag.
    pub fn signal_line(&self) -> bool {
        self.signal_line
    }

    /// Reads a signature (as the server or a log shows it) and checks it like [`SignatureBuilder::build`]. The
    /// name is matched without regard to case; the parameters must be as many as the study takes (the overlays'
    /// trailing `0` may be left out).
    ///
    /// ```
    /// use autoshares::indicators::{Signature, Study};
    /// let s = Signature::parse("Bollinger|1h|false|22|2")?;
    /// assert_eq!(s.study(), Study::Bollinger { period: 22, deviations: 2.0 });
    /// assert!(Signature::parse("SAR|1h|false|1|1").is_err());
    /// # Ok::<(), autoshares::Error>(())
    /// ```
    pub fn parse(text: &str) -> Result<Signature> {
        let bad = |why: String| Error::validation("signature", format!("{text:?}: {why}"));
        let parts: Vec<&str> = text.split('|').map(str::trim).collect();
        if parts.len() < 3 {
            return Err(bad("expected Name|Period|UseSignalLine|params…".into()));
        }
        let period: ChartPeriod = parts[1].parse().map_err(|e: Error| bad(e.to_string()))?;
        let signal_line = match parts[2].to_ascii_lowercase().as_str() {
            "true" => true,
            "false" => false,
            other => {
                return Err(bad(format!(
                    "UseSignalLine is {other:?}, not true or false"
                )))
            }
        };
        let mut params = Vec::with_capacity(parts.len() - 3);
        for (i, p) in parts[3..].iter().enumerate() {
            params.push(
                p.parse::<f64>()
                    .map_err(|_| bad(format!("parameter {} ({p:?}) is not a number", i + 1)))?,
            );
        }
        let study = Study::from_parts(parts[0], &params)?;
        SignatureBuilder::new(period, study)
            .signal_line(signal_line)
            .build()
    }
}

impl fmt::Display for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}|{}|{}",
            self.study.name(),
            self.period,
            self.signal_line
        )?;
        for p in self.study.params() {
            f.write_str("|")?;
            match p {
                Param::Period(_, v) => write!(f, "{v}")?,
                // `2.0` is written `2`, as in the vendor's examples (`Bollinger|1h|false|22|2`).
                Param::Multiplier(_, v) => f.write_str(&super::local::number(v))?,
            }
        }
        if self.study.is_overlay() {
            f.write_str("|0")?;
        }
        Ok(())
    }
}

impl FromStr for Signature {
    type Err = Error;
    fn from_str(s: &str) -> Result<Signature> {
        Signature::parse(s)
    }
}

impl FromStr for Study {
    type Err = Error;

    /// The short form `name` or `name:p1,p2,...` of [`Study::from_parts`] (`macd:12,26,9`, `rsi:14`, `obv`): the
    /// study without the chart period, which the request supplies (see [`SignatureBuilder::new`]).
    ///
    /// ```
    /// use autoshares::indicators::{ChartPeriod, Signature, SignatureBuilder, Study};
    /// let study: Study = "MACD:12,26,9".parse()?;
    /// assert_eq!(SignatureBuilder::new(ChartPeriod::H4, study).build()?.to_string(), "MACD|4h|false|12|26|9");
    /// # Ok::<(), autoshares::Error>(())
    /// ```
    fn from_str(s: &str) -> Result<Study> {
        let (name, params) = super::split_spec(s, "signature")?;
        Study::from_parts(name, &params)
    }
}

impl From<Signature> for IndicatorHistoryRequestSettings {
    /// The settings of one indicator: its signature and period; the range follows the candles' unless set.
    fn from(s: Signature) -> IndicatorHistoryRequestSettings {
        IndicatorHistoryRequestSettings {
            signature: Some(s.to_string()),
            period: Some(s.period.as_str().to_string()),
            ..Default::default()
        }
    }
}

impl IndicatorHistoryRequestSettings {
    /// The settings of `signature` (its string and period), over the same range as the candles.
    ///
    /// ```
    /// use autoshares::indicators::{ChartPeriod, Signature};
    /// use autoshares::models::IndicatorHistoryRequestSettings;
    /// let s = IndicatorHistoryRequestSettings::for_signature(Signature::ema(ChartPeriod::D1, 20).build()?);
    /// assert_eq!(s.signature.as_deref(), Some("EMA|1D|false|20|0"));
    /// assert_eq!(s.period.as_deref(), Some("1D"));
    /// # Ok::<(), autoshares::Error>(())
    /// ```
    pub fn for_signature(signature: Signature) -> IndicatorHistoryRequestSettings {
        signature.into()
    }

    /// The signature these settings carry, read back and checked ([`Signature::parse`]); `None` if unset.
    pub fn parsed_signature(&self) -> Option<Result<Signature>> {
        self.signature.as_deref().map(Signature::parse)
    }
}

impl ChartHistoryRequest {
    /// A request for `symbol`'s candles of `period`: the last 100 (see [`candles`](Self::candles) and
    /// [`range`](Self::range)), no indicators yet.
    ///
    /// ```
    /// use autoshares::indicators::{ChartPeriod, Signature};
    /// use autoshares::models::ChartHistoryRequest;
    /// let r = ChartHistoryRequest::for_symbol("MSFT", ChartPeriod::D1).candles(30)
    ///     .indicator(Signature::sma(ChartPeriod::D1, 10).build()?);
    /// let json = serde_json::to_value(&r).unwrap();
    /// assert_eq!(json["SecurityHistorySettings"]["CandlesCount"], 30);
    /// assert_eq!(json["IndicatorsHistorySettings"][0]["Signature"], "SMA|1D|false|10|0");
    /// # Ok::<(), autoshares::Error>(())
    /// ```
    pub fn for_symbol(symbol: impl Into<String>, period: ChartPeriod) -> ChartHistoryRequest {
        ChartHistoryRequest {
            security: Some(SecuritySignature {
                symbol: Some(symbol.into()),
                ..Default::default()
            }),
            security_history_settings: Some(SecurityHistoryRequestSettings {
                period: Some(period.as_str().to_string()),
                interval: Some(0),
                candles_count: Some(100),
                include_non_market_data: Some(false),
                ..Default::default()
            }),
            indicators_history_settings: Vec::new(),
        }
    }

    fn settings(&mut self) -> &mut SecurityHistoryRequestSettings {
        self.security_history_settings
            .get_or_insert_with(Default::default)
    }

    /// The last `count` candles (up to now, or to [`range`](Self::range)'s end): `Interval` 0 (`Candles`).
    pub fn candles(mut self, count: i32) -> ChartHistoryRequest {
        let s = self.settings();
        s.interval = Some(0);
        s.candles_count = Some(count);
        self
    }

    /// The candles between `start` and `end` (Unix seconds on the wire): `Interval` -3 (`Custom`), no count.
    pub fn range(mut self, start: DateTime<Utc>, end: DateTime<Utc>) -> ChartHistoryRequest {
        let s = self.settings();
        s.interval = Some(-3);
        s.start_date = Some(start);
        s.end_date = Some(end);
        s.candles_count = Some(-1);
        self
    }

    /// The candles up to `end` instead of now (with [`candles`](Self::candles): the last `count` before it).
    pub fn ending_at(mut self, end: DateTime<Utc>) -> ChartHistoryRequest {
        self.settings().end_date = Some(end);
        self
    }

    /// Adds a server-side indicator (its response is `IndicatorsHistory[i]`, in the order added).
    pub fn indicator(mut self, signature: Signature) -> ChartHistoryRequest {
        self.indicators_history_settings.push(signature.into());
        self
    }

    /// Adds a server-side indicator with settings of its own (range, offset).
    pub fn indicator_settings(
        mut self,
        settings: IndicatorHistoryRequestSettings,
    ) -> ChartHistoryRequest {
        self.indicators_history_settings.push(settings);
        self
    }
}

impl ChartHistory {
    /// The candles of every series, in order (the rows of the bars table).
    pub fn candles(&self) -> impl Iterator<Item = &crate::models::TimeSeriesValueCandleMap> {
        self.security_history.iter().flatten()
    }

    /// Server indicator `index` (in the order of the request's `IndicatorsHistorySettings`) lined up with
    /// [`candles`](Self::candles): one entry per candle, the point whose `Date` is the candle's `Time` (as
    /// `f64`s, the API's doubles) or `None` where the server sent none. Points at no candle's time are left out.
    /// `None` if the response has no series `index`.
    ///
    /// ```
    /// use autoshares::models::ChartHistory;
    /// let h: ChartHistory = serde_json::from_str(r#"{"SecurityHistory":[[{"Time":60,"Close":1},{"Time":120,"Close":2}]],
    ///     "IndicatorsHistory":[[{"Date":120,"Values":[1.5,0.25]}]]}"#).unwrap();
    /// assert_eq!(h.indicator_values(0).unwrap(), vec![None, Some(vec![1.5, 0.25])]);
    /// ```
    pub fn indicator_values(&self, index: usize) -> Option<Vec<Option<Vec<f64>>>> {
        let series = self.indicators_history.get(index)?;
        let mut by_time = std::collections::HashMap::with_capacity(series.len());
        for p in series {
            if let Some(t) = p.date {
                by_time.insert(
                    t,
                    p.values
                        .iter()
                        .map(|v| super::local::decimal_to_f64(*v))
                        .collect::<Vec<f64>>(),
                );
            }
        }
        Some(
            self.candles()
                .map(|c| c.time.and_then(|t| by_time.get(&t).cloned()))
                .collect(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_vendor_example_reads_back_and_writes_the_same() {
        // CATALOGUE §3.8.2, less SAR and SMI (parameters undocumented).
        for text in [
            "Bollinger|1h|false|22|2|0",
            "EMA|1h|false|10|0",
            "KeltnerChannels|1h|false|20|10|2|0",
            "SMA|1h|false|10|0",
            "VWAP|1h|false|10|2|0",
            "ADX|1h|false|10",
            "ATR|1h|false|10",
            "CMF|1h|false|10",
            "CHV|1h|false|10",
            "CMO|1h|false|10",
            "EOM|1h|false|14",
            "BullsBears|1h|false|12",
            "EWO|1h|false|5|35",
            "IMI|1h|false|14",
            "KVO|1h|false|34|55|13",
            "MACD|1h|false|12|26|9",
            "MACD|4h|false|12|26|9",
            "Momentum|1h|false|10",
            "MoneyFlow|1h|false|10",
            "OBV|1h|false",
            "PPO|1h|false|9|18|9",
            "PO|1h|false|9|18|9",
            "ROC|1h|false|10",
            "RSI|1h|false|10",
            "StdDev|1h|false|10",
            "StochRSI|1h|false|14|3|3",
            "Stochastic|1h|false|14|3|3",
            "WilliamsR|1h|false|10",
        ] {
            let s = Signature::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(s.to_string(), text);
        }
        // The non-overlay Bollinger form reads too, and is written in the overlay form.
        assert_eq!(
            Signature::parse("Bollinger|1h|false|22|2")
                .unwrap()
                .to_string(),
            "Bollinger|1h|false|22|2|0"
        );
    }

    #[test]
    fn bad_parameters_are_validation_errors_naming_the_parameter() {
        let field = |r: Result<Signature>| r.unwrap_err().field().map(str::to_string);
        assert_eq!(
            field(Signature::sma(ChartPeriod::H1, 0).build()).as_deref(),
            Some("signature.period")
        );
        assert_eq!(
            field(Signature::macd(ChartPeriod::H1, 12, 12, 9).build()).as_deref(),
            Some("signature.fast")
        );
        assert_eq!(
            field(Signature::macd(ChartPeriod::H1, 12, 26, 0).build()).as_deref(),
            Some("signature.signal")
        );
        assert_eq!(
            field(Signature::bollinger(ChartPeriod::H1, 20, -2.0).build()).as_deref(),
            Some("signature.deviations")
        );
        assert_eq!(
            field(Signature::bollinger(ChartPeriod::H1, 20, f64::NAN).build()).as_deref(),
            Some("signature.deviations")
        );
        assert_eq!(
            field(Signature::keltner_channels(ChartPeriod::H1, 20, 0, 2.0).build()).as_deref(),
            Some("signature.atr_period")
        );
        assert_eq!(
            field(Signature::ewo(ChartPeriod::H1, 35, 5).build()).as_deref(),
            Some("signature.fast")
        );
        assert!(Signature::rsi(ChartPeriod::H1, MAX_SIGNATURE_PERIOD + 1)
            .build()
            .is_err());
        let e = Signature::macd(ChartPeriod::H1, 26, 12, 9)
            .build()
            .unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::Validation);
    }

    #[test]
    fn malformed_text_is_refused() {
        for text in [
            "",
            "MACD",
            "MACD|4h",
            "MACD|4x|false|12|26|9",
            "MACD|4h|maybe|12|26|9",
            "MACD|4h|false|12|26",
            "MACD|4h|false|12|26|9|0",
            "MACD|4h|false|12|x|9",
            "RSI|1h|false|-3",
            "SMA|1h|false|10|1",
            "SAR|1h|false|1|1",
            "SMI|1h|false|3",
        ] {
            let e = Signature::parse(text).expect_err(text);
            assert!(e.field().unwrap().starts_with("signature"), "{text}: {e}");
        }
    }

    #[test]
    fn multipliers_are_written_without_a_needless_fraction() {
        let s = Signature::bollinger(ChartPeriod::M5, 20, 2.5)
            .build()
            .unwrap();
        assert_eq!(s.to_string(), "Bollinger|5m|false|20|2.5|0");
        assert_eq!(Signature::parse(&s.to_string()).unwrap(), s);
    }

    #[test]
    fn periods_round_trip_and_months_are_not_minutes() {
        for p in ChartPeriod::ALL {
            assert_eq!(p.as_str().parse::<ChartPeriod>().unwrap(), p);
        }
        assert_eq!("1m".parse::<ChartPeriod>().unwrap(), ChartPeriod::M1);
        assert_eq!("1M".parse::<ChartPeriod>().unwrap(), ChartPeriod::Mo1);
        assert!("1d".parse::<ChartPeriod>().is_err());
    }

    #[test]
    fn the_request_carries_the_signatures_in_order() {
        let r = ChartHistoryRequest::for_symbol("AAPL", ChartPeriod::H4)
            .candles(50)
            .indicator(Signature::macd(ChartPeriod::H4, 12, 26, 9).build().unwrap())
            .indicator(Signature::rsi(ChartPeriod::H4, 14).build().unwrap());
        let json = serde_json::to_value(&r).unwrap();
        assert_eq!(json["Security"]["Symbol"], "AAPL");
        assert_eq!(json["SecurityHistorySettings"]["Period"], "4h");
        assert_eq!(json["SecurityHistorySettings"]["Interval"], 0);
        assert_eq!(
            json["IndicatorsHistorySettings"][0]["Signature"],
            "MACD|4h|false|12|26|9"
        );
        assert_eq!(json["IndicatorsHistorySettings"][1]["Period"], "4h");
        assert_eq!(
            r.indicators_history_settings[1]
                .parsed_signature()
                .unwrap()
                .unwrap()
                .study(),
            Study::Rsi { period: 14 }
        );
    }
}

//! The server side of the history API's technical indicators: a signature (`MACD|4h|false|12|26|9`) read,
//! then computed over the candles.
//!
//! The sandbox shares no code with the SDK, so the SDK's tests compare two independent computations. The
//! definitions are the textbook ones the SDK also states (in `f64`, statistics rather than money):
//!
//! - `SMA|p|f|n|0`: mean of the last `n` closes. `[sma]`
//! - `EMA|p|f|n|0`: `α = 2/(n+1)`, started at the first candle's close. `[ema]`
//! - `RSI|p|f|n`: Wilder's: mean gain and loss of the first `n` changes, then Wilder's smoothing; 100 with no
//!   loss. `[rsi]`
//! - `MACD|p|f|fast|slow|signal`: EMA(fast) − EMA(slow) from the first candle; the signal EMA starts at the
//!   line's first value (the `slow`-th candle). `[line, signal, histogram]` (the vendor's documented order).
//! - `Bollinger|p|f|n|k(|0)`: SMA(n) and ± k population standard deviations. `[middle, upper, lower]`
//! - `VWAP|p|f|n|k|0`: over the last `n` candles, typical price `(h+l+c)/3` weighted by volume, with bands at
//!   ± k volume-weighted standard deviations of the typical price. `[vwap, upper, lower]`
//! - `ATR|p|f|n`: Wilder's average true range, started at the mean true range of the first `n` candles (the
//!   first candle's true range is its high − low). `[atr]`
//! - `Momentum|p|f|n`: close − close `n` candles back; `ROC|p|f|n`: its percentage. `[value]`
//!
//! Any other name gets an empty series (the schema allows it). Every candle the response shows gets a value:
//! the series is computed from [`Study::warm_up`] candles before the first shown one, exactly as many as the
//! indicator needs for its first value, so a client computing the same definition over those candles gets the
//! same numbers.

use rust_decimal::prelude::ToPrimitive;

use crate::market::Bar;

/// The longest period a signature may name.
pub const MAX_PERIOD: usize = 1000;

/// A study the sandbox computes, with its parameters.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Study {
    /// Simple moving average.
    Sma(usize),
    /// Exponential moving average.
    Ema(usize),
    /// Wilder's RSI.
    Rsi(usize),
    /// MACD (fast, slow, signal).
    Macd(usize, usize, usize),
    /// Bollinger bands (period, deviations).
    Bollinger(usize, f64),
    /// Rolling VWAP with bands (period, deviations).
    Vwap(usize, f64),
    /// Wilder's ATR.
    Atr(usize),
    /// Momentum.
    Momentum(usize),
    /// Rate of change, percent.
    Roc(usize),
}

impl Study {
    /// Reads a signature's name and parameters (`parts` after the period and flag). `Ok(None)` for a name the
    /// sandbox does not compute; `Err` (a message) for parameters that are not valid.
    pub fn parse(name: &str, params: &[&str]) -> Result<Option<Study>, String> {
        let period = |i: usize| -> Result<usize, String> {
            let p = params
                .get(i)
                .ok_or_else(|| format!("{name} needs parameter {}", i + 1))?;
            match p.parse::<usize>() {
                Ok(n) if (1..=MAX_PERIOD).contains(&n) => Ok(n),
                _ => Err(format!(
                    "{name}'s parameter {} must be a period of 1 to {MAX_PERIOD}, not '{p}'",
                    i + 1
                )),
            }
        };
        let width = |i: usize| -> Result<f64, String> {
            let p = params
                .get(i)
                .ok_or_else(|| format!("{name} needs parameter {}", i + 1))?;
            match p.parse::<f64>() {
                Ok(k) if k.is_finite() && k > 0.0 => Ok(k),
                _ => Err(format!(
                    "{name}'s parameter {} must be a positive number, not '{p}'",
                    i + 1
                )),
            }
        };
        Ok(Some(match name.to_ascii_uppercase().as_str() {
            "SMA" => Study::Sma(period(0)?),
            "EMA" => Study::Ema(period(0)?),
            "RSI" => Study::Rsi(period(0)?),
            "ATR" => Study::Atr(period(0)?),
            "MOMENTUM" => Study::Momentum(period(0)?),
            "ROC" => Study::Roc(period(0)?),
            "BOLLINGER" => Study::Bollinger(period(0)?, width(1)?),
            "VWAP" => Study::Vwap(period(0)?, width(1)?),
            "MACD" => {
                let (fast, slow, signal) = (period(0)?, period(1)?, period(2)?);
                if fast >= slow {
                    return Err(format!(
                        "MACD's fast period ({fast}) must be shorter than its slow one ({slow})"
                    ));
                }
                Study::Macd(fast, slow, signal)
            }
            _ => return Ok(None),
        }))
    }

    /// Candles before the first one with a value.
    pub fn warm_up(self) -> usize {
        match self {
            Study::Sma(n)
            | Study::Ema(n)
            | Study::Bollinger(n, _)
            | Study::Vwap(n, _)
            | Study::Atr(n) => n - 1,
            Study::Rsi(n) | Study::Momentum(n) | Study::Roc(n) => n,
            Study::Macd(_, slow, signal) => slow + signal - 2,
        }
    }

    /// The values at each candle (`None` before the first, or where undefined).
    #[allow(clippy::needless_range_loop)] // index loops read like the definitions
    pub fn compute(self, bars: &[Bar]) -> Vec<Option<Vec<f64>>> {
        let f = |d: rust_decimal::Decimal| d.to_f64().unwrap_or(0.0);
        let close: Vec<f64> = bars.iter().map(|b| f(b.close)).collect();
        let len = bars.len();
        let mut out: Vec<Option<Vec<f64>>> = vec![None; len];
        match self {
            Study::Sma(n) => {
                for i in n - 1..len {
                    out[i] = Some(vec![mean(&close[i + 1 - n..=i])]);
                }
            }
            Study::Ema(n) => {
                for (i, e) in ema_from_first(&close, n)
                    .into_iter()
                    .enumerate()
                    .skip(n - 1)
                {
                    out[i] = Some(vec![e]);
                }
            }
            Study::Rsi(n) => {
                if len > n {
                    let changes: Vec<f64> = (1..len).map(|i| close[i] - close[i - 1]).collect();
                    let up = |d: f64| if d > 0.0 { d } else { 0.0 };
                    let down = |d: f64| if d < 0.0 { -d } else { 0.0 };
                    let mut gain = changes[..n].iter().map(|d| up(*d)).sum::<f64>() / n as f64;
                    let mut loss = changes[..n].iter().map(|d| down(*d)).sum::<f64>() / n as f64;
                    let rsi = |g: f64, l: f64| {
                        if l == 0.0 {
                            100.0
                        } else {
                            100.0 - 100.0 / (1.0 + g / l)
                        }
                    };
                    out[n] = Some(vec![rsi(gain, loss)]);
                    for i in n + 1..len {
                        let d = changes[i - 1];
                        gain = (gain * (n as f64 - 1.0) + up(d)) / n as f64;
                        loss = (loss * (n as f64 - 1.0) + down(d)) / n as f64;
                        out[i] = Some(vec![rsi(gain, loss)]);
                    }
                }
            }
            Study::Macd(fast, slow, signal) => {
                let (ef, es) = (ema_from_first(&close, fast), ema_from_first(&close, slow));
                let line: Vec<f64> = ef.iter().zip(&es).map(|(a, b)| a - b).collect();
                if len >= slow {
                    let sig = ema_from_first(&line[slow - 1..], signal);
                    for (j, s) in sig.iter().enumerate().skip(signal - 1) {
                        let i = slow - 1 + j;
                        out[i] = Some(vec![line[i], *s, line[i] - s]);
                    }
                }
            }
            Study::Bollinger(n, k) => {
                for i in n - 1..len {
                    let w = &close[i + 1 - n..=i];
                    let m = mean(w);
                    let sd = (w.iter().map(|x| (x - m).powi(2)).sum::<f64>() / n as f64).sqrt();
                    out[i] = Some(vec![m, m + k * sd, m - k * sd]);
                }
            }
            Study::Vwap(n, k) => {
                let tp: Vec<f64> = bars
                    .iter()
                    .map(|b| (f(b.high) + f(b.low) + f(b.close)) / 3.0)
                    .collect();
                let vol: Vec<f64> = bars.iter().map(|b| b.volume as f64).collect();
                for i in n - 1..len {
                    let r = i + 1 - n..=i;
                    let v: f64 = vol[r.clone()].iter().sum();
                    if v == 0.0 {
                        continue;
                    }
                    let vwap = r.clone().map(|j| tp[j] * vol[j]).sum::<f64>() / v;
                    let var = r.map(|j| vol[j] * (tp[j] - vwap).powi(2)).sum::<f64>() / v;
                    let sd = var.sqrt();
                    out[i] = Some(vec![vwap, vwap + k * sd, vwap - k * sd]);
                }
            }
            Study::Atr(n) => {
                if len >= n {
                    let tr: Vec<f64> = (0..len)
                        .map(|i| {
                            let (h, l) = (f(bars[i].high), f(bars[i].low));
                            match i {
                                0 => h - l,
                                _ => (h - l)
                                    .max((h - close[i - 1]).abs())
                                    .max((l - close[i - 1]).abs()),
                            }
                        })
                        .collect();
                    let mut atr = mean(&tr[..n]);
                    out[n - 1] = Some(vec![atr]);
                    for i in n..len {
                        atr = (atr * (n as f64 - 1.0) + tr[i]) / n as f64;
                        out[i] = Some(vec![atr]);
                    }
                }
            }
            Study::Momentum(n) => {
                for i in n..len {
                    out[i] = Some(vec![close[i] - close[i - n]]);
                }
            }
            Study::Roc(n) => {
                for i in n..len {
                    if close[i - n] != 0.0 {
                        out[i] = Some(vec![(close[i] / close[i - n] - 1.0) * 100.0]);
                    }
                }
            }
        }
        out
    }
}

fn mean(x: &[f64]) -> f64 {
    x.iter().sum::<f64>() / x.len() as f64
}

/// The EMA recursion started at the first value, at every index.
fn ema_from_first(x: &[f64], n: usize) -> Vec<f64> {
    let alpha = 2.0 / (n as f64 + 1.0);
    let mut out: Vec<f64> = Vec::with_capacity(x.len());
    for (i, v) in x.iter().enumerate() {
        let e = if i == 0 {
            *v
        } else {
            alpha * v + (1.0 - alpha) * out[i - 1]
        };
        out.push(e);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};
    use rust_decimal::Decimal;

    fn bars(closes: &[i64]) -> Vec<Bar> {
        closes
            .iter()
            .enumerate()
            .map(|(i, c)| Bar {
                time: Utc.timestamp_opt(i as i64 * 60, 0).unwrap(),
                open: Decimal::from(*c),
                high: Decimal::from(*c + 1),
                low: Decimal::from(*c - 1),
                close: Decimal::from(*c),
                volume: 10,
            })
            .collect()
    }

    #[test]
    fn each_study_starts_after_its_warm_up() {
        let b = bars(&(1..60).map(|i| 100 + (i * 7) % 11).collect::<Vec<_>>());
        for study in [
            Study::Sma(5),
            Study::Ema(5),
            Study::Rsi(14),
            Study::Macd(12, 26, 9),
            Study::Bollinger(20, 2.0),
            Study::Vwap(10, 2.0),
            Study::Atr(14),
            Study::Momentum(3),
            Study::Roc(3),
        ] {
            let v = study.compute(&b);
            let w = study.warm_up();
            assert!(v[..w].iter().all(Option::is_none), "{study:?}");
            assert!(v[w..].iter().all(Option::is_some), "{study:?}");
        }
    }

    #[test]
    fn values_by_hand() {
        let b = bars(&[10, 12, 11, 14]);
        assert_eq!(Study::Sma(2).compute(&b)[3], Some(vec![12.5]));
        // Changes +2, -1, +3; RSI(2) seed: gain 1, loss 0.5.
        assert_eq!(
            Study::Rsi(2).compute(&b)[2],
            Some(vec![100.0 - 100.0 / 3.0])
        );
        // Every true range is 2 or the gap to the previous close plus 1.
        assert_eq!(Study::Atr(1).compute(&b)[1], Some(vec![3.0]));
        let bb = Study::Bollinger(2, 1.0).compute(&b)[1].clone().unwrap();
        assert_eq!(bb, vec![11.0, 12.0, 10.0]);
    }

    #[test]
    fn bad_parameters_are_refused_and_unknown_names_ignored() {
        assert!(Study::parse("MACD", &["26", "12", "9"]).is_err());
        assert!(Study::parse("SMA", &["0"]).is_err());
        assert!(Study::parse("Bollinger", &["20", "-1"]).is_err());
        assert!(Study::parse("EMA", &[]).is_err());
        assert_eq!(Study::parse("KVO", &["34", "55", "13"]), Ok(None));
        assert_eq!(
            Study::parse("macd", &["12", "26", "9"]),
            Ok(Some(Study::Macd(12, 26, 9)))
        );
    }
}

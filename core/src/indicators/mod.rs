//! Technical indicators, two ways: asked of the server, or computed locally over any bars.
//!
//! - [`Signature`] (module `signature`): the typed builder of the history API's indicator signatures
//!   (`MACD|4h|false|12|26|9`), checked before sending, and the request helpers that carry them
//!   (`ChartHistoryRequest::for_symbol(..).indicator(..)`, `ChartHistory::indicator_values`).
//! - [`compute`] over [`Bars`] (module `local`): SMA, EMA, RSI, MACD, Bollinger bands, VWAP and ATR in `f64`, as
//!   columns aligned with the bars (`None` in each indicator's warm-up), on the API's candles or any data.
//!
//! ```no_run
//! # async fn run(client: autoshares::Client) -> autoshares::Result<()> {
//! use autoshares::indicators::{compute, Bars, ChartPeriod, Indicator, Signature};
//! use autoshares::models::ChartHistoryRequest;
//!
//! let history = client
//!     .history()
//!     .bars(ChartHistoryRequest::for_symbol("AAPL", ChartPeriod::H1).candles(500)
//!         .indicator(Signature::rsi(ChartPeriod::H1, 14).build()?))
//!     .await?;
//! let server_rsi = history.indicator_values(0); // one entry per candle
//! let local = compute(&Bars::from_history(&history), &[Indicator::rsi(14), Indicator::macd(12, 26, 9)])?;
//! println!("{:?} {:?}", server_rsi.and_then(|v| v.last().cloned()), local[0].values.last());
//! # Ok(()) }
//! ```

mod local;
mod signature;

pub use local::{
    compute, decimal_to_f64, Bars, Column, Indicator, Ohlcv, VwapMode, MAX_LOCAL_PERIOD,
};
pub use signature::{ChartPeriod, Signature, SignatureBuilder, Study, MAX_SIGNATURE_PERIOD};

use crate::error::{Error, Result};

/// Splits the short form `name` or `name:p1,p2,...` (`"macd:12,26,9"`, `"vwap"`) that [`Indicator`] and [`Study`]
/// parse from text (command lines, configuration files) into the name and its numeric parameters. `field` names
/// the setting in the error.
pub(crate) fn split_spec<'a>(text: &'a str, field: &str) -> Result<(&'a str, Vec<f64>)> {
    let (name, params) = match text.split_once(':') {
        Some((name, params)) => (name.trim(), Some(params)),
        None => (text.trim(), None),
    };
    if name.is_empty() {
        return Err(Error::validation(
            field,
            format!("{text:?} names no indicator (expected `name` or `name:p1,p2`, e.g. `macd:12,26,9`)"),
        ));
    }
    let params = params
        .map(|list| {
            list.split(',')
                .map(|p| {
                    p.trim().parse::<f64>().ok().filter(|v| v.is_finite()).ok_or_else(|| {
                        Error::validation(
                            field,
                            format!("{p:?} in {text:?} is not a number (parameters are separated by commas)"),
                        )
                    })
                })
                .collect::<Result<Vec<f64>>>()
        })
        .transpose()?
        .unwrap_or_default();
    Ok((name, params))
}

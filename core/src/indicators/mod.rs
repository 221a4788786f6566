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

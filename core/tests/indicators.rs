//! Indicators two ways over the sandbox's bars: the server's (asked by typed signatures, computed by the sandbox,
//! which shares no code with core) against core's local computation over the same candles, to 1e-9 relative
//! error. The server computes each indicator from exactly the warm-up candles it needs before the first candle it
//! shows, so core is given those candles too (a longer request ending at the same time) and the two must agree on
//! every shown candle (relative error, see `rel`).

mod common;

use autoshares::indicators::{compute, Bars, ChartPeriod, Indicator, Signature};
use autoshares::models::ChartHistoryRequest;
use autoshares_sandbox::Sandbox;
use chrono::{DurationRound, TimeDelta};
use common::*;

/// |a - b| / max(|a|, |b|, floor): relative error, except that values within `floor` of zero (1e-3 of the column's
/// largest magnitude; only the MACD line and histogram come near it, as they cross zero) are compared at that scale.
fn rel(a: f64, b: f64, floor: f64) -> f64 {
    let scale = a.abs().max(b.abs()).max(floor);
    if scale == 0.0 {
        0.0
    } else {
        (a - b).abs() / scale
    }
}

#[tokio::test]
async fn server_indicators_match_local_ones_on_every_shown_candle() {
    let sb = Sandbox::start().await.unwrap();
    let c = password_client(&sb, "trader");
    let p = ChartPeriod::H1;
    // Closed candles only: end on an hour boundary before the simulated now.
    let end = sb
        .state()
        .market
        .now()
        .duration_trunc(TimeDelta::hours(1))
        .unwrap()
        - TimeDelta::hours(1);
    const SHOWN: i32 = 150;
    let cases: Vec<(&str, Signature, Indicator, Vec<usize>)> = vec![
        (
            "SMA(20)",
            Signature::sma(p, 20).build().unwrap(),
            Indicator::sma(20),
            vec![0],
        ),
        (
            "EMA(12)",
            Signature::ema(p, 12).build().unwrap(),
            Indicator::ema(12),
            vec![0],
        ),
        (
            "RSI(14)",
            Signature::rsi(p, 14).build().unwrap(),
            Indicator::rsi(14),
            vec![0],
        ),
        (
            "MACD(12,26,9)",
            Signature::macd(p, 12, 26, 9).build().unwrap(),
            Indicator::macd(12, 26, 9),
            vec![0, 1, 2],
        ),
        (
            "Bollinger(20,2)",
            Signature::bollinger(p, 20, 2.0).build().unwrap(),
            Indicator::bollinger(20, 2.0),
            vec![0, 1, 2],
        ),
        (
            "VWAP(20)",
            Signature::vwap(p, 20, 2.0).build().unwrap(),
            Indicator::vwap_rolling(20),
            vec![0],
        ),
        (
            "ATR(14)",
            Signature::atr(p, 14).build().unwrap(),
            Indicator::atr(14),
            vec![0],
        ),
    ];
    let mut request = ChartHistoryRequest::for_symbol("AAPL", p)
        .candles(SHOWN)
        .ending_at(end);
    for (_, sig, _, _) in &cases {
        request = request.indicator(*sig);
    }
    let served = c.history().bars(request).await.unwrap();
    let shown: Vec<_> = served.candles().cloned().collect();
    assert_eq!(shown.len(), SHOWN as usize);
    assert_eq!(
        shown.last().unwrap().time.unwrap(),
        end - TimeDelta::hours(1)
    );

    for (i, (label, _, indicator, value_index)) in cases.iter().enumerate() {
        let server = served.indicator_values(i).unwrap();
        assert!(
            server.iter().all(Option::is_some),
            "{label}: a value at every candle shown"
        );
        // The warm-up core needs for this indicator: the leading empty rows of its columns over any long series.
        let probe = compute(&Bars::from_history(&served), &[*indicator]).unwrap();
        let warm = probe
            .iter()
            .map(|col| col.values.iter().take_while(|v| v.is_none()).count())
            .max()
            .unwrap();
        let longer = c
            .history()
            .bars(
                ChartHistoryRequest::for_symbol("AAPL", p)
                    .candles(SHOWN + warm as i32)
                    .ending_at(end),
            )
            .await
            .unwrap();
        let bars = Bars::from_history(&longer);
        assert_eq!(bars.len(), SHOWN as usize + warm);
        assert_eq!(
            longer.candles().skip(warm).cloned().collect::<Vec<_>>(),
            shown,
            "the same candles at the same times"
        );
        let local = compute(&bars, &[*indicator]).unwrap();
        let mut worst = 0f64;
        for (col, vi) in local.iter().zip(value_index) {
            let floor = 1e-3
                * server
                    .iter()
                    .map(|v| v.as_ref().unwrap()[*vi].abs())
                    .fold(0.0, f64::max);
            for (row, value) in col.values.iter().skip(warm).enumerate() {
                let mine = value.unwrap_or_else(|| {
                    panic!("{label} {}: no local value at shown row {row}", col.name)
                });
                let theirs = server[row].as_ref().unwrap()[*vi];
                let e = rel(mine, theirs, floor);
                assert!(
                    e <= 1e-9,
                    "{label} {} row {row}: local {mine} vs server {theirs} ({e:e})",
                    col.name
                );
                worst = worst.max(e);
            }
        }
        println!("{label}: server vs local on {SHOWN} candles, warm-up {warm}, max relative error {worst:.3e}");
    }
}

#[tokio::test]
async fn a_signature_the_server_refuses_never_leaves_the_client() {
    // The builder refuses it, so no request can carry it; the sandbox refuses it too if sent by hand.
    let err = Signature::macd(ChartPeriod::H1, 26, 12, 9)
        .build()
        .unwrap_err();
    assert_eq!(err.field(), Some("signature.fast"));
    let sb = Sandbox::start().await.unwrap();
    let c = password_client(&sb, "trader");
    let mut request = ChartHistoryRequest::for_symbol("AAPL", ChartPeriod::H1).candles(10);
    request
        .indicators_history_settings
        .push(autoshares::models::IndicatorHistoryRequestSettings {
            signature: Some("MACD|1h|false|26|12|9".into()),
            ..Default::default()
        });
    let e = c.history().bars(request).await.unwrap_err();
    assert_eq!(e.status(), Some(422), "{e}");
}

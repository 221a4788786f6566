//! Benchmarks of the AutoShares SDK: criterion benchmarks of the core in `benches/benches/`, and the Rust drivers of
//! `make bench` (`src/bin/rest.rs`, `src/bin/stream.rs`, run by `benches/run.py` beside the Python and Node ones).
//!
//! This library holds the sample data the criterion benchmarks share, and the drivers' common parts ([`driver`]).

pub mod driver;

/// A quote frame as the quote streamer sends it: every value a string, 42 fields.
pub const QUOTE_FRAME: &str = r#"{"EntityType":"Quote","QuoteTypes":"0","Ask":"189.26000","AskMarket":"Q","AskTime":"12/04/2026 15:30:01","AskUpdate":"1","Bid":"189.25000","BidMarket":"Q","BidTime":"12/04/2026 15:30:00","BidUpdate":"1","Last":"189.25000","Price":"189.25000","LastMarket":"Q","Key":"4","Date":"12/04/2026 15:30:01","High":"190.10000","Low":"187.30000","Open":"188.00000","Close":"0","Volume":"12345678","Change":"1.25000","ChangePc":"0.66000","Week52Low":"150.12000","Week52High":"199.62000","Dividend":"0.24000","DividendShare":"0.96000","DividendYield":"0.51000","MarketCap":"2900000000000","Eps":"6.42000","DayHigh":"190.10000","DayLow":"187.30000","PeRatio":"29.48000","OpenInterest":"0","TotalDailyVolume":"12345678","AskSize":"300","BidSize":"200","TradeCondition":"@","Beta":"1.21000","Sector":"Technology","AverageVolume3Month":"55000000","PreviousClose":"188.00000","DontAffectCandle":"False","LastSize":"100"}"#;

/// `n` quote frames for `securities` different security ids with varying prices, as a benchmark's input.
pub fn quote_frames(n: usize, securities: usize) -> Vec<String> {
    (0..n)
        .map(|i| {
            let key = 4 + (i % securities.max(1));
            let cents = 18_925 + (i % 97);
            QUOTE_FRAME
                .replace(r#""Key":"4""#, &format!(r#""Key":"{key}""#))
                .replace(
                    r#""Bid":"189.25000""#,
                    &format!(r#""Bid":"{}.{:02}000""#, cents / 100, cents % 100),
                )
        })
        .collect()
}

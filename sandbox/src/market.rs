//! The simulated market: a deterministic seeded securities universe (US equities, ETFs, mutual
//! funds and listed options) and a price per security that moves deterministically with time.
//!
//! Prices are a pure function of `(seed, security, simulated time)`: a sum of seeded value-noise
//! "octaves" (periods of 1 s to about 4 years) over a seeded reference price, quantized to the
//! configured tick interval and rounded to the security's tick size. The same seed and the same
//! simulated time always give the same quote, so historical bars and live quotes agree. Option
//! prices are derived from their underlying (intrinsic value plus a time value that decays to the
//! expiration). Everything is `rust_decimal::Decimal`; no floats are involved.
//!
//! The simulated clock follows the wall clock from [`MarketConfig::start_time`] (or the time the
//! sandbox started), unless [`MarketConfig::manual_clock`] is set; [`Market::advance`] moves it on
//! either way. [`Market::set_price`] pins a security's price (for tests: "the price crosses").

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use chrono::{DateTime, Datelike, Duration as ChronoDuration, NaiveDate, TimeZone, Utc, Weekday};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};

/// How the simulated market runs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MarketConfig {
    /// How often prices change (the quantum of simulated time for prices); 1 s by default.
    pub tick_interval: Duration,
    /// Where the simulated clock starts; the wall-clock time at start-up by default.
    pub start_time: Option<DateTime<Utc>>,
    /// If set, simulated time only moves through [`Market::advance`].
    pub manual_clock: bool,
}

impl Default for MarketConfig {
    fn default() -> Self {
        MarketConfig {
            tick_interval: Duration::from_secs(1),
            start_time: None,
            manual_clock: false,
        }
    }
}

/// The spec's `SecurityType` values the sandbox lists.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum SecurityType {
    /// A common stock.
    CommonStock,
    /// An exchange-traded fund (wire name `ETF`).
    #[serde(rename = "ETF")]
    Etf,
    /// A mutual fund (traded through the mutual-fund routes, priced once a day).
    MutualFund,
    /// A listed option.
    Option,
}

impl SecurityType {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            SecurityType::CommonStock => "CommonStock",
            SecurityType::Etf => "ETF",
            SecurityType::MutualFund => "MutualFund",
            SecurityType::Option => "Option",
        }
    }
}

/// Call or put.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum OptionType {
    /// A call.
    Call,
    /// A put.
    Put,
}

/// The spec's `ExpirationType` values the sandbox lists.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ExpirationType {
    /// Monthly (third Friday) expiration, number 0 in filters.
    Regular,
    /// Weekly expiration, number 2 in filters.
    Weekly,
}

impl ExpirationType {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            ExpirationType::Regular => "Regular",
            ExpirationType::Weekly => "Weekly",
        }
    }

    /// The number filters compare with (`ExpirationType = 0`).
    pub fn number(self) -> i64 {
        match self {
            ExpirationType::Regular => 0,
            ExpirationType::Weekly => 2,
        }
    }
}

/// The contract terms of an option.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OptionTerms {
    /// Security id of the underlying.
    pub underlying_id: i32,
    /// Symbol of the underlying (the OSI root).
    pub underlying_symbol: String,
    /// Call or put.
    pub option_type: OptionType,
    /// Strike price.
    pub strike: Decimal,
    /// Expiration day (the contract expires at 20:00 UTC that day).
    pub expiration: NaiveDate,
    /// Weekly or regular (monthly).
    pub expiration_type: ExpirationType,
    /// Id of the series (one per underlying and expiration).
    pub series_id: i32,
}

impl OptionTerms {
    /// The instant the contract expires (market close, 20:00 UTC, of the expiration day).
    pub fn expires_at(&self) -> DateTime<Utc> {
        Utc.from_utc_datetime(&self.expiration.and_hms_opt(20, 0, 0).unwrap_or_default())
    }
}

/// One instrument of the universe.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Security {
    /// Internal security id (AAPL is 4, as in every vendor example).
    pub id: i32,
    /// Ticker, or the OSI symbol of an option (e.g. `AAPL  190503C00165000`).
    pub symbol: String,
    /// Company, fund or contract name.
    pub description: String,
    /// Listing exchange (`NASDAQ`, `NYSE`, `ARCA`, `FUND`, `OPRA`).
    pub exchange: &'static str,
    /// Currency, always `USD`.
    pub currency: &'static str,
    /// Kind of instrument.
    pub security_type: SecurityType,
    /// CUSIP (9 characters, valid check digit).
    pub cusip: String,
    /// ISIN (`US` + CUSIP + check digit).
    pub isin: String,
    /// Sector (empty for funds and options).
    pub sector: &'static str,
    /// Industry (empty for funds and options).
    pub industry: &'static str,
    /// When the security was added to the master.
    pub added_date: DateTime<Utc>,
    /// Price increment.
    pub tick_size: Decimal,
    /// Shares per contract: 1, or 100 for options.
    pub contract_size: Decimal,
    /// Initial margin rate (fraction, e.g. 0.5).
    pub margin_rate: Decimal,
    /// Typical daily volume (shares or contracts).
    pub daily_volume: i64,
    /// Price at the reference time (the start of the simulation), before the walk.
    pub reference_price: Decimal,
    /// Contract terms, for options.
    pub option: Option<OptionTerms>,
}

impl Security {
    /// Whether this is an option.
    pub fn is_option(&self) -> bool {
        self.option.is_some()
    }

    /// Whether this is a mutual fund.
    pub fn is_mutual_fund(&self) -> bool {
        self.security_type == SecurityType::MutualFund
    }
}

/// A snapshot of a security's market.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Quote {
    /// The security.
    pub security_id: i32,
    /// Best bid.
    pub bid: Decimal,
    /// Best ask.
    pub ask: Decimal,
    /// Last trade price.
    pub last: Decimal,
    /// Shares (or contracts) at the bid.
    pub bid_size: i64,
    /// Shares (or contracts) at the ask.
    pub ask_size: i64,
    /// Shares (or contracts) of the last trade.
    pub last_size: i64,
    /// Today's open.
    pub open: Decimal,
    /// Today's high so far.
    pub high: Decimal,
    /// Today's low so far.
    pub low: Decimal,
    /// Yesterday's close.
    pub previous_close: Decimal,
    /// Volume traded today.
    pub volume: i64,
    /// Simulated time of the quote.
    pub time: DateTime<Utc>,
}

impl Quote {
    /// `last - previous_close`.
    pub fn change(&self) -> Decimal {
        self.last - self.previous_close
    }
}

/// One candle.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bar {
    /// Start of the candle.
    pub time: DateTime<Utc>,
    /// First price.
    pub open: Decimal,
    /// Highest price.
    pub high: Decimal,
    /// Lowest price.
    pub low: Decimal,
    /// Last price.
    pub close: Decimal,
    /// Volume traded in the candle.
    pub volume: i64,
}

struct Listing {
    symbol: &'static str,
    name: &'static str,
    exchange: &'static str,
    kind: SecurityType,
    price_cents: i64,
    sector: &'static str,
    industry: &'static str,
}

const fn listing(
    symbol: &'static str,
    name: &'static str,
    exchange: &'static str,
    kind: SecurityType,
    price_cents: i64,
    sector: &'static str,
    industry: &'static str,
) -> Listing {
    Listing {
        symbol,
        name,
        exchange,
        kind,
        price_cents,
        sector,
        industry,
    }
}

use SecurityType::{CommonStock as CS, Etf as ETF, MutualFund as MF};

/// The universe, in id order (ids start at 1, so AAPL is 4).
const LISTINGS: &[Listing] = &[
    listing("SPY", "SPDR S&P 500 ETF Trust", "ARCA", ETF, 52000, "", ""),
    listing(
        "QQQ",
        "Invesco QQQ Trust, Series 1",
        "NASDAQ",
        ETF,
        44000,
        "",
        "",
    ),
    listing(
        "IWM",
        "iShares Russell 2000 ETF",
        "ARCA",
        ETF,
        20000,
        "",
        "",
    ),
    listing(
        "AAPL",
        "Apple Inc.",
        "NASDAQ",
        CS,
        19000,
        "Technology",
        "Consumer Electronics",
    ),
    listing(
        "MSFT",
        "Microsoft Corporation",
        "NASDAQ",
        CS,
        41000,
        "Technology",
        "Software",
    ),
    listing(
        "AMZN",
        "Amazon.com, Inc.",
        "NASDAQ",
        CS,
        18000,
        "Consumer Cyclical",
        "Internet Retail",
    ),
    listing(
        "GOOGL",
        "Alphabet Inc. Class A",
        "NASDAQ",
        CS,
        16500,
        "Communication Services",
        "Internet Content",
    ),
    listing(
        "META",
        "Meta Platforms, Inc.",
        "NASDAQ",
        CS,
        48000,
        "Communication Services",
        "Internet Content",
    ),
    listing(
        "NVDA",
        "NVIDIA Corporation",
        "NASDAQ",
        CS,
        12000,
        "Technology",
        "Semiconductors",
    ),
    listing(
        "TSLA",
        "Tesla, Inc.",
        "NASDAQ",
        CS,
        17500,
        "Consumer Cyclical",
        "Auto Manufacturers",
    ),
    listing(
        "JPM",
        "JPMorgan Chase & Co.",
        "NYSE",
        CS,
        19500,
        "Financial Services",
        "Banks",
    ),
    listing(
        "V",
        "Visa Inc.",
        "NYSE",
        CS,
        27500,
        "Financial Services",
        "Credit Services",
    ),
    listing(
        "JNJ",
        "Johnson & Johnson",
        "NYSE",
        CS,
        15000,
        "Healthcare",
        "Drug Manufacturers",
    ),
    listing(
        "WMT",
        "Walmart Inc.",
        "NYSE",
        CS,
        6500,
        "Consumer Defensive",
        "Discount Stores",
    ),
    listing(
        "PG",
        "The Procter & Gamble Company",
        "NYSE",
        CS,
        16500,
        "Consumer Defensive",
        "Household Products",
    ),
    listing(
        "XOM",
        "Exxon Mobil Corporation",
        "NYSE",
        CS,
        11500,
        "Energy",
        "Oil & Gas Integrated",
    ),
    listing(
        "KO",
        "The Coca-Cola Company",
        "NYSE",
        CS,
        6200,
        "Consumer Defensive",
        "Beverages",
    ),
    listing(
        "PEP",
        "PepsiCo, Inc.",
        "NASDAQ",
        CS,
        17000,
        "Consumer Defensive",
        "Beverages",
    ),
    listing(
        "DIS",
        "The Walt Disney Company",
        "NYSE",
        CS,
        10000,
        "Communication Services",
        "Entertainment",
    ),
    listing(
        "NFLX",
        "Netflix, Inc.",
        "NASDAQ",
        CS,
        62000,
        "Communication Services",
        "Entertainment",
    ),
    listing(
        "INTC",
        "Intel Corporation",
        "NASDAQ",
        CS,
        3000,
        "Technology",
        "Semiconductors",
    ),
    listing(
        "AMD",
        "Advanced Micro Devices, Inc.",
        "NASDAQ",
        CS,
        16000,
        "Technology",
        "Semiconductors",
    ),
    listing(
        "BAC",
        "Bank of America Corporation",
        "NYSE",
        CS,
        3800,
        "Financial Services",
        "Banks",
    ),
    listing(
        "F",
        "Ford Motor Company",
        "NYSE",
        CS,
        1200,
        "Consumer Cyclical",
        "Auto Manufacturers",
    ),
    listing(
        "T",
        "AT&T Inc.",
        "NYSE",
        CS,
        1700,
        "Communication Services",
        "Telecom Services",
    ),
    listing(
        "STNE",
        "StoneCo Ltd.",
        "NASDAQ",
        CS,
        1500,
        "Technology",
        "Software",
    ),
    listing(
        "ZTS",
        "Zoetis Inc.",
        "NYSE",
        CS,
        17000,
        "Healthcare",
        "Drug Manufacturers",
    ),
    listing(
        "DIA",
        "SPDR Dow Jones Industrial Average ETF Trust",
        "ARCA",
        ETF,
        39000,
        "",
        "",
    ),
    listing("GLD", "SPDR Gold Shares", "ARCA", ETF, 21500, "", ""),
    listing(
        "VTI",
        "Vanguard Total Stock Market ETF",
        "ARCA",
        ETF,
        25500,
        "",
        "",
    ),
    listing(
        "TLT",
        "iShares 20+ Year Treasury Bond ETF",
        "NASDAQ",
        ETF,
        9200,
        "",
        "",
    ),
    listing(
        "VFIAX",
        "Vanguard 500 Index Fund Admiral Shares",
        "FUND",
        MF,
        47500,
        "",
        "",
    ),
    listing(
        "FXAIX",
        "Fidelity 500 Index Fund",
        "FUND",
        MF,
        18000,
        "",
        "",
    ),
    listing(
        "VTSAX",
        "Vanguard Total Stock Market Index Fund Admiral Shares",
        "FUND",
        MF,
        12500,
        "",
        "",
    ),
    listing(
        "AGTHX",
        "American Funds The Growth Fund of America Class A",
        "FUND",
        MF,
        6800,
        "",
        "",
    ),
    listing(
        "SWPPX",
        "Schwab S&P 500 Index Fund",
        "FUND",
        MF,
        8000,
        "",
        "",
    ),
];

/// Underlyings with listed options.
const OPTION_ROOTS: &[&str] = &["AAPL", "MSFT", "SPY", "TSLA"];
/// Strikes listed on each side of the central strike.
const STRIKES_EACH_SIDE: i64 = 10;
/// First option id.
const FIRST_OPTION_ID: i32 = 100_001;
/// First option series id.
const FIRST_SERIES_ID: i32 = 5_001;

/// Mutable market state: clock offset and pinned prices.
#[derive(Debug, Default)]
struct Dynamic {
    /// Simulated time added by [`Market::advance`].
    offset: ChronoDuration,
    /// Pinned prices: from when, and the price.
    pinned: HashMap<i32, (DateTime<Utc>, Decimal)>,
}

/// The universe and the simulated prices.
pub struct Market {
    seed: u64,
    securities: Vec<Security>,
    by_id: HashMap<i32, usize>,
    by_symbol: HashMap<String, usize>,
    tick_ms: i64,
    start_time: DateTime<Utc>,
    started: tokio::time::Instant,
    manual_clock: bool,
    dynamic: Mutex<Dynamic>,
    /// Walk prices already computed, by (security, tick): a quote samples the day's walk 65 times and the engine
    /// asks for a quote of every open order on each run, so most of them repeat within a tick.
    walked: Mutex<HashMap<(i32, i64), Decimal>>,
}

/// Most walk prices [`Market::walked`] remembers (then it starts again).
const WALKED: usize = 1 << 16;

impl std::fmt::Debug for Market {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Market")
            .field("securities", &self.securities.len())
            .field("tick_ms", &self.tick_ms)
            .field("start_time", &self.start_time)
            .finish()
    }
}

/// The key securities are found by: upper case, without spaces (so `AAPL  190503C00165000` and
/// `AAPL190503C00165000` are the same option).
fn symbol_key(symbol: &str) -> String {
    symbol
        .chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_uppercase)
        .collect()
}

/// The OSI symbol of an option: root padded to 6, `YYMMDD`, `C`/`P`, strike x 1000 in 8 digits.
pub fn osi_symbol(
    root: &str,
    expiration: NaiveDate,
    option_type: OptionType,
    strike: Decimal,
) -> String {
    let cp = match option_type {
        OptionType::Call => 'C',
        OptionType::Put => 'P',
    };
    let milli = (strike * Decimal::from(1000)).trunc().to_i64().unwrap_or(0);
    format!("{root:<6}{}{cp}{milli:08}", expiration.format("%y%m%d"))
}

/// A CUSIP-like identifier from a number: 6-character issuer, 2-character issue, check digit.
fn cusip(n: u64) -> String {
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHJKLMNPQRSTUVWXYZ";
    let mut body = String::new();
    let mut x = n;
    for _ in 0..8 {
        body.push(ALPHABET[(x % ALPHABET.len() as u64) as usize] as char);
        x /= ALPHABET.len() as u64;
    }
    let sum: u32 = body
        .chars()
        .enumerate()
        .map(|(i, c)| {
            let v = c.to_digit(36).unwrap_or(0);
            let v = if i % 2 == 1 { v * 2 } else { v };
            v / 10 + v % 10
        })
        .sum();
    format!("{body}{}", (10 - sum % 10) % 10)
}

/// An ISIN from a CUSIP: `US` + CUSIP + Luhn check digit over the letters-as-numbers expansion.
fn isin(cusip: &str) -> String {
    let body = format!("US{cusip}");
    let digits: Vec<u32> = body
        .chars()
        .flat_map(|c| {
            let v = c.to_digit(36).unwrap_or(0);
            if v >= 10 {
                vec![v / 10, v % 10]
            } else {
                vec![v]
            }
        })
        .collect();
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| {
            if i % 2 == 0 {
                let d2 = d * 2;
                d2 / 10 + d2 % 10
            } else {
                d
            }
        })
        .sum();
    format!("{body}{}", (10 - sum % 10) % 10)
}

/// splitmix64: the hash behind every noise value (and every other seeded choice of the sandbox).
pub fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A seeded value in `[-1_000_000, 1_000_000]` for `(seed, security, octave, cell)`.
fn noise(seed: u64, id: i32, octave: u32, cell: i64) -> i64 {
    let h = mix(seed ^ mix((id as u64) << 32 ^ u64::from(octave) ^ mix(cell as u64)));
    (h % 2_000_001) as i64 - 1_000_000
}

/// Rounds to a multiple of `tick` (half away from zero), at least one tick.
fn round_to_tick(price: Decimal, tick: Decimal) -> Decimal {
    if tick.is_zero() {
        return price;
    }
    let ticks = (price / tick).round_dp_with_strategy(0, RoundingStrategy::MidpointAwayFromZero);
    (ticks.max(Decimal::ONE) * tick)
        .normalize()
        .round_dp(tick.scale().max(2))
}

/// Square root by Newton's method (for option time value).
fn sqrt(x: Decimal) -> Decimal {
    if x <= Decimal::ZERO {
        return Decimal::ZERO;
    }
    let mut g = if x > Decimal::ONE {
        x / Decimal::TWO
    } else {
        Decimal::ONE
    };
    for _ in 0..40 {
        let next = (g + x / g) / Decimal::TWO;
        if (next - g).abs() < Decimal::new(1, 12) {
            return next;
        }
        g = next;
    }
    g
}

/// The epoch the noise is laid out from (any fixed instant works).
fn noise_epoch() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2020, 1, 1, 0, 0, 0)
        .single()
        .unwrap_or_default()
}

/// The Friday on or after `day`.
fn next_friday(day: NaiveDate) -> NaiveDate {
    let ahead =
        (Weekday::Fri.num_days_from_monday() + 7 - day.weekday().num_days_from_monday()) % 7;
    day + ChronoDuration::days(i64::from(ahead))
}

/// Whether `day` is the third Friday of its month (a regular monthly expiration).
fn is_third_friday(day: NaiveDate) -> bool {
    day.weekday() == Weekday::Fri && (15..=21).contains(&day.day())
}

/// The third Friday of the month `months` after `day`'s month.
fn third_friday(day: NaiveDate, months: u32) -> NaiveDate {
    let total = day.month0() + months;
    let (y, m) = (day.year() + (total / 12) as i32, total % 12 + 1);
    let first = NaiveDate::from_ymd_opt(y, m, 1).unwrap_or(day);
    next_friday(first) + ChronoDuration::days(14)
}

/// The strike spacing for an underlying price.
fn strike_step(price: Decimal) -> Decimal {
    if price < Decimal::from(25) {
        Decimal::ONE
    } else if price < Decimal::from(100) {
        Decimal::new(25, 1)
    } else if price < Decimal::from(250) {
        Decimal::from(5)
    } else {
        Decimal::from(10)
    }
}

impl Market {
    /// Builds the universe from `seed` and starts the clock.
    pub fn new(seed: u64, config: &MarketConfig) -> Market {
        let start_time = config.start_time.unwrap_or_else(Utc::now);
        let mut rng = StdRng::seed_from_u64(seed ^ 0x4D41_524B_4554);
        let added_base = Utc
            .with_ymd_and_hms(2018, 6, 1, 0, 0, 0)
            .single()
            .unwrap_or_default();
        let mut securities = Vec::new();
        for (index, l) in LISTINGS.iter().enumerate() {
            let jitter = rng.random_range(-1000i64..=1000);
            let reference_price = round_to_tick(
                Decimal::new(l.price_cents * (10_000 + jitter), 6),
                Decimal::new(1, 2),
            );
            let code = cusip(mix(seed ^ (index as u64 + 1)) % 34u64.pow(8));
            let daily_volume = match l.kind {
                SecurityType::MutualFund => rng.random_range(10_000..100_000),
                _ => rng.random_range(2_000_000..60_000_000),
            };
            securities.push(Security {
                id: index as i32 + 1,
                symbol: l.symbol.to_string(),
                description: l.name.to_string(),
                exchange: l.exchange,
                currency: "USD",
                security_type: l.kind,
                isin: isin(&code),
                cusip: code,
                sector: l.sector,
                industry: l.industry,
                added_date: added_base + ChronoDuration::days(rng.random_range(0..365)),
                tick_size: Decimal::new(1, 2),
                contract_size: Decimal::ONE,
                margin_rate: match l.kind {
                    SecurityType::MutualFund => Decimal::ONE,
                    _ => Decimal::new(5, 1),
                },
                daily_volume,
                reference_price,
                option: None,
            });
        }
        let options = Self::list_options(seed, &securities, start_time);
        securities.extend(options);
        let mut market = Market {
            seed,
            by_id: HashMap::new(),
            by_symbol: HashMap::new(),
            securities,
            tick_ms: (config.tick_interval.as_millis() as i64).max(1),
            start_time,
            started: tokio::time::Instant::now(),
            manual_clock: config.manual_clock,
            dynamic: Mutex::new(Dynamic::default()),
            walked: Mutex::new(HashMap::new()),
        };
        for (i, s) in market.securities.iter().enumerate() {
            market.by_id.insert(s.id, i);
            market.by_symbol.insert(symbol_key(&s.symbol), i);
        }
        market
    }

    /// Options on [`OPTION_ROOTS`]: the next four Friday expirations (weekly, or regular on a
    /// third Friday) and two further monthlies, with strikes around the underlying's price.
    fn list_options(seed: u64, underlyings: &[Security], start: DateTime<Utc>) -> Vec<Security> {
        let first = next_friday(start.date_naive() + ChronoDuration::days(1));
        let mut expirations: Vec<NaiveDate> =
            (0..4).map(|w| first + ChronoDuration::weeks(w)).collect();
        let last_weekly = expirations[3];
        let mut months = 0;
        while expirations.len() < 6 {
            let monthly = third_friday(first, months);
            if monthly > last_weekly {
                expirations.push(monthly);
            }
            months += 1;
        }
        let mut out = Vec::new();
        let mut next_id = FIRST_OPTION_ID;
        let mut next_series = FIRST_SERIES_ID;
        for root in OPTION_ROOTS {
            let Some(u) = underlyings.iter().find(|s| s.symbol == *root) else {
                continue;
            };
            let step = strike_step(u.reference_price);
            let central = (u.reference_price / step).round() * step;
            for &expiration in &expirations {
                let expiration_type = if is_third_friday(expiration) {
                    ExpirationType::Regular
                } else {
                    ExpirationType::Weekly
                };
                let series_id = next_series;
                next_series += 1;
                for k in -STRIKES_EACH_SIDE..=STRIKES_EACH_SIDE {
                    let strike = (central + step * Decimal::from(k)).normalize();
                    for option_type in [OptionType::Call, OptionType::Put] {
                        let symbol = osi_symbol(root, expiration, option_type, strike);
                        let code = cusip(mix(seed ^ 0x0F7 ^ next_id as u64) % 34u64.pow(8));
                        let kind = match option_type {
                            OptionType::Call => "Call",
                            OptionType::Put => "Put",
                        };
                        out.push(Security {
                            id: next_id,
                            description: format!(
                                "{root} {} {:.2} {kind}",
                                expiration.format("%b %d %Y"),
                                strike
                            ),
                            symbol,
                            exchange: "OPRA",
                            currency: "USD",
                            security_type: SecurityType::Option,
                            isin: isin(&code),
                            cusip: code,
                            sector: "",
                            industry: "",
                            added_date: start - ChronoDuration::days(60),
                            tick_size: Decimal::new(1, 2),
                            contract_size: Decimal::from(100),
                            margin_rate: Decimal::ONE,
                            daily_volume: (u.daily_volume / 2000).max(100),
                            reference_price: Decimal::ZERO,
                            option: Some(OptionTerms {
                                underlying_id: u.id,
                                underlying_symbol: root.to_string(),
                                option_type,
                                strike,
                                expiration,
                                expiration_type,
                                series_id,
                            }),
                        });
                        next_id += 1;
                    }
                }
            }
        }
        out
    }

    fn dynamic(&self) -> MutexGuard<'_, Dynamic> {
        self.dynamic.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The seed the universe and the prices come from.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// Every security, equities and funds first (by id), then options.
    pub fn securities(&self) -> &[Security] {
        &self.securities
    }

    /// The security with this id.
    pub fn security_by_id(&self, id: i32) -> Option<&Security> {
        self.by_id.get(&id).map(|&i| &self.securities[i])
    }

    /// The security with this symbol (case-insensitive; spaces in OSI symbols are optional).
    pub fn security_by_symbol(&self, symbol: &str) -> Option<&Security> {
        self.by_symbol
            .get(&symbol_key(symbol))
            .map(|&i| &self.securities[i])
    }

    /// The options listed on this underlying, by id.
    pub fn options_on(&self, underlying_id: i32) -> impl Iterator<Item = &Security> {
        self.securities.iter().filter(move |s| {
            s.option
                .as_ref()
                .is_some_and(|o| o.underlying_id == underlying_id)
        })
    }

    /// The simulated time now.
    pub fn now(&self) -> DateTime<Utc> {
        let offset = self.dynamic().offset;
        let elapsed = if self.manual_clock {
            ChronoDuration::zero()
        } else {
            ChronoDuration::from_std(self.started.elapsed()).unwrap_or_default()
        };
        self.start_time + elapsed + offset
    }

    /// Moves the simulated clock on by `ticks` tick intervals.
    pub fn advance(&self, ticks: i64) {
        self.dynamic().offset += ChronoDuration::milliseconds(self.tick_ms * ticks);
    }

    /// The tick interval in milliseconds.
    pub fn tick_millis(&self) -> i64 {
        self.tick_ms
    }

    /// Pins a security's price from now on (bid and ask around it), e.g. to make a resting order
    /// cross. Returns false for an unknown id.
    pub fn set_price(&self, security_id: i32, price: Decimal) -> bool {
        if self.security_by_id(security_id).is_none() {
            return false;
        }
        let now = self.now();
        self.dynamic().pinned.insert(security_id, (now, price));
        true
    }

    /// Releases a pinned price: the security follows its walk again.
    pub fn clear_price(&self, security_id: i32) {
        self.dynamic().pinned.remove(&security_id);
    }

    /// The quote now.
    pub fn quote(&self, security_id: i32) -> Option<Quote> {
        self.quote_at(security_id, self.now())
    }

    /// The quote at a simulated time.
    pub fn quote_at(&self, security_id: i32, time: DateTime<Utc>) -> Option<Quote> {
        let security = self.security_by_id(security_id)?;
        let last = self.price_at(security, time);
        let tick = self.tick_for(security, last);
        let spread_ticks = match security.security_type {
            SecurityType::MutualFund => Decimal::ZERO,
            SecurityType::Option => ((last * Decimal::new(2, 2)) / tick)
                .ceil()
                .max(Decimal::ONE),
            _ => ((last * Decimal::new(2, 4)) / tick)
                .ceil()
                .max(Decimal::ONE),
        };
        let half = tick * spread_ticks;
        let bid = (last - half).max(Decimal::ZERO);
        let ask = last + half;
        let day_start = Utc.from_utc_datetime(&time.date_naive().and_hms_opt(0, 0, 0)?);
        let today = self.bar(security_id, day_start, time)?;
        let previous_close = self.price_at(security, day_start - ChronoDuration::milliseconds(1));
        let h = mix(self.seed ^ security_id as u64 ^ (time.timestamp() as u64));
        let size = |salt: u64| ((mix(h ^ salt) % 50) as i64 + 1) * 100;
        Some(Quote {
            security_id,
            bid,
            ask,
            last,
            bid_size: size(1),
            ask_size: size(2),
            last_size: size(3),
            open: today.open,
            high: today.high,
            low: today.low,
            previous_close,
            volume: today.volume,
            time,
        })
    }

    /// The price tick for a security at a price (options: 0.05 from 3.00 up).
    pub fn tick_for(&self, security: &Security, price: Decimal) -> Decimal {
        if security.is_option() && price >= Decimal::from(3) {
            Decimal::new(5, 2)
        } else {
            security.tick_size
        }
    }

    /// The last price of a security at a simulated time (pinned prices apply from when they were set).
    pub fn price_at(&self, security: &Security, time: DateTime<Utc>) -> Decimal {
        if let Some((from, price)) = self.dynamic().pinned.get(&security.id).copied() {
            if time >= from {
                return price;
            }
        }
        if let Some(terms) = &security.option {
            return self.option_price(security, terms, time);
        }
        let ms = self.quantize(security, time);
        // A pure function of the seed, the security and the tick from here on.
        if let Some(price) = self.walked().get(&(security.id, ms)) {
            return *price;
        }
        let reference_ms = self.quantize(security, self.start_time);
        let walk = self.walk_ppm(security.id, ms) - self.walk_ppm(security.id, reference_ms);
        let factor = Decimal::new(1_000_000 + walk.clamp(-600_000, 1_500_000), 6);
        let price = round_to_tick(security.reference_price * factor, security.tick_size);
        let mut walked = self.walked();
        if walked.len() >= WALKED {
            walked.clear();
        }
        walked.insert((security.id, ms), price);
        price
    }

    fn walked(&self) -> MutexGuard<'_, HashMap<(i32, i64), Decimal>> {
        self.walked.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Milliseconds after the noise epoch, truncated to the tick (to the day for mutual funds,
    /// which are priced once a day).
    fn quantize(&self, security: &Security, time: DateTime<Utc>) -> i64 {
        let ms = (time - noise_epoch()).num_milliseconds();
        let quantum = if security.is_mutual_fund() {
            86_400_000
        } else {
            self.tick_ms
        };
        ms.div_euclid(quantum) * quantum
    }

    /// The seeded walk of a security at `ms` after the noise epoch, in parts per million.
    fn walk_ppm(&self, id: i32, ms: i64) -> i64 {
        let mut total = 0i64;
        for octave in 0..28u32 {
            let period = 1000i64 << octave;
            let cell = ms.div_euclid(period);
            let frac = ms.rem_euclid(period);
            let a = noise(self.seed, id, octave, cell);
            let b = noise(self.seed, id, octave, cell + 1);
            let value = a + ((b - a) as i128 * frac as i128 / period as i128) as i64;
            // Amplitude grows with the square root of the period, capped at 15%.
            let root = (1i64 << (octave / 2)) * if octave % 2 == 1 { 141_421 } else { 100_000 };
            let amplitude = (60 * root / 100_000).min(150_000);
            total += amplitude * value / 1_000_000;
        }
        total
    }

    /// Intrinsic value plus a time value decaying with the square root of the time left.
    fn option_price(
        &self,
        security: &Security,
        terms: &OptionTerms,
        time: DateTime<Utc>,
    ) -> Decimal {
        let Some(underlying) = self.security_by_id(terms.underlying_id) else {
            return Decimal::new(1, 2);
        };
        let spot = self.price_at(underlying, time);
        let intrinsic = match terms.option_type {
            OptionType::Call => (spot - terms.strike).max(Decimal::ZERO),
            OptionType::Put => (terms.strike - spot).max(Decimal::ZERO),
        };
        let seconds_left = (terms.expires_at() - time).num_seconds().max(0);
        let years = Decimal::from(seconds_left) / Decimal::from(365 * 86_400);
        // 40% volatility: one standard deviation of the underlying until expiration.
        let sigma = spot * Decimal::new(4, 1) * sqrt(years);
        let value = if sigma.is_zero() {
            intrinsic
        } else {
            let distance = (spot - terms.strike).abs() / sigma;
            let time_value = sigma * Decimal::new(4, 1) / (Decimal::ONE + distance * distance);
            intrinsic + time_value
        };
        let tick = self.tick_for(security, value);
        round_to_tick(value, tick)
    }

    /// The candle of a security over `[from, to)`, sampled at up to 64 points and every tick for
    /// short ranges. `None` for an unknown id or an empty range.
    pub fn bar(&self, security_id: i32, from: DateTime<Utc>, to: DateTime<Utc>) -> Option<Bar> {
        let security = self.security_by_id(security_id)?;
        let span = (to - from).num_milliseconds();
        if span < 0 {
            return None;
        }
        let samples = (span / self.tick_ms).clamp(1, 64);
        let mut open = None;
        let (mut high, mut low, mut close) = (Decimal::MIN, Decimal::MAX, Decimal::ZERO);
        for i in 0..=samples {
            let t = from + ChronoDuration::milliseconds(span * i / samples);
            let p = self.price_at(security, t);
            open.get_or_insert(p);
            high = high.max(p);
            low = low.min(p);
            close = p;
        }
        let volume = self.volume_between(security, from, to);
        Some(Bar {
            time: from,
            open: open?,
            high,
            low,
            close,
            volume,
        })
    }

    /// Volume traded in `[from, to)`: the daily volume spread evenly over the day, with seeded
    /// jitter per day.
    fn volume_between(&self, security: &Security, from: DateTime<Utc>, to: DateTime<Utc>) -> i64 {
        let ms = (to - from).num_milliseconds().max(0) as i128;
        let day = (from - noise_epoch()).num_days();
        let jitter = (mix(self.seed ^ security.id as u64 ^ (day as u64) << 20) % 61) as i128 + 70;
        let daily = security.daily_volume as i128 * jitter / 100;
        (daily * ms / 86_400_000) as i64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn market() -> Market {
        let start = Utc.with_ymd_and_hms(2024, 5, 1, 14, 30, 0).single();
        Market::new(
            42,
            &MarketConfig {
                start_time: start,
                manual_clock: true,
                ..MarketConfig::default()
            },
        )
    }

    #[test]
    fn aapl_is_security_4_and_options_are_osi() {
        let m = market();
        assert_eq!(m.security_by_id(4).map(|s| s.symbol.as_str()), Some("AAPL"));
        assert_eq!(m.security_by_symbol("aapl").map(|s| s.id), Some(4));
        let option = m.options_on(4).next().expect("AAPL options");
        assert_eq!(option.symbol.len(), 21);
        assert!(option.symbol.starts_with("AAPL  24"));
        let compact: String = option.symbol.split_whitespace().collect();
        assert_eq!(
            m.security_by_symbol(&compact).map(|s| s.id),
            Some(option.id)
        );
        assert_eq!(
            osi_symbol(
                "AAPL",
                NaiveDate::from_ymd_opt(2019, 5, 3).unwrap(),
                OptionType::Call,
                Decimal::from(165)
            ),
            "AAPL  190503C00165000"
        );
    }

    #[test]
    fn prices_are_deterministic_and_move() {
        let (a, b) = (market(), market());
        assert_eq!(a.quote(4), b.quote(4));
        let before = a.quote(4).unwrap();
        assert_eq!(before.last, a.security_by_id(4).unwrap().reference_price);
        assert!(before.bid < before.last && before.last < before.ask);
        a.advance(3600);
        let after = a.quote(4).unwrap();
        assert_ne!(before.last, after.last);
        assert_eq!(after.last.scale(), 2);
        a.set_price(4, Decimal::new(15000, 2));
        assert_eq!(a.quote(4).unwrap().last, Decimal::new(15000, 2));
    }

    #[test]
    fn cusips_and_isins_have_check_digits() {
        // Apple's real identifiers.
        assert_eq!(isin("037833100"), "US0378331005");
        let m = market();
        let s = m.security_by_id(4).unwrap();
        assert_eq!(s.cusip.len(), 9);
        assert_eq!(s.isin.len(), 12);
    }
}

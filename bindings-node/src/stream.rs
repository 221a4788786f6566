//! `client.stream({...})`: core's [`autoshares::stream::MarketStream`] behind a JS class that is its own async
//! iterator (`for await (const ev of stream)`; `[Symbol.asyncIterator]` and `return()` are added in `lib.cjs`).
//!
//! Only conversions live here: options into core [`Topic`]s and a [`StreamConfig`], core [`Event`]s into plain
//! objects with a `type` discriminator (decimals as exact strings, times as `Date`s, durations in milliseconds).
//! Reconnects, staleness, reconciliation, conflation and validation are core's.

use std::sync::Arc;
use std::time::Duration;

use autoshares::stream::{
    self as core_stream, ConnectionState, Event, Instrument, MarketHours, Source, StreamConfig,
    Streamer, Topic,
};
use chrono::{DateTime, Utc};
use napi::bindgen_prelude::*;
use napi::sys;
use napi_derive::napi;

use crate::call::{self, CallOptions, Lifecycle};
use crate::models::{AccountBalance, Order, Position, Quote};
use crate::values::dec;

// ---- options ------------------------------------------------------------------------------------------------

/// Tuning of a stream (core's `StreamConfig`); every field is optional and defaults to core's value, which suits
/// a live trading session. Durations are milliseconds.
#[napi(object, object_to_js = false)]
#[derive(Default)]
pub struct StreamConfigOptions {
    /// A quote or depth subscription with no message for this long while the market is open is stale: a
    /// `'stale'` event and a reconnect. `0` turns the watchdog off. Default 30000.
    pub stale_after_ms: Option<f64>,
    /// When the market is open, for the staleness watchdog. Default `'usExtended'` (04:00 to 20:00 New York time,
    /// Monday to Friday); `'usRegular'` is 09:30 to 16:00; `'always'` never sleeps (the sandbox).
    #[napi(ts_type = "'always' | 'usRegular' | 'usExtended'")]
    pub market_hours: Option<String>,
    /// Interval of WebSocket pings. Default 15000.
    pub ping_interval_ms: Option<f64>,
    /// A connection that answers nothing for this long after a ping is dead. Default 10000.
    pub pong_timeout_ms: Option<f64>,
    /// Time allowed for connecting and creating a session. Default 10000.
    pub connect_timeout_ms: Option<f64>,
    /// First reconnect delay (doubled per failed attempt, with full jitter). Default 200.
    pub backoff_initial_ms: Option<f64>,
    /// Cap of the reconnect delay. Default 30000.
    pub backoff_max_ms: Option<f64>,
    /// Capacity of the queue of non-conflated events (orders, positions, balances, states, ...); beyond it an
    /// `'overflow'` event reports how many were not queued. Default 100000.
    pub event_buffer: Option<u32>,
    /// A depth subscription with no book for this long is reported as `'subscriptionFailed'`. Default 5000.
    pub depth_timeout_ms: Option<f64>,
    /// Re-read orders, positions and balances by REST after a data-streamer gap. Default true.
    pub reconcile: Option<bool>,
}

/// What to subscribe to, grouped (for `subscribe()` and `unsubscribe()`; `client.stream()` takes the same keys).
///
/// ```js
/// await stream.subscribe({ quotes: ['TSLA'], orders: [accountId] })
/// ```
#[napi(object, object_to_js = false)]
#[derive(Default)]
pub struct StreamTopics {
    /// Level I quotes of tickers (`'AAPL'`) or 21-character OSI option symbols.
    pub quotes: Option<Vec<String>>,
    /// Level II market depth of tickers or OSI symbols (an environment without it reports
    /// `'subscriptionFailed'`).
    pub depth: Option<Vec<String>>,
    /// Orders, positions and balance of these trading accounts (the three topics below at once).
    pub accounts: Option<Vec<i32>>,
    /// Every order change of these trading accounts.
    pub orders: Option<Vec<i32>>,
    /// Position changes of these trading accounts.
    pub positions: Option<Vec<i32>>,
    /// Balance changes of these trading accounts.
    pub balances: Option<Vec<i32>>,
    /// The logged-in user's aggregated balance.
    pub user_balance: Option<bool>,
    /// Changes in the list of the logged-in user's watchlists.
    pub watchlists: Option<bool>,
    /// Symbols added to or removed from these watchlists.
    pub watchlist_content: Option<Vec<i32>>,
}

/// Options of `client.stream()`: the first subscriptions (made as soon as the stream connects) and the tuning.
#[napi(object, object_to_js = false)]
#[derive(Default)]
pub struct StreamOptions {
    /// Level I quotes of tickers (`'AAPL'`) or 21-character OSI option symbols.
    pub quotes: Option<Vec<String>>,
    /// Level II market depth of tickers or OSI symbols.
    pub depth: Option<Vec<String>>,
    /// Orders, positions and balance of these trading accounts.
    pub accounts: Option<Vec<i32>>,
    /// Every order change of these trading accounts.
    pub orders: Option<Vec<i32>>,
    /// Position changes of these trading accounts.
    pub positions: Option<Vec<i32>>,
    /// Balance changes of these trading accounts.
    pub balances: Option<Vec<i32>>,
    /// The logged-in user's aggregated balance.
    pub user_balance: Option<bool>,
    /// Changes in the list of the logged-in user's watchlists.
    pub watchlists: Option<bool>,
    /// Symbols added to or removed from these watchlists.
    pub watchlist_content: Option<Vec<i32>>,
    /// Tuning (defaults suit a live session).
    pub config: Option<StreamConfigOptions>,
}

impl StreamOptions {
    fn split(self) -> (StreamTopics, Option<StreamConfigOptions>) {
        let topics = StreamTopics {
            quotes: self.quotes,
            depth: self.depth,
            accounts: self.accounts,
            orders: self.orders,
            positions: self.positions,
            balances: self.balances,
            user_balance: self.user_balance,
            watchlists: self.watchlists,
            watchlist_content: self.watchlist_content,
        };
        (topics, self.config)
    }
}

fn invalid(field: &str, message: String) -> autoshares::Error {
    autoshares::Error::Validation {
        field: field.to_string(),
        message,
    }
}

fn millis(field: &str, value: Option<f64>, default: Duration) -> autoshares::Result<Duration> {
    match value {
        None => Ok(default),
        Some(ms) => Duration::try_from_secs_f64(ms / 1000.0).map_err(|_| {
            invalid(
                field,
                format!("{ms} is not a duration in milliseconds (0 or more)"),
            )
        }),
    }
}

/// Core's config from the JS options (unset fields keep core's defaults).
fn config(o: Option<StreamConfigOptions>) -> autoshares::Result<StreamConfig> {
    let d = StreamConfig::default();
    let Some(o) = o else { return Ok(d) };
    let stale_after = match o.stale_after_ms {
        Some(0.0) => None,
        Some(ms) => Some(millis("config.staleAfterMs", Some(ms), Duration::ZERO)?),
        None => d.stale_after,
    };
    let market_hours = match o.market_hours.as_deref() {
        None => d.market_hours,
        Some("always") => MarketHours::Always,
        Some("usRegular") => MarketHours::UsEquitiesRegular,
        Some("usExtended") => MarketHours::UsEquitiesExtended,
        Some(other) => {
            return Err(invalid(
                "config.marketHours",
                format!("`{other}` is not 'always', 'usRegular' or 'usExtended'"),
            ))
        }
    };
    Ok(StreamConfig {
        stale_after,
        market_hours,
        ping_interval: millis("config.pingIntervalMs", o.ping_interval_ms, d.ping_interval)?,
        pong_timeout: millis("config.pongTimeoutMs", o.pong_timeout_ms, d.pong_timeout)?,
        connect_timeout: millis(
            "config.connectTimeoutMs",
            o.connect_timeout_ms,
            d.connect_timeout,
        )?,
        backoff_initial: millis(
            "config.backoffInitialMs",
            o.backoff_initial_ms,
            d.backoff_initial,
        )?,
        backoff_max: millis("config.backoffMaxMs", o.backoff_max_ms, d.backoff_max)?,
        event_buffer: o.event_buffer.map_or(d.event_buffer, |n| n as usize),
        depth_timeout: millis("config.depthTimeoutMs", o.depth_timeout_ms, d.depth_timeout)?,
        reconcile: o.reconcile.unwrap_or(d.reconcile),
    })
}

/// Whether the topics name the logged-in user (whose id core's topics carry).
fn needs_user(t: &StreamTopics) -> bool {
    t.user_balance == Some(true) || t.watchlists == Some(true)
}

/// The logged-in user's id, when the topics need it (`userBalance`, `watchlists`).
async fn user_id(client: &autoshares::Client, topics: &StreamTopics) -> autoshares::Result<i32> {
    if needs_user(topics) {
        Ok(client.users().me().await?.user_id)
    } else {
        Ok(0)
    }
}

/// Core topics, in the order of the keys above.
fn core_topics(t: StreamTopics, user_id: i32) -> Vec<Topic> {
    let mut out = Vec::new();
    out.extend(t.quotes.unwrap_or_default().into_iter().map(Topic::quote));
    out.extend(t.depth.unwrap_or_default().into_iter().map(Topic::depth));
    for a in t.accounts.unwrap_or_default() {
        out.extend(Topic::account(a));
    }
    out.extend(t.orders.unwrap_or_default().into_iter().map(Topic::Orders));
    out.extend(
        t.positions
            .unwrap_or_default()
            .into_iter()
            .map(Topic::Positions),
    );
    out.extend(
        t.balances
            .unwrap_or_default()
            .into_iter()
            .map(Topic::AccountBalance),
    );
    if t.user_balance == Some(true) {
        out.push(Topic::UserBalance(user_id));
    }
    if t.watchlists == Some(true) {
        out.push(Topic::Watchlists(user_id));
    }
    out.extend(
        t.watchlist_content
            .unwrap_or_default()
            .into_iter()
            .map(Topic::WatchlistContent),
    );
    out
}

/// Topics as `subscribe()` takes them: grouped, or a list as `subscriptions()` returns it.
type TopicsInput = Either<Vec<StreamTopic>, StreamTopics>;

/// The keys of `StreamTopics` (and of `StreamOptions` besides `config`).
const TOPIC_KEYS: [&str; 9] = [
    "quotes",
    "depth",
    "accounts",
    "orders",
    "positions",
    "balances",
    "userBalance",
    "watchlists",
    "watchlistContent",
];

/// The keys of `StreamConfigOptions`.
const CONFIG_KEYS: [&str; 10] = [
    "staleAfterMs",
    "marketHours",
    "pingIntervalMs",
    "pongTimeoutMs",
    "connectTimeoutMs",
    "backoffInitialMs",
    "backoffMaxMs",
    "eventBuffer",
    "depthTimeoutMs",
    "reconcile",
];

/// A `VALIDATION` error for an argument napi could not convert.
fn bad_arg(field: &str, e: Error) -> autoshares::Error {
    invalid(field, e.reason.clone())
}

/// Every key of `o` must be one of `known`: a typo such as `quote: [...]` would otherwise subscribe to nothing,
/// silently.
fn check_keys(o: &Object, known: &[&str], path: &str) -> autoshares::Result<()> {
    for key in Object::keys(o).map_err(|e| bad_arg(path, e))? {
        if !known.contains(&key.as_str()) {
            return Err(invalid(
                &crate::values::field(path, &key),
                format!(
                    "`{key}` is not an option here (known: {})",
                    known.join(", ")
                ),
            ));
        }
    }
    Ok(())
}

fn is_array(env: &Env, o: &Object) -> Result<bool> {
    let mut array = false;
    check_status!(unsafe { sys::napi_is_array(env.raw(), o.raw(), &mut array) })?;
    Ok(array)
}

/// `subscribe()`'s argument, read on the JS thread: a `StreamTopic[]`, or a `StreamTopics` object with known
/// keys only. A failure becomes the Promise's `VALIDATION` rejection.
fn topics_arg(env: &Env, o: Object) -> autoshares::Result<TopicsInput> {
    if is_array(env, &o).map_err(|e| bad_arg("topics", e))? {
        let list = unsafe { Vec::<StreamTopic>::from_napi_value(env.raw(), o.raw()) }
            .map_err(|e| bad_arg("topics", e))?;
        return Ok(Either::A(list));
    }
    check_keys(&o, &TOPIC_KEYS, "")?;
    let grouped = unsafe { StreamTopics::from_napi_value(env.raw(), o.raw()) }
        .map_err(|e| bad_arg("topics", e))?;
    Ok(Either::B(grouped))
}

/// `client.stream()`'s options, read the same way (`config` too).
fn options_arg(env: &Env, o: Option<Object>) -> autoshares::Result<StreamOptions> {
    let Some(o) = o else {
        return Ok(StreamOptions::default());
    };
    let mut known = TOPIC_KEYS.to_vec();
    known.push("config");
    check_keys(&o, &known, "")?;
    if let Some(config) = o
        .get::<Object>("config")
        .map_err(|e| bad_arg("config", e))?
    {
        check_keys(&config, &CONFIG_KEYS, "config")?;
    }
    unsafe { StreamOptions::from_napi_value(env.raw(), o.raw()) }.map_err(|e| bad_arg("options", e))
}

/// Core topics of either form (the logged-in user's id is read only when `userBalance`/`watchlists` ask).
async fn resolve(
    client: &autoshares::Client,
    input: TopicsInput,
) -> autoshares::Result<Vec<Topic>> {
    match input {
        Either::A(list) => list
            .into_iter()
            .enumerate()
            .map(|(i, t)| t.into_core(i))
            .collect(),
        Either::B(grouped) => {
            let user = user_id(client, &grouped).await?;
            Ok(core_topics(grouped, user))
        }
    }
}

// ---- topics and events out ----------------------------------------------------------------------------------

/// One subscription, as `subscriptions()` lists it and `'stale'`/`'subscriptionFailed'` events name it
/// (`subscribe()` and `unsubscribe()` take a list of these too).
#[napi(discriminant_case = "camelCase")]
pub enum StreamTopic {
    /// Level I quotes of a ticker or OSI symbol (or of a security id).
    Quote {
        symbol: Option<String>,
        security_id: Option<i32>,
    },
    /// Level II depth of a ticker or OSI symbol (or of a security id).
    Depth {
        symbol: Option<String>,
        security_id: Option<i32>,
    },
    /// Order changes of a trading account.
    Orders { account_id: i32 },
    /// Position changes of a trading account.
    Positions { account_id: i32 },
    /// Balance changes of a trading account.
    AccountBalance { account_id: i32 },
    /// The aggregated balance of a user (the logged-in one).
    UserBalance { user_id: i32 },
    /// The list of watchlists of a user (the logged-in one).
    Watchlists { user_id: i32 },
    /// The content of a watchlist.
    WatchlistContent { watchlist_id: i32 },
}

fn instrument(
    symbol: Option<String>,
    security_id: Option<i32>,
    field: &str,
) -> autoshares::Result<Instrument> {
    match (symbol, security_id) {
        (Some(s), _) => Ok(Instrument::Symbol(s)),
        (None, Some(id)) => Ok(Instrument::SecurityId(id)),
        (None, None) => Err(invalid(field, "give `symbol` or `securityId`".into())),
    }
}

impl StreamTopic {
    fn into_core(self, index: usize) -> autoshares::Result<Topic> {
        let field = format!("topics[{index}].symbol");
        Ok(match self {
            StreamTopic::Quote {
                symbol,
                security_id,
            } => Topic::Quote(instrument(symbol, security_id, &field)?),
            StreamTopic::Depth {
                symbol,
                security_id,
            } => Topic::Depth(instrument(symbol, security_id, &field)?),
            StreamTopic::Orders { account_id } => Topic::Orders(account_id),
            StreamTopic::Positions { account_id } => Topic::Positions(account_id),
            StreamTopic::AccountBalance { account_id } => Topic::AccountBalance(account_id),
            StreamTopic::UserBalance { user_id } => Topic::UserBalance(user_id),
            StreamTopic::Watchlists { user_id } => Topic::Watchlists(user_id),
            StreamTopic::WatchlistContent { watchlist_id } => Topic::WatchlistContent(watchlist_id),
        })
    }
}

fn split_instrument(i: Instrument) -> (Option<String>, Option<i32>) {
    match i {
        Instrument::Symbol(s) => (Some(s), None),
        Instrument::SecurityId(id) => (None, Some(id)),
    }
}

impl From<Topic> for StreamTopic {
    fn from(t: Topic) -> Self {
        match t {
            Topic::Quote(i) => {
                let (symbol, security_id) = split_instrument(i);
                StreamTopic::Quote {
                    symbol,
                    security_id,
                }
            }
            Topic::Depth(i) => {
                let (symbol, security_id) = split_instrument(i);
                StreamTopic::Depth {
                    symbol,
                    security_id,
                }
            }
            Topic::Orders(account_id) => StreamTopic::Orders { account_id },
            Topic::Positions(account_id) => StreamTopic::Positions { account_id },
            Topic::AccountBalance(account_id) => StreamTopic::AccountBalance { account_id },
            Topic::UserBalance(user_id) => StreamTopic::UserBalance { user_id },
            Topic::Watchlists(user_id) => StreamTopic::Watchlists { user_id },
            Topic::WatchlistContent(watchlist_id) => StreamTopic::WatchlistContent { watchlist_id },
        }
    }
}

/// One price level of a Level II book.
#[napi(object)]
pub struct DepthLevel {
    /// Price (exact decimal).
    pub price: String,
    /// Size at that price (exact decimal).
    pub size: String,
}

impl From<core_stream::DepthLevel> for DepthLevel {
    fn from(l: core_stream::DepthLevel) -> Self {
        DepthLevel {
            price: l.price.to_string(),
            size: l.size.to_string(),
        }
    }
}

/// Fields of an order message that the REST order model has no place for.
#[napi(object)]
pub struct OrderExtras {
    /// Security name (`Name`).
    pub name: Option<String>,
    /// Why the order was rejected (`RejectReason`).
    pub reject_reason: Option<String>,
    /// Underlying symbol of an option order (`UnderlyingSymbol`).
    pub underlying_symbol: Option<String>,
    /// The order's type when it was placed (`InitialType`).
    pub initial_type: Option<String>,
}

impl From<core_stream::OrderExtras> for OrderExtras {
    fn from(x: core_stream::OrderExtras) -> Self {
        OrderExtras {
            name: x.name,
            reject_reason: x.reject_reason,
            underlying_symbol: x.underlying_symbol,
            initial_type: x.initial_type,
        }
    }
}

/// Counters of a stream (`stream.stats()`).
#[napi(object)]
pub struct StreamStats {
    /// Frames received on both streamers.
    pub frames: f64,
    /// Frames that did not decode (each was a `'decode'` event).
    pub decode_errors: f64,
    /// Connections opened (both streamers, first ones included).
    pub connects: f64,
    /// Reconnects after a loss.
    pub reconnects: f64,
    /// Quotes replaced by a newer one before they were taken.
    pub conflated_quotes: f64,
    /// Depth resyncs after a sequence gap.
    pub depth_resyncs: f64,
}

impl From<core_stream::StreamStats> for StreamStats {
    fn from(s: core_stream::StreamStats) -> Self {
        StreamStats {
            frames: s.frames as f64,
            decode_errors: s.decode_errors as f64,
            connects: s.connects as f64,
            reconnects: s.reconnects as f64,
            conflated_quotes: s.conflated_quotes as f64,
            depth_resyncs: s.depth_resyncs as f64,
        }
    }
}

fn streamer_name(s: Streamer) -> String {
    s.as_str().to_string()
}

fn state_name(s: ConnectionState) -> String {
    match s {
        ConnectionState::Connecting => "connecting",
        ConnectionState::Live => "live",
        ConnectionState::Stale => "stale",
        ConnectionState::Reconnecting => "reconnecting",
        ConnectionState::Recovered => "recovered",
        ConnectionState::Closed => "closed",
    }
    .to_string()
}

fn source_name(s: Source) -> String {
    match s {
        Source::Live => "live",
        Source::Reconciled => "reconciled",
    }
    .to_string()
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// What a `MarketStream` yields: a plain object whose `type` tells which (`switch (ev.type)` narrows it in
/// TypeScript). Money and quantities are exact decimal strings, times `Date`s, durations milliseconds.
// Each event becomes a JS object as soon as it is made, so the size of the largest variant costs nothing.
#[allow(clippy::large_enum_variant)]
#[napi(discriminant_case = "camelCase")]
pub enum StreamEvent {
    /// The latest Level I quote of a security (conflated: older undelivered quotes were replaced).
    Quote {
        /// The quote (the REST quote model; `symbol` is the one subscribed to).
        quote: Quote,
        /// The security id the quote is for.
        security_id: Option<i32>,
        /// Size of the last trade (exact decimal).
        last_size: Option<String>,
        /// Time of the bid.
        bid_time: Option<DateTime<Utc>>,
        /// Time of the ask.
        ask_time: Option<DateTime<Utc>>,
        /// Market of the bid.
        bid_market: Option<String>,
        /// Market of the ask.
        ask_market: Option<String>,
        /// Market of the last trade.
        last_market: Option<String>,
        /// Day's high (exact decimal).
        day_high: Option<String>,
        /// Day's low (exact decimal).
        day_low: Option<String>,
        /// Trade condition code.
        trade_condition: Option<String>,
    },
    /// The current Level II book of a security (conflated).
    Depth {
        /// The security id.
        security_id: i32,
        /// The ticker or OSI symbol it was subscribed by.
        symbol: Option<String>,
        /// The sequence number of the last message applied.
        sequence: f64,
        /// Time of the last message applied.
        date: Option<DateTime<Utc>>,
        /// Bid levels, best (highest) first.
        bids: Vec<DepthLevel>,
        /// Ask levels, best (lowest) first.
        asks: Vec<DepthLevel>,
    },
    /// An order change.
    Order {
        /// The order as it is now (the REST order model).
        order: Order,
        /// Fields only the streamer sends.
        extras: OrderExtras,
        /// Pushed by the streamer, or read by REST after a gap because it differed.
        #[napi(ts_type = "'live' | 'reconciled'")]
        source: String,
    },
    /// A position change (`quantity` `'0'` when it was closed).
    Position {
        /// The position as it is now (the REST position model).
        position: Position,
        /// Pushed by the streamer, or read by REST after a gap because it differed.
        #[napi(ts_type = "'live' | 'reconciled'")]
        source: String,
    },
    /// A trading account's balance.
    AccountBalance {
        /// The account.
        account_id: Option<i32>,
        /// `CashBalance` (exact decimal).
        cash_balance: Option<String>,
        /// `PendingCash` (exact decimal).
        pending_cash: Option<String>,
        /// `PendingOrdersCount`.
        pending_orders_count: Option<i32>,
        /// The balance map, with the keys of `client.accounts.balance()`.
        balance: AccountBalance,
    },
    /// The user's aggregated balance.
    UserBalance {
        /// The key subscribed to.
        account_id: Option<i32>,
        /// `CashBalance` (exact decimal).
        cash_balance: Option<String>,
        /// `PendingCash` (exact decimal).
        pending_cash: Option<String>,
        /// `PendingOrdersCount`.
        pending_orders_count: Option<i32>,
        /// The balance map, with the keys of `client.accounts.balance()`.
        balance: AccountBalance,
    },
    /// A watchlist of the user was created, changed or deleted.
    Watchlist {
        /// The user.
        user_id: Option<i32>,
        /// The watchlist.
        watchlist_id: Option<i32>,
        /// Its name.
        name: Option<String>,
        /// Its description.
        description: Option<String>,
        /// Its type (e.g. `'UserList'`).
        kind: Option<String>,
        /// Whether it was deleted.
        is_deleted: bool,
        /// When it was created.
        create_date: Option<DateTime<Utc>>,
        /// When it was last changed.
        modify_date: Option<DateTime<Utc>>,
    },
    /// Symbols were added to or removed from a watchlist.
    WatchlistContent {
        /// The watchlist.
        watchlist_id: Option<i32>,
        /// Security ids added.
        added: Vec<i32>,
        /// Security ids removed.
        removed: Vec<i32>,
    },
    /// A streamer's connection changed state.
    State {
        /// Which streamer.
        #[napi(ts_type = "Streamer")]
        streamer: String,
        /// Its new state.
        #[napi(ts_type = "ConnectionState")]
        state: String,
    },
    /// A subscription (or, without `topic`, the whole connection) went silent; a reconnect follows.
    Stale {
        /// Which streamer.
        #[napi(ts_type = "Streamer")]
        streamer: String,
        /// The silent subscription.
        topic: Option<StreamTopic>,
        /// How long nothing arrived, in milliseconds.
        silent_for_ms: f64,
    },
    /// A streamer reconnected after a loss: messages of `downForMs` may be missing. After a data-streamer gap the
    /// reconciled order, position and balance events follow, then `'reconciled'`.
    Gap {
        /// Which streamer.
        #[napi(ts_type = "Streamer")]
        streamer: String,
        /// When the connection was lost.
        since: DateTime<Utc>,
        /// How long it was down, in milliseconds.
        down_for_ms: f64,
    },
    /// The stream finished re-reading an account by REST after a gap or an overflow.
    Reconciled {
        /// The account.
        account_id: i32,
        /// Orders whose state differed from what the stream had delivered (emitted before this event).
        orders_changed: u32,
        /// Positions that differed.
        positions_changed: u32,
    },
    /// A frame could not be decoded; the stream goes on.
    Decode {
        /// Which streamer sent it.
        #[napi(ts_type = "Streamer")]
        streamer: String,
        /// The field that failed, when one did.
        field: Option<String>,
        /// What was wrong.
        message: String,
        /// The start of the frame (at most 200 characters).
        snippet: String,
    },
    /// The server refused a subscription or does not serve it; it was removed from the subscriptions.
    SubscriptionFailed {
        /// The topic.
        topic: StreamTopic,
        /// Why.
        message: String,
    },
    /// The event queue was full and `dropped` events could not be queued; orders and positions are re-read by
    /// REST (a `'reconciled'` event follows).
    Overflow {
        /// How many events were not queued.
        dropped: f64,
    },
    /// A streamer stopped for good (an error retrying cannot mend, e.g. access denied).
    Closed {
        /// Which streamer.
        #[napi(ts_type = "Streamer")]
        streamer: String,
        /// Why.
        message: String,
    },
}

fn balance_fields(
    b: core_stream::BalanceUpdate,
) -> (
    Option<i32>,
    Option<String>,
    Option<String>,
    Option<i32>,
    AccountBalance,
) {
    (
        b.account_id,
        dec(b.cash_balance),
        dec(b.pending_cash),
        b.pending_orders_count,
        AccountBalance::from(b.balance),
    )
}

impl StreamEvent {
    /// The JS event of a core event; `None` for a kind this binding does not know yet (core's `Event` is
    /// `#[non_exhaustive]`).
    fn from_core(ev: Event) -> Option<StreamEvent> {
        Some(match ev {
            Event::Quote(q) => {
                let q = *q;
                StreamEvent::Quote {
                    security_id: q.security_id(),
                    quote: Quote::from(q.quote),
                    last_size: dec(q.last_size),
                    bid_time: q.bid_time,
                    ask_time: q.ask_time,
                    bid_market: q.bid_market,
                    ask_market: q.ask_market,
                    last_market: q.last_market,
                    day_high: dec(q.day_high),
                    day_low: dec(q.day_low),
                    trade_condition: q.trade_condition,
                }
            }
            Event::Depth(b) => {
                let b = *b;
                StreamEvent::Depth {
                    security_id: b.security_id,
                    symbol: b.symbol,
                    sequence: b.sequence as f64,
                    date: b.date,
                    bids: b.bids.into_iter().map(DepthLevel::from).collect(),
                    asks: b.asks.into_iter().map(DepthLevel::from).collect(),
                }
            }
            Event::Order(o) => {
                let o = *o;
                StreamEvent::Order {
                    order: Order::from(o.order),
                    extras: OrderExtras::from(o.extras),
                    source: source_name(o.source),
                }
            }
            Event::Position(p) => StreamEvent::Position {
                position: Position::from(p.position),
                source: source_name(p.source),
            },
            Event::AccountBalance(b) => {
                let (account_id, cash_balance, pending_cash, pending_orders_count, balance) =
                    balance_fields(*b);
                StreamEvent::AccountBalance {
                    account_id,
                    cash_balance,
                    pending_cash,
                    pending_orders_count,
                    balance,
                }
            }
            Event::UserBalance(b) => {
                let (account_id, cash_balance, pending_cash, pending_orders_count, balance) =
                    balance_fields(*b);
                StreamEvent::UserBalance {
                    account_id,
                    cash_balance,
                    pending_cash,
                    pending_orders_count,
                    balance,
                }
            }
            Event::Watchlist(w) => StreamEvent::Watchlist {
                user_id: w.user_id,
                watchlist_id: w.watchlist_id,
                name: w.name,
                description: w.description,
                kind: w.kind,
                is_deleted: w.is_deleted,
                create_date: w.create_date,
                modify_date: w.modify_date,
            },
            Event::WatchlistContent(w) => StreamEvent::WatchlistContent {
                watchlist_id: w.watchlist_id,
                added: w.added,
                removed: w.removed,
            },
            Event::State { streamer, state } => StreamEvent::State {
                streamer: streamer_name(streamer),
                state: state_name(state),
            },
            Event::Stale {
                streamer,
                topic,
                silent_for,
            } => StreamEvent::Stale {
                streamer: streamer_name(streamer),
                topic: topic.map(StreamTopic::from),
                silent_for_ms: ms(silent_for),
            },
            Event::Gap {
                streamer,
                since,
                down_for,
            } => StreamEvent::Gap {
                streamer: streamer_name(streamer),
                since,
                down_for_ms: ms(down_for),
            },
            Event::Reconciled {
                account_id,
                orders_changed,
                positions_changed,
            } => StreamEvent::Reconciled {
                account_id,
                orders_changed: u32::try_from(orders_changed).unwrap_or(u32::MAX),
                positions_changed: u32::try_from(positions_changed).unwrap_or(u32::MAX),
            },
            Event::Decode { streamer, error } => StreamEvent::Decode {
                streamer: streamer_name(streamer),
                field: error.field,
                message: error.message,
                snippet: error.snippet,
            },
            Event::SubscriptionFailed { topic, message } => StreamEvent::SubscriptionFailed {
                topic: StreamTopic::from(topic),
                message,
            },
            Event::Overflow { dropped } => StreamEvent::Overflow {
                dropped: dropped as f64,
            },
            Event::Closed { streamer, message } => StreamEvent::Closed {
                streamer: streamer_name(streamer),
                message,
            },
            _ => return None,
        })
    }
}

/// The result of `next()`, shaped as the async-iterator protocol wants it: `{ done: false, value }` or
/// `{ done: true, value: undefined }` (converted by hand: the type is `IteratorResult` in `index.d.ts`).
pub struct Step(Option<StreamEvent>);

impl ToNapiValue for Step {
    unsafe fn to_napi_value(env: sys::napi_env, v: Self) -> Result<sys::napi_value> {
        let env_ = Env::from_raw(env);
        let mut o = Object::new(&env_)?;
        o.set_named_property("done", v.0.is_none())?;
        match v.0 {
            Some(ev) => o.set_named_property("value", ev)?,
            None => o.set_named_property("value", ())?,
        }
        unsafe { Object::to_napi_value(env, o) }
    }
}

// ---- the stream ---------------------------------------------------------------------------------------------

/// A running stream over both streamers (quotes and depth; orders, positions, balances, watchlists), reconnecting
/// and re-subscribing by itself. It is its own async iterator:
///
/// ```js
/// const stream = await client.stream({ quotes: ['AAPL', 'MSFT'], accounts: [accountId] })
/// for await (const ev of stream) {
///   if (ev.type === 'quote') console.log(ev.quote.symbol, ev.quote.bid, ev.quote.ask)
///   else if (ev.type === 'order') console.log(ev.order.id, ev.order.status)
///   if (done) break // leaving the loop closes the stream
/// }
/// ```
///
/// A waiting `next()` keeps the process alive (like an open socket); after `close()` nothing does.
#[napi]
pub struct MarketStream {
    core: Arc<core_stream::MarketStream>,
    client: autoshares::Client,
    life: Arc<Lifecycle>,
}

/// Starts a stream for `client.stream()`.
pub fn start<'env>(
    env: &'env Env,
    client: autoshares::Client,
    life: &Arc<Lifecycle>,
    options: Option<Object>,
    call_options: Option<CallOptions>,
) -> Result<PromiseRaw<'env, MarketStream>> {
    let options = options_arg(env, options);
    let core = client.clone();
    let fut = async move {
        let (topics, cfg) = options?.split();
        let config = config(cfg)?;
        let user = user_id(&core, &topics).await?;
        core.stream()
            .config(config)
            .subscribe(core_topics(topics, user))
            .await
    };
    let stream_life = life.clone();
    call::spawn(env, life, call_options, fut, move |s| {
        let core = Arc::new(s);
        // `client.close()` stops the client's streams too (a forgotten stream must not outlive its client).
        let weak = Arc::downgrade(&core);
        let closing = stream_life.closing();
        napi::bindgen_prelude::spawn(async move {
            closing.await;
            if let Some(stream) = weak.upgrade() {
                stream.close().await;
            }
        });
        MarketStream {
            core,
            client,
            life: stream_life,
        }
    })
}

fn parse_streamer(name: &str) -> autoshares::Result<Streamer> {
    match name {
        "quote" => Ok(Streamer::Quote),
        "data" => Ok(Streamer::Data),
        other => Err(invalid(
            "streamer",
            format!("`{other}` is not 'quote' or 'data'"),
        )),
    }
}

#[napi]
impl MarketStream {
    /// The next event (`{ done: false, value }`), waiting for one; `{ done: true }` once the stream was closed and
    /// everything queued was taken. `for await` calls it for you. Quotes and books are conflated: a slow
    /// consumer gets the latest of each security, never a backlog; every other event is kept in order.
    #[napi(
        ts_args_type = "options?: CallOptions",
        ts_return_type = "Promise<IteratorResult<StreamEvent, undefined>>"
    )]
    pub fn next<'env>(
        &self,
        env: &'env Env,
        options: Option<CallOptions>,
    ) -> Result<PromiseRaw<'env, Step>> {
        let core = self.core.clone();
        let fut = async move {
            loop {
                match core.next().await {
                    None => return Ok(None),
                    Some(ev) => {
                        if let Some(ev) = StreamEvent::from_core(ev) {
                            return Ok(Some(ev));
                        }
                    }
                }
            }
        };
        call::spawn(env, &self.life, options, fut, Step)
    }

    /// Up to `max` events: waits for the first, then takes whatever else is already queued, so one Promise
    /// (one wake-up of the event loop) carries a whole burst. An empty array means the stream was closed and
    /// drained. `for await` and `on()` read through this (measured faster than one `next()` per event).
    #[napi(
        ts_args_type = "max?: number, options?: CallOptions",
        ts_return_type = "Promise<StreamEvent[]>"
    )]
    pub fn next_batch<'env>(
        &self,
        env: &'env Env,
        max: Option<u32>,
        options: Option<CallOptions>,
    ) -> Result<PromiseRaw<'env, Vec<StreamEvent>>> {
        let core = self.core.clone();
        let max = max.unwrap_or(512).clamp(1, 65_536) as usize;
        let fut = async move {
            let mut batch = Vec::new();
            while batch.is_empty() {
                match core.next().await {
                    None => return Ok(batch),
                    Some(ev) => batch.extend(StreamEvent::from_core(ev)),
                }
            }
            // The frames that already arrived are handled before JS is woken, so the batch is not the first event
            // alone (no timer: nothing is waited for that has not arrived).
            for _ in 0..2 {
                tokio::task::yield_now().await;
            }
            while batch.len() < max {
                match core.try_next() {
                    Some(ev) => batch.extend(StreamEvent::from_core(ev)),
                    None => break,
                }
            }
            Ok(batch)
        };
        call::spawn(env, &self.life, options, fut, |v| v)
    }

    /// `nextBatch()` as lib.cjs reads it: the same events with the quote events packed (see `PackedBatch`).
    #[napi(
        js_name = "_nextBatchPacked",
        ts_args_type = "max?: number, options?: CallOptions",
        ts_return_type = "Promise<PackedBatch>"
    )]
    pub fn next_batch_packed<'env>(
        &self,
        env: &'env Env,
        max: Option<u32>,
        options: Option<CallOptions>,
    ) -> Result<PromiseRaw<'env, PackedBatch>> {
        let core = self.core.clone();
        let max = max.unwrap_or(512).clamp(1, 65_536) as usize;
        let fut = async move {
            let mut events = Vec::new();
            let mut packer = Packer::default();
            while events.is_empty() {
                match core.next().await {
                    None => return Ok((events, packer)),
                    Some(ev) => events.extend(StreamEvent::from_core(ev).map(|e| packer.quote(e))),
                }
            }
            // As in `next_batch`: the frames already read are handled before JS is woken.
            for _ in 0..2 {
                tokio::task::yield_now().await;
            }
            while events.len() < max {
                match core.try_next() {
                    Some(ev) => events.extend(StreamEvent::from_core(ev).map(|e| packer.quote(e))),
                    None => break,
                }
            }
            Ok((events, packer))
        };
        call::spawn(env, &self.life, options, fut, |(events, p)| p.batch(events))
    }

    /// The next event if one is queued, without waiting; `null` otherwise.
    #[napi]
    pub fn try_next(&self) -> Option<StreamEvent> {
        while let Some(ev) = self.core.try_next() {
            if let Some(ev) = StreamEvent::from_core(ev) {
                return Some(ev);
            }
        }
        None
    }

    /// Adds subscriptions while the stream runs. Symbols are resolved and account ids checked first: an unknown
    /// symbol or someone else's account rejects with `code === 'VALIDATION'` and nothing is sent.
    #[napi(
        ts_args_type = "topics: StreamTopics | StreamTopic[], options?: CallOptions",
        ts_return_type = "Promise<void>"
    )]
    pub fn subscribe<'env>(
        &self,
        env: &'env Env,
        topics: Object,
        options: Option<CallOptions>,
    ) -> Result<PromiseRaw<'env, ()>> {
        let topics = topics_arg(env, topics);
        let (core, client) = (self.core.clone(), self.client.clone());
        let fut = async move { core.subscribe(resolve(&client, topics?).await?).await };
        call::spawn(env, &self.life, options, fut, |v| v)
    }

    /// Removes subscriptions (`stream.unsubscribe(stream.subscriptions())` removes them all).
    #[napi(
        ts_args_type = "topics: StreamTopics | StreamTopic[], options?: CallOptions",
        ts_return_type = "Promise<void>"
    )]
    pub fn unsubscribe<'env>(
        &self,
        env: &'env Env,
        topics: Object,
        options: Option<CallOptions>,
    ) -> Result<PromiseRaw<'env, ()>> {
        let topics = topics_arg(env, topics);
        let (core, client) = (self.core.clone(), self.client.clone());
        let fut = async move { core.unsubscribe(resolve(&client, topics?).await?).await };
        call::spawn(env, &self.life, options, fut, |v| v)
    }

    /// The subscriptions the stream keeps (and restores after every reconnect).
    #[napi]
    pub fn subscriptions(&self) -> Vec<StreamTopic> {
        self.core
            .subscriptions()
            .into_iter()
            .map(StreamTopic::from)
            .collect()
    }

    /// The current state of a streamer's connection.
    #[napi(
        ts_args_type = "streamer: Streamer",
        ts_return_type = "ConnectionState"
    )]
    pub fn state(&self, env: Env, streamer: String) -> Result<String> {
        let s = parse_streamer(&streamer).map_err(|e| crate::error::core(&env, &e))?;
        Ok(state_name(self.core.state(s)))
    }

    /// Waits until both streamers are `'live'`: connected, session created, every subscription sent. Rejects
    /// with `code === 'STREAM'` if one has closed for good; pass a `signal` (`AbortSignal.timeout(ms)`) to bound
    /// the wait.
    #[napi(
        ts_args_type = "options?: CallOptions",
        ts_return_type = "Promise<void>"
    )]
    pub fn ready<'env>(
        &self,
        env: &'env Env,
        options: Option<CallOptions>,
    ) -> Result<PromiseRaw<'env, ()>> {
        let core = self.core.clone();
        call::spawn(
            env,
            &self.life,
            options,
            async move { core.ready().await },
            |v| v,
        )
    }

    /// The orders seen on the stream (and by reconciliation), the latest state of each, by id.
    #[napi]
    pub fn orders(&self) -> Vec<Order> {
        self.core.orders().into_iter().map(Order::from).collect()
    }

    /// The positions seen on the stream (and by reconciliation), the latest of each (account, security).
    #[napi]
    pub fn positions(&self) -> Vec<Position> {
        self.core
            .positions()
            .into_iter()
            .map(Position::from)
            .collect()
    }

    /// Counters: frames, decode errors, connects, reconnects, conflated quotes, depth resyncs.
    #[napi]
    pub fn stats(&self) -> StreamStats {
        StreamStats::from(self.core.stats())
    }

    /// Stops both connections (with a close frame) and waits for them. Events already queued can still be taken;
    /// then `next()` is `{ done: true }`. Afterwards nothing of the stream keeps the process alive. Idempotent,
    /// and it works after `client.close()` too.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn close<'env>(&self, env: &'env Env) -> Result<PromiseRaw<'env, ()>> {
        let core = self.core.clone();
        let fut = async move {
            core.close().await;
            Ok(())
        };
        call::spawn(env, &Lifecycle::new(), None, fut, |v| v)
    }
}

// ---- quote events packed for JS ---------------------------------------------------------------------------------
// A quote event is about 40 properties; napi sets them one call each (about 20 us of CPU an event here), which
// capped `for await` well below a hand-written `ws` + `JSON.parse` client. So `nextBatch()` (lib.cjs) reads
// `_nextBatchPacked()`: quote events as one string of their text fields and one Float64Array of their numbers and
// times, which lib.cjs turns into the very objects napi would have built (same properties in the same order,
// absent ones left out), with a decoder it generates once from `_quoteLayout()`. Other events stay objects.

/// The text fields' separator in [`PackedBatch::strings`], and the mark of an absent text field.
const SEP: char = '\u{0}';
const ABSENT: char = '\u{1}';

/// Fields of a packed quote event: its `quote` object's, then the event's own (`s` text, `n` number, `d` `Date`,
/// `b` boolean), in the order of the structs (napi's property order).
const QUOTE_LAYOUT: &[(&str, &str)] = &[
    ("ask", "s"),
    ("bid", "s"),
    ("last", "s"),
    ("volume", "s"),
    ("openInterest", "s"),
    ("symbol", "s"),
    ("securityId", "n"),
    ("timestamp", "d"),
    ("quoteTypes", "n"),
    ("mark", "s"),
    ("price", "s"),
    ("key", "n"),
    ("date", "d"),
    ("high", "s"),
    ("low", "s"),
    ("open", "s"),
    ("close", "s"),
    ("change", "s"),
    ("changePc", "s"),
    ("week52Low", "s"),
    ("week52High", "s"),
    ("totalDailyVolume", "s"),
    ("askSize", "s"),
    ("bidSize", "s"),
    ("previousClose", "s"),
    ("isHalted", "b"),
    ("bidExchange", "s"),
    ("askExchange", "s"),
    ("lastExchange", "s"),
    ("channel", "s"),
];
const QUOTE_EVENT_LAYOUT: &[(&str, &str)] = &[
    ("securityId", "n"),
    ("lastSize", "s"),
    ("bidTime", "d"),
    ("askTime", "d"),
    ("bidMarket", "s"),
    ("askMarket", "s"),
    ("lastMarket", "s"),
    ("dayHigh", "s"),
    ("dayLow", "s"),
    ("tradeCondition", "s"),
];

/// A batch of events with the quote events packed (see above).
#[napi(object, object_from_js = false)]
pub struct PackedBatch {
    /// The events in order; `null` where a packed quote event goes.
    pub events: Vec<Option<StreamEvent>>,
    /// The packed quote events' text fields, each followed by `\0`; `\u0001` for an absent one.
    pub strings: String,
    /// Their numbers and times (milliseconds); `NaN` for an absent one, booleans as 1 and 0.
    pub numbers: Float64Array,
}

#[derive(Default)]
struct Packer {
    strings: String,
    numbers: Vec<f64>,
}

impl Packer {
    fn batch(self, events: Vec<Option<StreamEvent>>) -> PackedBatch {
        PackedBatch {
            events,
            strings: self.strings,
            numbers: Float64Array::new(self.numbers),
        }
    }

    fn s(&mut self, v: Option<String>) {
        match v {
            Some(v) => self.strings.push_str(&v),
            None => self.strings.push(ABSENT),
        }
        self.strings.push(SEP);
    }
    fn n(&mut self, v: Option<i32>) {
        self.numbers.push(v.map_or(f64::NAN, f64::from));
    }
    fn d(&mut self, v: Option<DateTime<Utc>>) {
        // napi's `Date`s are whole milliseconds too.
        self.numbers
            .push(v.map_or(f64::NAN, |t| t.timestamp_millis() as f64));
    }
    fn b(&mut self, v: Option<bool>) {
        self.numbers
            .push(v.map_or(f64::NAN, |b| f64::from(u8::from(b))));
    }

    /// Packs a quote event; gives it back when a text field holds a separator (then it stays an object).
    fn quote(&mut self, ev: StreamEvent) -> Option<StreamEvent> {
        let StreamEvent::Quote {
            quote,
            security_id,
            last_size,
            bid_time,
            ask_time,
            bid_market,
            ask_market,
            last_market,
            day_high,
            day_low,
            trade_condition,
        } = ev
        else {
            return Some(ev);
        };
        let texts = [
            &quote.symbol,
            &quote.bid_exchange,
            &quote.ask_exchange,
            &quote.last_exchange,
            &quote.channel,
            &bid_market,
            &ask_market,
            &last_market,
            &trade_condition,
        ];
        if texts
            .iter()
            .any(|t| t.as_deref().is_some_and(|t| t.contains([SEP, ABSENT])))
        {
            return Some(StreamEvent::Quote {
                quote,
                security_id,
                last_size,
                bid_time,
                ask_time,
                bid_market,
                ask_market,
                last_market,
                day_high,
                day_low,
                trade_condition,
            });
        }
        // Every field, in QUOTE_LAYOUT's order (a field added to the model fails to compile here).
        let Quote {
            ask,
            bid,
            last,
            volume,
            open_interest,
            symbol,
            security_id: quote_security_id,
            timestamp,
            quote_types,
            mark,
            price,
            key,
            date,
            high,
            low,
            open,
            close,
            change,
            change_pc,
            week52_low,
            week52_high,
            total_daily_volume,
            ask_size,
            bid_size,
            previous_close,
            is_halted,
            bid_exchange,
            ask_exchange,
            last_exchange,
            channel,
        } = quote;
        self.s(ask);
        self.s(bid);
        self.s(last);
        self.s(volume);
        self.s(open_interest);
        self.s(symbol);
        self.n(quote_security_id);
        self.d(timestamp);
        self.n(quote_types);
        self.s(mark);
        self.s(price);
        self.n(key);
        self.d(date);
        self.s(high);
        self.s(low);
        self.s(open);
        self.s(close);
        self.s(change);
        self.s(change_pc);
        self.s(week52_low);
        self.s(week52_high);
        self.s(total_daily_volume);
        self.s(ask_size);
        self.s(bid_size);
        self.s(previous_close);
        self.b(is_halted);
        self.s(bid_exchange);
        self.s(ask_exchange);
        self.s(last_exchange);
        self.s(channel);
        // QUOTE_EVENT_LAYOUT's order.
        self.n(security_id);
        self.s(last_size);
        self.d(bid_time);
        self.d(ask_time);
        self.s(bid_market);
        self.s(ask_market);
        self.s(last_market);
        self.s(day_high);
        self.s(day_low);
        self.s(trade_condition);
        None
    }
}

/// `_quoteLayout()`: the fields of a packed quote event (for lib.cjs's decoder): `[quote fields, event fields]`,
/// each `[name, kind]`.
#[napi(js_name = "_quoteLayout")]
pub fn quote_layout() -> Vec<Vec<Vec<String>>> {
    [QUOTE_LAYOUT, QUOTE_EVENT_LAYOUT]
        .iter()
        .map(|l| {
            l.iter()
                .map(|(name, kind)| vec![name.to_string(), kind.to_string()])
                .collect()
        })
        .collect()
}

/// `_packEvents(events)`: events packed as `_nextBatchPacked()` packs them (for the test that unpacking them gives
/// the objects back).
#[napi(js_name = "_packEvents", ts_return_type = "PackedBatch")]
pub fn pack_events(events: Vec<StreamEvent>) -> PackedBatch {
    let mut packer = Packer::default();
    let events = events.into_iter().map(|e| packer.quote(e)).collect();
    packer.batch(events)
}

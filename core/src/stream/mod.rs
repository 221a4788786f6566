//! Streaming: Level I quotes, Level II depth and account events over the AutoShares streamers, supervised.
//!
//! ```no_run
//! # async fn run(client: autoshares::Client) -> autoshares::Result<()> {
//! use autoshares::stream::{Event, Topic};
//!
//! let stream = client
//!     .stream()
//!     .subscribe([Topic::quote("AAPL"), Topic::quote("MSFT")])
//!     .subscribe(Topic::account(6004))
//!     .await?;
//! while let Some(event) = stream.next().await {
//!     match event {
//!         Event::Quote(q) => println!("{:?} bid {:?} ask {:?}", q.quote.symbol, q.quote.bid, q.quote.ask),
//!         Event::Order(o) => println!("order {:?} {:?}", o.order.id, o.order.status),
//!         Event::Gap { .. } => { /* reconnected: the SDK re-read orders and positions */ }
//!         other => println!("{other:?}"),
//!     }
//! }
//! # Ok(()) }
//! ```
//!
//! How it works (see `docs/STREAMING.md` for the wire protocol):
//! * one WebSocket per streamer (quote and data), each owned by a supervisor task with explicit
//!   [`ConnectionState`]s, reconnecting with capped exponential backoff and full jitter, recovering its
//!   session through `PUT /streamers/session/recover`, then re-subscribing exactly the desired set;
//! * a staleness watchdog per quote and depth subscription (no message for [`StreamConfig::stale_after`]
//!   while the market is open: an [`Event::Stale`] and a reconnect), and WebSocket pings for the connection;
//! * after every reconnect an [`Event::Gap`]; on the data streamer the SDK re-reads orders, positions and
//!   balances of every subscribed account and emits what changed as events with [`Source::Reconciled`];
//! * backpressure by topic (quotes and books conflated latest-wins, everything else in a bounded FIFO whose
//!   overflow is an [`Event::Overflow`], never a silent loss).

mod book;
mod handshake;
mod hours;
mod hub;
mod supervisor;
pub mod wire;

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;
use tokio::sync::{mpsc, watch};

pub use book::{Applied, DepthBook};
pub use hours::MarketHours;
pub use wire::{
    BalanceUpdate, DecodeError, DepthLevel, OrderExtras, QuoteUpdate, WatchlistContentUpdate,
    WatchlistUpdate,
};

use crate::client::Client;
use crate::error::{Error, Result};
use crate::models::{Order, Position};

/// The two streamers of an environment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum Streamer {
    /// Market data: quotes and depth (session type `1`).
    Quote,
    /// Account data: orders, positions, balances, watchlists (session type `0`).
    Data,
}

impl Streamer {
    /// The `sessionType` of the recover endpoint.
    pub fn session_type(self) -> i32 {
        match self {
            Streamer::Quote => 1,
            Streamer::Data => 0,
        }
    }

    /// `"quote"` or `"data"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Streamer::Quote => "quote",
            Streamer::Data => "data",
        }
    }
}

/// The state of one streamer's connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum ConnectionState {
    /// Opening the first connection.
    Connecting,
    /// Connected, session created, subscriptions sent.
    Live,
    /// A subscription or the connection went silent; a reconnect follows.
    Stale,
    /// The connection was lost; waiting out the backoff, recovering the session, connecting again.
    Reconnecting,
    /// Connected again with a recovered session and every subscription re-sent (then `Live`).
    Recovered,
    /// Closed by [`MarketStream::close`] or by an error that retrying cannot mend.
    Closed,
}

/// The instrument of a market-data subscription.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum Instrument {
    /// A ticker (`AAPL`) or a 21-character OSI option symbol (`AAPL  261218C00190000`), resolved to a security
    /// id through the securities API (and cached).
    Symbol(String),
    /// A security id as the platform numbers it.
    SecurityId(i32),
}

/// Something to subscribe to.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum Topic {
    /// Level I quotes of an instrument.
    Quote(Instrument),
    /// Level II market depth of an instrument (our documented extension; an environment that does not serve
    /// it is reported as [`Event::SubscriptionFailed`]).
    Depth(Instrument),
    /// Every order change of a trading account.
    Orders(i32),
    /// Position changes of a trading account.
    Positions(i32),
    /// Balance changes of a trading account.
    AccountBalance(i32),
    /// The user's aggregated balance (key: user id).
    UserBalance(i32),
    /// Changes in the list of the user's watchlists (key: user id).
    Watchlists(i32),
    /// Symbols added to or removed from a watchlist (key: watchlist id).
    WatchlistContent(i32),
}

impl Topic {
    /// Level I quotes of a ticker or OSI symbol.
    pub fn quote(symbol: impl Into<String>) -> Topic {
        Topic::Quote(Instrument::Symbol(symbol.into()))
    }

    /// Level II depth of a ticker or OSI symbol.
    pub fn depth(symbol: impl Into<String>) -> Topic {
        Topic::Depth(Instrument::Symbol(symbol.into()))
    }

    /// Orders, positions and balance of a trading account.
    pub fn account(account_id: i32) -> [Topic; 3] {
        [
            Topic::Orders(account_id),
            Topic::Positions(account_id),
            Topic::AccountBalance(account_id),
        ]
    }

    /// The streamer that serves this topic.
    pub fn streamer(&self) -> Streamer {
        match self {
            Topic::Quote(_) | Topic::Depth(_) => Streamer::Quote,
            _ => Streamer::Data,
        }
    }
}

/// Where an account event came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Source {
    /// Pushed by the streamer.
    Live,
    /// Read by REST after a gap, because it differed from what the stream had delivered.
    Reconciled,
}

/// An order change.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OrderEvent {
    /// The order as it is now (the REST order model).
    pub order: Order,
    /// Fields only the streamer sends.
    pub extras: OrderExtras,
    /// Pushed or reconciled.
    pub source: Source,
}

/// A position change.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PositionEvent {
    /// The position as it is now (`quantity` zero when closed).
    pub position: Position,
    /// Pushed or reconciled.
    pub source: Source,
}

/// What a [`MarketStream`] yields.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Event {
    /// The latest Level I quote of a security (conflated: older undelivered quotes were replaced).
    Quote(Box<QuoteUpdate>),
    /// The current Level II book of a security (conflated).
    Depth(Box<DepthBook>),
    /// An order change.
    Order(Box<OrderEvent>),
    /// A position change.
    Position(Box<PositionEvent>),
    /// An account's balance.
    AccountBalance(Box<BalanceUpdate>),
    /// The user's aggregated balance.
    UserBalance(Box<BalanceUpdate>),
    /// A watchlist was created, changed or deleted.
    Watchlist(Box<WatchlistUpdate>),
    /// Symbols were added to or removed from a watchlist.
    WatchlistContent(WatchlistContentUpdate),
    /// A streamer's connection changed state.
    State {
        /// Which streamer.
        streamer: Streamer,
        /// Its new state.
        state: ConnectionState,
    },
    /// A subscription (or, with `topic` `None`, the whole connection) went silent for `silent_for`.
    Stale {
        /// Which streamer.
        streamer: Streamer,
        /// The silent subscription.
        topic: Option<Topic>,
        /// How long nothing arrived.
        silent_for: Duration,
    },
    /// A streamer reconnected after a loss: messages of `down_for` may be missing. After a data-streamer gap
    /// the reconciled order, position and balance events follow, then [`Event::Reconciled`].
    Gap {
        /// Which streamer.
        streamer: Streamer,
        /// When the connection was lost.
        since: DateTime<Utc>,
        /// How long it was down.
        down_for: Duration,
    },
    /// The SDK finished re-reading an account by REST after a gap or an overflow.
    Reconciled {
        /// The account.
        account_id: i32,
        /// Orders whose state differed from what the stream had delivered (emitted before this event).
        orders_changed: usize,
        /// Positions that differed.
        positions_changed: usize,
    },
    /// A frame could not be decoded; the stream goes on.
    Decode {
        /// Which streamer sent it.
        streamer: Streamer,
        /// What was wrong.
        error: DecodeError,
    },
    /// The server refused a subscription, or does not serve it (e.g. market depth on an environment without
    /// it). The topic was removed from the desired set.
    SubscriptionFailed {
        /// The topic.
        topic: Topic,
        /// Why.
        message: String,
    },
    /// The event buffer was full and `dropped` events could not be queued; the SDK re-reads orders and
    /// positions by REST (an [`Event::Reconciled`] follows) so its views stay right.
    Overflow {
        /// How many events were not queued.
        dropped: u64,
    },
    /// A streamer stopped for good (an error retrying cannot mend, e.g. access denied).
    Closed {
        /// Which streamer.
        streamer: Streamer,
        /// Why.
        message: String,
    },
}

/// Tuning of a [`MarketStream`]. The defaults suit a live trading session.
#[derive(Debug, Clone)]
pub struct StreamConfig {
    /// A quote or depth subscription with no message for this long while the market is open is stale:
    /// [`Event::Stale`] and a reconnect. `None` turns the watchdog off. Default 30 s.
    pub stale_after: Option<Duration>,
    /// When the market is open, for the staleness watchdog. Default [`MarketHours::UsEquitiesExtended`].
    pub market_hours: MarketHours,
    /// Interval of WebSocket pings. Default 15 s.
    pub ping_interval: Duration,
    /// A connection that answers nothing (no pong, no frame) for this long after a ping is dead. Default 10 s.
    pub pong_timeout: Duration,
    /// Time allowed for connecting and creating a session. Default 10 s.
    pub connect_timeout: Duration,
    /// First reconnect delay (then doubled per failed attempt, with full jitter). Default 200 ms.
    pub backoff_initial: Duration,
    /// Cap of the reconnect delay. Default 30 s.
    pub backoff_max: Duration,
    /// Capacity of the FIFO of non-conflated events. Default 100,000.
    pub event_buffer: usize,
    /// A depth subscription with no `MarketDepth` message for this long is reported as not offered. Default 5 s.
    pub depth_timeout: Duration,
    /// Re-read orders, positions and balances by REST after a data-streamer gap. Default true.
    pub reconcile: bool,
}

impl Default for StreamConfig {
    fn default() -> Self {
        StreamConfig {
            stale_after: Some(Duration::from_secs(30)),
            market_hours: MarketHours::UsEquitiesExtended,
            ping_interval: Duration::from_secs(15),
            pong_timeout: Duration::from_secs(10),
            connect_timeout: Duration::from_secs(10),
            backoff_initial: Duration::from_millis(200),
            backoff_max: Duration::from_secs(30),
            event_buffer: 100_000,
            depth_timeout: Duration::from_secs(5),
            reconcile: true,
        }
    }
}

/// A subscription as sent: entity type and key.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct Key {
    pub(crate) entity: &'static str,
    pub(crate) key: String,
}

/// Counters of a stream, for monitoring and tests.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct StreamStats {
    /// Frames received on both streamers.
    pub frames: u64,
    /// Frames that did not decode.
    pub decode_errors: u64,
    /// Connections opened (both streamers, first ones included).
    pub connects: u64,
    /// Reconnects after a loss.
    pub reconnects: u64,
    /// Quotes replaced by a newer one before the consumer took them.
    pub conflated_quotes: u64,
    /// Depth resyncs after a sequence gap.
    pub depth_resyncs: u64,
}

/// State shared by the handle and the supervisors.
pub(crate) struct Shared {
    pub(crate) hub: hub::Hub,
    pub(crate) config: StreamConfig,
    pub(crate) client: Client,
    pub(crate) user_id: i32,
    /// The desired subscriptions by streamer, with the topic each came from.
    pub(crate) desired: Mutex<BTreeMap<Key, Topic>>,
    pub(crate) states: watch::Sender<BTreeMap<Streamer, ConnectionState>>,
    pub(crate) orders: Mutex<HashMap<i32, Order>>,
    pub(crate) positions: Mutex<HashMap<(i32, i32), Position>>,
    pub(crate) symbols: Mutex<HashMap<i32, String>>,
    pub(crate) stats: Mutex<StreamStats>,
    /// Whether a REST reconciliation is running.
    pub(crate) reconciling: std::sync::atomic::AtomicBool,
}

impl Shared {
    pub(crate) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
        m.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn set_state(&self, streamer: Streamer, state: ConnectionState) {
        let changed = self.states.send_if_modified(|m| {
            let prev = m.insert(streamer, state);
            prev != Some(state)
        });
        if changed {
            self.hub.push(Event::State { streamer, state });
        }
    }

    pub(crate) fn stat(&self, f: impl FnOnce(&mut StreamStats)) {
        f(&mut Shared::lock(&self.stats));
    }
}

/// A control message to a supervisor.
#[derive(Debug)]
pub(crate) enum Control {
    Subscribe(Vec<Key>),
    Unsubscribe(Vec<Key>),
    Close,
}

/// The wait for the next event of [`futures::Stream::poll_next`].
type NextEvent = Pin<Box<dyn Future<Output = Option<Event>> + Send>>;

/// A running stream: events from both streamers, subscriptions changeable while it runs.
///
/// It is a [`futures::Stream`] of [`Event`]s (or call [`MarketStream::next`]). Every other method takes
/// `&self`, so one stream can be shared (e.g. in an `Arc`) by a task that takes events and others that change
/// subscriptions or close it. Dropping it stops both connections; [`MarketStream::close`] does so and waits
/// for them.
pub struct MarketStream {
    shared: Arc<Shared>,
    controls: BTreeMap<Streamer, mpsc::UnboundedSender<Control>>,
    tasks: Mutex<Vec<tokio::task::JoinHandle<()>>>,
    resolver: supervisor::Resolver,
    /// The wait of [`futures::Stream::poll_next`], dropped by [`MarketStream::next`] (a stale waiter would
    /// take a wake-up meant for `next`).
    pending: Mutex<Option<NextEvent>>,
}

impl fmt::Debug for MarketStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MarketStream")
            .field("states", &*self.shared.states.borrow())
            .field("subscriptions", &self.subscriptions())
            .finish()
    }
}

impl MarketStream {
    /// The next event; `None` after [`MarketStream::close`] once everything queued was taken. Concurrent
    /// calls each get different events.
    pub async fn next(&self) -> Option<Event> {
        *Shared::lock(&self.pending) = None;
        self.shared.hub.next().await
    }

    /// The next event if one is queued, without waiting.
    pub fn try_next(&self) -> Option<Event> {
        self.shared.hub.try_next()
    }

    /// Adds subscriptions while the stream runs. Symbols are resolved and account ids checked first: an
    /// unknown symbol or someone else's account is an [`Error::Validation`] and nothing is sent.
    pub async fn subscribe(&self, topics: impl IntoIterator<Item = Topic>) -> Result<()> {
        let keys = self.resolver.resolve(&self.shared, topics).await?;
        self.apply(keys, true)
    }

    /// Removes subscriptions (symbols resolve through the same cache).
    pub async fn unsubscribe(&self, topics: impl IntoIterator<Item = Topic>) -> Result<()> {
        let keys = self.resolver.resolve(&self.shared, topics).await?;
        self.apply(keys, false)
    }

    fn apply(&self, keys: Vec<(Key, Topic)>, subscribe: bool) -> Result<()> {
        let mut by_streamer: BTreeMap<Streamer, Vec<Key>> = BTreeMap::new();
        {
            let mut desired = Shared::lock(&self.shared.desired);
            for (key, topic) in keys {
                let changed = if subscribe {
                    desired.insert(key.clone(), topic.clone()).is_none()
                } else {
                    desired.remove(&key).is_some()
                };
                if changed {
                    by_streamer.entry(topic.streamer()).or_default().push(key);
                }
            }
        }
        for (streamer, keys) in by_streamer {
            let control = if subscribe {
                Control::Subscribe(keys)
            } else {
                Control::Unsubscribe(keys)
            };
            self.controls[&streamer]
                .send(control)
                .map_err(|_| Error::Stream {
                    message: format!("the {} streamer has stopped", streamer.as_str()),
                })?;
        }
        Ok(())
    }

    /// The subscriptions the stream keeps (and restores after every reconnect).
    pub fn subscriptions(&self) -> Vec<Topic> {
        Shared::lock(&self.shared.desired)
            .values()
            .cloned()
            .collect()
    }

    /// The current state of a streamer.
    pub fn state(&self, streamer: Streamer) -> ConnectionState {
        self.shared
            .states
            .borrow()
            .get(&streamer)
            .copied()
            .unwrap_or(ConnectionState::Connecting)
    }

    /// Waits until both streamers are [`ConnectionState::Live`]: connected, session created, every desired
    /// subscription sent. Fails if one of them has closed for good. Wrap it in a timeout to bound the wait.
    pub async fn ready(&self) -> Result<()> {
        let mut rx = self.shared.states.subscribe();
        let state = rx
            .wait_for(|m| {
                m.values().any(|s| *s == ConnectionState::Closed)
                    || (m.len() == 2 && m.values().all(|s| *s == ConnectionState::Live))
            })
            .await
            .map_err(|_| Error::Stream {
                message: "the stream has stopped".into(),
            })?;
        match state.iter().find(|(_, s)| **s == ConnectionState::Closed) {
            Some((streamer, _)) => Err(Error::Stream {
                message: format!("the {} streamer has closed", streamer.as_str()),
            }),
            None => Ok(()),
        }
    }

    /// A receiver of the states of both streamers, to observe them without consuming events.
    pub fn states(&self) -> watch::Receiver<BTreeMap<Streamer, ConnectionState>> {
        self.shared.states.subscribe()
    }

    /// The orders seen on the stream (and by reconciliation), latest state per order id.
    pub fn orders(&self) -> Vec<Order> {
        let mut v: Vec<Order> = Shared::lock(&self.shared.orders)
            .values()
            .cloned()
            .collect();
        v.sort_by_key(|o| o.id);
        v
    }

    /// The positions seen on the stream (and by reconciliation), latest per (account, security).
    pub fn positions(&self) -> Vec<Position> {
        let mut v: Vec<Position> = Shared::lock(&self.shared.positions)
            .values()
            .cloned()
            .collect();
        v.sort_by_key(|p| (p.account_id, p.security_id));
        v
    }

    /// Counters: frames, decode errors, connects, reconnects, conflated quotes.
    pub fn stats(&self) -> StreamStats {
        let mut s = *Shared::lock(&self.shared.stats);
        s.conflated_quotes = self.shared.hub.conflated();
        s
    }

    /// Stops both connections (sending a close frame) and waits for the supervisors to finish. Events
    /// already queued can still be taken with [`MarketStream::next`].
    pub async fn close(&self) {
        for c in self.controls.values() {
            let _ = c.send(Control::Close);
        }
        let tasks = std::mem::take(&mut *Shared::lock(&self.tasks));
        for t in tasks {
            let _ = t.await;
        }
        self.shared.hub.close();
    }
}

impl Drop for MarketStream {
    fn drop(&mut self) {
        for t in Shared::lock(&self.tasks).iter() {
            t.abort();
        }
    }
}

impl futures::Stream for MarketStream {
    type Item = Event;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Event>> {
        let this = &mut *self;
        let pending = this.pending.get_mut().unwrap_or_else(|e| e.into_inner());
        let fut = pending.get_or_insert_with(|| {
            let shared = this.shared.clone();
            Box::pin(async move { shared.hub.next().await })
        });
        match fut.as_mut().poll(cx) {
            Poll::Ready(ev) => {
                *pending = None;
                Poll::Ready(ev)
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

/// Configures and starts a [`MarketStream`]: `client.stream()`, then `.subscribe(..)` and `.await`.
#[must_use = "a stream does nothing until it is awaited"]
pub struct StreamBuilder {
    client: Client,
    config: StreamConfig,
    topics: Vec<Topic>,
}

impl Client {
    /// Starts configuring a stream over both streamers (see [`crate::stream`]).
    pub fn stream(&self) -> StreamBuilder {
        StreamBuilder {
            client: self.clone(),
            config: StreamConfig::default(),
            topics: Vec::new(),
        }
    }
}

impl Client {
    /// The current Level I quote of each symbol, in the order given (the API has no quote operation over REST):
    /// streams them until every symbol has sent one, then closes the stream. An unknown symbol is
    /// [`Error::Validation`] before anything connects; a symbol with no quote within `timeout` is
    /// [`Error::Timeout`].
    ///
    /// ```no_run
    /// # async fn run(client: autoshares::Client) -> autoshares::Result<()> {
    /// for q in client.quote_snapshot(["AAPL", "MSFT"], std::time::Duration::from_secs(10)).await? {
    ///     println!("{:?} bid {:?} ask {:?}", q.symbol, q.bid, q.ask);
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn quote_snapshot<I, S>(
        &self,
        symbols: I,
        timeout: Duration,
    ) -> Result<Vec<crate::models::Quote>>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let symbols: Vec<String> = symbols.into_iter().map(Into::into).collect();
        if symbols.is_empty() {
            return Err(Error::validation("symbols", "name at least one symbol"));
        }
        let config = StreamConfig {
            stale_after: None,
            reconcile: false,
            ..StreamConfig::default()
        };
        let stream = self
            .stream()
            .config(config)
            .subscribe(symbols.iter().map(Topic::quote))
            .start()
            .await?;
        let mut got: HashMap<String, crate::models::Quote> = HashMap::new();
        let wanted = |s: &str| symbols.iter().any(|w| w.eq_ignore_ascii_case(s));
        let deadline = tokio::time::Instant::now() + timeout;
        let outcome = loop {
            if symbols
                .iter()
                .all(|s| got.contains_key(&s.to_ascii_uppercase()))
            {
                break Ok(());
            }
            match tokio::time::timeout_at(deadline, stream.next()).await {
                Err(_) => {
                    break Err(Error::Timeout {
                        operation: "quote_snapshot".into(),
                        after: timeout,
                        request_id: "-".into(),
                    })
                }
                Ok(None) => {
                    break Err(Error::Stream {
                        message: "the quote stream ended".into(),
                    })
                }
                Ok(Some(Event::Quote(q))) => {
                    if let Some(sym) = q.quote.symbol.clone().filter(|s| wanted(s)) {
                        got.insert(sym.to_ascii_uppercase(), q.quote);
                    }
                }
                Ok(Some(Event::SubscriptionFailed { topic, message })) => {
                    break Err(Error::Stream {
                        message: format!("{topic:?}: {message}"),
                    })
                }
                Ok(Some(Event::Closed { message, .. })) => break Err(Error::Stream { message }),
                Ok(Some(_)) => {}
            }
        };
        stream.close().await;
        outcome?;
        Ok(symbols
            .iter()
            .filter_map(|s| got.get(&s.to_ascii_uppercase()).cloned())
            .collect())
    }
}

impl StreamBuilder {
    /// Replaces the tuning.
    pub fn config(mut self, config: StreamConfig) -> Self {
        self.config = config;
        self
    }

    /// Adds subscriptions made as soon as the stream connects.
    pub fn subscribe(mut self, topics: impl IntoIterator<Item = Topic>) -> Self {
        self.topics.extend(topics);
        self
    }

    /// Discovers the streamers, checks the subscriptions (unknown symbols and foreign accounts are
    /// [`Error::Validation`], nothing connects) and starts both supervisors.
    pub async fn start(self) -> Result<MarketStream> {
        supervisor::start(self.client, self.config, self.topics).await
    }
}

impl IntoFuture for StreamBuilder {
    type Output = Result<MarketStream>;
    type IntoFuture = Pin<Box<dyn Future<Output = Result<MarketStream>> + Send>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.start())
    }
}

pub(crate) fn new_handle(
    shared: Arc<Shared>,
    controls: BTreeMap<Streamer, mpsc::UnboundedSender<Control>>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
    resolver: supervisor::Resolver,
) -> MarketStream {
    MarketStream {
        shared,
        controls,
        tasks: Mutex::new(tasks),
        resolver,
        pending: Mutex::new(None),
    }
}

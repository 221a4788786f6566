//! The two streaming WebSockets of docs/STREAMING.md: the quote streamer
//! (`/stream/quotes/CreateSession.txt`: `Quote` and the `MarketDepth` extension) and the data
//! streamer (`/stream/data/CreateSession.txt`: `Order`, `Position`, `AccountBalance`,
//! `UserBalance`, `Watchlist`, `WatchlistContent`).
//!
//! * **Connecting.** The upgrade is outside the app-key check, the `/v1.0` guard, request recording
//!   and HTTP faults (a browser WebSocket carries no headers; the query is the credential, so it is
//!   never recorded or logged). `User=<UserId>[:<anything>]&Password=<streamer session id>` is checked
//!   against [`crate::streamers::session_owner`] (right user, right streamer; a session replaced by
//!   the recover route is refused, connections already open stay); `User=<login>&Password=<password>`
//!   is accepted too. The first frame is `CreateSession.txt` `Ok` with a fresh per-connection
//!   `SessionId`, or `Error` and a close.
//! * **Commands.** `Subscribe.txt`/`Unsubscribe.txt` with `;`-joined `Keys` get an `Ok` ack for the
//!   keys that are valid and an `Error` ack for the others (unknown security, someone else's account,
//!   user or watchlist); a wrong `SessionId` or an entity type the streamer does not serve is one
//!   `Error` ack for all the keys. The connection stays open.
//! * **Quotes.** Each quote connection sends [`Streams::set_quote_rate`] slots per second, round-robin
//!   over its subscribed securities, batched per 10 ms timer tick; a slot sends the key's `Quote` (the
//!   market's quote, as `GET /quotes` serves it) and every 10th slot of a key a `MarketDepth` update.
//!   A `MarketDepth` subscription is answered by a snapshot (sequence 1) right after its ack. At
//!   [`crate::config::QUOTE_FIREHOSE`] a connection sends Level I quotes as fast as its socket takes
//!   (batches of 256, no timer, no depth updates): the source for benchmarks of consumers.
//! * **Data.** Engine changes are journaled under the directory lock ([`crate::engine::Change`]) and
//!   published by [`publish_changes`] when the lock is released, so every subscriber sees them in
//!   order: after a fill `Order`, `Position`, `AccountBalance`, then `UserBalance`. Balances are
//!   valued when published (the end of the locked section that changed them). Watchlist changes
//!   are published by [`crate::watchlists`]. While any data connection subscribes to orders,
//!   positions or balances, a background task runs the engine every market tick (at most every
//!   100 ms), so orders fill without REST requests. Each data connection has a bounded queue
//!   ([`crate::config::StreamConfig::data_queue`]); a client that lets it fill is closed and recorded
//!   as [`CloseReason::SlowConsumer`], the engine never waits.
//! * **Faults and records** for tests: [`Streams`], from [`crate::Sandbox::streams`].

mod connection;
mod control;
pub mod depth;
pub mod messages;

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicU8, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::extract::ws::Utf8Bytes;
use axum::routing::get;
use axum::Router;
use tokio::sync::{mpsc, watch};
use tokio::time::Instant;

use crate::config::StreamConfig;
use crate::engine::Change;
use crate::state::{AppState, Directory, Shared};
use crate::streamers::{SessionType, DATA_PATH, QUOTES_PATH};

pub use control::Streams;

/// Routes of the two WebSocket endpoints (merged outside every middleware by [`crate::router`]).
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            &format!("{QUOTES_PATH}/CreateSession.txt"),
            get(connection::quotes),
        )
        .route(
            &format!("{DATA_PATH}/CreateSession.txt"),
            get(connection::data),
        )
}

/// How many closed connections the records keep (the oldest are forgotten first).
pub const CLOSED_CONNECTIONS_KEPT: usize = 1_000;
/// How many produced data messages the records keep (the oldest are forgotten first).
pub const DATA_MESSAGES_KEPT: usize = 100_000;

/// The entity types of `Subscribe.txt` (docs/STREAMING.md section 2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum EntityType {
    /// Level 1 quotes of a security (quote streamer).
    Quote,
    /// Level 2 book of a security (quote streamer, **extension**).
    MarketDepth,
    /// Order changes of a trading account (data streamer).
    Order,
    /// Position changes of a trading account (data streamer).
    Position,
    /// Balance of a trading account (data streamer).
    AccountBalance,
    /// Balance of a user, summed over the user's accounts (data streamer; key = user id).
    UserBalance,
    /// The watchlists of a user (data streamer; key = user id).
    Watchlist,
    /// The securities of a watchlist (data streamer; key = watchlist id).
    WatchlistContent,
}

impl EntityType {
    /// Every entity type.
    pub const ALL: [EntityType; 8] = [
        EntityType::Quote,
        EntityType::MarketDepth,
        EntityType::Order,
        EntityType::Position,
        EntityType::AccountBalance,
        EntityType::UserBalance,
        EntityType::Watchlist,
        EntityType::WatchlistContent,
    ];

    /// The wire name, e.g. `"AccountBalance"`.
    pub fn as_str(self) -> &'static str {
        match self {
            EntityType::Quote => "Quote",
            EntityType::MarketDepth => "MarketDepth",
            EntityType::Order => "Order",
            EntityType::Position => "Position",
            EntityType::AccountBalance => "AccountBalance",
            EntityType::UserBalance => "UserBalance",
            EntityType::Watchlist => "Watchlist",
            EntityType::WatchlistContent => "WatchlistContent",
        }
    }

    /// The entity type of a wire name (case-insensitive).
    pub fn parse(name: &str) -> Option<EntityType> {
        EntityType::ALL
            .into_iter()
            .find(|e| e.as_str().eq_ignore_ascii_case(name.trim()))
    }

    /// The streamer that serves it.
    pub fn streamer(self) -> SessionType {
        match self {
            EntityType::Quote | EntityType::MarketDepth => SessionType::Quote,
            _ => SessionType::Data,
        }
    }

    /// Whether a subscription needs the engine to run in the background (fills without REST).
    pub fn drives_engine(self) -> bool {
        matches!(
            self,
            EntityType::Order
                | EntityType::Position
                | EntityType::AccountBalance
                | EntityType::UserBalance
        )
    }
}

/// One subscription of a connection.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Subscription {
    /// What.
    pub entity_type: EntityType,
    /// Which key (security, account, user or watchlist id), as the client sent it (trimmed).
    pub key: String,
}

impl Subscription {
    /// A subscription of `entity_type` to `key`.
    pub fn new(entity_type: EntityType, key: impl Into<String>) -> Subscription {
        Subscription {
            entity_type,
            key: key.into(),
        }
    }
}

/// Why a connection ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CloseReason {
    /// The client closed it (close frame or end of stream).
    ClientClosed,
    /// Fault [`Streams::drop_every_messages`]: the TCP connection was closed without a close frame.
    DroppedAfterMessages,
    /// Fault [`Streams::drop_every`]: the TCP connection was closed without a close frame.
    DroppedAfterTime,
    /// Its data queue filled up: the client did not read fast enough.
    SlowConsumer,
    /// The sandbox shut down.
    Shutdown,
    /// A read or write failed.
    Error,
}

/// What the sandbox knows about one connection that passed `CreateSession.txt`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConnectionRecord {
    /// Connection number, from 1 in the order accepted (both streamers share the numbering).
    pub id: u64,
    /// Which streamer.
    pub streamer: SessionType,
    /// Whose connection.
    pub user_id: i32,
    /// Current subscriptions.
    pub subscriptions: BTreeSet<Subscription>,
    /// Streamed messages sent (`Quote`, `MarketDepth` and data messages; not session frames, acks
    /// or injected malformed frames).
    pub messages_sent: u64,
    /// Every frame sent: the session frame, acks, streamed messages and malformed frames.
    pub frames_sent: u64,
    /// Injected malformed frames sent.
    pub malformed_sent: u64,
    /// `Subscribe.txt` commands received on it.
    pub subscribe_commands: u64,
    /// Whether a stall fault holds it now.
    pub stalled: bool,
    /// Whether it is still open.
    pub open: bool,
    /// Why it ended, once it has.
    pub close_reason: Option<CloseReason>,
}

/// One data message the sandbox produced (whether or not anyone was subscribed), in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DataRecord {
    /// Production order, from 1.
    pub seq: u64,
    /// What.
    pub entity_type: EntityType,
    /// The subscription key it went to.
    pub key: String,
    /// The trading account it is about (for `UserBalance`: the account whose change produced it).
    pub account_id: Option<i32>,
    /// The order, for `Order` messages.
    pub order_id: Option<i32>,
    /// The order status, for `Order` messages.
    pub status: Option<String>,
    /// The frame exactly as sent.
    pub json: String,
}

/// The kind of frame [`Streams::malformed_every`] and [`Streams::malformed_once`] inject.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Malformed {
    /// The next message cut in half: not valid JSON (the default).
    #[default]
    InvalidJson,
    /// The next message with a numeric field (`Bid` of a quote, `Quantity` of an order or
    /// position, `CashBalance` of a balance, `Sequence` of a depth message) set to `"not-a-number"`.
    BadNumber,
}

impl Malformed {
    fn code(self) -> u8 {
        match self {
            Malformed::InvalidJson => 1,
            Malformed::BadNumber => 2,
        }
    }

    fn from_code(code: u8) -> Option<Malformed> {
        match code {
            1 => Some(Malformed::InvalidJson),
            2 => Some(Malformed::BadNumber),
            _ => None,
        }
    }
}

/// The fault switches of one streamer.
#[derive(Clone, Debug, Default)]
pub(crate) struct FaultSet {
    pub drop_every_messages: Option<u64>,
    /// The period and when it was set (connections older than that count from then).
    pub drop_every: Option<(Duration, Instant)>,
    pub stall: bool,
    pub stall_after: Option<u64>,
    pub refuse_until: Option<Instant>,
    pub malformed_every: Option<u64>,
    pub malformed_kind: Malformed,
}

impl FaultSet {
    /// When a connection accepted at `accepted` is to be dropped by the timer fault.
    pub fn drop_deadline(&self, accepted: Instant) -> Option<Instant> {
        self.drop_every
            .map(|(period, set_at)| accepted.max(set_at) + period)
    }
}

fn index(kind: SessionType) -> usize {
    match kind {
        SessionType::Data => 0,
        SessionType::Quote => 1,
    }
}

/// A live connection's handles, beside its record.
struct Live {
    /// The data queue (data streamer only); dropped when the client is too slow.
    sender: Option<mpsc::Sender<Utf8Bytes>>,
    /// Set to close the connection (slow consumer).
    kill: Arc<AtomicBool>,
}

#[derive(Default)]
struct Records {
    next_id: u64,
    connections: BTreeMap<u64, ConnectionRecord>,
    live: BTreeMap<u64, Live>,
    closed: VecDeque<u64>,
    accepted: [u64; 2],
    refused: [u64; 2],
    rejected: [u64; 2],
    subscribe_commands: [u64; 2],
    streamed: [u64; 2],
    produced: VecDeque<DataRecord>,
    next_seq: u64,
}

struct Hub {
    records: Mutex<Records>,
    faults: [Mutex<FaultSet>; 2],
    /// One malformed frame pending: 0 none, else [`Malformed::code`] of its kind.
    malformed_once: [AtomicU8; 2],
    streamed: [AtomicU64; 2],
    skip_depth: AtomicBool,
    depth_silent: AtomicBool,
    quote_rate: AtomicU32,
    data_queue: usize,
    shutdown: watch::Sender<bool>,
    driver_running: Mutex<bool>,
}

/// The shared state of the streamers (in [`crate::state::Shared`]); [`Streams`] is its public face.
#[derive(Clone)]
pub struct StreamHub(Arc<Hub>);

impl std::fmt::Debug for StreamHub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StreamHub")
            .field("quote_rate", &self.quote_rate())
            .finish()
    }
}

/// A connection registered by [`StreamHub::open`].
pub(crate) struct Opened {
    pub id: u64,
    pub receiver: Option<mpsc::Receiver<Utf8Bytes>>,
    pub kill: Arc<AtomicBool>,
}

impl StreamHub {
    /// A hub with the configured quote rate and data queue size.
    pub fn new(config: &StreamConfig) -> StreamHub {
        let (shutdown, _) = watch::channel(false);
        StreamHub(Arc::new(Hub {
            records: Mutex::new(Records::default()),
            faults: Default::default(),
            malformed_once: Default::default(),
            streamed: Default::default(),
            skip_depth: AtomicBool::new(false),
            depth_silent: AtomicBool::new(false),
            quote_rate: AtomicU32::new(config.quote_rate),
            data_queue: config.data_queue.max(1),
            shutdown,
            driver_running: Mutex::new(false),
        }))
    }

    fn records(&self) -> MutexGuard<'_, Records> {
        self.0.records.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn faults_of(&self, kind: SessionType) -> MutexGuard<'_, FaultSet> {
        self.0.faults[index(kind)]
            .lock()
            .unwrap_or_else(|e| e.into_inner())
    }

    /// A copy of the fault switches of a streamer.
    pub(crate) fn faults(&self, kind: SessionType) -> FaultSet {
        self.faults_of(kind).clone()
    }

    /// The quote rate (slots per second per connection).
    pub fn quote_rate(&self) -> u32 {
        self.0.quote_rate.load(Ordering::Relaxed)
    }

    /// Closes every connection and stops the engine driver (the sandbox is shutting down).
    pub fn shutdown(&self) {
        self.0.shutdown.send_replace(true);
    }

    pub(crate) fn shutdown_signal(&self) -> watch::Receiver<bool> {
        self.0.shutdown.subscribe()
    }

    pub(crate) fn is_shut_down(&self) -> bool {
        *self.0.shutdown.borrow()
    }

    /// Whether upgrades of this streamer are refused now (counting the refusal if so).
    pub(crate) fn refuse(&self, kind: SessionType) -> bool {
        let refusing = self
            .faults_of(kind)
            .refuse_until
            .is_some_and(|until| Instant::now() < until);
        if refusing {
            self.records().refused[index(kind)] += 1;
        }
        refusing
    }

    /// Counts a connection refused by `CreateSession.txt` (bad credentials).
    pub(crate) fn count_rejected(&self, kind: SessionType) {
        self.records().rejected[index(kind)] += 1;
    }

    /// Registers an accepted connection.
    pub(crate) fn open(&self, kind: SessionType, user_id: i32) -> Opened {
        let mut r = self.records();
        r.next_id += 1;
        let id = r.next_id;
        r.accepted[index(kind)] += 1;
        let (sender, receiver) = if kind == SessionType::Data {
            let (tx, rx) = mpsc::channel(self.0.data_queue);
            (Some(tx), Some(rx))
        } else {
            (None, None)
        };
        let kill = Arc::new(AtomicBool::new(false));
        r.connections.insert(
            id,
            ConnectionRecord {
                id,
                streamer: kind,
                user_id,
                subscriptions: BTreeSet::new(),
                messages_sent: 0,
                frames_sent: 0,
                malformed_sent: 0,
                subscribe_commands: 0,
                stalled: false,
                open: true,
                close_reason: None,
            },
        );
        r.live.insert(
            id,
            Live {
                sender,
                kill: kill.clone(),
            },
        );
        Opened { id, receiver, kill }
    }

    /// Records the end of a connection (the first reason recorded wins).
    pub(crate) fn close(&self, id: u64, reason: CloseReason) {
        let mut r = self.records();
        r.live.remove(&id);
        if let Some(c) = r.connections.get_mut(&id) {
            c.open = false;
            c.stalled = false;
            c.close_reason.get_or_insert(reason);
        }
        r.closed.push_back(id);
        while r.closed.len() > CLOSED_CONNECTIONS_KEPT {
            if let Some(old) = r.closed.pop_front() {
                r.connections.remove(&old);
            }
        }
    }

    /// Counts frames sent on a connection.
    pub(crate) fn count_sent(&self, id: u64, streamed: u64, frames: u64, malformed: u64) {
        let mut r = self.records();
        if let Some(c) = r.connections.get_mut(&id) {
            c.messages_sent += streamed;
            c.frames_sent += frames;
            c.malformed_sent += malformed;
            let kind = index(c.streamer);
            r.streamed[kind] += streamed;
        }
    }

    /// Marks a connection stalled or not.
    pub(crate) fn set_stalled(&self, id: u64, stalled: bool) {
        if let Some(c) = self.records().connections.get_mut(&id) {
            c.stalled = stalled;
        }
    }

    /// Counts a `Subscribe.txt` command.
    pub(crate) fn count_subscribe(&self, id: u64) {
        let mut r = self.records();
        if let Some(c) = r.connections.get_mut(&id) {
            c.subscribe_commands += 1;
            let kind = index(c.streamer);
            r.subscribe_commands[kind] += 1;
        }
    }

    /// Adds (or removes) subscriptions of a connection.
    pub(crate) fn update_subscriptions(&self, id: u64, subs: &[Subscription], add: bool) {
        if let Some(c) = self.records().connections.get_mut(&id) {
            for s in subs {
                if add {
                    c.subscriptions.insert(s.clone());
                } else {
                    c.subscriptions.remove(s);
                }
            }
        }
    }

    /// The number of the next streamed message of a streamer (from 1, over the whole run).
    pub(crate) fn next_streamed(&self, kind: SessionType) -> u64 {
        self.0.streamed[index(kind)].fetch_add(1, Ordering::Relaxed) + 1
    }

    /// Takes the one-shot malformed-frame switch of a streamer: the kind of frame, if one is due.
    pub(crate) fn take_malformed_once(&self, kind: SessionType) -> Option<Malformed> {
        Malformed::from_code(self.0.malformed_once[index(kind)].swap(0, Ordering::Relaxed))
    }

    /// Sets the one-shot depth-sequence gap switch.
    /// Whether depth subscriptions are accepted but never served (see [`Streams::set_depth_silent`]).
    pub(crate) fn depth_silent(&self) -> bool {
        self.0.depth_silent.load(Ordering::Relaxed)
    }

    pub(crate) fn set_depth_silent(&self, on: bool) {
        self.0.depth_silent.store(on, Ordering::Relaxed);
    }

    pub(crate) fn skip_depth_sequence(&self) {
        self.0.skip_depth.store(true, Ordering::Relaxed);
    }

    /// Takes the one-shot depth-sequence gap switch.
    pub(crate) fn take_skip_depth(&self) -> bool {
        self.0.skip_depth.swap(false, Ordering::Relaxed)
    }

    /// Whether any live data connection needs the engine driven.
    fn engine_subscribers(&self) -> bool {
        let r = self.records();
        r.live.keys().any(|id| {
            r.connections.get(id).is_some_and(|c| {
                c.subscriptions
                    .iter()
                    .any(|s| s.entity_type.drives_engine())
            })
        })
    }

    /// Records a produced data message and queues it to every live connection subscribed to its
    /// key. A full queue closes that connection (slow consumer); nothing here waits.
    pub(crate) fn publish(&self, mut record: DataRecord) {
        let mut r = self.records();
        r.next_seq += 1;
        record.seq = r.next_seq;
        let subscription = Subscription::new(record.entity_type, record.key.clone());
        let text = Utf8Bytes::from(record.json.clone());
        let Records {
            connections, live, ..
        } = &mut *r;
        for (id, handles) in live.iter_mut() {
            let subscribed = connections
                .get(id)
                .is_some_and(|c| c.subscriptions.contains(&subscription));
            let Some(sender) = handles.sender.as_ref().filter(|_| subscribed) else {
                continue;
            };
            if let Err(mpsc::error::TrySendError::Full(_)) = sender.try_send(text.clone()) {
                handles.sender = None;
                handles.kill.store(true, Ordering::Relaxed);
                if let Some(c) = connections.get_mut(id) {
                    c.close_reason.get_or_insert(CloseReason::SlowConsumer);
                }
                tracing::info!(
                    connection = id,
                    "data stream client too slow: queue full, closing"
                );
            }
        }
        r.produced.push_back(record);
        while r.produced.len() > DATA_MESSAGES_KEPT {
            r.produced.pop_front();
        }
    }

    /// Publishes a watchlist created, renamed or deleted (key: the owner).
    pub fn publish_watchlist(&self, w: &crate::watchlists::Watchlist, deleted: bool) {
        self.publish(DataRecord {
            seq: 0,
            entity_type: EntityType::Watchlist,
            key: w.user_id.to_string(),
            account_id: None,
            order_id: None,
            status: None,
            json: messages::watchlist(w, deleted),
        });
    }

    /// Publishes securities added to or removed from a watchlist (key: the watchlist).
    pub fn publish_watchlist_content(&self, watchlist_id: i32, added: &[i32], removed: &[i32]) {
        self.publish(DataRecord {
            seq: 0,
            entity_type: EntityType::WatchlistContent,
            key: watchlist_id.to_string(),
            account_id: None,
            order_id: None,
            status: None,
            json: messages::watchlist_content(watchlist_id, added, removed),
        });
    }
}

/// Turns journaled engine changes into data messages, in order (called by
/// [`crate::state::DirGuard`] while the directory lock is still held).
pub fn publish_changes(shared: &Shared, dir: &Directory, changes: Vec<Change>) {
    let market = &shared.market;
    let hub = &shared.streams;
    for change in changes {
        match change {
            Change::Order(o) => hub.publish(DataRecord {
                seq: 0,
                entity_type: EntityType::Order,
                key: o.account_id.to_string(),
                account_id: Some(o.account_id),
                order_id: Some(o.id),
                status: Some(o.status.to_string()),
                json: messages::order(market, &o),
            }),
            Change::Position(p) => hub.publish(DataRecord {
                seq: 0,
                entity_type: EntityType::Position,
                key: p.account_id.to_string(),
                account_id: Some(p.account_id),
                order_id: None,
                status: None,
                json: messages::position(market, &p),
            }),
            Change::Balance(account_id) => {
                let Some(account) = dir.accounts.get(&account_id) else {
                    continue;
                };
                let balance = crate::accounts::valued_balance(market, dir, account);
                hub.publish(DataRecord {
                    seq: 0,
                    entity_type: EntityType::AccountBalance,
                    key: account_id.to_string(),
                    account_id: Some(account_id),
                    order_id: None,
                    status: None,
                    json: messages::account_balance(account, &balance),
                });
                if let Some(json) = messages::user_balance(market, dir, account.owner_id) {
                    hub.publish(DataRecord {
                        seq: 0,
                        entity_type: EntityType::UserBalance,
                        key: account.owner_id.to_string(),
                        account_id: Some(account_id),
                        order_id: None,
                        status: None,
                        json,
                    });
                }
            }
        }
    }
}

/// Starts the background engine driver unless it runs: while any data connection subscribes to
/// orders, positions or balances, the engine processes every market tick (10 ms to 100 ms).
pub(crate) fn ensure_driver(state: &AppState) {
    let hub = state.streams.clone();
    let mut running = hub
        .0
        .driver_running
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    if *running || !hub.engine_subscribers() {
        return;
    }
    *running = true;
    let state = state.clone();
    let period = Duration::from_millis(state.market.tick_millis().clamp(10, 100) as u64);
    tokio::spawn(async move {
        let hub = state.streams.clone();
        let mut shutdown = hub.shutdown_signal();
        loop {
            tokio::select! {
                _ = tokio::time::sleep(period) => {}
                _ = shutdown.changed() => {}
            }
            {
                let mut running = hub
                    .0
                    .driver_running
                    .lock()
                    .unwrap_or_else(|e| e.into_inner());
                if hub.is_shut_down() || !hub.engine_subscribers() {
                    *running = false;
                    return;
                }
            }
            crate::orders::run_engine(&state);
        }
    });
}

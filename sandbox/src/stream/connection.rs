//! One WebSocket connection of either streamer: the upgrade, `CreateSession.txt`, the command
//! loop, the quote pacing, the data queue and the faults.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::extract::{RawQuery, State};
use axum::response::{IntoResponse, Response};
use futures::stream::{SplitSink, SplitStream};
use futures::{SinkExt, StreamExt};
use http::StatusCode;
use rust_decimal::Decimal;
use serde_json::Value;
use tokio::sync::mpsc;
use tokio::time::{Instant, MissedTickBehavior};

use super::depth::Book;
use super::{messages, CloseReason, EntityType, FaultSet, Subscription};
use crate::state::AppState;
use crate::streamers::{session_owner, SessionType};

/// Rejection of a request that is not a WebSocket upgrade.
type Upgrade = Result<WebSocketUpgrade, axum::extract::ws::rejection::WebSocketUpgradeRejection>;

/// `GET /stream/quotes/CreateSession.txt`.
pub async fn quotes(State(state): State<AppState>, ws: Upgrade, RawQuery(q): RawQuery) -> Response {
    upgrade(state, SessionType::Quote, ws, q)
}

/// `GET /stream/data/CreateSession.txt`.
pub async fn data(State(state): State<AppState>, ws: Upgrade, RawQuery(q): RawQuery) -> Response {
    upgrade(state, SessionType::Data, ws, q)
}

fn upgrade(state: AppState, kind: SessionType, ws: Upgrade, query: Option<String>) -> Response {
    if state.streams.refuse(kind) {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            "The streamer refuses connections for now (injected fault)",
        )
            .into_response();
    }
    let ws = match ws {
        Ok(ws) => ws,
        Err(rejection) => return rejection.into_response(),
    };
    let credentials = Credentials::parse(query.as_deref().unwrap_or(""));
    ws.on_upgrade(move |socket| run(state, kind, socket, credentials))
}

/// `User` and `Password` of the connect query (the password is a secret: `Debug` hides it).
struct Credentials {
    user: String,
    password: String,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("user", &self.user)
            .field("password", &"***")
            .finish()
    }
}

impl Credentials {
    fn parse(query: &str) -> Credentials {
        let mut c = Credentials {
            user: String::new(),
            password: String::new(),
        };
        for (k, v) in url::form_urlencoded::parse(query.as_bytes()) {
            if k.eq_ignore_ascii_case("user") {
                c.user = v.into_owned();
            } else if k.eq_ignore_ascii_case("password") {
                c.password = v.into_owned();
            }
        }
        c
    }
}

/// The user a connection acts for: variant 2 (`<UserId>[:...]` and the streamer session id), or
/// variant 1 (login and password). The error message never contains a credential.
fn authenticate(state: &AppState, kind: SessionType, c: &Credentials) -> Result<i32, &'static str> {
    if c.user.is_empty() || c.password.is_empty() {
        return Err("User and Password are required");
    }
    let user_part = c.user.split(':').next().unwrap_or("").trim();
    if let Ok(user_id) = user_part.parse::<i32>() {
        let session = session_owner(&state.rest(), &c.password);
        return match session {
            None => Err("Unknown or replaced streamer session"),
            Some(s) if s.session_type != kind => Err("The session belongs to the other streamer"),
            Some(s) if s.user_id != user_id => Err("The session belongs to another user"),
            Some(s) => Ok(s.user_id),
        };
    }
    let dir = state.dir();
    match dir.user_by_name(user_part) {
        Some(u) if u.seed.password == c.password && !u.seed.password_expired => Ok(u.id),
        Some(u) if u.seed.password == c.password => Err("The password has expired"),
        _ => Err("Wrong login or password"),
    }
}

type Sink = SplitSink<WebSocket, Message>;

/// Frames to send in one go, with what the faults decided about them.
#[derive(Default)]
struct Batch {
    frames: Vec<Utf8Bytes>,
    streamed: u64,
    malformed: u64,
    /// Close the connection abruptly once these frames are out.
    drop: bool,
}

/// One connection's state.
struct Conn {
    state: AppState,
    kind: SessionType,
    id: u64,
    user_id: i32,
    session_id: String,
    faults: FaultSet,
    /// Streamed messages sent on this connection (for `stall_after_messages`).
    streamed: u64,
    quotes: QuoteState,
}

/// What a quote connection streams: its securities in subscription order and their books.
#[derive(Default)]
struct QuoteState {
    /// Securities with any subscription (`Quote` or `MarketDepth`), round-robin order.
    keys: Vec<i32>,
    quote: BTreeSet<i32>,
    depth: BTreeMap<i32, Book>,
    /// Slots served per key (every 10th carries a depth update).
    slots: HashMap<i32, u64>,
    /// Bid and ask of the last quote sent per key.
    last: HashMap<i32, (Decimal, Decimal)>,
    next: usize,
    pace: Pace,
    /// The firehose's frame per key and when it was built (rebuilt every [`FIREHOSE_REFRESH`]).
    firehose: HashMap<i32, (Instant, Utf8Bytes)>,
}

/// How long the firehose sends the same frame for a key: computing a quote (an option's especially) costs more than
/// sending it many times, and the firehose is there to measure consumers.
const FIREHOSE_REFRESH: Duration = Duration::from_millis(250);

/// Token-bucket pacing of quote slots.
#[derive(Debug)]
struct Pace {
    epoch: Instant,
    rate: u32,
    served: u64,
}

impl Default for Pace {
    fn default() -> Self {
        Pace {
            epoch: Instant::now(),
            rate: 0,
            served: 0,
        }
    }
}

impl Pace {
    /// Slots due now at `rate` per second; a backlog of more than 100 ms is forgiven.
    fn due(&mut self, rate: u32, idle: bool) -> u64 {
        let now = Instant::now();
        if rate != self.rate || idle {
            self.rate = rate;
            self.epoch = now;
            self.served = 0;
            return 0;
        }
        let owed = (now.duration_since(self.epoch).as_secs_f64() * f64::from(rate)) as u64;
        let cap = (u64::from(rate) / 10).max(1);
        if owed.saturating_sub(self.served) > cap {
            self.served = owed - cap;
        }
        let due = owed.saturating_sub(self.served);
        self.served += due;
        due
    }
}

/// A depth update every this many slots of a key.
const DEPTH_EVERY: u64 = 10;
/// Most data messages sent in one batch.
const DATA_BATCH: usize = 1024;

impl Conn {
    fn hub(&self) -> &super::StreamHub {
        &self.state.streams
    }

    /// Adds a streamed message to a batch, applying the message-count faults.
    fn stream(&mut self, batch: &mut Batch, text: Utf8Bytes) {
        let n = self.state.streams.next_streamed(self.kind);
        let malformed = self.hub().take_malformed_once(self.kind).or_else(|| {
            self.faults
                .malformed_every
                .is_some_and(|m| n.is_multiple_of(m))
                .then_some(self.faults.malformed_kind)
        });
        if let Some(kind) = malformed {
            batch
                .frames
                .push(Utf8Bytes::from(messages::malformed(text.as_str(), kind)));
            batch.malformed += 1;
        }
        batch.frames.push(text);
        batch.streamed += 1;
        self.streamed += 1;
        if self
            .faults
            .drop_every_messages
            .is_some_and(|d| n.is_multiple_of(d))
        {
            batch.drop = true;
        }
    }

    fn stalled(&self) -> bool {
        self.faults.stall || self.faults.stall_after.is_some_and(|n| self.streamed >= n)
    }

    /// The quote slots due now.
    fn quote_batch(&mut self) -> Batch {
        self.faults = self.hub().faults(self.kind);
        let mut batch = Batch::default();
        let rate = self.hub().quote_rate();
        if rate == crate::config::QUOTE_FIREHOSE {
            // `firehose_batch` serves the quotes; depth subscriptions only get their snapshot then.
            return batch;
        }
        let due = self
            .quotes
            .pace
            .due(rate, self.quotes.keys.is_empty() || rate == 0);
        let mut cache: HashMap<i32, Utf8Bytes> = HashMap::new();
        let state = self.state.clone();
        let market = &state.market;
        for _ in 0..due {
            if batch.drop || self.quotes.keys.is_empty() || self.stalled() {
                break;
            }
            let key = self.quotes.keys[self.quotes.next % self.quotes.keys.len()];
            self.quotes.next = (self.quotes.next + 1) % self.quotes.keys.len();
            let slot = {
                let s = self.quotes.slots.entry(key).or_insert(0);
                *s += 1;
                *s
            };
            if self.quotes.quote.contains(&key) {
                let text = match cache.get(&key) {
                    Some(t) => Some(t.clone()),
                    None => {
                        let text = market.security_by_id(key).zip(market.quote(key)).map(
                            |(security, q)| {
                                let previous = self.quotes.last.insert(key, (q.bid, q.ask));
                                let changed = previous
                                    .map(|(b, a)| (b != q.bid, a != q.ask))
                                    .unwrap_or((true, true));
                                Utf8Bytes::from(messages::quote(security, &q, changed))
                            },
                        );
                        if let Some(t) = &text {
                            cache.insert(key, t.clone());
                        }
                        text
                    }
                };
                if let Some(text) = text {
                    self.stream(&mut batch, text);
                }
            }
            if slot.is_multiple_of(DEPTH_EVERY) && !batch.drop {
                let skip = self.quotes.depth.contains_key(&key) && self.hub().take_skip_depth();
                let update = self
                    .quotes
                    .depth
                    .get_mut(&key)
                    .and_then(|book| book.update(market, key, skip));
                match update {
                    Some(text) => self.stream(&mut batch, Utf8Bytes::from(text)),
                    // Nothing changed, nothing sent: the gap waits for the next update.
                    None if skip => self.hub().skip_depth_sequence(),
                    None => {}
                }
            }
        }
        batch
    }

    /// Whether quotes go out as fast as the socket takes ([`crate::config::QUOTE_FIREHOSE`]) and there is
    /// something to send.
    fn firehose(&self) -> bool {
        self.kind == SessionType::Quote
            && self.hub().quote_rate() == crate::config::QUOTE_FIREHOSE
            && !self.quotes.quote.is_empty()
    }

    /// The next firehose batch: Level I quotes of the subscribed securities round-robin, each security's frame
    /// built from the market's quote (the real wire format) at most every [`FIREHOSE_REFRESH`].
    fn firehose_batch(&mut self) -> Batch {
        const FIREHOSE_BATCH: usize = 256;
        self.faults = self.hub().faults(self.kind);
        let mut batch = Batch::default();
        let state = self.state.clone();
        let market = &state.market;
        let now = Instant::now();
        for _ in 0..FIREHOSE_BATCH {
            if batch.drop || self.quotes.keys.is_empty() || self.stalled() {
                break;
            }
            let key = self.quotes.keys[self.quotes.next % self.quotes.keys.len()];
            self.quotes.next = (self.quotes.next + 1) % self.quotes.keys.len();
            if !self.quotes.quote.contains(&key) {
                continue;
            }
            let text = match self.quotes.firehose.get(&key) {
                Some((at, text)) if now.duration_since(*at) < FIREHOSE_REFRESH => {
                    Some(text.clone())
                }
                _ => market
                    .security_by_id(key)
                    .zip(market.quote(key))
                    .map(|(security, q)| {
                        let previous = self.quotes.last.insert(key, (q.bid, q.ask));
                        let changed = previous
                            .map(|(b, a)| (b != q.bid, a != q.ask))
                            .unwrap_or((true, true));
                        let text = Utf8Bytes::from(messages::quote(security, &q, changed));
                        self.quotes.firehose.insert(key, (now, text.clone()));
                        text
                    }),
            };
            if let Some(text) = text {
                self.stream(&mut batch, text);
            }
        }
        batch
    }

    /// Whether the user may subscribe to this key, or why not.
    fn check_key(&self, entity: EntityType, key: &str) -> Result<(), String> {
        let id: i32 = key
            .parse()
            .map_err(|_| format!("Key '{key}' is not a number"))?;
        match entity {
            EntityType::Quote | EntityType::MarketDepth => self
                .state
                .market
                .security_by_id(id)
                .map(|_| ())
                .ok_or_else(|| format!("Security {id} does not exist")),
            EntityType::Order | EntityType::Position | EntityType::AccountBalance => {
                match self.state.dir().accounts.get(&id) {
                    Some(a) if a.owner_id == self.user_id => Ok(()),
                    Some(_) => Err(format!("Account {id} is not an account of this user")),
                    None => Err(format!("Account {id} does not exist")),
                }
            }
            EntityType::UserBalance | EntityType::Watchlist => {
                if id == self.user_id {
                    Ok(())
                } else {
                    Err(format!("User {id} is not the user of this session"))
                }
            }
            EntityType::WatchlistContent => match self.state.rest().watchlists.get(&id) {
                Some(w) if w.user_id == self.user_id => Ok(()),
                Some(_) => Err(format!("Watchlist {id} is not a watchlist of this user")),
                None => Err(format!("Watchlist {id} does not exist")),
            },
        }
    }

    /// Answers one command frame: acks, then (for new depth subscriptions) the snapshots.
    fn command(&mut self, text: &str) -> Batch {
        let mut batch = Batch::default();
        let reply = |batch: &mut Batch, s: String| batch.frames.push(Utf8Bytes::from(s));
        let Ok(Value::Object(cmd)) = serde_json::from_str::<Value>(text) else {
            reply(
                &mut batch,
                messages::command_error("", "The command is not a JSON object"),
            );
            return batch;
        };
        let field = |name: &str| -> String {
            cmd.iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| match v {
                    Value::String(s) => s.clone(),
                    Value::Array(a) => a
                        .iter()
                        .map(|x| x.as_str().map(str::to_string).unwrap_or(x.to_string()))
                        .collect::<Vec<_>>()
                        .join(";"),
                    Value::Null => String::new(),
                    other => other.to_string(),
                })
                .unwrap_or_default()
        };
        let name = field("Cmd");
        let subscribe = name.eq_ignore_ascii_case("Subscribe.txt");
        if !subscribe && !name.eq_ignore_ascii_case("Unsubscribe.txt") {
            let message = if name.eq_ignore_ascii_case("CreateSession.txt") {
                "The session is already created"
            } else {
                "Unknown command"
            };
            reply(&mut batch, messages::command_error(&name, message));
            return batch;
        }
        let cmd_name = if subscribe {
            "Subscribe.txt"
        } else {
            "Unsubscribe.txt"
        };
        if subscribe {
            self.hub().count_subscribe(self.id);
        }
        let entity_name = field("EntityType");
        let keys: Vec<String> = field("Keys")
            .split(';')
            .map(str::trim)
            .filter(|k| !k.is_empty())
            .map(str::to_string)
            .collect();
        let error = |batch: &mut Batch, keys: &[String], message: &str| {
            batch.frames.push(Utf8Bytes::from(messages::ack(
                cmd_name,
                &entity_name,
                keys,
                Some(message),
            )));
        };
        if field("SessionId") != self.session_id {
            error(&mut batch, &keys, "Wrong SessionId");
            return batch;
        }
        let entity = match EntityType::parse(&entity_name) {
            Some(e) if e.streamer() == self.kind => e,
            Some(_) => {
                error(
                    &mut batch,
                    &keys,
                    "This entity type is served by the other streamer",
                );
                return batch;
            }
            None => {
                error(&mut batch, &keys, "Unknown entity type");
                return batch;
            }
        };
        if keys.is_empty() {
            error(&mut batch, &keys, "Keys is empty");
            return batch;
        }
        let mut good = Vec::new();
        let mut bad = Vec::new();
        let mut reasons = Vec::new();
        for key in &keys {
            match self.check_key(entity, key) {
                Ok(()) => {
                    if !good.contains(key) {
                        good.push(key.clone());
                    }
                }
                Err(reason) => {
                    bad.push(key.clone());
                    reasons.push(reason);
                }
            }
        }
        let subs: Vec<Subscription> = good
            .iter()
            .map(|k| Subscription::new(entity, k.clone()))
            .collect();
        if !good.is_empty() {
            self.hub().update_subscriptions(self.id, &subs, subscribe);
            reply(
                &mut batch,
                messages::ack(cmd_name, entity.as_str(), &good, None),
            );
        }
        if !bad.is_empty() {
            batch.frames.push(Utf8Bytes::from(messages::ack(
                cmd_name,
                entity.as_str(),
                &bad,
                Some(&reasons.join("; ")),
            )));
        }
        if self.kind == SessionType::Quote {
            let ids: Vec<i32> = good.iter().filter_map(|k| k.parse().ok()).collect();
            self.change_quotes(entity, &ids, subscribe, &mut batch);
        } else if subscribe && entity.drives_engine() {
            super::ensure_driver(&self.state);
        }
        batch
    }

    /// Applies a quote-streamer subscription change; new depth subscriptions get their snapshot.
    fn change_quotes(&mut self, entity: EntityType, ids: &[i32], add: bool, batch: &mut Batch) {
        for &id in ids {
            match (entity, add) {
                (EntityType::Quote, true) => {
                    self.quotes.quote.insert(id);
                }
                (EntityType::Quote, false) => {
                    self.quotes.quote.remove(&id);
                }
                (_, true) if self.hub().depth_silent() => {}
                (_, true) => {
                    let book = self.quotes.depth.entry(id).or_default();
                    if let Some(snapshot) = book.snapshot(&self.state.market, id) {
                        self.stream(batch, Utf8Bytes::from(snapshot));
                    }
                }
                (_, false) => {
                    self.quotes.depth.remove(&id);
                }
            }
        }
        let q = &mut self.quotes;
        q.keys
            .retain(|k| q.quote.contains(k) || q.depth.contains_key(k));
        for &id in ids {
            if (q.quote.contains(&id) || q.depth.contains_key(&id)) && !q.keys.contains(&id) {
                q.keys.push(id);
            }
        }
        q.slots.retain(|k, _| q.keys.contains(k));
        q.last.retain(|k, _| q.quote.contains(k));
        q.firehose.retain(|k, _| q.quote.contains(k));
        if !q.keys.is_empty() {
            q.next %= q.keys.len();
        }
    }
}

/// Sends a batch; false when the socket failed.
async fn send(sink: &mut Sink, conn: &Conn, batch: &Batch) -> bool {
    if batch.frames.is_empty() {
        return true;
    }
    for frame in &batch.frames {
        if sink.feed(Message::Text(frame.clone())).await.is_err() {
            return false;
        }
    }
    let ok = sink.flush().await.is_ok();
    conn.hub().count_sent(
        conn.id,
        batch.streamed,
        batch.frames.len() as u64,
        batch.malformed,
    );
    ok
}

/// Waits while a stall fault holds the connection; `Some(reason)` when it must end meanwhile.
async fn stall(
    conn: &mut Conn,
    shutdown: &mut tokio::sync::watch::Receiver<bool>,
    accepted: Instant,
    kill: &AtomicBool,
) -> Option<CloseReason> {
    let mut marked = false;
    loop {
        conn.faults = conn.hub().faults(conn.kind);
        if let Some(reason) = ending(conn, accepted, kill) {
            return Some(reason);
        }
        if !conn.stalled() {
            if marked {
                conn.hub().set_stalled(conn.id, false);
            }
            return None;
        }
        if !marked {
            conn.hub().set_stalled(conn.id, true);
            marked = true;
        }
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_millis(20)) => {}
            _ = shutdown.changed() => {}
        }
    }
}

/// Why the connection must end now, if it must (shutdown, slow consumer, the drop timer).
fn ending(conn: &Conn, accepted: Instant, kill: &AtomicBool) -> Option<CloseReason> {
    if conn.hub().is_shut_down() {
        return Some(CloseReason::Shutdown);
    }
    if kill.load(Ordering::Relaxed) {
        return Some(CloseReason::SlowConsumer);
    }
    if conn
        .faults
        .drop_deadline(accepted)
        .is_some_and(|deadline| Instant::now() >= deadline)
    {
        return Some(CloseReason::DroppedAfterTime);
    }
    None
}

async fn run(state: AppState, kind: SessionType, socket: WebSocket, credentials: Credentials) {
    let accepted = Instant::now();
    let (mut sink, mut stream) = socket.split();
    let user_id = match authenticate(&state, kind, &credentials) {
        Ok(user_id) => user_id,
        Err(message) => {
            tracing::debug!(streamer = ?kind, user = %credentials.user, message, "streamer session refused");
            state.streams.count_rejected(kind);
            let _ = sink
                .send(Message::Text(messages::session_error(message).into()))
                .await;
            let _ = sink
                .send(Message::Close(Some(CloseFrame {
                    code: 1008,
                    reason: Utf8Bytes::from_static("session refused"),
                })))
                .await;
            return;
        }
    };
    drop(credentials);
    let opened = state.streams.open(kind, user_id);
    tracing::debug!(streamer = ?kind, connection = opened.id, user_id, "streamer connection accepted");
    let mut conn = Conn {
        kind,
        id: opened.id,
        user_id,
        session_id: uuid::Uuid::new_v4().to_string(),
        faults: state.streams.faults(kind),
        streamed: 0,
        quotes: QuoteState::default(),
        state,
    };
    let reason = serve(
        &mut conn,
        &mut sink,
        &mut stream,
        opened.receiver,
        &opened.kill,
        accepted,
    )
    .await;
    tracing::debug!(streamer = ?kind, connection = conn.id, ?reason, "streamer connection ended");
    conn.hub().close(conn.id, reason);
    // Dropping both halves closes the TCP connection; a clean end sends a close frame first.
    if matches!(reason, CloseReason::ClientClosed | CloseReason::Shutdown) {
        let _ = tokio::time::timeout(Duration::from_millis(200), sink.close()).await;
    }
}

async fn serve(
    conn: &mut Conn,
    sink: &mut Sink,
    stream: &mut SplitStream<WebSocket>,
    mut receiver: Option<mpsc::Receiver<Utf8Bytes>>,
    kill: &Arc<AtomicBool>,
    accepted: Instant,
) -> CloseReason {
    let mut shutdown = conn.hub().shutdown_signal();
    if let Some(reason) = stall(conn, &mut shutdown, accepted, kill).await {
        return reason;
    }
    let hello = Batch {
        frames: vec![Utf8Bytes::from(messages::session_ok(&conn.session_id))],
        ..Batch::default()
    };
    if !send(sink, conn, &hello).await {
        return CloseReason::Error;
    }
    let period = match conn.kind {
        SessionType::Quote => Duration::from_millis(10),
        SessionType::Data => Duration::from_millis(50),
    };
    let mut ticker = tokio::time::interval(period);
    ticker.set_missed_tick_behavior(MissedTickBehavior::Skip);
    loop {
        if let Some(reason) = stall(conn, &mut shutdown, accepted, kill).await {
            return reason;
        }
        let firehose = conn.firehose();
        let batch = tokio::select! {
            biased;
            _ = shutdown.changed() => return CloseReason::Shutdown,
            frame = stream.next() => match frame {
                Some(Ok(Message::Text(text))) => conn.command(text.as_str()),
                Some(Ok(Message::Close(_))) | None => return CloseReason::ClientClosed,
                Some(Ok(_)) => continue,
                Some(Err(_)) => return CloseReason::Error,
            },
            message = async {
                match receiver.as_mut() {
                    Some(rx) => rx.recv().await,
                    None => std::future::pending().await,
                }
            } => {
                let Some(first) = message else {
                    return CloseReason::SlowConsumer;
                };
                let mut batch = Batch::default();
                conn.faults = conn.hub().faults(conn.kind);
                conn.stream(&mut batch, first);
                while batch.frames.len() < DATA_BATCH && !batch.drop && !conn.stalled() {
                    match receiver.as_mut().map(|rx| rx.try_recv()) {
                        Some(Ok(text)) => conn.stream(&mut batch, text),
                        _ => break,
                    }
                }
                batch
            },
            _ = ticker.tick(), if !firehose => match conn.kind {
                SessionType::Quote => conn.quote_batch(),
                SessionType::Data => continue,
            },
            // As fast as the socket takes: `send` below waits while the socket is full.
            _ = std::future::ready(()), if firehose => conn.firehose_batch(),
        };
        if !send(sink, conn, &batch).await {
            return CloseReason::Error;
        }
        if batch.drop {
            return CloseReason::DroppedAfterMessages;
        }
    }
}

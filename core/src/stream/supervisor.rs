//! One supervisor task per streamer: connect, create the session, subscribe, pump frames into the hub,
//! watch for silence, and on any loss recover the session and do it all again.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use futures::{SinkExt, StreamExt, TryStreamExt};
use rand::Rng;
use rust_decimal::Decimal;
use tokio::net::TcpStream;
use tokio::sync::{mpsc, watch};
use tokio::time::{timeout, Instant};
use tokio_tungstenite::tungstenite::Message as WsMessage;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};
use url::Url;

use super::book::{Applied, BookState};
use super::wire::{self, Command, Message};
use super::{
    hub::Hub, new_handle, ConnectionState, Control, Event, Instrument, Key, MarketStream,
    OrderEvent, PositionEvent, Shared, Source, StreamConfig, Streamer, Topic,
};
use crate::client::Client;
use crate::error::{Error, ErrorKind, Result};
use crate::models::{Order, OrderStatus, Position};
use crate::orders::looks_like_osi;
use crate::secret::Secret;

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Keys per `Subscribe.txt` command (the platform documents no limit; this keeps frames small).
const KEYS_PER_COMMAND: usize = 100;

/// Orders read back per account after a gap (most recent first).
const RECONCILE_ORDER_LIMIT: usize = 1000;

impl Key {
    fn new(entity: &'static str, key: impl ToString) -> Key {
        Key {
            entity,
            key: key.to_string(),
        }
    }

    fn watched(&self) -> bool {
        matches!(self.entity, "Quote" | "MarketDepth")
    }

    fn security_id(&self) -> Option<i32> {
        if self.watched() {
            self.key.parse().ok()
        } else {
            None
        }
    }
}

/// Resolves topics to subscription keys: symbols to security ids (cached), account ids checked against the
/// user's accounts (read once).
#[derive(Clone, Default)]
pub(crate) struct Resolver {
    symbols: Arc<Mutex<HashMap<String, i32>>>,
    accounts: Arc<tokio::sync::OnceCell<HashSet<i32>>>,
}

impl Resolver {
    async fn security_id(&self, shared: &Shared, instrument: &Instrument) -> Result<i32> {
        let symbol = match instrument {
            Instrument::SecurityId(id) if *id > 0 => return Ok(*id),
            Instrument::SecurityId(id) => {
                return Err(Error::validation(
                    "security_id",
                    format!("{id} is not a security id (they are positive)"),
                ))
            }
            Instrument::Symbol(s) => s.trim().to_ascii_uppercase(),
        };
        if symbol.is_empty() {
            return Err(Error::validation("symbol", "the symbol is empty"));
        }
        if let Some(id) = Shared::lock(&self.symbols).get(&symbol) {
            return Ok(*id);
        }
        let securities = shared.client.securities();
        let found = if looks_like_osi(&symbol) {
            securities.option(symbol.clone()).send().await.map(|o| o.id)
        } else {
            securities.equity(symbol.clone()).send().await.map(|e| e.id)
        };
        let id = match found {
            Ok(Some(id)) => id,
            Ok(None) => {
                return Err(Error::validation(
                    "symbol",
                    format!("`{symbol}`: the securities API returned no id"),
                ))
            }
            Err(e) if e.status() == Some(404) => {
                return Err(Error::validation(
                    "symbol",
                    format!("`{symbol}` is not a known symbol"),
                ))
            }
            Err(e) => return Err(e),
        };
        Shared::lock(&self.symbols).insert(symbol.clone(), id);
        Shared::lock(&shared.symbols).insert(id, symbol);
        Ok(id)
    }

    async fn check_account(&self, shared: &Shared, account_id: i32) -> Result<()> {
        let accounts = self
            .accounts
            .get_or_try_init(|| async {
                let mine = shared.client.accounts().mine().await?;
                Ok::<_, Error>(mine.into_iter().map(|a| a.id).collect::<HashSet<i32>>())
            })
            .await?;
        if accounts.contains(&account_id) {
            Ok(())
        } else {
            Err(Error::validation(
                "account_id",
                format!("account {account_id} is not one of the logged-in user's accounts"),
            ))
        }
    }

    /// The keys of `topics`, every one checked before anything is sent.
    pub(crate) async fn resolve(
        &self,
        shared: &Shared,
        topics: impl IntoIterator<Item = Topic>,
    ) -> Result<Vec<(Key, Topic)>> {
        let mut out = Vec::new();
        for topic in topics {
            let key = match &topic {
                Topic::Quote(i) => Key::new("Quote", self.security_id(shared, i).await?),
                Topic::Depth(i) => Key::new("MarketDepth", self.security_id(shared, i).await?),
                Topic::Orders(a) | Topic::Positions(a) | Topic::AccountBalance(a) => {
                    self.check_account(shared, *a).await?;
                    let entity = match topic {
                        Topic::Orders(_) => "Order",
                        Topic::Positions(_) => "Position",
                        _ => "AccountBalance",
                    };
                    Key::new(entity, a)
                }
                Topic::UserBalance(u) | Topic::Watchlists(u) => {
                    if *u != shared.user_id {
                        return Err(Error::validation(
                            "user_id",
                            format!("{u} is not the logged-in user ({})", shared.user_id),
                        ));
                    }
                    let entity = if matches!(topic, Topic::UserBalance(_)) {
                        "UserBalance"
                    } else {
                        "Watchlist"
                    };
                    Key::new(entity, u)
                }
                Topic::WatchlistContent(w) if *w > 0 => Key::new("WatchlistContent", w),
                Topic::WatchlistContent(w) => {
                    return Err(Error::validation(
                        "watchlist_id",
                        format!("{w} is not a watchlist id"),
                    ))
                }
            };
            out.push((key, topic));
        }
        Ok(out)
    }
}

/// The WebSocket endpoint of a streamer: `wss`, or `ws` on loopback only.
fn streamer_url(raw: &str) -> Result<Url> {
    let url = Url::parse(raw.trim())
        .map_err(|e| Error::config("streamer url", format!("`{raw}` is not a URL: {e}")))?;
    match url.scheme() {
        "wss" => Ok(url),
        "ws" if crate::config::is_loopback_host(&url) => Ok(url),
        other => Err(Error::config(
            "streamer url",
            format!("`{raw}` uses `{other}`; streamers must use wss (plain ws only on loopback)"),
        )),
    }
}

/// Discovers the streamers, checks the first subscriptions and starts both supervisors.
pub(crate) async fn start(
    client: Client,
    config: StreamConfig,
    topics: Vec<Topic>,
) -> Result<MarketStream> {
    let me = client.users().me().await?;
    let (states, _) = watch::channel(BTreeMap::new());
    let shared = Arc::new(Shared {
        hub: Hub::new(config.event_buffer),
        config,
        client: client.clone(),
        user_id: me.user_id,
        desired: Mutex::new(BTreeMap::new()),
        states,
        orders: Mutex::new(HashMap::new()),
        positions: Mutex::new(HashMap::new()),
        symbols: Mutex::new(HashMap::new()),
        stats: Mutex::new(Default::default()),
        reconciling: std::sync::atomic::AtomicBool::new(false),
    });
    let resolver = Resolver::default();
    let keys = resolver.resolve(&shared, topics).await?;
    Shared::lock(&shared.desired).extend(keys);
    let info = client.streamers().info().await?;
    let mut controls = BTreeMap::new();
    let mut tasks = Vec::new();
    for (streamer, addresses) in [
        (Streamer::Quote, &info.quote_addresses),
        (Streamer::Data, &info.data_addresses),
    ] {
        let address = addresses
            .iter()
            .find(|a| a.url.as_deref().is_some_and(|u| !u.trim().is_empty()))
            .ok_or_else(|| Error::Stream {
                message: format!("the server named no {} streamer", streamer.as_str()),
            })?;
        let url = streamer_url(address.url.as_deref().unwrap_or_default())?;
        let (tx, rx) = mpsc::unbounded_channel();
        controls.insert(streamer, tx);
        shared.set_state(streamer, ConnectionState::Connecting);
        let supervisor = Supervisor {
            shared: shared.clone(),
            streamer,
            url,
            session: address.session_id.clone().map(Secret::new),
            controls: rx,
        };
        tasks.push(tokio::spawn(supervisor.run()));
    }
    Ok(new_handle(shared, controls, tasks, resolver))
}

/// Why a connection ended.
enum End {
    /// Closed on request.
    Closed,
    /// Lost (error, close frame, end of stream).
    Lost(String),
    /// Silent for too long.
    Stale,
}

struct Supervisor {
    shared: Arc<Shared>,
    streamer: Streamer,
    url: Url,
    session: Option<Secret>,
    controls: mpsc::UnboundedReceiver<Control>,
}

/// Errors that retrying cannot mend: configuration, and auth that the session could not renew.
fn permanent(e: &Error) -> bool {
    matches!(e.kind(), ErrorKind::Config | ErrorKind::Auth)
}

impl Supervisor {
    fn cfg(&self) -> &StreamConfig {
        &self.shared.config
    }

    async fn run(mut self) {
        let mut attempt: u32 = 0;
        let mut lost: Option<(Instant, DateTime<Utc>)> = None;
        let mut ever_live = false;
        loop {
            if self.session.is_none() {
                match self
                    .shared
                    .client
                    .streamers()
                    .recover_session(self.streamer.session_type())
                    .await
                {
                    Ok(sid) => self.session = Some(Secret::new(sid)),
                    Err(e) if permanent(&e) => return self.close_for(e.to_string()),
                    Err(e) => {
                        tracing::warn!(streamer = self.streamer.as_str(), error = %e, "session recovery failed")
                    }
                }
            }
            if self.session.is_some() {
                match self.connect().await {
                    Ok((ws, sid)) => {
                        attempt = 0;
                        self.shared.stat(|s| s.connects += 1);
                        let mut conn = Connection::new(&self.shared, self.streamer, ws, sid);
                        // Live only once every desired subscription is sent.
                        let end = match conn.subscribe_desired().await {
                            Err(e) => End::Lost(e),
                            Ok(()) => {
                                if let Some((since_instant, since)) = lost.take() {
                                    self.shared.stat(|s| s.reconnects += 1);
                                    self.shared
                                        .set_state(self.streamer, ConnectionState::Recovered);
                                    self.shared.set_state(self.streamer, ConnectionState::Live);
                                    self.shared.hub.push(Event::Gap {
                                        streamer: self.streamer,
                                        since,
                                        down_for: since_instant.elapsed(),
                                    });
                                    if self.streamer == Streamer::Data
                                        && self.shared.config.reconcile
                                    {
                                        tokio::spawn(reconcile(self.shared.clone()));
                                    }
                                } else {
                                    self.shared.set_state(self.streamer, ConnectionState::Live);
                                }
                                ever_live = true;
                                conn.pump(&mut self.controls).await
                            }
                        };
                        match end {
                            End::Closed => {
                                self.shared
                                    .set_state(self.streamer, ConnectionState::Closed);
                                return;
                            }
                            End::Stale => {
                                self.shared.set_state(self.streamer, ConnectionState::Stale);
                            }
                            End::Lost(why) => {
                                tracing::info!(streamer = self.streamer.as_str(), reason = %why, "stream connection lost");
                            }
                        }
                        lost = Some((Instant::now(), Utc::now()));
                        self.session = None;
                    }
                    Err(e) if permanent(&e) => return self.close_for(e.to_string()),
                    Err(e) => {
                        tracing::info!(streamer = self.streamer.as_str(), error = %e, "stream connect failed");
                        self.session = None;
                        if lost.is_none() && ever_live {
                            lost = Some((Instant::now(), Utc::now()));
                        }
                    }
                }
            }
            if ever_live {
                self.shared
                    .set_state(self.streamer, ConnectionState::Reconnecting);
            }
            // Full jitter: a random delay up to min(cap, initial * 2^attempt).
            let ceiling = self
                .cfg()
                .backoff_initial
                .saturating_mul(1u32 << attempt.min(16))
                .min(self.cfg().backoff_max);
            let delay =
                Duration::from_secs_f64(ceiling.as_secs_f64() * rand::rng().random::<f64>());
            attempt = attempt.saturating_add(1);
            if self.wait(delay).await {
                self.shared
                    .set_state(self.streamer, ConnectionState::Closed);
                return;
            }
        }
    }

    /// Sleeps `delay` while answering controls; true when asked to close.
    async fn wait(&mut self, delay: Duration) -> bool {
        let deadline = Instant::now() + delay;
        loop {
            tokio::select! {
                _ = tokio::time::sleep_until(deadline) => return false,
                c = self.controls.recv() => match c {
                    None | Some(Control::Close) => return true,
                    // The desired set is shared; the next connection subscribes to it.
                    Some(_) => {}
                },
            }
        }
    }

    fn close_for(&self, message: String) {
        self.shared.hub.push(Event::Closed {
            streamer: self.streamer,
            message,
        });
        self.shared
            .set_state(self.streamer, ConnectionState::Closed);
    }

    /// Opens the WebSocket and creates the session; returns the server's session id for commands.
    async fn connect(&self) -> Result<(Ws, String)> {
        let session = self
            .session
            .as_ref()
            .map(Secret::expose)
            .unwrap_or_default();
        let mut url = self.url.clone();
        let path = format!("{}/CreateSession.txt", url.path().trim_end_matches('/'));
        url.set_path(&path);
        url.query_pairs_mut()
            .clear()
            .append_pair("User", &self.shared.user_id.to_string())
            .append_pair("Password", session)
            .append_pair("HttpClientType", "WebSocket");
        let stream_err = |message: String| Error::Stream { message };
        let limit = self.cfg().connect_timeout;
        let user_agent = self.shared.client.config().user_agent();
        let mut ws = timeout(limit, super::handshake::connect(&url, user_agent))
            .await
            .map_err(|_| stream_err(format!("connecting took over {limit:?}")))?
            .map_err(|e| {
                stream_err(format!(
                    "{} streamer at {}: {e}",
                    self.streamer.as_str(),
                    self.url
                ))
            })?;
        let first = timeout(limit, ws.next())
            .await
            .map_err(|_| stream_err("no CreateSession.txt answer".into()))?;
        let text = match first {
            Some(Ok(WsMessage::Text(t))) => t,
            Some(Ok(other)) => return Err(stream_err(format!("unexpected first frame {other:?}"))),
            Some(Err(e)) => return Err(stream_err(e.to_string())),
            None => return Err(stream_err("closed before CreateSession.txt".into())),
        };
        match wire::decode(&text) {
            Ok(Message::Reply(r)) if r.cmd == "CreateSession.txt" && r.ok => {
                let sid = r.session_id.ok_or_else(|| {
                    stream_err("CreateSession.txt answered Ok without a SessionId".into())
                })?;
                Ok((ws, sid))
            }
            Ok(Message::Reply(r)) if r.cmd == "CreateSession.txt" => Err(stream_err(format!(
                "the {} streamer refused the session{}",
                self.streamer.as_str(),
                r.message.map(|m| format!(": {m}")).unwrap_or_default()
            ))),
            _ => Err(stream_err(
                "the first frame was not a CreateSession.txt answer".into(),
            )),
        }
    }
}

/// One live connection: the socket, the session id and the per-subscription watch.
struct Connection<'s> {
    shared: &'s Arc<Shared>,
    streamer: Streamer,
    ws: Ws,
    sid: String,
    /// Last message per watched (quote, depth) subscription.
    seen: HashMap<Key, Instant>,
    /// Depth subscriptions still waiting for their first message, with their deadline.
    depth_wait: HashMap<Key, Instant>,
    books: HashMap<i32, BookState>,
}

impl<'s> Connection<'s> {
    fn new(shared: &'s Arc<Shared>, streamer: Streamer, ws: Ws, sid: String) -> Connection<'s> {
        Connection {
            shared,
            streamer,
            ws,
            sid,
            seen: HashMap::new(),
            depth_wait: HashMap::new(),
            books: HashMap::new(),
        }
    }

    fn cfg(&self) -> &StreamConfig {
        &self.shared.config
    }

    /// Sends (un)subscribe commands for `keys`, grouped by entity type.
    async fn send_keys(
        &mut self,
        subscribe: bool,
        keys: &[Key],
    ) -> std::result::Result<(), String> {
        let mut by_entity: BTreeMap<&'static str, Vec<String>> = BTreeMap::new();
        for k in keys {
            by_entity.entry(k.entity).or_default().push(k.key.clone());
        }
        let now = Instant::now();
        for k in keys {
            if subscribe {
                if k.watched() {
                    self.seen.insert(k.clone(), now);
                }
                if k.entity == "MarketDepth" {
                    self.depth_wait
                        .insert(k.clone(), now + self.cfg().depth_timeout);
                    if let Some(id) = k.security_id() {
                        self.books.remove(&id);
                    }
                }
            } else {
                self.seen.remove(k);
                self.depth_wait.remove(k);
                if let Some(id) = k.security_id() {
                    self.books.remove(&id);
                    self.shared.hub.forget(id);
                }
            }
        }
        for (entity, keys) in by_entity {
            for chunk in keys.chunks(KEYS_PER_COMMAND) {
                let cmd = Command::new(subscribe, &self.sid, entity, chunk).to_json();
                self.ws
                    .send(WsMessage::text(cmd))
                    .await
                    .map_err(|e| e.to_string())?;
            }
        }
        Ok(())
    }

    /// The desired keys of this connection's streamer.
    fn desired_keys(&self) -> Vec<Key> {
        Shared::lock(&self.shared.desired)
            .iter()
            .filter(|(_, t)| t.streamer() == self.streamer)
            .map(|(k, _)| k.clone())
            .collect()
    }

    /// Sends `Subscribe.txt` for every desired key of this streamer.
    async fn subscribe_desired(&mut self) -> std::result::Result<(), String> {
        let keys = self.desired_keys();
        self.send_keys(true, &keys).await
    }

    async fn pump(mut self, controls: &mut mpsc::UnboundedReceiver<Control>) -> End {
        let cfg = self.cfg().clone();
        let tick_every = cfg
            .stale_after
            .map(|s| s / 4)
            .unwrap_or(Duration::from_millis(250))
            .clamp(Duration::from_millis(20), Duration::from_millis(250));
        let mut tick = tokio::time::interval(tick_every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut last_frame = Instant::now();
        let mut next_ping = Instant::now() + cfg.ping_interval;
        let mut ping_sent: Option<Instant> = None;
        let mut burst = 0u32;
        loop {
            tokio::select! {
                frame = self.ws.next() => {
                    let now = Instant::now();
                    match frame {
                        Some(Ok(WsMessage::Text(text))) => {
                            last_frame = now;
                            ping_sent = None;
                            self.shared.stat(|s| s.frames += 1);
                            if let Err(e) = self.handle(&text, now).await {
                                return End::Lost(e);
                            }
                            // A busy socket would keep this worker until tokio's budget runs out (about a thousand
                            // buffered frames); a consumer's task waiting on the same worker would wait that long.
                            burst += 1;
                            if burst.is_multiple_of(32) {
                                tokio::task::yield_now().await;
                            }
                        }
                        Some(Ok(WsMessage::Close(_))) | None => return End::Lost("closed by the server".into()),
                        Some(Ok(_)) => {
                            last_frame = now;
                            ping_sent = None;
                        }
                        Some(Err(e)) => return End::Lost(e.to_string()),
                    }
                }
                control = controls.recv() => match control {
                    Some(Control::Subscribe(keys)) => {
                        if let Err(e) = self.send_keys(true, &keys).await { return End::Lost(e); }
                    }
                    Some(Control::Unsubscribe(keys)) => {
                        if let Err(e) = self.send_keys(false, &keys).await { return End::Lost(e); }
                    }
                    Some(Control::Close) | None => {
                        let _ = self.ws.close(None).await;
                        return End::Closed;
                    }
                },
                _ = tick.tick() => {
                    let now = Instant::now();
                    if ping_sent.is_none() && now >= next_ping {
                        if let Err(e) = self.ws.send(WsMessage::Ping(Vec::new().into())).await {
                            return End::Lost(e.to_string());
                        }
                        ping_sent = Some(now);
                        next_ping = now + cfg.ping_interval;
                    }
                    if let Some(sent) = ping_sent {
                        if now.duration_since(sent) > cfg.pong_timeout && last_frame < sent {
                            self.shared.hub.push(Event::Stale {
                                streamer: self.streamer,
                                topic: None,
                                silent_for: now.duration_since(last_frame),
                            });
                            return End::Stale;
                        }
                    }
                    if let Some(end) = self.watchdog(now).await {
                        return end;
                    }
                    if self.streamer == Streamer::Data
                        && self.shared.hub.needs_reconcile.swap(false, Ordering::AcqRel)
                    {
                        tokio::spawn(reconcile(self.shared.clone()));
                    }
                }
            }
        }
    }

    /// Staleness per watched subscription and depth subscriptions that never answered.
    async fn watchdog(&mut self, now: Instant) -> Option<End> {
        if let Some(limit) = self.cfg().stale_after {
            if self.cfg().market_hours.is_open(Utc::now()) {
                let silent = self
                    .seen
                    .iter()
                    .filter(|(k, _)| !self.depth_wait.contains_key(*k))
                    .map(|(k, t)| (k, now.duration_since(*t)))
                    .find(|(_, d)| *d > limit);
                if let Some((key, silent_for)) = silent {
                    let topic = Shared::lock(&self.shared.desired).get(key).cloned();
                    self.shared.hub.push(Event::Stale {
                        streamer: self.streamer,
                        topic,
                        silent_for,
                    });
                    return Some(End::Stale);
                }
            } else {
                // Silence only counts while the market is open.
                for t in self.seen.values_mut() {
                    *t = now;
                }
            }
        }
        let expired: Vec<Key> = self
            .depth_wait
            .iter()
            .filter(|(_, deadline)| now >= **deadline)
            .map(|(k, _)| k.clone())
            .collect();
        for key in expired {
            self.fail(
                &key,
                "market depth is not offered by this streamer: no MarketDepth message arrived"
                    .into(),
            );
            if let Err(e) = self.send_keys(false, std::slice::from_ref(&key)).await {
                return Some(End::Lost(e));
            }
        }
        None
    }

    /// Drops a subscription the server refused and tells the consumer.
    fn fail(&mut self, key: &Key, message: String) {
        self.seen.remove(key);
        self.depth_wait.remove(key);
        let topic = Shared::lock(&self.shared.desired).remove(key);
        if let Some(topic) = topic {
            self.shared
                .hub
                .push(Event::SubscriptionFailed { topic, message });
        }
    }

    fn symbol_of(&self, security_id: i32) -> Option<String> {
        Shared::lock(&self.shared.symbols)
            .get(&security_id)
            .cloned()
    }

    async fn handle(&mut self, text: &str, now: Instant) -> std::result::Result<(), String> {
        let message = match wire::decode(text) {
            Ok(m) => m,
            Err(error) => {
                self.shared.stat(|s| s.decode_errors += 1);
                self.shared.hub.push(Event::Decode {
                    streamer: self.streamer,
                    error,
                });
                return Ok(());
            }
        };
        let hub = &self.shared.hub;
        match message {
            Message::Quote(mut q) => {
                let Some(id) = q.security_id() else {
                    return Ok(());
                };
                let key = Key::new("Quote", id);
                match self.seen.get_mut(&key) {
                    Some(t) => *t = now,
                    // A late quote after an unsubscribe.
                    None => return Ok(()),
                }
                q.quote.security_id = Some(id);
                if q.quote.symbol.is_none() {
                    q.quote.symbol = self.symbol_of(id);
                }
                hub.push_quote(id, *q);
            }
            Message::Depth(d) => {
                let key = Key::new("MarketDepth", d.security_id);
                match self.seen.get_mut(&key) {
                    Some(t) => *t = now,
                    None => return Ok(()),
                }
                self.depth_wait.remove(&key);
                let symbol = self.symbol_of(d.security_id);
                let book = self.books.entry(d.security_id).or_default();
                match book.apply(&d) {
                    Applied::Updated => {
                        let view = book.view(d.security_id, symbol);
                        self.shared.hub.push_book(view);
                    }
                    Applied::Gap { expected, got } => {
                        tracing::debug!(
                            security_id = d.security_id,
                            expected,
                            got,
                            "depth sequence gap: resubscribing"
                        );
                        self.shared.stat(|s| s.depth_resyncs += 1);
                        let keys = [key];
                        self.send_keys(false, &keys).await?;
                        self.send_keys(true, &keys).await?;
                    }
                    Applied::AwaitingSnapshot => {}
                }
            }
            Message::Order(o) => {
                let (order, extras) = *o;
                if let Some(id) = order.id {
                    Shared::lock(&self.shared.orders).insert(id, order.clone());
                }
                hub.push(Event::Order(Box::new(OrderEvent {
                    order,
                    extras,
                    source: Source::Live,
                })));
            }
            Message::Position(p) => {
                if let (Some(a), Some(s)) = (p.account_id, p.security_id) {
                    Shared::lock(&self.shared.positions).insert((a, s), (*p).clone());
                }
                hub.push(Event::Position(Box::new(PositionEvent {
                    position: *p,
                    source: Source::Live,
                })));
            }
            Message::AccountBalance(b) => {
                hub.push(Event::AccountBalance(b));
            }
            Message::UserBalance(b) => {
                hub.push(Event::UserBalance(b));
            }
            Message::Watchlist(w) => {
                hub.push(Event::Watchlist(w));
            }
            Message::WatchlistContent(w) => {
                hub.push(Event::WatchlistContent(w));
            }
            Message::Reply(r) if !r.ok && r.cmd == "Subscribe.txt" => {
                let entity = r.entity_type.unwrap_or_default();
                let message = r
                    .message
                    .unwrap_or_else(|| "the server refused the subscription".into());
                let keys: Vec<Key> = Shared::lock(&self.shared.desired)
                    .keys()
                    .filter(|k| k.entity == entity)
                    .filter(|k| {
                        r.keys
                            .as_deref()
                            .is_none_or(|ks| ks.split(';').any(|x| x.trim() == k.key))
                    })
                    .cloned()
                    .collect();
                for key in keys {
                    self.fail(&key, message.clone());
                }
            }
            Message::Reply(r) if !r.ok => {
                tracing::warn!(cmd = %r.cmd, message = ?r.message, "streamer refused a command");
            }
            Message::Reply(_) | Message::Unknown(_) => {}
        }
        Ok(())
    }
}

/// How far an order has progressed, so a REST read never overwrites a newer streamed state.
fn progress(o: &Order) -> (bool, Decimal) {
    let done = matches!(
        o.status,
        Some(
            OrderStatus::Filled
                | OrderStatus::Canceled
                | OrderStatus::Rejected
                | OrderStatus::Expired
        )
    );
    (done, o.executed_quantity.unwrap_or_default())
}

fn order_state(o: &Order) -> impl PartialEq + '_ {
    (
        &o.status,
        o.executed_quantity,
        o.leaves_quantity,
        o.quantity,
        o.price,
        o.stop_price,
        o.average_price,
    )
}

fn position_state(p: &Position) -> impl PartialEq + '_ {
    (p.quantity, p.average_open_price, p.cost_basis)
}

/// After a gap or an overflow: re-reads orders, positions and balance of every subscribed account and emits
/// what differs from what the stream had delivered. One runs at a time; if a read fails, the data supervisor
/// tries again on its next tick (until it succeeds).
async fn reconcile(shared: Arc<Shared>) {
    if shared.reconciling.swap(true, Ordering::AcqRel) {
        // One is running; make sure it runs again after, since this gap may postdate its reads.
        shared.hub.needs_reconcile.store(true, Ordering::Release);
        return;
    }
    let accounts: BTreeSet<i32> = Shared::lock(&shared.desired)
        .keys()
        .filter(|k| matches!(k.entity, "Order" | "Position" | "AccountBalance"))
        .filter_map(|k| k.key.parse().ok())
        .collect();
    for account_id in accounts {
        if let Err(e) = reconcile_account(&shared, account_id).await {
            tracing::warn!(account_id, error = %e, "reconciliation after a stream gap failed; retrying");
            shared.hub.needs_reconcile.store(true, Ordering::Release);
        }
    }
    shared.reconciling.store(false, Ordering::Release);
}

async fn reconcile_account(shared: &Shared, account_id: i32) -> Result<()> {
    let client = &shared.client;
    let orders: Vec<Order> = client
        .orders()
        .list(account_id)
        .page_size(100)
        .sort(crate::paging::Sort::descending("Id"))
        .stream()
        .take(RECONCILE_ORDER_LIMIT)
        .try_collect()
        .await?;
    let mut orders_changed = 0;
    for order in orders {
        let Some(id) = order.id else { continue };
        let newer = {
            let mut view = Shared::lock(&shared.orders);
            let replace = match view.get(&id) {
                None => true,
                Some(seen) => {
                    order_state(seen) != order_state(&order) && progress(&order) >= progress(seen)
                }
            };
            if replace {
                view.insert(id, order.clone());
            }
            replace
        };
        if newer {
            orders_changed += 1;
            shared.hub.push(Event::Order(Box::new(OrderEvent {
                order,
                extras: Default::default(),
                source: Source::Reconciled,
            })));
        }
    }
    let positions: Vec<Position> = client
        .positions()
        .list(account_id)
        .page_size(100)
        .stream()
        .try_collect()
        .await?;
    let mut positions_changed = 0;
    let mut present = HashSet::new();
    let mut changed = Vec::new();
    {
        let mut view = Shared::lock(&shared.positions);
        for p in positions {
            let Some(sec) = p.security_id else { continue };
            present.insert(sec);
            let key = (account_id, sec);
            if view.get(&key).map(position_state) != Some(position_state(&p)) {
                view.insert(key, p.clone());
                changed.push(p);
            }
        }
        for ((acc, sec), p) in view.iter_mut() {
            if *acc == account_id && !present.contains(sec) && p.quantity != Some(Decimal::ZERO) {
                p.quantity = Some(Decimal::ZERO);
                changed.push(p.clone());
            }
        }
    }
    for position in changed {
        positions_changed += 1;
        shared.hub.push(Event::Position(Box::new(PositionEvent {
            position,
            source: Source::Reconciled,
        })));
    }
    let balance = client.accounts().balance(account_id).await?;
    shared
        .hub
        .push(Event::AccountBalance(Box::new(super::BalanceUpdate {
            account_id: Some(account_id),
            cash_balance: balance.cash(),
            pending_cash: balance.pending_cash(),
            pending_orders_count: balance
                .pending_orders_count()
                .and_then(|d| rust_decimal::prelude::ToPrimitive::to_i32(&d)),
            balance,
        })));
    shared.hub.push(Event::Reconciled {
        account_id,
        orders_changed,
        positions_changed,
    });
    Ok(())
}

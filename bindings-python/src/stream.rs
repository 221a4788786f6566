//! `client.stream(...)`: core's `MarketStream` (core `stream/`) for Python: its arguments, its events as frozen
//! classes, and the handle the pure-Python `autoshares.stream.Stream` / `AsyncStream` iterate.
//!
//! Everything a stream does (connections, reconnects, staleness, conflation, reconciliation) is core's; this file
//! converts arguments (`quotes=[...]`, `accounts=[...]`, `stale_after=...` to core `Topic`s and `StreamConfig`),
//! converts events, and hands them to Python in batches: `take(max)` drains what core has queued without waiting
//! (no runtime hop, no asyncio wake-up), and only when nothing is queued does Python wait, on `wait()` (blocking,
//! GIL released, Ctrl-C interrupts) or `wait_async()` (one asyncio wake-up per batch, not per message).
//!
//! Cancel-safety across the boundary: a wait learns that an event is there by taking it from core, and parks it
//! here before the wait completes; `take` hands it out first. So a wait cancelled at any point (an
//! `asyncio.wait_for` timeout, Ctrl-C) loses no event.
//!
//! Every open stream is registered (weakly) so that the package's `atexit` hook can close it before the
//! interpreter finalizes (see `runtime::_shutdown`).

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use autoshares::stream::{
    ConnectionState, Event, Instrument, MarketHours, MarketStream, Source, Streamer, Topic,
};
use pyo3::exceptions::{PyTimeoutError, PyTypeError};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyInt, PyList, PyString};

use crate::convert::ToPy;
use crate::errors::{config, validation};
use crate::runtime::{block_on, spawn_async};

/// The subscription keyword arguments of `client.stream(...)`, `subscribe(...)` and `unsubscribe(...)`.
pub const TOPIC_ARGS: &[&str] = &[
    "quotes",
    "depth",
    "accounts",
    "orders",
    "positions",
    "balances",
    "user_balance",
    "watchlists",
    "watchlist_content",
];

/// The tuning keyword arguments (core `StreamConfig` fields; durations in seconds).
pub const CONFIG_ARGS: &[&str] = &[
    "stale_after",
    "market_hours",
    "ping_interval",
    "pong_timeout",
    "connect_timeout",
    "backoff_initial",
    "backoff_max",
    "event_buffer",
    "depth_timeout",
    "reconcile",
];

// ---- arguments ----------------------------------------------------------------------------------------------

/// Subscriptions from keyword arguments, before the user id is known.
#[derive(Default)]
pub struct TopicArgs {
    topics: Vec<Topic>,
    user_balance: bool,
    watchlists: bool,
}

impl TopicArgs {
    /// Whether nothing was asked for.
    fn is_empty(&self) -> bool {
        self.topics.is_empty() && !self.user_balance && !self.watchlists
    }

    /// The core topics; the user-keyed ones need the logged-in user's id, read once (`users.me`) if asked for.
    async fn resolve(self, client: &autoshares::Client) -> autoshares::Result<Vec<Topic>> {
        let mut topics = self.topics;
        if self.user_balance || self.watchlists {
            let me = client.users().me().await?.user_id;
            if self.user_balance {
                topics.push(Topic::UserBalance(me));
            }
            if self.watchlists {
                topics.push(Topic::Watchlists(me));
            }
        }
        Ok(topics)
    }
}

/// The items of a list argument (a single `str` counts as one item, so `quotes="AAPL"` works).
fn items<'py>(value: &Bound<'py, PyAny>, field: &str) -> PyResult<Vec<Bound<'py, PyAny>>> {
    if value.is_instance_of::<PyString>() {
        return Ok(vec![value.clone()]);
    }
    if value.is_instance_of::<PyDict>() {
        return Err(validation(value.py(), field, "expected a list, got a dict"));
    }
    let iter = value.try_iter().map_err(|_| {
        validation(
            value.py(),
            field,
            format!(
                "expected a list, got {}",
                value
                    .get_type()
                    .name()
                    .map(|n| n.to_string())
                    .unwrap_or_default()
            ),
        )
    })?;
    iter.collect()
}

fn instrument(value: &Bound<'_, PyAny>, field: &str) -> PyResult<Instrument> {
    if value.is_instance_of::<PyString>() {
        return Ok(Instrument::Symbol(value.extract()?));
    }
    if value.is_instance_of::<PyInt>() && !value.is_instance_of::<PyBool>() {
        return Ok(Instrument::SecurityId(value.extract().map_err(
            |e: PyErr| validation(value.py(), field, e.value(value.py()).to_string()),
        )?));
    }
    Err(validation(
        value.py(),
        field,
        "expected a symbol (str) or a security id (int)",
    ))
}

fn id(value: &Bound<'_, PyAny>, field: &str) -> PyResult<i32> {
    if value.is_instance_of::<PyInt>() && !value.is_instance_of::<PyBool>() {
        return value
            .extract()
            .map_err(|e: PyErr| validation(value.py(), field, e.value(value.py()).to_string()));
    }
    Err(validation(value.py(), field, "expected an id (int)"))
}

fn flag(value: &Bound<'_, PyAny>, field: &str) -> PyResult<bool> {
    if value.is_none() {
        return Ok(false);
    }
    if !value.is_instance_of::<PyBool>() {
        return Err(validation(value.py(), field, "expected a bool"));
    }
    value.extract()
}

/// Subscriptions from the keyword arguments in `d` (other keys are ignored here; the caller checks them).
pub fn topic_args(d: Option<&Bound<'_, PyDict>>) -> PyResult<TopicArgs> {
    let mut out = TopicArgs::default();
    let Some(d) = d else { return Ok(out) };
    for name in TOPIC_ARGS {
        let Some(value) = d.get_item(name)? else {
            continue;
        };
        if value.is_none() {
            continue;
        }
        match *name {
            "user_balance" => out.user_balance = flag(&value, name)?,
            "watchlists" => out.watchlists = flag(&value, name)?,
            _ => {
                for (i, item) in items(&value, name)?.iter().enumerate() {
                    let at = format!("{name}[{i}]");
                    match *name {
                        "quotes" => out.topics.push(Topic::Quote(instrument(item, &at)?)),
                        "depth" => out.topics.push(Topic::Depth(instrument(item, &at)?)),
                        "accounts" => out.topics.extend(Topic::account(id(item, &at)?)),
                        "orders" => out.topics.push(Topic::Orders(id(item, &at)?)),
                        "positions" => out.topics.push(Topic::Positions(id(item, &at)?)),
                        "balances" => out.topics.push(Topic::AccountBalance(id(item, &at)?)),
                        _ => out.topics.push(Topic::WatchlistContent(id(item, &at)?)),
                    }
                }
            }
        }
    }
    Ok(out)
}

fn market_hours(py: Python<'_>, value: &str) -> PyResult<MarketHours> {
    match value {
        "always" => Ok(MarketHours::Always),
        "us_regular" => Ok(MarketHours::UsEquitiesRegular),
        "us_extended" => Ok(MarketHours::UsEquitiesExtended),
        other => Err(config(
            py,
            "market_hours",
            format!("`{other}` is not one of always, us_regular, us_extended"),
        )),
    }
}

fn market_hours_name(h: MarketHours) -> &'static str {
    match h {
        MarketHours::Always => "always",
        MarketHours::UsEquitiesRegular => "us_regular",
        MarketHours::UsEquitiesExtended => "us_extended",
    }
}

fn secs(py: Python<'_>, field: &str, value: &Bound<'_, PyAny>) -> PyResult<Duration> {
    let v: f64 = value
        .extract()
        .map_err(|_| config(py, field, "expected a number of seconds"))?;
    crate::config::seconds(py, field, v)
}

/// Applies the tuning keyword arguments in `d` to `c` (other keys are ignored here).
fn apply_config(
    py: Python<'_>,
    mut c: autoshares::stream::StreamConfig,
    d: Option<&Bound<'_, PyDict>>,
) -> PyResult<autoshares::stream::StreamConfig> {
    let Some(d) = d else { return Ok(c) };
    for name in CONFIG_ARGS {
        let Some(v) = d.get_item(name)? else { continue };
        match *name {
            "stale_after" => {
                c.stale_after = if v.is_none() {
                    None
                } else {
                    Some(secs(py, name, &v)?)
                }
            }
            _ if v.is_none() => {}
            "market_hours" => {
                let s: String = v
                    .extract()
                    .map_err(|_| config(py, name, "expected a str"))?;
                c.market_hours = market_hours(py, &s)?;
            }
            "ping_interval" => c.ping_interval = secs(py, name, &v)?,
            "pong_timeout" => c.pong_timeout = secs(py, name, &v)?,
            "connect_timeout" => c.connect_timeout = secs(py, name, &v)?,
            "backoff_initial" => c.backoff_initial = secs(py, name, &v)?,
            "backoff_max" => c.backoff_max = secs(py, name, &v)?,
            "depth_timeout" => c.depth_timeout = secs(py, name, &v)?,
            "event_buffer" => {
                c.event_buffer = v
                    .extract::<usize>()
                    .ok()
                    .filter(|n| *n > 0)
                    .ok_or_else(|| config(py, name, "expected an int >= 1"))?
            }
            _ => {
                if !v.is_instance_of::<PyBool>() {
                    return Err(config(py, name, "expected a bool"));
                }
                c.reconcile = v.extract()?
            }
        }
    }
    Ok(c)
}

fn check_keys(d: Option<&Bound<'_, PyDict>>, allowed: &[&[&str]]) -> PyResult<()> {
    let Some(d) = d else { return Ok(()) };
    for key in d.keys() {
        let key: String = key.extract()?;
        if !allowed.iter().any(|a| a.contains(&key.as_str())) {
            return Err(PyTypeError::new_err(format!(
                "unexpected keyword argument `{key}`"
            )));
        }
    }
    Ok(())
}

/// Tuning of a stream (core `StreamConfig`); durations in seconds. The defaults suit a live session.
///
/// `StreamConfig(stale_after=5, market_hours="always")`; pass it as `client.stream(config=...)`, or give the same
/// keyword arguments to `client.stream(...)` directly (they override `config`).
#[pyclass(frozen, module = "autoshares")]
#[derive(Clone)]
pub struct StreamConfig {
    inner: autoshares::stream::StreamConfig,
}

#[pymethods]
impl StreamConfig {
    #[new]
    #[pyo3(signature = (**options))]
    fn new(py: Python<'_>, options: Option<&Bound<'_, PyDict>>) -> PyResult<Self> {
        check_keys(options, &[CONFIG_ARGS])?;
        Ok(StreamConfig {
            inner: apply_config(py, Default::default(), options)?,
        })
    }

    /// Seconds without a quote or depth message (market open) before a subscription is stale; `None`: off.
    #[getter]
    fn stale_after(&self) -> Option<f64> {
        self.inner.stale_after.map(|d| d.as_secs_f64())
    }

    /// When the market counts as open for the watchdog: `always`, `us_regular` or `us_extended`.
    #[getter]
    fn market_hours(&self) -> &'static str {
        market_hours_name(self.inner.market_hours)
    }

    /// Seconds between WebSocket pings.
    #[getter]
    fn ping_interval(&self) -> f64 {
        self.inner.ping_interval.as_secs_f64()
    }

    /// Seconds without an answer after a ping before the connection is dead.
    #[getter]
    fn pong_timeout(&self) -> f64 {
        self.inner.pong_timeout.as_secs_f64()
    }

    /// Seconds allowed for connecting and creating a session.
    #[getter]
    fn connect_timeout(&self) -> f64 {
        self.inner.connect_timeout.as_secs_f64()
    }

    /// First reconnect delay in seconds (doubled per failed attempt, full jitter).
    #[getter]
    fn backoff_initial(&self) -> f64 {
        self.inner.backoff_initial.as_secs_f64()
    }

    /// Cap of the reconnect delay in seconds.
    #[getter]
    fn backoff_max(&self) -> f64 {
        self.inner.backoff_max.as_secs_f64()
    }

    /// Capacity of the queue of non-conflated events (overflow is an `OverflowEvent`, never a silent loss).
    #[getter]
    fn event_buffer(&self) -> usize {
        self.inner.event_buffer
    }

    /// Seconds a depth subscription may stay silent before it is reported as not offered.
    #[getter]
    fn depth_timeout(&self) -> f64 {
        self.inner.depth_timeout.as_secs_f64()
    }

    /// Whether orders, positions and balances are re-read by REST after a data-streamer gap.
    #[getter]
    fn reconcile(&self) -> bool {
        self.inner.reconcile
    }

    fn __repr__(&self) -> String {
        format!(
            "StreamConfig(stale_after={}, market_hours='{}', ping_interval={}, pong_timeout={}, connect_timeout={}, \
             backoff_initial={}, backoff_max={}, event_buffer={}, depth_timeout={}, reconcile={})",
            self.stale_after()
                .map_or("None".to_string(), |s| s.to_string()),
            self.market_hours(),
            self.ping_interval(),
            self.pong_timeout(),
            self.connect_timeout(),
            self.backoff_initial(),
            self.backoff_max(),
            self.event_buffer(),
            self.depth_timeout(),
            if self.reconcile() { "True" } else { "False" },
        )
    }
}

/// What `client.stream(config=None, **options)` was given, converted: the config and the first subscriptions.
pub struct StartArgs {
    config: autoshares::stream::StreamConfig,
    topics: TopicArgs,
}

/// Converts the arguments of `client.stream(...)`.
pub fn start_args(
    py: Python<'_>,
    config: Option<&Bound<'_, StreamConfig>>,
    options: Option<&Bound<'_, PyDict>>,
) -> PyResult<StartArgs> {
    check_keys(options, &[TOPIC_ARGS, CONFIG_ARGS])?;
    let base = config.map(|c| c.get().inner.clone()).unwrap_or_default();
    Ok(StartArgs {
        config: apply_config(py, base, options)?,
        topics: topic_args(options)?,
    })
}

// ---- the handle ---------------------------------------------------------------------------------------------

/// A running core stream and the events a wait took from it to learn they were there.
pub struct Inner {
    stream: MarketStream,
    parked: Mutex<VecDeque<Event>>,
    client: autoshares::Client,
}

static OPEN: Mutex<Vec<Weak<Inner>>> = Mutex::new(Vec::new());

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Starts a core stream (core checks every subscription first: an unknown symbol or a foreign account is a
/// `ValidationError` and nothing connects) and registers it for the shutdown hook.
pub async fn start(client: autoshares::Client, args: StartArgs) -> autoshares::Result<Arc<Inner>> {
    let topics = args.topics.resolve(&client).await?;
    let stream = client
        .stream()
        .config(args.config)
        .subscribe(topics)
        .start()
        .await?;
    let inner = Arc::new(Inner {
        stream,
        parked: Mutex::new(VecDeque::new()),
        client,
    });
    let mut open = lock(&OPEN);
    open.retain(|w| w.strong_count() > 0);
    open.push(Arc::downgrade(&inner));
    Ok(inner)
}

/// Closes every stream still open (the `atexit` hook, before finalization), waiting at most `limit` for their
/// connections to close.
pub fn close_all(limit: Duration) {
    let open: Vec<Arc<Inner>> = lock(&OPEN).drain(..).filter_map(|w| w.upgrade()).collect();
    if open.is_empty() {
        return;
    }
    crate::runtime::runtime().block_on(async move {
        let closes = open.iter().map(|s| s.stream.close());
        let _ = tokio::time::timeout(limit, futures::future::join_all(closes)).await;
    });
}

/// Waits until an event is there (parking it); `false` once the stream is closed and drained.
async fn wait(inner: Arc<Inner>) -> autoshares::Result<bool> {
    if !lock(&inner.parked).is_empty() {
        return Ok(true);
    }
    match inner.stream.next().await {
        Some(ev) => {
            lock(&inner.parked).push_back(ev);
            coalesce().await;
            Ok(true)
        }
        None => Ok(false),
    }
}

/// Lets the supervisors handle the frames that already arrived before Python is woken, so that the wake-up
/// takes a batch rather than the first event alone (no timer: only frames already read are waited for).
pub async fn coalesce() {
    for _ in 0..2 {
        tokio::task::yield_now().await;
    }
}

async fn subscribe(inner: Arc<Inner>, topics: TopicArgs, on: bool) -> autoshares::Result<()> {
    let topics = topics.resolve(&inner.client).await?;
    if on {
        inner.stream.subscribe(topics).await
    } else {
        inner.stream.unsubscribe(topics).await
    }
}

fn streamer_arg(py: Python<'_>, name: &str) -> PyResult<Streamer> {
    match name {
        "quote" => Ok(Streamer::Quote),
        "data" => Ok(Streamer::Data),
        other => Err(validation(
            py,
            "streamer",
            format!("`{other}` is not a streamer (quote, data)"),
        )),
    }
}

/// The native side of `autoshares.stream.Stream` and `AsyncStream` (use those): batches of events and the
/// stream's controls, blocking and awaitable.
#[pyclass(frozen, module = "autoshares")]
pub struct StreamHandle {
    inner: Arc<Inner>,
}

impl StreamHandle {
    /// The handle of a started stream, wrapped in the Python class `autoshares.stream.<class>`.
    pub fn wrap<'py>(
        py: Python<'py>,
        inner: Arc<Inner>,
        class: &str,
    ) -> PyResult<Bound<'py, PyAny>> {
        let handle = Bound::new(py, StreamHandle { inner })?;
        py.import("autoshares.stream")?
            .getattr(class)?
            .call1((handle,))
    }

    fn with_topics(&self, topics: Option<&Bound<'_, PyDict>>) -> PyResult<TopicArgs> {
        check_keys(topics, &[TOPIC_ARGS])?;
        let t = topic_args(topics)?;
        if t.is_empty() {
            return Err(PyTypeError::new_err(
                "name at least one subscription (quotes=, depth=, accounts=, orders=, positions=, balances=, \
                 user_balance=, watchlists=, watchlist_content=)",
            ));
        }
        Ok(t)
    }
}

/// A started stream on its way to Python (the awaitable `AsyncClient.stream(...)` resolves to it).
pub struct Started(pub Arc<Inner>);

impl<'py> IntoPyObject<'py> for Started {
    type Target = PyAny;
    type Output = Bound<'py, PyAny>;
    type Error = PyErr;

    fn into_pyobject(self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        StreamHandle::wrap(py, self.0, "AsyncStream")
    }
}

#[pymethods]
impl StreamHandle {
    /// Up to `max_events` events that are queued now (never waits); `[]` when none is.
    #[pyo3(signature = (max_events = 1024))]
    fn take<'py>(&self, py: Python<'py>, max_events: usize) -> PyResult<Bound<'py, PyList>> {
        let list = PyList::empty(py);
        let mut parked = lock(&self.inner.parked);
        while list.len() < max_events {
            let Some(ev) = parked.pop_front().or_else(|| self.inner.stream.try_next()) else {
                break;
            };
            list.append(event_to_py(py, ev)?)?;
        }
        Ok(list)
    }

    /// Waits (GIL released, Ctrl-C interrupts) until an event is queued: `True`; `False` once the stream is
    /// closed and drained; `None` when `timeout` seconds passed first.
    #[pyo3(signature = (timeout = None))]
    fn wait(&self, py: Python<'_>, timeout: Option<f64>) -> PyResult<Option<bool>> {
        if crate::runtime::shutting_down() {
            // The exit hook closed every stream: a loop still running (a daemon thread) just ends.
            return Ok(Some(false));
        }
        let inner = self.inner.clone();
        match timeout {
            None => block_on(py, wait(inner)).map(Some),
            Some(t) => {
                let limit = crate::config::seconds(py, "timeout", t)?;
                block_on(py, async move {
                    match tokio::time::timeout(limit, wait(inner)).await {
                        Ok(r) => r.map(Some),
                        Err(_) => Ok(None),
                    }
                })
            }
        }
    }

    /// Awaitable of `wait`: `True` when an event is queued, `False` once the stream is closed and drained.
    /// Cancelling it loses nothing.
    fn wait_async<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        spawn_async(py, wait(self.inner.clone()), |b| b)
    }

    /// Adds subscriptions (the keyword arguments of `client.stream`); unknown symbols and foreign accounts are a
    /// `ValidationError` and nothing is sent.
    #[pyo3(signature = (**topics))]
    fn subscribe(&self, py: Python<'_>, topics: Option<&Bound<'_, PyDict>>) -> PyResult<()> {
        let t = self.with_topics(topics)?;
        block_on(py, subscribe(self.inner.clone(), t, true))
    }

    /// Awaitable of `subscribe`.
    #[pyo3(signature = (**topics))]
    fn subscribe_async<'py>(
        &self,
        py: Python<'py>,
        topics: Option<&Bound<'py, PyDict>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let t = self.with_topics(topics)?;
        spawn_async(py, subscribe(self.inner.clone(), t, true), |()| ())
    }

    /// Removes subscriptions (same keyword arguments).
    #[pyo3(signature = (**topics))]
    fn unsubscribe(&self, py: Python<'_>, topics: Option<&Bound<'_, PyDict>>) -> PyResult<()> {
        let t = self.with_topics(topics)?;
        block_on(py, subscribe(self.inner.clone(), t, false))
    }

    /// Awaitable of `unsubscribe`.
    #[pyo3(signature = (**topics))]
    fn unsubscribe_async<'py>(
        &self,
        py: Python<'py>,
        topics: Option<&Bound<'py, PyDict>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let t = self.with_topics(topics)?;
        spawn_async(py, subscribe(self.inner.clone(), t, false), |()| ())
    }

    /// The subscriptions the stream keeps (and restores after every reconnect).
    fn subscriptions(&self) -> Vec<PyTopic> {
        self.inner
            .stream
            .subscriptions()
            .into_iter()
            .map(PyTopic)
            .collect()
    }

    /// The state of a streamer (`"quote"` or `"data"`): connecting, live, stale, reconnecting, recovered, closed.
    fn state(&self, py: Python<'_>, streamer: &str) -> PyResult<&'static str> {
        Ok(state_name(
            self.inner.stream.state(streamer_arg(py, streamer)?),
        ))
    }

    /// Waits until both streamers are live (raises `StreamError` if one closed for good, `TimeoutError` after
    /// `timeout` seconds).
    #[pyo3(signature = (timeout = None))]
    fn ready(&self, py: Python<'_>, timeout: Option<f64>) -> PyResult<()> {
        let inner = self.inner.clone();
        let limit = timeout
            .map(|t| crate::config::seconds(py, "timeout", t))
            .transpose()?;
        let done = block_on(py, async move {
            match limit {
                None => inner.stream.ready().await.map(|()| true),
                Some(l) => match tokio::time::timeout(l, inner.stream.ready()).await {
                    Ok(r) => r.map(|()| true),
                    Err(_) => Ok(false),
                },
            }
        })?;
        if done {
            Ok(())
        } else {
            Err(PyTimeoutError::new_err(
                "the streamers were not live in time",
            ))
        }
    }

    /// Awaitable of `ready` (bound it with `asyncio.wait_for`).
    fn ready_async<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let inner = self.inner.clone();
        spawn_async(py, async move { inner.stream.ready().await }, |()| ())
    }

    /// The orders seen on the stream (and by reconciliation), latest state per order id.
    fn orders<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.inner.stream.orders().into_py(py)
    }

    /// The positions seen on the stream (and by reconciliation), latest per (account, security).
    fn positions<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.inner.stream.positions().into_py(py)
    }

    /// Counters of the stream.
    fn stats(&self) -> StreamStats {
        let s = self.inner.stream.stats();
        StreamStats {
            frames: s.frames,
            decode_errors: s.decode_errors,
            connects: s.connects,
            reconnects: s.reconnects,
            conflated_quotes: s.conflated_quotes,
            depth_resyncs: s.depth_resyncs,
        }
    }

    /// Stops both connections and waits for them (events already queued can still be taken).
    fn close(&self, py: Python<'_>) -> PyResult<()> {
        let inner = self.inner.clone();
        block_on(py, async move {
            inner.stream.close().await;
            Ok(())
        })
    }

    /// Awaitable of `close`.
    fn close_async<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let inner = self.inner.clone();
        spawn_async(
            py,
            async move {
                inner.stream.close().await;
                Ok(())
            },
            |()| (),
        )
    }

    fn __repr__(&self) -> String {
        format!(
            "StreamHandle(quote={}, data={}, subscriptions={})",
            state_name(self.inner.stream.state(Streamer::Quote)),
            state_name(self.inner.stream.state(Streamer::Data)),
            self.inner.stream.subscriptions().len()
        )
    }
}

/// Counters of a stream (core `StreamStats`).
#[pyclass(frozen, get_all, module = "autoshares")]
pub struct StreamStats {
    /// Frames received on both streamers.
    frames: u64,
    /// Frames that did not decode.
    decode_errors: u64,
    /// Connections opened (first ones included).
    connects: u64,
    /// Reconnects after a loss.
    reconnects: u64,
    /// Quotes replaced by a newer one before they were taken (conflation).
    conflated_quotes: u64,
    /// Depth resyncs after a sequence gap.
    depth_resyncs: u64,
}

#[pymethods]
impl StreamStats {
    fn __repr__(&self) -> String {
        format!(
            "StreamStats(frames={}, decode_errors={}, connects={}, reconnects={}, conflated_quotes={}, depth_resyncs={})",
            self.frames, self.decode_errors, self.connects, self.reconnects, self.conflated_quotes, self.depth_resyncs
        )
    }
}

// ---- topics and events ----------------------------------------------------------------------------------------

/// A subscription: `kind` (`quote`, `depth`, `orders`, `positions`, `balance`, `user_balance`, `watchlists`,
/// `watchlist_content`) and `key` (a symbol `str`, or an id `int`: security, account, user or watchlist).
#[pyclass(frozen, eq, hash, name = "Topic", module = "autoshares")]
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct PyTopic(pub Topic);

fn instrument_key<'py>(py: Python<'py>, i: &Instrument) -> PyResult<Bound<'py, PyAny>> {
    match i {
        Instrument::Symbol(s) => s.to_py(py),
        Instrument::SecurityId(id) => id.to_py(py),
    }
}

#[pymethods]
impl PyTopic {
    /// What is subscribed to.
    #[getter]
    fn kind(&self) -> &'static str {
        match &self.0 {
            Topic::Quote(_) => "quote",
            Topic::Depth(_) => "depth",
            Topic::Orders(_) => "orders",
            Topic::Positions(_) => "positions",
            Topic::AccountBalance(_) => "balance",
            Topic::UserBalance(_) => "user_balance",
            Topic::Watchlists(_) => "watchlists",
            Topic::WatchlistContent(_) => "watchlist_content",
        }
    }

    /// The symbol or id.
    #[getter]
    fn key<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        match &self.0 {
            Topic::Quote(i) | Topic::Depth(i) => instrument_key(py, i),
            Topic::Orders(n)
            | Topic::Positions(n)
            | Topic::AccountBalance(n)
            | Topic::UserBalance(n)
            | Topic::Watchlists(n)
            | Topic::WatchlistContent(n) => n.to_py(py),
        }
    }

    /// The streamer that serves it: `"quote"` or `"data"`.
    #[getter]
    fn streamer(&self) -> &'static str {
        self.0.streamer().as_str()
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(format!(
            "Topic('{}', {})",
            self.kind(),
            self.key(py)?.repr()?
        ))
    }
}

impl ToPy for Topic {
    fn to_py<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        Ok(Bound::new(py, PyTopic(self.clone()))?.into_any())
    }
}

/// One price level of a Level II book.
#[pyclass(frozen, eq, name = "DepthLevel", module = "autoshares")]
#[derive(Clone, PartialEq)]
pub struct PyDepthLevel(autoshares::stream::DepthLevel);

#[pymethods]
impl PyDepthLevel {
    /// The price.
    #[getter]
    fn price<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.0.price.to_py(py)
    }

    /// The size at that price.
    #[getter]
    fn size<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.0.size.to_py(py)
    }

    fn __repr__(&self) -> String {
        format!(
            "DepthLevel(price=Decimal('{}'), size=Decimal('{}'))",
            self.0.price, self.0.size
        )
    }
}

impl ToPy for autoshares::stream::DepthLevel {
    fn to_py<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        Ok(Bound::new(py, PyDepthLevel(*self))?.into_any())
    }
}

fn state_name(s: ConnectionState) -> &'static str {
    match s {
        ConnectionState::Connecting => "connecting",
        ConnectionState::Live => "live",
        ConnectionState::Stale => "stale",
        ConnectionState::Reconnecting => "reconnecting",
        ConnectionState::Recovered => "recovered",
        ConnectionState::Closed => "closed",
    }
}

fn source_name(s: Source) -> &'static str {
    match s {
        Source::Live => "live",
        Source::Reconciled => "reconciled",
    }
}

/// Declares one event class: a frozen pyclass over its core payload, with a class attribute `type`, read-only
/// attributes converted on access, `to_dict()` and a `repr` of the attributes that are set.
macro_rules! event_class {
    (
        $(#[$doc:meta])*
        $name:ident($inner:ty) = $kind:literal {
            $( $(#[$fdoc:meta])* $field:ident: |$s:ident| $expr:expr ),* $(,)?
        }
    ) => {
        $(#[$doc])*
        #[pyclass(frozen, module = "autoshares")]
        pub struct $name {
            inner: $inner,
        }

        impl $name {
            const FIELDS: &'static [&'static str] = &[$(stringify!($field)),*];

            #[allow(unused_variables)]
            fn value_of<'py>(&self, py: Python<'py>, name: &str) -> PyResult<Bound<'py, PyAny>> {
                match name {
                    $(stringify!($field) => { let $s = &self.inner; ToPy::to_py(&$expr, py) })*
                    other => Err(pyo3::exceptions::PyAttributeError::new_err(other.to_string())),
                }
            }
        }

        #[pymethods]
        impl $name {
            /// The event's kind.
            #[classattr]
            #[pyo3(name = "type")]
            fn event_type() -> &'static str {
                $kind
            }

            $(
                $(#[$fdoc])*
                #[getter]
                fn $field<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
                    let $s = &self.inner;
                    ToPy::to_py(&$expr, py)
                }
            )*

            /// The attributes as a plain `dict` (with `type`).
            fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
                let d = PyDict::new(py);
                d.set_item("type", $kind)?;
                for f in Self::FIELDS {
                    d.set_item(*f, self.value_of(py, f)?)?;
                }
                Ok(d)
            }

            fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
                crate::model::repr(py, stringify!($name), Self::FIELDS, &[], |f| self.value_of(py, f))
            }
        }
    };
}

event_class! {
    /// The latest Level I quote of a security (conflated: a slow consumer gets the newest quote of each symbol,
    /// never a backlog). `quote` is the REST `Quote` model; the streamer-only fields are beside it.
    QuoteEvent(Box<autoshares::stream::QuoteUpdate>) = "quote" {
        /// The symbol subscribed to.
        symbol: |s| s.quote.symbol,
        /// The security id.
        security_id: |s| s.security_id(),
        /// Best bid.
        bid: |s| s.quote.bid,
        /// Best ask.
        ask: |s| s.quote.ask,
        /// Last trade price.
        last: |s| s.quote.last,
        /// The quote (REST model).
        quote: |s| s.quote,
        /// Size of the last trade.
        last_size: |s| s.last_size,
        /// Time of the bid.
        bid_time: |s| s.bid_time,
        /// Time of the ask.
        ask_time: |s| s.ask_time,
        /// Market of the bid.
        bid_market: |s| s.bid_market,
        /// Market of the ask.
        ask_market: |s| s.ask_market,
        /// Market of the last trade.
        last_market: |s| s.last_market,
        /// Day's high.
        day_high: |s| s.day_high,
        /// Day's low.
        day_low: |s| s.day_low,
        /// Trade condition code.
        trade_condition: |s| s.trade_condition,
    }
}

event_class! {
    /// The current Level II book of a security (conflated like quotes).
    DepthEvent(Box<autoshares::stream::DepthBook>) = "depth" {
        /// The symbol subscribed to.
        symbol: |s| s.symbol,
        /// The security id.
        security_id: |s| s.security_id,
        /// The sequence number of the last message applied.
        sequence: |s| s.sequence,
        /// Time of the last message.
        date: |s| s.date,
        /// Bid levels, best (highest) first.
        bids: |s| s.bids,
        /// Ask levels, best (lowest) first.
        asks: |s| s.asks,
        /// The best bid level.
        best_bid: |s| s.best_bid(),
        /// The best ask level.
        best_ask: |s| s.best_ask(),
    }
}

event_class! {
    /// An order change: `order` is the REST `Order` model as it is now.
    OrderEvent(Box<autoshares::stream::OrderEvent>) = "order" {
        /// The order.
        order: |s| s.order,
        /// `"live"` (pushed) or `"reconciled"` (read by REST after a gap).
        source: |s| source_name(s.source),
        /// Security name.
        name: |s| s.extras.name,
        /// Why the order was rejected.
        reject_reason: |s| s.extras.reject_reason,
        /// Underlying symbol of an option order.
        underlying_symbol: |s| s.extras.underlying_symbol,
        /// The order's type when it was placed.
        initial_type: |s| s.extras.initial_type,
    }
}

event_class! {
    /// A position change: `position` is the REST `Position` model (`quantity` zero when closed).
    PositionEvent(Box<autoshares::stream::PositionEvent>) = "position" {
        /// The position.
        position: |s| s.position,
        /// `"live"` or `"reconciled"`.
        source: |s| source_name(s.source),
    }
}

event_class! {
    /// An account's balance: `balance` is the `AccountBalance` model of `accounts.balance(...)`.
    BalanceEvent(Box<autoshares::stream::BalanceUpdate>) = "balance" {
        /// The account.
        account_id: |s| s.account_id,
        /// Cash balance.
        cash_balance: |s| s.cash_balance,
        /// Pending cash.
        pending_cash: |s| s.pending_cash,
        /// Pending orders.
        pending_orders_count: |s| s.pending_orders_count,
        /// Every balance value.
        balance: |s| s.balance,
    }
}

event_class! {
    /// The user's aggregated balance.
    UserBalanceEvent(Box<autoshares::stream::BalanceUpdate>) = "user_balance" {
        /// The key subscribed to.
        account_id: |s| s.account_id,
        /// Cash balance.
        cash_balance: |s| s.cash_balance,
        /// Pending cash.
        pending_cash: |s| s.pending_cash,
        /// Pending orders.
        pending_orders_count: |s| s.pending_orders_count,
        /// Every balance value.
        balance: |s| s.balance,
    }
}

event_class! {
    /// A watchlist of the user was created, changed or deleted.
    WatchlistEvent(Box<autoshares::stream::WatchlistUpdate>) = "watchlist" {
        /// The user.
        user_id: |s| s.user_id,
        /// The watchlist.
        watchlist_id: |s| s.watchlist_id,
        /// Its name.
        name: |s| s.name,
        /// Its description.
        description: |s| s.description,
        /// Its type (e.g. `UserList`).
        kind: |s| s.kind,
        /// Whether it was deleted.
        is_deleted: |s| s.is_deleted,
        /// When it was created.
        create_date: |s| s.create_date,
        /// When it was changed.
        modify_date: |s| s.modify_date,
    }
}

event_class! {
    /// Securities were added to or removed from a watchlist.
    WatchlistContentEvent(autoshares::stream::WatchlistContentUpdate) = "watchlist_content" {
        /// The watchlist.
        watchlist_id: |s| s.watchlist_id,
        /// Security ids added.
        added: |s| s.added.iter().map(|n| i64::from(*n)).collect::<Vec<i64>>(),
        /// Security ids removed.
        removed: |s| s.removed.iter().map(|n| i64::from(*n)).collect::<Vec<i64>>(),
    }
}

/// Payload of a state event.
pub struct StateData {
    streamer: Streamer,
    state: ConnectionState,
}

event_class! {
    /// A streamer's connection changed state.
    StateEvent(StateData) = "state" {
        /// `"quote"` or `"data"`.
        streamer: |s| s.streamer.as_str(),
        /// connecting, live, stale, reconnecting, recovered or closed.
        state: |s| state_name(s.state),
    }
}

/// Payload of a stale event.
pub struct StaleData {
    streamer: Streamer,
    topic: Option<Topic>,
    silent_for: Duration,
}

event_class! {
    /// A subscription (or, with `topic` `None`, the connection) went silent; a reconnect follows.
    StaleEvent(StaleData) = "stale" {
        /// `"quote"` or `"data"`.
        streamer: |s| s.streamer.as_str(),
        /// The silent subscription.
        topic: |s| s.topic,
        /// Seconds nothing arrived.
        silent_for: |s| s.silent_for.as_secs_f64(),
    }
}

/// Payload of a gap event.
pub struct GapData {
    streamer: Streamer,
    since: chrono::DateTime<chrono::Utc>,
    down_for: Duration,
}

event_class! {
    /// A streamer reconnected after a loss (messages of `down_for` seconds may be missing); after a data-streamer
    /// gap the reconciled order, position and balance events follow, then a `ReconciledEvent`.
    GapEvent(GapData) = "gap" {
        /// `"quote"` or `"data"`.
        streamer: |s| s.streamer.as_str(),
        /// When the connection was lost.
        since: |s| s.since,
        /// Seconds it was down.
        down_for: |s| s.down_for.as_secs_f64(),
    }
}

/// Payload of a reconciled event.
pub struct ReconciledData {
    account_id: i32,
    orders_changed: usize,
    positions_changed: usize,
}

event_class! {
    /// The SDK finished re-reading an account by REST after a gap or an overflow.
    ReconciledEvent(ReconciledData) = "reconciled" {
        /// The account.
        account_id: |s| s.account_id,
        /// Orders that differed from what the stream had delivered (emitted before this event).
        orders_changed: |s| s.orders_changed,
        /// Positions that differed.
        positions_changed: |s| s.positions_changed,
    }
}

/// Payload of a decode event.
pub struct DecodeData {
    streamer: Streamer,
    error: autoshares::stream::DecodeError,
}

event_class! {
    /// A frame could not be decoded; the stream goes on.
    DecodeEvent(DecodeData) = "decode" {
        /// `"quote"` or `"data"`.
        streamer: |s| s.streamer.as_str(),
        /// The field that failed, when one did.
        field: |s| s.error.field,
        /// What was wrong.
        message: |s| s.error.message,
        /// The start of the frame (at most 200 characters).
        snippet: |s| s.error.snippet,
    }
}

/// Payload of a subscription-failed event.
pub struct SubscriptionFailedData {
    topic: Topic,
    message: String,
}

event_class! {
    /// The server refused a subscription or does not serve it; it was removed from the subscriptions.
    SubscriptionFailedEvent(SubscriptionFailedData) = "subscription_failed" {
        /// The topic.
        topic: |s| s.topic,
        /// Why.
        message: |s| s.message,
    }
}

/// Payload of an overflow event.
pub struct OverflowData {
    dropped: u64,
}

event_class! {
    /// The event queue was full and `dropped` events could not be queued; orders and positions are re-read by
    /// REST (a `ReconciledEvent` follows).
    OverflowEvent(OverflowData) = "overflow" {
        /// How many events were not queued.
        dropped: |s| s.dropped,
    }
}

/// Payload of a closed event.
pub struct ClosedData {
    streamer: Streamer,
    message: String,
}

event_class! {
    /// A streamer stopped for good (an error retrying cannot mend, e.g. access denied).
    ClosedEvent(ClosedData) = "closed" {
        /// `"quote"` or `"data"`.
        streamer: |s| s.streamer.as_str(),
        /// Why.
        message: |s| s.message,
    }
}

/// A core event as its Python class.
fn event_to_py(py: Python<'_>, ev: Event) -> PyResult<Bound<'_, PyAny>> {
    Ok(match ev {
        Event::Quote(inner) => Bound::new(py, QuoteEvent { inner })?.into_any(),
        Event::Depth(inner) => Bound::new(py, DepthEvent { inner })?.into_any(),
        Event::Order(inner) => Bound::new(py, OrderEvent { inner })?.into_any(),
        Event::Position(inner) => Bound::new(py, PositionEvent { inner })?.into_any(),
        Event::AccountBalance(inner) => Bound::new(py, BalanceEvent { inner })?.into_any(),
        Event::UserBalance(inner) => Bound::new(py, UserBalanceEvent { inner })?.into_any(),
        Event::Watchlist(inner) => Bound::new(py, WatchlistEvent { inner })?.into_any(),
        Event::WatchlistContent(inner) => {
            Bound::new(py, WatchlistContentEvent { inner })?.into_any()
        }
        Event::State { streamer, state } => Bound::new(
            py,
            StateEvent {
                inner: StateData { streamer, state },
            },
        )?
        .into_any(),
        Event::Stale {
            streamer,
            topic,
            silent_for,
        } => Bound::new(
            py,
            StaleEvent {
                inner: StaleData {
                    streamer,
                    topic,
                    silent_for,
                },
            },
        )?
        .into_any(),
        Event::Gap {
            streamer,
            since,
            down_for,
        } => Bound::new(
            py,
            GapEvent {
                inner: GapData {
                    streamer,
                    since,
                    down_for,
                },
            },
        )?
        .into_any(),
        Event::Reconciled {
            account_id,
            orders_changed,
            positions_changed,
        } => Bound::new(
            py,
            ReconciledEvent {
                inner: ReconciledData {
                    account_id,
                    orders_changed,
                    positions_changed,
                },
            },
        )?
        .into_any(),
        Event::Decode { streamer, error } => Bound::new(
            py,
            DecodeEvent {
                inner: DecodeData { streamer, error },
            },
        )?
        .into_any(),
        Event::SubscriptionFailed { topic, message } => Bound::new(
            py,
            SubscriptionFailedEvent {
                inner: SubscriptionFailedData { topic, message },
            },
        )?
        .into_any(),
        Event::Overflow { dropped } => Bound::new(
            py,
            OverflowEvent {
                inner: OverflowData { dropped },
            },
        )?
        .into_any(),
        Event::Closed { streamer, message } => Bound::new(
            py,
            ClosedEvent {
                inner: ClosedData { streamer, message },
            },
        )?
        .into_any(),
        other => {
            // A variant newer than this binding: say so rather than drop it silently.
            Bound::new(
                py,
                DecodeEvent {
                    inner: DecodeData {
                        streamer: Streamer::Data,
                        error: autoshares::stream::DecodeError {
                            field: None,
                            message: format!("an event this binding does not know: {other:?}"),
                            snippet: String::new(),
                        },
                    },
                },
            )?
            .into_any()
        }
    })
}

/// Registers the stream classes on the module.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<StreamConfig>()?;
    m.add_class::<StreamHandle>()?;
    m.add_class::<StreamStats>()?;
    m.add_class::<PyTopic>()?;
    m.add_class::<PyDepthLevel>()?;
    m.add_class::<QuoteEvent>()?;
    m.add_class::<DepthEvent>()?;
    m.add_class::<OrderEvent>()?;
    m.add_class::<PositionEvent>()?;
    m.add_class::<BalanceEvent>()?;
    m.add_class::<UserBalanceEvent>()?;
    m.add_class::<WatchlistEvent>()?;
    m.add_class::<WatchlistContentEvent>()?;
    m.add_class::<StateEvent>()?;
    m.add_class::<StaleEvent>()?;
    m.add_class::<GapEvent>()?;
    m.add_class::<ReconciledEvent>()?;
    m.add_class::<DecodeEvent>()?;
    m.add_class::<SubscriptionFailedEvent>()?;
    m.add_class::<OverflowEvent>()?;
    m.add_class::<ClosedEvent>()?;
    Ok(())
}

//! `Sandbox`: the local AutoShares-compatible server (crate `autoshares-sandbox`), in-process, for tests and
//! offline development: `const sb = await Sandbox.start()`, then `sb.client({ user: 'trader' })`.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use autoshares::auth::{Browser, OAuthLogin, PasswordLogin};
use autoshares_sandbox::{
    AppState, CloseReason, ConnectionRecord, DataRecord, FaultRule, Malformed, SandboxConfig,
    SessionType, Streams,
};
use napi::bindgen_prelude::*;
use napi_derive::napi;

use crate::call::{self, CallOptions, Lifecycle};
use crate::client::Client;

/// Options of `Sandbox.start()`.
#[napi(object)]
#[derive(Default)]
pub struct SandboxOptions {
    /// Port on 127.0.0.1; default 0 (an ephemeral port).
    pub port: Option<u32>,
    /// Seed of the simulated market and accounts. Default 42.
    pub seed: Option<u32>,
    /// The `Et-App-Key` the sandbox accepts. Default `'sandbox-app-key'`.
    pub app_key: Option<String>,
}

/// A seeded sandbox user (password `<username>-pass`).
#[napi(object)]
pub struct SandboxUser {
    pub username: String,
    pub password: String,
    /// Whether the login asks for a 2FA verification code (read it with `sb.verificationCode(username)`).
    pub two_factor: bool,
    /// The PIN, for users whose login has a PIN step.
    pub pin: Option<String>,
    /// Whether the password has expired (the login fails with `authKind === 'PASSWORD_EXPIRED'`).
    pub password_expired: bool,
    /// The internal user id.
    pub user_id: Option<i32>,
    /// The trading-account ids.
    pub account_ids: Vec<i32>,
}

/// The OAuth client registered with the sandbox's IdP.
#[napi(object)]
pub struct SandboxOAuthClient {
    pub issuer: String,
    pub client_id: String,
    pub client_secret: String,
    /// Accepted besides RFC 8252 loopback URIs (e.g. `http://localhost:3000/callback`, for paste mode).
    pub redirect_uris: Vec<String>,
    /// The user whose login `/authorize` approves without asking.
    pub auto_approve_username: String,
}

/// A fault rule: the next `count` requests matching `method` (any if absent) and `pathPrefix` get `status`.
#[napi(object)]
pub struct FaultOptions {
    pub method: Option<String>,
    /// E.g. `'/v1.0/users'` or `'/token'`.
    pub path_prefix: String,
    /// Default 1.
    pub count: Option<u32>,
    /// E.g. 503 or 429.
    pub status: u32,
    /// A `Retry-After` header value (seconds), for 429 and 503.
    pub retry_after: Option<String>,
    /// Handle the request first, then answer with the fault (an order is placed, yet the client sees the error).
    pub after_act: Option<bool>,
}

/// Options of `sb.client()`: a client of a seeded user, configured for this sandbox.
#[napi(object)]
pub struct SandboxClientOptions {
    /// The seeded user, e.g. `'trader'` (2FA codes and PINs are answered automatically).
    pub user: String,
    /// `'password'` (default) or `'oauth'` (only the auto-approved user; the "browser" is an HTTP client).
    #[napi(ts_type = "'password' | 'oauth'")]
    pub login: Option<String>,
    /// Per-attempt timeout in milliseconds. Default 10000.
    pub timeout_ms: Option<u32>,
    /// Retries of idempotent requests. Default 3.
    pub max_retries: Option<u32>,
    /// The order intent journal file (see the `orderJournal` client option).
    pub order_journal: Option<String>,
}

/// A request as the sandbox received it (`sb.recordedRequests()`).
#[napi(object)]
pub struct RecordedRequest {
    /// E.g. `'POST'`.
    pub method: String,
    /// As received, e.g. `'/v1.0/accounts/1/orders'`.
    pub path: String,
    /// The raw query string without `?`.
    pub query: Option<String>,
    /// The raw body (UTF-8, lossy).
    pub body: String,
}

struct Running {
    sandbox: Mutex<Option<autoshares_sandbox::Sandbox>>,
    state: AppState,
    url: String,
    config: SandboxConfig,
    life: Arc<Lifecycle>,
}

/// The sandbox server, running on this process's native runtime (not on the JS event loop: it never keeps
/// the process alive). `close()` stops it.
#[napi]
pub struct Sandbox {
    inner: Arc<Running>,
}

fn io_error(e: std::io::Error) -> autoshares::Error {
    autoshares::Error::Config {
        field: "sandbox".into(),
        message: format!("cannot start the sandbox: {e}"),
    }
}

fn closed() -> autoshares::Error {
    autoshares::Error::Config {
        field: "sandbox".into(),
        message: "the sandbox was closed".into(),
    }
}

#[napi]
impl Sandbox {
    /// Starts a sandbox on 127.0.0.1 (an ephemeral port unless `port` is given).
    ///
    /// ```js
    /// const sb = await Sandbox.start()
    /// const client = sb.client({ user: 'trader' })
    /// console.log(await client.users.me())
    /// await sb.close()
    /// ```
    #[napi(ts_return_type = "Promise<Sandbox>")]
    pub fn start<'env>(
        env: &'env Env,
        options: Option<SandboxOptions>,
        call_options: Option<CallOptions>,
    ) -> Result<PromiseRaw<'env, Sandbox>> {
        let o = options.unwrap_or_default();
        let mut config = SandboxConfig::default();
        if let Some(port) = o.port {
            config.port = u16::try_from(port).unwrap_or(0);
        }
        if let Some(seed) = o.seed {
            config.seed = seed.into();
        }
        if let Some(key) = o.app_key {
            config.app_key = key;
        }
        let fut = async move {
            autoshares_sandbox::Sandbox::start_with(config)
                .await
                .map_err(io_error)
        };
        call::spawn(env, &Lifecycle::new(), call_options, fut, |sb| Sandbox {
            inner: Arc::new(Running {
                state: sb.state().clone(),
                url: sb.url(),
                config: sb.config().clone(),
                sandbox: Mutex::new(Some(sb)),
                life: Lifecycle::new(),
            }),
        })
    }

    /// The base URL, e.g. `http://127.0.0.1:41234`.
    #[napi(getter)]
    pub fn url(&self) -> String {
        self.inner.url.clone()
    }

    /// The `Et-App-Key` the sandbox expects.
    #[napi(getter)]
    pub fn app_key(&self) -> String {
        self.inner.config.app_key.clone()
    }

    /// The seeded users.
    #[napi(getter)]
    pub fn users(&self) -> Vec<SandboxUser> {
        let dir = self.inner.state.dir();
        self.inner
            .config
            .users
            .iter()
            .map(|u| {
                let seeded = dir.user_by_name(&u.username);
                SandboxUser {
                    username: u.username.clone(),
                    password: u.password.clone(),
                    two_factor: u.two_factor,
                    pin: u.pin.clone(),
                    password_expired: u.password_expired,
                    user_id: seeded.map(|s| s.id),
                    account_ids: seeded.map(|s| s.account_ids.clone()).unwrap_or_default(),
                }
            })
            .collect()
    }

    /// The OAuth client registered with the sandbox's IdP (its issuer is the sandbox URL).
    #[napi(getter)]
    pub fn oauth_client(&self) -> SandboxOAuthClient {
        let c = &self.inner.config.oauth;
        SandboxOAuthClient {
            issuer: self.inner.url.clone(),
            client_id: c.client_id.clone(),
            client_secret: c.client_secret.clone(),
            redirect_uris: c.redirect_uris.clone(),
            auto_approve_username: c.auto_approve_username.clone(),
        }
    }

    /// The last 2FA code the sandbox "sent" to this user, if any.
    #[napi]
    pub fn verification_code(&self, username: String) -> Option<String> {
        self.inner
            .state
            .tables()
            .verification_codes
            .get(&username)
            .cloned()
    }

    /// Every credential the sandbox issued so far (bearer and refresh tokens, interim step tokens, authorization
    /// codes, streamer session ids): for tests that check nothing printed one.
    #[napi]
    pub fn issued_credentials(&self) -> Vec<String> {
        self.inner.state.issued_credentials()
    }

    /// How many `POST /token` requests arrived (including refused and faulted ones).
    #[napi]
    pub fn token_requests(&self) -> u32 {
        u32::try_from(self.inner.state.observations.token_requests()).unwrap_or(u32::MAX)
    }

    /// How many requests had this method and exact path, e.g. `('GET', '/v1.0/users/@me/info')`.
    #[napi]
    pub fn request_count(&self, method: String, path: String) -> u32 {
        u32::try_from(self.inner.state.observations.count(&method, &path)).unwrap_or(u32::MAX)
    }

    /// The requests the sandbox received (the last 10,000, oldest first), with their raw bodies as text; header
    /// values are never recorded.
    ///
    /// ```js
    /// const body = JSON.parse(sb.recordedRequests().findLast((r) => r.method === 'POST').body)
    /// ```
    #[napi]
    pub fn recorded_requests(&self) -> Vec<RecordedRequest> {
        self.inner
            .state
            .observations
            .requests()
            .into_iter()
            .map(|r| RecordedRequest {
                method: r.method,
                path: r.path,
                query: r.query,
                body: String::from_utf8_lossy(&r.body).into_owned(),
            })
            .collect()
    }

    /// The raw body of the last request with this method and exact path, e.g. `('POST', '/v1.0/accounts/1/orders')`.
    #[napi]
    pub fn last_request_body(&self, method: String, path: String) -> Option<String> {
        self.recorded_requests()
            .into_iter()
            .rev()
            .find(|r| r.method.eq_ignore_ascii_case(&method) && r.path == path)
            .map(|r| r.body)
    }

    /// Fault injection: `sb.faults.inject({ pathPrefix: '/v1.0/users', status: 503, count: 4 })`.
    #[napi(getter)]
    pub fn faults(&self) -> Faults {
        Faults {
            faults: self.inner.state.faults.clone(),
        }
    }

    /// The streamers' controls (quote rate, fault switches, records) for both streamers; `.quote` and `.data`
    /// narrow them to one.
    ///
    /// ```js
    /// sb.streams.quote.malformedOnce()          // the next quote frame is invalid JSON
    /// sb.streams.data.dropEveryMessages(3)      // the data connection drops after every 3rd message
    /// sb.streams.dataMessagesForAccount(id)     // what the sandbox produced for an account, in order
    /// ```
    #[napi(getter)]
    pub fn streams(&self) -> SandboxStreams {
        SandboxStreams {
            streams: Streams::new(self.inner.state.streams.clone()),
        }
    }

    /// Makes every token issued so far expired (refresh tokens stay valid).
    #[napi]
    pub fn expire_tokens(&self) {
        self.inner.state.tables().expire_all();
    }

    /// A client of a seeded user, configured for this sandbox (no `AUTOSHARES_*` variable is read).
    #[napi]
    pub fn client(&self, env: Env, options: SandboxClientOptions) -> Result<Client> {
        self.build_client(options)
            .map_err(|e| crate::error::core(&env, &e))
    }

    /// Stops the server (open connections get up to 2 s). Idempotent.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn close<'env>(
        &self,
        env: &'env Env,
        options: Option<CallOptions>,
    ) -> Result<PromiseRaw<'env, ()>> {
        let sb = self.inner.sandbox.lock().ok().and_then(|mut s| s.take());
        self.inner.life.close();
        let fut = async move {
            if let Some(sb) = sb {
                sb.shutdown().await;
            }
            Ok(())
        };
        call::spawn(env, &Lifecycle::new(), options, fut, |v| v)
    }

    /// Same as `close()`.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn stop<'env>(
        &self,
        env: &'env Env,
        options: Option<CallOptions>,
    ) -> Result<PromiseRaw<'env, ()>> {
        self.close(env, options)
    }
}

impl Sandbox {
    fn build_client(&self, o: SandboxClientOptions) -> autoshares::Result<Client> {
        if self.inner.life.is_closed() {
            return Err(closed());
        }
        let user = self
            .inner
            .config
            .users
            .iter()
            .find(|u| u.username == o.user)
            .cloned()
            .ok_or_else(|| autoshares::Error::Validation {
                field: "user".into(),
                message: format!("`{}` is not a sandbox user", o.user),
            })?;
        let mut config = autoshares::Config::builder()
            .base_url(self.inner.url.clone())
            .app_key(self.inner.config.app_key.clone())
            .ignore_env()
            .timeout(Duration::from_millis(o.timeout_ms.unwrap_or(10_000).into()))
            .max_retries(o.max_retries.unwrap_or(3));
        if let Some(path) = &o.order_journal {
            config = config.order_journal(path.clone());
        }
        let config = config.build()?;
        let builder = autoshares::Client::builder().config(config);
        match o.login.as_deref() {
            None | Some("password") => {
                let state = self.inner.state.clone();
                let name = user.username.clone();
                let mut login = PasswordLogin::new(user.username.clone(), user.password.clone())
                    .verification_code_with(move |_challenge| {
                        let code = state.tables().verification_codes.get(&name).cloned();
                        async move { Ok(code.map(autoshares::Secret::new)) }
                    });
                if let Some(pin) = user.pin {
                    login = login.pin(pin);
                }
                Ok(Client::from_core(builder.login(login).build()?, None))
            }
            Some("oauth") => {
                let c = &self.inner.config.oauth;
                let login = OAuthLogin::new(&self.inner.url, c.client_id.clone())?
                    .client_secret(c.client_secret.clone())
                    .browser(http_browser());
                let core = builder.login(login.clone()).build()?;
                Ok(Client::from_core(
                    core,
                    Some((login, c.redirect_uris.first().cloned())),
                ))
            }
            Some(other) => Err(autoshares::Error::Validation {
                field: "login".into(),
                message: format!("`{other}` is not 'password' or 'oauth'"),
            }),
        }
    }
}

/// The sandbox's stand-in for a browser: follows the authorize redirect to the loopback listener.
fn http_browser() -> Browser {
    Browser::custom(|url| async move {
        let resp = reqwest::get(url.as_str())
            .await
            .map_err(|e| autoshares::Error::Auth {
                kind: autoshares::AuthErrorKind::Cancelled,
                step: "authorize".into(),
                message: format!("the sandbox browser failed: {e}"),
            })?;
        let _ = resp.bytes().await;
        Ok(())
    })
}

/// Fault injection rules of a sandbox.
#[napi]
pub struct Faults {
    faults: autoshares_sandbox::Faults,
}

#[napi]
impl Faults {
    /// Adds a rule.
    #[napi]
    pub fn inject(&self, rule: FaultOptions) {
        let method = rule.method.unwrap_or_default();
        let status = u16::try_from(rule.status).unwrap_or(500);
        let mut r = FaultRule::new(&method, &rule.path_prefix, rule.count.unwrap_or(1), status);
        if method.is_empty() {
            r.method = None;
        }
        if let Some(v) = rule.retry_after {
            r = r.with_retry_after(&v);
        }
        if rule.after_act == Some(true) {
            r = r.after_act();
        }
        self.faults.inject(r);
    }

    /// Removes every rule.
    #[napi]
    pub fn clear(&self) {
        self.faults.clear();
    }

    /// How many responses were faulted so far.
    #[napi(getter)]
    pub fn injected_count(&self) -> u32 {
        u32::try_from(self.faults.injected_count()).unwrap_or(u32::MAX)
    }

    /// Random faults on every request at once (a soak test's weather): shares between 0 and 1, drawn from
    /// `seed`; `null` switches them off.
    #[napi]
    pub fn set_chaos(&self, chaos: Option<ChaosOptions>) -> Result<()> {
        let chaos = chaos.map(ChaosOptions::into_sandbox).transpose()?;
        self.faults.set_chaos(chaos);
        Ok(())
    }

    /// Faults injected so far, by kind.
    #[napi]
    pub fn counts(&self) -> FaultCounts {
        let c = self.faults.counts();
        let n = |v: u64| u32::try_from(v).unwrap_or(u32::MAX);
        FaultCounts {
            rules: n(c.rules),
            server_errors: n(c.server_errors),
            rate_limited: n(c.rate_limited),
            errors_after_act: n(c.errors_after_act),
            resets_after_act: n(c.resets_after_act),
            malformed: n(c.malformed),
            spikes: n(c.spikes),
            total: n(c.total()),
        }
    }
}

/// `sandbox.faults.setChaos({...})`: the share of requests (0 to 1) getting each fault.
#[napi(object)]
pub struct ChaosOptions {
    /// Seed of the draws (the same seed, the same faults for the same requests).
    pub seed: Option<u32>,
    /// Answered 500/502/503 before acting.
    pub server_errors: Option<f64>,
    /// Answered 429 with `Retry-After: 1`.
    pub rate_limited: Option<f64>,
    /// Handled, then answered 502 (the change stays).
    pub errors_after_act: Option<f64>,
    /// Handled, then the body is cut (the change stays).
    pub resets_after_act: Option<f64>,
    /// Answered 200 with a truncated JSON body, before acting.
    pub malformed: Option<f64>,
    /// Milliseconds added to every request.
    pub latency_ms: Option<u32>,
    /// Requests with an extra spike of `spikeMs`.
    pub spikes: Option<f64>,
    /// Length of a spike in milliseconds.
    pub spike_ms: Option<u32>,
}

impl ChaosOptions {
    fn into_sandbox(self) -> Result<autoshares_sandbox::Chaos> {
        let share = |name: &str, v: Option<f64>| -> Result<f64> {
            let v = v.unwrap_or(0.0);
            if (0.0..=1.0).contains(&v) {
                Ok(v)
            } else {
                Err(Error::new(
                    Status::InvalidArg,
                    format!("chaos.{name} must be a share between 0 and 1, got {v}"),
                ))
            }
        };
        Ok(autoshares_sandbox::Chaos {
            seed: u64::from(self.seed.unwrap_or(7)),
            server_errors: share("serverErrors", self.server_errors)?,
            rate_limited: share("rateLimited", self.rate_limited)?,
            errors_after_act: share("errorsAfterAct", self.errors_after_act)?,
            resets_after_act: share("resetsAfterAct", self.resets_after_act)?,
            malformed: share("malformed", self.malformed)?,
            latency: Duration::from_millis(u64::from(self.latency_ms.unwrap_or(0))),
            spikes: share("spikes", self.spikes)?,
            spike: Duration::from_millis(u64::from(self.spike_ms.unwrap_or(0))),
        })
    }
}

/// Faults a sandbox injected, by kind (`sandbox.faults.counts()`).
#[napi(object)]
pub struct FaultCounts {
    /// From `inject` rules.
    pub rules: u32,
    /// Chaos 5xx before acting.
    pub server_errors: u32,
    /// Chaos 429s.
    pub rate_limited: u32,
    /// Chaos 502s after acting.
    pub errors_after_act: u32,
    /// Chaos cut bodies after acting.
    pub resets_after_act: u32,
    /// Chaos truncated bodies.
    pub malformed: u32,
    /// Chaos latency spikes.
    pub spikes: u32,
    /// All of them.
    pub total: u32,
}

/// A subscription as a sandbox connection holds it.
#[napi(object)]
pub struct SandboxSubscription {
    /// The wire entity type, e.g. `'Quote'`, `'Order'`.
    pub entity_type: String,
    /// The key as the client sent it (security, account, user or watchlist id).
    pub key: String,
}

/// What the sandbox knows about one streamer connection.
#[napi(object)]
pub struct SandboxConnection {
    /// Connection number, from 1 in the order accepted (both streamers share the numbering).
    pub id: f64,
    /// Which streamer.
    #[napi(ts_type = "Streamer")]
    pub streamer: String,
    /// Whose connection.
    pub user_id: i32,
    /// Current subscriptions.
    pub subscriptions: Vec<SandboxSubscription>,
    /// Streamed messages sent (not session frames, acks or injected malformed frames).
    pub messages_sent: f64,
    /// Every frame sent.
    pub frames_sent: f64,
    /// Injected malformed frames sent.
    pub malformed_sent: f64,
    /// `Subscribe.txt` commands received on it.
    pub subscribe_commands: f64,
    /// Whether a stall holds it now.
    pub stalled: bool,
    /// Whether it is still open.
    pub open: bool,
    /// Why it ended, once it has.
    #[napi(
        ts_type = "'clientClosed' | 'droppedAfterMessages' | 'droppedAfterTime' | 'slowConsumer' | 'shutdown' | 'error'"
    )]
    pub close_reason: Option<String>,
}

impl From<ConnectionRecord> for SandboxConnection {
    fn from(r: ConnectionRecord) -> Self {
        SandboxConnection {
            id: r.id as f64,
            streamer: streamer_name(r.streamer).into(),
            user_id: r.user_id,
            subscriptions: r
                .subscriptions
                .into_iter()
                .map(|x| SandboxSubscription {
                    entity_type: x.entity_type.as_str().into(),
                    key: x.key,
                })
                .collect(),
            messages_sent: r.messages_sent as f64,
            frames_sent: r.frames_sent as f64,
            malformed_sent: r.malformed_sent as f64,
            subscribe_commands: r.subscribe_commands as f64,
            stalled: r.stalled,
            open: r.open,
            close_reason: r.close_reason.map(|c| {
                match c {
                    CloseReason::ClientClosed => "clientClosed",
                    CloseReason::DroppedAfterMessages => "droppedAfterMessages",
                    CloseReason::DroppedAfterTime => "droppedAfterTime",
                    CloseReason::SlowConsumer => "slowConsumer",
                    CloseReason::Shutdown => "shutdown",
                    CloseReason::Error => "error",
                }
                .into()
            }),
        }
    }
}

/// One data message the sandbox produced (whether or not anyone was subscribed).
#[napi(object)]
pub struct SandboxDataMessage {
    /// Production order, from 1.
    pub seq: f64,
    /// The wire entity type: `'Order'`, `'Position'`, `'AccountBalance'`, `'UserBalance'`, ...
    pub entity_type: String,
    /// The subscription key it went to.
    pub key: String,
    /// The trading account it is about.
    pub account_id: Option<i32>,
    /// The order, for `Order` messages.
    pub order_id: Option<i32>,
    /// The order status, for `Order` messages (e.g. `'Filled'`).
    pub status: Option<String>,
    /// The frame exactly as sent.
    pub json: String,
}

impl From<DataRecord> for SandboxDataMessage {
    fn from(r: DataRecord) -> Self {
        SandboxDataMessage {
            seq: r.seq as f64,
            entity_type: r.entity_type.as_str().into(),
            key: r.key,
            account_id: r.account_id,
            order_id: r.order_id,
            status: r.status,
            json: r.json,
        }
    }
}

fn streamer_name(s: SessionType) -> &'static str {
    match s {
        SessionType::Quote => "quote",
        SessionType::Data => "data",
    }
}

/// A count (`0` or more) from JS as core's `Option<u64>`: `null`/`undefined` switch the fault off.
fn count(n: Option<f64>) -> Option<u64> {
    n.filter(|n| n.is_finite() && *n >= 1.0).map(|n| n as u64)
}

fn duration_ms(ms: f64) -> Duration {
    Duration::try_from_secs_f64(ms / 1000.0).unwrap_or(Duration::ZERO)
}

/// The sandbox streamers' controls (docs/STREAMING.md section 5): `sb.streams` acts on both streamers,
/// `sb.streams.quote` and `sb.streams.data` on one. Switches apply to open connections and new ones; message
/// counts are per streamer over the whole run and count streamed messages only.
#[napi]
pub struct SandboxStreams {
    streams: Streams,
}

#[napi]
impl SandboxStreams {
    /// The same controls narrowed to the quote streamer.
    #[napi(getter)]
    pub fn quote(&self) -> SandboxStreams {
        SandboxStreams {
            streams: self.streams.quote(),
        }
    }

    /// The same controls narrowed to the data streamer.
    #[napi(getter)]
    pub fn data(&self) -> SandboxStreams {
        SandboxStreams {
            streams: self.streams.data(),
        }
    }

    /// The quote rate: messages per second per connection, shared round-robin by its securities (0 stops
    /// quotes). Applies to open connections at once.
    #[napi]
    pub fn set_quote_rate(&self, per_second: u32) {
        self.streams.set_quote_rate(per_second);
    }

    /// The quote rate now.
    #[napi(getter)]
    pub fn quote_rate(&self) -> u32 {
        self.streams.quote_rate()
    }

    /// Closes the TCP connection abruptly (no close frame) right after every `n`th streamed message, counted over
    /// the whole run; `null` switches it off.
    #[napi(ts_args_type = "n: number | null")]
    pub fn drop_every_messages(&self, n: Option<f64>) {
        self.streams.drop_every_messages(count(n));
    }

    /// Closes each connection abruptly `ms` after it was accepted (or after this call); `null` switches it off.
    #[napi(ts_args_type = "ms: number | null")]
    pub fn drop_every_ms(&self, ms: Option<f64>) {
        self.streams.drop_every(ms.map(duration_ms));
    }

    /// Stalls every connection (`true`): the socket stays open but nothing is sent or read, so pings go
    /// unanswered; `false` resumes.
    #[napi]
    pub fn stall(&self, on: bool) {
        self.streams.stall(on);
    }

    /// Stalls each connection once it has sent `n` streamed messages; `null` switches it off.
    #[napi(ts_args_type = "n: number | null")]
    pub fn stall_after_messages(&self, n: Option<f64>) {
        self.streams.stall_after_messages(count(n));
    }

    /// Answers WebSocket upgrades `503` for `ms` from now (`0` stops refusing).
    #[napi]
    pub fn refuse_reconnects_for(&self, ms: f64) {
        self.streams.refuse_reconnects_for(duration_ms(ms));
    }

    /// Sends a malformed frame before every `n`th streamed message (the real one follows); `null` switches it
    /// off.
    #[napi(ts_args_type = "n: number | null")]
    pub fn malformed_every(&self, n: Option<f64>) {
        self.streams.malformed_every(count(n));
    }

    /// Sends one malformed frame before the next streamed message (of each streamer in scope).
    #[napi]
    pub fn malformed_once(&self) {
        self.streams.malformed_once();
    }

    /// What malformed frames look like: `'invalidJson'` (default: a message cut in half) or `'badNumber'` (a
    /// numeric field set to `"not-a-number"`).
    #[napi(ts_args_type = "kind: 'invalidJson' | 'badNumber'")]
    pub fn set_malformed_kind(&self, env: Env, kind: String) -> Result<()> {
        let kind = match kind.as_str() {
            "invalidJson" => Malformed::InvalidJson,
            "badNumber" => Malformed::BadNumber,
            other => {
                let e = autoshares::Error::Validation {
                    field: "kind".into(),
                    message: format!("`{other}` is not 'invalidJson' or 'badNumber'"),
                };
                return Err(crate::error::core(&env, &e));
            }
        };
        self.streams.set_malformed_kind(kind);
        Ok(())
    }

    /// Makes the next `MarketDepth` update skip one sequence number.
    #[napi]
    pub fn skip_depth_sequence_once(&self) {
        self.streams.skip_depth_sequence_once();
    }

    /// Behaves like an environment without Level II: depth subscriptions are acknowledged, nothing is sent.
    #[napi]
    pub fn set_depth_silent(&self, on: bool) {
        self.streams.set_depth_silent(on);
    }

    /// Switches every fault of the scope off (the quote rate stays).
    #[napi]
    pub fn clear_faults(&self) {
        self.streams.clear_faults();
    }

    /// Every known connection of the scope (open ones and the last closed ones), oldest first.
    #[napi]
    pub fn connections(&self) -> Vec<SandboxConnection> {
        self.streams
            .connections()
            .into_iter()
            .map(SandboxConnection::from)
            .collect()
    }

    /// The open connections of the scope with their current subscriptions, oldest first.
    #[napi]
    pub fn live_connections(&self) -> Vec<SandboxConnection> {
        self.streams
            .live_connections()
            .into_iter()
            .map(SandboxConnection::from)
            .collect()
    }

    /// Connections accepted (`CreateSession.txt` answered `Ok`) since start.
    #[napi]
    pub fn connections_accepted(&self) -> f64 {
        self.streams.connections_accepted() as f64
    }

    /// Connections refused by `CreateSession.txt` since start.
    #[napi]
    pub fn sessions_rejected(&self) -> f64 {
        self.streams.sessions_rejected() as f64
    }

    /// Upgrades answered 503 by `refuseReconnectsFor` since start.
    #[napi]
    pub fn upgrades_refused(&self) -> f64 {
        self.streams.upgrades_refused() as f64
    }

    /// `Subscribe.txt` commands received since start.
    #[napi]
    pub fn subscribe_commands(&self) -> f64 {
        self.streams.subscribe_commands() as f64
    }

    /// Streamed messages sent since start, over all connections of the scope.
    #[napi]
    pub fn messages_sent(&self) -> f64 {
        self.streams.messages_sent() as f64
    }

    /// Every data message produced (the last 100,000), in production order.
    #[napi]
    pub fn data_messages(&self) -> Vec<SandboxDataMessage> {
        self.streams
            .data_messages()
            .into_iter()
            .map(SandboxDataMessage::from)
            .collect()
    }

    /// The data messages produced about one trading account, in production order.
    #[napi]
    pub fn data_messages_for_account(&self, account_id: i32) -> Vec<SandboxDataMessage> {
        self.streams
            .data_messages_for_account(account_id)
            .into_iter()
            .map(SandboxDataMessage::from)
            .collect()
    }
}

//! `autoshares-sandbox`: a local server speaking the AutoShares (ETNA Trader) wire protocol, with
//! deterministic seeded users and paper trading accounts, an Auth0-style OAuth IdP, fault injection
//! and request recording for tests.
//!
//! Default users (see [`default_users`]; read credentials through [`Sandbox::user`]):
//!
//! | username | password | 2FA | PIN (step name) | notes |
//! |---|---|---|---|---|
//! | `trader` | `trader-pass` | no | no | cash 100000.00 + margin 25000.50; OAuth auto-approved user |
//! | `trader2fa` | `trader2fa-pass` | yes | no | |
//! | `traderpin` | `traderpin-pass` | no | `1234` (`SecutityPin`) | |
//! | `trader2fapin` | `trader2fapin-pass` | yes | `4321` (`SecurityPin`) | |
//! | `expired` | `expired-pass` | no | no | password expired: restricted token only |
//! | `other` | `other-pass` | no | no | margin 50000.25; for "someone else's account" tests |
//!
//! Besides trading, the sandbox keeps real in-memory state for the non-trading areas, each in its own
//! module: user settings, password and PIN changes ([`users`]), agreements ([`agreements`]), streamer
//! discovery ([`streamers`]), ACH relationships ([`ach`]) and transfers ([`transfers`]), IPO offerings
//! ([`ipo`]), news ([`news`]), watchlists ([`watchlists`]) and price alerts ([`alerts`]); their tables
//! live in [`store::Store`]. Values a real user would receive out of band are exposed for tests:
//! [`Sandbox::micro_deposits`], [`Sandbox::reset_pin_code`], [`Sandbox::group_confirmation_token`].
//!
//! The two streaming WebSockets of `docs/STREAMING.md` ([`stream`]) are served at
//! `ws://HOST:PORT/stream/quotes/CreateSession.txt` (quotes, market depth) and
//! `ws://HOST:PORT/stream/data/CreateSession.txt` (orders, positions, balances, watchlists), as
//! `GET /v1.0/streamers` announces them. Quotes come from the same simulated market as REST; data
//! messages come from the paper-trading engine as it changes (the directory lock publishes the
//! engine's journal when released, [`state::DirGuard`]), and the engine runs in the background
//! while someone subscribes, so orders fill without REST calls. [`Sandbox::streams`] sets the
//! quote rate, switches stream faults (drops, stalls, refused upgrades, malformed frames, depth
//! gaps; per streamer) and reads the records (connections and their subscriptions, counts, every
//! data message produced).
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! let sandbox = autoshares_sandbox::Sandbox::start().await?;
//! let trader = sandbox.user("trader").expect("default user");
//! println!("{} {} {}", sandbox.url(), sandbox.app_key(), trader.username);
//! sandbox.shutdown().await;
//! # Ok(()) }
//! ```

#![warn(missing_docs)]
#![recursion_limit = "512"]

pub mod accounts;
pub mod ach;
pub mod agreements;
pub mod alerts;
pub mod auth;
pub mod cli;
pub mod config;
pub mod engine;
pub mod extract;
pub mod faults;
pub mod filter;
pub mod history;
pub mod http;
pub mod indicators;
pub mod ipo;
pub mod listing;
pub mod logo;
pub mod market;
pub mod models;
pub mod mutual_funds;
pub mod news;
pub mod oauth;
pub mod orders;
pub mod portfolio;
pub mod recording;
pub mod securities;
pub mod state;
pub mod store;
pub mod stream;
pub mod streamers;
pub mod transfers;
pub mod users;
pub mod watchlists;
pub mod wire;

use std::net::SocketAddr;
use std::time::Duration;

use axum::middleware::from_fn_with_state;
use axum::Router;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use config::{
    default_users, MarginType, OAuthClientConfig, SandboxConfig, StreamConfig, TestAccountSeed,
    TestUser, PIN_STEP_CORRECT, PIN_STEP_VENDOR,
};
pub use faults::{Chaos, FaultCounts, FaultRule, Faults};
pub use market::{Market, MarketConfig, Quote, Security};
pub use recording::RecordedRequest;
pub use state::AppState;
pub use stream::{
    CloseReason, ConnectionRecord, DataRecord, EntityType, Malformed, Streams, Subscription,
};
pub use streamers::SessionType;

/// The versioned `/v{version}/...` resources, each behind [`http::api_guard`].
pub fn api_routes(state: &AppState) -> Router<AppState> {
    Router::new()
        .merge(users::routes())
        .merge(accounts::routes())
        .merge(non_trading_routes())
        .merge(orders::routes())
        .merge(portfolio::routes())
        .merge(securities::routes())
        .merge(history::routes())
        .merge(mutual_funds::routes())
        .route_layer(from_fn_with_state(state.clone(), http::api_guard))
}

/// The non-trading areas: user settings, agreements, streamers, funding, IPO, news, watchlists, alerts.
fn non_trading_routes() -> Router<AppState> {
    Router::new()
        .merge(agreements::routes())
        .merge(streamers::routes())
        .merge(ach::routes())
        .merge(transfers::routes())
        .merge(ipo::routes())
        .merge(watchlists::routes())
        .merge(alerts::routes())
        .merge(news::routes())
}

/// The whole sandbox application: IdP, `/token`, `/logout` and the versioned resources, with the
/// middleware stack (outermost first) recording, app-key check, fault injection; and the two
/// streaming WebSockets ([`stream::routes`]) outside that stack (their query is their credential:
/// it is never recorded, and they have faults of their own).
pub fn router(state: AppState) -> Router {
    Router::new()
        .merge(oauth::routes())
        .merge(auth::routes())
        .merge(api_routes(&state))
        .merge(ipo::anonymous_routes())
        .fallback(http::fallback)
        .method_not_allowed_fallback(http::method_not_allowed)
        .layer(from_fn_with_state(state.clone(), faults::middleware))
        .layer(from_fn_with_state(state.clone(), http::require_app_key))
        .layer(from_fn_with_state(state.clone(), recording::middleware))
        .merge(stream::routes())
        .with_state(state)
}

/// A running sandbox server on a task of the caller's tokio runtime. Dropping it shuts the server down.
pub struct Sandbox {
    state: AppState,
    config: SandboxConfig,
    addr: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl Sandbox {
    /// Starts a sandbox with the default configuration (ephemeral port on 127.0.0.1, seed 42).
    pub async fn start() -> std::io::Result<Sandbox> {
        Sandbox::start_with(SandboxConfig::default()).await
    }

    /// Starts a sandbox with this configuration.
    pub async fn start_with(config: SandboxConfig) -> std::io::Result<Sandbox> {
        let listener =
            tokio::net::TcpListener::bind(SocketAddr::new(config.host, config.port)).await?;
        let addr = listener.local_addr()?;
        let state = AppState::new(&config, format!("http://{addr}"));
        let app = router(state.clone());
        let (tx, rx) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let server = axum::serve(listener, app).with_graceful_shutdown(async {
                let _ = rx.await;
            });
            if let Err(e) = server.await {
                tracing::warn!(error = %e, "sandbox server stopped with an error");
            }
        });
        Ok(Sandbox {
            state,
            config,
            addr,
            shutdown: Some(tx),
            task: Some(task),
        })
    }

    /// Base URL, e.g. `"http://127.0.0.1:41234"`, without a trailing slash.
    pub fn url(&self) -> String {
        self.state.base_url.clone()
    }

    /// The socket address the server listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// The `Et-App-Key` the sandbox expects.
    pub fn app_key(&self) -> &str {
        &self.config.app_key
    }

    /// The configuration the sandbox was started with.
    pub fn config(&self) -> &SandboxConfig {
        &self.config
    }

    /// The shared state, for extending the sandbox (e.g. custom routes over [`router`]).
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// The configured user with this login (credentials for tests).
    pub fn user(&self, username: &str) -> Option<TestUser> {
        self.config
            .users
            .iter()
            .find(|u| u.username == username)
            .cloned()
    }

    /// The seeded internal user id of this login.
    pub fn user_id(&self, username: &str) -> Option<i32> {
        self.state.dir().user_by_name(username).map(|u| u.id)
    }

    /// The seeded trading account ids of this login, in configuration order.
    pub fn account_ids(&self, username: &str) -> Vec<i32> {
        self.state
            .dir()
            .user_by_name(username)
            .map(|u| u.account_ids.clone())
            .unwrap_or_default()
    }

    /// The registered OAuth client (client id and secret, redirect URIs, auto-approved user).
    pub fn oauth_client(&self) -> OAuthClientConfig {
        self.config.oauth.clone()
    }

    /// The last verification code "sent" to this user by `POST /token` (each code is only good for
    /// the interim token it was sent with).
    pub fn verification_code(&self, username: &str) -> Option<String> {
        self.state
            .tables()
            .verification_codes
            .get(username)
            .cloned()
    }

    /// The PIN "e-mailed" by the last `POST /users/{id}/pincode` reset of this user, if any.
    pub fn reset_pin_code(&self, username: &str) -> Option<String> {
        let id = self.user_id(username)?;
        self.state.rest().pin_resets.get(&id).cloned()
    }

    /// The confirmation token that admits this user to the ProTrader group (`POST /users/{id}/group`).
    pub fn group_confirmation_token(&self, username: &str) -> Option<String> {
        let id = self.user_id(username)?;
        Some(users::group_confirmation_token(&self.state.rest(), id))
    }

    /// The two micro-deposit amounts "sent" for an ACH relationship (by its GUID), to confirm it with
    /// `POST .../ach-relationships/{id}/approve`.
    pub fn micro_deposits(&self, ach_id: &str) -> Option<Vec<rust_decimal::Decimal>> {
        let id = uuid::Uuid::parse_str(ach_id).ok()?;
        self.state
            .rest()
            .ach
            .get(&id)
            .map(|a| a.micro_deposits.clone())
    }

    /// How many `POST /token` requests have been received, including rejected (403) and faulted ones.
    pub fn token_requests(&self) -> u64 {
        self.state.observations.token_requests()
    }

    /// How many `POST /oauth/token` requests came with this `grant_type` (`""` counts missing ones),
    /// including failed and faulted ones.
    pub fn oauth_token_requests(&self, grant_type: &str) -> u64 {
        self.state.observations.oauth_token_requests(grant_type)
    }

    /// How many requests had this method and exact path (as sent, not percent-decoded), e.g.
    /// `("GET", "/v1.0/users/@me/info")`. Faulted and rejected requests count too.
    pub fn request_count(&self, method: &str, path: &str) -> u64 {
        self.state.observations.count(method, path)
    }

    /// The last (up to 10,000) requests, oldest first; header values are never recorded.
    pub fn recorded_requests(&self) -> Vec<RecordedRequest> {
        self.state.observations.requests()
    }

    /// A handle on the fault-injection rules.
    pub fn faults(&self) -> Faults {
        self.state.faults.clone()
    }

    /// The control of the streaming WebSockets (both streamers; narrow it with
    /// [`Streams::quote`] or [`Streams::data`]): quote rate, faults and records.
    pub fn streams(&self) -> Streams {
        Streams::new(self.state.streams.clone())
    }

    /// Makes every ETNA session, restricted and OAuth access token issued so far expired now;
    /// refresh tokens stay valid.
    pub fn expire_tokens(&self) {
        self.state.tables().expire_all();
    }

    /// Makes every interim token of the `/token` step machine expired now (as after 5 minutes).
    pub fn expire_interim_tokens(&self) {
        let now = tokio::time::Instant::now();
        for ticket in self.state.tables().tickets.values_mut() {
            ticket.expires_at = now;
        }
    }

    /// Stops the server: signals a graceful shutdown, waits up to 2 s for open connections, then aborts.
    pub async fn shutdown(mut self) {
        self.state.streams.shutdown();
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(mut task) = self.task.take() {
            if tokio::time::timeout(Duration::from_secs(2), &mut task)
                .await
                .is_err()
            {
                task.abort();
            }
        }
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        self.state.streams.shutdown();
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        // Connections still open keep the task alive briefly; abort so nothing outlives the sandbox.
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

impl std::fmt::Debug for Sandbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sandbox")
            .field("url", &self.state.base_url)
            .finish()
    }
}

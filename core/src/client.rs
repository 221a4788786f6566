//! The client: configuration, session and transport behind one cheap-to-clone handle.

use std::fmt;
use std::sync::Arc;

use crate::auth::manager::TokenManager;
use crate::auth::{
    AuthContext, FileTokenStore, MemoryTokenStore, OAuthLogin, PasswordLogin, StaticSecondFactor,
    StoredSession, Token, TokenProvider, TokenStore,
};
use crate::config::{Config, Environment};
use crate::error::{Error, Result};
use crate::journal::OrderJournal;
use crate::ratelimit::{RateLimiter, RateLimits};
use crate::transport::{Operation, Transport};

/// An AutoShares API client. Cloning is cheap and clones share the session and connection pool.
///
/// ```no_run
/// # async fn run() -> autoshares::Result<()> {
/// use autoshares::{Client, Config, auth::PasswordLogin};
/// let client = Client::builder()
///     .config(Config::sandbox("http://127.0.0.1:8080", "sandbox-app-key")?)
///     .login(PasswordLogin::new("trader", "password"))
///     .build()?;
/// let me = client.users().me().await?;
/// let accounts = client.accounts().mine().await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    transport: Transport,
    tokens: Arc<TokenManager>,
    ctx: AuthContext,
    journal: Option<Arc<OrderJournal>>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("environment", &self.inner.ctx.config.environment())
            .field("base_url", &self.inner.ctx.config.base_url().as_str())
            .field("session", &self.inner.tokens)
            .finish()
    }
}

impl Client {
    /// Starts a builder.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// A client from `AUTOSHARES_*` variables alone (sandbox by default; password login from
    /// `AUTOSHARES_USERNAME`/`AUTOSHARES_PASSWORD`, or OAuth from `AUTOSHARES_OAUTH_*`).
    pub fn from_env() -> Result<Client> {
        Client::builder().build()
    }

    pub(crate) fn transport(&self) -> &Transport {
        &self.inner.transport
    }

    /// The order intent journal, when one was set ([`ClientBuilder::order_journal`]).
    pub fn order_journal(&self) -> Option<&OrderJournal> {
        self.inner.journal.as_deref()
    }

    /// Reconciles the journal's pending intents (see [`OrderJournal::reconcile`]): what each place, replace or
    /// cancel that a previous run could not confirm actually did. A `Config` error without a journal.
    pub async fn reconcile_journal(&self) -> Result<Vec<crate::journal::Reconciled>> {
        match self.order_journal() {
            Some(j) => j.reconcile(self).await,
            None => Err(Error::config(
                "order_journal",
                "no order journal is set: ClientBuilder::order_journal(OrderJournal::open(path)?)",
            )),
        }
    }

    /// The resolved configuration.
    pub fn config(&self) -> &Config {
        &self.inner.ctx.config
    }

    /// What token providers need (HTTP client and configuration), for driving a login step by step, e.g.
    /// [`OAuthLogin::authorization_request`] then [`OAuthLogin::exchange`] in a notebook.
    pub fn auth_context(&self) -> &AuthContext {
        &self.inner.ctx
    }

    /// Logs in now (calls would otherwise log in on first use), replacing any cached token.
    pub async fn login(&self) -> Result<()> {
        self.inner.tokens.login().await.map(|_| ())
    }

    /// Uses `token` for this session from now on (the end of a step-by-step login), saving it to the token store.
    pub async fn install_token(&self, token: Token) -> Result<()> {
        self.inner.tokens.install_external(token).await
    }

    /// Ends the session: `POST /logout` on the server, and the token is forgotten here and in the token store.
    pub async fn logout(&self) -> Result<()> {
        self.inner.tokens.logout().await
    }

    /// The token-store key of this client's session (`password:trader@http://127.0.0.1:8080/token`, ...): who
    /// is logged in where. It holds no secret.
    pub fn session_key(&self) -> &str {
        self.inner.tokens.key()
    }

    /// How many times this session asked its provider for a token (logins and refreshes).
    pub fn token_requests(&self) -> u64 {
        self.inner.tokens.provider_calls()
    }

    /// Every vendor-spec operation this client implements, for coverage counts.
    pub fn operations() -> &'static [&'static Operation] {
        crate::api::OPERATIONS
    }
}

/// Builder of [`Client`].
#[derive(Default)]
pub struct ClientBuilder {
    config: Option<Config>,
    provider: Option<Arc<dyn TokenProvider>>,
    store: Option<Arc<dyn TokenStore>>,
    rate_limits: Option<RateLimits>,
    journal: Option<Arc<OrderJournal>>,
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("config", &self.config)
            .field("provider", &self.provider)
            .field("store", &self.store)
            .field("rate_limits", &self.rate_limits)
            .field("journal", &self.journal.as_ref().map(|j| j.path()))
            .finish()
    }
}

impl ClientBuilder {
    /// The configuration; without it, [`Config::builder`]`().build()` (environment variables, then defaults).
    pub fn config(mut self, config: Config) -> Self {
        self.config = Some(config);
        self
    }

    /// How to log in. Without it: a [`PasswordLogin`] from the configured username and password, else an
    /// [`OAuthLogin`] from the configured OAuth settings, else the [`StoredSession`] of this deployment found
    /// in the token store.
    pub fn login(mut self, provider: impl TokenProvider + 'static) -> Self {
        self.provider = Some(Arc::new(provider));
        self
    }

    /// Like [`ClientBuilder::login`], for a provider already behind an `Arc`.
    pub fn login_shared(mut self, provider: Arc<dyn TokenProvider>) -> Self {
        self.provider = Some(provider);
        self
    }

    /// Where tokens are kept. Without it: a [`FileTokenStore`] at the configured token file, else memory.
    /// Without a login either, a session already in the store for this deployment is used
    /// ([`StoredSession`], e.g. one `autoshares login` saved).
    pub fn token_store(mut self, store: impl TokenStore + 'static) -> Self {
        self.store = Some(Arc::new(store));
        self
    }

    /// Client-side rate limits: calls over a limit wait their turn (see [`crate::ratelimit`]). Default: none
    /// for the local sandbox, [`RateLimits::published`] for every other environment.
    pub fn rate_limits(mut self, limits: RateLimits) -> Self {
        self.rate_limits = Some(limits);
        self
    }

    /// An order intent journal ([`crate::journal`]): every place, replace and cancel is written down before it
    /// is sent and marked finished when its outcome is known, so a restarted process can finish reconciling
    /// with [`Client::reconcile_journal`]. Default: the configured `order_journal` file, else none.
    pub fn order_journal(mut self, journal: OrderJournal) -> Self {
        self.journal = Some(Arc::new(journal));
        self
    }

    /// Builds the client. Nothing is sent until the first call.
    pub fn build(self) -> Result<Client> {
        let config = match self.config {
            Some(c) => c,
            None => Config::builder().build()?,
        };
        let store: Arc<dyn TokenStore> = match (self.store, config.token_file()) {
            (Some(s), _) => s,
            (None, Some(path)) => Arc::new(FileTokenStore::new(path.clone())),
            (None, None) => Arc::new(MemoryTokenStore::new()),
        };
        let provider: Arc<dyn TokenProvider> = match self.provider {
            Some(p) => p,
            None => default_provider(&config, store.as_ref())?,
        };
        let journal = match (self.journal, config.order_journal()) {
            (Some(j), _) => Some(j),
            (None, Some(path)) => Some(Arc::new(OrderJournal::open(path)?)),
            (None, None) => None,
        };
        let config = Arc::new(config);
        let http = Transport::http_for(&config)?;
        let ctx = AuthContext {
            http: http.clone(),
            config: config.clone(),
        };
        let tokens = Arc::new(TokenManager::new(provider, store, ctx.clone()));
        let limits = self
            .rate_limits
            .unwrap_or_else(|| match config.environment() {
                Environment::Sandbox => RateLimits::none(),
                _ => RateLimits::published(),
            });
        let transport = Transport {
            http,
            config,
            tokens: Some(tokens.clone()),
            limiter: Arc::new(RateLimiter::new(limits)),
        };
        Ok(Client {
            inner: Arc::new(Inner {
                transport,
                tokens,
                ctx,
                journal,
            }),
        })
    }
}

fn default_provider(config: &Config, store: &dyn TokenStore) -> Result<Arc<dyn TokenProvider>> {
    if let (Some(user), Some(password)) = (config.username(), config.password()) {
        let login = PasswordLogin::new(user, password.clone()).second_factor(Arc::new(
            StaticSecondFactor {
                verification_code: None,
                pin: config.pin().cloned(),
            },
        ));
        return Ok(Arc::new(login));
    }
    if let Some(oauth) = config.oauth() {
        return Ok(Arc::new(OAuthLogin::from_settings(oauth)?));
    }
    if let Some(session) = StoredSession::find(store, config)? {
        return Ok(Arc::new(session));
    }
    Err(Error::config(
        "login",
        "no way to log in: pass .login(..), or set AUTOSHARES_USERNAME and AUTOSHARES_PASSWORD, or the AUTOSHARES_OAUTH_* settings, or log in once with `autoshares login` and use its token file",
    ))
}

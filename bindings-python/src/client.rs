//! `AsyncClient` and `Client` (core `client.rs`): the same methods, awaitable or blocking.
//!
//! Both wrap one `Arc<Shared>` (the core client, which is itself a cheap handle, plus the OAuth login for the
//! two-step notebook flow). Areas are attributes (`client.users`, `client.orders`, ...) whose classes live in
//! `api/<area>.rs`; their getters, between the `@generated` markers below, are written by `scripts/gen_python.py`.
//! Every method is the same short block: take the core handle, convert the arguments, hand the core future to
//! `runtime::spawn_async` (awaitable) or `runtime::block_on` (blocking).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::auth::{AuthorizationRequest, OAuthLogin, PasswordLogin};
use crate::config::ConfigArgs;
use crate::errors::IntoPyResult;
use crate::runtime::{block_on, spawn_async};

/// The keyword arguments the constructors accept besides `login` (the core `ConfigBuilder` setters).
pub const OPTIONS: &[&str] = &[
    "environment",
    "base_url",
    "token_url",
    "app_key",
    "api_version",
    "timeout",
    "connect_timeout",
    "user_agent",
    "max_retries",
    "token_lifetime",
    "refresh_leeway",
    "allow_live",
    "username",
    "password",
    "pin",
    "token_file",
    "order_journal",
    "oauth_issuer",
    "oauth_client_id",
    "oauth_client_secret",
    "use_env",
];

/// What both clients share.
pub struct Shared {
    client: autoshares::Client,
    oauth: Option<OAuthLogin>,
    closed: AtomicBool,
}

impl Shared {
    /// The core client, or `ConfigError` once closed.
    pub fn core(&self, py: Python<'_>) -> PyResult<autoshares::Client> {
        if self.closed.load(Ordering::Acquire) {
            return Err(crate::errors::config(py, "client", "this client is closed"));
        }
        Ok(self.client.clone())
    }

    fn oauth(&self, py: Python<'_>) -> PyResult<OAuthLogin> {
        self.oauth.clone().ok_or_else(|| {
            crate::errors::config(
                py,
                "login",
                "the two-step login needs a client built with login=OAuthLogin(...)",
            )
        })
    }

    /// Builds the core client from the constructor's arguments.
    pub fn build(
        py: Python<'_>,
        login: Option<&Bound<'_, PyAny>>,
        options: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Arc<Shared>> {
        let args = match options {
            Some(d) => {
                for key in d.keys() {
                    let key: String = key.extract()?;
                    if !OPTIONS.contains(&key.as_str()) {
                        return Err(PyTypeError::new_err(format!(
                            "unexpected keyword argument `{key}`"
                        )));
                    }
                }
                ConfigArgs::from_dict(d)?
            }
            None => ConfigArgs::default(),
        };
        let config = args.build(py)?;
        Self::from_config(py, config, login)
    }

    /// Builds the core client from a resolved configuration and a login object.
    pub fn from_config(
        py: Python<'_>,
        config: autoshares::Config,
        login: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Arc<Shared>> {
        let mut builder = autoshares::Client::builder().config(config);
        let mut oauth = None;
        match login.filter(|l| !l.is_none()) {
            None => {}
            Some(l) => {
                if let Ok(p) = l.cast::<PasswordLogin>() {
                    builder = builder.login(p.get().core.clone());
                } else if let Ok(o) = l.cast::<OAuthLogin>() {
                    builder = builder.login(o.get().core.clone());
                    oauth = Some(o.get().clone());
                } else {
                    return Err(PyTypeError::new_err(
                        "login must be a PasswordLogin or an OAuthLogin",
                    ));
                }
            }
        }
        let client = builder.build().py_err(py)?;
        Ok(Arc::new(Shared {
            client,
            oauth,
            closed: AtomicBool::new(false),
        }))
    }

    fn repr(&self, class: &str) -> String {
        let c = self.client.config();
        format!(
            "{class}(environment={:?}, base_url={:?})",
            c.environment().name(),
            c.base_url().as_str()
        )
    }

    fn describe(&self) -> Vec<(&'static str, String, String)> {
        self.client
            .config()
            .describe()
            .iter()
            .map(|e| (e.name, e.value.clone(), e.source.to_string()))
            .collect()
    }
}

async fn complete(
    client: autoshares::Client,
    oauth: OAuthLogin,
    request: Arc<autoshares::auth::AuthorizationRequest>,
    redirect_url: String,
) -> autoshares::Result<()> {
    let code = request.code_from_redirect(&redirect_url)?;
    let token = oauth
        .core
        .exchange(client.auth_context(), &request, &code)
        .await?;
    client.install_token(token).await
}

async fn authorize(
    client: autoshares::Client,
    oauth: OAuthLogin,
    redirect_uri: Option<String>,
) -> autoshares::Result<AuthorizationRequest> {
    let uri =
        redirect_uri
            .or(oauth.redirect_uri.clone())
            .ok_or_else(|| autoshares::Error::Config {
                field: "redirect_uri".into(),
                message: "pass the registered redirect_uri (here or to OAuthLogin)".into(),
            })?;
    let request = oauth
        .core
        .authorization_request(client.auth_context(), &uri)
        .await?;
    Ok(AuthorizationRequest {
        core: Arc::new(request),
    })
}

/// The asynchronous client: every method returns an awaitable (usable in Jupyter's running loop).
///
/// ```python
/// async with AsyncClient(base_url=sb.url, app_key=sb.app_key, login=PasswordLogin("trader", "...")) as client:
///     me = await client.users.me()
/// ```
#[pyclass(frozen, module = "autoshares")]
pub struct AsyncClient {
    pub(crate) shared: Arc<Shared>,
}

#[pymethods]
impl AsyncClient {
    #[new]
    #[pyo3(signature = (*, login = None, **options))]
    fn new(
        py: Python<'_>,
        login: Option<&Bound<'_, PyAny>>,
        options: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Self> {
        Ok(AsyncClient {
            shared: Shared::build(py, login, options)?,
        })
    }

    // @generated async area getters (scripts/gen_python.py): begin
    /// `Users` operations (core `client.users()`).
    #[getter]
    fn users(&self) -> crate::api::users::AsyncUsers {
        crate::api::users::AsyncUsers {
            shared: self.shared.clone(),
        }
    }

    /// `UserAccounts` operations (core `client.accounts()`).
    #[getter]
    fn accounts(&self) -> crate::api::accounts::AsyncAccounts {
        crate::api::accounts::AsyncAccounts {
            shared: self.shared.clone(),
        }
    }

    /// `Agreements` operations (core `client.agreements()`).
    #[getter]
    fn agreements(&self) -> crate::api::agreements::AsyncAgreements {
        crate::api::agreements::AsyncAgreements {
            shared: self.shared.clone(),
        }
    }

    /// `Orders` operations (core `client.orders()`).
    #[getter]
    fn orders(&self) -> crate::api::orders::AsyncOrders {
        crate::api::orders::AsyncOrders {
            shared: self.shared.clone(),
        }
    }

    /// `SyncOrders` operations (core `client.sync_orders()`).
    #[getter]
    fn sync_orders(&self) -> crate::api::sync_orders::AsyncSyncOrders {
        crate::api::sync_orders::AsyncSyncOrders {
            shared: self.shared.clone(),
        }
    }

    /// `MutualFunds` operations (core `client.mutual_funds()`).
    #[getter]
    fn mutual_funds(&self) -> crate::api::mutual_funds::AsyncMutualFunds {
        crate::api::mutual_funds::AsyncMutualFunds {
            shared: self.shared.clone(),
        }
    }

    /// `Positions` operations (core `client.positions()`).
    #[getter]
    fn positions(&self) -> crate::api::positions::AsyncPositions {
        crate::api::positions::AsyncPositions {
            shared: self.shared.clone(),
        }
    }

    /// `Transactions` operations (core `client.transactions()`).
    #[getter]
    fn transactions(&self) -> crate::api::transactions::AsyncTransactions {
        crate::api::transactions::AsyncTransactions {
            shared: self.shared.clone(),
        }
    }

    /// `Securities` operations (core `client.securities()`).
    #[getter]
    fn securities(&self) -> crate::api::securities::AsyncSecurities {
        crate::api::securities::AsyncSecurities {
            shared: self.shared.clone(),
        }
    }

    /// `HistoricalTradeData` operations (core `client.history()`).
    #[getter]
    fn history(&self) -> crate::api::history::AsyncHistory {
        crate::api::history::AsyncHistory {
            shared: self.shared.clone(),
        }
    }

    /// `Watchlists` operations (core `client.watchlists()`).
    #[getter]
    fn watchlists(&self) -> crate::api::watchlists::AsyncWatchlists {
        crate::api::watchlists::AsyncWatchlists {
            shared: self.shared.clone(),
        }
    }

    /// `PriceAlerts` operations (core `client.price_alerts()`).
    #[getter]
    fn price_alerts(&self) -> crate::api::price_alerts::AsyncPriceAlerts {
        crate::api::price_alerts::AsyncPriceAlerts {
            shared: self.shared.clone(),
        }
    }

    /// `AchRelationships` operations (core `client.ach_relationships()`).
    #[getter]
    fn ach_relationships(&self) -> crate::api::ach_relationships::AsyncAchRelationships {
        crate::api::ach_relationships::AsyncAchRelationships {
            shared: self.shared.clone(),
        }
    }

    /// `Transfers` operations (core `client.transfers()`).
    #[getter]
    fn transfers(&self) -> crate::api::transfers::AsyncTransfers {
        crate::api::transfers::AsyncTransfers {
            shared: self.shared.clone(),
        }
    }

    /// `Ipo` operations (core `client.ipo()`).
    #[getter]
    fn ipo(&self) -> crate::api::ipo::AsyncIpo {
        crate::api::ipo::AsyncIpo {
            shared: self.shared.clone(),
        }
    }

    /// `News` operations (core `client.news()`).
    #[getter]
    fn news(&self) -> crate::api::news::AsyncNews {
        crate::api::news::AsyncNews {
            shared: self.shared.clone(),
        }
    }

    /// `Streamer` operations (core `client.streamers()`).
    #[getter]
    fn streamers(&self) -> crate::api::streamers::AsyncStreamers {
        crate::api::streamers::AsyncStreamers {
            shared: self.shared.clone(),
        }
    }

    // @generated async area getters: end

    /// Starts a stream of quotes, depth and account events (core `client.stream()`): awaitable of an
    /// `autoshares.stream.AsyncStream` (`async for event in stream`, `async with` closes it).
    ///
    /// Subscriptions: `quotes=`, `depth=` (symbols or security ids), `accounts=` (orders, positions and balance),
    /// `orders=`, `positions=`, `balances=` (account ids), `user_balance=True`, `watchlists=True`,
    /// `watchlist_content=` (watchlist ids). Tuning: `config=StreamConfig(...)` and/or its keyword arguments
    /// (`stale_after=`, `market_hours=`, ...). Unknown symbols and foreign accounts are a `ValidationError`
    /// before anything connects.
    #[pyo3(signature = (*, config = None, **options))]
    fn stream<'py>(
        &self,
        py: Python<'py>,
        config: Option<&Bound<'py, crate::stream::StreamConfig>>,
        options: Option<&Bound<'py, PyDict>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let args = crate::stream::start_args(py, config, options)?;
        let c = self.shared.core(py)?;
        spawn_async(py, crate::stream::start(c, args), crate::stream::Started)
    }

    /// Logs in now (calls otherwise log in on first use).
    fn login<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let c = self.shared.core(py)?;
        spawn_async(py, async move { c.login().await }, |()| ())
    }

    /// Ends the session on the server and forgets the token.
    fn logout<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let c = self.shared.core(py)?;
        spawn_async(py, async move { c.logout().await }, |()| ())
    }

    /// What each order intent in the `order_journal` that a previous run could not confirm actually did: a list
    /// of `ReconciledIntent` (nothing is sent again). `ConfigError` without a journal.
    fn reconcile_journal<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let c = self.shared.core(py)?;
        spawn_async(
            py,
            async move { c.reconcile_journal().await },
            crate::journal::to_list,
        )
    }

    /// First step of the notebook OAuth flow: the authorize URL (open it, log in, copy the address you land on).
    #[pyo3(signature = (redirect_uri = None))]
    fn authorization_request<'py>(
        &self,
        py: Python<'py>,
        redirect_uri: Option<String>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (c, o) = (self.shared.core(py)?, self.shared.oauth(py)?);
        spawn_async(py, authorize(c, o, redirect_uri), |r| r)
    }

    /// Second step: checks `state`, exchanges the code (PKCE) and installs the token.
    fn complete_login<'py>(
        &self,
        py: Python<'py>,
        request: &AuthorizationRequest,
        redirect_url: String,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (c, o) = (self.shared.core(py)?, self.shared.oauth(py)?);
        spawn_async(
            py,
            complete(c, o, request.core.clone(), redirect_url),
            |()| (),
        )
    }

    /// Releases the client; later calls raise `ConfigError`. The session is not logged out.
    fn close<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.shared.closed.store(true, Ordering::Release);
        spawn_async(py, async { Ok(()) }, |()| ())
    }

    fn __aenter__<'py>(slf: Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        let py = slf.py();
        let me = slf.unbind();
        spawn_async(py, async move { Ok(me) }, |m| m)
    }

    #[pyo3(signature = (*_args))]
    fn __aexit__<'py>(
        &self,
        py: Python<'py>,
        _args: &Bound<'py, pyo3::types::PyTuple>,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.close(py)
    }

    /// How many times this session asked for a token (logins and refreshes).
    #[getter]
    fn token_requests(&self) -> u64 {
        self.shared.client.token_requests()
    }

    /// Every configuration value with its printable form and source (`argument`, `env AUTOSHARES_...`, `default`).
    fn describe_config(&self) -> Vec<(&'static str, String, String)> {
        self.shared.describe()
    }

    fn __repr__(&self) -> String {
        self.shared.repr("AsyncClient")
    }
}

/// The blocking client: the methods of `AsyncClient`, returning results; the GIL is released while waiting and
/// Ctrl-C interrupts the wait.
#[pyclass(frozen, module = "autoshares")]
pub struct Client {
    pub(crate) shared: Arc<Shared>,
}

#[pymethods]
impl Client {
    #[new]
    #[pyo3(signature = (*, login = None, **options))]
    fn new(
        py: Python<'_>,
        login: Option<&Bound<'_, PyAny>>,
        options: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Self> {
        Ok(Client {
            shared: Shared::build(py, login, options)?,
        })
    }

    // @generated area getters (scripts/gen_python.py): begin
    /// `Users` operations (core `client.users()`).
    #[getter]
    fn users(&self) -> crate::api::users::Users {
        crate::api::users::Users {
            shared: self.shared.clone(),
        }
    }

    /// `UserAccounts` operations (core `client.accounts()`).
    #[getter]
    fn accounts(&self) -> crate::api::accounts::Accounts {
        crate::api::accounts::Accounts {
            shared: self.shared.clone(),
        }
    }

    /// `Agreements` operations (core `client.agreements()`).
    #[getter]
    fn agreements(&self) -> crate::api::agreements::Agreements {
        crate::api::agreements::Agreements {
            shared: self.shared.clone(),
        }
    }

    /// `Orders` operations (core `client.orders()`).
    #[getter]
    fn orders(&self) -> crate::api::orders::Orders {
        crate::api::orders::Orders {
            shared: self.shared.clone(),
        }
    }

    /// `SyncOrders` operations (core `client.sync_orders()`).
    #[getter]
    fn sync_orders(&self) -> crate::api::sync_orders::SyncOrders {
        crate::api::sync_orders::SyncOrders {
            shared: self.shared.clone(),
        }
    }

    /// `MutualFunds` operations (core `client.mutual_funds()`).
    #[getter]
    fn mutual_funds(&self) -> crate::api::mutual_funds::MutualFunds {
        crate::api::mutual_funds::MutualFunds {
            shared: self.shared.clone(),
        }
    }

    /// `Positions` operations (core `client.positions()`).
    #[getter]
    fn positions(&self) -> crate::api::positions::Positions {
        crate::api::positions::Positions {
            shared: self.shared.clone(),
        }
    }

    /// `Transactions` operations (core `client.transactions()`).
    #[getter]
    fn transactions(&self) -> crate::api::transactions::Transactions {
        crate::api::transactions::Transactions {
            shared: self.shared.clone(),
        }
    }

    /// `Securities` operations (core `client.securities()`).
    #[getter]
    fn securities(&self) -> crate::api::securities::Securities {
        crate::api::securities::Securities {
            shared: self.shared.clone(),
        }
    }

    /// `HistoricalTradeData` operations (core `client.history()`).
    #[getter]
    fn history(&self) -> crate::api::history::History {
        crate::api::history::History {
            shared: self.shared.clone(),
        }
    }

    /// `Watchlists` operations (core `client.watchlists()`).
    #[getter]
    fn watchlists(&self) -> crate::api::watchlists::Watchlists {
        crate::api::watchlists::Watchlists {
            shared: self.shared.clone(),
        }
    }

    /// `PriceAlerts` operations (core `client.price_alerts()`).
    #[getter]
    fn price_alerts(&self) -> crate::api::price_alerts::PriceAlerts {
        crate::api::price_alerts::PriceAlerts {
            shared: self.shared.clone(),
        }
    }

    /// `AchRelationships` operations (core `client.ach_relationships()`).
    #[getter]
    fn ach_relationships(&self) -> crate::api::ach_relationships::AchRelationships {
        crate::api::ach_relationships::AchRelationships {
            shared: self.shared.clone(),
        }
    }

    /// `Transfers` operations (core `client.transfers()`).
    #[getter]
    fn transfers(&self) -> crate::api::transfers::Transfers {
        crate::api::transfers::Transfers {
            shared: self.shared.clone(),
        }
    }

    /// `Ipo` operations (core `client.ipo()`).
    #[getter]
    fn ipo(&self) -> crate::api::ipo::Ipo {
        crate::api::ipo::Ipo {
            shared: self.shared.clone(),
        }
    }

    /// `News` operations (core `client.news()`).
    #[getter]
    fn news(&self) -> crate::api::news::News {
        crate::api::news::News {
            shared: self.shared.clone(),
        }
    }

    /// `Streamer` operations (core `client.streamers()`).
    #[getter]
    fn streamers(&self) -> crate::api::streamers::Streamers {
        crate::api::streamers::Streamers {
            shared: self.shared.clone(),
        }
    }

    // @generated area getters: end

    /// Starts a stream of quotes, depth and account events (core `client.stream()`): an
    /// `autoshares.stream.Stream` (`for event in stream`, the GIL released while it waits, Ctrl-C interrupts;
    /// `with` closes it). The arguments are those of `AsyncClient.stream`.
    #[pyo3(signature = (*, config = None, **options))]
    fn stream<'py>(
        &self,
        py: Python<'py>,
        config: Option<&Bound<'py, crate::stream::StreamConfig>>,
        options: Option<&Bound<'py, PyDict>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let args = crate::stream::start_args(py, config, options)?;
        let c = self.shared.core(py)?;
        let inner = block_on(py, crate::stream::start(c, args))?;
        crate::stream::StreamHandle::wrap(py, inner, "Stream")
    }

    /// Logs in now (calls otherwise log in on first use).
    fn login(&self, py: Python<'_>) -> PyResult<()> {
        let c = self.shared.core(py)?;
        block_on(py, async move { c.login().await })
    }

    /// Ends the session on the server and forgets the token.
    fn logout(&self, py: Python<'_>) -> PyResult<()> {
        let c = self.shared.core(py)?;
        block_on(py, async move { c.logout().await })
    }

    /// What each order intent in the `order_journal` that a previous run could not confirm actually did: a list
    /// of `ReconciledIntent` (nothing is sent again). `ConfigError` without a journal.
    fn reconcile_journal(&self, py: Python<'_>) -> PyResult<Vec<crate::journal::ReconciledIntent>> {
        let c = self.shared.core(py)?;
        block_on(py, async move { c.reconcile_journal().await }).map(crate::journal::to_list)
    }

    /// First step of the notebook OAuth flow: the authorize URL (open it, log in, copy the address you land on).
    #[pyo3(signature = (redirect_uri = None))]
    fn authorization_request(
        &self,
        py: Python<'_>,
        redirect_uri: Option<String>,
    ) -> PyResult<AuthorizationRequest> {
        let (c, o) = (self.shared.core(py)?, self.shared.oauth(py)?);
        block_on(py, authorize(c, o, redirect_uri))
    }

    /// Second step: checks `state`, exchanges the code (PKCE) and installs the token.
    fn complete_login(
        &self,
        py: Python<'_>,
        request: &AuthorizationRequest,
        redirect_url: String,
    ) -> PyResult<()> {
        let (c, o) = (self.shared.core(py)?, self.shared.oauth(py)?);
        block_on(py, complete(c, o, request.core.clone(), redirect_url))
    }

    /// Releases the client; later calls raise `ConfigError`. The session is not logged out.
    fn close(&self) {
        self.shared.closed.store(true, Ordering::Release);
    }

    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    #[pyo3(signature = (*_args))]
    fn __exit__(&self, _args: &Bound<'_, pyo3::types::PyTuple>) {
        self.close()
    }

    /// How many times this session asked for a token (logins and refreshes).
    #[getter]
    fn token_requests(&self) -> u64 {
        self.shared.client.token_requests()
    }

    /// Every configuration value with its printable form and source (`argument`, `env AUTOSHARES_...`, `default`).
    fn describe_config(&self) -> Vec<(&'static str, String, String)> {
        self.shared.describe()
    }

    fn __repr__(&self) -> String {
        self.shared.repr("Client")
    }
}

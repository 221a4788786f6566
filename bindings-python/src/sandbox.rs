//! `autoshares.Sandbox`: the in-process sandbox server (crate `autoshares-sandbox`) on the shared runtime.
//!
//! ```python
//! with Sandbox() as sb:
//!     client = sb.client(user="trader")          # a Client logged in with the user's password (2FA, PIN handled)
//!     aclient = sb.async_client(user="trader2fa")
//! ```
//! Test hooks mirror the Rust sandbox: users and their credentials, the last verification code, fault
//! injection, request counters and recorded request bodies.

use std::sync::Mutex;
use std::time::Duration;

use pyo3::exceptions::{PyOSError, PyRuntimeError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict};

use autoshares_sandbox as sandbox;

use crate::auth::{OAuthLogin, PasswordLogin};
use crate::client::{AsyncClient, Client, Shared};
use crate::runtime::block_on_plain;

/// A user the sandbox knows, with its credentials (test data; the password is not shown in `repr`).
#[pyclass(frozen, get_all, module = "autoshares")]
#[derive(Clone)]
pub struct SandboxUser {
    /// Login name.
    username: String,
    /// Password (`<username>-pass` for the default users).
    password: String,
    /// The PIN the server asks for, if any.
    pin: Option<String>,
    /// Whether the login asks for an e-mailed verification code.
    two_factor: bool,
    /// Whether the password has expired.
    password_expired: bool,
    /// E-mail address.
    email: String,
}

#[pymethods]
impl SandboxUser {
    fn __repr__(&self) -> String {
        format!(
            "SandboxUser(username={:?}, two_factor={}, pin={}, password_expired={})",
            self.username,
            if self.two_factor { "True" } else { "False" },
            if self.pin.is_some() { "'***'" } else { "None" },
            if self.password_expired {
                "True"
            } else {
                "False"
            },
        )
    }
}

/// A sandbox server on 127.0.0.1 (ephemeral port), started by the constructor and stopped by `stop()` or `with`.
#[pyclass(frozen, module = "autoshares")]
pub struct Sandbox {
    inner: Mutex<Option<sandbox::Sandbox>>,
    state: sandbox::AppState,
    url: String,
    app_key: String,
    users: Vec<sandbox::TestUser>,
    oauth: sandbox::OAuthClientConfig,
}

impl Sandbox {
    fn user_of(&self, name: &str) -> PyResult<&sandbox::TestUser> {
        self.users
            .iter()
            .find(|u| u.username == name)
            .ok_or_else(|| {
                pyo3::exceptions::PyKeyError::new_err(format!("the sandbox has no user `{name}`"))
            })
    }

    fn all_streams(&self) -> sandbox::Streams {
        sandbox::Streams::new(self.state.streams.clone())
    }

    fn streams(&self, streamer: Option<&str>) -> PyResult<sandbox::Streams> {
        let all = self.all_streams();
        match streamer {
            None => Ok(all),
            Some("quote") => Ok(all.quote()),
            Some("data") => Ok(all.data()),
            Some(other) => Err(pyo3::exceptions::PyValueError::new_err(format!(
                "`{other}` is not a streamer (quote, data)"
            ))),
        }
    }

    fn options<'py>(
        &self,
        py: Python<'py>,
        options: Option<&Bound<'py, PyDict>>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let d = match options {
            Some(o) => o.copy()?,
            None => PyDict::new(py),
        };
        for (k, v) in [
            ("base_url", self.url.clone()),
            ("app_key", self.app_key.clone()),
        ] {
            if !d.contains(k)? {
                d.set_item(k, v)?;
            }
        }
        if !d.contains("use_env")? {
            d.set_item("use_env", false)?;
        }
        Ok(d)
    }

    fn login_or_default<'py>(
        &self,
        py: Python<'py>,
        user: &str,
        login: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        match login.filter(|l| !l.is_none()) {
            Some(l) => Ok(l),
            None => Ok(Bound::new(py, self.password_login(user)?)?.into_any()),
        }
    }
}

#[pymethods]
impl Sandbox {
    #[new]
    #[pyo3(signature = (*, seed = 42, app_key = "sandbox-app-key", port = 0, token_ttl = None))]
    fn new(
        py: Python<'_>,
        seed: u64,
        app_key: &str,
        port: u16,
        token_ttl: Option<f64>,
    ) -> PyResult<Self> {
        let mut config = sandbox::SandboxConfig {
            seed,
            port,
            app_key: app_key.to_string(),
            ..Default::default()
        };
        if let Some(ttl) = token_ttl {
            config.access_token_ttl = crate::config::seconds(py, "token_ttl", ttl)?;
        }
        let sb = block_on_plain(py, sandbox::Sandbox::start_with(config))
            .map_err(|e| PyOSError::new_err(format!("cannot start the sandbox: {e}")))?;
        Ok(Sandbox {
            state: sb.state().clone(),
            url: sb.url(),
            app_key: sb.app_key().to_string(),
            users: sb.config().users.clone(),
            oauth: sb.oauth_client(),
            inner: Mutex::new(Some(sb)),
        })
    }

    /// Base URL, e.g. `http://127.0.0.1:41234`.
    #[getter]
    fn url(&self) -> &str {
        &self.url
    }

    /// The `Et-App-Key` the sandbox expects.
    #[getter]
    fn app_key(&self) -> &str {
        &self.app_key
    }

    /// The users the sandbox knows.
    #[getter]
    fn users(&self) -> Vec<SandboxUser> {
        self.users
            .iter()
            .map(|u| SandboxUser {
                username: u.username.clone(),
                password: u.password.clone(),
                pin: u.pin.clone(),
                two_factor: u.two_factor,
                password_expired: u.password_expired,
                email: u.email.clone(),
            })
            .collect()
    }

    /// The OAuth client registered with the sandbox's IdP: `(client_id, client_secret)`.
    #[getter]
    fn oauth_client(&self) -> (String, String) {
        (
            self.oauth.client_id.clone(),
            self.oauth.client_secret.clone(),
        )
    }

    /// The last verification code "sent" to this user.
    fn verification_code(&self, user: &str) -> Option<String> {
        self.state.tables().verification_codes.get(user).cloned()
    }

    /// The internal user id of this login.
    fn user_id(&self, user: &str) -> Option<i32> {
        self.state.dir().user_by_name(user).map(|u| u.id)
    }

    /// The trading account ids of this login.
    fn account_ids(&self, user: &str) -> Vec<i32> {
        self.state
            .dir()
            .user_by_name(user)
            .map(|u| u.account_ids.clone())
            .unwrap_or_default()
    }

    /// The password login of a sandbox user: the verification code is read from the sandbox when the server asks
    /// for it, and the user's PIN is sent when asked.
    #[pyo3(signature = (user = "trader"))]
    fn password_login(&self, user: &str) -> PyResult<PasswordLogin> {
        let u = self.user_of(user)?;
        let state = self.state.clone();
        let name = u.username.clone();
        let mut core = autoshares::auth::PasswordLogin::new(u.username.clone(), u.password.clone())
            .verification_code_with(move |_challenge| {
                let code = state.tables().verification_codes.get(&name).cloned();
                async move { Ok(code.map(autoshares::Secret::new)) }
            });
        if let Some(pin) = &u.pin {
            core = core.pin(pin.clone());
        }
        Ok(PasswordLogin { core })
    }

    /// The OAuth login of the sandbox's IdP (PKCE, loopback redirect) with a headless "browser" that follows the
    /// authorize redirect, as a user approving the login would.
    fn oauth_login(&self) -> OAuthLogin {
        let browser = autoshares::auth::Browser::custom(|url| async move {
            let resp = reqwest::get(url)
                .await
                .map_err(|e| autoshares::Error::Auth {
                    kind: autoshares::AuthErrorKind::Cancelled,
                    step: "authorize".into(),
                    message: format!("the headless browser failed: {e}"),
                })?;
            let _ = resp.bytes().await;
            Ok(())
        });
        let core = autoshares::auth::OAuthLogin::new(&self.url, self.oauth.client_id.clone())
            .expect("the sandbox URL is a loopback URL")
            .client_secret(self.oauth.client_secret.clone())
            .browser(browser)
            .redirect(autoshares::auth::RedirectMode::Loopback {
                path: "/callback".into(),
                timeout: crate::auth::LOOPBACK_TIMEOUT,
            });
        OAuthLogin {
            core,
            redirect_uri: self.oauth.redirect_uris.first().cloned(),
        }
    }

    /// A blocking `Client` for this sandbox, logged in as `user` (or with `login=`); other keyword arguments are
    /// the `Client` options.
    #[pyo3(signature = (user = "trader", *, login = None, **options))]
    fn client<'py>(
        &self,
        py: Python<'py>,
        user: &str,
        login: Option<Bound<'py, PyAny>>,
        options: Option<&Bound<'py, PyDict>>,
    ) -> PyResult<Client> {
        let login = self.login_or_default(py, user, login)?;
        let shared = Shared::build(py, Some(&login), Some(&self.options(py, options)?))?;
        Ok(Client { shared })
    }

    /// An `AsyncClient` for this sandbox, logged in as `user` (or with `login=`).
    #[pyo3(signature = (user = "trader", *, login = None, **options))]
    fn async_client<'py>(
        &self,
        py: Python<'py>,
        user: &str,
        login: Option<Bound<'py, PyAny>>,
        options: Option<&Bound<'py, PyDict>>,
    ) -> PyResult<AsyncClient> {
        let login = self.login_or_default(py, user, login)?;
        let shared = Shared::build(py, Some(&login), Some(&self.options(py, options)?))?;
        Ok(AsyncClient { shared })
    }

    /// Answers the next `count` matching requests with `status` (and `Retry-After` when given); with
    /// `after_act=True` the request is handled first (an order is placed, yet the client sees the error).
    #[pyo3(signature = (status, *, method = None, path_prefix = "/", count = 1, retry_after = None, after_act = false))]
    fn inject_fault(
        &self,
        status: u16,
        method: Option<String>,
        path_prefix: &str,
        count: u32,
        retry_after: Option<String>,
        after_act: bool,
    ) {
        let rule = sandbox::FaultRule {
            method,
            path_prefix: path_prefix.to_string(),
            count,
            status,
            retry_after,
            ..sandbox::FaultRule::new("", "", 0, 0)
        };
        self.state
            .faults
            .inject(if after_act { rule.after_act() } else { rule });
    }

    /// Random faults on every request at once (a soak test's weather): each share between 0 and 1, drawn from
    /// `seed`; durations in seconds. `clear_chaos()` (or every share 0) switches them off.
    #[pyo3(signature = (*, seed = 7, server_errors = 0.0, rate_limited = 0.0, errors_after_act = 0.0,
                        resets_after_act = 0.0, malformed = 0.0, latency = 0.0, spikes = 0.0, spike = 0.0))]
    #[allow(clippy::too_many_arguments)]
    fn set_chaos(
        &self,
        seed: u64,
        server_errors: f64,
        rate_limited: f64,
        errors_after_act: f64,
        resets_after_act: f64,
        malformed: f64,
        latency: f64,
        spikes: f64,
        spike: f64,
    ) -> PyResult<()> {
        let share = |name: &str, v: f64| {
            if (0.0..=1.0).contains(&v) {
                Ok(v)
            } else {
                Err(pyo3::exceptions::PyValueError::new_err(format!(
                    "{name} must be a share between 0 and 1, got {v}"
                )))
            }
        };
        let seconds = |name: &str, v: f64| {
            Duration::try_from_secs_f64(v).map_err(|_| {
                pyo3::exceptions::PyValueError::new_err(format!(
                    "{name} must be a duration in seconds, got {v}"
                ))
            })
        };
        self.state.faults.set_chaos(Some(sandbox::Chaos {
            seed,
            server_errors: share("server_errors", server_errors)?,
            rate_limited: share("rate_limited", rate_limited)?,
            errors_after_act: share("errors_after_act", errors_after_act)?,
            resets_after_act: share("resets_after_act", resets_after_act)?,
            malformed: share("malformed", malformed)?,
            latency: seconds("latency", latency)?,
            spikes: share("spikes", spikes)?,
            spike: seconds("spike", spike)?,
        }));
        Ok(())
    }

    /// Switches the random faults of `set_chaos` off.
    fn clear_chaos(&self) {
        self.state.faults.set_chaos(None);
    }

    /// Faults injected so far, by kind: `rules`, `server_errors`, `rate_limited`, `errors_after_act`,
    /// `resets_after_act`, `malformed`, `spikes` and `total`.
    fn fault_counts(&self) -> std::collections::BTreeMap<&'static str, u64> {
        let c = self.state.faults.counts();
        std::collections::BTreeMap::from([
            ("rules", c.rules),
            ("server_errors", c.server_errors),
            ("rate_limited", c.rate_limited),
            ("errors_after_act", c.errors_after_act),
            ("resets_after_act", c.resets_after_act),
            ("malformed", c.malformed),
            ("spikes", c.spikes),
            ("total", c.total()),
        ])
    }

    /// Removes every fault rule.
    fn clear_faults(&self) {
        self.state.faults.clear();
    }

    /// How many requests had this method and exact path, e.g. `("GET", "/v1.0/users/@me/info")`.
    fn request_count(&self, method: &str, path: &str) -> u64 {
        self.state.observations.count(method, path)
    }

    /// Every credential the sandbox issued so far (bearer and refresh tokens, interim step tokens, authorization
    /// codes, streamer session ids): for tests that check nothing printed one.
    fn issued_credentials(&self) -> Vec<String> {
        self.state.issued_credentials()
    }

    /// How many `POST /token` requests arrived.
    fn token_requests(&self) -> u64 {
        self.state.observations.token_requests()
    }

    /// How many `POST /oauth/token` requests came with this `grant_type`.
    fn oauth_token_requests(&self, grant_type: &str) -> u64 {
        self.state.observations.oauth_token_requests(grant_type)
    }

    /// The recorded requests, oldest first: dicts of `method`, `path`, `query` and the raw `body` (bytes).
    fn recorded_requests<'py>(&self, py: Python<'py>) -> PyResult<Vec<Bound<'py, PyDict>>> {
        self.state
            .observations
            .requests()
            .into_iter()
            .map(|r| {
                let d = PyDict::new(py);
                d.set_item("method", r.method)?;
                d.set_item("path", r.path)?;
                d.set_item("query", r.query)?;
                d.set_item("body", PyBytes::new(py, &r.body))?;
                Ok(d)
            })
            .collect()
    }

    /// Makes every token issued so far expired (refresh tokens stay valid).
    fn expire_tokens(&self) {
        self.state.tables().expire_all();
    }

    // ---- streamers (the sandbox's `Streams` control, docs/STREAMING.md section 5) ----

    /// Quote messages per second per connection, round-robin over its securities (default 20; 0 stops quotes).
    fn set_quote_rate(&self, per_second: u32) {
        self.all_streams().set_quote_rate(per_second);
    }

    /// Closes the streamers' TCP connections abruptly (no close frame) after every `n`th streamed message
    /// (`None`: off); `streamer` narrows it to `"quote"` or `"data"`.
    #[pyo3(signature = (n, *, streamer = None))]
    fn drop_every_messages(&self, n: Option<u64>, streamer: Option<&str>) -> PyResult<()> {
        self.streams(streamer)?.drop_every_messages(n);
        Ok(())
    }

    /// Stalls the streamers' connections (`True`: nothing sent or read, pings unanswered); `False` resumes.
    #[pyo3(signature = (on, *, streamer = None))]
    fn stall(&self, on: bool, streamer: Option<&str>) -> PyResult<()> {
        self.streams(streamer)?.stall(on);
        Ok(())
    }

    /// Sends one frame that is not JSON before the next streamed message (of each streamer in scope).
    #[pyo3(signature = (*, streamer = None))]
    fn malformed_once(&self, streamer: Option<&str>) -> PyResult<()> {
        self.streams(streamer)?.malformed_once();
        Ok(())
    }

    /// Acts like an environment without Level II: depth subscriptions are acknowledged and never served.
    fn set_depth_silent(&self, on: bool) {
        self.all_streams().set_depth_silent(on);
    }

    /// Switches every streamer fault off (the quote rate stays).
    #[pyo3(signature = (*, streamer = None))]
    fn clear_stream_faults(&self, streamer: Option<&str>) -> PyResult<()> {
        self.streams(streamer)?.clear_faults();
        Ok(())
    }

    /// Streamed messages sent since start (quotes, depth and data messages; not session frames or acks).
    #[pyo3(signature = (*, streamer = None))]
    fn messages_sent(&self, streamer: Option<&str>) -> PyResult<u64> {
        Ok(self.streams(streamer)?.messages_sent())
    }

    /// Streamer connections accepted since start.
    #[pyo3(signature = (*, streamer = None))]
    fn stream_connections_accepted(&self, streamer: Option<&str>) -> PyResult<u64> {
        Ok(self.streams(streamer)?.connections_accepted())
    }

    /// The subscriptions of the open streamer connections: `(entity_type, key)` pairs, e.g. `("Quote", "4")`.
    #[pyo3(signature = (*, streamer = None))]
    fn stream_subscriptions(
        &self,
        streamer: Option<&str>,
    ) -> PyResult<Vec<(&'static str, String)>> {
        Ok(self
            .streams(streamer)?
            .live_connections()
            .into_iter()
            .flat_map(|c| c.subscriptions.into_iter())
            .map(|s| (s.entity_type.as_str(), s.key))
            .collect())
    }

    /// The streamer connections the sandbox knows (open ones and the last closed ones), oldest first: dicts of
    /// `id`, `streamer` (`"quote"`/`"data"`), `open`, `close_reason` (e.g. `"ClientClosed"`, `None` while open),
    /// `messages_sent` and `subscriptions` (`(entity_type, key)` pairs).
    #[pyo3(signature = (*, streamer = None))]
    fn stream_connections<'py>(
        &self,
        py: Python<'py>,
        streamer: Option<&str>,
    ) -> PyResult<Vec<Bound<'py, PyDict>>> {
        self.streams(streamer)?
            .connections()
            .into_iter()
            .map(|c| {
                let d = PyDict::new(py);
                d.set_item("id", c.id)?;
                d.set_item(
                    "streamer",
                    match c.streamer {
                        sandbox::SessionType::Quote => "quote",
                        sandbox::SessionType::Data => "data",
                    },
                )?;
                d.set_item("open", c.open)?;
                d.set_item("close_reason", c.close_reason.map(|r| format!("{r:?}")))?;
                d.set_item("messages_sent", c.messages_sent)?;
                let subs: Vec<(&str, String)> = c
                    .subscriptions
                    .into_iter()
                    .map(|s| (s.entity_type.as_str(), s.key))
                    .collect();
                d.set_item("subscriptions", subs)?;
                Ok(d)
            })
            .collect()
    }

    /// The data messages produced about one trading account, in order: dicts of `seq`, `entity_type`, `key`,
    /// `account_id`, `order_id`, `status` and the frame's `json`.
    fn data_messages_for_account<'py>(
        &self,
        py: Python<'py>,
        account_id: i32,
    ) -> PyResult<Vec<Bound<'py, PyDict>>> {
        self.all_streams()
            .data_messages_for_account(account_id)
            .into_iter()
            .map(|r| {
                let d = PyDict::new(py);
                d.set_item("seq", r.seq)?;
                d.set_item("entity_type", r.entity_type.as_str())?;
                d.set_item("key", r.key)?;
                d.set_item("account_id", r.account_id)?;
                d.set_item("order_id", r.order_id)?;
                d.set_item("status", r.status)?;
                d.set_item("json", r.json)?;
                Ok(d)
            })
            .collect()
    }

    /// Stops the server (idempotent).
    fn stop(&self, py: Python<'_>) {
        let sb = self.inner.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(sb) = sb {
            block_on_plain(py, async move {
                let _ = tokio::time::timeout(Duration::from_secs(3), sb.shutdown()).await;
            });
        }
    }

    /// Whether the server is running.
    #[getter]
    fn running(&self) -> bool {
        self.inner.lock().map(|g| g.is_some()).unwrap_or(false)
    }

    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    #[pyo3(signature = (*_args))]
    fn __exit__(&self, py: Python<'_>, _args: &Bound<'_, pyo3::types::PyTuple>) {
        self.stop(py)
    }

    fn __repr__(&self) -> String {
        format!(
            "Sandbox(url={:?}, running={})",
            self.url,
            if self.running() { "True" } else { "False" }
        )
    }
}

#[allow(dead_code)]
fn not_running() -> PyErr {
    PyRuntimeError::new_err("the sandbox is stopped")
}

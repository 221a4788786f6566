//! Logins (core `auth/`): `PasswordLogin`, `OAuthLogin` and the step-by-step `AuthorizationRequest`.
//!
//! The only logic here adapts Python callables to the core's hooks: a verification code, PIN, browser or paste
//! callable runs on tokio's blocking pool with the GIL taken (it may call `input()`), and an exception it raises
//! ends the login with `AuthError(auth_kind="CANCELLED")`. Callables are called only when the server asks.

use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use pyo3::prelude::*;
use pyo3::types::PyString;

use autoshares::auth::{self as core, Challenge, SecondFactor};
use autoshares::{AuthErrorKind, Error, Secret};

/// A value given up front, or a Python callable asked when needed.
#[derive(Clone)]
pub enum Answer {
    /// A fixed value.
    Value(Secret),
    /// `callable(text) -> str | None`.
    Call(Arc<Py<PyAny>>),
}

impl Answer {
    /// From `str | Callable[[str], str | None] | None`.
    pub fn from_py(value: Option<&Bound<'_, PyAny>>, field: &str) -> PyResult<Option<Answer>> {
        let Some(v) = value else { return Ok(None) };
        if v.is_none() {
            return Ok(None);
        }
        if let Ok(s) = v.cast::<PyString>() {
            return Ok(Some(Answer::Value(Secret::new(s.to_str()?.to_string()))));
        }
        if v.is_callable() {
            return Ok(Some(Answer::Call(Arc::new(v.clone().unbind()))));
        }
        Err(crate::errors::config(
            v.py(),
            field,
            "expected a str or a callable",
        ))
    }
}

/// Calls a Python callable with one string argument on the blocking pool; `step` names the login step for errors.
pub async fn call_python<T: Send + 'static>(
    f: Arc<Py<PyAny>>,
    arg: String,
    step: String,
    extract: fn(&Bound<'_, PyAny>) -> PyResult<T>,
) -> autoshares::Result<T> {
    let cancelled = |message: String| Error::Auth {
        kind: AuthErrorKind::Cancelled,
        step: step.clone(),
        message,
    };
    let joined = tokio::task::spawn_blocking(move || {
        if crate::runtime::shutting_down() {
            return Err("the interpreter is exiting".to_string());
        }
        Python::try_attach(|py| {
            f.bind(py)
                .call1((arg,))
                .and_then(|r| extract(&r))
                .map_err(|e| {
                    format!(
                        "the callback raised {}",
                        e.value(py)
                            .repr()
                            .map(|r| r.to_string())
                            .unwrap_or_default()
                    )
                })
        })
        .unwrap_or_else(|| Err("the interpreter is exiting".to_string()))
    })
    .await;
    match joined {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(message)) => Err(cancelled(message)),
        Err(e) => Err(cancelled(e.to_string())),
    }
}

fn optional_secret(r: &Bound<'_, PyAny>) -> PyResult<Option<Secret>> {
    Ok(r.extract::<Option<String>>()?.map(Secret::new))
}

async fn answer(a: Option<Answer>, challenge: &Challenge) -> autoshares::Result<Option<Secret>> {
    match a {
        None => Ok(None),
        Some(Answer::Value(s)) => Ok(Some(s)),
        Some(Answer::Call(f)) => {
            call_python(
                f,
                challenge.reason.clone(),
                challenge.step.clone(),
                optional_secret,
            )
            .await
        }
    }
}

/// Second factors from Python values or callables.
struct PySecondFactor {
    code: Option<Answer>,
    pin: Option<Answer>,
}

impl SecondFactor for PySecondFactor {
    fn verification_code<'a>(
        &'a self,
        c: &'a Challenge,
    ) -> BoxFuture<'a, autoshares::Result<Option<Secret>>> {
        Box::pin(answer(self.code.clone(), c))
    }
    fn pin<'a>(&'a self, c: &'a Challenge) -> BoxFuture<'a, autoshares::Result<Option<Secret>>> {
        Box::pin(answer(self.pin.clone(), c))
    }
}

/// The ETNA password login, with the 2FA verification code and the PIN asked for only when the server wants them.
///
/// `verification_code` and `pin` are a `str`, or a callable given the server's reason text and returning the
/// value (or `None` to give up). Pass it as `login=` to `Client` or `AsyncClient`.
#[pyclass(frozen, module = "autoshares")]
#[derive(Clone)]
pub struct PasswordLogin {
    pub(crate) core: core::PasswordLogin,
}

#[pymethods]
impl PasswordLogin {
    #[new]
    #[pyo3(signature = (username, password, *, verification_code = None, pin = None))]
    fn new(
        username: &str,
        password: &str,
        verification_code: Option<&Bound<'_, PyAny>>,
        pin: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let code = Answer::from_py(verification_code, "verification_code")?;
        let pin = Answer::from_py(pin, "pin")?;
        let core = core::PasswordLogin::new(username, password)
            .second_factor(Arc::new(PySecondFactor { code, pin }));
        Ok(PasswordLogin { core })
    }

    /// The username.
    #[getter]
    fn username(&self) -> &str {
        self.core.username()
    }

    fn __repr__(&self) -> String {
        format!(
            "PasswordLogin(username={:?}, password='***')",
            self.core.username()
        )
    }
}

/// How the authorize URL reaches the user: `True` opens the system browser (printing the URL if that fails),
/// `False` prints it, a callable is given the URL.
fn browser(value: Option<&Bound<'_, PyAny>>) -> PyResult<core::Browser> {
    let Some(v) = value else {
        return Ok(core::Browser::System);
    };
    if v.is_none() {
        return Ok(core::Browser::System);
    }
    if v.is_callable() {
        let f = Arc::new(v.clone().unbind());
        return Ok(core::Browser::custom(move |url| {
            let f = f.clone();
            async move { call_python(f, url.to_string(), "authorize".into(), |_| Ok(())).await }
        }));
    }
    Ok(if v.is_truthy()? {
        core::Browser::System
    } else {
        core::Browser::Print
    })
}

/// The OAuth 2.0 Authorization Code login with PKCE S256 and `state` (Auth0 or any conforming server).
///
/// By default the redirect is received on an ephemeral port of 127.0.0.1 after the browser opens. With `paste`
/// (a callable given the authorize URL and returning the URL the browser ended on) and the registered
/// `redirect_uri`, the user pastes it instead, for remote notebooks. For a notebook flow in two cells use
/// `client.authorization_request()` and `client.complete_login()`.
#[pyclass(frozen, module = "autoshares")]
#[derive(Clone)]
pub struct OAuthLogin {
    pub(crate) core: core::OAuthLogin,
    pub(crate) redirect_uri: Option<String>,
}

#[pymethods]
impl OAuthLogin {
    #[new]
    #[pyo3(signature = (issuer, client_id, *, client_secret = None, scopes = None, browser = None, redirect_uri = None,
        paste = None, timeout = 300.0, exchange = "idp", authorize_params = None))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        issuer: &str,
        client_id: &str,
        client_secret: Option<&str>,
        scopes: Option<Vec<String>>,
        browser: Option<&Bound<'_, PyAny>>,
        redirect_uri: Option<String>,
        paste: Option<&Bound<'_, PyAny>>,
        timeout: f64,
        exchange: &str,
        authorize_params: Option<Vec<(String, String)>>,
    ) -> PyResult<Self> {
        use crate::errors::IntoPyResult;
        let mut login = core::OAuthLogin::new(issuer, client_id).py_err(py)?;
        if let Some(s) = client_secret {
            login = login.client_secret(s);
        }
        if let Some(s) = scopes {
            login = login.scopes(s);
        }
        for (k, v) in authorize_params.unwrap_or_default() {
            login = login.authorize_param(k, v);
        }
        login = login.browser(self::browser(browser)?);
        login = login.exchange_at(match exchange {
            "idp" => core::CodeExchange::Idp,
            "etna" => core::CodeExchange::Etna,
            other => {
                return Err(crate::errors::config(
                    py,
                    "exchange",
                    format!("`{other}`: use \"idp\" or \"etna\""),
                ))
            }
        });
        let timeout = crate::config::seconds(py, "timeout", timeout)?;
        login = match paste.filter(|p| !p.is_none()) {
            Some(p) if p.is_callable() => {
                let Some(uri) = redirect_uri.clone() else {
                    return Err(crate::errors::config(
                        py,
                        "redirect_uri",
                        "paste mode needs the registered redirect_uri",
                    ));
                };
                let f = Arc::new(p.clone().unbind());
                login.redirect(core::RedirectMode::manual(uri, move |url| {
                    let f = f.clone();
                    async move {
                        call_python(f, url.to_string(), "callback".into(), |r| {
                            r.extract::<String>()
                        })
                        .await
                    }
                }))
            }
            Some(_) => return Err(crate::errors::config(py, "paste", "expected a callable")),
            None => login.redirect(core::RedirectMode::Loopback {
                path: "/callback".into(),
                timeout,
            }),
        };
        Ok(OAuthLogin {
            core: login,
            redirect_uri,
        })
    }

    fn __repr__(&self) -> String {
        format!("{:?}", self.core)
    }
}

/// An authorize URL waiting for its redirect (it keeps the `state` and the PKCE verifier, never shown).
#[pyclass(frozen, module = "autoshares")]
pub struct AuthorizationRequest {
    pub(crate) core: Arc<core::AuthorizationRequest>,
}

#[pymethods]
impl AuthorizationRequest {
    /// The URL to open in a browser.
    #[getter]
    fn url(&self) -> String {
        self.core.url().to_string()
    }

    /// The redirect URI the code will be sent to.
    #[getter]
    fn redirect_uri(&self) -> &str {
        self.core.redirect_uri()
    }

    fn __repr__(&self) -> String {
        format!("AuthorizationRequest(url={:?})", self.core.url().as_str())
    }

    fn _repr_html_(&self) -> String {
        let url = self
            .core
            .url()
            .as_str()
            .replace('&', "&amp;")
            .replace('"', "&quot;");
        format!("<a href=\"{url}\" target=\"_blank\">Log in to AutoShares</a>, then paste the address you land on.")
    }
}

/// The loopback wait used by the sandbox helpers.
pub const LOOPBACK_TIMEOUT: Duration = Duration::from_secs(60);

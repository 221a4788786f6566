//! Logins from JS options: password (with a verification-code string or callback, and a PIN) and OAuth
//! (loopback with the system browser, printing, or a JS opener; paste mode; or the two-step flow of
//! `client.oauthAuthorizationRequest()` + `client.oauthComplete()`).
//!
//! JS callbacks become core closures through weak threadsafe functions: core calls them when (and only when)
//! the login needs them, they may return a value or a Promise of it, and they never keep the process alive.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use autoshares::auth::{Browser, CodeExchange, OAuthLogin, PasswordLogin, RedirectMode};
use autoshares::{AuthErrorKind, Error as CoreError, Secret};
use napi::bindgen_prelude::*;
use napi::sys;
use napi::threadsafe_function::ThreadsafeFunction;
use napi_derive::napi;

/// A JS callback core may call from any thread: `(arg) => R | Promise<R>`, not keeping the event loop alive.
pub type JsCallback<A, R> = ThreadsafeFunction<A, Settled<R>, A, Status, false, true>;

/// What the server asks for in a password login, handed to `verificationCode` callbacks.
#[napi(object)]
pub struct Challenge {
    /// The step as the server names it (`VerificationCode`, `SecutityPin`, ...).
    pub step: String,
    /// The server's reason text (`Expecting confirmation code`, ...).
    pub reason: String,
}

/// The ETNA password login (`POST /token` with the 2FA and PIN steps).
#[napi(object, object_to_js = false)]
pub struct PasswordLoginOptions {
    pub username: String,
    pub password: String,
    /// The PIN, sent when (and only when) the server asks for it.
    pub pin: Option<String>,
    /// The 2FA code: a string, or a callback called only after the server says it sent one (by e-mail or
    /// SMS). Return `null`/`undefined` to give up (the login fails with `authKind === 'VERIFICATION_CODE_REQUIRED'`).
    #[napi(
        ts_type = "string | ((challenge: Challenge) => string | null | undefined | Promise<string | null | undefined>)"
    )]
    pub verification_code: Option<Either<String, JsCallback<Challenge, Option<String>>>>,
}

/// The OAuth 2.0 Authorization Code login with PKCE (Auth0 or any conforming server).
#[napi(object, object_to_js = false)]
pub struct OAuthLoginOptions {
    /// The issuer (its `/.well-known/openid-configuration` gives the endpoints unless both are set below).
    pub issuer: String,
    pub client_id: String,
    /// For confidential clients (sent with HTTP Basic authentication).
    pub client_secret: Option<String>,
    /// Default `['openid', 'profile', 'email', 'offline_access']`; keep `offline_access` for refresh tokens.
    pub scopes: Option<Vec<String>>,
    /// Extra authorize-URL parameters (Auth0's `audience`, `prompt`, ...).
    pub authorize_params: Option<HashMap<String, String>>,
    /// `'loopback'` (default: an ephemeral 127.0.0.1 port catches the redirect, RFC 8252) or `'paste'` (the
    /// `paste` callback returns the URL the browser ended on; needs `redirectUri`).
    #[napi(ts_type = "'loopback' | 'paste'")]
    pub redirect: Option<String>,
    /// The registered redirect URI, for paste mode and the two-step flow.
    pub redirect_uri: Option<String>,
    /// Loopback mode: the callback path. Default `/callback`.
    pub loopback_path: Option<String>,
    /// Loopback mode: how long to wait for the browser, in milliseconds. Default 300000 (5 minutes).
    pub loopback_timeout_ms: Option<u32>,
    /// How the authorize URL reaches the user: `'system'` (default; open the browser, else print),
    /// `'print'` (to stderr), or a function (a notebook widget, a test's HTTP client...).
    #[napi(ts_type = "'system' | 'print' | ((url: string) => unknown)")]
    pub browser: Option<Either<String, JsCallback<String, Ignored>>>,
    /// Paste mode: given the authorize URL, returns the redirect URL the user pasted.
    #[napi(ts_type = "(authorizeUrl: string) => string | Promise<string>")]
    pub paste: Option<JsCallback<String, String>>,
    /// Where the code is exchanged: `'idp'` (default; the IdP's token endpoint, refresh tokens) or `'etna'`
    /// (ETNA `/token` with `OAuthCode`).
    #[napi(ts_type = "'idp' | 'etna'")]
    pub exchange: Option<String>,
    /// Skips discovery: the authorize endpoint (set with `tokenUrl`).
    pub authorize_url: Option<String>,
    /// Skips discovery: the token endpoint (set with `authorizeUrl`).
    pub token_url: Option<String>,
}

/// A JS return value that may be a Promise of it.
pub enum Settled<T: FromNapiValue + 'static> {
    Now(T),
    Later(Promise<T>),
}

impl<T: FromNapiValue + Send + 'static> FromNapiValue for Settled<T> {
    unsafe fn from_napi_value(env: sys::napi_env, value: sys::napi_value) -> Result<Self> {
        let mut is_promise = false;
        unsafe { sys::napi_is_promise(env, value, &mut is_promise) };
        if is_promise {
            Ok(Settled::Later(unsafe {
                Promise::from_napi_value(env, value)?
            }))
        } else {
            Ok(Settled::Now(unsafe { T::from_napi_value(env, value)? }))
        }
    }
}

impl<T: FromNapiValue + Send + 'static> Settled<T> {
    async fn get(self) -> Result<T> {
        match self {
            Settled::Now(v) => Ok(v),
            Settled::Later(p) => p.await,
        }
    }
}

/// Any JS value, ignored.
pub struct Ignored;

impl FromNapiValue for Ignored {
    unsafe fn from_napi_value(_env: sys::napi_env, _value: sys::napi_value) -> Result<Self> {
        Ok(Ignored)
    }
}

/// Calls a JS callback and waits for its (possibly asynchronous) answer; a throw or rejection becomes an auth
/// error of kind `CANCELLED` at `step`.
async fn call_js<A, R>(f: &JsCallback<A, R>, arg: A, step: &'static str) -> autoshares::Result<R>
where
    A: JsValuesTupleIntoVec + Send + 'static,
    R: FromNapiValue + Send + 'static,
{
    let failed = |e: Error| CoreError::Auth {
        kind: AuthErrorKind::Cancelled,
        step: step.to_string(),
        message: format!("the {step} callback failed: {}", e.reason),
    };
    let settled = f.call_async_catch(arg).await.map_err(failed)?;
    settled.get().await.map_err(failed)
}

pub fn password_login(o: PasswordLoginOptions) -> PasswordLogin {
    let mut login = PasswordLogin::new(o.username, o.password);
    login = match o.verification_code {
        None => login,
        Some(Either::A(code)) => {
            login.second_factor(Arc::new(autoshares::auth::StaticSecondFactor {
                verification_code: Some(Secret::new(code)),
                pin: None,
            }))
        }
        Some(Either::B(callback)) => {
            let callback = Arc::new(callback);
            login.verification_code_with(move |challenge| {
                let callback = callback.clone();
                async move {
                    let js = Challenge {
                        step: challenge.step,
                        reason: challenge.reason,
                    };
                    let code = call_js(&callback, js, "verificationCode").await?;
                    Ok(code.filter(|c| !c.trim().is_empty()).map(Secret::new))
                }
            })
        }
    };
    match o.pin {
        Some(pin) => login.pin(pin),
        None => login,
    }
}

fn config_error(field: &str, message: String) -> CoreError {
    CoreError::Config {
        field: field.to_string(),
        message,
    }
}

pub fn oauth_login(o: OAuthLoginOptions) -> autoshares::Result<OAuthLogin> {
    let mut login = OAuthLogin::new(&o.issuer, o.client_id)?;
    if let Some(secret) = o.client_secret {
        login = login.client_secret(secret);
    }
    if let Some(scopes) = o.scopes {
        login = login.scopes(scopes);
    }
    for (k, v) in o.authorize_params.unwrap_or_default() {
        login = login.authorize_param(k, v);
    }
    login = match o.exchange.as_deref() {
        None | Some("idp") => login,
        Some("etna") => login.exchange_at(CodeExchange::Etna),
        Some(other) => {
            return Err(config_error(
                "oauth.exchange",
                format!("`{other}` is not 'idp' or 'etna'"),
            ))
        }
    };
    login = match o.browser {
        None => login,
        Some(Either::A(name)) => match name.as_str() {
            "system" => login.browser(Browser::System),
            "print" => login.browser(Browser::Print),
            other => {
                return Err(config_error(
                    "oauth.browser",
                    format!("`{other}` is not 'system', 'print' or a function"),
                ))
            }
        },
        Some(Either::B(open)) => {
            let open = Arc::new(open);
            login.browser(Browser::custom(move |url| {
                let open = open.clone();
                async move { call_js(&open, url.to_string(), "browser").await.map(|_| ()) }
            }))
        }
    };
    login = match o.redirect.as_deref() {
        None | Some("loopback") => {
            let mut mode = RedirectMode::loopback();
            if let RedirectMode::Loopback { path, timeout } = &mut mode {
                if let Some(p) = o.loopback_path {
                    *path = p;
                }
                if let Some(ms) = o.loopback_timeout_ms {
                    *timeout = Duration::from_millis(ms.into());
                }
            }
            login.redirect(mode)
        }
        Some("paste") => {
            let uri = o.redirect_uri.clone().ok_or_else(|| {
                config_error(
                    "oauth.redirectUri",
                    "paste mode needs the registered redirectUri".into(),
                )
            })?;
            let paste = Arc::new(o.paste.ok_or_else(|| {
                config_error("oauth.paste", "paste mode needs a paste callback".into())
            })?);
            login.redirect(RedirectMode::manual(uri, move |url| {
                let paste = paste.clone();
                async move { call_js(&paste, url.to_string(), "paste").await }
            }))
        }
        Some(other) => {
            return Err(config_error(
                "oauth.redirect",
                format!("`{other}` is not 'loopback' or 'paste'"),
            ))
        }
    };
    match (o.authorize_url, o.token_url) {
        (Some(a), Some(t)) => login.endpoints(&a, &t),
        (None, None) => Ok(login),
        _ => Err(config_error(
            "oauth.authorizeUrl",
            "set both authorizeUrl and tokenUrl, or neither".into(),
        )),
    }
}

/// An authorize URL waiting for its redirect (the two-step OAuth flow); keeps `state` and the PKCE verifier.
#[napi]
pub struct OAuthPending {
    pub(crate) request: Arc<autoshares::auth::AuthorizationRequest>,
}

#[napi]
impl OAuthPending {
    /// The URL to open in a browser.
    #[napi(getter)]
    pub fn url(&self) -> String {
        self.request.url().to_string()
    }

    /// The redirect URI the code will be sent to.
    #[napi(getter)]
    pub fn redirect_uri(&self) -> String {
        self.request.redirect_uri().to_string()
    }
}

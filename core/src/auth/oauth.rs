//! OAuth 2.0 Authorization Code login with PKCE (RFC 6749, RFC 7636), for Auth0 or any conforming server.
//!
//! The flow: discover the endpoints (`/.well-known/openid-configuration` of the issuer, unless given), build the
//! authorize URL with a PKCE S256 challenge and a random `state`, send the user there, receive the redirect, check
//! that `state` is ours (a mismatch discards the code), and exchange the code. The redirect is received either on
//! an ephemeral port of 127.0.0.1 (RFC 8252 loopback, [`RedirectMode::Loopback`]) or by the user pasting the URL
//! their browser ended on ([`RedirectMode::Manual`], for remote notebooks), or, for notebooks that want two
//! steps, through [`OAuthLogin::authorization_request`] and [`OAuthLogin::exchange`].
//!
//! The code is exchanged at the IdP's token endpoint (access and refresh tokens; `offline_access` asks for the
//! latter), or, with [`CodeExchange::Etna`], at ETNA `/token` with the `OAuthCode` and `RedirectUri` headers,
//! which the vendor spec declares but does not document further.
//!
//! The `oauth2` crate (v5) builds and parses the messages; its HTTP goes through a small adapter over our reqwest
//! 0.13 client with redirects turned off, as oauth2's docs ask.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use futures::future::BoxFuture;
use oauth2::basic::{BasicClient, BasicErrorResponseType};
use oauth2::{
    AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, PkceCodeChallenge,
    PkceCodeVerifier, RedirectUrl, RefreshToken, RequestTokenError, Scope, TokenResponse, TokenUrl,
};
use serde::Deserialize;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use url::Url;

use super::etna::{token_request, StepOutcome};
use super::{AuthContext, Token, TokenProvider};
use crate::config::{join_prefix, parse_secure_url, parse_service_url, OAuthSettings};
use crate::error::{AuthErrorKind, Error, Result};
use crate::secret::Secret;

/// An oauth2 client with the authorize and token endpoints set.
type ConfiguredClient = oauth2::Client<
    oauth2::basic::BasicErrorResponse,
    oauth2::basic::BasicTokenResponse,
    oauth2::basic::BasicTokenIntrospectionResponse,
    oauth2::StandardRevocableToken,
    oauth2::basic::BasicRevocationErrorResponse,
    oauth2::EndpointSet,
    oauth2::EndpointNotSet,
    oauth2::EndpointNotSet,
    oauth2::EndpointNotSet,
    oauth2::EndpointSet,
>;
type OpenFn = dyn Fn(Url) -> BoxFuture<'static, Result<()>> + Send + Sync;
type PasteFn = dyn Fn(Url) -> BoxFuture<'static, Result<String>> + Send + Sync;

/// How the authorize URL reaches the user.
#[derive(Clone, Default)]
pub enum Browser {
    /// Open the system browser; if that fails, print the URL on stderr. The default.
    #[default]
    System,
    /// Print the URL on stderr for the user to open.
    Print,
    /// Hand the URL to this function (a notebook widget, a test's HTTP client...).
    Custom(Arc<OpenFn>),
}

impl Browser {
    /// A [`Browser::Custom`] from a closure.
    pub fn custom<F, Fut>(f: F) -> Browser
    where
        F: Fn(Url) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<()>> + Send + 'static,
    {
        Browser::Custom(Arc::new(move |u| Box::pin(f(u))))
    }

    async fn open(&self, url: &Url) -> Result<()> {
        match self {
            Browser::System => {
                if webbrowser::open(url.as_str()).is_err() {
                    eprintln!("Open this URL in a browser to log in:\n{url}");
                }
                Ok(())
            }
            Browser::Print => {
                eprintln!("Open this URL in a browser to log in:\n{url}");
                Ok(())
            }
            Browser::Custom(f) => f(url.clone()).await,
        }
    }
}

impl fmt::Debug for Browser {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Browser::System => "System",
            Browser::Print => "Print",
            Browser::Custom(_) => "Custom",
        })
    }
}

/// Where the authorization server sends the user back to.
#[derive(Clone)]
pub enum RedirectMode {
    /// Listen on an ephemeral port of 127.0.0.1 (RFC 8252) at `path`, for at most `timeout`.
    Loopback {
        /// Redirect path, `/callback` by default.
        path: String,
        /// How long to wait for the browser.
        timeout: Duration,
    },
    /// Use the registered `redirect_uri` and ask `paste` for the URL the browser ended on.
    Manual {
        /// The registered redirect URI.
        redirect_uri: String,
        /// Given the authorize URL, returns the redirect URL the user pasted.
        paste: Arc<PasteFn>,
    },
}

impl RedirectMode {
    /// Loopback capture on `/callback`, waiting up to 5 minutes.
    pub fn loopback() -> Self {
        RedirectMode::Loopback {
            path: "/callback".into(),
            timeout: Duration::from_secs(300),
        }
    }

    /// Paste mode from a closure.
    pub fn manual<F, Fut>(redirect_uri: impl Into<String>, paste: F) -> Self
    where
        F: Fn(Url) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<String>> + Send + 'static,
    {
        RedirectMode::Manual {
            redirect_uri: redirect_uri.into(),
            paste: Arc::new(move |u| Box::pin(paste(u))),
        }
    }
}

impl fmt::Debug for RedirectMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RedirectMode::Loopback { path, timeout } => f
                .debug_struct("Loopback")
                .field("path", path)
                .field("timeout", timeout)
                .finish(),
            RedirectMode::Manual { redirect_uri, .. } => f
                .debug_struct("Manual")
                .field("redirect_uri", redirect_uri)
                .finish_non_exhaustive(),
        }
    }
}

/// Where the authorization code is exchanged for the API token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CodeExchange {
    /// At the IdP's token endpoint (with the PKCE verifier); its access token is the bearer token and its refresh
    /// token renews it. The default.
    #[default]
    Idp,
    /// At ETNA `/token` with `OAuthCode` + `RedirectUri` headers; the result is an ETNA token, renewed by
    /// logging in again.
    Etna,
}

/// An authorize URL waiting for its redirect: keeps the `state` and the PKCE verifier.
pub struct AuthorizationRequest {
    url: Url,
    state: Secret,
    verifier: Secret,
    redirect_uri: String,
}

impl fmt::Debug for AuthorizationRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthorizationRequest")
            .field("url", &self.url.as_str())
            .field("redirect_uri", &self.redirect_uri)
            .finish_non_exhaustive()
    }
}

impl AuthorizationRequest {
    /// The URL to open in a browser.
    pub fn url(&self) -> &Url {
        &self.url
    }

    /// The redirect URI the code will be sent to.
    pub fn redirect_uri(&self) -> &str {
        &self.redirect_uri
    }

    /// Extracts the code from the URL the browser was redirected to (or just its query string), after checking
    /// that `state` is the one sent; an `error` parameter becomes `AUTHORIZATION_DENIED`.
    pub fn code_from_redirect(&self, redirect: &str) -> Result<Secret> {
        let redirect = redirect.trim();
        let query = match Url::parse(redirect) {
            Ok(u) => u.query().unwrap_or_default().to_string(),
            Err(_) => redirect.trim_start_matches('?').to_string(),
        };
        let mut code = None;
        let mut state = None;
        let mut error = None;
        let mut description = None;
        for (k, v) in url::form_urlencoded::parse(query.as_bytes()) {
            match k.as_ref() {
                "code" => code = Some(v.into_owned()),
                "state" => state = Some(v.into_owned()),
                "error" => error = Some(v.into_owned()),
                "error_description" => description = Some(v.into_owned()),
                _ => {}
            }
        }
        if state.as_deref() != Some(self.state.expose()) {
            return Err(Error::auth(
                AuthErrorKind::StateMismatch,
                "callback",
                "the redirect's `state` is not the one this login sent; the code was discarded",
            ));
        }
        if let Some(error) = error {
            let text = description
                .map(|d| format!("{error}: {d}"))
                .unwrap_or(error);
            return Err(Error::auth(
                AuthErrorKind::AuthorizationDenied,
                "authorize",
                text,
            ));
        }
        code.filter(|c| !c.is_empty())
            .map(Secret::new)
            .ok_or_else(|| {
                Error::auth(
                    AuthErrorKind::Protocol,
                    "callback",
                    "the redirect carries no `code`",
                )
            })
    }
}

#[derive(Debug, Clone)]
struct Endpoints {
    authorize: Url,
    token: Url,
}

#[derive(Deserialize)]
struct Discovery {
    issuer: Option<String>,
    authorization_endpoint: String,
    token_endpoint: String,
}

/// The OAuth 2.0 Authorization Code + PKCE login.
///
/// ```no_run
/// # async fn run() -> autoshares::Result<()> {
/// use autoshares::auth::{OAuthLogin, RedirectMode};
/// let login = OAuthLogin::new("https://autosharesdev.us.auth0.com", "my-client-id")?
///     .client_secret("my-client-secret")
///     .redirect(RedirectMode::loopback());
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct OAuthLogin {
    issuer: Url,
    client_id: String,
    client_secret: Option<Secret>,
    scopes: Vec<String>,
    extra_params: Vec<(String, String)>,
    redirect: RedirectMode,
    browser: Browser,
    exchange: CodeExchange,
    endpoints: Arc<OnceLock<Endpoints>>,
}

impl fmt::Debug for OAuthLogin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OAuthLogin")
            .field("issuer", &self.issuer.as_str())
            .field("client_id", &self.client_id)
            .field("client_secret", &self.client_secret.as_ref().map(|_| "***"))
            .field("scopes", &self.scopes)
            .field("redirect", &self.redirect)
            .field("exchange", &self.exchange)
            .finish()
    }
}

impl OAuthLogin {
    /// A login against `issuer` (e.g. `https://<tenant>.us.auth0.com`) for `client_id`, with the scopes
    /// `openid profile email offline_access`, loopback redirect and the system browser.
    pub fn new(issuer: &str, client_id: impl Into<String>) -> Result<Self> {
        Ok(OAuthLogin {
            issuer: parse_service_url("oauth_issuer", issuer)?,
            client_id: client_id.into(),
            client_secret: None,
            scopes: ["openid", "profile", "email", "offline_access"]
                .map(String::from)
                .to_vec(),
            extra_params: Vec::new(),
            redirect: RedirectMode::loopback(),
            browser: Browser::System,
            exchange: CodeExchange::Idp,
            endpoints: Arc::new(OnceLock::new()),
        })
    }

    /// From configuration settings (`AUTOSHARES_OAUTH_*`).
    pub fn from_settings(settings: &OAuthSettings) -> Result<Self> {
        let mut login = OAuthLogin::new(settings.issuer.as_str(), settings.client_id.clone())?;
        login.client_secret = settings.client_secret.clone();
        Ok(login)
    }

    /// The client secret (confidential clients); sent with HTTP Basic authentication.
    pub fn client_secret(mut self, secret: impl Into<Secret>) -> Self {
        self.client_secret = Some(secret.into());
        self
    }

    /// Replaces the scopes. Keep `offline_access` to get a refresh token.
    pub fn scopes<I: IntoIterator<Item = S>, S: Into<String>>(mut self, scopes: I) -> Self {
        self.scopes = scopes.into_iter().map(Into::into).collect();
        self
    }

    /// Adds a parameter to the authorize URL (Auth0's `audience`, `prompt`, ...).
    pub fn authorize_param(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.extra_params.push((name.into(), value.into()));
        self
    }

    /// How the redirect is received.
    pub fn redirect(mut self, mode: RedirectMode) -> Self {
        self.redirect = mode;
        self
    }

    /// How the authorize URL is shown.
    pub fn browser(mut self, browser: Browser) -> Self {
        self.browser = browser;
        self
    }

    /// Where the code is exchanged.
    pub fn exchange_at(mut self, exchange: CodeExchange) -> Self {
        self.exchange = exchange;
        self
    }

    /// Sets the endpoints instead of discovering them. Both must be `https` unless on loopback.
    pub fn endpoints(self, authorize_url: &str, token_url: &str) -> Result<Self> {
        let e = Endpoints {
            authorize: parse_secure_url("authorization_endpoint", authorize_url)?,
            token: parse_secure_url("token_endpoint", token_url)?,
        };
        let _ = self.endpoints.set(e);
        Ok(self)
    }

    async fn discover(&self, ctx: &AuthContext) -> Result<Endpoints> {
        if let Some(e) = self.endpoints.get() {
            return Ok(e.clone());
        }
        let url = join_prefix(&self.issuer, "/.well-known/openid-configuration");
        let op = "oauth_discovery";
        let resp = oauth_http()?
            .get(url.clone())
            .timeout(ctx.config.timeout())
            .header(http::header::ACCEPT, "application/json")
            .send()
            .await
            .map_err(|e| crate::transport::send_error(op, "-", ctx.config.timeout(), e))?;
        let status = resp.status();
        let body = resp
            .bytes()
            .await
            .map_err(|e| crate::transport::send_error(op, "-", ctx.config.timeout(), e))?;
        if !status.is_success() {
            return Err(crate::transport::api_error(op, status, &body, "-"));
        }
        let d: Discovery = crate::transport::decode(op, &body, "-")?;
        if let Some(issuer) = &d.issuer {
            if issuer.trim_end_matches('/') != self.issuer.as_str().trim_end_matches('/') {
                return Err(Error::auth(
                    AuthErrorKind::Protocol,
                    "discovery",
                    format!(
                        "the discovery document names issuer `{issuer}`, not `{}`",
                        self.issuer
                    ),
                ));
            }
        }
        let e = Endpoints {
            authorize: parse_secure_url("authorization_endpoint", &d.authorization_endpoint)?,
            token: parse_secure_url("token_endpoint", &d.token_endpoint)?,
        };
        Ok(self.endpoints.get_or_init(|| e).clone())
    }

    fn client(&self, endpoints: &Endpoints, redirect_uri: &str) -> Result<ConfiguredClient> {
        let redirect = RedirectUrl::new(redirect_uri.to_string()).map_err(|e| {
            Error::config(
                "redirect_uri",
                format!("`{redirect_uri}` is not a URL: {e}"),
            )
        })?;
        let mut client = BasicClient::new(ClientId::new(self.client_id.clone()))
            .set_auth_uri(AuthUrl::from_url(endpoints.authorize.clone()))
            .set_token_uri(TokenUrl::from_url(endpoints.token.clone()))
            .set_redirect_uri(redirect);
        if let Some(secret) = &self.client_secret {
            client = client.set_client_secret(ClientSecret::new(secret.expose().to_string()));
        }
        Ok(client)
    }

    /// Builds the authorize URL for `redirect_uri` (PKCE S256 challenge, random `state`).
    pub async fn authorization_request(
        &self,
        ctx: &AuthContext,
        redirect_uri: &str,
    ) -> Result<AuthorizationRequest> {
        let endpoints = self.discover(ctx).await?;
        let client = self.client(&endpoints, redirect_uri)?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let mut req = client
            .authorize_url(CsrfToken::new_random)
            .add_scopes(self.scopes.iter().cloned().map(Scope::new))
            .set_pkce_challenge(challenge);
        for (k, v) in &self.extra_params {
            req = req.add_extra_param(k.clone(), v.clone());
        }
        let (url, state) = req.url();
        Ok(AuthorizationRequest {
            url,
            state: Secret::new(state.secret().clone()),
            verifier: Secret::new(verifier.secret().clone()),
            redirect_uri: redirect_uri.to_string(),
        })
    }

    /// Exchanges the code of `request` for a token.
    pub async fn exchange(
        &self,
        ctx: &AuthContext,
        request: &AuthorizationRequest,
        code: &Secret,
    ) -> Result<Token> {
        match self.exchange {
            CodeExchange::Etna => {
                let headers = vec![
                    ("OAuthCode", code.clone()),
                    ("RedirectUri", Secret::new(request.redirect_uri.clone())),
                ];
                match token_request(ctx, headers, None).await? {
                    StepOutcome::Succeeded(t) => Ok(Token::new(t, ctx.config.token_lifetime())),
                    StepOutcome::Expecting { challenge, .. } => Err(Error::auth(
                        AuthErrorKind::Protocol,
                        challenge.step,
                        format!(
                            "ETNA asks for another step after the OAuth code: {}",
                            challenge.reason
                        ),
                    )),
                }
            }
            CodeExchange::Idp => {
                let endpoints = self.discover(ctx).await?;
                let client = self.client(&endpoints, &request.redirect_uri)?;
                let http = OAuthHttp {
                    http: oauth_http()?,
                    timeout: ctx.config.timeout(),
                };
                let resp = client
                    .exchange_code(AuthorizationCode::new(code.expose().to_string()))
                    .set_pkce_verifier(PkceCodeVerifier::new(request.verifier.expose().to_string()))
                    .request_async(&http)
                    .await
                    .map_err(|e| token_error("code_exchange", e))?;
                Ok(to_token(&resp, ctx))
            }
        }
    }

    async fn login_flow(&self, ctx: &AuthContext) -> Result<Token> {
        match &self.redirect {
            RedirectMode::Loopback { path, timeout } => {
                let listener = TcpListener::bind(("127.0.0.1", 0)).await.map_err(|e| {
                    Error::auth(
                        AuthErrorKind::Protocol,
                        "callback",
                        format!("cannot listen on 127.0.0.1: {e}"),
                    )
                })?;
                let port = listener
                    .local_addr()
                    .map_err(|e| Error::auth(AuthErrorKind::Protocol, "callback", e.to_string()))?
                    .port();
                let redirect_uri = format!("http://127.0.0.1:{port}{path}");
                let request = self.authorization_request(ctx, &redirect_uri).await?;
                let wait = tokio::time::timeout(*timeout, receive_redirect(&listener, path));
                let open = self.browser.open(request.url());
                let (opened, received) = tokio::join!(open, wait);
                opened?;
                let query = received.map_err(|_| {
                    Error::auth(
                        AuthErrorKind::Cancelled,
                        "callback",
                        format!("no redirect arrived within {timeout:?}"),
                    )
                })??;
                let code = request.code_from_redirect(&query)?;
                self.exchange(ctx, &request, &code).await
            }
            RedirectMode::Manual {
                redirect_uri,
                paste,
            } => {
                let request = self.authorization_request(ctx, redirect_uri).await?;
                let pasted = paste(request.url().clone()).await?;
                let code = request.code_from_redirect(&pasted)?;
                self.exchange(ctx, &request, &code).await
            }
        }
    }
}

impl TokenProvider for OAuthLogin {
    fn session_key(&self, ctx: &AuthContext) -> String {
        let via = match self.exchange {
            CodeExchange::Idp => "idp",
            CodeExchange::Etna => "etna",
        };
        format!(
            "oauth:{}:{}:{via}@{}",
            self.client_id,
            self.issuer,
            ctx.config.base_url()
        )
    }

    fn login<'a>(&'a self, ctx: &'a AuthContext) -> BoxFuture<'a, Result<Token>> {
        Box::pin(self.login_flow(ctx))
    }

    fn refresh<'a>(
        &'a self,
        ctx: &'a AuthContext,
        current: &'a Token,
    ) -> BoxFuture<'a, Result<Token>> {
        Box::pin(async move {
            let Some(refresh) = current.refresh_token() else {
                return self.login_flow(ctx).await;
            };
            let endpoints = self.discover(ctx).await?;
            // The redirect URI is not part of a refresh request; any valid URL satisfies the client's typestate.
            let client = self.client(&endpoints, "http://127.0.0.1/callback")?;
            let http = OAuthHttp {
                http: oauth_http()?,
                timeout: ctx.config.timeout(),
            };
            let resp = client
                .exchange_refresh_token(&RefreshToken::new(refresh.expose().to_string()))
                .request_async(&http)
                .await
                .map_err(|e| token_error("refresh", e))?;
            let token = to_token(&resp, ctx);
            // Servers that do not rotate refresh tokens (Auth0's default) send none back: keep the old one.
            Ok(match token.refresh_token() {
                Some(_) => token,
                None => token.with_refresh_token(Some(refresh.clone())),
            })
        })
    }

    fn logout<'a>(&'a self, ctx: &'a AuthContext, token: &'a Token) -> BoxFuture<'a, Result<()>> {
        match self.exchange {
            CodeExchange::Etna => Box::pin(super::etna::logout(ctx, token)),
            // An IdP session ends at the IdP (Auth0 `/v2/logout` in the browser); locally the token is forgotten.
            CodeExchange::Idp => Box::pin(async { Ok(()) }),
        }
    }
}

fn to_token(resp: &oauth2::basic::BasicTokenResponse, ctx: &AuthContext) -> Token {
    let lifetime = resp.expires_in().unwrap_or(ctx.config.token_lifetime());
    Token::new(resp.access_token().secret().clone(), lifetime).with_refresh_token(
        resp.refresh_token()
            .map(|r| Secret::new(r.secret().clone())),
    )
}

fn token_error(
    step: &str,
    e: RequestTokenError<
        oauth2::HttpClientError<reqwest::Error>,
        oauth2::basic::BasicErrorResponse,
    >,
) -> Error {
    match e {
        RequestTokenError::ServerResponse(r) => {
            let kind = match r.error() {
                BasicErrorResponseType::InvalidGrant => AuthErrorKind::InvalidGrant,
                BasicErrorResponseType::InvalidClient
                | BasicErrorResponseType::UnauthorizedClient => AuthErrorKind::InvalidClient,
                _ => AuthErrorKind::Protocol,
            };
            let text = match r.error_description() {
                Some(d) => format!("{}: {d}", r.error()),
                None => r.error().to_string(),
            };
            Error::auth(kind, step, text)
        }
        RequestTokenError::Request(e) => Error::Transport {
            operation: format!("oauth_{step}"),
            message: e.to_string(),
            request_id: "-".into(),
            source: Some(Arc::new(e)),
        },
        RequestTokenError::Parse(e, _body) => Error::auth(
            AuthErrorKind::Protocol,
            step,
            format!("the token endpoint's answer is not valid: {e}"),
        ),
        RequestTokenError::Other(s) => Error::auth(AuthErrorKind::Protocol, step, s),
    }
}

/// Waits for the browser's request to `path` on `listener`, answers it, and returns its query string. Other
/// requests (a favicon) get a 404 and the wait goes on.
async fn receive_redirect(listener: &TcpListener, path: &str) -> Result<String> {
    loop {
        let (mut sock, _) = listener.accept().await.map_err(|e| {
            Error::auth(
                AuthErrorKind::Protocol,
                "callback",
                format!("accept failed: {e}"),
            )
        })?;
        let mut buf = Vec::with_capacity(2048);
        let mut chunk = [0u8; 2048];
        // Only the request line matters; read until the end of the headers or 16 KiB.
        while !buf.windows(4).any(|w| w == b"\r\n\r\n") && buf.len() < 16 * 1024 {
            match tokio::time::timeout(Duration::from_secs(10), sock.read(&mut chunk)).await {
                Ok(Ok(0)) | Err(_) => break,
                Ok(Ok(n)) => buf.extend_from_slice(&chunk[..n]),
                Ok(Err(_)) => break,
            }
        }
        let text = String::from_utf8_lossy(&buf);
        let target = text
            .lines()
            .next()
            .and_then(|l| {
                let mut parts = l.split_whitespace();
                (parts.next() == Some("GET"))
                    .then(|| parts.next())
                    .flatten()
            })
            .unwrap_or("")
            .to_string();
        let (req_path, query) = target.split_once('?').unwrap_or((target.as_str(), ""));
        if req_path != path {
            let _ = sock
                .write_all(
                    b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
                )
                .await;
            continue;
        }
        let page = "<!doctype html><title>AutoShares login</title><p>Login received. You can close this window and return to your application.</p>";
        let resp = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: text/html; charset=utf-8\r\ncache-control: no-store\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{page}",
            page.len()
        );
        let _ = sock.write_all(resp.as_bytes()).await;
        let _ = sock.shutdown().await;
        return Ok(query.to_string());
    }
}

/// HTTP client for the token endpoint: no redirects (oauth2's advice), rustls.
fn oauth_http() -> Result<reqwest::Client> {
    static CLIENT: OnceLock<reqwest::Client> = OnceLock::new();
    if let Some(c) = CLIENT.get() {
        return Ok(c.clone());
    }
    let c = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(Duration::from_secs(10))
        .build()
        .map_err(|e| Error::config("http_client", format!("cannot build the HTTP client: {e}")))?;
    Ok(CLIENT.get_or_init(|| c).clone())
}

/// oauth2's HTTP seam over reqwest 0.13.
struct OAuthHttp {
    http: reqwest::Client,
    timeout: Duration,
}

impl<'c> oauth2::AsyncHttpClient<'c> for OAuthHttp {
    type Error = oauth2::HttpClientError<reqwest::Error>;
    type Future = Pin<
        Box<
            dyn Future<Output = std::result::Result<oauth2::HttpResponse, Self::Error>> + Send + 'c,
        >,
    >;

    fn call(&'c self, request: oauth2::HttpRequest) -> Self::Future {
        Box::pin(async move {
            let (parts, body) = request.into_parts();
            let resp = self
                .http
                .request(parts.method, parts.uri.to_string())
                .headers(parts.headers)
                .timeout(self.timeout)
                .body(body)
                .send()
                .await
                .map_err(Box::new)?;
            let mut builder = http::Response::builder()
                .status(resp.status())
                .version(resp.version());
            for (k, v) in resp.headers() {
                builder = builder.header(k, v);
            }
            let body = resp.bytes().await.map_err(Box::new)?;
            builder
                .body(body.to_vec())
                .map_err(oauth2::HttpClientError::Http)
        })
    }
}

//! Logging in and staying logged in.
//!
//! A [`TokenProvider`] knows how to obtain a bearer token: [`PasswordLogin`] runs the ETNA `/token` step machine
//! (password, 2FA verification code, PIN), [`OAuthLogin`] runs the OAuth 2.0 Authorization Code flow with PKCE
//! (Auth0 or any standards-conforming server), and [`StaticToken`] wraps a token obtained elsewhere.
//!
//! The client never calls a provider directly: a session (`TokenManager`, internal) caches the token with its
//! expiry on a monotonic clock, refreshes it shortly before it expires, and makes sure that many concurrent calls
//! needing a new token cause exactly one refresh. A [`TokenStore`] keeps tokens between runs (memory or a 0600
//! file shared by the Rust, Python and Node libraries), and [`StoredSession`] uses a session found in it (one that
//! `autoshares login` or another program logged in) when no way to log in is configured.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use futures::future::BoxFuture;

use crate::config::Config;
use crate::error::Result;
use crate::secret::Secret;

mod etna;
pub(crate) mod manager;
mod oauth;
mod session;
pub(crate) mod store;

pub use etna::{Challenge, NoSecondFactor, PasswordLogin, SecondFactor, StaticSecondFactor};
pub use oauth::{AuthorizationRequest, Browser, CodeExchange, OAuthLogin, RedirectMode};
pub use session::StoredSession;
pub use store::{FileTokenStore, MemoryTokenStore, StoredToken, TokenStore};

/// What a provider needs to talk to the servers: the shared HTTP client and the configuration.
#[derive(Clone)]
pub struct AuthContext {
    pub(crate) http: reqwest::Client,
    pub(crate) config: Arc<Config>,
}

impl AuthContext {
    /// The shared HTTP client (rustls, connection pool shared with the REST calls).
    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// The client's configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }
}

impl fmt::Debug for AuthContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthContext")
            .field("config", &self.config)
            .finish()
    }
}

/// A bearer token with its expiry.
///
/// The expiry is kept twice: as a monotonic deadline (what refresh decisions use, immune to wall-clock jumps) and
/// as a UTC time (what token stores persist).
#[derive(Clone)]
pub struct Token {
    access_token: Secret,
    refresh_token: Option<Secret>,
    deadline: Instant,
    expires_at: DateTime<Utc>,
}

impl Token {
    /// A token valid for `lifetime` from now.
    pub fn new(access_token: impl Into<Secret>, lifetime: Duration) -> Token {
        let lifetime = lifetime.min(Duration::from_secs(100 * 365 * 24 * 3600));
        Token {
            access_token: access_token.into(),
            refresh_token: None,
            deadline: Instant::now() + lifetime,
            expires_at: Utc::now()
                + chrono::Duration::from_std(lifetime).unwrap_or(chrono::Duration::MAX),
        }
    }

    /// A token that expires at the given UTC time (for tokens read back from a store).
    pub fn expiring_at(access_token: impl Into<Secret>, expires_at: DateTime<Utc>) -> Token {
        let remaining = (expires_at - Utc::now()).to_std().unwrap_or(Duration::ZERO);
        let now = Instant::now();
        Token {
            access_token: access_token.into(),
            refresh_token: None,
            deadline: now.checked_add(remaining).unwrap_or(now),
            expires_at,
        }
    }

    /// Adds the OAuth refresh token.
    pub fn with_refresh_token(mut self, refresh_token: Option<Secret>) -> Token {
        self.refresh_token = refresh_token;
        self
    }

    /// The bearer token.
    pub fn access_token(&self) -> &Secret {
        &self.access_token
    }

    /// The OAuth refresh token, if the server issued one.
    pub fn refresh_token(&self) -> Option<&Secret> {
        self.refresh_token.as_ref()
    }

    /// When the token expires (UTC).
    pub fn expires_at(&self) -> DateTime<Utc> {
        self.expires_at
    }

    /// Time left before expiry (zero once expired).
    pub fn expires_in(&self) -> Duration {
        self.deadline.saturating_duration_since(Instant::now())
    }

    /// Whether the token expires within `margin` from now.
    pub fn expires_within(&self, margin: Duration) -> bool {
        self.expires_in() <= margin
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Token")
            .field("access_token", &self.access_token)
            .field("refresh_token", &self.refresh_token.as_ref().map(|_| "***"))
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

/// Something that can obtain (and renew) a bearer token.
///
/// Implement it to plug in another identity provider; the SDK's session calls it at most once at a time.
pub trait TokenProvider: Send + Sync + fmt::Debug {
    /// A stable name of whose session this is, used as the key in a [`TokenStore`]
    /// (for example `password:trader@http://127.0.0.1:8080/token`). It must not contain a secret.
    fn session_key(&self, ctx: &AuthContext) -> String;

    /// Obtains a new token from scratch.
    fn login<'a>(&'a self, ctx: &'a AuthContext) -> BoxFuture<'a, Result<Token>>;

    /// Renews a token that is about to expire or was refused. The default logs in again.
    fn refresh<'a>(
        &'a self,
        ctx: &'a AuthContext,
        current: &'a Token,
    ) -> BoxFuture<'a, Result<Token>> {
        let _ = current;
        self.login(ctx)
    }

    /// Ends the session on the server. The default calls ETNA `POST /logout` with the token.
    fn logout<'a>(&'a self, ctx: &'a AuthContext, token: &'a Token) -> BoxFuture<'a, Result<()>> {
        Box::pin(etna::logout(ctx, token))
    }
}

/// A token obtained elsewhere (another tool, a test). It cannot be renewed: once refused, calls fail with an
/// auth error of kind `TOKEN_EXPIRED`.
#[derive(Clone)]
pub struct StaticToken {
    token: Secret,
    lifetime: Duration,
}

impl StaticToken {
    /// Uses `token` as the bearer token, assumed valid for `lifetime`.
    pub fn new(token: impl Into<Secret>, lifetime: Duration) -> Self {
        StaticToken {
            token: token.into(),
            lifetime,
        }
    }
}

impl fmt::Debug for StaticToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StaticToken")
            .field("token", &self.token)
            .finish()
    }
}

impl TokenProvider for StaticToken {
    fn session_key(&self, ctx: &AuthContext) -> String {
        format!("static@{}", ctx.config.base_url())
    }

    fn login<'a>(&'a self, _ctx: &'a AuthContext) -> BoxFuture<'a, Result<Token>> {
        Box::pin(async move { Ok(Token::new(self.token.clone(), self.lifetime)) })
    }

    fn refresh<'a>(
        &'a self,
        _ctx: &'a AuthContext,
        _current: &'a Token,
    ) -> BoxFuture<'a, Result<Token>> {
        Box::pin(async move {
            Err(crate::Error::auth(
                crate::AuthErrorKind::TokenExpired,
                "refresh",
                "the static token was refused and cannot be renewed; log in again",
            ))
        })
    }
}

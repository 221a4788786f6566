//! The session: one cached token, renewed once no matter how many calls need it.
//!
//! Fast path: a read lock and a monotonic-clock comparison. Slow path (no token, near expiry, or refused by the
//! server): take the refresh mutex, look again (another task may have just refreshed), consult the token store
//! under its cross-process lock (another process may have just refreshed), and only then call the provider. A
//! refused token is invalidated by its generation number, so a thousand calls that all saw the same 401 cause one
//! refresh, not a thousand.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use rand::Rng;

use super::store::{StoredToken, TokenStore};
use super::{AuthContext, Token, TokenProvider};
use crate::error::{Error, Result};

/// A token as handed to the transport: the token and the generation it belongs to.
#[derive(Debug)]
pub(crate) struct Lease {
    pub(crate) token: Token,
    pub(crate) generation: u64,
    refused: AtomicBool,
    /// Set once a probe showed the server still accepts this token (so a 401 means "not allowed").
    accepted: AtomicBool,
    refresh_margin: Duration,
}

impl Lease {
    fn usable(&self) -> bool {
        !self.refused.load(Ordering::Acquire) && !self.token.expires_within(self.refresh_margin)
    }
}

/// What a 401 meant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// The token was stale: retry with a renewed one.
    Stale,
    /// The token is valid; the server refuses this request.
    Denied,
}

pub(crate) struct TokenManager {
    provider: Arc<dyn TokenProvider>,
    store: Arc<dyn TokenStore>,
    ctx: AuthContext,
    key: String,
    leeway: Duration,
    current: RwLock<Option<Arc<Lease>>>,
    refresh_lock: tokio::sync::Mutex<()>,
    generation: AtomicU64,
    provider_calls: AtomicU64,
}

impl std::fmt::Debug for TokenManager {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenManager")
            .field("provider", &self.provider)
            .field("key", &self.key)
            .finish_non_exhaustive()
    }
}

impl TokenManager {
    pub(crate) fn new(
        provider: Arc<dyn TokenProvider>,
        store: Arc<dyn TokenStore>,
        ctx: AuthContext,
    ) -> Self {
        let key = provider.session_key(&ctx);
        let leeway = ctx.config.refresh_leeway();
        TokenManager {
            provider,
            store,
            ctx,
            key,
            leeway,
            current: RwLock::new(None),
            refresh_lock: tokio::sync::Mutex::new(()),
            generation: AtomicU64::new(0),
            provider_calls: AtomicU64::new(0),
        }
    }

    /// The token-store key of this session.
    pub(crate) fn key(&self) -> &str {
        &self.key
    }

    /// How many times the provider was asked for a token (logins plus refreshes).
    pub(crate) fn provider_calls(&self) -> u64 {
        self.provider_calls.load(Ordering::Relaxed)
    }

    fn cached(&self) -> Option<Arc<Lease>> {
        self.current
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// A usable token, logging in or refreshing if needed.
    pub(crate) async fn lease(&self) -> Result<Arc<Lease>> {
        if let Some(lease) = self.cached().filter(|l| l.usable()) {
            return Ok(lease);
        }
        let _guard = self.refresh_lock.lock().await;
        let previous = self.cached();
        if let Some(lease) = previous.as_ref().filter(|l| l.usable()) {
            return Ok(lease.clone());
        }
        self.renew(previous).await
    }

    /// Decides what a 401 on a call made with `lease` means. ETNA answers 401 both for a stale token and for a
    /// resource the user may not see (someone else's account), and renewing the token for the latter would
    /// re-run the login (and its 2FA prompt) for nothing. So, once per token and under the refresh lock, one cheap
    /// authenticated probe (`GET /users/@me/info`) tells them apart.
    ///
    /// Returns [`Refusal::Stale`] when the caller should retry with a renewed token (the next `lease` renews it,
    /// once for all callers), [`Refusal::Denied`] when the token is fine and the server refuses the request.
    pub(crate) async fn on_unauthorized(&self, lease: &Lease) -> Result<Refusal> {
        let _guard = self.refresh_lock.lock().await;
        let current = self.cached();
        let Some(current) = current.filter(|c| c.generation == lease.generation) else {
            return Ok(Refusal::Stale); // renewed since this call started: retry with the new token
        };
        if current.refused.load(Ordering::Acquire) {
            return Ok(Refusal::Stale);
        }
        if current.accepted.load(Ordering::Acquire) {
            return Ok(Refusal::Denied);
        }
        if self.probe(&current.token).await? {
            current.accepted.store(true, Ordering::Release);
            Ok(Refusal::Denied)
        } else {
            current.refused.store(true, Ordering::Release);
            Ok(Refusal::Stale)
        }
    }

    /// Whether the server accepts `token` (2xx on `GET /v{version}/users/@me/info`).
    async fn probe(&self, token: &Token) -> Result<bool> {
        let config = &self.ctx.config;
        let url = config.endpoint(&format!("/v{}/users/@me/info", config.api_version()));
        let request_id = crate::transport::new_request_id();
        let resp = crate::transport::with_credentials(
            self.ctx.http.get(url),
            config,
            Some(token.access_token()),
            &request_id,
        )?
        .send()
        .await
        .map_err(|e| {
            crate::transport::send_error("token_probe", &request_id, config.timeout(), e)
        })?;
        tracing::debug!(status = resp.status().as_u16(), request_id = %request_id, "probed the token after a 401");
        Ok(resp.status() != http::StatusCode::UNAUTHORIZED)
    }

    /// Forces a fresh login now (the explicit `Client::login`).
    pub(crate) async fn login(&self) -> Result<Arc<Lease>> {
        let _guard = self.refresh_lock.lock().await;
        let token = self.call_provider(None).await?;
        self.install(token).await
    }

    /// Logs out on the server and forgets the token locally and in the store. A process that has not used the
    /// session yet (`autoshares logout`) ends the stored one.
    pub(crate) async fn logout(&self) -> Result<()> {
        let _guard = self.refresh_lock.lock().await;
        let lease = self
            .current
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .take();
        let store = self.store.clone();
        let key = self.key.clone();
        let stored = blocking(move || {
            let stored = store.load(&key)?;
            store.remove(&key)?;
            Ok(stored)
        })
        .await?;
        let token = match (lease, stored) {
            (Some(lease), _) => lease.token.clone(),
            (None, Some(stored)) => Token::from(stored),
            (None, None) => return Ok(()),
        };
        if token.expires_in().is_zero() {
            return Ok(());
        }
        match self.provider.logout(&self.ctx, &token).await {
            // Already ended on the server (expired or logged out elsewhere): nothing left to end.
            Err(e) if e.status() == Some(401) => Ok(()),
            other => other,
        }
    }

    async fn renew(&self, previous: Option<Arc<Lease>>) -> Result<Arc<Lease>> {
        let store = self.store.clone();
        let lock = blocking(move || store.lock()).await?;
        // Another process (or an earlier run) may hold a newer token than the one we have.
        let store = self.store.clone();
        let key = self.key.clone();
        let stored = blocking(move || store.load(&key)).await?;
        if let Some(stored) = stored {
            let known = previous
                .as_ref()
                .map(|l| l.token.access_token() == &stored.access_token);
            let token = Token::from(stored);
            if known != Some(true) && !token.expires_within(self.margin()) {
                tracing::debug!(session = %self.key, "using the token from the token store");
                drop(lock);
                return self.publish(token);
            }
            if previous.is_none() && token.refresh_token().is_some() {
                // A stored but expired OAuth token: its refresh token is still worth using.
                let token = self.call_provider(Some(&token)).await?;
                let lease = self.install(token).await;
                drop(lock);
                return lease;
            }
        }
        let token = self
            .call_provider(previous.as_ref().map(|l| &l.token))
            .await?;
        let lease = self.install(token).await;
        drop(lock);
        lease
    }

    async fn call_provider(&self, current: Option<&Token>) -> Result<Token> {
        self.provider_calls.fetch_add(1, Ordering::Relaxed);
        let result = match current {
            Some(token) if token.refresh_token().is_some() => {
                tracing::debug!(session = %self.key, "refreshing the token");
                self.provider.refresh(&self.ctx, token).await
            }
            _ => {
                tracing::debug!(session = %self.key, "logging in");
                self.provider.login(&self.ctx).await
            }
        };
        if let Err(e) = &result {
            tracing::debug!(session = %self.key, error.kind = e.kind().code(), "login failed");
        }
        result
    }

    async fn install(&self, token: Token) -> Result<Arc<Lease>> {
        let store = self.store.clone();
        let key = self.key.clone();
        let stored = StoredToken::from(&token);
        blocking(move || store.save(&key, &stored)).await?;
        self.publish(token)
    }

    fn publish(&self, token: Token) -> Result<Arc<Lease>> {
        let lease = Arc::new(Lease {
            token,
            generation: self.generation.fetch_add(1, Ordering::AcqRel) + 1,
            refused: AtomicBool::new(false),
            accepted: AtomicBool::new(false),
            refresh_margin: self.margin(),
        });
        *self.current.write().unwrap_or_else(|p| p.into_inner()) = Some(lease.clone());
        Ok(lease)
    }

    /// The refresh margin: the leeway plus up to a quarter of it in jitter, so that processes sharing a token
    /// store do not all refresh at the same instant.
    fn margin(&self) -> Duration {
        let jitter = self.leeway.as_millis() as u64 / 4;
        let extra = if jitter > 0 {
            rand::rng().random_range(0..=jitter)
        } else {
            0
        };
        self.leeway + Duration::from_millis(extra)
    }
}

/// Runs a blocking token-store call off the async executor.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> Result<T> + Send + 'static) -> Result<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| Error::TokenStore {
            path: "-".into(),
            message: format!("token store task failed: {e}"),
        })?
}

impl TokenManager {
    /// Installs a token obtained outside the provider (a step-by-step login).
    pub(crate) async fn install_external(&self, token: Token) -> Result<()> {
        let _guard = self.refresh_lock.lock().await;
        self.install(token).await.map(|_| ())
    }
}

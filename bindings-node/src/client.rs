//! `Client`: one core client (session, retries, shared connection pool) behind a JS class.

use std::sync::Arc;

use autoshares::auth::OAuthLogin;
use napi::bindgen_prelude::*;
use napi_derive::napi;

use crate::auth::{self, OAuthPending};
use crate::call::{self, CallOptions, Lifecycle};
use crate::config::{self, ClientOptions};
use crate::stream::MarketStream;

/// What a client and its area handles share (the `client.<area>` getters are generated in `api/mod.rs`).
pub struct Shared {
    pub core: autoshares::Client,
    pub life: Arc<Lifecycle>,
    oauth: Option<(OAuthLogin, Option<String>)>,
}

/// An AutoShares API client: one session (logs in on first use, renews its token before it expires) and
/// Promise methods grouped by area, as in Rust (`client.users.me()`, `client.accounts.balance(id)`).
///
/// ```js
/// import { Client } from 'autoshares'
/// const client = new Client({ baseUrl, appKey, password: { username: 'trader', password: 'trader-pass' } })
/// const me = await client.users.me()
/// for (const a of await client.accounts.mine()) console.log(a.id, (await client.accounts.balance(a.id)).cash)
/// client.close()
/// ```
///
/// Failures reject with an `AutoSharesError` (`err.code`: `'AUTH'`, `'API'`, `'VALIDATION'`, ...). Many clients
/// (one per user) in one process share the connection pool.
#[napi]
pub struct Client {
    pub(crate) shared: Arc<Shared>,
}

impl Client {
    pub fn from_core(
        core: autoshares::Client,
        oauth: Option<(OAuthLogin, Option<String>)>,
    ) -> Client {
        Client {
            shared: Arc::new(Shared {
                core,
                life: Lifecycle::new(),
                oauth,
            }),
        }
    }
}

fn build(options: ClientOptions) -> autoshares::Result<Client> {
    let cfg = config::build(&options)?;
    let mut builder = autoshares::Client::builder().config(cfg);
    let mut oauth = None;
    match (options.password, options.oauth) {
        (Some(_), Some(_)) => {
            return Err(autoshares::Error::Config {
                field: "login".into(),
                message: "pass `password` or `oauth`, not both".into(),
            })
        }
        (Some(p), None) => builder = builder.login(auth::password_login(p)),
        (None, Some(o)) => {
            let redirect_uri = o.redirect_uri.clone();
            let login = auth::oauth_login(o)?;
            builder = builder.login(login.clone());
            oauth = Some((login, redirect_uri));
        }
        (None, None) => {}
    }
    Ok(Client::from_core(builder.build()?, oauth))
}

#[napi]
impl Client {
    /// Creates a client; nothing is sent until the first call (or `login()`). Throws an `AutoSharesError` with
    /// `code === 'CONFIG'` for a bad setting (the `field` names it).
    #[napi(constructor)]
    pub fn new(env: Env, options: Option<ClientOptions>) -> Result<Self> {
        let options = options.unwrap_or_default();
        build(options).map_err(|e| crate::error::core(&env, &e))
    }

    /// Logs in now (calls otherwise log in on first use), replacing any cached token.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn login<'env>(
        &self,
        env: &'env Env,
        options: Option<CallOptions>,
    ) -> Result<PromiseRaw<'env, ()>> {
        let core = self.shared.core.clone();
        call::spawn(
            env,
            &self.shared.life,
            options,
            async move { core.login().await },
            |v| v,
        )
    }

    /// Ends the session: `POST /logout`, and the token is forgotten (also in the token file).
    #[napi(ts_return_type = "Promise<void>")]
    pub fn logout<'env>(
        &self,
        env: &'env Env,
        options: Option<CallOptions>,
    ) -> Result<PromiseRaw<'env, ()>> {
        let core = self.shared.core.clone();
        call::spawn(
            env,
            &self.shared.life,
            options,
            async move { core.logout().await },
            |v| v,
        )
    }

    /// What each order intent in the `orderJournal` that a previous run could not confirm actually did; nothing
    /// is sent again. Rejects with `CONFIG` when the client has no journal.
    #[napi(ts_return_type = "Promise<Array<ReconciledIntent>>")]
    pub fn reconcile_journal<'env>(
        &self,
        env: &'env Env,
        options: Option<CallOptions>,
    ) -> Result<PromiseRaw<'env, Vec<crate::journal::ReconciledIntent>>> {
        let core = self.shared.core.clone();
        call::spawn(
            env,
            &self.shared.life,
            options,
            async move { core.reconcile_journal().await },
            crate::journal::to_js,
        )
    }

    /// Two-step OAuth, step 1: the authorize URL for `redirectUri` (default: the `oauth.redirectUri` option), to
    /// open in a browser. Needs a client created with `oauth` options.
    ///
    /// ```js
    /// const pending = await client.oauthAuthorizationRequest()
    /// console.log('Open', pending.url)
    /// await client.oauthComplete(pending, pastedRedirectUrl)
    /// ```
    #[napi(ts_return_type = "Promise<OAuthPending>")]
    pub fn oauth_authorization_request<'env>(
        &self,
        env: &'env Env,
        redirect_uri: Option<String>,
        options: Option<CallOptions>,
    ) -> Result<PromiseRaw<'env, OAuthPending>> {
        let shared = self.shared.clone();
        let fut = async move {
            let (login, configured) = oauth_of(&shared)?;
            let uri = redirect_uri
                .or(configured)
                .ok_or_else(|| autoshares::Error::Config {
                    field: "oauth.redirectUri".into(),
                    message: "the two-step flow needs a redirect URI registered with the IdP"
                        .into(),
                })?;
            login
                .authorization_request(shared.core.auth_context(), &uri)
                .await
        };
        call::spawn(env, &self.shared.life, options, fut, |request| {
            OAuthPending {
                request: Arc::new(request),
            }
        })
    }

    /// Two-step OAuth, step 2: checks `state` in the URL the browser was redirected to (or its query string),
    /// exchanges the code, and uses the token for this client from now on.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn oauth_complete<'env>(
        &self,
        env: &'env Env,
        pending: &OAuthPending,
        redirect_url: String,
        options: Option<CallOptions>,
    ) -> Result<PromiseRaw<'env, ()>> {
        let shared = self.shared.clone();
        let request = pending.request.clone();
        let fut = async move {
            let (login, _) = oauth_of(&shared)?;
            let code = request.code_from_redirect(&redirect_url)?;
            let token = login
                .exchange(shared.core.auth_context(), &request, &code)
                .await?;
            shared.core.install_token(token).await
        };
        call::spawn(env, &self.shared.life, options, fut, |v| v)
    }

    /// Starts a stream of quotes, depth and account events over the AutoShares streamers (see `MarketStream`).
    /// Symbols are resolved and accounts checked before anything connects: an unknown symbol or someone else's
    /// account rejects with `code === 'VALIDATION'` (and `field`).
    ///
    /// ```js
    /// const stream = await client.stream({ quotes: ['AAPL'], accounts: [accountId], config: { marketHours: 'always' } })
    /// for await (const ev of stream) if (ev.type === 'order') console.log(ev.order.status)
    /// ```
    #[napi(
        ts_args_type = "options?: StreamOptions, callOptions?: CallOptions",
        ts_return_type = "Promise<MarketStream>"
    )]
    pub fn stream<'env>(
        &self,
        env: &'env Env,
        options: Option<Object>,
        call_options: Option<CallOptions>,
    ) -> Result<PromiseRaw<'env, MarketStream>> {
        crate::stream::start(
            env,
            self.shared.core.clone(),
            &self.shared.life,
            options,
            call_options,
        )
    }

    /// How many times this session asked for a token (logins and refreshes).
    #[napi]
    pub fn token_requests(&self) -> u32 {
        u32::try_from(self.shared.core.token_requests()).unwrap_or(u32::MAX)
    }

    /// Whether `close()` was called.
    #[napi(getter)]
    pub fn closed(&self) -> bool {
        self.shared.life.is_closed()
    }

    /// Closes the client: calls in flight reject with `code === 'CLOSED'` (their requests are dropped), later
    /// calls too. Nothing of the client keeps the process alive afterwards. Idempotent.
    #[napi]
    pub fn close(&self) {
        self.shared.life.close();
    }
}

fn oauth_of(shared: &Shared) -> autoshares::Result<(OAuthLogin, Option<String>)> {
    shared
        .oauth
        .clone()
        .ok_or_else(|| autoshares::Error::Config {
            field: "oauth".into(),
            message: "this client was not created with `oauth` options".into(),
        })
}

//! `new Client({...})` options: core's `Config` settings (explicit options beat `AUTOSHARES_*` variables, which
//! beat defaults, exactly as in Rust) and the login.

use std::collections::HashMap;
use std::time::Duration;

use autoshares::{Config, Environment};
use napi_derive::napi;

use crate::auth::{OAuthLoginOptions, PasswordLoginOptions};

/// Options of `new Client({...})`. Every setting is optional; unset ones come from `AUTOSHARES_*` environment
/// variables (unless `ignoreEnv`), then defaults (the sandbox on `http://127.0.0.1:8080`).
#[napi(object, object_to_js = false)]
#[derive(Default)]
pub struct ClientOptions {
    /// `'sandbox'` (default), `'uat'` or `'live'` (`AUTOSHARES_ENV`). Live needs `allowLive: true`.
    #[napi(ts_type = "'sandbox' | 'uat' | 'live'")]
    pub environment: Option<String>,
    /// The full REST prefix (`AUTOSHARES_BASE_URL`); ETNA hosts end in `/api`. `https` unless on loopback.
    pub base_url: Option<String>,
    /// The ETNA `/token` endpoint (`AUTOSHARES_TOKEN_URL`). Default: base URL + `/token`.
    pub token_url: Option<String>,
    /// The `Et-App-Key` (`AUTOSHARES_APP_KEY`); required for UAT and live.
    pub app_key: Option<String>,
    /// The `{version}` path segment (`AUTOSHARES_API_VERSION`). Default `'1.0'`.
    pub api_version: Option<String>,
    /// Time allowed for one HTTP attempt, in milliseconds (`AUTOSHARES_TIMEOUT`, in seconds). Default 30000.
    pub timeout_ms: Option<u32>,
    /// Time allowed to connect, in milliseconds. Default 10000; clients with the default share one connection
    /// pool per process.
    pub connect_timeout_ms: Option<u32>,
    /// The `User-Agent` header.
    pub user_agent: Option<String>,
    /// Retries of idempotent requests after transient failures (`AUTOSHARES_MAX_RETRIES`). Default 3.
    pub max_retries: Option<u32>,
    /// Assumed lifetime of `/token` tokens, in milliseconds. Default 24 hours.
    pub token_lifetime_ms: Option<u32>,
    /// Renew tokens this long before they expire, in milliseconds. Default 60000.
    pub refresh_leeway_ms: Option<u32>,
    /// Opt in to the live environment (`AUTOSHARES_ALLOW_LIVE`). Default false.
    pub allow_live: Option<bool>,
    /// A file that keeps tokens between runs (0600, shared with the Rust and Python libraries).
    pub token_file: Option<String>,
    /// A file where every place, replace and cancel is written down before it is sent (0600), so a restarted
    /// process can finish reconciling with `client.reconcileJournal()` (`AUTOSHARES_ORDER_JOURNAL`).
    pub order_journal: Option<String>,
    /// Read no `AUTOSHARES_*` environment variable.
    pub ignore_env: Option<bool>,
    /// Read `AUTOSHARES_*` values from this map instead of `process.env`.
    pub env: Option<HashMap<String, String>>,
    /// Log in with username and password (`POST /token`, with 2FA and PIN steps).
    pub password: Option<PasswordLoginOptions>,
    /// Log in with OAuth 2.0 + PKCE.
    pub oauth: Option<OAuthLoginOptions>,
}

fn ms(v: u32) -> Duration {
    Duration::from_millis(v.into())
}

/// The core configuration of these options (the login parts are left to the caller).
pub fn build(o: &ClientOptions) -> autoshares::Result<Config> {
    let mut b = Config::builder();
    if let Some(e) = &o.environment {
        b = b.environment(e.parse::<Environment>()?);
    }
    if let Some(v) = &o.base_url {
        b = b.base_url(v.clone());
    }
    if let Some(v) = &o.token_url {
        b = b.token_url(v.clone());
    }
    if let Some(v) = &o.app_key {
        b = b.app_key(v.clone());
    }
    if let Some(v) = &o.api_version {
        b = b.api_version(v.clone());
    }
    if let Some(v) = o.timeout_ms {
        b = b.timeout(ms(v));
    }
    if let Some(v) = o.connect_timeout_ms {
        b = b.connect_timeout(ms(v));
    }
    if let Some(v) = &o.user_agent {
        b = b.user_agent(v.clone());
    }
    if let Some(v) = o.max_retries {
        b = b.max_retries(v);
    }
    if let Some(v) = o.token_lifetime_ms {
        b = b.token_lifetime(ms(v));
    }
    if let Some(v) = o.refresh_leeway_ms {
        b = b.refresh_leeway(ms(v));
    }
    if let Some(v) = o.allow_live {
        b = b.allow_live(v);
    }
    if let Some(v) = &o.token_file {
        b = b.token_file(v.clone());
    }
    if let Some(v) = &o.order_journal {
        b = b.order_journal(v.clone());
    }
    if let Some(vars) = &o.env {
        b = b.env_vars(vars.clone());
    }
    if o.ignore_env == Some(true) {
        b = b.ignore_env();
    }
    b.build()
}

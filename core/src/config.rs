//! Where the SDK talks to, with what key, and how patiently.
//!
//! Every value resolves in one order: an explicit builder call beats an `AUTOSHARES_*` environment variable,
//! which beats the default. [`Config::describe`] lists each value with where it came from (secrets redacted),
//! which is what `autoshares config show` prints.
//!
//! Two rules are enforced here, before any request exists: a base URL that is not on loopback must be `https`,
//! and the `Live` environment needs an explicit opt-in ([`ConfigBuilder::allow_live`] or
//! `AUTOSHARES_ALLOW_LIVE=true`). The default environment is the local sandbox.

use std::collections::HashMap;
use std::fmt;
use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use url::Url;

use crate::error::{Error, Result};
use crate::secret::Secret;

/// Default REST prefix of the local sandbox (`autoshares-sandbox` listens on port 8080 by default).
pub const SANDBOX_URL: &str = "http://127.0.0.1:8080";
/// Default REST prefix of the AutoShares UAT (paper) environment, the AutoShares API proxy.
pub const UAT_URL: &str = "https://api.autoshares.dev";
/// Default REST prefix of the AutoShares live environment.
pub const LIVE_URL: &str = "https://api.autoshares.com";
/// App key the local sandbox accepts by default.
pub const SANDBOX_APP_KEY: &str = "sandbox-app-key";

/// Which AutoShares deployment to talk to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Environment {
    /// The local sandbox (paper trading, offline). The default.
    #[default]
    Sandbox,
    /// The AutoShares UAT developer environment (paper accounts).
    Uat,
    /// Live trading with real money. Needs [`ConfigBuilder::allow_live`].
    Live,
}

impl Environment {
    /// The environment's default REST prefix. ETNA-hosted deployments differ (`https://pub-api-<solution>-<env>.etnasoft.us/api`):
    /// set [`ConfigBuilder::base_url`] for those.
    pub fn default_base_url(self) -> &'static str {
        match self {
            Environment::Sandbox => SANDBOX_URL,
            Environment::Uat => UAT_URL,
            Environment::Live => LIVE_URL,
        }
    }

    /// The name used in `AUTOSHARES_ENV`: `sandbox`, `uat` or `live`.
    pub fn name(self) -> &'static str {
        match self {
            Environment::Sandbox => "sandbox",
            Environment::Uat => "uat",
            Environment::Live => "live",
        }
    }
}

impl std::str::FromStr for Environment {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "sandbox" | "local" => Ok(Environment::Sandbox),
            "uat" | "paper" | "test" => Ok(Environment::Uat),
            "live" | "prod" | "production" => Ok(Environment::Live),
            other => Err(Error::config(
                "environment",
                format!("unknown environment `{other}`; use sandbox, uat or live"),
            )),
        }
    }
}

impl fmt::Display for Environment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Where a configuration value came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// Set explicitly through the builder (or a binding's argument).
    Explicit,
    /// Read from this environment variable.
    Env(&'static str),
    /// The built-in default.
    Default,
    /// Derived from another value (the token URL from the base URL).
    Derived,
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Explicit => f.write_str("argument"),
            Source::Env(var) => write!(f, "env {var}"),
            Source::Default => f.write_str("default"),
            Source::Derived => f.write_str("derived"),
        }
    }
}

/// One line of [`Config::describe`]: a setting, its printable value and its source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigEntry {
    /// The setting's name (builder method name).
    pub name: &'static str,
    /// The value as printed; secrets are `***`, absent values `-`.
    pub value: String,
    /// Where the value came from.
    pub source: Source,
}

/// OAuth 2.0 client settings for the Auth0 (or any OIDC) login. See [`crate::auth::OAuthProvider`].
#[derive(Debug, Clone)]
pub struct OAuthSettings {
    /// The authorization server's issuer URL (`https://<tenant>.us.auth0.com`); endpoints come from its
    /// `/.well-known/openid-configuration` unless set explicitly.
    pub issuer: Url,
    /// The client id AutoShares issued for the application.
    pub client_id: String,
    /// The client secret, for confidential (server-side) applications.
    pub client_secret: Option<Secret>,
}

/// Resolved configuration of a [`crate::Client`]. Build it with [`Config::builder`].
///
/// ```
/// use autoshares::{Config, Environment};
/// let config = Config::builder()
///     .environment(Environment::Sandbox)
///     .base_url("http://127.0.0.1:8080")
///     .app_key("sandbox-app-key")
///     .ignore_env()
///     .build()?;
/// assert_eq!(config.token_url().as_str(), "http://127.0.0.1:8080/token");
/// # Ok::<(), autoshares::Error>(())
/// ```
#[derive(Clone)]
pub struct Config {
    environment: Environment,
    base_url: Url,
    token_url: Url,
    app_key: Secret,
    api_version: String,
    timeout: Duration,
    connect_timeout: Duration,
    user_agent: String,
    max_retries: u32,
    token_lifetime: Duration,
    refresh_leeway: Duration,
    allow_live: bool,
    username: Option<String>,
    password: Option<Secret>,
    pin: Option<Secret>,
    token_file: Option<PathBuf>,
    order_journal: Option<PathBuf>,
    oauth: Option<OAuthSettings>,
    entries: Vec<ConfigEntry>,
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = f.debug_struct("Config");
        for e in &self.entries {
            s.field(e.name, &format_args!("{} ({})", e.value, e.source));
        }
        s.finish()
    }
}

impl fmt::Display for Config {
    /// A table of every value with its source, secrets redacted.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let width = self.entries.iter().map(|e| e.name.len()).max().unwrap_or(0);
        for e in &self.entries {
            writeln!(f, "{:width$}  {}  ({})", e.name, e.value, e.source)?;
        }
        Ok(())
    }
}

impl Config {
    /// Starts a builder. Unset values come from `AUTOSHARES_*` variables, then defaults.
    pub fn builder() -> ConfigBuilder {
        ConfigBuilder::default()
    }

    /// A configuration for a local sandbox at `url` with its app key, ignoring the environment variables.
    pub fn sandbox(url: &str, app_key: &str) -> Result<Config> {
        Config::builder()
            .environment(Environment::Sandbox)
            .base_url(url)
            .app_key(app_key)
            .ignore_env()
            .build()
    }

    /// The environment.
    pub fn environment(&self) -> Environment {
        self.environment
    }
    /// The REST prefix, without a trailing slash (`https://api.autoshares.dev`, `https://…etnasoft.us/api`).
    pub fn base_url(&self) -> &Url {
        &self.base_url
    }
    /// The ETNA `/token` endpoint.
    pub fn token_url(&self) -> &Url {
        &self.token_url
    }
    /// The `Et-App-Key` sent on every request.
    pub fn app_key(&self) -> &Secret {
        &self.app_key
    }
    /// The `{version}` path segment, `1.0` by default.
    pub fn api_version(&self) -> &str {
        &self.api_version
    }
    /// Total time allowed for one HTTP attempt.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }
    /// Time allowed to open a connection.
    pub fn connect_timeout(&self) -> Duration {
        self.connect_timeout
    }
    /// The `User-Agent` header.
    pub fn user_agent(&self) -> &str {
        &self.user_agent
    }
    /// How many times an idempotent request is retried after a transient failure.
    pub fn max_retries(&self) -> u32 {
        self.max_retries
    }
    /// How long an ETNA `/token` token is assumed valid (the server does not say; the docs say 24 hours).
    pub fn token_lifetime(&self) -> Duration {
        self.token_lifetime
    }
    /// How long before expiry a token is refreshed.
    pub fn refresh_leeway(&self) -> Duration {
        self.refresh_leeway
    }
    /// Whether live trading was allowed.
    pub fn live_allowed(&self) -> bool {
        self.allow_live
    }
    /// Username for the password login, if configured.
    pub fn username(&self) -> Option<&str> {
        self.username.as_deref()
    }
    /// Password for the password login, if configured.
    pub fn password(&self) -> Option<&Secret> {
        self.password.as_ref()
    }
    /// PIN for the PIN step, if configured.
    pub fn pin(&self) -> Option<&Secret> {
        self.pin.as_ref()
    }
    /// Token file path, if configured.
    pub fn token_file(&self) -> Option<&PathBuf> {
        self.token_file.as_ref()
    }
    /// Order intent journal path ([`crate::journal`]), if configured.
    pub fn order_journal(&self) -> Option<&PathBuf> {
        self.order_journal.as_ref()
    }
    /// OAuth client settings, if configured.
    pub fn oauth(&self) -> Option<&OAuthSettings> {
        self.oauth.as_ref()
    }
    /// Every value with its printable form and source (secrets redacted).
    pub fn describe(&self) -> &[ConfigEntry] {
        &self.entries
    }

    /// Joins `path` (starting with `/`) onto the base URL, keeping the base's own path (`/api`).
    pub(crate) fn endpoint(&self, path: &str) -> Url {
        join_prefix(&self.base_url, path)
    }
}

pub(crate) fn join_prefix(base: &Url, path: &str) -> Url {
    let mut url = base.clone();
    let joined = format!("{}{}", base.path().trim_end_matches('/'), path);
    url.set_path(&joined);
    url
}

/// Where `build()` reads `AUTOSHARES_*` variables from.
#[derive(Debug, Clone, Default)]
enum EnvSource {
    #[default]
    Process,
    Map(HashMap<String, String>),
}

impl EnvSource {
    fn get(&self, name: &str) -> Option<String> {
        let v = match self {
            EnvSource::Process => std::env::var(name).ok(),
            EnvSource::Map(m) => m.get(name).cloned(),
        };
        v.filter(|s| !s.trim().is_empty())
    }
}

/// Builder of [`Config`]; every setter is optional.
#[derive(Debug, Clone, Default)]
pub struct ConfigBuilder {
    environment: Option<Environment>,
    base_url: Option<String>,
    token_url: Option<String>,
    app_key: Option<Secret>,
    api_version: Option<String>,
    timeout: Option<Duration>,
    connect_timeout: Option<Duration>,
    user_agent: Option<String>,
    max_retries: Option<u32>,
    token_lifetime: Option<Duration>,
    refresh_leeway: Option<Duration>,
    allow_live: Option<bool>,
    username: Option<String>,
    password: Option<Secret>,
    pin: Option<Secret>,
    token_file: Option<PathBuf>,
    default_token_file: Option<PathBuf>,
    order_journal: Option<PathBuf>,
    oauth_issuer: Option<String>,
    oauth_client_id: Option<String>,
    oauth_client_secret: Option<Secret>,
    env: EnvSource,
}

macro_rules! setter {
    ($(#[$doc:meta])* $name:ident: $ty:ty) => {
        $(#[$doc])*
        pub fn $name(mut self, value: $ty) -> Self {
            self.$name = Some(value);
            self
        }
    };
    ($(#[$doc:meta])* $name:ident: into $ty:ty) => {
        $(#[$doc])*
        pub fn $name(mut self, value: impl Into<$ty>) -> Self {
            self.$name = Some(value.into());
            self
        }
    };
}

impl ConfigBuilder {
    setter!(
        /// The deployment (`AUTOSHARES_ENV`: `sandbox`, `uat`, `live`). Default: sandbox.
        environment: Environment
    );
    setter!(
        /// The full REST prefix (`AUTOSHARES_BASE_URL`), e.g. `https://pub-api-et-demo-prod.etnasoft.us/api`.
        /// Must be `https` unless it is on loopback.
        base_url: into String
    );
    setter!(
        /// The ETNA `/token` endpoint (`AUTOSHARES_TOKEN_URL`). Default: base URL + `/token`.
        token_url: into String
    );
    setter!(
        /// The `Et-App-Key` (`AUTOSHARES_APP_KEY`). Required for UAT and live; the sandbox has a default.
        app_key: into Secret
    );
    setter!(
        /// The `{version}` path segment (`AUTOSHARES_API_VERSION`). Default: `1.0`.
        api_version: into String
    );
    setter!(
        /// Time allowed for one HTTP attempt (`AUTOSHARES_TIMEOUT`, seconds). Default: 30 s.
        timeout: Duration
    );
    setter!(
        /// Time allowed to connect (`AUTOSHARES_CONNECT_TIMEOUT`, seconds). Default: 10 s.
        connect_timeout: Duration
    );
    setter!(
        /// The `User-Agent` header (`AUTOSHARES_USER_AGENT`). Default: `autoshares-rust/<version>`.
        user_agent: into String
    );
    setter!(
        /// Retries of idempotent requests after transient failures (`AUTOSHARES_MAX_RETRIES`). Default: 3.
        max_retries: u32
    );
    setter!(
        /// Assumed lifetime of `/token` tokens (`AUTOSHARES_TOKEN_LIFETIME`, seconds). Default: 24 h.
        token_lifetime: Duration
    );
    setter!(
        /// Refresh this long before expiry (`AUTOSHARES_REFRESH_LEEWAY`, seconds). Default: 60 s.
        refresh_leeway: Duration
    );
    setter!(
        /// Opt in to the live environment (`AUTOSHARES_ALLOW_LIVE=true`). Default: false.
        allow_live: bool
    );
    setter!(
        /// Username for the password login (`AUTOSHARES_USERNAME`).
        username: into String
    );
    setter!(
        /// Password for the password login (`AUTOSHARES_PASSWORD`).
        password: into Secret
    );
    setter!(
        /// PIN for the PIN step (`AUTOSHARES_PIN`).
        pin: into Secret
    );
    setter!(
        /// File that keeps tokens between runs (`AUTOSHARES_TOKEN_FILE`).
        token_file: into PathBuf
    );
    setter!(
        /// File where order intents are written down before they are sent, so a restarted process can finish
        /// reconciling them (`AUTOSHARES_ORDER_JOURNAL`; see [`crate::journal`]).
        order_journal: into PathBuf
    );
    setter!(
        /// OAuth issuer URL (`AUTOSHARES_OAUTH_ISSUER`), e.g. `https://autosharesdev.us.auth0.com`.
        oauth_issuer: into String
    );
    setter!(
        /// OAuth client id (`AUTOSHARES_OAUTH_CLIENT_ID`).
        oauth_client_id: into String
    );
    setter!(
        /// OAuth client secret (`AUTOSHARES_OAUTH_CLIENT_SECRET`).
        oauth_client_secret: into Secret
    );

    /// The token file to use when neither [`ConfigBuilder::token_file`] nor `AUTOSHARES_TOKEN_FILE` names one,
    /// reported with source `default`. The libraries keep tokens in memory unless told otherwise; the `autoshares`
    /// command line passes [`crate::auth::FileTokenStore::default_path`] here, so that `autoshares login` keeps
    /// the session where the libraries find it once they are given the same path.
    pub fn default_token_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.default_token_file = Some(path.into());
        self
    }

    /// Do not read any environment variable (tests, embedded use).
    pub fn ignore_env(mut self) -> Self {
        self.env = EnvSource::Map(HashMap::new());
        self
    }

    /// Read `AUTOSHARES_*` values from this map instead of the process environment.
    pub fn env_vars<I, K, V>(mut self, vars: I) -> Self
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<String>,
        V: Into<String>,
    {
        self.env = EnvSource::Map(
            vars.into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        );
        self
    }

    /// Resolves and validates the configuration.
    pub fn build(self) -> Result<Config> {
        let mut r = Resolver {
            env: &self.env,
            entries: Vec::new(),
        };

        let environment = r.pick(
            "environment",
            self.environment,
            "AUTOSHARES_ENV",
            |s| s.parse(),
            Environment::Sandbox,
            |e| e.to_string(),
        )?;
        let allow_live = r.pick(
            "allow_live",
            self.allow_live,
            "AUTOSHARES_ALLOW_LIVE",
            |s| parse_bool("allow_live", s),
            false,
            |b| b.to_string(),
        )?;
        let base_url = r.pick(
            "base_url",
            self.base_url,
            "AUTOSHARES_BASE_URL",
            |s| Ok(s.to_string()),
            environment.default_base_url().to_string(),
            |s| s.clone(),
        )?;
        let base_url = parse_service_url("base_url", &base_url)?;
        let token_url = match self.token_url.map(|v| (v, Source::Explicit)).or_else(|| {
            r.env
                .get("AUTOSHARES_TOKEN_URL")
                .map(|v| (v, Source::Env("AUTOSHARES_TOKEN_URL")))
        }) {
            Some((v, source)) => {
                let url = parse_service_url("token_url", &v)?;
                r.record("token_url", url.to_string(), source);
                url
            }
            None => {
                let url = join_prefix(&base_url, "/token");
                r.record("token_url", url.to_string(), Source::Derived);
                url
            }
        };
        let default_key = match environment {
            Environment::Sandbox => Some(Secret::new(SANDBOX_APP_KEY)),
            _ => None,
        };
        let app_key = r.secret("app_key", self.app_key, "AUTOSHARES_APP_KEY", default_key);
        let app_key = app_key.ok_or_else(|| {
            Error::config(
                "app_key",
                format!(
                    "the {environment} environment needs an Et-App-Key: call .app_key(..) or set AUTOSHARES_APP_KEY"
                ),
            )
        })?;
        let api_version = r.pick(
            "api_version",
            self.api_version,
            "AUTOSHARES_API_VERSION",
            |s| Ok(s.to_string()),
            "1.0".to_string(),
            |s| s.clone(),
        )?;
        if api_version.is_empty() || !api_version.chars().all(|c| c.is_ascii_digit() || c == '.') {
            return Err(Error::config(
                "api_version",
                format!("`{api_version}` is not a version such as 1.0"),
            ));
        }
        let secs = |name: &'static str| move |s: &str| parse_secs(name, s);
        let timeout = r.pick(
            "timeout",
            self.timeout,
            "AUTOSHARES_TIMEOUT",
            secs("timeout"),
            Duration::from_secs(30),
            fmt_dur,
        )?;
        let connect_timeout = r.pick(
            "connect_timeout",
            self.connect_timeout,
            "AUTOSHARES_CONNECT_TIMEOUT",
            secs("connect_timeout"),
            Duration::from_secs(10),
            fmt_dur,
        )?;
        let user_agent = r.pick(
            "user_agent",
            self.user_agent,
            "AUTOSHARES_USER_AGENT",
            |s| Ok(s.to_string()),
            format!("autoshares-rust/{}", env!("CARGO_PKG_VERSION")),
            |s| s.clone(),
        )?;
        let max_retries = r.pick(
            "max_retries",
            self.max_retries,
            "AUTOSHARES_MAX_RETRIES",
            |s| {
                s.parse::<u32>().map_err(|_| {
                    Error::config("max_retries", format!("`{s}` is not a whole number"))
                })
            },
            3,
            |n| n.to_string(),
        )?;
        let token_lifetime = r.pick(
            "token_lifetime",
            self.token_lifetime,
            "AUTOSHARES_TOKEN_LIFETIME",
            secs("token_lifetime"),
            Duration::from_secs(24 * 3600),
            fmt_dur,
        )?;
        let refresh_leeway = r.pick(
            "refresh_leeway",
            self.refresh_leeway,
            "AUTOSHARES_REFRESH_LEEWAY",
            secs("refresh_leeway"),
            Duration::from_secs(60),
            fmt_dur,
        )?;
        let username = r.optional("username", self.username, "AUTOSHARES_USERNAME");
        let password = r.secret("password", self.password, "AUTOSHARES_PASSWORD", None);
        let pin = r.secret("pin", self.pin, "AUTOSHARES_PIN", None);
        let token_file = r
            .optional_or(
                "token_file",
                self.token_file.map(|p| p.to_string_lossy().into_owned()),
                "AUTOSHARES_TOKEN_FILE",
                self.default_token_file
                    .map(|p| p.to_string_lossy().into_owned()),
            )
            .map(PathBuf::from);
        let order_journal = r
            .optional(
                "order_journal",
                self.order_journal.map(|p| p.to_string_lossy().into_owned()),
                "AUTOSHARES_ORDER_JOURNAL",
            )
            .map(PathBuf::from);
        let oauth_issuer = r.optional("oauth_issuer", self.oauth_issuer, "AUTOSHARES_OAUTH_ISSUER");
        let oauth_client_id = r.optional(
            "oauth_client_id",
            self.oauth_client_id,
            "AUTOSHARES_OAUTH_CLIENT_ID",
        );
        let oauth_client_secret = r.secret(
            "oauth_client_secret",
            self.oauth_client_secret,
            "AUTOSHARES_OAUTH_CLIENT_SECRET",
            None,
        );
        let oauth = match (oauth_issuer, oauth_client_id) {
            (Some(issuer), Some(client_id)) => Some(OAuthSettings {
                issuer: parse_service_url("oauth_issuer", &issuer)?,
                client_id,
                client_secret: oauth_client_secret,
            }),
            (None, None) => None,
            (Some(_), None) => {
                return Err(Error::config(
                    "oauth_client_id",
                    "an OAuth issuer is set but no client id (AUTOSHARES_OAUTH_CLIENT_ID)",
                ))
            }
            (None, Some(_)) => {
                return Err(Error::config(
                    "oauth_issuer",
                    "an OAuth client id is set but no issuer (AUTOSHARES_OAUTH_ISSUER)",
                ))
            }
        };

        if environment == Environment::Live && !allow_live {
            return Err(Error::config(
                "allow_live",
                "the live environment trades real money: opt in with .allow_live(true) or AUTOSHARES_ALLOW_LIVE=true",
            ));
        }

        Ok(Config {
            environment,
            base_url,
            token_url,
            app_key,
            api_version,
            timeout,
            connect_timeout,
            user_agent,
            max_retries,
            token_lifetime,
            refresh_leeway,
            allow_live,
            username,
            password,
            pin,
            token_file,
            order_journal,
            oauth,
            entries: r.entries,
        })
    }
}

struct Resolver<'a> {
    env: &'a EnvSource,
    entries: Vec<ConfigEntry>,
}

impl Resolver<'_> {
    fn record(&mut self, name: &'static str, value: String, source: Source) {
        self.entries.push(ConfigEntry {
            name,
            value,
            source,
        });
    }

    fn pick<T>(
        &mut self,
        name: &'static str,
        explicit: Option<T>,
        var: &'static str,
        parse: impl Fn(&str) -> Result<T>,
        default: T,
        show: impl Fn(&T) -> String,
    ) -> Result<T> {
        let (value, source) = match explicit {
            Some(v) => (v, Source::Explicit),
            None => match self.env.get(var) {
                Some(raw) => (
                    parse(raw.trim()).map_err(|e| env_error(e, var))?,
                    Source::Env(var),
                ),
                None => (default, Source::Default),
            },
        };
        self.record(name, show(&value), source);
        Ok(value)
    }

    fn optional(
        &mut self,
        name: &'static str,
        explicit: Option<String>,
        var: &'static str,
    ) -> Option<String> {
        self.optional_or(name, explicit, var, None)
    }

    fn optional_or(
        &mut self,
        name: &'static str,
        explicit: Option<String>,
        var: &'static str,
        default: Option<String>,
    ) -> Option<String> {
        let (value, source) = match explicit {
            Some(v) => (Some(v), Source::Explicit),
            None => match self.env.get(var) {
                Some(v) => (Some(v), Source::Env(var)),
                None => (default, Source::Default),
            },
        };
        self.record(name, value.clone().unwrap_or_else(|| "-".into()), source);
        value
    }

    fn secret(
        &mut self,
        name: &'static str,
        explicit: Option<Secret>,
        var: &'static str,
        default: Option<Secret>,
    ) -> Option<Secret> {
        let (value, source) = match explicit {
            Some(v) => (Some(v), Source::Explicit),
            None => match self.env.get(var) {
                Some(v) => (Some(Secret::new(v)), Source::Env(var)),
                None => (default, Source::Default),
            },
        };
        let shown = if value.is_some() { "***" } else { "-" };
        self.record(name, shown.into(), source);
        value
    }
}

fn env_error(e: Error, var: &str) -> Error {
    match e {
        Error::Config { field, message } => Error::config(field, format!("{message} (from {var})")),
        other => other,
    }
}

fn fmt_dur(d: &Duration) -> String {
    format!("{}s", d.as_secs_f64())
}

fn parse_secs(field: &str, s: &str) -> Result<Duration> {
    s.parse::<f64>()
        .ok()
        .filter(|v| v.is_finite() && *v >= 0.0)
        .map(Duration::from_secs_f64)
        .ok_or_else(|| Error::config(field, format!("`{s}` is not a number of seconds")))
}

fn parse_bool(field: &str, s: &str) -> Result<bool> {
    match s.to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" => Ok(false),
        _ => Err(Error::config(field, format!("`{s}` is not true or false"))),
    }
}

/// Whether `host` is a loopback name or address (127.0.0.0/8, ::1, localhost).
pub(crate) fn is_loopback_host(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => false,
    }
}

/// Parses an absolute URL that must be `https` unless it is on loopback (the one place this rule lives).
pub(crate) fn parse_secure_url(field: &str, raw: &str) -> Result<Url> {
    let url = Url::parse(raw.trim())
        .map_err(|e| Error::config(field, format!("`{raw}` is not a URL: {e}")))?;
    match url.scheme() {
        "https" => {}
        "http" if is_loopback_host(&url) => {}
        "http" => {
            return Err(Error::config(
                field,
                format!("`{raw}` must use https: plain http is only allowed on loopback (127.0.0.1, ::1, localhost)"),
            ))
        }
        other => return Err(Error::config(field, format!("`{raw}` has scheme `{other}`; use https"))),
    }
    Ok(url)
}

/// Parses a service URL: [`parse_secure_url`], no query or fragment, no credentials; trailing `/` removed.
pub(crate) fn parse_service_url(field: &str, raw: &str) -> Result<Url> {
    let mut url = parse_secure_url(field, raw)?;
    if url.query().is_some() || url.fragment().is_some() || url.cannot_be_a_base() {
        return Err(Error::config(
            field,
            format!("`{raw}` must be a plain prefix without query or fragment"),
        ));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(Error::config(field, "credentials do not belong in the URL"));
    }
    let trimmed = url.path().trim_end_matches('/').to_string();
    url.set_path(&trimmed);
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn builder() -> ConfigBuilder {
        Config::builder().ignore_env()
    }

    #[test]
    fn plain_http_to_a_remote_host_is_refused() {
        let err = builder()
            .base_url("http://example.com")
            .build()
            .unwrap_err();
        assert_eq!(err.kind(), crate::ErrorKind::Config);
        assert_eq!(err.field(), Some("base_url"));
        assert!(err.to_string().contains("https"), "{err}");
    }

    #[test]
    fn loopback_http_is_allowed_and_prefix_is_kept() {
        let c = builder()
            .base_url("http://127.0.0.1:9/api/")
            .build()
            .unwrap();
        assert_eq!(c.base_url().as_str(), "http://127.0.0.1:9/api");
        assert_eq!(c.token_url().as_str(), "http://127.0.0.1:9/api/token");
        assert_eq!(
            c.endpoint("/v1.0/users/@me/info").as_str(),
            "http://127.0.0.1:9/api/v1.0/users/@me/info"
        );
    }

    #[test]
    fn live_needs_the_opt_in() {
        let err = builder()
            .environment(Environment::Live)
            .app_key("k")
            .build()
            .unwrap_err();
        assert_eq!(err.field(), Some("allow_live"));
        let ok = builder()
            .environment(Environment::Live)
            .app_key("k")
            .allow_live(true)
            .build()
            .unwrap();
        assert_eq!(ok.base_url().as_str(), "https://api.autoshares.com/");
    }

    #[test]
    fn uat_needs_an_app_key() {
        let err = builder().environment(Environment::Uat).build().unwrap_err();
        assert_eq!(err.field(), Some("app_key"));
    }

    #[test]
    fn explicit_beats_env_beats_default_and_sources_are_reported() {
        let c = Config::builder()
            .env_vars([
                ("AUTOSHARES_ENV", "uat"),
                ("AUTOSHARES_APP_KEY", "from-env"),
                ("AUTOSHARES_TIMEOUT", "2.5"),
                ("AUTOSHARES_PASSWORD", "pw-from-env"),
            ])
            .app_key("explicit-key")
            .build()
            .unwrap();
        assert_eq!(c.environment(), Environment::Uat);
        assert_eq!(c.app_key().expose(), "explicit-key");
        assert_eq!(c.timeout(), Duration::from_millis(2500));
        let find = |n: &str| c.describe().iter().find(|e| e.name == n).unwrap().clone();
        assert_eq!(find("environment").source, Source::Env("AUTOSHARES_ENV"));
        assert_eq!(find("app_key").source, Source::Explicit);
        assert_eq!(find("app_key").value, "***");
        assert_eq!(find("password").value, "***");
        assert_eq!(find("connect_timeout").source, Source::Default);
        assert_eq!(find("token_url").source, Source::Derived);
        let shown = format!("{c}\n{c:?}");
        assert!(
            !shown.contains("explicit-key") && !shown.contains("pw-from-env"),
            "{shown}"
        );
        assert!(shown.contains("env AUTOSHARES_ENV"), "{shown}");
    }

    #[test]
    fn a_default_token_file_loses_to_the_variable_and_the_argument() {
        let find = |c: &Config| {
            c.describe()
                .iter()
                .find(|e| e.name == "token_file")
                .unwrap()
                .clone()
        };
        let c = builder()
            .default_token_file("/d/tokens.json")
            .build()
            .unwrap();
        assert_eq!(c.token_file(), Some(&PathBuf::from("/d/tokens.json")));
        assert_eq!(find(&c).source, Source::Default);
        let c = Config::builder()
            .env_vars([("AUTOSHARES_TOKEN_FILE", "/e/tokens.json")])
            .default_token_file("/d/tokens.json")
            .build()
            .unwrap();
        assert_eq!(c.token_file(), Some(&PathBuf::from("/e/tokens.json")));
        let c = builder()
            .default_token_file("/d/tokens.json")
            .token_file("/a/tokens.json")
            .build()
            .unwrap();
        assert_eq!(find(&c).source, Source::Explicit);
    }

    #[test]
    fn malformed_env_value_names_the_variable() {
        let err = Config::builder()
            .env_vars([("AUTOSHARES_TIMEOUT", "soon")])
            .build()
            .unwrap_err();
        assert!(err.to_string().contains("AUTOSHARES_TIMEOUT"), "{err}");
    }

    #[test]
    fn credentials_in_url_are_refused() {
        assert!(builder()
            .base_url("https://u:p@api.autoshares.dev")
            .build()
            .is_err());
    }
}

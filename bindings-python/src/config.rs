//! Constructor keyword arguments to core `Config` (core `config.rs`): every builder setter is a keyword argument
//! of `Client(...)` and `AsyncClient(...)` with the same name; durations are seconds (`float`). Unset arguments
//! fall back to the `AUTOSHARES_*` variables and then the defaults, as in core (`use_env=False` ignores the
//! variables).

use std::path::PathBuf;
use std::time::Duration;

use pyo3::prelude::*;
use pyo3::types::PyDict;

use autoshares::{Config, Environment};

use crate::errors::IntoPyResult;

/// Seconds from Python to a `Duration`, refusing negative and non-finite values.
pub fn seconds(py: Python<'_>, field: &str, value: f64) -> PyResult<Duration> {
    Duration::try_from_secs_f64(value).map_err(|_| {
        crate::errors::config(
            py,
            field,
            format!("{value} is not a number of seconds >= 0"),
        )
    })
}

/// The constructor options, as given.
#[derive(Default)]
pub struct ConfigArgs {
    pub environment: Option<String>,
    pub base_url: Option<String>,
    pub token_url: Option<String>,
    pub app_key: Option<String>,
    pub api_version: Option<String>,
    pub timeout: Option<f64>,
    pub connect_timeout: Option<f64>,
    pub user_agent: Option<String>,
    pub max_retries: Option<u32>,
    pub token_lifetime: Option<f64>,
    pub refresh_leeway: Option<f64>,
    pub allow_live: Option<bool>,
    pub username: Option<String>,
    pub password: Option<String>,
    pub pin: Option<String>,
    pub token_file: Option<PathBuf>,
    pub order_journal: Option<PathBuf>,
    pub oauth_issuer: Option<String>,
    pub oauth_client_id: Option<String>,
    pub oauth_client_secret: Option<String>,
    pub use_env: Option<bool>,
}

macro_rules! from_dict {
    ($d:expr, $($f:ident),*) => {
        ConfigArgs { $($f: match $d.get_item(stringify!($f))? {
            Some(v) if !v.is_none() => Some(v.extract().map_err(|e: PyErr| {
                crate::errors::config($d.py(), stringify!($f), e.value($d.py()).to_string())
            })?),
            _ => None,
        },)* }
    };
}

impl ConfigArgs {
    /// From the constructor's `**options`.
    pub fn from_dict(d: &Bound<'_, PyDict>) -> PyResult<ConfigArgs> {
        Ok(from_dict!(
            d,
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
            oauth_issuer,
            oauth_client_id,
            oauth_client_secret,
            use_env
        ))
    }

    /// Resolves the configuration (explicit > `AUTOSHARES_*` > defaults), raising `ConfigError`.
    pub fn build(self, py: Python<'_>) -> PyResult<Config> {
        let mut b = Config::builder();
        if let Some(e) = self.environment {
            b = b.environment(e.parse::<Environment>().py_err(py)?);
        }
        if let Some(v) = self.base_url {
            b = b.base_url(v);
        }
        if let Some(v) = self.token_url {
            b = b.token_url(v);
        }
        if let Some(v) = self.app_key {
            b = b.app_key(v);
        }
        if let Some(v) = self.api_version {
            b = b.api_version(v);
        }
        if let Some(v) = self.timeout {
            b = b.timeout(seconds(py, "timeout", v)?);
        }
        if let Some(v) = self.connect_timeout {
            b = b.connect_timeout(seconds(py, "connect_timeout", v)?);
        }
        if let Some(v) = self.user_agent {
            b = b.user_agent(v);
        }
        if let Some(v) = self.max_retries {
            b = b.max_retries(v);
        }
        if let Some(v) = self.token_lifetime {
            b = b.token_lifetime(seconds(py, "token_lifetime", v)?);
        }
        if let Some(v) = self.refresh_leeway {
            b = b.refresh_leeway(seconds(py, "refresh_leeway", v)?);
        }
        if let Some(v) = self.allow_live {
            b = b.allow_live(v);
        }
        if let Some(v) = self.username {
            b = b.username(v);
        }
        if let Some(v) = self.password {
            b = b.password(v);
        }
        if let Some(v) = self.pin {
            b = b.pin(v);
        }
        if let Some(v) = self.token_file {
            b = b.token_file(v);
        }
        if let Some(v) = self.order_journal {
            b = b.order_journal(v);
        }
        if let Some(v) = self.oauth_issuer {
            b = b.oauth_issuer(v);
        }
        if let Some(v) = self.oauth_client_id {
            b = b.oauth_client_id(v);
        }
        if let Some(v) = self.oauth_client_secret {
            b = b.oauth_client_secret(v);
        }
        if self.use_env == Some(false) {
            b = b.ignore_env();
        }
        b.build().py_err(py)
    }
}

//! What every command needs: the configuration (flags > `AUTOSHARES_*` > defaults, as in the libraries), the
//! shared token file, a client on the stored session, the account to act on, and progress spinners.

use std::path::PathBuf;
use std::time::Duration;

use autoshares::auth::{FileTokenStore, StoredSession};
use autoshares::{Client, Config, Environment};
use indicatif::{ProgressBar, ProgressStyle};

use crate::args::Global;
use crate::exit::{CliError, CliResult};
use crate::output::Out;

/// The global options and what they resolve to.
#[derive(Debug, Clone)]
pub struct Ctx {
    /// The global flags.
    pub global: Global,
    /// Table or JSON.
    pub out: Out,
}

impl Ctx {
    /// From the parsed global flags.
    pub fn new(global: Global) -> Ctx {
        let out = Out { json: global.json };
        Ctx { global, out }
    }

    /// The configuration. The token file defaults to [`FileTokenStore::default_path`]
    /// (`$XDG_CONFIG_HOME/autoshares/tokens.json`), which the libraries use too when given that path or
    /// `AUTOSHARES_TOKEN_FILE`.
    pub fn config(&self) -> CliResult<Config> {
        let g = &self.global;
        let mut b = Config::builder();
        if let Ok(path) = FileTokenStore::default_path() {
            b = b.default_token_file(path);
        }
        if let Some(e) = &g.environment {
            b = b.environment(e.parse::<Environment>()?);
        }
        if let Some(v) = &g.base_url {
            b = b.base_url(v.clone());
        }
        if let Some(v) = &g.token_file {
            b = b.token_file(v.clone());
        }
        if let Some(v) = &g.user {
            b = b.username(v.clone());
        }
        Ok(b.build()?)
    }

    /// The token file in use.
    pub fn token_file(config: &Config) -> CliResult<PathBuf> {
        config.token_file().cloned().ok_or_else(|| {
            CliError::Usage("no token file: set AUTOSHARES_TOKEN_FILE or pass --token-file".into())
        })
    }

    /// A client on the stored session (or on configured credentials). [`CliError::NotLoggedIn`] when there is
    /// neither, before anything is sent.
    pub fn client(&self) -> CliResult<Client> {
        let config = self.config()?;
        let has_credentials = (config.username().is_some() && config.password().is_some())
            || config.oauth().is_some();
        if !has_credentials {
            let store = FileTokenStore::new(Self::token_file(&config)?);
            if StoredSession::find(&store, &config)?.is_none() {
                return Err(CliError::NotLoggedIn(format!(
                    "not logged in to {} (token file {}): run `autoshares login`",
                    config.base_url(),
                    store.path().display()
                )));
            }
        }
        Ok(Client::builder().config(config).build()?)
    }

    /// The account to act on: `account`, else the first account of the logged-in user.
    pub async fn account(&self, client: &Client, account: Option<i32>) -> CliResult<i32> {
        if let Some(a) = account {
            return Ok(a);
        }
        let accounts = client.accounts().mine().await?;
        accounts
            .first()
            .map(|a| a.id)
            .ok_or_else(|| CliError::Usage("this user has no trading account".into()))
    }
}

/// A spinner on standard error for an operation that may take a while (drawn only on a terminal).
pub fn spinner(message: impl Into<String>) -> ProgressBar {
    let bar = ProgressBar::new_spinner();
    if let Ok(style) = ProgressStyle::with_template("{spinner} {msg} {elapsed}") {
        bar.set_style(style);
    }
    bar.set_message(message.into());
    bar.enable_steady_tick(Duration::from_millis(100));
    bar
}

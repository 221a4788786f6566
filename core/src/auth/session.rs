//! A session someone else logged in: log in once (`autoshares login`, or any program with a token file), use it
//! from every process and language that is given the same token file.
//!
//! A [`TokenStore`] keeps sessions under the key of the provider that made them (`password:<user>@<token URL>`,
//! `oauth:<client id>:<issuer>:<exchange>@<base URL>`). [`StoredSession::find`] picks the one that belongs to a
//! configuration's deployment, and [`StoredSession`] is the provider that reuses it: it has no credentials, so
//! it cannot log in again or refresh; once its token expires (or is logged out) calls fail with an auth error
//! of kind `TOKEN_EXPIRED` that says to log in again. [`crate::ClientBuilder::build`] uses it when neither a
//! login nor credentials are configured.

use chrono::{DateTime, Utc};
use futures::future::BoxFuture;

use super::store::TokenStore;
use super::{AuthContext, Token, TokenProvider};
use crate::config::Config;
use crate::error::{AuthErrorKind, Error, Result};

/// A session found in a token store, used as it is (see the [module](self) docs).
///
/// ```no_run
/// use autoshares::auth::{FileTokenStore, StoredSession};
/// use autoshares::{Client, Config};
/// # fn run() -> autoshares::Result<()> {
/// let config = Config::builder().token_file(FileTokenStore::default_path()?).build()?;
/// let store = FileTokenStore::new(config.token_file().unwrap());
/// match StoredSession::find(&store, &config)? {
///     Some(session) => println!("logged in as {:?} until {}", session.username(), session.expires_at()),
///     None => println!("not logged in: run `autoshares login`"),
/// }
/// let client = Client::builder().config(config).build()?; // uses that session
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredSession {
    key: String,
    expires_at: DateTime<Utc>,
}

impl StoredSession {
    /// The session stored under `key` (as [`TokenProvider::session_key`] named it), valid until `expires_at`.
    pub fn new(key: impl Into<String>, expires_at: DateTime<Utc>) -> Self {
        StoredSession {
            key: key.into(),
            expires_at,
        }
    }

    /// The session of `config`'s deployment in `store`: a password session for its token URL (for its
    /// `username` only, when one is configured) or an OAuth session for its base URL. `Ok(None)` when there is
    /// none; a `Config` error naming the candidates when there are several and no username to choose by.
    pub fn find(store: &dyn TokenStore, config: &Config) -> Result<Option<StoredSession>> {
        let password_suffix = format!("@{}", config.token_url());
        let oauth_suffix = format!("@{}", config.base_url());
        let mut found: Vec<StoredSession> = store
            .sessions()?
            .into_iter()
            .filter(|(key, _)| match config.username() {
                Some(user) => *key == format!("password:{user}{password_suffix}"),
                None => {
                    (key.starts_with("password:") && key.ends_with(&password_suffix))
                        || (key.starts_with("oauth:") && key.ends_with(&oauth_suffix))
                }
            })
            .map(|(key, token)| StoredSession::new(key, token.expires_at))
            .collect();
        match found.len() {
            0 => Ok(None),
            1 => Ok(found.pop()),
            _ => {
                Err(Error::config(
                    "username",
                    format!(
                    "several sessions are stored for {}: {}; choose one with AUTOSHARES_USERNAME",
                    config.base_url(),
                    found.iter().map(|s| s.key.as_str()).collect::<Vec<_>>().join(", ")
                ),
                ))
            }
        }
    }

    /// The store key (`password:trader@http://127.0.0.1:8080/token`, ...). It holds no secret.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// The username of a password session.
    pub fn username(&self) -> Option<&str> {
        let rest = self.key.strip_prefix("password:")?;
        rest.rsplit_once('@').map(|(user, _)| user)
    }

    /// `password` or `oauth`.
    pub fn method(&self) -> &str {
        self.key.split(':').next().unwrap_or_default()
    }

    /// When the stored token expires.
    pub fn expires_at(&self) -> DateTime<Utc> {
        self.expires_at
    }

    fn expired(&self) -> Error {
        Error::auth(
            AuthErrorKind::TokenExpired,
            "stored_session",
            format!(
                "the stored session {} has expired or was logged out; log in again (`autoshares login`)",
                self.key
            ),
        )
    }
}

impl TokenProvider for StoredSession {
    fn session_key(&self, _ctx: &AuthContext) -> String {
        self.key.clone()
    }

    /// The session manager reads the store before calling this, so being called means there is no usable token.
    fn login<'a>(&'a self, _ctx: &'a AuthContext) -> BoxFuture<'a, Result<Token>> {
        Box::pin(async move { Err(self.expired()) })
    }

    fn refresh<'a>(
        &'a self,
        _ctx: &'a AuthContext,
        _current: &'a Token,
    ) -> BoxFuture<'a, Result<Token>> {
        Box::pin(async move { Err(self.expired()) })
    }

    /// Password sessions and OAuth sessions exchanged at ETNA end with `POST /logout`; an IdP session is only
    /// forgotten locally (as [`super::OAuthLogin`] does).
    fn logout<'a>(&'a self, ctx: &'a AuthContext, token: &'a Token) -> BoxFuture<'a, Result<()>> {
        let etna = self.method() == "password" || self.key.contains(":etna@");
        Box::pin(async move {
            if etna {
                super::etna::logout(ctx, token).await
            } else {
                Ok(())
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::{MemoryTokenStore, StoredToken};

    fn store(keys: &[&str]) -> MemoryTokenStore {
        let s = MemoryTokenStore::new();
        for k in keys {
            let t = StoredToken::from(&Token::new("t", std::time::Duration::from_secs(60)));
            s.save(k, &t).unwrap();
        }
        s
    }

    fn config(user: Option<&str>) -> Config {
        let b = Config::builder()
            .ignore_env()
            .base_url("http://127.0.0.1:9");
        match user {
            Some(u) => b.username(u).build().unwrap(),
            None => b.build().unwrap(),
        }
    }

    #[test]
    fn finds_the_session_of_this_deployment_only() {
        let s = store(&[
            "password:trader@http://127.0.0.1:9/token",
            "password:trader@http://127.0.0.1:10/token",
        ]);
        let found = StoredSession::find(&s, &config(None)).unwrap().unwrap();
        assert_eq!(found.key(), "password:trader@http://127.0.0.1:9/token");
        assert_eq!(found.username(), Some("trader"));
        assert_eq!(found.method(), "password");
        assert_eq!(
            StoredSession::find(&store(&[]), &config(None)).unwrap(),
            None
        );
    }

    #[test]
    fn several_sessions_need_a_username() {
        let s = store(&[
            "password:trader@http://127.0.0.1:9/token",
            "password:other@http://127.0.0.1:9/token",
            "oauth:cid:http://127.0.0.1:9/:idp@http://127.0.0.1:9/",
        ]);
        let err = StoredSession::find(&s, &config(None)).unwrap_err();
        assert_eq!(err.field(), Some("username"));
        let found = StoredSession::find(&s, &config(Some("other")))
            .unwrap()
            .unwrap();
        assert_eq!(found.username(), Some("other"));
        assert_eq!(
            StoredSession::find(&s, &config(Some("nobody"))).unwrap(),
            None
        );
    }
}

//! Hand-written parts of the API surface: what users touch that the generator should not guess.
//!
//! `UserRef` (`@me` or an id), shortcuts (`users().me()`, `accounts().mine()`), argument checks shared by the
//! generated methods, and the operations whose answers the spec and the docs disagree on
//! (`GET /accounts/{id}`: array or object; `GET /accounts/{id}/users`: object or array).

use std::fmt;

use serde::Deserialize;

use super::user_accounts::{Accounts, GET_ACCOUNTS_BY_ID, GET_ACCOUNT_USERS};
use super::users::{Users, GET_USER_BY_EMAIL};
use crate::error::{Error, Result};
use crate::models::{Account, GetUserFilter, UserAccount, UserInfo, UserToAccountRelation};
use crate::transport::Call;

/// Which user a call is about: the logged-in user (`@me`) or an internal user id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum UserRef {
    /// The user the token belongs to (`@me`).
    #[default]
    Me,
    /// An internal user id (not a trading-account id).
    Id(i32),
}

impl From<i32> for UserRef {
    fn from(id: i32) -> Self {
        UserRef::Id(id)
    }
}

impl fmt::Display for UserRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UserRef::Me => f.write_str("@me"),
            UserRef::Id(id) => write!(f, "{id}"),
        }
    }
}

impl UserRef {
    pub(crate) fn to_param(self) -> Result<String> {
        if let UserRef::Id(id) = self {
            positive("user_id", i64::from(id))?;
        }
        Ok(self.to_string())
    }
}

/// Ids of the API are positive; zero or negative is refused before anything is sent.
pub(crate) fn positive(field: &str, value: i64) -> Result<()> {
    if value <= 0 {
        return Err(Error::validation(
            field,
            format!("{value} is not a valid id (ids are positive)"),
        ));
    }
    Ok(())
}

impl Users<'_> {
    /// The logged-in user's profile.
    ///
    /// ```no_run
    /// # async fn run(client: autoshares::Client) -> autoshares::Result<()> {
    /// let me = client.users().me().await?;
    /// println!("{} {:?}", me.user_id, me.login);
    /// # Ok(()) }
    /// ```
    pub async fn me(&self) -> Result<UserInfo> {
        self.info(UserRef::Me).await
    }

    /// Looks a user up by e-mail address (`Users_GetUserByEmail`; permission-dependent on real servers).
    pub async fn by_email(&self, email: &str) -> Result<UserInfo> {
        let email = email.trim();
        if email.is_empty() || !email.contains('@') || email.chars().any(char::is_whitespace) {
            return Err(Error::validation(
                "email",
                format!("`{email}` is not an e-mail address"),
            ));
        }
        let mut call = Call::new(&GET_USER_BY_EMAIL, &[]);
        let filter = GetUserFilter {
            email: Some(email.to_string()),
        };
        call.body = Some(crate::transport::to_json(&filter)?);
        self.client.transport().json(call).await
    }
}

/// The spec says some answers are arrays, the docs show objects (or the reverse): accept both.
#[derive(Deserialize)]
#[serde(untagged)]
enum OneOrMany<T> {
    Many(Vec<T>),
    One(T),
}

impl<T> OneOrMany<T> {
    fn into_vec(self) -> Vec<T> {
        match self {
            OneOrMany::Many(v) => v,
            OneOrMany::One(t) => vec![t],
        }
    }
}

impl Accounts<'_> {
    /// The trading accounts of the logged-in user (`UserAccounts_GetUserAccounts` with `@me`).
    ///
    /// ```no_run
    /// # async fn run(client: autoshares::Client) -> autoshares::Result<()> {
    /// for account in client.accounts().mine().await? {
    ///     println!("{} {:?} {:?}", account.id, account.clearing_account, account.margin_type);
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn mine(&self) -> Result<Vec<UserAccount>> {
        self.of_user(UserRef::Me).await
    }

    /// One trading account's record (`UserAccounts_GetAccountsById`).
    pub async fn get(&self, account_id: i32) -> Result<Account> {
        positive("account_id", i64::from(account_id))?;
        let id = account_id.to_string();
        let found: OneOrMany<Account> = self
            .client
            .transport()
            .json(Call::new(&GET_ACCOUNTS_BY_ID, &[("accountId", &id)]))
            .await?;
        found
            .into_vec()
            .into_iter()
            .find(|a| a.id == account_id)
            .ok_or_else(|| Error::Decode {
                operation: GET_ACCOUNTS_BY_ID.id.to_string(),
                path: String::new(),
                message: format!("the answer holds no record for account {account_id}"),
                snippet: String::new(),
                request_id: String::new(),
            })
    }

    /// The users who can access an account (`UserAccounts_GetAccountUsers`; one object per the spec, a list per
    /// the docs: both are accepted).
    pub async fn users(&self, account_id: i32) -> Result<Vec<UserToAccountRelation>> {
        positive("account_id", i64::from(account_id))?;
        let id = account_id.to_string();
        let found: OneOrMany<UserToAccountRelation> = self
            .client
            .transport()
            .json(Call::new(&GET_ACCOUNT_USERS, &[("accountId", &id)]))
            .await?;
        Ok(found.into_vec())
    }
}

/// GUID path parameters (ACH relationship and transfer ids) must be GUIDs; anything else is refused unsent.
pub(crate) fn guid(field: &str, value: &str) -> Result<()> {
    uuid::Uuid::parse_str(value).map(|_| ()).map_err(|_| {
        Error::validation(
            field,
            format!("`{value}` is not a GUID such as 3fa85f64-5717-4562-b3fc-2c963f66afa6"),
        )
    })
}

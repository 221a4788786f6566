//! Users (spec tag `Users`).

use std::fmt;

use crate::client::Client;
use crate::error::Result;
use crate::models::UserInfo;
use crate::transport::Call;

operation!(
    /// `GET /v{version}/users/{userId}/info`
    GET_USER_INFO = "Users_GetUserInfo", GET "/v{version}/users/{userId}/info", Idempotent
);
operation!(
    /// `POST /v{version}/users/info` (a lookup, but a POST: never retried automatically)
    GET_USER_BY_EMAIL = "Users_GetUserByEmail", POST "/v{version}/users/info", NotIdempotent
);

#[derive(serde::Serialize)]
#[serde(rename_all = "PascalCase")]
struct GetUserFilter<'a> {
    email: &'a str,
}

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
            if id <= 0 {
                return Err(crate::Error::validation(
                    "user_id",
                    format!("{id} is not a user id (ids are positive)"),
                ));
            }
        }
        Ok(self.to_string())
    }
}

/// User operations: `client.users()`.
#[derive(Debug, Clone, Copy)]
pub struct Users<'c> {
    pub(crate) client: &'c Client,
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

    /// A user's profile (`Users_GetUserInfo`).
    pub async fn info(&self, user: impl Into<UserRef>) -> Result<UserInfo> {
        let user = user.into().to_param()?;
        self.client
            .transport()
            .json(Call::new(&GET_USER_INFO, &[("userId", &user)]))
            .await
    }

    /// Looks a user up by e-mail address (`Users_GetUserByEmail`; permission-dependent on real servers).
    pub async fn by_email(&self, email: &str) -> Result<UserInfo> {
        let email = email.trim();
        if email.is_empty() || !email.contains('@') {
            return Err(crate::Error::validation(
                "email",
                format!("`{email}` is not an e-mail address"),
            ));
        }
        let mut call = Call::new(&GET_USER_BY_EMAIL, &[]);
        call.body = Some(crate::transport::to_json(&GetUserFilter { email })?);
        self.client.transport().json(call).await
    }
}

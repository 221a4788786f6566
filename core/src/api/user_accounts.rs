//! Trading accounts, balances and buying power (spec tag `UserAccounts`).

use serde::Deserialize;

use super::users::UserRef;
use crate::client::Client;
use crate::error::{Error, Result};
use crate::models::{Account, AccountBalance, UserAccount};
use crate::transport::Call;

operation!(
    /// `GET /v{version}/users/{userId}/accounts`
    GET_USER_ACCOUNTS = "UserAccounts_GetUserAccounts", GET "/v{version}/users/{userId}/accounts", Idempotent
);
operation!(
    /// `GET /v{version}/accounts/{accountId}`
    GET_ACCOUNT_BY_ID = "UserAccounts_GetAccountsById", GET "/v{version}/accounts/{accountId}", Idempotent
);
operation!(
    /// `GET /v{version}/accounts/{accountId}/info`
    GET_ACCOUNT_BALANCE_INFO = "UserAccounts_GetAccountBalanceInfo", GET "/v{version}/accounts/{accountId}/info", Idempotent
);

/// Trading-account operations: `client.accounts()`.
#[derive(Debug, Clone, Copy)]
pub struct Accounts<'c> {
    pub(crate) client: &'c Client,
}

/// The spec says `GET /accounts/{id}` returns an array; some deployments send the object itself. Accept both.
#[derive(Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    Many(Vec<Account>),
    One(Box<Account>),
}

pub(crate) fn account_param(account_id: i32) -> Result<String> {
    if account_id <= 0 {
        return Err(Error::validation(
            "account_id",
            format!("{account_id} is not a trading-account id (ids are positive; list them with accounts().list())"),
        ));
    }
    Ok(account_id.to_string())
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

    /// The trading accounts bound to a user (`UserAccounts_GetUserAccounts`).
    pub async fn of_user(&self, user: impl Into<UserRef>) -> Result<Vec<UserAccount>> {
        let user = user.into().to_param()?;
        self.client
            .transport()
            .json(Call::new(&GET_USER_ACCOUNTS, &[("userId", &user)]))
            .await
    }

    /// One trading account's record (`UserAccounts_GetAccountsById`).
    pub async fn get(&self, account_id: i32) -> Result<Account> {
        let id = account_param(account_id)?;
        let found: OneOrMany = self
            .client
            .transport()
            .json(Call::new(&GET_ACCOUNT_BY_ID, &[("accountId", &id)]))
            .await?;
        match found {
            OneOrMany::One(a) => Ok(*a),
            OneOrMany::Many(v) => {
                v.into_iter()
                    .find(|a| a.id == account_id)
                    .ok_or_else(|| Error::Decode {
                        operation: GET_ACCOUNT_BY_ID.id.to_string(),
                        path: String::new(),
                        message: format!("the answer holds no record for account {account_id}"),
                        snippet: String::new(),
                        request_id: String::new(),
                    })
            }
        }
    }

    /// Balances and buying power of one account (`UserAccounts_GetAccountBalanceInfo`).
    ///
    /// ```no_run
    /// # async fn run(client: autoshares::Client) -> autoshares::Result<()> {
    /// let balance = client.accounts().balance(6303).await?;
    /// println!("cash {:?}, buying power {:?}", balance.cash(), balance.stock_buying_power());
    /// # Ok(()) }
    /// ```
    pub async fn balance(&self, account_id: i32) -> Result<AccountBalance> {
        let id = account_param(account_id)?;
        self.client
            .transport()
            .json(Call::new(&GET_ACCOUNT_BALANCE_INFO, &[("accountId", &id)]))
            .await
    }
}

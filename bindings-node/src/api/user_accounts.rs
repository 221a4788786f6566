//! Trading accounts, balances and buying power (core `api/user_accounts.rs`, spec tag `UserAccounts`):
//! `client.accounts`.
//!
//! Same shape as `api/users.rs`: a handle class, one short block per core method (clone, convert, call core
//! in `call::spawn`, `From` the model).

use std::sync::Arc;

use napi::bindgen_prelude::*;
use napi_derive::napi;

use super::users::user_ref;
use crate::call::{self, CallOptions};
use crate::client::Shared;
use crate::models::accounts::{Account, AccountBalance, UserAccount};

/// Trading-account operations: `client.accounts`.
#[napi]
pub struct Accounts {
    pub(crate) shared: Arc<Shared>,
}

#[napi]
impl Accounts {
    /// The trading accounts of the logged-in user (`UserAccounts_GetUserAccounts` with `@me`).
    ///
    /// ```js
    /// for (const a of await client.accounts.mine()) console.log(a.id, a.clearingAccount, a.marginType)
    /// ```
    #[napi(ts_return_type = "Promise<UserAccount[]>")]
    pub fn mine<'env>(
        &self,
        env: &'env Env,
        options: Option<CallOptions>,
    ) -> Result<PromiseRaw<'env, Vec<UserAccount>>> {
        let core = self.shared.core.clone();
        let fut = async move { core.accounts().mine().await };
        call::spawn(env, &self.shared.life, options, fut, |v| {
            v.into_iter().map(UserAccount::from).collect()
        })
    }

    /// The trading accounts bound to a user (`UserAccounts_GetUserAccounts`).
    #[napi(
        ts_args_type = "userId: number | '@me', options?: CallOptions",
        ts_return_type = "Promise<UserAccount[]>"
    )]
    pub fn of_user<'env>(
        &self,
        env: &'env Env,
        user_id: Either<i32, String>,
        options: Option<CallOptions>,
    ) -> Result<PromiseRaw<'env, Vec<UserAccount>>> {
        let core = self.shared.core.clone();
        let fut = async move { core.accounts().of_user(user_ref(Some(user_id))?).await };
        call::spawn(env, &self.shared.life, options, fut, |v| {
            v.into_iter().map(UserAccount::from).collect()
        })
    }

    /// One trading account's record (`UserAccounts_GetAccountsById`).
    #[napi(ts_return_type = "Promise<Account>")]
    pub fn get<'env>(
        &self,
        env: &'env Env,
        account_id: i32,
        options: Option<CallOptions>,
    ) -> Result<PromiseRaw<'env, Account>> {
        let core = self.shared.core.clone();
        let fut = async move { core.accounts().get(account_id).await };
        call::spawn(env, &self.shared.life, options, fut, Account::from)
    }

    /// Balances and buying power of one account (`UserAccounts_GetAccountBalanceInfo`); values are decimal
    /// strings.
    ///
    /// ```js
    /// const b = await client.accounts.balance(accountId)
    /// console.log(b.cash, b.stockBuyingPower, b.values['someNewKey'])
    /// ```
    #[napi(ts_return_type = "Promise<AccountBalance>")]
    pub fn balance<'env>(
        &self,
        env: &'env Env,
        account_id: i32,
        options: Option<CallOptions>,
    ) -> Result<PromiseRaw<'env, AccountBalance>> {
        let core = self.shared.core.clone();
        let fut = async move { core.accounts().balance(account_id).await };
        call::spawn(env, &self.shared.life, options, fut, AccountBalance::from)
    }
}

//! Hand-written operations (core `api/ext.rs`, the `custom` ones of `core/api.json`): `users.me()`,
//! `users.byEmail()`, `accounts.mine()`, `accounts.get()`, `accounts.users()`, and `user_ref` (`'@me'`).
//!
//! Same shape as the generated files; these are the methods whose core signature a generator cannot guess.

use autoshares::UserRef;
use napi::bindgen_prelude::*;
use napi_derive::napi;

use super::user_accounts::Accounts;
use super::users::Users;
use crate::call::{self, CallOptions};
use crate::models::{Account, UserAccount, UserInfo, UserToAccountRelation};

/// A user id, or `'@me'` (also the default) for the logged-in user.
pub fn user_ref(user: Option<Either<i32, String>>) -> autoshares::Result<UserRef> {
    match user {
        None => Ok(UserRef::Me),
        Some(Either::A(id)) => Ok(UserRef::Id(id)),
        Some(Either::B(s)) if s == "@me" => Ok(UserRef::Me),
        Some(Either::B(s)) => Err(autoshares::Error::Validation {
            field: "userId".into(),
            message: format!("`{s}` is not a user id or '@me'"),
        }),
    }
}

#[napi]
impl Users {
    /// The logged-in user's profile (`Users_GetUserInfo` with `@me`).
    ///
    /// ```js
    /// const me = await client.users.me()
    /// console.log(me.userId, me.login)
    /// ```
    #[napi(ts_return_type = "Promise<UserInfo>")]
    pub fn me<'env>(
        &self,
        env: &'env Env,
        options: Option<CallOptions>,
    ) -> Result<PromiseRaw<'env, UserInfo>> {
        let core = self.shared.core.clone();
        let fut = async move { core.users().me().await };
        call::spawn(env, &self.shared.life, options, fut, UserInfo::from)
    }

    /// Looks a user up by e-mail address (`Users_GetUserByEmail`; permission-dependent on real servers).
    #[napi(ts_return_type = "Promise<UserInfo>")]
    pub fn by_email<'env>(
        &self,
        env: &'env Env,
        email: String,
        options: Option<CallOptions>,
    ) -> Result<PromiseRaw<'env, UserInfo>> {
        let core = self.shared.core.clone();
        let fut = async move { core.users().by_email(&email).await };
        call::spawn(env, &self.shared.life, options, fut, UserInfo::from)
    }
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

    /// The users bound to an account and their access (`UserAccounts_GetAccountUsers`).
    #[napi(ts_return_type = "Promise<UserToAccountRelation[]>")]
    pub fn users<'env>(
        &self,
        env: &'env Env,
        account_id: i32,
        options: Option<CallOptions>,
    ) -> Result<PromiseRaw<'env, Vec<UserToAccountRelation>>> {
        let core = self.shared.core.clone();
        let fut = async move { core.accounts().users(account_id).await };
        call::spawn(env, &self.shared.life, options, fut, |v| {
            v.into_iter().map(UserToAccountRelation::from).collect()
        })
    }
}

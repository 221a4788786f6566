//! Users (core `api/users.rs`, spec tag `Users`): `client.users`.
//!
//! Shape of every operation file (a generator emits more of the same): one `#[napi]` handle class holding
//! `Arc<Shared>`, and per core method one block: clone the core client, convert the arguments (ids as
//! `number`, `'@me'` by default; decimals via `DecimalInput`), call core inside `call::spawn` with the trailing
//! `options?: CallOptions`, convert the result with `From` (`models/<area>.rs`). A doc comment per method
//! names the spec operation id; the generated `index.d.ts` is the reference.

use std::sync::Arc;

use autoshares::UserRef;
use napi::bindgen_prelude::*;
use napi_derive::napi;

use crate::call::{self, CallOptions};
use crate::client::Shared;
use crate::models::users::UserInfo;

/// User operations: `client.users`.
#[napi]
pub struct Users {
    pub(crate) shared: Arc<Shared>,
}

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

    /// A user's profile (`Users_GetUserInfo`); `userId` is an internal user id or `'@me'`.
    #[napi(
        ts_args_type = "userId: number | '@me', options?: CallOptions",
        ts_return_type = "Promise<UserInfo>"
    )]
    pub fn info<'env>(
        &self,
        env: &'env Env,
        user_id: Either<i32, String>,
        options: Option<CallOptions>,
    ) -> Result<PromiseRaw<'env, UserInfo>> {
        let core = self.shared.core.clone();
        let fut = async move { core.users().info(user_ref(Some(user_id))?).await };
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

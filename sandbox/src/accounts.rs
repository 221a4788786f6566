//! `/v{version}/accounts/{account_id}/...` resources.

use axum::extract::{Path, State};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;

use crate::http::{ApiError, Caller};
use crate::models::{AccountBalance, AccountModel};
use crate::state::{Account, AppState, Directory, User};

/// Routes of this module (guarded by [`crate::http::api_guard`] in [`crate::router`]).
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/{version}/accounts/{account_id}", get(account))
        .route("/{version}/accounts/{account_id}/info", get(balance))
}

/// Path of the account routes.
#[derive(Debug, Deserialize)]
pub struct AccountPath {
    /// Internal account id.
    pub account_id: i32,
}

/// The account and its owner, if the caller owns it: someone else's is 401, an unknown id 404.
pub fn own_account(
    dir: &Directory,
    caller: Caller,
    account_id: i32,
) -> Result<(&Account, &User), ApiError> {
    let account = dir
        .accounts
        .get(&account_id)
        .ok_or(ApiError::AccountNotFound)?;
    if account.owner_id != caller.user_id {
        return Err(ApiError::Denied);
    }
    let owner = dir
        .users
        .get(&account.owner_id)
        .ok_or(ApiError::AccountNotFound)?;
    Ok((account, owner))
}

/// `GET /v{version}/accounts/{account_id}`: an array of one `AccountModel`, as the spec says.
pub async fn account(
    State(state): State<AppState>,
    caller: Caller,
    Path(p): Path<AccountPath>,
) -> Result<Json<Vec<AccountModel>>, ApiError> {
    let dir = state.dir();
    let (account, owner) = own_account(&dir, caller, p.account_id)?;
    Ok(Json(vec![AccountModel::new(account, owner)]))
}

/// `GET /v{version}/accounts/{account_id}/info`: balances and buying power.
pub async fn balance(
    State(state): State<AppState>,
    caller: Caller,
    Path(p): Path<AccountPath>,
) -> Result<Json<AccountBalance>, ApiError> {
    crate::orders::run_engine(&state);
    let dir = state.dir();
    let (account, _) = own_account(&dir, caller, p.account_id)?;
    let v = crate::engine::valuation(&dir.trading, &state.market, account.id);
    Ok(Json(AccountBalance::valued(account, &v)))
}

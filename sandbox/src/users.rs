//! `/v{version}/users/{user_id}/...` resources.

use axum::extract::{Path, State};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;

use crate::http::{ApiError, Caller, UserRef};
use crate::models::{UserAccountModel, UserInfoModel};
use crate::state::{AppState, Directory, User};

/// Routes of this module (guarded by [`crate::http::api_guard`] in [`crate::router`]).
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/{version}/users/{user_id}/info", get(info))
        .route("/{version}/users/{user_id}/accounts", get(accounts))
}

/// Path of the user routes.
#[derive(Debug, Deserialize)]
pub struct UserPath {
    /// Numeric id or `@me`.
    pub user_id: UserRef,
}

/// The user a path refers to, if the caller may see it: their own (200), someone else's (401), unknown (500).
pub fn own_user(dir: &Directory, caller: Caller, user: UserRef) -> Result<&User, ApiError> {
    let id = user.resolve(caller);
    match dir.users.get(&id) {
        Some(u) if id == caller.user_id => Ok(u),
        Some(_) => Err(ApiError::Denied),
        None => Err(ApiError::UserNull),
    }
}

/// `GET /v{version}/users/{user_id}/info`.
pub async fn info(
    State(state): State<AppState>,
    caller: Caller,
    Path(p): Path<UserPath>,
) -> Result<Json<UserInfoModel>, ApiError> {
    let dir = state.dir();
    own_user(&dir, caller, p.user_id).map(|u| Json(UserInfoModel::from(u)))
}

/// `GET /v{version}/users/{user_id}/accounts`.
pub async fn accounts(
    State(state): State<AppState>,
    caller: Caller,
    Path(p): Path<UserPath>,
) -> Result<Json<Vec<UserAccountModel>>, ApiError> {
    let dir = state.dir();
    let user = own_user(&dir, caller, p.user_id)?;
    let models = user
        .account_ids
        .iter()
        .filter_map(|id| dir.accounts.get(id))
        .map(|a| UserAccountModel::new(a, user));
    Ok(Json(models.collect()))
}

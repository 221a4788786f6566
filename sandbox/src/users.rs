//! `/v{version}/users/{user_id}/...` resources.

use axum::extract::{Path, State};
use axum::routing::{get, post};
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
        .route("/{version}/users/info", post(by_email))
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
        .map(|a| {
            let mut model = UserAccountModel::new(a, user);
            model.alias = dir.trading.aliases.get(&a.id).cloned().unwrap_or_default();
            model
        });
    Ok(Json(models.collect()))
}

/// Body of `POST /v{version}/users/info` (`GetUserFilter`).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetUserFilter {
    /// The e-mail address to look up.
    #[serde(default)]
    pub email: Option<String>,
}

/// `POST /v{version}/users/info`: a user by e-mail. Callers without administrative rights (every sandbox user)
/// may look up only themselves: another user's address is 401, an unknown one 500 as for unknown ids.
pub async fn by_email(
    State(state): State<AppState>,
    caller: Caller,
    body: Option<Json<GetUserFilter>>,
) -> Result<Json<UserInfoModel>, ApiError> {
    let email = body.and_then(|Json(b)| b.email).unwrap_or_default();
    if email.trim().is_empty() {
        return Err(ApiError::Validation {
            model_state: vec![("filter.Email".into(), "The Email field is required.".into())],
        });
    }
    let dir = state.dir();
    let user = dir
        .users
        .values()
        .find(|u| u.seed.email.eq_ignore_ascii_case(email.trim()))
        .ok_or(ApiError::UserNull)?;
    if user.id != caller.user_id {
        return Err(ApiError::Denied);
    }
    Ok(Json(UserInfoModel::from(user)))
}

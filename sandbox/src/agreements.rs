//! Platform agreements: `GET /v{version}/users/{userId}/agreements` lists the ones still to sign,
//! `POST .../agreements/{agreementId}/sign` signs one.
//!
//! Every user starts with the three agreement types of the spec unsigned (`Platform`, which cannot be
//! skipped, and the `Quotemedia` and `Quodd` market-data agreements, which can). Signing a market-data
//! agreement makes the streamers' quote feed entitlement-based instead of delayed.

use axum::extract::{Path, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::http::{ApiError, Caller, UserRef};
use crate::state::AppState;
use crate::store::Store;
use crate::users::self_only;

/// Routes of this module.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/{version}/users/{user_id}/agreements", get(unsigned))
        .route(
            "/{version}/users/{user_id}/agreements/{agreement_id}/sign",
            post(sign),
        )
}

/// The agreement types (the spec's `AgreementType`), with whether each may be skipped.
pub const AGREEMENT_TYPES: &[(&str, bool)] =
    &[("Platform", false), ("Quotemedia", true), ("Quodd", true)];

/// One agreement of one user.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Agreement {
    /// Agreement id (the `{agreementId}` of the sign route).
    pub id: i32,
    /// `Platform`, `Quotemedia` or `Quodd`.
    pub kind: &'static str,
    /// Whether the user may skip it.
    pub can_skip: bool,
    /// When it was signed, if it was.
    pub signed_at: Option<DateTime<Utc>>,
}

/// The spec's `AgreementItemResource`, plus the `Id` needed to sign it (CATALOGUE §6.2: `Id` optional).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AgreementItemResource {
    /// Agreement id.
    pub id: i32,
    /// Agreement type.
    #[serde(rename = "Type")]
    pub kind: &'static str,
    /// Whether it may be skipped.
    pub can_skip: bool,
}

/// The agreements of `user_id`, seeded on first access (ids `user_id * 10 + 1..=3`).
pub fn agreements_mut(store: &mut Store, user_id: i32) -> &mut Vec<Agreement> {
    store.agreements.entry(user_id).or_insert_with(|| {
        AGREEMENT_TYPES
            .iter()
            .zip(1..)
            .map(|(&(kind, can_skip), n)| Agreement {
                id: user_id * 10 + n,
                kind,
                can_skip,
                signed_at: None,
            })
            .collect()
    })
}

/// Whether `user_id` has signed a market-data agreement (real-time quotes).
pub fn has_market_data(store: &Store, user_id: i32) -> bool {
    store.agreements.get(&user_id).is_some_and(|list| {
        list.iter()
            .any(|a| a.kind != "Platform" && a.signed_at.is_some())
    })
}

/// Path of the routes with a user.
#[derive(Debug, Deserialize)]
pub struct UserPath {
    /// Numeric id or `@me`.
    pub user_id: UserRef,
}

/// `GET /v{version}/users/{userId}/agreements`: the agreements still to sign (`[]` when none).
pub async fn unsigned(
    State(state): State<AppState>,
    caller: Caller,
    Path(p): Path<UserPath>,
) -> Result<Json<Vec<AgreementItemResource>>, ApiError> {
    let id = self_only(caller, p.user_id)?;
    let mut store = state.rest();
    let items = agreements_mut(&mut store, id)
        .iter()
        .filter(|a| a.signed_at.is_none())
        .map(|a| AgreementItemResource {
            id: a.id,
            kind: a.kind,
            can_skip: a.can_skip,
        })
        .collect();
    Ok(Json(items))
}

/// Path of the sign route.
#[derive(Debug, Deserialize)]
pub struct SignPath {
    /// Numeric id or `@me`.
    pub user_id: UserRef,
    /// The agreement to sign.
    pub agreement_id: i32,
}

/// `POST /v{version}/users/{userId}/agreements/{agreementId}/sign`: signs the agreement (signing an
/// already signed one changes nothing). An agreement the user does not have is 422.
pub async fn sign(
    State(state): State<AppState>,
    caller: Caller,
    Path(p): Path<SignPath>,
) -> Result<Json<Value>, ApiError> {
    let id = self_only(caller, p.user_id)?;
    let mut store = state.rest();
    let agreement = agreements_mut(&mut store, id)
        .iter_mut()
        .find(|a| a.id == p.agreement_id)
        .ok_or_else(|| {
            ApiError::invalid(
                "agreementId",
                format!("The agreement {} does not exist", p.agreement_id),
            )
        })?;
    agreement.signed_at.get_or_insert_with(Utc::now);
    Ok(Json(json!({})))
}

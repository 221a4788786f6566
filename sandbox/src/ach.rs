//! ACH relationships (bank links) of a trading account, `/v{version}/accounts/{accountId}/ach-relationships`.
//!
//! A link created from routing and account numbers starts `PendingApproval`: the sandbox "sends" two
//! micro-deposits (deterministic from the seed; read them with [`crate::Sandbox::micro_deposits`]) and
//! `POST .../{id}/approve` with those amounts approves it (three wrong tries put it in `Error`). Links
//! created through Plaid are `Approved` at once. The first approved link becomes the default. Closing a
//! link (`DELETE` with a reason) cancels it. Ids are GUIDs.

use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Json, Router};
use bytes::Bytes;
use chrono::{DateTime, Utc};
use rand::Rng;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::accounts::own_account;
use crate::extract::{parse_body, VQuery};
use crate::http::{iso_millis, ApiError, Caller};
use crate::state::AppState;
use crate::store::Store;
use crate::wire::empty_date;

/// Routes of this module.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/{version}/accounts/{account_id}/ach-relationships",
            get(list).post(create),
        )
        .route(
            "/{version}/accounts/{account_id}/ach-relationships/default",
            get(get_default),
        )
        .route(
            "/{version}/accounts/{account_id}/ach-relationships/plaid",
            post(create_plaid),
        )
        .route(
            "/{version}/accounts/{account_id}/ach-relationships/{ach_id}",
            get(get_one).put(rename).delete(close),
        )
        .route(
            "/{version}/accounts/{account_id}/ach-relationships/{ach_id}/approve",
            post(approve),
        )
        .route(
            "/{version}/accounts/{account_id}/ach-relationships/{ach_id}/default",
            post(set_default),
        )
}

/// Status of an ACH relationship (the values of the list's `status` filter).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum AchStatus {
    /// Waiting for back-office processing.
    Pending,
    /// Usable for transfers.
    Approved,
    /// Closed.
    Canceled,
    /// Failed (e.g. too many wrong micro-deposit amounts).
    Error,
    /// Closing.
    PendingCancel,
    /// Waiting for the micro-deposit amounts.
    PendingApproval,
}

impl AchStatus {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            AchStatus::Pending => "Pending",
            AchStatus::Approved => "Approved",
            AchStatus::Canceled => "Canceled",
            AchStatus::Error => "Error",
            AchStatus::PendingCancel => "PendingCancel",
            AchStatus::PendingApproval => "PendingApproval",
        }
    }
}

/// How many wrong micro-deposit confirmations put a link in `Error`.
pub const MAX_APPROVAL_ATTEMPTS: u32 = 3;
/// Bank account types accepted.
pub const BANK_ACCOUNT_TYPES: &[&str] = &["Checking", "Savings"];
/// Approval method of links confirmed with micro-deposits.
pub const MICRO_DEPOSIT: &str = "MicroDeposit";
/// Approval method of links created through Plaid.
pub const PLAID: &str = "Plaid";

/// One ACH relationship.
#[derive(Clone, Debug, PartialEq)]
pub struct AchRelationship {
    /// GUID.
    pub id: Uuid,
    /// The trading account.
    pub account_id: i32,
    /// Id at the ACH provider (the Plaid account id for Plaid links).
    pub external_id: String,
    /// ABA routing number.
    pub routing_number: String,
    /// Bank account number.
    pub account_number: String,
    /// Account holder.
    pub account_owner_name: String,
    /// Bank (nick)name.
    pub name: String,
    /// Status.
    pub status: AchStatus,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// When it was closed.
    pub cancel_date: Option<DateTime<Utc>>,
    /// Why it was closed.
    pub cancel_reason: String,
    /// `MicroDeposit` or `Plaid`.
    pub approval_method: String,
    /// Whether it is the account's default link.
    pub default: bool,
    /// `Checking` or `Savings`.
    pub bank_account_type: String,
    /// The micro-deposit amounts to confirm (micro-deposit links).
    pub micro_deposits: Vec<Decimal>,
    /// Wrong confirmations so far.
    pub failed_approvals: u32,
}

/// The spec's `AchRelationshipResource`.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
#[allow(missing_docs)]
pub struct AchRelationshipResource {
    pub id: Uuid,
    pub account_id: i32,
    pub external_id: String,
    pub routing_number: String,
    pub account_number: String,
    pub display_account_number: String,
    pub account_owner_name: String,
    pub name: String,
    pub status: &'static str,
    #[serde(with = "iso_millis")]
    pub created_at: DateTime<Utc>,
    /// `0001-01-01T00:00:00.000Z` while open.
    #[serde(with = "iso_millis")]
    pub cancel_date: DateTime<Utc>,
    pub cancel_reason: String,
    pub approval_method: String,
    pub default: bool,
    pub bank_account_type: String,
}

/// The last four digits behind asterisks, e.g. `****6789`.
pub fn mask(account_number: &str) -> String {
    let digits: Vec<char> = account_number.chars().collect();
    let tail: String = digits[digits.len().saturating_sub(4)..].iter().collect();
    format!("****{tail}")
}

impl From<&AchRelationship> for AchRelationshipResource {
    fn from(a: &AchRelationship) -> Self {
        AchRelationshipResource {
            id: a.id,
            account_id: a.account_id,
            external_id: a.external_id.clone(),
            routing_number: a.routing_number.clone(),
            account_number: mask(&a.account_number),
            display_account_number: mask(&a.account_number),
            account_owner_name: a.account_owner_name.clone(),
            name: a.name.clone(),
            status: a.status.as_str(),
            created_at: a.created_at,
            cancel_date: a.cancel_date.unwrap_or_else(empty_date),
            cancel_reason: a.cancel_reason.clone(),
            approval_method: a.approval_method.clone(),
            default: a.default,
            bank_account_type: a.bank_account_type.clone(),
        }
    }
}

/// Whether `routing` is a 9-digit ABA routing number with a valid check digit.
pub fn valid_routing_number(routing: &str) -> bool {
    let digits: Vec<u32> = routing.chars().filter_map(|c| c.to_digit(10)).collect();
    if digits.len() != 9 || routing.len() != 9 {
        return false;
    }
    let weights = [3, 7, 1, 3, 7, 1, 3, 7, 1];
    digits.iter().zip(weights).map(|(d, w)| d * w).sum::<u32>() % 10 == 0
}

/// Whether `number` is a plausible bank account number (4 to 17 digits).
pub fn valid_account_number(number: &str) -> bool {
    (4..=17).contains(&number.len()) && number.chars().all(|c| c.is_ascii_digit())
}

/// Path with an account.
#[derive(Debug, Deserialize)]
pub struct AccountPath {
    /// Trading account id.
    pub account_id: i32,
}

/// Path with an account and a relationship.
#[derive(Debug, Deserialize)]
pub struct AchPath {
    /// Trading account id.
    pub account_id: i32,
    /// Relationship GUID.
    pub ach_id: Uuid,
}

/// Checks the caller owns the account (unknown 404 `[]`, someone else's 401).
pub fn check_account(state: &AppState, caller: Caller, account_id: i32) -> Result<(), ApiError> {
    own_account(&state.dir(), caller, account_id).map(|_| ())
}

/// The relationship `id` of `account_id`, or `missing`.
fn find_mut(
    store: &mut Store,
    account_id: i32,
    id: Uuid,
    missing: fn(Uuid) -> ApiError,
) -> Result<&mut AchRelationship, ApiError> {
    store
        .ach
        .get_mut(&id)
        .filter(|a| a.account_id == account_id)
        .ok_or_else(|| missing(id))
}

/// Unknown relationship where the operation declares 409.
fn conflict_missing(id: Uuid) -> ApiError {
    ApiError::conflict(format!("ACH relationship {id} was not found"))
}

/// Unknown relationship where the operation declares no 404 or 409: a model error of `id`.
fn invalid_missing(id: Uuid) -> ApiError {
    ApiError::invalid("id", format!("ACH relationship {id} was not found"))
}

/// `GET .../ach-relationships/{id}`.
pub async fn get_one(
    State(state): State<AppState>,
    caller: Caller,
    Path(p): Path<AchPath>,
) -> Result<Json<AchRelationshipResource>, ApiError> {
    check_account(&state, caller, p.account_id)?;
    let mut store = state.rest();
    let ach = find_mut(&mut store, p.account_id, p.ach_id, invalid_missing)?;
    Ok(Json(AchRelationshipResource::from(&*ach)))
}

/// `GET .../ach-relationships/default`: the default link; none is a model error of `accountId` (422).
pub async fn get_default(
    State(state): State<AppState>,
    caller: Caller,
    Path(p): Path<AccountPath>,
) -> Result<Json<AchRelationshipResource>, ApiError> {
    check_account(&state, caller, p.account_id)?;
    let store = state.rest();
    store
        .ach
        .values()
        .find(|a| a.account_id == p.account_id && a.default)
        .map(|a| Json(AchRelationshipResource::from(a)))
        .ok_or_else(|| {
            ApiError::invalid("accountId", "The account has no default ACH relationship")
        })
}

/// The spec's `CreateAchRelationshipResource`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
#[allow(missing_docs)]
pub struct CreateAchRelationshipResource {
    pub routing_number: Option<String>,
    pub account_number: Option<String>,
    pub account_owner_name: Option<String>,
    pub name: Option<String>,
    pub approval_method: Option<String>,
    pub bank_account_type: Option<String>,
}

fn duplicate(store: &Store, account_id: i32, routing: &str, number: &str) -> bool {
    store.ach.values().any(|a| {
        a.account_id == account_id
            && a.status != AchStatus::Canceled
            && a.routing_number == routing
            && a.account_number == number
    })
}

/// `POST .../ach-relationships`: links a bank by routing and account number. Malformed numbers,
/// missing names and unknown account types or approval methods are 422; the same bank account
/// linked twice (and not closed) is 409.
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    Path(p): Path<AccountPath>,
    body: Bytes,
) -> Result<Json<AchRelationshipResource>, ApiError> {
    check_account(&state, caller, p.account_id)?;
    let req: CreateAchRelationshipResource = parse_body("model", &body)?;
    let routing = req.routing_number.unwrap_or_default().trim().to_string();
    let number = req.account_number.unwrap_or_default().trim().to_string();
    let owner = req
        .account_owner_name
        .unwrap_or_default()
        .trim()
        .to_string();
    let bank_type = req
        .bank_account_type
        .filter(|t| !t.is_empty())
        .unwrap_or_else(|| "Checking".to_string());
    let method = req
        .approval_method
        .filter(|m| !m.is_empty())
        .unwrap_or_else(|| MICRO_DEPOSIT.to_string());
    let mut errors = Vec::new();
    if !valid_routing_number(&routing) {
        errors.push((
            "model.RoutingNumber".to_string(),
            "The routing number must be 9 digits with a valid check digit".to_string(),
        ));
    }
    if !valid_account_number(&number) {
        errors.push((
            "model.AccountNumber".to_string(),
            "The account number must be 4 to 17 digits".to_string(),
        ));
    }
    if owner.is_empty() {
        errors.push((
            "model.AccountOwnerName".to_string(),
            "The AccountOwnerName field is required.".to_string(),
        ));
    }
    if !BANK_ACCOUNT_TYPES.contains(&bank_type.as_str()) {
        errors.push((
            "model.BankAccountType".to_string(),
            format!("The value '{bank_type}' is not valid: Checking or Savings."),
        ));
    }
    if method != MICRO_DEPOSIT {
        errors.push((
            "model.ApprovalMethod".to_string(),
            format!("The value '{method}' is not valid: {MICRO_DEPOSIT} (use the plaid route for Plaid)."),
        ));
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation {
            model_state: errors,
        });
    }
    let mut store = state.rest();
    if duplicate(&store, p.account_id, &routing, &number) {
        return Err(ApiError::conflict(
            "An ACH relationship with this bank account already exists",
        ));
    }
    let id = store.new_uuid();
    let external_id = format!("ach-{}", &id.simple().to_string()[..12]);
    let micro_deposits = (0..2)
        .map(|_| Decimal::new(store.rng().random_range(1..100), 2))
        .collect();
    let name = req
        .name
        .map(|n| n.trim().to_string())
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| format!("Bank {}", mask(&number)));
    let ach = AchRelationship {
        id,
        account_id: p.account_id,
        external_id,
        routing_number: routing,
        account_number: number,
        account_owner_name: owner,
        name,
        status: AchStatus::PendingApproval,
        created_at: Utc::now(),
        cancel_date: None,
        cancel_reason: String::new(),
        approval_method: method,
        default: false,
        bank_account_type: bank_type,
        micro_deposits,
        failed_approvals: 0,
    };
    let model = AchRelationshipResource::from(&ach);
    store.ach.insert(id, ach);
    Ok(Json(model))
}

/// The spec's `CreateAchRelationshipsPlaidResource`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
#[allow(missing_docs)]
pub struct CreateAchRelationshipsPlaidResource {
    pub accounts: Option<Vec<String>>,
    pub bank_name: Option<String>,
    pub public_token: Option<String>,
    pub account_id: Option<String>,
}

/// Prefix of the Plaid public tokens the sandbox accepts (Plaid's own sandbox tokens look like this).
pub const PLAID_TOKEN_PREFIX: &str = "public-";

/// `POST .../ach-relationships/plaid`: one approved link per Plaid account id. No account ids or no
/// token is 422; a token that is not a Plaid public token, or an account linked already, is 409.
pub async fn create_plaid(
    State(state): State<AppState>,
    caller: Caller,
    Path(p): Path<AccountPath>,
    body: Bytes,
) -> Result<Json<Vec<AchRelationshipResource>>, ApiError> {
    check_account(&state, caller, p.account_id)?;
    let req: CreateAchRelationshipsPlaidResource = parse_body("model", &body)?;
    let accounts: Vec<String> = req
        .accounts
        .unwrap_or_default()
        .into_iter()
        .map(|a| a.trim().to_string())
        .collect();
    let token = req.public_token.unwrap_or_default();
    let mut errors = Vec::new();
    if accounts.is_empty() || accounts.iter().any(String::is_empty) {
        errors.push((
            "model.Accounts".to_string(),
            "At least one Plaid account id is required".to_string(),
        ));
    }
    if token.trim().is_empty() {
        errors.push((
            "model.PublicToken".to_string(),
            "The PublicToken field is required.".to_string(),
        ));
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation {
            model_state: errors,
        });
    }
    if !token.starts_with(PLAID_TOKEN_PREFIX) {
        return Err(ApiError::conflict("The Plaid public token is invalid"));
    }
    let owner = {
        let dir = state.dir();
        own_account(&dir, caller, p.account_id)
            .map(|(_, u)| format!("{} {}", u.seed.first_name, u.seed.last_name))?
    };
    let bank = req
        .bank_name
        .map(|b| b.trim().to_string())
        .filter(|b| !b.is_empty())
        .unwrap_or_else(|| "Plaid bank".to_string());
    let mut store = state.rest();
    let mut created = Vec::new();
    for plaid_account in &accounts {
        // Routing and account numbers as Plaid would report them: stable per Plaid account id.
        let digest = store.derive(&["plaid", plaid_account]);
        let routing = routing_from(&digest);
        let number: String = digest[8..18]
            .iter()
            .map(|b| char::from(b'0' + b % 10))
            .collect();
        if duplicate(&store, p.account_id, &routing, &number)
            || created
                .iter()
                .any(|a: &AchRelationship| a.external_id == *plaid_account)
        {
            return Err(ApiError::conflict(format!(
                "The Plaid account {plaid_account} is already linked"
            )));
        }
        let id = store.new_uuid();
        created.push(AchRelationship {
            id,
            account_id: p.account_id,
            external_id: plaid_account.clone(),
            routing_number: routing,
            account_number: number,
            account_owner_name: owner.clone(),
            name: bank.clone(),
            status: AchStatus::Approved,
            created_at: Utc::now(),
            cancel_date: None,
            cancel_reason: String::new(),
            approval_method: PLAID.to_string(),
            default: false,
            bank_account_type: "Checking".to_string(),
            micro_deposits: Vec::new(),
            failed_approvals: 0,
        });
    }
    let mut models = Vec::new();
    for ach in created {
        let id = ach.id;
        store.ach.insert(id, ach);
        ensure_default(&mut store, p.account_id);
        models.push(AchRelationshipResource::from(&store.ach[&id]));
    }
    Ok(Json(models))
}

/// A valid ABA routing number drawn from a digest (8 digits plus the check digit).
fn routing_from(digest: &[u8; 32]) -> String {
    let mut digits: Vec<u32> = digest[..8].iter().map(|b| u32::from(*b % 10)).collect();
    let weights = [3, 7, 1, 3, 7, 1, 3, 7];
    let sum: u32 = digits.iter().zip(weights).map(|(d, w)| d * w).sum();
    digits.push((10 - sum % 10) % 10);
    digits
        .into_iter()
        .filter_map(|d| char::from_digit(d, 10))
        .collect()
}

/// Makes the oldest approved link the default when the account has none.
fn ensure_default(store: &mut Store, account_id: i32) {
    let mine = || store.ach.values().filter(|a| a.account_id == account_id);
    if mine().any(|a| a.default) {
        return;
    }
    let first = mine()
        .filter(|a| a.status == AchStatus::Approved)
        .min_by_key(|a| a.created_at)
        .map(|a| a.id);
    if let Some(id) = first {
        if let Some(a) = store.ach.get_mut(&id) {
            a.default = true;
        }
    }
}

/// The spec's `UpdateAchRelationshipResource`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct UpdateAchRelationshipResource {
    /// The new bank name.
    pub name: Option<String>,
}

/// `PUT .../ach-relationships/{id}`: renames the bank. A blank name is 422; an unknown or closed link 409.
pub async fn rename(
    State(state): State<AppState>,
    caller: Caller,
    Path(p): Path<AchPath>,
    body: Bytes,
) -> Result<Json<AchRelationshipResource>, ApiError> {
    check_account(&state, caller, p.account_id)?;
    let req: UpdateAchRelationshipResource = parse_body("model", &body)?;
    let name = req.name.unwrap_or_default().trim().to_string();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(ApiError::invalid(
            "model.Name",
            "The Name field is required (at most 100 characters).",
        ));
    }
    let mut store = state.rest();
    let ach = find_mut(&mut store, p.account_id, p.ach_id, conflict_missing)?;
    if ach.status == AchStatus::Canceled {
        return Err(ApiError::conflict("The ACH relationship is closed"));
    }
    ach.name = name;
    Ok(Json(AchRelationshipResource::from(&*ach)))
}

/// Query of the close route.
#[derive(Debug, Deserialize)]
pub struct CloseQuery {
    /// Why the link is closed (mandatory).
    pub reason: String,
}

/// `DELETE .../ach-relationships/{id}?reason=`: closes the link. A blank reason is 422; an unknown or
/// already closed link, or one with scheduled transfers, is 409.
pub async fn close(
    State(state): State<AppState>,
    caller: Caller,
    Path(p): Path<AchPath>,
    VQuery(q): VQuery<CloseQuery>,
) -> Result<Json<AchRelationshipResource>, ApiError> {
    check_account(&state, caller, p.account_id)?;
    let reason = q.reason.trim().to_string();
    if reason.is_empty() {
        return Err(ApiError::invalid("reason", "The reason field is required."));
    }
    let mut store = state.rest();
    let pending = crate::transfers::has_pending_on(&store, p.ach_id);
    let ach = find_mut(&mut store, p.account_id, p.ach_id, conflict_missing)?;
    if ach.status == AchStatus::Canceled {
        return Err(ApiError::conflict("The ACH relationship is already closed"));
    }
    if pending {
        return Err(ApiError::conflict(
            "The ACH relationship has scheduled transfers; cancel them first",
        ));
    }
    ach.status = AchStatus::Canceled;
    ach.cancel_date = Some(Utc::now());
    ach.cancel_reason = reason;
    ach.default = false;
    let model = AchRelationshipResource::from(&*ach);
    ensure_default(&mut store, p.account_id);
    Ok(Json(model))
}

/// The spec's `ApproveAchRelationshipResource`: the micro-deposit amounts, in any order.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
#[allow(missing_docs)]
pub struct ApproveAchRelationshipResource {
    pub amount1: Option<Decimal>,
    pub amount2: Option<Decimal>,
    pub amount3: Option<Decimal>,
}

/// `POST .../ach-relationships/{id}/approve`: confirms the micro-deposits. Missing or non-positive
/// amounts are 422; a link not waiting for approval, or wrong amounts, 409 (the third wrong try puts
/// the link in `Error`).
pub async fn approve(
    State(state): State<AppState>,
    caller: Caller,
    Path(p): Path<AchPath>,
    body: Bytes,
) -> Result<Json<AchRelationshipResource>, ApiError> {
    check_account(&state, caller, p.account_id)?;
    let req: ApproveAchRelationshipResource = parse_body("model", &body)?;
    let mut errors = Vec::new();
    for (field, value) in [("Amount1", req.amount1), ("Amount2", req.amount2)] {
        if !value.is_some_and(|v| v > Decimal::ZERO && v < Decimal::ONE) {
            errors.push((
                format!("model.{field}"),
                format!("{field} must be a micro-deposit amount between 0.01 and 0.99"),
            ));
        }
    }
    if req.amount3.is_some_and(|v| v < Decimal::ZERO) {
        errors.push((
            "model.Amount3".into(),
            "Amount3 must not be negative".into(),
        ));
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation {
            model_state: errors,
        });
    }
    let mut store = state.rest();
    let ach = find_mut(&mut store, p.account_id, p.ach_id, conflict_missing)?;
    if ach.status != AchStatus::PendingApproval {
        return Err(ApiError::conflict(format!(
            "The ACH relationship is {}, not waiting for approval",
            ach.status.as_str()
        )));
    }
    let mut given: Vec<Decimal> = [req.amount1, req.amount2]
        .into_iter()
        .flatten()
        .map(|d| d.normalize())
        .collect();
    given.sort();
    let mut expected: Vec<Decimal> = ach.micro_deposits.iter().map(|d| d.normalize()).collect();
    expected.sort();
    let third_ok = req.amount3.is_none_or(|v| v.is_zero());
    if given != expected || !third_ok {
        ach.failed_approvals += 1;
        if ach.failed_approvals >= MAX_APPROVAL_ATTEMPTS {
            ach.status = AchStatus::Error;
        }
        return Err(ApiError::conflict(
            "The amounts do not match the micro-deposits",
        ));
    }
    ach.status = AchStatus::Approved;
    ensure_default(&mut store, p.account_id);
    Ok(Json(AchRelationshipResource::from(&store.ach[&p.ach_id])))
}

/// `POST .../ach-relationships/{id}/default`: makes an approved link the default (204). An unknown
/// or unapproved link is 409.
pub async fn set_default(
    State(state): State<AppState>,
    caller: Caller,
    Path(p): Path<AchPath>,
) -> Result<Response, ApiError> {
    check_account(&state, caller, p.account_id)?;
    let mut store = state.rest();
    let ach = find_mut(&mut store, p.account_id, p.ach_id, conflict_missing)?;
    if ach.status != AchStatus::Approved {
        return Err(ApiError::conflict(format!(
            "Only an approved ACH relationship can be the default (this one is {})",
            ach.status.as_str()
        )));
    }
    for a in store.ach.values_mut() {
        if a.account_id == p.account_id {
            a.default = a.id == p.ach_id;
        }
    }
    Ok(crate::extract::no_content())
}

/// `GET .../ach-relationships?pageSize=&pageNumber=&sortBy=&isDesc=[&status=]`: the `PagingResult`
/// of the account's links, oldest first unless sorted, optionally of one status (an unknown status
/// is 400).
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Path(p): Path<AccountPath>,
    axum::extract::OriginalUri(uri): axum::extract::OriginalUri,
) -> Result<Json<serde_json::Value>, ApiError> {
    check_account(&state, caller, p.account_id)?;
    let (params, page, sort, desc) =
        crate::alerts::sort_by_page(&state, &uri, crate::listing::MissingParams::RouteNotFound)?;
    let status = match params
        .get("status")
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        None => None,
        Some(s) => Some(
            serde_json::from_value::<AchStatus>(serde_json::Value::String(s.to_string()))
                .map_err(|_| ApiError::bad_request(format!("The status '{s}' is not valid")))?,
        ),
    };
    let store = state.rest();
    let mut links: Vec<&AchRelationship> = store
        .ach
        .values()
        .filter(|a| a.account_id == p.account_id && status.is_none_or(|s| a.status == s))
        .collect();
    links.sort_by_key(|a| (a.created_at, a.id));
    let items = links
        .into_iter()
        .map(|a| serde_json::to_value(AchRelationshipResource::from(a)).unwrap_or_default())
        .collect();
    let mut items: Vec<serde_json::Value> = items;
    crate::listing::sort(&mut items, sort.as_deref(), desc);
    Ok(Json(crate::listing::paging_result(
        &state, &uri, items, page,
    )))
}

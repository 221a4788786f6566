//! Cash transfers of a trading account, `/v{version}/accounts/{accountId}/transfers`: ACH deposits and
//! withdrawals over an approved ACH relationship, wire, check and Zelle withdrawals, their fees, IRA
//! constraints and cancellation.
//!
//! `ExecTimeType: Regular` (the default) transfers are processed at once: status `Complete`, the
//! account's cash changes by the amount (withdrawals also by the fee). `Scheduled` transfers wait as
//! `Submitted` for the next business day, can be cancelled (`Canceled`), and move no cash until then.
//! Withdrawals need the cash (amount plus fee); `CloseAccount: true` withdraws everything and must come
//! without an amount. The sandbox's accounts are individual (not retirement) accounts, so IRA
//! contribution or distribution details are refused with 409.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use bytes::Bytes;
use chrono::{DateTime, Datelike, Duration, TimeZone, Utc, Weekday};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use crate::accounts::own_account;
use crate::ach::AchStatus;
use crate::extract::{parse_body, VQuery};
use crate::http::{iso_millis, ApiError, Caller};
use crate::state::AppState;
use crate::store::Store;

/// Routes of this module.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/{version}/accounts/{account_id}/transfers", get(list))
        .route(
            "/{version}/accounts/{account_id}/transfers/ach",
            post(send_ach),
        )
        .route(
            "/{version}/accounts/{account_id}/transfers/wire",
            post(send_wire),
        )
        .route(
            "/{version}/accounts/{account_id}/transfers/check",
            post(send_check),
        )
        .route(
            "/{version}/accounts/{account_id}/transfers/zelle",
            post(send_zelle),
        )
        .route(
            "/{version}/accounts/{account_id}/transfers/{transfer_id}",
            delete(cancel),
        )
        .route(
            "/{version}/accounts/{account_id}/transfers/{transfer_id}/fees",
            get(fees),
        )
        .route(
            "/{version}/accounts/{account_id}/transfers/ira_constraints/{mechanism}/{is_deposit}",
            get(ira_constraints),
        )
}

/// Transfer mechanism (the spec's `mechanism` enum).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Mechanism {
    /// ACH over a linked bank.
    #[serde(rename = "ACH")]
    Ach,
    /// Paper check.
    Check,
    /// Wire.
    Wire,
    /// Zelle.
    Zelle,
}

impl Mechanism {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Mechanism::Ach => "ACH",
            Mechanism::Check => "Check",
            Mechanism::Wire => "Wire",
            Mechanism::Zelle => "Zelle",
        }
    }
}

/// Status of a transfer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TransferStatus {
    /// Scheduled, not processed yet (cancellable).
    Submitted,
    /// Processed: the cash moved.
    Complete,
    /// Cancelled before processing.
    Canceled,
}

impl TransferStatus {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            TransferStatus::Submitted => "Submitted",
            TransferStatus::Complete => "Complete",
            TransferStatus::Canceled => "Canceled",
        }
    }
}

/// One fee of a transfer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fee {
    /// Fee type, e.g. `WireDomestic`.
    pub kind: String,
    /// What the customer pays.
    pub customer_debit: Decimal,
}

/// One transfer.
#[derive(Clone, Debug, PartialEq)]
pub struct Transfer {
    /// GUID.
    pub id: Uuid,
    /// Trading account.
    pub account_id: i32,
    /// Clearing number of the account.
    pub clearing_account: String,
    /// Id at the transfer provider (the ACH relationship for ACH).
    pub external_id: String,
    /// Mechanism.
    pub mechanism: Mechanism,
    /// Deposit (true) or withdrawal.
    pub is_deposit: bool,
    /// Status.
    pub status: TransferStatus,
    /// Free text (the cancel comment once cancelled).
    pub comment: String,
    /// Amount transferred.
    pub amount: Decimal,
    /// Fees charged.
    pub fees: Vec<Fee>,
    /// Effective date.
    pub transfer_date: DateTime<Utc>,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Login of the creator.
    pub created_by: String,
    /// The ACH relationship used, for ACH transfers.
    pub ach_relationship: Option<Uuid>,
}

impl Transfer {
    /// Amount plus fees for withdrawals, amount for deposits.
    pub fn total(&self) -> Decimal {
        if self.is_deposit {
            self.amount
        } else {
            self.amount + self.fee_total()
        }
    }

    /// Sum of the fees.
    pub fn fee_total(&self) -> Decimal {
        self.fees.iter().map(|f| f.customer_debit).sum()
    }

    /// The cash change when processed.
    pub fn cash_delta(&self) -> Decimal {
        if self.is_deposit {
            self.amount
        } else {
            -self.total()
        }
    }
}

/// Whether a scheduled transfer still uses this ACH relationship.
pub fn has_pending_on(store: &Store, ach_id: Uuid) -> bool {
    store
        .transfers
        .iter()
        .any(|t| t.ach_relationship == Some(ach_id) && t.status == TransferStatus::Submitted)
}

/// The spec's `TransferResource`.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
#[allow(missing_docs)]
pub struct TransferResource {
    pub id: Uuid,
    pub account_id: i32,
    pub external_id: String,
    pub mechanism: &'static str,
    pub is_deposit: bool,
    pub status: &'static str,
    pub comment: String,
    #[serde(with = "rust_decimal::serde::float")]
    pub amount: Decimal,
    #[serde(with = "rust_decimal::serde::float")]
    pub total_amount: Decimal,
    #[serde(with = "iso_millis")]
    pub transfer_date: DateTime<Utc>,
    #[serde(with = "iso_millis")]
    pub created_at: DateTime<Utc>,
    pub clearing_account_number: String,
    pub created_by: String,
}

impl From<&Transfer> for TransferResource {
    fn from(t: &Transfer) -> Self {
        TransferResource {
            id: t.id,
            account_id: t.account_id,
            external_id: t.external_id.clone(),
            mechanism: t.mechanism.as_str(),
            is_deposit: t.is_deposit,
            status: t.status.as_str(),
            comment: t.comment.clone(),
            amount: t.amount,
            total_amount: t.total(),
            transfer_date: t.transfer_date,
            created_at: t.created_at,
            clearing_account_number: t.clearing_account.clone(),
            created_by: t.created_by.clone(),
        }
    }
}

/// Path with an account.
#[derive(Debug, Deserialize)]
pub struct AccountPath {
    /// Trading account id.
    pub account_id: i32,
}

/// Path with an account and a transfer.
#[derive(Debug, Deserialize)]
pub struct TransferPath {
    /// Trading account id.
    pub account_id: i32,
    /// Transfer GUID.
    pub transfer_id: Uuid,
}

/// When a scheduled transfer takes effect: the next weekday, 14:00 UTC.
pub fn next_business_day(now: DateTime<Utc>) -> DateTime<Utc> {
    let mut day = now.date_naive() + Duration::days(1);
    while matches!(day.weekday(), Weekday::Sat | Weekday::Sun) {
        day += Duration::days(1);
    }
    Utc.from_utc_datetime(&day.and_hms_opt(14, 0, 0).unwrap_or_default())
}

/// The spec's `IraContributionResource` / `IraDistributionResource`, only checked for presence.
pub type IraDetails = Option<Value>;

/// The fields every transfer body shares (copied out of each body: `#[serde(flatten)]` does not mix
/// with serde_json's arbitrary precision numbers).
#[derive(Debug, Default)]
pub struct Common {
    /// Amount.
    pub amount: Option<Decimal>,
    /// Withdraw everything and close.
    pub close_account: Option<bool>,
    /// IRA distribution details.
    pub ira_distribution: IraDetails,
    /// When to process.
    pub exec_time_type: Option<ExecTimeType>,
}

/// Bodies with the shared transfer fields.
macro_rules! common {
    ($req:expr) => {
        Common {
            amount: $req.amount,
            close_account: $req.close_account,
            ira_distribution: $req.ira_distribution.clone(),
            exec_time_type: $req.exec_time_type,
        }
    };
}

/// The spec's `ExecTimeType`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
pub enum ExecTimeType {
    /// Process now.
    #[default]
    Regular,
    /// Process on the next business day.
    Scheduled,
}

/// A validated transfer request, before the account checks.
struct Draft {
    mechanism: Mechanism,
    is_deposit: bool,
    amount: Option<Decimal>,
    close_account: bool,
    scheduled: bool,
    fees: Vec<Fee>,
    comment: String,
    external_id: String,
    ach_relationship: Option<Uuid>,
}

/// The amount rules shared by every mechanism: a positive amount with at most 2 decimals, or none
/// with `CloseAccount`.
fn amount_errors(common: &Common, errors: &mut Vec<(String, String)>) -> Option<Decimal> {
    let close = common.close_account.unwrap_or(false);
    match (common.amount, close) {
        (Some(_), true) => {
            errors.push((
                "model.Amount".into(),
                "Amount must be empty when CloseAccount is true".into(),
            ));
            None
        }
        (None, true) => None,
        (None, false) => {
            errors.push((
                "model.Amount".into(),
                "The Amount field is required.".into(),
            ));
            None
        }
        (Some(d), false) => match d {
            d if d > Decimal::ZERO && d.round_dp(2) == d && d <= Decimal::from(10_000_000) => {
                Some(d)
            }
            _ => {
                errors.push((
                    "model.Amount".into(),
                    "Amount must be positive, at most 10000000, with at most 2 decimals".into(),
                ));
                None
            }
        },
    }
}

/// Books a draft on an account: ownership, IRA rules, cash, processing.
fn book(
    state: &AppState,
    caller: Caller,
    account_id: i32,
    draft: Draft,
    ira: bool,
) -> Result<Json<TransferResource>, ApiError> {
    let mut dir = state.dir();
    let (clearing, login) = own_account(&dir, caller, account_id)
        .map(|(a, u)| (a.clearing_account.clone(), u.seed.username.clone()))?;
    if ira {
        return Err(ApiError::conflict(
            "IRA contributions and distributions need a retirement account",
        ));
    }
    let mut store = state.rest();
    if let Some(ach_id) = draft.ach_relationship {
        let usable = store
            .ach
            .get(&ach_id)
            .filter(|a| a.account_id == account_id)
            .map(|a| a.status);
        match usable {
            None => {
                return Err(ApiError::conflict(format!(
                    "ACH relationship {ach_id} was not found"
                )))
            }
            Some(AchStatus::Approved) => {}
            Some(status) => {
                return Err(ApiError::conflict(format!(
                    "The ACH relationship is {}, not approved",
                    status.as_str()
                )))
            }
        }
    }
    let account = dir
        .accounts
        .get_mut(&account_id)
        .ok_or(ApiError::AccountNotFound)?;
    let fee_total: Decimal = draft.fees.iter().map(|f| f.customer_debit).sum();
    let amount = match draft.amount {
        Some(a) => a,
        // CloseAccount: everything that is left after the fee.
        None => account.cash - fee_total,
    };
    if draft.is_deposit && draft.close_account {
        return Err(ApiError::conflict(
            "CloseAccount applies to withdrawals only",
        ));
    }
    if !draft.is_deposit {
        // Scheduled withdrawals count against the cash too.
        let reserved: Decimal = store
            .transfers
            .iter()
            .filter(|t| {
                t.account_id == account_id && t.status == TransferStatus::Submitted && !t.is_deposit
            })
            .map(Transfer::total)
            .sum();
        if amount <= Decimal::ZERO || amount + fee_total + reserved > account.cash {
            return Err(ApiError::conflict("Insufficient funds for this withdrawal"));
        }
    }
    if draft.mechanism == Mechanism::Zelle && amount > ZELLE_LIMIT {
        return Err(ApiError::conflict(format!(
            "Zelle transfers are limited to {ZELLE_LIMIT} each"
        )));
    }
    let now = Utc::now();
    let transfer = Transfer {
        id: store.new_uuid(),
        account_id,
        clearing_account: clearing,
        external_id: draft.external_id,
        mechanism: draft.mechanism,
        is_deposit: draft.is_deposit,
        status: if draft.scheduled {
            TransferStatus::Submitted
        } else {
            TransferStatus::Complete
        },
        comment: draft.comment,
        amount,
        fees: draft.fees,
        transfer_date: if draft.scheduled {
            next_business_day(now)
        } else {
            now
        },
        created_at: now,
        created_by: login,
        ach_relationship: draft.ach_relationship,
    };
    if transfer.status == TransferStatus::Complete {
        account.cash += transfer.cash_delta();
        dir.trading.note_balance(account_id);
    }
    let model = TransferResource::from(&transfer);
    store.transfers.push(transfer);
    Ok(Json(model))
}

/// Largest Zelle transfer.
pub const ZELLE_LIMIT: Decimal = Decimal::from_parts(5000, 0, 0, false, 0);

/// The spec's `AchTransferEditableResource`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
#[allow(missing_docs)]
pub struct AchTransferEditableResource {
    pub ach_relationship_id: Option<String>,
    pub days_to_hold_funds: Option<i32>,
    pub is_incoming: Option<bool>,
    pub ira_contribution: IraDetails,
    pub amount: Option<Decimal>,
    pub close_account: Option<bool>,
    pub ira_distribution: IraDetails,
    pub exec_time_type: Option<ExecTimeType>,
}

/// `POST .../transfers/ach`: a deposit (`IsIncoming: true`) or withdrawal over an approved ACH
/// relationship of the account. No fee.
pub async fn send_ach(
    State(state): State<AppState>,
    caller: Caller,
    Path(p): Path<AccountPath>,
    body: Bytes,
) -> Result<Json<TransferResource>, ApiError> {
    let req: AchTransferEditableResource = parse_body("model", &body)?;
    let common = common!(req);
    let mut errors = Vec::new();
    let ach_id = match req.ach_relationship_id.as_deref().map(str::trim) {
        None | Some("") => {
            errors.push((
                "model.AchRelationshipId".into(),
                "The AchRelationshipId field is required.".into(),
            ));
            None
        }
        Some(s) => match Uuid::parse_str(s) {
            Ok(id) => Some(id),
            Err(_) => {
                errors.push((
                    "model.AchRelationshipId".into(),
                    format!("The value '{s}' is not a valid GUID."),
                ));
                None
            }
        },
    };
    if req
        .days_to_hold_funds
        .is_some_and(|d| !(0..=30).contains(&d))
    {
        errors.push((
            "model.DaysToHoldFunds".into(),
            "DaysToHoldFunds must be between 0 and 30".into(),
        ));
    }
    let amount = amount_errors(&common, &mut errors);
    if !errors.is_empty() {
        return Err(ApiError::Validation {
            model_state: errors,
        });
    }
    let is_deposit = req.is_incoming.unwrap_or(false);
    let ira = req.ira_contribution.as_ref().is_some_and(|v| !v.is_null())
        || common
            .ira_distribution
            .as_ref()
            .is_some_and(|v| !v.is_null());
    let draft = Draft {
        mechanism: Mechanism::Ach,
        is_deposit,
        amount,
        close_account: common.close_account.unwrap_or(false),
        scheduled: common.exec_time_type == Some(ExecTimeType::Scheduled),
        fees: Vec::new(),
        comment: if is_deposit {
            "ACH deposit".into()
        } else {
            "ACH withdrawal".into()
        },
        external_id: ach_id.map(|i| i.to_string()).unwrap_or_default(),
        ach_relationship: ach_id,
    };
    check_access(&state, caller, p.account_id)?;
    book(&state, caller, p.account_id, draft, ira)
}

/// Ownership first, so someone else's account is 401 whatever the body says.
fn check_access(state: &AppState, caller: Caller, account_id: i32) -> Result<(), ApiError> {
    own_account(&state.dir(), caller, account_id).map(|_| ())
}

/// Fee of a domestic wire.
pub const WIRE_DOMESTIC_FEE: Decimal = Decimal::from_parts(25, 0, 0, false, 0);
/// Fee of an international wire.
pub const WIRE_INTERNATIONAL_FEE: Decimal = Decimal::from_parts(45, 0, 0, false, 0);

/// The spec's `WireTransferEditableResource` (the fields the sandbox checks).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
#[allow(missing_docs)]
pub struct WireTransferEditableResource {
    pub is_domestic_wire: Option<bool>,
    pub comment: Option<String>,
    pub bank_name: Option<String>,
    pub routing_number: Option<String>,
    pub name: Option<String>,
    pub account_number: Option<String>,
    pub for_further_credit: Option<bool>,
    pub intermediary_name: Option<String>,
    pub intermediary_account_number: Option<String>,
    pub amount: Option<Decimal>,
    pub close_account: Option<bool>,
    pub ira_distribution: IraDetails,
    pub exec_time_type: Option<ExecTimeType>,
}

/// Whether `code` is a SWIFT/BIC code (8 or 11 alphanumerics, letters first).
pub fn valid_swift(code: &str) -> bool {
    (code.len() == 8 || code.len() == 11)
        && code.chars().all(|c| c.is_ascii_alphanumeric())
        && code[..6].chars().all(|c| c.is_ascii_alphabetic())
}

fn required(value: &Option<String>, field: &str, errors: &mut Vec<(String, String)>) -> String {
    let v = value.as_deref().unwrap_or("").trim().to_string();
    if v.is_empty() {
        errors.push((
            format!("model.{field}"),
            format!("The {field} field is required."),
        ));
    }
    v
}

/// `POST .../transfers/wire`: a wire withdrawal (fee 25 domestic, 45 international). Domestic wires
/// need an ABA routing number, international ones a SWIFT code; bank, beneficiary name and account
/// number are required; for further credit needs the intermediary's name and account.
pub async fn send_wire(
    State(state): State<AppState>,
    caller: Caller,
    Path(p): Path<AccountPath>,
    body: Bytes,
) -> Result<Json<TransferResource>, ApiError> {
    let req: WireTransferEditableResource = parse_body("model", &body)?;
    let common = common!(req);
    let mut errors = Vec::new();
    let domestic = req.is_domestic_wire.unwrap_or(true);
    let bank = required(&req.bank_name, "BankName", &mut errors);
    required(&req.name, "Name", &mut errors);
    let number = required(&req.account_number, "AccountNumber", &mut errors);
    let routing = req
        .routing_number
        .as_deref()
        .unwrap_or("")
        .trim()
        .to_string();
    let routing_ok = if domestic {
        crate::ach::valid_routing_number(&routing)
    } else {
        valid_swift(&routing)
    };
    if !routing_ok {
        errors.push((
            "model.RoutingNumber".into(),
            if domestic {
                "A domestic wire needs a 9-digit ABA routing number".into()
            } else {
                "An international wire needs an 8 or 11 character SWIFT code".into()
            },
        ));
    }
    if req.for_further_credit.unwrap_or(false) {
        required(&req.intermediary_name, "IntermediaryName", &mut errors);
        required(
            &req.intermediary_account_number,
            "IntermediaryAccountNumber",
            &mut errors,
        );
    }
    let amount = amount_errors(&common, &mut errors);
    if !errors.is_empty() {
        return Err(ApiError::Validation {
            model_state: errors,
        });
    }
    let fee = if domestic {
        Fee {
            kind: "WireDomestic".into(),
            customer_debit: WIRE_DOMESTIC_FEE,
        }
    } else {
        Fee {
            kind: "WireInternational".into(),
            customer_debit: WIRE_INTERNATIONAL_FEE,
        }
    };
    let ira = common
        .ira_distribution
        .as_ref()
        .is_some_and(|v| !v.is_null());
    let draft = Draft {
        mechanism: Mechanism::Wire,
        is_deposit: false,
        amount,
        close_account: common.close_account.unwrap_or(false),
        scheduled: common.exec_time_type == Some(ExecTimeType::Scheduled),
        fees: vec![fee],
        comment: req
            .comment
            .filter(|c| !c.trim().is_empty())
            .unwrap_or_else(|| format!("Wire to {bank}")),
        external_id: format!("wire-{}", crate::ach::mask(&number)),
        ach_relationship: None,
    };
    check_access(&state, caller, p.account_id)?;
    book(&state, caller, p.account_id, draft, ira)
}

/// Check delivery methods and their fees.
pub const CHECK_DELIVERY: &[(&str, i64)] = &[
    ("STANDARD", 0),
    ("OVERNIGHT", 15),
    ("SATURDAY", 25),
    ("OVERNIGHT_TO_BROKER", 15),
    ("PRINT_AT_FIRM", 5),
];

/// The spec's `CheckRequestEditableResource`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
#[allow(missing_docs)]
pub struct CheckRequestEditableResource {
    pub memos: Option<Vec<String>>,
    pub delivery_method: Option<String>,
    pub amount: Option<Decimal>,
    pub close_account: Option<bool>,
    pub ira_distribution: IraDetails,
    pub exec_time_type: Option<ExecTimeType>,
}

/// `POST .../transfers/check`: a check withdrawal. `DeliveryMethod` is one of [`CHECK_DELIVERY`]
/// (default `STANDARD`, which is free); at most 2 memos of 40 characters.
pub async fn send_check(
    State(state): State<AppState>,
    caller: Caller,
    Path(p): Path<AccountPath>,
    body: Bytes,
) -> Result<Json<TransferResource>, ApiError> {
    let req: CheckRequestEditableResource = parse_body("model", &body)?;
    let common = common!(req);
    let mut errors = Vec::new();
    let method = req
        .delivery_method
        .as_deref()
        .map(str::trim)
        .filter(|m| !m.is_empty())
        .unwrap_or("STANDARD")
        .to_string();
    let fee = CHECK_DELIVERY.iter().find(|(m, _)| *m == method);
    if fee.is_none() {
        errors.push((
            "model.DeliveryMethod".into(),
            format!("The value '{method}' is not a valid delivery method."),
        ));
    }
    let memos = req.memos.unwrap_or_default();
    if memos.len() > 2 || memos.iter().any(|m| m.chars().count() > 40) {
        errors.push((
            "model.Memos".into(),
            "At most 2 memos of at most 40 characters".into(),
        ));
    }
    let amount = amount_errors(&common, &mut errors);
    if !errors.is_empty() {
        return Err(ApiError::Validation {
            model_state: errors,
        });
    }
    let fees = fee
        .filter(|(_, f)| *f > 0)
        .map(|(m, f)| Fee {
            kind: format!("Check{m}"),
            customer_debit: Decimal::from(*f),
        })
        .into_iter()
        .collect();
    let ira = common
        .ira_distribution
        .as_ref()
        .is_some_and(|v| !v.is_null());
    let draft = Draft {
        mechanism: Mechanism::Check,
        is_deposit: false,
        amount,
        close_account: common.close_account.unwrap_or(false),
        scheduled: common.exec_time_type == Some(ExecTimeType::Scheduled),
        fees,
        comment: if memos.is_empty() {
            format!("Check ({method})")
        } else {
            memos.join("; ")
        },
        external_id: format!("check-{method}"),
        ach_relationship: None,
    };
    check_access(&state, caller, p.account_id)?;
    book(&state, caller, p.account_id, draft, ira)
}

/// The spec's `ZelleTransferEditableResource`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
#[allow(missing_docs)]
pub struct ZelleTransferEditableResource {
    pub name: Option<String>,
    pub mobile: Option<String>,
    pub email: Option<String>,
    pub amount: Option<Decimal>,
    pub close_account: Option<bool>,
    pub ira_distribution: IraDetails,
    pub exec_time_type: Option<ExecTimeType>,
}

/// `POST .../transfers/zelle`: a Zelle withdrawal to a recipient named by e-mail or mobile number
/// (at most [`ZELLE_LIMIT`], no fee).
pub async fn send_zelle(
    State(state): State<AppState>,
    caller: Caller,
    Path(p): Path<AccountPath>,
    body: Bytes,
) -> Result<Json<TransferResource>, ApiError> {
    let req: ZelleTransferEditableResource = parse_body("model", &body)?;
    let common = common!(req);
    let mut errors = Vec::new();
    let name = required(&req.name, "Name", &mut errors);
    let email = req.email.as_deref().unwrap_or("").trim().to_string();
    let mobile = req.mobile.as_deref().unwrap_or("").trim().to_string();
    if email.is_empty() && mobile.is_empty() {
        errors.push((
            "model.Email".into(),
            "Either Email or Mobile is required".into(),
        ));
    }
    if !email.is_empty() && !email.contains('@') {
        errors.push((
            "model.Email".into(),
            "The Email field is not a valid e-mail address.".into(),
        ));
    }
    let digits = mobile.chars().filter(char::is_ascii_digit).count();
    if !mobile.is_empty() && !(10..=15).contains(&digits) {
        errors.push((
            "model.Mobile".into(),
            "The Mobile field is not a valid phone number.".into(),
        ));
    }
    let amount = amount_errors(&common, &mut errors);
    if !errors.is_empty() {
        return Err(ApiError::Validation {
            model_state: errors,
        });
    }
    let ira = common
        .ira_distribution
        .as_ref()
        .is_some_and(|v| !v.is_null());
    let draft = Draft {
        mechanism: Mechanism::Zelle,
        is_deposit: false,
        amount,
        close_account: common.close_account.unwrap_or(false),
        scheduled: common.exec_time_type == Some(ExecTimeType::Scheduled),
        fees: Vec::new(),
        comment: format!("Zelle to {name}"),
        external_id: if email.is_empty() { mobile } else { email },
        ach_relationship: None,
    };
    check_access(&state, caller, p.account_id)?;
    book(&state, caller, p.account_id, draft, ira)
}

/// Query of the cancel route.
#[derive(Debug, Deserialize)]
pub struct CancelQuery {
    /// Why (mandatory).
    pub comment: String,
}

/// `DELETE .../transfers/{transferId}?comment=`: cancels a scheduled transfer (204). A blank comment is
/// 422; an unknown transfer, or one already processed or cancelled, is 409.
pub async fn cancel(
    State(state): State<AppState>,
    caller: Caller,
    Path(p): Path<TransferPath>,
    VQuery(q): VQuery<CancelQuery>,
) -> Result<Response, ApiError> {
    check_access(&state, caller, p.account_id)?;
    let comment = q.comment.trim().to_string();
    if comment.is_empty() {
        return Err(ApiError::invalid(
            "comment",
            "The comment field is required.",
        ));
    }
    let mut store = state.rest();
    let transfer = store
        .transfers
        .iter_mut()
        .find(|t| t.id == p.transfer_id && t.account_id == p.account_id)
        .ok_or_else(|| ApiError::conflict(format!("Transfer {} was not found", p.transfer_id)))?;
    if transfer.status != TransferStatus::Submitted {
        return Err(ApiError::conflict(format!(
            "The transfer is {} and can no longer be cancelled",
            transfer.status.as_str()
        )));
    }
    transfer.status = TransferStatus::Canceled;
    transfer.comment = comment;
    Ok(crate::extract::no_content())
}

/// The spec's `FeeResource`.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
#[allow(missing_docs)]
pub struct FeeResource {
    #[serde(rename = "Type")]
    pub kind: String,
    #[serde(with = "rust_decimal::serde::float")]
    pub customer_debit_amount: Decimal,
    #[serde(with = "rust_decimal::serde::float")]
    pub firm_credit_amount: Decimal,
    #[serde(with = "rust_decimal::serde::float")]
    pub correspondent_net_amount: Decimal,
}

impl From<&Fee> for FeeResource {
    /// The firm keeps the whole fee; nothing goes to a correspondent.
    fn from(f: &Fee) -> Self {
        FeeResource {
            kind: f.kind.clone(),
            customer_debit_amount: f.customer_debit,
            firm_credit_amount: f.customer_debit,
            correspondent_net_amount: Decimal::ZERO,
        }
    }
}

/// Path of the fees route.
#[derive(Debug, Deserialize)]
pub struct FeesPath {
    /// Trading account id.
    pub account_id: i32,
    /// Transfer GUID.
    pub transfer_id: Uuid,
}

/// `GET .../transfers/{id}/fees`: the fees charged (`[]` for free transfers); unknown transfer 409.
pub async fn fees(
    State(state): State<AppState>,
    caller: Caller,
    Path(p): Path<FeesPath>,
) -> Result<Json<Vec<FeeResource>>, ApiError> {
    check_access(&state, caller, p.account_id)?;
    let store = state.rest();
    let transfer = store
        .transfers
        .iter()
        .find(|t| t.id == p.transfer_id && t.account_id == p.account_id)
        .ok_or_else(|| ApiError::conflict(format!("Transfer {} was not found", p.transfer_id)))?;
    Ok(Json(transfer.fees.iter().map(FeeResource::from).collect()))
}

/// Path of the IRA constraints route.
#[derive(Debug, Deserialize)]
pub struct IraPath {
    /// Trading account id.
    pub account_id: i32,
    /// Mechanism.
    pub mechanism: String,
    /// Deposit (true) or withdrawal.
    pub is_deposit: String,
}

/// The spec's `AllowedIraConstraintsResource` (and its parts).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
#[allow(missing_docs)]
pub struct AllowedIraConstraintsResource {
    pub is_retirement_account: bool,
    pub contribution_constraints: ContributionConstraintsResource,
    pub distribution_constraints: DistributionConstraintsResource,
}

/// The spec's `ContributionConstraintsResource`.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
#[allow(missing_docs)]
pub struct ContributionConstraintsResource {
    pub only_allow_current_year_contribution: bool,
    pub valid_contributions: Vec<Value>,
}

/// The spec's `DistributionConstraintsResource`.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
#[allow(missing_docs)]
pub struct DistributionConstraintsResource {
    pub total_distribution_allowed: bool,
    pub closing_fee: FeeResource,
    pub valid_distribution_reasons: serde_json::Map<String, Value>,
}

/// `GET .../transfers/ira_constraints/{mechanism}/{isDeposit}`: what IRA details a transfer of this
/// kind may carry. The sandbox's accounts are not retirement accounts: no contribution or distribution
/// is allowed, and closing the account costs the mechanism's fee. Check deposits and wire, check or
/// Zelle deposits do not exist (409); a malformed mechanism or flag is the routing 404.
pub async fn ira_constraints(
    State(state): State<AppState>,
    caller: Caller,
    Path(p): Path<IraPath>,
) -> Result<Json<AllowedIraConstraintsResource>, Response> {
    let mechanism = match p.mechanism.as_str() {
        "ACH" => Mechanism::Ach,
        "Check" => Mechanism::Check,
        "Wire" => Mechanism::Wire,
        "Zelle" => Mechanism::Zelle,
        _ => return Err(not_found(&state, &p)),
    };
    let Some(is_deposit) = crate::extract::parse_bool(&p.is_deposit) else {
        return Err(not_found(&state, &p));
    };
    check_access(&state, caller, p.account_id).map_err(IntoResponse::into_response)?;
    if is_deposit && mechanism != Mechanism::Ach {
        return Err(ApiError::conflict(format!(
            "{} deposits are not supported",
            mechanism.as_str()
        ))
        .into_response());
    }
    let closing_fee = match mechanism {
        Mechanism::Wire => Fee {
            kind: "WireDomestic".into(),
            customer_debit: WIRE_DOMESTIC_FEE,
        },
        _ => Fee {
            kind: "None".into(),
            customer_debit: Decimal::ZERO,
        },
    };
    Ok(Json(AllowedIraConstraintsResource {
        is_retirement_account: false,
        contribution_constraints: ContributionConstraintsResource {
            only_allow_current_year_contribution: false,
            valid_contributions: Vec::new(),
        },
        distribution_constraints: DistributionConstraintsResource {
            total_distribution_allowed: false,
            closing_fee: FeeResource::from(&closing_fee),
            valid_distribution_reasons: serde_json::Map::new(),
        },
    }))
}

fn not_found(state: &AppState, p: &IraPath) -> Response {
    let uri: http::Uri = format!(
        "/v1.0/accounts/{}/transfers/ira_constraints/{}/{}",
        p.account_id, p.mechanism, p.is_deposit
    )
    .parse()
    .unwrap_or_default();
    ApiError::route_not_found(state, &uri).into_response()
}

/// `GET .../transfers?pageSize=&pageNumber=&sortBy=&isDesc=`: the `PagingResult` of the account's
/// transfers, newest first unless sorted (`pageSize` at most 99, as documented).
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Path(p): Path<AccountPath>,
    axum::extract::OriginalUri(uri): axum::extract::OriginalUri,
) -> Result<Json<Value>, ApiError> {
    check_access(&state, caller, p.account_id)?;
    let (_, page, sort, desc) =
        crate::alerts::sort_by_page(&state, &uri, crate::listing::MissingParams::RouteNotFound)?;
    if page.size > MAX_PAGE_SIZE {
        return Err(ApiError::invalid(
            "pageSize",
            format!("pageSize must be at most {MAX_PAGE_SIZE}."),
        ));
    }
    let store = state.rest();
    let mut items: Vec<Value> = store
        .transfers
        .iter()
        .rev()
        .filter(|t| t.account_id == p.account_id)
        .map(|t| serde_json::to_value(TransferResource::from(t)).unwrap_or_default())
        .collect();
    crate::listing::sort(&mut items, sort.as_deref(), desc);
    Ok(Json(crate::listing::paging_result(
        &state, &uri, items, page,
    )))
}

/// Largest page of the transfers list.
pub const MAX_PAGE_SIZE: i32 = 99;

//! `/v{version}/users/{user_id}/...` resources.

use axum::extract::{Path, State};
use axum::routing::{get, patch, post, put};
use axum::{Json, Router};
use bytes::Bytes;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::extract::{parse_body, VQuery};
use crate::http::{iso_millis, ApiError, Caller, UserRef};
use crate::models::{UserAccountModel, UserInfoModel};
use crate::state::{AppState, Directory, User};
use crate::store::{hex, Store};
use crate::wire::empty_date;

/// Routes of this module (guarded by [`crate::http::api_guard`] in [`crate::router`]).
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/{version}/users/{user_id}/info", get(info))
        .route("/{version}/users/{user_id}/accounts", get(accounts))
        .route("/{version}/users/info", post(by_email))
        .route(
            "/{version}/users/{user_id}/settings/trading",
            get(get_settings).put(put_settings),
        )
        .route(
            "/{version}/users/{user_id}/password/change",
            put(change_password),
        )
        .route("/{version}/users/{user_id}/pincode", post(reset_pin))
        .route("/{version}/users/{user_id}/group", post(add_to_group))
        .route("/{version}/users/{user_id}", patch(patch_user))
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
    let user = own_user(&dir, caller, p.user_id)?;
    Ok(Json(info_model(&state.rest(), user)))
}

/// The `UserInfoModel` of a user, with the profile fields a `PATCH` may have changed.
pub fn info_model(store: &Store, user: &User) -> UserInfoModel {
    let mut model = UserInfoModel::from(user);
    if let Some(profile) = store.profiles.get(&user.id) {
        model.middle_name = profile.middle.clone();
        model.salutation = profile.salutation.as_str();
        model.suffix = profile.suffix.as_str();
    }
    model
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

/// `POST /v{version}/users/info`: a user by e-mail. Callers without administrative rights (every
/// sandbox user) may look up only themselves: another user's address, or an unknown one, is 401 (a
/// trader cannot tell which addresses exist). A missing address is 422.
pub async fn by_email(
    State(state): State<AppState>,
    caller: Caller,
    body: Bytes,
) -> Result<Json<UserInfoModel>, ApiError> {
    let filter: GetUserFilter = parse_body("filter", &body)?;
    let email = filter.email.unwrap_or_default();
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
        .filter(|u| u.id == caller.user_id)
        .ok_or(ApiError::Denied)?;
    Ok(Json(info_model(&state.rest(), user)))
}

/// The caller's own user id, for resources only the user themself may touch: any other id, known
/// or not, is 401 (a trader cannot tell other users' ids from unknown ones).
pub fn self_only(caller: Caller, user: UserRef) -> Result<i32, ApiError> {
    let id = user.resolve(caller);
    if id == caller.user_id {
        Ok(id)
    } else {
        Err(ApiError::Denied)
    }
}

/// The `Skip*` values of the trading settings.
pub const SKIP_VALUES: &[&str] = &["Show", "DoNotShow", "ShowIfAnError"];
/// Order types a ticket may default to.
pub const TICKET_ORDER_TYPES: &[&str] = &[
    "Market",
    "Limit",
    "Stop",
    "StopLimit",
    "TrailingStop",
    "TrailingStopLimit",
];
/// Durations (time in force) a ticket may default to.
pub const TICKET_DURATIONS: &[&str] = &[
    "Day",
    "GoodTillCancel",
    "AtTheOpening",
    "ImmediateOrCancel",
    "FillOrKill",
    "GoodTillCrossing",
    "GoodTillDate",
    "AtTheClose",
    "GoodTillTime",
    "GoodTillCancelPlus",
    "GoodTillDatePlus",
];
/// Routing exchanges a ticket may default to.
pub const TICKET_EXCHANGES: &[&str] = &[
    "Auto", "NYSE", "KNIGHT", "NSDQ", "VIRTEX", "FXCM", "ARCA", "BATS", "MNGD", "EDGX",
];
/// Extended-hours choices of a ticket (empty = regular session only).
pub const TICKET_EXTENDED_HOURS: &[&str] = &["", "PRE", "REG", "REGPOST", "POST", "REGPRE"];

/// Defaults of one instrument class in the order ticket (`Stocks`, `Options`, `Forex`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct InstrumentSettings {
    /// Default order type, e.g. `Market`.
    pub order_type: String,
    /// Default quantity.
    pub quantity: i32,
    /// Default duration, e.g. `Day`.
    pub duration_type: String,
    /// Default routing, e.g. `Auto`.
    pub exchange_type: String,
    /// Default extended-hours session (empty = none).
    pub extended_hours_type: String,
    /// All-or-none by default.
    #[serde(rename = "AON")]
    pub aon: bool,
    /// Default number of spread legs (options only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub spreads: Option<i32>,
}

impl Default for InstrumentSettings {
    fn default() -> Self {
        InstrumentSettings {
            order_type: "Market".into(),
            quantity: 100,
            duration_type: "Day".into(),
            exchange_type: "Auto".into(),
            extended_hours_type: String::new(),
            aon: false,
            spreads: None,
        }
    }
}

/// The spec's `InstrumentsSettings`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct InstrumentsSettings {
    /// Stocks.
    pub stocks: InstrumentSettings,
    /// Options.
    pub options: InstrumentSettings,
    /// Forex.
    pub forex: InstrumentSettings,
}

impl Default for InstrumentsSettings {
    fn default() -> Self {
        InstrumentsSettings {
            stocks: InstrumentSettings::default(),
            options: InstrumentSettings {
                quantity: 1,
                spreads: Some(1),
                ..InstrumentSettings::default()
            },
            forex: InstrumentSettings {
                quantity: 10_000,
                ..InstrumentSettings::default()
            },
        }
    }
}

/// The spec's `UserTradingSettingsModel`: a user's order-ticket defaults.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
#[allow(missing_docs)] // field names and meanings are the spec's
pub struct UserTradingSettingsModel {
    pub instruments: InstrumentsSettings,
    pub quantity_step_increment_multiplier: i32,
    pub price_step_increment_multiplier: i32,
    pub do_not_close_trade_popup_on_order_placement: bool,
    pub skip_verify_order: String,
    pub skip_verify_cancel_order: String,
    pub skip_verify_closing_position: String,
    pub skip_verify_order_replace: String,
    pub skip_place_order_status: String,
    pub skip_cancel_order_status: String,
    pub skip_closing_position_status: String,
    pub skip_order_replace_status: String,
    pub max_stocks_quantity: i32,
    pub max_options_quantity: i32,
}

impl Default for UserTradingSettingsModel {
    fn default() -> Self {
        let show = || "Show".to_string();
        UserTradingSettingsModel {
            instruments: InstrumentsSettings::default(),
            quantity_step_increment_multiplier: 1,
            price_step_increment_multiplier: 1,
            do_not_close_trade_popup_on_order_placement: false,
            skip_verify_order: show(),
            skip_verify_cancel_order: show(),
            skip_verify_closing_position: show(),
            skip_verify_order_replace: show(),
            skip_place_order_status: "ShowIfAnError".into(),
            skip_cancel_order_status: "ShowIfAnError".into(),
            skip_closing_position_status: "ShowIfAnError".into(),
            skip_order_replace_status: "ShowIfAnError".into(),
            max_stocks_quantity: 10_000,
            max_options_quantity: 500,
        }
    }
}

impl UserTradingSettingsModel {
    /// Every model error of these settings, as `tradingSettings.<Field>` entries.
    pub fn errors(&self) -> Vec<(String, String)> {
        let mut errors = Vec::new();
        let mut check = |ok: bool, field: &str, message: String| {
            if !ok {
                errors.push((format!("tradingSettings.{field}"), message));
            }
        };
        for (field, value) in [
            ("SkipVerifyOrder", &self.skip_verify_order),
            ("SkipVerifyCancelOrder", &self.skip_verify_cancel_order),
            (
                "SkipVerifyClosingPosition",
                &self.skip_verify_closing_position,
            ),
            ("SkipVerifyOrderReplace", &self.skip_verify_order_replace),
            ("SkipPlaceOrderStatus", &self.skip_place_order_status),
            ("SkipCancelOrderStatus", &self.skip_cancel_order_status),
            (
                "SkipClosingPositionStatus",
                &self.skip_closing_position_status,
            ),
            ("SkipOrderReplaceStatus", &self.skip_order_replace_status),
        ] {
            check(
                SKIP_VALUES.contains(&value.as_str()),
                field,
                format!("The value '{value}' is not valid for {field}."),
            );
        }
        for (field, value) in [
            (
                "QuantityStepIncrementMultiplier",
                self.quantity_step_increment_multiplier,
            ),
            (
                "PriceStepIncrementMultiplier",
                self.price_step_increment_multiplier,
            ),
            ("MaxStocksQuantity", self.max_stocks_quantity),
            ("MaxOptionsQuantity", self.max_options_quantity),
        ] {
            check(value >= 1, field, format!("{field} must be at least 1."));
        }
        for (class, s) in [
            ("Stocks", &self.instruments.stocks),
            ("Options", &self.instruments.options),
            ("Forex", &self.instruments.forex),
        ] {
            let at = |f: &str| format!("Instruments.{class}.{f}");
            check(
                TICKET_ORDER_TYPES.contains(&s.order_type.as_str()),
                &at("OrderType"),
                format!("The value '{}' is not a valid order type.", s.order_type),
            );
            check(
                TICKET_DURATIONS.contains(&s.duration_type.as_str()),
                &at("DurationType"),
                format!("The value '{}' is not a valid duration.", s.duration_type),
            );
            check(
                TICKET_EXCHANGES.contains(&s.exchange_type.as_str()),
                &at("ExchangeType"),
                format!("The value '{}' is not a valid exchange.", s.exchange_type),
            );
            check(
                TICKET_EXTENDED_HOURS.contains(&s.extended_hours_type.as_str()),
                &at("ExtendedHoursType"),
                format!(
                    "The value '{}' is not a valid extended hours session.",
                    s.extended_hours_type
                ),
            );
            check(
                s.quantity >= 1,
                &at("Quantity"),
                "Quantity must be at least 1.".into(),
            );
            if let Some(spreads) = s.spreads {
                check(
                    spreads >= 1,
                    &at("Spreads"),
                    "Spreads must be at least 1.".into(),
                );
            }
        }
        errors
    }
}

/// `GET /v{version}/users/{userId}/settings/trading`.
pub async fn get_settings(
    State(state): State<AppState>,
    caller: Caller,
    Path(p): Path<UserPath>,
) -> Result<Json<UserTradingSettingsModel>, ApiError> {
    let id = self_only(caller, p.user_id)?;
    let store = state.rest();
    Ok(Json(store.settings.get(&id).cloned().unwrap_or_default()))
}

/// `PUT /v{version}/users/{userId}/settings/trading`: replaces the whole object (absent fields take
/// their defaults) and answers with what is now stored.
pub async fn put_settings(
    State(state): State<AppState>,
    caller: Caller,
    Path(p): Path<UserPath>,
    body: Bytes,
) -> Result<Json<UserTradingSettingsModel>, ApiError> {
    let id = self_only(caller, p.user_id)?;
    let mut settings: UserTradingSettingsModel = parse_body("tradingSettings", &body)?;
    // Only the options class has spreads.
    settings.instruments.stocks.spreads = None;
    settings.instruments.forex.spreads = None;
    settings.instruments.options.spreads = Some(settings.instruments.options.spreads.unwrap_or(1));
    let errors = settings.errors();
    if !errors.is_empty() {
        return Err(ApiError::Validation {
            model_state: errors,
        });
    }
    state.rest().settings.insert(id, settings.clone());
    Ok(Json(settings))
}

/// The spec's `ChangeUserPasswordResource`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct ChangeUserPasswordResource {
    /// The current password.
    pub old_password: Option<String>,
    /// The new password.
    pub password: Option<String>,
    /// The new password again.
    pub password_confirm: Option<String>,
}

/// Shortest password the sandbox accepts.
pub const MIN_PASSWORD_LEN: usize = 6;

/// `PUT /v{version}/users/{userId}/password/change`: only the user themself (also with the restricted
/// token of an expired password). Missing fields, a short password or a wrong confirmation are 422,
/// a wrong old password 400, a new password equal to the old one 409. On success `/token` takes the
/// new password only and an expired password stops being expired.
pub async fn change_password(
    State(state): State<AppState>,
    caller: Caller,
    Path(p): Path<UserPath>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let id = self_only(caller, p.user_id)?;
    let req: ChangeUserPasswordResource = parse_body("userPassword", &body)?;
    let mut errors = Vec::new();
    let old = req.old_password.unwrap_or_default();
    let new = req.password.unwrap_or_default();
    let confirm = req.password_confirm.unwrap_or_default();
    if old.is_empty() {
        errors.push((
            "userPassword.OldPassword".into(),
            "Password is required".into(),
        ));
    }
    if new.is_empty() {
        errors.push((
            "userPassword.Password".into(),
            "Password is required".into(),
        ));
    } else if new.chars().count() < MIN_PASSWORD_LEN {
        errors.push((
            "userPassword.Password".into(),
            format!("Password must be at least {MIN_PASSWORD_LEN} characters long"),
        ));
    }
    if confirm != new {
        errors.push((
            "userPassword.PasswordConfirm".into(),
            "The password and confirmation password do not match".into(),
        ));
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation {
            model_state: errors,
        });
    }
    let mut dir = state.dir();
    let user = dir.users.get_mut(&id).ok_or(ApiError::Denied)?;
    if user.seed.password != old {
        return Err(ApiError::bad_request("Old password is incorrect"));
    }
    if new == old {
        return Err(ApiError::conflict(
            "The new password must differ from the old password",
        ));
    }
    user.seed.password = new;
    user.seed.password_expired = false;
    Ok(Json(json!({})))
}

/// `POST /v{version}/users/{userId}/pincode`: starts a PIN reset. The sandbox "e-mails" a new PIN
/// (deterministic from the seed and the number of resets; read it with
/// [`crate::Sandbox::reset_pin_code`]) and `/token` asks for that PIN from then on. Users without a
/// PIN get 409 with a list of messages.
pub async fn reset_pin(
    State(state): State<AppState>,
    caller: Caller,
    Path(p): Path<UserPath>,
) -> Result<Json<Value>, axum::response::Response> {
    use axum::response::IntoResponse;
    let id = self_only(caller, p.user_id).map_err(IntoResponse::into_response)?;
    let mut dir = state.dir();
    let user = dir
        .users
        .get_mut(&id)
        .ok_or_else(|| ApiError::Denied.into_response())?;
    if user.seed.pin.is_none() {
        let body = Json(json!(["The user has no pin code to reset"]));
        return Err((http::StatusCode::CONFLICT, body).into_response());
    }
    let mut store = state.rest();
    let round = store.pin_resets.len().to_string();
    let previous = store.pin_resets.get(&id).cloned().unwrap_or_default();
    let digest = store.derive(&["pin-reset", &id.to_string(), &round, &previous]);
    let n = u32::from_le_bytes([digest[0], digest[1], digest[2], digest[3]]) % 10_000;
    let pin = format!("{n:04}");
    user.seed.pin = Some(pin.clone());
    store.pin_resets.insert(id, pin);
    Ok(Json(json!({})))
}

/// The group `POST .../group` adds users to.
pub const PRO_TRADER_GROUP: &str = "ProTrader";

/// The confirmation token that admits `user_id` to [`PRO_TRADER_GROUP`]: derived from the seed.
pub fn group_confirmation_token(store: &Store, user_id: i32) -> String {
    hex(
        &store.derive(&["group", PRO_TRADER_GROUP, &user_id.to_string()]),
        12,
    )
}

/// Query of `POST .../group`.
#[derive(Debug, Deserialize)]
pub struct GroupQuery {
    /// The token the user received with the invitation.
    #[serde(rename = "confirmationtoken")]
    pub confirmation_token: String,
}

/// `POST /v{version}/users/{userId}/group?confirmationToken=`: adds the user to the ProTrader group.
/// A wrong token is 400, a user already in the group 409.
pub async fn add_to_group(
    State(state): State<AppState>,
    caller: Caller,
    Path(p): Path<UserPath>,
    VQuery(q): VQuery<GroupQuery>,
) -> Result<Json<Value>, ApiError> {
    let id = self_only(caller, p.user_id)?;
    let mut store = state.rest();
    if q.confirmation_token.trim() != group_confirmation_token(&store, id) {
        return Err(ApiError::bad_request("The confirmation token is invalid"));
    }
    let groups = store.groups.entry(id).or_default();
    if !groups.insert(PRO_TRADER_GROUP.to_string()) {
        return Err(ApiError::conflict("The user is already in the group"));
    }
    Ok(Json(json!({})))
}

/// Salutations (the spec's `Salutation` enum).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[allow(missing_docs)]
pub enum Salutation {
    #[default]
    NoSalutation,
    Mr,
    Mrs,
    Ms,
    Dr,
    Sir,
    Madam,
}

impl Salutation {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Salutation::NoSalutation => "NoSalutation",
            Salutation::Mr => "Mr",
            Salutation::Mrs => "Mrs",
            Salutation::Ms => "Ms",
            Salutation::Dr => "Dr",
            Salutation::Sir => "Sir",
            Salutation::Madam => "Madam",
        }
    }
}

/// Name suffixes (the spec's `Suffix` enum).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[allow(missing_docs)]
pub enum Suffix {
    #[default]
    NoSuffix,
    Jr,
    Sr,
    Second,
    Third,
    Fourth,
}

impl Suffix {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Suffix::NoSuffix => "NoSuffix",
            Suffix::Jr => "Jr",
            Suffix::Sr => "Sr",
            Suffix::Second => "Second",
            Suffix::Third => "Third",
            Suffix::Fourth => "Fourth",
        }
    }
}

/// The spec's `UserAddress` (also the `PatchUserAddress` with every field set).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
#[allow(missing_docs)]
pub struct UserAddress {
    pub street_address1: String,
    pub street_address2: String,
    pub city: String,
    pub state: i32,
    pub postal_code: String,
    pub country_id: i32,
}

/// The profile fields of a user the seed does not carry.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Profile {
    /// Middle name.
    pub middle: String,
    /// Salutation.
    pub salutation: Salutation,
    /// Suffix.
    pub suffix: Suffix,
    /// Windows time zone id.
    pub time_zone: String,
    /// Postal address.
    pub address: UserAddress,
}

/// Time zones (Windows ids, as .NET's `TimeZoneInfo`) a user may choose.
pub const TIME_ZONES: &[&str] = &[
    "UTC",
    "Eastern Standard Time",
    "Central Standard Time",
    "Mountain Standard Time",
    "Pacific Standard Time",
    "Alaskan Standard Time",
    "Hawaiian Standard Time",
    "GMT Standard Time",
    "W. Europe Standard Time",
    "Russian Standard Time",
    "China Standard Time",
    "Tokyo Standard Time",
];

/// Default time zone of the sandbox users.
pub const DEFAULT_TIME_ZONE: &str = "Eastern Standard Time";

/// The spec's `PatchUserAddress`: only the fields sent change.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
#[allow(missing_docs)]
pub struct PatchUserAddress {
    pub state: Option<i32>,
    pub street_address1: Option<String>,
    pub street_address2: Option<String>,
    pub city: Option<String>,
    pub postal_code: Option<String>,
    pub country_id: Option<i32>,
}

/// The spec's `PatchUserModel`: only the fields sent change.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
#[allow(missing_docs)]
pub struct PatchUserModel {
    pub first_name: Option<String>,
    pub middle: Option<String>,
    pub last_name: Option<String>,
    pub address: Option<PatchUserAddress>,
    pub salutation: Option<Salutation>,
    pub suffix: Option<Suffix>,
    pub time_zone_info_id: Option<String>,
}

/// The spec's `UserModel`.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
#[allow(missing_docs)]
pub struct UserModel {
    pub id: i32,
    pub first_name: String,
    pub middle: String,
    pub last_name: String,
    pub email_address: String,
    pub address: UserAddress,
    pub login: String,
    pub salutation: &'static str,
    pub suffix: &'static str,
    #[serde(with = "iso_millis")]
    pub added_date: DateTime<Utc>,
    pub enabled: bool,
    pub deleted: bool,
    pub time_zone_info_id: String,
    /// `0001-01-01T00:00:00.000Z`: the sandbox's users do not expire.
    #[serde(with = "iso_millis")]
    pub expiration_date: DateTime<Utc>,
    pub phone_number: String,
    pub entitlements_phone_number: String,
}

impl UserModel {
    /// The model of `user` with its `profile`.
    pub fn new(user: &User, profile: &Profile) -> UserModel {
        UserModel {
            id: user.id,
            first_name: user.seed.first_name.clone(),
            middle: profile.middle.clone(),
            last_name: user.seed.last_name.clone(),
            email_address: user.seed.email.clone(),
            address: profile.address.clone(),
            login: user.seed.username.clone(),
            salutation: profile.salutation.as_str(),
            suffix: profile.suffix.as_str(),
            added_date: user.added_date,
            enabled: true,
            deleted: false,
            time_zone_info_id: profile.time_zone.clone(),
            expiration_date: empty_date(),
            phone_number: user.phone.clone(),
            entitlements_phone_number: user.phone.clone(),
        }
    }
}

/// The profile of `user_id`, created with the defaults on first use.
pub fn profile_mut(store: &mut Store, user_id: i32) -> &mut Profile {
    store.profiles.entry(user_id).or_insert_with(|| Profile {
        time_zone: DEFAULT_TIME_ZONE.to_string(),
        ..Profile::default()
    })
}

/// `PATCH /v{version}/users/{userId}`: changes the fields sent. Blank names or over-long fields are
/// 422; an unknown time zone is 409.
pub async fn patch_user(
    State(state): State<AppState>,
    caller: Caller,
    Path(p): Path<UserPath>,
    body: Bytes,
) -> Result<Json<UserModel>, ApiError> {
    let id = self_only(caller, p.user_id)?;
    let patch: PatchUserModel = parse_body("user", &body)?;
    let mut errors = Vec::new();
    for (field, value) in [
        ("FirstName", &patch.first_name),
        ("LastName", &patch.last_name),
    ] {
        if let Some(v) = value {
            if v.trim().is_empty() {
                errors.push((
                    format!("user.{field}"),
                    format!("The {field} field is required."),
                ));
            } else if v.chars().count() > 50 {
                errors.push((
                    format!("user.{field}"),
                    format!("{field} must be at most 50 characters long."),
                ));
            }
        }
    }
    if patch
        .middle
        .as_ref()
        .is_some_and(|m| m.chars().count() > 50)
    {
        errors.push((
            "user.Middle".into(),
            "Middle must be at most 50 characters long.".into(),
        ));
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation {
            model_state: errors,
        });
    }
    if let Some(tz) = &patch.time_zone_info_id {
        if !TIME_ZONES.contains(&tz.as_str()) {
            return Err(ApiError::conflict(format!(
                "The time zone '{tz}' is not supported"
            )));
        }
    }
    let mut dir = state.dir();
    let user = dir.users.get_mut(&id).ok_or(ApiError::Denied)?;
    if let Some(v) = patch.first_name {
        user.seed.first_name = v.trim().to_string();
    }
    if let Some(v) = patch.last_name {
        user.seed.last_name = v.trim().to_string();
    }
    let mut store = state.rest();
    let profile = profile_mut(&mut store, id);
    if let Some(v) = patch.middle {
        profile.middle = v.trim().to_string();
    }
    if let Some(v) = patch.salutation {
        profile.salutation = v;
    }
    if let Some(v) = patch.suffix {
        profile.suffix = v;
    }
    if let Some(v) = patch.time_zone_info_id {
        profile.time_zone = v;
    }
    if let Some(a) = patch.address {
        let address = &mut profile.address;
        if let Some(v) = a.street_address1 {
            address.street_address1 = v;
        }
        if let Some(v) = a.street_address2 {
            address.street_address2 = v;
        }
        if let Some(v) = a.city {
            address.city = v;
        }
        if let Some(v) = a.state {
            address.state = v;
        }
        if let Some(v) = a.postal_code {
            address.postal_code = v;
        }
        if let Some(v) = a.country_id {
            address.country_id = v;
        }
    }
    let profile = profile.clone();
    Ok(Json(UserModel::new(user, &profile)))
}

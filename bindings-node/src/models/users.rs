//! User models (core `models/users.rs`) as plain JS objects.
//!
//! Shape of every model file (a generator emits more of the same): per core model one `#[napi(object)]`
//! struct with the same fields (napi camel-cases them: `user_id` is `userId`) and a `From<core type>`; money and
//! quantities become decimal strings (`values::dec`), times `Date`, enums their wire string with the known
//! values as a TypeScript union (unknown values pass through), absent values `undefined`.

use chrono::{DateTime, Utc};
use napi_derive::napi;

use autoshares::models as m;

/// A user's profile (`UserInfoModel`), as returned by `GET /v1.0/users/{userId}/info`.
#[napi(object)]
pub struct UserInfo {
    /// Internal user id (not a trading-account id).
    pub user_id: i32,
    /// First name.
    pub first_name: Option<String>,
    /// Middle name.
    pub middle_name: Option<String>,
    /// Last name.
    pub last_name: Option<String>,
    /// Login name.
    pub login: Option<String>,
    /// E-mail address.
    pub email: Option<String>,
    /// Role number (platform-defined).
    pub role: Option<i32>,
    /// When the user was created.
    pub added_date: Option<DateTime<Utc>>,
    /// Salutation.
    #[napi(
        ts_type = "'NoSalutation' | 'Mr' | 'Mrs' | 'Ms' | 'Dr' | 'Sir' | 'Madam' | (string & {})"
    )]
    pub salutation: Option<String>,
    /// Suffix.
    #[napi(ts_type = "'NoSuffix' | 'Jr' | 'Sr' | 'Second' | 'Third' | 'Fourth' | (string & {})")]
    pub suffix: Option<String>,
    /// Date of birth.
    pub date_of_birth: Option<DateTime<Utc>>,
}

impl From<m::UserInfo> for UserInfo {
    fn from(v: m::UserInfo) -> Self {
        UserInfo {
            user_id: v.user_id,
            first_name: v.first_name,
            middle_name: v.middle_name,
            last_name: v.last_name,
            login: v.login,
            email: v.email,
            role: v.role,
            added_date: v.added_date,
            salutation: v.salutation.map(|e| e.to_string()),
            suffix: v.suffix.map(|e| e.to_string()),
            date_of_birth: v.date_of_birth,
        }
    }
}

//! Models of core `models/users.rs`. Shape: one `py_model!` per core struct (fields in core order, secrets under
//! `redacted`), then one `py_enum!` listing the area's string enums and their class names in `autoshares.models`.

use autoshares::models::users as core;

use super::py_model;
use crate::convert::py_enum;

py_model! {
    /// A user's profile (`UserInfoModel`), from `client.users.me()` / `.info()` / `.by_email()`.
    UserInfo(core::UserInfo) {
        user_id, first_name, middle_name, last_name, login, email, role, added_date, salutation, suffix,
        date_of_birth,
    }
    redacted {}
}

py_enum! {
    core::Salutation => "Salutation",
    core::Suffix => "Suffix",
}

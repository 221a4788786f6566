//! Typed request and response bodies, one module per API area.
//!
//! Field names are the spec's exact JSON names (PascalCase on the wire, snake_case in Rust). Money and quantities
//! are [`rust_decimal::Decimal`], decoded exactly from the JSON text (never through `f64`); times are
//! `chrono::DateTime<Utc>` with the API's "no date" sentinels mapped to `None`; enums keep values they do not know.
//! Fields the spec does not mark as always present are `Option`s, so a missing value is never invented.

pub mod accounts;
pub mod common;
pub mod decimal;
pub mod users;

pub use accounts::{
    AccessType, Account, AccountBalance, AccountPermission, AccountStatus, MarginType, OwnerType,
    UserAccount,
};
pub use users::{Salutation, Suffix, UserInfo};

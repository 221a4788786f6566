//! One file per core `models/<area>.rs`: plain result objects (`#[napi(object)]`) with `From<core type>`.

pub mod accounts;
pub mod users;

//! One file per core `api/<area>.rs`: the area's handle class and its Promise methods.

pub mod user_accounts;
pub mod users;

//! `autoshares._native`: the PyO3 module under the pure-Python package `autoshares`.
//!
//! Thin by design: every file converts arguments, calls the core, converts results and maps errors. One file per
//! core area, named like core's modules (`users.rs` for `api/users.rs`, `accounts.rs` for
//! `api/user_accounts.rs`, `models/<area>.rs` for `models/<area>.rs`), plus the infrastructure every area uses:
//! `runtime.rs` (shared tokio runtime, awaitables, interruptible blocking, shutdown), `errors.rs`, `convert.rs`
//! (Decimal, datetime, enums, prices), `logging.rs` (tracing to Python logging), `config.rs`, `auth.rs`,
//! `client.rs` and `sandbox.rs`. The Python surface is the module tree below.

mod accounts;
mod auth;
mod client;
mod config;
mod convert;
mod errors;
mod logging;
mod models;
mod runtime;
mod sandbox;
mod users;

use pyo3::pymodule;

#[pymodule]
mod _native {
    use pyo3::prelude::*;

    #[pymodule_export]
    use super::client::{AsyncClient, Client};

    #[pymodule_export]
    use super::users::{AsyncUsers, Users};

    #[pymodule_export]
    use super::accounts::{Accounts, AsyncAccounts};

    #[pymodule_export]
    use super::models::users::UserInfo;

    #[pymodule_export]
    use super::models::accounts::{Account, AccountBalance, UserAccount};

    #[pymodule_export]
    use super::auth::{AuthorizationRequest, OAuthLogin, PasswordLogin};

    #[pymodule_export]
    use super::sandbox::{Sandbox, SandboxUser};

    #[pymodule_export]
    use super::convert::to_price;

    #[pymodule_export]
    use super::runtime::{_in_flight, _shutdown};

    #[pymodule_export]
    use super::logging::_sync_log_level;

    #[pymodule_export]
    use super::errors::_error_kinds;

    #[pymodule_export]
    use super::models::{_enum_values, _model_fields};

    #[pymodule_init]
    fn init(m: &Bound<'_, PyModule>) -> PyResult<()> {
        super::logging::install();
        m.add("__version__", env!("CARGO_PKG_VERSION"))?;
        Ok(())
    }
}

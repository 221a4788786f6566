//! `autoshares._native`: the PyO3 module under the pure-Python package `autoshares`.
//!
//! Thin by design: every file converts arguments, calls the core, converts results and maps errors. Generated
//! from `core/api.json` by `scripts/gen_python.py` (do not edit them): `api/<area>.rs`, one per core area with
//! its blocking and awaitable classes (`client.orders`, `client.sync_orders`, ...; every core operation), and
//! `models/<area>.rs`, the model classes the operations return (`models/balance.rs` is hand-written), plus the
//! area getters in `client.rs`. Hand-written: the infrastructure every area uses, `runtime.rs` (shared tokio
//! runtime, awaitables, interruptible blocking, shutdown), `errors.rs`, `convert.rs` (Decimal, datetime, enums,
//! request dicts, sort and filter), `model.rs` (the model class macro), `paging.rs` (iterators over every page),
//! `logging.rs` (tracing to Python logging), `config.rs`, `auth.rs`, `client.rs`, `sandbox.rs`, `stream.rs`
//! (`client.stream(...)`: core's market stream, its events handed to Python in batches) and `indicators.rs`
//! (`bars.with_indicators(...)`, `compute_indicators`, indicator signatures).

mod api;
mod arrow_c;
mod auth;
mod client;
mod config;
mod convert;
mod errors;
mod frames;
mod indicators;
mod journal;
mod logging;
mod model;
mod models;
mod paging;
mod runtime;
mod sandbox;
mod stream;

use pyo3::pymodule;

#[pymodule]
mod _native {
    use pyo3::prelude::*;

    #[pymodule_export]
    use super::client::{AsyncClient, Client};

    #[pymodule_export]
    use super::auth::{AuthorizationRequest, OAuthLogin, PasswordLogin};

    #[pymodule_export]
    use super::sandbox::{Sandbox, SandboxUser};

    #[pymodule_export]
    use super::convert::to_price;

    #[pymodule_export]
    use super::arrow_c::Table;

    #[pymodule_export]
    use super::journal::ReconciledIntent;

    #[pymodule_export]
    use super::frames::_rows_table;

    #[pymodule_export]
    use super::indicators::{
        _compute_indicators, _indicator_signature, _parse_indicator_signature, BarsWithIndicators,
    };

    #[pymodule_export]
    use super::runtime::{_in_flight, _shutdown};

    #[pymodule_export]
    use super::logging::_sync_log_level;

    #[pymodule_export]
    use super::errors::_error_kinds;

    #[pymodule_export]
    use super::models::{_enum_values, _model_fields};

    #[pymodule_export]
    use super::api::{_core_operations, _operations};

    #[pymodule_init]
    fn init(m: &Bound<'_, PyModule>) -> PyResult<()> {
        super::logging::install();
        m.add("__version__", env!("CARGO_PKG_VERSION"))?;
        // The generated area and model classes (one `add_class` each, see `api/mod.rs` and `models/mod.rs`).
        super::api::register(m)?;
        super::models::register(m)?;
        // `client.stream(...)`: the handle, the config, topics and the event classes (`stream.rs`).
        super::stream::register(m)?;
        Ok(())
    }
}

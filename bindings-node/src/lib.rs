//! The npm package `autoshares`: the Rust core behind a Promise API, with types generated into `index.d.ts`.
//!
//! Layout (one file per core area, mirroring `core/src`): `api/<area>.rs` holds the area handle
//! (`client.users`, `client.accounts`) and one Promise method per core operation; `models/<area>.rs` holds the
//! `#[napi(object)]` result types with a `From<core type>` each. Everything around them is infrastructure:
//! `call.rs` (every Promise: AbortSignal, `close()`, errors with codes), `error.rs` (`AutoSharesError`),
//! `values.rs` (decimals in and out), `config.rs` + `auth.rs` (`new Client({...})`), `client.rs`, `sandbox.rs`,
//! `stream.rs` (`client.stream()`: core's `MarketStream` as an async iterator of plain event objects).
//! `indicators.rs`: `computeIndicators(bars, spec)` and `indicatorSignature(...)` over core's `indicators`.
//!
//! Behaviour lives in core; this crate converts arguments, calls core, converts results and maps errors.

// `autoshares::Error` is passed through as is (it becomes the JS error); boxing it would buy nothing here.
#![allow(clippy::result_large_err)]
// napi-derive registers exports only outside `cfg(test)`, so the test build sees them as unused.
#![cfg_attr(test, allow(dead_code))]

mod api;
mod auth;
mod call;
mod client;
mod config;
mod error;
mod filter;
mod indicators;
mod journal;
mod models;
mod paging;
mod sandbox;
mod stream;
mod values;

use napi::bindgen_prelude::*;
use napi_derive::napi;

/// Adds what `#[napi]` cannot declare: the `AutoSharesError` class (a real `Error` subclass, defined in JS).
#[napi(module_exports)]
pub fn init(mut exports: Object, env: Env) -> Result<()> {
    error::install(&env, &mut exports)
}

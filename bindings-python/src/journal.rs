//! `client.reconcile_journal()`: what the order intents a previous run could not confirm actually did (core
//! `autoshares::journal`; the journal itself is the `order_journal=` option).

use chrono::{DateTime, Utc};
use pyo3::prelude::*;

use autoshares::journal::{Reconciled, Recovered};

use crate::convert::ToPy;

/// One pending order intent of the journal and what reconciling it found.
///
/// `outcome` is `"placed"` (`order` is the order that went through), `"not_placed"` (it never arrived: sending
/// `request` again cannot duplicate it), `"cancelled"`, `"not_cancelled"` (`order` is still working), or
/// `"unknown"` (`error` says why; the intent stays in the journal for the next try).
#[pyclass(frozen, module = "autoshares")]
pub struct ReconciledIntent {
    key: String,
    operation: String,
    account_id: i32,
    order_id: Option<i32>,
    client_id: Option<String>,
    request: Option<String>,
    recorded_at: DateTime<Utc>,
    outcome: &'static str,
    order: Option<autoshares::models::Order>,
    error: Option<autoshares::Error>,
}

impl From<Reconciled> for ReconciledIntent {
    fn from(r: Reconciled) -> Self {
        let (outcome, order, error) = match r.outcome {
            Ok(Recovered::Placed(o)) => ("placed", Some(o), None),
            Ok(Recovered::NotPlaced) => ("not_placed", None, None),
            Ok(Recovered::Cancelled(o)) => ("cancelled", Some(o), None),
            Ok(Recovered::NotCancelled(o)) => ("not_cancelled", Some(o), None),
            Err(e) => ("unknown", None, Some(e)),
        };
        let i = r.intent;
        ReconciledIntent {
            key: i.key,
            operation: i.operation,
            account_id: i.account_id,
            order_id: i.order_id,
            client_id: i.client_id,
            request: i.request.map(|raw| raw.get().to_owned()),
            recorded_at: i.recorded_at,
            outcome,
            order,
            error,
        }
    }
}

/// The results of `reconcile_journal()` as Python objects.
pub fn to_list(results: Vec<Reconciled>) -> Vec<ReconciledIntent> {
    results.into_iter().map(ReconciledIntent::from).collect()
}

#[pymethods]
impl ReconciledIntent {
    /// The intent's key: its `ClientId` (places and replaces) or `cancel-<order id>-...`.
    #[getter]
    fn key(&self) -> &str {
        &self.key
    }
    /// `"place"`, `"replace"` or `"cancel"`.
    #[getter]
    fn operation(&self) -> &str {
        &self.operation
    }
    /// The trading account.
    #[getter]
    fn account_id(&self) -> i32 {
        self.account_id
    }
    /// The order replaced or cancelled.
    #[getter]
    fn order_id(&self) -> Option<i32> {
        self.order_id
    }
    /// The `ClientId` the request carried.
    #[getter]
    fn client_id(&self) -> Option<&str> {
        self.client_id.as_deref()
    }
    /// The request body exactly as it was sent (wire field names, e.g. `{"Symbol": ..., "Price": ...}`), decoded
    /// with exact `Decimal` numbers; `None` for cancels.
    #[getter]
    fn request<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        let Some(text) = &self.request else {
            return Ok(None);
        };
        let json = py.import("json")?;
        let decimal = py.import("decimal")?.getattr("Decimal")?;
        let kwargs = pyo3::types::PyDict::new(py);
        kwargs.set_item("parse_float", decimal)?;
        json.getattr("loads")?
            .call((text,), Some(&kwargs))
            .map(Some)
    }
    /// When the intent was written down (UTC).
    #[getter]
    fn recorded_at<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.recorded_at.to_py(py)
    }
    /// `"placed"`, `"not_placed"`, `"cancelled"`, `"not_cancelled"` or `"unknown"`.
    #[getter]
    fn outcome(&self) -> &'static str {
        self.outcome
    }
    /// The order as the server lists it now (placed, cancelled and not-cancelled outcomes).
    #[getter]
    fn order<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        self.order.as_ref().map(|o| o.to_py(py)).transpose()
    }
    /// Why the outcome is still unknown (an `AutoSharesError`), else `None`.
    #[getter]
    fn error<'py>(&self, py: Python<'py>) -> Option<Bound<'py, PyAny>> {
        self.error.as_ref().map(|e| {
            crate::errors::to_py_err(py, e.clone())
                .value(py)
                .clone()
                .into_any()
        })
    }

    fn __repr__(&self) -> String {
        format!(
            "ReconciledIntent(operation={:?}, account_id={}, key={:?}, outcome={:?})",
            self.operation, self.account_id, self.key, self.outcome
        )
    }
}

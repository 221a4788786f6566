//! Core errors to Python exceptions: one `match` from `autoshares::Error` to the classes of `autoshares.errors`.
//!
//! The classes are plain Python (so they pickle, document their attributes and can mix in `ValueError`); this
//! file only picks the class by the stable kind code and copies the variant's fields onto the instance.

use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyType};

use autoshares::{Error, ErrorKind};

/// The Python class name for each core kind (`autoshares.errors.<name>`).
pub fn class_name(kind: ErrorKind) -> &'static str {
    match kind {
        ErrorKind::Config => "ConfigError",
        ErrorKind::Auth => "AuthError",
        ErrorKind::Api => "ApiError",
        ErrorKind::RateLimited => "RateLimitError",
        ErrorKind::Validation => "ValidationError",
        ErrorKind::Transport => "TransportError",
        ErrorKind::Timeout => "RequestTimeoutError",
        ErrorKind::Decode => "DecodeError",
        ErrorKind::Stream => "StreamError",
        ErrorKind::TokenStore => "TokenStoreError",
        ErrorKind::AmbiguousOrder => "AmbiguousOrderError",
        _ => "AutoSharesError",
    }
}

fn errors_module(py: Python<'_>) -> PyResult<&Bound<'_, PyAny>> {
    static MODULE: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    MODULE
        .get_or_try_init(py, || {
            Ok::<_, PyErr>(py.import("autoshares.errors")?.into_any().unbind())
        })
        .map(|m| m.bind(py))
}

/// The exception class of a core error kind.
pub fn class_of(py: Python<'_>, kind: ErrorKind) -> PyResult<Bound<'_, PyType>> {
    Ok(errors_module(py)?
        .getattr(class_name(kind))?
        .cast_into::<PyType>()?)
}

fn fields<'py>(py: Python<'py>, e: &Error) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    match e {
        Error::Config { field, .. } => d.set_item("field", field)?,
        Error::Auth {
            kind,
            step,
            message,
        } => {
            d.set_item("auth_kind", kind.code())?;
            d.set_item("step", step)?;
            d.set_item("reason", message)?;
        }
        Error::Api {
            status,
            operation,
            code,
            message,
            body,
            request_id,
        } => {
            d.set_item("status", status)?;
            d.set_item("operation", operation)?;
            d.set_item("server_code", code)?;
            d.set_item("server_message", message)?;
            d.set_item("body", body)?;
            d.set_item("request_id", request_id)?;
        }
        Error::RateLimited {
            operation,
            retry_after,
            request_id,
        } => {
            d.set_item("status", 429)?;
            d.set_item("operation", operation)?;
            d.set_item("retry_after", retry_after.map(|r| r.as_secs_f64()))?;
            d.set_item("request_id", request_id)?;
        }
        Error::Validation { field, .. } => d.set_item("field", field)?,
        Error::Transport {
            operation,
            request_id,
            ..
        } => {
            d.set_item("operation", operation)?;
            d.set_item("request_id", request_id)?;
        }
        Error::Timeout {
            operation,
            after,
            request_id,
        } => {
            d.set_item("operation", operation)?;
            d.set_item("after", after.as_secs_f64())?;
            d.set_item("request_id", request_id)?;
        }
        Error::Decode {
            operation,
            path,
            snippet,
            request_id,
            ..
        } => {
            d.set_item("operation", operation)?;
            d.set_item("path", path)?;
            d.set_item("snippet", snippet)?;
            d.set_item("request_id", request_id)?;
        }
        Error::TokenStore { path, .. } => d.set_item("path", path)?,
        Error::AmbiguousOrderOutcome {
            operation,
            client_id,
            ..
        } => {
            d.set_item("operation", operation)?;
            d.set_item("client_id", client_id)?;
        }
        _ => {}
    }
    Ok(d)
}

fn build(py: Python<'_>, e: &Error) -> PyResult<PyErr> {
    let class = class_of(py, e.kind())?;
    let value = class.call((e.to_string(),), Some(&fields(py, e)?))?;
    Ok(PyErr::from_value(value))
}

/// The Python exception for a core error.
pub fn to_py_err(py: Python<'_>, e: Error) -> PyErr {
    build(py, &e).unwrap_or_else(|failed| {
        PyRuntimeError::new_err(format!(
            "{e} (and the autoshares exception could not be built: {failed})"
        ))
    })
}

/// A core-style validation error raised by the binding's own argument conversion (prices, user refs).
pub fn validation(py: Python<'_>, field: &str, message: impl Into<String>) -> PyErr {
    to_py_err(
        py,
        Error::Validation {
            field: field.to_string(),
            message: message.into(),
        },
    )
}

/// A configuration error raised by the binding's own argument conversion.
pub fn config(py: Python<'_>, field: &str, message: impl Into<String>) -> PyErr {
    to_py_err(
        py,
        Error::Config {
            field: field.to_string(),
            message: message.into(),
        },
    )
}

/// Extension for call sites: `core_call.py_err(py)?`.
pub trait IntoPyResult<T> {
    /// Maps the core error to its Python exception.
    fn py_err(self, py: Python<'_>) -> PyResult<T>;
}

impl<T> IntoPyResult<T> for autoshares::Result<T> {
    fn py_err(self, py: Python<'_>) -> PyResult<T> {
        self.map_err(|e| to_py_err(py, e))
    }
}

/// Every core kind with its class name and code (stubtest-free check that the Python hierarchy is complete).
#[pyfunction]
pub fn _error_kinds() -> Vec<(&'static str, &'static str)> {
    ErrorKind::ALL
        .iter()
        .map(|k| (k.code(), class_name(*k)))
        .collect()
}

//! Values across the boundary: exact decimals, aware UTC datetimes, forward-compatible enums, prices in.
//!
//! Out: [`ToPy`] turns a core field into its Python value. `Decimal` goes through its string (never `f64`), a
//! `DateTime<Utc>` becomes an aware `datetime` in UTC, a string enum becomes a member of its `enum.Enum` class in
//! `autoshares.models` (unknown values become pseudo-members there, so nothing is lost), `Option` becomes `None`.
//!
//! In: [`price`] accepts `decimal.Decimal`, `int` and `str`, and refuses `float` unless the caller opts in,
//! because most prices (`0.1`, `19.99`) have no exact binary representation.

use std::collections::BTreeMap;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyFloat, PyInt, PyList, PyString, PyType};
use rust_decimal::Decimal;

use crate::errors::validation;

/// A core value that has a Python form.
pub trait ToPy {
    /// The Python value.
    fn to_py<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>>;
}

macro_rules! to_py_via_into {
    ($($t:ty),*) => {$(
        impl ToPy for $t {
            fn to_py<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
                pyo3::IntoPyObjectExt::into_bound_py_any(self.clone(), py)
            }
        }
    )*};
}
to_py_via_into!(i32, i64, u32, u64, bool, String);

impl<T: ToPy> ToPy for Option<T> {
    fn to_py<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        match self {
            Some(v) => v.to_py(py),
            None => Ok(py.None().into_bound(py)),
        }
    }
}

impl<T: ToPy> ToPy for Vec<T> {
    fn to_py<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let list = PyList::empty(py);
        for v in self {
            list.append(v.to_py(py)?)?;
        }
        Ok(list.into_any())
    }
}

impl<V: ToPy> ToPy for BTreeMap<String, V> {
    fn to_py<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let d = PyDict::new(py);
        for (k, v) in self {
            d.set_item(k, v.to_py(py)?)?;
        }
        Ok(d.into_any())
    }
}

fn decimal_type(py: Python<'_>) -> PyResult<&Bound<'_, PyType>> {
    static DECIMAL: PyOnceLock<Py<PyType>> = PyOnceLock::new();
    DECIMAL.import(py, "decimal", "Decimal")
}

impl ToPy for Decimal {
    fn to_py<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        decimal_type(py)?.call1((self.to_string(),))
    }
}

impl ToPy for DateTime<Utc> {
    fn to_py<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        Ok(self.into_pyobject(py)?.into_any())
    }
}

impl ToPy for autoshares::Secret {
    fn to_py<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        Ok(PyString::new(py, self.expose()).into_any())
    }
}

impl ToPy for serde_json::Value {
    fn to_py<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        use serde_json::Value;
        Ok(match self {
            Value::Null => py.None().into_bound(py),
            Value::Bool(b) => pyo3::IntoPyObjectExt::into_bound_py_any(*b, py)?,
            // `arbitrary_precision`: the number's own text, so JSON numbers stay exact as Decimal (or int).
            Value::Number(n) => {
                let text = n.to_string();
                if let Ok(i) = text.parse::<i64>() {
                    i.into_pyobject(py)?.into_any()
                } else {
                    decimal_type(py)?.call1((text,))?
                }
            }
            Value::String(s) => PyString::new(py, s).into_any(),
            Value::Array(a) => {
                let list = PyList::empty(py);
                for v in a {
                    list.append(v.to_py(py)?)?;
                }
                list.into_any()
            }
            Value::Object(o) => {
                let d = PyDict::new(py);
                for (k, v) in o {
                    d.set_item(k, v.to_py(py)?)?;
                }
                d.into_any()
            }
        })
    }
}

/// The `enum.Enum` class `name` of `autoshares.models`, cached.
pub fn enum_class<'py>(py: Python<'py>, name: &'static str) -> PyResult<Bound<'py, PyAny>> {
    static MODELS: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    let module = MODELS.get_or_try_init(py, || {
        Ok::<_, PyErr>(py.import("autoshares.models")?.into_any().unbind())
    })?;
    module.bind(py).getattr(name)
}

/// Implements [`ToPy`] for core string enums: the value becomes `autoshares.models.<Name>(wire value)`.
macro_rules! py_enum {
    ($($ty:path => $name:literal),* $(,)?) => {
        $(
            impl $crate::convert::ToPy for $ty {
                fn to_py<'py>(&self, py: pyo3::Python<'py>) -> pyo3::PyResult<pyo3::Bound<'py, pyo3::PyAny>> {
                    pyo3::types::PyAnyMethods::call1(&$crate::convert::enum_class(py, $name)?, (self.as_str(),))
                }
            }
        )*
        /// The wire values each enum class must have, for the pytest check against `autoshares.models`.
        pub fn enum_values() -> Vec<(&'static str, Vec<String>)> {
            vec![$(($name, <$ty>::KNOWN.iter().map(|v| v.as_str().to_string()).collect())),*]
        }
    };
}
pub(crate) use py_enum;

/// A price (or any money amount) from Python: `Decimal`, `int` or `str`; `float` only with `allow_float`.
pub fn price(value: &Bound<'_, PyAny>, field: &str, allow_float: bool) -> PyResult<Decimal> {
    let py = value.py();
    let text: String = if value.is_instance(decimal_type(py)?)? {
        value.str()?.to_string()
    } else if value.is_instance_of::<pyo3::types::PyBool>() {
        return Err(validation(py, field, "a bool is not a price"));
    } else if value.is_instance_of::<PyInt>() || value.is_instance_of::<PyString>() {
        value.str()?.to_string()
    } else if value.is_instance_of::<PyFloat>() {
        if !allow_float {
            return Err(validation(
                py,
                field,
                format!(
                    "{} is a float, and floats cannot represent most prices exactly; pass Decimal(\"{}\"), an int or \
                     a str, or opt in with allow_float=True",
                    value.repr()?,
                    value.repr()?
                ),
            ));
        }
        // Python's repr is the shortest string that round-trips, i.e. what the user typed for 19.99.
        value.repr()?.to_string()
    } else {
        return Err(validation(
            py,
            field,
            format!(
                "expected Decimal, int or str, got {}",
                value.get_type().name()?
            ),
        ));
    };
    let parsed = Decimal::from_str(text.trim())
        .or_else(|_| Decimal::from_scientific(text.trim()))
        .map_err(|e| validation(py, field, format!("`{text}` is not a decimal number: {e}")))?;
    Ok(parsed)
}

/// `autoshares.to_price(value, *, allow_float=False)`: the exact decimal the SDK would send for `value`.
#[pyfunction]
#[pyo3(signature = (value, *, allow_float = false, field = "price"))]
pub fn to_price<'py>(
    value: &Bound<'py, PyAny>,
    allow_float: bool,
    field: &str,
) -> PyResult<Bound<'py, PyAny>> {
    price(value, field, allow_float)?.to_py(value.py())
}

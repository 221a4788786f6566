//! The shape of every model class: one frozen pyclass per core model, declared with [`py_model!`].
//!
//! `py_model!` names the Python class, the core type it wraps and its fields (Python name => core field, in the
//! core's order), and lists the fields whose values never appear in `repr` or `_repr_html_`. Each field becomes
//! a read-only attribute converted by [`ToPy`](crate::convert::ToPy) on access (so a model costs one Rust struct
//! until it is read); the class gets `to_dict()`, `==` (core `PartialEq`), a `repr` of the fields that are set,
//! an HTML table for notebooks and pickling through the core's JSON; the models whose invocation names a `table` of
//! rows (pages, bars) also get `to_arrow()`, `to_pandas()` and `to_polars()` (`frames.rs`), and bars (`with indicators`)
//! `with_indicators(...)` (`indicators.rs`). The invocations are generated
//! (`scripts/gen_python.py` writes `models/<area>.rs`); `py_enum!` (in `convert.rs`) maps the core enums to the
//! `enum.Enum` classes of `autoshares.models`.

use pyo3::prelude::*;

/// `repr` of a model: `Name(a=1, b='x')`, skipping fields that are `None`, redacting secrets.
pub fn repr<'py>(
    py: Python<'py>,
    name: &str,
    fields: &[&str],
    redacted: &[&str],
    value: impl Fn(&str) -> PyResult<Bound<'py, PyAny>>,
) -> PyResult<String> {
    let mut parts = Vec::new();
    for f in fields {
        let v = value(f)?;
        if v.is_none() {
            continue;
        }
        if redacted.contains(f) {
            parts.push(format!("{f}='***'"));
        } else {
            parts.push(format!("{f}={}", v.repr()?));
        }
    }
    let _ = py;
    Ok(format!("{name}({})", parts.join(", ")))
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// `_repr_html_` of a model: a two-column table of the fields that are set, secrets redacted.
pub fn repr_html<'py>(
    name: &str,
    fields: &[&str],
    redacted: &[&str],
    value: impl Fn(&str) -> PyResult<Bound<'py, PyAny>>,
) -> PyResult<String> {
    let mut html = format!("<table><caption>{}</caption><tbody>", escape(name));
    for f in fields {
        let v = value(f)?;
        if v.is_none() {
            continue;
        }
        let shown = if redacted.contains(f) {
            "***".to_string()
        } else {
            v.str()?.to_string()
        };
        html.push_str(&format!(
            "<tr><th>{}</th><td>{}</td></tr>",
            escape(f),
            escape(&shown)
        ));
    }
    html.push_str("</tbody></table>");
    Ok(html)
}

/// The core model's JSON (its wire form), for pickling.
pub fn to_json<T: serde::Serialize>(v: &T) -> PyResult<String> {
    serde_json::to_string(v).map_err(|e| pyo3::exceptions::PyValueError::new_err(e.to_string()))
}

/// A core model from its JSON, for unpickling.
pub fn from_json<T: serde::de::DeserializeOwned>(json: &str) -> PyResult<T> {
    serde_json::from_str(json).map_err(|e| pyo3::exceptions::PyValueError::new_err(e.to_string()))
}

/// Declares the pyclass of one core model. See the module docs.
macro_rules! py_model {
    (
        $(#[$doc:meta])*
        $name:ident($core:ty) {
            $($py:literal => $field:ident),* $(,)?
        }
        redacted { $($secret:literal),* $(,)? }
        $(table |$ts:ident| $rows:expr $(, with $bars:ident)?)?
    ) => {
        $(#[$doc])*
        #[pyo3::pyclass(frozen, module = "autoshares.models")]
        #[derive(Clone)]
        pub struct $name {
            pub(crate) inner: $core,
        }

        impl $name {
            /// The attribute names, in the core's field order.
            pub const FIELDS: &'static [&'static str] = &[$($py),*];
            const REDACTED: &'static [&'static str] = &[$($secret),*];

            fn value_of<'py>(&self, py: pyo3::Python<'py>, name: &str) -> pyo3::PyResult<pyo3::Bound<'py, pyo3::PyAny>> {
                use $crate::convert::ToPy;
                match name {
                    $($py => self.inner.$field.to_py(py),)*
                    other => Err(pyo3::exceptions::PyAttributeError::new_err(other.to_string())),
                }
            }
        }

        #[pyo3::pymethods]
        impl $name {
            $(
                #[getter]
                fn $field<'py>(&self, py: pyo3::Python<'py>) -> pyo3::PyResult<pyo3::Bound<'py, pyo3::PyAny>> {
                    $crate::convert::ToPy::to_py(&self.inner.$field, py)
                }
            )*

            /// The fields as a plain `dict` (same Python values as the attributes).
            fn to_dict<'py>(&self, py: pyo3::Python<'py>) -> pyo3::PyResult<pyo3::Bound<'py, pyo3::types::PyDict>> {
                use pyo3::types::PyDictMethods;
                let d = pyo3::types::PyDict::new(py);
                for f in Self::FIELDS {
                    d.set_item(*f, self.value_of(py, f)?)?;
                }
                Ok(d)
            }

            fn __eq__<'py>(&self, py: pyo3::Python<'py>, other: &pyo3::Bound<'py, pyo3::PyAny>) -> pyo3::Py<pyo3::PyAny> {
                use pyo3::IntoPyObjectExt;
                match other.cast::<Self>() {
                    Ok(o) => (self.inner == o.get().inner).into_py_any(py).unwrap_or_else(|_| py.NotImplemented()),
                    Err(_) => py.NotImplemented(),
                }
            }

            fn __repr__(&self, py: pyo3::Python<'_>) -> pyo3::PyResult<String> {
                $crate::model::repr(py, stringify!($name), Self::FIELDS, Self::REDACTED, |f| self.value_of(py, f))
            }

            fn _repr_html_(&self, py: pyo3::Python<'_>) -> pyo3::PyResult<String> {
                $crate::model::repr_html(stringify!($name), Self::FIELDS, Self::REDACTED, |f| self.value_of(py, f))
            }

            /// Pickling goes through the core's own JSON form (exact decimals, unknown enum values kept).
            fn __reduce__<'py>(slf: &pyo3::Bound<'py, Self>) -> pyo3::PyResult<(pyo3::Bound<'py, pyo3::PyAny>, (String,))> {
                use pyo3::types::PyAnyMethods;
                let json = $crate::model::to_json(&slf.get().inner)?;
                Ok((slf.get_type().into_any().getattr("_from_json")?, (json,)))
            }

            #[staticmethod]
            fn _from_json(json: &str) -> pyo3::PyResult<Self> {
                $crate::model::from_json(json).map(|inner| $name { inner })
            }

            $(
                /// The rows as a `pyarrow.Table` (extra `arrow`): one column per scalar field, decimals exact as
                /// `decimal128`, times as `timestamp[us, UTC]`, enums as their wire strings.
                fn to_arrow<'py>(&self, py: pyo3::Python<'py>) -> pyo3::PyResult<pyo3::Bound<'py, pyo3::PyAny>> {
                    let $ts = &self.inner;
                    let rows: Vec<_> = $rows.collect();
                    $crate::frames::table(py, "to_arrow", &rows, None)
                }

                /// The rows as a `pandas.DataFrame` (extra `pandas`); decimals stay exact (`decimals="arrow"`, Arrow-backed),
                /// or become `Decimal` objects (`"object"`) or floats (`"float"`).
                #[pyo3(signature = (*, decimals = "arrow"))]
                fn to_pandas<'py>(&self, py: pyo3::Python<'py>, decimals: &str) -> pyo3::PyResult<pyo3::Bound<'py, pyo3::PyAny>> {
                    use pyo3::types::PyDictMethods;
                    let $ts = &self.inner;
                    let rows: Vec<_> = $rows.collect();
                    let options = pyo3::types::PyDict::new(py);
                    options.set_item("decimals", decimals)?;
                    $crate::frames::table(py, "to_pandas", &rows, Some(&options))
                }

                /// The rows as a `polars.DataFrame` (extra `polars`).
                fn to_polars<'py>(&self, py: pyo3::Python<'py>) -> pyo3::PyResult<pyo3::Bound<'py, pyo3::PyAny>> {
                    let $ts = &self.inner;
                    let rows: Vec<_> = $rows.collect();
                    $crate::frames::table(py, "to_polars", &rows, None)
                }
                $(
                    /// The bars with technical indicators computed by the core appended as `float64` columns (null in
                    /// each indicator's warm-up), as a `BarsWithIndicators` with the same `to_arrow()`, `to_pandas()`
                    /// and `to_polars()`: `sma=20` or `[10, 50]`, `ema=`, `rsi=` (Wilder), `atr=` (Wilder) likewise;
                    /// `macd=True` (12, 26, 9) or `(fast, slow, signal)`; `bollinger=True` (20, 2), `period` or
                    /// `(period, k)`; `vwap=True` (cumulative), `"session"` (reset each UTC day), `("session",
                    /// utc_offset_minutes)` or `period` (rolling). A list of specs gives one set of columns each.
                    #[pyo3(signature = (*, sma = None, ema = None, rsi = None, macd = None, bollinger = None, vwap = None, atr = None))]
                    #[allow(clippy::too_many_arguments)]
                    fn with_indicators<'py>(
                        &self,
                        py: pyo3::Python<'py>,
                        sma: Option<pyo3::Bound<'py, pyo3::PyAny>>,
                        ema: Option<pyo3::Bound<'py, pyo3::PyAny>>,
                        rsi: Option<pyo3::Bound<'py, pyo3::PyAny>>,
                        macd: Option<pyo3::Bound<'py, pyo3::PyAny>>,
                        bollinger: Option<pyo3::Bound<'py, pyo3::PyAny>>,
                        vwap: Option<pyo3::Bound<'py, pyo3::PyAny>>,
                        atr: Option<pyo3::Bound<'py, pyo3::PyAny>>,
                    ) -> pyo3::PyResult<$crate::indicators::BarsWithIndicators> {
                        let _ = stringify!($bars); // `with indicators`: the rows are bars
                        let $ts = &self.inner;
                        let rows: Vec<_> = $rows.collect();
                        let spec = $crate::indicators::Spec { sma, ema, rsi, macd, bollinger, vwap, atr };
                        $crate::indicators::with_indicators(py, &rows, spec)
                    }
                )?
            )?

        }

        impl $crate::frames::Row for $core {
            fn columns(rows: &[&Self]) -> Vec<$crate::frames::Column> {
                use $crate::frames::Builder;
                // One pass over the rows for all the columns (the rows are read from memory once).
                let first = rows.first().copied();
                let mut builders = [$(
                    Builder::of($py, rows.len(), $name::REDACTED.contains(&$py), first.map(|r| &r.$field)),
                )*];
                for r in rows {
                    let mut cols = builders.iter_mut();
                    $(
                        if let Some(b) = cols.next() {
                            b.push(&r.$field);
                        }
                    )*
                }
                builders.into_iter().filter_map(Builder::finish).collect()
            }
        }

        /// A model inside another is not a column of its table.
        impl $crate::frames::Cell for $core {
            fn column() -> $crate::frames::Data {
                $crate::frames::Data::Skip
            }
            fn append_to(&self, _: &mut $crate::frames::Data) {}
        }

        impl $name {
            /// `items` as a table when the first is one of these (`None` otherwise, so the caller tries the next
            /// class); an item of another class is a `TypeError`.
            pub(crate) fn list_table<'py>(
                py: pyo3::Python<'py>,
                how: &str,
                items: &[pyo3::Bound<'py, pyo3::PyAny>],
                options: Option<&pyo3::Bound<'py, pyo3::types::PyDict>>,
            ) -> Option<pyo3::PyResult<pyo3::Bound<'py, pyo3::PyAny>>> {
                use pyo3::types::PyAnyMethods;
                items.first()?.cast::<Self>().ok()?;
                let mut rows: Vec<&$core> = Vec::with_capacity(items.len());
                for (i, item) in items.iter().enumerate() {
                    match item.cast::<Self>() {
                        Ok(b) => rows.push(&b.get().inner),
                        Err(_) => {
                            let got = item.get_type().name().map(|n| n.to_string()).unwrap_or_default();
                            return Some(Err(pyo3::exceptions::PyTypeError::new_err(format!(
                                "rows[{i}] is a {got}, not a {}: a table's rows are all of one model class",
                                stringify!($name)
                            ))));
                        }
                    }
                }
                Some($crate::frames::table(py, how, &rows, options))
            }
        }

        impl From<$core> for $name {
            fn from(inner: $core) -> Self {
                $name { inner }
            }
        }

        impl $crate::convert::ToPy for $core {
            fn to_py<'py>(&self, py: pyo3::Python<'py>) -> pyo3::PyResult<pyo3::Bound<'py, pyo3::PyAny>> {
                Ok(pyo3::Bound::new(py, $name::from(self.clone()))?.into_any())
            }

            fn into_py<'py>(self, py: pyo3::Python<'py>) -> pyo3::PyResult<pyo3::Bound<'py, pyo3::PyAny>> {
                Ok(pyo3::Bound::new(py, $name::from(self))?.into_any())
            }
        }
    };
}
pub(crate) use py_model;

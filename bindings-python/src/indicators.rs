//! Technical indicators (core `indicators`): `bars.with_indicators(sma=20, macd=True, ...)` on the bars of
//! `history.bars(...)`, `autoshares.compute_indicators(data, ...)` over any columns, and the server-side
//! signatures (`autoshares.IndicatorSignature`, a `str`).
//!
//! The computation is core's (`autoshares::indicators::compute`, run with the GIL released); this file converts the
//! keyword specs to core `Indicator`s and the resulting columns to Arrow `float64` columns (nulls in the warm-up),
//! appended to the bar columns of `frames.rs` and handed over like every other table.

// Core's `Error` passes through unchanged (it becomes the Python exception); boxing it would buy nothing here.
#![allow(clippy::result_large_err)]

use autoshares::indicators::{
    self as ind, Bars, ChartPeriod, Indicator, Ohlcv, SignatureBuilder, Study,
};
use chrono::{DateTime, Utc};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyDictMethods, PyList, PyString, PyTuple};

use crate::arrow_c;
use crate::errors;
use crate::frames::{self, Row};

/// The keyword arguments of `with_indicators` / `compute_indicators`, as given.
pub struct Spec<'py> {
    pub sma: Option<Bound<'py, PyAny>>,
    pub ema: Option<Bound<'py, PyAny>>,
    pub rsi: Option<Bound<'py, PyAny>>,
    pub macd: Option<Bound<'py, PyAny>>,
    pub bollinger: Option<Bound<'py, PyAny>>,
    pub vwap: Option<Bound<'py, PyAny>>,
    pub atr: Option<Bound<'py, PyAny>>,
}

fn type_error(name: &str, expected: &str, got: &Bound<'_, PyAny>) -> PyErr {
    let got = got
        .get_type()
        .name()
        .map(|n| n.to_string())
        .unwrap_or_default();
    PyTypeError::new_err(format!("{name}= takes {expected}, not {got}"))
}

/// A whole number of bars (not a bool); a negative one is a `ValidationError` naming `field`.
fn count(py: Python<'_>, v: &Bound<'_, PyAny>, field: &str, expected: &str) -> PyResult<usize> {
    if v.is_instance_of::<PyBool>() {
        return Err(type_error(
            field.split('.').next().unwrap_or(field),
            expected,
            v,
        ));
    }
    let n: i64 = v
        .extract()
        .map_err(|_| type_error(field.split('.').next().unwrap_or(field), expected, v))?;
    usize::try_from(n).map_err(|_| {
        errors::validation(
            py,
            field,
            format!("must be a positive number of bars, not {n}"),
        )
    })
}

/// `v` as a list of single specs: a list, or a tuple whose first item is itself a list or tuple; else `[v]`.
fn each<'py>(v: &Bound<'py, PyAny>) -> PyResult<Vec<Bound<'py, PyAny>>> {
    if v.is_instance_of::<PyList>() {
        return v.try_iter()?.collect();
    }
    if let Ok(t) = v.cast::<PyTuple>() {
        let nested = t.iter().next().is_some_and(|first| {
            first.is_instance_of::<PyList>() || first.is_instance_of::<PyTuple>()
        });
        if nested {
            return v.try_iter()?.collect();
        }
    }
    Ok(vec![v.clone()])
}

fn tuple_items<'py>(
    v: &Bound<'py, PyAny>,
    name: &str,
    expected: &str,
    sizes: &[usize],
) -> PyResult<Vec<Bound<'py, PyAny>>> {
    let items: Vec<Bound<'py, PyAny>> = match v.cast::<PyTuple>() {
        Ok(t) => t.iter().collect(),
        Err(_) if v.is_instance_of::<PyList>() => v.try_iter()?.collect::<PyResult<_>>()?,
        Err(_) => return Err(type_error(name, expected, v)),
    };
    if !sizes.contains(&items.len()) {
        return Err(type_error(name, expected, v));
    }
    Ok(items)
}

impl Spec<'_> {
    /// The core indicators, in the order sma, ema, rsi, macd, bollinger, vwap, atr (each in its list's order).
    pub fn indicators(&self, py: Python<'_>) -> PyResult<Vec<Indicator>> {
        const PERIODS: &str = "a number of bars or a list of them";
        let mut out = Vec::new();
        for (name, spec, make) in [
            ("sma", &self.sma, Indicator::sma as fn(usize) -> Indicator),
            ("ema", &self.ema, Indicator::ema),
            ("rsi", &self.rsi, Indicator::rsi),
        ] {
            if let Some(v) = spec {
                for one in each(v)? {
                    out.push(make(count(py, &one, &format!("{name}.period"), PERIODS)?));
                }
            }
        }
        if let Some(v) = &self.macd {
            const E: &str = "True (12, 26, 9), (fast, slow, signal) or a list of them";
            for one in each(v)? {
                if one.is_instance_of::<PyBool>() {
                    if one.is_truthy()? {
                        out.push(Indicator::macd(12, 26, 9));
                    }
                    continue;
                }
                let t = tuple_items(&one, "macd", E, &[3])?;
                out.push(Indicator::macd(
                    count(py, &t[0], "macd.fast", E)?,
                    count(py, &t[1], "macd.slow", E)?,
                    count(py, &t[2], "macd.signal", E)?,
                ));
            }
        }
        if let Some(v) = &self.bollinger {
            const E: &str = "True (20, 2), a period, (period, k) or a list of them";
            for one in each(v)? {
                if one.is_instance_of::<PyBool>() {
                    if one.is_truthy()? {
                        out.push(Indicator::bollinger(20, 2.0));
                    }
                    continue;
                }
                if one.is_instance_of::<PyTuple>() || one.is_instance_of::<PyList>() {
                    let t = tuple_items(&one, "bollinger", E, &[2])?;
                    let k: f64 = t[1]
                        .extract()
                        .map_err(|_| type_error("bollinger", E, &one))?;
                    out.push(Indicator::bollinger(
                        count(py, &t[0], "bollinger.period", E)?,
                        k,
                    ));
                } else {
                    out.push(Indicator::bollinger(
                        count(py, &one, "bollinger.period", E)?,
                        2.0,
                    ));
                }
            }
        }
        if let Some(v) = &self.vwap {
            const E: &str = "True (cumulative), \"session\", (\"session\", utc_offset_minutes), a rolling period or a list of them";
            for one in each(v)? {
                if one.is_instance_of::<PyBool>() {
                    if one.is_truthy()? {
                        out.push(Indicator::vwap());
                    }
                    continue;
                }
                if let Ok(s) = one.cast::<PyString>() {
                    match s.to_str()? {
                        "cumulative" => out.push(Indicator::vwap()),
                        "session" => out.push(Indicator::vwap_session(0)),
                        _ => return Err(type_error("vwap", E, &one)),
                    }
                } else if one.is_instance_of::<PyTuple>() || one.is_instance_of::<PyList>() {
                    let t = tuple_items(&one, "vwap", E, &[2])?;
                    let kind: String = t[0].extract().map_err(|_| type_error("vwap", E, &one))?;
                    let offset: i32 = t[1].extract().map_err(|_| type_error("vwap", E, &one))?;
                    if kind != "session" {
                        return Err(type_error("vwap", E, &one));
                    }
                    out.push(Indicator::vwap_session(offset));
                } else {
                    out.push(Indicator::vwap_rolling(count(py, &one, "vwap.period", E)?));
                }
            }
        }
        if let Some(v) = &self.atr {
            for one in each(v)? {
                out.push(Indicator::atr(count(py, &one, "atr.period", PERIODS)?));
            }
        }
        Ok(out)
    }
}

/// Bars with indicator columns: the table `with_indicators(...)` and `compute_indicators(...)` return.
#[pyclass(frozen, name = "BarsWithIndicators", module = "autoshares")]
pub struct BarsWithIndicators {
    table: Py<arrow_c::Table>,
    names: Vec<String>,
    indicators: Vec<String>,
    rows: usize,
}

impl BarsWithIndicators {
    fn build(
        py: Python<'_>,
        mut columns: Vec<frames::Column>,
        computed: Vec<ind::Column>,
        rows: usize,
    ) -> PyResult<Self> {
        let indicators: Vec<String> = computed.iter().map(|c| c.name.clone()).collect();
        if let Some(clash) = columns
            .iter()
            .find(|c| indicators.iter().any(|n| n == c.name()))
        {
            return Err(errors::validation(
                py,
                clash.name(),
                "an indicator column would have the name of a bar column",
            ));
        }
        columns.extend(
            computed
                .into_iter()
                .map(|c| frames::Column::float(c.name, &c.values)),
        );
        let names = columns.iter().map(|c| c.name().to_string()).collect();
        Ok(BarsWithIndicators {
            table: Py::new(py, frames::arrow_table(columns, rows))?,
            names,
            indicators,
            rows,
        })
    }

    fn frames<'py>(
        &self,
        py: Python<'py>,
        how: &str,
        options: Option<&Bound<'py, PyDict>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        py.import("autoshares._frames")?
            .getattr(how)?
            .call((self.table.bind(py),), options)
    }
}

#[pymethods]
impl BarsWithIndicators {
    /// The table as a `pyarrow.Table` (extra `arrow`); indicators are `float64`, null in their warm-up.
    fn to_arrow<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.frames(py, "to_arrow", None)
    }

    /// The table as a `pandas.DataFrame` (extra `pandas`); indicator nulls are `NaN`. `decimals` as for the bars.
    #[pyo3(signature = (*, decimals = "arrow"))]
    fn to_pandas<'py>(&self, py: Python<'py>, decimals: &str) -> PyResult<Bound<'py, PyAny>> {
        let options = PyDict::new(py);
        options.set_item("decimals", decimals)?;
        self.frames(py, "to_pandas", Some(&options))
    }

    /// The table as a `polars.DataFrame` (extra `polars`).
    fn to_polars<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.frames(py, "to_polars", None)
    }

    /// The Arrow PyCapsule interface: `pyarrow.table(t)` and `polars.DataFrame(t)` read it directly.
    #[pyo3(signature = (requested_schema = None))]
    fn __arrow_c_stream__<'py>(
        &self,
        py: Python<'py>,
        requested_schema: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.table
            .bind(py)
            .call_method1("__arrow_c_stream__", (requested_schema,))
    }

    /// The schema capsule of the Arrow PyCapsule interface.
    fn __arrow_c_schema__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.table.bind(py).call_method0("__arrow_c_schema__")
    }

    /// The names of the indicator columns, in order (`sma_20`, `macd_12_26_9`, `bb_upper_20_2`, ...).
    #[getter]
    fn indicator_columns(&self) -> Vec<String> {
        self.indicators.clone()
    }

    /// Every column name, bars first.
    #[getter]
    fn column_names(&self) -> Vec<String> {
        self.names.clone()
    }

    /// Number of rows (one per bar).
    #[getter]
    fn num_rows(&self) -> usize {
        self.rows
    }

    fn __len__(&self) -> usize {
        self.rows
    }

    fn __repr__(&self) -> String {
        format!(
            "BarsWithIndicators(num_rows={}, indicators={:?})",
            self.rows, self.indicators
        )
    }
}

/// `rows.with_indicators(...)`: the rows' own columns, then the indicators computed by core over them.
pub fn with_indicators<R: Row + Ohlcv>(
    py: Python<'_>,
    rows: &[&R],
    spec: Spec<'_>,
) -> PyResult<BarsWithIndicators> {
    let indicators = spec.indicators(py)?;
    let bars = Bars::from_ohlcv(rows.iter().copied());
    let computed = py
        .detach(|| ind::compute(&bars, &indicators))
        .map_err(|e| errors::to_py_err(py, e))?;
    BarsWithIndicators::build(py, R::columns(rows), computed, rows.len())
}

/// `autoshares.compute_indicators(data, ...)` (the Python side reads the columns): the indicator columns only.
#[pyfunction]
#[pyo3(signature = (open, high, low, close, volume, time, *, sma = None, ema = None, rsi = None, macd = None, bollinger = None, vwap = None, atr = None))]
#[allow(clippy::too_many_arguments)]
pub fn _compute_indicators<'py>(
    py: Python<'py>,
    open: Option<Vec<Option<f64>>>,
    high: Option<Vec<Option<f64>>>,
    low: Option<Vec<Option<f64>>>,
    close: Vec<Option<f64>>,
    volume: Option<Vec<Option<f64>>>,
    time: Option<Vec<Option<DateTime<Utc>>>>,
    sma: Option<Bound<'py, PyAny>>,
    ema: Option<Bound<'py, PyAny>>,
    rsi: Option<Bound<'py, PyAny>>,
    macd: Option<Bound<'py, PyAny>>,
    bollinger: Option<Bound<'py, PyAny>>,
    vwap: Option<Bound<'py, PyAny>>,
    atr: Option<Bound<'py, PyAny>>,
) -> PyResult<BarsWithIndicators> {
    let spec = Spec {
        sma,
        ema,
        rsi,
        macd,
        bollinger,
        vwap,
        atr,
    };
    let indicators = spec.indicators(py)?;
    let n = close.len();
    let col = |v: Option<Vec<Option<f64>>>| -> Vec<f64> {
        match v {
            Some(v) => v.into_iter().map(|x| x.unwrap_or(f64::NAN)).collect(),
            None => vec![f64::NAN; n],
        }
    };
    let core_err = |e| errors::to_py_err(py, e);
    let mut bars = Bars::from_columns(
        col(open),
        col(high),
        col(low),
        col(Some(close)),
        col(volume),
    )
    .map_err(core_err)?;
    if let Some(time) = time {
        bars = bars.with_times(time).map_err(core_err)?;
    }
    let computed = py
        .detach(|| ind::compute(&bars, &indicators))
        .map_err(core_err)?;
    BarsWithIndicators::build(py, Vec::new(), computed, n)
}

/// A checked signature string from its parts (`IndicatorSignature.of(...)`): core's builder, whose errors are
/// `ValidationError`s naming `signature.<parameter>`.
#[pyfunction]
#[pyo3(signature = (study, period, params, signal_line = false))]
pub fn _indicator_signature(
    py: Python<'_>,
    study: &str,
    period: &str,
    params: Vec<f64>,
    signal_line: bool,
) -> PyResult<String> {
    let built = (|| {
        let period: ChartPeriod = period.parse()?;
        let study = Study::from_parts(study, &params)?;
        SignatureBuilder::new(period, study)
            .signal_line(signal_line)
            .build()
    })();
    built
        .map(|s| s.to_string())
        .map_err(|e| errors::to_py_err(py, e))
}

/// A signature read back and checked (`IndicatorSignature.parse(text)`): `(name, period, signal_line, params)`.
#[pyfunction]
pub fn _parse_indicator_signature(
    py: Python<'_>,
    text: &str,
) -> PyResult<(String, String, bool, Vec<f64>, String)> {
    let s = ind::Signature::parse(text).map_err(|e| errors::to_py_err(py, e))?;
    let canonical = s.to_string();
    let params = canonical
        .split('|')
        .skip(3)
        .filter_map(|p| p.parse::<f64>().ok())
        .collect::<Vec<_>>();
    let params = if s.study().is_overlay() {
        params[..params.len().saturating_sub(1)].to_vec()
    } else {
        params
    };
    Ok((
        s.study().name().to_string(),
        s.period().as_str().to_string(),
        s.signal_line(),
        params,
        canonical,
    ))
}

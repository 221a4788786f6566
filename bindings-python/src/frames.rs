//! `.to_arrow()`, `.to_pandas()` and `.to_polars()` of tabular results: the pages of orders, positions and
//! transactions, and the bars of `history.bars(...)`.
//!
//! The columns are built here in one pass over the core structs, straight into Arrow's memory layout (a
//! validity bitmap and a values buffer per column; decimals as 128-bit integers at the column's largest scale,
//! times as UTC microseconds, enums as their wire strings), with no Python object per value, and exported
//! through the Arrow C stream interface (`arrow_c.rs`, the PyCapsule protocol): the pure-Python
//! `autoshares._frames` imports that into a `pyarrow.Table` or a `polars.DataFrame` without copying (pandas goes
//! through pyarrow). pyarrow, pandas and polars are optional extras (`pip install 'autoshares[pandas]'`), and a
//! missing one is an `ImportError` that names the extra. Scalar fields become columns; nested values (lists, sub-models,
//! maps) and secrets are left out (`to_dict()` has them).

use chrono::{DateTime, Utc};
use pyo3::prelude::*;
use rust_decimal::Decimal;

use crate::arrow_c::{self, Buffer};

/// One column's values as they are collected.
pub enum Data {
    /// A field that is not a scalar: no column.
    Skip,
    /// `int64`.
    Int(Vec<i64>),
    /// `bool`.
    Bool(Vec<bool>),
    /// `decimal128`: the decimals, rescaled when the column is finished.
    Decimal(Vec<Decimal>),
    /// `timestamp[us, UTC]`.
    Time(Vec<i64>),
    /// `string`: the offsets (from 0) and the UTF-8 bytes.
    Str(Vec<i32>, Vec<u8>),
    /// `float64` (computed statistics such as indicators; never money).
    Float(Vec<f64>),
}

impl Data {
    fn push_null(&mut self) {
        match self {
            Data::Skip => {}
            Data::Int(v) | Data::Time(v) => v.push(0),
            Data::Bool(v) => v.push(false),
            Data::Decimal(v) => v.push(Decimal::ZERO),
            Data::Str(offsets, bytes) => offsets.push(bytes.len() as i32),
            Data::Float(v) => v.push(0.0),
        }
    }

    fn reserve(&mut self, n: usize) {
        match self {
            Data::Skip => {}
            Data::Int(v) | Data::Time(v) => v.reserve(n),
            Data::Bool(v) => v.reserve(n),
            Data::Decimal(v) => v.reserve(n),
            Data::Str(offsets, _) => offsets.reserve(n),
            Data::Float(v) => v.reserve(n),
        }
    }

    fn push_str(&mut self, s: &str) {
        if let Data::Str(offsets, bytes) = self {
            bytes.extend_from_slice(s.as_bytes());
            offsets.push(bytes.len() as i32);
        }
    }
}

/// A field type that can be a column (or says it cannot: [`Data::Skip`]).
pub trait Cell {
    /// An empty column of this type.
    fn column() -> Data;
    /// Appends this value.
    fn append_to(&self, data: &mut Data);
    /// Whether this value is set (`Option::None` is not).
    fn valid(&self) -> bool {
        true
    }
}

impl<T: Cell> Cell for Option<T> {
    fn column() -> Data {
        T::column()
    }
    fn append_to(&self, data: &mut Data) {
        match self {
            Some(v) => v.append_to(data),
            None => data.push_null(),
        }
    }
    fn valid(&self) -> bool {
        self.as_ref().is_some_and(|v| v.valid())
    }
}

macro_rules! int_cell {
    ($($t:ty),*) => {$(
        impl Cell for $t {
            fn column() -> Data {
                Data::Int(Vec::new())
            }
            fn append_to(&self, data: &mut Data) {
                if let Data::Int(v) = data {
                    v.push(i64::from(*self));
                }
            }
        }
    )*};
}
int_cell!(i32, i64, u32);

impl Cell for bool {
    fn column() -> Data {
        Data::Bool(Vec::new())
    }
    fn append_to(&self, data: &mut Data) {
        if let Data::Bool(v) = data {
            v.push(*self);
        }
    }
}

impl Cell for Decimal {
    fn column() -> Data {
        Data::Decimal(Vec::new())
    }
    fn append_to(&self, data: &mut Data) {
        if let Data::Decimal(v) = data {
            v.push(*self);
        }
    }
}

impl Cell for DateTime<Utc> {
    fn column() -> Data {
        Data::Time(Vec::new())
    }
    fn append_to(&self, data: &mut Data) {
        if let Data::Time(v) = data {
            v.push(self.timestamp_micros());
        }
    }
}

impl Cell for String {
    fn column() -> Data {
        Data::Str(vec![0], Vec::new())
    }
    fn append_to(&self, data: &mut Data) {
        data.push_str(self);
    }
}

/// A core string enum: its wire value (used by `py_enum!`).
pub fn push_enum(value: &str, data: &mut Data) {
    data.push_str(value);
}

/// Types that never become a column.
macro_rules! skip_cell {
    ($($t:ty),*) => {$(
        impl Cell for $t {
            fn column() -> Data {
                Data::Skip
            }
            fn append_to(&self, _: &mut Data) {}
        }
    )*};
}
skip_cell!(
    serde_json::Value,
    autoshares::Secret,
    autoshares::models::AccountBalance
);

impl<T> Cell for Vec<T> {
    fn column() -> Data {
        Data::Skip
    }
    fn append_to(&self, _: &mut Data) {}
}

impl<K, V> Cell for std::collections::BTreeMap<K, V> {
    fn column() -> Data {
        Data::Skip
    }
    fn append_to(&self, _: &mut Data) {}
}

/// A finished column.
pub struct Column {
    name: std::borrow::Cow<'static, str>,
    data: Data,
    valid: Vec<bool>,
}

/// A column being built, a row at a time (`py_model!`'s `columns` fills all of a model's at once, in one pass).
pub struct Builder {
    name: &'static str,
    data: Data,
    valid: Vec<bool>,
}

impl Builder {
    /// The column `name` for `n` values of the field type `T` (`_type` only names it; a skipped field, a secret
    /// or a value that is not a scalar, builds nothing).
    pub fn of<T: Cell>(name: &'static str, n: usize, secret: bool, _type: Option<&T>) -> Builder {
        let mut data = if secret { Data::Skip } else { T::column() };
        data.reserve(n);
        let valid = if matches!(data, Data::Skip) {
            Vec::new()
        } else {
            Vec::with_capacity(n)
        };
        Builder { name, data, valid }
    }

    /// Appends a row's value.
    pub fn push<T: Cell>(&mut self, v: &T) {
        if matches!(self.data, Data::Skip) {
            return;
        }
        v.append_to(&mut self.data);
        self.valid.push(v.valid());
    }

    /// The column (`None` for a skipped field).
    pub fn finish(self) -> Option<Column> {
        (!matches!(self.data, Data::Skip)).then_some(Column {
            name: self.name.into(),
            data: self.data,
            valid: self.valid,
        })
    }
}

impl Column {
    /// A `float64` column `name` (`None` is null).
    pub fn float(name: String, values: &[Option<f64>]) -> Column {
        let mut data = Vec::with_capacity(values.len());
        let mut valid = Vec::with_capacity(values.len());
        for v in values {
            data.push(v.unwrap_or(0.0));
            valid.push(v.is_some());
        }
        Column {
            name: name.into(),
            data: Data::Float(data),
            valid,
        }
    }

    /// The column's name.
    pub fn name(&self) -> &str {
        &self.name
    }
}

/// A model whose rows can be a table (implemented by `py_model!` for every model).
pub trait Row {
    /// The columns of `rows`, in the model's field order.
    fn columns(rows: &[&Self]) -> Vec<Column>;
}

fn bitmap(bits: impl Iterator<Item = bool>, n: usize) -> Vec<u8> {
    let mut out = vec![0u8; n.div_ceil(8)];
    for (i, b) in bits.enumerate() {
        if b {
            out[i / 8] |= 1 << (i % 8);
        }
    }
    out
}

fn le<T: Copy, const N: usize>(values: &[T], f: impl Fn(T) -> [u8; N]) -> Vec<u8> {
    let mut out = Vec::with_capacity(values.len() * N);
    for v in values {
        out.extend_from_slice(&f(*v));
    }
    out
}

/// Decimals at one scale as 128-bit little-endian integers (two words each, low first), or `None` when one would
/// not fit (then the column is text).
fn decimal128(values: &[Decimal]) -> Option<(u32, Buffer)> {
    let scale = values.iter().map(|d| d.scale()).max().unwrap_or(0);
    let mut out = Vec::with_capacity(values.len() * 2);
    for d in values {
        let m = if d.scale() == scale {
            d.mantissa()
        } else {
            d.mantissa()
                .checked_mul(10i128.checked_pow(scale - d.scale())?)?
        };
        // Each word's bytes in little-endian order (a no-op on little-endian machines).
        out.push(u64::from_ne_bytes((m as u64).to_le_bytes()));
        out.push(u64::from_ne_bytes(((m >> 64) as u64).to_le_bytes()));
    }
    Some((scale, Buffer::from_words(out)))
}

/// `c` in Arrow's layout: `[validity, values]`, or `[validity, offsets, bytes]` for text.
fn arrow_column(c: Column) -> arrow_c::Column {
    let n = c.valid.len();
    let nulls = c.valid.iter().filter(|v| !**v).count();
    let validity = if nulls > 0 {
        Buffer::from_bytes(&bitmap(c.valid.iter().copied(), n))
    } else {
        Buffer::none()
    };
    let text = |offsets: &[i32], bytes: &[u8]| {
        (
            "u".to_string(),
            vec![
                Buffer::from_bytes(&le(offsets, i32::to_le_bytes)),
                Buffer::from_bytes(bytes),
            ],
        )
    };
    let (format, buffers) = match c.data {
        Data::Int(v) => ("l".to_string(), vec![Buffer::from_i64(v)]),
        Data::Time(v) => ("tsu:UTC".to_string(), vec![Buffer::from_i64(v)]),
        Data::Bool(v) => (
            "b".to_string(),
            vec![Buffer::from_bytes(&bitmap(v.into_iter(), n))],
        ),
        Data::Str(offsets, bytes) => text(&offsets, &bytes),
        Data::Float(v) => (
            "g".to_string(),
            vec![Buffer::from_bytes(&le(&v, f64::to_le_bytes))],
        ),
        Data::Decimal(v) => match decimal128(&v) {
            Some((scale, data)) => (format!("d:38,{scale}"), vec![data]),
            None => {
                // Too large for 128 bits at one scale: the exact text instead.
                let mut t = Data::Str(vec![0], Vec::new());
                for d in &v {
                    t.push_str(&d.to_string());
                }
                let Data::Str(offsets, bytes) = t else {
                    unreachable!("built as text above")
                };
                text(&offsets, &bytes)
            }
        },
        Data::Skip => unreachable!("skipped columns are not built"),
    };
    let mut all = vec![validity];
    all.extend(buffers);
    arrow_c::Column::new(&c.name, &format, n, nulls, all)
}

/// `columns` (all of `length` rows) as an Arrow table.
pub fn arrow_table(columns: Vec<Column>, length: usize) -> arrow_c::Table {
    arrow_c::Table::new(columns.into_iter().map(arrow_column).collect(), length)
}

/// `rows` as a table: `autoshares._frames.<how>(table)` (`to_arrow`, `to_pandas` or `to_polars`), where `table`
/// is an [`arrow_c::Table`] that the consumer imports through the Arrow PyCapsule interface without a copy.
pub fn table<'py, R: Row>(
    py: Python<'py>,
    how: &str,
    rows: &[&R],
    options: Option<&Bound<'py, pyo3::types::PyDict>>,
) -> PyResult<Bound<'py, PyAny>> {
    let table = Bound::new(py, arrow_table(R::columns(rows), rows.len()))?;
    py.import("autoshares._frames")?
        .getattr(how)?
        .call((table,), options)
}

/// `autoshares.to_arrow(rows)` / `to_pandas(rows)` / `to_polars(rows)` (`how`): a list of models of one class
/// (quotes collected from a stream, account history, ...) as a table with that class's columns.
#[pyfunction]
#[pyo3(signature = (how, rows, decimals = "arrow"))]
pub fn _rows_table<'py>(
    py: Python<'py>,
    how: &str,
    rows: Vec<Bound<'py, PyAny>>,
    decimals: &str,
) -> PyResult<Bound<'py, PyAny>> {
    use pyo3::exceptions::{PyTypeError, PyValueError};
    use pyo3::types::{PyDict, PyDictMethods};
    if !matches!(how, "to_arrow" | "to_pandas" | "to_polars") {
        return Err(PyValueError::new_err(format!("unknown table kind {how:?}")));
    }
    let Some(first) = rows.first() else {
        return Err(PyValueError::new_err(
            "no rows: a table's columns come from its rows' model class, so an empty list has none",
        ));
    };
    let options = PyDict::new(py);
    if how == "to_pandas" {
        options.set_item("decimals", decimals)?;
    }
    let options = (how == "to_pandas").then_some(&options);
    crate::models::list_table(py, how, &rows, options).unwrap_or_else(|| {
        let got = first
            .get_type()
            .name()
            .map(|n| n.to_string())
            .unwrap_or_default();
        Err(PyTypeError::new_err(format!(
            "rows[0] is a {got}, not an autoshares model (e.g. `event.quote`, not the `QuoteEvent`)"
        )))
    })
}

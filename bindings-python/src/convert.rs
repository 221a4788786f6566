//! Values across the boundary: exact decimals, aware UTC datetimes, forward-compatible enums, prices in.
//!
//! Out: [`ToPy`] turns a core field into its Python value. `Decimal` goes through its string (never `f64`), a
//! `DateTime<Utc>` becomes an aware `datetime` in UTC, a string enum becomes a member of its `enum.Enum` class in
//! `autoshares.models` (unknown values become pseudo-members there, so nothing is lost), `Option` becomes `None`.
//!
//! In: [`price`] accepts `decimal.Decimal`, `int` and `str`, and refuses `float` unless the caller opts in,
//! because most prices (`0.1`, `19.99`) have no exact binary representation. [`FromPyInput`] turns any other
//! request value into its core type the same way (request bodies are `dict`s, checked key by key: an unknown key,
//! an enum value the SDK does not know or a naive `datetime` is a `ValidationError` naming the field, e.g.
//! `legs[0].side`, before anything is sent). [`user_ref`], [`sort`] and [`filter`] convert the arguments every
//! area shares.

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

    /// The Python value, consuming the core value (no copy for models and lists).
    fn into_py<'py>(self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>>
    where
        Self: Sized,
    {
        self.to_py(py)
    }
}

/// A core result on its way to Python: what the generated methods return (blocking) or hand to
/// `runtime::spawn_async` (awaitable); converted by [`ToPy`] once the GIL is held.
pub struct Out<T>(pub T);

impl<'py, T: ToPy> IntoPyObject<'py> for Out<T> {
    type Target = PyAny;
    type Output = Bound<'py, PyAny>;
    type Error = PyErr;

    fn into_pyobject(self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.0.into_py(py)
    }
}

impl ToPy for () {
    fn to_py<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        Ok(py.None().into_bound(py))
    }
}

impl ToPy for bytes::Bytes {
    fn to_py<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        Ok(pyo3::types::PyBytes::new(py, self).into_any())
    }
}

impl ToPy for Box<dyn ToPy + Send> {
    fn to_py<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        (**self).to_py(py)
    }
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
to_py_via_into!(i32, i64, u32, u64, usize, f64, bool, String, &'static str);

impl<T: ToPy> ToPy for Option<T> {
    fn to_py<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        match self {
            Some(v) => v.to_py(py),
            None => Ok(py.None().into_bound(py)),
        }
    }

    fn into_py<'py>(self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        match self {
            Some(v) => v.into_py(py),
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

    fn into_py<'py>(self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let list = PyList::empty(py);
        for v in self {
            list.append(v.into_py(py)?)?;
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

/// Implements [`ToPy`] for core string enums: the value becomes `autoshares.models.<Name>(wire value)`; and
/// [`FromPyInput`]: a `str` (or a member of the enum class, which is one) that is one of the known values.
macro_rules! py_enum {
    ($($ty:path => $name:literal),* $(,)?) => {
        $(
            impl $crate::convert::ToPy for $ty {
                fn to_py<'py>(&self, py: pyo3::Python<'py>) -> pyo3::PyResult<pyo3::Bound<'py, pyo3::PyAny>> {
                    pyo3::types::PyAnyMethods::call1(&$crate::convert::enum_class(py, $name)?, (self.as_str(),))
                }
            }

            impl $crate::convert::FromPyInput for $ty {
                fn from_py_input(value: &pyo3::Bound<'_, pyo3::PyAny>, field: &str) -> pyo3::PyResult<Self> {
                    $crate::convert::known_value(value, field, <$ty>::KNOWN, $name)
                }
            }

            impl $crate::frames::Cell for $ty {
                fn column() -> $crate::frames::Data {
                    <String as $crate::frames::Cell>::column()
                }
                fn append_to(&self, data: &mut $crate::frames::Data) {
                    $crate::frames::push_enum(self.as_str(), data)
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

// ---- request values (Python -> core) -------------------------------------------------------------------------

/// A core request value from Python, checked; `field` names it in errors (`price`, `legs[0].side`).
pub trait FromPyInput: Sized {
    /// The core value, or a `ValidationError` naming `field`.
    fn from_py_input(value: &Bound<'_, PyAny>, field: &str) -> PyResult<Self>;
}

fn type_name(value: &Bound<'_, PyAny>) -> String {
    value
        .get_type()
        .name()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "?".into())
}

fn expected(value: &Bound<'_, PyAny>, field: &str, what: &str) -> PyErr {
    validation(
        value.py(),
        field,
        format!("expected {what}, got {}", type_name(value)),
    )
}

macro_rules! int_input {
    ($($t:ty),*) => {$(
        impl FromPyInput for $t {
            fn from_py_input(value: &Bound<'_, PyAny>, field: &str) -> PyResult<Self> {
                if value.is_instance_of::<pyo3::types::PyBool>() || !value.is_instance_of::<PyInt>() {
                    return Err(expected(value, field, "an int"));
                }
                value.extract::<$t>().map_err(|e| validation(value.py(), field, e.to_string()))
            }
        }
    )*};
}
int_input!(i32, i64);

impl FromPyInput for bool {
    fn from_py_input(value: &Bound<'_, PyAny>, field: &str) -> PyResult<Self> {
        if !value.is_instance_of::<pyo3::types::PyBool>() {
            return Err(expected(value, field, "a bool"));
        }
        value.extract()
    }
}

impl FromPyInput for String {
    fn from_py_input(value: &Bound<'_, PyAny>, field: &str) -> PyResult<Self> {
        if !value.is_instance_of::<PyString>() {
            return Err(expected(value, field, "a str"));
        }
        value.extract()
    }
}

impl FromPyInput for autoshares::Secret {
    fn from_py_input(value: &Bound<'_, PyAny>, field: &str) -> PyResult<Self> {
        String::from_py_input(value, field).map(autoshares::Secret::new)
    }
}

impl FromPyInput for Decimal {
    fn from_py_input(value: &Bound<'_, PyAny>, field: &str) -> PyResult<Self> {
        price(value, field, false)
    }
}

fn utc(py: Python<'_>) -> PyResult<&Bound<'_, PyAny>> {
    static UTC: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    UTC.get_or_try_init(py, || {
        Ok::<_, PyErr>(
            py.import("datetime")?
                .getattr("timezone")?
                .getattr("utc")?
                .unbind(),
        )
    })
    .map(|u| u.bind(py))
}

fn datetime_type(py: Python<'_>) -> PyResult<&Bound<'_, PyType>> {
    static DATETIME: PyOnceLock<Py<PyType>> = PyOnceLock::new();
    DATETIME.import(py, "datetime", "datetime")
}

/// An aware `datetime` (any time zone) as UTC; a naive one is refused, since its time zone would be a guess.
impl FromPyInput for DateTime<Utc> {
    fn from_py_input(value: &Bound<'_, PyAny>, field: &str) -> PyResult<Self> {
        let py = value.py();
        if !value.is_instance(datetime_type(py)?)? {
            return Err(expected(value, field, "a datetime"));
        }
        if value.call_method0("utcoffset")?.is_none() {
            return Err(validation(
                py,
                field,
                "a naive datetime has no time zone; pass an aware one (e.g. tzinfo=datetime.timezone.utc)",
            ));
        }
        value
            .call_method1("astimezone", (utc(py)?,))?
            .extract::<DateTime<Utc>>()
    }
}

impl FromPyInput for serde_json::Value {
    fn from_py_input(value: &Bound<'_, PyAny>, field: &str) -> PyResult<Self> {
        use serde_json::Value;
        let py = value.py();
        if value.is_none() {
            Ok(Value::Null)
        } else if value.is_instance_of::<pyo3::types::PyBool>() {
            Ok(Value::Bool(value.extract()?))
        } else if value.is_instance_of::<PyInt>() || value.is_instance(decimal_type(py)?)? {
            let d = value.str()?.to_string();
            serde_json::from_str::<Value>(&d)
                .map_err(|e| validation(py, field, format!("`{d}` is not a JSON number: {e}")))
        } else if value.is_instance_of::<PyString>() {
            Ok(Value::String(value.extract()?))
        } else if value.is_instance_of::<PyDict>() {
            let mut map = serde_json::Map::new();
            for (k, v) in value.cast::<PyDict>()?.iter() {
                let k = String::from_py_input(&k, field)?;
                let item = Self::from_py_input(&v, &format!("{field}.{k}"))?;
                map.insert(k, item);
            }
            Ok(Value::Object(map))
        } else if value.is_instance_of::<PyList>() || value.is_instance_of::<pyo3::types::PyTuple>()
        {
            let mut out = Vec::new();
            for (i, v) in value.try_iter()?.enumerate() {
                out.push(Self::from_py_input(&v?, &format!("{field}[{i}]"))?);
            }
            Ok(Value::Array(out))
        } else {
            Err(expected(
                value,
                field,
                "a JSON value (None, bool, int, Decimal, str, list or dict)",
            ))
        }
    }
}

impl<T: FromPyInput> FromPyInput for Option<T> {
    fn from_py_input(value: &Bound<'_, PyAny>, field: &str) -> PyResult<Self> {
        if value.is_none() {
            Ok(None)
        } else {
            T::from_py_input(value, field).map(Some)
        }
    }
}

impl<T: FromPyInput> FromPyInput for Vec<T> {
    fn from_py_input(value: &Bound<'_, PyAny>, field: &str) -> PyResult<Self> {
        if !(value.is_instance_of::<PyList>() || value.is_instance_of::<pyo3::types::PyTuple>()) {
            return Err(expected(value, field, "a list"));
        }
        let mut out = Vec::new();
        for (i, v) in value.try_iter()?.enumerate() {
            out.push(T::from_py_input(&v?, &format!("{field}[{i}]"))?);
        }
        Ok(out)
    }
}

impl<T: FromPyInput> FromPyInput for BTreeMap<String, T> {
    fn from_py_input(value: &Bound<'_, PyAny>, field: &str) -> PyResult<Self> {
        let Ok(d) = value.cast::<PyDict>() else {
            return Err(expected(value, field, "a dict"));
        };
        let mut out = BTreeMap::new();
        for (k, v) in d.iter() {
            let k = String::from_py_input(&k, field)?;
            let item = T::from_py_input(&v, &format!("{field}.{k}"))?;
            out.insert(k, item);
        }
        Ok(out)
    }
}

/// An enum value from Python: a `str` among `known` (an unknown value in a request is a typo, not news).
pub fn known_value<T: Clone + std::fmt::Display>(
    value: &Bound<'_, PyAny>,
    field: &str,
    known: &[T],
    name: &str,
) -> PyResult<T> {
    if !value.is_instance_of::<PyString>() {
        return Err(expected(
            value,
            field,
            &format!("a {name} (or its str value)"),
        ));
    }
    let text: String = value.extract()?;
    known
        .iter()
        .find(|k| k.to_string() == text)
        .cloned()
        .ok_or_else(|| {
            let names: Vec<String> = known.iter().map(|k| k.to_string()).collect();
            validation(
                value.py(),
                field,
                format!("`{text}` is not a {name} ({})", names.join(", ")),
            )
        })
}

/// The name of a field inside a request value: `price` at the top, `legs[0].side` below.
pub fn field_path(path: &str, name: &str) -> String {
    if path.is_empty() {
        name.to_string()
    } else {
        format!("{path}.{name}")
    }
}

/// A request body's `dict`, its keys checked against the model's fields (`known`).
pub fn input_dict<'py>(
    value: &Bound<'py, PyAny>,
    path: &str,
    model: &str,
    known: &[&str],
) -> PyResult<Bound<'py, PyDict>> {
    let py = value.py();
    let shown = if path.is_empty() { "body" } else { path };
    let Ok(d) = value.cast::<PyDict>() else {
        return Err(expected(value, shown, &format!("a dict of {model} fields")));
    };
    for key in d.keys() {
        let Ok(k) = key.extract::<String>() else {
            return Err(validation(
                py,
                shown,
                format!("the keys of a {model} are str"),
            ));
        };
        if !known.contains(&k.as_str()) {
            return Err(validation(
                py,
                &field_path(path, &k),
                format!(
                    "{model} has no field `{k}` (its fields: {})",
                    known.join(", ")
                ),
            ));
        }
    }
    Ok(d.clone())
}

/// A field of a request `dict` whose core type has a value for "absent" (`Option`: `None`; lists and maps: empty).
pub fn optional<T: FromPyInput + Default>(
    d: &Bound<'_, PyDict>,
    path: &str,
    key: &str,
) -> PyResult<T> {
    match d.get_item(key)? {
        Some(v) if !v.is_none() => T::from_py_input(&v, &field_path(path, key)),
        _ => Ok(T::default()),
    }
}

/// A field of a request `dict` that must be given.
pub fn required<T: FromPyInput>(d: &Bound<'_, PyDict>, path: &str, key: &str) -> PyResult<T> {
    match d.get_item(key)? {
        Some(v) if !v.is_none() => T::from_py_input(&v, &field_path(path, key)),
        _ => Err(validation(d.py(), &field_path(path, key), "is required")),
    }
}

/// A request body argument: a `dict` of the model's fields (errors name the fields without a prefix, as core's
/// own order checks do), or a list for list bodies.
pub fn body<T: FromPyInput>(value: &Bound<'_, PyAny>, name: &str, is_model: bool) -> PyResult<T> {
    T::from_py_input(value, if is_model { "" } else { name })
}

// ---- arguments every area shares ----------------------------------------------------------------------------

/// A user argument: `None` or `"@me"` for the logged-in user, or an internal user id (`int`).
pub fn user_ref(py: Python<'_>, user: Option<&Bound<'_, PyAny>>) -> PyResult<autoshares::UserRef> {
    use autoshares::UserRef;
    let Some(u) = user.filter(|u| !u.is_none()) else {
        return Ok(UserRef::Me);
    };
    if let Ok(id) = u.extract::<i32>() {
        if !u.is_instance_of::<pyo3::types::PyBool>() {
            return Ok(UserRef::Id(id));
        }
    }
    match u.extract::<String>() {
        Ok(s) if s == "@me" || s == "me" => Ok(UserRef::Me),
        _ => Err(validation(
            py,
            "user",
            format!("{} is neither a user id (int) nor \"@me\"", u.repr()?),
        )),
    }
}

/// A sort order: a property name of the listed items, `"-Name"` for descending (`"CreateDate"`, `"-CreateDate"`).
pub fn sort(sort: Option<String>) -> Option<autoshares::paging::Sort> {
    use autoshares::paging::Sort;
    let s = sort?;
    Some(match s.strip_prefix('-') {
        Some(field) => Sort::descending(field),
        None => Sort::ascending(s.strip_prefix('+').unwrap_or(&s)),
    })
}

fn filter_literal(value: &Bound<'_, PyAny>, field: &str) -> PyResult<autoshares::filter::Value> {
    use autoshares::filter::Value;
    let py = value.py();
    Ok(if value.is_instance_of::<pyo3::types::PyBool>() {
        Value::Bool(value.extract()?)
    } else if value.is_instance_of::<PyInt>() {
        Value::Int(i64::from_py_input(value, field)?)
    } else if value.is_instance_of::<PyString>() {
        Value::Str(value.extract()?)
    } else if value.is_instance(datetime_type(py)?)? {
        Value::Date(DateTime::<Utc>::from_py_input(value, field)?)
    } else {
        Value::Decimal(price(value, field, false)?)
    })
}

/// A filter: a list of `(field, op, value)` terms that must all hold, e.g.
/// `[("Symbol", "eq", "AAPL"), ("Quantity", "between", (1, Decimal("100.5"))), ("Status", "in", [0, 1, 4])]`.
/// Ops: `eq`, `lt`, `le`, `gt`, `ge`, `contains`, `starts_with`, `ends_with`, `in` (a list), `between` (a pair).
/// Checked by core's filter builder, so a malformed filter is a `ValidationError` and is never sent.
pub fn filter(value: &Bound<'_, PyAny>) -> PyResult<autoshares::filter::Filter> {
    use autoshares::filter::Filter;
    let py = value.py();
    if !(value.is_instance_of::<PyList>() || value.is_instance_of::<pyo3::types::PyTuple>()) {
        return Err(expected(
            value,
            "filter",
            "a list of (field, op, value) tuples",
        ));
    }
    let mut out: Option<Filter> = None;
    for (i, term) in value.try_iter()?.enumerate() {
        let term = term?;
        let at = format!("filter[{i}]");
        let Ok((name, op, v)) = term.extract::<(String, String, Bound<'_, PyAny>)>() else {
            return Err(expected(&term, &at, "a (field, op, value) tuple"));
        };
        let text = |v: &Bound<'_, PyAny>| {
            v.extract::<String>()
                .map_err(|_| validation(py, &at, format!("`{op}` takes a str")))
        };
        let many = |v: &Bound<'_, PyAny>| -> PyResult<Vec<autoshares::filter::Value>> {
            if !(v.is_instance_of::<PyList>() || v.is_instance_of::<pyo3::types::PyTuple>()) {
                return Err(validation(
                    py,
                    &at,
                    format!("`{op}` takes a list of values"),
                ));
            }
            v.try_iter()?.map(|x| filter_literal(&x?, &at)).collect()
        };
        let one = |v: &Bound<'_, PyAny>| {
            if v.is_instance_of::<PyList>() || v.is_instance_of::<pyo3::types::PyTuple>() {
                return Err(validation(
                    py,
                    &at,
                    format!("`{op}` takes one value, not a list"),
                ));
            }
            filter_literal(v, &at)
        };
        let f = match op.as_str() {
            "eq" => Filter::eq(name, one(&v)?),
            "lt" => Filter::lt(name, one(&v)?),
            "le" => Filter::le(name, one(&v)?),
            "gt" => Filter::gt(name, one(&v)?),
            "ge" => Filter::ge(name, one(&v)?),
            "contains" => Filter::contains(name, text(&v)?),
            "starts_with" => Filter::starts_with(name, text(&v)?),
            "ends_with" => Filter::ends_with(name, text(&v)?),
            "in" => Filter::is_in(name, many(&v)?),
            "between" => {
                let vs = many(&v)?;
                let [low, high] = <[autoshares::filter::Value; 2]>::try_from(vs)
                    .map_err(|_| validation(py, &at, "`between` takes a (low, high) pair"))?;
                Filter::between(name, low, high)
            }
            other => {
                return Err(validation(
                    py,
                    &at,
                    format!("unknown filter op `{other}` (eq, lt, le, gt, ge, contains, starts_with, ends_with, in, between)"),
                ))
            }
        };
        out = Some(match out {
            None => f,
            Some(prev) => prev.and(f),
        });
    }
    let f = out.ok_or_else(|| {
        validation(
            py,
            "filter",
            "a filter needs at least one term (leave `filter` out for none)",
        )
    })?;
    f.render().map_err(|e| crate::errors::to_py_err(py, e))?;
    Ok(f)
}

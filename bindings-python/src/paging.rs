//! Paged lists: every item of every page, from core's page stream (`<Request>::stream()`), as a Python iterator.
//!
//! Each paged method (`client.orders.list(...)`: one page) has a `<method>_iter(...)` twin with the same
//! arguments. It returns an [`ItemIterator`] (blocking client: `for order in ...`) or an [`AsyncItemIterator`]
//! (`AsyncClient`: `async for order in ...`). Core fetches the next page only when the previous one is used up
//! and stops after a short or empty page or once `TotalCount` items were seen; `page_number` and `page_size`
//! say where to start and how many items each request asks for. Items are converted when they are handed out.

use std::pin::Pin;
use std::sync::Arc;

use futures::{Stream, StreamExt};
use pyo3::exceptions::PyStopAsyncIteration;
use pyo3::prelude::*;
use tokio::sync::Mutex;

use crate::convert::ToPy;
use crate::runtime::{block_on, spawn_async};

type Item = Box<dyn ToPy + Send>;
type Items = Arc<Mutex<Pin<Box<dyn Stream<Item = autoshares::Result<Item>> + Send>>>>;

// Core's error is large, and it is core's to box; here it is only passed along.
#[allow(clippy::result_large_err)]
fn erase<T, S>(stream: S) -> Items
where
    T: ToPy + Send + 'static,
    S: Stream<Item = autoshares::Result<T>> + Send + 'static,
{
    Arc::new(Mutex::new(Box::pin(
        stream.map(|r| r.map(|v| Box::new(v) as Item)),
    )))
}

async fn next(items: Items) -> autoshares::Result<Option<Item>> {
    items.lock().await.next().await.transpose()
}

/// Every item of a paged list, page by page as the loop asks (`for item in client.orders.list_iter(id)`).
#[pyclass(frozen, module = "autoshares")]
pub struct ItemIterator {
    items: Items,
}

impl ItemIterator {
    /// Iterates over core's page stream.
    pub fn new<T, S>(stream: S) -> Self
    where
        T: ToPy + Send + 'static,
        S: Stream<Item = autoshares::Result<T>> + Send + 'static,
    {
        ItemIterator {
            items: erase(stream),
        }
    }
}

#[pymethods]
impl ItemIterator {
    fn __iter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    fn __next__<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        match block_on(py, next(self.items.clone()))? {
            Some(item) => Ok(Some(item.to_py(py)?)),
            None => Ok(None),
        }
    }
}

/// The next item for an awaitable `__anext__`: `StopAsyncIteration` after the last one.
struct Next(Option<Item>);

impl<'py> IntoPyObject<'py> for Next {
    type Target = PyAny;
    type Output = Bound<'py, PyAny>;
    type Error = PyErr;

    fn into_pyobject(self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        match self.0 {
            Some(item) => item.to_py(py),
            None => Err(PyStopAsyncIteration::new_err(())),
        }
    }
}

/// Every item of a paged list, awaited page by page (`async for item in client.orders.list_iter(id)`).
#[pyclass(frozen, module = "autoshares")]
pub struct AsyncItemIterator {
    items: Items,
}

impl AsyncItemIterator {
    /// Iterates over core's page stream.
    pub fn new<T, S>(stream: S) -> Self
    where
        T: ToPy + Send + 'static,
        S: Stream<Item = autoshares::Result<T>> + Send + 'static,
    {
        AsyncItemIterator {
            items: erase(stream),
        }
    }
}

#[pymethods]
impl AsyncItemIterator {
    fn __aiter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    fn __anext__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        spawn_async(py, next(self.items.clone()), Next)
    }
}

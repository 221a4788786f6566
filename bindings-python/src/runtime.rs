//! One tokio runtime for every client, sandbox and awaitable of the process, and the two ways Python waits on it.
//!
//! The failure this file exists for: a PyO3 process whose tokio tasks still run when the interpreter finalizes
//! can crash in `PyGILState_Release` (a worker thread finishes a future and attaches to an interpreter that is
//! going away; seen here at least three times, and an open pyo3-async-runtimes issue). The fix: every call goes
//! through [`spawn_async`] or [`block_on`], which count it as in flight; the `atexit` hook registered by the
//! package calls [`shutdown`], which stops new calls, cancels the ones in flight, and waits (with the GIL
//! released) until they have handed their result back, before finalization starts.
//!
//! Blocking calls wait in slices of 50 ms with the GIL released and run `Python::check_signals()` between
//! slices, so Ctrl-C interrupts a long wait (the task is aborted, dropping the core future). The idea of
//! checking signals between slices is ours; none of the surveyed bindings does it.

use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use tokio::sync::Notify;

use crate::errors::to_py_err;

static SHUTTING_DOWN: AtomicBool = AtomicBool::new(false);
static IN_FLIGHT: AtomicUsize = AtomicUsize::new(0);
static SHUTDOWN: Notify = Notify::const_new();

/// The shared runtime (the one pyo3-async-runtimes uses for awaitables).
pub fn runtime() -> &'static tokio::runtime::Runtime {
    pyo3_async_runtimes::tokio::get_runtime()
}

/// Whether the interpreter is on its way out: nothing may attach to Python from a runtime thread any more.
pub fn shutting_down() -> bool {
    SHUTTING_DOWN.load(Ordering::Acquire)
}

/// Counts one call as in flight for as long as it lives.
struct InFlight;

impl InFlight {
    fn enter() -> PyResult<InFlight> {
        if shutting_down() {
            return Err(PyRuntimeError::new_err(
                "autoshares is shut down (the interpreter is exiting)",
            ));
        }
        IN_FLIGHT.fetch_add(1, Ordering::AcqRel);
        Ok(InFlight)
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        IN_FLIGHT.fetch_sub(1, Ordering::AcqRel);
    }
}

/// What a call can end with besides the core's own errors.
enum Ended<T> {
    Done(autoshares::Result<T>),
    Shutdown,
}

async fn guarded<T>(fut: impl Future<Output = autoshares::Result<T>>) -> Ended<T> {
    let shutdown = SHUTDOWN.notified();
    tokio::select! {
        r = fut => Ended::Done(r),
        _ = shutdown => Ended::Shutdown,
    }
}

fn into_py_result<T>(ended: Ended<T>, py: Python<'_>) -> PyResult<T> {
    match ended {
        Ended::Done(Ok(v)) => Ok(v),
        Ended::Done(Err(e)) => Err(to_py_err(py, e)),
        Ended::Shutdown => Err(PyRuntimeError::new_err(
            "cancelled: the interpreter is exiting",
        )),
    }
}

/// Runs a core future as an asyncio awaitable (pyo3-async-runtimes). Cancelling the asyncio future drops the
/// core future, which is cancel-safe.
pub fn spawn_async<'py, F, T, P>(
    py: Python<'py>,
    fut: F,
    convert: fn(T) -> P,
) -> PyResult<Bound<'py, PyAny>>
where
    F: Future<Output = autoshares::Result<T>> + Send + 'static,
    T: Send + 'static,
    P: for<'a> IntoPyObject<'a> + Send + 'static,
{
    crate::logging::sync_level(py);
    let flight = InFlight::enter()?;
    pyo3_async_runtimes::tokio::future_into_py(py, async move {
        let ended = guarded(fut).await;
        let out = match ended {
            Ended::Done(Ok(v)) => Ok(convert(v)),
            other => Python::attach(|py| into_py_result(other, py)).map(convert),
        };
        drop(flight);
        out
    })
}

/// Runs a core future to completion on the shared runtime with the GIL released, interruptible by Ctrl-C.
pub fn block_on<F, T>(py: Python<'_>, fut: F) -> PyResult<T>
where
    F: Future<Output = autoshares::Result<T>> + Send + 'static,
    T: Send + 'static,
{
    crate::logging::sync_level(py);
    let flight = InFlight::enter()?;
    let (tx, rx) = mpsc::sync_channel::<Ended<T>>(1);
    let rx = std::sync::Mutex::new(rx);
    let task = runtime().spawn(async move {
        let _ = tx.send(guarded(fut).await);
    });
    let result = loop {
        match py.detach(|| {
            rx.lock()
                .unwrap_or_else(|e| e.into_inner())
                .recv_timeout(Duration::from_millis(50))
        }) {
            Ok(ended) => break into_py_result(ended, py),
            Err(mpsc::RecvTimeoutError::Timeout) => {
                if let Err(interrupt) = py.check_signals() {
                    task.abort();
                    break Err(interrupt);
                }
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                break Err(PyRuntimeError::new_err(
                    "the call's task ended without an answer",
                ))
            }
        }
    };
    drop(flight);
    result
}

/// Runs a future that is not a call (starting or stopping a sandbox) on the shared runtime, GIL released.
pub fn block_on_plain<F: Future + Send>(py: Python<'_>, fut: F) -> F::Output
where
    F::Output: Send,
{
    py.detach(|| runtime().block_on(fut))
}

/// Stops every call in flight and closes every open stream before the interpreter finalizes (the package's
/// `atexit` hook). Idempotent.
#[pyfunction]
pub fn _shutdown(py: Python<'_>) {
    if SHUTTING_DOWN.swap(true, Ordering::AcqRel) {
        return;
    }
    crate::logging::disable();
    py.detach(|| {
        // Open streams stop their connections and supervisor tasks now, not during finalization; first, so that a
        // loop still waiting on one ends as after `close()` instead of being cancelled.
        crate::stream::close_all(Duration::from_millis(1500));
        SHUTDOWN.notify_waiters();
        let deadline = Instant::now() + Duration::from_secs(2);
        while IN_FLIGHT.load(Ordering::Acquire) > 0 && Instant::now() < deadline {
            SHUTDOWN.notify_waiters();
            std::thread::sleep(Duration::from_millis(5));
        }
        // The last call's result is handed to asyncio just after its counter drops: give that a moment.
        std::thread::sleep(Duration::from_millis(20));
    });
}

/// How many calls are in flight (for tests).
#[pyfunction]
pub fn _in_flight() -> usize {
    IN_FLIGHT.load(Ordering::Acquire)
}

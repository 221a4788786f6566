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
//!
//! Awaitables: pyo3-async-runtimes' `future_into_py` costs one GIL acquisition on a blocking-pool thread and one
//! `call_soon_threadsafe` wake-up of the event loop per result (about 25 us per call on the default loop, more than
//! the HTTP round trip and decoding in Rust, measured before this SDK existed: `make bench`'s baselines). Here a
//! finished call is queued, without the GIL, on its loop's [`LoopWaker`]; the first of a burst writes one byte to a
//! socket the loop watches (`add_reader`), and the loop's one callback then resolves every queued call. So tokio
//! threads never touch Python (which also removes them from the interpreter-exit hazard above), and N results cost
//! one wake-up. The awaitable is an `asyncio.Future` subclass (`autoshares._calls.Call`) whose `cancel()` aborts the
//! task, so cancelling still drops the core future at once.

use std::cell::RefCell;
use std::future::Future;
#[cfg(unix)]
use std::io::{Read, Write};
#[cfg(unix)]
use std::os::fd::AsRawFd;
#[cfg(unix)]
use std::os::unix::net::UnixStream;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex, MutexGuard, Weak};
use std::time::{Duration, Instant};

use futures::FutureExt;
use pyo3::exceptions::{PyNotImplementedError, PyRuntimeError};
use pyo3::intern;
use pyo3::panic::PanicException;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyDict;
use pyo3::IntoPyObjectExt;
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

/// How an awaitable call's task ended: its [`Ended`], or a panic (its message).
enum Outcome<T> {
    Finished(Ended<T>),
    Panicked(String),
}

fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a Rust panic".to_string())
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
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

// ---- awaitables -------------------------------------------------------------------------------------------------

/// How a finished call's result becomes a Python object (run on the loop's thread, with the GIL).
type Deliver = Box<dyn FnOnce(Python<'_>) -> PyResult<Py<PyAny>> + Send>;

/// A finished call waiting for its event loop: the asyncio future to resolve and how to build its result (tokio
/// threads never touch Python).
struct Done {
    future: Py<PyAny>,
    deliver: Deliver,
}

/// How a loop learns that calls finished.
enum Wake {
    /// A socket pair whose read end the loop watches (`loop.add_reader`): a tokio thread writes one byte, no GIL.
    #[cfg(unix)]
    Pipe { tx: UnixStream, rx: UnixStream },
    /// Loops without `add_reader` (Windows' proactor loop): `loop.call_soon_threadsafe(drain)`, which takes the GIL.
    Threadsafe,
}

/// The finished calls of one event loop, and its wake-up. At most one wake-up is pending at a time (`armed`), so a
/// burst of completions costs the loop one callback, which resolves them all.
struct LoopWaker {
    event_loop: Py<PyAny>,
    queue: Mutex<Vec<Done>>,
    armed: AtomicBool,
    wake: Wake,
}

impl LoopWaker {
    fn new(py: Python<'_>, event_loop: &Bound<'_, PyAny>) -> PyResult<Arc<LoopWaker>> {
        #[cfg(unix)]
        {
            let (tx, rx) =
                UnixStream::pair().map_err(|e| PyRuntimeError::new_err(e.to_string()))?;
            tx.set_nonblocking(true)
                .and_then(|_| rx.set_nonblocking(true))
                .map_err(|e| PyRuntimeError::new_err(e.to_string()))?;
            let fd = rx.as_raw_fd();
            let waker = Arc::new(LoopWaker {
                event_loop: event_loop.clone().unbind(),
                queue: Mutex::new(Vec::new()),
                armed: AtomicBool::new(false),
                wake: Wake::Pipe { tx, rx },
            });
            let drain = Py::new(py, Drain(waker.clone()))?;
            match event_loop.call_method1(intern!(py, "add_reader"), (fd, drain)) {
                Ok(_) => return Ok(waker),
                Err(e) if e.is_instance_of::<PyNotImplementedError>(py) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(Arc::new(LoopWaker {
            event_loop: event_loop.clone().unbind(),
            queue: Mutex::new(Vec::new()),
            armed: AtomicBool::new(false),
            wake: Wake::Threadsafe,
        }))
    }

    /// Queues a finished call (any thread); wakes the loop unless a wake-up is already pending.
    fn push(self: &Arc<Self>, done: Done) {
        lock(&self.queue).push(done);
        if self.armed.swap(true, Ordering::SeqCst) {
            return;
        }
        match &self.wake {
            #[cfg(unix)]
            Wake::Pipe { tx, .. } => {
                // A full socket buffer (WouldBlock) means a wake-up is pending anyway.
                let _ = (&*tx).write(&[1]);
            }
            Wake::Threadsafe => {
                if shutting_down() {
                    return;
                }
                let waker = self.clone();
                Python::attach(|py| {
                    let scheduled = Py::new(py, Drain(waker.clone())).and_then(|drain| {
                        waker
                            .event_loop
                            .bind(py)
                            .call_method1(intern!(py, "call_soon_threadsafe"), (drain,))
                    });
                    // A closed loop: its futures can never be awaited again.
                    drop(scheduled);
                });
            }
        }
    }

    /// Resolves every queued call (on the loop's thread). The wake-up byte is read before `armed` is cleared, so
    /// a call queued meanwhile either is in this batch or writes a new byte.
    fn drain(&self, py: Python<'_>) {
        #[cfg(unix)]
        if let Wake::Pipe { rx, .. } = &self.wake {
            let mut buf = [0u8; 64];
            while matches!((&*rx).read(&mut buf), Ok(n) if n > 0) {}
        }
        self.armed.store(false, Ordering::SeqCst);
        let batch = std::mem::take(&mut *lock(&self.queue));
        for done in batch {
            let future = done.future.bind(py);
            // Cancelled meanwhile (its Rust future may have finished just before the abort).
            if future
                .call_method0(intern!(py, "done"))
                .and_then(|d| d.is_truthy())
                .unwrap_or(true)
            {
                continue;
            }
            let set = match (done.deliver)(py) {
                Ok(value) => future.call_method1(intern!(py, "set_result"), (value,)),
                Err(e) => future.call_method1(intern!(py, "set_exception"), (e.into_value(py),)),
            };
            if let Err(e) = set {
                e.write_unraisable(py, Some(future));
            }
        }
    }
}

/// The loop's callback: resolves the calls that finished since the last one.
#[pyclass(frozen, module = "autoshares._native")]
struct Drain(Arc<LoopWaker>);

#[pymethods]
impl Drain {
    fn __call__(&self, py: Python<'_>) {
        self.0.drain(py);
    }
}

/// `Call._abort`: drops the call's Rust future (the task is aborted at its next await point).
#[pyclass(frozen, module = "autoshares._native")]
struct Abort(tokio::task::AbortHandle);

#[pymethods]
impl Abort {
    fn __call__(&self) {
        self.0.abort();
    }
}

thread_local! {
    /// The waker of the loop this thread last called from (weak: a thread-local never drops Python objects).
    static CURRENT: RefCell<(usize, Weak<LoopWaker>)> = const { RefCell::new((0, Weak::new())) };
}

/// The waker of `event_loop`, made (and its reader registered) on first use. Wakers live in a dict keyed by their
/// loop (the GIL guards it); the wakers of closed loops are dropped when a new one is made.
fn loop_waker(py: Python<'_>, event_loop: &Bound<'_, PyAny>) -> PyResult<Arc<LoopWaker>> {
    let key = event_loop.as_ptr() as usize;
    let cached = CURRENT.with(|c| {
        let c = c.borrow();
        (c.0 == key).then(|| c.1.upgrade()).flatten()
    });
    if let Some(w) = cached {
        return Ok(w);
    }
    static WAKERS: PyOnceLock<Py<PyDict>> = PyOnceLock::new();
    let wakers = WAKERS.get_or_init(py, || PyDict::new(py).unbind()).bind(py);
    let waker = match wakers.get_item(event_loop)? {
        Some(drain) => drain.cast::<Drain>()?.get().0.clone(),
        None => {
            let closed: Vec<Bound<'_, PyAny>> = wakers
                .keys()
                .iter()
                .filter(|l| {
                    l.call_method0(intern!(py, "is_closed"))
                        .and_then(|c| c.is_truthy())
                        .unwrap_or(true)
                })
                .collect();
            for l in closed {
                wakers.del_item(l)?;
            }
            let waker = LoopWaker::new(py, event_loop)?;
            wakers.set_item(event_loop, Py::new(py, Drain(waker.clone()))?)?;
            waker
        }
    };
    CURRENT.with(|c| *c.borrow_mut() = (key, Arc::downgrade(&waker)));
    Ok(waker)
}

/// Runs a core future as an asyncio awaitable: an `autoshares._calls.Call` (an `asyncio.Future`) of the running
/// loop, resolved by the loop's [`Drain`] callback together with every other call that finished meanwhile.
/// Cancelling it aborts the task, which drops the core future (cancel-safe).
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
    static GET_RUNNING_LOOP: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    static CALL: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    crate::logging::sync_level(py);
    let event_loop = GET_RUNNING_LOOP
        .import(py, "asyncio", "get_running_loop")?
        .call0()?;
    let waker = loop_waker(py, &event_loop)?;
    let kwargs = PyDict::new(py);
    kwargs.set_item(intern!(py, "loop"), &event_loop)?;
    let future = CALL
        .import(py, "autoshares._calls", "Call")?
        .call((), Some(&kwargs))?;
    let flight = InFlight::enter()?;
    let resolve = future.clone().unbind();
    let task = runtime().spawn(async move {
        let outcome = match AssertUnwindSafe(guarded(fut)).catch_unwind().await {
            Ok(ended) => Outcome::Finished(ended),
            Err(panic) => Outcome::Panicked(panic_message(&*panic)),
        };
        waker.push(Done {
            future: resolve,
            deliver: Box::new(move |py| match outcome {
                Outcome::Finished(ended) => {
                    into_py_result(ended, py).and_then(|v| convert(v).into_py_any(py))
                }
                Outcome::Panicked(message) => Err(PanicException::new_err(message)),
            }),
        });
        drop(flight);
    });
    future.setattr(intern!(py, "_abort"), Abort(task.abort_handle()))?;
    Ok(future)
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
        // A blocking call's result is handed over just after its counter drops: give that a moment.
        std::thread::sleep(Duration::from_millis(20));
    });
}

/// How many calls are in flight (for tests).
#[pyfunction]
pub fn _in_flight() -> usize {
    IN_FLIGHT.load(Ordering::Acquire)
}

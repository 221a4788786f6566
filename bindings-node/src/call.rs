//! Every Promise of the package goes through [`spawn`]: the core future runs on napi's tokio runtime, and
//! settles on the JS thread where results are converted and errors become `AutoSharesError`s.
//!
//! A call ends early, dropping the core future (nothing more is sent or awaited), when its `AbortSignal`
//! fires (code `ABORTED`) or its client is closed (code `CLOSED`).
//!
//! Settling: napi's `spawn_future_with_callback` makes a threadsafe function (a libuv handle, an env cleanup hook)
//! per Promise and wakes the JS thread once per result. Here each env has one threadsafe function; finished calls
//! are queued without touching JS, the first of a burst wakes the JS thread, and that one callback settles all of
//! them (`make bench`'s Node figures, before and after, are in docs/PERFORMANCE.md). The threadsafe function keeps
//! the process alive only while calls are pending.

use std::any::Any;
use std::cell::RefCell;
use std::collections::HashMap;
use std::ffi::c_void;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use futures::FutureExt;

use napi::bindgen_prelude::*;
use napi::sys;
use napi_derive::napi;
use tokio::sync::{oneshot, watch};

use crate::error;

/// `signal.addEventListener(type, listener, options)`.
type AddEventListener<'a> =
    Function<'a, FnArgs<(String, Function<'a, (), ()>, Object<'a>)>, Unknown<'a>>;

/// Options every Promise method takes as its last argument.
#[napi(object, object_to_js = false)]
pub struct CallOptions {
    /// Stops the call: the Promise rejects with `code === 'ABORTED'` and the request is dropped (an already
    /// aborted signal rejects at once, sending nothing).
    #[napi(ts_type = "AbortSignal")]
    pub signal: Option<Signal>,
}

/// An `AbortSignal`, listened to from Rust. The listener is removed when the call settles, so one long-lived
/// signal (a service's shutdown signal) can serve any number of calls.
pub struct Signal {
    aborted: bool,
    fired: oneshot::Receiver<()>,
    listener: Option<Listener>,
}

type ListenerFn = FunctionRef<(), ()>;

/// The JS side of a [`Signal`]: only touched on the JS thread.
struct Listener {
    signal: ObjectRef<false>,
    listener: ListenerFn,
}

impl Listener {
    fn remove(self, env: &Env) {
        let removed = (|| -> Result<()> {
            let signal = self.signal.get_value(env)?;
            let remove: AddEventListener = signal.get_named_property("removeEventListener")?;
            let listener = self.listener.borrow_back(env)?;
            let options = Object::new(env)?;
            remove.apply(
                signal,
                FnArgs::from(("abort".to_string(), listener, options)),
            )?;
            Ok(())
        })();
        let _ = removed;
        let _ = self.signal.unref(env);
    }
}

impl TypeName for Signal {
    fn type_name() -> &'static str {
        "AbortSignal"
    }
    fn value_type() -> ValueType {
        ValueType::Object
    }
}

impl ValidateNapiValue for Signal {}

impl FromNapiValue for Signal {
    unsafe fn from_napi_value(env: sys::napi_env, value: sys::napi_value) -> Result<Self> {
        let signal = unsafe { Object::from_napi_value(env, value)? };
        let not_a_signal = || Error::new(Status::InvalidArg, "`signal` must be an AbortSignal");
        let aborted: bool = signal
            .get_named_property("aborted")
            .map_err(|_| not_a_signal())?;
        let add: AddEventListener = signal
            .get_named_property("addEventListener")
            .map_err(|_| not_a_signal())?;
        let (tx, fired) = oneshot::channel();
        let tx = Mutex::new(Some(tx));
        let env = Env::from_raw(env);
        let listener = env.create_function_from_closure("onAbort", move |_| {
            if let Some(tx) = tx.lock().ok().and_then(|mut t| t.take()) {
                let _ = tx.send(());
            }
            Ok(())
        })?;
        let mut once = Object::new(&env)?;
        once.set_named_property("once", true)?;
        let kept = Listener {
            signal: signal.create_ref::<false>()?,
            listener: listener.create_ref()?,
        };
        add.apply(signal, FnArgs::from(("abort".to_string(), listener, once)))?;
        Ok(Signal {
            aborted,
            fired,
            listener: Some(kept),
        })
    }
}

/// What a client's calls share: the "closed" flag (`watch`, so a close wakes every call in flight).
pub struct Lifecycle {
    closed: watch::Sender<bool>,
}

impl Lifecycle {
    pub fn new() -> Arc<Lifecycle> {
        Arc::new(Lifecycle {
            closed: watch::Sender::new(false),
        })
    }

    pub fn close(&self) {
        self.closed.send_replace(true);
    }

    pub fn is_closed(&self) -> bool {
        *self.closed.borrow()
    }

    /// Resolves once `close()` was called (at once if it already was).
    pub fn closing(&self) -> impl Future<Output = ()> + Send + 'static {
        let mut rx = self.closed.subscribe();
        async move {
            let _ = rx.wait_for(|closed| *closed).await;
        }
    }
}

enum Outcome<T> {
    Done(autoshares::Result<T>),
    Aborted,
    Closed,
    Panicked(String),
}

/// Runs `fut` as a Promise: resolves with `convert(value)`, rejects with an `AutoSharesError`. The outcome goes
/// through the env's [`Channel`]: one wake-up of the JS thread settles every call that finished meanwhile (napi's
/// own `spawn_future_with_callback` makes a threadsafe function, with its libuv handle, per Promise).
pub fn spawn<'env, T, V, F, C>(
    env: &'env Env,
    life: &Arc<Lifecycle>,
    options: Option<CallOptions>,
    fut: F,
    convert: C,
) -> Result<PromiseRaw<'env, V>>
where
    T: Send + 'static,
    V: ToNapiValue,
    F: Future<Output = autoshares::Result<T>> + Send + 'static,
    C: FnOnce(T) -> V + 'static,
{
    let mut signal = options.and_then(|o| o.signal);
    let listener = signal.as_mut().and_then(|s| s.listener.take());
    let signal = signal.map(|s| (s.aborted, s.fired));
    let life = life.clone();
    let run = async move {
        let mut closed = life.closed.subscribe();
        if *closed.borrow_and_update() {
            return Outcome::Closed;
        }
        let (aborted, fired) = match signal {
            Some((aborted, fired)) => (aborted, Some(fired)),
            None => (false, None),
        };
        if aborted {
            return Outcome::Aborted;
        }
        let abort = async move {
            match fired {
                Some(rx) => {
                    if rx.await.is_err() {
                        // The listener was collected without firing: never abort.
                        std::future::pending::<()>().await;
                    }
                }
                None => std::future::pending::<()>().await,
            }
        };
        let outcome = tokio::select! {
            biased;
            _ = abort => Outcome::Aborted,
            _ = closed.wait_for(|c| *c) => Outcome::Closed,
            r = fut => Outcome::Done(r),
        };
        drop(life);
        outcome
    };
    let finish: Finish = Box::new(
        move |env: &Env, outcome: Box<dyn Any + Send>| -> Result<sys::napi_value> {
            if let Some(l) = listener {
                l.remove(env);
            }
            let outcome = outcome
                .downcast::<Outcome<T>>()
                .map_err(|_| Error::from_reason("a call's outcome of the wrong type"))?;
            let value = settle(env, *outcome, convert)?;
            // SAFETY: on the JS thread of `env`.
            unsafe { V::to_napi_value(env.raw(), value) }
        },
    );
    let (id, channel, promise) = register(env, finish)?;
    napi::bindgen_prelude::spawn(async move {
        let outcome = match AssertUnwindSafe(run).catch_unwind().await {
            Ok(outcome) => outcome,
            Err(panic) => Outcome::<T>::Panicked(
                panic
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_default(),
            ),
        };
        channel.push((id, Box::new(outcome)));
    });
    Ok(PromiseRaw::new(env.raw(), promise))
}

fn settle<T, V>(env: &Env, outcome: Outcome<T>, convert: impl FnOnce(T) -> V) -> Result<V> {
    match outcome {
        Outcome::Done(Ok(v)) => Ok(convert(v)),
        Outcome::Done(Err(e)) => Err(error::core(env, &e)),
        Outcome::Aborted => Err(error::coded(
            env,
            error::ABORTED,
            "the call was aborted by its AbortSignal",
        )),
        Outcome::Closed => Err(error::coded(
            env,
            error::CLOSED,
            "the client was closed; create a new one",
        )),
        Outcome::Panicked(message) => Err(Error::from_reason(format!(
            "autoshares: a Rust panic ({message})"
        ))),
    }
}

// ---- settling Promises, several per wake-up --------------------------------------------------------------------

/// A finished call's outcome on its way to the JS thread (the `Outcome<T>` of its `spawn`, type-erased).
type Finished = (u64, Box<dyn Any + Send>);

/// The raw threadsafe function of an env (only called, never touched otherwise, from other threads).
struct Tsfn(sys::napi_threadsafe_function);
// SAFETY: napi threadsafe functions are made to be called from any thread; the env's cleanup hook takes it out of
// `Channel::tsfn` (under its lock) before Node finalizes it, so no thread calls a finalized one.
unsafe impl Send for Tsfn {}

/// What the tokio side of the calls of one env shares with its JS thread: finished calls, and one wake-up of the
/// JS thread per burst of them (`armed`: a wake-up is pending, the next finished call just queues).
struct Channel {
    queue: Mutex<Vec<Finished>>,
    armed: AtomicBool,
    tsfn: Mutex<Option<Tsfn>>,
}

impl Channel {
    fn push(&self, finished: Finished) {
        self.queue
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(finished);
        if self.armed.swap(true, Ordering::SeqCst) {
            return;
        }
        if let Some(Tsfn(tsfn)) = &*self.tsfn.lock().unwrap_or_else(|e| e.into_inner()) {
            // SAFETY: a live threadsafe function (see `Tsfn`); non-blocking, the queue is unbounded.
            unsafe {
                sys::napi_call_threadsafe_function(
                    *tsfn,
                    std::ptr::null_mut(),
                    sys::ThreadsafeFunctionCallMode::nonblocking,
                );
            }
        }
    }
}

/// How a call's outcome becomes its Promise's value (on the JS thread).
type Finish = Box<dyn FnOnce(&Env, Box<dyn Any + Send>) -> Result<sys::napi_value>>;

/// A call waiting for its outcome, on the JS thread: its Promise and how to settle it.
struct Pending {
    deferred: sys::napi_deferred,
    finish: Finish,
}

/// The JS thread's side (one env per JS thread: the main thread or a worker).
struct Calls {
    env: sys::napi_env,
    channel: Arc<Channel>,
    tsfn: sys::napi_threadsafe_function,
    pending: HashMap<u64, Pending>,
    next_id: u64,
    /// Whether the threadsafe function keeps the event loop alive (while calls are pending).
    referenced: bool,
}

thread_local! {
    static CALLS: RefCell<Option<Calls>> = const { RefCell::new(None) };
}

/// The env is going away: no more wake-ups (the Promises still pending can never settle).
unsafe extern "C" fn env_teardown(channel: *mut c_void) {
    // SAFETY: the `Arc<Channel>` leaked for this hook in `calls()`.
    let channel = unsafe { Arc::from_raw(channel as *const Channel) };
    channel
        .tsfn
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .take();
    CALLS.with(|c| c.borrow_mut().take());
}

/// The JS thread's wake-up: settles every call that finished since the last one.
unsafe extern "C" fn drain(
    env: sys::napi_env,
    _js_callback: sys::napi_value,
    _context: *mut c_void,
    _data: *mut c_void,
) {
    if env.is_null() {
        return;
    }
    let Some(channel) = CALLS.with(|c| c.borrow().as_ref().map(|c| c.channel.clone())) else {
        return;
    };
    channel.armed.store(false, Ordering::SeqCst);
    let batch = std::mem::take(&mut *channel.queue.lock().unwrap_or_else(|e| e.into_inner()));
    let js = Env::from_raw(env);
    for (id, outcome) in batch {
        // Taken out before settling: converting a result must not find `CALLS` borrowed.
        let Some(p) = CALLS.with(|c| c.borrow_mut().as_mut().and_then(|c| c.pending.remove(&id)))
        else {
            continue;
        };
        // SAFETY: on the JS thread of `env`, with a deferred of this env that was never settled.
        unsafe {
            match (p.finish)(&js, outcome) {
                Ok(value) => sys::napi_resolve_deferred(env, p.deferred, value),
                Err(e) => {
                    sys::napi_reject_deferred(env, p.deferred, JsError::from(e).into_value(env))
                }
            };
        }
    }
    CALLS.with(|c| {
        if let Some(c) = c.borrow_mut().as_mut() {
            if c.pending.is_empty() && c.referenced {
                // SAFETY: on the JS thread of the env that made it.
                unsafe { sys::napi_unref_threadsafe_function(c.env, c.tsfn) };
                c.referenced = false;
            }
        }
    });
}

/// Registers a call's Promise on the JS thread: its id, the channel its outcome goes into, and the Promise.
fn register(env: &Env, finish: Finish) -> Result<(u64, Arc<Channel>, sys::napi_value)> {
    let raw = env.raw();
    CALLS.with(|cell| {
        let mut cell = cell.borrow_mut();
        if cell.as_ref().is_none_or(|c| c.env != raw) {
            *cell = Some(new_calls(raw)?);
        }
        let calls = cell.as_mut().expect("just made");
        let mut deferred = std::ptr::null_mut();
        let mut promise = std::ptr::null_mut();
        // SAFETY: on the JS thread of `raw`.
        check_status!(unsafe { sys::napi_create_promise(raw, &mut deferred, &mut promise) })?;
        if !calls.referenced {
            // SAFETY: on the JS thread of the env that made it.
            check_status!(unsafe { sys::napi_ref_threadsafe_function(raw, calls.tsfn) })?;
            calls.referenced = true;
        }
        calls.next_id += 1;
        let id = calls.next_id;
        calls.pending.insert(id, Pending { deferred, finish });
        Ok((id, calls.channel.clone(), promise))
    })
}

/// The env's channel and threadsafe function (made once per env, unreferenced while no call is pending).
fn new_calls(env: sys::napi_env) -> Result<Calls> {
    let channel = Arc::new(Channel {
        queue: Mutex::new(Vec::new()),
        armed: AtomicBool::new(false),
        tsfn: Mutex::new(None),
    });
    let mut name = std::ptr::null_mut();
    let mut tsfn = std::ptr::null_mut();
    // SAFETY: on the JS thread of `env`; no JS function (the `drain` callback does the work), unbounded queue.
    unsafe {
        check_status!(sys::napi_create_string_utf8(
            env,
            c"autoshares.call".as_ptr(),
            "autoshares.call".len() as isize,
            &mut name
        ))?;
        check_status!(sys::napi_create_threadsafe_function(
            env,
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            name,
            0,
            1,
            std::ptr::null_mut(),
            None,
            std::ptr::null_mut(),
            Some(drain),
            &mut tsfn,
        ))?;
        check_status!(sys::napi_unref_threadsafe_function(env, tsfn))?;
        let hook = Arc::into_raw(channel.clone()) as *mut c_void;
        check_status!(sys::napi_add_env_cleanup_hook(
            env,
            Some(env_teardown),
            hook
        ))?;
    }
    *channel.tsfn.lock().unwrap_or_else(|e| e.into_inner()) = Some(Tsfn(tsfn));
    Ok(Calls {
        env,
        channel,
        tsfn,
        pending: HashMap::new(),
        next_id: 0,
        referenced: false,
    })
}

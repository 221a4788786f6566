//! Every Promise of the package goes through [`spawn`]: the core future runs on napi's tokio runtime, and
//! settles on the JS thread where results are converted and errors become `AutoSharesError`s.
//!
//! A call ends early, dropping the core future (nothing more is sent or awaited), when its `AbortSignal`
//! fires (code `ABORTED`) or its client is closed (code `CLOSED`).

use std::future::Future;
use std::sync::{Arc, Mutex};

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
}

/// Runs `fut` as a Promise: resolves with `convert(value)`, rejects with an `AutoSharesError`.
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
            return Ok(Outcome::Closed);
        }
        let (aborted, fired) = match signal {
            Some((aborted, fired)) => (aborted, Some(fired)),
            None => (false, None),
        };
        if aborted {
            return Ok(Outcome::Aborted);
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
        Ok(outcome)
    };
    env.spawn_future_with_callback(run, move |env, outcome| {
        if let Some(l) = listener {
            l.remove(env);
        }
        settle(env, outcome, convert)
    })
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
    }
}

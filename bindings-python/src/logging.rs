//! The core's `tracing` events into Python `logging` (logger `autoshares` and its children).
//!
//! A `tracing` layer forwards events whose target is one of ours (`autoshares::transport` becomes the logger
//! `autoshares.transport`, the sandbox's `autoshares_sandbox::auth` becomes `autoshares.sandbox.auth`); other
//! crates (hyper, reqwest) are not forwarded. Asking Python for the logger's level on every event would take the
//! GIL on every event, so the effective level of `autoshares` is cached: refreshed at every call the binding
//! starts (it holds the GIL then anyway) and by `_native._sync_log_level()`. Callsite interest is always
//! "sometimes", so a level change takes effect at once. The core never puts a secret in an event (tested in
//! core and in the pytest suite), so the records are forwarded as formatted.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::sync::{Mutex, OnceLock};

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use tracing::field::{Field, Visit};
use tracing::{Event, Level, Metadata, Subscriber};
use tracing_subscriber::layer::{Context, Layer};

/// Python's `logging.WARNING`: the default effective level.
static LEVEL: AtomicI32 = AtomicI32::new(30);
static DISABLED: AtomicBool = AtomicBool::new(false);

fn py_level(level: &Level) -> i32 {
    match *level {
        Level::ERROR => 40,
        Level::WARN => 30,
        Level::INFO => 20,
        Level::DEBUG => 10,
        _ => 5,
    }
}

fn logger_name(target: &str) -> Option<String> {
    let rest = if let Some(r) = target.strip_prefix("autoshares_sandbox") {
        format!("sandbox{r}")
    } else if let Some(r) = target.strip_prefix("autoshares") {
        r.trim_start_matches("::").to_string()
    } else {
        return None;
    };
    let rest = rest.replace("::", ".");
    let rest = rest.trim_matches('.');
    Some(if rest.is_empty() {
        "autoshares".to_string()
    } else {
        format!("autoshares.{rest}")
    })
}

fn root_logger(py: Python<'_>) -> PyResult<&Bound<'_, PyAny>> {
    static ROOT: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    ROOT.get_or_try_init(py, || {
        Ok::<_, PyErr>(
            py.import("logging")?
                .call_method1("getLogger", ("autoshares",))?
                .unbind(),
        )
    })
    .map(|l| l.bind(py))
}

/// Refreshes the cached level from `logging.getLogger("autoshares").getEffectiveLevel()`.
pub fn sync_level(py: Python<'_>) {
    if let Ok(level) = root_logger(py)
        .and_then(|l| l.call_method0("getEffectiveLevel"))
        .and_then(|v| v.extract::<i32>())
    {
        LEVEL.store(level, Ordering::Relaxed);
    }
}

/// No more records to Python (interpreter exit).
pub fn disable() {
    DISABLED.store(true, Ordering::Release);
}

#[pyfunction]
pub fn _sync_log_level(py: Python<'_>) {
    sync_level(py);
}

#[derive(Default)]
struct Message {
    message: String,
    fields: String,
}

impl Visit for Message {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            let _ = write!(self.message, "{value:?}");
        } else {
            let _ = write!(self.fields, " {}={value:?}", field.name());
        }
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.message.push_str(value);
        } else {
            let _ = write!(self.fields, " {}={value}", field.name());
        }
    }
}

struct PythonLogging {
    loggers: Mutex<HashMap<String, Py<PyAny>>>,
}

impl PythonLogging {
    fn wanted(meta: &Metadata<'_>) -> bool {
        !DISABLED.load(Ordering::Acquire)
            && py_level(meta.level()) >= LEVEL.load(Ordering::Relaxed)
            && meta.target().starts_with("autoshares")
    }

    fn emit(&self, py: Python<'_>, name: &str, level: i32, text: &str) -> PyResult<()> {
        let logger = {
            let mut map = self.loggers.lock().unwrap_or_else(|e| e.into_inner());
            match map.get(name) {
                Some(l) => l.clone_ref(py),
                None => {
                    let l = py
                        .import("logging")?
                        .call_method1("getLogger", (name,))?
                        .unbind();
                    map.insert(name.to_string(), l.clone_ref(py));
                    l
                }
            }
        };
        logger.bind(py).call_method1("log", (level, "%s", text))?;
        Ok(())
    }
}

impl<S: Subscriber> Layer<S> for PythonLogging {
    fn register_callsite(&self, meta: &'static Metadata<'static>) -> tracing::subscriber::Interest {
        if meta.target().starts_with("autoshares") {
            tracing::subscriber::Interest::sometimes()
        } else {
            tracing::subscriber::Interest::never()
        }
    }

    fn enabled(&self, meta: &Metadata<'_>, _ctx: Context<'_, S>) -> bool {
        Self::wanted(meta)
    }

    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        let meta = event.metadata();
        if !Self::wanted(meta) || crate::runtime::shutting_down() {
            return;
        }
        let Some(name) = logger_name(meta.target()) else {
            return;
        };
        let mut m = Message::default();
        event.record(&mut m);
        let text = format!("{}{}", m.message, m.fields);
        let level = py_level(meta.level());
        let _ = Python::try_attach(|py| {
            if let Err(e) = self.emit(py, &name, level, &text) {
                e.write_unraisable(py, None);
            }
        });
    }
}

/// Installs the layer as the process's global `tracing` subscriber (once; a no-op if one is already set).
pub fn install() {
    static ONCE: OnceLock<()> = OnceLock::new();
    ONCE.get_or_init(|| {
        use tracing_subscriber::layer::SubscriberExt;
        let subscriber = tracing_subscriber::registry().with(PythonLogging {
            loggers: Mutex::new(HashMap::new()),
        });
        let _ = tracing::subscriber::set_global_default(subscriber);
    });
}

#[cfg(test)]
mod tests {
    use super::logger_name;

    #[test]
    fn targets_map_to_child_loggers() {
        assert_eq!(logger_name("autoshares").as_deref(), Some("autoshares"));
        assert_eq!(
            logger_name("autoshares::auth::etna").as_deref(),
            Some("autoshares.auth.etna")
        );
        assert_eq!(
            logger_name("autoshares_sandbox::faults").as_deref(),
            Some("autoshares.sandbox.faults")
        );
        assert_eq!(logger_name("hyper::proto"), None);
    }
}

//! `AutoSharesError`: one `Error` subclass with a stable `code`, for sync throws and Promise rejections alike.
//!
//! napi's own `async fn` rejections carry only `napi::Status` codes (`GenericFailure`), so every Promise in this
//! package is built with `Env::spawn_future_with_callback` (see `call.rs`) and rejects with an error object built
//! here, on the JS thread. The class is defined in JS (a native class cannot extend `Error`) when the module
//! loads, and its type is declared in `dts-header.d.ts`, which the napi CLI prepends to `index.d.ts`.

use std::cell::RefCell;

use autoshares::Error as CoreError;
use napi::bindgen_prelude::*;

/// The code of a call stopped by its `AbortSignal`.
pub const ABORTED: &str = "ABORTED";
/// The code of a call made on (or still running when calling) `close()`.
pub const CLOSED: &str = "CLOSED";

const CLASS_SOURCE: &str = r#"(() => {
  class AutoSharesError extends Error {
    constructor(message, fields) {
      super(message);
      for (const [key, value] of Object.entries(fields ?? {})) {
        if (value !== undefined && value !== null) this[key] = value;
      }
    }
    get name() { return 'AutoSharesError'; }
  }
  return AutoSharesError;
})()"#;

type ErrorClass = FunctionRef<FnArgs<(String, ErrorFields)>, Unknown<'static>>;

thread_local! {
    // One per JS thread (main thread, each worker): references are thread-affine.
    static CLASS: RefCell<Option<ErrorClass>> = const { RefCell::new(None) };
}

/// What an `AutoSharesError` carries besides its message (absent fields are left off). Converted by hand, so
/// that it stays out of `index.d.ts` (the class is declared in `dts-header.d.ts`).
#[derive(Default)]
pub struct ErrorFields {
    pub code: String,
    pub auth_kind: Option<String>,
    pub status: Option<u32>,
    pub request_id: Option<String>,
    pub retry_after: Option<f64>,
    pub field: Option<String>,
    pub step: Option<String>,
    pub operation: Option<String>,
    pub server_code: Option<String>,
    pub client_id: Option<String>,
}

impl ToNapiValue for ErrorFields {
    unsafe fn to_napi_value(env: napi::sys::napi_env, v: Self) -> Result<napi::sys::napi_value> {
        let env_ = Env::from_raw(env);
        let mut o = Object::new(&env_)?;
        o.set_named_property("code", v.code)?;
        let strings = [
            ("authKind", v.auth_kind),
            ("requestId", v.request_id),
            ("field", v.field),
            ("step", v.step),
            ("operation", v.operation),
            ("serverCode", v.server_code),
            ("clientId", v.client_id),
        ];
        for (k, s) in strings {
            if let Some(s) = s {
                o.set_named_property(k, s)?;
            }
        }
        if let Some(s) = v.status {
            o.set_named_property("status", s)?;
        }
        if let Some(r) = v.retry_after {
            o.set_named_property("retryAfter", r)?;
        }
        unsafe { Object::to_napi_value(env, o) }
    }
}

pub fn install(env: &Env, exports: &mut Object) -> Result<()> {
    let class: Function<FnArgs<(String, ErrorFields)>, Unknown<'static>> =
        env.run_script(CLASS_SOURCE)?;
    let class_ref = class.create_ref()?;
    exports.set_named_property("AutoSharesError", class)?;
    CLASS.with(|c| *c.borrow_mut() = Some(class_ref));
    Ok(())
}

/// The fields of a core error: its kind's code and every detail the variant has.
pub fn fields_of(e: &CoreError) -> ErrorFields {
    let mut f = ErrorFields {
        code: e.kind().code().to_string(),
        auth_kind: e.auth_kind().map(|k| k.code().to_string()),
        status: e.status().map(u32::from),
        request_id: e
            .request_id()
            .filter(|r| !r.is_empty() && *r != "-")
            .map(str::to_string),
        retry_after: e.retry_after().map(|d| d.as_secs_f64()),
        field: e.field().map(str::to_string),
        ..ErrorFields::default()
    };
    match e {
        CoreError::Auth { step, .. } => f.step = Some(step.clone()),
        CoreError::Api {
            operation, code, ..
        } => {
            f.operation = Some(operation.clone());
            f.server_code = code.clone();
        }
        CoreError::RateLimited { operation, .. }
        | CoreError::Transport { operation, .. }
        | CoreError::Timeout { operation, .. }
        | CoreError::Decode { operation, .. } => f.operation = Some(operation.clone()),
        CoreError::AmbiguousOrderOutcome {
            operation,
            client_id,
            ..
        } => {
            f.operation = Some(operation.clone());
            f.client_id = Some(client_id.clone());
        }
        _ => {}
    }
    f
}

/// A JS `AutoSharesError` as a `napi::Error` (napi throws or rejects with that very object).
pub fn make(env: &Env, message: String, fields: ErrorFields) -> Error {
    let code = fields.code.clone();
    let built = CLASS.with(|c| -> Result<Error> {
        let c = c.borrow();
        let class = c
            .as_ref()
            .ok_or_else(|| Error::from_reason("AutoSharesError is not installed"))?;
        let instance = class
            .borrow_back(env)?
            .new_instance(FnArgs::from((message.clone(), fields)))?;
        Ok(Error::from(instance))
    });
    built.unwrap_or_else(|_| Error::new(Status::GenericFailure, format!("{code}: {message}")))
}

/// A core error as a JS `AutoSharesError`.
pub fn core(env: &Env, e: &CoreError) -> Error {
    make(env, e.to_string(), fields_of(e))
}

/// An error with one of the binding's own codes (`ABORTED`, `CLOSED`).
pub fn coded(env: &Env, code: &str, message: &str) -> Error {
    make(
        env,
        message.to_string(),
        ErrorFields {
            code: code.to_string(),
            ..ErrorFields::default()
        },
    )
}

//! Fault injection: a small rule engine switched at run time by tests.
//!
//! A rule matches a method (or any) and a path prefix and answers the next `count` matching requests
//! itself, with its status, an optional `Retry-After` and `{"Message":"Injected fault"}`. Rules are
//! checked in the order they were injected; the first live match wins. Faults run after the app-key
//! check and before authentication.
//!
//! By default a fault answers *instead of* the handler (nothing happened on the server). With
//! [`FaultRule::after_act`] the request is handled first (an order is placed, replaced or cancelled) and
//! then the client gets the fault anyway, optionally after a delay (so a client times out) or as a
//! connection cut in the middle of the body ([`FaultRule::reset_after_act`]): the cases where a client
//! cannot tell whether its order exists.

use std::sync::{Arc, Mutex};

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http::{HeaderValue, StatusCode};

use crate::http::ApiError;
use crate::state::AppState;

/// One fault rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FaultRule {
    /// HTTP method to match (case-insensitive); `None` matches any method.
    pub method: Option<String>,
    /// Path prefix to match, e.g. `"/v1.0/users/"`; `""` or `"/"` matches everything.
    pub path_prefix: String,
    /// How many matching requests to fault; the rule disappears afterwards.
    pub count: u32,
    /// Status to answer with, e.g. 503.
    pub status: u16,
    /// `Retry-After` header value to send, if any (e.g. `"1"`).
    pub retry_after: Option<String>,
    /// Let the handler act first, then answer with the fault (default: answer instead of acting).
    pub after_act: bool,
    /// Wait this long before answering (with `after_act`, after the handler ran).
    pub delay: Option<std::time::Duration>,
    /// Instead of a status, send the handler's status and headers and cut the body (after acting).
    pub reset: bool,
}

impl FaultRule {
    /// A rule answering the next `count` `method` requests under `path_prefix` with `status`.
    pub fn new(method: &str, path_prefix: &str, count: u32, status: u16) -> FaultRule {
        FaultRule {
            method: Some(method.to_string()),
            path_prefix: path_prefix.to_string(),
            count,
            status,
            retry_after: None,
            after_act: false,
            delay: None,
            reset: false,
        }
    }

    /// The same rule, applied after the handler has acted (the client gets the fault; the change stays).
    pub fn after_act(mut self) -> FaultRule {
        self.after_act = true;
        self
    }

    /// The same rule, answering only after `delay` (with [`FaultRule::after_act`], a client with a shorter
    /// timeout gives up while the server has acted).
    pub fn with_delay(mut self, delay: std::time::Duration) -> FaultRule {
        self.delay = Some(delay);
        self
    }

    /// A rule that lets the handler act, then cuts the connection in the middle of the answer's body.
    pub fn reset_after_act(method: &str, path_prefix: &str, count: u32) -> FaultRule {
        let mut rule = FaultRule::new(method, path_prefix, count, 200).after_act();
        rule.reset = true;
        rule
    }

    /// The same rule with a `Retry-After` header.
    pub fn with_retry_after(mut self, value: &str) -> FaultRule {
        self.retry_after = Some(value.to_string());
        self
    }

    fn matches(&self, method: &str, path: &str) -> bool {
        self.method
            .as_deref()
            .is_none_or(|m| m.eq_ignore_ascii_case(method))
            && path.starts_with(&self.path_prefix)
    }
}

#[derive(Default)]
struct FaultsInner {
    rules: Vec<FaultRule>,
    injected: u64,
}

/// Cheap clone handle on the fault rules of one sandbox.
#[derive(Clone, Default)]
pub struct Faults(Arc<Mutex<FaultsInner>>);

impl Faults {
    fn lock(&self) -> std::sync::MutexGuard<'_, FaultsInner> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Adds a rule (after the existing ones). A rule with `count == 0` does nothing.
    pub fn inject(&self, rule: FaultRule) {
        if rule.count > 0 {
            self.lock().rules.push(rule);
        }
    }

    /// Removes every rule.
    pub fn clear(&self) {
        self.lock().rules.clear();
    }

    /// How many requests have been answered by a fault so far.
    pub fn injected_count(&self) -> u64 {
        self.lock().injected
    }

    /// Rules still active, with their remaining counts.
    pub fn active_rules(&self) -> Vec<FaultRule> {
        self.lock().rules.clone()
    }

    /// Consumes one use of the first rule matching this request, returning what to answer.
    pub fn take(&self, method: &str, path: &str) -> Option<FaultRule> {
        let mut inner = self.lock();
        let index = inner.rules.iter().position(|r| r.matches(method, path))?;
        let rule = inner.rules[index].clone();
        inner.rules[index].count -= 1;
        if inner.rules[index].count == 0 {
            inner.rules.remove(index);
        }
        inner.injected += 1;
        Some(rule)
    }
}

/// Middleware answering matching requests with the injected fault.
pub async fn middleware(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let Some(rule) = state
        .faults
        .take(request.method().as_str(), request.uri().path())
    else {
        return next.run(request).await;
    };
    if rule.after_act {
        let acted = next.run(request).await;
        if let Some(d) = rule.delay {
            tokio::time::sleep(d).await;
        }
        if rule.reset {
            let (parts, _) = acted.into_parts();
            let cut = futures::stream::iter([
                Ok::<_, std::io::Error>(bytes::Bytes::from_static(b"{\"Id\":")),
                Err(std::io::Error::new(
                    std::io::ErrorKind::ConnectionReset,
                    "injected reset",
                )),
            ]);
            return Response::from_parts(parts, axum::body::Body::from_stream(cut));
        }
    } else if let Some(d) = rule.delay {
        tokio::time::sleep(d).await;
    }
    let status = StatusCode::from_u16(rule.status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
    let mut response = (status, ApiError::InjectedFault.body()).into_response();
    if let Some(value) = rule
        .retry_after
        .as_deref()
        .and_then(|v| HeaderValue::from_str(v).ok())
    {
        response
            .headers_mut()
            .insert(http::header::RETRY_AFTER, value);
    }
    response
}

//! Observability for tests: request counters and a bounded log of recorded requests.
//!
//! Only header *names* are kept, never values, so credentials, codes and tokens are never stored;
//! the middleware logs method, path and status at debug level and nothing else.

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::sync::Mutex;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::state::AppState;

/// How many requests the log keeps (the oldest are dropped first).
pub const LOG_CAPACITY: usize = 10_000;
/// Largest request body accepted (and recorded).
pub const MAX_BODY_BYTES: usize = 4 * 1024 * 1024;

/// One request as the sandbox received it.
#[derive(Clone, PartialEq, Eq)]
pub struct RecordedRequest {
    /// HTTP method, e.g. `"GET"`.
    pub method: String,
    /// Path as received (not percent-decoded), e.g. `"/v1.0/users/@me/info"`.
    pub path: String,
    /// Raw query string without `?`, if there was one.
    pub query: Option<String>,
    /// Header names, lower-case, in the order received (values are never stored).
    pub header_names: Vec<String>,
    /// The raw request body.
    pub body: Bytes,
}

impl RecordedRequest {
    /// Whether a header of this name (case-insensitive) was sent.
    pub fn has_header(&self, name: &str) -> bool {
        self.header_names
            .iter()
            .any(|h| h.eq_ignore_ascii_case(name))
    }
}

impl fmt::Debug for RecordedRequest {
    // The body may hold form-encoded secrets (client_secret, code_verifier), so Debug shows only its length.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RecordedRequest")
            .field("method", &self.method)
            .field("path", &self.path)
            .field("query_len", &self.query.as_ref().map(String::len))
            .field("header_names", &self.header_names)
            .field("body_len", &self.body.len())
            .finish()
    }
}

#[derive(Default)]
struct ObservationsInner {
    counts: HashMap<(String, String), u64>,
    log: VecDeque<RecordedRequest>,
    token_requests: u64,
    oauth_token_requests: HashMap<String, u64>,
}

/// Counters and the request log.
#[derive(Default)]
pub struct Observations(Mutex<ObservationsInner>);

impl Observations {
    fn lock(&self) -> std::sync::MutexGuard<'_, ObservationsInner> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn record(&self, request: RecordedRequest) {
        let mut inner = self.lock();
        // Every POST /token and /oauth/token counts, whatever happens next (403, fault, failure).
        match (request.method.as_str(), request.path.as_str()) {
            ("POST", "/token") => inner.token_requests += 1,
            ("POST", "/oauth/token") => {
                let grant = url::form_urlencoded::parse(&request.body)
                    .find(|(k, _)| k == "grant_type")
                    .map(|(_, v)| v.into_owned())
                    .unwrap_or_default();
                *inner.oauth_token_requests.entry(grant).or_default() += 1;
            }
            _ => {}
        }
        *inner
            .counts
            .entry((request.method.clone(), request.path.clone()))
            .or_default() += 1;
        if inner.log.len() == LOG_CAPACITY {
            inner.log.pop_front();
        }
        inner.log.push_back(request);
    }

    /// Requests seen for this method (case-insensitive) and exact path.
    pub fn count(&self, method: &str, path: &str) -> u64 {
        let key = (method.to_ascii_uppercase(), path.to_string());
        self.lock().counts.get(&key).copied().unwrap_or(0)
    }

    /// A copy of the log, oldest first.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.lock().log.iter().cloned().collect()
    }

    /// `POST /token` requests received (including rejected and faulted ones).
    pub fn token_requests(&self) -> u64 {
        self.lock().token_requests
    }

    /// `POST /oauth/token` requests received with this `grant_type` (`""` when missing).
    pub fn oauth_token_requests(&self, grant_type: &str) -> u64 {
        self.lock()
            .oauth_token_requests
            .get(grant_type)
            .copied()
            .unwrap_or(0)
    }
}

/// Outermost middleware: buffers and records the request, then logs method, path and status at debug level.
pub async fn middleware(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let (parts, body) = request.into_parts();
    let body = match axum::body::to_bytes(body, MAX_BODY_BYTES).await {
        Ok(bytes) => bytes,
        Err(_) => {
            return (
                http::StatusCode::PAYLOAD_TOO_LARGE,
                "request body too large",
            )
                .into_response()
        }
    };
    let method = parts.method.to_string();
    let path = parts.uri.path().to_string();
    state.observations.record(RecordedRequest {
        method: method.clone(),
        path: path.clone(),
        query: parts.uri.query().map(str::to_string),
        header_names: parts
            .headers
            .keys()
            .map(|k| k.as_str().to_string())
            .collect(),
        body: body.clone(),
    });
    let response = next.run(Request::from_parts(parts, Body::from(body))).await;
    tracing::debug!(%method, %path, status = response.status().as_u16(), "sandbox request");
    response
}

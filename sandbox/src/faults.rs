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

/// Random faults on a share of all API requests (not `/token` nor the streamers), drawn from a seeded
/// generator so a run can be repeated: the background noise of a soak test. Shares are fractions (0.05 = 5 %).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Chaos {
    /// Seed of the draws.
    pub seed: u64,
    /// Share answered 500/502/503 before acting.
    pub server_errors: f64,
    /// Share answered 429 with `Retry-After: 1` and `X-RateLimit-Remaining: 0`.
    pub rate_limited: f64,
    /// Share handled, then answered 502 (the change stays: the client cannot know it happened).
    pub errors_after_act: f64,
    /// Share handled, then cut in the middle of the body.
    pub resets_after_act: f64,
    /// Share answered 200 with a truncated JSON body before acting.
    pub malformed: f64,
    /// Latency added to every request.
    pub latency: std::time::Duration,
    /// Share with an extra latency spike.
    pub spikes: f64,
    /// Length of a spike.
    pub spike: std::time::Duration,
}

/// Faults injected so far, by kind.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FaultCounts {
    /// Rule-based faults ([`Faults::inject`]).
    pub rules: u64,
    /// Chaos 5xx before acting.
    pub server_errors: u64,
    /// Chaos 429s.
    pub rate_limited: u64,
    /// Chaos 502s after acting.
    pub errors_after_act: u64,
    /// Chaos cut bodies after acting.
    pub resets_after_act: u64,
    /// Chaos truncated bodies.
    pub malformed: u64,
    /// Chaos latency spikes.
    pub spikes: u64,
}

impl FaultCounts {
    /// Every injected fault (latency spikes included).
    pub fn total(&self) -> u64 {
        self.rules
            + self.server_errors
            + self.rate_limited
            + self.errors_after_act
            + self.resets_after_act
            + self.malformed
            + self.spikes
    }
}

#[derive(Default)]
struct FaultsInner {
    rules: Vec<FaultRule>,
    injected: u64,
    chaos: Option<(Chaos, rand::rngs::StdRng)>,
    counts: FaultCounts,
}

/// What chaos decided for one request.
enum Draw {
    Pass,
    Before(u16, bool),
    Malformed,
    AfterAct(bool),
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

    /// How many requests have been answered by a fault rule so far.
    pub fn injected_count(&self) -> u64 {
        self.lock().injected
    }

    /// Switches chaos on (replacing earlier chaos), or off with `None`.
    pub fn set_chaos(&self, chaos: Option<Chaos>) {
        use rand::SeedableRng;
        self.lock().chaos = chaos.map(|c| {
            let rng = rand::rngs::StdRng::seed_from_u64(c.seed);
            (c, rng)
        });
    }

    /// Faults injected so far, by kind.
    pub fn counts(&self) -> FaultCounts {
        let inner = self.lock();
        FaultCounts {
            rules: inner.injected,
            ..inner.counts
        }
    }

    fn draw(&self, path: &str) -> (Draw, std::time::Duration) {
        use rand::Rng;
        let mut inner = self.lock();
        let FaultsInner { chaos, counts, .. } = &mut *inner;
        let Some((c, rng)) = chaos.as_mut() else {
            return (Draw::Pass, std::time::Duration::ZERO);
        };
        if !path.starts_with("/v") {
            return (Draw::Pass, std::time::Duration::ZERO);
        }
        let mut delay = c.latency;
        if rng.random::<f64>() < c.spikes {
            counts.spikes += 1;
            delay += c.spike;
        }
        let roll: f64 = rng.random();
        let mut edge = c.server_errors;
        let draw = if roll < edge {
            counts.server_errors += 1;
            Draw::Before([500, 502, 503][rng.random_range(0..3)], false)
        } else if roll < {
            edge += c.rate_limited;
            edge
        } {
            counts.rate_limited += 1;
            Draw::Before(429, true)
        } else if roll < {
            edge += c.errors_after_act;
            edge
        } {
            counts.errors_after_act += 1;
            Draw::AfterAct(false)
        } else if roll < {
            edge += c.resets_after_act;
            edge
        } {
            counts.resets_after_act += 1;
            Draw::AfterAct(true)
        } else if roll < edge + c.malformed {
            counts.malformed += 1;
            Draw::Malformed
        } else {
            Draw::Pass
        };
        (draw, delay)
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

/// A response whose body is cut after a few bytes (the connection breaks mid-answer).
fn cut(parts: http::response::Parts) -> Response {
    let body = futures::stream::iter([
        Ok::<_, std::io::Error>(bytes::Bytes::from_static(b"{\"Id\":")),
        Err(std::io::Error::new(
            std::io::ErrorKind::ConnectionReset,
            "injected reset",
        )),
    ]);
    Response::from_parts(parts, axum::body::Body::from_stream(body))
}

/// Applies chaos to one request.
async fn chaos(draw: Draw, delay: std::time::Duration, request: Request, next: Next) -> Response {
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    match draw {
        Draw::Pass => next.run(request).await,
        Draw::Before(status, rate_limited) => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
            let mut response = (status, ApiError::InjectedFault.body()).into_response();
            if rate_limited {
                let h = response.headers_mut();
                h.insert(http::header::RETRY_AFTER, HeaderValue::from_static("1"));
                h.insert("x-ratelimit-remaining", HeaderValue::from_static("0"));
                h.insert("x-ratelimit-reset", HeaderValue::from_static("1"));
            }
            response
        }
        Draw::Malformed => (
            StatusCode::OK,
            [(http::header::CONTENT_TYPE, "application/json")],
            "{\"Result\": [{\"Id\": 1, \"Sym",
        )
            .into_response(),
        Draw::AfterAct(reset) => {
            let acted = next.run(request).await;
            if reset {
                cut(acted.into_parts().0)
            } else {
                (StatusCode::BAD_GATEWAY, ApiError::InjectedFault.body()).into_response()
            }
        }
    }
}

/// Middleware answering matching requests with the injected fault (rules first, then chaos).
pub async fn middleware(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let Some(rule) = state
        .faults
        .take(request.method().as_str(), request.uri().path())
    else {
        let (draw, delay) = state.faults.draw(request.uri().path());
        return chaos(draw, delay, request, next).await;
    };
    if rule.after_act {
        let acted = next.run(request).await;
        if let Some(d) = rule.delay {
            tokio::time::sleep(d).await;
        }
        if rule.reset {
            return cut(acted.into_parts().0);
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

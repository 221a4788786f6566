//! Shared HTTP pieces: the vendor's error bodies, the app-key check, the `/v{version}` guard
//! (version, typed path segments, bearer token) and the routing fallbacks.

use axum::extract::{FromRequestParts, RawPathParams, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use http::request::Parts;
use http::{HeaderMap, Method, StatusCode, Uri};
use serde_json::{json, Value};

use crate::state::{AppState, TokenKind};

/// Versions the sandbox serves (the path segment after the `v`).
pub const SUPPORTED_VERSIONS: &[&str] = &["1.0", "1"];

/// Every non-`/token` error the ETNA side answers with, in one place.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ApiError {
    /// 403: missing or wrong `Et-App-Key`.
    AppKey,
    /// 401: missing, unknown, revoked or expired token, or someone else's resource.
    Denied,
    /// 404: no route matches (ASP.NET routing body, with the absolute request URI).
    RouteNotFound {
        /// The absolute request URI.
        uri: String,
    },
    /// 404: the route exists but not for this version or method.
    UnsupportedApiVersion {
        /// Version as in the path, without the `v`.
        version: String,
        /// The request method.
        method: String,
    },
    /// 404 with `[]`: unknown trading account.
    AccountNotFound,
    /// 500 `ResourceBasedResponse`: unknown user id.
    UserNull,
    /// The body of an injected fault (the status comes from the rule).
    InjectedFault,
    /// 422: model validation failed, with the vendor's `ModelState` body (`"<param>.<Field>": [messages]`).
    Validation {
        /// Field (as `<param>.<Field>`) and message pairs.
        model_state: Vec<(String, String)>,
    },
    /// Any other status with an ASP.NET `{"Message": ...}` body (400 bad filter, 404 unknown
    /// security, 409 business conflict).
    Message {
        /// The HTTP status.
        status: StatusCode,
        /// The message.
        message: String,
    },
}

impl ApiError {
    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::AppKey => StatusCode::FORBIDDEN,
            ApiError::Denied => StatusCode::UNAUTHORIZED,
            ApiError::RouteNotFound { .. }
            | ApiError::UnsupportedApiVersion { .. }
            | ApiError::AccountNotFound => StatusCode::NOT_FOUND,
            ApiError::UserNull => StatusCode::INTERNAL_SERVER_ERROR,
            ApiError::InjectedFault => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Validation { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::Message { status, .. } => *status,
        }
    }

    /// The JSON body, as the vendor sends it.
    pub fn body(&self) -> Json<Value> {
        Json(match self {
            ApiError::AppKey => {
                json!({"error": "Application key is not defined or does not exist"})
            }
            ApiError::Denied => {
                json!({"Message": "Authorization has been denied for this request."})
            }
            ApiError::RouteNotFound { uri } => json!({
                "Message": format!("No HTTP resource was found that matches the request URI '{uri}'.")
            }),
            ApiError::UnsupportedApiVersion { version, method } => json!({"Error": {
                "Code": "UnsupportedApiVersion",
                "Message": format!(
                    "The requested resource with API version '{version}' does not support HTTP method '{method}'."
                ),
            }}),
            ApiError::AccountNotFound => json!([]),
            ApiError::UserNull => json!({
                "Model": null,
                "Errors": ["Value cannot be null.\r\nParameter name: user"],
                "StatusCode": 500,
                "IsSucceed": false,
            }),
            ApiError::InjectedFault => json!({"Message": "Injected fault"}),
            ApiError::Validation { model_state } => {
                let mut state = serde_json::Map::new();
                for (field, message) in model_state {
                    let entry = state.entry(field.clone()).or_insert_with(|| json!([]));
                    if let Some(list) = entry.as_array_mut() {
                        list.push(json!(message));
                    }
                }
                // "occured" is the vendor's spelling.
                json!({"Message": "Validation error occured while processing entity", "ModelState": state})
            }
            ApiError::Message { message, .. } => json!({ "Message": message }),
        })
    }

    /// A 400 with this message.
    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::Message {
            status: StatusCode::BAD_REQUEST,
            message: message.into(),
        }
    }

    /// A 404 with this message.
    pub fn not_found(message: impl Into<String>) -> ApiError {
        ApiError::Message {
            status: StatusCode::NOT_FOUND,
            message: message.into(),
        }
    }

    /// A 409 with this message.
    pub fn conflict(message: impl Into<String>) -> ApiError {
        ApiError::Message {
            status: StatusCode::CONFLICT,
            message: message.into(),
        }
    }

    /// A 422 for one field.
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> ApiError {
        ApiError::Validation {
            model_state: vec![(field.into(), message.into())],
        }
    }

    /// The route-not-found error for this request URI.
    pub fn route_not_found(state: &AppState, uri: &Uri) -> ApiError {
        let path = uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
        ApiError::RouteNotFound {
            uri: format!("{}{}", state.base_url, path),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status(), self.body()).into_response()
    }
}

/// Whether this path belongs to the OAuth IdP (which lives on the Auth0 host in production and takes no app key).
pub fn is_idp_path(path: &str) -> bool {
    matches!(
        path,
        "/authorize" | "/oauth/token" | "/.well-known/openid-configuration"
    )
}

/// Middleware: every request except the IdP's must carry the configured `Et-App-Key`.
pub async fn require_app_key(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let ok = is_idp_path(request.uri().path())
        || request
            .headers()
            .get("et-app-key")
            .is_some_and(|v| v.as_bytes() == state.app_key.as_bytes());
    if ok {
        next.run(request).await
    } else {
        ApiError::AppKey.into_response()
    }
}

/// The bearer token of the `Authorization` header, if any.
pub fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(http::header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// Who is calling a `/v{version}` resource: the user behind a live session or OAuth access token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Caller {
    /// The user's internal id.
    pub user_id: i32,
}

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Caller>()
            .copied()
            .ok_or(ApiError::Denied)
    }
}

/// The `{user_id}` path segment: a numeric id or `@me`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UserRef {
    /// `@me`: the caller.
    Me,
    /// A numeric user id.
    Id(i32),
}

impl UserRef {
    /// Parses a path segment.
    pub fn parse(segment: &str) -> Option<UserRef> {
        if segment.eq_ignore_ascii_case("@me") {
            Some(UserRef::Me)
        } else {
            segment.parse().ok().map(UserRef::Id)
        }
    }

    /// The user id this refers to for `caller`.
    pub fn resolve(self, caller: Caller) -> i32 {
        match self {
            UserRef::Me => caller.user_id,
            UserRef::Id(id) => id,
        }
    }
}

impl<'de> serde::Deserialize<'de> for UserRef {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        UserRef::parse(&s).ok_or_else(|| serde::de::Error::custom("expected a user id or @me"))
    }
}

/// Whether a path parameter has the shape its name promises (ASP.NET route constraints).
fn param_is_valid(name: &str, value: &str) -> bool {
    match name {
        "user_id" => UserRef::parse(value).is_some(),
        "account_id" | "order_id" => value.parse::<i32>().is_ok(),
        "watchlist_id" | "alert_id" | "security_id" | "agreement_id" => {
            value.parse::<i32>().is_ok()
        }
        "ach_id" | "transfer_id" => uuid::Uuid::parse_str(value).is_ok(),
        _ => true,
    }
}

/// Route middleware of every `/{version}/...` route: checks the version segment, the typed path
/// segments and the bearer token, then puts the [`Caller`] into the request extensions.
pub async fn api_guard(
    State(state): State<AppState>,
    params: RawPathParams,
    mut request: Request,
    next: Next,
) -> Response {
    for (name, value) in &params {
        if name == "version" {
            match value.strip_prefix('v') {
                None => return ApiError::route_not_found(&state, request.uri()).into_response(),
                Some(v) if !SUPPORTED_VERSIONS.contains(&v) => {
                    let method = request.method().to_string();
                    return ApiError::UnsupportedApiVersion {
                        version: v.to_string(),
                        method,
                    }
                    .into_response();
                }
                Some(_) => {}
            }
        } else {
            // The mutual-fund routes take a clearing number where the others take an account id.
            let clearing_number =
                name == "account_id" && request.uri().path().contains("/mutual-funds");
            if clearing_number || param_is_valid(name, value) {
                continue;
            }
            return ApiError::route_not_found(&state, request.uri()).into_response();
        }
    }
    let caller = {
        let tables = state.tables();
        bearer_token(request.headers())
            .and_then(|t| tables.live_token(t))
            .filter(|r| {
                matches!(r.kind, TokenKind::Session | TokenKind::OAuthAccess)
                    || (r.kind == TokenKind::Restricted && is_password_change(&request))
            })
            .map(|r| Caller { user_id: r.user_id })
    };
    match caller {
        Some(caller) => {
            request.extensions_mut().insert(caller);
            next.run(request).await
        }
        None => ApiError::Denied.into_response(),
    }
}

/// Whether this is `PUT /v{version}/users/{userId}/password/change`, the one resource a restricted token
/// (handed out for an expired password) may call.
fn is_password_change(request: &Request) -> bool {
    request.method() == Method::PUT && request.uri().path().ends_with("/password/change")
}

/// Router fallback: no route matches.
pub async fn fallback(State(state): State<AppState>, uri: Uri) -> ApiError {
    ApiError::route_not_found(&state, &uri)
}

/// Router fallback for a known path with another method: ASP.NET API versioning answers 404
/// `UnsupportedApiVersion` naming the method for `/v{version}` routes, and route-not-found otherwise.
pub async fn method_not_allowed(
    State(state): State<AppState>,
    method: Method,
    uri: Uri,
) -> ApiError {
    let first = uri
        .path()
        .trim_start_matches('/')
        .split('/')
        .next()
        .unwrap_or("");
    match first.strip_prefix('v') {
        Some(version) if !version.is_empty() => ApiError::UnsupportedApiVersion {
            version: version.to_string(),
            method: method.to_string(),
        },
        _ => ApiError::route_not_found(&state, &uri),
    }
}

/// Serde helpers for ISO-8601 UTC timestamps with milliseconds, e.g. `2024-01-02T14:30:03.716Z`.
pub mod iso_millis {
    use chrono::{DateTime, SecondsFormat, Utc};
    use serde::Serializer;

    /// Serializes a timestamp as `YYYY-MM-DDTHH:MM:SS.mmmZ`.
    pub fn serialize<S: Serializer>(value: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&value.to_rfc3339_opts(SecondsFormat::Millis, true))
    }
}

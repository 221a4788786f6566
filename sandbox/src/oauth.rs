//! The Auth0-style OAuth 2.0 IdP: discovery, `/authorize` and `/oauth/token`.
//!
//! Standards followed: RFC 6749 (authorization code and refresh token grants, client authentication
//! by `client_secret_basic` or `client_secret_post`), RFC 7636 (PKCE, S256 only) and RFC 8252
//! (loopback redirect URIs on any port). In production these endpoints live on the Auth0 host, so
//! they take no `Et-App-Key`.

use std::collections::HashMap;

use axum::extract::{Query, RawForm, State};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine;
use http::{header, HeaderMap, HeaderValue, StatusCode};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use url::{Host, Url};

use crate::state::{
    deadline, random_token, AppState, AuthCode, RefreshRecord, TokenKind, AUTH_CODE_TTL,
};

/// Scopes the IdP advertises.
pub const SCOPES_SUPPORTED: &[&str] = &["openid", "profile", "email", "offline_access"];

/// Routes of this module.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/.well-known/openid-configuration", get(discovery))
        .route("/authorize", get(authorize))
        .route("/oauth/token", post(token))
}

/// `GET /.well-known/openid-configuration`.
pub async fn discovery(State(state): State<AppState>) -> Json<Value> {
    let url = &state.base_url;
    Json(json!({
        "issuer": url,
        "authorization_endpoint": format!("{url}/authorize"),
        "token_endpoint": format!("{url}/oauth/token"),
        "response_types_supported": ["code"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "scopes_supported": SCOPES_SUPPORTED,
    }))
}

/// Whether `uri` may receive codes: an RFC 8252 loopback URI (`http`, host `127.0.0.1`, `[::1]` or
/// `localhost`, any port and path) or one of the client's exact URIs. Fragments are never allowed.
pub fn redirect_uri_allowed(state: &AppState, uri: &str) -> bool {
    if state.oauth_client.redirect_uris.iter().any(|u| u == uri) {
        return true;
    }
    let Ok(url) = Url::parse(uri) else {
        return false;
    };
    let loopback = match url.host() {
        Some(Host::Ipv4(ip)) => ip == std::net::Ipv4Addr::LOCALHOST,
        Some(Host::Ipv6(ip)) => ip == std::net::Ipv6Addr::LOCALHOST,
        Some(Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        None => false,
    };
    url.scheme() == "http" && loopback && url.fragment().is_none() && url.username().is_empty()
}

/// A 400 page for errors that must not be redirected (unknown client, bad redirect URI).
fn error_page(message: &str) -> Response {
    let body = format!("<!doctype html><title>Authorization error</title><h1>Authorization error</h1><p>{message}</p>");
    (StatusCode::BAD_REQUEST, Html(body)).into_response()
}

/// `<redirect_uri>` with these query parameters appended (with `&` if it already has a query).
fn redirect_with(redirect_uri: &str, params: &[(&str, &str)]) -> Response {
    let Ok(mut url) = Url::parse(redirect_uri) else {
        return error_page("Invalid redirect_uri");
    };
    {
        let mut pairs = url.query_pairs_mut();
        for (k, v) in params {
            pairs.append_pair(k, v);
        }
    }
    match HeaderValue::from_str(url.as_str()) {
        Ok(location) => (StatusCode::FOUND, [(header::LOCATION, location)]).into_response(),
        Err(_) => error_page("Invalid redirect_uri"),
    }
}

/// An RFC 6749 4.1.2.1 error redirect.
fn error_redirect(
    redirect_uri: &str,
    error: &str,
    description: &str,
    state: Option<&str>,
) -> Response {
    let mut params = vec![("error", error), ("error_description", description)];
    if let Some(s) = state {
        params.push(("state", s));
    }
    redirect_with(redirect_uri, &params)
}

/// `GET /authorize`: validates the client and redirect URI, then auto-approves the configured user.
pub async fn authorize(
    State(state): State<AppState>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let param = |k: &str| q.get(k).map(String::as_str).filter(|v| !v.is_empty());
    if param("client_id") != Some(state.oauth_client.client_id.as_str()) {
        return error_page("Unknown client_id");
    }
    let Some(redirect_uri) = param("redirect_uri").filter(|u| redirect_uri_allowed(&state, u))
    else {
        return error_page("The redirect_uri is missing or not allowed for this client");
    };
    let st = param("state");
    if param("response_type") != Some("code") {
        let (error, text) = match param("response_type") {
            None => ("invalid_request", "response_type is required"),
            Some(_) => (
                "unsupported_response_type",
                "Only response_type=code is supported",
            ),
        };
        return error_redirect(redirect_uri, error, text, st);
    }
    let Some(challenge) = param("code_challenge") else {
        return error_redirect(
            redirect_uri,
            "invalid_request",
            "code_challenge is required (PKCE)",
            st,
        );
    };
    if param("code_challenge_method") != Some("S256") {
        return error_redirect(
            redirect_uri,
            "invalid_request",
            "code_challenge_method must be S256",
            st,
        );
    }
    let scope = param("scope")
        .unwrap_or("openid")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    let user_id = state
        .dir()
        .user_by_name(&state.oauth_client.auto_approve_username)
        .map(|u| u.id);
    let Some(user_id) = user_id else {
        return error_redirect(redirect_uri, "access_denied", "No user to approve", st);
    };
    let code = random_token();
    let record = AuthCode {
        client_id: state.oauth_client.client_id.clone(),
        redirect_uri: redirect_uri.to_string(),
        code_challenge: challenge.to_string(),
        scope,
        user_id,
        expires_at: deadline(AUTH_CODE_TTL),
        redeemed: false,
        issued_tokens: Vec::new(),
    };
    state.tables().codes.insert(code.clone(), record);
    let mut params = vec![("code", code.as_str())];
    if let Some(s) = st {
        params.push(("state", s));
    }
    redirect_with(redirect_uri, &params)
}

/// An RFC 6749 5.2 token endpoint error.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OAuthError {
    status: StatusCode,
    error: &'static str,
    description: String,
}

impl OAuthError {
    fn new(error: &'static str, description: impl Into<String>) -> OAuthError {
        OAuthError {
            status: StatusCode::BAD_REQUEST,
            error,
            description: description.into(),
        }
    }

    fn invalid_client() -> OAuthError {
        OAuthError {
            status: StatusCode::UNAUTHORIZED,
            error: "invalid_client",
            description: "Client authentication failed".to_string(),
        }
    }
}

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        let body = if self.error == "unsupported_grant_type" {
            json!({"error": self.error})
        } else {
            json!({"error": self.error, "error_description": self.description})
        };
        let mut response = (self.status, Json(body)).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Basic"));
        }
        response
    }
}

/// Decodes `application/x-www-form-urlencoded` text (RFC 6749 2.3.1 encoding of client credentials).
fn form_decode(s: &str) -> String {
    url::form_urlencoded::parse(format!("x={s}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

/// The client credentials of the request: HTTP Basic, or `client_id` + `client_secret` form fields.
fn client_credentials(
    headers: &HeaderMap,
    form: &HashMap<String, String>,
) -> Result<(String, String), OAuthError> {
    let basic = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            let (scheme, rest) = v.trim().split_once(' ')?;
            scheme
                .eq_ignore_ascii_case("basic")
                .then(|| rest.trim().to_string())
        });
    match basic {
        Some(encoded) => {
            if form.contains_key("client_secret") {
                return Err(OAuthError::new(
                    "invalid_request",
                    "Use only one client authentication method",
                ));
            }
            let decoded = base64::engine::general_purpose::STANDARD
                .decode(encoded)
                .map_err(|_| OAuthError::invalid_client())?;
            let text = String::from_utf8(decoded).map_err(|_| OAuthError::invalid_client())?;
            let (id, secret) = text
                .split_once(':')
                .ok_or_else(OAuthError::invalid_client)?;
            let (id, secret) = (form_decode(id), form_decode(secret));
            if form.get("client_id").is_some_and(|f| *f != id) {
                return Err(OAuthError::invalid_client());
            }
            Ok((id, secret))
        }
        None => match (form.get("client_id"), form.get("client_secret")) {
            (Some(id), Some(secret)) => Ok((id.clone(), secret.clone())),
            _ => Err(OAuthError::invalid_client()),
        },
    }
}

/// `POST /oauth/token` (`application/x-www-form-urlencoded`).
pub async fn token(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawForm(raw): RawForm,
) -> Response {
    let form: HashMap<String, String> = url::form_urlencoded::parse(&raw).into_owned().collect();
    let grant_type = form.get("grant_type").cloned().unwrap_or_default();
    let result = exchange(&state, &headers, &form, &grant_type);
    let mut response = match result {
        Ok(body) => Json(body).into_response(),
        Err(e) => e.into_response(),
    };
    let h = response.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    response
}

fn exchange(
    state: &AppState,
    headers: &HeaderMap,
    form: &HashMap<String, String>,
    grant_type: &str,
) -> Result<Value, OAuthError> {
    if grant_type.is_empty() {
        return Err(OAuthError::new("invalid_request", "grant_type is required"));
    }
    let (id, secret) = client_credentials(headers, form)?;
    let client = &state.oauth_client;
    if id != client.client_id || secret != client.client_secret {
        return Err(OAuthError::invalid_client());
    }
    let field = |k: &str| form.get(k).map(String::as_str).filter(|v| !v.is_empty());
    match grant_type {
        "authorization_code" => {
            let code = field("code")
                .ok_or_else(|| OAuthError::new("invalid_request", "code is required"))?;
            let redirect_uri = field("redirect_uri")
                .ok_or_else(|| OAuthError::new("invalid_request", "redirect_uri is required"))?;
            let verifier = field("code_verifier")
                .ok_or_else(|| OAuthError::new("invalid_request", "code_verifier is required"))?;
            redeem_code(state, &id, code, redirect_uri, verifier)
        }
        "refresh_token" => {
            let refresh = field("refresh_token")
                .ok_or_else(|| OAuthError::new("invalid_request", "refresh_token is required"))?;
            let record = state
                .tables()
                .refresh_tokens
                .get(refresh)
                .filter(|r| r.client_id == id)
                .cloned();
            let record = record.ok_or_else(|| {
                OAuthError::new("invalid_grant", "Unknown or revoked refresh token")
            })?;
            let scope = match field("scope") {
                None => record.scope.clone(),
                Some(s)
                    if s.split_whitespace()
                        .all(|x| record.scope.split(' ').any(|g| g == x)) =>
                {
                    s.to_string()
                }
                Some(_) => {
                    return Err(OAuthError::new(
                        "invalid_scope",
                        "scope exceeds the original grant",
                    ))
                }
            };
            let access = state.issue_token(record.user_id, TokenKind::OAuthAccess);
            Ok(token_body(state, &access, &scope, None))
        }
        _ => Err(OAuthError::new("unsupported_grant_type", "")),
    }
}

/// BASE64URL-no-pad(SHA256(verifier)), the RFC 7636 S256 transform.
pub fn s256(verifier: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

fn verifier_syntax_ok(v: &str) -> bool {
    (43..=128).contains(&v.len())
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b))
}

fn redeem_code(
    state: &AppState,
    client_id: &str,
    code: &str,
    redirect_uri: &str,
    verifier: &str,
) -> Result<Value, OAuthError> {
    let grant = |d: &str| OAuthError::new("invalid_grant", d);
    let mut tables = state.tables();
    let Some(record) = tables.codes.get_mut(code) else {
        return Err(grant("Unknown authorization code"));
    };
    if record.redeemed {
        // Replay: revoke what the code already produced (RFC 6749 4.1.2).
        let issued = std::mem::take(&mut record.issued_tokens);
        for t in issued {
            tables.tokens.remove(&t);
            tables.refresh_tokens.remove(&t);
        }
        return Err(grant("Authorization code has already been used"));
    }
    // Any attempt by the right client uses the code up, successful or not.
    record.redeemed = true;
    if record.expires_at <= tokio::time::Instant::now() {
        return Err(grant("Authorization code has expired"));
    }
    if record.client_id != client_id {
        return Err(grant("Authorization code was issued to another client"));
    }
    if record.redirect_uri != redirect_uri {
        return Err(grant(
            "redirect_uri does not match the authorization request",
        ));
    }
    if !verifier_syntax_ok(verifier) || s256(verifier) != record.code_challenge {
        return Err(grant("PKCE verification failed"));
    }
    let (user_id, scope) = (record.user_id, record.scope.clone());
    drop(tables);
    let access = state.issue_token(user_id, TokenKind::OAuthAccess);
    let refresh = scope.split(' ').any(|s| s == "offline_access").then(|| {
        let refresh = random_token();
        let record = RefreshRecord {
            client_id: client_id.to_string(),
            user_id,
            scope: scope.clone(),
        };
        state
            .tables()
            .refresh_tokens
            .insert(refresh.clone(), record);
        refresh
    });
    if let Some(record) = state.tables().codes.get_mut(code) {
        record.issued_tokens.push(access.clone());
        record.issued_tokens.extend(refresh.clone());
    }
    Ok(token_body(state, &access, &scope, refresh.as_deref()))
}

fn token_body(state: &AppState, access: &str, scope: &str, refresh: Option<&str>) -> Value {
    let mut body = json!({
        "access_token": access,
        "token_type": "Bearer",
        "expires_in": state.access_token_ttl.as_secs(),
        "scope": scope,
    });
    if let Some(r) = refresh {
        body["refresh_token"] = json!(r);
    }
    body
}

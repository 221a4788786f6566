//! ETNA authentication: the `POST /token` step machine and `POST /logout`.
//!
//! Credentials travel as headers (`Username`, `Password`, `VerificationCode`, `PinCode`, `OAuthCode`,
//! `RedirectUri`); later steps resend them together with `Authorization: Bearer <interim token>`.
//! Each interim token (ticket) remembers which steps it has passed.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use http::{HeaderMap, StatusCode};
use serde::Serialize;
use serde_json::json;

use crate::http::bearer_token;
use crate::state::{deadline, random_token, AppState, Ticket, TokenKind, INTERIM_TTL};

/// Step name of the password step.
pub const STEP_BASE: &str = "BaseAuthentication";
/// Step name of the e-mailed code step.
pub const STEP_VERIFICATION: &str = "VerificationCode";

/// Routes of this module.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/token", post(token))
        .route("/logout", post(logout))
}

/// A `/token` answer: the spec's `Succeed` (200/202) or `Failed` (401) object.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct TokenAnswer {
    /// HTTP status: 200, 202 or 401.
    #[serde(skip)]
    pub status: u16,
    /// `Succeeded`, `Expecting` or `Failed`.
    pub state: &'static str,
    /// The step expected or failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub step: Option<String>,
    /// Human-readable reason.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<&'static str>,
    /// Session token (200) or interim token (202).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
}

impl TokenAnswer {
    fn succeeded(token: String) -> TokenAnswer {
        TokenAnswer {
            status: 200,
            state: "Succeeded",
            step: None,
            reason: None,
            token: Some(token),
        }
    }

    fn expecting(step: &str, reason: &'static str, token: String) -> TokenAnswer {
        TokenAnswer {
            status: 202,
            state: "Expecting",
            step: Some(step.to_string()),
            reason: Some(reason),
            token: Some(token),
        }
    }

    fn failed(step: &str, reason: &'static str) -> TokenAnswer {
        TokenAnswer {
            status: 401,
            state: "Failed",
            step: Some(step.to_string()),
            reason: Some(reason),
            token: None,
        }
    }
}

impl IntoResponse for TokenAnswer {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::UNAUTHORIZED);
        (status, Json(self)).into_response()
    }
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty())
}

/// `POST /token`.
pub async fn token(State(state): State<AppState>, headers: HeaderMap) -> TokenAnswer {
    match (header(&headers, "username"), header(&headers, "oauthcode")) {
        (Some(username), _) => password_login(&state, &headers, username),
        (None, Some(code)) => oauth_code_login(&state, code, header(&headers, "redirecturi")),
        (None, None) => TokenAnswer::failed(STEP_BASE, "Invalid credentials"),
    }
}

/// The user's login facts needed by the step machine.
struct Login {
    user_id: i32,
    username: String,
    two_factor: bool,
    pin: Option<String>,
    pin_step: String,
    password_expired: bool,
}

fn password_login(state: &AppState, headers: &HeaderMap, username: &str) -> TokenAnswer {
    let password = header(headers, "password").unwrap_or("");
    let login = state
        .dir()
        .user_by_name(username)
        .filter(|u| u.seed.password == password)
        .map(|u| Login {
            user_id: u.id,
            username: u.seed.username.clone(),
            two_factor: u.seed.two_factor,
            pin: u.seed.pin.clone(),
            pin_step: u.seed.pin_step_name.clone(),
            password_expired: u.seed.password_expired,
        });
    let Some(login) = login else {
        return TokenAnswer::failed(STEP_BASE, "Invalid credentials");
    };
    if login.password_expired {
        let restricted = state.issue_token(login.user_id, TokenKind::Restricted);
        return TokenAnswer::expecting(
            STEP_BASE,
            "Your Password has expired and must be changed",
            restricted,
        );
    }
    // The interim token the client sent back, if it is live and belongs to this user.
    let sent = bearer_token(headers).map(str::to_string);
    let ticket = sent.as_deref().and_then(|t| {
        state
            .tables()
            .live_ticket(t)
            .filter(|k| k.user_id == login.user_id)
            .cloned()
            .map(|k| (t.to_string(), k))
    });
    let mut ticket_id = ticket.as_ref().map(|(id, _)| id.clone());

    if login.two_factor && !ticket.as_ref().is_some_and(|(_, k)| k.passed_two_factor) {
        match (header(headers, "verificationcode"), &ticket_id) {
            (None, _) => {
                let code = state.send_verification_code(&login.username);
                let id = new_ticket(state, &login, Some(code));
                return TokenAnswer::expecting(
                    STEP_VERIFICATION,
                    "Expecting confirmation code",
                    id,
                );
            }
            (Some(_), None) => return TokenAnswer::failed(STEP_VERIFICATION, "Corrupted ticket"),
            (Some(code), Some(id)) => {
                // The code must be the one sent for this very ticket.
                let mut tables = state.tables();
                let Some(k) = tables.tickets.get_mut(id) else {
                    return TokenAnswer::failed(STEP_VERIFICATION, "Corrupted ticket");
                };
                if k.verification_code.as_deref() != Some(code) {
                    return TokenAnswer::failed(STEP_VERIFICATION, "Invalid verification code");
                }
                k.passed_two_factor = true;
                k.verification_code = None;
            }
        }
    }

    if let Some(pin) = &login.pin {
        match (header(headers, "pincode"), &ticket_id) {
            (None, _) => {
                let id = ticket_id
                    .take()
                    .unwrap_or_else(|| new_ticket(state, &login, None));
                // Users with 2FA always hold a ticket here (2FA is done); PIN-only users get a fresh one.
                return TokenAnswer::expecting(&login.pin_step, "Expecting pin code", id);
            }
            (Some(_), None) => return TokenAnswer::failed(&login.pin_step, "Corrupted ticket"),
            (Some(given), Some(_)) if given != pin => {
                return TokenAnswer::failed(&login.pin_step, "Invalid pin")
            }
            (Some(_), Some(_)) => {}
        }
    }

    if let Some(id) = ticket_id {
        state.tables().tickets.remove(&id);
    }
    TokenAnswer::succeeded(state.issue_token(login.user_id, TokenKind::Session))
}

fn new_ticket(state: &AppState, login: &Login, verification_code: Option<String>) -> String {
    let id = random_token();
    let ticket = Ticket {
        user_id: login.user_id,
        passed_two_factor: false,
        verification_code,
        expires_at: deadline(INTERIM_TTL),
    };
    state.tables().tickets.insert(id.clone(), ticket);
    id
}

/// `OAuthCode` + `RedirectUri`: redeems an authorization code from `/authorize` for an ETNA session token.
///
/// PKCE cannot be verified on this path: ETNA's `/token` has no header for a `code_verifier`, so only
/// the code itself, its expiry, single use and the exact redirect URI are checked.
fn oauth_code_login(state: &AppState, code: &str, redirect_uri: Option<&str>) -> TokenAnswer {
    let user_id = {
        let mut tables = state.tables();
        let now = tokio::time::Instant::now();
        match tables.codes.get_mut(code) {
            Some(c)
                if !c.redeemed
                    && c.expires_at > now
                    && Some(c.redirect_uri.as_str()) == redirect_uri =>
            {
                c.redeemed = true;
                Some(c.user_id)
            }
            _ => None,
        }
    };
    match user_id {
        Some(user_id) => TokenAnswer::succeeded(state.issue_token(user_id, TokenKind::Session)),
        None => TokenAnswer::failed(STEP_BASE, "Invalid OAuth code"),
    }
}

/// `POST /logout`: revokes the bearer token if one is sent; always 200 `{}`.
pub async fn logout(State(state): State<AppState>, headers: HeaderMap) -> Json<serde_json::Value> {
    if let Some(token) = bearer_token(&headers) {
        let mut tables = state.tables();
        tables.tokens.remove(token);
        tables.tickets.remove(token);
    }
    Json(json!({}))
}

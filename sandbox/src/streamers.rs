//! Streamer discovery: `GET /v{version}/streamers` names this sandbox's WebSocket endpoints
//! (`ws://HOST:PORT/stream/quotes` and `/stream/data`) with a session id per streamer, and
//! `PUT /v{version}/streamers/session/recover?sessionType=0|1` replaces a session with a new one.
//!
//! Session ids are kept in the store ([`session_owner`]) so the WebSocket endpoints can check them.

use axum::extract::State;
use axum::routing::{get, put};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

use crate::agreements::has_market_data;
use crate::extract::VQuery;
use crate::http::{ApiError, Caller};
use crate::state::AppState;
use crate::store::Store;

/// Routes of this module.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/{version}/streamers", get(streamers))
        .route("/{version}/streamers/session/recover", put(recover))
}

/// Path of the quote streamer's WebSocket endpoint.
pub const QUOTES_PATH: &str = "/stream/quotes";
/// Path of the data (orders, positions, balances, watchlists) streamer's WebSocket endpoint.
pub const DATA_PATH: &str = "/stream/data";

/// The two streamers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SessionType {
    /// `0`: orders, positions, balances, watchlists.
    Data,
    /// `1`: quotes.
    Quote,
}

impl SessionType {
    /// The `sessionType` number of the recover route.
    pub fn from_number(n: i32) -> Option<SessionType> {
        match n {
            0 => Some(SessionType::Data),
            1 => Some(SessionType::Quote),
            _ => None,
        }
    }
}

/// A live streamer session.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StreamerSession {
    /// Whose session.
    pub user_id: i32,
    /// Which streamer.
    pub session_type: SessionType,
}

/// The owner and streamer of a live session id, if any.
pub fn session_owner(store: &Store, session_id: &str) -> Option<StreamerSession> {
    store.streamer_sessions.get(session_id).cloned()
}

/// The live session of `user_id` on a streamer, created if there is none.
fn session_for(store: &mut Store, user_id: i32, session_type: SessionType) -> String {
    let existing = store
        .streamer_sessions
        .iter()
        .filter(|(_, s)| s.user_id == user_id && s.session_type == session_type)
        .map(|(id, _)| id.clone())
        .min();
    existing.unwrap_or_else(|| new_session(store, user_id, session_type))
}

/// Replaces every session of `user_id` on a streamer with a new one.
fn new_session(store: &mut Store, user_id: i32, session_type: SessionType) -> String {
    store
        .streamer_sessions
        .retain(|_, s| !(s.user_id == user_id && s.session_type == session_type));
    let id = store.new_uuid().to_string();
    store.streamer_sessions.insert(
        id.clone(),
        StreamerSession {
            user_id,
            session_type,
        },
    );
    id
}

/// The spec's `UrlDesc`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct UrlDesc {
    /// WebSocket URL.
    pub url: String,
    /// `Delayed` without a signed market-data agreement, `EntitlementBased` with one (data: `delayed`).
    #[serde(rename = "Type")]
    pub kind: String,
    /// The streamer session id.
    pub session_id: String,
}

/// The spec's `StreamerDataModel`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct StreamerDataModel {
    /// The quote streamer(s).
    pub quote_addresses: Vec<UrlDesc>,
    /// The data streamer(s).
    pub data_addresses: Vec<UrlDesc>,
}

/// The WebSocket base of this sandbox (`http://h:p` becomes `ws://h:p`).
pub fn ws_base(base_url: &str) -> String {
    if let Some(rest) = base_url.strip_prefix("https://") {
        format!("wss://{rest}")
    } else if let Some(rest) = base_url.strip_prefix("http://") {
        format!("ws://{rest}")
    } else {
        base_url.to_string()
    }
}

/// `GET /v{version}/streamers`.
pub async fn streamers(State(state): State<AppState>, caller: Caller) -> Json<StreamerDataModel> {
    let base = ws_base(&state.base_url);
    let mut store = state.rest();
    let quote_kind = if has_market_data(&store, caller.user_id) {
        "EntitlementBased"
    } else {
        "Delayed"
    };
    let quote = session_for(&mut store, caller.user_id, SessionType::Quote);
    let data = session_for(&mut store, caller.user_id, SessionType::Data);
    Json(StreamerDataModel {
        quote_addresses: vec![UrlDesc {
            url: format!("{base}{QUOTES_PATH}"),
            kind: quote_kind.to_string(),
            session_id: quote,
        }],
        data_addresses: vec![UrlDesc {
            url: format!("{base}{DATA_PATH}"),
            kind: "delayed".to_string(),
            session_id: data,
        }],
    })
}

/// Query of the recover route.
#[derive(Debug, Deserialize)]
pub struct RecoverQuery {
    /// `0` data, `1` quote.
    #[serde(rename = "sessiontype")]
    pub session_type: i32,
}

/// `PUT /v{version}/streamers/session/recover?sessionType=`: a new session id (a bare JSON string, as
/// the spec says); the old session of that streamer stops being valid. Other session types are 422.
pub async fn recover(
    State(state): State<AppState>,
    caller: Caller,
    VQuery(q): VQuery<RecoverQuery>,
) -> Result<Json<String>, ApiError> {
    let session_type = SessionType::from_number(q.session_type).ok_or_else(|| {
        ApiError::invalid(
            "sessionType",
            format!(
                "The value '{}' is not valid: 0 (data) or 1 (quote).",
                q.session_type
            ),
        )
    })?;
    let mut store = state.rest();
    Ok(Json(new_session(&mut store, caller.user_id, session_type)))
}

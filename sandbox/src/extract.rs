//! Request parsing with the vendor's failure bodies: JSON bodies whose model errors become 422
//! `ModelState` entries named `<param>.<Field>`, and query strings whose missing or malformed
//! required parameters become the ASP.NET routing 404.

use axum::extract::{FromRequestParts, Query};
use bytes::Bytes;
use http::request::Parts;
use serde::de::DeserializeOwned;

use crate::http::ApiError;
use crate::state::AppState;

/// Parses a JSON request body bound to the action parameter `param` (e.g. `"model"`).
///
/// The body must be a JSON object. An empty or `null` body is `"<param>": ["The <param> field is required."]`; a body of the wrong
/// shape names the first offending field, e.g. `"model.Amount": ["Error converting value ..."]`.
pub fn parse_body<T: DeserializeOwned>(param: &str, body: &Bytes) -> Result<T, ApiError> {
    let text = std::str::from_utf8(body).unwrap_or("").trim();
    if text.is_empty() || text == "null" {
        return Err(ApiError::invalid(
            param,
            format!("The {param} field is required."),
        ));
    }
    if !text.starts_with('{') {
        return Err(ApiError::invalid(
            param,
            format!("The {param} field must be a JSON object."),
        ));
    }
    let mut de = serde_json::Deserializer::from_str(text);
    match serde_path_to_error::deserialize::<_, T>(&mut de) {
        Ok(value) => Ok(value),
        Err(e) => {
            let path = e.path().to_string();
            let field = if path.is_empty() || path == "." {
                param.to_string()
            } else {
                format!("{param}.{path}")
            };
            Err(ApiError::invalid(field, e.inner().to_string()))
        }
    }
}

/// A query string of required parameters. Names match case-insensitively, as ASP.NET binds them:
/// `T`'s fields must be renamed to all-lowercase names (e.g. `#[serde(rename = "sessiontype")]`).
/// When one is missing or does not parse, no action matches: the vendor answers 404 with the routing
/// body naming the request URI (CATALOGUE §3.0).
#[derive(Debug, Clone)]
pub struct VQuery<T>(pub T);

impl<T: DeserializeOwned + Send> FromRequestParts<AppState> for VQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let lowered: String = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(
                url::form_urlencoded::parse(parts.uri.query().unwrap_or("").as_bytes())
                    .map(|(k, v)| (k.to_ascii_lowercase(), v)),
            )
            .finish();
        let uri: http::Uri = format!("/?{lowered}")
            .parse()
            .map_err(|_| ApiError::route_not_found(state, &parts.uri))?;
        match Query::<T>::try_from_uri(&uri) {
            Ok(Query(value)) => Ok(VQuery(value)),
            Err(_) => Err(ApiError::route_not_found(state, &parts.uri)),
        }
    }
}

/// Lenient boolean of a query string, as ASP.NET binds it (`true`/`false`, any case).
pub fn parse_bool(value: &str) -> Option<bool> {
    match value.to_ascii_lowercase().as_str() {
        "true" => Some(true),
        "false" => Some(false),
        _ => None,
    }
}

/// `204 No Content`, labelled `application/json` like the operation's other answers (the body is empty).
pub fn no_content() -> axum::response::Response {
    use axum::response::IntoResponse;
    (
        http::StatusCode::NO_CONTENT,
        [(
            http::header::CONTENT_TYPE,
            "application/json; charset=utf-8",
        )],
    )
        .into_response()
}

//! One error type for the whole SDK.
//!
//! Every failure is an [`Error`] variant with a stable [`ErrorKind`] code (`err.kind().code()`), which the Python
//! and Node bindings map one to one onto their own error classes and `err.code` values. Messages never contain a
//! secret: credentials and tokens are [`crate::Secret`]s, and server bodies are kept only for error responses.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

/// The result type of every fallible SDK call.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in the SDK.
///
/// Match on [`Error::kind`] for the broad class (it is stable across releases and across the three languages);
/// the variant fields carry the details.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A configuration value is missing, malformed or not allowed (for example a non-`https` remote base URL, or
    /// the live environment without the opt-in).
    #[error("configuration error in `{field}`: {message}")]
    Config {
        /// The setting, as named in the builder or its `AUTOSHARES_*` variable.
        field: String,
        /// What is wrong and how to fix it.
        message: String,
    },

    /// Authentication failed, or needs something the caller did not supply.
    #[error("authentication failed ({kind}) at step `{step}`: {message}")]
    Auth {
        /// What went wrong, as a stable code.
        kind: AuthErrorKind,
        /// The login step that failed, as the server names it (`BaseAuthentication`, `VerificationCode`,
        /// `SecutityPin`, ...) or the OAuth stage (`authorize`, `callback`, `code_exchange`, `refresh`).
        step: String,
        /// The server's reason, or ours.
        message: String,
    },

    /// The server answered with an error status.
    #[error("HTTP {status} from {operation}: {message}")]
    Api {
        /// HTTP status code.
        status: u16,
        /// The operation that failed (its spec operation id, or the path).
        operation: String,
        /// The server's error code when its body has one (`UnsupportedApiVersion`, `invalid_grant`, ...).
        code: Option<String>,
        /// The server's message, or the status text.
        message: String,
        /// The response body (truncated to 4 KiB).
        body: String,
        /// Our request id (`X-Request-Id`), also in the tracing span of the call.
        request_id: String,
    },

    /// The server refused the call because of its rate limits (HTTP 429).
    #[error("rate limited on {operation}{}", fmt_retry(.retry_after))]
    RateLimited {
        /// The operation that was refused.
        operation: String,
        /// How long the server asked us to wait (`Retry-After`), if it said.
        retry_after: Option<Duration>,
        /// Our request id.
        request_id: String,
    },

    /// An argument is invalid; nothing was sent.
    #[error("invalid `{field}`: {message}")]
    Validation {
        /// The argument or field, e.g. `price` or `legs[1].quantity`.
        field: String,
        /// Why it is invalid.
        message: String,
    },

    /// The request could not be sent or the response not received (DNS, connect, TLS, reset).
    #[error("transport error on {operation}: {message}")]
    Transport {
        /// The operation.
        operation: String,
        /// What failed.
        message: String,
        /// Our request id.
        request_id: String,
        /// The underlying error.
        #[source]
        source: Option<Arc<dyn std::error::Error + Send + Sync>>,
    },

    /// The call did not finish within its timeout.
    #[error("timed out on {operation} after {after:?}")]
    Timeout {
        /// The operation.
        operation: String,
        /// The timeout that expired.
        after: Duration,
        /// Our request id.
        request_id: String,
    },

    /// A response body did not match the expected shape.
    #[error("could not decode the response of {operation} at `{path}`: {message}")]
    Decode {
        /// The operation.
        operation: String,
        /// The JSON path of the field that failed, e.g. `[0].Owners[1].UserId`.
        path: String,
        /// The decoder's message.
        message: String,
        /// The start of the body (at most 256 characters).
        snippet: String,
        /// Our request id.
        request_id: String,
    },

    /// A streaming connection failed or delivered something unusable.
    #[error("stream error: {message}")]
    Stream {
        /// What happened.
        message: String,
    },

    /// A place, replace or cancel ended without a definite answer, and reconciling by `ClientId` could not
    /// tell whether it took effect. The order may or may not exist: look it up by `client_id` before acting.
    #[error("{operation} of order with ClientId {client_id} has an unknown outcome: {message}")]
    AmbiguousOrderOutcome {
        /// `place`, `replace` or `cancel`.
        operation: String,
        /// The `ClientId` the order was sent with (for a cancel: the order id).
        client_id: String,
        /// What happened: the last transport or server error and the reconciliation reads.
        message: String,
    },

    /// A token store could not be read or written (malformed file, bad permissions, I/O error).
    #[error("token store `{path}`: {message}")]
    TokenStore {
        /// The file (or store name).
        path: String,
        /// What is wrong.
        message: String,
    },
}

fn fmt_retry(retry_after: &Option<Duration>) -> String {
    match retry_after {
        Some(d) => format!(" (retry after {:.1} s)", d.as_secs_f64()),
        None => String::new(),
    }
}

/// The broad class of an [`Error`]; its [`code`](ErrorKind::code) is stable and shared by the bindings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// [`Error::Config`]
    Config,
    /// [`Error::Auth`]
    Auth,
    /// [`Error::Api`]
    Api,
    /// [`Error::RateLimited`]
    RateLimited,
    /// [`Error::Validation`]
    Validation,
    /// [`Error::Transport`]
    Transport,
    /// [`Error::Timeout`]
    Timeout,
    /// [`Error::Decode`]
    Decode,
    /// [`Error::Stream`]
    Stream,
    /// [`Error::TokenStore`]
    TokenStore,
    /// [`Error::AmbiguousOrderOutcome`]
    AmbiguousOrder,
}

impl ErrorKind {
    /// Every kind, for bindings that build one error class per kind.
    pub const ALL: [ErrorKind; 11] = [
        ErrorKind::Config,
        ErrorKind::Auth,
        ErrorKind::Api,
        ErrorKind::RateLimited,
        ErrorKind::Validation,
        ErrorKind::Transport,
        ErrorKind::Timeout,
        ErrorKind::Decode,
        ErrorKind::Stream,
        ErrorKind::TokenStore,
        ErrorKind::AmbiguousOrder,
    ];

    /// The stable code string: `CONFIG`, `AUTH`, `API`, `RATE_LIMITED`, `VALIDATION`, `TRANSPORT`, `TIMEOUT`,
    /// `DECODE`, `STREAM`, `TOKEN_STORE`, `AMBIGUOUS_ORDER`.
    pub fn code(self) -> &'static str {
        match self {
            ErrorKind::Config => "CONFIG",
            ErrorKind::Auth => "AUTH",
            ErrorKind::Api => "API",
            ErrorKind::RateLimited => "RATE_LIMITED",
            ErrorKind::Validation => "VALIDATION",
            ErrorKind::Transport => "TRANSPORT",
            ErrorKind::Timeout => "TIMEOUT",
            ErrorKind::Decode => "DECODE",
            ErrorKind::Stream => "STREAM",
            ErrorKind::TokenStore => "TOKEN_STORE",
            ErrorKind::AmbiguousOrder => "AMBIGUOUS_ORDER",
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// Why authentication failed, as a stable code (`err.auth_kind().code()`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AuthErrorKind {
    /// Wrong or missing username or password.
    InvalidCredentials,
    /// The `Et-App-Key` is not known to the server (HTTP 403).
    InvalidAppKey,
    /// The server asks for a 2FA verification code and no [`crate::auth::SecondFactor`] could give one.
    VerificationCodeRequired,
    /// The verification code (or the interim ticket it goes with) was refused.
    VerificationCodeInvalid,
    /// The server asks for the PIN and none was supplied.
    PinRequired,
    /// The PIN was refused.
    PinInvalid,
    /// The password has expired and must be changed before the API can be used.
    PasswordExpired,
    /// The OAuth `state` returned to the redirect URI is not the one we sent (possible CSRF): the code is discarded.
    StateMismatch,
    /// The authorization server returned an error to the redirect URI (`error=access_denied`, ...).
    AuthorizationDenied,
    /// The authorization code, refresh token or PKCE verifier was refused by the token endpoint.
    InvalidGrant,
    /// The OAuth client id or secret was refused.
    InvalidClient,
    /// The token was refused by the API and could not be renewed.
    TokenExpired,
    /// The token is valid but the server refuses this request (another user's account, missing rights).
    AccessDenied,
    /// The server answered the login in a way the SDK does not understand.
    Protocol,
    /// The caller gave up (closed the browser flow, no redirect arrived in time).
    Cancelled,
}

impl AuthErrorKind {
    /// The stable code string, e.g. `INVALID_CREDENTIALS`.
    pub fn code(self) -> &'static str {
        match self {
            AuthErrorKind::InvalidCredentials => "INVALID_CREDENTIALS",
            AuthErrorKind::InvalidAppKey => "INVALID_APP_KEY",
            AuthErrorKind::VerificationCodeRequired => "VERIFICATION_CODE_REQUIRED",
            AuthErrorKind::VerificationCodeInvalid => "VERIFICATION_CODE_INVALID",
            AuthErrorKind::PinRequired => "PIN_REQUIRED",
            AuthErrorKind::PinInvalid => "PIN_INVALID",
            AuthErrorKind::PasswordExpired => "PASSWORD_EXPIRED",
            AuthErrorKind::StateMismatch => "STATE_MISMATCH",
            AuthErrorKind::AuthorizationDenied => "AUTHORIZATION_DENIED",
            AuthErrorKind::InvalidGrant => "INVALID_GRANT",
            AuthErrorKind::InvalidClient => "INVALID_CLIENT",
            AuthErrorKind::TokenExpired => "TOKEN_EXPIRED",
            AuthErrorKind::AccessDenied => "ACCESS_DENIED",
            AuthErrorKind::Protocol => "PROTOCOL",
            AuthErrorKind::Cancelled => "CANCELLED",
        }
    }
}

impl fmt::Display for AuthErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl Error {
    /// The stable class of this error.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::Config { .. } => ErrorKind::Config,
            Error::Auth { .. } => ErrorKind::Auth,
            Error::Api { .. } => ErrorKind::Api,
            Error::RateLimited { .. } => ErrorKind::RateLimited,
            Error::Validation { .. } => ErrorKind::Validation,
            Error::Transport { .. } => ErrorKind::Transport,
            Error::Timeout { .. } => ErrorKind::Timeout,
            Error::Decode { .. } => ErrorKind::Decode,
            Error::Stream { .. } => ErrorKind::Stream,
            Error::TokenStore { .. } => ErrorKind::TokenStore,
            Error::AmbiguousOrderOutcome { .. } => ErrorKind::AmbiguousOrder,
        }
    }

    /// For [`Error::Auth`], why authentication failed.
    pub fn auth_kind(&self) -> Option<AuthErrorKind> {
        match self {
            Error::Auth { kind, .. } => Some(*kind),
            _ => None,
        }
    }

    /// The HTTP status, for errors that came with one.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Api { status, .. } => Some(*status),
            Error::RateLimited { .. } => Some(429),
            _ => None,
        }
    }

    /// Our request id, for errors raised by a call that reached the wire.
    pub fn request_id(&self) -> Option<&str> {
        match self {
            Error::Api { request_id, .. }
            | Error::RateLimited { request_id, .. }
            | Error::Transport { request_id, .. }
            | Error::Timeout { request_id, .. }
            | Error::Decode { request_id, .. } => Some(request_id),
            _ => None,
        }
    }

    /// How long the server asked us to wait, for [`Error::RateLimited`].
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Error::RateLimited { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// The offending field, for [`Error::Validation`] and [`Error::Config`].
    pub fn field(&self) -> Option<&str> {
        match self {
            Error::Validation { field, .. } | Error::Config { field, .. } => Some(field),
            _ => None,
        }
    }

    pub(crate) fn config(field: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Config {
            field: field.into(),
            message: message.into(),
        }
    }

    pub(crate) fn validation(field: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Validation {
            field: field.into(),
            message: message.into(),
        }
    }

    pub(crate) fn auth(
        kind: AuthErrorKind,
        step: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Error::Auth {
            kind,
            step: step.into(),
            message: message.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_distinct() {
        let codes: std::collections::HashSet<_> = ErrorKind::ALL.iter().map(|k| k.code()).collect();
        assert_eq!(codes.len(), ErrorKind::ALL.len());
    }

    #[test]
    fn rate_limit_message_names_the_wait() {
        let e = Error::RateLimited {
            operation: "Users_GetUserInfo".into(),
            retry_after: Some(Duration::from_millis(1500)),
            request_id: "r1".into(),
        };
        assert_eq!(
            e.to_string(),
            "rate limited on Users_GetUserInfo (retry after 1.5 s)"
        );
        assert_eq!(e.kind().code(), "RATE_LIMITED");
        assert_eq!(e.status(), Some(429));
    }
}

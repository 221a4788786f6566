//! Exit codes and the one error type of the command line.
//!
//! Every failure ends the process with a code a script can branch on. SDK errors map by their stable kind
//! (`err.kind().code()`), so the CLI, the libraries and the MCP server agree on what went wrong.

use autoshares::ErrorKind;

/// The exit codes, as printed by `autoshares --help`.
pub const EXIT_CODES_HELP: &str = "\
Exit codes:
  0  success
  1  other failure (a declined confirmation, a token file that cannot be used, ...)
  2  usage: a bad argument or setting, nothing was sent (clap errors, VALIDATION, CONFIG)
  3  authentication: not logged in, bad credentials or code, session expired (AUTH)
  4  the API refused the request (API, RATE_LIMITED, DECODE)
  5  network or timeout (TRANSPORT, TIMEOUT, STREAM)
  6  an order action's outcome is unknown: look the order up before retrying (AMBIGUOUS_ORDER)";

/// Success.
pub const OK: i32 = 0;
/// Anything not classified below.
pub const OTHER: i32 = 1;
/// A bad argument or setting; nothing was sent (clap uses 2 for its own errors too).
pub const USAGE: i32 = 2;
/// Not logged in, or the login failed.
pub const AUTH: i32 = 3;
/// The server answered with an error.
pub const API: i32 = 4;
/// The server could not be reached in time.
pub const NETWORK: i32 = 5;
/// A place, replace or cancel without a definite outcome.
pub const AMBIGUOUS_ORDER: i32 = 6;

/// Why a command failed.
#[derive(Debug)]
pub enum CliError {
    /// An SDK error, classified by its kind.
    Sdk(autoshares::Error),
    /// A bad argument found by the CLI itself (nothing was sent).
    Usage(String),
    /// No stored session and no credentials.
    NotLoggedIn(String),
    /// The user answered no to a confirmation (nothing was sent).
    Declined,
    /// Anything else (I/O on the terminal, ...).
    Other(String),
}

impl From<autoshares::Error> for CliError {
    fn from(e: autoshares::Error) -> Self {
        CliError::Sdk(e)
    }
}

impl From<std::io::Error> for CliError {
    fn from(e: std::io::Error) -> Self {
        CliError::Other(e.to_string())
    }
}

impl CliError {
    /// The process exit code of this error.
    pub fn exit_code(&self) -> i32 {
        match self {
            CliError::Sdk(e) => code_of(e.kind()),
            CliError::Usage(_) => USAGE,
            CliError::NotLoggedIn(_) => AUTH,
            CliError::Declined | CliError::Other(_) => OTHER,
        }
    }

    /// The stable code shown with the message (the SDK's, or the CLI's own for its errors).
    pub fn code(&self) -> &'static str {
        match self {
            CliError::Sdk(e) => e.kind().code(),
            CliError::Usage(_) => "USAGE",
            CliError::NotLoggedIn(_) => "AUTH",
            CliError::Declined => "DECLINED",
            CliError::Other(_) => "OTHER",
        }
    }

    /// What to tell the user.
    pub fn message(&self) -> String {
        match self {
            CliError::Sdk(e) => match e {
                autoshares::Error::Api {
                    request_id,
                    code: Some(code),
                    ..
                } => format!("{e} [{code}] (request id {request_id})"),
                autoshares::Error::Api { request_id, .. } => {
                    format!("{e} (request id {request_id})")
                }
                _ => e.to_string(),
            },
            CliError::Usage(m) | CliError::NotLoggedIn(m) | CliError::Other(m) => m.clone(),
            CliError::Declined => "not confirmed: nothing was sent".into(),
        }
    }
}

/// The exit code of an SDK error kind.
pub fn code_of(kind: ErrorKind) -> i32 {
    match kind {
        ErrorKind::Config | ErrorKind::Validation => USAGE,
        ErrorKind::Auth => AUTH,
        ErrorKind::Api | ErrorKind::RateLimited | ErrorKind::Decode => API,
        ErrorKind::Transport | ErrorKind::Timeout | ErrorKind::Stream => NETWORK,
        ErrorKind::AmbiguousOrder => AMBIGUOUS_ORDER,
        _ => OTHER,
    }
}

/// The result of a command.
pub type CliResult<T = ()> = Result<T, CliError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_sdk_kind_has_a_documented_code() {
        for kind in ErrorKind::ALL {
            let code = code_of(kind);
            assert!(
                EXIT_CODES_HELP.contains(&format!("  {code}  ")),
                "{kind} -> {code}"
            );
            if code != OTHER {
                assert!(
                    EXIT_CODES_HELP.contains(kind.code()),
                    "{kind} missing from the help"
                );
            }
        }
    }
}

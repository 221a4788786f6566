//! `prism-check URL`: calls all 121 vendor-spec operations through the SDK against Prism serving the vendor spec
//! as a validating mock, and reports, per operation, whether Prism found the request valid.
//!
//! Prism answers a request that breaks the spec with 422 (and an `sl-violations` header); a valid request gets a
//! response generated from the spec. The SDK's own checks run first, so an operation the SDK refused to send
//! counts as not called. Responses that the SDK cannot decode are reported too (they point at a model that does
//! not match the spec) but are not request violations. The last line reads
//! `prism: <called>/121 operations, <n> violations, <d> undecodable responses`.

mod calls;

use std::time::Duration;

use autoshares::auth::{PasswordLogin, StaticToken};
use autoshares::{Client, Config, Error, ErrorKind, Result};
use chrono::{DateTime, TimeZone, Utc};

/// A fixed past time for date parameters.
pub fn past() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 1, 2, 14, 30, 0).unwrap()
}

/// A future time for expirations.
pub fn future() -> DateTime<Utc> {
    Utc::now() + chrono::Duration::days(30)
}

fn config(url: &str) -> Config {
    Config::builder()
        .base_url(url)
        .app_key("conformance-app-key")
        .max_retries(0)
        .timeout(Duration::from_secs(20))
        .ignore_env()
        .build()
        .expect("a loopback Prism URL")
}

/// `POST /token` as the password login sends it. Prism's mock answers 200 without a body (the spec declares no
/// media type for it), which the SDK reports as a protocol error: the request itself is what is checked here.
pub async fn token_request(_c: &Client) -> Result<()> {
    let url = std::env::var("PRISM_URL_FOR_TOKEN").expect("set by main");
    let login = Client::builder()
        .config(config(&url))
        .login(PasswordLogin::new("trader", "trader-pass"))
        .build()?;
    match login.login().await {
        Err(Error::Auth {
            kind: autoshares::AuthErrorKind::Protocol,
            ..
        })
        | Ok(()) => Ok(()),
        Err(e) => Err(e),
    }
}

#[tokio::main]
async fn main() {
    let url = std::env::args()
        .nth(1)
        .or_else(|| std::env::var("AUTOSHARES_PRISM_URL").ok())
        .expect("usage: prism-check URL (or set AUTOSHARES_PRISM_URL)");
    std::env::set_var("PRISM_URL_FOR_TOKEN", &url);
    let client = Client::builder()
        .config(config(&url))
        .login(StaticToken::new(
            "conformance-token",
            Duration::from_secs(3600),
        ))
        .build()
        .expect("client");
    let outcomes = calls::call_all(&client).await;
    let (mut called, mut violations, mut undecodable) = (0, 0, 0);
    for (id, method, path, result) in &outcomes {
        let (status, detail) = match result {
            Ok(()) => {
                called += 1;
                ("ok", String::new())
            }
            Err(e) if e.status() == Some(422) => {
                called += 1;
                violations += 1;
                ("VIOLATION", e.to_string())
            }
            Err(e @ Error::Decode { .. }) => {
                called += 1;
                undecodable += 1;
                ("undecodable", e.to_string())
            }
            Err(e) if matches!(e.kind(), ErrorKind::Validation | ErrorKind::Config) => {
                ("NOT SENT", e.to_string())
            }
            Err(e) => {
                called += 1;
                ("answered", format!("{}: {e}", e.kind()))
            }
        };
        println!("{status:<12} {id:<50} {method:<6} {path} {detail}");
    }
    let total = outcomes.len();
    println!("prism: {called}/{total} operations, {violations} violations, {undecodable} undecodable responses");
    if called != total || violations != 0 {
        std::process::exit(1);
    }
}

//! Shared helpers of the core integration tests: a sandbox per test, clients logged in as its users.
#![allow(dead_code)]

use std::time::Duration;

use autoshares::auth::{Browser, OAuthLogin, PasswordLogin};
use autoshares::{Client, Config};
use autoshares_sandbox::Sandbox;

/// The sandbox's configuration for a client, with test-friendly defaults.
pub fn config(sb: &Sandbox) -> autoshares::ConfigBuilder {
    Config::builder()
        .base_url(sb.url())
        .app_key(sb.app_key())
        .ignore_env()
        .timeout(Duration::from_secs(10))
}

/// The password login of a default sandbox user (PIN included when the user has one).
pub fn password_login(sb: &Sandbox, username: &str) -> PasswordLogin {
    let user = sb.user(username).expect("default sandbox user");
    let login = PasswordLogin::new(user.username.clone(), user.password.clone());
    match user.pin {
        Some(pin) => login.pin(pin),
        None => login,
    }
}

/// A client of `username` with the password login.
pub fn password_client(sb: &Sandbox, username: &str) -> Client {
    Client::builder()
        .config(config(sb).build().unwrap())
        .login(password_login(sb, username))
        .build()
        .unwrap()
}

/// A "browser" for OAuth tests: follows the authorize redirect (cross-origin, to the loopback listener) with a
/// plain HTTP client, as a real browser would.
pub fn test_browser() -> Browser {
    Browser::custom(|url| async move {
        let http = reqwest::Client::new();
        let resp = http
            .get(url)
            .send()
            .await
            .map_err(|e| autoshares::Error::Stream {
                message: e.to_string(),
            })?;
        assert!(
            resp.status().is_success(),
            "browser ended on {}",
            resp.status()
        );
        Ok(())
    })
}

/// The sandbox's OAuth login with the test browser.
pub fn oauth_login(sb: &Sandbox) -> OAuthLogin {
    let client = sb.oauth_client();
    OAuthLogin::new(&sb.url(), client.client_id)
        .unwrap()
        .client_secret(client.client_secret)
        .browser(test_browser())
}

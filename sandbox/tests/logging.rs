//! Captures every log line (TRACE, all targets) of full logins and checks no secret shows up.

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};

use common::{json, Ctx, VERIFIER};
use reqwest::StatusCode;

#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn no_secret_is_logged_at_any_level() {
    let capture = Capture::default();
    let writer = capture.clone();
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        // Timestamps (microseconds) are digit runs a 6-digit verification code can match by chance.
        .without_time()
        .with_ansi(false)
        .init();

    let ctx = Ctx::new().await;
    let mut secrets = vec![ctx.sb.app_key().to_string(), VERIFIER.to_string()];
    // 2FA + PIN login.
    let user = ctx.sb.user("trader2fapin").unwrap();
    secrets.extend([user.password.clone(), user.pin.clone().unwrap()]);
    let base = [
        ("Username", user.username.as_str()),
        ("Password", user.password.as_str()),
    ];
    let (_, first) = json(ctx.token_req(&base).send().await.unwrap()).await;
    let interim = first["Token"].as_str().unwrap().to_string();
    let code = ctx.sb.verification_code("trader2fapin").unwrap();
    let bearer = format!("Bearer {interim}");
    let mut h = base.to_vec();
    h.extend([
        ("Authorization", bearer.as_str()),
        ("VerificationCode", code.as_str()),
    ]);
    json(ctx.token_req(&h).send().await.unwrap()).await;
    let mut h = base.to_vec();
    let pin = user.pin.clone().unwrap();
    h.extend([
        ("Authorization", bearer.as_str()),
        ("PinCode", pin.as_str()),
    ]);
    let (status, done) = json(ctx.token_req(&h).send().await.unwrap()).await;
    assert_eq!(status, StatusCode::OK);
    let token = done["Token"].as_str().unwrap().to_string();
    ctx.get("/v1.0/users/@me/info", Some(&token)).await;
    secrets.extend([interim, code, token]);

    // OAuth login with refresh.
    let client = ctx.sb.oauth_client();
    let redirect = "http://127.0.0.1:4000/cb";
    let auth_code = ctx.authorize(redirect, "openid offline_access").await;
    let (status, body, _) = ctx
        .oauth_token(
            &[
                ("grant_type", "authorization_code"),
                ("code", &auth_code),
                ("redirect_uri", redirect),
                ("code_verifier", VERIFIER),
            ],
            Some((&client.client_id, &client.client_secret)),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    secrets.extend([
        auth_code,
        client.client_secret.clone(),
        body["access_token"].as_str().unwrap().to_string(),
        body["refresh_token"].as_str().unwrap().to_string(),
    ]);

    let logs = String::from_utf8(capture.0.lock().unwrap().clone()).unwrap();
    assert!(
        logs.contains("sandbox request"),
        "debug request lines are logged"
    );
    for (index, secret) in secrets.iter().enumerate() {
        assert!(
            !leaks(&logs, secret),
            "secret #{index} (of {}) leaked into the logs",
            secrets.len()
        );
    }
}

/// Whether `secret` occurs in the logs. Numeric secrets (verification codes, PINs) count only as
/// whole numbers, not inside longer digit runs such as ports, ids or durations; any other
/// secret counts wherever it occurs.
fn leaks(logs: &str, secret: &str) -> bool {
    if secret.is_empty() || !secret.bytes().all(|b| b.is_ascii_digit()) {
        return logs.contains(secret);
    }
    let bytes = logs.as_bytes();
    logs.match_indices(secret).any(|(at, _)| {
        let before = at.checked_sub(1).map(|i| bytes[i].is_ascii_digit());
        let after = bytes.get(at + secret.len()).map(u8::is_ascii_digit);
        before != Some(true) && after != Some(true)
    })
}

#[test]
fn numeric_secrets_match_only_whole_numbers() {
    assert!(leaks("code=123456 sent", "123456"));
    assert!(leaks("123456", "123456"));
    assert!(!leaks("port 41234567", "123456"));
    assert!(!leaks("t=0.1234567s", "123456"));
    assert!(leaks("token abc123456def", "abc123456def"));
    assert!(leaks("xx sandbox-app-key yy", "sandbox-app-key"));
}

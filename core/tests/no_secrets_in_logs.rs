//! Captures every log record (TRACE, every crate: ours, the sandbox's, reqwest's, hyper's) during full logins and
//! checks that no password, PIN, verification code, token, client secret or app key appears in them, nor in the
//! `Debug` and `Display` output of the objects that hold them, and that no streamer session id (a credential
//! the vendor's protocol puts in the WebSocket URL) is logged during a stream with a drop and a recovery.
//! One test per binary: it installs the global subscriber.

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};

use autoshares::auth::{FileTokenStore, PasswordLogin};
use autoshares::Client;
use autoshares_sandbox::{Sandbox, SandboxConfig};
use common::*;

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
async fn a_full_session_logs_no_secret() {
    let capture = Capture::default();
    let writer = capture.clone();
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .with_ansi(false)
        // Timestamps carry 6-digit microseconds that a 6-digit verification code could match by chance.
        .without_time()
        .init();

    let sb = Arc::new(
        Sandbox::start_with(SandboxConfig {
            app_key: "app-key-1b7f3c9e".into(),
            ..Default::default()
        })
        .await
        .unwrap(),
    );
    let dir = tempfile::tempdir().unwrap();
    let token_file = dir.path().join("tokens.json");
    let mut shown = String::new();
    let mut codes = Vec::new();

    // Password + 2FA + PIN, every call, then logout.
    let codes_seen = Arc::new(Mutex::new(Vec::<String>::new()));
    let (sb2, seen) = (sb.clone(), codes_seen.clone());
    let login = password_login(&sb, "trader2fapin").verification_code_with(move |_| {
        let code = sb2.verification_code("trader2fapin");
        seen.lock().unwrap().extend(code.clone());
        let code = code.map(Into::into);
        async move { Ok(code) }
    });
    shown += &format!("{login:?}");
    let c = Client::builder()
        .config(config(&sb).build().unwrap())
        .login(login)
        .token_store(FileTokenStore::new(&token_file))
        .build()
        .unwrap();
    shown += &format!("{c:?} {:?} {}", c.config(), c.config());
    c.users().me().await.unwrap();
    for a in c.accounts().mine().await.unwrap() {
        shown += &format!("{:?}", c.accounts().balance(a.id).await.unwrap());
    }
    let tokens_file = std::fs::read_to_string(&token_file).unwrap();
    c.logout().await.unwrap();
    codes.extend(codes_seen.lock().unwrap().iter().cloned());

    // Failures carry no secret either.
    let bad = Client::builder()
        .config(config(&sb).build().unwrap())
        .login(PasswordLogin::new("trader", "wrong-password-5521"))
        .build()
        .unwrap();
    let err = bad.users().me().await.unwrap_err();
    shown += &format!("{err} {err:?}");

    // OAuth with refresh.
    let oauth_file = dir.path().join("oauth.json");
    let login = oauth_login(&sb);
    shown += &format!("{login:?}");
    let o = Client::builder()
        .config(config(&sb).build().unwrap())
        .login(login)
        .token_store(FileTokenStore::new(&oauth_file))
        .build()
        .unwrap();
    o.users().me().await.unwrap();
    sb.expire_tokens();
    o.users().me().await.unwrap();
    let oauth_tokens = std::fs::read_to_string(&oauth_file).unwrap();

    // A stream: discovery, connect (the streamer session id travels in the URL), a drop, recovery, reconnect.
    let mut stream_sessions: Vec<String> = Vec::new();
    let session_ids = |sb: &Sandbox| -> Vec<String> {
        sb.state()
            .rest()
            .streamer_sessions
            .keys()
            .cloned()
            .collect()
    };
    let t = password_client(&sb, "trader");
    let s = t
        .stream()
        .subscribe([autoshares::stream::Topic::quote("AAPL")])
        .await
        .unwrap();
    s.ready().await.unwrap();
    stream_sessions.extend(session_ids(&sb));
    shown += &format!("{s:?}");
    let quotes = sb.streams().quote();
    quotes.drop_every_messages(Some(quotes.messages_sent() + 2));
    while s.stats().reconnects == 0 {
        tokio::time::timeout(std::time::Duration::from_secs(10), s.next())
            .await
            .unwrap();
    }
    quotes.drop_every_messages(None);
    stream_sessions.extend(session_ids(&sb));
    s.close().await;
    assert!(
        stream_sessions.len() >= 3,
        "{} streamer sessions",
        stream_sessions.len()
    );

    let logs = String::from_utf8(capture.0.lock().unwrap().clone()).unwrap();
    assert!(
        logs.contains("autoshares.request"),
        "the capture saw our spans"
    );
    assert!(
        logs.contains("token step answered"),
        "the capture saw the login"
    );

    let mut secrets: Vec<String> = Vec::new();
    for name in ["trader2fapin", "trader"] {
        let u = sb.user(name).unwrap();
        secrets.push(u.password);
        secrets.extend(u.pin);
    }
    secrets.push("wrong-password-5521".into());
    secrets.extend(codes);
    secrets.push(sb.app_key().to_string());
    secrets.push(sb.oauth_client().client_secret);
    for text in [&tokens_file, &oauth_tokens] {
        let v: serde_json::Value = serde_json::from_str(text).unwrap();
        for (_, s) in v["sessions"].as_object().unwrap() {
            secrets.push(s["access_token"].as_str().unwrap().to_string());
            if let Some(r) = s["refresh_token"].as_str() {
                secrets.push(r.to_string());
            }
        }
    }
    secrets.extend(stream_sessions);
    // And whatever else the sandbox issued: interim step tokens, authorization codes, every live token.
    secrets.extend(sb.state().issued_credentials());
    assert!(secrets.len() >= 12, "{} secrets collected", secrets.len());
    for secret in &secrets {
        assert!(secret.len() >= 4, "a secret too short to search for");
        assert!(
            !contains_secret(&logs, secret),
            "a secret of {} characters is in the logs",
            secret.len()
        );
        assert!(
            !contains_secret(&shown, secret),
            "a secret of {} characters is in Debug/Display output",
            secret.len()
        );
    }
}

/// Whether `text` holds `secret`; a numeric secret (a verification code, a PIN) counts only where it is not part
/// of a longer number (ports, ids and durations are numbers too).
fn contains_secret(text: &str, secret: &str) -> bool {
    if !secret.bytes().all(|b| b.is_ascii_digit()) {
        return text.contains(secret);
    }
    text.match_indices(secret).any(|(i, _)| {
        let before = text[..i].bytes().next_back();
        let after = text[i + secret.len()..].bytes().next();
        !before.is_some_and(|b| b.is_ascii_digit()) && !after.is_some_and(|b| b.is_ascii_digit())
    })
}

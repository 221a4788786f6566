//! Retries, single-flight token refresh and token files, against the sandbox over loopback HTTP.

mod common;

use std::time::{Duration, Instant};

use autoshares::auth::FileTokenStore;
use autoshares::{Client, ErrorKind};
use autoshares_sandbox::{FaultRule, Sandbox};
use common::*;

const ME: &str = "/v1.0/users/@me/info";

/// Wraps the password login: its first token is born expired (client side), later ones live an hour, so the
/// test does not depend on how fast 1,000 calls run on a loaded machine.
#[derive(Debug)]
struct FirstTokenExpired {
    inner: autoshares::auth::PasswordLogin,
    logins: std::sync::atomic::AtomicU32,
}

impl autoshares::auth::TokenProvider for FirstTokenExpired {
    fn session_key(&self, ctx: &autoshares::auth::AuthContext) -> String {
        self.inner.session_key(ctx)
    }

    fn login<'a>(
        &'a self,
        ctx: &'a autoshares::auth::AuthContext,
    ) -> futures::future::BoxFuture<'a, autoshares::Result<autoshares::auth::Token>> {
        Box::pin(async move {
            let token = self.inner.login(ctx).await?;
            let first = self
                .logins
                .fetch_add(1, std::sync::atomic::Ordering::SeqCst)
                == 0;
            let lifetime = if first {
                Duration::ZERO
            } else {
                Duration::from_secs(3600)
            };
            Ok(autoshares::auth::Token::new(
                token.access_token().clone(),
                lifetime,
            ))
        })
    }
}

#[tokio::test]
async fn a_thousand_calls_on_a_client_side_expired_token_make_one_refresh() {
    let sb = Sandbox::start().await.unwrap();
    let provider = FirstTokenExpired {
        inner: password_login(&sb, "trader"),
        logins: Default::default(),
    };
    let c = Client::builder()
        .config(config(&sb).build().unwrap())
        .login(provider)
        .build()
        .unwrap();
    c.login().await.unwrap();
    assert_eq!(sb.token_requests(), 1);
    let calls = (0..1000).map(|_| {
        let c = c.clone();
        tokio::spawn(async move { c.users().me().await.map(|u| u.user_id) })
    });
    for r in futures::future::join_all(calls).await {
        r.unwrap().unwrap();
    }
    assert_eq!(
        sb.token_requests(),
        2,
        "exactly one refresh for 1,000 concurrent calls"
    );
    assert_eq!(sb.request_count("GET", ME), 1000);
}

#[tokio::test]
async fn a_thousand_calls_on_a_server_side_expired_token_make_one_refresh() {
    let sb = Sandbox::start().await.unwrap();
    let c = password_client(&sb, "trader");
    c.login().await.unwrap();
    sb.expire_tokens();
    let calls = (0..1000).map(|_| {
        let c = c.clone();
        tokio::spawn(async move { c.accounts().mine().await.map(|a| a.len()) })
    });
    for r in futures::future::join_all(calls).await {
        assert_eq!(r.unwrap().unwrap(), 2);
    }
    assert_eq!(
        sb.token_requests(),
        2,
        "one 401 probe decides, one refresh follows"
    );
    assert_eq!(sb.request_count("GET", ME), 1, "the probe ran once");
}

#[tokio::test]
async fn a_get_that_meets_503_twice_then_succeeds() {
    let sb = Sandbox::start().await.unwrap();
    let c = password_client(&sb, "trader");
    c.login().await.unwrap();
    sb.faults().inject(FaultRule::new("GET", ME, 2, 503));
    c.users().me().await.unwrap();
    assert_eq!(sb.request_count("GET", ME), 3);
}

#[tokio::test]
async fn retries_are_bounded() {
    let sb = Sandbox::start().await.unwrap();
    let c = password_client(&sb, "trader");
    c.login().await.unwrap();
    sb.faults().inject(FaultRule::new("GET", ME, 100, 502));
    let err = c.users().me().await.unwrap_err();
    assert_eq!(err.status(), Some(502));
    assert_eq!(
        sb.request_count("GET", ME),
        4,
        "one attempt and max_retries = 3 retries"
    );
    assert!(err.request_id().is_some_and(|id| id.len() == 16));
}

#[tokio::test]
async fn a_post_that_meets_503_is_not_retried() {
    let sb = Sandbox::start().await.unwrap();
    let c = password_client(&sb, "trader");
    c.login().await.unwrap();
    let email = sb.user("trader").unwrap().email;
    sb.faults()
        .inject(FaultRule::new("POST", "/v1.0/users/info", 1, 503));
    let err = c.users().by_email(&email).await.unwrap_err();
    assert_eq!((err.kind(), err.status()), (ErrorKind::Api, Some(503)));
    assert_eq!(
        sb.request_count("POST", "/v1.0/users/info"),
        1,
        "POST is never retried"
    );
    // The fault is spent: the same call now succeeds, so the 503 above was the fault, not the route.
    c.users().by_email(&email).await.unwrap();

    sb.faults()
        .inject(FaultRule::new("POST", "/v1.0/users/info", 1, 429).with_retry_after("7"));
    let err = c.users().by_email(&email).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::RateLimited);
    assert_eq!(err.retry_after(), Some(Duration::from_secs(7)));
}

#[tokio::test]
async fn a_429_with_retry_after_one_waits_about_a_second() {
    let sb = Sandbox::start().await.unwrap();
    let c = password_client(&sb, "trader");
    c.login().await.unwrap();
    sb.faults()
        .inject(FaultRule::new("GET", ME, 1, 429).with_retry_after("1"));
    let started = Instant::now();
    c.users().me().await.unwrap();
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(990),
        "waited only {waited:?}"
    );
    assert!(waited < Duration::from_secs(5), "waited {waited:?}");
    assert_eq!(sb.request_count("GET", ME), 2);
}

#[tokio::test]
async fn a_long_retry_after_is_returned_not_slept() {
    let sb = Sandbox::start().await.unwrap();
    let c = password_client(&sb, "trader");
    c.login().await.unwrap();
    sb.faults()
        .inject(FaultRule::new("GET", ME, 1, 429).with_retry_after("120"));
    let err = c.users().me().await.unwrap_err();
    assert_eq!(err.retry_after(), Some(Duration::from_secs(120)));
    assert_eq!(sb.request_count("GET", ME), 1);
}

#[cfg(unix)]
#[tokio::test]
async fn the_token_file_is_0600_and_shared_by_later_clients() {
    use std::os::unix::fs::PermissionsExt;
    let sb = Sandbox::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("autoshares").join("tokens.json");
    let make = || {
        Client::builder()
            .config(config(&sb).build().unwrap())
            .login(password_login(&sb, "trader"))
            .token_store(FileTokenStore::new(&path))
            .build()
            .unwrap()
    };
    make().users().me().await.unwrap();
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    // A second client (a later run, another language) uses the stored token: no new login.
    let later = make();
    later.accounts().mine().await.unwrap();
    assert_eq!(sb.token_requests(), 1);
    assert_eq!(later.token_requests(), 0);
    // Logging out removes it from the file.
    later.logout().await.unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(!text.contains("password:trader@"), "{text}");
}

#[tokio::test]
async fn an_unreachable_server_is_a_transport_error() {
    // A port nobody listens on: connection refused, retried (GET), then a typed transport error.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let config = autoshares::Config::sandbox(&format!("http://127.0.0.1:{port}"), "k").unwrap();
    let c = Client::builder()
        .config(config)
        .login(autoshares::auth::StaticToken::new(
            "t",
            Duration::from_secs(60),
        ))
        .build()
        .unwrap();
    let err = c.users().me().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Transport, "{err:?}");
    assert!(err.to_string().contains("could not connect"), "{err}");
}

#[tokio::test]
async fn a_login_against_a_silent_server_times_out() {
    // Accepts connections and never answers: the `/token` request must end with the configured timeout.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let held = tokio::spawn(async move {
        let mut conns = Vec::new();
        while let Ok((c, _)) = listener.accept().await {
            conns.push(c);
        }
    });
    let config = autoshares::Config::builder()
        .base_url(url)
        .app_key("k")
        .ignore_env()
        .timeout(Duration::from_millis(300))
        .max_retries(0)
        .build()
        .unwrap();
    let c = Client::builder()
        .config(config)
        .login(autoshares::auth::PasswordLogin::new("u", "p"))
        .build()
        .unwrap();
    let started = Instant::now();
    let err = tokio::time::timeout(Duration::from_secs(10), c.login())
        .await
        .expect("the login must not hang")
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout, "{err:?}");
    assert!(started.elapsed() < Duration::from_secs(5));
    held.abort();
}

#[tokio::test]
async fn a_burst_over_the_rate_limit_waits_its_turn_instead_of_failing() {
    use autoshares::ratelimit::{Category, RateLimits};
    let sb = autoshares_sandbox::Sandbox::start().await.unwrap();
    let window = std::time::Duration::from_millis(400);
    let c = autoshares::Client::builder()
        .config(common::config(&sb).build().unwrap())
        .login(common::password_login(&sb, "trader"))
        .rate_limits(RateLimits::none().with(Category::Queries, 4).window(window))
        .build()
        .unwrap();
    c.login().await.unwrap();
    let started = tokio::time::Instant::now();
    let calls = (0..12).map(|_| {
        let c = c.clone();
        async move { c.users().me().await }
    });
    let results = futures::future::join_all(calls).await;
    assert!(results.iter().all(|r| r.is_ok()), "every call succeeded");
    // 12 calls at 4 per window: the last four cannot start before two windows have passed.
    assert!(started.elapsed() >= window * 2, "{:?}", started.elapsed());
    assert_eq!(sb.request_count("GET", "/v1.0/users/@me/info"), 12);
}

/// A redirect to another origin is not followed, so neither the bearer token nor the app key can travel
/// to a host the configuration did not name; a same-origin redirect is followed with them.
#[tokio::test]
async fn a_redirect_to_another_host_never_carries_the_credentials() {
    use axum::extract::State;
    use axum::http::{HeaderMap, StatusCode};
    use axum::response::{IntoResponse, Redirect};
    use std::sync::{Arc, Mutex};

    // B: the other host; records which credential headers (authorization, app key) it receives.
    type Seen = Arc<Mutex<Vec<(bool, bool)>>>;
    let seen: Seen = Arc::default();
    let b = axum::Router::new()
        .fallback(|State(seen): State<Seen>, h: HeaderMap| async move {
            seen.lock().unwrap().push((
                h.contains_key("authorization"),
                h.contains_key("et-app-key"),
            ));
            (StatusCode::OK, "{}").into_response()
        })
        .with_state(seen.clone());
    let lb = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let b_port = lb.local_addr().unwrap().port();
    tokio::spawn(async move { axum::serve(lb, b).await.unwrap() });

    // A: the configured host; redirects one path to B (another origin: `localhost`, another port) and one to
    // itself.
    let la = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let a_port = la.local_addr().unwrap().port();
    let a = axum::Router::new()
        .route(
            "/v1.0/users/{user}/info",
            axum::routing::get(move || async move {
                Redirect::temporary(&format!("http://localhost:{b_port}/stolen"))
            }),
        )
        .route(
            "/v1.0/accounts/{id}",
            axum::routing::get(|| async { Redirect::temporary("/v1.0/same-origin") }),
        )
        .route(
            "/v1.0/same-origin",
            axum::routing::get(|h: HeaderMap| async move {
                let ok = h.contains_key("authorization") && h.contains_key("et-app-key");
                (StatusCode::OK, if ok { "{\"Id\": 5}" } else { "{}" }).into_response()
            }),
        );
    tokio::spawn(async move { axum::serve(la, a).await.unwrap() });

    let c = autoshares::Client::builder()
        .config(
            autoshares::Config::sandbox(&format!("http://127.0.0.1:{a_port}"), "app-key-secret")
                .unwrap(),
        )
        .login(autoshares::auth::StaticToken::new(
            "bearer-secret",
            Duration::from_secs(600),
        ))
        .build()
        .unwrap();
    let err = c.users().me().await.unwrap_err();
    assert!(seen.lock().unwrap().is_empty(), "B was never contacted");
    assert!(
        err.to_string().contains("redirect") || err.status() == Some(307),
        "{err}"
    );
    let account = c.accounts().get(5).await.unwrap();
    assert_eq!(
        account.id, 5,
        "the same-origin redirect carried both headers"
    );
}

//! The Auth0-style IdP: discovery, /authorize and /oauth/token over real HTTP.

mod common;

use std::collections::HashMap;

use common::{challenge, json, Ctx, VERIFIER};
use reqwest::StatusCode;
use serde_json::json;

const REDIRECT: &str = "http://127.0.0.1:41999/callback";

fn location_params(resp: &reqwest::Response) -> (url::Url, HashMap<String, String>) {
    let location = resp.headers()["location"].to_str().unwrap();
    let url = url::Url::parse(location).unwrap();
    let params = url.query_pairs().into_owned().collect();
    (url, params)
}

async fn authorize_raw(ctx: &Ctx, params: &[(&str, &str)]) -> reqwest::Response {
    ctx.http
        .get(ctx.url("/authorize"))
        .query(params)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn discovery_document() {
    let ctx = Ctx::new().await;
    let (status, doc) = json(
        ctx.http
            .get(ctx.url("/.well-known/openid-configuration"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(doc["issuer"], ctx.sb.url());
    assert_eq!(
        doc["authorization_endpoint"],
        format!("{}/authorize", ctx.sb.url())
    );
    assert_eq!(
        doc["token_endpoint"],
        format!("{}/oauth/token", ctx.sb.url())
    );
    assert_eq!(doc["code_challenge_methods_supported"], json!(["S256"]));
    assert_eq!(
        doc["grant_types_supported"],
        json!(["authorization_code", "refresh_token"])
    );
    assert_eq!(
        doc["token_endpoint_auth_methods_supported"],
        json!(["client_secret_basic", "client_secret_post"])
    );
}

#[tokio::test]
async fn authorize_redirects_with_code_and_state() {
    let ctx = Ctx::new().await;
    let client = ctx.sb.oauth_client();
    let ch = challenge(VERIFIER);
    for redirect in [
        REDIRECT,
        "http://localhost:3000/callback",
        "http://[::1]:8123/cb",
        "http://127.0.0.1:7/cb?keep=1",
    ] {
        let resp = authorize_raw(
            &ctx,
            &[
                ("response_type", "code"),
                ("client_id", &client.client_id),
                ("redirect_uri", redirect),
                ("state", "st4te"),
                ("code_challenge", &ch),
                ("code_challenge_method", "S256"),
            ],
        )
        .await;
        assert_eq!(resp.status(), StatusCode::FOUND, "{redirect}");
        let (url, params) = location_params(&resp);
        assert!(url.as_str().starts_with(redirect), "{url} vs {redirect}");
        assert_eq!(params["state"], "st4te");
        assert!(params["code"].len() >= 32);
        if redirect.contains("keep=1") {
            assert_eq!(params["keep"], "1");
        }
    }
    // Without state, none is returned.
    let resp = authorize_raw(
        &ctx,
        &[
            ("response_type", "code"),
            ("client_id", &client.client_id),
            ("redirect_uri", REDIRECT),
            ("code_challenge", &ch),
            ("code_challenge_method", "S256"),
        ],
    )
    .await;
    let (_, params) = location_params(&resp);
    assert!(params.contains_key("code") && !params.contains_key("state"));
}

#[tokio::test]
async fn authorize_refuses_bad_client_or_redirect_without_redirecting() {
    let ctx = Ctx::new().await;
    let client = ctx.sb.oauth_client();
    let ch = challenge(VERIFIER);
    for (client_id, redirect) in [
        ("unknown-client", REDIRECT),
        (client.client_id.as_str(), "https://evil.example/cb"),
        (client.client_id.as_str(), "http://127.0.0.2:80/cb"),
        (
            client.client_id.as_str(),
            "http://localhost.evil.example:3000/cb",
        ),
        (client.client_id.as_str(), "https://127.0.0.1:443/cb"),
        (client.client_id.as_str(), "http://user@127.0.0.1:80/cb"),
        (client.client_id.as_str(), ""),
        (client.client_id.as_str(), "http://127.0.0.1:80/cb#frag"),
    ] {
        let resp = authorize_raw(
            &ctx,
            &[
                ("response_type", "code"),
                ("client_id", client_id),
                ("redirect_uri", redirect),
                ("state", "s"),
                ("code_challenge", &ch),
                ("code_challenge_method", "S256"),
            ],
        )
        .await;
        assert_eq!(
            resp.status(),
            StatusCode::BAD_REQUEST,
            "{client_id} {redirect}"
        );
        assert!(resp.headers().get("location").is_none());
    }
}

#[tokio::test]
async fn authorize_errors_are_redirected() {
    let ctx = Ctx::new().await;
    let client = ctx.sb.oauth_client();
    let ch = challenge(VERIFIER);
    let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
        (
            vec![
                ("response_type", "token"),
                ("code_challenge", &ch),
                ("code_challenge_method", "S256"),
            ],
            "unsupported_response_type",
        ),
        (vec![("response_type", "code")], "invalid_request"),
        (
            vec![
                ("response_type", "code"),
                ("code_challenge", &ch),
                ("code_challenge_method", "plain"),
            ],
            "invalid_request",
        ),
        (
            vec![("response_type", "code"), ("code_challenge", &ch)],
            "invalid_request",
        ),
    ];
    for (extra, error) in cases {
        let mut params = vec![
            ("client_id", client.client_id.as_str()),
            ("redirect_uri", REDIRECT),
            ("state", "abc"),
        ];
        params.extend(extra);
        let resp = authorize_raw(&ctx, &params).await;
        assert_eq!(resp.status(), StatusCode::FOUND);
        let (_, q) = location_params(&resp);
        assert_eq!(q["error"], error, "{params:?}");
        assert!(!q["error_description"].is_empty());
        assert_eq!(q["state"], "abc");
        assert!(!q.contains_key("code"));
    }
}

#[tokio::test]
async fn code_exchange_with_basic_auth_and_refresh() {
    let ctx = Ctx::new().await;
    let client = ctx.sb.oauth_client();
    let code = ctx
        .authorize(REDIRECT, "openid profile offline_access")
        .await;
    let (status, body, headers) = ctx
        .oauth_token(
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", REDIRECT),
                ("code_verifier", VERIFIER),
            ],
            Some((&client.client_id, &client.client_secret)),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(headers["cache-control"], "no-store");
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], json!(86400));
    assert_eq!(body["scope"], "openid profile offline_access");
    let access = body["access_token"].as_str().unwrap().to_string();
    let refresh = body["refresh_token"].as_str().unwrap().to_string();

    // OAuth access tokens are accepted by the /v1.0 resources.
    let (status, me) = ctx.get("/v1.0/users/@me/info", Some(&access)).await;
    assert_eq!(
        (status, me["Login"].as_str()),
        (StatusCode::OK, Some("trader"))
    );

    // Refresh survives expire_tokens; the new access token works.
    ctx.sb.expire_tokens();
    assert_eq!(
        ctx.get("/v1.0/users/@me/info", Some(&access)).await.0,
        StatusCode::UNAUTHORIZED
    );
    let (status, body, _) = ctx
        .oauth_token(
            &[("grant_type", "refresh_token"), ("refresh_token", &refresh)],
            Some((&client.client_id, &client.client_secret)),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let renewed = body["access_token"].as_str().unwrap();
    assert_ne!(renewed, access);
    assert_eq!(
        ctx.get("/v1.0/users/@me/info", Some(renewed)).await.0,
        StatusCode::OK
    );

    // Unknown refresh token.
    let (status, body, _) = ctx
        .oauth_token(
            &[("grant_type", "refresh_token"), ("refresh_token", "nope")],
            Some((&client.client_id, &client.client_secret)),
        )
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_grant"))
    );
    assert_eq!(ctx.sb.oauth_token_requests("authorization_code"), 1);
    assert_eq!(ctx.sb.oauth_token_requests("refresh_token"), 2);
}

#[tokio::test]
async fn code_exchange_with_post_auth_and_no_refresh_without_offline_access() {
    let ctx = Ctx::new().await;
    let client = ctx.sb.oauth_client();
    let code = ctx.authorize(REDIRECT, "openid email").await;
    let (status, body, _) = ctx
        .oauth_token(
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", REDIRECT),
                ("code_verifier", VERIFIER),
                ("client_id", &client.client_id),
                ("client_secret", &client.client_secret),
            ],
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.get("refresh_token").is_none());
    assert_eq!(body["scope"], "openid email");
}

#[tokio::test]
async fn wrong_verifier_reuse_and_redirect_mismatch_are_invalid_grant() {
    let ctx = Ctx::new().await;
    let client = ctx.sb.oauth_client();
    let basic = Some((client.client_id.as_str(), client.client_secret.as_str()));
    let exchange = |code: String, redirect: &'static str, verifier: &'static str| {
        let ctx = &ctx;
        async move {
            ctx.oauth_token(
                &[
                    ("grant_type", "authorization_code"),
                    ("code", &code),
                    ("redirect_uri", redirect),
                    ("code_verifier", verifier),
                ],
                basic,
            )
            .await
        }
    };
    let wrong_verifier = "wrong-verifier-wrong-verifier-wrong-verifier-0123";
    let (status, body, headers) = exchange(
        ctx.authorize(REDIRECT, "openid").await,
        REDIRECT,
        wrong_verifier,
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_grant"))
    );
    assert_eq!(headers["cache-control"], "no-store");

    let (status, body, _) = exchange(
        ctx.authorize(REDIRECT, "openid").await,
        "http://127.0.0.1:41999/elsewhere",
        VERIFIER,
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_grant"))
    );

    let code = ctx.authorize(REDIRECT, "openid").await;
    let (status, body, _) = exchange(code.clone(), REDIRECT, VERIFIER).await;
    assert_eq!(status, StatusCode::OK);
    let first = body["access_token"].as_str().unwrap().to_string();
    let (status, body, _) = exchange(code, REDIRECT, VERIFIER).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_grant"))
    );
    // The replay revoked the token the code produced.
    assert_eq!(
        ctx.get("/v1.0/users/@me/info", Some(&first)).await.0,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn bad_client_and_unsupported_grant() {
    let ctx = Ctx::new().await;
    let client = ctx.sb.oauth_client();
    let (status, body, headers) = ctx
        .oauth_token(
            &[("grant_type", "refresh_token"), ("refresh_token", "x")],
            Some((&client.client_id, "bad")),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"], "invalid_client");
    assert_eq!(headers["www-authenticate"], "Basic");
    let (status, body, _) = ctx
        .oauth_token(
            &[
                ("grant_type", "refresh_token"),
                ("client_id", "someone"),
                ("client_secret", &client.client_secret),
            ],
            None,
        )
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("invalid_client"))
    );
    let (status, body, _) = ctx
        .oauth_token(
            &[("grant_type", "password")],
            Some((&client.client_id, &client.client_secret)),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body, json!({"error": "unsupported_grant_type"}));
    assert_eq!(ctx.sb.oauth_token_requests("password"), 1);
}

#[tokio::test]
async fn basic_credentials_are_form_urlencoded() {
    // RFC 6749 2.3.1: id and secret are form-urlencoded before base64.
    let mut config = autoshares_sandbox::SandboxConfig::default();
    config.oauth.client_id = "my client:1".to_string();
    config.oauth.client_secret = "s3cr%t+&=".to_string();
    let ctx = Ctx::with(config).await;
    let code = ctx.authorize(REDIRECT, "openid").await;
    let encode = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    let (status, body, _) = ctx
        .oauth_token(
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", REDIRECT),
                ("code_verifier", VERIFIER),
            ],
            Some((&encode("my client:1"), &encode("s3cr%t+&="))),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

//! `POST /token` step machine, `/logout`, app key and bearer checks over real HTTP.

mod common;

use common::{json, Ctx};
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn app_key_is_required_everywhere_but_the_idp() {
    let ctx = Ctx::new().await;
    let expected = json!({"error": "Application key is not defined or does not exist"});
    for (method, path) in [
        ("POST", "/token"),
        ("POST", "/logout"),
        ("GET", "/v1.0/users/@me/info"),
        ("GET", "/nope"),
    ] {
        let req = ctx.http.request(method.parse().unwrap(), ctx.url(path));
        let (status, body) = json(req.send().await.unwrap()).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{method} {path}");
        assert_eq!(body, expected);
        let wrong = ctx
            .http
            .request(method.parse().unwrap(), ctx.url(path))
            .header("Et-App-Key", "wrong");
        assert_eq!(wrong.send().await.unwrap().status(), StatusCode::FORBIDDEN);
    }
    let discovery = ctx
        .http
        .get(ctx.url("/.well-known/openid-configuration"))
        .send()
        .await
        .unwrap();
    assert_eq!(discovery.status(), StatusCode::OK);
}

#[tokio::test]
async fn password_login_succeeds_and_token_works() {
    let ctx = Ctx::new().await;
    let token = ctx.login("trader").await;
    assert!(token.len() >= 32);
    let (status, me) = ctx.get("/v1.0/users/@me/info", Some(&token)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["Login"], "trader");
    assert_eq!(me["UserId"], json!(ctx.sb.user_id("trader").unwrap()));
    assert_eq!(ctx.sb.token_requests(), 1);
}

#[tokio::test]
async fn bad_or_missing_credentials_fail() {
    let ctx = Ctx::new().await;
    let expected =
        json!({"State": "Failed", "Step": "BaseAuthentication", "Reason": "Invalid credentials"});
    for headers in [
        vec![("Username", "trader"), ("Password", "wrong")],
        vec![("Username", "nobody"), ("Password", "trader-pass")],
        vec![("Username", "trader")],
        vec![],
    ] {
        let (status, body) = json(ctx.token_req(&headers).send().await.unwrap()).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(body, expected);
    }
    assert_eq!(ctx.sb.token_requests(), 4);
}

#[tokio::test]
async fn two_factor_flow() {
    let ctx = Ctx::new().await;
    let (u, p) = ctx.creds("trader2fa");
    let base = [("Username", u.as_str()), ("Password", p.as_str())];
    assert_eq!(ctx.sb.verification_code("trader2fa"), None);
    let (status, first) = json(ctx.token_req(&base).send().await.unwrap()).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    assert_eq!(first["State"], "Expecting");
    assert_eq!(first["Step"], "VerificationCode");
    assert_eq!(first["Reason"], "Expecting confirmation code");
    let interim = first["Token"].as_str().unwrap().to_string();
    let code = ctx
        .sb
        .verification_code("trader2fa")
        .expect("a code was sent");
    assert_eq!(code.len(), 6);
    assert!(code.chars().all(|c| c.is_ascii_digit()));

    // The interim token is not a session token.
    assert_eq!(
        ctx.get("/v1.0/users/@me/info", Some(&interim)).await.0,
        StatusCode::UNAUTHORIZED
    );

    // Wrong code.
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let bearer = format!("Bearer {interim}");
    let mut h = base.to_vec();
    h.extend([
        ("Authorization", bearer.as_str()),
        ("VerificationCode", wrong),
    ]);
    let (status, body) = json(ctx.token_req(&h).send().await.unwrap()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        body,
        json!({"State": "Failed", "Step": "VerificationCode", "Reason": "Invalid verification code"})
    );

    // Code without the interim token, and with an unknown one.
    let mut h = base.to_vec();
    h.push(("VerificationCode", code.as_str()));
    let corrupted =
        json!({"State": "Failed", "Step": "VerificationCode", "Reason": "Corrupted ticket"});
    let (status, body) = json(ctx.token_req(&h).send().await.unwrap()).await;
    assert_eq!(
        (status, body),
        (StatusCode::UNAUTHORIZED, corrupted.clone())
    );
    h.push(("Authorization", "Bearer not-a-ticket"));
    let (status, body) = json(ctx.token_req(&h).send().await.unwrap()).await;
    assert_eq!((status, body), (StatusCode::UNAUTHORIZED, corrupted));

    // Right code with the interim token.
    let mut h = base.to_vec();
    h.extend([
        ("Authorization", bearer.as_str()),
        ("VerificationCode", code.as_str()),
    ]);
    let (status, body) = json(ctx.token_req(&h).send().await.unwrap()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["State"], "Succeeded");
    let token = body["Token"].as_str().unwrap();
    assert_ne!(token, interim);
    let (status, me) = ctx.get("/v1.0/users/@me/info", Some(token)).await;
    assert_eq!(
        (status, me["Login"].as_str()),
        (StatusCode::OK, Some("trader2fa"))
    );

    // A second login sends a different code (counter-based), bound to its own ticket.
    let (_, again) = json(ctx.token_req(&base).send().await.unwrap()).await;
    let second = ctx.sb.verification_code("trader2fa").unwrap();
    assert_ne!(second, code);
    let bearer2 = format!("Bearer {}", again["Token"].as_str().unwrap());
    let mut h = base.to_vec();
    h.extend([
        ("Authorization", bearer2.as_str()),
        ("VerificationCode", code.as_str()),
    ]);
    let (status, body) = json(ctx.token_req(&h).send().await.unwrap()).await;
    assert_eq!(
        (status, body["Reason"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("Invalid verification code"))
    );
    assert_eq!(ctx.sb.token_requests(), 7);
}

async fn pin_flow(username: &str, step: &str) {
    let ctx = Ctx::new().await;
    let user = ctx.sb.user(username).unwrap();
    assert_eq!(user.pin_step_name, step);
    let base = [
        ("Username", user.username.as_str()),
        ("Password", user.password.as_str()),
    ];
    let (status, body) = json(ctx.token_req(&base).send().await.unwrap()).await;
    let mut interim = body["Token"].as_str().unwrap().to_string();
    if user.two_factor {
        assert_eq!(
            (status, body["Step"].as_str()),
            (StatusCode::ACCEPTED, Some("VerificationCode"))
        );
        let code = ctx.sb.verification_code(username).unwrap();
        let bearer = format!("Bearer {interim}");
        let mut h = base.to_vec();
        h.extend([
            ("Authorization", bearer.as_str()),
            ("VerificationCode", code.as_str()),
        ]);
        let (status, body) = json(ctx.token_req(&h).send().await.unwrap()).await;
        assert_eq!(status, StatusCode::ACCEPTED, "{body}");
        interim = body["Token"].as_str().unwrap().to_string();
        assert_eq!(body["Step"], step);
    } else {
        assert_eq!(status, StatusCode::ACCEPTED);
    }
    let bearer = format!("Bearer {interim}");
    let mut h = base.to_vec();
    h.extend([("Authorization", bearer.as_str()), ("PinCode", "9999")]);
    let (status, body) = json(ctx.token_req(&h).send().await.unwrap()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        body,
        json!({"State": "Failed", "Step": step, "Reason": "Invalid pin"})
    );

    // No VerificationCode needed again once the ticket passed 2FA.
    let pin = user.pin.clone().unwrap();
    let mut h = base.to_vec();
    h.extend([
        ("Authorization", bearer.as_str()),
        ("PinCode", pin.as_str()),
    ]);
    let (status, body) = json(ctx.token_req(&h).send().await.unwrap()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let token = body["Token"].as_str().unwrap();
    assert_eq!(
        ctx.get("/v1.0/users/@me/info", Some(token)).await.0,
        StatusCode::OK
    );
    // The ticket is used up: a 2FA user starts over, a PIN-only user's ticket is corrupted.
    let (status, body) = json(ctx.token_req(&h).send().await.unwrap()).await;
    if user.two_factor {
        assert_eq!(
            (status, body["Step"].as_str()),
            (StatusCode::ACCEPTED, Some("VerificationCode"))
        );
    } else {
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(
            body,
            json!({"State": "Failed", "Step": step, "Reason": "Corrupted ticket"})
        );
    }
}

#[tokio::test]
async fn pin_step_with_vendor_spelling() {
    pin_flow("traderpin", "SecutityPin").await;
}

#[tokio::test]
async fn two_factor_then_pin_with_correct_spelling() {
    pin_flow("trader2fapin", "SecurityPin").await;
}

#[tokio::test]
async fn pin_expected_body() {
    let ctx = Ctx::new().await;
    let (u, p) = ctx.creds("traderpin");
    let (status, body) = json(
        ctx.token_req(&[("Username", &u), ("Password", &p)])
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    assert_eq!(body["State"], "Expecting");
    assert_eq!(body["Step"], "SecutityPin");
    assert_eq!(body["Reason"], "Expecting pin code");
}

#[tokio::test]
async fn expired_password_gives_restricted_token() {
    let ctx = Ctx::new().await;
    let (u, p) = ctx.creds("expired");
    let (status, body) = json(
        ctx.token_req(&[("Username", &u), ("Password", &p)])
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    assert_eq!(body["State"], "Expecting");
    assert_eq!(body["Step"], "BaseAuthentication");
    assert_eq!(
        body["Reason"],
        "Your Password has expired and must be changed"
    );
    let restricted = body["Token"].as_str().unwrap();
    let (status, body) = ctx.get("/v1.0/users/@me/info", Some(restricted)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        body,
        json!({"Message": "Authorization has been denied for this request."})
    );
}

#[tokio::test]
async fn oauth_code_login_through_token() {
    let ctx = Ctx::new().await;
    let redirect = "http://127.0.0.1:5555/callback";
    let code = ctx.authorize(redirect, "openid").await;
    let failed =
        json!({"State": "Failed", "Step": "BaseAuthentication", "Reason": "Invalid OAuth code"});
    // Wrong redirect URI first: refused and the code stays usable.
    let (status, body) = json(
        ctx.token_req(&[
            ("OAuthCode", &code),
            ("RedirectUri", "http://127.0.0.1:5555/other"),
        ])
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_eq!((status, body), (StatusCode::UNAUTHORIZED, failed.clone()));
    let (status, body) = json(
        ctx.token_req(&[("OAuthCode", &code), ("RedirectUri", redirect)])
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let token = body["Token"].as_str().unwrap();
    let (_, me) = ctx.get("/v1.0/users/@me/info", Some(token)).await;
    assert_eq!(me["Login"], ctx.sb.oauth_client().auto_approve_username);
    // Redeemed: a second use fails, as does an unknown code.
    for c in [code.as_str(), "bogus"] {
        let (status, body) = json(
            ctx.token_req(&[("OAuthCode", c), ("RedirectUri", redirect)])
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!((status, body), (StatusCode::UNAUTHORIZED, failed.clone()));
    }
}

#[tokio::test]
async fn logout_revokes_and_is_idempotent() {
    let ctx = Ctx::new().await;
    let token = ctx.login("trader").await;
    assert_eq!(
        ctx.get("/v1.0/users/@me/info", Some(&token)).await.0,
        StatusCode::OK
    );
    let logout = |t: Option<String>| {
        let mut req = ctx
            .http
            .post(ctx.url("/logout"))
            .header("Et-App-Key", ctx.sb.app_key());
        if let Some(t) = t {
            req = req.bearer_auth(t);
        }
        req.send()
    };
    assert_eq!(
        logout(Some(token.clone())).await.unwrap().status(),
        StatusCode::OK
    );
    let (status, body) = ctx.get("/v1.0/users/@me/info", Some(&token)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        body["Message"],
        "Authorization has been denied for this request."
    );
    assert_eq!(logout(Some(token)).await.unwrap().status(), StatusCode::OK);
    assert_eq!(logout(None).await.unwrap().status(), StatusCode::OK);
    assert_eq!(ctx.sb.request_count("POST", "/logout"), 3);
}

#[tokio::test]
async fn bearer_is_required() {
    let ctx = Ctx::new().await;
    let denied = json!({"Message": "Authorization has been denied for this request."});
    for token in [None, Some("garbage")] {
        for path in [
            "/v1.0/users/@me/info",
            "/v1.0/users/@me/accounts",
            "/v1/accounts/1/info",
        ] {
            let (status, body) = ctx.get(path, token).await;
            assert_eq!(
                (status, &body),
                (StatusCode::UNAUTHORIZED, &denied),
                "{path}"
            );
        }
    }
}

#[tokio::test]
async fn expire_tokens_and_short_ttl() {
    let ctx = Ctx::new().await;
    let token = ctx.login("trader").await;
    ctx.sb.expire_tokens();
    assert_eq!(
        ctx.get("/v1.0/users/@me/info", Some(&token)).await.0,
        StatusCode::UNAUTHORIZED
    );
    let fresh = ctx.login("trader").await;
    assert_eq!(
        ctx.get("/v1.0/users/@me/info", Some(&fresh)).await.0,
        StatusCode::OK
    );

    let config = autoshares_sandbox::SandboxConfig {
        access_token_ttl: std::time::Duration::from_millis(300),
        ..Default::default()
    };
    let short = Ctx::with(config).await;
    let token = short.login("trader").await;
    assert_eq!(
        short.get("/v1.0/users/@me/info", Some(&token)).await.0,
        StatusCode::OK
    );
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    assert_eq!(
        short.get("/v1.0/users/@me/info", Some(&token)).await.0,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn expired_interim_token_is_a_corrupted_ticket() {
    let ctx = Ctx::new().await;
    let (u, p) = ctx.creds("trader2fa");
    let base = [("Username", u.as_str()), ("Password", p.as_str())];
    let (_, first) = json(ctx.token_req(&base).send().await.unwrap()).await;
    let bearer = format!("Bearer {}", first["Token"].as_str().unwrap());
    let code = ctx.sb.verification_code("trader2fa").unwrap();
    ctx.sb.expire_interim_tokens();
    let mut h = base.to_vec();
    h.extend([
        ("Authorization", bearer.as_str()),
        ("VerificationCode", code.as_str()),
    ]);
    let (status, body) = json(ctx.token_req(&h).send().await.unwrap()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["Reason"], "Corrupted ticket");
}

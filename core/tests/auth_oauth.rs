//! OAuth 2.0 Authorization Code + PKCE against the sandbox's Auth0-style IdP, over loopback HTTP.

mod common;

use autoshares::auth::{Browser, CodeExchange, RedirectMode};
use autoshares::{AuthErrorKind, Client};
use autoshares_sandbox::Sandbox;
use common::*;

fn client_with(sb: &Sandbox, login: autoshares::auth::OAuthLogin) -> Client {
    Client::builder()
        .config(config(sb).build().unwrap())
        .login(login)
        .build()
        .unwrap()
}

/// The `Location` of the authorize redirect, without following it.
async fn authorize_redirect(url: &url::Url) -> String {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let resp = http.get(url.clone()).send().await.unwrap();
    assert_eq!(resp.status(), 302, "authorize must redirect");
    resp.headers()["location"].to_str().unwrap().to_string()
}

#[tokio::test]
async fn loopback_login_with_pkce_then_refresh() {
    let sb = Sandbox::start().await.unwrap();
    let c = client_with(&sb, oauth_login(&sb));
    let me = c.users().me().await.unwrap();
    assert_eq!(Some(me.user_id), sb.user_id("trader"));
    assert_eq!(sb.oauth_token_requests("authorization_code"), 1);
    assert_eq!(sb.token_requests(), 0, "the IdP token is the bearer token");

    // The authorize request carried PKCE S256 and a state.
    let authorize = sb
        .recorded_requests()
        .into_iter()
        .find(|r| r.path == "/authorize")
        .unwrap();
    let query = authorize.query.unwrap();
    for needle in [
        "code_challenge_method=S256",
        "code_challenge=",
        "state=",
        "offline_access",
        "redirect_uri=http%3A%2F%2F127.0.0.1%3A",
    ] {
        assert!(query.contains(needle), "{needle} missing from {query}");
    }

    // Expired on the server: one refresh-token grant, no new browser login.
    sb.expire_tokens();
    let accounts = c.accounts().mine().await.unwrap();
    assert!(!accounts.is_empty());
    assert_eq!(sb.oauth_token_requests("refresh_token"), 1);
    assert_eq!(sb.oauth_token_requests("authorization_code"), 1);
}

#[tokio::test]
async fn a_tampered_state_is_refused_and_the_code_discarded() {
    let sb = Sandbox::start().await.unwrap();
    let browser = Browser::custom(|url| async move {
        let location = authorize_redirect(&url).await;
        let mut tampered = url::Url::parse(&location).unwrap();
        let pairs: Vec<(String, String)> = tampered
            .query_pairs()
            .map(|(k, v)| {
                let v = if k == "state" {
                    format!("{v}x")
                } else {
                    v.into_owned()
                };
                (k.into_owned(), v)
            })
            .collect();
        tampered.query_pairs_mut().clear().extend_pairs(pairs);
        reqwest::get(tampered).await.unwrap();
        Ok(())
    });
    let c = client_with(&sb, oauth_login(&sb).browser(browser));
    let err = c.users().me().await.unwrap_err();
    assert_eq!(
        err.auth_kind(),
        Some(AuthErrorKind::StateMismatch),
        "{err:?}"
    );
    assert_eq!(
        sb.oauth_token_requests("authorization_code"),
        0,
        "the code was never exchanged"
    );
}

#[tokio::test]
async fn step_by_step_login_and_a_wrong_code_verifier() {
    let sb = Sandbox::start().await.unwrap();
    let login = oauth_login(&sb);
    let c = client_with(&sb, login.clone());
    let ctx = c.auth_context();
    let redirect_uri = "http://localhost:3000/callback";
    let first = login
        .authorization_request(ctx, redirect_uri)
        .await
        .unwrap();
    let second = login
        .authorization_request(ctx, redirect_uri)
        .await
        .unwrap();
    assert_ne!(first.url(), second.url(), "state and challenge are random");

    // The code of the first request with the verifier of the second: the IdP refuses it.
    let location = authorize_redirect(first.url()).await;
    let code = first.code_from_redirect(&location).unwrap();
    let err = login.exchange(ctx, &second, &code).await.unwrap_err();
    assert_eq!(
        err.auth_kind(),
        Some(AuthErrorKind::InvalidGrant),
        "{err:?}"
    );
    // That attempt used the code up: even the right verifier now fails.
    let err = login.exchange(ctx, &first, &code).await.unwrap_err();
    assert_eq!(err.auth_kind(), Some(AuthErrorKind::InvalidGrant));

    // A fresh request, pasted redirect URL, right verifier: logged in.
    let third = login
        .authorization_request(ctx, redirect_uri)
        .await
        .unwrap();
    let pasted = authorize_redirect(third.url()).await;
    assert_eq!(
        second.code_from_redirect(&pasted).unwrap_err().auth_kind(),
        Some(AuthErrorKind::StateMismatch),
        "a redirect belongs to its own request"
    );
    let token = login
        .exchange(ctx, &third, &third.code_from_redirect(&pasted).unwrap())
        .await
        .unwrap();
    assert!(
        token.refresh_token().is_some(),
        "offline_access gives a refresh token"
    );
    c.install_token(token).await.unwrap();
    c.users().me().await.unwrap();
    assert_eq!(c.token_requests(), 0, "the installed token was used as is");
}

#[tokio::test]
async fn manual_paste_mode() {
    let sb = Sandbox::start().await.unwrap();
    let mode = RedirectMode::manual("http://localhost:3000/callback", |url| async move {
        // The user opens `url`, logs in, and pastes the address the browser ended on.
        Ok(authorize_redirect(&url).await)
    });
    let c = client_with(&sb, oauth_login(&sb).redirect(mode));
    assert_eq!(
        c.users().me().await.unwrap().login.as_deref(),
        Some("trader")
    );
}

#[tokio::test]
async fn denied_authorization_and_wrong_client_secret_are_typed() {
    let sb = Sandbox::start().await.unwrap();
    let oauth = sb.oauth_client();
    // A wrong client secret is refused at the token endpoint.
    let wrong_secret = autoshares::auth::OAuthLogin::new(&sb.url(), oauth.client_id.clone())
        .unwrap()
        .client_secret("not-the-secret")
        .browser(test_browser());
    let err = client_with(&sb, wrong_secret)
        .users()
        .me()
        .await
        .unwrap_err();
    assert_eq!(
        err.auth_kind(),
        Some(AuthErrorKind::InvalidClient),
        "{err:?}"
    );

    // An error redirect (RFC 6749 4.1.2.1) becomes AUTHORIZATION_DENIED, after the state check.
    let login = oauth_login(&sb);
    let c = client_with(&sb, login.clone());
    let req = login
        .authorization_request(c.auth_context(), "http://localhost:3000/callback")
        .await
        .unwrap();
    let state: String = req
        .url()
        .query_pairs()
        .find(|(k, _)| k == "state")
        .unwrap()
        .1
        .into_owned();
    let redirect = format!(
        "http://localhost:3000/callback?error=access_denied&error_description=no&state={state}"
    );
    assert_eq!(
        req.code_from_redirect(&redirect).unwrap_err().auth_kind(),
        Some(AuthErrorKind::AuthorizationDenied)
    );
}

#[tokio::test]
async fn the_code_can_be_exchanged_through_etna_token() {
    let sb = Sandbox::start().await.unwrap();
    let c = client_with(&sb, oauth_login(&sb).exchange_at(CodeExchange::Etna));
    assert_eq!(
        c.users().me().await.unwrap().login.as_deref(),
        Some("trader")
    );
    assert_eq!(sb.token_requests(), 1, "the code went to /token");
    assert_eq!(sb.oauth_token_requests("authorization_code"), 0);
    let token_call = sb
        .recorded_requests()
        .into_iter()
        .find(|r| r.path == "/token")
        .unwrap();
    assert!(token_call.has_header("oauthcode") && token_call.has_header("redirecturi"));
}

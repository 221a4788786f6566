//! The ETNA `/token` step machine against the sandbox over loopback HTTP.

mod common;

use std::sync::Arc;

use autoshares::auth::{PasswordLogin, StaticSecondFactor};
use autoshares::{AuthErrorKind, Client, ErrorKind};
use autoshares_sandbox::Sandbox;
use common::*;

fn client(sb: &Sandbox, login: PasswordLogin) -> Client {
    Client::builder()
        .config(config(sb).build().unwrap())
        .login(login)
        .build()
        .unwrap()
}

async fn auth_error(c: &Client) -> (AuthErrorKind, String) {
    match c.users().me().await {
        Err(autoshares::Error::Auth { kind, step, .. }) => (kind, step),
        other => panic!("expected an auth error, got {other:?}"),
    }
}

#[tokio::test]
async fn plain_password_login_reads_user_and_accounts() {
    let sb = Sandbox::start().await.unwrap();
    let c = password_client(&sb, "trader");
    let me = c.users().me().await.unwrap();
    assert_eq!(Some(me.user_id), sb.user_id("trader"));
    assert_eq!(me.login.as_deref(), Some("trader"));
    let accounts = c.accounts().mine().await.unwrap();
    let ids: Vec<i32> = accounts.iter().map(|a| a.id).collect();
    assert_eq!(ids, sb.account_ids("trader"));
    assert!(accounts.iter().all(|a| a.is_paper()));
    let account = c.accounts().get(ids[1]).await.unwrap();
    assert_eq!(account.id, ids[1]);
    assert_eq!(account.cash.unwrap().to_string(), "25000.50");
    let balance = c.accounts().balance(ids[0]).await.unwrap();
    assert_eq!(balance.cash().unwrap().to_string(), "100000.00");
    assert_eq!(sb.token_requests(), 1, "one login for all calls");
}

#[tokio::test]
async fn two_factor_login_asks_for_the_code_after_the_server_sent_it() {
    let sb = Arc::new(Sandbox::start().await.unwrap());
    let sb2 = sb.clone();
    let login = password_login(&sb, "trader2fa").verification_code_with(move |challenge| {
        let sb = sb2.clone();
        async move {
            assert_eq!(challenge.step, "VerificationCode");
            Ok(sb.verification_code("trader2fa").map(Into::into))
        }
    });
    let c = client(&sb, login);
    let me = c.users().me().await.unwrap();
    assert_eq!(me.login.as_deref(), Some("trader2fa"));
    assert_eq!(sb.token_requests(), 2, "step 1 and step 2");
}

#[tokio::test]
async fn two_factor_then_pin_with_the_corrected_spelling() {
    let sb = Arc::new(Sandbox::start().await.unwrap());
    let sb2 = sb.clone();
    // trader2fapin's PIN step is spelled `SecurityPin`; traderpin's is the vendor's `SecutityPin` (next test).
    let login = password_login(&sb, "trader2fapin")
        .verification_code_with(move |_| {
            let sb = sb2.clone();
            async move { Ok(sb.verification_code("trader2fapin").map(Into::into)) }
        })
        .pin("4321");
    let c = client(&sb, login);
    assert_eq!(
        c.users().me().await.unwrap().login.as_deref(),
        Some("trader2fapin")
    );
    assert_eq!(sb.token_requests(), 3, "password, code, PIN");
}

#[tokio::test]
async fn pin_with_the_vendor_spelling_and_a_wrong_pin() {
    let sb = Sandbox::start().await.unwrap();
    let c = password_client(&sb, "traderpin");
    assert_eq!(
        c.users().me().await.unwrap().login.as_deref(),
        Some("traderpin")
    );

    let user = sb.user("traderpin").unwrap();
    let wrong = client(
        &sb,
        PasswordLogin::new(user.username.clone(), user.password.clone()).pin("9999"),
    );
    assert_eq!(
        auth_error(&wrong).await,
        (AuthErrorKind::PinInvalid, "SecutityPin".into())
    );

    let none = client(&sb, PasswordLogin::new(user.username, user.password));
    assert_eq!(
        auth_error(&none).await,
        (AuthErrorKind::PinRequired, "SecutityPin".into())
    );
}

#[tokio::test]
async fn two_factor_failures_are_typed() {
    let sb = Sandbox::start().await.unwrap();
    let user = sb.user("trader2fa").unwrap();
    let no_code = client(
        &sb,
        PasswordLogin::new(user.username.clone(), user.password.clone()),
    );
    assert_eq!(
        auth_error(&no_code).await,
        (
            AuthErrorKind::VerificationCodeRequired,
            "VerificationCode".into()
        )
    );

    let wrong_code = client(
        &sb,
        PasswordLogin::new(user.username.clone(), user.password.clone()).second_factor(Arc::new(
            StaticSecondFactor {
                verification_code: Some("000000".into()),
                pin: None,
            },
        )),
    );
    let (kind, step) = auth_error(&wrong_code).await;
    // A fixed wrong code could collide with the sandbox's random one once in a million runs; it does not here
    // because the sandbox's codes are seeded.
    assert_eq!(
        (kind, step.as_str()),
        (AuthErrorKind::VerificationCodeInvalid, "VerificationCode")
    );
}

#[tokio::test]
async fn bad_credentials_expired_password_and_wrong_app_key() {
    let sb = Sandbox::start().await.unwrap();
    let bad = client(&sb, PasswordLogin::new("trader", "not-the-password"));
    assert_eq!(
        auth_error(&bad).await,
        (
            AuthErrorKind::InvalidCredentials,
            "BaseAuthentication".into()
        )
    );

    let expired = password_client(&sb, "expired");
    assert_eq!(auth_error(&expired).await.0, AuthErrorKind::PasswordExpired);

    let wrong_key = Client::builder()
        .config(config(&sb).app_key("not-the-app-key").build().unwrap())
        .login(password_login(&sb, "trader"))
        .build()
        .unwrap();
    let err = wrong_key.users().me().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Auth);
    assert_eq!(err.auth_kind(), Some(AuthErrorKind::InvalidAppKey));
    assert!(err.to_string().contains("Et-App-Key"), "{err}");
}

#[tokio::test]
async fn another_users_account_is_access_denied_without_a_new_login() {
    let sb = Sandbox::start().await.unwrap();
    let c = password_client(&sb, "trader");
    c.login().await.unwrap();
    let others = sb.account_ids("other");
    let err = c.accounts().balance(others[0]).await.unwrap_err();
    assert_eq!(
        err.auth_kind(),
        Some(AuthErrorKind::AccessDenied),
        "{err:?}"
    );
    let err = c.accounts().get(others[0]).await.unwrap_err();
    assert_eq!(
        err.auth_kind(),
        Some(AuthErrorKind::AccessDenied),
        "{err:?}"
    );
    assert_eq!(
        sb.token_requests(),
        1,
        "a denied request must not cause a re-login"
    );
    // The session still works.
    c.users().me().await.unwrap();
}

#[tokio::test]
async fn unknown_account_and_invalid_ids() {
    let sb = Sandbox::start().await.unwrap();
    let c = password_client(&sb, "trader");
    let err = c.accounts().get(999_999).await.unwrap_err();
    assert_eq!(err.status(), Some(404), "{err:?}");
    let before = sb.recorded_requests().len();
    let err = c.accounts().balance(-5).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Validation);
    assert_eq!(err.field(), Some("account_id"));
    let err = c.users().by_email("not an address").await.unwrap_err();
    assert_eq!(err.field(), Some("email"));
    assert_eq!(
        sb.recorded_requests().len(),
        before,
        "nothing was sent for invalid input"
    );
}

#[tokio::test]
async fn logout_revokes_the_token_and_the_next_call_logs_in_again() {
    let sb = Sandbox::start().await.unwrap();
    let c = password_client(&sb, "trader");
    c.users().me().await.unwrap();
    c.logout().await.unwrap();
    assert_eq!(sb.request_count("POST", "/logout"), 1);
    c.users().me().await.unwrap();
    assert_eq!(sb.token_requests(), 2);
}

#[tokio::test]
async fn lookup_by_email() {
    let sb = Sandbox::start().await.unwrap();
    let c = password_client(&sb, "trader");
    let email = sb.user("trader").unwrap().email;
    assert_eq!(
        c.users().by_email(&email).await.unwrap().login.as_deref(),
        Some("trader")
    );
    let other = sb.user("other").unwrap().email;
    assert_eq!(
        c.users().by_email(&other).await.unwrap_err().auth_kind(),
        Some(AuthErrorKind::AccessDenied)
    );
}

#[tokio::test]
async fn a_session_stored_by_one_client_is_used_by_another_without_credentials_until_logout() {
    let sb = Sandbox::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("tokens.json");
    let first = Client::builder()
        .config(config(&sb).token_file(&file).build().unwrap())
        .login(password_login(&sb, "trader"))
        .build()
        .unwrap();
    first.login().await.unwrap();

    // No login, no credentials: the stored session of this deployment is used, and nothing logs in again.
    let second = Client::builder()
        .config(config(&sb).token_file(&file).build().unwrap())
        .build()
        .unwrap();
    assert_eq!(second.session_key(), first.session_key());
    assert!(second.session_key().starts_with("password:trader@"));
    assert_eq!(
        second.users().me().await.unwrap().login.as_deref(),
        Some("trader")
    );
    assert_eq!(sb.token_requests(), 1);

    // A fresh process logging out ends the stored session on the server too.
    let third = Client::builder()
        .config(config(&sb).token_file(&file).build().unwrap())
        .build()
        .unwrap();
    third.logout().await.unwrap();
    assert_eq!(sb.request_count("POST", "/logout"), 1);
    let err = second.users().me().await.unwrap_err();
    assert_eq!(err.auth_kind(), Some(AuthErrorKind::TokenExpired), "{err}");
    let err = Client::builder()
        .config(config(&sb).token_file(&file).build().unwrap())
        .build()
        .unwrap_err();
    assert_eq!(err.field(), Some("login"));
}

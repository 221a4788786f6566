//! Two processes sharing one token file (`FileTokenStore`) and needing a new token at the same instant make one
//! refresh between them, and both go on working: the store's cross-process lock is held across "read the file,
//! refresh if it is still the expired token, write the file".
//!
//! The parent test logs in once by OAuth (the sandbox's IdP), then, three rounds in a row, makes the stored token
//! expired (in the file and on the server) and starts two copies of this test binary running the ignored child
//! test, which wait for a start signal and call the API. A child cannot log in from scratch (its browser fails),
//! so a child that did not get the refreshed token fails.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use autoshares::auth::{Browser, FileTokenStore, OAuthLogin};
use autoshares::{Client, Config};
use autoshares_sandbox::Sandbox;
use common::*;

const CHILD: &str = "child_calls_the_api_with_the_shared_token_store";

/// The stored token made expired: every session's `expires_at` set in the past (the file stays 0600, written
/// in place).
fn expire_stored_tokens(path: &Path) {
    let mut file: serde_json::Value =
        serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    let sessions = file["sessions"].as_object_mut().expect("sessions");
    assert_eq!(sessions.len(), 1, "one session in the file");
    for session in sessions.values_mut() {
        session["expires_at"] = serde_json::json!("2000-01-01T00:00:00Z");
    }
    std::fs::write(path, serde_json::to_vec(&file).unwrap()).unwrap();
}

fn spawn_child(sb: &Sandbox, tokens: &Path, go: &Path) -> Child {
    let client = sb.oauth_client();
    Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            CHILD,
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("CHILD_URL", sb.url())
        .env("CHILD_APP_KEY", sb.app_key())
        .env("CHILD_CLIENT_ID", client.client_id)
        .env("CHILD_CLIENT_SECRET", client.client_secret)
        .env("CHILD_TOKENS", tokens)
        .env("CHILD_GO", go)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_refreshing_one_stored_token_make_one_refresh_and_both_work() {
    let sb = Sandbox::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let tokens = dir.path().join("tokens.json");
    let first = Client::builder()
        .config(config(&sb).build().unwrap())
        .login(oauth_login(&sb))
        .token_store(FileTokenStore::new(&tokens))
        .build()
        .unwrap();
    let me = first.users().me().await.unwrap();
    assert_eq!(sb.oauth_token_requests("authorization_code"), 1);
    drop(first);

    for round in 1..=3u64 {
        expire_stored_tokens(&tokens);
        sb.expire_tokens();
        let go: PathBuf = dir.path().join(format!("go-{round}"));
        let children = [
            spawn_child(&sb, &tokens, &go),
            spawn_child(&sb, &tokens, &go),
        ];
        // Both children are up and waiting before the start signal (their test harness starts in ms).
        tokio::time::sleep(Duration::from_millis(300)).await;
        std::fs::write(&go, b"go").unwrap();
        let outputs: Vec<_> =
            tokio::task::spawn_blocking(move || children.map(|c| c.wait_with_output().unwrap()))
                .await
                .unwrap()
                .into_iter()
                .collect();
        for out in &outputs {
            let stdout = String::from_utf8_lossy(&out.stdout);
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(
                out.status.success(),
                "round {round}: a child failed:\n{stdout}\n{stderr}"
            );
            assert!(
                stdout.contains(&format!("child ok user_id={}", me.user_id)),
                "round {round}: {stdout}"
            );
        }
        assert_eq!(
            sb.oauth_token_requests("refresh_token"),
            round,
            "round {round}: exactly one refresh between the two processes"
        );
        assert_eq!(
            sb.oauth_token_requests("authorization_code"),
            1,
            "no new login"
        );
    }
}

/// The child process of the test above (run only by it, with the `CHILD_*` variables).
#[tokio::test]
#[ignore = "the child process of two_processes_refreshing_one_stored_token_make_one_refresh_and_both_work"]
async fn child_calls_the_api_with_the_shared_token_store() {
    let var =
        |name: &str| std::env::var(name).unwrap_or_else(|_| panic!("{name} is set by the parent"));
    let url = var("CHILD_URL");
    let go = PathBuf::from(var("CHILD_GO"));
    let no_browser = Browser::custom(|_| async {
        Err(autoshares::Error::Stream {
            message: "this child must not log in from scratch".into(),
        })
    });
    let login = OAuthLogin::new(&url, var("CHILD_CLIENT_ID"))
        .unwrap()
        .client_secret(var("CHILD_CLIENT_SECRET"))
        .browser(no_browser);
    let c = Client::builder()
        .config(
            Config::builder()
                .base_url(&url)
                .app_key(var("CHILD_APP_KEY"))
                .ignore_env()
                .timeout(Duration::from_secs(10))
                .build()
                .unwrap(),
        )
        .login(login)
        .token_store(FileTokenStore::new(var("CHILD_TOKENS")))
        .build()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while !go.exists() {
        assert!(Instant::now() < deadline, "no start signal");
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let me = c
        .users()
        .me()
        .await
        .expect("the call with the shared store");
    let accounts = c.accounts().mine().await.expect("a second call");
    assert!(!accounts.is_empty());
    println!("child ok user_id={}", me.user_id);
}

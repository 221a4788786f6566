//! Helpers of the non-trading areas' tests: a logged-in trader and JSON calls with any method.
#![allow(dead_code)]

use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::common::{json, Ctx};

/// A sandbox with `trader` logged in.
pub struct T {
    pub ctx: Ctx,
    pub token: String,
    pub user_id: i32,
    pub cash_account: i32,
    pub margin_account: i32,
}

impl T {
    pub async fn new() -> T {
        let ctx = Ctx::new().await;
        let token = ctx.login("trader").await;
        let user_id = ctx.sb.user_id("trader").unwrap();
        let ids = ctx.sb.account_ids("trader");
        T {
            token,
            user_id,
            cash_account: ids[0],
            margin_account: ids[1],
            ctx,
        }
    }

    /// A call with the app key, the trader's token and an optional JSON body.
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        self.call_as(&self.token, method, path, body).await
    }

    /// A call with another token.
    pub async fn call_as(
        &self,
        token: &str,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut req = self
            .ctx
            .http
            .request(method, self.ctx.url(path))
            .header("Et-App-Key", self.ctx.sb.app_key())
            .bearer_auth(token);
        if let Some(b) = body {
            req = req.json(&b);
        }
        json(req.send().await.unwrap()).await
    }

    pub async fn get(&self, path: &str) -> (StatusCode, Value) {
        self.call(Method::GET, path, None).await
    }
    pub async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.call(Method::POST, path, Some(body)).await
    }
    pub async fn put(&self, path: &str, body: Option<Value>) -> (StatusCode, Value) {
        self.call(Method::PUT, path, body).await
    }
    pub async fn delete(&self, path: &str, body: Option<Value>) -> (StatusCode, Value) {
        self.call(Method::DELETE, path, body).await
    }
    pub async fn patch(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.call(Method::PATCH, path, Some(body)).await
    }
}

/// The `ModelState` keys of a 422 body.
pub fn model_state_keys(body: &Value) -> Vec<String> {
    assert_eq!(
        body["Message"], "Validation error occured while processing entity",
        "{body}"
    );
    body["ModelState"]
        .as_object()
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default()
}

/// Asserts a 401 with the vendor body.
pub fn assert_denied(status: StatusCode, body: &Value) {
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert_eq!(
        body["Message"],
        "Authorization has been denied for this request."
    );
}

/// Asserts a 409 and that its message mentions `needle`.
pub fn assert_conflict(status: StatusCode, body: &Value, needle: &str) {
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    let message = body["Message"].as_str().unwrap_or_default();
    assert!(message.contains(needle), "{message:?} lacks {needle:?}");
}

/// Logs a PIN user in (password, then the PIN with the interim token); panics unless it succeeds.
pub async fn login_with_pin(ctx: &Ctx, username: &str, pin: &str) -> String {
    let (u, p) = ctx.creds(username);
    let (status, step) = json(
        ctx.token_req(&[("Username", &u), ("Password", &p)])
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{step}");
    let auth = format!("Bearer {}", step["Token"].as_str().unwrap());
    let (status, done) = json(
        ctx.token_req(&[
            ("Username", &u),
            ("Password", &p),
            ("PinCode", pin),
            ("Authorization", &auth),
        ])
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{done}");
    done["Token"].as_str().unwrap().to_string()
}

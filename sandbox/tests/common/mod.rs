//! Shared helpers of the sandbox's integration tests: a running sandbox plus a reqwest client.
#![allow(dead_code)]

use autoshares_sandbox::{Sandbox, SandboxConfig};
use base64::Engine;
use reqwest::{Client, RequestBuilder, Response, StatusCode};
use serde_json::Value;
use sha2::{Digest, Sha256};

pub struct Ctx {
    pub sb: Sandbox,
    pub http: Client,
}

pub const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk-sandbox-test";

/// The RFC 7636 S256 challenge, computed independently of the sandbox.
pub fn challenge(verifier: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

pub fn form(pairs: &[(&str, &str)]) -> String {
    let mut s = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        s.append_pair(k, v);
    }
    s.finish()
}

impl Ctx {
    pub async fn new() -> Ctx {
        Ctx::with(SandboxConfig::default()).await
    }

    pub async fn with(config: SandboxConfig) -> Ctx {
        let sb = Sandbox::start_with(config).await.expect("sandbox starts");
        let http = Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client");
        Ctx { sb, http }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.sb.url(), path)
    }

    /// `POST /token` with the app key and these headers.
    pub fn token_req(&self, headers: &[(&str, &str)]) -> RequestBuilder {
        let mut req = self
            .http
            .post(self.url("/token"))
            .header("Et-App-Key", self.sb.app_key())
            .header("Content-Length", "0");
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        req
    }

    pub fn creds(&self, username: &str) -> (String, String) {
        let u = self.sb.user(username).expect("user exists");
        (u.username, u.password)
    }

    /// Password-only login; panics unless it succeeds at once.
    pub async fn login(&self, username: &str) -> String {
        let (u, p) = self.creds(username);
        let (status, body) = json(
            self.token_req(&[("Username", &u), ("Password", &p)])
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body["Token"].as_str().expect("token").to_string()
    }

    /// GET with the app key and an optional bearer token.
    pub async fn get(&self, path: &str, token: Option<&str>) -> (StatusCode, Value) {
        let mut req = self
            .http
            .get(self.url(path))
            .header("Et-App-Key", self.sb.app_key());
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        json(req.send().await.unwrap()).await
    }

    /// `POST /oauth/token` with a form body and optional basic credentials.
    pub async fn oauth_token(
        &self,
        pairs: &[(&str, &str)],
        basic: Option<(&str, &str)>,
    ) -> (StatusCode, Value, reqwest::header::HeaderMap) {
        let mut req = self
            .http
            .post(self.url("/oauth/token"))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(form(pairs));
        if let Some((id, secret)) = basic {
            req = req.basic_auth(id, Some(secret));
        }
        let resp = req.send().await.unwrap();
        let headers = resp.headers().clone();
        let (status, body) = json(resp).await;
        (status, body, headers)
    }

    /// Runs `/authorize` for the configured client with PKCE; returns the code.
    pub async fn authorize(&self, redirect_uri: &str, scope: &str) -> String {
        let client = self.sb.oauth_client();
        let resp = self
            .http
            .get(self.url("/authorize"))
            .query(&[
                ("response_type", "code"),
                ("client_id", client.client_id.as_str()),
                ("redirect_uri", redirect_uri),
                ("scope", scope),
                ("state", "xyz"),
                ("code_challenge", challenge(VERIFIER).as_str()),
                ("code_challenge_method", "S256"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::FOUND);
        let location = resp.headers()["location"].to_str().unwrap().to_string();
        let url = url::Url::parse(&location).unwrap();
        let pairs: std::collections::HashMap<_, _> = url.query_pairs().into_owned().collect();
        assert_eq!(pairs.get("state").map(String::as_str), Some("xyz"));
        pairs["code"].clone()
    }
}

pub async fn json(resp: Response) -> (StatusCode, Value) {
    let status = resp.status();
    let text = resp.text().await.unwrap();
    let value = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or(Value::String(text))
    };
    (status, value)
}

//! Users and accounts resources, versioning, routing 404s, faults and request recording over real HTTP.

mod common;

use autoshares_sandbox::{FaultRule, SandboxConfig};
use common::{json, Ctx};
use reqwest::StatusCode;
use serde_json::{json, Value};

fn num(v: &Value) -> String {
    v.to_string()
}

#[tokio::test]
async fn user_info_and_accounts() {
    let ctx = Ctx::new().await;
    let token = ctx.login("trader").await;
    let id = ctx.sb.user_id("trader").unwrap();
    let (status, me) = ctx.get("/v1.0/users/@me/info", Some(&token)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["FirstName"], "Tess");
    assert_eq!(me["LastName"], "Trader");
    assert_eq!(me["Email"], ctx.sb.user("trader").unwrap().email);
    let added = me["AddedDate"].as_str().unwrap();
    assert!(
        chrono::DateTime::parse_from_rfc3339(added).is_ok()
            && added.ends_with('Z')
            && added.len() == 24,
        "{added}"
    );
    let (status, by_id) = ctx.get(&format!("/v1/users/{id}/info"), Some(&token)).await;
    assert_eq!((status, &by_id), (StatusCode::OK, &me));

    let (status, accounts) = ctx.get("/v1.0/users/@me/accounts", Some(&token)).await;
    assert_eq!(status, StatusCode::OK);
    let accounts = accounts.as_array().unwrap();
    assert_eq!(accounts.len(), 2);
    let ids: Vec<i64> = accounts.iter().map(|a| a["Id"].as_i64().unwrap()).collect();
    assert_eq!(
        ids,
        ctx.sb
            .account_ids("trader")
            .iter()
            .map(|&i| i as i64)
            .collect::<Vec<_>>()
    );
    assert_eq!(accounts[0]["MarginType"], "Cash");
    assert_eq!(accounts[1]["MarginType"], "Margin");
    for a in accounts {
        assert_eq!(a["ClearingFirm"], "PaperTrading");
        assert_eq!(a["Currency"], "USD");
        assert_eq!(a["Owners"][0]["UserId"], json!(id));
        let clearing = a["ClearingAccount"].as_str().unwrap();
        assert!(
            clearing.len() == 8 && clearing.starts_with("5DP"),
            "{clearing}"
        );
    }
}

#[tokio::test]
async fn other_and_unknown_users() {
    let ctx = Ctx::new().await;
    let token = ctx.login("trader").await;
    let other = ctx.sb.user_id("other").unwrap();
    for suffix in ["info", "accounts"] {
        let (status, body) = ctx
            .get(&format!("/v1.0/users/{other}/{suffix}"), Some(&token))
            .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(
            body,
            json!({"Message": "Authorization has been denied for this request."})
        );
    }
    let (status, body) = ctx.get("/v1.0/users/999999/info", Some(&token)).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(
        body,
        json!({"Model": null, "Errors": ["Value cannot be null.\r\nParameter name: user"], "StatusCode": 500, "IsSucceed": false})
    );
    let (status, body) = ctx.get("/v1.0/users/alice/info", Some(&token)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let uri = format!("{}/v1.0/users/alice/info", ctx.sb.url());
    assert_eq!(
        body["Message"],
        format!("No HTTP resource was found that matches the request URI '{uri}'.")
    );
}

#[tokio::test]
async fn account_record_and_balances() {
    let ctx = Ctx::new().await;
    let token = ctx.login("trader").await;
    let [cash_id, margin_id] = ctx.sb.account_ids("trader")[..] else {
        panic!("two accounts")
    };
    let seeds = ctx.sb.user("trader").unwrap().accounts;

    let (status, body) = ctx
        .get(&format!("/v1.0/accounts/{cash_id}"), Some(&token))
        .await;
    assert_eq!(status, StatusCode::OK);
    let records = body.as_array().unwrap();
    assert_eq!(records.len(), 1);
    let rec = &records[0];
    assert_eq!(rec["Id"], json!(cash_id));
    assert_eq!(num(&rec["Cash"]), seeds[0].cash.to_string());
    assert_eq!(num(&rec["Cash"]), "100000.00");
    assert_eq!(rec["MarginType"], "Cash");
    assert_eq!(rec["Currency"], "USD");
    assert_eq!(rec["ClearingFirm"], "PaperTrading");
    assert_eq!(rec["UserId"], json!(ctx.sb.user_id("trader").unwrap()));
    assert!(rec["Cash"].is_number());

    let (status, cash) = ctx
        .get(&format!("/v1.0/accounts/{cash_id}/info"), Some(&token))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(num(&cash["cash"]), "100000.00");
    assert_eq!(num(&cash["stockBuyingPower"]), "100000.00");
    assert_eq!(num(&cash["netLiquidity"]), "100000.00");
    assert_eq!(num(&cash["stockLongMarketValue"]), "0");
    assert_eq!(cash["pendingOrdersCount"], json!(0));
    for key in [
        "cash",
        "netCash",
        "excess",
        "changeAbsolute",
        "changePercent",
        "equityTotal",
        "pendingOrdersCount",
        "netLiquidity",
        "stockLongMarketValue",
        "stockShortMarketValue",
        "optionLongMarketValue",
        "optionShortMarketValue",
        "forexLongMarketValue",
        "forexShortMarketValue",
        "dayTrades",
        "stockBuyingPower",
        "optionBuyingPower",
        "forexBuyingPower",
        "dayTradingBuyingPower",
        "pendingCash",
        "maintenanceMargin",
        "optionMaintenanceMargin",
        "openPL",
        "closePL",
        "marketValue",
    ] {
        assert!(cash[key].is_number(), "{key}: {}", cash[key]);
    }
    assert_eq!(cash.as_object().unwrap().len(), 25);

    let (_, margin) = ctx
        .get(&format!("/v1.0/accounts/{margin_id}/info"), Some(&token))
        .await;
    assert_eq!(num(&margin["cash"]), "25000.50");
    assert_eq!(num(&margin["stockBuyingPower"]), "50001.00");
    assert_eq!(num(&margin["dayTradingBuyingPower"]), "100002.00");
}

#[tokio::test]
async fn other_users_and_unknown_accounts() {
    let ctx = Ctx::new().await;
    let token = ctx.login("trader").await;
    let other = ctx.sb.account_ids("other")[0];
    for path in [
        format!("/v1.0/accounts/{other}"),
        format!("/v1.0/accounts/{other}/info"),
    ] {
        let (status, body) = ctx.get(&path, Some(&token)).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{path}");
        assert_eq!(
            body,
            json!({"Message": "Authorization has been denied for this request."})
        );
        let (status, _) = ctx.get(&path, Some(&ctx.login("other").await)).await;
        assert_eq!(status, StatusCode::OK);
    }
    for path in ["/v1.0/accounts/1", "/v1.0/accounts/1/info"] {
        let (status, body) = ctx.get(path, Some(&token)).await;
        assert_eq!((status, body), (StatusCode::NOT_FOUND, json!([])), "{path}");
    }
    let (status, body) = ctx.get("/v1.0/accounts/@me/info", Some(&token)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(body["Message"]
        .as_str()
        .unwrap()
        .starts_with("No HTTP resource was found"));
}

#[tokio::test]
async fn versions_and_unknown_routes() {
    let ctx = Ctx::new().await;
    let token = ctx.login("trader").await;
    assert_eq!(
        ctx.get("/v1/users/@me/info", Some(&token)).await.0,
        StatusCode::OK
    );
    let (status, body) = ctx.get("/v2.0/users/@me/info", Some(&token)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(
        body,
        json!({"Error": {"Code": "UnsupportedApiVersion", "Message": "The requested resource with API version '2.0' does not support HTTP method 'GET'."}})
    );
    let resp = ctx
        .http
        .delete(ctx.url("/v1.0/users/@me/info"))
        .header("Et-App-Key", ctx.sb.app_key())
        .bearer_auth(&token)
        .send();
    let (status, body) = json(resp.await.unwrap()).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(
        body["Error"]["Message"],
        "The requested resource with API version '1.0' does not support HTTP method 'DELETE'."
    );
    let (status, body) = ctx.get("/v1.0/nothing/here?x=1", Some(&token)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let uri = format!("{}/v1.0/nothing/here?x=1", ctx.sb.url());
    assert_eq!(
        body,
        json!({"Message": format!("No HTTP resource was found that matches the request URI '{uri}'.")})
    );
}

#[tokio::test]
async fn faults_503_twice_then_real_answer() {
    let ctx = Ctx::new().await;
    let token = ctx.login("trader").await;
    ctx.sb
        .faults()
        .inject(FaultRule::new("GET", "/v1.0/users/", 2, 503));
    for _ in 0..2 {
        let (status, body) = ctx.get("/v1.0/users/@me/info", Some(&token)).await;
        assert_eq!(
            (status, body),
            (
                StatusCode::SERVICE_UNAVAILABLE,
                json!({"Message": "Injected fault"})
            )
        );
    }
    let (status, body) = ctx.get("/v1.0/users/@me/info", Some(&token)).await;
    assert_eq!(
        (status, body["Login"].as_str()),
        (StatusCode::OK, Some("trader"))
    );
    assert_eq!(ctx.sb.request_count("GET", "/v1.0/users/@me/info"), 3);
    assert_eq!(ctx.sb.faults().injected_count(), 2);
}

#[tokio::test]
async fn faults_429_with_retry_after_before_auth_after_app_key() {
    let ctx = Ctx::new().await;
    let faults = ctx.sb.faults();
    faults.inject(FaultRule::new("POST", "/token", 1, 429).with_retry_after("1"));
    // Without an app key the 403 comes first and does not use the rule up.
    let resp = ctx.http.post(ctx.url("/token")).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    let (u, p) = ctx.creds("trader");
    let resp = ctx
        .token_req(&[("Username", &u), ("Password", &p)])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(resp.headers()["retry-after"], "1");
    assert_eq!(json(resp).await.1, json!({"Message": "Injected fault"}));
    // Rejected and faulted requests count too.
    assert_eq!(ctx.sb.token_requests(), 2);
    ctx.login("trader").await;
    assert_eq!(ctx.sb.token_requests(), 3);
    // Other methods and clear().
    faults.inject(FaultRule {
        method: None,
        path_prefix: "/v1.0/".into(),
        count: 5,
        status: 500,
        retry_after: None,
        after_act: false,
        delay: None,
        reset: false,
    });
    assert_eq!(
        ctx.get("/v1.0/users/@me/info", None).await.0,
        StatusCode::INTERNAL_SERVER_ERROR
    );
    faults.clear();
    assert_eq!(
        ctx.get("/v1.0/users/@me/info", None).await.0,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn requests_are_counted_and_recorded_without_secret_values() {
    let ctx = Ctx::new().await;
    let token = ctx.login("trader").await;
    ctx.get("/v1.0/users/@me/info", Some(&token)).await;
    ctx.get("/v1.0/users/@me/info?debug=1", Some(&token)).await;
    assert_eq!(ctx.sb.request_count("GET", "/v1.0/users/@me/info"), 2);
    assert_eq!(ctx.sb.request_count("get", "/v1.0/users/@me/info"), 2);
    assert_eq!(ctx.sb.request_count("POST", "/token"), 1);
    assert_eq!(ctx.sb.request_count("GET", "/v1.0/users/@me/accounts"), 0);
    let posted = ctx
        .http
        .post(ctx.url("/v1.0/users/@me/info"))
        .header("Et-App-Key", ctx.sb.app_key())
        .body("{\"a\":1}")
        .send()
        .await
        .unwrap();
    assert_eq!(posted.status(), StatusCode::NOT_FOUND);

    let log = ctx.sb.recorded_requests();
    assert_eq!(log.len(), 4);
    let login = &log[0];
    assert_eq!(
        (login.method.as_str(), login.path.as_str()),
        ("POST", "/token")
    );
    assert!(
        login.has_header("password")
            && login.has_header("username")
            && login.has_header("et-app-key")
    );
    assert_eq!(log[2].query.as_deref(), Some("debug=1"));
    assert_eq!(&log[3].body[..], b"{\"a\":1}");
    // No secret value is stored anywhere in the recording.
    let dump = format!("{log:?}");
    let password = ctx.sb.user("trader").unwrap().password;
    for secret in [password.as_str(), token.as_str(), ctx.sb.app_key()] {
        assert!(!dump.contains(secret));
        assert!(!log
            .iter()
            .any(|r| r.header_names.iter().any(|h| h.contains(secret))));
    }
}

#[tokio::test]
async fn seed_is_deterministic() {
    let a = Ctx::new().await;
    let b = Ctx::new().await;
    let c = Ctx::with(SandboxConfig {
        seed: 7,
        ..Default::default()
    })
    .await;
    assert_eq!(a.sb.user_id("trader"), b.sb.user_id("trader"));
    assert_eq!(a.sb.account_ids("trader"), b.sb.account_ids("trader"));
    let ta = a.login("trader").await;
    let tb = b.login("trader").await;
    let path = format!("/v1.0/accounts/{}", a.sb.account_ids("trader")[0]);
    assert_eq!(
        a.get(&path, Some(&ta)).await.1,
        b.get(&path, Some(&tb)).await.1
    );
    let ids_c = (c.sb.user_id("trader"), c.sb.account_ids("trader"));
    assert_ne!((a.sb.user_id("trader"), a.sb.account_ids("trader")), ids_c);
    // Verification codes depend on the seed and a counter only.
    for ctx in [&a, &b] {
        let (u, p) = ctx.creds("trader2fa");
        ctx.token_req(&[("Username", &u), ("Password", &p)])
            .send()
            .await
            .unwrap();
    }
    assert_eq!(
        a.sb.verification_code("trader2fa"),
        b.sb.verification_code("trader2fa")
    );
}

#[tokio::test]
async fn shutdown_stops_the_server() {
    let ctx = Ctx::new().await;
    let url = ctx.sb.url();
    ctx.sb.shutdown().await;
    let fresh = reqwest::Client::new();
    assert!(fresh
        .get(format!("{url}/.well-known/openid-configuration"))
        .send()
        .await
        .is_err());
}

#[tokio::test]
async fn chaos_injects_each_kind_of_fault_and_counts_it() {
    use autoshares_sandbox::Chaos;
    let ctx = Ctx::new().await;
    let faults = ctx.sb.faults();
    let token = ctx.login("trader").await;
    let get = || {
        ctx.http
            .get(ctx.url("/v1.0/users/@me/info"))
            .header("Et-App-Key", ctx.sb.app_key())
            .bearer_auth(&token)
            .send()
    };
    faults.set_chaos(Some(Chaos {
        server_errors: 1.0,
        ..Chaos::default()
    }));
    assert!(get().await.unwrap().status().is_server_error());
    faults.set_chaos(Some(Chaos {
        rate_limited: 1.0,
        ..Chaos::default()
    }));
    let resp = get().await.unwrap();
    assert_eq!(resp.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(resp.headers()["retry-after"], "1");
    faults.set_chaos(Some(Chaos {
        malformed: 1.0,
        ..Chaos::default()
    }));
    let body = get().await.unwrap().text().await.unwrap();
    assert!(serde_json::from_str::<Value>(&body).is_err(), "{body}");
    faults.set_chaos(Some(Chaos {
        resets_after_act: 1.0,
        ..Chaos::default()
    }));
    // The connection breaks: before the headers are read, or in the body.
    match get().await {
        Err(_) => {}
        Ok(resp) => assert!(resp.bytes().await.is_err(), "the body was cut"),
    }
    faults.set_chaos(None);
    assert_eq!(get().await.unwrap().status(), StatusCode::OK);
    let counts = faults.counts();
    assert_eq!(
        (
            counts.server_errors,
            counts.rate_limited,
            counts.malformed,
            counts.resets_after_act
        ),
        (1, 1, 1, 1)
    );
    assert_eq!(counts.total(), 4);
}

//! IPO offerings, news, streamers and agreements over real HTTP.

mod common;
mod rest;

use reqwest::StatusCode;
use rest::{assert_conflict, assert_denied, model_state_keys, T};
use serde_json::{json, Value};

#[tokio::test]
async fn ipo_offerings_pages_filter_and_subscriptions() {
    let t = T::new().await;
    let (status, industries) = t.get("/v1.0/ipo/industries").await;
    assert_eq!(status, StatusCode::OK);
    let industries: Vec<String> = serde_json::from_value(industries).unwrap();
    assert!(industries.contains(&"Health Care".to_string()));
    let mut sorted = industries.clone();
    sorted.sort();
    assert_eq!(industries, sorted);

    let base = format!("/v1.0/ipo/accounts/{}/offerings", t.cash_account);
    let (status, page) = t.get(&format!("{base}/active?page=1&pageSize=5")).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(page["PageNumber"], 1);
    assert_eq!(page["PageSize"], 5);
    let total = page["TotalCount"].as_i64().unwrap();
    assert_eq!(page["TotalPage"].as_i64().unwrap(), (total + 4) / 5);
    assert_eq!(page["Items"].as_array().unwrap().len(), 5);
    let first = page["Items"][0].clone();
    assert_eq!(first["IsSubscribed"], false);

    // Filter language and sortBy (descending with '-').
    let (status, health) = t
        .get(&format!("{base}/active?page=1&pageSize=50&filter=Industry%20%3D%20'Health%20Care'&sortBy=-MinPrice"))
        .await;
    assert_eq!(status, StatusCode::OK, "{health}");
    let items = health["Items"].as_array().unwrap();
    assert!(!items.is_empty());
    assert!(items.iter().all(|i| i["Industry"] == "Health Care"));
    let prices: Vec<f64> = items
        .iter()
        .map(|i| i["MinPrice"].as_f64().unwrap())
        .collect();
    assert!(prices.windows(2).all(|w| w[0] >= w[1]), "{prices:?}");
    let (status, body) = t
        .get(&format!(
            "{base}/active?page=1&pageSize=5&filter=Industry%20%3D"
        ))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(model_state_keys(&body), ["filter"]);
    let (status, body) = t.get(&format!("{base}/active?page=0&pageSize=5")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(model_state_keys(&body), ["page"]);
    let (status, _) = t.get(&format!("{base}/active?pageSize=5")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Subscribe, see it, subscribe again (409), unsubscribe, unsubscribe again (409).
    let reference = first["OfferingReference"].as_str().unwrap();
    let (status, _) = t
        .post(&format!("{base}/{reference}/subscribe"), json!(null))
        .await;
    assert_eq!(status, StatusCode::OK);
    let (_, page) = t.get(&format!("{base}/active?page=1&pageSize=1")).await;
    assert_eq!(page["Items"][0]["IsSubscribed"], true);
    let (_, other_account) = t
        .get(&format!(
            "/v1.0/ipo/accounts/{}/offerings/active?page=1&pageSize=1",
            t.margin_account
        ))
        .await;
    assert_eq!(other_account["Items"][0]["IsSubscribed"], false);
    let (status, body) = t
        .post(&format!("{base}/{reference}/subscribe"), json!(null))
        .await;
    assert_conflict(status, &body, "already subscribed");
    let (status, _) = t
        .post(&format!("{base}/{reference}/unsubscribe"), json!(null))
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = t
        .post(&format!("{base}/{reference}/unsubscribe"), json!(null))
        .await;
    assert_conflict(status, &body, "not subscribed");
    let (status, body) = t
        .post(&format!("{base}/IPO-NOPE/subscribe"), json!(null))
        .await;
    assert_conflict(status, &body, "does not exist");
    let other = t.ctx.sb.account_ids("other")[0];
    let (status, body) = t
        .get(&format!(
            "/v1.0/ipo/accounts/{other}/offerings/active?page=1&pageSize=5"
        ))
        .await;
    assert_denied(status, &body);

    // The anonymous security info: no Authorization, app key still required.
    let resp = t
        .ctx
        .http
        .get(t.ctx.url("/v1.0/ipo/security-info"))
        .header("Et-App-Key", t.ctx.sb.app_key())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let text: Value = resp.json().await.unwrap();
    let inner: Value = serde_json::from_str(text.as_str().unwrap()).unwrap();
    assert_eq!(inner.as_array().unwrap().len() as i64, total);
    let resp = t
        .ctx
        .http
        .get(t.ctx.url("/v1.0/ipo/security-info"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn news_and_corporate_actions() {
    let t = T::new().await;
    let (status, news) = t.get("/v1.0/news?symbol=AAPL").await;
    assert_eq!(status, StatusCode::OK);
    let items = news.as_array().unwrap();
    assert_eq!(items.len(), 6);
    let dates: Vec<i64> = items.iter().map(|n| n["Date"].as_i64().unwrap()).collect();
    assert!(
        dates.windows(2).all(|w| w[0] > w[1]),
        "newest first: {dates:?}"
    );
    assert!(
        dates[0] > 1_500_000_000 && dates[0] < 10_000_000_000,
        "Unix seconds"
    );
    assert!(items
        .iter()
        .all(|n| n["Content"].as_str().unwrap().contains("AAPL")));
    let (_, again) = t.get("/v1.0/news?symbol=AAPL").await;
    assert_eq!(again, news, "deterministic");
    let (status, body) = t.get("/v1.0/news?symbol=NOPE").await;
    assert_conflict(status, &body, "NOPE");
    let (status, _) = t.get("/v1.0/news").await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let (status, actions) = t.get("/v1.0/news/corporate-actions?symbol=AAPL").await;
    assert_eq!(status, StatusCode::OK);
    let actions = actions.as_array().unwrap();
    assert_eq!(actions.len(), 5);
    assert!(actions
        .iter()
        .all(|a| a["Type"] == "CashDividend" && a["SecurityId"] == 4));
    assert_eq!(actions[0]["Completed"], false, "the next one is announced");
    assert_eq!(actions[0]["CompleteDate"], "0001-01-01T00:00:00.000Z");
    assert!(actions.iter().any(|a| a["Completed"] == true));
    let (status, body) = t.get("/v1.0/news/corporate-actions?symbol=%20").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(model_state_keys(&body), ["symbol"]);
}

#[tokio::test]
async fn streamers_and_session_recovery() {
    let t = T::new().await;
    let (status, s) = t.get("/v1.0/streamers").await;
    assert_eq!(status, StatusCode::OK);
    let host = t.ctx.sb.url().replacen("http://", "ws://", 1);
    assert_eq!(
        s["QuoteAddresses"][0]["Url"],
        format!("{host}/stream/quotes")
    );
    assert_eq!(s["DataAddresses"][0]["Url"], format!("{host}/stream/data"));
    assert_eq!(s["QuoteAddresses"][0]["Type"], "Delayed");
    let quote = s["QuoteAddresses"][0]["SessionId"]
        .as_str()
        .unwrap()
        .to_string();
    let data = s["DataAddresses"][0]["SessionId"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(uuid::Uuid::parse_str(&quote).is_ok() && quote != data);
    let (_, same) = t.get("/v1.0/streamers").await;
    assert_eq!(same, s, "sessions are stable until recovered");

    let (status, fresh) = t
        .put("/v1.0/streamers/session/recover?sessionType=1", None)
        .await;
    assert_eq!(status, StatusCode::OK);
    let fresh = fresh.as_str().unwrap().to_string();
    assert_ne!(fresh, quote);
    {
        let store = t.ctx.sb.state().rest();
        assert!(autoshares_sandbox::streamers::session_owner(&store, &quote).is_none());
        let owner = autoshares_sandbox::streamers::session_owner(&store, &fresh).unwrap();
        assert_eq!(owner.user_id, t.user_id);
    }
    let (_, s2) = t.get("/v1.0/streamers").await;
    assert_eq!(s2["QuoteAddresses"][0]["SessionId"], fresh.as_str());
    assert_eq!(s2["DataAddresses"][0]["SessionId"], data.as_str());

    let (status, body) = t
        .put("/v1.0/streamers/session/recover?sessionType=7", None)
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(model_state_keys(&body), ["sessionType"]);
    let (status, _) = t.put("/v1.0/streamers/session/recover", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, body) = t
        .call_as("bogus", reqwest::Method::GET, "/v1.0/streamers", None)
        .await;
    assert_denied(status, &body);
}

#[tokio::test]
async fn agreements_sign_and_entitle_quotes() {
    let t = T::new().await;
    let (status, pending) = t.get("/v1.0/users/@me/agreements").await;
    assert_eq!(status, StatusCode::OK);
    let types: Vec<&str> = pending
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["Type"].as_str().unwrap())
        .collect();
    assert_eq!(types, ["Platform", "Quotemedia", "Quodd"]);
    assert_eq!(pending[0]["CanSkip"], false);
    let quotemedia = pending[1]["Id"].as_i64().unwrap();
    let (status, _) = t
        .post(
            &format!("/v1.0/users/@me/agreements/{quotemedia}/sign"),
            json!(null),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = t
        .post(
            &format!("/v1.0/users/{}/agreements/{quotemedia}/sign", t.user_id),
            json!(null),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "signing twice changes nothing");
    let (_, pending) = t.get("/v1.0/users/@me/agreements").await;
    assert_eq!(pending.as_array().unwrap().len(), 2);
    // A signed market-data agreement makes the quote streamer entitlement-based.
    let (_, s) = t.get("/v1.0/streamers").await;
    assert_eq!(s["QuoteAddresses"][0]["Type"], "EntitlementBased");

    let (status, body) = t
        .post("/v1.0/users/@me/agreements/1/sign", json!(null))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(model_state_keys(&body), ["agreementId"]);
    let other = t.ctx.sb.user_id("other").unwrap();
    let (status, body) = t.get(&format!("/v1.0/users/{other}/agreements")).await;
    assert_denied(status, &body);
}

//! Watchlists and price alerts over real HTTP.

mod common;
mod rest;

use reqwest::StatusCode;
use rest::{assert_conflict, assert_denied, model_state_keys, T};
use serde_json::{json, Value};

fn symbols(w: &Value) -> Vec<String> {
    w["SecurityList"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["Symbol"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn watchlist_lifecycle() {
    let t = T::new().await;
    // The seeded read-only system list.
    let (status, lists) = t
        .get("/v1.0/users/@me/watchlists?includeSecurities=true")
        .await;
    assert_eq!(status, StatusCode::OK);
    let lists = lists.as_array().unwrap().clone();
    assert_eq!(lists.len(), 1);
    assert_eq!(lists[0]["Type"], "SystemList");
    assert_eq!(lists[0]["ReadOnly"], true);
    assert_eq!(lists[0]["SecurityList"].as_array().unwrap().len(), 5);
    let system_id = lists[0]["Id"].as_i64().unwrap();
    // Query names bind case-insensitively, as in ASP.NET.
    let (status, same) = t
        .get("/v1.0/users/@me/watchlists?INCLUDESECURITIES=true")
        .await;
    assert_eq!(
        (status, same.as_array().unwrap().clone()),
        (StatusCode::OK, lists.clone())
    );

    // Create with AAPL (id 4), add MSFT by symbol and another by id, remove, rename, delete.
    let (status, w) = t
        .post(
            "/v1.0/users/@me/watchlists?resultIncludeSecurities=true",
            json!({"Name": "Tech", "Securities": [4]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{w}");
    assert_eq!(w["Type"], "UserList");
    assert_eq!(symbols(&w), ["AAPL"]);
    let id = w["Id"].as_i64().unwrap();
    let base = format!("/v1.0/users/{}/watchlists/{id}", t.user_id);

    let (status, w) = t
        .put(
            &format!("{base}/securities"),
            Some(json!({"Symbol": "MSFT"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{w}");
    assert_eq!(symbols(&w), ["AAPL", "MSFT"]);
    let msft_id = w["SecurityList"][1]["Id"].as_i64().unwrap();
    let (status, w) = t.delete(&format!("{base}/securities/4"), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(symbols(&w), ["MSFT"]);
    let (status, w) = t.put(&format!("{base}/securities/4"), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(symbols(&w), ["MSFT", "AAPL"]);
    let (status, w) = t
        .delete(
            &format!("{base}/securities"),
            Some(json!({"Symbol": "MSFT"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(symbols(&w), ["AAPL"]);
    assert!(msft_id > 0);

    let (status, renamed) = t.put(&format!("{base}/name?name=Growth"), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(renamed, json!({"m_Item1": id, "m_Item2": "Growth"}));
    let (status, w) = t.get(&format!("{base}?includeSecurities=false")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(w["Name"], "Growth");
    assert_eq!(w["SecurityList"], json!([]));

    let (status, body) = t.delete(&base, None).await;
    assert_eq!((status, body), (StatusCode::NO_CONTENT, Value::Null));
    let (status, body) = t.get(&format!("{base}?includeSecurities=true")).await;
    assert_conflict(status, &body, "does not exist");

    // The system list cannot be changed.
    let system = format!("/v1.0/users/@me/watchlists/{system_id}");
    let (status, body) = t.delete(&system, None).await;
    assert_conflict(status, &body, "read-only");
    let (status, body) = t.put(&format!("{system}/securities/4"), None).await;
    assert_conflict(status, &body, "read-only");
}

#[tokio::test]
async fn watchlist_failures() {
    let t = T::new().await;
    let create = "/v1.0/users/@me/watchlists?resultIncludeSecurities=false";
    let (status, w) = t.post(create, json!({"Name": "Mine"})).await;
    assert_eq!(status, StatusCode::OK);
    let id = w["Id"].as_i64().unwrap();
    // Duplicate name (case-insensitive), unknown security, unknown field: 409.
    let (status, body) = t.post(create, json!({"Name": "MINE"})).await;
    assert_conflict(status, &body, "already exists");
    let (status, body) = t
        .post(create, json!({"Name": "Other", "Securities": [999999]}))
        .await;
    assert_conflict(status, &body, "999999");
    let (status, body) = t.post(create, json!({"Name": "X", "Colour": "red"})).await;
    assert_conflict(status, &body, "Colour");
    // Blank name: 422 naming the field.
    let (status, body) = t.post(create, json!({"Name": " "})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(model_state_keys(&body), ["watchlist.Name"]);
    // Missing required query parameter: the routing 404.
    let (status, body) = t
        .post("/v1.0/users/@me/watchlists", json!({"Name": "Y"}))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(body["Message"]
        .as_str()
        .unwrap()
        .starts_with("No HTTP resource"));
    // Unknown symbol, symbol already there, id instead of symbol.
    let base = format!("/v1.0/users/@me/watchlists/{id}");
    let (status, body) = t
        .put(
            &format!("{base}/securities"),
            Some(json!({"Symbol": "NOPE"})),
        )
        .await;
    assert_conflict(status, &body, "NOPE");
    let (status, _) = t.put(&format!("{base}/securities/4"), None).await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = t.put(&format!("{base}/securities/4"), None).await;
    assert_conflict(status, &body, "already");
    let (status, body) = t
        .put(&format!("{base}/securities"), Some(json!({"Symbol": "4"})))
        .await;
    assert_conflict(status, &body, "'4'");
    let (status, body) = t
        .put(
            &format!("{base}/securities"),
            Some(json!({"Symbol": "AAPL", "Exchange": "NYSE"})),
        )
        .await;
    assert_conflict(status, &body, "exchange");
    let (status, body) = t.delete(&format!("{base}/securities/5"), None).await;
    assert_conflict(status, &body, "not in the watchlist");
    // Renaming to a taken name, or without a name.
    let (status, _) = t.post(create, json!({"Name": "Second"})).await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = t.put(&format!("{base}/name?name=second"), None).await;
    assert_conflict(status, &body, "already exists");
    let (status, _) = t.put(&format!("{base}/name"), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // Someone else's watchlists.
    let other = t.ctx.sb.user_id("other").unwrap();
    let (status, body) = t
        .get(&format!(
            "/v1.0/users/{other}/watchlists?includeSecurities=true"
        ))
        .await;
    assert_denied(status, &body);
}

#[tokio::test]
async fn price_alert_lifecycle_and_evaluation() {
    let t = T::new().await;
    let now = t
        .get("/v1.0/users/@me/pricealerts?pageSize=10&pageNumber=0&sortBy=Id&isDesc=false")
        .await;
    assert_eq!(now.0, StatusCode::OK);
    assert_eq!(now.1["TotalCount"], 0);
    let price = t.ctx.sb.state().market.quote(4).unwrap().last;
    let far = 4_102_444_800i64; // 2100-01-01
                                // One that cannot fire yet, one that fires at once (Last <= twice the price).
    let (status, armed) = t
        .post(
            "/v1.0/users/@me/pricealerts",
            json!({"State": "New", "Operator": "GTEQ", "SecurityId": 4, "Field": "Last",
                   "Argument": (price * rust_decimal::Decimal::TEN).to_string().parse::<f64>().unwrap(),
                   "ExpirationDate": far}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{armed}");
    assert_eq!(armed["State"], "New");
    assert_eq!(armed["Symbol"], "AAPL");
    assert!(
        armed["CreatedDate"].as_i64().unwrap() > 1_500_000_000,
        "Unix seconds"
    );
    assert_eq!(armed["ExpirationDate"], far);
    let (status, fired) = t
        .post(
            "/v1.0/users/@me/pricealerts",
            json!({"Operator": "LTEQ", "SecurityId": 4, "Field": "Last",
                   "Argument": 1_000_000.0, "ExpirationDate": far}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(fired["State"], "Completed");

    let armed_path = format!("/v1.0/users/@me/pricealerts/{}", armed["Id"]);
    let (status, got) = t.get(&armed_path).await;
    assert_eq!((status, &got), (StatusCode::OK, &armed));
    // Re-arm the first one as stopped, then delete it.
    let (status, modified) = t
        .put(
            &armed_path,
            Some(
                json!({"State": "Stopped", "Operator": "LTEQ", "SecurityId": 4, "Field": "Bid",
                        "Argument": 1.5, "ExpirationDate": far}),
            ),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{modified}");
    assert_eq!(modified["State"], "Stopped");
    assert_eq!(modified["Field"], "Bid");

    let (status, page) = t
        .get("/v1.0/users/@me/pricealerts?pageSize=1&pageNumber=0&sortBy=Id&isDesc=true")
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(page["TotalCount"], 2);
    assert_eq!(page["Result"][0]["Id"], fired["Id"]);
    assert!(page["NextPageLink"]
        .as_str()
        .unwrap()
        .contains("pageNumber=1"));
    assert_eq!(page["PreviousPageLink"], "");

    let (status, body) = t.delete(&armed_path, None).await;
    assert_eq!((status, body), (StatusCode::NO_CONTENT, Value::Null));
    let (status, body) = t.delete(&armed_path, None).await;
    assert_conflict(status, &body, "does not exist");
    let (status, body) = t.get(&armed_path).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(model_state_keys(&body), ["alertId"]);
}

#[tokio::test]
async fn price_alert_failures() {
    let t = T::new().await;
    let path = "/v1.0/users/@me/pricealerts";
    let far = 4_102_444_800i64;
    // Required fields missing: 422 naming each.
    let (status, body) = t.post(path, json!({"SecurityId": 4, "Argument": 10})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        model_state_keys(&body),
        ["model.ExpirationDate", "model.Field", "model.Operator"]
    );
    // Wrong JSON type names the field.
    let (status, body) = t
        .post(
            path,
            json!({"Operator": "GTEQ", "Field": "Last", "ExpirationDate": "soon"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(model_state_keys(&body), ["model.ExpirationDate"]);
    // Business rules: 409.
    let ok = json!({"Operator": "GTEQ", "SecurityId": 4, "Field": "Last", "Argument": 10, "ExpirationDate": far});
    for (field, value, needle) in [
        ("Operator", json!("EQ"), "operator"),
        ("Field", json!("Volume"), "field"),
        ("SecurityId", json!(999999), "999999"),
        ("SecurityId", json!(0), "SecurityId"),
        ("Argument", json!(0), "Argument"),
        ("ExpirationDate", json!(1_000_000_000), "future"),
        ("State", json!("Completed"), "state"),
    ] {
        let mut body = ok.clone();
        body[field] = value;
        let (status, answer) = t.post(path, body).await;
        assert_conflict(status, &answer, needle);
    }
    // Missing paging parameters: 404 UnsupportedApiVersion, as documented for price alerts.
    let (status, body) = t.get("/v1.0/users/@me/pricealerts?pageSize=10").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["Error"]["Code"], "UnsupportedApiVersion");
    let (status, body) = t
        .put("/v1.0/users/@me/pricealerts/12345", Some(ok.clone()))
        .await;
    assert_conflict(status, &body, "does not exist");
    let other = t.ctx.sb.user_id("other").unwrap();
    let (status, body) = t
        .post(&format!("/v1.0/users/{other}/pricealerts"), ok)
        .await;
    assert_denied(status, &body);
}

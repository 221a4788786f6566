//! The Users operations beyond the profile: trading settings, password change, PIN reset, group,
//! patch, over real HTTP.

mod common;
mod rest;

use reqwest::StatusCode;
use rest::{assert_conflict, assert_denied, model_state_keys, T};
use serde_json::json;

#[tokio::test]
async fn trading_settings_round_trip_and_validation() {
    let t = T::new().await;
    let (status, settings) = t.get("/v1.0/users/@me/settings/trading").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(settings["SkipVerifyOrder"], "Show");
    assert_eq!(settings["Instruments"]["Stocks"]["OrderType"], "Market");
    assert_eq!(settings["Instruments"]["Options"]["Spreads"], 1);
    assert!(settings["Instruments"]["Stocks"].get("Spreads").is_none());

    let mut changed = settings.clone();
    changed["SkipVerifyOrder"] = json!("DoNotShow");
    changed["Instruments"]["Stocks"]["OrderType"] = json!("Limit");
    changed["Instruments"]["Stocks"]["Quantity"] = json!(25);
    changed["MaxStocksQuantity"] = json!(500);
    let (status, stored) = t
        .put("/v1.0/users/@me/settings/trading", Some(changed.clone()))
        .await;
    assert_eq!(status, StatusCode::OK, "{stored}");
    assert_eq!(stored, changed);
    let (_, read) = t
        .get(&format!("/v1.0/users/{}/settings/trading", t.user_id))
        .await;
    assert_eq!(read, changed);

    let mut bad = changed.clone();
    bad["SkipPlaceOrderStatus"] = json!("Sometimes");
    bad["Instruments"]["Forex"]["DurationType"] = json!("Forever");
    bad["QuantityStepIncrementMultiplier"] = json!(0);
    let (status, body) = t.put("/v1.0/users/@me/settings/trading", Some(bad)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        model_state_keys(&body),
        [
            "tradingSettings.Instruments.Forex.DurationType",
            "tradingSettings.QuantityStepIncrementMultiplier",
            "tradingSettings.SkipPlaceOrderStatus"
        ]
    );
    let (status, body) = t
        .put(
            "/v1.0/users/@me/settings/trading",
            Some(json!({"MaxStocksQuantity": "many"})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        model_state_keys(&body),
        ["tradingSettings.MaxStocksQuantity"]
    );
    let (_, unchanged) = t.get("/v1.0/users/@me/settings/trading").await;
    assert_eq!(unchanged, changed);
    let other = t.ctx.sb.user_id("other").unwrap();
    let (status, body) = t
        .get(&format!("/v1.0/users/{other}/settings/trading"))
        .await;
    assert_denied(status, &body);
}

#[tokio::test]
async fn password_change_rules_and_effect_on_token() {
    let t = T::new().await;
    let path = "/v1.0/users/@me/password/change";
    let (status, body) = t.put(path, Some(json!({}))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        body["ModelState"]["userPassword.OldPassword"],
        json!(["Password is required"])
    );
    let (status, body) = t
        .put(
            path,
            Some(
                json!({"OldPassword": "trader-pass", "Password": "abc", "PasswordConfirm": "abd"}),
            ),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        model_state_keys(&body),
        ["userPassword.Password", "userPassword.PasswordConfirm"]
    );
    let (status, body) = t
        .put(path, Some(json!({"OldPassword": "wrong", "Password": "new-pass-1", "PasswordConfirm": "new-pass-1"})))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["Message"], "Old password is incorrect");
    let (status, body) = t
        .put(path, Some(json!({"OldPassword": "trader-pass", "Password": "trader-pass", "PasswordConfirm": "trader-pass"})))
        .await;
    assert_conflict(status, &body, "differ");
    let other = t.ctx.sb.user_id("other").unwrap();
    let (status, body) = t
        .put(&format!("/v1.0/users/{other}/password/change"),
             Some(json!({"OldPassword": "other-pass", "Password": "hijacked", "PasswordConfirm": "hijacked"})))
        .await;
    assert_denied(status, &body);

    let (status, _) = t
        .put(path, Some(json!({"OldPassword": "trader-pass", "Password": "new-pass-1", "PasswordConfirm": "new-pass-1"})))
        .await;
    assert_eq!(status, StatusCode::OK);
    let login = |password: &'static str| {
        t.ctx
            .token_req(&[("Username", "trader"), ("Password", password)])
            .send()
    };
    assert_eq!(
        login("trader-pass").await.unwrap().status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(login("new-pass-1").await.unwrap().status(), StatusCode::OK);
}

#[tokio::test]
async fn expired_password_is_changed_with_the_restricted_token() {
    let t = T::new().await;
    let resp = t
        .ctx
        .token_req(&[("Username", "expired"), ("Password", "expired-pass")])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::ACCEPTED);
    let restricted = resp.json::<serde_json::Value>().await.unwrap()["Token"]
        .as_str()
        .unwrap()
        .to_string();
    // The restricted token opens nothing else...
    let (status, _) = t
        .call_as(
            &restricted,
            reqwest::Method::GET,
            "/v1.0/users/@me/info",
            None,
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // ...but changes the password, after which the login succeeds with a full session.
    let (status, body) = t
        .call_as(&restricted, reqwest::Method::PUT, "/v1.0/users/@me/password/change",
                 Some(json!({"OldPassword": "expired-pass", "Password": "fresh-pass", "PasswordConfirm": "fresh-pass"})))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let resp = t
        .ctx
        .token_req(&[("Username", "expired"), ("Password", "fresh-pass")])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
}

#[tokio::test]
async fn pin_reset_changes_the_pin_step() {
    let t = T::new().await;
    // A user without a PIN: 409 with a list of messages.
    let (status, body) = t.post("/v1.0/users/@me/pincode", json!(null)).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(body.as_array().unwrap()[0]
        .as_str()
        .unwrap()
        .contains("no pin"));

    let pin_user = rest::login_with_pin(&t.ctx, "traderpin", "1234").await;
    let (status, _) = t
        .call_as(
            &pin_user,
            reqwest::Method::POST,
            "/v1.0/users/@me/pincode",
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let new_pin = t.ctx.sb.reset_pin_code("traderpin").unwrap();
    assert_eq!(new_pin.len(), 4);
    if new_pin != "1234" {
        let step = t
            .ctx
            .token_req(&[("Username", "traderpin"), ("Password", "traderpin-pass")])
            .send()
            .await
            .unwrap();
        let interim = step.json::<serde_json::Value>().await.unwrap()["Token"]
            .as_str()
            .unwrap()
            .to_string();
        let auth = format!("Bearer {interim}");
        let old = t
            .ctx
            .token_req(&[
                ("Username", "traderpin"),
                ("Password", "traderpin-pass"),
                ("PinCode", "1234"),
                ("Authorization", &auth),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(
            old.status(),
            StatusCode::UNAUTHORIZED,
            "the old PIN no longer works"
        );
    }
    rest::login_with_pin(&t.ctx, "traderpin", &new_pin).await;
}

#[tokio::test]
async fn group_membership_and_patch_user() {
    let t = T::new().await;
    let token = t.ctx.sb.group_confirmation_token("trader").unwrap();
    let (status, body) = t
        .post("/v1.0/users/@me/group?confirmationToken=nope", json!(null))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body["Message"]
        .as_str()
        .unwrap()
        .contains("confirmation token"));
    let (status, _) = t
        .post(
            &format!("/v1.0/users/@me/group?confirmationToken={token}"),
            json!(null),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = t
        .post(
            &format!("/v1.0/users/@me/group?confirmationToken={token}"),
            json!(null),
        )
        .await;
    assert_conflict(status, &body, "already");
    let (status, _) = t.post("/v1.0/users/@me/group", json!(null)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let (status, user) = t
        .patch(
            "/v1.0/users/@me",
            json!({"FirstName": "Tessa", "Middle": "Q", "Salutation": "Dr", "Suffix": "Jr",
                   "TimeZoneInfoId": "Pacific Standard Time", "Address": {"City": "Springfield", "State": 12}}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{user}");
    assert_eq!(user["FirstName"], "Tessa");
    assert_eq!(user["LastName"], "Trader", "untouched");
    assert_eq!(user["Salutation"], "Dr");
    assert_eq!(user["Address"]["City"], "Springfield");
    assert_eq!(user["Address"]["State"], 12);
    assert_eq!(user["TimeZoneInfoId"], "Pacific Standard Time");
    let (_, info) = t.get("/v1.0/users/@me/info").await;
    assert_eq!(
        (
            info["FirstName"].clone(),
            info["MiddleName"].clone(),
            info["Salutation"].clone(),
            info["Suffix"].clone()
        ),
        (json!("Tessa"), json!("Q"), json!("Dr"), json!("Jr"))
    );

    let (status, body) = t.patch("/v1.0/users/@me", json!({"LastName": " "})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(model_state_keys(&body), ["user.LastName"]);
    let (status, body) = t
        .patch("/v1.0/users/@me", json!({"Salutation": "Lord"}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(model_state_keys(&body), ["user.Salutation"]);
    let (status, body) = t
        .patch("/v1.0/users/@me", json!({"TimeZoneInfoId": "Mars/Olympus"}))
        .await;
    assert_conflict(status, &body, "time zone");
    let (status, body) = t.patch("/v1.0/users/@me", json!([1, 2])).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let other = t.ctx.sb.user_id("other").unwrap();
    let (status, body) = t
        .patch(&format!("/v1.0/users/{other}"), json!({"FirstName": "X"}))
        .await;
    assert_denied(status, &body);
}

#[tokio::test]
async fn balance_info_sums_the_accounts() {
    let t = T::new().await;
    let (status, total) = t.get("/v1.0/users/@me/balance-info").await;
    assert_eq!(status, StatusCode::OK);
    let (_, cash) = t
        .get(&format!("/v1.0/accounts/{}/info", t.cash_account))
        .await;
    let (_, margin) = t
        .get(&format!("/v1.0/accounts/{}/info", t.margin_account))
        .await;
    let n = |v: &serde_json::Value| v.to_string().parse::<rust_decimal::Decimal>().unwrap();
    assert_eq!(n(&total["cash"]), n(&cash["cash"]) + n(&margin["cash"]));
    assert_eq!(n(&total["cash"]).to_string(), "125000.5");
    assert!(total.as_object().unwrap().values().all(|v| v.is_number()));
    let other = t.ctx.sb.user_id("other").unwrap();
    let (status, body) = t.get(&format!("/v1.0/users/{other}/balance-info")).await;
    assert_denied(status, &body);
}

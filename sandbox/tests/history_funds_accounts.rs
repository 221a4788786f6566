//! Securities extras, historical bars, mutual funds and the user-account operations over real HTTP.

mod common;

use autoshares_sandbox::{MarketConfig, SandboxConfig};
use chrono::{TimeZone, Utc};
use common::{json, Ctx};
use reqwest::{Method, StatusCode};
use rust_decimal::Decimal;
use serde_json::{json, Value};

struct T {
    c: Ctx,
    token: String,
    cash: i32,
    margin: i32,
}

fn d(v: &Value) -> Decimal {
    v.to_string().trim_matches('"').parse().expect("decimal")
}

impl T {
    async fn new() -> T {
        let config = SandboxConfig {
            market: MarketConfig {
                start_time: Utc.with_ymd_and_hms(2024, 5, 1, 14, 30, 0).single(),
                manual_clock: true,
                ..MarketConfig::default()
            },
            ..SandboxConfig::default()
        };
        let c = Ctx::with(config).await;
        let token = c.login("trader").await;
        let ids = c.sb.account_ids("trader");
        T {
            token,
            cash: ids[0],
            margin: ids[1],
            c,
        }
    }

    async fn call(&self, method: Method, path: &str, body: Option<Value>) -> (StatusCode, Value) {
        let mut req = self
            .c
            .http
            .request(method, self.c.url(path))
            .header("Et-App-Key", self.c.sb.app_key())
            .bearer_auth(&self.token);
        if let Some(b) = body {
            req = req.json(&b);
        }
        json(req.send().await.expect("request")).await
    }

    async fn clearing(&self, account: i32) -> String {
        let (_, v) = self
            .call(Method::GET, "/v1.0/users/@me/accounts", None)
            .await;
        v.as_array()
            .unwrap()
            .iter()
            .find(|a| a["Id"] == account)
            .map(|a| a["ClearingAccount"].as_str().unwrap().to_string())
            .unwrap()
    }

    fn advance_days(&self, days: i64) {
        self.c.sb.state().market.advance(days * 86_400);
    }
}

#[tokio::test]
async fn logo_is_a_png_and_currency_rates_are_exact() {
    let t = T::new().await;
    let resp =
        t.c.http
            .get(t.c.url("/v1.0/equities/AAPL/logo"))
            .header("Et-App-Key", t.c.sb.app_key())
            .bearer_auth(&t.token)
            .send()
            .await
            .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers()["content-type"], "image/png");
    let bytes = resp.bytes().await.unwrap();
    assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"));
    let (s, _) = t.call(Method::GET, "/v1.0/equities/NOPE/logo", None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    let (s, v) = t
        .call(
            Method::GET,
            "/v1.0/currencyRate?currency=USD&targetCurrency=USD",
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!((d(&v["Bid"]), d(&v["Last"])), (Decimal::ONE, Decimal::ONE));
    let (_, eur) = t
        .call(
            Method::GET,
            "/v1.0/currencyRate?currency=EUR&targetCurrency=USD",
            None,
        )
        .await;
    let (_, back) = t
        .call(
            Method::GET,
            "/v1.0/currencyRate?currency=USD&targetCurrency=EUR",
            None,
        )
        .await;
    let (eur, back) = (d(&eur["Last"]), d(&back["Last"]));
    assert!(eur > Decimal::ONE && back < Decimal::ONE);
    assert!(eur.scale() <= 6);
    assert!(((Decimal::ONE / eur).round_dp(6) - back).abs() <= Decimal::new(1, 6));
    let (s, _) = t
        .call(
            Method::GET,
            "/v1.0/currencyRate?currency=XXX&targetCurrency=USD",
            None,
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn option_chain_groups_contracts_and_honours_the_filter() {
    let t = T::new().await;
    let (s, v) = t
        .call(Method::GET, "/v1.0/options/optionChain/AAPL", None)
        .await;
    assert_eq!(s, StatusCode::OK);
    let exps = v["Expirations"].as_array().unwrap();
    assert_eq!(exps.len(), 6);
    let first = &exps[0];
    let options = first["Options"].as_array().unwrap();
    assert_eq!(options.len(), 42, "21 strikes, call and put");
    assert!(options.iter().all(|o| o["UnderlyingAssetSymbol"] == "AAPL"));
    let central = d(&first["CentralStrike"]);
    assert!(options.iter().any(|o| d(&o["StrikePrice"]) == central));

    let (_, ranged) = t
        .call(
            Method::GET,
            "/v1.0/options/optionChain/AAPL?filter=Range%20%3D%201",
            None,
        )
        .await;
    let opts = ranged["Expirations"][0]["Options"].as_array().unwrap();
    assert_eq!(
        opts.len(),
        6,
        "central strike and one either side, call and put"
    );

    let date = first["Expiration"].as_str().unwrap();
    let expr = format!("Expiration = #{date}#");
    let url = format!("/v1.0/options/optionChain/AAPL?filter={}", urlencode(&expr));
    let (_, one) = t.call(Method::GET, &url, None).await;
    assert_eq!(one["Expirations"].as_array().unwrap().len(), 1);
    assert_eq!(one["Expirations"][0]["Expiration"], date);

    let (_, regular) = t
        .call(
            Method::GET,
            "/v1.0/options/optionChain/AAPL?filter=ExpirationType%20%3D%200",
            None,
        )
        .await;
    let regular = regular["Expirations"].as_array().unwrap();
    assert!(!regular.is_empty() && regular.len() < 6);
    assert!(regular
        .iter()
        .all(|e| e["Options"][0]["ExpirationType"] == "Regular"));
    let (s, _) = t
        .call(
            Method::GET,
            "/v1.0/options/optionChain/AAPL?filter=Range%20%3D%20'x'",
            None,
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
}

fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

#[tokio::test]
async fn bars_agree_with_quotes_and_indicators_are_exact() {
    let t = T::new().await;
    let body = json!({
        "Security": {"Symbol": "AAPL"},
        "SecurityHistorySettings": {"Period": "1h", "Interval": 0, "CandlesCount": 24},
        "IndicatorsHistorySettings": [{"Signature": "SMA|1h|false|3|0"}, {"Signature": "KVO|1h|false|34|55|13"},
            {"Signature": "MACD|1h|false|12|26|9"}, {"Signature": "Bollinger|1h|false|22|2"}],
    });
    let (s, v) = t
        .call(Method::PUT, "/v1.0/history/symbols", Some(body))
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let candles = v["SecurityHistory"][0].as_array().unwrap();
    assert_eq!(candles.len(), 24);
    let (_, quote) = t.call(Method::GET, "/v1.0/equities/AAPL", None).await;
    assert_eq!(quote["Symbol"], "AAPL");
    let now = t.c.sb.state().market.now();
    let last_price = t.c.sb.state().market.quote(4).unwrap().last;
    let last = candles.last().unwrap();
    assert_eq!(
        d(&last["Close"]),
        last_price,
        "the current candle closes at the quote"
    );
    let times: Vec<i64> = candles
        .iter()
        .map(|c| c["Time"].as_i64().unwrap())
        .collect();
    assert!(times.windows(2).all(|w| w[1] - w[0] == 3600));
    assert!(*times.last().unwrap() <= now.timestamp());
    for c in candles {
        let (o, h, l, cl) = (d(&c["Open"]), d(&c["High"]), d(&c["Low"]), d(&c["Close"]));
        assert!(l <= o.min(cl) && h >= o.max(cl));
    }
    // Candles are consecutive: each closes where the next opens (prices at the boundary).
    for w in candles.windows(2) {
        assert_eq!(d(&w[0]["Close"]), d(&w[1]["Open"]));
    }
    let sma = v["IndicatorsHistory"][0].as_array().unwrap();
    assert_eq!(
        sma.len(),
        24,
        "every candle shown has a value (warm-up candles before it)"
    );
    let closes: Vec<Decimal> = candles.iter().map(|c| d(&c["Close"])).collect();
    let f = |d: Decimal| d.to_string().parse::<f64>().unwrap();
    let expected = (f(closes[21]) + f(closes[22]) + f(closes[23])) / 3.0;
    let got = sma[23]["Values"][0].as_f64().unwrap();
    assert!(
        (got - expected).abs() <= 1e-12 * expected,
        "{got} vs {expected}"
    );
    assert_eq!(sma[23]["Date"], candles[23]["Time"]);
    assert_eq!(
        v["IndicatorsHistory"][1],
        json!([]),
        "an indicator the sandbox does not compute: empty series"
    );
    let macd = v["IndicatorsHistory"][2].as_array().unwrap();
    assert_eq!(macd.len(), 24);
    for p in macd {
        let x: Vec<f64> = p["Values"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_f64().unwrap())
            .collect();
        assert_eq!(x.len(), 3, "[line, signal, histogram]");
        assert!((x[0] - x[1] - x[2]).abs() <= 1e-9 * x[0].abs().max(1.0));
    }
    let bands = v["IndicatorsHistory"][3].as_array().unwrap();
    for p in bands {
        let x: Vec<f64> = p["Values"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_f64().unwrap())
            .collect();
        assert!(
            x[2] <= x[0] && x[0] <= x[1],
            "lower <= middle <= upper: {x:?}"
        );
        assert!(((x[1] - x[0]) - (x[0] - x[2])).abs() <= 1e-9 * x[0]);
    }
    let (s, e) = t
        .call(
            Method::PUT,
            "/v1.0/history/symbols",
            Some(json!({"Security": {"Symbol": "AAPL"}, "IndicatorsHistorySettings": [{"Signature": "MACD|1h|false|26|12|9"}]})),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");

    let (s, cmp) = t
        .call(
            Method::PUT,
            "/v1.0/history/compare",
            Some(
                json!({"Securities": [{"Symbol": "AAPL"}, {"Symbol": "MSFT"}],
                "SecuritiesHistorySettings": {"Period": "1h", "CandlesCount": 24}}),
            ),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(cmp.as_array().unwrap().len(), 2);
    assert_eq!(cmp[0], {
        let mut c = json!(candles);
        let first = closes[0];
        for (i, x) in c.as_array_mut().unwrap().iter_mut().enumerate() {
            x["Price"] = x["Close"].clone();
            let diff = ((closes[i] - first) * Decimal::ONE_HUNDRED / first).round_dp(2);
            x["Difference"] = serde_json::from_str(&diff.normalize().to_string()).unwrap();
        }
        c
    });
    let (s, export) = t
        .call(
            Method::POST,
            "/v1.0/history/export",
            Some(json!({"Securities": [4], "TimeFrame": {"period": "1D", "candlesCount": 5}, "DefaultFileName": "aapl"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(export["FileName"], "aapl.csv");
    assert_eq!(export["Content"].as_str().unwrap().lines().count(), 6);
    let (s, _) = t
        .call(
            Method::PUT,
            "/v1.0/history/symbols",
            Some(json!({"Security": {"Symbol": "NOPE"}})),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
    let (s, _) = t
        .call(
            Method::PUT,
            "/v1.0/history/symbols",
            Some(json!({"Security": {"Symbol": "AAPL"}, "SecurityHistorySettings": {"Period": "7x"}})),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn mutual_funds_fill_at_the_next_nav_and_every_operation_works() {
    let t = T::new().await;
    let cn = t.clearing(t.cash).await;
    let base = format!("/v1.0/accounts/{cn}");
    let market = &t.c.sb.state().market;
    let vfiax = market
        .security_by_symbol("VFIAX")
        .expect("a seeded fund")
        .clone();
    let swppx = market
        .security_by_symbol("SWPPX")
        .expect("a seeded fund")
        .clone();

    let buy = json!({"Symbol": "VFIAX", "Quantity": 10, "QuantityQualifier": "Shares"});
    let (s, p) = t
        .call(
            Method::POST,
            &format!("{base}/preview/orders/mutual-funds/buy"),
            Some(buy.clone()),
        )
        .await;
    assert_eq!(
        (s, p["IsSuccessful"].clone()),
        (StatusCode::OK, json!(true))
    );
    let (s, o) = t
        .call(
            Method::POST,
            &format!("{base}/orders/mutual-funds/buy"),
            Some(buy),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{o}");
    assert_eq!(
        (o["Status"].clone(), d(&o["Quantity"])),
        (json!("New"), Decimal::from(10))
    );
    let id = o["Id"].as_i64().unwrap();
    // Cancel before the NAV.
    let (s, _) = t
        .call(
            Method::DELETE,
            &format!("{base}/orders/mutual-funds/{id}"),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _) = t
        .call(
            Method::DELETE,
            &format!("{base}/orders/mutual-funds/{id}"),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "already cancelled");

    let (_, o) = t
        .call(
            Method::POST,
            &format!("{base}/orders/mutual-funds/buy"),
            Some(json!({"Symbol": "VFIAX", "Quantity": 5000, "QuantityQualifier": "EvenDollar"})),
        )
        .await;
    let id = o["Id"].as_i64().unwrap();
    let placed = market.now();
    t.advance_days(1);
    let nav_time = (placed.date_naive() + chrono::Duration::days(1))
        .and_hms_opt(0, 0, 0)
        .unwrap()
        .and_utc();
    let nav = market.price_at(&vfiax, nav_time);
    let (_, order) = t
        .call(
            Method::GET,
            &format!("/v1.0/accounts/{}/orders/{id}", t.cash),
            None,
        )
        .await;
    assert_eq!(order["Status"], "Filled", "{order}");
    let shares = (Decimal::from(5000) / nav)
        .round_dp_with_strategy(3, rust_decimal::RoundingStrategy::ToZero);
    assert_eq!(d(&order["ExecutedQuantity"]), shares);
    assert_eq!(d(&order["AveragePrice"]), nav);

    // Sell some, exchange the rest, then nothing is left to liquidate.
    let sell = json!({"Symbol": "VFIAX", "Quantity": 1});
    let (_, p) = t
        .call(
            Method::POST,
            &format!("{base}/preview/orders/mutual-funds/sell"),
            Some(sell.clone()),
        )
        .await;
    assert_eq!(p["IsSuccessful"], true);
    let (s, _) = t
        .call(
            Method::POST,
            &format!("{base}/orders/mutual-funds/sell"),
            Some(sell),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let exchange = json!({"SourceSymbol": "VFIAX", "TargetSymbol": "SWPPX"});
    let (_, p) = t
        .call(
            Method::POST,
            &format!("{base}/preview/orders/mutual-funds/exchange"),
            Some(exchange.clone()),
        )
        .await;
    assert_eq!(p["IsSuccessful"], true);
    let (s, _) = t
        .call(
            Method::POST,
            &format!("{base}/orders/mutual-funds/exchange"),
            Some(exchange),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    t.advance_days(1);
    let (_, positions) = t
        .call(
            Method::GET,
            &format!(
                "/v1.0/accounts/{}/positions?pageNumber=0&pageSize=10&sortField=Id&desc=false",
                t.cash
            ),
            None,
        )
        .await;
    let held: Vec<i64> = positions["Result"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["SecurityId"].as_i64().unwrap())
        .collect();
    assert_eq!(held, vec![swppx.id as i64], "{positions}");

    let liquidate = json!({"Symbol": "SWPPX"});
    let (_, p) = t
        .call(
            Method::POST,
            &format!("{base}/preview/orders/mutual-funds/liquidate"),
            Some(liquidate.clone()),
        )
        .await;
    assert_eq!(p["IsSuccessful"], true);
    let (s, _) = t
        .call(
            Method::POST,
            &format!("{base}/orders/mutual-funds/liquidate"),
            Some(liquidate.clone()),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    t.advance_days(1);
    let (s, e) = t
        .call(
            Method::POST,
            &format!("{base}/orders/mutual-funds/liquidate"),
            Some(liquidate.clone()),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{e}");
    let (_, p) = t
        .call(
            Method::POST,
            &format!("{base}/preview/orders/mutual-funds/liquidate"),
            Some(liquidate),
        )
        .await;
    assert_eq!(
        (p["IsSuccessful"].clone(), p["ErrorDescription"].clone()),
        (json!(false), json!("InsufficientShares"))
    );

    // Rejections: not a fund (409), too much (409), malformed (422), someone else's account (401).
    let (s, _) = t
        .call(
            Method::POST,
            &format!("{base}/orders/mutual-funds/buy"),
            Some(json!({"Symbol": "AAPL", "Quantity": 1})),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
    let (s, _) = t
        .call(
            Method::POST,
            &format!("{base}/orders/mutual-funds/buy"),
            Some(json!({"Symbol": "VFIAX", "Quantity": 100000000})),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
    let (s, v) = t
        .call(
            Method::POST,
            &format!("{base}/orders/mutual-funds/buy"),
            Some(json!({"Symbol": "VFIAX"})),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(v["ModelState"]["resource.Quantity"].is_array());
    let other = t.c.sb.account_ids("other")[0];
    let other_cn = t.c.sb.state().dir().accounts[&other]
        .clearing_account
        .clone();
    let (s, _) = t
        .call(
            Method::POST,
            &format!("/v1.0/accounts/{other_cn}/orders/mutual-funds/buy"),
            Some(json!({"Symbol": "VFIAX", "Quantity": 1})),
        )
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn user_account_operations() {
    let t = T::new().await;
    let me = t.c.sb.user_id("trader").unwrap();
    let other_user = t.c.sb.user_id("other").unwrap();
    let other_account = t.c.sb.account_ids("other")[0];

    // Buy something so the history moves.
    let (s, _) = t
        .call(Method::POST, &format!("/v1.0/accounts/{}/syncorders", t.margin),
            Some(json!({"Symbol": "AAPL", "Side": "Buy", "Type": "Market", "Quantity": 10, "TimeInForce": "Day"})))
        .await;
    assert_eq!(s, StatusCode::OK);
    t.advance_days(2);
    let (s, h) = t
        .call(Method::GET, &format!("/v1.0/accounts/{}/history?startDate=2024-04-28T00:00:00Z&endDate=2024-05-10T00:00:00Z&step=1", t.margin), None)
        .await;
    assert_eq!(s, StatusCode::OK, "{h}");
    let days = h.as_array().unwrap();
    // The account was opened before the range: one value a day up to today (3 May).
    assert_eq!(days.len(), 6, "{h}");
    assert_eq!(days[0]["Date"], "2024-04-28T00:00:00.000Z");
    assert_eq!(days[5]["Date"], "2024-05-03T00:00:00.000Z");
    assert_eq!(
        d(&days[0]["Value"]),
        Decimal::new(2_500_050, 2),
        "cash before the trade"
    );
    let (_, info) = t
        .call(
            Method::GET,
            &format!("/v1.0/accounts/{}/info", t.margin),
            None,
        )
        .await;
    let equity = d(&info["cash"]) + d(&info["marketValue"]);
    assert_eq!(d(&days[5]["Value"]), equity.round_dp(2));
    let (s, _) = t
        .call(
            Method::GET,
            &format!("/v1.0/accounts/{}/history?startDate=2024-04-28", t.margin),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, both) = t
        .call(
            Method::POST,
            "/v1.0/accounts/history?startDate=2024-05-03T00:00:00Z&endDate=2024-05-03T00:00:00Z",
            Some(json!([t.cash, t.margin])),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        d(&both[0]["Value"]),
        d(&days[5]["Value"]) + Decimal::new(10_000_000, 2)
    );

    let (s, all) = t
        .call(
            Method::GET,
            "/v1.0/accounts/all?pageNumber=0&pageSize=1&propertyName=Cash&isAscending=false",
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(all["TotalCount"], 2);
    assert_eq!(all["Result"][0]["Id"], t.cash, "larger cash first");
    assert!(all["NextPageLink"]
        .as_str()
        .unwrap()
        .contains("pageNumber=1"));
    let (_, filtered) = t
        .call(
            Method::GET,
            "/v1.0/accounts/all?pageNumber=0&pageSize=10&filter=MarginType%20%3D%20'Margin'",
            None,
        )
        .await;
    assert_eq!(filtered["TotalCount"], 1);
    let cn = t.clearing(t.cash).await;
    let (_, masked) = t
        .call(
            Method::GET,
            &format!(
                "/v1.0/accounts/all?pageNumber=0&pageSize=10&mask={}",
                &cn[2..]
            ),
            None,
        )
        .await;
    assert_eq!(masked["Result"][0]["ClearingAccount"], cn);

    let (s, sel) = t
        .call(
            Method::PUT,
            &format!("/v1.0/accounts/{}/select", t.margin),
            None,
        )
        .await;
    assert_eq!(
        (s, sel["AccountId"].clone()),
        (StatusCode::OK, json!(t.margin))
    );
    let (s, _) = t
        .call(
            Method::PUT,
            &format!("/v1.0/accounts/{}/alias/Savings", t.cash),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (_, mine) = t.call(Method::GET, "/v1.0/users/@me/accounts", None).await;
    assert_eq!(
        mine.as_array()
            .unwrap()
            .iter()
            .find(|a| a["Id"] == t.cash)
            .unwrap()["Alias"],
        "Savings"
    );
    let (s, _) = t
        .call(
            Method::DELETE,
            &format!("/v1.0/accounts/{}/alias", t.cash),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (_, mine) = t.call(Method::GET, "/v1.0/users/@me/accounts", None).await;
    assert_eq!(
        mine.as_array()
            .unwrap()
            .iter()
            .find(|a| a["Id"] == t.cash)
            .unwrap()["Alias"],
        ""
    );

    let (s, rel) = t
        .call(
            Method::PUT,
            &format!(
                "/v1.0/accounts/{}/users/{other_user}?accessType=ReadOnly",
                t.cash
            ),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{rel}");
    assert_eq!(rel["AccountAccessType"], "ReadOnly");
    let (s, rel) = t
        .call(
            Method::PUT,
            &format!(
                "/v1.0/accounts/{}/username/trader2fa?accessType=Full",
                t.cash
            ),
            None,
        )
        .await;
    assert_eq!(
        (s, rel["UserModel"]["Login"].clone()),
        (StatusCode::OK, json!("trader2fa"))
    );
    // One relation, as the spec declares it: the owner's (the SDK also accepts the documented list).
    let (_, owner) = t
        .call(
            Method::GET,
            &format!("/v1.0/accounts/{}/users", t.cash),
            None,
        )
        .await;
    assert_eq!(
        (
            owner["UserModel"]["UserId"].clone(),
            owner["AccountAccessType"].clone()
        ),
        (json!(me), json!("Owner"))
    );
    let (s, left) = t
        .call(
            Method::DELETE,
            &format!("/v1.0/accounts/{}/users/{other_user}", t.cash),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(left.as_array().unwrap().len(), 2);
    let (s, _) = t
        .call(
            Method::DELETE,
            &format!("/v1.0/accounts/{}/users/{me}", t.cash),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "the owner stays");
    let (s, _) = t
        .call(
            Method::PUT,
            &format!(
                "/v1.0/accounts/{}/users/{other_user}?accessType=Bogus",
                t.cash
            ),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);

    let (s, det) = t
        .call(
            Method::GET,
            &format!("/v1.0/accounts/{}/details", t.cash),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        (det["ClearingAccountNumber"].clone(), det["User"].clone()),
        (json!(cn), json!("trader"))
    );
    assert_eq!(det["Id"].as_str().unwrap().len(), 36);

    let (s, total) = t
        .call(
            Method::POST,
            "/v1.0/accounts/balance/consolidated",
            Some(json!([t.cash, t.margin])),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (_, cash_info) = t
        .call(
            Method::GET,
            &format!("/v1.0/accounts/{}/info", t.cash),
            None,
        )
        .await;
    assert_eq!(d(&total["cash"]), d(&cash_info["cash"]) + d(&info["cash"]));
    let (s, user_total) = t
        .call(Method::GET, "/v1.0/users/@me/balance-info", None)
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(user_total, total);

    // Someone else's account or user: 401 everywhere.
    for (method, path, body) in [
        (Method::GET, format!("/v1.0/accounts/{other_account}/history?startDate=2024-05-01&endDate=2024-05-02&step=1"), None),
        (Method::GET, format!("/v1.0/accounts/{other_account}/users"), None),
        (Method::GET, format!("/v1.0/accounts/{other_account}/details"), None),
        (Method::PUT, format!("/v1.0/accounts/{other_account}/select"), None),
        (Method::PUT, format!("/v1.0/accounts/{other_account}/alias/x"), None),
        (Method::DELETE, format!("/v1.0/accounts/{other_account}/alias"), None),
        (Method::PUT, format!("/v1.0/accounts/{other_account}/users/{me}?accessType=Full"), None),
        (Method::PUT, format!("/v1.0/accounts/{other_account}/username/trader?accessType=Full"), None),
        (Method::DELETE, format!("/v1.0/accounts/{other_account}/users/{me}"), None),
        (Method::POST, "/v1.0/accounts/balance/consolidated".to_string(), Some(json!([other_account]))),
        (Method::POST, "/v1.0/accounts/history?startDate=2024-05-01&endDate=2024-05-02".to_string(), Some(json!([other_account]))),
        (Method::GET, format!("/v1.0/users/{other_user}/balance-info"), None),
    ] {
        let (s, v) = t.call(method.clone(), &path, body).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "{method} {path}: {v}");
    }
    let (_, all) = t
        .call(
            Method::GET,
            "/v1.0/accounts/all?pageNumber=0&pageSize=10",
            None,
        )
        .await;
    assert!(all["Result"]
        .as_array()
        .unwrap()
        .iter()
        .all(|a| a["Id"] != other_account));
}

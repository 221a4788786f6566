//! The paper-trading engine over real HTTP: resting, replaced, filled, partially filled and
//! cancelled orders, positions, transactions, balances, the documented order rules, lists.

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
        let resp = req.send().await.expect("request");
        if resp.status() == StatusCode::NO_CONTENT {
            return (StatusCode::NO_CONTENT, Value::Null);
        }
        json(resp).await
    }

    async fn place(&self, account: i32, body: Value) -> Value {
        let (s, v) = self
            .call(
                Method::POST,
                &format!("/v1.0/accounts/{account}/syncorders"),
                Some(body),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        v
    }

    async fn order(&self, account: i32, id: &Value) -> Value {
        self.call(
            Method::GET,
            &format!("/v1.0/accounts/{account}/orders/{id}"),
            None,
        )
        .await
        .1
    }

    async fn preview(&self, account: i32, body: Value) -> Value {
        let (s, v) = self
            .call(
                Method::POST,
                &format!("/v1.0/accounts/{account}/preview/orders"),
                Some(body),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        v
    }

    fn price(&self, id: i32) -> Decimal {
        self.c.sb.state().market.quote(id).expect("quote").last
    }
}

fn num(v: &Value) -> Decimal {
    v.to_string()
        .parse()
        .unwrap_or_else(|_| panic!("number: {v}"))
}

#[tokio::test]
async fn limit_rests_is_replaced_then_fills_when_the_price_crosses() {
    let t = T::new().await;
    let last = t.price(4);
    let limit = (last * Decimal::new(9, 1)).round_dp(2);
    let (s, o) = t
        .call(
            Method::POST,
            &format!("/v1.0/accounts/{}/orders", t.cash),
            Some(json!({"Symbol": "AAPL", "Type": "Limit", "Side": "Buy", "Quantity": 10, "Price": limit, "TimeInforce": "GoodTillCancel", "ClientId": "my-1"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(o["Status"], "PendingNew");
    assert_eq!(o["RequestStatus"], "RequireValidation");
    let o = t.order(t.cash, &o["Id"]).await;
    assert_eq!(o["Status"], "New", "{o}");
    assert_eq!(o["TimeInForce"], "GoodTillCancel");
    println!("resting limit order {} at {limit} (last {last})", o["Id"]);

    let new_limit = (last * Decimal::new(95, 2)).round_dp(2);
    let (s, r) = t
        .call(
            Method::PUT,
            &format!("/v1.0/accounts/{}/orders/{}", t.cash, o["Id"]),
            Some(json!({"Id": o["Id"], "Quantity": 5, "Price": new_limit})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!(num(&r["Quantity"]), Decimal::from(5));
    assert_eq!(num(&r["Price"]), new_limit);
    assert_eq!(r["Target"], "Modify");

    t.c.sb.state().market.set_price(4, new_limit - Decimal::ONE);
    t.c.sb.state().market.advance(1);
    let f = t.order(t.cash, &o["Id"]).await;
    assert_eq!(f["Status"], "Filled", "{f}");
    assert_eq!(num(&f["ExecutedQuantity"]), Decimal::from(5));
    assert!(num(&f["AveragePrice"]) <= new_limit);

    let (_, page) = t
        .call(
            Method::GET,
            &format!(
                "/v1.0/accounts/{}/orders?pageNumber=0&pageSize=10&filter=ClientId%20%3D%20'my-1'",
                t.cash
            ),
            None,
        )
        .await;
    assert_eq!(page["TotalCount"], 1, "{page}");
}

#[tokio::test]
async fn market_order_fills_and_updates_position_transactions_and_balance() {
    let t = T::new().await;
    let (_, before) = t
        .call(
            Method::GET,
            &format!("/v1.0/accounts/{}/info", t.cash),
            None,
        )
        .await;
    let o = t
        .place(
            t.cash,
            json!({"symbol": "aapl", "type": "Market", "side": "Buy", "quantity": 10}),
        )
        .await;
    assert_eq!(o["Status"], "Filled", "{o}");
    let avg = num(&o["AveragePrice"]);
    let quote = t.c.sb.state().market.quote(4).unwrap();
    assert_eq!(avg, quote.ask, "market buys fill at the ask");
    let (_, after) = t
        .call(
            Method::GET,
            &format!("/v1.0/accounts/{}/info", t.cash),
            None,
        )
        .await;
    let cost = avg * Decimal::from(10);
    assert_eq!(num(&before["cash"]) - num(&after["cash"]), cost);
    assert_eq!(
        num(&after["stockLongMarketValue"]),
        quote.last * Decimal::from(10)
    );
    assert_eq!(num(&after["stockBuyingPower"]), num(&after["cash"]));
    println!(
        "bought 10 AAPL at {avg}: cash {} -> {}",
        before["cash"], after["cash"]
    );

    let (s, positions) = t
        .call(
            Method::GET,
            &format!(
                "/v1.0/accounts/{}/positions?pageNumber=0&pageSize=10&sortField=Id&desc=false",
                t.cash
            ),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(positions["TotalCount"], 1);
    assert_eq!(positions["Result"][0]["Symbol"], "AAPL");
    assert_eq!(num(&positions["Result"][0]["Quantity"]), Decimal::from(10));
    let (_, by_symbol) = t
        .call(
            Method::GET,
            &format!("/v1.0/accounts/{}/positions/AAPL", t.cash),
            None,
        )
        .await;
    assert_eq!(by_symbol.as_array().map(Vec::len), Some(1));

    let (_, txs) = t
        .call(
            Method::GET,
            &format!(
                "/v1.0/accounts/{}/transactions?pageNumber=0&pageSize=10&sortBy=Id&isDesc=true",
                t.cash
            ),
            None,
        )
        .await;
    assert_eq!(txs["TotalCount"], 1, "{txs}");
    assert_eq!(txs["Result"][0]["Type"], "OrderExecution");
    assert_eq!(num(&txs["Result"][0]["Value"]), -cost);

    let sell = t
        .place(
            t.cash,
            json!({"Symbol": "AAPL", "Type": "Market", "Side": "Sell", "Quantity": 10}),
        )
        .await;
    assert_eq!(sell["Status"], "Filled");
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
    assert_eq!(positions["TotalCount"], 0);
}

#[tokio::test]
async fn large_orders_fill_partially_over_ticks_and_cancel_stops_the_rest() {
    let t = T::new().await;
    let o = t
        .place(
            t.margin,
            json!({"Symbol": "F", "Type": "Market", "Side": "Buy", "Quantity": 2500}),
        )
        .await;
    assert_eq!(o["Status"], "PartiallyFilled", "{o}");
    assert_eq!(num(&o["ExecutedQuantity"]), Decimal::from(1000));
    assert_eq!(num(&o["LeavesQuantity"]), Decimal::from(1500));
    t.c.sb.state().market.advance(1);
    let o2 = t.order(t.margin, &o["Id"]).await;
    assert_eq!(num(&o2["ExecutedQuantity"]), Decimal::from(2000));
    let (s, _) = t
        .call(
            Method::DELETE,
            &format!("/v1.0/accounts/{}/orders/{}", t.margin, o["Id"]),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    t.c.sb.state().market.advance(1);
    let o3 = t.order(t.margin, &o["Id"]).await;
    assert_eq!(o3["Status"], "Canceled");
    assert_eq!(num(&o3["ExecutedQuantity"]), Decimal::from(2000));
    let (s, v) = t
        .call(
            Method::DELETE,
            &format!("/v1.0/accounts/{}/orders/{}", t.margin, o["Id"]),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    let (_, details) = t
        .call(
            Method::GET,
            &format!("/v1.0/accounts/{}/orders/{}/details", t.margin, o["Id"]),
            None,
        )
        .await;
    let fills = details
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| !d["ExecId"].as_str().unwrap_or("").is_empty())
        .count();
    assert_eq!(fills, 2);
    println!("2500 F: 1000 + 1000 filled over two ticks, rest canceled");
}

#[tokio::test]
async fn every_documented_order_rule_rejects() {
    let t = T::new().await;
    let a = t.cash;
    let option =
        t.c.sb
            .state()
            .market
            .options_on(4)
            .next()
            .unwrap()
            .symbol
            .clone();
    let cases = [
        (
            json!({"Symbol": "AAPL", "Type": "Limit", "Side": "Buy", "Quantity": 1}),
            "LimitPriceUndefined",
        ),
        (
            json!({"Symbol": "AAPL", "Type": "Limit", "Side": "Buy", "Quantity": 1, "StopPrice": 100}),
            "LimitPriceUndefined",
        ),
        (
            json!({"Symbol": "AAPL", "Type": "Stop", "Side": "Buy", "Quantity": 1}),
            "QuotePriceIsInvalid",
        ),
        (
            json!({"Symbol": "AAPL", "Type": "StopLimit", "Side": "Buy", "Quantity": 1, "StopPrice": 100}),
            "LimitPriceUndefined",
        ),
        (
            json!({"Symbol": "AAPL", "Type": "TrailingStop", "Side": "Sell", "Quantity": 1}),
            "QuotePriceIsInvalid",
        ),
        (
            json!({"Symbol": "AAPL", "Type": "Market", "Side": "Buy", "Quantity": 1, "TimeInForce": "GoodTillCancel"}),
            "InvalidOrderType",
        ),
        (
            json!({"Symbol": "AAPL", "Type": "Market", "Side": "Buy", "Quantity": 1, "ExtendedHours": "PRE"}),
            "InvalidOrderType",
        ),
        (
            json!({"Symbol": "NOPE", "Type": "Market", "Side": "Buy", "Quantity": 1}),
            "SymbolNotFound",
        ),
        (
            json!({"Symbol": "AAPL", "Type": "Market", "Side": "Buy", "Quantity": 1.5}),
            "InvalidQuantity",
        ),
        (
            json!({"Symbol": "AAPL", "Type": "Market", "Side": "Sell", "Quantity": 1}),
            "InsufficientShares",
        ),
        (
            json!({"Symbol": "AAPL", "Type": "Market", "Side": "SellShort", "Quantity": 1}),
            "AccountRestricted",
        ),
        (
            json!({"Symbol": "AAPL", "Type": "Market", "Side": "Buy", "Quantity": 100000}),
            "DayTradingBuyingPowerExceeded",
        ),
        (
            json!({"Symbol": "VFIAX", "Type": "Market", "Side": "Buy", "Quantity": 1}),
            "InvalidOrderType",
        ),
        (
            json!({"Symbol": "AAPL", "Type": "Limit", "Side": "Buy", "Quantity": 1, "Price": 1, "TimeInForce": "GoodTillDate", "ExpireDate": "2020-01-01"}),
            "ExpireDateIsInvalid",
        ),
        (
            json!({"Symbol": "", "Type": "Stop", "Quantity": 1, "Legs": [
            {"Symbol": option, "Quantity": 1, "Side": "Buy"}]}),
            "InvalidOrderType",
        ),
        (
            json!({"Symbol": "", "Type": "OneTriggerOther", "Legs": [
            {"Symbol": "AAPL", "Type": "Market", "Side": "Buy", "Quantity": 1},
            {"Symbol": "AAPL", "Type": "Limit", "Side": "Sell", "Quantity": 1, "Price": 500}]}),
            "InvalidOrderType",
        ),
        (
            json!({"Symbol": "", "Type": "OneCancelOther", "Legs": [
            {"Symbol": "AAPL", "Type": "Limit", "Side": "Buy", "Quantity": 1, "Price": 1},
            {"Symbol": "AAPL", "Type": "Market", "Side": "Buy", "Quantity": 1}]}),
            "InvalidOrderType",
        ),
        (
            json!({"Symbol": "", "Type": "OneTriggerOneCancelOther", "Legs": [
            {"Symbol": "AAPL", "Type": "Limit", "Side": "Buy", "Quantity": 1, "Price": 1}]}),
            "InvalidOrderType",
        ),
    ];
    for (body, code) in cases {
        let p = t.preview(a, body.clone()).await;
        assert_eq!(p["IsSuccessful"], false, "{body}: {p}");
        assert_eq!(p["ErrorDescription"], code, "{body}: {p}");
        let o = t.place(a, body.clone()).await;
        assert_eq!(o["Status"], "Rejected", "{body}: {o}");
        println!("{code}: {}", o["Description"]);
    }
    for (body, field) in [
        (
            json!({"Symbol": "AAPL", "Side": "Buy", "Quantity": 1}),
            "placeParams.Type",
        ),
        (
            json!({"Symbol": "AAPL", "Type": "Market", "Quantity": 1}),
            "placeParams.Side",
        ),
        (
            json!({"Symbol": "AAPL", "Type": "Market", "Side": "Buy", "Quantity": 0}),
            "placeParams.Quantity",
        ),
        (
            json!({"Symbol": "AAPL", "Type": "Sideways", "Side": "Buy", "Quantity": 1}),
            "placeParams.Type",
        ),
    ] {
        let (s, v) = t
            .call(
                Method::POST,
                &format!("/v1.0/accounts/{a}/orders"),
                Some(body),
            )
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(v["ModelState"][field].is_array(), "{v}");
    }
    let ok = t
        .preview(
            a,
            json!({"Symbol": "AAPL", "Type": "Limit", "Side": "Buy", "Quantity": 1, "Price": 100}),
        )
        .await;
    assert_eq!(ok["IsSuccessful"], true, "{ok}");
}

#[tokio::test]
async fn spreads_and_conditional_orders() {
    let t = T::new().await;
    let m =
        t.c.sb
            .state()
            .market
            .options_on(4)
            .take(4)
            .map(|s| s.symbol.clone())
            .collect::<Vec<_>>();
    let spread = t
        .place(t.margin, json!({"Symbol": "", "Type": "Market", "Quantity": 1, "TimeInForce": "Day", "Legs": [
            {"Symbol": m[2], "Quantity": 1, "Side": "Buy"}, {"Symbol": m[0], "Quantity": 1, "Side": "SellShort"}]}))
        .await;
    assert_eq!(spread["Status"], "Filled", "{spread}");
    assert_eq!(spread["Legs"].as_array().map(Vec::len), Some(2));

    let last = t.price(5);
    let oto = t
        .place(t.margin, json!({"Symbol": "", "Type": "OneTriggerOther", "Legs": [
            {"Symbol": "MSFT", "Type": "Limit", "Side": "Buy", "Quantity": 4, "Price": last + Decimal::TEN},
            {"Symbol": "MSFT", "Type": "Limit", "Side": "Sell", "Quantity": 2, "Price": last * Decimal::TWO}]}))
        .await;
    t.c.sb.state().market.advance(1);
    let oto = t.order(t.margin, &oto["Id"]).await;
    assert_eq!(oto["Legs"][0]["Status"], "Filled", "{oto}");
    assert_eq!(oto["Legs"][1]["Status"], "New", "{oto}");

    let oco = t
        .place(t.margin, json!({"Symbol": "", "Type": "OneCancelOther", "Legs": [
            {"Symbol": "MSFT", "Type": "Limit", "Side": "Sell", "Quantity": 2, "Price": last - Decimal::TEN},
            {"Symbol": "MSFT", "Type": "Stop", "Side": "Sell", "Quantity": 2, "StopPrice": last / Decimal::TWO}]}))
        .await;
    t.c.sb.state().market.advance(1);
    let oco = t.order(t.margin, &oco["Id"]).await;
    let (_, pos) = t
        .call(
            Method::GET,
            &format!("/v1.0/accounts/{}/positions/MSFT", t.margin),
            None,
        )
        .await;
    assert_eq!(
        oco["Legs"][0]["Status"], "Filled",
        "{} {}",
        pos[0]["Quantity"], oto
    );
    assert_eq!(oco["Legs"][1]["Status"], "Canceled", "{oco}");
}

#[tokio::test]
async fn transactions_page_over_250_with_a_filter_and_sort_names() {
    let t = T::new().await;
    for _ in 0..125 {
        t.place(
            t.margin,
            json!({"Symbol": "KO", "Type": "Market", "Side": "Buy", "Quantity": 1}),
        )
        .await;
        t.place(
            t.margin,
            json!({"Symbol": "F", "Type": "Market", "Side": "Buy", "Quantity": 2}),
        )
        .await;
    }
    let base = format!("/v1.0/accounts/{}/transactions", t.margin);
    let (_, all) = t
        .call(
            Method::GET,
            &format!("{base}?pageNumber=0&pageSize=100&sortBy=Id&isDesc=false"),
            None,
        )
        .await;
    assert_eq!(all["TotalCount"], 250);
    assert_eq!(all["Result"].as_array().map(Vec::len), Some(100));
    assert!(all["NextPageLink"]
        .as_str()
        .unwrap()
        .contains("pageNumber=1"));
    assert_eq!(all["PreviousPageLink"], "");
    let ko = t.c.sb.state().market.security_by_symbol("KO").unwrap().id;
    let (_, last) = t
        .call(Method::GET, &format!("{base}?pageNumber=1&pageSize=100&sortBy=Id&isDesc=true&filter=SecurityId%20%3D%20{ko}%20and%20Quantity%20between%201%20and%201"), None)
        .await;
    assert_eq!(last["TotalCount"], 125, "{last}");
    assert_eq!(last["Result"].as_array().map(Vec::len), Some(25));
    assert_eq!(last["NextPageLink"], "");
    let ids: Vec<i64> = last["Result"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["Id"].as_i64().unwrap())
        .collect();
    assert!(
        ids.windows(2).all(|w| w[0] > w[1]),
        "isDesc=true sorts descending"
    );
    let (s, v) = t.call(Method::GET, &format!("{base}?pageNumber=0&pageSize=10&sortBy=Id&isDesc=false&filter=Quantity%20%3E%3E%201"), None).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    let (s, v) = t
        .call(
            Method::GET,
            &format!("{base}?pageNumber=0&pageSize=10"),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert_eq!(v["Error"]["Code"], "UnsupportedApiVersion");
    let (s, v) = t
        .call(
            Method::GET,
            &format!(
                "/v1.0/accounts/{}/activity?pageNumber=0&pageSize=5&sortBy=Date&isAsc=true",
                t.margin
            ),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["TotalCount"], 250);
    println!("250 transactions: pages of 100, filter KO qty 1 -> 125, page 1 has 25");
}

#[tokio::test]
async fn securities_by_id_symbol_lists_and_expirations() {
    let t = T::new().await;
    let (s, by_id) = t.call(Method::GET, "/v1.0/equities/4", None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(by_id["Symbol"], "AAPL");
    let (_, by_symbol) = t.call(Method::GET, "/v1.0/equities/aapl", None).await;
    assert_eq!(by_symbol["Id"], 4);
    let (s, _) = t.call(Method::GET, "/v1.0/equities/NOPE", None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (_, page) = t.call(Method::GET, "/v1.0/equities?pageNumber=0&pageSize=5&sortField=Symbol&desc=false&filter=Exchange%20%3D%20'NASDAQ'", None).await;
    assert!(page["TotalCount"].as_i64().unwrap() > 5, "{page}");
    let (s, _) = t
        .call(Method::GET, "/v1.0/equities?pageNumber=0&pageSize=5", None)
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (_, exps) = t
        .call(
            Method::GET,
            "/v1.0/options/expirations?underlying=AAPL",
            None,
        )
        .await;
    assert_eq!(exps.as_array().map(Vec::len), Some(6), "{exps}");
    let option =
        t.c.sb
            .state()
            .market
            .options_on(4)
            .next()
            .unwrap()
            .symbol
            .clone();
    let (s, o) = t
        .call(
            Method::GET,
            &format!("/v1.0/options/{}", option.replace(' ', "%20")),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{o}");
    assert_eq!(o["UnderlyingAssetSymbol"], "AAPL");
    let (_, look) = t
        .call(
            Method::GET,
            "/v1.0/equities/lookup?mask=Apple&count=5",
            None,
        )
        .await;
    assert_eq!(look[0]["Symbol"], "AAPL");
}

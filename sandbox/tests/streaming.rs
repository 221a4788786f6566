//! The two streaming WebSockets over real loopback connections (tokio-tungstenite as the client):
//! discovery and `CreateSession.txt`, subscriptions and acks, quotes and depth, data messages
//! driven by the engine, watchlists, every fault switch, session recovery and the quote rate.

mod common;

use std::time::Duration;

use autoshares_sandbox::{
    CloseReason, EntityType, Malformed, MarketConfig, SandboxConfig, StreamConfig, Subscription,
};
use chrono::{TimeZone, Utc};
use common::{json, Ctx};
use futures::{SinkExt, StreamExt};
use reqwest::{Method, StatusCode};
use rust_decimal::Decimal;
use serde_json::{json, Value};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::{self, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Long enough for anything that should happen; only reached when a test fails.
const PATIENCE: Duration = Duration::from_secs(10);

struct T {
    c: Ctx,
    token: String,
    user_id: i32,
    cash: i32,
    margin: i32,
}

/// One streamer as discovered by `GET /v1.0/streamers`.
#[derive(Clone, Debug)]
struct Streamer {
    url: String,
    session: String,
}

impl T {
    async fn with(config: SandboxConfig) -> T {
        let c = Ctx::with(config).await;
        let token = c.login("trader").await;
        let user_id = c.sb.user_id("trader").unwrap();
        let ids = c.sb.account_ids("trader");
        T {
            c,
            token,
            user_id,
            cash: ids[0],
            margin: ids[1],
        }
    }

    /// A sandbox with a manual clock (quotes stay put unless a test moves them).
    async fn new() -> T {
        T::with(manual_clock(StreamConfig::default())).await
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
        let resp = req.send().await.unwrap();
        if resp.status() == StatusCode::NO_CONTENT {
            return (StatusCode::NO_CONTENT, Value::Null);
        }
        json(resp).await
    }

    /// (quote streamer, data streamer) from discovery.
    async fn discover(&self) -> (Streamer, Streamer) {
        let (s, v) = self.call(Method::GET, "/v1.0/streamers", None).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let get = |k: &str| Streamer {
            url: v[k][0]["Url"].as_str().unwrap().to_string(),
            session: v[k][0]["SessionId"].as_str().unwrap().to_string(),
        };
        (get("QuoteAddresses"), get("DataAddresses"))
    }

    async fn quotes(&self) -> Client {
        let (q, _) = self.discover().await;
        Client::connect(&q, &self.user_id.to_string()).await
    }

    async fn data(&self) -> Client {
        let (_, d) = self.discover().await;
        Client::connect(&d, &self.user_id.to_string()).await
    }

    /// `PUT /streamers/session/recover`: the new session id.
    async fn recover(&self, session_type: i32) -> String {
        let (s, v) = self
            .call(
                Method::PUT,
                &format!("/v1.0/streamers/session/recover?sessionType={session_type}"),
                None,
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        v.as_str().unwrap().to_string()
    }

    fn last(&self, id: i32) -> Decimal {
        self.c.sb.state().market.quote(id).unwrap().last
    }
}

fn manual_clock(streams: StreamConfig) -> SandboxConfig {
    SandboxConfig {
        market: MarketConfig {
            start_time: Utc.with_ymd_and_hms(2024, 5, 1, 14, 30, 0).single(),
            manual_clock: true,
            ..MarketConfig::default()
        },
        streams,
        ..SandboxConfig::default()
    }
}

fn connect_url(s: &Streamer, user: &str, password: &str) -> String {
    let q = common::form(&[
        ("User", user),
        ("Password", password),
        ("HttpClientType", "WebSocket"),
    ]);
    format!("{}/CreateSession.txt?{q}", s.url)
}

/// A WebSocket client of one streamer.
struct Client {
    ws: Ws,
    session: String,
}

impl Client {
    /// Connects and expects `CreateSession.txt` `Ok`.
    async fn connect(s: &Streamer, user: &str) -> Client {
        Client::connect_with(s, user, &s.session.clone())
            .await
            .expect("session accepted")
    }

    /// Connects; `Err` carries the `CreateSession.txt` error frame.
    async fn connect_with(s: &Streamer, user: &str, password: &str) -> Result<Client, Value> {
        let (mut ws, _) = tokio_tungstenite::connect_async(connect_url(s, user, password))
            .await
            .expect("upgrade");
        let first = next_json(&mut ws).await.expect("first frame");
        assert_eq!(first["Cmd"], "CreateSession.txt", "{first}");
        if first["StatusCode"] != "Ok" {
            return Err(first);
        }
        let session = first["SessionId"].as_str().unwrap().to_string();
        Ok(Client { ws, session })
    }

    async fn command(&mut self, cmd: &str, entity: &str, keys: &str) {
        let frame = json!({"Cmd": cmd, "SessionId": self.session, "Keys": keys, "EntityType": entity,
            "HttpClientType": "WebSocket"});
        self.send_raw(&frame.to_string()).await;
    }

    async fn send_raw(&mut self, text: &str) {
        self.ws
            .send(Message::Text(text.to_string().into()))
            .await
            .unwrap();
    }

    async fn subscribe(&mut self, entity: &str, keys: &str) {
        self.command("Subscribe.txt", entity, keys).await;
    }

    /// The next frame that is a command answer (skipping streamed messages).
    async fn ack(&mut self) -> Value {
        self.until(|v| v.get("Cmd").is_some()).await
    }

    /// Subscribes and expects one `Ok` ack.
    async fn subscribe_ok(&mut self, entity: &str, keys: &str) {
        self.subscribe(entity, keys).await;
        let ack = self.ack().await;
        assert_eq!(ack["StatusCode"], "Ok", "{ack}");
        assert_eq!(ack["EntityType"], entity);
    }

    /// The next JSON frame (panics after [`PATIENCE`] or on a closed connection).
    async fn next(&mut self) -> Value {
        next_json(&mut self.ws).await.expect("a frame")
    }

    /// The next frame satisfying `pred`.
    async fn until(&mut self, pred: impl Fn(&Value) -> bool) -> Value {
        let ws = &mut self.ws;
        tokio::time::timeout(PATIENCE, async {
            loop {
                let v = next_json(ws).await.expect("a frame");
                if pred(&v) {
                    return v;
                }
            }
        })
        .await
        .expect("the awaited frame")
    }

    /// The next text frame, raw.
    async fn next_text(&mut self) -> String {
        next_text(&mut self.ws).await.expect("a frame")
    }

    /// Reads until the connection ends; the number of text frames read and how it ended.
    async fn read_to_end(&mut self) -> (usize, Option<tungstenite::Error>) {
        let mut frames = 0;
        loop {
            match tokio::time::timeout(PATIENCE, self.ws.next())
                .await
                .expect("the connection ends")
            {
                Some(Ok(Message::Text(_))) => frames += 1,
                Some(Ok(Message::Close(_))) | None => return (frames, None),
                Some(Ok(_)) => {}
                Some(Err(e)) => return (frames, Some(e)),
            }
        }
    }
}

async fn next_text(ws: &mut Ws) -> Option<String> {
    loop {
        match tokio::time::timeout(PATIENCE, ws.next())
            .await
            .expect("a frame in time")
        {
            Some(Ok(Message::Text(t))) => return Some(t.to_string()),
            Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return None,
            Some(Ok(_)) => {}
        }
    }
}

async fn next_json(ws: &mut Ws) -> Option<Value> {
    let text = next_text(ws).await?;
    Some(serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}")))
}

fn num(v: &Value) -> Decimal {
    v.as_str()
        .unwrap_or_else(|| panic!("a string: {v}"))
        .parse()
        .unwrap_or_else(|_| panic!("a number: {v}"))
}

/// Polls until `f` holds (the sandbox's records are updated by its own tasks).
async fn eventually(what: &str, f: impl Fn() -> bool) {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while !f() {
        assert!(tokio::time::Instant::now() < deadline, "never: {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Three stock ids of the market: AAPL (4) and the next two.
fn three_stocks(t: &T) -> Vec<i32> {
    let market = &t.c.sb.state().market;
    let mut ids = vec![4];
    ids.extend(
        market
            .securities()
            .iter()
            .filter(|s| !s.is_option() && !s.is_mutual_fund() && s.id != 4)
            .map(|s| s.id)
            .take(2),
    );
    ids
}

fn keys(ids: &[i32]) -> String {
    ids.iter().map(i32::to_string).collect::<Vec<_>>().join(";")
}

#[tokio::test]
async fn discovery_connect_and_quotes_for_three_symbols() {
    let t = T::new().await;
    t.c.sb.streams().set_quote_rate(300);
    let (q, _) = t.discover().await;
    assert!(q.url.ends_with("/stream/quotes"), "{}", q.url);
    // `User` may carry `:<login session>`; the part after `:` is ignored.
    let mut c = Client::connect(&q, &format!("{}:whatever", t.user_id)).await;
    let ids = three_stocks(&t);
    c.subscribe("Quote", &keys(&ids)).await;
    let ack = c.ack().await;
    assert_eq!(ack["StatusCode"], "Ok", "{ack}");
    assert_eq!(ack["Keys"], keys(&ids));
    let mut seen = std::collections::BTreeMap::new();
    while seen.len() < 3 {
        let v = c.until(|v| v["EntityType"] == "Quote").await;
        let key: i32 = v["Key"].as_str().unwrap().parse().unwrap();
        assert!(ids.contains(&key), "{v}");
        seen.insert(key, v);
    }
    let market = &t.c.sb.state().market;
    for (id, v) in &seen {
        // Every value is a string; the numbers are the market's (what REST serves).
        for (k, x) in v.as_object().unwrap() {
            assert!(x.is_string(), "{k} is not a string: {v}");
        }
        let q = market.quote(*id).unwrap();
        assert_eq!(num(&v["Bid"]), q.bid, "{v}");
        assert_eq!(num(&v["Ask"]), q.ask, "{v}");
        assert_eq!(num(&v["Last"]), q.last);
        assert_eq!(num(&v["PreviousClose"]), q.previous_close);
        assert_eq!(v["BidSize"], q.bid_size.to_string());
        assert_eq!(v["Date"], q.time.format("%m/%d/%Y %H:%M:%S").to_string());
        for field in [
            "Price", "LastSize", "Open", "High", "Low", "Close", "Volume",
        ] {
            assert!(v.get(field).is_some(), "{field} missing: {v}");
        }
    }
    assert_eq!(seen[&4]["Symbol"], "AAPL");

    let live = t.c.sb.streams().quote().live_connections();
    assert_eq!(live.len(), 1);
    let subs: Vec<Subscription> = ids
        .iter()
        .map(|id| Subscription::new(EntityType::Quote, id.to_string()))
        .collect();
    assert_eq!(live[0].subscriptions, subs.into_iter().collect());
    assert_eq!(live[0].user_id, t.user_id);
    assert!(t.c.sb.streams().data().live_connections().is_empty());
    assert_eq!(t.c.sb.streams().subscribe_commands(), 1);

    // Unsubscribing one key stops its quotes.
    c.command("Unsubscribe.txt", "Quote", &ids[0].to_string())
        .await;
    let ack = c.ack().await;
    assert_eq!(ack["StatusCode"], "Ok", "{ack}");
    eventually("the subscription is gone", || {
        t.c.sb.streams().live_connections()[0].subscriptions.len() == 2
    })
    .await;
    for _ in 0..20 {
        let v = c.until(|v| v["EntityType"] == "Quote").await;
        assert_ne!(v["Key"], ids[0].to_string());
    }
}

#[tokio::test]
async fn depth_snapshot_then_sequenced_updates_and_a_gap_on_demand() {
    let t = T::new().await;
    t.c.sb.streams().set_quote_rate(500);
    let mut c = t.quotes().await;
    c.subscribe_ok("MarketDepth", "4").await;
    let snap = c.until(|v| v["EntityType"] == "MarketDepth").await;
    assert_eq!(snap["Sequence"], "1", "{snap}");
    assert_eq!(snap["Snapshot"], "True");
    let bids: Vec<Value> = serde_json::from_str(snap["Bids"].as_str().unwrap()).unwrap();
    let asks: Vec<Value> = serde_json::from_str(snap["Asks"].as_str().unwrap()).unwrap();
    assert_eq!((bids.len(), asks.len()), (5, 5), "{snap}");
    let q = t.c.sb.state().market.quote(4).unwrap();
    assert_eq!(num(&bids[0]["Price"]), q.bid);
    assert_eq!(num(&asks[0]["Price"]), q.ask);
    assert!(bids
        .windows(2)
        .all(|w| num(&w[0]["Price"]) > num(&w[1]["Price"])));
    assert!(asks
        .windows(2)
        .all(|w| num(&w[0]["Price"]) < num(&w[1]["Price"])));
    let mut expected = 2;
    for _ in 0..5 {
        let u = c.until(|v| v["EntityType"] == "MarketDepth").await;
        assert_eq!(u["Snapshot"], "False", "{u}");
        assert_eq!(u["Sequence"], expected.to_string(), "{u}");
        let changed: Vec<Value> = serde_json::from_str(u["Bids"].as_str().unwrap()).unwrap();
        let changed_asks: Vec<Value> = serde_json::from_str(u["Asks"].as_str().unwrap()).unwrap();
        assert!(!changed.is_empty() || !changed_asks.is_empty(), "{u}");
        expected += 1;
    }
    // One gap, on demand (updates already in flight arrive first).
    t.c.sb.streams().skip_depth_sequence_once();
    let mut previous = expected - 1;
    let mut gaps = 0;
    for _ in 0..8 {
        let u = c.until(|v| v["EntityType"] == "MarketDepth").await;
        let seq: u64 = u["Sequence"].as_str().unwrap().parse().unwrap();
        match seq - previous {
            1 => {}
            2 => gaps += 1,
            other => panic!("sequence moved by {other}: {u}"),
        }
        previous = seq;
    }
    assert_eq!(gaps, 1);

    // A new subscription restarts the key with a snapshot.
    c.subscribe("MarketDepth", "4").await;
    let s = c
        .until(|v| v["EntityType"] == "MarketDepth" && v["Snapshot"] == "True")
        .await;
    assert_eq!(s["Sequence"], "1");
}

#[tokio::test]
async fn error_acks_keep_the_connection_open() {
    let t = T::new().await;
    let other = t.c.sb.account_ids("other")[0];
    let mut q = t.quotes().await;
    // An entity type of the other streamer.
    q.subscribe("Order", &t.cash.to_string()).await;
    let ack = q.ack().await;
    assert_eq!(ack["StatusCode"], "Error", "{ack}");
    assert_eq!(ack["Cmd"], "Subscribe.txt");
    assert_eq!(ack["EntityType"], "Order");
    assert!(ack["Message"].is_string());
    // An unknown security: the good key is subscribed, the bad one is refused.
    q.subscribe("Quote", "4;99999999").await;
    let ok = q.ack().await;
    assert_eq!(ok["StatusCode"], "Ok", "{ok}");
    assert_eq!(ok["Keys"], "4");
    let bad = q.ack().await;
    assert_eq!(bad["StatusCode"], "Error", "{bad}");
    assert_eq!(bad["Keys"], "99999999");
    // A wrong session id.
    q.send_raw(
        &json!({"Cmd": "Subscribe.txt", "SessionId": "nope", "Keys": "5", "EntityType": "Quote"})
            .to_string(),
    )
    .await;
    let ack = q.ack().await;
    assert_eq!(ack["StatusCode"], "Error", "{ack}");
    assert_eq!(ack["Keys"], "5");
    // Unknown command and garbage.
    q.send_raw(&json!({"Cmd": "Dance.txt", "SessionId": q.session}).to_string())
        .await;
    let ack = q.ack().await;
    assert_eq!(ack["Cmd"], "Dance.txt");
    assert_eq!(ack["StatusCode"], "Error");
    q.send_raw("not json").await;
    assert_eq!(q.ack().await["StatusCode"], "Error");
    // Still open and streaming.
    let v = q.until(|v| v["EntityType"] == "Quote").await;
    assert_eq!(v["Key"], "4");
    let subs = &t.c.sb.streams().quote().live_connections()[0].subscriptions;
    assert_eq!(subs.len(), 1);
    assert_eq!(t.c.sb.streams().subscribe_commands(), 3);

    let mut d = t.data().await;
    d.subscribe("Quote", "4").await;
    assert_eq!(d.ack().await["StatusCode"], "Error");
    d.subscribe("Order", &format!("{};{other}", t.cash)).await;
    let ok = d.ack().await;
    assert_eq!(ok["StatusCode"], "Ok", "{ok}");
    assert_eq!(ok["Keys"], t.cash.to_string());
    let bad = d.ack().await;
    assert_eq!(bad["StatusCode"], "Error", "someone else's account: {bad}");
    assert_eq!(bad["Keys"], other.to_string());
    d.subscribe("UserBalance", "1").await;
    assert_eq!(d.ack().await["StatusCode"], "Error");
    d.subscribe("WatchlistContent", "987654").await;
    assert_eq!(d.ack().await["StatusCode"], "Error");
    d.subscribe_ok("UserBalance", &t.user_id.to_string()).await;
}

#[tokio::test]
async fn session_checks_and_variant_one() {
    let t = T::new().await;
    let (q, d) = t.discover().await;
    let uid = t.user_id.to_string();
    // The data session on the quote streamer, another user, an unknown session.
    let e = Client::connect_with(&q, &uid, &d.session)
        .await
        .err()
        .unwrap();
    assert_eq!(e["StatusCode"], "Error", "{e}");
    assert!(!e.to_string().contains(&d.session), "no secret echoed");
    let other = t.c.sb.user_id("other").unwrap().to_string();
    assert!(Client::connect_with(&q, &other, &q.session).await.is_err());
    assert!(Client::connect_with(&q, &uid, "unknown").await.is_err());
    // Variant 1: login and password.
    let (login, password) = t.c.creds("trader");
    let mut c = Client::connect_with(&q, &login, &password).await.unwrap();
    c.subscribe_ok("Quote", "4").await;
    assert!(Client::connect_with(&q, &login, "wrong").await.is_err());
    assert_eq!(t.c.sb.streams().sessions_rejected(), 4);
    assert_eq!(t.c.sb.streams().connections_accepted(), 1);
    // The streams are outside the request log (their query carries the credential).
    assert!(t
        .c
        .sb
        .recorded_requests()
        .iter()
        .all(|r| !r.path.starts_with("/stream")));
}

#[tokio::test]
async fn recover_invalidates_the_old_session_for_new_connections() {
    let t = T::new().await;
    t.c.sb.streams().set_quote_rate(200);
    let (q, _) = t.discover().await;
    let uid = t.user_id.to_string();
    let mut old = Client::connect(&q, &uid).await;
    old.subscribe_ok("Quote", "4").await;
    let fresh = t.recover(1).await;
    assert_ne!(fresh, q.session);
    let e = Client::connect_with(&q, &uid, &q.session)
        .await
        .err()
        .unwrap();
    assert_eq!(e["StatusCode"], "Error", "{e}");
    let mut new = Client::connect_with(&q, &uid, &fresh).await.unwrap();
    new.subscribe_ok("Quote", "4").await;
    // The connection opened with the replaced session stays.
    old.until(|v| v["EntityType"] == "Quote").await;
    assert_eq!(t.c.sb.streams().quote().live_connections().len(), 2);
}

#[tokio::test]
async fn an_order_filled_without_rest_streams_order_position_balance_in_order() {
    let t = T::new().await;
    let mut d = t.data().await;
    let account = t.cash.to_string();
    for entity in ["Order", "Position", "AccountBalance"] {
        d.subscribe_ok(entity, &account).await;
    }
    d.subscribe_ok("UserBalance", &t.user_id.to_string()).await;
    let last = t.last(4);
    let limit = (last - Decimal::from(5)).round_dp(2);
    let (s, o) = t
        .call(
            Method::POST,
            &format!("/v1.0/accounts/{}/orders", t.cash),
            Some(
                json!({"Symbol": "AAPL", "Type": "Limit", "Side": "Buy", "Quantity": 10,
                "Price": limit, "TimeInForce": "GoodTillCancel"}),
            ),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{o}");
    let id = o["Id"].to_string();
    let placed = d.until(|v| v["EntityType"] == "Order").await;
    assert_eq!(placed["Status"], "PendingNew", "{placed}");
    assert_eq!(placed["Id"], id);
    let accepted = d
        .until(|v| v["EntityType"] == "Order" && v["Status"] == "New")
        .await;
    assert_eq!(accepted["LeavesQuantity"], "10.00000");
    assert_eq!(num(&accepted["Price"]), limit);
    assert_eq!(accepted["ParentId"], "-1");
    assert_eq!(accepted["UnderlyingId"], "-1");
    assert_eq!(accepted["UnderlyingExpirationDate"], "-62135596800000");
    assert!(accepted["CreateDate"]
        .as_str()
        .unwrap()
        .parse::<i64>()
        .is_ok());

    // The price crosses; nobody calls REST: the background engine fills the order.
    let requests = t.c.sb.recorded_requests().len();
    t.c.sb.state().market.set_price(4, limit - Decimal::ONE);
    t.c.sb.state().market.advance(1);
    let mut next = Vec::new();
    while next.len() < 4 {
        let v = d.next().await;
        if v.get("Cmd").is_none() {
            next.push(v);
        }
    }
    let types: Vec<&str> = next
        .iter()
        .map(|v| v["EntityType"].as_str().unwrap())
        .collect();
    assert_eq!(
        types,
        ["Order", "Position", "AccountBalance", "UserBalance"],
        "{next:?}"
    );
    assert_eq!(t.c.sb.recorded_requests().len(), requests, "no REST call");
    let (filled, position, balance) = (&next[0], &next[1], &next[2]);
    assert_eq!(filled["Status"], "Filled", "{filled}");
    assert_eq!(filled["ExecutedQuantity"], "10.00000");
    assert_eq!(filled["LeavesQuantity"], "0.00000");
    assert_eq!(position["Quantity"], "10.00000", "{position}");
    assert_eq!(position["SecurityId"], "4");
    assert_eq!(position["AccountId"], account);
    assert_eq!(balance["AccountId"], account);
    let items: Vec<Value> = serde_json::from_str(balance["Items"].as_str().unwrap()).unwrap();
    let cash = items
        .iter()
        .find(|i| i["Name"] == "cash")
        .expect("cash item");
    assert_eq!(
        cash["Value"].to_string().parse::<Decimal>().unwrap(),
        num(&balance["CashBalance"])
    );
    // The same as REST.
    let (_, info) = t
        .call(
            Method::GET,
            &format!("/v1.0/accounts/{}/info", t.cash),
            None,
        )
        .await;
    assert_eq!(
        info["cash"].to_string().parse::<Decimal>().unwrap(),
        num(&balance["CashBalance"])
    );

    // What the client received is what the sandbox produced for the account, in order.
    let produced = t.c.sb.streams().data_messages_for_account(t.cash);
    let order_records: Vec<(String, Option<String>)> = produced
        .iter()
        .filter(|r| r.entity_type == EntityType::Order)
        .map(|r| (r.order_id.unwrap().to_string(), r.status.clone()))
        .collect();
    assert_eq!(
        order_records,
        [
            (id.clone(), Some("PendingNew".into())),
            (id.clone(), Some("New".into())),
            (id.clone(), Some("Filled".into()))
        ]
    );
    let tail: Vec<Value> = produced[produced.len() - 4..]
        .iter()
        .map(|r| serde_json::from_str(&r.json).unwrap())
        .collect();
    assert_eq!(tail, next);

    // Cancelling a resting order streams it too.
    let (_, o) = t
        .call(
            Method::POST,
            &format!("/v1.0/accounts/{}/orders", t.cash),
            Some(
                json!({"Symbol": "AAPL", "Type": "Limit", "Side": "Buy", "Quantity": 1,
                "Price": (limit - Decimal::from(20)).round_dp(2), "TimeInForce": "GoodTillCancel"}),
            ),
        )
        .await;
    let resting = o["Id"].to_string();
    d.until(|v| v["EntityType"] == "Order" && v["Status"] == "New" && v["Id"] == resting)
        .await;
    let (s, _) = t
        .call(
            Method::DELETE,
            &format!("/v1.0/accounts/{}/orders/{}", t.cash, o["Id"]),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let cancelled = d
        .until(|v| v["EntityType"] == "Order" && v["Id"] == resting)
        .await;
    assert_eq!(cancelled["Status"], "Canceled", "{cancelled}");
    // The other account's orders are not sent here.
    let produced_margin = t.c.sb.streams().data_messages_for_account(t.margin);
    assert!(produced_margin.is_empty());
}

#[tokio::test]
async fn watchlist_changes_stream() {
    let t = T::new().await;
    let mut d = t.data().await;
    d.subscribe_ok("Watchlist", &t.user_id.to_string()).await;
    let path = format!(
        "/v1.0/users/{}/watchlists?resultIncludeSecurities=false",
        t.user_id
    );
    let (s, w) = t
        .call(Method::POST, &path, Some(json!({"Name": "Tech"})))
        .await;
    assert_eq!(s, StatusCode::OK, "{w}");
    let v = d.until(|v| v["EntityType"] == "Watchlist").await;
    assert_eq!(v["id"], w["Id"].to_string());
    assert_eq!(v["Name"], "Tech");
    assert_eq!(v["IsDeleted"], "False");
    assert_eq!(v["Key"], t.user_id.to_string());
    let wid = w["Id"].to_string();
    d.subscribe_ok("WatchlistContent", &wid).await;
    let (s, _) = t
        .call(
            Method::PUT,
            &format!("/v1.0/users/{}/watchlists/{wid}/securities/4", t.user_id),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let v = d.until(|v| v["EntityType"] == "WatchlistContent").await;
    assert_eq!(v["AddedSymbols"], "4");
    assert_eq!(v["RemovedSymbols"], "null");
    let (s, _) = t
        .call(
            Method::DELETE,
            &format!("/v1.0/users/{}/watchlists/{wid}", t.user_id),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let v = d.until(|v| v["EntityType"] == "Watchlist").await;
    assert_eq!(v["IsDeleted"], "True");
}

#[tokio::test]
async fn drop_every_messages_closes_abruptly_and_repeats_after_reconnect() {
    let t = T::new().await;
    let streams = t.c.sb.streams();
    streams.set_quote_rate(200);
    streams.quote().drop_every_messages(Some(5));
    for round in 1..=2 {
        let mut c = t.quotes().await;
        c.subscribe_ok("Quote", "4").await;
        let (frames, error) = c.read_to_end().await;
        assert!(frames <= 5, "round {round}: {frames} frames");
        assert!(
            matches!(
                error,
                Some(tungstenite::Error::Protocol(
                    tungstenite::error::ProtocolError::ResetWithoutClosingHandshake
                ))
            ),
            "round {round}: no close frame expected, got {error:?}"
        );
    }
    let conns = streams.quote().connections();
    assert_eq!(conns.len(), 2);
    for c in &conns {
        assert!(!c.open);
        assert_eq!(c.close_reason, Some(CloseReason::DroppedAfterMessages));
        assert_eq!(c.messages_sent, 5, "{c:?}");
    }
    assert_eq!(streams.quote().messages_sent(), 10);
    assert_eq!(streams.connections_accepted(), 2);
    // The data streamer is not affected by a quote-only fault.
    let mut d = t.data().await;
    d.subscribe_ok("Order", &t.cash.to_string()).await;
    streams.quote().drop_every_messages(None);
    let mut c = t.quotes().await;
    c.subscribe_ok("Quote", "4").await;
    for _ in 0..8 {
        c.until(|v| v["EntityType"] == "Quote").await;
    }
}

#[tokio::test]
async fn drop_every_duration_closes_each_connection() {
    let t = T::new().await;
    t.c.sb
        .streams()
        .drop_every(Some(Duration::from_millis(200)));
    let mut c = t.data().await;
    c.subscribe_ok("Order", &t.cash.to_string()).await;
    let (_, error) = c.read_to_end().await;
    assert!(error.is_some(), "closed without a close frame");
    let conns = t.c.sb.streams().data().connections();
    assert_eq!(conns[0].close_reason, Some(CloseReason::DroppedAfterTime));
    t.c.sb.streams().drop_every(None);
    let mut c = t.data().await;
    c.subscribe_ok("Order", &t.cash.to_string()).await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    c.subscribe_ok("Position", &t.cash.to_string()).await;
}

#[tokio::test]
async fn stall_keeps_the_socket_open_but_answers_nothing() {
    let t = T::new().await;
    let streams = t.c.sb.streams();
    streams.set_quote_rate(100);
    let mut c = t.quotes().await;
    c.subscribe_ok("Quote", "4").await;
    c.until(|v| v["EntityType"] == "Quote").await;
    streams.quote().stall(true);
    eventually("the connection stalls", || {
        streams.quote().live_connections()[0].stalled
    })
    .await;
    let sent = streams.quote().messages_sent();
    c.ws.send(Message::Ping(b"are you there".to_vec().into()))
        .await
        .unwrap();
    // Drain what was in flight, then expect silence: no quotes and no Pong.
    let silent = tokio::time::timeout(Duration::from_millis(600), async {
        loop {
            match c.ws.next().await {
                Some(Ok(Message::Pong(_))) => return "pong",
                Some(Ok(Message::Text(_))) => continue,
                _ => return "closed",
            }
        }
    })
    .await;
    assert!(silent.is_err(), "expected silence, got {silent:?}");
    assert_eq!(streams.quote().messages_sent(), sent);
    streams.quote().stall(false);
    let pong = tokio::time::timeout(PATIENCE, async {
        loop {
            if let Some(Ok(Message::Pong(p))) = c.ws.next().await {
                return p;
            }
        }
    })
    .await
    .expect("the Pong once the stall ends");
    assert_eq!(&pong[..], b"are you there");
    c.until(|v| v["EntityType"] == "Quote").await;

    // Stall after N messages: each connection goes quiet after its Nth message.
    streams.quote().stall_after_messages(Some(3));
    let mut c2 = t.quotes().await;
    c2.subscribe_ok("Quote", "5").await;
    let id = streams.quote().live_connections()[1].id;
    eventually("the second connection stalls", || {
        streams.connection(id).is_some_and(|c| c.stalled)
    })
    .await;
    assert_eq!(streams.connection(id).unwrap().messages_sent, 3);
}

#[tokio::test]
async fn refused_reconnects_are_503_for_the_period() {
    let t = T::new().await;
    let (q, d) = t.discover().await;
    t.c.sb
        .streams()
        .refuse_reconnects_for(Duration::from_secs(30));
    for s in [&q, &d] {
        let attempt =
            tokio_tungstenite::connect_async(connect_url(s, &t.user_id.to_string(), &s.session))
                .await;
        match attempt {
            Err(tungstenite::Error::Http(resp)) => assert_eq!(resp.status(), 503),
            Err(other) => panic!("expected HTTP 503, got {other:?}"),
            Ok(_) => panic!("expected HTTP 503, got a connection"),
        }
    }
    assert_eq!(t.c.sb.streams().upgrades_refused(), 2);
    assert_eq!(t.c.sb.streams().quote().upgrades_refused(), 1);
    t.c.sb.streams().refuse_reconnects_for(Duration::ZERO);
    let mut c = t.quotes().await;
    c.subscribe_ok("Quote", "4").await;
}

#[tokio::test]
async fn malformed_frames_once_and_every_n() {
    let t = T::new().await;
    let streams = t.c.sb.streams();
    streams.set_quote_rate(300);
    let mut c = t.quotes().await;
    c.subscribe_ok("Quote", "4").await;
    streams.quote().malformed_once();
    let bad = c.until_raw_invalid().await;
    assert!(serde_json::from_str::<Value>(&bad).is_err(), "{bad}");
    // The real message follows.
    let next: Value = serde_json::from_str(&c.next_text().await).unwrap();
    assert_eq!(next["EntityType"], "Quote");

    streams.quote().set_malformed_kind(Malformed::BadNumber);
    streams.quote().malformed_once();
    let v = c
        .until(|v| {
            v["EntityType"] == "Quote" && v["Bid"].as_str().unwrap().parse::<Decimal>().is_err()
        })
        .await;
    assert_eq!(v["Bid"], "not-a-number");

    streams.quote().set_malformed_kind(Malformed::InvalidJson);
    streams.quote().malformed_every(Some(4));
    let mut invalid = 0;
    for _ in 0..50 {
        if serde_json::from_str::<Value>(&c.next_text().await).is_err() {
            invalid += 1;
        }
    }
    // One in five frames (one malformed per four messages), give or take the edges.
    assert!(
        (8..=12).contains(&invalid),
        "{invalid} malformed frames in 50"
    );
    streams.quote().malformed_every(None);
    assert!(streams.quote().live_connections()[0].malformed_sent >= 10);
}

impl Client {
    /// The next text frame that is not valid JSON.
    async fn until_raw_invalid(&mut self) -> String {
        tokio::time::timeout(PATIENCE, async {
            loop {
                let text = self.next_text().await;
                if serde_json::from_str::<Value>(&text).is_err() {
                    return text;
                }
            }
        })
        .await
        .expect("a malformed frame")
    }
}

#[tokio::test]
async fn a_stalled_data_client_with_a_full_queue_is_closed_as_slow() {
    let t = T::with(manual_clock(StreamConfig {
        data_queue: 4,
        ..StreamConfig::default()
    }))
    .await;
    let mut d = t.data().await;
    d.subscribe_ok("Order", &t.cash.to_string()).await;
    t.c.sb.streams().data().stall(true);
    eventually("stalled", || {
        t.c.sb.streams().data().live_connections()[0].stalled
    })
    .await;
    for i in 0..4 {
        let (s, v) = t
            .call(
                Method::POST,
                &format!("/v1.0/accounts/{}/orders", t.cash),
                Some(
                    json!({"Symbol": "AAPL", "Type": "Limit", "Side": "Buy", "Quantity": 1,
                    "Price": 1 + i, "TimeInForce": "GoodTillCancel"}),
                ),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
    }
    eventually("closed as a slow consumer", || {
        t.c.sb.streams().data().connections()[0].close_reason == Some(CloseReason::SlowConsumer)
    })
    .await;
    t.c.sb.streams().data().stall(false);
    eventually("gone", || {
        t.c.sb.streams().data().live_connections().is_empty()
    })
    .await;
    // The engine was never blocked: the orders were all accepted.
    let (_, list) = t
        .call(
            Method::GET,
            &format!("/v1.0/accounts/{}/orders?pageNumber=0&pageSize=10", t.cash),
            None,
        )
        .await;
    assert_eq!(list["TotalCount"], 4, "{list}");
}

#[tokio::test]
async fn twenty_thousand_quotes_per_second_roughly() {
    let t = T::new().await;
    let streams = t.c.sb.streams();
    streams.set_quote_rate(20_000);
    let mut c = t.quotes().await;
    let ids = three_stocks(&t);
    c.subscribe_ok("Quote", &keys(&ids)).await;
    c.until(|v| v["EntityType"] == "Quote").await;
    let start = tokio::time::Instant::now();
    let mut frames = 0u64;
    while start.elapsed() < Duration::from_secs(1) {
        if let Ok(Some(Ok(Message::Text(_)))) =
            tokio::time::timeout(Duration::from_millis(100), c.ws.next()).await
        {
            frames += 1;
        }
    }
    println!("{frames} quotes in 1 s at 20,000/s requested");
    assert!(frames >= 5_000, "only {frames} quotes in 1 s");
    assert!(streams.quote().messages_sent() >= frames);
}

#[tokio::test]
async fn the_firehose_sends_quotes_as_fast_as_the_socket_takes_and_commands_still_work() {
    let t = T::new().await;
    let streams = t.c.sb.streams();
    streams.set_quote_rate(autoshares_sandbox::config::QUOTE_FIREHOSE);
    let mut c = t.quotes().await;
    let ids = three_stocks(&t);
    c.subscribe_ok("Quote", &keys(&ids)).await;
    c.until(|v| v["EntityType"] == "Quote").await;
    let start = tokio::time::Instant::now();
    let mut frames = 0u64;
    while frames < 20_000 && start.elapsed() < PATIENCE {
        if let Some(Ok(Message::Text(text))) = c.ws.next().await {
            // Real Level I quote frames, nothing else (no depth updates).
            assert!(text.as_str().contains(r#""EntityType":"Quote""#), "{text}");
            frames += 1;
        }
    }
    assert_eq!(
        frames,
        20_000,
        "only {frames} quotes in {:?}",
        start.elapsed()
    );
    // Commands are still read between batches: unsubscribing everything ends the flow.
    c.command("Unsubscribe.txt", "Quote", &keys(&ids)).await;
    c.until(|v| v["Cmd"] == "Unsubscribe.txt").await;
    let sent = streams.quote().messages_sent();
    tokio::time::sleep(Duration::from_millis(200)).await;
    while let Ok(Some(_)) = tokio::time::timeout(Duration::from_millis(50), c.ws.next()).await {}
    assert!(streams.quote().messages_sent() - sent < 2_000);
}

#[tokio::test]
async fn shutdown_closes_stream_connections() {
    let t = T::new().await;
    let mut q = t.quotes().await;
    let mut d = t.data().await;
    q.subscribe_ok("Quote", "4").await;
    d.subscribe_ok("Order", &t.cash.to_string()).await;
    let streams = t.c.sb.streams();
    t.c.sb.shutdown().await;
    q.read_to_end().await;
    d.read_to_end().await;
    eventually("all closed", || streams.live_connections().is_empty()).await;
    assert!(streams
        .connections()
        .iter()
        .all(|c| c.close_reason == Some(CloseReason::Shutdown)));
}

/// Not run by default: the quote rate a benchmark would ask for (`cargo test --release -p
/// autoshares-sandbox --test streaming -- --ignored --nocapture`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore]
async fn fifty_thousand_quotes_per_second_benchmark() {
    let t = T::new().await;
    t.c.sb.streams().set_quote_rate(50_000);
    let mut c = t.quotes().await;
    let ids = three_stocks(&t);
    c.subscribe_ok("Quote", &keys(&ids)).await;
    c.until(|v| v["EntityType"] == "Quote").await;
    let start = tokio::time::Instant::now();
    let mut frames = 0u64;
    while start.elapsed() < Duration::from_secs(3) {
        if let Ok(Some(Ok(Message::Text(_)))) =
            tokio::time::timeout(Duration::from_millis(100), c.ws.next()).await
        {
            frames += 1;
        }
    }
    println!(
        "{:.0} quotes/s at 50,000/s requested",
        frames as f64 / start.elapsed().as_secs_f64()
    );
}

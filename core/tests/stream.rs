//! The core stream against the sandbox's streamers over loopback WebSockets: ordering of account events,
//! recovery from drops, stalls and malformed frames, conflation and lossless account events, Level II.

mod common;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::Duration;

use autoshares::models::{MarginType, OrderSide, OrderStatus};
use autoshares::orders::OrderRequest;
use autoshares::stream::{
    ConnectionState, Event, MarketHours, MarketStream, Source, StreamConfig, Streamer, Topic,
};
use autoshares::{Client, ErrorKind};
use autoshares_sandbox::{EntityType, Sandbox};
use common::*;
use rust_decimal::Decimal;
use tokio::time::{timeout, Instant};

/// Test tuning: always open, fast reconnects, a short watchdog.
fn test_config() -> StreamConfig {
    StreamConfig {
        stale_after: Some(Duration::from_millis(1500)),
        market_hours: MarketHours::Always,
        backoff_initial: Duration::from_millis(10),
        backoff_max: Duration::from_millis(200),
        ping_interval: Duration::from_millis(500),
        pong_timeout: Duration::from_millis(1000),
        connect_timeout: Duration::from_secs(5),
        ..StreamConfig::default()
    }
}

async fn margin_account(c: &Client) -> i32 {
    c.accounts()
        .mine()
        .await
        .unwrap()
        .into_iter()
        .find(|a| a.margin_type == Some(MarginType::Margin))
        .unwrap()
        .id
}

/// The next event matching `pred` within `limit`, or a panic naming `what`.
async fn wait_for(
    s: &mut MarketStream,
    limit: Duration,
    what: &str,
    mut pred: impl FnMut(&Event) -> bool,
) -> Event {
    let deadline = Instant::now() + limit;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match timeout(left, s.next()).await {
            Ok(Some(ev)) if pred(&ev) => return ev,
            Ok(Some(_)) => {}
            Ok(None) => panic!("stream ended while waiting for {what}"),
            Err(_) => panic!("no {what} within {limit:?}"),
        }
    }
}

fn market_buy(symbol: &str, qty: i64) -> autoshares::models::CreateOrder {
    OrderRequest::market(symbol, OrderSide::Buy, qty)
        .build()
        .unwrap()
}

#[tokio::test]
async fn three_symbols_and_an_account_then_order_position_balance_in_order() {
    let sb = Sandbox::start().await.unwrap();
    let c = password_client(&sb, "trader");
    let account = margin_account(&c).await;
    let mut s = c
        .stream()
        .config(test_config())
        .subscribe([
            Topic::quote("AAPL"),
            Topic::quote("MSFT"),
            Topic::quote("SPY"),
        ])
        .subscribe(Topic::account(account))
        .await
        .unwrap();

    let mut seen = BTreeSet::new();
    while seen.len() < 3 {
        if let Event::Quote(q) = wait_for(&mut s, Duration::from_secs(10), "quotes", |e| {
            matches!(e, Event::Quote(_))
        })
        .await
        {
            assert!(q.quote.bid.is_some() && q.quote.ask.is_some());
            seen.insert(
                q.quote
                    .symbol
                    .clone()
                    .expect("symbol filled from the subscription"),
            );
        }
    }
    assert_eq!(
        seen,
        BTreeSet::from(["AAPL".into(), "MSFT".into(), "SPY".into()])
    );
    assert_eq!(s.state(Streamer::Quote), ConnectionState::Live);

    let placed = c
        .orders()
        .place(account, market_buy("AAPL", 10))
        .await
        .unwrap();
    let id = placed.id.unwrap();
    // After the fill: Order (Filled), then Position, then AccountBalance.
    let mut kinds = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(10);
    while !kinds.contains(&"balance") {
        let left = deadline.saturating_duration_since(Instant::now());
        match timeout(left, s.next())
            .await
            .expect("account events")
            .unwrap()
        {
            Event::Order(o) if o.order.id == Some(id) => {
                assert_eq!(o.source, Source::Live);
                if o.order.status == Some(OrderStatus::Filled) {
                    assert_eq!(o.order.executed_quantity, Some(Decimal::from(10)));
                    kinds.push("filled");
                } else {
                    kinds.push("order");
                }
            }
            Event::Position(p) if kinds.contains(&"filled") => {
                assert_eq!(p.position.account_id, Some(account));
                assert_eq!(p.position.security_id, Some(4));
                kinds.push("position");
            }
            Event::AccountBalance(b) if kinds.contains(&"position") => {
                assert_eq!(b.account_id, Some(account));
                assert!(b.balance.cash().is_some(), "Items decoded: {:?}", b.balance);
                kinds.push("balance");
            }
            _ => {}
        }
    }
    let filled_at = kinds.iter().position(|k| *k == "filled").unwrap();
    assert_eq!(&kinds[filled_at..], &["filled", "position", "balance"]);
    // What we received matches what the sandbox produced for that order.
    let produced: Vec<String> = sb
        .streams()
        .data_messages_for_account(account)
        .into_iter()
        .filter(|r| r.entity_type == EntityType::Order && r.order_id == Some(id))
        .filter_map(|r| r.status)
        .collect();
    assert_eq!(produced.last().map(String::as_str), Some("Filled"));
    assert_eq!(
        produced.len(),
        kinds
            .iter()
            .filter(|k| **k == "order" || **k == "filled")
            .count()
    );
    let view = s.orders();
    assert_eq!(
        view.iter().find(|o| o.id == Some(id)).unwrap().status,
        Some(OrderStatus::Filled)
    );
    s.close().await;
    assert_eq!(s.state(Streamer::Quote), ConnectionState::Closed);
}

#[tokio::test]
async fn bad_subscriptions_are_refused_before_anything_connects() {
    let sb = Sandbox::start().await.unwrap();
    let c = password_client(&sb, "trader");
    let foreign = sb.account_ids("other")[0];
    let err = c
        .stream()
        .subscribe([Topic::quote("NOSUCHSYM")])
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Validation, "{err}");
    assert!(err.to_string().contains("NOSUCHSYM"), "{err}");
    let err = c
        .stream()
        .subscribe([Topic::Orders(foreign)])
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Validation, "{err}");
    assert_eq!(sb.streams().connections_accepted(), 0);
}

/// Waits until the stream is live and the sandbox holds `n` subscriptions on the data streamer.
async fn ready(sb: &Sandbox, s: &MarketStream, data_subscriptions: usize) {
    timeout(Duration::from_secs(10), s.ready())
        .await
        .unwrap()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let live = sb.streams().data().live_connections();
        if live
            .iter()
            .any(|c| c.subscriptions.len() >= data_subscriptions)
        {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the data subscriptions never arrived"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Places `n` market orders while the stream runs, a little apart.
async fn place_orders(c: Client, account: i32, n: usize, every: Duration) -> Vec<i32> {
    let mut ids = Vec::new();
    for i in 0..n {
        let symbol = ["AAPL", "MSFT", "SPY"][i % 3];
        let o = c
            .orders()
            .place(account, market_buy(symbol, 1))
            .await
            .unwrap();
        ids.push(o.id.unwrap());
        tokio::time::sleep(every).await;
    }
    ids
}

/// Drains the stream until `done` says so, counting quotes, reconnects and keeping every order event.
struct Tally {
    quotes: u64,
    gaps: BTreeMap<Streamer, u64>,
    order_states: HashMap<i32, Vec<(Option<OrderStatus>, Source)>>,
    decode_errors: u64,
    stale: u64,
}

impl Tally {
    fn new() -> Tally {
        Tally {
            quotes: 0,
            gaps: BTreeMap::new(),
            order_states: HashMap::new(),
            decode_errors: 0,
            stale: 0,
        }
    }

    fn take(&mut self, ev: Event) {
        match ev {
            Event::Quote(_) => self.quotes += 1,
            Event::Gap { streamer, .. } => *self.gaps.entry(streamer).or_default() += 1,
            Event::Order(o) => self
                .order_states
                .entry(o.order.id.unwrap())
                .or_default()
                .push((o.order.status.clone(), o.source)),
            Event::Decode { .. } => self.decode_errors += 1,
            Event::Stale { .. } => self.stale += 1,
            _ => {}
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drops_every_500_messages_over_50000_restore_every_subscription_and_lose_no_order() {
    let sb = Sandbox::start().await.unwrap();
    let c = password_client(&sb, "trader");
    let account = margin_account(&c).await;
    let streams = sb.streams();
    streams.set_quote_rate(20_000);
    streams.drop_every_messages(Some(500));
    let s = c
        .stream()
        .config(test_config())
        .subscribe([
            Topic::quote("AAPL"),
            Topic::quote("MSFT"),
            Topic::quote("SPY"),
        ])
        .subscribe(Topic::account(account))
        .await
        .unwrap();
    ready(&sb, &s, 3).await;
    let placing = tokio::spawn(place_orders(
        c.clone(),
        account,
        30,
        Duration::from_millis(50),
    ));
    let mut tally = Tally::new();
    let quote_streamer = streams.quote();
    let deadline = Instant::now() + Duration::from_secs(120);
    while quote_streamer.messages_sent() < 50_000 || !placing.is_finished() {
        assert!(
            Instant::now() < deadline,
            "50,000 quotes took over 2 minutes"
        );
        if let Ok(Some(ev)) = timeout(Duration::from_millis(100), s.next()).await {
            tally.take(ev);
        }
    }
    let ids = placing.await.unwrap();
    // Let the last events and any reconciliation arrive.
    let settle = Instant::now() + Duration::from_secs(3);
    while Instant::now() < settle {
        if let Ok(Some(ev)) = timeout(Duration::from_millis(100), s.next()).await {
            tally.take(ev);
        }
    }

    // Every quote connection that delivered anything had the whole desired set.
    let desired: BTreeSet<String> = ["AAPL", "MSFT", "SPY"]
        .iter()
        .filter_map(|sym| {
            sb.state()
                .market
                .security_by_symbol(sym)
                .map(|x| x.id.to_string())
        })
        .collect();
    let quote_conns: Vec<_> = quote_streamer.connections();
    let drops = quote_conns.iter().filter(|r| !r.open).count();
    assert!(
        drops >= 90,
        "expected about 100 drops over 50,000 messages, saw {drops}"
    );
    for r in &quote_conns {
        let keys: BTreeSet<String> = r
            .subscriptions
            .iter()
            .filter(|x| x.entity_type == EntityType::Quote)
            .map(|x| x.key.clone())
            .collect();
        if r.messages_sent > 0 {
            assert_eq!(keys, desired, "connection {} lacked subscriptions", r.id);
        }
    }
    assert!(tally.gaps.get(&Streamer::Quote).copied().unwrap_or(0) as usize >= drops - 1);
    assert!(tally.quotes > 1000, "quotes delivered: {}", tally.quotes);

    // No order event is lost: every order's final state as the sandbox produced it reached us (live or, for
    // messages produced while the data connection was down, by reconciliation).
    let produced = streams.data_messages_for_account(account);
    let mut final_status: HashMap<i32, String> = HashMap::new();
    for r in produced
        .iter()
        .filter(|r| r.entity_type == EntityType::Order)
    {
        final_status.insert(r.order_id.unwrap(), r.status.clone().unwrap());
    }
    for id in &ids {
        let want = final_status
            .get(id)
            .expect("the sandbox produced the order");
        let got = tally
            .order_states
            .get(id)
            .and_then(|v| v.last())
            .unwrap_or_else(|| panic!("no event at all for order {id}"));
        assert_eq!(
            got.0.as_ref().map(|s| s.as_str().to_string()).as_ref(),
            Some(want),
            "order {id}"
        );
    }
    s.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn order_events_lost_in_data_drops_are_reconciled() {
    let sb = Sandbox::start().await.unwrap();
    let c = password_client(&sb, "trader");
    let account = margin_account(&c).await;
    let streams = sb.streams();
    streams.data().drop_every_messages(Some(3));
    let s = c
        .stream()
        .config(test_config())
        .subscribe(Topic::account(account))
        .await
        .unwrap();
    ready(&sb, &s, 3).await;
    let ids = place_orders(c.clone(), account, 12, Duration::from_millis(30)).await;
    let mut tally = Tally::new();
    let settle = Instant::now() + Duration::from_secs(4);
    while Instant::now() < settle {
        if let Ok(Some(ev)) = timeout(Duration::from_millis(100), s.next()).await {
            tally.take(ev);
        }
    }
    assert!(tally.gaps.get(&Streamer::Data).copied().unwrap_or(0) >= 3);
    let view: HashMap<i32, Option<OrderStatus>> = s
        .orders()
        .into_iter()
        .map(|o| (o.id.unwrap(), o.status))
        .collect();
    for id in &ids {
        assert_eq!(view.get(id), Some(&Some(OrderStatus::Filled)), "order {id}");
        let last = tally.order_states[id].last().unwrap();
        assert_eq!(last.0, Some(OrderStatus::Filled), "order {id}");
    }
    let reconciled = tally
        .order_states
        .values()
        .flatten()
        .filter(|(_, src)| *src == Source::Reconciled)
        .count();
    assert!(reconciled > 0, "some order states came from reconciliation");
    s.close().await;
}

#[tokio::test]
async fn a_stalled_socket_is_detected_within_the_staleness_time_and_recovered() {
    let sb = Sandbox::start().await.unwrap();
    let c = password_client(&sb, "trader");
    let stale_after = Duration::from_millis(800);
    let config = StreamConfig {
        stale_after: Some(stale_after),
        ping_interval: Duration::from_secs(60),
        ..test_config()
    };
    let mut s = c
        .stream()
        .config(config)
        .subscribe([Topic::quote("AAPL")])
        .await
        .unwrap();
    wait_for(&mut s, Duration::from_secs(10), "a quote", |e| {
        matches!(e, Event::Quote(_))
    })
    .await;
    let quotes = sb.streams().quote();
    quotes.stall(true);
    let stalled_at = Instant::now();
    let ev = wait_for(&mut s, Duration::from_secs(10), "a stale event", |e| {
        matches!(e, Event::Stale { .. })
    })
    .await;
    let detected_after = stalled_at.elapsed();
    let Event::Stale {
        streamer,
        topic,
        silent_for,
    } = ev
    else {
        unreachable!()
    };
    assert_eq!(streamer, Streamer::Quote);
    assert_eq!(topic, Some(Topic::quote("AAPL")));
    assert!(silent_for > stale_after);
    // Detected within the staleness time plus the watchdog's tick (and the last message's age).
    assert!(
        detected_after < stale_after * 2 + Duration::from_millis(500),
        "{detected_after:?}"
    );
    quotes.stall(false);
    wait_for(&mut s, Duration::from_secs(10), "recovery", |e| {
        matches!(
            e,
            Event::State {
                streamer: Streamer::Quote,
                state: ConnectionState::Recovered
            }
        )
    })
    .await;
    wait_for(
        &mut s,
        Duration::from_secs(10),
        "a quote after recovery",
        |e| matches!(e, Event::Quote(_)),
    )
    .await;
    assert!(s.stats().reconnects >= 1);
    s.close().await;
}

#[tokio::test]
async fn a_malformed_frame_is_a_decode_event_and_the_stream_goes_on() {
    let sb = Sandbox::start().await.unwrap();
    let c = password_client(&sb, "trader");
    let mut s = c
        .stream()
        .config(test_config())
        .subscribe([Topic::quote("AAPL")])
        .await
        .unwrap();
    wait_for(&mut s, Duration::from_secs(10), "a quote", |e| {
        matches!(e, Event::Quote(_))
    })
    .await;
    sb.streams().quote().malformed_once();
    let ev = wait_for(&mut s, Duration::from_secs(10), "a decode event", |e| {
        matches!(e, Event::Decode { .. })
    })
    .await;
    let Event::Decode { streamer, error } = ev else {
        unreachable!()
    };
    assert_eq!(streamer, Streamer::Quote);
    assert!(!error.message.is_empty());
    wait_for(&mut s, Duration::from_secs(10), "a quote afterwards", |e| {
        matches!(e, Event::Quote(_))
    })
    .await;
    assert_eq!(
        s.stats().reconnects,
        0,
        "a bad frame is not a reason to reconnect"
    );
    assert_eq!(s.stats().decode_errors, 1);
    s.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_consumer_sees_the_latest_quote_not_a_backlog() {
    let sb = Sandbox::start().await.unwrap();
    let c = password_client(&sb, "trader");
    let streams = sb.streams();
    streams.set_quote_rate(10_000);
    let mut s = c
        .stream()
        .config(test_config())
        .subscribe([Topic::quote("AAPL")])
        .await
        .unwrap();
    wait_for(&mut s, Duration::from_secs(10), "a quote", |e| {
        matches!(e, Event::Quote(_))
    })
    .await;
    let before = streams.quote().messages_sent();
    tokio::time::sleep(Duration::from_secs(1)).await;
    let arrived = streams.quote().messages_sent() - before;
    assert!(arrived >= 2_000, "only {arrived} quotes were sent in 1 s");
    let mut queued_quotes = 0;
    while let Some(ev) = s.try_next() {
        if matches!(ev, Event::Quote(_)) {
            queued_quotes += 1;
        }
    }
    assert_eq!(queued_quotes, 1, "one conflated quote, not {arrived}");
    assert!(s.stats().conflated_quotes >= arrived / 2);
    s.close().await;
}

#[tokio::test]
async fn a_consumer_that_stalls_on_order_events_gets_every_one_afterwards() {
    let sb = Sandbox::start().await.unwrap();
    let c = password_client(&sb, "trader");
    let account = margin_account(&c).await;
    let s = c
        .stream()
        .config(test_config())
        .subscribe([Topic::Orders(account)])
        .await
        .unwrap();
    ready(&sb, &s, 1).await;
    // Not consuming while 20 orders are placed and filled.
    let ids = place_orders(c.clone(), account, 20, Duration::ZERO).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let produced: Vec<(i32, String)> = sb
        .streams()
        .data_messages_for_account(account)
        .into_iter()
        .filter(|r| r.entity_type == EntityType::Order)
        .map(|r| (r.order_id.unwrap(), r.status.unwrap()))
        .collect();
    let mut got = Vec::new();
    while got.len() < produced.len() {
        let ev = timeout(Duration::from_secs(5), s.next())
            .await
            .unwrap()
            .unwrap();
        if let Event::Order(o) = ev {
            got.push((
                o.order.id.unwrap(),
                o.order.status.unwrap().as_str().to_string(),
            ));
        }
    }
    assert_eq!(got, produced, "every order event, in production order");
    assert!(ids.iter().all(|id| got.iter().any(|(g, _)| g == id)));
    s.close().await;
}

#[tokio::test]
async fn level_two_books_are_sequence_checked_and_resynced_on_a_gap() {
    let sb = Sandbox::start().await.unwrap();
    let c = password_client(&sb, "trader");
    sb.streams().set_quote_rate(200);
    let mut s = c
        .stream()
        .config(test_config())
        .subscribe([Topic::depth("AAPL")])
        .await
        .unwrap();
    let ev = wait_for(&mut s, Duration::from_secs(10), "a book", |e| {
        matches!(e, Event::Depth(_))
    })
    .await;
    let Event::Depth(book) = ev else {
        unreachable!()
    };
    assert_eq!(book.security_id, 4);
    assert_eq!(book.symbol.as_deref(), Some("AAPL"));
    assert!(!book.bids.is_empty() && !book.asks.is_empty());
    assert!(book.best_bid().unwrap().price < book.best_ask().unwrap().price);
    assert!(book.bids.windows(2).all(|w| w[0].price > w[1].price));
    assert!(book.asks.windows(2).all(|w| w[0].price < w[1].price));
    sb.streams().quote().skip_depth_sequence_once();
    let deadline = Instant::now() + Duration::from_secs(10);
    while s.stats().depth_resyncs == 0 {
        assert!(Instant::now() < deadline, "no resync after a sequence gap");
        let _ = timeout(Duration::from_millis(100), s.next()).await;
    }
    // After the resync the book is whole again (a fresh snapshot).
    let ev = wait_for(
        &mut s,
        Duration::from_secs(10),
        "a book after resync",
        |e| matches!(e, Event::Depth(_)),
    )
    .await;
    let Event::Depth(book) = ev else {
        unreachable!()
    };
    assert!(!book.bids.is_empty() && !book.asks.is_empty());
    s.close().await;
}

#[tokio::test]
async fn depth_that_the_environment_does_not_serve_is_a_clear_error_not_silence() {
    let sb = Sandbox::start().await.unwrap();
    let c = password_client(&sb, "trader");
    sb.streams().set_depth_silent(true);
    let config = StreamConfig {
        depth_timeout: Duration::from_millis(500),
        ..test_config()
    };
    let mut s = c
        .stream()
        .config(config)
        .subscribe([Topic::depth("AAPL"), Topic::quote("AAPL")])
        .await
        .unwrap();
    let ev = wait_for(&mut s, Duration::from_secs(10), "the depth failure", |e| {
        matches!(e, Event::SubscriptionFailed { .. })
    })
    .await;
    let Event::SubscriptionFailed { topic, message } = ev else {
        unreachable!()
    };
    assert_eq!(topic, Topic::depth("AAPL"));
    assert!(message.contains("market depth is not offered"), "{message}");
    assert_eq!(s.subscriptions(), vec![Topic::quote("AAPL")]);
    // The quotes go on, and the silent depth key does not make the connection look stale.
    wait_for(&mut s, Duration::from_secs(10), "a quote", |e| {
        matches!(e, Event::Quote(_))
    })
    .await;
    tokio::time::sleep(Duration::from_millis(1700)).await;
    assert_eq!(s.stats().reconnects, 0);
    s.close().await;
}

#[tokio::test]
async fn refused_reconnects_back_off_then_recover_with_the_same_subscriptions() {
    let sb = Sandbox::start().await.unwrap();
    let c = password_client(&sb, "trader");
    let mut s = c
        .stream()
        .config(test_config())
        .subscribe([Topic::quote("AAPL"), Topic::quote("MSFT")])
        .await
        .unwrap();
    wait_for(&mut s, Duration::from_secs(10), "a quote", |e| {
        matches!(e, Event::Quote(_))
    })
    .await;
    let quotes = sb.streams().quote();
    quotes.refuse_reconnects_for(Duration::from_millis(800));
    let sent = quotes.messages_sent();
    quotes.drop_every_messages(Some(sent + 1));
    wait_for(&mut s, Duration::from_secs(10), "reconnecting", |e| {
        matches!(
            e,
            Event::State {
                streamer: Streamer::Quote,
                state: ConnectionState::Reconnecting
            }
        )
    })
    .await;
    quotes.drop_every_messages(None);
    wait_for(&mut s, Duration::from_secs(10), "the gap event", |e| {
        matches!(
            e,
            Event::Gap {
                streamer: Streamer::Quote,
                ..
            }
        )
    })
    .await;
    assert!(quotes.upgrades_refused() >= 1);
    // The recovered connection carries both subscriptions again (the server applies them as they arrive).
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let live = quotes.live_connections();
        if live.len() == 1 && live[0].subscriptions.len() == 2 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "subscriptions not restored: {live:?}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(matches!(
        s.state(Streamer::Quote),
        ConnectionState::Live | ConnectionState::Recovered
    ));
    s.close().await;
}

#[tokio::test]
async fn subscriptions_change_while_running() {
    let sb = Sandbox::start().await.unwrap();
    let c = password_client(&sb, "trader");
    let mut s = c
        .stream()
        .config(test_config())
        .subscribe([Topic::quote("AAPL")])
        .await
        .unwrap();
    wait_for(&mut s, Duration::from_secs(10), "a quote", |e| {
        matches!(e, Event::Quote(_))
    })
    .await;
    s.subscribe([Topic::quote("TSLA")]).await.unwrap();
    wait_for(
        &mut s,
        Duration::from_secs(10),
        "a TSLA quote",
        |e| matches!(e, Event::Quote(q) if q.quote.symbol.as_deref() == Some("TSLA")),
    )
    .await;
    s.unsubscribe([Topic::quote("AAPL")]).await.unwrap();
    assert_eq!(s.subscriptions(), vec![Topic::quote("TSLA")]);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let live = sb.streams().quote().live_connections();
    let keys: Vec<String> = live[0]
        .subscriptions
        .iter()
        .map(|x| x.key.clone())
        .collect();
    let tsla = sb.state().market.security_by_symbol("TSLA").unwrap().id;
    assert_eq!(keys, vec![tsla.to_string()]);
    // A refused subscription (a watchlist that does not exist) is reported, not silent.
    s.subscribe([Topic::WatchlistContent(987_654)])
        .await
        .unwrap();
    let ev = wait_for(
        &mut s,
        Duration::from_secs(10),
        "a refused subscription",
        |e| matches!(e, Event::SubscriptionFailed { .. }),
    )
    .await;
    assert!(matches!(
        ev,
        Event::SubscriptionFailed {
            topic: Topic::WatchlistContent(987_654),
            ..
        }
    ));
    s.close().await;
}

#[tokio::test]
async fn an_osi_option_symbol_resolves_through_the_securities_api() {
    let sb = Sandbox::start().await.unwrap();
    let c = password_client(&sb, "trader");
    let chain = c.securities().option_chain("AAPL").await.unwrap();
    let contract = chain
        .expirations
        .iter()
        .flat_map(|e| e.options.iter())
        .find(|o| {
            o.symbol
                .as_deref()
                .is_some_and(autoshares::orders::looks_like_osi)
        })
        .expect("an option with an OSI symbol")
        .clone();
    let osi = contract.symbol.clone().unwrap();
    let mut s = c
        .stream()
        .config(test_config())
        .subscribe([Topic::quote(osi.clone())])
        .await
        .unwrap();
    let ev = wait_for(&mut s, Duration::from_secs(10), "an option quote", |e| {
        matches!(e, Event::Quote(_))
    })
    .await;
    let Event::Quote(q) = ev else { unreachable!() };
    assert_eq!(q.security_id(), contract.id);
    assert_eq!(q.quote.symbol.as_deref(), Some(osi.as_str()));
    s.close().await;
}

#[tokio::test]
async fn a_full_event_buffer_is_an_overflow_event_then_a_reconciliation_not_a_silent_loss() {
    let sb = Sandbox::start().await.unwrap();
    let c = password_client(&sb, "trader");
    let account = margin_account(&c).await;
    let config = StreamConfig {
        event_buffer: 4,
        ..test_config()
    };
    let mut s = c
        .stream()
        .config(config)
        .subscribe([Topic::Orders(account)])
        .await
        .unwrap();
    ready(&sb, &s, 1).await;
    // Drain the state events, then place orders without reading: their events overflow the buffer of 4.
    while s.try_next().is_some() {}
    let ids = place_orders(c.clone(), account, 6, Duration::ZERO).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let first = timeout(Duration::from_secs(5), s.next())
        .await
        .unwrap()
        .unwrap();
    let Event::Overflow { dropped } = first else {
        panic!("expected an overflow first, got {first:?}")
    };
    assert!(dropped > 0);
    wait_for(&mut s, Duration::from_secs(10), "the reconciliation", |e| {
        matches!(e, Event::Reconciled { .. })
    })
    .await;
    let view: HashMap<i32, Option<OrderStatus>> = s
        .orders()
        .into_iter()
        .map(|o| (o.id.unwrap(), o.status))
        .collect();
    for id in &ids {
        assert_eq!(view.get(id), Some(&Some(OrderStatus::Filled)), "order {id}");
    }
    s.close().await;
}

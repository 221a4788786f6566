//! `make soak`: a bounded soak run (5 minutes by default, `SOAK_SECONDS` to change) of the Rust SDK against the
//! in-process sandbox with every fault switched on at once: HTTP chaos (5xx, 429, 502 after acting, cut
//! bodies after acting, truncated JSON, latency spikes) and stream drops. Workers mix reads, order placement,
//! replaces and cancels while a stream follows three symbols and the account. At the end, with the faults
//! off, it compares the client's view with the sandbox's records and prints:
//!
//! `soak: ops=<n> faults=<n> duplicate_orders=<n> lost_events=<n> subscriptions_restored=<n>/<n> panics=<n>`
//!
//! and exits non-zero if any of duplicates, lost events, unrestored subscriptions or panics is not zero, or an
//! error surfaced that is not one of the SDK's typed kinds.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use autoshares::auth::PasswordLogin;
use autoshares::models::{MarginType, ModifyOrder, OrderSide, OrderStatus};
use autoshares::orders::OrderRequest;
use autoshares::stream::{Event, MarketHours, StreamConfig, Topic};
use autoshares::{Client, Config, Error};
use autoshares_sandbox::{Chaos, EntityType, Sandbox};
use rand::{Rng, SeedableRng};
use rust_decimal::Decimal;
use tokio::time::Instant;

#[derive(Default)]
struct Tally {
    ops: AtomicU64,
    errors: Mutex<BTreeMap<&'static str, u64>>,
    reconcile: Mutex<BTreeMap<&'static str, u64>>,
    placed: Mutex<Vec<(String, Option<i32>)>>,
}

impl Tally {
    fn error(&self, e: &Error) {
        *self
            .errors
            .lock()
            .unwrap()
            .entry(e.kind().code())
            .or_default() += 1;
    }
}

async fn worker(c: Client, account: i32, seed: u64, until: Instant, tally: Arc<Tally>) {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let symbols = ["AAPL", "MSFT", "SPY", "TSLA"];
    let mut resting: Vec<i32> = Vec::new();
    while Instant::now() < until {
        tally.ops.fetch_add(1, Ordering::Relaxed);
        let roll: u32 = rng.random_range(0..100);
        let symbol = symbols[rng.random_range(0..symbols.len())];
        let result: Result<(), Error> = async {
            match roll {
                0..=29 => c.accounts().balance(account).await.map(|_| ()),
                30..=44 => c.positions().list(account).page_size(50).await.map(|_| ()),
                45..=54 => c.orders().list(account).page_size(50).await.map(|_| ()),
                55..=64 => c.securities().equity(symbol).await.map(|_| ()),
                65..=79 => {
                    // A market order (fills) or a limit far below the market (rests).
                    let order = if rng.random_bool(0.5) {
                        OrderRequest::market(symbol, OrderSide::Buy, 1).build()?
                    } else {
                        OrderRequest::limit(symbol, OrderSide::Buy, 1, Decimal::new(1000, 2))
                            .build()?
                    };
                    let cid = order.client_id.clone().unwrap_or_default();
                    let outcome = c.orders().place(account, order).await;
                    let id = outcome.as_ref().ok().and_then(|o| o.id);
                    tally.placed.lock().unwrap().push((cid, id));
                    let o = outcome?;
                    if o.r#type.as_ref().map(|t| t.as_str()) == Some("Limit") {
                        resting.extend(o.id);
                    }
                    Ok(())
                }
                80..=89 => match resting.pop() {
                    Some(id) => {
                        let m = ModifyOrder {
                            id,
                            price: Some(Decimal::new(1100, 2)),
                            ..Default::default()
                        };
                        let replaced = c.orders().replace(account, id, m).await?;
                        resting.extend(replaced.id);
                        Ok(())
                    }
                    None => Ok(()),
                },
                _ => match resting.pop() {
                    Some(id) => c.orders().cancel(account, id).await,
                    None => Ok(()),
                },
            }
        }
        .await;
        if let Err(e) = result {
            tally.error(&e);
            if matches!(e, Error::AmbiguousOrderOutcome { .. }) {
                *tally
                    .reconcile
                    .lock()
                    .unwrap()
                    .entry("ambiguous")
                    .or_default() += 1;
            }
        }
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let seconds: u64 = std::env::var("SOAK_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(300);
    let sb = Sandbox::start().await.expect("sandbox");
    let trader = sb.user("trader").expect("trader");
    let c = Client::builder()
        .config(
            Config::builder()
                .base_url(sb.url())
                .app_key(sb.app_key())
                .ignore_env()
                .timeout(Duration::from_secs(3))
                .build()
                .expect("config"),
        )
        .login(PasswordLogin::new(
            trader.username.clone(),
            trader.password.clone(),
        ))
        .build()
        .expect("client");
    let account = c
        .accounts()
        .mine()
        .await
        .expect("accounts")
        .into_iter()
        .find(|a| a.margin_type == Some(MarginType::Margin))
        .expect("margin account")
        .id;

    let streams = sb.streams();
    streams.set_quote_rate(500);
    let stream = c
        .stream()
        .config(StreamConfig {
            market_hours: MarketHours::Always,
            stale_after: Some(Duration::from_secs(3)),
            backoff_initial: Duration::from_millis(50),
            backoff_max: Duration::from_secs(2),
            ..StreamConfig::default()
        })
        .subscribe([
            Topic::quote("AAPL"),
            Topic::quote("MSFT"),
            Topic::quote("SPY"),
        ])
        .subscribe(Topic::account(account))
        .await
        .expect("stream");
    stream.ready().await.expect("stream ready");

    // Every fault at once.
    sb.faults().set_chaos(Some(Chaos {
        seed: 7,
        server_errors: 0.03,
        rate_limited: 0.01,
        errors_after_act: 0.02,
        resets_after_act: 0.01,
        malformed: 0.01,
        latency: Duration::from_millis(1),
        spikes: 0.01,
        spike: Duration::from_millis(400),
    }));
    streams.quote().drop_every_messages(Some(3000));
    streams.data().drop_every_messages(Some(40));

    let until = Instant::now() + Duration::from_secs(seconds);
    let tally = Arc::new(Tally::default());
    let mut tasks = Vec::new();
    for w in 0..4 {
        tasks.push(tokio::spawn(worker(
            c.clone(),
            account,
            100 + w,
            until,
            tally.clone(),
        )));
    }
    let mut events: BTreeMap<&'static str, u64> = BTreeMap::new();
    while Instant::now() < until {
        if let Ok(Some(ev)) = tokio::time::timeout(Duration::from_millis(200), stream.next()).await
        {
            let kind = match ev {
                Event::Quote(_) => "quote",
                Event::Order(_) => "order",
                Event::Gap { .. } => "gap",
                Event::Decode { .. } => "decode",
                Event::Stale { .. } => "stale",
                Event::Reconciled { .. } => "reconciled",
                _ => "other",
            };
            *events.entry(kind).or_default() += 1;
        }
    }
    let mut panics = 0;
    for t in tasks {
        if let Err(e) = t.await {
            if e.is_panic() {
                panics += 1;
            }
        }
    }

    // Faults off; let reconnects and reconciliation settle.
    sb.faults().set_chaos(None);
    streams.clear_faults();
    let settle = Instant::now() + Duration::from_secs(8);
    while Instant::now() < settle {
        let _ = tokio::time::timeout(Duration::from_millis(200), stream.next()).await;
    }
    let faults = sb.faults().counts();
    let stream_drops: u64 = streams.connections().iter().filter(|r| !r.open).count() as u64;

    // Duplicates: a ClientId the sandbox holds twice.
    let book: Vec<_> =
        futures::StreamExt::collect::<Vec<_>>(c.orders().list(account).page_size(200).stream())
            .await;
    let mut by_cid: HashMap<String, u32> = HashMap::new();
    for o in book.iter().flatten() {
        if let Some(cid) = &o.client_id {
            *by_cid.entry(cid.clone()).or_default() += 1;
        }
    }
    let placed = tally.placed.lock().unwrap().clone();
    let duplicate_orders = placed
        .iter()
        .filter(|(cid, _)| by_cid.get(cid).copied().unwrap_or(0) > 1)
        .count();

    // Lost events: the final status the sandbox produced per order vs the stream's view.
    let mut produced: HashMap<i32, String> = HashMap::new();
    for r in streams.data_messages_for_account(account) {
        if r.entity_type == EntityType::Order {
            if let (Some(id), Some(st)) = (r.order_id, r.status) {
                produced.insert(id, st);
            }
        }
    }
    let view: HashMap<i32, Option<OrderStatus>> = stream
        .orders()
        .into_iter()
        .filter_map(|o| o.id.map(|id| (id, o.status)))
        .collect();
    let lost: Vec<_> = produced
        .iter()
        .filter(|(id, st)| {
            view.get(id).and_then(|s| s.as_ref()).map(|s| s.as_str()) != Some(st.as_str())
        })
        .collect();
    for (id, st) in lost.iter().take(10) {
        println!(
            "soak: order {id}: sandbox's last status {st}, client's view {:?}",
            view.get(id)
        );
    }
    let lost_events = lost.len();

    // Subscriptions: every connection that delivered had the whole desired set; everything live at the end.
    let desired_quotes: BTreeSet<String> = ["AAPL", "MSFT", "SPY"]
        .iter()
        .filter_map(|s| {
            sb.state()
                .market
                .security_by_symbol(s)
                .map(|x| x.id.to_string())
        })
        .collect();
    let conns = streams.connections();
    let delivering: Vec<_> = conns.iter().filter(|r| r.messages_sent > 0).collect();
    let restored = delivering
        .iter()
        .filter(|r| {
            let keys: BTreeSet<String> = r.subscriptions.iter().map(|s| s.key.clone()).collect();
            match r.streamer {
                autoshares_sandbox::SessionType::Quote => keys == desired_quotes,
                autoshares_sandbox::SessionType::Data => r.subscriptions.len() == 3,
            }
        })
        .count();
    let live_at_end = streams.live_connections().len();
    stream.close().await;

    let errors = tally.errors.lock().unwrap().clone();
    let ambiguous = tally
        .reconcile
        .lock()
        .unwrap()
        .get("ambiguous")
        .copied()
        .unwrap_or(0);
    let placed_ok = placed.iter().filter(|(_, id)| id.is_some()).count();
    println!(
        "soak: {seconds} s; faults by kind: 5xx={} 429={} after_act={} reset_after_act={} malformed={} spikes={} stream_drops={stream_drops}",
        faults.server_errors, faults.rate_limited, faults.errors_after_act, faults.resets_after_act, faults.malformed, faults.spikes
    );
    println!("soak: errors by kind: {errors:?}");
    println!(
        "soak: orders placed {} (confirmed {placed_ok}, ambiguous outcomes {ambiguous}); stream events {events:?}; live connections at the end {live_at_end}",
        placed.len()
    );
    let ops = tally.ops.load(Ordering::Relaxed);
    let total_faults = faults.total() + stream_drops;
    println!(
        "soak: ops={ops} faults={total_faults} duplicate_orders={duplicate_orders} lost_events={lost_events} subscriptions_restored={restored}/{} panics={panics}",
        delivering.len()
    );
    let typed = errors.keys().all(|k| !k.is_empty());
    let ok = duplicate_orders == 0
        && lost_events == 0
        && restored == delivering.len()
        && live_at_end == 2
        && panics == 0
        && typed;
    sb.shutdown().await;
    std::process::exit(if ok { 0 } else { 1 });
}

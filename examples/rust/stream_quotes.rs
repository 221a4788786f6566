//! Streaming: start the sandbox in-process, subscribe to live quotes of three symbols and to a paper account,
//! place a market order, and print quote lines and the order's fill as they stream in.
//!
//! Run it with `cargo run -p autoshares-examples --bin stream_quotes` (part of `make demo`).

use std::time::Duration;

use autoshares::auth::PasswordLogin;
use autoshares::models::{MarginType, OrderSide, OrderStatus};
use autoshares::orders::OrderRequest;
use autoshares::stream::{Event, MarketHours, StreamConfig, Topic};
use autoshares::{Client, Config};
use autoshares_sandbox::Sandbox;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let sandbox = Sandbox::start().await?;
    let trader = sandbox.user("trader").expect("the sandbox seeds `trader`");
    let client = Client::builder()
        .config(Config::sandbox(&sandbox.url(), sandbox.app_key())?)
        .login(PasswordLogin::new(trader.username, trader.password))
        .build()?;
    let account = client
        .accounts()
        .mine()
        .await?
        .into_iter()
        .find(|a| a.margin_type == Some(MarginType::Margin))
        .expect("a margin account")
        .id;

    // The sandbox's market never closes, so the staleness watchdog counts every second.
    let config = StreamConfig {
        market_hours: MarketHours::Always,
        ..StreamConfig::default()
    };
    let stream = client
        .stream()
        .config(config)
        .subscribe([
            Topic::quote("AAPL"),
            Topic::quote("MSFT"),
            Topic::quote("SPY"),
        ])
        .subscribe(Topic::account(account))
        .await?;

    let mut quotes = 0;
    let mut order_id = None;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while let Ok(Some(event)) = tokio::time::timeout_at(deadline, stream.next()).await {
        match event {
            Event::Quote(q) => {
                quotes += 1;
                if quotes <= 6 {
                    let q = &q.quote;
                    println!(
                        "quote {:<5} bid {} ask {} last {}",
                        q.symbol.as_deref().unwrap_or("?"),
                        q.bid.map(|d| d.to_string()).unwrap_or_default(),
                        q.ask.map(|d| d.to_string()).unwrap_or_default(),
                        q.last.map(|d| d.to_string()).unwrap_or_default(),
                    );
                }
                if quotes == 6 && order_id.is_none() {
                    let order = OrderRequest::market("AAPL", OrderSide::Buy, 10).build()?;
                    let placed = client.orders().place(account, order).await?;
                    println!(
                        "placed market order {} (buy 10 AAPL)",
                        placed.id.unwrap_or_default()
                    );
                    order_id = placed.id;
                }
            }
            Event::Order(o) if o.order.id == order_id => {
                let o = &o.order;
                println!(
                    "order {} {}: executed {} at average {}",
                    o.id.unwrap_or_default(),
                    o.status.as_ref().map(|s| s.as_str()).unwrap_or("?"),
                    o.executed_quantity.unwrap_or_default(),
                    o.average_price.map(|d| d.to_string()).unwrap_or_default(),
                );
            }
            Event::Position(p) if order_id.is_some() => {
                let p = &p.position;
                println!(
                    "position {} quantity {} average open price {}",
                    p.symbol.as_deref().unwrap_or("?"),
                    p.quantity.unwrap_or_default(),
                    p.average_open_price
                        .map(|d| d.to_string())
                        .unwrap_or_default(),
                );
            }
            Event::AccountBalance(b) if order_id.is_some() => {
                println!(
                    "balance of {}: cash {}",
                    b.account_id.unwrap_or_default(),
                    b.balance.cash().map(|d| d.to_string()).unwrap_or_default()
                );
                let filled = stream
                    .orders()
                    .iter()
                    .any(|o| o.id == order_id && o.status == Some(OrderStatus::Filled));
                if filled {
                    break;
                }
            }
            Event::State { streamer, state } => {
                println!("{} streamer: {state:?}", streamer.as_str())
            }
            _ => {}
        }
    }
    stream.close().await;
    println!("stream closed after {quotes} quotes");
    sandbox.shutdown().await;
    Ok(())
}

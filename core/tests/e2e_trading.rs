//! End to end over loopback HTTP: log in, look up a symbol, read its option chain, place a limit order that
//! rests, replace it, fill a market order, see the position and the transaction, read balances that reflect the
//! fill, page through 250 transactions with a filter, create a watchlist and a price alert.

mod common;

use autoshares::filter::Filter;
use autoshares::models::*;
use autoshares::orders::OrderRequest;
use autoshares::{Client, UserRef};
use autoshares_sandbox::Sandbox;
use common::*;
use futures::StreamExt;
use rust_decimal::Decimal;

async fn accounts(c: &Client) -> (i32, i32) {
    let mine = c.accounts().mine().await.unwrap();
    let margin = mine
        .iter()
        .find(|a| a.margin_type == Some(MarginType::Margin))
        .unwrap()
        .id;
    let cash = mine
        .iter()
        .find(|a| a.margin_type == Some(MarginType::Cash))
        .unwrap()
        .id;
    (margin, cash)
}

#[tokio::test]
async fn the_whole_trading_day() {
    let sb = Sandbox::start().await.unwrap();
    let c = password_client(&sb, "trader");
    let (margin, _) = accounts(&c).await;

    // A symbol and its option chain.
    let aapl = c.securities().equity("AAPL").await.unwrap();
    assert_eq!(aapl.id, Some(4));
    let chain = c.securities().option_chain("AAPL").await.unwrap();
    assert!(!chain.expirations.is_empty());
    let contracts: usize = chain.expirations.iter().map(|e| e.options.len()).sum();
    assert!(contracts > 0, "the chain lists contracts");

    // A limit order far below the market rests; replacing it keeps it resting.
    let limits = c.orders().limits(margin, "AAPL").await.unwrap();
    let ask = limits.buy_price.expect("the market price of AAPL");
    let low = (ask / Decimal::from(2)).round_dp(2);
    let order = OrderRequest::limit("AAPL", OrderSide::Buy, 10, low)
        .build()
        .unwrap();
    let client_id = order.client_id.clone().unwrap();
    let placed = c.orders().place(margin, order).await.unwrap();
    let id = placed.id.unwrap();
    assert_eq!(placed.client_id.as_deref(), Some(client_id.as_str()));
    let resting = c.orders().get(margin, id).await.unwrap();
    assert!(
        matches!(
            resting.status,
            Some(OrderStatus::New) | Some(OrderStatus::PendingNew)
        ),
        "{:?}",
        resting.status
    );
    let lower = (low - Decimal::ONE).round_dp(2);
    let modify = ModifyOrder {
        id,
        quantity: Some(Decimal::from(5)),
        price: Some(lower),
        ..Default::default()
    };
    let replaced = c.orders().replace(margin, id, modify).await.unwrap();
    let replaced_id = replaced.id.unwrap();
    let now = c.orders().get(margin, replaced_id).await.unwrap();
    assert_eq!(now.quantity, Some(Decimal::from(5)));
    assert_eq!(now.price, Some(lower));

    // A market order fills (venue-synchronous path): position, transaction and balances follow.
    let before = c.accounts().balance(margin).await.unwrap();
    let filled = c
        .sync_orders()
        .place(
            margin,
            OrderRequest::market("MSFT", OrderSide::Buy, 3)
                .build()
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(filled.status, Some(OrderStatus::Filled), "{filled:?}");
    let price = filled.average_price.unwrap();
    let positions = c.positions().list(margin).await.unwrap();
    let msft = positions
        .result
        .iter()
        .find(|p| p.symbol.as_deref() == Some("MSFT"))
        .expect("an MSFT position");
    assert_eq!(msft.quantity, Some(Decimal::from(3)));
    let trades = c
        .transactions()
        .list(margin)
        .filter(Filter::eq("Symbol", "MSFT"))
        .await
        .unwrap();
    assert_eq!(trades.result.len(), 1, "{:?}", trades.result);
    let after = c.accounts().balance(margin).await.unwrap();
    assert_eq!(
        before.cash().unwrap() - after.cash().unwrap(),
        price * Decimal::from(3),
        "cash paid for the fill"
    );

    // The resting order can be cancelled.
    c.orders().cancel(margin, replaced_id).await.unwrap();
    let cancelled = c.orders().get(margin, replaced_id).await.unwrap();
    assert_eq!(cancelled.status, Some(OrderStatus::Canceled));

    // A watchlist and a price alert.
    let wl = c
        .watchlists()
        .create(
            UserRef::Me,
            true,
            CreateWatchlist {
                name: Some("Tech".into()),
                securities: vec![4],
            },
        )
        .await
        .unwrap();
    assert_eq!(wl.name.as_deref(), Some("Tech"));
    assert!(
        wl.security_list
            .iter()
            .any(|s| s.symbol.as_deref() == Some("AAPL")),
        "{wl:?}"
    );
    let alert = c
        .price_alerts()
        .create(
            UserRef::Me,
            PriceAlertEditable {
                operator: "GTEQ".into(),
                field: "Last".into(),
                security_id: Some(4),
                argument: Some(ask * Decimal::from(2)),
                expiration_date: Some(chrono::Utc::now() + chrono::Duration::days(7)),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert!(alert.id.is_some());
    let alerts = c.price_alerts().list(UserRef::Me).await.unwrap();
    assert!(alerts.result.iter().any(|a| a.id == alert.id));
}

#[tokio::test]
async fn paging_through_250_transactions_with_a_filter() {
    let sb = Sandbox::start().await.unwrap();
    let c = password_client(&sb, "trader");
    let (_, cash) = accounts(&c).await;
    for i in 0..250 {
        let symbol = if i % 2 == 0 { "KO" } else { "F" };
        let o = OrderRequest::market(symbol, OrderSide::Buy, 1)
            .build()
            .unwrap();
        let filled = c.sync_orders().place(cash, o).await.unwrap();
        assert_eq!(filled.status, Some(OrderStatus::Filled));
    }
    let first = c.transactions().list(cash).page_size(100).await.unwrap();
    assert_eq!(first.total_count, Some(250));
    assert_eq!(first.result.len(), 100);
    let all: Vec<_> = c
        .transactions()
        .list(cash)
        .page_size(100)
        .stream()
        .collect()
        .await;
    assert_eq!(all.len(), 250);
    assert!(all.iter().all(|t| t.is_ok()));
    let ko: Vec<Transaction> = c
        .transactions()
        .list(cash)
        .filter(Filter::eq("Symbol", "KO"))
        .page_size(40)
        .stream()
        .map(|t| t.unwrap())
        .collect()
        .await;
    assert_eq!(ko.len(), 125);
    assert!(ko.iter().all(|t| t.symbol.as_deref() == Some("KO")));
    let mut ids: Vec<i32> = ko.iter().filter_map(|t| t.id).collect();
    ids.dedup();
    assert_eq!(ids.len(), 125, "no transaction twice across pages");
}

#[tokio::test]
async fn invalid_orders_are_refused_before_anything_is_sent() {
    let sb = Sandbox::start().await.unwrap();
    let c = password_client(&sb, "trader");
    let (margin, _) = accounts(&c).await;
    let before = sb.recorded_requests().len();
    let mut no_price = OrderRequest::limit("AAPL", OrderSide::Buy, 1, Decimal::ONE)
        .build()
        .unwrap();
    no_price.price = None;
    let err = c
        .orders()
        .place(margin, no_price.clone())
        .await
        .unwrap_err();
    assert_eq!(err.field(), Some("price"));
    let err = c.sync_orders().preview(margin, no_price).await.unwrap_err();
    assert_eq!(err.field(), Some("price"));
    let bad_replace = ModifyOrder {
        id: 7,
        r#type: Some(OrderType::Limit),
        ..Default::default()
    };
    assert_eq!(
        c.orders()
            .replace(margin, 8, bad_replace)
            .await
            .unwrap_err()
            .field(),
        Some("id")
    );
    assert_eq!(sb.recorded_requests().len(), before, "nothing was sent");
}

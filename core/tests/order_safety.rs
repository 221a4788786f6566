//! Order safety under faults the sandbox injects around its order routes: an indefinite answer (5xx, timeout,
//! cut connection) is reconciled by `ClientId`, never turned into a blind duplicate or a false failure.

mod common;

use std::time::Duration;

use autoshares::models::{MarginType, ModifyOrder, OrderSide, OrderStatus};
use autoshares::orders::OrderRequest;
use autoshares::{Client, Error, ErrorKind};
use autoshares_sandbox::{FaultRule, Sandbox};
use common::*;
use rust_decimal::Decimal;

async fn setup(timeout: Duration) -> (Sandbox, Client, i32) {
    let sb = Sandbox::start().await.unwrap();
    let c = Client::builder()
        .config(config(&sb).timeout(timeout).build().unwrap())
        .login(password_login(&sb, "trader"))
        .build()
        .unwrap();
    let account = c
        .accounts()
        .mine()
        .await
        .unwrap()
        .into_iter()
        .find(|a| a.margin_type == Some(MarginType::Margin))
        .unwrap()
        .id;
    (sb, c, account)
}

fn resting_limit() -> autoshares::models::CreateOrder {
    OrderRequest::limit("AAPL", OrderSide::Buy, 3, Decimal::new(5000, 2))
        .build()
        .unwrap()
}

/// Orders of the account in the sandbox's book that carry `client_id`.
async fn with_client_id(c: &Client, account: i32, client_id: &str) -> usize {
    let page = c.orders().list(account).page_size(500).await.unwrap();
    page.result
        .iter()
        .filter(|o| o.client_id.as_deref() == Some(client_id))
        .count()
}

fn orders_path(account: i32) -> String {
    format!("/v1.0/accounts/{account}/orders")
}

#[tokio::test]
async fn a_5xx_after_the_order_was_placed_returns_the_order_without_resending() {
    let (sb, c, account) = setup(Duration::from_secs(10)).await;
    sb.faults()
        .inject(FaultRule::new("POST", &orders_path(account), 1, 502).after_act());
    let order = resting_limit();
    let cid = order.client_id.clone().unwrap();
    let placed = c.orders().place(account, order).await.unwrap();
    assert_eq!(placed.client_id.as_deref(), Some(cid.as_str()));
    assert_eq!(sb.request_count("POST", &orders_path(account)), 1);
    assert_eq!(with_client_id(&c, account, &cid).await, 1);
}

#[tokio::test]
async fn a_5xx_before_acting_is_sent_once_more_after_the_settle_time() {
    let (sb, c, account) = setup(Duration::from_secs(10)).await;
    sb.faults()
        .inject(FaultRule::new("POST", &orders_path(account), 1, 503));
    let order = resting_limit();
    let cid = order.client_id.clone().unwrap();
    let placed = c.orders().place(account, order).await.unwrap();
    assert_eq!(placed.client_id.as_deref(), Some(cid.as_str()));
    assert_eq!(sb.request_count("POST", &orders_path(account)), 2);
    assert_eq!(with_client_id(&c, account, &cid).await, 1);
}

#[tokio::test]
async fn a_timeout_after_acting_and_a_cut_connection_are_reconciled() {
    let (sb, c, account) = setup(Duration::from_millis(700)).await;
    sb.faults().inject(
        FaultRule::new("POST", &orders_path(account), 1, 200)
            .after_act()
            .with_delay(Duration::from_secs(3)),
    );
    let order = resting_limit();
    let cid = order.client_id.clone().unwrap();
    let placed = c.orders().place(account, order).await.unwrap();
    assert_eq!(placed.client_id.as_deref(), Some(cid.as_str()));
    assert_eq!(with_client_id(&c, account, &cid).await, 1);

    sb.faults()
        .inject(FaultRule::reset_after_act("POST", &orders_path(account), 1));
    let order = resting_limit();
    let cid = order.client_id.clone().unwrap();
    let placed = c.orders().place(account, order).await.unwrap();
    assert_eq!(placed.client_id.as_deref(), Some(cid.as_str()));
    assert_eq!(with_client_id(&c, account, &cid).await, 1);
    assert_eq!(sb.request_count("POST", &orders_path(account)), 2);
}

#[tokio::test]
async fn two_indefinite_attempts_and_no_order_is_an_ambiguous_outcome_with_the_client_id() {
    let (sb, c, account) = setup(Duration::from_secs(10)).await;
    sb.faults()
        .inject(FaultRule::new("POST", &orders_path(account), 2, 503));
    let order = resting_limit();
    let cid = order.client_id.clone().unwrap();
    let err = c.orders().place(account, order).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::AmbiguousOrder, "{err}");
    assert_eq!(err.kind().code(), "AMBIGUOUS_ORDER");
    let Error::AmbiguousOrderOutcome {
        operation,
        client_id,
        ..
    } = &err
    else {
        panic!("{err:?}")
    };
    assert_eq!(
        (operation.as_str(), client_id.as_str()),
        ("place", cid.as_str())
    );
    assert_eq!(sb.request_count("POST", &orders_path(account)), 2);
    assert_eq!(with_client_id(&c, account, &cid).await, 0);
}

#[tokio::test]
async fn when_the_order_list_cannot_be_read_nothing_is_resent() {
    let (sb, c, account) = setup(Duration::from_secs(10)).await;
    sb.faults()
        .inject(FaultRule::new("POST", &orders_path(account), 1, 502).after_act());
    sb.faults()
        .inject(FaultRule::new("GET", &orders_path(account), 50, 503));
    let order = resting_limit();
    let cid = order.client_id.clone().unwrap();
    let err = c.orders().place(account, order).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::AmbiguousOrder, "{err}");
    assert_eq!(sb.request_count("POST", &orders_path(account)), 1);
    sb.faults().clear();
    assert_eq!(
        with_client_id(&c, account, &cid).await,
        1,
        "the order does exist"
    );
}

#[tokio::test]
async fn a_definite_refusal_is_returned_as_it_is() {
    let (sb, c, account) = setup(Duration::from_secs(10)).await;
    sb.faults()
        .inject(FaultRule::new("POST", &orders_path(account), 1, 400));
    let err = c
        .orders()
        .place(account, resting_limit())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Api);
    assert_eq!(err.status(), Some(400));
    assert_eq!(sb.request_count("POST", &orders_path(account)), 1);
    assert_eq!(sb.request_count("GET", &orders_path(account)), 0);
}

#[tokio::test]
async fn replace_and_cancel_are_reconciled_too() {
    let (sb, c, account) = setup(Duration::from_secs(10)).await;
    let placed = c.orders().place(account, resting_limit()).await.unwrap();
    let id = placed.id.unwrap();

    let path = format!("{}/{id}", orders_path(account));
    sb.faults()
        .inject(FaultRule::new("PUT", &path, 1, 502).after_act());
    let modify = ModifyOrder {
        id,
        quantity: Some(Decimal::from(2)),
        price: Some(Decimal::new(4900, 2)),
        ..Default::default()
    };
    let replaced = c.orders().replace(account, id, modify).await.unwrap();
    assert_eq!(replaced.quantity, Some(Decimal::from(2)));
    assert_eq!(replaced.price, Some(Decimal::new(4900, 2)));
    assert_eq!(sb.request_count("PUT", &path), 1);
    let new_id = replaced.id.unwrap();

    let path = format!("{}/{new_id}", orders_path(account));
    sb.faults()
        .inject(FaultRule::new("DELETE", &path, 1, 504).after_act());
    c.orders().cancel(account, new_id).await.unwrap();
    assert_eq!(sb.request_count("DELETE", &path), 1);
    let now = c.orders().get(account, new_id).await.unwrap();
    assert!(
        matches!(
            now.status,
            Some(OrderStatus::Canceled | OrderStatus::PendingCancel)
        ),
        "{:?}",
        now.status
    );
}

fn journaled(sb: &Sandbox, path: &std::path::Path) -> Client {
    Client::builder()
        .config(config(sb).build().unwrap())
        .login(password_login(sb, "trader"))
        .order_journal(autoshares::journal::OrderJournal::open(path).unwrap())
        .build()
        .unwrap()
}

#[tokio::test]
async fn the_order_journal_lets_a_restarted_process_finish_reconciliation() {
    use autoshares::journal::Recovered;
    let (sb, c, account) = setup(Duration::from_secs(10)).await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("orders.journal");

    // First run: two places end ambiguous, because the order list cannot be read to reconcile them. The first
    // reached the server (502 after acting), the second did not (503 twice, before acting).
    let first_run = journaled(&sb, &path);
    first_run.accounts().mine().await.unwrap();
    let reached = resting_limit();
    let lost = resting_limit();
    let (reached_cid, lost_cid) = (
        reached.client_id.clone().unwrap(),
        lost.client_id.clone().unwrap(),
    );
    sb.faults()
        .inject(FaultRule::new("GET", &orders_path(account), 1000, 503));
    sb.faults()
        .inject(FaultRule::new("POST", &orders_path(account), 1, 502).after_act());
    let e = first_run
        .orders()
        .place(account, reached)
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::AmbiguousOrder, "{e}");
    sb.faults()
        .inject(FaultRule::new("POST", &orders_path(account), 2, 503));
    let e = first_run.orders().place(account, lost).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::AmbiguousOrder, "{e}");
    // A definite outcome is marked finished at once.
    sb.faults().clear();
    first_run
        .orders()
        .place(account, resting_limit())
        .await
        .unwrap();
    let pending: Vec<String> = first_run
        .order_journal()
        .unwrap()
        .pending()
        .unwrap()
        .into_iter()
        .map(|i| i.key)
        .collect();
    assert_eq!(pending, [reached_cid.clone(), lost_cid.clone()]);
    drop(first_run);

    // The restart: a new client over the same journal finds out what each did; nothing is sent.
    let posts_before = sb.request_count("POST", &orders_path(account));
    let restarted = journaled(&sb, &path);
    let results = restarted.reconcile_journal().await.unwrap();
    assert_eq!(results.len(), 2);
    match &results[0].outcome {
        Ok(Recovered::Placed(o)) => assert_eq!(o.client_id.as_deref(), Some(reached_cid.as_str())),
        other => panic!("the first reached the server: {other:?}"),
    }
    assert!(
        matches!(results[1].outcome, Ok(Recovered::NotPlaced)),
        "{:?}",
        results[1].outcome
    );
    assert_eq!(
        sb.request_count("POST", &orders_path(account)),
        posts_before
    );
    assert!(restarted
        .order_journal()
        .unwrap()
        .pending()
        .unwrap()
        .is_empty());

    // The lost one's request is kept exactly: sending it again places it once, with its ClientId.
    let request: autoshares::models::CreateOrder =
        serde_json::from_str(results[1].intent.request.as_ref().unwrap().get()).unwrap();
    assert_eq!(request.client_id.as_deref(), Some(lost_cid.as_str()));
    assert_eq!(request.price, Some(Decimal::new(5000, 2)));
    restarted.orders().place(account, request).await.unwrap();
    assert_eq!(with_client_id(&c, account, &lost_cid).await, 1);
    assert_eq!(with_client_id(&c, account, &reached_cid).await, 1);
    drop(restarted);
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(
        !text.contains(sb.user("trader").unwrap().password.as_str()),
        "no credentials in the journal"
    );
}

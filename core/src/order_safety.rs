//! Order safety: a place, replace or cancel is never sent twice blindly, and never reported as failed when it
//! may have taken effect.
//!
//! Every order intent carries a `ClientId` before its first attempt ([`crate::orders::with_client_id`] for
//! new orders; replaces get one too). When an attempt ends without a definite answer (a timeout, a connection
//! reset, an unreadable body, a 5xx), the SDK reads the account's orders for that `ClientId` before deciding:
//!
//! 1. found: it is returned as the result (the first attempt worked);
//! 2. not found, also not after [`SETTLE_TIME`]: the request is sent once more, with the same `ClientId`;
//! 3. that answer is indefinite too and the order still cannot be found: [`Error::AmbiguousOrderOutcome`]
//!    with the `ClientId`, so the caller can look again later instead of ordering twice.
//!
//! If a reconciliation read itself fails, nothing is resent (that is the case where a resend could
//! duplicate the order): the result is [`Error::AmbiguousOrderOutcome`].
//!
//! Cancels are reconciled by reading the order: cancelled (or pending cancel) is success; still open means
//! the cancel is sent once more. A definite answer (4xx, or a 2xx) is always returned as it is.
//!
//! With an order journal ([`crate::journal`]), each intent is written down before its first attempt and marked
//! finished when the outcome is definite; an ambiguous one stays pending for [`crate::Client::reconcile_journal`].

use std::time::Duration;

use futures::{StreamExt, TryStreamExt};

use crate::client::Client;
use crate::error::{Error, ErrorKind, Result};
use crate::filter::Filter;
use crate::models::{Order, OrderStatus};
use crate::paging::Sort;
use crate::transport::Call;

/// How long an order may take to appear in the account's order list after its placement was accepted.
/// The platform documents no figure; one and a half seconds covers the paper engine and the live OMS's
/// usual acknowledgement times.
pub const SETTLE_TIME: Duration = Duration::from_millis(1500);

/// Orders scanned (most recent first) when the list cannot be filtered by `ClientId`.
const SCAN_LIMIT: usize = 500;

/// Whether an error leaves open whether the server acted.
pub(crate) fn indefinite(e: &Error) -> bool {
    match e.kind() {
        ErrorKind::Transport | ErrorKind::Timeout | ErrorKind::Decode => true,
        ErrorKind::Api => e.status().is_some_and(|s| s >= 500),
        _ => false,
    }
}

fn ambiguous(operation: &str, client_id: &str, message: String) -> Error {
    Error::AmbiguousOrderOutcome {
        operation: operation.to_owned(),
        client_id: client_id.to_owned(),
        message,
    }
}

/// The order of `account_id` with this `ClientId`, if the server lists one.
pub(crate) async fn find_by_client_id(
    client: &Client,
    account_id: i32,
    client_id: &str,
) -> Result<Option<Order>> {
    let filtered = client
        .orders()
        .list(account_id)
        .filter(Filter::eq("ClientId", client_id))
        .page_size(25)
        .send()
        .await;
    let page = match filtered {
        Ok(page) => page.result,
        // A server that cannot filter on ClientId: scan the most recent orders instead.
        Err(e) if e.kind() == ErrorKind::Api && e.status().is_some_and(|s| s < 500) => {
            client
                .orders()
                .list(account_id)
                .sort(Sort::descending("Id"))
                .page_size(100)
                .stream()
                .take(SCAN_LIMIT)
                .try_collect()
                .await?
        }
        Err(e) => return Err(e),
    };
    Ok(page
        .into_iter()
        .find(|o| o.client_id.as_deref() == Some(client_id)))
}

/// Looks for the order now and, if absent, once more after [`SETTLE_TIME`].
async fn find_settled(client: &Client, account_id: i32, client_id: &str) -> Result<Option<Order>> {
    if let Some(o) = find_by_client_id(client, account_id, client_id).await? {
        return Ok(Some(o));
    }
    tokio::time::sleep(SETTLE_TIME).await;
    find_by_client_id(client, account_id, client_id).await
}

/// Sends a place or replace `call` whose body carries `client_id`, reconciling indefinite outcomes.
pub(crate) async fn submit(
    client: &Client,
    operation: &str,
    account_id: i32,
    client_id: Option<&str>,
    call: Call<'_>,
) -> Result<Order> {
    let journal = client.order_journal();
    let key = match journal {
        Some(j) => Some(j.begin(
            operation,
            account_id,
            order_id_of(&call),
            client_id,
            call.body.as_deref(),
        )?),
        None => None,
    };
    let outcome = submit_reconciled(client, operation, account_id, client_id, call).await;
    if let (Some(j), Some(key)) = (journal, key) {
        if let Err(e) = finish(j, &key, &outcome) {
            // The outcome is known and returned; only the journal missed it (it stays pending there).
            tracing::warn!(error = %e, "could not mark the order intent finished in the journal");
        }
    }
    outcome
}

/// The order id a replace or cancel `call` is about (its `orderId` path parameter).
fn order_id_of(call: &Call<'_>) -> Option<i32> {
    call.params
        .iter()
        .find(|(name, _)| *name == "orderId")
        .and_then(|(_, v)| v.parse().ok())
}

/// Marks a journaled intent finished, unless its outcome is still open.
fn finish<T>(journal: &crate::journal::OrderJournal, key: &str, outcome: &Result<T>) -> Result<()> {
    match outcome {
        Ok(_) => journal.end(key, "done"),
        Err(Error::AmbiguousOrderOutcome { .. }) => Ok(()),
        Err(e) if indefinite(e) => Ok(()),
        Err(_) => journal.end(key, "failed"),
    }
}

async fn submit_reconciled(
    client: &Client,
    operation: &str,
    account_id: i32,
    client_id: Option<&str>,
    call: Call<'_>,
) -> Result<Order> {
    let client_id = client_id.unwrap_or_default();
    let first = match client.transport().json::<Order>(call.clone()).await {
        Err(e) if indefinite(&e) => e,
        definite => return definite,
    };
    tracing::warn!(operation, client_id, error = %first, "no definite answer; reconciling by ClientId");
    match find_settled(client, account_id, client_id).await {
        Ok(Some(order)) => return Ok(order),
        Ok(None) => {}
        Err(e) => {
            return Err(ambiguous(
                operation,
                client_id,
                format!("{first}; and the order list could not be read: {e}"),
            ))
        }
    }
    tracing::warn!(
        operation,
        client_id,
        "not found after the settle time; sending once more"
    );
    let second = match client.transport().json::<Order>(call).await {
        Err(e) if indefinite(&e) => e,
        definite => return definite,
    };
    match find_settled(client, account_id, client_id).await {
        Ok(Some(order)) => Ok(order),
        Ok(None) => Err(ambiguous(
            operation,
            client_id,
            format!("two attempts ended without an answer ({first}; {second}) and no order with this ClientId is listed"),
        )),
        Err(e) => Err(ambiguous(
            operation,
            client_id,
            format!("{second}; and the order list could not be read: {e}"),
        )),
    }
}

fn cancelled(o: &Order) -> bool {
    matches!(
        o.status,
        Some(OrderStatus::Canceled | OrderStatus::PendingCancel)
    )
}

/// Sends a cancel `call`, reconciling indefinite outcomes by reading the order.
pub(crate) async fn cancel(
    client: &Client,
    account_id: i32,
    order_id: i32,
    call: Call<'_>,
) -> Result<()> {
    let journal = client.order_journal();
    let key = match journal {
        Some(j) => Some(j.begin("cancel", account_id, Some(order_id), None, None)?),
        None => None,
    };
    let outcome = cancel_reconciled(client, account_id, order_id, call).await;
    if let (Some(j), Some(key)) = (journal, key) {
        if let Err(e) = finish(j, &key, &outcome) {
            // The outcome is known and returned; only the journal missed it (it stays pending there).
            tracing::warn!(error = %e, "could not mark the order intent finished in the journal");
        }
    }
    outcome
}

async fn cancel_reconciled(
    client: &Client,
    account_id: i32,
    order_id: i32,
    call: Call<'_>,
) -> Result<()> {
    let id = order_id.to_string();
    let first = match client.transport().empty(call.clone()).await {
        Err(e) if indefinite(&e) => e,
        definite => return definite,
    };
    tracing::warn!(order_id, error = %first, "cancel without a definite answer; reading the order");
    match client.orders().get(account_id, order_id).await {
        Ok(o) if cancelled(&o) => return Ok(()),
        Ok(_) => {}
        Err(e) => {
            return Err(ambiguous(
                "cancel",
                &id,
                format!("{first}; and the order could not be read: {e}"),
            ))
        }
    }
    let second = match client.transport().empty(call).await {
        Err(e) if indefinite(&e) => e,
        definite => return definite,
    };
    match client.orders().get(account_id, order_id).await {
        Ok(o) if cancelled(&o) => Ok(()),
        Ok(o) => Err(ambiguous(
            "cancel",
            &id,
            format!("{second}; the order is still {:?}", o.status),
        )),
        Err(e) => Err(ambiguous(
            "cancel",
            &id,
            format!("{second}; and the order could not be read: {e}"),
        )),
    }
}

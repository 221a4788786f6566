//! `client.reconcileJournal()`: what the order intents a previous run could not confirm actually did (core
//! `autoshares::journal`; the journal itself is the `orderJournal` client option).

use autoshares::journal::{Reconciled, Recovered};
use chrono::{DateTime, Utc};
use napi_derive::napi;

use crate::models::orders::Order;

/// Why an intent's outcome is still unknown.
#[napi(object)]
pub struct JournalError {
    /// The stable error code (`'API'`, `'TRANSPORT'`, ...).
    #[napi(ts_type = "ErrorCode")]
    pub code: String,
    /// What went wrong.
    pub message: String,
}

/// One pending order intent of the journal and what reconciling it found.
#[napi(object)]
pub struct ReconciledIntent {
    /// Its `ClientId` (places and replaces) or `cancel-<order id>-...`.
    pub key: String,
    /// Which order action it was.
    #[napi(ts_type = "'place' | 'replace' | 'cancel'")]
    pub operation: String,
    /// The trading account.
    pub account_id: i32,
    /// The order replaced or cancelled.
    pub order_id: Option<i32>,
    /// The `ClientId` the request carried.
    pub client_id: Option<String>,
    /// The request body exactly as it was sent (JSON text with the wire field names; numbers keep every digit).
    pub request: Option<String>,
    /// When it was written down.
    pub recorded_at: DateTime<Utc>,
    /// `'placed'` (`order` went through), `'notPlaced'` (never arrived: sending `request` again cannot duplicate
    /// it), `'cancelled'`, `'notCancelled'` (`order` is still working), or `'unknown'` (see `error`; it stays in
    /// the journal).
    #[napi(ts_type = "'placed' | 'notPlaced' | 'cancelled' | 'notCancelled' | 'unknown'")]
    pub outcome: String,
    /// The order as the server lists it now.
    pub order: Option<Order>,
    /// Why the outcome is unknown.
    pub error: Option<JournalError>,
}

/// The results of `reconcileJournal()` as JS objects.
pub fn to_js(results: Vec<Reconciled>) -> Vec<ReconciledIntent> {
    results
        .into_iter()
        .map(|r| {
            let (outcome, order, error) = match r.outcome {
                Ok(Recovered::Placed(o)) => ("placed", Some(o), None),
                Ok(Recovered::NotPlaced) => ("notPlaced", None, None),
                Ok(Recovered::Cancelled(o)) => ("cancelled", Some(o), None),
                Ok(Recovered::NotCancelled(o)) => ("notCancelled", Some(o), None),
                Err(e) => (
                    "unknown",
                    None,
                    Some(JournalError {
                        code: e.kind().code().to_string(),
                        message: e.to_string(),
                    }),
                ),
            };
            let i = r.intent;
            ReconciledIntent {
                key: i.key,
                operation: i.operation,
                account_id: i.account_id,
                order_id: i.order_id,
                client_id: i.client_id,
                request: i.request.map(|raw| raw.get().to_owned()),
                recorded_at: i.recorded_at,
                outcome: outcome.to_string(),
                order: order.map(Order::from),
                error,
            }
        })
        .collect()
}

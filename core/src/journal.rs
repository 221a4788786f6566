//! The order intent journal: an optional file where every place, replace and cancel is written down *before* its
//! first attempt and marked finished once its outcome is known, so that a process that died (or gave up with
//! [`Error::AmbiguousOrderOutcome`]) in between can finish the reconciliation after a restart.
//!
//! ```no_run
//! # async fn demo() -> autoshares::Result<()> {
//! use autoshares::journal::{OrderJournal, Recovered};
//! let client = autoshares::Client::builder()
//!     .order_journal(OrderJournal::open("orders.journal")?)
//!     .build()?;
//! // After a restart: what happened to the orders the last run could not confirm?
//! for r in client.reconcile_journal().await? {
//!     match r.outcome {
//!         Ok(Recovered::Placed(order)) => println!("{} went through: order {:?}", r.intent.key, order.id),
//!         Ok(Recovered::NotPlaced) => println!("{} never arrived; safe to send again", r.intent.key),
//!         Ok(other) => println!("{}: {other:?}", r.intent.key),
//!         Err(e) => println!("{} still unknown: {e}", r.intent.key),
//!     }
//! }
//! # Ok(()) }
//! ```
//!
//! The file is JSON lines, `0600`, appended and flushed to disk before the request leaves: a `begin` line with
//! the intent (operation, account, order id, `ClientId`, the exact request body) and an `end` line when the
//! outcome is definite. An intent left ambiguous keeps no `end` line. [`OrderJournal::open`] rewrites the file
//! with the pending intents only (atomically, under a lock), so it does not grow without bound. It holds order
//! requests (symbols, quantities, prices), never credentials or tokens.

use std::collections::BTreeMap;
use std::fs::{self, File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use crate::client::Client;
use crate::error::{Error, Result};
use crate::models::{Order, OrderStatus};
use crate::order_safety::{find_by_client_id, SETTLE_TIME};

/// One order action as it was about to be sent.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct OrderIntent {
    /// Unique within the journal: the `ClientId` for places and replaces, `cancel-<order id>-<n>` for cancels.
    pub key: String,
    /// `place`, `replace` or `cancel`.
    pub operation: String,
    /// The trading account.
    pub account_id: i32,
    /// The order replaced or cancelled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_id: Option<i32>,
    /// The `ClientId` the request carried (places and replaces).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    /// The request body exactly as sent (a `CreateOrder` or `ModifyOrder`), to send again if it never arrived.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request: Option<Box<RawValue>>,
    /// When it was written down.
    pub recorded_at: DateTime<Utc>,
}

/// What a pending intent turned out to be.
#[derive(Debug)]
pub enum Recovered {
    /// The place or replace went through: the order with its `ClientId`.
    Placed(Order),
    /// No order with its `ClientId` is listed, also after the settle time: it never arrived, and sending the
    /// same request again (`intent.request`) cannot duplicate it.
    NotPlaced,
    /// The cancel went through (the order is cancelled or pending cancel).
    Cancelled(Order),
    /// The order is still working: the cancel did not arrive.
    NotCancelled(Order),
}

/// One pending intent and what reconciling it found (an error leaves the intent pending).
#[derive(Debug)]
pub struct Reconciled {
    /// The intent as the journal holds it.
    pub intent: OrderIntent,
    /// The outcome, or why it is still unknown (the order list could not be read).
    pub outcome: Result<Recovered>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Line {
    Begin(OrderIntent),
    End { key: String, outcome: String },
}

/// An order intent journal file (see the module docs). Cheap to share: writes are serialized inside.
#[derive(Debug)]
pub struct OrderJournal {
    path: PathBuf,
    file: Mutex<File>,
    counter: std::sync::atomic::AtomicU64,
}

impl OrderJournal {
    /// Opens (or creates, `0600`) the journal at `path` and compacts it to its pending intents. A file that is
    /// not a journal, or readable by other users, is an error.
    pub fn open(path: impl AsRef<Path>) -> Result<OrderJournal> {
        let path = path.as_ref().to_path_buf();
        let err = |m: String| Error::config("order_journal", format!("{}: {m}", path.display()));
        let dir = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        crate::auth::store::create_private_dir(dir)
            .map_err(|e| err(format!("cannot create {}: {e}", dir.display())))?;
        let mut lock_path = path.clone().into_os_string();
        lock_path.push(".lock");
        let lock = crate::auth::store::open_private(Path::new(&lock_path), false)
            .map_err(|e| err(format!("cannot open the lock file: {e}")))?;
        lock.lock().map_err(|e| err(format!("cannot lock: {e}")))?;
        let pending = if path.exists() {
            check_private(&path).map_err(err)?;
            read_pending(&path).map_err(err)?
        } else {
            Vec::new()
        };
        // Compact: the pending intents only, written to a new file then renamed over the old one.
        let mut tmp = path.clone().into_os_string();
        tmp.push(".tmp");
        let tmp = PathBuf::from(tmp);
        {
            let _ = fs::remove_file(&tmp);
            let mut f = crate::auth::store::open_private(&tmp, true)
                .map_err(|e| err(format!("cannot write: {e}")))?;
            for intent in &pending {
                f.write_all(&line(&Line::Begin(intent.clone())))
                    .map_err(|e| err(format!("cannot write: {e}")))?;
            }
            f.sync_all()
                .map_err(|e| err(format!("cannot write: {e}")))?;
        }
        fs::rename(&tmp, &path).map_err(|e| err(format!("cannot replace: {e}")))?;
        let file = OpenOptions::new()
            .append(true)
            .open(&path)
            .map_err(|e| err(format!("cannot open: {e}")))?;
        drop(lock);
        Ok(OrderJournal {
            path,
            file: Mutex::new(file),
            counter: std::sync::atomic::AtomicU64::new(0),
        })
    }

    /// The journal's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The intents whose outcome is not known yet, oldest first.
    pub fn pending(&self) -> Result<Vec<OrderIntent>> {
        let _guard = self.file.lock().unwrap_or_else(|p| p.into_inner());
        read_pending(&self.path).map_err(|m| self.err(m))
    }

    fn err(&self, m: String) -> Error {
        Error::config("order_journal", format!("{}: {m}", self.path.display()))
    }

    fn append(&self, l: &Line) -> Result<()> {
        let mut f = self.file.lock().unwrap_or_else(|p| p.into_inner());
        f.write_all(&line(l))
            .and_then(|_| f.sync_data())
            .map_err(|e| self.err(format!("cannot write: {e}")))
    }

    /// Writes an intent down before its first attempt (a failure here means nothing is sent).
    pub(crate) fn begin(
        &self,
        operation: &str,
        account_id: i32,
        order_id: Option<i32>,
        client_id: Option<&str>,
        body: Option<&[u8]>,
    ) -> Result<String> {
        let key = match client_id {
            Some(cid) if !cid.is_empty() => cid.to_owned(),
            _ => {
                let n = self
                    .counter
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                format!(
                    "{operation}-{}-{}-{n}",
                    order_id.unwrap_or_default(),
                    Utc::now().timestamp_micros()
                )
            }
        };
        let request = body
            .map(|b| {
                let text = String::from_utf8_lossy(b).into_owned();
                RawValue::from_string(text).map_err(|e| self.err(format!("request body: {e}")))
            })
            .transpose()?;
        self.append(&Line::Begin(OrderIntent {
            key: key.clone(),
            operation: operation.to_owned(),
            account_id,
            order_id,
            client_id: client_id.filter(|c| !c.is_empty()).map(str::to_owned),
            request,
            recorded_at: Utc::now(),
        }))?;
        Ok(key)
    }

    /// Marks an intent finished (`done`, `failed`, `not_placed`, ...).
    pub(crate) fn end(&self, key: &str, outcome: &str) -> Result<()> {
        self.append(&Line::End {
            key: key.to_owned(),
            outcome: outcome.to_owned(),
        })
    }

    /// Finds out what each pending intent did, by its `ClientId` (places and replaces, waiting out the settle
    /// time for recent ones) or by reading the order (cancels), and marks the ones it could decide finished.
    /// Nothing is sent again: a [`Recovered::NotPlaced`] intent's `request` is there for the caller to resend.
    pub async fn reconcile(&self, client: &Client) -> Result<Vec<Reconciled>> {
        let mut out = Vec::new();
        for intent in self.pending()? {
            let outcome = recover(client, &intent).await;
            if let Ok(r) = &outcome {
                let word = match r {
                    Recovered::Placed(_) => "placed",
                    Recovered::NotPlaced => "not_placed",
                    Recovered::Cancelled(_) => "cancelled",
                    Recovered::NotCancelled(_) => "not_cancelled",
                };
                self.end(&intent.key, word)?;
            }
            out.push(Reconciled { intent, outcome });
        }
        Ok(out)
    }
}

async fn recover(client: &Client, intent: &OrderIntent) -> Result<Recovered> {
    if intent.operation == "cancel" {
        let order_id = intent
            .order_id
            .ok_or_else(|| Error::config("order_journal", "a cancel intent without an order id"))?;
        let order = client.orders().get(intent.account_id, order_id).await?;
        return Ok(
            if matches!(
                order.status,
                Some(OrderStatus::Canceled | OrderStatus::PendingCancel)
            ) {
                Recovered::Cancelled(order)
            } else {
                Recovered::NotCancelled(order)
            },
        );
    }
    let cid = intent.client_id.as_deref().unwrap_or(&intent.key);
    if let Some(order) = find_by_client_id(client, intent.account_id, cid).await? {
        return Ok(Recovered::Placed(order));
    }
    let age = (Utc::now() - intent.recorded_at)
        .to_std()
        .unwrap_or_default();
    if age < SETTLE_TIME {
        tokio::time::sleep(SETTLE_TIME - age).await;
        if let Some(order) = find_by_client_id(client, intent.account_id, cid).await? {
            return Ok(Recovered::Placed(order));
        }
    }
    Ok(Recovered::NotPlaced)
}

fn line(l: &Line) -> Vec<u8> {
    let mut v = serde_json::to_vec(l).expect("journal lines serialize");
    v.push(b'\n');
    v
}

/// The intents with a `begin` and no `end`, in file order. A torn last line (a crash mid-write) is ignored.
fn read_pending(path: &Path) -> std::result::Result<Vec<OrderIntent>, String> {
    let f = File::open(path).map_err(|e| format!("cannot read: {e}"))?;
    let lines: Vec<String> = BufReader::new(f)
        .lines()
        .collect::<std::io::Result<_>>()
        .map_err(|e| format!("cannot read: {e}"))?;
    let mut pending: BTreeMap<String, (usize, OrderIntent)> = BTreeMap::new();
    let last = lines.len().saturating_sub(1);
    for (i, text) in lines.iter().enumerate() {
        if text.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<Line>(text) {
            Ok(Line::Begin(intent)) => {
                pending.insert(intent.key.clone(), (i, intent));
            }
            Ok(Line::End { key, .. }) => {
                pending.remove(&key);
            }
            Err(_) if i == last => {}
            Err(e) => return Err(format!("line {} is not a journal entry: {e}", i + 1)),
        }
    }
    let mut v: Vec<_> = pending.into_values().collect();
    v.sort_by_key(|(i, _)| *i);
    Ok(v.into_iter().map(|(_, intent)| intent).collect())
}

#[cfg(unix)]
fn check_private(path: &Path) -> std::result::Result<(), String> {
    use std::os::unix::fs::PermissionsExt;
    let mode = fs::metadata(path)
        .map_err(|e| e.to_string())?
        .permissions()
        .mode();
    if mode & 0o077 != 0 {
        return Err(format!(
            "permissions {:04o} let other users read the order journal; run `chmod 600 {}`",
            mode & 0o7777,
            path.display()
        ));
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_private(_path: &Path) -> std::result::Result<(), String> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pending_intents_survive_reopening_and_finished_ones_are_compacted_away() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j").join("orders.journal");
        let j = OrderJournal::open(&path).unwrap();
        let body = br#"{"Symbol":"AAPL","Price":187.2500,"ClientId":"c1"}"#;
        let k1 = j.begin("place", 7, None, Some("c1"), Some(body)).unwrap();
        let k2 = j.begin("cancel", 7, Some(42), None, None).unwrap();
        j.begin("place", 7, None, Some("c3"), Some(b"{}")).unwrap();
        j.end("c3", "done").unwrap();
        assert_eq!(k1, "c1");
        assert!(k2.starts_with("cancel-42-"), "{k2}");
        drop(j);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
        // A crash in the middle of a line: the torn line is ignored.
        let mut f = OpenOptions::new().append(true).open(&path).unwrap();
        f.write_all(br#"{"begin":{"key":"torn","opera"#).unwrap();
        drop(f);
        let j = OrderJournal::open(&path).unwrap();
        let pending = j.pending().unwrap();
        assert_eq!(
            pending.iter().map(|i| i.key.as_str()).collect::<Vec<_>>(),
            ["c1", k2.as_str()]
        );
        assert_eq!(
            pending[0].request.as_ref().unwrap().get(),
            std::str::from_utf8(body).unwrap(),
            "the body exactly, price digits included"
        );
        assert_eq!(pending[1].order_id, Some(42));
        let text = fs::read_to_string(&path).unwrap();
        assert_eq!(
            text.lines().count(),
            2,
            "compacted to the pending intents: {text}"
        );
    }

    #[test]
    fn a_file_that_is_not_a_journal_or_is_world_readable_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("orders.journal");
        fs::write(&path, "not a journal\nstill not\n").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).unwrap();
        }
        let e = OrderJournal::open(&path).unwrap_err();
        assert!(
            e.to_string().contains("line 1 is not a journal entry"),
            "{e}"
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            fs::write(&path, "").unwrap();
            fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
            let e = OrderJournal::open(&path).unwrap_err();
            assert!(e.to_string().contains("chmod 600"), "{e}");
        }
    }
}

//! [`Streams`]: the test-facing control of the streamers (docs/STREAMING.md section 5).

use std::sync::atomic::Ordering;
use std::time::Duration;

use tokio::time::Instant;

use super::{index, ConnectionRecord, DataRecord, FaultSet, Malformed, StreamHub};
use crate::streamers::SessionType;

/// Cheap-clone control of the streamers of one sandbox: the quote rate, fault switches and records.
///
/// A control from [`crate::Sandbox::streams`] acts on both streamers; [`Streams::quote`] and
/// [`Streams::data`] narrow it to one. Fault switches apply to the streamers of the control's scope
/// and to connections already open as well as new ones; record getters count only the streamers of
/// the scope. Message counts of the faults are per streamer over the whole run (they do not restart
/// with a new connection), and count streamed messages only (`Quote`, `MarketDepth`, data
/// messages), never the session frame or acks.
#[derive(Clone, Debug)]
pub struct Streams {
    hub: StreamHub,
    scope: Option<SessionType>,
}

impl Streams {
    /// The control of both streamers of this hub.
    pub fn new(hub: StreamHub) -> Streams {
        Streams { hub, scope: None }
    }

    /// The same control narrowed to the quote streamer.
    pub fn quote(&self) -> Streams {
        self.only(SessionType::Quote)
    }

    /// The same control narrowed to the data streamer.
    pub fn data(&self) -> Streams {
        self.only(SessionType::Data)
    }

    /// The same control narrowed to one streamer.
    pub fn only(&self, streamer: SessionType) -> Streams {
        Streams {
            hub: self.hub.clone(),
            scope: Some(streamer),
        }
    }

    /// The streamer this control is narrowed to, `None` for both.
    pub fn scope(&self) -> Option<SessionType> {
        self.scope
    }

    fn kinds(&self) -> Vec<SessionType> {
        match self.scope {
            Some(k) => vec![k],
            None => vec![SessionType::Data, SessionType::Quote],
        }
    }

    fn in_scope(&self, kind: SessionType) -> bool {
        self.scope.is_none_or(|k| k == kind)
    }

    fn set(&self, f: impl Fn(&mut FaultSet)) {
        for kind in self.kinds() {
            f(&mut self.hub.faults_of(kind));
        }
    }

    /// Sets the quote streamer's rate: slots per second per connection, shared round-robin by the
    /// connection's securities (0 stops quotes; [`crate::config::QUOTE_FIREHOSE`] sends as fast as each socket
    /// takes). Applies to open connections at once.
    pub fn set_quote_rate(&self, per_second: u32) {
        self.hub.0.quote_rate.store(per_second, Ordering::Relaxed);
    }

    /// The quote rate now.
    pub fn quote_rate(&self) -> u32 {
        self.hub.quote_rate()
    }

    /// Closes the TCP connection abruptly (no close frame) right after every `n`th streamed message,
    /// counted over the whole run, so drops repeat after reconnects. `None` switches it off.
    pub fn drop_every_messages(&self, n: Option<u64>) {
        self.set(|f| f.drop_every_messages = n.filter(|n| *n > 0));
    }

    /// Closes each connection abruptly `period` after it was accepted (or after this call, for
    /// connections already open). `None` switches it off.
    pub fn drop_every(&self, period: Option<Duration>) {
        let now = Instant::now();
        self.set(|f| f.drop_every = period.map(|p| (p, now)));
    }

    /// Stalls every connection (`true`): the socket stays open but nothing is sent and nothing is
    /// read, so WebSocket Pings go unanswered; `false` resumes. New connections stall before their
    /// session frame.
    pub fn stall(&self, on: bool) {
        self.set(|f| f.stall = on);
    }

    /// Stalls each connection once it has sent `n` streamed messages (for good: until
    /// [`Streams::stall_after_messages`]`(None)` or a drop). `None` switches it off.
    pub fn stall_after_messages(&self, n: Option<u64>) {
        self.set(|f| f.stall_after = n);
    }

    /// Answers WebSocket upgrades `503 Service Unavailable` for `period` from now
    /// (`Duration::ZERO` stops refusing).
    pub fn refuse_reconnects_for(&self, period: Duration) {
        let until = Instant::now() + period;
        self.set(|f| f.refuse_until = Some(until));
    }

    /// Sends a malformed frame (see [`Streams::set_malformed_kind`]) before every `n`th streamed
    /// message, counted over the whole run. The real message follows it. `None` switches it off.
    pub fn malformed_every(&self, n: Option<u64>) {
        self.set(|f| f.malformed_every = n.filter(|n| *n > 0));
    }

    /// Sends one malformed frame (of the kind set now) before the next streamed message (of each
    /// streamer in scope).
    pub fn malformed_once(&self) {
        for kind in self.kinds() {
            let code = self.hub.faults_of(kind).malformed_kind.code();
            self.hub.0.malformed_once[index(kind)].store(code, Ordering::Relaxed);
        }
    }

    /// What malformed frames look like (invalid JSON by default).
    pub fn set_malformed_kind(&self, kind: Malformed) {
        self.set(|f| f.malformed_kind = kind);
    }

    /// Makes the next `MarketDepth` update (of any connection and key) skip one sequence number.
    pub fn skip_depth_sequence_once(&self) {
        self.hub.skip_depth_sequence();
    }

    /// Behaves like an environment without Level II: `MarketDepth` subscriptions are acknowledged but no
    /// snapshot or update is ever sent (the silent case a client must detect on its own).
    pub fn set_depth_silent(&self, on: bool) {
        self.hub.set_depth_silent(on);
    }

    /// Switches every fault of the scope off (the quote rate stays).
    pub fn clear_faults(&self) {
        self.set(|f| *f = FaultSet::default());
        for kind in self.kinds() {
            self.hub.0.malformed_once[index(kind)].store(0, Ordering::Relaxed);
        }
        if self.in_scope(SessionType::Quote) {
            self.hub.0.skip_depth.store(false, Ordering::Relaxed);
        }
    }

    /// Every known connection of the scope (the open ones and the last closed ones), oldest first.
    pub fn connections(&self) -> Vec<ConnectionRecord> {
        self.hub
            .records()
            .connections
            .values()
            .filter(|c| self.in_scope(c.streamer))
            .cloned()
            .collect()
    }

    /// The open connections of the scope with their current subscriptions, oldest first.
    pub fn live_connections(&self) -> Vec<ConnectionRecord> {
        self.connections().into_iter().filter(|c| c.open).collect()
    }

    /// The record of one connection.
    pub fn connection(&self, id: u64) -> Option<ConnectionRecord> {
        self.hub.records().connections.get(&id).cloned()
    }

    fn total(&self, f: impl Fn(&super::Records, usize) -> u64) -> u64 {
        let r = self.hub.records();
        self.kinds().into_iter().map(|k| f(&r, index(k))).sum()
    }

    /// Connections accepted (`CreateSession.txt` `Ok`) since start.
    pub fn connections_accepted(&self) -> u64 {
        self.total(|r, i| r.accepted[i])
    }

    /// Connections refused by `CreateSession.txt` (bad or replaced credentials) since start.
    pub fn sessions_rejected(&self) -> u64 {
        self.total(|r, i| r.rejected[i])
    }

    /// Upgrades answered 503 by [`Streams::refuse_reconnects_for`] since start.
    pub fn upgrades_refused(&self) -> u64 {
        self.total(|r, i| r.refused[i])
    }

    /// `Subscribe.txt` commands received since start.
    pub fn subscribe_commands(&self) -> u64 {
        self.total(|r, i| r.subscribe_commands[i])
    }

    /// Streamed messages sent since start, over all connections.
    pub fn messages_sent(&self) -> u64 {
        self.total(|r, i| r.streamed[i])
    }

    /// Every data message produced (recorded whether or not anyone was subscribed; the last
    /// [`super::DATA_MESSAGES_KEPT`]), in production order.
    pub fn data_messages(&self) -> Vec<DataRecord> {
        self.hub.records().produced.iter().cloned().collect()
    }

    /// The data messages produced about one trading account, in production order.
    pub fn data_messages_for_account(&self, account_id: i32) -> Vec<DataRecord> {
        self.hub
            .records()
            .produced
            .iter()
            .filter(|d| d.account_id == Some(account_id))
            .cloned()
            .collect()
    }
}

//! Where the supervisors put events and the consumer takes them, with backpressure by topic.
//!
//! * Level I quotes are conflated latest-wins per security: a slow consumer sees the newest quote of each
//!   symbol once, never a backlog.
//! * Level II books are conflated the same way (the SDK applies every sequenced message to its book; the
//!   consumer gets the book as it is when it looks).
//! * Everything else (orders, positions, balances, watchlists, state changes, gaps, errors) goes into one
//!   FIFO bounded by [`super::StreamConfig::event_buffer`]. When it is full, further events are counted, not
//!   queued, and the consumer's next event is [`super::Event::Overflow`] with that count; the data supervisor
//!   then re-reads orders and positions by REST so the views stay right. Nothing is lost silently.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard};

use tokio::sync::Notify;

use super::book::DepthBook;
use super::wire::QuoteUpdate;
use super::Event;

#[derive(Default)]
struct Inner {
    reliable: VecDeque<Event>,
    quotes: HashMap<i32, QuoteUpdate>,
    quote_order: VecDeque<i32>,
    books: HashMap<i32, DepthBook>,
    book_order: VecDeque<i32>,
    dropped: u64,
    conflated: u64,
    closed: bool,
    turn: u8,
}

/// The event hub shared by the supervisors (producers) and the [`super::MarketStream`] (consumer).
pub(crate) struct Hub {
    inner: Mutex<Inner>,
    notify: Notify,
    capacity: usize,
    /// Set on overflow; the data supervisor reconciles and clears it.
    pub(crate) needs_reconcile: AtomicBool,
}

impl Hub {
    pub(crate) fn new(capacity: usize) -> Hub {
        Hub {
            inner: Mutex::new(Inner::default()),
            notify: Notify::new(),
            capacity: capacity.max(1),
            needs_reconcile: AtomicBool::new(false),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Queues an event that must not be dropped; `false` (and counted) when the buffer is full.
    pub(crate) fn push(&self, event: Event) -> bool {
        let mut g = self.lock();
        if g.closed {
            return false;
        }
        if g.reliable.len() >= self.capacity {
            g.dropped += 1;
            self.needs_reconcile.store(true, Ordering::Release);
            drop(g);
            self.notify.notify_one();
            return false;
        }
        g.reliable.push_back(event);
        drop(g);
        self.notify.notify_one();
        true
    }

    /// Stores the latest quote of a security, replacing an undelivered older one.
    pub(crate) fn push_quote(&self, security_id: i32, quote: QuoteUpdate) {
        let mut g = self.lock();
        if g.closed {
            return;
        }
        if g.quotes.insert(security_id, quote).is_some() {
            g.conflated += 1;
        } else {
            g.quote_order.push_back(security_id);
        }
        drop(g);
        self.notify.notify_one();
    }

    /// Stores the current book of a security, replacing an undelivered older one.
    pub(crate) fn push_book(&self, book: DepthBook) {
        let mut g = self.lock();
        if g.closed {
            return;
        }
        let id = book.security_id;
        if g.books.insert(id, book).is_none() {
            g.book_order.push_back(id);
        }
        drop(g);
        self.notify.notify_one();
    }

    /// Forgets undelivered quotes and books of a security (after an unsubscribe).
    pub(crate) fn forget(&self, security_id: i32) {
        let mut g = self.lock();
        g.quotes.remove(&security_id);
        g.quote_order.retain(|id| *id != security_id);
        g.books.remove(&security_id);
        g.book_order.retain(|id| *id != security_id);
    }

    /// How many quotes were replaced by a newer one before the consumer took them.
    pub(crate) fn conflated(&self) -> u64 {
        self.lock().conflated
    }

    /// Ends the stream: the consumer drains what is queued, then gets `None`.
    pub(crate) fn close(&self) {
        self.lock().closed = true;
        self.notify.notify_waiters();
        self.notify.notify_one();
    }

    /// The next event without waiting.
    pub(crate) fn try_next(&self) -> Option<Event> {
        let mut g = self.lock();
        if g.dropped > 0 {
            let dropped = std::mem::take(&mut g.dropped);
            return Some(Event::Overflow { dropped });
        }
        // Take turns so a quote flood cannot starve order events, nor the other way round.
        for _ in 0..3 {
            g.turn = (g.turn + 1) % 3;
            let ev = match g.turn {
                0 => g.reliable.pop_front(),
                1 => g
                    .quote_order
                    .pop_front()
                    .and_then(|id| g.quotes.remove(&id))
                    .map(|q| Event::Quote(Box::new(q))),
                _ => g
                    .book_order
                    .pop_front()
                    .and_then(|id| g.books.remove(&id))
                    .map(|b| Event::Depth(Box::new(b))),
            };
            if ev.is_some() {
                return ev;
            }
        }
        None
    }

    /// Whether the stream was closed and everything queued was taken.
    fn finished(&self) -> bool {
        let g = self.lock();
        g.closed && g.reliable.is_empty() && g.quote_order.is_empty() && g.book_order.is_empty()
    }

    /// The next event, waiting for one; `None` once the stream is closed and drained.
    pub(crate) async fn next(&self) -> Option<Event> {
        loop {
            let notified = self.notify.notified();
            if let Some(ev) = self.try_next() {
                return Some(ev);
            }
            if self.finished() {
                return None;
            }
            notified.await;
        }
    }
}

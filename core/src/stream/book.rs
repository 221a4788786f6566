//! Level II: the market-depth book the SDK keeps per security from sequenced `MarketDepth` messages.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::Serialize;

use super::wire::{DepthLevel, DepthMessage};

/// The market-depth book of one security, as the SDK holds it after applying every message in sequence.
///
/// `bids` are best (highest) first, `asks` best (lowest) first.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct DepthBook {
    /// The security id.
    pub security_id: i32,
    /// The ticker or OSI symbol it was subscribed by, when known.
    pub symbol: Option<String>,
    /// The sequence number of the last message applied.
    pub sequence: u64,
    /// Time of the last message applied.
    pub date: Option<DateTime<Utc>>,
    /// Bid levels, best first.
    pub bids: Vec<DepthLevel>,
    /// Ask levels, best first.
    pub asks: Vec<DepthLevel>,
}

impl DepthBook {
    /// The best bid, if any.
    pub fn best_bid(&self) -> Option<DepthLevel> {
        self.bids.first().copied()
    }

    /// The best ask, if any.
    pub fn best_ask(&self) -> Option<DepthLevel> {
        self.asks.first().copied()
    }
}

/// What applying a message did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Applied {
    /// The book changed.
    Updated,
    /// The message's sequence does not follow the book's (`expected`, `got`): the book is unusable until a
    /// fresh snapshot arrives.
    Gap {
        /// The sequence number the book expected.
        expected: u64,
        /// The one that arrived.
        got: u64,
    },
    /// An update arrived before any snapshot (ignored).
    AwaitingSnapshot,
}

/// The working state of one book: levels in ordered maps while updates are applied.
#[derive(Debug, Default)]
pub(crate) struct BookState {
    bids: BTreeMap<Decimal, Decimal>,
    asks: BTreeMap<Decimal, Decimal>,
    sequence: Option<u64>,
    date: Option<DateTime<Utc>>,
}

impl BookState {
    /// Applies a message: a snapshot replaces the book; an update must carry the next sequence number.
    pub(crate) fn apply(&mut self, m: &DepthMessage) -> Applied {
        if m.snapshot {
            self.bids.clear();
            self.asks.clear();
        } else {
            match self.sequence {
                None => return Applied::AwaitingSnapshot,
                Some(seq) if m.sequence != seq + 1 => {
                    self.sequence = None;
                    return Applied::Gap {
                        expected: seq + 1,
                        got: m.sequence,
                    };
                }
                Some(_) => {}
            }
        }
        for (side, levels) in [(&mut self.bids, &m.bids), (&mut self.asks, &m.asks)] {
            for l in levels {
                if l.size.is_zero() {
                    side.remove(&l.price);
                } else {
                    side.insert(l.price, l.size);
                }
            }
        }
        self.sequence = Some(m.sequence);
        self.date = m.date.or(self.date);
        Applied::Updated
    }

    /// The book as users see it.
    pub(crate) fn view(&self, security_id: i32, symbol: Option<String>) -> DepthBook {
        let level = |(price, size): (&Decimal, &Decimal)| DepthLevel {
            price: *price,
            size: *size,
        };
        DepthBook {
            security_id,
            symbol,
            sequence: self.sequence.unwrap_or(0),
            date: self.date,
            bids: self.bids.iter().rev().map(level).collect(),
            asks: self.asks.iter().map(level).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lvl(p: &str, s: &str) -> DepthLevel {
        DepthLevel {
            price: p.parse().unwrap(),
            size: s.parse().unwrap(),
        }
    }

    fn msg(seq: u64, snapshot: bool, bids: Vec<DepthLevel>, asks: Vec<DepthLevel>) -> DepthMessage {
        DepthMessage {
            security_id: 4,
            sequence: seq,
            snapshot,
            date: None,
            bids,
            asks,
        }
    }

    #[test]
    fn snapshot_then_updates_then_gap() {
        let mut b = BookState::default();
        assert_eq!(
            b.apply(&msg(5, false, vec![], vec![])),
            Applied::AwaitingSnapshot
        );
        b.apply(&msg(
            1,
            true,
            vec![lvl("10.00", "1"), lvl("10.01", "2")],
            vec![lvl("10.03", "5"), lvl("10.02", "4")],
        ));
        assert_eq!(
            b.apply(&msg(
                2,
                false,
                vec![lvl("10.01", "0")],
                vec![lvl("10.04", "1")]
            )),
            Applied::Updated
        );
        let v = b.view(4, None);
        assert_eq!(v.best_bid(), Some(lvl("10.00", "1")));
        assert_eq!(v.best_ask(), Some(lvl("10.02", "4")));
        assert_eq!(v.asks.len(), 3);
        assert_eq!(
            b.apply(&msg(4, false, vec![], vec![])),
            Applied::Gap {
                expected: 3,
                got: 4
            }
        );
        assert_eq!(
            b.apply(&msg(5, false, vec![], vec![])),
            Applied::AwaitingSnapshot
        );
    }
}

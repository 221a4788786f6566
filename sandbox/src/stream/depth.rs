//! Simulated Level II books (**extension** `MarketDepth`): five levels each side, one tick apart,
//! around the market's bid and ask. The best level carries the quote's `BidSize`/`AskSize`; the
//! other sizes are seeded from the security, the level's price and a version that moves on with
//! every update, so each update changes a few sizes, and a price move removes and adds levels.

use std::collections::BTreeMap;

use rust_decimal::Decimal;

use crate::market::{mix, Market};

use super::messages::{self, Level};

/// Levels per side.
pub const LEVELS: usize = 5;

/// The book of one key as last sent on one connection.
#[derive(Clone, Debug, Default)]
pub struct Book {
    /// Sequence number of the last message sent (the snapshot is 1).
    pub sequence: u64,
    /// How many books have been computed (seeds the sizes).
    version: u64,
    /// Bids by price.
    bids: BTreeMap<Decimal, i64>,
    /// Asks by price.
    asks: BTreeMap<Decimal, i64>,
}

/// The book of a security now, as (bids best first, asks best first).
fn compute(market: &Market, security_id: i32, version: u64) -> Option<(Vec<Level>, Vec<Level>)> {
    let security = market.security_by_id(security_id)?;
    let q = market.quote(security_id)?;
    let tick = market.tick_for(security, q.last);
    let seed = market.seed() ^ (security_id as u64).rotate_left(32);
    let size = |price: Decimal, side: u64| {
        // Each level re-draws its size every third update, the levels out of phase, so every
        // update changes about a third of the book.
        let m = price.normalize().mantissa().unsigned_abs() as u64;
        let epoch = (version + m % 3) / 3;
        let h = mix(seed ^ side ^ m.wrapping_mul(31) ^ (epoch << 40));
        ((h % 40) as i64 + 1) * 100
    };
    let mut bids = Vec::with_capacity(LEVELS);
    let mut asks = Vec::with_capacity(LEVELS);
    for i in 0..LEVELS {
        let offset = tick * Decimal::from(i as i64);
        let bid = q.bid - offset;
        if bid > Decimal::ZERO {
            let s = if i == 0 { q.bid_size } else { size(bid, 1) };
            bids.push(Level {
                price: bid,
                size: s,
            });
        }
        let ask = q.ask + offset;
        let s = if i == 0 { q.ask_size } else { size(ask, 2) };
        asks.push(Level {
            price: ask,
            size: s,
        });
    }
    Some((bids, asks))
}

fn diff(old: &BTreeMap<Decimal, i64>, new: &[Level]) -> Vec<Level> {
    let mut out: Vec<Level> = new
        .iter()
        .filter(|l| old.get(&l.price) != Some(&l.size))
        .copied()
        .collect();
    out.extend(
        old.keys()
            .filter(|p| !new.iter().any(|l| l.price == **p))
            .map(|p| Level { price: *p, size: 0 }),
    );
    out
}

impl Book {
    /// A fresh snapshot (sequence 1), replacing whatever was sent before.
    pub fn snapshot(&mut self, market: &Market, security_id: i32) -> Option<String> {
        self.version += 1;
        let (bids, asks) = compute(market, security_id, self.version)?;
        self.sequence = 1;
        self.bids = bids.iter().map(|l| (l.price, l.size)).collect();
        self.asks = asks.iter().map(|l| (l.price, l.size)).collect();
        Some(messages::depth(
            security_id,
            1,
            true,
            market.now(),
            &bids,
            &asks,
        ))
    }

    /// The next update (sequence + 1, or + 2 when `skip` injects a gap), or `None` when nothing changed.
    pub fn update(&mut self, market: &Market, security_id: i32, skip: bool) -> Option<String> {
        self.version += 1;
        let (bids, asks) = compute(market, security_id, self.version)?;
        let changed_bids = diff(&self.bids, &bids);
        let changed_asks = diff(&self.asks, &asks);
        if changed_bids.is_empty() && changed_asks.is_empty() {
            return None;
        }
        self.sequence += if skip { 2 } else { 1 };
        self.bids = bids.iter().map(|l| (l.price, l.size)).collect();
        self.asks = asks.iter().map(|l| (l.price, l.size)).collect();
        Some(messages::depth(
            security_id,
            self.sequence,
            false,
            market.now(),
            &changed_bids,
            &changed_asks,
        ))
    }
}

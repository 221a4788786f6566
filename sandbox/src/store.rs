//! The in-memory store of the non-trading resources, behind [`crate::state::Shared::rest`].
//!
//! Each area keeps its own table here; everything seeded (agreements, IPO offerings, micro-deposit
//! amounts, confirmation tokens, ids) is drawn from one RNG seeded with the sandbox seed, so two
//! sandboxes with the same seed answer the same requests identically (timestamps aside).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::ach::AchRelationship;
use crate::agreements::Agreement;
use crate::alerts::PriceAlert;
use crate::ipo::IpoBook;
use crate::streamers::StreamerSession;
use crate::transfers::Transfer;
use crate::users::{Profile, UserTradingSettingsModel};
use crate::watchlists::Watchlist;

/// Every table of the non-trading resources.
#[derive(Debug)]
pub struct Store {
    /// The sandbox seed.
    pub seed: u64,
    rng: StdRng,
    counter: i32,
    /// Trading settings by user id (absent = defaults).
    pub settings: HashMap<i32, UserTradingSettingsModel>,
    /// Profile fields beyond the seed (salutation, middle name, address, time zone) by user id.
    pub profiles: HashMap<i32, Profile>,
    /// Groups each user belongs to, by user id.
    pub groups: HashMap<i32, BTreeSet<String>>,
    /// The last PIN "e-mailed" by a PIN reset, by user id.
    pub pin_resets: HashMap<i32, String>,
    /// Platform agreements by user id (seeded on first access).
    pub agreements: HashMap<i32, Vec<Agreement>>,
    /// Live streamer sessions by session id.
    pub streamer_sessions: HashMap<String, StreamerSession>,
    /// ACH relationships by id.
    pub ach: BTreeMap<Uuid, AchRelationship>,
    /// Transfers, in creation order.
    pub transfers: Vec<Transfer>,
    /// IPO offerings and subscriptions.
    pub ipo: IpoBook,
    /// Watchlists by id.
    pub watchlists: BTreeMap<i32, Watchlist>,
    /// Users whose system watchlist has been seeded.
    pub seeded_watchlists: BTreeSet<i32>,
    /// Price alerts by id.
    pub alerts: BTreeMap<i32, PriceAlert>,
}

impl Store {
    /// An empty store drawing from `seed`.
    pub fn new(seed: u64) -> Store {
        let mut rng = StdRng::seed_from_u64(seed ^ 0x5EED_0000_0000_0003);
        let ipo = IpoBook::seed(&mut rng);
        Store {
            seed,
            rng,
            counter: 0,
            settings: HashMap::new(),
            profiles: HashMap::new(),
            groups: HashMap::new(),
            pin_resets: HashMap::new(),
            agreements: HashMap::new(),
            streamer_sessions: HashMap::new(),
            ach: BTreeMap::new(),
            transfers: Vec::new(),
            ipo,
            watchlists: BTreeMap::new(),
            seeded_watchlists: BTreeSet::new(),
            alerts: BTreeMap::new(),
        }
    }

    /// The seeded RNG.
    pub fn rng(&mut self) -> &mut StdRng {
        &mut self.rng
    }

    /// A fresh GUID drawn from the seeded RNG (version 4 layout).
    pub fn new_uuid(&mut self) -> Uuid {
        uuid::Builder::from_random_bytes(self.rng.random()).into_uuid()
    }

    /// The next value of a store-wide counter (1, 2, ...), for integer ids.
    pub fn next_id(&mut self) -> i32 {
        self.counter += 1;
        self.counter
    }

    /// A value derived from the seed and some labels only (not from the RNG's position), e.g. a
    /// user's group confirmation token: stable however many requests came before.
    pub fn derive(&self, labels: &[&str]) -> [u8; 32] {
        let mut hasher = Sha256::new();
        hasher.update(self.seed.to_le_bytes());
        for label in labels {
            hasher.update((label.len() as u64).to_le_bytes());
            hasher.update(label.as_bytes());
        }
        hasher.finalize().into()
    }
}

/// Hex of the first `n` bytes.
pub fn hex(bytes: &[u8], n: usize) -> String {
    bytes.iter().take(n).map(|b| format!("{b:02x}")).collect()
}

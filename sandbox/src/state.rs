//! The sandbox's state: the seeded users and accounts, the token tables and the test observations.
//!
//! Everything mutable lives behind one `std::sync::Mutex` per area; no lock is ever held across an `.await`.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use base64::Engine;
use chrono::{DateTime, TimeZone, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rust_decimal::Decimal;
use sha2::{Digest, Sha256};
use tokio::time::Instant;

use crate::config::{MarginType, OAuthClientConfig, SandboxConfig, TestUser};
use crate::faults::Faults;
use crate::market::Market;
use crate::recording::Observations;

/// Lifetime of the interim tokens of the `/token` step machine.
pub const INTERIM_TTL: Duration = Duration::from_secs(5 * 60);
/// Lifetime of OAuth authorization codes (as Auth0 documents).
pub const AUTH_CODE_TTL: Duration = Duration::from_secs(10 * 60);

/// Cheap clone handle on the whole sandbox state; the axum state of every handler.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

impl std::ops::Deref for AppState {
    type Target = Shared;
    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// The shared state behind [`AppState`].
pub struct Shared {
    /// Base URL, e.g. `http://127.0.0.1:8080` (also the OAuth issuer).
    pub base_url: String,
    /// The app key every ETNA request must carry.
    pub app_key: String,
    /// Seed of deterministic choices.
    pub seed: u64,
    /// Lifetime of session and OAuth access tokens.
    pub access_token_ttl: Duration,
    /// The registered OAuth client.
    pub oauth_client: OAuthClientConfig,
    /// Users and accounts.
    pub directory: Mutex<Directory>,
    /// Issued tokens, tickets, codes.
    pub auth: Mutex<AuthTables>,
    /// Request counters and log.
    pub observations: Observations,
    /// Fault-injection rules.
    pub faults: Faults,
    /// The non-trading resources: watchlists, alerts, funding, IPO, agreements, settings, streamer sessions.
    pub rest: Mutex<crate::store::Store>,
    /// The securities universe and simulated prices.
    pub market: Market,
    /// The two streaming WebSockets: connections, subscriptions, faults and records.
    pub streams: crate::stream::StreamHub,
}

impl AppState {
    /// Seeds the state from a configuration; `base_url` is where the server listens.
    pub fn new(config: &SandboxConfig, base_url: String) -> AppState {
        AppState(Arc::new(Shared {
            base_url,
            app_key: config.app_key.clone(),
            seed: config.seed,
            access_token_ttl: config.access_token_ttl,
            oauth_client: config.oauth.clone(),
            directory: Mutex::new(Directory::seed(config.seed, &config.users)),
            auth: Mutex::new(AuthTables::default()),
            observations: Observations::default(),
            faults: Faults::default(),
            rest: Mutex::new(crate::store::Store::new(config.seed)),
            market: Market::new(config.seed, &config.market),
            streams: crate::stream::StreamHub::new(&config.streams),
        }))
    }
}

impl Shared {
    /// Locks the directory (a poisoned lock is recovered: the data stays usable for tests). When the
    /// guard is released, the changes the engine journaled meanwhile are published to the data
    /// streamer, in order, before the lock is given up.
    pub fn dir(&self) -> DirGuard<'_> {
        DirGuard {
            guard: self.directory.lock().unwrap_or_else(|e| e.into_inner()),
            shared: self,
        }
    }

    /// Locks the store of the non-trading resources (lock order: directory before store).
    pub fn rest(&self) -> MutexGuard<'_, crate::store::Store> {
        self.rest.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Locks the token tables.
    pub fn tables(&self) -> MutexGuard<'_, AuthTables> {
        self.auth.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Every credential issued so far (bearer and refresh tokens, interim step tokens, authorization codes and
    /// streamer session ids), for tests that check a client never prints one.
    pub fn issued_credentials(&self) -> Vec<String> {
        let mut out: Vec<String> = {
            let t = self.tables();
            t.tokens
                .keys()
                .chain(t.tickets.keys())
                .chain(t.codes.keys())
                .chain(t.refresh_tokens.keys())
                .cloned()
                .collect()
        };
        out.extend(self.rest().streamer_sessions.keys().cloned());
        out
    }

    /// Issues a session/access token of `kind` for `user_id`, valid for the configured lifetime.
    pub fn issue_token(&self, user_id: i32, kind: TokenKind) -> String {
        let token = random_token();
        let expires_at = deadline(self.access_token_ttl);
        self.tables().tokens.insert(
            token.clone(),
            TokenRecord {
                user_id,
                kind,
                expires_at,
            },
        );
        token
    }

    /// The next verification code "sent" to `username`: deterministic from the seed and a counter.
    pub fn send_verification_code(&self, username: &str) -> String {
        let mut tables = self.tables();
        tables.code_counter += 1;
        let mut hasher = Sha256::new();
        hasher.update(self.seed.to_le_bytes());
        hasher.update(tables.code_counter.to_le_bytes());
        let digest = hasher.finalize();
        let n = u32::from_le_bytes([digest[0], digest[1], digest[2], digest[3]]) % 1_000_000;
        let code = format!("{n:06}");
        tables
            .verification_codes
            .insert(username.to_string(), code.clone());
        code
    }
}

/// The lock on the [`Directory`]: derefs to it, and on release publishes what the engine journaled
/// ([`crate::engine::Change`]) through [`crate::stream::publish_changes`], still under the lock, so
/// the data streamer sees every change in the order it happened.
pub struct DirGuard<'a> {
    guard: MutexGuard<'a, Directory>,
    shared: &'a Shared,
}

impl std::ops::Deref for DirGuard<'_> {
    type Target = Directory;
    fn deref(&self) -> &Directory {
        &self.guard
    }
}

impl std::ops::DerefMut for DirGuard<'_> {
    fn deref_mut(&mut self) -> &mut Directory {
        &mut self.guard
    }
}

impl Drop for DirGuard<'_> {
    fn drop(&mut self) {
        let changes = self.guard.trading.take_changes();
        if !changes.is_empty() && !std::thread::panicking() {
            crate::stream::publish_changes(self.shared, &self.guard, changes);
        }
    }
}

/// `now + ttl`, saturating at about a hundred years for absurdly long lifetimes.
pub fn deadline(ttl: Duration) -> Instant {
    let now = Instant::now();
    now.checked_add(ttl)
        .or_else(|| now.checked_add(Duration::from_secs(100 * 365 * 86_400)))
        .unwrap_or(now)
}

/// A fresh unguessable token: 32 random bytes, base64url without padding.
pub fn random_token() -> String {
    let bytes: [u8; 32] = rand::rng().random();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// A seeded user with its internal id.
#[derive(Clone, Debug)]
pub struct User {
    /// Internal user id (e.g. 7125).
    pub id: i32,
    /// The configuration it was seeded from (credentials, names, flags).
    pub seed: TestUser,
    /// When the user was created.
    pub added_date: DateTime<Utc>,
    /// Date of birth.
    pub date_of_birth: DateTime<Utc>,
    /// Phone number.
    pub phone: String,
    /// Ids of the user's trading accounts, in seed order.
    pub account_ids: Vec<i32>,
}

/// A seeded paper trading account.
#[derive(Clone, Debug)]
pub struct Account {
    /// Internal account id (e.g. 6303).
    pub id: i32,
    /// Clearing account number (e.g. `"5DP05506"`).
    pub clearing_account: String,
    /// The owning user's id.
    pub owner_id: i32,
    /// Cash or margin.
    pub margin_type: MarginType,
    /// Cash balance, exact.
    pub cash: Decimal,
    /// Cash at account creation.
    pub base_cash: Decimal,
    /// Currency, always `"USD"`.
    pub currency: String,
    /// When the account was created.
    pub created_date: DateTime<Utc>,
}

/// All users and accounts.
#[derive(Debug, Default)]
pub struct Directory {
    /// Users by id.
    pub users: BTreeMap<i32, User>,
    /// Accounts by id.
    pub accounts: BTreeMap<i32, Account>,
    /// Orders, positions and transactions of the paper-trading engine.
    pub trading: crate::engine::Trading,
}

impl Directory {
    /// Seeds users and accounts deterministically from `seed`.
    pub fn seed(seed: u64, users: &[TestUser]) -> Directory {
        let mut rng = StdRng::seed_from_u64(seed);
        let mut dir = Directory::default();
        let mut used_clearing = HashSet::new();
        let base = Utc
            .with_ymd_and_hms(2024, 1, 2, 14, 30, 3)
            .single()
            .unwrap_or_default();
        for (index, test_user) in users.iter().enumerate() {
            let id = 7000 + 37 * index as i32 + rng.random_range(0..37);
            let added_date =
                base + chrono::Duration::milliseconds(rng.random_range(0..90 * 86_400_000i64));
            let date_of_birth = Utc
                .with_ymd_and_hms(
                    rng.random_range(1960..2000),
                    rng.random_range(1..13),
                    rng.random_range(1..29),
                    0,
                    0,
                    0,
                )
                .single()
                .unwrap_or_default();
            let phone = format!("+1555{:07}", rng.random_range(0..10_000_000u32));
            let mut account_ids = Vec::new();
            for seed_account in &test_user.accounts {
                let account_id = 6000 + 11 * dir.accounts.len() as i32 + rng.random_range(0..11);
                let clearing_account = loop {
                    let candidate = format!("5DP{:05}", rng.random_range(0..100_000u32));
                    if used_clearing.insert(candidate.clone()) {
                        break candidate;
                    }
                };
                dir.accounts.insert(
                    account_id,
                    Account {
                        id: account_id,
                        clearing_account,
                        owner_id: id,
                        margin_type: seed_account.margin_type,
                        cash: seed_account.cash,
                        base_cash: seed_account.cash,
                        currency: "USD".to_string(),
                        created_date: added_date + chrono::Duration::minutes(5),
                    },
                );
                account_ids.push(account_id);
            }
            dir.users.insert(
                id,
                User {
                    id,
                    seed: test_user.clone(),
                    added_date,
                    date_of_birth,
                    phone,
                    account_ids,
                },
            );
        }
        dir
    }

    /// The user with this login.
    pub fn user_by_name(&self, username: &str) -> Option<&User> {
        self.users.values().find(|u| u.seed.username == username)
    }
}

/// What a bearer token is good for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenKind {
    /// A full ETNA session token from `POST /token`.
    Session,
    /// An OAuth access token from `POST /oauth/token`.
    OAuthAccess,
    /// The token handed out for an expired password: only good for changing the password, not for `/v1.0`.
    Restricted,
}

/// One issued bearer token.
#[derive(Clone, Debug)]
pub struct TokenRecord {
    /// Whose token.
    pub user_id: i32,
    /// What it may do.
    pub kind: TokenKind,
    /// When it stops working.
    pub expires_at: Instant,
}

/// An interim token of the `/token` step machine, with the steps it has passed.
#[derive(Clone, Debug)]
pub struct Ticket {
    /// Whose login is in progress.
    pub user_id: i32,
    /// Whether the verification code step is done.
    pub passed_two_factor: bool,
    /// The verification code sent for this ticket (until it is used).
    pub verification_code: Option<String>,
    /// When the ticket stops working.
    pub expires_at: Instant,
}

/// An authorization code issued by `/authorize`.
#[derive(Clone, Debug)]
pub struct AuthCode {
    /// The client it was issued to.
    pub client_id: String,
    /// The exact redirect URI used.
    pub redirect_uri: String,
    /// The PKCE S256 challenge.
    pub code_challenge: String,
    /// The granted scope (space separated).
    pub scope: String,
    /// The approved user.
    pub user_id: i32,
    /// Expiry (10 minutes).
    pub expires_at: Instant,
    /// Whether it has been used (codes are single-use).
    pub redeemed: bool,
    /// Access tokens issued from it, revoked if the code is replayed (RFC 6749 4.1.2).
    pub issued_tokens: Vec<String>,
}

/// A refresh token (never expires).
#[derive(Clone, Debug)]
pub struct RefreshRecord {
    /// The client it belongs to.
    pub client_id: String,
    /// Whose token.
    pub user_id: i32,
    /// The scope it grants.
    pub scope: String,
}

/// Every issued token, ticket and code.
#[derive(Debug, Default)]
pub struct AuthTables {
    /// Bearer tokens (ETNA session, OAuth access, restricted): one table.
    pub tokens: HashMap<String, TokenRecord>,
    /// Interim tokens of the `/token` step machine.
    pub tickets: HashMap<String, Ticket>,
    /// Authorization codes.
    pub codes: HashMap<String, AuthCode>,
    /// Refresh tokens.
    pub refresh_tokens: HashMap<String, RefreshRecord>,
    /// Last verification code sent, by username (kept after use, for tests).
    pub verification_codes: HashMap<String, String>,
    /// How many verification codes have been sent.
    pub code_counter: u64,
}

impl AuthTables {
    /// The live (unexpired) token record.
    pub fn live_token(&self, token: &str) -> Option<&TokenRecord> {
        self.tokens
            .get(token)
            .filter(|t| t.expires_at > Instant::now())
    }

    /// The live (unexpired) ticket.
    pub fn live_ticket(&self, token: &str) -> Option<&Ticket> {
        self.tickets
            .get(token)
            .filter(|t| t.expires_at > Instant::now())
    }

    /// Makes every access token (session, OAuth, restricted) expired now; refresh tokens stay valid.
    pub fn expire_all(&mut self) {
        let now = Instant::now();
        for record in self.tokens.values_mut() {
            record.expires_at = now;
        }
    }
}

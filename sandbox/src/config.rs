//! Configuration of a sandbox: listen address, seed, app key, token lifetime, test users and the OAuth client.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::market::MarketConfig;

/// The step name ETNA uses for the PIN step, with the vendor's misspelling (the default).
pub const PIN_STEP_VENDOR: &str = "SecutityPin";
/// The correctly spelled PIN step name, as AutoShares' newer pages write it.
pub const PIN_STEP_CORRECT: &str = "SecurityPin";

/// Everything a [`crate::Sandbox`] is started with.
///
/// `Default::default()` gives an ephemeral port on 127.0.0.1, seed 42, app key `"sandbox-app-key"`,
/// a 24 hour token lifetime, the default users of [`default_users`] and the default OAuth client.
#[derive(Clone)]
pub struct SandboxConfig {
    /// Address to bind; 127.0.0.1 by default.
    pub host: IpAddr,
    /// Port to bind; 0 picks an ephemeral port.
    pub port: u16,
    /// Seed of every deterministic choice: user and account ids, clearing numbers, dates, verification codes.
    pub seed: u64,
    /// The `Et-App-Key` every ETNA request must carry.
    pub app_key: String,
    /// Lifetime of ETNA session tokens and OAuth access tokens.
    pub access_token_ttl: Duration,
    /// The users the sandbox knows.
    pub users: Vec<TestUser>,
    /// The single OAuth client registered with the sandbox's IdP.
    pub oauth: OAuthClientConfig,
    /// The simulated market: tick interval, start time, manual clock.
    pub market: MarketConfig,
    /// The streaming WebSockets: quote rate, data queue size.
    pub streams: StreamConfig,
}

/// How the streaming WebSockets start (both can be changed at run time through [`crate::Sandbox::streams`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StreamConfig {
    /// Quote-streamer messages per second per connection, shared round-robin by its subscribed
    /// securities (`Quote` and `MarketDepth`); 20 by default, up to tens of thousands; [`QUOTE_FIREHOSE`] for
    /// as fast as the socket takes.
    pub quote_rate: u32,
    /// Data-streamer messages queued per connection before the connection counts as a slow consumer
    /// and is closed (recorded as [`crate::stream::CloseReason::SlowConsumer`]); 65,536 by default.
    pub data_queue: usize,
}

/// Default quote rate (messages per second per connection).
pub const DEFAULT_QUOTE_RATE: u32 = 20;

/// The quote rate that means "as fast as the socket takes" (benchmarks of consumers): each quote connection
/// sends Level I quotes of its securities round-robin, in batches, whenever its socket accepts more, with no
/// timer in between (and no depth updates).
pub const QUOTE_FIREHOSE: u32 = u32::MAX;

impl Default for StreamConfig {
    fn default() -> Self {
        StreamConfig {
            quote_rate: DEFAULT_QUOTE_RATE,
            data_queue: 65_536,
        }
    }
}

impl Default for SandboxConfig {
    fn default() -> Self {
        SandboxConfig {
            host: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port: 0,
            seed: 42,
            app_key: "sandbox-app-key".to_string(),
            access_token_ttl: Duration::from_secs(24 * 60 * 60),
            users: default_users(),
            oauth: OAuthClientConfig::default(),
            market: MarketConfig::default(),
            streams: StreamConfig::default(),
        }
    }
}

impl fmt::Debug for SandboxConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SandboxConfig")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("seed", &self.seed)
            .field("app_key", &"<redacted>")
            .field("access_token_ttl", &self.access_token_ttl)
            .field("users", &self.users)
            .field("oauth", &self.oauth)
            .field("market", &self.market)
            .field("streams", &self.streams)
            .finish()
    }
}

/// A user the sandbox accepts, with its credentials and the trading accounts to seed for it.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TestUser {
    /// Login name (`Username` header of `POST /token`).
    pub username: String,
    /// Password (`Password` header).
    pub password: String,
    /// Whether `/token` asks for an e-mailed verification code after the password.
    pub two_factor: bool,
    /// The PIN asked for after the password (and the verification code), if any.
    pub pin: Option<String>,
    /// The `Step` name of the PIN step: [`PIN_STEP_VENDOR`] (default) or [`PIN_STEP_CORRECT`].
    pub pin_step_name: String,
    /// Whether the password has expired: `/token` then only hands out a restricted token.
    pub password_expired: bool,
    /// First name.
    pub first_name: String,
    /// Last name.
    pub last_name: String,
    /// E-mail address.
    pub email: String,
    /// The trading accounts to seed for this user.
    pub accounts: Vec<TestAccountSeed>,
}

impl TestUser {
    /// A user without 2FA, PIN or expired password, with one cash account of 100000.00 USD.
    pub fn new(username: &str, password: &str, first_name: &str, last_name: &str) -> TestUser {
        TestUser {
            username: username.to_string(),
            password: password.to_string(),
            two_factor: false,
            pin: None,
            pin_step_name: PIN_STEP_VENDOR.to_string(),
            password_expired: false,
            first_name: first_name.to_string(),
            last_name: last_name.to_string(),
            email: format!("{username}@sandbox.autoshares.test"),
            accounts: vec![TestAccountSeed::cash(Decimal::new(10_000_000, 2))],
        }
    }
}

impl fmt::Debug for TestUser {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TestUser")
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .field("two_factor", &self.two_factor)
            .field("pin", &self.pin.as_ref().map(|_| "<redacted>"))
            .field("pin_step_name", &self.pin_step_name)
            .field("password_expired", &self.password_expired)
            .field("first_name", &self.first_name)
            .field("last_name", &self.last_name)
            .field("email", &self.email)
            .field("accounts", &self.accounts)
            .finish()
    }
}

/// Margin type of a trading account (the spec's `MarginType` enum, as far as the sandbox seeds it).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum MarginType {
    /// Cash account: buying power equals cash.
    Cash,
    /// Reg-T margin account: 2x stock buying power, 4x day-trading buying power.
    Margin,
}

impl MarginType {
    /// The wire name (`"Cash"`, `"Margin"`).
    pub fn as_str(self) -> &'static str {
        match self {
            MarginType::Cash => "Cash",
            MarginType::Margin => "Margin",
        }
    }
}

/// What to seed one trading account with.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TestAccountSeed {
    /// Cash or margin.
    pub margin_type: MarginType,
    /// Starting cash in USD, exact (e.g. `100000.00`).
    pub cash: Decimal,
}

impl TestAccountSeed {
    /// A cash account with this much cash.
    pub fn cash(cash: Decimal) -> TestAccountSeed {
        TestAccountSeed {
            margin_type: MarginType::Cash,
            cash,
        }
    }

    /// A margin account with this much cash.
    pub fn margin(cash: Decimal) -> TestAccountSeed {
        TestAccountSeed {
            margin_type: MarginType::Margin,
            cash,
        }
    }
}

/// The OAuth client registered with the sandbox's Auth0-style IdP.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OAuthClientConfig {
    /// `client_id`.
    pub client_id: String,
    /// `client_secret`.
    pub client_secret: String,
    /// Redirect URIs accepted by exact match, besides the RFC 8252 loopback URIs which are always accepted.
    pub redirect_uris: Vec<String>,
    /// The user `/authorize` approves automatically.
    pub auto_approve_username: String,
}

impl Default for OAuthClientConfig {
    fn default() -> Self {
        OAuthClientConfig {
            client_id: "sandbox-client".to_string(),
            client_secret: "sandbox-client-secret".to_string(),
            redirect_uris: vec!["http://localhost:3000/callback".to_string()],
            auto_approve_username: "trader".to_string(),
        }
    }
}

impl fmt::Debug for OAuthClientConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OAuthClientConfig")
            .field("client_id", &self.client_id)
            .field("client_secret", &"<redacted>")
            .field("redirect_uris", &self.redirect_uris)
            .field("auto_approve_username", &self.auto_approve_username)
            .finish()
    }
}

/// The default users: `trader`, `trader2fa`, `traderpin`, `trader2fapin`, `expired` and `other`.
///
/// Passwords are fixed strings (`"<username>-pass"`); PINs are `"1234"` and `"4321"`.
pub fn default_users() -> Vec<TestUser> {
    let cents = |c: i64| Decimal::new(c, 2);
    let mut trader = TestUser::new("trader", "trader-pass", "Tess", "Trader");
    trader.accounts = vec![
        TestAccountSeed::cash(cents(10_000_000)),
        TestAccountSeed::margin(cents(2_500_050)),
    ];
    let mut two_fa = TestUser::new("trader2fa", "trader2fa-pass", "Tom", "Twofactor");
    two_fa.two_factor = true;
    let mut pin = TestUser::new("traderpin", "traderpin-pass", "Pia", "Pinner");
    pin.pin = Some("1234".to_string());
    let mut both = TestUser::new("trader2fapin", "trader2fapin-pass", "Bo", "Both");
    both.two_factor = true;
    both.pin = Some("4321".to_string());
    both.pin_step_name = PIN_STEP_CORRECT.to_string();
    let mut expired = TestUser::new("expired", "expired-pass", "Ed", "Expired");
    expired.password_expired = true;
    let mut other = TestUser::new("other", "other-pass", "Olga", "Other");
    other.accounts = vec![TestAccountSeed::margin(cents(5_000_025))];
    vec![trader, two_fa, pin, both, expired, other]
}

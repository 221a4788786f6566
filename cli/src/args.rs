//! The command line, declared with clap's derive API. `autoshares --help` is generated from these doc comments.

use std::path::PathBuf;

use autoshares::indicators::{ChartPeriod, Indicator, Study};
use autoshares_sandbox::cli::SandboxArgs;
use chrono::NaiveDate;
use clap::{Args, Parser, Subcommand, ValueEnum};
use rust_decimal::Decimal;

use crate::exit::EXIT_CODES_HELP;

/// AutoShares from the terminal: log in once, read accounts, quotes and orders, trade paper (or, with --live,
/// real) accounts, stream quotes, run the local sandbox, or serve the SDK to an assistant over MCP.
#[derive(Debug, Parser)]
#[command(name = "autoshares", version, after_help = EXIT_CODES_HELP)]
pub struct Cli {
    /// Options every command takes.
    #[command(flatten)]
    pub global: Global,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Options of every command. Unset ones come from `AUTOSHARES_*` variables, then defaults (the sandbox at
/// http://127.0.0.1:8080); `autoshares config show` prints what is in effect and where it came from.
#[derive(Debug, Clone, Args)]
pub struct Global {
    /// Print JSON (for scripts) instead of tables.
    #[arg(long, global = true)]
    pub json: bool,
    /// Environment: sandbox, uat or live [AUTOSHARES_ENV].
    #[arg(long = "env", global = true, value_name = "ENV")]
    pub environment: Option<String>,
    /// REST prefix, e.g. http://127.0.0.1:8080 [AUTOSHARES_BASE_URL].
    #[arg(long, global = true, value_name = "URL")]
    pub base_url: Option<String>,
    /// Where sessions are kept, shared with the Rust, Python and Node libraries [AUTOSHARES_TOKEN_FILE]
    /// (default: $XDG_CONFIG_HOME/autoshares/tokens.json).
    #[arg(long, global = true, value_name = "PATH")]
    pub token_file: Option<PathBuf>,
    /// Username: whom to log in, or whose stored session to use when there are several [AUTOSHARES_USERNAME].
    #[arg(long, global = true)]
    pub user: Option<String>,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Log in (password with 2FA and PIN prompts, or --oauth) and keep the session in the token file.
    Login(LoginArgs),
    /// End the stored session (on the server too) and forget it.
    Logout,
    /// Who is logged in, where, and until when.
    Whoami,
    /// The configuration.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Your trading accounts.
    Accounts,
    /// Balances of an account.
    Balances(AccountArg),
    /// Current quotes of one or more symbols.
    Quote {
        /// Ticker symbols (AAPL MSFT ...).
        #[arg(required = true)]
        symbols: Vec<String>,
    },
    /// The option chain of an underlying.
    Chain {
        /// The underlying's ticker.
        symbol: String,
        /// Only this expiration (YYYY-MM-DD).
        #[arg(long)]
        expiration: Option<NaiveDate>,
        /// Only the N strikes either side of the central one.
        #[arg(long, value_name = "N")]
        range: Option<u32>,
    },
    /// Price history (candles), with technical indicators as extra columns.
    Bars {
        /// The ticker.
        symbol: String,
        /// Candle period: 1m 2m 3m 5m 10m 15m 30m 1h 2h 4h 1D 1W 1M 3M 6M 1Y (lower-case m: minutes, upper-case M:
        /// months).
        #[arg(long, value_parser = parse_period)]
        period: ChartPeriod,
        /// How many candles, up to now.
        #[arg(long, default_value_t = 20)]
        count: u32,
        /// An indicator computed here over the candles, repeatable: sma:20, ema:12, rsi:14, macd (12,26,9) or
        /// macd:12,26,9, bollinger (20,2) or bollinger:20,2.5, vwap (cumulative), vwap:20 (rolling),
        /// vwap_session or vwap_session:-300 (UTC offset in minutes), atr:14. Its warm-up rows are blank.
        #[arg(long = "indicator", value_name = "NAME[:P,..]", value_parser = parse_indicator)]
        indicators: Vec<Indicator>,
        /// An indicator the API computes over the same candles, repeatable, by its vendor name and parameters
        /// (the chart period is the candles'): RSI:14, MACD:12,26,9, Bollinger:20,2, ADX:14, OBV, StochRSI:14,3,3, ...
        #[arg(long = "server-indicator", value_name = "NAME[:P,..]", value_parser = parse_study)]
        server_indicators: Vec<Study>,
    },
    /// Orders: list, show, place, replace, cancel.
    #[command(subcommand)]
    Orders(OrdersCommand),
    /// Open positions of an account.
    Positions(AccountArg),
    /// Transactions (fills, fees, cash movements) of an account, newest first.
    Transactions {
        #[command(flatten)]
        account: AccountArg,
        /// At most this many.
        #[arg(long, default_value_t = 50)]
        limit: usize,
    },
    /// Your watchlists and their symbols.
    Watchlists,
    /// Your price alerts.
    Alerts,
    /// A live quote table, redrawn in place as quotes arrive; Ctrl-C stops.
    Stream {
        /// Ticker symbols.
        #[arg(required = true)]
        symbols: Vec<String>,
    },
    /// Run the local paper-trading sandbox in the foreground (Ctrl-C stops it).
    Sandbox(SandboxArgs),
    /// Serve the SDK to an assistant as a Model Context Protocol server over standard input and output.
    Mcp(McpArgs),
}

/// `login` options.
#[derive(Debug, Clone, Args)]
pub struct LoginArgs {
    /// Log in with OAuth 2.0 (PKCE) in the browser instead of a password [AUTOSHARES_OAUTH_ISSUER,
    /// AUTOSHARES_OAUTH_CLIENT_ID].
    #[arg(long)]
    pub oauth: bool,
    /// With --oauth: print the authorization URL and read the redirect URL pasted back (no browser here).
    #[arg(long, requires = "oauth")]
    pub paste: bool,
    /// With --oauth: the authorization server (issuer URL).
    #[arg(long, requires = "oauth", value_name = "URL")]
    pub issuer: Option<String>,
    /// With --oauth: the OAuth client id.
    #[arg(long, requires = "oauth")]
    pub client_id: Option<String>,
    /// With --oauth --paste: the redirect URI registered for the client.
    #[arg(long, requires = "paste", value_name = "URI")]
    pub redirect_uri: Option<String>,
}

/// `config` subcommands.
#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Every setting in effect, where it came from (argument, env, default), secrets as ***.
    Show,
}

/// The account option.
#[derive(Debug, Clone, Args)]
pub struct AccountArg {
    /// Trading account id (default: your first account).
    #[arg(long)]
    pub account: Option<i32>,
}

/// `orders` subcommands.
#[derive(Debug, Subcommand)]
pub enum OrdersCommand {
    /// Orders of an account, newest first.
    List {
        #[command(flatten)]
        account: AccountArg,
        /// At most this many.
        #[arg(long, default_value_t = 50)]
        limit: usize,
    },
    /// One order.
    Show {
        /// The order id.
        order_id: i32,
        #[command(flatten)]
        account: AccountArg,
    },
    /// Place an order: market without prices, limit with --limit, stop with --stop, stop-limit with both.
    Place(PlaceArgs),
    /// Replace (modify) an open order.
    Replace(ReplaceArgs),
    /// Cancel an open order.
    Cancel {
        /// The order id.
        order_id: i32,
        #[command(flatten)]
        account: AccountArg,
        #[command(flatten)]
        confirm: Confirm,
    },
}

/// Confirmation and live-trading switches of order actions.
#[derive(Debug, Clone, Args)]
pub struct Confirm {
    /// Send without asking (the request is still printed).
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// Allow this action against the live environment (real money); required there in addition to
    /// AUTOSHARES_ALLOW_LIVE.
    #[arg(long)]
    pub live: bool,
}

/// Buy or sell.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Side {
    /// Buy.
    Buy,
    /// Sell.
    Sell,
    /// Sell short.
    SellShort,
    /// Buy to cover a short.
    BuyToCover,
}

/// Time in force.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Tif {
    /// Until the end of the trading day.
    Day,
    /// Until cancelled.
    Gtc,
    /// Fill what can be filled at once, cancel the rest.
    Ioc,
    /// Fill entirely at once or cancel.
    Fok,
}

/// `orders place` options.
#[derive(Debug, Clone, Args)]
pub struct PlaceArgs {
    /// The ticker.
    pub symbol: String,
    /// buy, sell, sell-short or buy-to-cover.
    #[arg(value_enum)]
    pub side: Side,
    /// How many shares (exact decimal).
    #[arg(value_parser = parse_decimal)]
    pub quantity: Decimal,
    /// Limit price (exact decimal): a limit order.
    #[arg(long, value_parser = parse_decimal)]
    pub limit: Option<Decimal>,
    /// Stop price (exact decimal): a stop order, or stop-limit with --limit.
    #[arg(long, value_parser = parse_decimal)]
    pub stop: Option<Decimal>,
    /// Time in force.
    #[arg(long, value_enum, default_value = "day")]
    pub tif: Tif,
    /// A comment stored with the order.
    #[arg(long)]
    pub comment: Option<String>,
    #[command(flatten)]
    pub account: AccountArg,
    #[command(flatten)]
    pub confirm: Confirm,
}

/// `orders replace` options.
#[derive(Debug, Clone, Args)]
pub struct ReplaceArgs {
    /// The order id.
    pub order_id: i32,
    /// New quantity (exact decimal).
    #[arg(long, value_parser = parse_decimal)]
    pub quantity: Option<Decimal>,
    /// New limit price (exact decimal).
    #[arg(long, value_parser = parse_decimal)]
    pub limit: Option<Decimal>,
    /// New stop price (exact decimal).
    #[arg(long, value_parser = parse_decimal)]
    pub stop: Option<Decimal>,
    #[command(flatten)]
    pub account: AccountArg,
    #[command(flatten)]
    pub confirm: Confirm,
}

/// `mcp` options.
#[derive(Debug, Clone, Args)]
pub struct McpArgs {
    /// Serve an in-process sandbox (logged in as its `trader`) instead of the configured environment.
    #[arg(long)]
    pub sandbox: bool,
    /// Allow the order tools against the live environment (real money). Without it they are refused there.
    #[arg(long)]
    pub live: bool,
    /// How long a preview id stays valid, in seconds.
    #[arg(long, default_value_t = 300)]
    pub preview_ttl: u64,
}

/// An exact decimal from its text (never through `f64`).
pub fn parse_decimal(s: &str) -> Result<Decimal, String> {
    Decimal::from_str_exact(s.trim()).map_err(|e| format!("`{s}` is not a decimal number: {e}"))
}

/// A candle period as the API names them (core's [`ChartPeriod`]).
pub fn parse_period(s: &str) -> Result<ChartPeriod, String> {
    s.parse().map_err(|e: autoshares::Error| e.to_string())
}

/// A locally computed indicator in its short form (`macd:12,26,9`; core's [`Indicator`] parser).
pub fn parse_indicator(s: &str) -> Result<Indicator, String> {
    s.parse().map_err(|e: autoshares::Error| e.to_string())
}

/// A server-side indicator in its short form (`MACD:12,26,9`; core's [`Study`] parser).
pub fn parse_study(s: &str) -> Result<Study, String> {
    s.parse().map_err(|e: autoshares::Error| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prices_stay_exact_and_periods_are_checked() {
        assert_eq!(parse_decimal("187.25").unwrap().to_string(), "187.25");
        assert_eq!(
            parse_decimal("0.1000000000000000055511151231")
                .unwrap()
                .scale(),
            28
        );
        // More digits than a decimal holds: refused, never rounded.
        assert!(parse_decimal("0.1000000000000000055511151231257827").is_err());
        assert!(parse_decimal("abc").is_err());
        assert_eq!(parse_period("1D"), Ok(ChartPeriod::D1));
        assert_eq!(parse_period("15m"), Ok(ChartPeriod::M15));
        assert!(
            parse_period("D").is_err()
                && parse_period("1x").is_err()
                && parse_period("0m").is_err()
        );
        assert_eq!(parse_indicator("macd"), Ok(Indicator::macd(12, 26, 9)));
        assert!(parse_indicator("macd:26,12,9").is_err() && parse_indicator("sma").is_err());
        assert_eq!(parse_study("RSI:14"), Ok(Study::Rsi { period: 14 }));
        assert!(parse_study("SAR:1,1").is_err() && parse_study("RSI:0,1").is_err());
    }

    #[test]
    fn the_command_line_is_well_formed() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}

//! `autoshares mcp`: the SDK as a Model Context Protocol server over standard input and output (rmcp).
//!
//! Read tools (accounts, balances, positions, orders, transactions, quotes, option chains, bars with indicators
//! computed locally or by the API, watchlists, alerts) call core and answer JSON. Order tools are two-step so that an assistant
//! cannot send an order it has not shown: `preview_order` (the server's own order preview plus the exact request)
//! and `preview_cancel` issue a preview id; `place_order` and `cancel_order` need that id, issued by this server
//! session for exactly the same request, unexpired (`--preview-ttl`) and unused. Against the live environment
//! every order tool is refused unless the server was started with `--live`. Failures are tool errors
//! (`isError: true`) whose text starts with the SDK's error code (`VALIDATION: ...`, `API: ...`).
//!
//! Standard output carries the protocol only: logs and the sandbox's messages go to standard error.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use autoshares::auth::PasswordLogin;
use autoshares::indicators::{ChartPeriod, Indicator, Study};
use autoshares::models::{CreateOrder, OrderSide, TimeInForce};
use autoshares::orders::OrderRequest;
use autoshares::{Client, Config, Environment, UserRef};
use futures::{StreamExt, TryStreamExt};
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::{CallToolResult, ContentBlock, Implementation, ServerCapabilities, ServerConfig};
use rmcp::{tool, tool_handler, tool_router, ErrorData as McpError, ServerHandler, ServiceExt};
use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::args::McpArgs;
use crate::context::Ctx;
use crate::exit::{CliError, CliResult};

/// What the server tells the assistant at `initialize`.
const INSTRUCTIONS: &str = "AutoShares trading API (paper accounts and the local sandbox by default). \
Read tools answer JSON with exact decimal strings for money. To trade: call preview_order (or preview_cancel), \
show the preview to the user, then call place_order (cancel_order) with the returned preview_id and exactly the \
same order. Preview ids are single use and expire. Errors start with the SDK's error code.";

/// A previewed action waiting for its confirmation.
#[derive(Debug, Clone, PartialEq)]
enum Action {
    Place {
        account_id: i32,
        order: Box<CreateOrder>,
    },
    Cancel {
        account_id: i32,
        order_id: i32,
    },
}

#[derive(Debug)]
struct Pending {
    action: Action,
    expires: Instant,
}

/// The MCP server: a core client, the previews it issued, and whether live trading is allowed.
#[derive(Clone)]
pub struct AutoSharesMcp {
    client: Client,
    live: bool,
    ttl: Duration,
    previews: Arc<Mutex<HashMap<String, Pending>>>,
}

/// A tool failure as MCP wants it: `isError: true`, text starting with the error code.
fn tool_error(code: &str, message: impl std::fmt::Display) -> CallToolResult {
    CallToolResult::error(vec![ContentBlock::text(format!("{code}: {message}"))])
}

fn sdk_error(e: autoshares::Error) -> CallToolResult {
    tool_error(e.kind().code(), e)
}

fn ok_json<T: Serialize>(value: &T) -> Result<CallToolResult, McpError> {
    let text = serde_json::to_string_pretty(value)
        .map_err(|e| McpError::internal_error(e.to_string(), None))?;
    Ok(CallToolResult::success(vec![ContentBlock::text(text)]))
}

/// Turns a core result into the tool's answer.
fn answer<T: Serialize>(r: autoshares::Result<T>) -> Result<CallToolResult, McpError> {
    match r {
        Ok(v) => ok_json(&v),
        Err(e) => Ok(sdk_error(e)),
    }
}

/// The account argument of the read tools.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct AccountInput {
    /// Trading account id; default: the user's first account.
    #[serde(default)]
    pub account_id: Option<i32>,
}

/// A list of an account's items.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct ListInput {
    /// Trading account id; default: the user's first account.
    #[serde(default)]
    pub account_id: Option<i32>,
    /// At most this many, newest first (default 50).
    #[serde(default)]
    pub limit: Option<usize>,
}

/// Symbols to quote.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct QuotesInput {
    /// Ticker symbols, e.g. ["AAPL", "MSFT"].
    pub symbols: Vec<String>,
}

/// An option chain request.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct ChainInput {
    /// The underlying's ticker.
    pub symbol: String,
    /// Only this expiration date, YYYY-MM-DD.
    #[serde(default)]
    pub expiration: Option<chrono::NaiveDate>,
    /// Only the N strikes either side of the central strike.
    #[serde(default)]
    pub range: Option<u32>,
}

/// A price history request.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct BarsInput {
    /// The ticker.
    pub symbol: String,
    /// Candle period: 1m 2m 3m 5m 10m 15m 30m 1h 2h 4h 1D 1W 1M 3M 6M 1Y (lower-case m: minutes, M: months).
    pub period: String,
    /// How many candles up to now (default 20).
    #[serde(default)]
    pub count: Option<u32>,
    /// Indicators computed by the SDK over the returned candles (added to each bar under their column names,
    /// e.g. `sma_20`, `macd_signal_12_26_9`; null during the warm-up).
    #[serde(default)]
    pub indicators: Vec<LocalIndicatorInput>,
    /// Indicators computed by the API over the same candles (added to each bar under their signature, e.g.
    /// `RSI|1D|false|14`, as the array of values the API gives).
    #[serde(default)]
    pub server_indicators: Vec<ServerIndicatorInput>,
}

/// The indicators the SDK computes itself.
#[derive(Debug, Clone, Copy, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum LocalIndicatorName {
    /// Simple moving average of the close; params `[period]`.
    Sma,
    /// Exponential moving average of the close; params `[period]`.
    Ema,
    /// Wilder's relative strength index; params `[period]`.
    Rsi,
    /// MACD line, signal and histogram; params `[fast, slow, signal]` (none: 12, 26, 9).
    Macd,
    /// Bollinger bands (population standard deviation); params `[period, deviations]` (none: 20, 2).
    Bollinger,
    /// Volume-weighted average of the typical price; params `[]` (cumulative) or `[period]` (rolling).
    Vwap,
    /// VWAP reset each day; params `[]` or `[utc_offset_minutes]`.
    VwapSession,
    /// Wilder's average true range; params `[period]`.
    Atr,
}

impl LocalIndicatorName {
    fn as_str(self) -> &'static str {
        match self {
            LocalIndicatorName::Sma => "sma",
            LocalIndicatorName::Ema => "ema",
            LocalIndicatorName::Rsi => "rsi",
            LocalIndicatorName::Macd => "macd",
            LocalIndicatorName::Bollinger => "bollinger",
            LocalIndicatorName::Vwap => "vwap",
            LocalIndicatorName::VwapSession => "vwap_session",
            LocalIndicatorName::Atr => "atr",
        }
    }
}

/// An indicator the SDK computes over the candles.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct LocalIndicatorInput {
    /// Which indicator.
    pub name: LocalIndicatorName,
    /// Its parameters (see each name).
    #[serde(default)]
    pub params: Vec<f64>,
}

/// An indicator the API computes.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct ServerIndicatorInput {
    /// The vendor's name: SMA, EMA, Bollinger, VWAP, KeltnerChannels, ADX, ATR, CMF, CHV, CMO, EOM, BullsBears,
    /// EWO, IMI, KVO, MACD, Momentum, MoneyFlow, OBV, PPO, PO, ROC, RSI, StdDev, StochRSI, Stochastic, WilliamsR.
    pub name: String,
    /// Its parameters in the vendor's order (MACD: fast, slow, signal; Bollinger: period, deviations).
    #[serde(default)]
    pub params: Vec<f64>,
}

/// Buy or sell.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize, JsonSchema)]
pub enum SideInput {
    /// Buy.
    Buy,
    /// Sell.
    Sell,
    /// Sell short.
    SellShort,
    /// Buy to cover a short.
    BuyToCover,
}

/// The order type.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize, JsonSchema)]
pub enum OrderTypeInput {
    /// At the market.
    Market,
    /// At `limit_price` or better.
    Limit,
    /// A market order once `stop_price` trades.
    Stop,
    /// A limit order at `limit_price` once `stop_price` trades.
    StopLimit,
}

/// Time in force.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize, JsonSchema)]
pub enum TimeInForceInput {
    /// Until the end of the trading day (default).
    Day,
    /// Until cancelled.
    GoodTillCancel,
    /// Fill what can be filled at once, cancel the rest.
    ImmediateOrCancel,
    /// Fill entirely at once or cancel.
    FillOrKill,
}

/// An order, as previewed and then placed. Quantities and prices are decimal strings ("187.25"), kept exact.
#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
pub struct OrderInput {
    /// Trading account id; default: the user's first account.
    #[serde(default)]
    pub account_id: Option<i32>,
    /// The ticker, e.g. "AAPL".
    pub symbol: String,
    /// Buy, Sell, SellShort or BuyToCover.
    pub side: SideInput,
    /// Market, Limit, Stop or StopLimit.
    pub order_type: OrderTypeInput,
    /// How many shares, as a decimal string, e.g. "10".
    pub quantity: String,
    /// The limit price (Limit and StopLimit), as a decimal string, e.g. "187.25".
    #[serde(default)]
    pub limit_price: Option<String>,
    /// The stop price (Stop and StopLimit), as a decimal string.
    #[serde(default)]
    pub stop_price: Option<String>,
    /// Time in force (default Day).
    #[serde(default)]
    pub time_in_force: Option<TimeInForceInput>,
}

/// `place_order`: the preview id and exactly the order that was previewed.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct PlaceInput {
    /// The preview_id returned by preview_order for exactly this order.
    #[schemars(required)]
    pub preview_id: Option<String>,
    /// The order, exactly as previewed.
    #[serde(flatten)]
    pub order: OrderInput,
}

/// `preview_cancel`: which order.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct CancelPreviewInput {
    /// Trading account id; default: the user's first account.
    #[serde(default)]
    pub account_id: Option<i32>,
    /// The order to cancel.
    pub order_id: i32,
}

/// `cancel_order`: the preview id and the same order.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct CancelInput {
    /// The preview_id returned by preview_cancel for this order.
    #[schemars(required)]
    pub preview_id: Option<String>,
    /// Trading account id; default: the user's first account.
    #[serde(default)]
    pub account_id: Option<i32>,
    /// The order to cancel.
    pub order_id: i32,
}

fn decimal(field: &str, s: &str) -> autoshares::Result<Decimal> {
    Decimal::from_str_exact(s.trim()).map_err(|e| autoshares::Error::Validation {
        field: field.into(),
        message: format!("`{s}` is not a decimal number: {e}"),
    })
}

/// The order body of an [`OrderInput`], checked by core's rules (no `ClientId` yet: that is set once, at the
/// preview, and the placed order keeps it).
fn build_order(o: &OrderInput) -> autoshares::Result<CreateOrder> {
    let side = match o.side {
        SideInput::Buy => OrderSide::Buy,
        SideInput::Sell => OrderSide::Sell,
        SideInput::SellShort => OrderSide::SellShort,
        SideInput::BuyToCover => OrderSide::BuyToCover,
    };
    let symbol = o.symbol.trim().to_ascii_uppercase();
    let q = decimal("quantity", &o.quantity)?;
    let limit = o
        .limit_price
        .as_deref()
        .map(|p| decimal("limit_price", p))
        .transpose()?;
    let stop = o
        .stop_price
        .as_deref()
        .map(|p| decimal("stop_price", p))
        .transpose()?;
    let missing = |field: &str| autoshares::Error::Validation {
        field: field.into(),
        message: format!("a {:?} order needs {field}", o.order_type),
    };
    let request = match o.order_type {
        OrderTypeInput::Market => OrderRequest::market(symbol, side, q),
        OrderTypeInput::Limit => OrderRequest::limit(
            symbol,
            side,
            q,
            limit.ok_or_else(|| missing("limit_price"))?,
        ),
        OrderTypeInput::Stop => {
            OrderRequest::stop(symbol, side, q, stop.ok_or_else(|| missing("stop_price"))?)
        }
        OrderTypeInput::StopLimit => OrderRequest::stop_limit(
            symbol,
            side,
            q,
            stop.ok_or_else(|| missing("stop_price"))?,
            limit.ok_or_else(|| missing("limit_price"))?,
        ),
    };
    let tif = match o.time_in_force.unwrap_or(TimeInForceInput::Day) {
        TimeInForceInput::Day => TimeInForce::Day,
        TimeInForceInput::GoodTillCancel => TimeInForce::GoodTillCancel,
        TimeInForceInput::ImmediateOrCancel => TimeInForce::ImmediateOrCancel,
        TimeInForceInput::FillOrKill => TimeInForce::FillOrKill,
    };
    request.time_in_force(tif).build()
}

impl AutoSharesMcp {
    /// A server over `client`; order tools work against live only when `live`.
    pub fn new(client: Client, live: bool, ttl: Duration) -> Self {
        AutoSharesMcp {
            client,
            live,
            ttl,
            previews: Arc::new(Mutex::new(HashMap::new())),
        }
    }

    fn config(&self) -> &Config {
        self.client.config()
    }

    /// `Some(refusal)` when order tools may not run here.
    fn live_refusal(&self) -> Option<CallToolResult> {
        (self.config().environment() == Environment::Live && !self.live).then(|| {
            tool_error(
                "CONFIG",
                "live trading is disabled: this server talks to the live environment and was not started with --live",
            )
        })
    }

    async fn account(&self, account: Option<i32>) -> autoshares::Result<i32> {
        match account {
            Some(a) => Ok(a),
            None => self
                .client
                .accounts()
                .mine()
                .await?
                .first()
                .map(|a| a.id)
                .ok_or_else(|| autoshares::Error::Validation {
                    field: "account_id".into(),
                    message: "this user has no trading account".into(),
                }),
        }
    }

    fn issue(&self, action: Action) -> (String, u64) {
        let id = uuid::Uuid::new_v4().simple().to_string();
        let mut previews = self.previews.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        previews.retain(|_, p| p.expires > now);
        previews.insert(
            id.clone(),
            Pending {
                action,
                expires: now + self.ttl,
            },
        );
        (id, self.ttl.as_secs())
    }

    /// Takes the preview `id` if it exists, is unexpired and `matches`; it is used up only then.
    fn redeem(
        &self,
        id: Option<&str>,
        tool: &str,
        matches: impl Fn(&Action) -> bool,
    ) -> Result<Action, CallToolResult> {
        let refuse = |m: String| tool_error("VALIDATION", format!("invalid `preview_id`: {m}"));
        let id = id.filter(|s| !s.trim().is_empty()).ok_or_else(|| {
            refuse(format!(
                "{tool} needs the preview_id of a preceding preview of exactly this request"
            ))
        })?;
        let mut previews = self.previews.lock().unwrap_or_else(|p| p.into_inner());
        let Some(pending) = previews.get(id) else {
            return Err(refuse(format!(
                "`{id}` was not issued by this server, or was already used"
            )));
        };
        if pending.expires <= Instant::now() {
            previews.remove(id);
            return Err(refuse(format!("`{id}` has expired; preview again")));
        }
        if !matches(&pending.action) {
            return Err(refuse(format!(
                "`{id}` was issued for a different request; preview this one first"
            )));
        }
        Ok(previews
            .remove(id)
            .map(|p| p.action)
            .expect("checked above"))
    }
}

#[tool_router]
impl AutoSharesMcp {
    /// The user's trading accounts.
    #[tool(
        description = "The logged-in user's trading accounts (id, clearing account, margin type, paper or not)."
    )]
    async fn accounts(&self) -> Result<CallToolResult, McpError> {
        answer(self.client.accounts().mine().await)
    }

    #[tool(description = "Balances and buying power of a trading account (decimal values by key).")]
    async fn balances(
        &self,
        Parameters(input): Parameters<AccountInput>,
    ) -> Result<CallToolResult, McpError> {
        let r = async {
            let account = self.account(input.account_id).await?;
            self.client.accounts().balance(account).await
        };
        answer(r.await)
    }

    #[tool(description = "Open positions of a trading account.")]
    async fn positions(
        &self,
        Parameters(input): Parameters<AccountInput>,
    ) -> Result<CallToolResult, McpError> {
        let r = async {
            let account = self.account(input.account_id).await?;
            self.client
                .positions()
                .list(account)
                .page_size(100)
                .stream()
                .try_collect::<Vec<_>>()
                .await
        };
        answer(r.await)
    }

    #[tool(description = "Orders of a trading account, newest first.")]
    async fn orders(
        &self,
        Parameters(input): Parameters<ListInput>,
    ) -> Result<CallToolResult, McpError> {
        let r = async {
            let account = self.account(input.account_id).await?;
            let limit = input.limit.unwrap_or(50);
            crate::reads::newest_orders(&self.client, account)
                .take(limit)
                .try_collect::<Vec<_>>()
                .await
        };
        answer(r.await)
    }

    #[tool(
        description = "Transactions (fills, fees, cash movements) of a trading account, newest first."
    )]
    async fn transactions(
        &self,
        Parameters(input): Parameters<ListInput>,
    ) -> Result<CallToolResult, McpError> {
        let r = async {
            let account = self.account(input.account_id).await?;
            let limit = input.limit.unwrap_or(50);
            crate::reads::newest_transactions(&self.client, account)
                .take(limit)
                .try_collect::<Vec<_>>()
                .await
        };
        answer(r.await)
    }

    #[tool(
        description = "Current Level I quotes (bid, ask, last, change, volume) of one or more symbols."
    )]
    async fn quotes(
        &self,
        Parameters(input): Parameters<QuotesInput>,
    ) -> Result<CallToolResult, McpError> {
        answer(
            self.client
                .quote_snapshot(input.symbols, crate::reads::QUOTE_TIMEOUT)
                .await,
        )
    }

    #[tool(
        description = "The option chain of an underlying, grouped by expiration, optionally one expiration and N strikes either side of the central strike."
    )]
    async fn option_chain(
        &self,
        Parameters(input): Parameters<ChainInput>,
    ) -> Result<CallToolResult, McpError> {
        let mut request = self.client.securities().option_chain(input.symbol);
        let mut filter: Option<autoshares::filter::Filter> = None;
        if let Some(date) = input.expiration {
            let midnight = date.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc();
            filter = Some(autoshares::filter::Filter::eq("Expiration", midnight));
        }
        if let Some(n) = input.range {
            let f = autoshares::filter::Filter::eq("Range", i64::from(n));
            filter = Some(match filter {
                Some(e) => e.and(f),
                None => f,
            });
        }
        if let Some(f) = filter {
            request = request.filter(f);
        }
        answer(request.await)
    }

    #[tool(
        description = "Price history (candles: open, high, low, close, volume) of a symbol, with technical indicators added to each bar: computed by the SDK (indicators: SMA, EMA, RSI, MACD, Bollinger, VWAP, ATR) or by the API (server_indicators: by the vendor's names and parameters)."
    )]
    async fn bars(
        &self,
        Parameters(input): Parameters<BarsInput>,
    ) -> Result<CallToolResult, McpError> {
        let checked = (|| -> autoshares::Result<_> {
            let period: ChartPeriod = input.period.parse()?;
            let local = input
                .indicators
                .iter()
                .map(|i| Indicator::from_parts(i.name.as_str(), &i.params))
                .collect::<autoshares::Result<Vec<_>>>()?;
            let server = input
                .server_indicators
                .iter()
                .map(|i| Study::from_parts(&i.name, &i.params))
                .collect::<autoshares::Result<Vec<_>>>()?;
            Ok((period, local, server))
        })();
        let (period, local, server) = match checked {
            Ok(v) => v,
            Err(e) => return Ok(sdk_error(e)),
        };
        let request = match crate::reads::bars_request(
            &input.symbol,
            period,
            input.count.unwrap_or(20),
            &local,
            &server,
        ) {
            Ok(r) => r,
            Err(e) => return Ok(sdk_error(e)),
        };
        match crate::reads::bars_with_indicators(&self.client, request, &local).await {
            Ok((keys, rows)) => ok_json(&json!({
                "symbol": input.symbol,
                "period": period.as_str(),
                "indicator_keys": keys,
                "bars": rows,
            })),
            Err(e) => Ok(sdk_error(e)),
        }
    }

    #[tool(description = "The user's watchlists with their symbols.")]
    async fn watchlists(&self) -> Result<CallToolResult, McpError> {
        answer(self.client.watchlists().list(UserRef::Me, true).await)
    }

    #[tool(description = "The user's price alerts.")]
    async fn alerts(&self) -> Result<CallToolResult, McpError> {
        answer(crate::reads::read_alerts(&self.client).await)
    }

    #[tool(
        description = "Step 1 of placing an order: checks it, asks the server for its preview (cost, commission, margin) and returns a preview_id valid for exactly this order. Show the preview to the user before place_order."
    )]
    async fn preview_order(
        &self,
        Parameters(input): Parameters<OrderInput>,
    ) -> Result<CallToolResult, McpError> {
        if let Some(refusal) = self.live_refusal() {
            return Ok(refusal);
        }
        let order = match build_order(&input) {
            Ok(o) => o,
            Err(e) => return Ok(sdk_error(e)),
        };
        let account_id = match self.account(input.account_id).await {
            Ok(a) => a,
            Err(e) => return Ok(sdk_error(e)),
        };
        let preview = match self
            .client
            .orders()
            .preview(account_id, order.clone())
            .await
        {
            Ok(p) => p,
            Err(e) => return Ok(sdk_error(e)),
        };
        if preview.is_successful == Some(false) {
            return Ok(tool_error(
                "API",
                format!(
                    "the server refused this order in preview: {} {}",
                    preview.error_description.as_deref().unwrap_or(""),
                    preview.error_description_text.as_deref().unwrap_or("")
                ),
            ));
        }
        let (preview_id, ttl) = self.issue(Action::Place {
            account_id,
            order: Box::new(order.clone()),
        });
        ok_json(&json!({
            "preview_id": preview_id,
            "expires_in_seconds": ttl,
            "environment": self.config().environment().name(),
            "account_id": account_id,
            "request": order,
            "preview": preview,
        }))
    }

    #[tool(
        description = "Step 2: places an order previewed with preview_order. Needs its preview_id and exactly the same order; each preview_id places at most one order."
    )]
    async fn place_order(
        &self,
        Parameters(input): Parameters<PlaceInput>,
    ) -> Result<CallToolResult, McpError> {
        if let Some(refusal) = self.live_refusal() {
            return Ok(refusal);
        }
        let order = match build_order(&input.order) {
            Ok(o) => o,
            Err(e) => return Ok(sdk_error(e)),
        };
        let action = self.redeem(input.preview_id.as_deref(), "place_order", |a| match a {
            Action::Place {
                account_id,
                order: previewed,
            } => {
                input.order.account_id.is_none_or(|id| id == *account_id)
                    && CreateOrder {
                        client_id: previewed.client_id.clone(),
                        ..order.clone()
                    } == **previewed
            }
            Action::Cancel { .. } => false,
        });
        let (account_id, order) = match action {
            Ok(Action::Place { account_id, order }) => (account_id, order),
            Ok(Action::Cancel { .. }) => unreachable!("matched a place"),
            Err(refusal) => return Ok(refusal),
        };
        answer(self.client.orders().place(account_id, *order).await)
    }

    #[tool(
        description = "Step 1 of cancelling an order: shows the order as it is now and returns a preview_id for cancel_order."
    )]
    async fn preview_cancel(
        &self,
        Parameters(input): Parameters<CancelPreviewInput>,
    ) -> Result<CallToolResult, McpError> {
        if let Some(refusal) = self.live_refusal() {
            return Ok(refusal);
        }
        let r = async {
            let account_id = self.account(input.account_id).await?;
            let order = self.client.orders().get(account_id, input.order_id).await?;
            Ok::<_, autoshares::Error>((account_id, order))
        };
        let (account_id, order) = match r.await {
            Ok(x) => x,
            Err(e) => return Ok(sdk_error(e)),
        };
        let (preview_id, ttl) = self.issue(Action::Cancel {
            account_id,
            order_id: input.order_id,
        });
        ok_json(&json!({
            "preview_id": preview_id,
            "expires_in_seconds": ttl,
            "environment": self.config().environment().name(),
            "account_id": account_id,
            "order": order,
        }))
    }

    #[tool(
        description = "Step 2: cancels an order previewed with preview_cancel. Needs its preview_id and the same order id."
    )]
    async fn cancel_order(
        &self,
        Parameters(input): Parameters<CancelInput>,
    ) -> Result<CallToolResult, McpError> {
        if let Some(refusal) = self.live_refusal() {
            return Ok(refusal);
        }
        let action = self.redeem(input.preview_id.as_deref(), "cancel_order", |a| match a {
            Action::Cancel {
                account_id,
                order_id,
            } => *order_id == input.order_id && input.account_id.is_none_or(|id| id == *account_id),
            Action::Place { .. } => false,
        });
        let (account_id, order_id) = match action {
            Ok(Action::Cancel {
                account_id,
                order_id,
            }) => (account_id, order_id),
            Ok(Action::Place { .. }) => unreachable!("matched a cancel"),
            Err(refusal) => return Ok(refusal),
        };
        match self.client.orders().cancel(account_id, order_id).await {
            Ok(()) => ok_json(&json!({ "cancelled": order_id, "account_id": account_id })),
            Err(e) => Ok(sdk_error(e)),
        }
    }
}

#[tool_handler]
impl ServerHandler for AutoSharesMcp {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(Implementation::new("autoshares", env!("CARGO_PKG_VERSION")))
            .with_instructions(INSTRUCTIONS)
    }
}

/// `autoshares mcp`: serves until the client closes standard input.
pub async fn serve(ctx: &Ctx, args: &McpArgs) -> CliResult {
    let mut sandbox = None;
    let client = if args.sandbox {
        let sb = autoshares_sandbox::Sandbox::start().await?;
        let trader = sb
            .user("trader")
            .ok_or_else(|| CliError::Other("the sandbox has no `trader`".into()))?;
        eprintln!(
            "autoshares mcp: in-process sandbox at {} (user {})",
            sb.url(),
            trader.username
        );
        let client = Client::builder()
            .config(Config::sandbox(&sb.url(), sb.app_key())?)
            .login(PasswordLogin::new(trader.username, trader.password))
            .build()?;
        sandbox = Some(sb);
        client
    } else {
        ctx.client()?
    };
    let server = AutoSharesMcp::new(
        client,
        args.live,
        Duration::from_secs(args.preview_ttl.max(1)),
    );
    let service = server
        .serve(rmcp::transport::stdio())
        .await
        .map_err(|e| CliError::Other(format!("MCP initialization failed: {e}")))?;
    let _ = service.waiting().await;
    if let Some(sb) = sandbox {
        sb.shutdown().await;
    }
    Ok(())
}

//! The paper-trading engine: orders, their validation and fills against the simulated market,
//! and what fills change (positions, cash, transactions).
//!
//! Orders are stored `PendingNew`; [`process`] (run after every fast-path placement and at the
//! start of every trading request, and synchronously by the `/syncorders` routes) validates them
//! (accepted `New`, or `Rejected` with a reason) and fills what the market allows: market orders at
//! the ask (buy) or bid (sell), limit orders when the market reaches the limit, stop orders when the
//! last price crosses the stop, trailing stops against the best price seen. At most
//! [`liquidity`] shares (contracts) fill per order per market tick, so large orders fill partially
//! over several ticks. Multi-leg spreads fill all legs at once; OTO/OCO/OTOCO children activate and
//! cancel each other as documented.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration as ChronoDuration, Utc};
use rust_decimal::Decimal;

use crate::config::MarginType;
use crate::market::{Market, Security};
use crate::state::Directory;

/// The spec's `OrderStatus` names, in enum order (filters compare by the index).
pub const ORDER_STATUSES: &[&str] = &[
    "New",
    "PartiallyFilled",
    "Filled",
    "DoneForDay",
    "Canceled",
    "Replaced",
    "PendingCancel",
    "Stopped",
    "Rejected",
    "Suspended",
    "PendingNew",
    "Calculated",
    "Expired",
    "AcceptedForBidding",
    "PendingReplace",
    "Error",
    "Held",
];
/// The spec's `OrderType` names.
pub const ORDER_TYPES: &[&str] = &[
    "Market",
    "Limit",
    "Stop",
    "StopLimit",
    "Pegged",
    "TrailingStop",
    "TrailingStopLimit",
    "OneCancelOther",
    "OneTriggerOther",
    "OneTriggerOneCancelOther",
    "External",
    "MutualFundsExchange",
    "StagingBlotter",
];
/// The spec's `OrderSide` names.
pub const SIDES: &[&str] = &["Buy", "Sell", "SellShort", "BuyToCover"];
/// The spec's `TimeInForce` names.
pub const TIME_IN_FORCE: &[&str] = &[
    "Day",
    "GoodTillCancel",
    "AtTheOpening",
    "ImmediateOrCancel",
    "FillOrKill",
    "GoodTillCrossing",
    "GoodTillDate",
    "AtTheClose",
    "GoodTillTime",
    "GoodTillCancelPlus",
    "GoodTillDatePlus",
];
/// The spec's `ExecInst` names.
pub const EXEC_INST: &[&str] = &[
    "None",
    "CashAmountOrder",
    "FullLiquidation",
    "DoNotIncrease",
    "DoNotReduce",
    "AllOrNone",
];
/// The spec's trailing amount types (`Persentage` is the vendor's spelling).
pub const AMOUNT_TYPES: &[&str] = &["Absolute", "Persentage"];

/// How an order relates to its legs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A plain order (or a leg).
    Single,
    /// A multi-leg spread: the legs fill together.
    Spread,
    /// One-triggers-other.
    Oto,
    /// One-cancels-other.
    Oco,
    /// One-triggers-one-cancels-other (bracket).
    Otoco,
    /// A mutual-fund order: validated when placed, filled at the next daily NAV by [`work_funds`].
    Fund,
}

/// `execution_instructions` key of a fund order's dollar amount (`EvenDollar`/`GrossDollar` buys
/// and sells: the shares are known only at the NAV).
pub const FUND_AMOUNT: &str = "Amount";
/// `execution_instructions` key of the `QuantityQualifier` of a fund order.
pub const FUND_QUALIFIER: &str = "QuantityQualifier";
/// `execution_instructions` key linking the buy leg of a fund exchange to its sell (the sell's id):
/// the buy invests the sell's proceeds.
pub const FUND_EXCHANGE_OF: &str = "ExchangeOf";

/// A business rejection: the vendor's `ErrorDescription` code and its text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reject {
    /// Code, e.g. `LimitPriceUndefined`.
    pub code: &'static str,
    /// Human text, e.g. `Limit price is not defined.`.
    pub text: String,
}

fn reject(code: &'static str, text: impl Into<String>) -> Reject {
    Reject {
        code,
        text: text.into(),
    }
}

/// One execution report of an order (the order's history, for `/details`).
#[derive(Clone, Debug, PartialEq)]
pub struct Report {
    /// Report id.
    pub id: i32,
    /// When.
    pub date: DateTime<Utc>,
    /// Status after the report.
    pub status: &'static str,
    /// Quantity filled by this report.
    pub last_quantity: Decimal,
    /// Price of this report's fill.
    pub last_price: Decimal,
    /// Execution id, for fills.
    pub exec_id: String,
    /// Description.
    pub description: String,
}

/// An order (root or leg) as the engine keeps it.
#[derive(Clone, Debug, PartialEq)]
pub struct Order {
    /// Order id.
    pub id: i32,
    /// Trading account.
    pub account_id: i32,
    /// Placing user.
    pub user_id: i32,
    /// Security (0 for the root of a spread or conditional order).
    pub security_id: i32,
    /// Symbol as resolved (empty for roots of conditional orders).
    pub symbol: String,
    /// Side name.
    pub side: &'static str,
    /// Order type name.
    pub order_type: &'static str,
    /// Time in force name.
    pub time_in_force: &'static str,
    /// Execution instruction name.
    pub exec_inst: &'static str,
    /// Ordered quantity.
    pub quantity: Decimal,
    /// Limit price.
    pub price: Option<Decimal>,
    /// Stop price.
    pub stop_price: Option<Decimal>,
    /// Trailing stop (amount type, amount).
    pub trailing_stop: Option<(&'static str, Decimal)>,
    /// Trailing limit offset (amount type, amount).
    pub trailing_limit: Option<(&'static str, Decimal)>,
    /// The client's own id.
    pub client_id: String,
    /// Comment.
    pub comment: String,
    /// Requested exchange.
    pub exchange: String,
    /// Extended-hours session requirement.
    pub extended_hours: String,
    /// Expiration (GoodTillDate), or the end of the session for Day orders.
    pub expire_date: Option<DateTime<Utc>>,
    /// Execution instructions (commission keys, echoed server keys).
    pub execution_instructions: BTreeMap<String, String>,
    /// Status name.
    pub status: &'static str,
    /// Request status name.
    pub request_status: &'static str,
    /// Target name of the last request.
    pub target: &'static str,
    /// Description (rejection reason, expiry note).
    pub description: String,
    /// Rejection code, if rejected.
    pub reject_code: String,
    /// Filled quantity.
    pub executed: Decimal,
    /// Sum of quantity x price over fills (for the average price).
    pub notional: Decimal,
    /// Last fill price.
    pub last_price: Decimal,
    /// Last fill quantity.
    pub last_quantity: Decimal,
    /// Created.
    pub create_date: DateTime<Utc>,
    /// Last change.
    pub date: DateTime<Utc>,
    /// Parent order id, -1 for roots.
    pub parent_id: i32,
    /// Leg ids, in order.
    pub legs: Vec<i32>,
    /// Relation to the legs.
    pub kind: Kind,
    /// Whether the order may execute (OTO second legs wait for the first).
    pub active: bool,
    /// Whether a stop has triggered.
    pub triggered: bool,
    /// Best price seen since placement (trailing stops).
    pub trail_reference: Option<Decimal>,
    /// The market tick of the last fill (one liquidity slice per tick).
    pub last_fill_tick: Option<i64>,
    /// Whether placed through `/syncorders`.
    pub synchronous: bool,
    /// The execution reports.
    pub reports: Vec<Report>,
}

impl Order {
    /// Quantity still to fill.
    pub fn leaves(&self) -> Decimal {
        if self.is_open() {
            (self.quantity - self.executed).max(Decimal::ZERO)
        } else {
            Decimal::ZERO
        }
    }

    /// Average fill price (0 without fills).
    pub fn average_price(&self) -> Decimal {
        if self.executed.is_zero() {
            Decimal::ZERO
        } else {
            (self.notional / self.executed).round_dp(4).normalize()
        }
    }

    /// Whether the order can still fill or be cancelled or replaced.
    pub fn is_open(&self) -> bool {
        matches!(
            self.status,
            "New" | "PartiallyFilled" | "PendingNew" | "Held" | "PendingReplace"
        )
    }

    /// Whether a buy (Buy, BuyToCover).
    pub fn is_buy(&self) -> bool {
        matches!(self.side, "Buy" | "BuyToCover")
    }
}

/// A holding.
#[derive(Clone, Debug, PartialEq)]
pub struct Position {
    /// Position id.
    pub id: i32,
    /// Account.
    pub account_id: i32,
    /// Security.
    pub security_id: i32,
    /// Signed quantity (negative = short).
    pub quantity: Decimal,
    /// Money paid for the open quantity (signed like the quantity).
    pub cost: Decimal,
    /// Realized profit and loss.
    pub realized: Decimal,
    /// Quantity traded today.
    pub day_quantity: Decimal,
    /// Opened.
    pub create_date: DateTime<Utc>,
    /// Last change.
    pub modify_date: DateTime<Utc>,
}

impl Position {
    /// Average open price per share (cost over quantity and contract size; 0 when flat).
    pub fn average_open_price(&self, contract_size: Decimal) -> Decimal {
        if self.quantity.is_zero() || contract_size.is_zero() {
            Decimal::ZERO
        } else {
            (self.cost / (self.quantity * contract_size)).round_dp(4)
        }
    }
}

/// A cash movement or execution.
#[derive(Clone, Debug, PartialEq)]
pub struct Transaction {
    /// Id.
    pub id: i32,
    /// Account.
    pub account_id: i32,
    /// Security.
    pub security_id: i32,
    /// Symbol.
    pub symbol: String,
    /// Order, if an execution.
    pub order_id: i32,
    /// Report id of the execution.
    pub order_state_id: i32,
    /// When.
    pub date: DateTime<Utc>,
    /// Cash change (negative for buys).
    pub value: Decimal,
    /// Signed quantity.
    pub quantity: Decimal,
    /// Quantity of the order left after this fill.
    pub leaves_quantity: Decimal,
    /// Fill price.
    pub price: Decimal,
    /// `BUY`, `SELL`, `SHORT`, `COVER`.
    pub code: &'static str,
    /// Description.
    pub description: String,
    /// Settlement date (T+1).
    pub settlement_date: DateTime<Utc>,
}

/// A change of the engine's state, journaled while the [`Directory`] lock is held and published to
/// the data streamer when the lock is released (see [`crate::state::DirGuard`]).
#[derive(Clone, Debug, PartialEq)]
pub enum Change {
    /// An order as it was right after one of its changes (its reports left out).
    Order(Box<Order>),
    /// A position right after a fill (quantity 0 when the fill closed it).
    Position(Position),
    /// The balance of this account changed (cash, positions or open orders); it is valued when published.
    Balance(i32),
}

/// Everything the engine keeps, inside the [`Directory`] lock.
#[derive(Debug, Default)]
pub struct Trading {
    /// Orders by id (roots and legs).
    pub orders: BTreeMap<i32, Order>,
    /// Positions by (account, security).
    pub positions: BTreeMap<(i32, i32), Position>,
    /// Transactions, oldest first.
    pub transactions: Vec<Transaction>,
    /// Realized profit and loss of closed positions, by account.
    pub closed_pl: BTreeMap<i32, Decimal>,
    /// The selected account of each user.
    pub selected_account: BTreeMap<i32, i32>,
    /// Account aliases.
    pub aliases: BTreeMap<i32, String>,
    /// Users other than the owner bound to an account: account id -> user id -> access type.
    pub account_users: BTreeMap<i32, BTreeMap<i32, &'static str>>,
    last_id: i32,
    changes: Vec<Change>,
}

impl Trading {
    /// The next id of any engine object (orders, reports, positions, transactions share a sequence).
    pub fn next_id(&mut self) -> i32 {
        if self.last_id == 0 {
            self.last_id = 178_940;
        }
        self.last_id += 1;
        self.last_id
    }

    /// Journals that the balance of an account changed (cash movements outside the engine call this).
    pub fn note_balance(&mut self, account_id: i32) {
        self.changes.push(Change::Balance(account_id));
    }

    /// Takes the journaled changes, oldest first.
    pub fn take_changes(&mut self) -> Vec<Change> {
        std::mem::take(&mut self.changes)
    }

    /// Journals the current state of an order (without cloning its reports).
    fn note_order(&mut self, order_id: i32) {
        if let Some(o) = self.orders.get_mut(&order_id) {
            let reports = std::mem::take(&mut o.reports);
            let snapshot = Box::new(o.clone());
            o.reports = reports;
            self.changes.push(Change::Order(snapshot));
        }
    }

    /// The positions of an account, by security id.
    pub fn positions_of(&self, account_id: i32) -> impl Iterator<Item = &Position> {
        self.positions
            .range((account_id, i32::MIN)..=(account_id, i32::MAX))
            .map(|(_, p)| p)
    }
}

/// An account's holdings valued at the market.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Valuation {
    /// Long stock value.
    pub stock_long: Decimal,
    /// Short stock value (positive number).
    pub stock_short: Decimal,
    /// Long option value.
    pub option_long: Decimal,
    /// Short option value (positive number).
    pub option_short: Decimal,
    /// Open profit and loss.
    pub open_pl: Decimal,
    /// Closed profit and loss.
    pub closed_pl: Decimal,
    /// Open orders.
    pub pending_orders: u32,
}

impl Valuation {
    /// Market value of all positions (shorts negative).
    pub fn market_value(&self) -> Decimal {
        self.stock_long + self.option_long - self.stock_short - self.option_short
    }
}

/// Values the positions of an account at the current market.
pub fn valuation(trading: &Trading, market: &Market, account_id: i32) -> Valuation {
    let mut v = Valuation {
        closed_pl: trading
            .closed_pl
            .get(&account_id)
            .copied()
            .unwrap_or_default(),
        ..Valuation::default()
    };
    for p in trading.positions_of(account_id) {
        let Some(security) = market.security_by_id(p.security_id) else {
            continue;
        };
        let last = market
            .quote(p.security_id)
            .map(|q| q.last)
            .unwrap_or_default();
        let value = p.quantity * last * security.contract_size;
        match (security.is_option(), value >= Decimal::ZERO) {
            (false, true) => v.stock_long += value,
            (false, false) => v.stock_short -= value,
            (true, true) => v.option_long += value,
            (true, false) => v.option_short -= value,
        }
        v.open_pl += value - p.cost;
        v.closed_pl += p.realized;
    }
    v.pending_orders = trading
        .orders
        .values()
        .filter(|o| o.account_id == account_id && o.parent_id == -1 && o.is_open())
        .count() as u32;
    v
}

/// Stock buying power of an account (cash accounts: cash; margin: 2x excess equity).
pub fn buying_power(margin_type: MarginType, cash: Decimal, v: &Valuation) -> Decimal {
    match margin_type {
        MarginType::Cash => cash.max(Decimal::ZERO),
        MarginType::Margin => {
            let equity = cash + v.market_value();
            let requirement = (v.stock_long + v.stock_short) / Decimal::TWO + v.option_short;
            ((equity - requirement) * Decimal::TWO).max(Decimal::ZERO)
        }
    }
}

/// Shares (contracts) that can fill per order per market tick.
pub fn liquidity(security: &Security) -> Decimal {
    if security.is_option() {
        Decimal::from(50)
    } else {
        Decimal::from(1000)
    }
}

/// The business rules of CATALOGUE §3.3 for one order (legs checked with their parent's rules).
pub fn check(
    dir: &Directory,
    market: &Market,
    order: &Order,
    legs: &[&Order],
) -> Result<(), Reject> {
    let account = dir
        .accounts
        .get(&order.account_id)
        .ok_or_else(|| reject("AccountRestricted", "Account is not found."))?;
    match order.kind {
        Kind::Spread => {
            if !matches!(order.order_type, "Market" | "Limit") {
                return Err(reject(
                    "InvalidOrderType",
                    "Multi-leg orders must be Market or Limit.",
                ));
            }
            if order.order_type == "Limit" && order.price.is_none() {
                return Err(reject("LimitPriceUndefined", "Limit price is not defined."));
            }
            for leg in legs {
                if market.security_by_id(leg.security_id).is_none() {
                    return Err(reject(
                        "SymbolNotFound",
                        format!("Symbol '{}' is not found.", leg.symbol),
                    ));
                }
                if leg.quantity <= Decimal::ZERO || leg.quantity.fract() != Decimal::ZERO {
                    return Err(reject(
                        "InvalidQuantity",
                        "Leg quantities must be positive whole numbers.",
                    ));
                }
            }
            return Ok(());
        }
        Kind::Oto | Kind::Oco | Kind::Otoco => {
            let (count, name) = match order.kind {
                Kind::Oto => (2, "OneTriggerOther"),
                Kind::Oco => (2, "OneCancelOther"),
                _ => (3, "OneTriggerOneCancelOther"),
            };
            if legs.len() != count {
                return Err(reject(
                    "InvalidOrderType",
                    format!("{name} orders need {count} legs."),
                ));
            }
            if legs[0].order_type == "Market" {
                return Err(reject(
                    "InvalidOrderType",
                    format!("The first leg of a {name} order may not be a Market order."),
                ));
            }
            if order.kind == Kind::Oco && legs.iter().any(|l| l.order_type == "Market") {
                return Err(reject(
                    "InvalidOrderType",
                    "The legs of a OneCancelOther order may not be Market orders.",
                ));
            }
            // Legs that wait for a trigger are checked when they activate.
            let checked_now = if order.kind == Kind::Oco {
                legs.len()
            } else {
                1
            };
            for leg in &legs[..checked_now] {
                check(dir, market, leg, &[])?;
            }
            return Ok(());
        }
        // Fund orders are checked when placed (`crate::mutual_funds`).
        Kind::Fund => return Ok(()),
        Kind::Single => {}
    }
    let security = market.security_by_id(order.security_id).ok_or_else(|| {
        reject(
            "SymbolNotFound",
            format!("Symbol '{}' is not found.", order.symbol),
        )
    })?;
    if security.is_mutual_fund() {
        return Err(reject(
            "InvalidOrderType",
            "Mutual funds are traded through the mutual-fund orders.",
        ));
    }
    if !ORDER_TYPES[..7].contains(&order.order_type) || order.order_type == "Pegged" {
        return Err(reject(
            "InvalidOrderType",
            format!("Order type {} is not supported.", order.order_type),
        ));
    }
    if order.order_type == "Market" {
        if matches!(order.time_in_force, "GoodTillCancel" | "GoodTillDate") {
            return Err(reject(
                "InvalidOrderType",
                "Market orders cannot be GoodTillCancel or GoodTillDate.",
            ));
        }
        if !order.extended_hours.is_empty() && !order.extended_hours.eq_ignore_ascii_case("REG") {
            return Err(reject(
                "InvalidOrderType",
                "Market orders are not allowed in extended hours.",
            ));
        }
    }
    if matches!(order.order_type, "Limit" | "StopLimit")
        && order.price.is_none_or(|p| p <= Decimal::ZERO)
    {
        return Err(reject("LimitPriceUndefined", "Limit price is not defined."));
    }
    if matches!(order.order_type, "Stop" | "StopLimit")
        && order.stop_price.is_none_or(|p| p <= Decimal::ZERO)
    {
        return Err(reject("QuotePriceIsInvalid", "Stop price is not defined."));
    }
    if matches!(order.order_type, "TrailingStop" | "TrailingStopLimit")
        && order.trailing_stop.is_none_or(|(_, a)| a <= Decimal::ZERO)
    {
        return Err(reject(
            "QuotePriceIsInvalid",
            "Trailing stop amount and type are required.",
        ));
    }
    if order.order_type == "TrailingStopLimit" && order.trailing_limit.is_none() {
        return Err(reject(
            "QuotePriceIsInvalid",
            "Trailing limit amount and type are required.",
        ));
    }
    if matches!(order.time_in_force, "GoodTillDate" | "GoodTillDatePlus")
        && order.expire_date.is_none_or(|d| d <= market.now())
    {
        return Err(reject(
            "ExpireDateIsInvalid",
            "Expire date must be in the future for GoodTillDate orders.",
        ));
    }
    let fractional = order.quantity.fract() != Decimal::ZERO;
    if fractional && (security.is_option() || order.order_type != "Limit") {
        return Err(reject(
            "InvalidQuantity",
            "Fractional quantities are allowed for stock Limit orders only.",
        ));
    }
    let held = dir
        .trading
        .positions
        .get(&(order.account_id, order.security_id))
        .map(|p| p.quantity)
        .unwrap_or_default();
    let open_sells: Decimal = dir
        .trading
        .orders
        .values()
        .filter(|o| {
            o.account_id == order.account_id
                && o.security_id == order.security_id
                && o.id != order.id
        })
        .filter(|o| o.side == "Sell" && o.is_open() && o.active)
        // The other leg of a one-cancels-other pair never fills too.
        .filter(|o| order.parent_id == -1 || o.parent_id != order.parent_id)
        .map(Order::leaves)
        .sum();
    match order.side {
        "Sell" if order.quantity + open_sells > held.max(Decimal::ZERO) => {
            return Err(reject(
                "InsufficientShares",
                format!("Not enough shares of {} to sell.", security.symbol),
            ));
        }
        "SellShort" if account.margin_type == MarginType::Cash && !security.is_option() => {
            return Err(reject(
                "AccountRestricted",
                "Short selling is not allowed in a cash account.",
            ));
        }
        "BuyToCover" if order.quantity > (-held).max(Decimal::ZERO) => {
            return Err(reject(
                "InsufficientShares",
                format!("No short position of {} to cover.", security.symbol),
            ));
        }
        _ => {}
    }
    if order.is_buy() || order.side == "SellShort" {
        let quote = market
            .quote(security.id)
            .ok_or_else(|| reject("QuotePriceIsInvalid", "No quote."))?;
        let price = order
            .price
            .unwrap_or(quote.ask)
            .max(order.stop_price.unwrap_or_default());
        let cost = order.quantity * price * security.contract_size;
        let v = valuation(&dir.trading, market, account.id);
        if order.side != "BuyToCover" && cost > buying_power(account.margin_type, account.cash, &v)
        {
            return Err(reject(
                "DayTradingBuyingPowerExceeded",
                "Day trading buying power exceeded.",
            ));
        }
    }
    Ok(())
}

/// Records an execution report of an order (a fill when `qty` is not 0).
pub fn report(
    trading: &mut Trading,
    order_id: i32,
    now: DateTime<Utc>,
    qty: Decimal,
    price: Decimal,
) {
    let id = trading.next_id();
    let mut placed = None;
    if let Some(o) = trading.orders.get_mut(&order_id) {
        if o.reports.is_empty() && o.parent_id == -1 {
            placed = Some(o.account_id);
        }
        o.date = now;
        o.reports.push(Report {
            id,
            date: now,
            status: o.status,
            last_quantity: qty,
            last_price: price,
            exec_id: if qty.is_zero() {
                String::new()
            } else {
                format!("EX{order_id}-{id}")
            },
            description: o.description.clone(),
        });
    }
    trading.note_order(order_id);
    // A new order counts among the account's open orders, part of its balance.
    if let Some(account_id) = placed {
        trading.note_balance(account_id);
    }
}

/// Sets an order's status and records a report.
pub fn set_status(
    trading: &mut Trading,
    order_id: i32,
    status: &'static str,
    description: &str,
    now: DateTime<Utc>,
) {
    let mut balance_changed = None;
    if let Some(o) = trading.orders.get_mut(&order_id) {
        if o.status == status {
            return;
        }
        let was_open = o.is_open();
        o.status = status;
        if o.parent_id == -1 && was_open != o.is_open() {
            balance_changed = Some(o.account_id);
        }
        o.request_status = match status {
            "Rejected" => "Rejected",
            "Filled" | "Canceled" | "Expired" | "DoneForDay" => "Complete",
            "PendingNew" => "RequireValidation",
            _ => "Validated",
        };
        if !description.is_empty() {
            o.description = description.to_string();
        }
    }
    report(trading, order_id, now, Decimal::ZERO, Decimal::ZERO);
    // The count of open orders is part of the balance.
    if let Some(account_id) = balance_changed {
        trading.note_balance(account_id);
    }
}

/// Applies a fill: the order, the position, the cash and a transaction.
pub fn fill(
    dir: &mut Directory,
    market: &Market,
    order_id: i32,
    qty: Decimal,
    price: Decimal,
    now: DateTime<Utc>,
) {
    let Some(order) = dir.trading.orders.get(&order_id).cloned() else {
        return;
    };
    let Some(security) = market.security_by_id(order.security_id) else {
        return;
    };
    let cs = security.contract_size;
    let signed = if order.is_buy() { qty } else { -qty };
    let money = signed * price * cs;
    if let Some(account) = dir.accounts.get_mut(&order.account_id) {
        account.cash -= money;
    }
    let next_position_id = dir.trading.next_id();
    let trading = &mut dir.trading;
    let position = trading
        .positions
        .entry((order.account_id, order.security_id))
        .or_insert_with(|| Position {
            id: next_position_id,
            account_id: order.account_id,
            security_id: order.security_id,
            quantity: Decimal::ZERO,
            cost: Decimal::ZERO,
            realized: Decimal::ZERO,
            day_quantity: Decimal::ZERO,
            create_date: now,
            modify_date: now,
        });
    let same_direction = position.quantity.is_zero()
        || (position.quantity > Decimal::ZERO) == (signed > Decimal::ZERO);
    if same_direction {
        position.quantity += signed;
        position.cost += money;
    } else {
        let closing = signed.abs().min(position.quantity.abs());
        let average = position.cost / position.quantity;
        let sign = if position.quantity > Decimal::ZERO {
            Decimal::ONE
        } else {
            -Decimal::ONE
        };
        position.realized += closing * (price * cs - average) * sign;
        position.cost -= average * closing * sign;
        position.quantity -= closing * sign;
        let rest = signed.abs() - closing;
        if rest > Decimal::ZERO {
            position.quantity += rest * -sign;
            position.cost += rest * -sign * price * cs;
        }
    }
    position.day_quantity += qty;
    position.modify_date = now;
    let position_after = position.clone();
    if position.quantity.is_zero() {
        let realized = position.realized;
        trading
            .positions
            .remove(&(order.account_id, order.security_id));
        *trading.closed_pl.entry(order.account_id).or_default() += realized;
    }
    let o = trading.orders.get_mut(&order_id).expect("order exists");
    o.executed += qty;
    o.notional += qty * price;
    o.last_price = price;
    o.last_quantity = qty;
    o.last_fill_tick = Some(now.timestamp_millis().div_euclid(market.tick_millis()));
    o.status = if o.executed >= o.quantity {
        "Filled"
    } else {
        "PartiallyFilled"
    };
    o.request_status = if o.status == "Filled" {
        "Complete"
    } else {
        "Validated"
    };
    o.target = "Execution";
    let leaves = o.quantity - o.executed;
    report(trading, order_id, now, qty, price);
    let state_id = trading.orders[&order_id]
        .reports
        .last()
        .map(|r| r.id)
        .unwrap_or_default();
    let (code, verb) = match order.side {
        "Buy" => ("BUY", "Bought"),
        "Sell" => ("SELL", "Sold"),
        "SellShort" => ("SHORT", "Sold short"),
        _ => ("COVER", "Bought to cover"),
    };
    let id = trading.next_id();
    trading.transactions.push(Transaction {
        id,
        account_id: order.account_id,
        security_id: order.security_id,
        symbol: security.symbol.clone(),
        order_id,
        order_state_id: state_id,
        date: now,
        value: -money,
        quantity: signed,
        leaves_quantity: leaves,
        price,
        code,
        description: format!("{verb} {} {} @ {}", qty.normalize(), security.symbol, price),
        settlement_date: now + ChronoDuration::days(1),
    });
    // The data streamer's order after a fill: the order (journaled by `report`), the position, the balance.
    trading.changes.push(Change::Position(position_after));
    trading.note_balance(order.account_id);
}

/// The price an order may execute at now, if any (after trigger and limit checks).
fn executable_price(o: &mut Order, market: &Market, security: &Security) -> Option<Decimal> {
    let q = market.quote(security.id)?;
    let buy = o.is_buy();
    if let Some((kind, amount)) = o.trailing_stop {
        let best = o.trail_reference.unwrap_or(q.last);
        let best = if buy {
            best.min(q.last)
        } else {
            best.max(q.last)
        };
        o.trail_reference = Some(best);
        let offset = if kind == "Persentage" {
            best * amount / Decimal::ONE_HUNDRED
        } else {
            amount
        };
        let stop = if buy { best + offset } else { best - offset };
        if !o.triggered && ((buy && q.last >= stop) || (!buy && q.last <= stop)) {
            o.triggered = true;
            if let Some((kind, amount)) = o.trailing_limit {
                let offset = if kind == "Persentage" {
                    stop * amount / Decimal::ONE_HUNDRED
                } else {
                    amount
                };
                o.price = Some(if buy { stop + offset } else { stop - offset }.round_dp(2));
            }
        }
        if !o.triggered {
            return None;
        }
    }
    if let Some(stop) = o
        .stop_price
        .filter(|_| matches!(o.order_type, "Stop" | "StopLimit"))
    {
        if !o.triggered && ((buy && q.last >= stop) || (!buy && q.last <= stop)) {
            o.triggered = true;
        }
        if !o.triggered {
            return None;
        }
    }
    let market_price = if buy { q.ask } else { q.bid };
    match o.order_type {
        "Limit" | "StopLimit" | "TrailingStopLimit" => {
            let limit = o.price?;
            let crosses = if buy {
                market_price <= limit
            } else {
                market_price >= limit
            };
            crosses.then_some(market_price)
        }
        _ => Some(market_price),
    }
}

/// Tries to fill one single (non-root) order.
fn work_single(dir: &mut Directory, market: &Market, id: i32, now: DateTime<Utc>) {
    let Some(mut o) = dir.trading.orders.get(&id).cloned() else {
        return;
    };
    let Some(security) = market.security_by_id(o.security_id) else {
        return;
    };
    let tick = now.timestamp_millis().div_euclid(market.tick_millis());
    if o.last_fill_tick == Some(tick) {
        return;
    }
    let price = executable_price(&mut o, market, security);
    let stored = dir.trading.orders.get_mut(&id).expect("order exists");
    stored.trail_reference = o.trail_reference;
    stored.triggered = o.triggered;
    stored.price = o.price;
    let Some(price) = price else {
        if matches!(o.time_in_force, "ImmediateOrCancel" | "FillOrKill") {
            set_status(
                &mut dir.trading,
                id,
                "Canceled",
                "Canceled: not immediately executable",
                now,
            );
        }
        return;
    };
    let leaves = o.leaves();
    let slice = leaves.min(liquidity(security));
    let all_or_none = o.exec_inst == "AllOrNone" || o.time_in_force == "FillOrKill";
    if all_or_none && slice < leaves {
        if o.time_in_force == "FillOrKill" {
            set_status(
                &mut dir.trading,
                id,
                "Canceled",
                "Canceled: not enough liquidity to fill the whole order",
                now,
            );
        }
        return;
    }
    fill(dir, market, id, slice, price, now);
    if o.time_in_force == "ImmediateOrCancel" && slice < leaves {
        set_status(
            &mut dir.trading,
            id,
            "Canceled",
            "Canceled: unfilled remainder of an IOC order",
            now,
        );
    }
}

/// Fills a spread's legs together when the net price is acceptable.
fn work_spread(dir: &mut Directory, market: &Market, root: &Order, now: DateTime<Utc>) {
    let mut net = Decimal::ZERO;
    let mut prices = Vec::new();
    for leg_id in &root.legs {
        let Some(leg) = dir.trading.orders.get(leg_id) else {
            return;
        };
        let Some(q) = market.quote(leg.security_id) else {
            return;
        };
        let price = if leg.is_buy() { q.ask } else { q.bid };
        let ratio = leg.quantity / root.quantity.max(Decimal::ONE);
        net += if leg.is_buy() {
            price * ratio
        } else {
            -price * ratio
        };
        prices.push((*leg_id, leg.quantity, price));
    }
    if root.order_type == "Limit" && root.price.is_some_and(|limit| net > limit) {
        return;
    }
    for (leg_id, qty, price) in prices {
        fill(dir, market, leg_id, qty, price, now);
    }
    if let Some(r) = dir.trading.orders.get_mut(&root.id) {
        r.executed = r.quantity;
        r.notional = net * r.quantity;
        r.last_price = net;
        r.last_quantity = r.quantity;
    }
    set_status(&mut dir.trading, root.id, "Filled", "", now);
}

/// Activates a waiting leg (it is validated on the next pass).
fn activate(trading: &mut Trading, id: i32, now: DateTime<Utc>) {
    if let Some(o) = trading.orders.get_mut(&id) {
        if !o.active && o.status == "Held" {
            o.active = true;
            o.create_date = now;
        }
    }
    set_status(trading, id, "PendingNew", "", now);
}

/// Cancels an open order and its open legs.
pub fn cancel(trading: &mut Trading, id: i32, now: DateTime<Utc>) {
    let legs = trading
        .orders
        .get(&id)
        .map(|o| o.legs.clone())
        .unwrap_or_default();
    for leg in legs {
        if trading.orders.get(&leg).is_some_and(Order::is_open) {
            cancel(trading, leg, now);
        }
    }
    if let Some(o) = trading.orders.get_mut(&id) {
        o.target = "Cancel";
    }
    set_status(trading, id, "Canceled", "Canceled by user", now);
}

/// Conditional roots: activation, mutual cancellation, and the root's own status.
fn work_conditional(trading: &mut Trading, root: &Order, now: DateTime<Utc>) {
    let legs: Vec<Order> = root
        .legs
        .iter()
        .filter_map(|id| trading.orders.get(id).cloned())
        .collect();
    if legs.is_empty() {
        return;
    }
    let filled = |o: &Order| o.status == "Filled";
    match root.kind {
        Kind::Oto if filled(&legs[0]) && legs.len() > 1 && !legs[1].active => {
            activate(trading, legs[1].id, now)
        }
        Kind::Otoco if filled(&legs[0]) && legs.len() > 2 && !legs[1].active => {
            activate(trading, legs[1].id, now);
            activate(trading, legs[2].id, now);
        }
        _ => {}
    }
    let pair: &[Order] = match root.kind {
        Kind::Oco => &legs,
        Kind::Otoco if legs.len() > 2 => &legs[1..],
        _ => &[],
    };
    if let Some(winner) = pair.iter().find(|l| l.executed > Decimal::ZERO) {
        for other in pair.iter().filter(|l| l.id != winner.id && l.is_open()) {
            if let Some(o) = trading.orders.get_mut(&other.id) {
                o.target = "Cancel";
            }
            set_status(
                trading,
                other.id,
                "Canceled",
                "Canceled by the other leg's execution",
                now,
            );
        }
    }
    let legs: Vec<Order> = root
        .legs
        .iter()
        .filter_map(|id| trading.orders.get(id).cloned())
        .collect();
    if legs[0].status == "Rejected" {
        for leg in legs.iter().skip(1).filter(|l| l.is_open()) {
            set_status(
                trading,
                leg.id,
                "Canceled",
                "Canceled: the trigger leg was rejected",
                now,
            );
        }
    }
    let legs: Vec<Order> = root
        .legs
        .iter()
        .filter_map(|id| trading.orders.get(id).cloned())
        .collect();
    let status = if legs.iter().all(|l| !l.is_open()) {
        if legs.iter().any(|l| l.executed > Decimal::ZERO) {
            "Filled"
        } else if legs.iter().any(|l| l.status == "Rejected") {
            "Rejected"
        } else {
            "Canceled"
        }
    } else if legs.iter().any(|l| l.executed > Decimal::ZERO) {
        "PartiallyFilled"
    } else {
        "New"
    };
    set_status(trading, root.id, status, "", now);
}

/// One pass of the engine over every open order, oldest first.
pub fn process(dir: &mut Directory, market: &Market) {
    let now = market.now();
    let open: Vec<i32> = dir
        .trading
        .orders
        .values()
        .filter(|o| o.is_open())
        .map(|o| o.id)
        .collect();
    for id in open {
        let Some(order) = dir.trading.orders.get(&id).cloned() else {
            continue;
        };
        if !order.is_open() || !order.active {
            continue;
        }
        if order.parent_id != -1 && order.status == "PendingNew" {
            // Legs of spreads are validated with their parent; conditional legs on their own.
            let parent_kind = dir.trading.orders.get(&order.parent_id).map(|p| p.kind);
            if parent_kind == Some(Kind::Spread) {
                continue;
            }
        }
        if order.status == "PendingNew" {
            let legs: Vec<Order> = order
                .legs
                .iter()
                .filter_map(|l| dir.trading.orders.get(l).cloned())
                .collect();
            let leg_refs: Vec<&Order> = legs.iter().collect();
            match check(dir, market, &order, &leg_refs) {
                Err(r) => {
                    if let Some(o) = dir.trading.orders.get_mut(&id) {
                        o.reject_code = r.code.to_string();
                    }
                    set_status(&mut dir.trading, id, "Rejected", &r.text, now);
                    for leg in &order.legs {
                        if let Some(o) = dir.trading.orders.get_mut(leg) {
                            o.reject_code = r.code.to_string();
                        }
                        set_status(&mut dir.trading, *leg, "Rejected", &r.text, now);
                    }
                    continue;
                }
                Ok(()) => {
                    set_status(&mut dir.trading, id, "New", "", now);
                    // Legs are validated with their root; waiting (held) legs when they activate.
                    for leg in &order.legs {
                        if dir
                            .trading
                            .orders
                            .get(leg)
                            .is_some_and(|l| l.active && l.status == "PendingNew")
                        {
                            set_status(&mut dir.trading, *leg, "New", "", now);
                        }
                    }
                }
            }
        }
        if let Some(expiry) = order.expire_date {
            if now >= expiry && order.kind == Kind::Single {
                let status = if order.time_in_force == "Day" {
                    "DoneForDay"
                } else {
                    "Expired"
                };
                set_status(&mut dir.trading, id, status, "Expired by OMS", now);
                continue;
            }
        }
        match order.kind {
            Kind::Single => {
                let parent_is_spread = dir
                    .trading
                    .orders
                    .get(&order.parent_id)
                    .is_some_and(|p| p.kind == Kind::Spread);
                if !parent_is_spread {
                    work_single(dir, market, id, now);
                }
            }
            Kind::Spread => {
                let root = dir.trading.orders[&id].clone();
                work_spread(dir, market, &root, now);
            }
            _ => {}
        }
    }
    let roots: Vec<Order> = dir
        .trading
        .orders
        .values()
        .filter(|o| {
            o.is_open()
                && matches!(o.kind, Kind::Oto | Kind::Oco | Kind::Otoco)
                && o.status != "PendingNew"
        })
        .cloned()
        .collect();
    for root in roots {
        work_conditional(&mut dir.trading, &root, now);
    }
    work_funds(dir, market, now);
}

/// The NAV time a fund order placed at `placed` executes at: the next UTC midnight (funds are
/// priced once a day).
pub fn fund_fill_time(placed: DateTime<Utc>) -> DateTime<Utc> {
    (placed.date_naive() + ChronoDuration::days(1))
        .and_hms_opt(0, 0, 0)
        .map(|d| d.and_utc())
        .unwrap_or(placed)
}

/// Fills the open fund orders whose NAV time has come, sells first (an exchange's buy invests
/// its sell's proceeds), at the NAV of the fill day.
pub fn work_funds(dir: &mut Directory, market: &Market, now: DateTime<Utc>) {
    let mut due: Vec<Order> = dir
        .trading
        .orders
        .values()
        .filter(|o| o.kind == Kind::Fund && o.is_open() && fund_fill_time(o.create_date) <= now)
        .cloned()
        .collect();
    due.sort_by_key(|o| (o.is_buy(), o.id));
    for o in due {
        let Some(security) = market.security_by_id(o.security_id) else {
            continue;
        };
        let at = fund_fill_time(o.create_date);
        let nav = market.price_at(security, at);
        if nav <= Decimal::ZERO {
            continue;
        }
        let held = dir
            .trading
            .positions
            .get(&(o.account_id, o.security_id))
            .map(|p| p.quantity)
            .unwrap_or_default();
        let amount = if let Some(sell_id) = o.execution_instructions.get(FUND_EXCHANGE_OF) {
            let sell = sell_id
                .parse()
                .ok()
                .and_then(|id| dir.trading.orders.get(&id));
            match sell {
                Some(s) if s.status == "Filled" => Some(s.notional),
                _ => {
                    set_status(
                        &mut dir.trading,
                        o.id,
                        "Canceled",
                        "Canceled: the exchanged fund was not sold",
                        now,
                    );
                    continue;
                }
            }
        } else {
            o.execution_instructions
                .get(FUND_AMOUNT)
                .and_then(|a| a.parse::<Decimal>().ok())
        };
        let mut shares = match amount {
            Some(dollars) => {
                (dollars / nav).round_dp_with_strategy(3, rust_decimal::RoundingStrategy::ToZero)
            }
            None => o.quantity,
        };
        if !o.is_buy() {
            shares = shares.min(held.max(Decimal::ZERO));
        }
        let cash = dir
            .accounts
            .get(&o.account_id)
            .map(|a| a.cash)
            .unwrap_or_default();
        if shares <= Decimal::ZERO || (o.is_buy() && shares * nav > cash) {
            set_status(
                &mut dir.trading,
                o.id,
                "Rejected",
                "Rejected at the NAV: insufficient funds or shares",
                at,
            );
            continue;
        }
        if let Some(order) = dir.trading.orders.get_mut(&o.id) {
            order.quantity = shares;
        }
        fill(dir, market, o.id, shares, nav, at);
    }
}

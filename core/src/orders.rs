//! Orders: builders for every documented order shape, and the rules they must follow, checked before sending.
//!
//! [`OrderRequest`] builds market, limit, stop, stop-limit, trailing stop (and trailing stop-limit) orders, option
//! spreads ([`OptionLeg`]s), and the conditional types (one-triggers-other, one-cancels-other, and the bracket
//! OTOCO). Whatever builds the body, the generated `place`/`preview`/`replace` methods (fast `/orders` and
//! venue-synchronous `/syncorders`) run [`validate_create`] / [`validate_modify`] before anything is sent, so an
//! order without a price is a [`crate::Error::Validation`] naming the field, never a request. Every order carries
//! a `ClientId`, generated (a UUID) unless given, assigned once when the request is created so that a retry or a
//! reconciliation refers to the same intent.
//!
//! The rules are the ones the vendor documents (CATALOGUE §3.3): limit needs `Price`, stop needs `StopPrice`,
//! stop-limit both, trailing orders their amount type and amount, quantities positive, multi-leg roots are
//! `Market` or `Limit` with legs carrying only symbol, quantity and side, OTO's first leg is not `Market`, OCO's
//! legs are not both `Market`, OTOCO has three legs; plus what the wire format implies (`GoodTillDate` needs an
//! `ExpireDate`, percentages of at most 100, OSI option symbols well formed).
//!
//! ```
//! use autoshares::orders::OrderRequest;
//! use autoshares::models::{OrderSide, TimeInForce};
//! let order = OrderRequest::limit("AAPL", OrderSide::Buy, 10, "187.25".parse().unwrap())
//!     .time_in_force(TimeInForce::GoodTillCancel)
//!     .build()?;
//! assert_eq!(order.price.unwrap().to_string(), "187.25");
//! assert!(order.client_id.is_some());
//! let err = OrderRequest::limit("AAPL", OrderSide::Buy, 0, "1".parse().unwrap()).build().unwrap_err();
//! assert_eq!(err.field(), Some("quantity"));
//! # Ok::<(), autoshares::Error>(())
//! ```

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;

use crate::error::{Error, Result};
use crate::models::{
    CreateOrder, ExecInst, ModifyOrder, OrderSide, OrderType, TimeInForce, TrailingAmountType,
};

/// A trailing amount: an absolute price offset or a percentage of the price.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trail {
    /// An offset in the price's currency.
    Absolute(Decimal),
    /// A percentage (0 < p <= 100).
    Percent(Decimal),
}

impl Trail {
    fn parts(self) -> (TrailingAmountType, Decimal) {
        match self {
            Trail::Absolute(d) => (TrailingAmountType::Absolute, d),
            // The vendor's spelling.
            Trail::Percent(d) => (TrailingAmountType::Persentage, d),
        }
    }
}

/// One leg of an option spread: an OSI symbol, a side and a quantity, and nothing else (the platform rule).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OptionLeg {
    /// OSI option symbol (see [`osi_symbol`]), or the stock's symbol for a stock leg.
    pub symbol: String,
    /// Buy, Sell, SellShort or BuyToCover.
    pub side: OrderSide,
    /// Contracts (or shares for a stock leg).
    pub quantity: Decimal,
}

impl OptionLeg {
    /// A leg.
    pub fn new(symbol: impl Into<String>, side: OrderSide, quantity: impl Into<Decimal>) -> Self {
        OptionLeg {
            symbol: symbol.into(),
            side,
            quantity: quantity.into(),
        }
    }
}

/// Call or put.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OptionRight {
    /// Call.
    Call,
    /// Put.
    Put,
}

/// The OSI symbol of an option: root left-aligned in 6 characters, `YYMMDD`, `C`/`P`, strike × 1000 in 8 digits.
///
/// ```
/// use autoshares::orders::{osi_symbol, OptionRight};
/// let d = chrono::NaiveDate::from_ymd_opt(2019, 5, 3).unwrap();
/// assert_eq!(osi_symbol("AAPL", d, OptionRight::Call, "165".parse().unwrap())?, "AAPL  190503C00165000");
/// # Ok::<(), autoshares::Error>(())
/// ```
pub fn osi_symbol(
    root: &str,
    expiration: NaiveDate,
    right: OptionRight,
    strike: Decimal,
) -> Result<String> {
    let root = root.trim().to_ascii_uppercase();
    if root.is_empty() || root.len() > 6 || !root.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(Error::validation(
            "root",
            format!("`{root}` is not an option root (1 to 6 letters or digits)"),
        ));
    }
    let thousandths = strike * Decimal::from(1000);
    if strike <= Decimal::ZERO
        || thousandths.fract() != Decimal::ZERO
        || thousandths >= Decimal::from(100_000_000)
    {
        return Err(Error::validation(
            "strike",
            format!("{strike} cannot be written as an OSI strike"),
        ));
    }
    let year = expiration.format("%y%m%d");
    let r = match right {
        OptionRight::Call => 'C',
        OptionRight::Put => 'P',
    };
    Ok(format!("{root:<6}{year}{r}{:08}", thousandths.trunc()))
}

/// Whether `symbol` has the shape of an OSI option symbol (21 characters: root, date, C/P, strike).
pub fn looks_like_osi(symbol: &str) -> bool {
    let b = symbol.as_bytes();
    b.len() == 21
        && b[..6]
            .iter()
            .all(|c| c.is_ascii_alphanumeric() || *c == b' ')
        && b[0] != b' '
        && b[6..12].iter().all(u8::is_ascii_digit)
        && (b[12] == b'C' || b[12] == b'P')
        && b[13..].iter().all(u8::is_ascii_digit)
}

/// Builds an order body ([`CreateOrder`]); [`OrderRequest::build`] validates it.
#[derive(Debug, Clone, PartialEq)]
pub struct OrderRequest {
    order: CreateOrder,
}

impl OrderRequest {
    fn simple(
        symbol: impl Into<String>,
        side: OrderSide,
        quantity: impl Into<Decimal>,
        kind: OrderType,
    ) -> Self {
        OrderRequest {
            order: CreateOrder {
                symbol: Some(symbol.into()),
                side: Some(side),
                quantity: Some(quantity.into()),
                r#type: Some(kind),
                time_in_force: Some(TimeInForce::Day),
                ..Default::default()
            },
        }
    }

    /// A market order (Day unless changed).
    pub fn market(
        symbol: impl Into<String>,
        side: OrderSide,
        quantity: impl Into<Decimal>,
    ) -> Self {
        Self::simple(symbol, side, quantity, OrderType::Market)
    }

    /// A limit order at `price`.
    pub fn limit(
        symbol: impl Into<String>,
        side: OrderSide,
        quantity: impl Into<Decimal>,
        price: Decimal,
    ) -> Self {
        let mut o = Self::simple(symbol, side, quantity, OrderType::Limit);
        o.order.price = Some(price);
        o
    }

    /// A stop (market) order triggered at `stop_price`.
    pub fn stop(
        symbol: impl Into<String>,
        side: OrderSide,
        quantity: impl Into<Decimal>,
        stop_price: Decimal,
    ) -> Self {
        let mut o = Self::simple(symbol, side, quantity, OrderType::Stop);
        o.order.stop_price = Some(stop_price);
        o
    }

    /// A stop-limit order: triggered at `stop_price`, then a limit at `limit_price`.
    pub fn stop_limit(
        symbol: impl Into<String>,
        side: OrderSide,
        quantity: impl Into<Decimal>,
        stop_price: Decimal,
        limit_price: Decimal,
    ) -> Self {
        let mut o = Self::simple(symbol, side, quantity, OrderType::StopLimit);
        o.order.stop_price = Some(stop_price);
        o.order.price = Some(limit_price);
        o
    }

    /// A trailing stop order.
    pub fn trailing_stop(
        symbol: impl Into<String>,
        side: OrderSide,
        quantity: impl Into<Decimal>,
        trail: Trail,
    ) -> Self {
        let mut o = Self::simple(symbol, side, quantity, OrderType::TrailingStop);
        let (t, a) = trail.parts();
        o.order.trailing_stop_amount_type = Some(t);
        o.order.trailing_stop_amount = Some(a);
        o
    }

    /// A trailing stop-limit order: the stop trails by `trail`, the limit sits `limit_offset` away from it.
    pub fn trailing_stop_limit(
        symbol: impl Into<String>,
        side: OrderSide,
        quantity: impl Into<Decimal>,
        trail: Trail,
        limit_offset: Trail,
    ) -> Self {
        let mut o = Self::trailing_stop(symbol, side, quantity, trail);
        o.order.r#type = Some(OrderType::TrailingStopLimit);
        let (t, a) = limit_offset.parts();
        o.order.trailing_limit_amount_type = Some(t);
        o.order.trailing_limit_amount = Some(a);
        o
    }

    /// A multi-leg option order (spread) at market.
    pub fn spread_market(quantity: impl Into<Decimal>, legs: Vec<OptionLeg>) -> Self {
        Self::spread(OrderType::Market, None, quantity.into(), legs)
    }

    /// A multi-leg option order (spread) with a net limit `price`.
    pub fn spread_limit(
        quantity: impl Into<Decimal>,
        price: Decimal,
        legs: Vec<OptionLeg>,
    ) -> Self {
        Self::spread(OrderType::Limit, Some(price), quantity.into(), legs)
    }

    fn spread(
        kind: OrderType,
        price: Option<Decimal>,
        quantity: Decimal,
        legs: Vec<OptionLeg>,
    ) -> Self {
        OrderRequest {
            order: CreateOrder {
                symbol: Some(String::new()),
                r#type: Some(kind),
                price,
                quantity: Some(quantity),
                time_in_force: Some(TimeInForce::Day),
                legs: legs
                    .into_iter()
                    .map(|l| CreateOrder {
                        symbol: Some(l.symbol),
                        side: Some(l.side),
                        quantity: Some(l.quantity),
                        ..Default::default()
                    })
                    .collect(),
                ..Default::default()
            },
        }
    }

    fn conditional(kind: OrderType, legs: Vec<OrderRequest>) -> Self {
        OrderRequest {
            order: CreateOrder {
                symbol: Some(String::new()),
                r#type: Some(kind),
                legs: legs.into_iter().map(|l| l.order).collect(),
                ..Default::default()
            },
        }
    }

    /// One-triggers-other: `second` becomes active when `first` fills. `first` may not be a market order.
    pub fn one_triggers_other(first: OrderRequest, second: OrderRequest) -> Self {
        Self::conditional(OrderType::OneTriggerOther, vec![first, second])
    }

    /// One-cancels-other: when one fills, the other is cancelled. They may not both be market orders.
    pub fn one_cancels_other(a: OrderRequest, b: OrderRequest) -> Self {
        Self::conditional(OrderType::OneCancelOther, vec![a, b])
    }

    /// A bracket (one-triggers-one-cancels-other): when `entry` fills, `take_profit` and `stop_loss` become an
    /// OCO pair. `entry` may not be a market order.
    pub fn bracket(
        entry: OrderRequest,
        take_profit: OrderRequest,
        stop_loss: OrderRequest,
    ) -> Self {
        Self::conditional(
            OrderType::OneTriggerOneCancelOther,
            vec![entry, take_profit, stop_loss],
        )
    }

    /// Time in force (default `Day`).
    pub fn time_in_force(mut self, tif: TimeInForce) -> Self {
        self.order.time_in_force = Some(tif);
        self
    }

    /// Good till `date` (sets `GoodTillDate` and `ExpireDate`).
    pub fn good_till(mut self, date: DateTime<Utc>) -> Self {
        self.order.time_in_force = Some(TimeInForce::GoodTillDate);
        self.order.expire_date = Some(date);
        self
    }

    /// Your own id for this order (default: a generated UUID). At most 64 printable ASCII characters.
    pub fn client_id(mut self, id: impl Into<String>) -> Self {
        self.order.client_id = Some(id.into());
        self
    }

    /// A comment stored with the order.
    pub fn comment(mut self, comment: impl Into<String>) -> Self {
        self.order.comment = Some(comment.into());
        self
    }

    /// Execution instruction (`DoNotIncrease`, `DoNotReduce`, ...).
    pub fn exec_inst(mut self, inst: ExecInst) -> Self {
        self.order.exec_inst = Some(inst);
        self
    }

    /// Desired exchange (`Auto` = smart routing).
    pub fn exchange(mut self, exchange: impl Into<String>) -> Self {
        self.order.exchange = Some(exchange.into());
        self
    }

    /// Extended-hours session (`PRE`, `REG`, `REGPOST`, ...).
    pub fn extended_hours(mut self, session: impl Into<String>) -> Self {
        self.order.extended_hours = Some(session.into());
        self
    }

    /// An algorithm execution instruction (`PerTradeCommission`, ...).
    pub fn execution_instruction(
        mut self,
        key: impl Into<String>,
        value: impl Into<String>,
    ) -> Self {
        self.order
            .execution_instructions
            .insert(key.into(), value.into());
        self
    }

    /// Validates and returns the body, with a `ClientId` (generated unless set).
    pub fn build(self) -> Result<CreateOrder> {
        let order = with_client_id(self.order);
        validate_create(&order)?;
        Ok(order)
    }
}

impl TryFrom<OrderRequest> for CreateOrder {
    type Error = Error;
    fn try_from(r: OrderRequest) -> Result<CreateOrder> {
        r.build()
    }
}

/// Gives the order (not its legs) a `ClientId` if it has none.
pub fn with_client_id(mut order: CreateOrder) -> CreateOrder {
    if order.client_id.as_deref().is_none_or(str::is_empty) {
        order.client_id = Some(uuid::Uuid::new_v4().simple().to_string());
    }
    order
}

/// Gives a replace a `ClientId` (a fresh one unless the caller set one), so an indefinite outcome can be
/// reconciled by looking the replacement order up (see [`crate::order_safety`]).
pub fn with_modify_client_id(mut order: ModifyOrder) -> ModifyOrder {
    if order.client_id.as_deref().is_none_or(str::is_empty) {
        order.client_id = Some(uuid::Uuid::new_v4().simple().to_string());
    }
    order
}

fn positive(field: &str, v: Option<Decimal>, what: &str) -> Result<Decimal> {
    match v {
        None => Err(Error::validation(field, format!("{what} is required"))),
        Some(d) if d <= Decimal::ZERO => Err(Error::validation(
            field,
            format!("must be positive, not {d}"),
        )),
        Some(d) => Ok(d),
    }
}

fn check_trail(
    prefix: &str,
    field: &str,
    kind: Option<&TrailingAmountType>,
    amount: Option<Decimal>,
) -> Result<()> {
    let name = format!("{prefix}{field}");
    let amount = positive(&format!("{name}_amount"), amount, "the trailing amount")?;
    match kind {
        None => Err(Error::validation(
            format!("{name}_amount_type"),
            "say whether the amount is absolute or a percentage",
        )),
        Some(TrailingAmountType::Persentage) if amount > Decimal::ONE_HUNDRED => {
            Err(Error::validation(
                format!("{name}_amount"),
                format!("{amount}% is more than 100%"),
            ))
        }
        Some(TrailingAmountType::Unrecognized(v)) => Err(Error::validation(
            format!("{name}_amount_type"),
            format!("`{v}` is not Absolute or Persentage"),
        )),
        _ => Ok(()),
    }
}

/// Checks every documented rule of an order body (and its legs). Called by every place and preview method.
pub fn validate_create(order: &CreateOrder) -> Result<()> {
    validate_at(order, "")
}

fn validate_at(o: &CreateOrder, p: &str) -> Result<()> {
    let f = |name: &str| format!("{p}{name}");
    if let Some(id) = &o.client_id {
        if id.len() > 64 || !id.chars().all(|c| c.is_ascii_graphic()) {
            return Err(Error::validation(
                f("client_id"),
                "at most 64 printable ASCII characters without spaces",
            ));
        }
    }
    let kind = o
        .r#type
        .as_ref()
        .ok_or_else(|| Error::validation(f("type"), "the order type is required"))?;
    if let OrderType::Unrecognized(v) = kind {
        return Err(Error::validation(
            f("type"),
            format!("`{v}` is not an order type"),
        ));
    }
    for (field, price) in [("price", o.price), ("stop_price", o.stop_price)] {
        if let Some(d) = price {
            if d < Decimal::ZERO {
                return Err(Error::validation(
                    f(field),
                    format!("must not be negative, not {d}"),
                ));
            }
        }
    }
    if o.time_in_force == Some(TimeInForce::GoodTillDate) {
        match o.expire_date {
            None => {
                return Err(Error::validation(
                    f("expire_date"),
                    "GoodTillDate needs an expire date",
                ))
            }
            Some(d) if d <= Utc::now() => {
                return Err(Error::validation(
                    f("expire_date"),
                    format!("{d} is in the past"),
                ))
            }
            _ => {}
        }
    }
    let conditional = matches!(
        kind,
        OrderType::OneTriggerOther
            | OrderType::OneCancelOther
            | OrderType::OneTriggerOneCancelOther
    );
    if conditional {
        return validate_conditional(o, kind, p);
    }
    let multi_leg = !o.legs.is_empty();
    if multi_leg {
        return validate_spread(o, kind, p);
    }
    let symbol = o.symbol.as_deref().unwrap_or("").trim();
    if symbol.is_empty() {
        return Err(Error::validation(f("symbol"), "the symbol is required"));
    }
    if symbol.len() > 21 && !looks_like_osi(symbol) {
        return Err(Error::validation(
            f("symbol"),
            format!("`{symbol}` is neither a ticker nor an OSI option symbol"),
        ));
    }
    if o.side.is_none() {
        return Err(Error::validation(
            f("side"),
            "the side (Buy, Sell, SellShort, BuyToCover) is required",
        ));
    }
    if let Some(OrderSide::Unrecognized(v)) = &o.side {
        return Err(Error::validation(f("side"), format!("`{v}` is not a side")));
    }
    positive(&f("quantity"), o.quantity, "the quantity")?;
    match kind {
        OrderType::Market if o.price.is_some() || o.stop_price.is_some() => {
            return Err(Error::validation(
                f("price"),
                "a market order takes no price; use a limit order",
            ));
        }
        OrderType::Limit => {
            positive(&f("price"), o.price, "a limit order's price")?;
        }
        OrderType::Stop => {
            positive(&f("stop_price"), o.stop_price, "a stop order's stop price")?;
        }
        OrderType::StopLimit => {
            positive(
                &f("stop_price"),
                o.stop_price,
                "a stop-limit order's stop price",
            )?;
            positive(&f("price"), o.price, "a stop-limit order's limit price")?;
        }
        OrderType::TrailingStop => {
            check_trail(
                p,
                "trailing_stop",
                o.trailing_stop_amount_type.as_ref(),
                o.trailing_stop_amount,
            )?;
        }
        OrderType::TrailingStopLimit => {
            check_trail(
                p,
                "trailing_stop",
                o.trailing_stop_amount_type.as_ref(),
                o.trailing_stop_amount,
            )?;
            check_trail(
                p,
                "trailing_limit",
                o.trailing_limit_amount_type.as_ref(),
                o.trailing_limit_amount,
            )?;
        }
        _ => {}
    }
    Ok(())
}

fn validate_spread(o: &CreateOrder, kind: &OrderType, p: &str) -> Result<()> {
    let f = |name: &str| format!("{p}{name}");
    match kind {
        OrderType::Market => {}
        OrderType::Limit => {
            positive(&f("price"), o.price, "a limit spread's net price")?;
        }
        other => {
            return Err(Error::validation(
                f("type"),
                format!("a multi-leg order is Market or Limit, not {other}"),
            ));
        }
    }
    if o.legs.len() < 2 {
        return Err(Error::validation(
            f("legs"),
            "a multi-leg order needs at least two legs",
        ));
    }
    positive(&f("quantity"), o.quantity, "the spread quantity")?;
    if o.symbol.as_deref().is_some_and(|s| !s.is_empty()) {
        return Err(Error::validation(
            f("symbol"),
            "a multi-leg order's symbol must be empty; symbols go on the legs",
        ));
    }
    for (i, leg) in o.legs.iter().enumerate() {
        let lp = format!("{p}legs[{i}].");
        let only = CreateOrder {
            symbol: leg.symbol.clone(),
            side: leg.side.clone(),
            quantity: leg.quantity,
            ..Default::default()
        };
        if &only != leg {
            return Err(Error::validation(
                format!("{lp}legs"),
                "a leg of a multi-leg order carries only symbol, quantity and side",
            ));
        }
        if leg.symbol.as_deref().is_none_or(|s| s.trim().is_empty()) {
            return Err(Error::validation(
                format!("{lp}symbol"),
                "each leg needs a symbol",
            ));
        }
        if leg.side.is_none() {
            return Err(Error::validation(
                format!("{lp}side"),
                "each leg needs a side",
            ));
        }
        positive(
            &format!("{lp}quantity"),
            leg.quantity,
            "each leg's quantity",
        )?;
    }
    Ok(())
}

fn validate_conditional(o: &CreateOrder, kind: &OrderType, p: &str) -> Result<()> {
    let f = |name: &str| format!("{p}{name}");
    let expected = if *kind == OrderType::OneTriggerOneCancelOther {
        3
    } else {
        2
    };
    if o.legs.len() != expected {
        return Err(Error::validation(
            f("legs"),
            format!("a {kind} order has exactly {expected} legs"),
        ));
    }
    if o.symbol.as_deref().is_some_and(|s| !s.is_empty()) {
        return Err(Error::validation(
            f("symbol"),
            "a conditional order's symbol must be empty; symbols go on the legs",
        ));
    }
    for (i, leg) in o.legs.iter().enumerate() {
        validate_at(leg, &format!("{p}legs[{i}]."))?;
    }
    let is_market = |l: &CreateOrder| l.r#type == Some(OrderType::Market);
    match kind {
        OrderType::OneTriggerOther | OrderType::OneTriggerOneCancelOther
            if is_market(&o.legs[0]) =>
        {
            Err(Error::validation(
                f("legs[0].type"),
                "the triggering order of a conditional order may not be a market order",
            ))
        }
        OrderType::OneCancelOther if o.legs.iter().all(is_market) => Err(Error::validation(
            f("legs"),
            "the two orders of a one-cancels-other may not both be market orders",
        )),
        _ => Ok(()),
    }
}

/// Checks a replace body: `Id` positive and equal to the order being replaced, quantities and prices positive,
/// and the price a limit or stop type needs.
pub fn validate_modify(order_id: i32, m: &ModifyOrder) -> Result<()> {
    if m.id <= 0 {
        return Err(Error::validation("id", "the order id is required"));
    }
    if m.id != order_id {
        return Err(Error::validation(
            "id",
            format!(
                "the body's Id {} is not the order {order_id} being replaced",
                m.id
            ),
        ));
    }
    for (field, v) in [
        ("quantity", m.quantity),
        ("price", m.price),
        ("stop_price", m.stop_price),
    ] {
        if let Some(d) = v {
            if d <= Decimal::ZERO {
                return Err(Error::validation(
                    field,
                    format!("must be positive, not {d}"),
                ));
            }
        }
    }
    match m.r#type {
        Some(OrderType::Limit) if m.price.is_none() => Err(Error::validation(
            "price",
            "a limit order's price is required",
        )),
        Some(OrderType::Stop) if m.stop_price.is_none() => Err(Error::validation(
            "stop_price",
            "a stop order's stop price is required",
        )),
        Some(OrderType::StopLimit) if m.price.is_none() || m.stop_price.is_none() => {
            Err(Error::validation(
                if m.price.is_none() {
                    "price"
                } else {
                    "stop_price"
                },
                "a stop-limit order needs both prices",
            ))
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    fn field_of(r: OrderRequest) -> String {
        r.build().unwrap_err().field().unwrap().to_string()
    }

    #[test]
    fn every_simple_type_builds() {
        let b = OrderSide::Buy;
        for r in [
            OrderRequest::market("AAPL", b.clone(), 1),
            OrderRequest::limit("AAPL", b.clone(), 1, d("10.15")),
            OrderRequest::stop("AAPL", b.clone(), 1, d("9")),
            OrderRequest::stop_limit("AAPL", b.clone(), 1, d("9"), d("9.5")),
            OrderRequest::trailing_stop("AAPL", OrderSide::Sell, 1, Trail::Percent(d("5"))),
            OrderRequest::trailing_stop_limit(
                "AAPL",
                OrderSide::Sell,
                1,
                Trail::Absolute(d("1")),
                Trail::Absolute(d("0.5")),
            ),
        ] {
            let o = r.build().unwrap();
            assert_eq!(o.client_id.as_ref().unwrap().len(), 32);
        }
    }

    #[test]
    fn each_documented_rule_names_its_field() {
        let b = OrderSide::Buy;
        let mut no_price = OrderRequest::limit("AAPL", b.clone(), 1, d("1"));
        no_price.order.price = None;
        assert_eq!(field_of(no_price), "price");
        let mut no_stop = OrderRequest::stop("AAPL", b.clone(), 1, d("1"));
        no_stop.order.stop_price = None;
        assert_eq!(field_of(no_stop), "stop_price");
        assert_eq!(
            field_of(OrderRequest::market("AAPL", b.clone(), 0)),
            "quantity"
        );
        assert_eq!(
            field_of(OrderRequest::market("AAPL", b.clone(), -3)),
            "quantity"
        );
        assert_eq!(field_of(OrderRequest::market("", b.clone(), 1)), "symbol");
        assert_eq!(
            field_of(OrderRequest::limit("AAPL", b.clone(), 1, d("-1"))),
            "price"
        );
        assert_eq!(
            field_of(OrderRequest::trailing_stop(
                "AAPL",
                b.clone(),
                1,
                Trail::Percent(d("150"))
            )),
            "trailing_stop_amount"
        );
        assert_eq!(
            field_of(
                OrderRequest::market("AAPL", b.clone(), 1).time_in_force(TimeInForce::GoodTillDate)
            ),
            "expire_date"
        );
        assert_eq!(
            field_of(OrderRequest::market("AAPL", b.clone(), 1).client_id("has space")),
            "client_id"
        );
    }

    #[test]
    fn spreads_follow_the_leg_rules() {
        let d1 = NaiveDate::from_ymd_opt(2030, 1, 18).unwrap();
        let c1 = osi_symbol("AAPL", d1, OptionRight::Call, d("165")).unwrap();
        let c2 = osi_symbol("AAPL", d1, OptionRight::Call, d("170")).unwrap();
        let legs = vec![
            OptionLeg::new(&c1, OrderSide::Buy, 1),
            OptionLeg::new(&c2, OrderSide::SellShort, 1),
        ];
        let ok = OrderRequest::spread_limit(1, d("2.10"), legs.clone())
            .build()
            .unwrap();
        assert_eq!(ok.symbol.as_deref(), Some(""));
        assert_eq!(ok.legs.len(), 2);
        let mut stop_spread = OrderRequest::spread_limit(1, d("2.10"), legs.clone());
        stop_spread.order.r#type = Some(OrderType::Stop);
        assert_eq!(field_of(stop_spread), "type");
        let mut fat_leg = OrderRequest::spread_market(1, legs.clone());
        fat_leg.order.legs[1].price = Some(d("1"));
        assert_eq!(field_of(fat_leg), "legs[1].legs");
        assert_eq!(
            field_of(OrderRequest::spread_market(1, legs[..1].to_vec())),
            "legs"
        );
        assert_eq!(
            field_of(OrderRequest::spread_limit(1, d("0"), legs)),
            "price"
        );
    }

    #[test]
    fn conditional_orders_follow_their_rules() {
        let lim = || OrderRequest::limit("AAPL", OrderSide::Buy, 1, d("100"));
        let mkt = || OrderRequest::market("AAPL", OrderSide::Sell, 1);
        OrderRequest::one_triggers_other(lim(), mkt())
            .build()
            .unwrap();
        assert_eq!(
            field_of(OrderRequest::one_triggers_other(mkt(), lim())),
            "legs[0].type"
        );
        OrderRequest::one_cancels_other(lim(), mkt())
            .build()
            .unwrap();
        assert_eq!(
            field_of(OrderRequest::one_cancels_other(mkt(), mkt())),
            "legs"
        );
        OrderRequest::bracket(
            lim(),
            lim(),
            OrderRequest::stop("AAPL", OrderSide::Sell, 1, d("90")),
        )
        .build()
        .unwrap();
        assert_eq!(
            field_of(OrderRequest::bracket(mkt(), lim(), lim())),
            "legs[0].type"
        );
        let mut bad_leg = OrderRequest::one_cancels_other(lim(), lim());
        bad_leg.order.legs[1].price = None;
        assert_eq!(field_of(bad_leg), "legs[1].price");
    }

    #[test]
    fn osi_symbols() {
        let day = NaiveDate::from_ymd_opt(2019, 5, 17).unwrap();
        assert_eq!(
            osi_symbol("stne", day, OptionRight::Put, d("55")).unwrap(),
            "STNE  190517P00055000"
        );
        assert_eq!(
            osi_symbol("X", day, OptionRight::Call, d("7.5")).unwrap(),
            "X     190517C00007500"
        );
        assert!(looks_like_osi("AAPL  190503C00165000"));
        assert!(!looks_like_osi("AAPL"));
        assert!(osi_symbol("AAPL", day, OptionRight::Call, d("1.0005")).is_err());
        assert!(osi_symbol("TOOLONGX", day, OptionRight::Call, d("1")).is_err());
    }

    #[test]
    fn modify_rules() {
        let m = ModifyOrder {
            id: 7,
            quantity: Some(d("5")),
            price: Some(d("49")),
            ..Default::default()
        };
        validate_modify(7, &m).unwrap();
        assert_eq!(validate_modify(8, &m).unwrap_err().field(), Some("id"));
        let m = ModifyOrder {
            id: 7,
            r#type: Some(OrderType::Limit),
            ..Default::default()
        };
        assert_eq!(validate_modify(7, &m).unwrap_err().field(), Some("price"));
    }
}

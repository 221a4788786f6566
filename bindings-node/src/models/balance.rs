//! Balances and buying power (core's hand-written `models/balance.rs`), as a JS object: every documented key
//! as a field and every key the server sent in `values`, all as decimal strings.

use std::collections::HashMap;

use napi_derive::napi;

use crate::values::dec;
use autoshares::models as m;

/// Balances and buying power of one account, from `GET /v1.0/accounts/{accountId}/info`: the documented keys
/// as fields, and every key the server sent (documented or not) in `values`, all as decimal strings.
#[napi(object)]
pub struct AccountBalance {
    /// Every value the server sent, by its wire key (`cash`, `stockBuyingPower`, ...).
    pub values: HashMap<String, String>,
    /// Cash balance (`cash`) (decimal string).
    pub cash: Option<String>,
    /// Net cash (`netCash`) (decimal string).
    pub net_cash: Option<String>,
    /// Excess equity (`excess`) (decimal string).
    pub excess: Option<String>,
    /// Change today in currency (`changeAbsolute`) (decimal string).
    pub change_absolute: Option<String>,
    /// Change today in percent (`changePercent`) (decimal string).
    pub change_percent: Option<String>,
    /// Total equity (`equityTotal`) (decimal string).
    pub equity_total: Option<String>,
    /// Number of pending orders (`pendingOrdersCount`) (decimal string).
    pub pending_orders_count: Option<String>,
    /// Net liquidation value (`netLiquidity`) (decimal string).
    pub net_liquidity: Option<String>,
    /// Market value of long stock (`stockLongMarketValue`) (decimal string).
    pub stock_long_market_value: Option<String>,
    /// Market value of short stock (`stockShortMarketValue`) (decimal string).
    pub stock_short_market_value: Option<String>,
    /// Market value of long options (`optionLongMarketValue`) (decimal string).
    pub option_long_market_value: Option<String>,
    /// Market value of short options (`optionShortMarketValue`) (decimal string).
    pub option_short_market_value: Option<String>,
    /// Market value of long forex (`forexLongMarketValue`) (decimal string).
    pub forex_long_market_value: Option<String>,
    /// Market value of short forex (`forexShortMarketValue`) (decimal string).
    pub forex_short_market_value: Option<String>,
    /// Day trades counted (`dayTrades`) (decimal string).
    pub day_trades: Option<String>,
    /// Buying power for stock (`stockBuyingPower`) (decimal string).
    pub stock_buying_power: Option<String>,
    /// Buying power for options (`optionBuyingPower`) (decimal string).
    pub option_buying_power: Option<String>,
    /// Buying power for forex (`forexBuyingPower`) (decimal string).
    pub forex_buying_power: Option<String>,
    /// Day-trading buying power (`dayTradingBuyingPower`) (decimal string).
    pub day_trading_buying_power: Option<String>,
    /// Cash pending settlement (`pendingCash`) (decimal string).
    pub pending_cash: Option<String>,
    /// Maintenance margin (`maintenanceMargin`) (decimal string).
    pub maintenance_margin: Option<String>,
    /// Option maintenance margin (`optionMaintenanceMargin`) (decimal string).
    pub option_maintenance_margin: Option<String>,
    /// Open profit and loss (`openPL`) (decimal string).
    pub open_pl: Option<String>,
    /// Closed profit and loss (`closePL`) (decimal string).
    pub close_pl: Option<String>,
    /// Market value of all positions (`marketValue`) (decimal string).
    pub market_value: Option<String>,
}

impl From<m::AccountBalance> for AccountBalance {
    fn from(v: m::AccountBalance) -> Self {
        AccountBalance {
            cash: dec(v.cash()),
            net_cash: dec(v.net_cash()),
            excess: dec(v.excess()),
            change_absolute: dec(v.change_absolute()),
            change_percent: dec(v.change_percent()),
            equity_total: dec(v.equity_total()),
            pending_orders_count: dec(v.pending_orders_count()),
            net_liquidity: dec(v.net_liquidity()),
            stock_long_market_value: dec(v.stock_long_market_value()),
            stock_short_market_value: dec(v.stock_short_market_value()),
            option_long_market_value: dec(v.option_long_market_value()),
            option_short_market_value: dec(v.option_short_market_value()),
            forex_long_market_value: dec(v.forex_long_market_value()),
            forex_short_market_value: dec(v.forex_short_market_value()),
            day_trades: dec(v.day_trades()),
            stock_buying_power: dec(v.stock_buying_power()),
            option_buying_power: dec(v.option_buying_power()),
            forex_buying_power: dec(v.forex_buying_power()),
            day_trading_buying_power: dec(v.day_trading_buying_power()),
            pending_cash: dec(v.pending_cash()),
            maintenance_margin: dec(v.maintenance_margin()),
            option_maintenance_margin: dec(v.option_maintenance_margin()),
            open_pl: dec(v.open_pl()),
            close_pl: dec(v.close_pl()),
            market_value: dec(v.market_value()),
            values: v
                .values
                .into_iter()
                .map(|(k, d)| (k, d.to_string()))
                .collect(),
        }
    }
}

//! Hand-written models: the balance map (typed as `map<string, number>` in the spec) and small helpers.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::generated::UserAccount;

impl UserAccount {
    /// Whether this is a paper-trading account.
    pub fn is_paper(&self) -> bool {
        self.clearing_firm.as_deref() == Some("PaperTrading")
    }
}

/// Balances and buying power of one account, from `GET /v1.0/accounts/{accountId}/info`.
///
/// The server sends a flat object of lowerCamelCase keys to numbers (`cash`, `stockBuyingPower`, ...); the
/// spec types it as a map, so every key is kept (exactly, as [`Decimal`]) and the documented ones have accessors.
///
/// ```
/// let b: autoshares::models::AccountBalance =
///     serde_json::from_str(r#"{"cash": 100000.15, "stockBuyingPower": 200000.30}"#).unwrap();
/// assert_eq!(b.cash().unwrap().to_string(), "100000.15");
/// assert_eq!(b.get("stockBuyingPower"), b.stock_buying_power());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct AccountBalance {
    /// Every value the server sent, by its wire key.
    pub values: BTreeMap<String, Decimal>,
}

macro_rules! balance_keys {
    ($($fn_name:ident => $key:literal: $doc:literal,)+) => {
        impl AccountBalance {
            /// The documented balance keys, in the order the docs list them.
            pub const KEYS: &'static [&'static str] = &[$($key),+];
            $(
                #[doc = $doc]
                pub fn $fn_name(&self) -> Option<Decimal> {
                    self.get($key)
                }
            )+
        }
    };
}

impl AccountBalance {
    /// The value of any key, documented or not.
    pub fn get(&self, key: &str) -> Option<Decimal> {
        self.values.get(key).copied()
    }
}

balance_keys! {
    cash => "cash": "Cash balance (`cash`).",
    net_cash => "netCash": "Net cash (`netCash`).",
    excess => "excess": "Excess equity (`excess`).",
    change_absolute => "changeAbsolute": "Change today in currency (`changeAbsolute`).",
    change_percent => "changePercent": "Change today in percent (`changePercent`).",
    equity_total => "equityTotal": "Total equity (`equityTotal`).",
    pending_orders_count => "pendingOrdersCount": "Number of pending orders (`pendingOrdersCount`).",
    net_liquidity => "netLiquidity": "Net liquidation value (`netLiquidity`).",
    stock_long_market_value => "stockLongMarketValue": "Market value of long stock (`stockLongMarketValue`).",
    stock_short_market_value => "stockShortMarketValue": "Market value of short stock (`stockShortMarketValue`).",
    option_long_market_value => "optionLongMarketValue": "Market value of long options (`optionLongMarketValue`).",
    option_short_market_value => "optionShortMarketValue": "Market value of short options (`optionShortMarketValue`).",
    forex_long_market_value => "forexLongMarketValue": "Market value of long forex (`forexLongMarketValue`).",
    forex_short_market_value => "forexShortMarketValue": "Market value of short forex (`forexShortMarketValue`).",
    day_trades => "dayTrades": "Day trades counted (`dayTrades`).",
    stock_buying_power => "stockBuyingPower": "Buying power for stock (`stockBuyingPower`).",
    option_buying_power => "optionBuyingPower": "Buying power for options (`optionBuyingPower`).",
    forex_buying_power => "forexBuyingPower": "Buying power for forex (`forexBuyingPower`).",
    day_trading_buying_power => "dayTradingBuyingPower": "Day-trading buying power (`dayTradingBuyingPower`).",
    pending_cash => "pendingCash": "Cash pending settlement (`pendingCash`).",
    maintenance_margin => "maintenanceMargin": "Maintenance margin (`maintenanceMargin`).",
    option_maintenance_margin => "optionMaintenanceMargin": "Option maintenance margin (`optionMaintenanceMargin`).",
    open_pl => "openPL": "Open profit and loss (`openPL`).",
    close_pl => "closePL": "Closed profit and loss (`closePL`).",
    market_value => "marketValue": "Market value of all positions (`marketValue`).",
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::*;
    use std::str::FromStr;

    #[test]
    fn money_is_exact_and_ssn_is_redacted() {
        let json = r#"[{"Id":6303,"ClearingAccount":"5DP05506","Cash":100000.10,"MarginInterestRate":0.0725,
            "SSN":"123-45-6789","OwnerType":"IRA_Roth","Status":"Approved","CreatedDate":"2019-01-22T14:30:03.71Z",
            "AdditionalInfo":{"k":"v"}}]"#;
        let accounts: Vec<Account> = serde_json::from_str(json).unwrap();
        let a = &accounts[0];
        assert_eq!(a.cash, Some(Decimal::from_str("100000.10").unwrap()));
        assert_eq!(a.cash.unwrap().to_string(), "100000.10");
        assert_eq!(a.margin_interest_rate.unwrap().to_string(), "0.0725");
        assert_eq!(a.owner_type, Some(OwnerType::IraRoth));
        assert!(!format!("{a:?}").contains("6789"));
        let back = serde_json::to_string(a).unwrap();
        assert!(back.contains(r#""Cash":100000.10"#), "{back}");
    }

    #[test]
    fn balance_keeps_unknown_keys_exactly() {
        let b: AccountBalance =
            serde_json::from_str(r#"{"cash":0.1,"netCash":-12.345678901234567890,"brandNew":3}"#)
                .unwrap();
        assert_eq!(b.cash().unwrap().to_string(), "0.1");
        assert_eq!(b.net_cash().unwrap().to_string(), "-12.345678901234567890");
        assert_eq!(b.get("brandNew"), Some(Decimal::from(3)));
        assert_eq!(AccountBalance::KEYS.len(), 25);
    }

    #[test]
    fn a_wrong_type_names_the_field() {
        let json = r#"[{"Id":1,"Owners":[{"UserId":"seven"}]}]"#;
        let de = &mut serde_json::Deserializer::from_str(json);
        let err = serde_path_to_error::deserialize::<_, Vec<UserAccount>>(de).unwrap_err();
        assert_eq!(err.path().to_string(), "[0].Owners[0].UserId");
    }
}

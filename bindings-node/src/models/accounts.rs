//! Trading-account models (core `models/accounts.rs`) as plain JS objects; same shape as `models/users.rs`.
//!
//! Left out on purpose: `Account.ssn` (core keeps it as a redacted `Secret`; a plain JS object would print
//! it in every `console.log`).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use napi_derive::napi;

use super::users::UserInfo;
use crate::values::dec;
use autoshares::models as m;

/// A trading account bound to a user (`UserAccountModel`), from `GET /v1.0/users/{userId}/accounts`.
#[napi(object)]
pub struct UserAccount {
    /// Internal trading-account id: the `accountId` of every account-scoped call.
    pub id: i32,
    /// Account number at the clearing firm (e.g. `5DP05506`).
    pub clearing_account: Option<String>,
    /// What this user may do with the account.
    #[napi(ts_type = "'Full' | 'ReadOnly' | 'ClosePositionsOnly' | 'Owner' | (string & {})")]
    pub access_type: Option<String>,
    /// Cash or margin.
    #[napi(ts_type = "'Empty' | 'Cash' | 'Margin' | 'DayTrader' | 'MarginIra' | (string & {})")]
    pub margin_type: Option<String>,
    /// Ownership form.
    #[napi(
        ts_type = "'IndividualCustomer' | 'InstitutionalCustomer' | 'Combined' | 'EmployeeAccount' | 'MarketMaking' | 'OtherProprietary' | 'Unknown' | 'ErrorAccount' | 'Joint' | 'ForeignIndividual' | 'IRA' | 'MoneyPurchaseOrProfitSharing' | 'CommunityPropertyAccount' | 'CustodialAccount' | 'CorporateAccount' | 'GuardianAccount' | 'InvestmentClubAccount' | 'JointTenantsRightsOfSurvivorship' | 'JointTenantsInCommon' | 'PartnershipAccount' | 'RetirementAccount' | 'SoleProprietor' | 'TrustAccount' | 'InvestmentClub' | 'JointTenantsByEntirety' | 'EstateAccount' | 'ResidentAlienAccount' | 'TransferOnDeathAccount' | 'NonProfitAccount' | 'DVPAccount' | 'IRA_Simple' | 'IRA_Traditional' | 'IRA_Roth' | 'IRA_Sep' | 'IRA_Beneficiary' | 'LimitedLiabilityCo' | 'Broker' | (string & {})"
    )]
    pub owner_type: Option<String>,
    /// Whether the account is enabled.
    pub enabled: Option<bool>,
    /// The user's alias for the account.
    pub alias: Option<String>,
    /// Clearing firm (`PaperTrading` for paper accounts).
    pub clearing_firm: Option<String>,
    /// Whether this is an average-price account.
    pub is_average_account: Option<bool>,
    /// The account's owners.
    pub owners: Vec<UserInfo>,
    /// Account currency (e.g. `USD`).
    pub currency: Option<String>,
}

impl From<m::UserAccount> for UserAccount {
    fn from(v: m::UserAccount) -> Self {
        UserAccount {
            id: v.id,
            clearing_account: v.clearing_account,
            access_type: v.access_type.map(|e| e.to_string()),
            margin_type: v.margin_type.map(|e| e.to_string()),
            owner_type: v.owner_type.map(|e| e.to_string()),
            enabled: v.enabled,
            alias: v.alias,
            clearing_firm: v.clearing_firm,
            is_average_account: v.is_average_account,
            owners: v.owners.into_iter().map(Into::into).collect(),
            currency: v.currency,
        }
    }
}

/// A trading account record (`AccountModel`), from `GET /v1.0/accounts/{accountId}`.
#[napi(object)]
pub struct Account {
    /// Internal trading-account id.
    pub id: i32,
    /// Account number at the clearing firm.
    pub clearing_account: Option<String>,
    /// `FirstName`.
    pub first_name: Option<String>,
    /// `MiddleName`.
    pub middle_name: Option<String>,
    /// `LastName`.
    pub last_name: Option<String>,
    /// `DateOfBirth`.
    pub date_of_birth: Option<DateTime<Utc>>,
    /// `Login`.
    pub login: Option<String>,
    /// `Email`.
    pub email: Option<String>,
    /// `Phone`.
    pub phone: Option<String>,
    /// `CreatedDate`.
    pub created_date: Option<DateTime<Utc>>,
    /// `ModifiedDate`.
    pub modified_date: Option<DateTime<Utc>>,
    /// `Enabled`.
    pub enabled: Option<bool>,
    /// `IsChanged`.
    pub is_changed: Option<bool>,
    /// Cash balance (decimal string).
    pub cash: Option<String>,
    /// `Currency`.
    pub currency: Option<String>,
    /// `Status`.
    #[napi(
        ts_type = "'UnSpecified' | 'New' | 'SentToClearing' | 'Approved' | 'Rejected' | (string & {})"
    )]
    pub status: Option<String>,
    /// `CommissionPlan`.
    pub commission_plan: Option<String>,
    /// `RepCode`.
    pub rep_code: Option<String>,
    /// `MarginInterestRate` (money) (decimal string).
    pub margin_interest_rate: Option<String>,
    /// `CashInterestRate` (money) (decimal string).
    pub cash_interest_rate: Option<String>,
    /// `CloseEquity` (money) (decimal string).
    pub close_equity: Option<String>,
    /// `OpenExcess` (money) (decimal string).
    pub open_excess: Option<String>,
    /// `OptionLevel`.
    pub option_level: Option<i32>,
    /// `MarginType`.
    #[napi(ts_type = "'Empty' | 'Cash' | 'Margin' | 'DayTrader' | 'MarginIra' | (string & {})")]
    pub margin_type: Option<String>,
    /// `Permissions`.
    #[napi(
        ts_type = "'Empty' | 'LongStock' | 'ShortStock' | 'LongOption' | 'ShortOption' | 'AllowTrade' | 'AllowMargin' | 'AllowOpen' | (string & {})"
    )]
    pub permissions: Option<String>,
    /// `BaseCash` (money) (decimal string).
    pub base_cash: Option<String>,
    /// `OwnerType`.
    #[napi(
        ts_type = "'IndividualCustomer' | 'InstitutionalCustomer' | 'Combined' | 'EmployeeAccount' | 'MarketMaking' | 'OtherProprietary' | 'Unknown' | 'ErrorAccount' | 'Joint' | 'ForeignIndividual' | 'IRA' | 'MoneyPurchaseOrProfitSharing' | 'CommunityPropertyAccount' | 'CustodialAccount' | 'CorporateAccount' | 'GuardianAccount' | 'InvestmentClubAccount' | 'JointTenantsRightsOfSurvivorship' | 'JointTenantsInCommon' | 'PartnershipAccount' | 'RetirementAccount' | 'SoleProprietor' | 'TrustAccount' | 'InvestmentClub' | 'JointTenantsByEntirety' | 'EstateAccount' | 'ResidentAlienAccount' | 'TransferOnDeathAccount' | 'NonProfitAccount' | 'DVPAccount' | 'IRA_Simple' | 'IRA_Traditional' | 'IRA_Roth' | 'IRA_Sep' | 'IRA_Beneficiary' | 'LimitedLiabilityCo' | 'Broker' | (string & {})"
    )]
    pub owner_type: Option<String>,
    /// `DayTradingBuyingPower` (money) (decimal string).
    pub day_trading_buying_power: Option<String>,
    /// `DayTrades`.
    pub day_trades: Option<i32>,
    /// `SmaBalance` (money) (decimal string).
    pub sma_balance: Option<String>,
    /// `HouseCall` (money) (decimal string).
    pub house_call: Option<String>,
    /// `MaintenanceCall` (money) (decimal string).
    pub maintenance_call: Option<String>,
    /// `EquityCall` (money) (decimal string).
    pub equity_call: Option<String>,
    /// `InitialCall` (money) (decimal string).
    pub initial_call: Option<String>,
    /// `DayTradeCall` (money) (decimal string).
    pub day_trade_call: Option<String>,
    /// `CashCall` (money) (decimal string).
    pub cash_call: Option<String>,
    /// `NewHouseCall` (money) (decimal string).
    pub new_house_call: Option<String>,
    /// `TradeDayBalance` (money) (decimal string).
    pub trade_day_balance: Option<String>,
    /// `MoneyMarket` (money) (decimal string).
    pub money_market: Option<String>,
    /// `Cip` (money) (decimal string).
    pub cip: Option<String>,
    /// `IsAverageAccount`.
    pub is_average_account: Option<bool>,
    /// `MarginEquity` (money) (decimal string).
    pub margin_equity: Option<String>,
    /// `ClearingFirm`.
    pub clearing_firm: Option<String>,
    /// `ExcessEquity` (money) (decimal string).
    pub excess_equity: Option<String>,
    /// `Fdid`.
    pub fdid: Option<String>,
    /// `DayTraderRate` (money) (decimal string).
    pub day_trader_rate: Option<String>,
    /// `AccountHolder`.
    pub account_holder: Option<String>,
    /// `EquityTotal` (money) (decimal string).
    pub equity_total: Option<String>,
    /// `FixedAccountType`.
    pub fixed_account_type: Option<bool>,
    /// `SkipClearing`.
    pub skip_clearing: Option<bool>,
    /// `SubscriptionPlanId`.
    pub subscription_plan_id: Option<i32>,
    /// `Sweep` (money) (decimal string).
    pub sweep: Option<String>,
    /// `IsSolicitedAccount`.
    pub is_solicited_account: Option<bool>,
    /// `AccountName`.
    pub account_name: Option<String>,
    /// `UnsettledCash` (money) (decimal string).
    pub unsettled_cash: Option<String>,
    /// `MarketValue` (money) (decimal string).
    pub market_value: Option<String>,
    /// `OpenPL` (money) (decimal string).
    pub open_pl: Option<String>,
    /// `OpenPLPercent` (money) (decimal string).
    pub open_pl_percent: Option<String>,
    /// Free-form extra data.
    pub additional_info: std::collections::HashMap<String, String>,
    /// `CompanyName`.
    pub company_name: Option<String>,
    /// `AvailableToWithdraw` (money) (decimal string).
    pub available_to_withdraw: Option<String>,
    /// Id of the owning user.
    pub user_id: Option<i32>,
}

impl From<m::Account> for Account {
    fn from(v: m::Account) -> Self {
        Account {
            id: v.id,
            clearing_account: v.clearing_account,
            first_name: v.first_name,
            middle_name: v.middle_name,
            last_name: v.last_name,
            date_of_birth: v.date_of_birth,
            login: v.login,
            email: v.email,
            phone: v.phone,
            created_date: v.created_date,
            modified_date: v.modified_date,
            enabled: v.enabled,
            is_changed: v.is_changed,
            cash: dec(v.cash),
            currency: v.currency,
            status: v.status.map(|e| e.to_string()),
            commission_plan: v.commission_plan,
            rep_code: v.rep_code,
            margin_interest_rate: dec(v.margin_interest_rate),
            cash_interest_rate: dec(v.cash_interest_rate),
            close_equity: dec(v.close_equity),
            open_excess: dec(v.open_excess),
            option_level: v.option_level,
            margin_type: v.margin_type.map(|e| e.to_string()),
            permissions: v.permissions.map(|e| e.to_string()),
            base_cash: dec(v.base_cash),
            owner_type: v.owner_type.map(|e| e.to_string()),
            day_trading_buying_power: dec(v.day_trading_buying_power),
            day_trades: v.day_trades,
            sma_balance: dec(v.sma_balance),
            house_call: dec(v.house_call),
            maintenance_call: dec(v.maintenance_call),
            equity_call: dec(v.equity_call),
            initial_call: dec(v.initial_call),
            day_trade_call: dec(v.day_trade_call),
            cash_call: dec(v.cash_call),
            new_house_call: dec(v.new_house_call),
            trade_day_balance: dec(v.trade_day_balance),
            money_market: dec(v.money_market),
            cip: dec(v.cip),
            is_average_account: v.is_average_account,
            margin_equity: dec(v.margin_equity),
            clearing_firm: v.clearing_firm,
            excess_equity: dec(v.excess_equity),
            fdid: v.fdid,
            day_trader_rate: dec(v.day_trader_rate),
            account_holder: v.account_holder,
            equity_total: dec(v.equity_total),
            fixed_account_type: v.fixed_account_type,
            skip_clearing: v.skip_clearing,
            subscription_plan_id: v.subscription_plan_id,
            sweep: dec(v.sweep),
            is_solicited_account: v.is_solicited_account,
            account_name: v.account_name,
            unsettled_cash: dec(v.unsettled_cash),
            market_value: dec(v.market_value),
            open_pl: dec(v.open_pl),
            open_pl_percent: dec(v.open_pl_percent),
            additional_info: v.additional_info.into_iter().collect(),
            company_name: v.company_name,
            available_to_withdraw: dec(v.available_to_withdraw),
            user_id: v.user_id,
        }
    }
}

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

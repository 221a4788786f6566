//! Trading accounts, balances and buying power (`UserAccounts_*` operations).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::common::{iso_datetime, string_enum};
use super::users::UserInfo;
use crate::Secret;

string_enum! {
    /// What the user may do with an account.
    pub enum AccessType {
        /// Full trading access.
        Full = "Full",
        /// Read only.
        ReadOnly = "ReadOnly",
        /// May only close positions.
        ClosePositionsOnly = "ClosePositionsOnly",
        /// The account's owner.
        Owner = "Owner",
    }
}

string_enum! {
    /// Cash or margin account.
    pub enum MarginType {
        /// Not set.
        Empty = "Empty",
        /// Cash account.
        Cash = "Cash",
        /// Margin account.
        Margin = "Margin",
        /// Pattern day trader.
        DayTrader = "DayTrader",
        /// Margin IRA.
        MarginIra = "MarginIra",
    }
}

string_enum! {
    /// Account opening status.
    pub enum AccountStatus {
        /// Not specified.
        UnSpecified = "UnSpecified",
        /// New.
        New = "New",
        /// Sent to the clearing firm.
        SentToClearing = "SentToClearing",
        /// Approved.
        Approved = "Approved",
        /// Rejected.
        Rejected = "Rejected",
    }
}

string_enum! {
    /// Trading permission of an account.
    pub enum AccountPermission {
        /// None.
        Empty = "Empty",
        /// Long stock.
        LongStock = "LongStock",
        /// Short stock.
        ShortStock = "ShortStock",
        /// Long options.
        LongOption = "LongOption",
        /// Short options.
        ShortOption = "ShortOption",
        /// Trading allowed.
        AllowTrade = "AllowTrade",
        /// Margin allowed.
        AllowMargin = "AllowMargin",
        /// Opening positions allowed.
        AllowOpen = "AllowOpen",
    }
}

string_enum! {
    /// Legal form of the account's ownership.
    pub enum OwnerType {
        /// `IndividualCustomer`.
        IndividualCustomer = "IndividualCustomer",
        /// `InstitutionalCustomer`.
        InstitutionalCustomer = "InstitutionalCustomer",
        /// `Combined`.
        Combined = "Combined",
        /// `EmployeeAccount`.
        EmployeeAccount = "EmployeeAccount",
        /// `MarketMaking`.
        MarketMaking = "MarketMaking",
        /// `OtherProprietary`.
        OtherProprietary = "OtherProprietary",
        /// `Unknown`.
        Unknown = "Unknown",
        /// `ErrorAccount`.
        ErrorAccount = "ErrorAccount",
        /// `Joint`.
        Joint = "Joint",
        /// `ForeignIndividual`.
        ForeignIndividual = "ForeignIndividual",
        /// `IRA`.
        Ira = "IRA",
        /// `MoneyPurchaseOrProfitSharing`.
        MoneyPurchaseOrProfitSharing = "MoneyPurchaseOrProfitSharing",
        /// `CommunityPropertyAccount`.
        CommunityPropertyAccount = "CommunityPropertyAccount",
        /// `CustodialAccount`.
        CustodialAccount = "CustodialAccount",
        /// `CorporateAccount`.
        CorporateAccount = "CorporateAccount",
        /// `GuardianAccount`.
        GuardianAccount = "GuardianAccount",
        /// `InvestmentClubAccount`.
        InvestmentClubAccount = "InvestmentClubAccount",
        /// `JointTenantsRightsOfSurvivorship`.
        JointTenantsRightsOfSurvivorship = "JointTenantsRightsOfSurvivorship",
        /// `JointTenantsInCommon`.
        JointTenantsInCommon = "JointTenantsInCommon",
        /// `PartnershipAccount`.
        PartnershipAccount = "PartnershipAccount",
        /// `RetirementAccount`.
        RetirementAccount = "RetirementAccount",
        /// `SoleProprietor`.
        SoleProprietor = "SoleProprietor",
        /// `TrustAccount`.
        TrustAccount = "TrustAccount",
        /// `InvestmentClub`.
        InvestmentClub = "InvestmentClub",
        /// `JointTenantsByEntirety`.
        JointTenantsByEntirety = "JointTenantsByEntirety",
        /// `EstateAccount`.
        EstateAccount = "EstateAccount",
        /// `ResidentAlienAccount`.
        ResidentAlienAccount = "ResidentAlienAccount",
        /// `TransferOnDeathAccount`.
        TransferOnDeathAccount = "TransferOnDeathAccount",
        /// `NonProfitAccount`.
        NonProfitAccount = "NonProfitAccount",
        /// `DVPAccount`.
        DvpAccount = "DVPAccount",
        /// `IRA_Simple`.
        IraSimple = "IRA_Simple",
        /// `IRA_Traditional`.
        IraTraditional = "IRA_Traditional",
        /// `IRA_Roth`.
        IraRoth = "IRA_Roth",
        /// `IRA_Sep`.
        IraSep = "IRA_Sep",
        /// `IRA_Beneficiary`.
        IraBeneficiary = "IRA_Beneficiary",
        /// `LimitedLiabilityCo`.
        LimitedLiabilityCo = "LimitedLiabilityCo",
        /// `Broker`.
        Broker = "Broker",
    }
}

/// A trading account bound to a user (`UserAccountModel`), from `GET /v1.0/users/{userId}/accounts`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UserAccount {
    /// Internal trading-account id: the `accountId` of every account-scoped call.
    pub id: i32,
    /// Account number at the clearing firm (e.g. `5DP05506`).
    #[serde(default)]
    pub clearing_account: Option<String>,
    /// What this user may do with the account.
    #[serde(default)]
    pub access_type: Option<AccessType>,
    /// Cash or margin.
    #[serde(default)]
    pub margin_type: Option<MarginType>,
    /// Ownership form.
    #[serde(default)]
    pub owner_type: Option<OwnerType>,
    /// Whether the account is enabled.
    #[serde(default)]
    pub enabled: Option<bool>,
    /// The user's alias for the account.
    #[serde(default)]
    pub alias: Option<String>,
    /// Clearing firm (`PaperTrading` for paper accounts).
    #[serde(default)]
    pub clearing_firm: Option<String>,
    /// Whether this is an average-price account.
    #[serde(default)]
    pub is_average_account: Option<bool>,
    /// The account's owners.
    #[serde(default)]
    pub owners: Vec<UserInfo>,
    /// Account currency (e.g. `USD`).
    #[serde(default)]
    pub currency: Option<String>,
}

impl UserAccount {
    /// Whether this is a paper-trading account.
    pub fn is_paper(&self) -> bool {
        self.clearing_firm.as_deref() == Some("PaperTrading")
    }
}

/// A trading account record (`AccountModel`), from `GET /v1.0/accounts/{accountId}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Account {
    /// Internal trading-account id.
    pub id: i32,
    /// Account number at the clearing firm.
    #[serde(default)]
    pub clearing_account: Option<String>,
    /// `FirstName`.
    #[serde(default)]
    pub first_name: Option<String>,
    /// `MiddleName`.
    #[serde(default)]
    pub middle_name: Option<String>,
    /// `LastName`.
    #[serde(default)]
    pub last_name: Option<String>,
    /// `DateOfBirth`.
    #[serde(default, with = "iso_datetime")]
    pub date_of_birth: Option<DateTime<Utc>>,
    /// `Login`.
    #[serde(default)]
    pub login: Option<String>,
    /// `Email`.
    #[serde(default)]
    pub email: Option<String>,
    /// `Phone`.
    #[serde(default)]
    pub phone: Option<String>,
    /// `CreatedDate`.
    #[serde(default, with = "iso_datetime")]
    pub created_date: Option<DateTime<Utc>>,
    /// `ModifiedDate`.
    #[serde(default, with = "iso_datetime")]
    pub modified_date: Option<DateTime<Utc>>,
    /// `Enabled`.
    #[serde(default)]
    pub enabled: Option<bool>,
    /// `IsChanged`.
    #[serde(default)]
    pub is_changed: Option<bool>,
    /// Cash balance.
    #[serde(default)]
    pub cash: Option<Decimal>,
    /// `Currency`.
    #[serde(default)]
    pub currency: Option<String>,
    /// `Status`.
    #[serde(default)]
    pub status: Option<AccountStatus>,
    /// `CommissionPlan`.
    #[serde(default)]
    pub commission_plan: Option<String>,
    /// `RepCode`.
    #[serde(default)]
    pub rep_code: Option<String>,
    /// `MarginInterestRate` (money).
    #[serde(default)]
    pub margin_interest_rate: Option<Decimal>,
    /// `CashInterestRate` (money).
    #[serde(default)]
    pub cash_interest_rate: Option<Decimal>,
    /// `CloseEquity` (money).
    #[serde(default)]
    pub close_equity: Option<Decimal>,
    /// `OpenExcess` (money).
    #[serde(default)]
    pub open_excess: Option<Decimal>,
    /// `OptionLevel`.
    #[serde(default)]
    pub option_level: Option<i32>,
    /// `MarginType`.
    #[serde(default)]
    pub margin_type: Option<MarginType>,
    /// `Permissions`.
    #[serde(default)]
    pub permissions: Option<AccountPermission>,
    /// `BaseCash` (money).
    #[serde(default)]
    pub base_cash: Option<Decimal>,
    /// `OwnerType`.
    #[serde(default)]
    pub owner_type: Option<OwnerType>,
    /// `DayTradingBuyingPower` (money).
    #[serde(default)]
    pub day_trading_buying_power: Option<Decimal>,
    /// `DayTrades`.
    #[serde(default)]
    pub day_trades: Option<i32>,
    /// `SmaBalance` (money).
    #[serde(default)]
    pub sma_balance: Option<Decimal>,
    /// `HouseCall` (money).
    #[serde(default)]
    pub house_call: Option<Decimal>,
    /// `MaintenanceCall` (money).
    #[serde(default)]
    pub maintenance_call: Option<Decimal>,
    /// `EquityCall` (money).
    #[serde(default)]
    pub equity_call: Option<Decimal>,
    /// `InitialCall` (money).
    #[serde(default)]
    pub initial_call: Option<Decimal>,
    /// `DayTradeCall` (money).
    #[serde(default)]
    pub day_trade_call: Option<Decimal>,
    /// `CashCall` (money).
    #[serde(default)]
    pub cash_call: Option<Decimal>,
    /// `NewHouseCall` (money).
    #[serde(default)]
    pub new_house_call: Option<Decimal>,
    /// `TradeDayBalance` (money).
    #[serde(default)]
    pub trade_day_balance: Option<Decimal>,
    /// `MoneyMarket` (money).
    #[serde(default)]
    pub money_market: Option<Decimal>,
    /// `Cip` (money).
    #[serde(default)]
    pub cip: Option<Decimal>,
    /// `IsAverageAccount`.
    #[serde(default)]
    pub is_average_account: Option<bool>,
    /// `MarginEquity` (money).
    #[serde(default)]
    pub margin_equity: Option<Decimal>,
    /// `ClearingFirm`.
    #[serde(default)]
    pub clearing_firm: Option<String>,
    /// `ExcessEquity` (money).
    #[serde(default)]
    pub excess_equity: Option<Decimal>,
    /// `Fdid`.
    #[serde(default)]
    pub fdid: Option<String>,
    /// `DayTraderRate` (money).
    #[serde(default)]
    pub day_trader_rate: Option<Decimal>,
    /// `AccountHolder`.
    #[serde(default)]
    pub account_holder: Option<String>,
    /// `EquityTotal` (money).
    #[serde(default)]
    pub equity_total: Option<Decimal>,
    /// `FixedAccountType`.
    #[serde(default)]
    pub fixed_account_type: Option<bool>,
    /// `SkipClearing`.
    #[serde(default)]
    pub skip_clearing: Option<bool>,
    /// Social security number of the holder (redacted when printed).
    #[serde(default, rename = "SSN")]
    pub ssn: Option<Secret>,
    /// `SubscriptionPlanId`.
    #[serde(default)]
    pub subscription_plan_id: Option<i32>,
    /// `Sweep` (money).
    #[serde(default)]
    pub sweep: Option<Decimal>,
    /// `IsSolicitedAccount`.
    #[serde(default)]
    pub is_solicited_account: Option<bool>,
    /// `AccountName`.
    #[serde(default)]
    pub account_name: Option<String>,
    /// `UnsettledCash` (money).
    #[serde(default)]
    pub unsettled_cash: Option<Decimal>,
    /// `MarketValue` (money).
    #[serde(default)]
    pub market_value: Option<Decimal>,
    /// `OpenPL` (money).
    #[serde(default, rename = "OpenPL")]
    pub open_pl: Option<Decimal>,
    /// `OpenPLPercent` (money).
    #[serde(default, rename = "OpenPLPercent")]
    pub open_pl_percent: Option<Decimal>,
    /// Free-form extra data.
    #[serde(default)]
    pub additional_info: Option<serde_json::Value>,
    /// `CompanyName`.
    #[serde(default)]
    pub company_name: Option<String>,
    /// `AvailableToWithdraw` (money).
    #[serde(default)]
    pub available_to_withdraw: Option<Decimal>,
    /// Id of the owning user.
    #[serde(default)]
    pub user_id: Option<i32>,
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
    use std::str::FromStr;

    #[test]
    fn money_is_exact_and_ssn_is_redacted() {
        let json = r#"[{"Id":6303,"ClearingAccount":"5DP05506","Cash":100000.10,"MarginInterestRate":0.0725,
            "SSN":"123-45-6789","OwnerType":"IRA_Roth","Status":"Approved","CreatedDate":"2019-01-22T14:30:03.71Z",
            "AdditionalInfo":{"k":1.5}}]"#;
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

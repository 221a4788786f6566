//! Wire models, with the spec's exact PascalCase field names, built from the state.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::Serialize;
use std::collections::BTreeMap;

use crate::config::MarginType;
use crate::engine::{buying_power, Valuation};
use crate::http::iso_millis;
use crate::state::{Account, User};

/// The spec's `UserInfoModel`.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct UserInfoModel {
    /// Internal user id.
    pub user_id: i32,
    /// First name.
    pub first_name: String,
    /// Middle name (empty).
    pub middle_name: String,
    /// Last name.
    pub last_name: String,
    /// Login.
    pub login: String,
    /// E-mail.
    pub email: String,
    /// Role id (0 = regular trader).
    pub role: i32,
    /// Creation date.
    #[serde(with = "iso_millis")]
    pub added_date: DateTime<Utc>,
    /// Salutation enum value.
    pub salutation: &'static str,
    /// Suffix enum value.
    pub suffix: &'static str,
    /// Date of birth.
    #[serde(with = "iso_millis")]
    pub date_of_birth: DateTime<Utc>,
}

impl From<&User> for UserInfoModel {
    fn from(u: &User) -> Self {
        UserInfoModel {
            user_id: u.id,
            first_name: u.seed.first_name.clone(),
            middle_name: String::new(),
            last_name: u.seed.last_name.clone(),
            login: u.seed.username.clone(),
            email: u.seed.email.clone(),
            role: 0,
            added_date: u.added_date,
            salutation: "NoSalutation",
            suffix: "NoSuffix",
            date_of_birth: u.date_of_birth,
        }
    }
}

/// The spec's `UserAccountModel` (an account as bound to a user).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct UserAccountModel {
    /// Account id.
    pub id: i32,
    /// Clearing account number.
    pub clearing_account: String,
    /// Access type of the user on the account.
    pub access_type: &'static str,
    /// Margin type.
    pub margin_type: MarginType,
    /// Owner type.
    pub owner_type: &'static str,
    /// Whether enabled.
    pub enabled: bool,
    /// Alias (empty).
    pub alias: String,
    /// Clearing firm, `"PaperTrading"`.
    pub clearing_firm: &'static str,
    /// Whether an average-price account.
    pub is_average_account: bool,
    /// Owners.
    pub owners: Vec<UserInfoModel>,
    /// Currency.
    pub currency: String,
}

/// The clearing firm of every sandbox account.
pub const CLEARING_FIRM: &str = "PaperTrading";

impl UserAccountModel {
    /// The model of `account` owned by `owner`.
    pub fn new(account: &Account, owner: &User) -> Self {
        UserAccountModel {
            id: account.id,
            clearing_account: account.clearing_account.clone(),
            access_type: "Owner",
            margin_type: account.margin_type,
            owner_type: "IndividualCustomer",
            enabled: true,
            alias: String::new(),
            clearing_firm: CLEARING_FIRM,
            is_average_account: false,
            owners: vec![UserInfoModel::from(owner)],
            currency: account.currency.clone(),
        }
    }
}

/// Balances and buying power of an account, the body of `GET /accounts/{id}/info` (lowerCamelCase keys).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountBalance {
    /// Cash.
    #[serde(with = "rust_decimal::serde::arbitrary_precision")]
    pub cash: Decimal,
    /// Cash net of pending debits.
    #[serde(with = "rust_decimal::serde::arbitrary_precision")]
    pub net_cash: Decimal,
    /// Excess equity.
    #[serde(with = "rust_decimal::serde::arbitrary_precision")]
    pub excess: Decimal,
    /// Change of equity today, absolute.
    #[serde(with = "rust_decimal::serde::arbitrary_precision")]
    pub change_absolute: Decimal,
    /// Change of equity today, percent.
    #[serde(with = "rust_decimal::serde::arbitrary_precision")]
    pub change_percent: Decimal,
    /// Total equity.
    #[serde(with = "rust_decimal::serde::arbitrary_precision")]
    pub equity_total: Decimal,
    /// Open orders.
    pub pending_orders_count: u32,
    /// Net liquidation value.
    #[serde(with = "rust_decimal::serde::arbitrary_precision")]
    pub net_liquidity: Decimal,
    /// Long stock market value.
    #[serde(with = "rust_decimal::serde::arbitrary_precision")]
    pub stock_long_market_value: Decimal,
    /// Short stock market value.
    #[serde(with = "rust_decimal::serde::arbitrary_precision")]
    pub stock_short_market_value: Decimal,
    /// Long option market value.
    #[serde(with = "rust_decimal::serde::arbitrary_precision")]
    pub option_long_market_value: Decimal,
    /// Short option market value.
    #[serde(with = "rust_decimal::serde::arbitrary_precision")]
    pub option_short_market_value: Decimal,
    /// Long forex market value.
    #[serde(with = "rust_decimal::serde::arbitrary_precision")]
    pub forex_long_market_value: Decimal,
    /// Short forex market value.
    #[serde(with = "rust_decimal::serde::arbitrary_precision")]
    pub forex_short_market_value: Decimal,
    /// Day trades in the rolling window.
    pub day_trades: u32,
    /// Stock buying power.
    #[serde(with = "rust_decimal::serde::arbitrary_precision")]
    pub stock_buying_power: Decimal,
    /// Option buying power.
    #[serde(with = "rust_decimal::serde::arbitrary_precision")]
    pub option_buying_power: Decimal,
    /// Forex buying power.
    #[serde(with = "rust_decimal::serde::arbitrary_precision")]
    pub forex_buying_power: Decimal,
    /// Day-trading buying power.
    #[serde(with = "rust_decimal::serde::arbitrary_precision")]
    pub day_trading_buying_power: Decimal,
    /// Cash of pending transfers.
    #[serde(with = "rust_decimal::serde::arbitrary_precision")]
    pub pending_cash: Decimal,
    /// Maintenance margin requirement.
    #[serde(with = "rust_decimal::serde::arbitrary_precision")]
    pub maintenance_margin: Decimal,
    /// Option maintenance margin requirement.
    #[serde(with = "rust_decimal::serde::arbitrary_precision")]
    pub option_maintenance_margin: Decimal,
    /// Open profit and loss.
    #[serde(with = "rust_decimal::serde::arbitrary_precision")]
    pub open_p_l: Decimal,
    /// Closed profit and loss.
    #[serde(with = "rust_decimal::serde::arbitrary_precision")]
    pub close_p_l: Decimal,
    /// Market value of all positions.
    #[serde(with = "rust_decimal::serde::arbitrary_precision")]
    pub market_value: Decimal,
}

impl AccountBalance {
    /// Computes the balance of an account without positions.
    pub fn of(account: &Account) -> Self {
        AccountBalance::valued(account, &Valuation::default())
    }

    /// Computes the balance of an account with its positions valued at the market: equity is cash
    /// plus market value; buying power is cash (cash accounts) or 2x excess equity (margin; 4x
    /// for day trading).
    pub fn valued(account: &Account, v: &Valuation) -> Self {
        let zero = Decimal::ZERO;
        let cash = account.cash;
        let market_value = v.market_value();
        let equity = cash + market_value;
        let stock_bp = buying_power(account.margin_type, cash, v);
        let day_bp = match account.margin_type {
            MarginType::Cash => stock_bp,
            MarginType::Margin => stock_bp * Decimal::TWO,
        };
        let base = account.base_cash;
        let change_percent = if base.is_zero() {
            zero
        } else {
            ((equity - base) * Decimal::ONE_HUNDRED / base).round_dp(2)
        };
        AccountBalance {
            cash,
            net_cash: cash,
            excess: (stock_bp / Decimal::TWO).round_dp(2),
            change_absolute: equity - base,
            change_percent,
            equity_total: equity,
            pending_orders_count: v.pending_orders,
            net_liquidity: equity,
            stock_long_market_value: v.stock_long,
            stock_short_market_value: v.stock_short,
            option_long_market_value: v.option_long,
            option_short_market_value: v.option_short,
            forex_long_market_value: zero,
            forex_short_market_value: zero,
            day_trades: 0,
            stock_buying_power: stock_bp,
            option_buying_power: stock_bp.min(cash.max(zero)),
            forex_buying_power: stock_bp,
            day_trading_buying_power: day_bp,
            pending_cash: zero,
            maintenance_margin: zero,
            option_maintenance_margin: zero,
            open_p_l: v.open_pl,
            close_p_l: v.closed_pl,
            market_value,
        }
    }
}

/// The spec's `AccountModel` (the full trading account record).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
#[allow(missing_docs)] // field names and meanings are the spec's
pub struct AccountModel {
    pub id: i32,
    pub clearing_account: String,
    pub first_name: String,
    pub middle_name: String,
    pub last_name: String,
    #[serde(with = "iso_millis")]
    pub date_of_birth: DateTime<Utc>,
    pub login: String,
    pub email: String,
    pub phone: String,
    #[serde(with = "iso_millis")]
    pub created_date: DateTime<Utc>,
    #[serde(with = "iso_millis")]
    pub modified_date: DateTime<Utc>,
    pub enabled: bool,
    pub is_changed: bool,
    #[serde(with = "rust_decimal::serde::arbitrary_precision")]
    pub cash: Decimal,
    pub currency: String,
    pub status: &'static str,
    pub commission_plan: String,
    pub rep_code: String,
    #[serde(with = "rust_decimal::serde::arbitrary_precision")]
    pub margin_interest_rate: Decimal,
    #[serde(with = "rust_decimal::serde::arbitrary_precision")]
    pub cash_interest_rate: Decimal,
    #[serde(with = "rust_decimal::serde::arbitrary_precision")]
    pub close_equity: Decimal,
    #[serde(with = "rust_decimal::serde::arbitrary_precision")]
    pub open_excess: Decimal,
    pub option_level: i32,
    pub margin_type: MarginType,
    pub permissions: &'static str,
    #[serde(with = "rust_decimal::serde::arbitrary_precision")]
    pub base_cash: Decimal,
    pub owner_type: &'static str,
    #[serde(with = "rust_decimal::serde::arbitrary_precision")]
    pub day_trading_buying_power: Decimal,
    pub day_trades: u32,
    #[serde(with = "rust_decimal::serde::arbitrary_precision")]
    pub sma_balance: Decimal,
    #[serde(with = "rust_decimal::serde::arbitrary_precision")]
    pub house_call: Decimal,
    #[serde(with = "rust_decimal::serde::arbitrary_precision")]
    pub maintenance_call: Decimal,
    #[serde(with = "rust_decimal::serde::arbitrary_precision")]
    pub equity_call: Decimal,
    #[serde(with = "rust_decimal::serde::arbitrary_precision")]
    pub initial_call: Decimal,
    #[serde(with = "rust_decimal::serde::arbitrary_precision")]
    pub day_trade_call: Decimal,
    #[serde(with = "rust_decimal::serde::arbitrary_precision")]
    pub cash_call: Decimal,
    #[serde(with = "rust_decimal::serde::arbitrary_precision")]
    pub new_house_call: Decimal,
    #[serde(with = "rust_decimal::serde::arbitrary_precision")]
    pub trade_day_balance: Decimal,
    #[serde(with = "rust_decimal::serde::arbitrary_precision")]
    pub money_market: Decimal,
    #[serde(with = "rust_decimal::serde::arbitrary_precision")]
    pub cip: Decimal,
    pub is_average_account: bool,
    #[serde(with = "rust_decimal::serde::arbitrary_precision")]
    pub margin_equity: Decimal,
    pub clearing_firm: &'static str,
    #[serde(with = "rust_decimal::serde::arbitrary_precision")]
    pub excess_equity: Decimal,
    pub fdid: String,
    #[serde(with = "rust_decimal::serde::arbitrary_precision")]
    pub day_trader_rate: Decimal,
    pub account_holder: String,
    #[serde(with = "rust_decimal::serde::arbitrary_precision")]
    pub equity_total: Decimal,
    pub fixed_account_type: bool,
    pub skip_clearing: bool,
    #[serde(rename = "SSN")]
    pub ssn: String,
    pub subscription_plan_id: i32,
    #[serde(with = "rust_decimal::serde::arbitrary_precision")]
    pub sweep: Decimal,
    pub is_solicited_account: bool,
    pub account_name: String,
    #[serde(with = "rust_decimal::serde::arbitrary_precision")]
    pub unsettled_cash: Decimal,
    #[serde(with = "rust_decimal::serde::arbitrary_precision")]
    pub market_value: Decimal,
    #[serde(with = "rust_decimal::serde::arbitrary_precision")]
    #[serde(rename = "OpenPL")]
    pub open_pl: Decimal,
    #[serde(with = "rust_decimal::serde::arbitrary_precision")]
    #[serde(rename = "OpenPLPercent")]
    pub open_pl_percent: Decimal,
    pub additional_info: BTreeMap<String, String>,
    pub company_name: String,
    #[serde(with = "rust_decimal::serde::arbitrary_precision")]
    pub available_to_withdraw: Decimal,
    pub user_id: i32,
}

impl AccountModel {
    /// The record of `account` owned by `owner`.
    pub fn new(account: &Account, owner: &User) -> Self {
        let b = AccountBalance::of(account);
        let zero = Decimal::ZERO;
        let margin = account.margin_type == MarginType::Margin;
        let holder = format!("{} {}", owner.seed.first_name, owner.seed.last_name);
        AccountModel {
            id: account.id,
            clearing_account: account.clearing_account.clone(),
            first_name: owner.seed.first_name.clone(),
            middle_name: String::new(),
            last_name: owner.seed.last_name.clone(),
            date_of_birth: owner.date_of_birth,
            login: owner.seed.username.clone(),
            email: owner.seed.email.clone(),
            phone: owner.phone.clone(),
            created_date: account.created_date,
            modified_date: account.created_date,
            enabled: true,
            is_changed: false,
            cash: account.cash,
            currency: account.currency.clone(),
            status: "Approved",
            commission_plan: "Zero".to_string(),
            rep_code: String::new(),
            margin_interest_rate: if margin { Decimal::new(800, 2) } else { zero },
            cash_interest_rate: zero,
            close_equity: b.equity_total,
            open_excess: b.excess,
            option_level: if margin { 3 } else { 1 },
            margin_type: account.margin_type,
            permissions: "AllowTrade",
            base_cash: account.base_cash,
            owner_type: "IndividualCustomer",
            day_trading_buying_power: b.day_trading_buying_power,
            day_trades: b.day_trades,
            sma_balance: if margin { b.cash } else { zero },
            house_call: zero,
            maintenance_call: zero,
            equity_call: zero,
            initial_call: zero,
            day_trade_call: zero,
            cash_call: zero,
            new_house_call: zero,
            trade_day_balance: b.cash,
            money_market: zero,
            cip: zero,
            is_average_account: false,
            margin_equity: if margin { b.equity_total } else { zero },
            clearing_firm: CLEARING_FIRM,
            excess_equity: b.excess,
            fdid: String::new(),
            day_trader_rate: zero,
            account_holder: holder.clone(),
            equity_total: b.equity_total,
            fixed_account_type: false,
            skip_clearing: true,
            ssn: String::new(),
            subscription_plan_id: 0,
            sweep: zero,
            is_solicited_account: false,
            account_name: holder,
            unsettled_cash: zero,
            market_value: b.market_value,
            open_pl: b.open_p_l,
            open_pl_percent: zero,
            additional_info: BTreeMap::new(),
            company_name: String::new(),
            available_to_withdraw: b.cash,
            user_id: owner.id,
        }
    }
}

//! `AccountBalance`, the one hand-written model class: the core keeps it as a map of wire keys
//! (`autoshares::models::AccountBalance`), so its attributes come from the core's documented key list instead of
//! struct fields. Every other model is generated (`scripts/gen_python.py`).

use autoshares::models as core;
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::convert::ToPy;

/// Balances and buying power of one account (from `client.accounts.balance(account_id)`): the documented keys as
/// attributes (`cash`, `stock_buying_power`, ...), every key the server sent in `values`, exact `Decimal`s.
#[pyclass(frozen, module = "autoshares.models")]
#[derive(Clone)]
pub struct AccountBalance {
    pub(crate) inner: core::AccountBalance,
}

impl From<core::AccountBalance> for AccountBalance {
    fn from(inner: core::AccountBalance) -> Self {
        AccountBalance { inner }
    }
}

macro_rules! balance_attributes {
    ($($attr:ident => $key:literal),* $(,)?) => {
        impl AccountBalance {
            /// The attribute names, with their wire keys.
            pub const FIELDS: &'static [&'static str] = &[$(stringify!($attr)),*];
            const KEYS: &'static [(&'static str, &'static str)] = &[$((stringify!($attr), $key)),*];
        }

        #[pymethods]
        impl AccountBalance {
            $(
                #[getter]
                fn $attr<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
                    self.inner.get($key).to_py(py)
                }
            )*
    /// Every value the server sent, by its wire key (documented or not).
    #[getter]
    fn values<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.inner.values.to_py(py)
    }

    /// The value of any wire key (`"stockBuyingPower"`), or `None`.
    fn get<'py>(&self, py: Python<'py>, key: &str) -> PyResult<Bound<'py, PyAny>> {
        self.inner.get(key).to_py(py)
    }

    /// The wire keys and values as a plain `dict`.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        Ok(self.inner.values.to_py(py)?.cast_into::<PyDict>()?)
    }

    fn __eq__<'py>(&self, py: Python<'py>, other: &Bound<'py, PyAny>) -> Py<PyAny> {
        use pyo3::IntoPyObjectExt;
        match other.cast::<Self>() {
            Ok(o) => (self.inner == o.get().inner).into_py_any(py).unwrap_or_else(|_| py.NotImplemented()),
            Err(_) => py.NotImplemented(),
        }
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        crate::model::repr(py, "AccountBalance", Self::FIELDS, &[], |f| self.value_of(py, f))
    }

    fn _repr_html_(&self, py: Python<'_>) -> PyResult<String> {
        crate::model::repr_html("AccountBalance", Self::FIELDS, &[], |f| self.value_of(py, f))
    }

    /// Pickling goes through the core's own JSON form (exact decimals).
    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<(Bound<'py, PyAny>, (String,))> {
        let json = crate::model::to_json(&slf.get().inner)?;
        Ok((slf.get_type().into_any().getattr("_from_json")?, (json,)))
    }

    #[staticmethod]
    fn _from_json(json: &str) -> PyResult<Self> {
        crate::model::from_json(json).map(|inner| AccountBalance { inner })
    }

        }
    };
}

balance_attributes! {
    cash => "cash", net_cash => "netCash", excess => "excess", change_absolute => "changeAbsolute",
    change_percent => "changePercent", equity_total => "equityTotal", pending_orders_count => "pendingOrdersCount",
    net_liquidity => "netLiquidity", stock_long_market_value => "stockLongMarketValue",
    stock_short_market_value => "stockShortMarketValue", option_long_market_value => "optionLongMarketValue",
    option_short_market_value => "optionShortMarketValue", forex_long_market_value => "forexLongMarketValue",
    forex_short_market_value => "forexShortMarketValue", day_trades => "dayTrades",
    stock_buying_power => "stockBuyingPower", option_buying_power => "optionBuyingPower",
    forex_buying_power => "forexBuyingPower", day_trading_buying_power => "dayTradingBuyingPower",
    pending_cash => "pendingCash", maintenance_margin => "maintenanceMargin",
    option_maintenance_margin => "optionMaintenanceMargin", open_pl => "openPL", close_pl => "closePL",
    market_value => "marketValue",
}

impl AccountBalance {
    fn value_of<'py>(&self, py: Python<'py>, attr: &str) -> PyResult<Bound<'py, PyAny>> {
        let key = Self::KEYS
            .iter()
            .find(|(a, _)| *a == attr)
            .map(|(_, k)| *k)
            .unwrap_or(attr);
        self.inner.get(key).to_py(py)
    }
}

impl ToPy for core::AccountBalance {
    fn to_py<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        Ok(Bound::new(py, AccountBalance::from(self.clone()))?.into_any())
    }
}

//! Trading-account operations (core `api/user_accounts.rs`): `client.accounts`.
//!
//! Shape, one block per core method, in `AsyncAccounts` (returns an awaitable via `spawn_async`) and `Accounts`
//! (blocks via `block_on`), same name and keyword arguments as the core method; see `users.rs` for the template.

use std::sync::Arc;

use pyo3::prelude::*;

use crate::client::Shared;
use crate::models::accounts::{Account, AccountBalance, UserAccount};
use crate::runtime::{block_on, spawn_async};
use crate::users::user_ref;

fn user_accounts(v: Vec<autoshares::models::UserAccount>) -> Vec<UserAccount> {
    v.into_iter().map(UserAccount::from).collect()
}

/// Trading-account operations, awaitable: `client.accounts` of an `AsyncClient`.
#[pyclass(frozen, module = "autoshares")]
pub struct AsyncAccounts {
    pub(crate) shared: Arc<Shared>,
}

#[pymethods]
impl AsyncAccounts {
    /// The trading accounts of the logged-in user.
    fn mine<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let c = self.shared.core(py)?;
        spawn_async(py, async move { c.accounts().mine().await }, user_accounts)
    }

    /// The trading accounts bound to a user (`UserAccounts_GetUserAccounts`); `user` is a user id or `"@me"`.
    #[pyo3(signature = (user = None))]
    fn of_user<'py>(
        &self,
        py: Python<'py>,
        user: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let c = self.shared.core(py)?;
        let user = user_ref(py, user)?;
        spawn_async(
            py,
            async move { c.accounts().of_user(user).await },
            user_accounts,
        )
    }

    /// One trading account's record (`UserAccounts_GetAccountsById`).
    fn get<'py>(&self, py: Python<'py>, account_id: i32) -> PyResult<Bound<'py, PyAny>> {
        let c = self.shared.core(py)?;
        spawn_async(
            py,
            async move { c.accounts().get(account_id).await },
            Account::from,
        )
    }

    /// Balances and buying power of one account (`UserAccounts_GetAccountBalanceInfo`).
    fn balance<'py>(&self, py: Python<'py>, account_id: i32) -> PyResult<Bound<'py, PyAny>> {
        let c = self.shared.core(py)?;
        spawn_async(
            py,
            async move { c.accounts().balance(account_id).await },
            AccountBalance::from,
        )
    }
}

/// Trading-account operations, blocking: `client.accounts` of a `Client`.
#[pyclass(frozen, module = "autoshares")]
pub struct Accounts {
    pub(crate) shared: Arc<Shared>,
}

#[pymethods]
impl Accounts {
    /// The trading accounts of the logged-in user.
    fn mine(&self, py: Python<'_>) -> PyResult<Vec<UserAccount>> {
        let c = self.shared.core(py)?;
        block_on(py, async move { c.accounts().mine().await }).map(user_accounts)
    }

    /// The trading accounts bound to a user (`UserAccounts_GetUserAccounts`); `user` is a user id or `"@me"`.
    #[pyo3(signature = (user = None))]
    fn of_user(
        &self,
        py: Python<'_>,
        user: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Vec<UserAccount>> {
        let c = self.shared.core(py)?;
        let user = user_ref(py, user)?;
        block_on(py, async move { c.accounts().of_user(user).await }).map(user_accounts)
    }

    /// One trading account's record (`UserAccounts_GetAccountsById`).
    fn get(&self, py: Python<'_>, account_id: i32) -> PyResult<Account> {
        let c = self.shared.core(py)?;
        block_on(py, async move { c.accounts().get(account_id).await }).map(Account::from)
    }

    /// Balances and buying power of one account (`UserAccounts_GetAccountBalanceInfo`).
    fn balance(&self, py: Python<'_>, account_id: i32) -> PyResult<AccountBalance> {
        let c = self.shared.core(py)?;
        block_on(py, async move { c.accounts().balance(account_id).await })
            .map(AccountBalance::from)
    }
}

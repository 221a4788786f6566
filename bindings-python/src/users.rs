//! User operations (core `api/users.rs`): `client.users`.
//!
//! Shape, one block per core method, in `AsyncUsers` (returns an awaitable via `spawn_async`) and `Users` (blocks
//! via `block_on`), same name and keyword arguments as the core method:
//!
//! ```text
//! fn <op>(&self, py, <args>) -> PyResult<..> {
//!     let c = self.shared.core(py)?;            // the core handle
//!     let <arg> = <convert>(<arg>)?;             // Python argument to core type
//!     spawn_async(py, async move { c.<area>().<op>(<arg>).await }, <Model>::from)   // or block_on(..).map(..)
//! }
//! ```

use std::sync::Arc;

use pyo3::prelude::*;

use autoshares::UserRef;

use crate::client::Shared;
use crate::models::users::UserInfo;
use crate::runtime::{block_on, spawn_async};

/// A user argument: `None` or `"@me"` for the logged-in user, or an internal user id (`int`).
pub fn user_ref(py: Python<'_>, user: Option<&Bound<'_, PyAny>>) -> PyResult<UserRef> {
    let Some(u) = user.filter(|u| !u.is_none()) else {
        return Ok(UserRef::Me);
    };
    if let Ok(id) = u.extract::<i32>() {
        if !u.is_instance_of::<pyo3::types::PyBool>() {
            return Ok(UserRef::Id(id));
        }
    }
    match u.extract::<String>() {
        Ok(s) if s == "@me" || s == "me" => Ok(UserRef::Me),
        _ => Err(crate::errors::validation(
            py,
            "user",
            format!("{} is neither a user id (int) nor \"@me\"", u.repr()?),
        )),
    }
}

/// User operations, awaitable: `client.users` of an `AsyncClient`.
#[pyclass(frozen, module = "autoshares")]
pub struct AsyncUsers {
    pub(crate) shared: Arc<Shared>,
}

#[pymethods]
impl AsyncUsers {
    /// The logged-in user's profile.
    fn me<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let c = self.shared.core(py)?;
        spawn_async(py, async move { c.users().me().await }, UserInfo::from)
    }

    /// A user's profile (`Users_GetUserInfo`); `user` is an internal user id or `"@me"`.
    #[pyo3(signature = (user = None))]
    fn info<'py>(
        &self,
        py: Python<'py>,
        user: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let c = self.shared.core(py)?;
        let user = user_ref(py, user)?;
        spawn_async(
            py,
            async move { c.users().info(user).await },
            UserInfo::from,
        )
    }

    /// Looks a user up by e-mail address (`Users_GetUserByEmail`).
    fn by_email<'py>(&self, py: Python<'py>, email: String) -> PyResult<Bound<'py, PyAny>> {
        let c = self.shared.core(py)?;
        spawn_async(
            py,
            async move { c.users().by_email(&email).await },
            UserInfo::from,
        )
    }
}

/// User operations, blocking: `client.users` of a `Client`.
#[pyclass(frozen, module = "autoshares")]
pub struct Users {
    pub(crate) shared: Arc<Shared>,
}

#[pymethods]
impl Users {
    /// The logged-in user's profile.
    fn me(&self, py: Python<'_>) -> PyResult<UserInfo> {
        let c = self.shared.core(py)?;
        block_on(py, async move { c.users().me().await }).map(UserInfo::from)
    }

    /// A user's profile (`Users_GetUserInfo`); `user` is an internal user id or `"@me"`.
    #[pyo3(signature = (user = None))]
    fn info(&self, py: Python<'_>, user: Option<&Bound<'_, PyAny>>) -> PyResult<UserInfo> {
        let c = self.shared.core(py)?;
        let user = user_ref(py, user)?;
        block_on(py, async move { c.users().info(user).await }).map(UserInfo::from)
    }

    /// Looks a user up by e-mail address (`Users_GetUserByEmail`).
    fn by_email(&self, py: Python<'_>, email: String) -> PyResult<UserInfo> {
        let c = self.shared.core(py)?;
        block_on(py, async move { c.users().by_email(&email).await }).map(UserInfo::from)
    }
}

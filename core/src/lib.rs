//! # autoshares
//!
//! The AutoShares (ETNA Trader) trading API from Rust: configuration, login (password with 2FA and PIN, or
//! OAuth 2.0 with PKCE), a retrying transport, typed models with exact decimals, and the REST operations.
//! The same core powers the Python and Node packages.
//!
//! ```no_run
//! # async fn run() -> autoshares::Result<()> {
//! use autoshares::{auth::PasswordLogin, Client, Config};
//!
//! let client = Client::builder()
//!     .config(Config::sandbox("http://127.0.0.1:8080", "sandbox-app-key")?)
//!     .login(PasswordLogin::new("trader", "trader-password"))
//!     .build()?;
//! let me = client.users().me().await?;
//! for account in client.accounts().mine().await? {
//!     let balance = client.accounts().balance(account.id).await?;
//!     println!("{} {:?}: cash {:?}", me.user_id, account.clearing_account, balance.cash());
//! }
//! # Ok(()) }
//! ```
#![warn(missing_docs)]

pub mod api;
pub mod auth;
mod client;
pub mod config;
mod error;
pub mod filter;
pub mod indicators;
pub mod journal;
pub mod models;
pub mod order_safety;
pub mod orders;
pub mod paging;
pub mod ratelimit;
mod secret;
pub mod stream;
pub mod transport;

pub use api::ext::UserRef;
pub use client::{Client, ClientBuilder};
pub use config::{Config, ConfigBuilder, Environment};
pub use error::{AuthErrorKind, Error, ErrorKind, Result};
pub use secret::Secret;

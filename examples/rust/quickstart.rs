//! Quickstart: start the paper-trading sandbox in-process, log in twice (password, then OAuth 2.0 with PKCE),
//! and print the user, the trading accounts and their balances.
//!
//! Run it with `make demo` or `cargo run -p autoshares-examples --bin quickstart`.

use autoshares::auth::{Browser, OAuthLogin, PasswordLogin};
use autoshares::{Client, Config};
use autoshares_sandbox::Sandbox;

async fn show(label: &str, client: &Client) -> autoshares::Result<()> {
    let me = client.users().me().await?;
    println!(
        "[{label}] user {} {} {} <{}>",
        me.user_id,
        me.first_name.as_deref().unwrap_or(""),
        me.last_name.as_deref().unwrap_or(""),
        me.email.as_deref().unwrap_or("")
    );
    for account in client.accounts().mine().await? {
        let balance = client.accounts().balance(account.id).await?;
        println!(
            "[{label}]   account {} ({}, {}, {}): cash {} buying power {}",
            account.id,
            account.clearing_account.as_deref().unwrap_or("-"),
            account
                .margin_type
                .as_ref()
                .map(|m| m.as_str())
                .unwrap_or("-"),
            account.clearing_firm.as_deref().unwrap_or("-"),
            balance
                .cash()
                .map(|d| d.to_string())
                .unwrap_or_else(|| "-".into()),
            balance
                .stock_buying_power()
                .map(|d| d.to_string())
                .unwrap_or_else(|| "-".into()),
        );
    }
    Ok(())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let sandbox = Sandbox::start().await?;
    println!("sandbox listening on {}", sandbox.url());
    let config = Config::sandbox(&sandbox.url(), sandbox.app_key())?;
    let trader = sandbox.user("trader").expect("the sandbox seeds `trader`");

    // 1. ETNA password login (`POST /token`).
    let client = Client::builder()
        .config(config.clone())
        .login(PasswordLogin::new(
            trader.username.clone(),
            trader.password.clone(),
        ))
        .build()?;
    show("password", &client).await?;
    client.logout().await?;

    // 2. OAuth 2.0 Authorization Code + PKCE, redirect received on an ephemeral 127.0.0.1 port (RFC 8252).
    //    A real application keeps the default `Browser::System`; here the "browser" is an HTTP client that
    //    follows the sandbox's auto-approving authorize redirect back to our loopback listener.
    let oauth = sandbox.oauth_client();
    let browser = Browser::custom(|url: url::Url| async move {
        reqwest::get(url)
            .await
            .map_err(|e| autoshares::Error::Stream {
                message: e.to_string(),
            })?;
        Ok(())
    });
    let login = OAuthLogin::new(&sandbox.url(), oauth.client_id)?
        .client_secret(oauth.client_secret)
        .browser(browser);
    let client = Client::builder().config(config).login(login).build()?;
    show("oauth", &client).await?;

    sandbox.shutdown().await;
    Ok(())
}

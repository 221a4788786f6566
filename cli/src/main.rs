//! `autoshares`: the AutoShares command line and MCP server, a thin layer over the `autoshares` crate.
//!
//! Every command resolves the configuration as the libraries do, uses the session kept in the shared token file
//! (`autoshares login` writes it, the Rust, Python and Node libraries read it when given the same path), calls
//! core, and prints a table (or JSON with `--json`). Failures end with an exit code per error class
//! ([`exit::EXIT_CODES_HELP`]); messages go to standard error and never contain a secret.

// Core's `Error` is large by design (every variant carries its context); the CLI passes it on unchanged.
#![allow(clippy::result_large_err)]

mod args;
mod context;
mod exit;
mod mcp;
mod orders;
mod output;
mod prompt;
mod reads;
mod session;
mod stream;

use clap::Parser;
use serde_json::json;

use args::{Cli, Command, ConfigCommand, OrdersCommand};
use context::Ctx;
use exit::CliResult;

async fn dispatch(cli: Cli) -> CliResult {
    let ctx = Ctx::new(cli.global);
    match cli.command {
        Command::Login(a) => session::login(&ctx, &a).await,
        Command::Logout => session::logout(&ctx).await,
        Command::Whoami => session::whoami(&ctx).await,
        Command::Config(ConfigCommand::Show) => session::config_show(&ctx),
        Command::Accounts => reads::accounts(&ctx).await,
        Command::Balances(a) => reads::balances(&ctx, a.account).await,
        Command::Quote { symbols } => reads::quote(&ctx, &symbols).await,
        Command::Chain {
            symbol,
            expiration,
            range,
        } => reads::chain(&ctx, &symbol, expiration, range).await,
        Command::Bars {
            symbol,
            period,
            count,
            indicators,
            server_indicators,
        } => {
            reads::bars(
                &ctx,
                &symbol,
                period,
                count,
                &indicators,
                &server_indicators,
            )
            .await
        }
        Command::Orders(o) => match o {
            OrdersCommand::List { account, limit } => {
                orders::list(&ctx, account.account, limit).await
            }
            OrdersCommand::Show { order_id, account } => {
                orders::show(&ctx, order_id, account.account).await
            }
            OrdersCommand::Place(a) => orders::place(&ctx, &a).await,
            OrdersCommand::Replace(a) => orders::replace(&ctx, &a).await,
            OrdersCommand::Cancel {
                order_id,
                account,
                confirm,
            } => orders::cancel(&ctx, order_id, account.account, &confirm).await,
        },
        Command::Positions(a) => reads::positions(&ctx, a.account).await,
        Command::Transactions { account, limit } => {
            reads::transactions(&ctx, account.account, limit).await
        }
        Command::Watchlists => reads::watchlists(&ctx).await,
        Command::Alerts => reads::alerts(&ctx).await,
        Command::Stream { symbols } => stream::run(&ctx, &symbols).await,
        Command::Sandbox(a) => Ok(autoshares_sandbox::cli::run(a).await?),
        Command::Mcp(a) => mcp::serve(&ctx, &a).await,
    }
}

fn main() {
    let cli = Cli::parse(); // usage errors exit 2 here, with clap's message
                            // Logs (RUST_LOG, off by default) go to standard error: standard output belongs to the command (and to the
                            // protocol under `autoshares mcp`).
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("off")),
        )
        .with_writer(std::io::stderr)
        .init();
    let json = cli.global.json;
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            std::process::exit(exit::OTHER);
        }
    };
    let result = runtime.block_on(dispatch(cli));
    // Do not wait for background tasks (a stream's supervisor, the sandbox) after the command is done.
    runtime.shutdown_timeout(std::time::Duration::from_millis(200));
    match result {
        Ok(()) => std::process::exit(exit::OK),
        Err(e) => {
            if json {
                let doc = json!({ "error": { "code": e.code(), "message": e.message(), "exit_code": e.exit_code() } });
                eprintln!("{doc}");
            } else {
                eprintln!("error [{}]: {}", e.code(), e.message());
            }
            std::process::exit(e.exit_code());
        }
    }
}

//! `autoshares-sandbox`: runs the sandbox server from the command line.

use autoshares_sandbox::cli::SandboxArgs;
use clap::Parser;

/// A local AutoShares-compatible server with seeded paper trading accounts.
#[derive(Debug, Parser)]
#[command(name = "autoshares-sandbox", version, about)]
struct Args {
    #[command(flatten)]
    sandbox: SandboxArgs,
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_writer(std::io::stderr)
        .init();
    autoshares_sandbox::cli::run(Args::parse().sandbox).await
}

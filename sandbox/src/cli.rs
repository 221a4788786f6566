//! The sandbox's command line, shared by the `autoshares-sandbox` binary and the `autoshares sandbox` command:
//! [`SandboxArgs`] (clap) and [`run`], which serves in the foreground until Ctrl-C.

use std::io::Write;
use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use serde_json::json;

use crate::{Sandbox, SandboxConfig};

/// The command-line options of the sandbox (the `autoshares-sandbox` binary, and `autoshares sandbox`).
#[derive(Debug, Clone, clap::Args)]
pub struct SandboxArgs {
    /// Address to bind.
    #[arg(long, default_value = "127.0.0.1")]
    pub host: IpAddr,
    /// Port to bind (0 = ephemeral).
    #[arg(long, default_value_t = 8080)]
    pub port: u16,
    /// Seed of the deterministic state.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// The Et-App-Key clients must send.
    #[arg(long, default_value = "sandbox-app-key")]
    pub app_key: String,
    /// Lifetime of session and OAuth access tokens, in seconds.
    #[arg(long, default_value_t = 86_400)]
    pub token_ttl_secs: u64,
    /// How often simulated prices change, in milliseconds.
    #[arg(long, default_value_t = 1000)]
    pub tick_ms: u64,
    /// Quote-streamer messages per second per connection (round-robin over its securities).
    #[arg(long, default_value_t = crate::config::DEFAULT_QUOTE_RATE)]
    pub quote_rate: u32,
    /// Quote streamer as fast as each socket takes (benchmarks of consumers): overrides --quote-rate.
    #[arg(long)]
    pub quote_firehose: bool,
    /// Data-streamer messages queued per connection before a slow client is disconnected.
    #[arg(long, default_value_t = 65_536)]
    pub data_queue: usize,
    /// Chaos: share of API requests answered 500/502/503 before acting (0.05 = 5 %).
    #[arg(long, default_value_t = 0.0)]
    pub chaos_5xx: f64,
    /// Chaos: share answered 429 with Retry-After.
    #[arg(long, default_value_t = 0.0)]
    pub chaos_429: f64,
    /// Chaos: share handled, then answered 502 (the change stays).
    #[arg(long, default_value_t = 0.0)]
    pub chaos_after_act: f64,
    /// Chaos: share handled, then cut in the middle of the body.
    #[arg(long, default_value_t = 0.0)]
    pub chaos_reset: f64,
    /// Chaos: share answered with a truncated JSON body.
    #[arg(long, default_value_t = 0.0)]
    pub chaos_malformed: f64,
    /// Chaos: latency added to every API request, in milliseconds.
    #[arg(long, default_value_t = 0)]
    pub latency_ms: u64,
    /// Chaos: share of requests with a latency spike.
    #[arg(long, default_value_t = 0.0)]
    pub spike_share: f64,
    /// Chaos: length of a latency spike, in milliseconds.
    #[arg(long, default_value_t = 500)]
    pub spike_ms: u64,
    /// Write url, app key, users, passwords and the OAuth client to this JSON file (mode 0600).
    #[arg(long)]
    pub credentials_file: Option<PathBuf>,
}

fn write_credentials(path: &PathBuf, sandbox: &Sandbox) -> std::io::Result<()> {
    let config = sandbox.config();
    let users: Vec<_> = config
        .users
        .iter()
        .map(|u| {
            json!({
                "username": u.username,
                "password": u.password,
                "two_factor": u.two_factor,
                "pin": u.pin,
                "pin_step_name": u.pin_step_name,
                "password_expired": u.password_expired,
                "user_id": sandbox.user_id(&u.username),
                "account_ids": sandbox.account_ids(&u.username),
            })
        })
        .collect();
    let doc = json!({
        "url": sandbox.url(),
        "app_key": sandbox.app_key(),
        "users": users,
        "oauth": {
            "client_id": config.oauth.client_id,
            "client_secret": config.oauth.client_secret,
            "redirect_uris": config.oauth.redirect_uris,
            "auto_approve_username": config.oauth.auto_approve_username,
            "authorization_endpoint": format!("{}/authorize", sandbox.url()),
            "token_endpoint": format!("{}/oauth/token", sandbox.url()),
        },
    });
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        options.mode(0o600);
        let mut file = options.open(path)?;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
        serde_json::to_writer_pretty(&mut file, &doc)?;
        file.write_all(b"\n")
    }
    #[cfg(not(unix))]
    {
        let mut file = options.open(path)?;
        serde_json::to_writer_pretty(&mut file, &doc)?;
        file.write_all(b"\n")
    }
}

/// Starts a sandbox with these options, prints its URL (`autoshares-sandbox listening on http://...`, the real
/// port when `--port 0`) and the seeded users, and serves until Ctrl-C.
pub async fn run(args: SandboxArgs) -> std::io::Result<()> {
    let config = SandboxConfig {
        host: args.host,
        port: args.port,
        seed: args.seed,
        app_key: args.app_key,
        access_token_ttl: Duration::from_secs(args.token_ttl_secs),
        market: crate::MarketConfig {
            tick_interval: Duration::from_millis(args.tick_ms.max(1)),
            ..Default::default()
        },
        streams: crate::StreamConfig {
            quote_rate: if args.quote_firehose {
                crate::config::QUOTE_FIREHOSE
            } else {
                args.quote_rate
            },
            data_queue: args.data_queue.max(1),
        },
        ..SandboxConfig::default()
    };
    let seed = config.seed;
    let sandbox = Sandbox::start_with(config).await?;
    let chaos = crate::Chaos {
        seed,
        server_errors: args.chaos_5xx,
        rate_limited: args.chaos_429,
        errors_after_act: args.chaos_after_act,
        resets_after_act: args.chaos_reset,
        malformed: args.chaos_malformed,
        latency: Duration::from_millis(args.latency_ms),
        spikes: args.spike_share,
        spike: Duration::from_millis(args.spike_ms),
    };
    if chaos
        != (crate::Chaos {
            seed,
            spike: chaos.spike,
            ..Default::default()
        })
    {
        println!("chaos: {chaos:?}");
        sandbox.faults().set_chaos(Some(chaos));
    }
    println!("autoshares-sandbox listening on {}", sandbox.url());
    let names: Vec<&str> = sandbox
        .config()
        .users
        .iter()
        .map(|u| u.username.as_str())
        .collect();
    println!("users: {}", names.join(", "));
    if let Some(path) = &args.credentials_file {
        write_credentials(path, &sandbox)?;
        println!(
            "credentials (app key, passwords, OAuth client) written to {}",
            path.display()
        );
    } else {
        println!("passwords are not printed; pass --credentials-file PATH to get them");
    }
    tokio::signal::ctrl_c().await?;
    println!("shutting down");
    sandbox.shutdown().await;
    Ok(())
}

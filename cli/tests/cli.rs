//! The `autoshares` binary as a user runs it, against an in-process sandbox: login with 2FA prompts fed on
//! standard input, the shared session, quotes, orders with and without confirmation, `--json` read back, and
//! each exit code produced by a real failure. Nothing the CLI prints may contain a secret.

mod common;

use std::io::Write;
use std::process::Stdio;
use std::time::Duration;

use autoshares_sandbox::FaultRule;
use common::{wait, Cli, Lines};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_with_2fa_prompts_then_the_session_is_shared_until_logout() {
    let cli = Cli::start().await;
    // Not logged in yet: an auth failure before anything is sent.
    let r = cli.run(&["whoami"], "");
    assert_eq!(r.code, 3, "{r:?}");
    assert!(r.stderr.contains("not logged in"), "{}", r.stderr);

    // The code exists only once the server has sent it: answer each prompt as it appears.
    let mut child = cli
        .command(&["login", "--user", "trader2fa"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut stderr = Lines::new(child.stderr.take().unwrap());
    stderr.wait_for("Password: ");
    writeln!(stdin, "{}", cli.sb.user("trader2fa").unwrap().password).unwrap();
    stderr.wait_for("Verification code: ");
    let code = cli
        .sb
        .verification_code("trader2fa")
        .expect("a code was sent");
    writeln!(stdin, "{code}").unwrap();
    drop(stdin);
    let out = wait(child, Duration::from_secs(30));
    let err = stderr.rest();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    cli.printed
        .lock()
        .unwrap()
        .push_str(&format!("{stdout}{err}"));
    assert_eq!(out.status.code(), Some(0), "{stdout}{err}");
    assert!(stdout.contains("Logged in as trader2fa"), "{stdout}");
    assert!(
        stdout.contains(&cli.token_file().display().to_string()),
        "{stdout}"
    );

    // Another process uses the stored session: no new login.
    let token_requests = cli.sb.token_requests();
    let r = cli.run(&["whoami", "--json"], "");
    assert_eq!(r.code, 0, "{r:?}");
    let me = r.json();
    assert_eq!(me["user"]["Login"], "trader2fa");
    assert_eq!(me["environment"], "sandbox");
    assert!(me["session"]
        .as_str()
        .unwrap()
        .starts_with("password:trader2fa@"));
    assert_eq!(cli.sb.token_requests(), token_requests);

    // The Rust library finds the same session in the same file.
    let config = autoshares::Config::builder()
        .ignore_env()
        .base_url(cli.sb.url())
        .token_file(cli.token_file())
        .build()
        .unwrap();
    let client = autoshares::Client::builder()
        .config(config)
        .build()
        .unwrap();
    assert_eq!(
        client.users().me().await.unwrap().login.as_deref(),
        Some("trader2fa")
    );

    // config show: sources, and the token file's default location under XDG_CONFIG_HOME.
    let r = cli.run(&["config", "show", "--json"], "");
    let entries = r.json();
    let find = |n: &str| {
        entries
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["name"] == n)
            .unwrap()
            .clone()
    };
    assert_eq!(find("base_url")["source"], "env AUTOSHARES_BASE_URL");
    assert_eq!(find("token_file")["source"], "default");
    assert_eq!(
        find("token_file")["value"],
        cli.token_file().display().to_string()
    );
    assert_eq!(find("app_key")["value"], "***");

    let r = cli.run(&["logout"], "");
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(cli.sb.request_count("POST", "/logout"), 1);
    let r = cli.run(&["whoami"], "");
    assert_eq!(r.code, 3, "{r:?}");
    // The library's client of that session is now refused too (the token was revoked on the server).
    let e = client.users().me().await.unwrap_err();
    assert_eq!(e.kind(), autoshares::ErrorKind::Auth, "{e}");

    // A wrong code is an auth failure.
    let password = cli.sb.user("trader2fa").unwrap().password;
    let r = cli.run(
        &["login", "--user", "trader2fa"],
        &format!("{password}\n000000\n"),
    );
    assert_eq!(r.code, 3, "{r:?}");
    assert!(
        r.stderr.contains("VERIFICATION_CODE_INVALID"),
        "{}",
        r.stderr
    );
    // So is a wrong password.
    let r = cli.run(&["login"], "trader\nnot-the-password\n");
    assert_eq!(r.code, 3, "{r:?}");
    assert!(r.stderr.contains("INVALID_CREDENTIALS"), "{}", r.stderr);
    cli.assert_no_secret_printed();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quotes_accounts_and_bars_as_tables_and_as_json() {
    let cli = Cli::start().await;
    cli.login("trader");
    let r = cli.run(&["quote", "AAPL", "MSFT"], "");
    assert_eq!(r.code, 0, "{r:?}");
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert!(
        lines[0].starts_with("SYMBOL") && lines[0].contains("BID"),
        "{}",
        r.stdout
    );
    assert!(
        lines[1].starts_with("AAPL") && lines[2].starts_with("MSFT"),
        "{}",
        r.stdout
    );

    let r = cli.run(&["quote", "AAPL", "MSFT", "--json"], "");
    let quotes = r.json();
    assert_eq!(quotes[0]["Symbol"], "AAPL");
    assert_eq!(quotes[1]["Symbol"], "MSFT");
    let bid = quotes[0]["Bid"].as_number().unwrap().to_string();
    assert!(
        bid.parse::<rust_decimal::Decimal>().unwrap() > rust_decimal::Decimal::ZERO,
        "{bid}"
    );

    let accounts = cli.run(&["accounts", "--json"], "").json();
    let ids: Vec<i64> = accounts
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["Id"].as_i64().unwrap())
        .collect();
    assert_eq!(
        ids,
        cli.sb
            .account_ids("trader")
            .iter()
            .map(|&i| i64::from(i))
            .collect::<Vec<_>>()
    );
    let balance = cli
        .run(
            &["balances", "--account", &ids[0].to_string(), "--json"],
            "",
        )
        .json();
    assert_eq!(balance["cash"].to_string(), "100000.00");

    let bars = cli
        .run(
            &["bars", "AAPL", "--period", "1D", "--count", "5", "--json"],
            "",
        )
        .json();
    assert_eq!(bars.as_array().unwrap().len(), 5, "{bars}");
    // Indicators: computed here (sma, macd) and by the API (RSI), one more key per column on each bar.
    let bars = cli
        .run(
            &[
                "bars",
                "AAPL",
                "--period",
                "1D",
                "--count",
                "40",
                "--indicator",
                "sma:5",
                "--indicator",
                "macd",
                "--server-indicator",
                "RSI:14",
                "--json",
            ],
            "",
        )
        .json();
    let rows = bars.as_array().unwrap();
    assert_eq!(rows.len(), 40, "{bars}");
    let close = |i: usize| rows[i]["Close"].as_f64().unwrap();
    let sma5 = (35..40).map(close).sum::<f64>() / 5.0;
    let got = rows[39]["sma_5"].as_f64().unwrap();
    assert!(
        (got - sma5).abs() <= 1e-9 * sma5.abs(),
        "sma_5 {got} vs {sma5}"
    );
    assert!(rows[3]["sma_5"].is_null(), "warm-up rows are null");
    assert!(rows[39]["macd_signal_12_26_9"].is_number(), "{}", rows[39]);
    let rsi = &rows[39]["RSI|1D|false|14"];
    assert!(
        rsi.as_array()
            .is_some_and(|v| v[0].as_f64().is_some_and(|x| (0.0..=100.0).contains(&x))),
        "{rsi}"
    );
    let r = cli.run(
        &[
            "bars",
            "AAPL",
            "--period",
            "1D",
            "--indicator",
            "rsi:14",
            "--server-indicator",
            "MACD:12,26,9",
        ],
        "",
    );
    assert_eq!(r.code, 0, "{r:?}");
    assert!(
        r.stdout.contains("RSI_14") && r.stdout.contains("MACD|1D|FALSE|12|26|9"),
        "{}",
        r.stdout
    );
    let r = cli.run(&["chain", "AAPL", "--range", "1"], "");
    assert_eq!(r.code, 0, "{r:?}");
    assert!(
        r.stdout.contains("Call") && r.stdout.contains("Put"),
        "{}",
        r.stdout
    );
    for cmd in [
        &["watchlists"][..],
        &["alerts"],
        &["positions"],
        &["transactions"],
    ] {
        let r = cli.run(cmd, "");
        assert_eq!(r.code, 0, "{cmd:?}: {r:?}");
    }
    cli.assert_no_secret_printed();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn orders_are_shown_confirmed_placed_exactly_and_cancelled() {
    let cli = Cli::start().await;
    cli.login("trader");
    let account = cli.sb.account_ids("trader")[0];
    let path = format!("/v1.0/accounts/{account}/orders");

    // Declined: the request is shown, nothing is sent, exit 1.
    let r = cli.run(
        &["orders", "place", "AAPL", "buy", "3", "--limit", "101.37"],
        "n\n",
    );
    assert_eq!(r.code, 1, "{r:?}");
    assert!(r.stderr.contains(&format!("POST {path}")), "{}", r.stderr);
    assert!(r.stderr.contains("\"Price\": 101.37"), "{}", r.stderr);
    assert!(r.stderr.contains("Place this order? [y/N]"), "{}", r.stderr);
    assert_eq!(cli.sb.request_count("POST", &path), 0);

    // Confirmed on standard input.
    let r = cli.run(
        &[
            "orders", "place", "AAPL", "buy", "3", "--limit", "101.37", "--json",
        ],
        "y\n",
    );
    assert_eq!(r.code, 0, "{r:?}");
    assert!(
        r.stdout.contains("\"Price\": 101.37"),
        "the price is sent and read back exactly: {}",
        r.stdout
    );
    let placed = r.json();
    assert_eq!(placed["Symbol"], "AAPL");
    assert_eq!(placed["Type"], "Limit");
    assert_eq!(cli.sb.request_count("POST", &path), 1);

    // --yes: no question asked (standard input is empty).
    let r = cli.run(
        &[
            "orders", "place", "MSFT", "buy", "1", "--limit", "100.05", "--yes", "--json",
        ],
        "",
    );
    assert_eq!(r.code, 0, "{r:?}");
    assert!(!r.stderr.contains("[y/N]"), "{}", r.stderr);
    let id = r.json()["Id"].as_i64().unwrap().to_string();
    assert_eq!(cli.sb.request_count("POST", &path), 2);

    let list = cli.run(&["orders", "list", "--json"], "").json();
    assert!(
        list.as_array()
            .unwrap()
            .iter()
            .any(|o| o["Id"].as_i64().map(|i| i.to_string()) == Some(id.clone())),
        "{list}"
    );

    // Replace with confirmation, then cancel with --yes.
    let r = cli.run(
        &["orders", "replace", &id, "--limit", "99.95", "--json"],
        "y\n",
    );
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stderr.contains("\"Price\": 99.95"), "{}", r.stderr);
    let id = r.json()["Id"].as_i64().unwrap().to_string();
    let r = cli.run(&["orders", "cancel", &id], "n\n");
    assert_eq!(r.code, 1, "{r:?}");
    assert_eq!(cli.sb.request_count("DELETE", &format!("{path}/{id}")), 0);
    let r = cli.run(&["orders", "cancel", &id, "--yes"], "");
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(cli.sb.request_count("DELETE", &format!("{path}/{id}")), 1);
    let shown = cli.run(&["orders", "show", &id, "--json"], "").json();
    let status = shown["Status"].as_str().unwrap();
    assert!(status.contains("Cancel") || status == "Canceled", "{shown}");
    cli.assert_no_secret_printed();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_exit_code_comes_from_a_real_failure() {
    let cli = Cli::start().await;
    // 2: usage, caught before anything is sent.
    let before = cli.sb.recorded_requests().len();
    assert_eq!(
        cli.run(
            &["orders", "place", "AAPL", "buy", "1", "--limit", "1.2.3"],
            ""
        )
        .code,
        2
    );
    assert_eq!(cli.run(&["bars", "AAPL", "--period", "7x"], "").code, 2);
    let r = cli.run(
        &[
            "bars",
            "AAPL",
            "--period",
            "1D",
            "--indicator",
            "macd:26,12,9",
        ],
        "",
    );
    assert_eq!((r.code, r.stderr.contains("macd.fast")), (2, true), "{r:?}");
    // A server indicator whose parameters core refuses: a VALIDATION error, nothing sent.
    let r = cli.run(
        &[
            "bars",
            "AAPL",
            "--period",
            "1D",
            "--server-indicator",
            "RSI:0",
        ],
        "",
    );
    assert_eq!(r.code, 2, "{r:?}");
    assert_eq!(cli.run(&["no-such-command"], "").code, 2);
    let r = cli.run(&["--env", "nowhere", "accounts"], "");
    assert_eq!((r.code, r.stderr.contains("CONFIG")), (2, true), "{r:?}");
    // 3: not logged in.
    assert_eq!(cli.run(&["accounts"], "").code, 3);
    assert_eq!(cli.sb.recorded_requests().len(), before, "nothing was sent");

    cli.login("trader");
    // 2: an order core's rules refuse (zero quantity), nothing sent.
    let r = cli.run(
        &["orders", "place", "AAPL", "buy", "0", "--yes", "--json"],
        "",
    );
    assert_eq!(r.code, 2, "{r:?}");
    let err: serde_json::Value = serde_json::from_str(r.stderr.trim()).unwrap();
    assert_eq!(err["error"]["code"], "VALIDATION");
    assert_eq!(err["error"]["exit_code"], 2);
    // 4: the API refuses (an order that does not exist).
    let r = cli.run(&["orders", "show", "987654321"], "");
    assert_eq!(r.code, 4, "{r:?}");
    assert!(
        r.stderr.contains("[API]") && r.stderr.contains("request id"),
        "{}",
        r.stderr
    );
    // 5: nothing listens there.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let mut cmd = cli.command(&["accounts"]);
    cmd.env("AUTOSHARES_BASE_URL", format!("http://127.0.0.1:{port}"))
        .env("AUTOSHARES_USERNAME", "trader")
        .env("AUTOSHARES_PASSWORD", "x")
        .env("AUTOSHARES_CONNECT_TIMEOUT", "2");
    let r = cli.run_with(cmd, "");
    assert_eq!(r.code, 5, "{r:?}");
    assert!(r.stderr.contains("TRANSPORT"), "{}", r.stderr);
    // 6: the place was not answered twice and the order is nowhere to be found.
    let account = cli.sb.account_ids("trader")[0];
    cli.sb.faults().inject(FaultRule::new(
        "POST",
        &format!("/v1.0/accounts/{account}/orders"),
        2,
        503,
    ));
    let r = cli.run(
        &[
            "orders", "place", "AAPL", "buy", "1", "--limit", "90", "--yes",
        ],
        "",
    );
    assert_eq!(r.code, 6, "{r:?}");
    assert!(r.stderr.contains("AMBIGUOUS_ORDER"), "{}", r.stderr);
    // 2: order actions against live need --live (configuration opted in, nothing sent).
    let mut cmd = cli.command(&["orders", "cancel", "1", "--yes"]);
    cmd.env("AUTOSHARES_ENV", "live")
        .env("AUTOSHARES_ALLOW_LIVE", "true")
        .env("AUTOSHARES_APP_KEY", "live-key")
        .env("AUTOSHARES_USERNAME", "trader")
        .env("AUTOSHARES_PASSWORD", "x")
        .env("AUTOSHARES_BASE_URL", "https://127.0.0.1:9");
    let r = cli.run_with(cmd, "");
    assert_eq!(r.code, 2, "{r:?}");
    assert!(r.stderr.contains("--live"), "{}", r.stderr);
    // The help documents the codes.
    let r = cli.run(&["--help"], "");
    assert!(
        r.stdout.contains("Exit codes:") && r.stdout.contains("AMBIGUOUS_ORDER"),
        "{}",
        r.stdout
    );
    cli.assert_no_secret_printed();
}

//! `autoshares stream AAPL MSFT` in a real terminal (a tmux pane): the quote table is redrawn in place with
//! changing prices, and Ctrl-C stops it cleanly (exit 0). Skipped, saying so, only when tmux is not installed
//! (`make test` installs it).

mod common;

use std::process::Command;
use std::time::{Duration, Instant};

use common::Cli;

fn tmux(socket: &str, args: &[&str]) -> String {
    let out = Command::new("tmux")
        .arg("-S")
        .arg(socket)
        .args(args)
        .output()
        .expect("tmux runs");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The price cells (bid, ask, last) of each symbol's row on the screen.
fn prices(screen: &str) -> Vec<String> {
    screen
        .lines()
        .filter(|l| l.starts_with("AAPL") || l.starts_with("MSFT"))
        .map(|l| l.split_whitespace().take(4).collect::<Vec<_>>().join(" "))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_stream_table_updates_in_place_and_ctrl_c_stops_it() {
    if Command::new("tmux").arg("-V").output().is_err() {
        eprintln!("SKIPPED: tmux is not installed (apt-get install tmux; `make test` installs it)");
        return;
    }
    let cli = Cli::start().await;
    cli.login("trader");
    let socket = cli.dir.path().join("tmux.sock").display().to_string();
    // The pane runs the CLI with the test's environment, then reports its exit code and stays open.
    let cmd = cli.command(&["stream", "AAPL", "MSFT"]);
    let mut line = String::from("env -i PATH=/usr/bin:/bin TERM=xterm");
    for (k, v) in cmd.get_envs() {
        if let Some(v) = v {
            line += &format!(" {}='{}'", k.to_string_lossy(), v.to_string_lossy());
        }
    }
    line += &format!(
        " {} stream AAPL MSFT; echo EXIT=$?; sleep 30",
        env!("CARGO_BIN_EXE_autoshares")
    );
    tmux(
        &socket,
        &[
            "new-session",
            "-d",
            "-s",
            "q",
            "-x",
            "100",
            "-y",
            "20",
            &line,
        ],
    );
    let capture = || tmux(&socket, &["capture-pane", "-p", "-t", "q"]);

    let deadline = Instant::now() + Duration::from_secs(20);
    let first = loop {
        let screen = capture();
        let p = prices(&screen);
        if p.len() == 2 && p.iter().all(|r| !r.contains('…')) && screen.contains("streamer: Live")
        {
            break screen;
        }
        assert!(
            Instant::now() < deadline,
            "no quote table appeared:\n{screen}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert!(
        first.contains("SYMBOL") && first.contains("BID") && first.contains("ASK"),
        "{first}"
    );
    // Drawn in place: one header on the screen, not a scrolling log.
    assert_eq!(first.matches("SYMBOL").count(), 1, "{first}");
    let changed = loop {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let screen = capture();
        if prices(&screen).len() == 2 && prices(&screen) != prices(&first) {
            break screen;
        }
        assert!(
            Instant::now() < deadline,
            "prices never changed:\n{first}\n{screen}"
        );
    };
    assert_eq!(changed.matches("SYMBOL").count(), 1, "{changed}");

    tmux(&socket, &["send-keys", "-t", "q", "C-c"]);
    let deadline = Instant::now() + Duration::from_secs(10);
    let end = loop {
        let screen = capture();
        if screen.contains("EXIT=") {
            break screen;
        }
        assert!(
            Instant::now() < deadline,
            "Ctrl-C did not stop the stream:\n{screen}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    tmux(&socket, &["kill-server"]);
    assert!(end.contains("EXIT=0"), "{end}");
    // The final table is left on the normal screen.
    assert!(end.contains("AAPL") && end.contains("MSFT"), "{end}");
    cli.assert_no_secret_printed();
}

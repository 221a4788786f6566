//! Drives the `autoshares` binary as a subprocess against an in-process sandbox, with a private token file and
//! home directory, and no `AUTOSHARES_*` variable from the developer's shell.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use autoshares_sandbox::Sandbox;

/// A sandbox, a temporary home and token file, and everything the CLI printed (for the secrets check).
pub struct Cli {
    pub sb: Sandbox,
    pub dir: tempfile::TempDir,
    pub printed: std::sync::Mutex<String>,
}

/// What one run returned.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// The standard output as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}\nstderr: {}", self.stdout, self.stderr))
    }
}

impl Cli {
    pub async fn start() -> Cli {
        Cli {
            sb: Sandbox::start().await.unwrap(),
            dir: tempfile::tempdir().unwrap(),
            printed: Default::default(),
        }
    }

    pub fn token_file(&self) -> PathBuf {
        self.dir
            .path()
            .join("config")
            .join("autoshares")
            .join("tokens.json")
    }

    /// The command with a clean environment pointing at the sandbox.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_autoshares"));
        c.args(args);
        for (k, _) in std::env::vars() {
            if k.starts_with("AUTOSHARES_")
                || k == "DISPLAY"
                || k == "WAYLAND_DISPLAY"
                || k == "RUST_LOG"
            {
                c.env_remove(k);
            }
        }
        c.env("HOME", self.dir.path())
            .env("XDG_CONFIG_HOME", self.dir.path().join("config"))
            .env("AUTOSHARES_BASE_URL", self.sb.url())
            .env("AUTOSHARES_MAX_RETRIES", "0");
        c
    }

    fn record(&self, run: &Run) {
        let mut p = self.printed.lock().unwrap();
        p.push_str(&run.stdout);
        p.push_str(&run.stderr);
    }

    /// Runs `args` with `stdin` as its whole standard input.
    pub fn run_with(&self, mut cmd: Command, stdin: &str) -> Run {
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(stdin.as_bytes())
            .unwrap();
        let out = wait(child, Duration::from_secs(60));
        let run = Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        };
        self.record(&run);
        run
    }

    pub fn run(&self, args: &[&str], stdin: &str) -> Run {
        self.run_with(self.command(args), stdin)
    }

    /// Logs `user` in with the password prompt fed on standard input.
    pub fn login(&self, user: &str) {
        let password = self.sb.user(user).unwrap().password;
        let r = self.run(&["login"], &format!("{user}\n{password}\n"));
        assert_eq!(r.code, 0, "{r:?}");
    }

    /// Fails if anything the CLI printed contains a secret the sandbox issued or a user's password.
    pub fn assert_no_secret_printed(&self) {
        let printed = self.printed.lock().unwrap().clone();
        let mut secrets = self.sb.state().issued_credentials();
        secrets.extend(self.sb.config().users.iter().map(|u| u.password.clone()));
        secrets.push(self.sb.app_key().to_string());
        assert!(secrets.len() > 6, "{secrets:?}");
        for s in secrets {
            assert!(
                !printed.contains(&s),
                "the CLI printed a secret ({} characters)",
                s.len()
            );
        }
    }
}

/// Waits for `child` at most `limit`, then kills it.
pub fn wait(mut child: Child, limit: Duration) -> Output {
    let deadline = Instant::now() + limit;
    loop {
        if child.try_wait().unwrap().is_some() {
            return child.wait_with_output().unwrap();
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let out = child.wait_with_output().unwrap();
            panic!(
                "the CLI did not finish: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Standard error read on a thread, line by line.
pub struct Lines {
    rx: mpsc::Receiver<String>,
    pub seen: String,
}

impl Lines {
    pub fn new(stream: impl Read + Send + 'static) -> Lines {
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            // Prompts end without a newline: read byte chunks, not lines.
            let mut r = BufReader::new(stream);
            loop {
                let buf = match r.fill_buf() {
                    Ok([]) | Err(_) => break,
                    Ok(b) => b.to_vec(),
                };
                r.consume(buf.len());
                if tx.send(String::from_utf8_lossy(&buf).into_owned()).is_err() {
                    break;
                }
            }
        });
        Lines {
            rx,
            seen: String::new(),
        }
    }

    /// Waits until `text` has appeared.
    pub fn wait_for(&mut self, text: &str) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while !self.seen.contains(text) {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.rx.recv_timeout(left) {
                Ok(chunk) => self.seen.push_str(&chunk),
                Err(_) => panic!("`{text}` never appeared; got: {}", self.seen),
            }
        }
    }

    /// Everything until the stream closes.
    pub fn rest(mut self) -> String {
        while let Ok(chunk) = self.rx.recv_timeout(Duration::from_secs(30)) {
            self.seen.push_str(&chunk);
        }
        self.seen
    }
}

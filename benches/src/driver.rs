//! What the Rust benchmark drivers (`src/bin/rest.rs`, `src/bin/stream.rs`) share with the Python and Node ones:
//! the command line, the sandbox's credentials file, and process CPU time and peak RSS from /proc.

use std::time::Duration;

/// `--name value` arguments.
pub struct Args(Vec<String>);

impl Args {
    pub fn parse() -> Args {
        Args(std::env::args().collect())
    }

    fn get(&self, name: &str) -> Option<String> {
        self.0
            .iter()
            .position(|a| a == name)
            .and_then(|i| self.0.get(i + 1))
            .cloned()
    }

    /// A required argument.
    pub fn value(&self, name: &str) -> String {
        self.get(name)
            .unwrap_or_else(|| panic!("{name} is required"))
    }

    pub fn value_or(&self, name: &str, default: &str) -> String {
        self.get(name).unwrap_or_else(|| default.to_string())
    }

    pub fn number(&self, name: &str, default: f64) -> f64 {
        self.get(name)
            .map(|v| v.parse().unwrap_or_else(|_| panic!("{name}: not a number")))
            .unwrap_or(default)
    }
}

/// The sandbox's credentials file (`autoshares-sandbox --credentials-file`): URL, app key, the `trader` user.
pub struct Creds {
    pub url: String,
    pub app_key: String,
    pub username: String,
    pub password: String,
    pub user_id: i64,
    pub account: i32,
}

impl Creds {
    pub fn read(path: &str) -> Creds {
        let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        let trader = v["users"]
            .as_array()
            .unwrap()
            .iter()
            .find(|u| u["username"] == "trader")
            .unwrap();
        Creds {
            url: v["url"].as_str().unwrap().to_string(),
            app_key: v["app_key"].as_str().unwrap().to_string(),
            username: "trader".to_string(),
            password: trader["password"].as_str().unwrap().to_string(),
            user_id: trader["user_id"].as_i64().unwrap(),
            account: trader["account_ids"][0].as_i64().unwrap() as i32,
        }
    }
}

/// The first `n` securities of the sandbox: its 36 listed ones (ids 1 to 36), then options (from id 100001).
pub fn security_ids(n: usize) -> Vec<i32> {
    let listed = n.min(36) as i32;
    (1..=listed)
        .chain((0..n.saturating_sub(36) as i32).map(|i| 100_001 + i))
        .collect()
}

/// CPU time of the whole process so far (user + system, every thread), from /proc/self/stat.
pub fn cpu_time() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = stat.rsplit(')').next().unwrap_or_default();
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0)
    };
    // utime and stime are fields 14 and 15 of the whole line: 11 and 12 after the `)`; USER_HZ is 100 on Linux.
    Duration::from_secs_f64((ticks(11) + ticks(12)) as f64 / 100.0)
}

/// Peak resident set size in MiB, from /proc/self/status.
pub fn peak_rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map(|kb| kb / 1024.0)
        .unwrap_or(0.0)
}

/// The hand-written baselines' login: one `POST /token` with the ETNA headers, the session token it answers.
pub async fn raw_token(http: &reqwest::Client, creds: &Creds) -> String {
    let token: serde_json::Value = http
        .post(format!("{}/token", creds.url))
        .header("Et-App-Key", &creds.app_key)
        .header("Username", &creds.username)
        .header("Password", &creds.password)
        .header("Content-Length", "0")
        .send()
        .await
        .expect("POST /token")
        .json()
        .await
        .expect("a token answer");
    token["Token"]
        .as_str()
        .expect("a session token")
        .to_string()
}

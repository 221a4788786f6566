//! REST throughput and latency of the `autoshares` crate against hand-written `reqwest` + `serde_json` calls
//! (the binding-free limit), same calls, same concurrency, against one sandbox process on 127.0.0.1, in one
//! run. The sandbox runs as a child process so the CPU time measured here is the client's alone.
//!
//! `cargo run --release -p autoshares-benches --bin rest [-- --sandbox PATH --requests N]` (what `make bench`
//! runs). Prints a Markdown table: requests per second, p50 and p99 latency, client CPU per 1,000 requests,
//! and the ratio ours/theirs; with `--write PATH` it also writes the table there.

use std::sync::Arc;
use std::time::{Duration, Instant};

use autoshares::auth::PasswordLogin;
use autoshares::models::OrderSide;
use autoshares::orders::OrderRequest;
use autoshares::{Client, Config};
use futures::stream::{FuturesUnordered, StreamExt};

/// Client CPU time so far (user + system), from /proc/self/stat.
fn cpu_time() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = stat.rsplit(')').next().unwrap_or_default();
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0)
    };
    // utime and stime are fields 14 and 15 of the whole line: 11 and 12 after the `)`.
    let hz = 100.0;
    Duration::from_secs_f64((ticks(11) + ticks(12)) as f64 / hz)
}

/// Peak resident set size in MiB, from /proc/self/status.
fn peak_rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map(|kb| kb / 1024.0)
        .unwrap_or(0.0)
}

#[derive(Clone, Copy, Debug)]
struct Run {
    rps: f64,
    p50_us: f64,
    p99_us: f64,
    cpu_us_per_1000: f64,
}

async fn measure<F, Fut>(requests: usize, in_flight: usize, call: F) -> Run
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let mut latencies = Vec::with_capacity(requests);
    let cpu0 = cpu_time();
    let t0 = Instant::now();
    let mut pending = FuturesUnordered::new();
    let mut started = 0;
    while started < requests || !pending.is_empty() {
        while started < requests && pending.len() < in_flight {
            let f = call();
            pending.push(async move {
                let t = Instant::now();
                let ok = f.await;
                (ok, t.elapsed())
            });
            started += 1;
        }
        if let Some((ok, d)) = pending.next().await {
            assert!(ok, "a benchmark call failed");
            latencies.push(d);
        }
    }
    let wall = t0.elapsed();
    let cpu = cpu_time() - cpu0;
    latencies.sort();
    let pct = |p: f64| latencies[((latencies.len() as f64 - 1.0) * p) as usize].as_secs_f64() * 1e6;
    Run {
        rps: requests as f64 / wall.as_secs_f64(),
        p50_us: pct(0.5),
        p99_us: pct(0.99),
        cpu_us_per_1000: cpu.as_secs_f64() * 1e6 / requests as f64 * 1000.0,
    }
}

fn median(mut runs: Vec<Run>) -> Run {
    runs.sort_by(|a, b| a.rps.total_cmp(&b.rps));
    runs[runs.len() / 2]
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let arg = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    let sandbox_bin =
        arg("--sandbox").unwrap_or_else(|| "target/release/autoshares-sandbox".into());
    let requests: usize = arg("--requests")
        .and_then(|n| n.parse().ok())
        .unwrap_or(3000);
    let dir = std::env::temp_dir().join(format!("autoshares-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let creds_path = dir.join("credentials.json");
    let mut child = std::process::Command::new(&sandbox_bin)
        .args(["--port", "0", "--credentials-file"])
        .arg(&creds_path)
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {sandbox_bin}: {e}"));
    let creds: serde_json::Value = loop {
        if let Ok(text) = std::fs::read_to_string(&creds_path) {
            if let Ok(v) = serde_json::from_str(&text) {
                break v;
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let url = creds["url"].as_str().unwrap().to_string();
    let app_key = creds["app_key"].as_str().unwrap().to_string();
    let trader = creds["users"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["username"] == "trader")
        .unwrap()
        .clone();
    let password = trader["password"].as_str().unwrap().to_string();
    let account = trader["account_ids"][0].as_i64().unwrap() as i32;

    let ours = Client::builder()
        .config(Config::sandbox(&url, &app_key).unwrap())
        .login(PasswordLogin::new("trader", password.clone()))
        .build()
        .unwrap();
    for i in 0..50 {
        let price = rust_decimal::Decimal::new(1000 + i, 2);
        let o = OrderRequest::limit("AAPL", OrderSide::Buy, 1, price)
            .build()
            .unwrap();
        ours.orders().place(account, o).await.unwrap();
    }

    // The hand-written client: one POST /token, then bearer calls decoded into serde_json::Value.
    let raw = reqwest::Client::builder()
        .tcp_nodelay(true)
        .build()
        .unwrap();
    let token: serde_json::Value = raw
        .post(format!("{url}/token"))
        .header("Et-App-Key", &app_key)
        .header("Username", "trader")
        .header("Password", &password)
        .header("Content-Length", "0")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let bearer = format!("Bearer {}", token["Token"].as_str().unwrap());
    let raw = Arc::new((raw, bearer, app_key.clone(), url.clone()));

    let mut rows = Vec::new();
    for (label, path) in [
        (
            "order list (50 orders)",
            format!("/v1.0/accounts/{account}/orders?pageNumber=0&pageSize=50"),
        ),
        ("equity lookup", "/v1.0/equities/AAPL".to_string()),
    ] {
        for in_flight in [1usize, 64] {
            let n = if in_flight == 1 {
                requests / 3
            } else {
                requests
            };
            let mut a = Vec::new();
            let mut b = Vec::new();
            for _ in 0..3 {
                let ours = ours.clone();
                let is_list = label.starts_with("order");
                a.push(
                    measure(n, in_flight, || {
                        let c = ours.clone();
                        async move {
                            if is_list {
                                c.orders().list(account).page_size(50).await.is_ok()
                            } else {
                                c.securities().equity("AAPL").await.is_ok()
                            }
                        }
                    })
                    .await,
                );
                let raw = raw.clone();
                let path = path.clone();
                b.push(
                    measure(n, in_flight, || {
                        let raw = raw.clone();
                        let path = path.clone();
                        async move {
                            let (http, bearer, key, url) = &*raw;
                            let resp = http
                                .get(format!("{url}{path}"))
                                .header("Authorization", bearer)
                                .header("Et-App-Key", key)
                                .header("Accept", "application/json")
                                .send()
                                .await;
                            match resp {
                                Ok(r) if r.status().is_success() => {
                                    let bytes = r.bytes().await.unwrap_or_default();
                                    serde_json::from_slice::<serde_json::Value>(&bytes).is_ok()
                                }
                                _ => false,
                            }
                        }
                    })
                    .await,
                );
            }
            rows.push((label, in_flight, median(a), median(b)));
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    let _ = std::fs::remove_dir_all(&dir);

    let mut table = String::from(
        "| call | in flight | client | req/s | p50 µs | p99 µs | CPU µs / 1,000 req | ratio (req/s) |\n|---|---|---|---|---|---|---|---|\n",
    );
    for (label, in_flight, a, b) in &rows {
        table += &format!(
            "| {label} | {in_flight} | autoshares (typed, Decimal) | {:.0} | {:.0} | {:.0} | {:.0} | {:.2}x |\n",
            a.rps, a.p50_us, a.p99_us, a.cpu_us_per_1000, a.rps / b.rps
        );
        table += &format!(
            "| {label} | {in_flight} | reqwest + serde_json::Value | {:.0} | {:.0} | {:.0} | {:.0} | 1.00x |\n",
            b.rps, b.p50_us, b.p99_us, b.cpu_us_per_1000
        );
    }
    table += &format!(
        "\nPeak RSS of the benchmark process (both clients): {:.1} MiB.\n",
        peak_rss_mib()
    );
    println!("{table}");
    if let Some(path) = arg("--write") {
        std::fs::write(&path, &table).unwrap();
    }
}

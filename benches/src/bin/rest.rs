//! Rust REST: the `autoshares` crate against hand-written `reqwest` + `serde_json` calls (the binding-free limit),
//! same calls, N in flight, one measurement per run against a sandbox that is already running (`benches/run.py`
//! starts it in its own process and runs this pinned to the client core).
//!
//! `rest --creds CREDS --client autoshares|reqwest --call equity|list --in-flight 64 [--seconds 1 --warmup 0.3]`
//! prints one JSON line: requests per second, p50/p99 latency, client CPU per 1,000 requests, peak RSS.

use std::sync::Arc;
use std::time::{Duration, Instant};

use autoshares::auth::PasswordLogin;
use autoshares::{Client, Config};
use autoshares_benches::driver::{cpu_time, peak_rss_mib, raw_token, Args, Creds};
use futures::stream::{FuturesUnordered, StreamExt};

/// Keeps `in_flight` calls going for `seconds`: the latencies, the wall time and the CPU time of the window.
async fn drive<F, Fut>(
    in_flight: usize,
    seconds: f64,
    call: &F,
) -> (Vec<Duration>, Duration, Duration)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let mut latencies = Vec::new();
    let cpu0 = cpu_time();
    let t0 = Instant::now();
    let deadline = t0 + Duration::from_secs_f64(seconds);
    let mut pending = FuturesUnordered::new();
    let timed = |f: Fut| async move {
        let t = Instant::now();
        let ok = f.await;
        (ok, t.elapsed())
    };
    for _ in 0..in_flight {
        pending.push(timed(call()));
    }
    while let Some((ok, d)) = pending.next().await {
        assert!(ok, "a benchmark call failed");
        latencies.push(d);
        if Instant::now() < deadline {
            pending.push(timed(call()));
        }
    }
    (latencies, t0.elapsed(), cpu_time() - cpu0)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let args = Args::parse();
    let creds = Creds::read(&args.value("--creds"));
    let call = args.value_or("--call", "equity");
    let client = args.value("--client");
    let in_flight: usize = args.number("--in-flight", 1.0) as usize;
    let seconds = args.number("--seconds", 1.0);
    let warmup = args.number("--warmup", 0.3);
    let account = creds.account;
    let is_list = call == "list";

    let (latencies, wall, cpu) = match client.as_str() {
        "autoshares" => {
            let ours = Client::builder()
                .config(Config::sandbox(&creds.url, &creds.app_key).unwrap())
                .login(PasswordLogin::new(
                    creds.username.clone(),
                    creds.password.clone(),
                ))
                .build()
                .unwrap();
            // User code reads what it asked for: the equity's symbol, the last order's id.
            let f = || {
                let c = ours.clone();
                async move {
                    if is_list {
                        c.orders()
                            .list(account)
                            .page_size(50)
                            .await
                            .is_ok_and(|p| p.result.last().is_some_and(|o| o.id.is_some()))
                    } else {
                        c.securities()
                            .equity("AAPL")
                            .await
                            .is_ok_and(|e| e.symbol.is_some())
                    }
                }
            };
            assert!(f().await, "first call");
            drive(in_flight, warmup, &f).await;
            drive(in_flight, seconds, &f).await
        }
        "reqwest" => {
            // The hand-written client: one POST /token, then bearer calls decoded into serde_json::Value.
            let http = reqwest::Client::builder()
                .tcp_nodelay(true)
                .build()
                .unwrap();
            let token = raw_token(&http, &creds).await;
            let bearer = format!("Bearer {token}");
            let path = if is_list {
                format!("/v1.0/accounts/{account}/orders?pageNumber=0&pageSize=50")
            } else {
                "/v1.0/equities/AAPL".to_string()
            };
            let raw = Arc::new((
                http,
                bearer,
                creds.app_key.clone(),
                format!("{}{path}", creds.url),
            ));
            let f = || {
                let raw = raw.clone();
                async move {
                    let (http, bearer, key, url) = &*raw;
                    let resp = http
                        .get(url)
                        .header("Authorization", bearer)
                        .header("Et-App-Key", key)
                        .header("Accept", "application/json")
                        .send()
                        .await;
                    match resp {
                        Ok(r) if r.status().is_success() => {
                            let bytes = r.bytes().await.unwrap_or_default();
                            match serde_json::from_slice::<serde_json::Value>(&bytes) {
                                Ok(v) if is_list => v["Result"][49]["Id"].is_number(),
                                Ok(v) => v["Symbol"].is_string(),
                                Err(_) => false,
                            }
                        }
                        _ => false,
                    }
                }
            };
            assert!(f().await, "first call");
            drive(in_flight, warmup, &f).await;
            drive(in_flight, seconds, &f).await
        }
        other => panic!("unknown client {other}"),
    };
    let mut lat: Vec<f64> = latencies.iter().map(|d| d.as_secs_f64() * 1e6).collect();
    lat.sort_by(f64::total_cmp);
    let pct = |p: f64| lat[((lat.len() as f64 - 1.0) * p) as usize];
    let n = lat.len() as f64;
    println!(
        "{}",
        serde_json::json!({
            "requests": lat.len(),
            "rps": n / wall.as_secs_f64(),
            "p50_us": pct(0.5),
            "p99_us": pct(0.99),
            "cpu_us_per_1000": cpu.as_secs_f64() * 1e6 / n * 1000.0,
            "peak_rss_mib": peak_rss_mib(),
        })
    );
}

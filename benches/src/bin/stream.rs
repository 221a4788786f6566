//! Rust streaming against the sandbox's quote firehose (`autoshares-sandbox --quote-firehose`: Level I quotes as fast
//! as the socket takes).
//!
//! * `--client raw`: a bare tokio-tungstenite consumer speaking the protocol (`GET /streamers`, `CreateSession.txt`,
//!   `Subscribe.txt`) that counts quote frames without decoding them: what the sandbox can push (its capacity).
//! * `--client autoshares`: the core's `client.stream()`; events delivered to user code per second (quotes are
//!   conflated latest-wins per security, so a frame superseded before it is taken is decoded, not delivered) and
//!   frames decoded per second.
//!
//! `stream --creds CREDS --client raw|autoshares [--symbols 100 --seconds 2 --warmup 0.5]` prints one JSON line.

use std::time::{Duration, Instant};

use autoshares::auth::PasswordLogin;
use autoshares::stream::{Event, Instrument, MarketHours, StreamConfig, Topic};
use autoshares::{Client, Config};
use autoshares_benches::driver::{cpu_time, peak_rss_mib, raw_token, security_ids, Args, Creds};
use futures::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::Message;

/// Counts events through a warm-up phase then a measured one; `Some(figures)` when the measured phase ended.
struct Window {
    phase_end: Instant,
    seconds: f64,
    measuring: bool,
    events: u64,
    frames0: u64,
    cpu0: Duration,
    t0: Instant,
}

impl Window {
    fn new(warmup: f64, seconds: f64) -> Window {
        Window {
            phase_end: Instant::now() + Duration::from_secs_f64(warmup),
            seconds,
            measuring: false,
            events: 0,
            frames0: 0,
            cpu0: Duration::ZERO,
            t0: Instant::now(),
        }
    }

    /// One event delivered; `frames` is the decoded-frame counter now (only read every 256 events).
    fn event(&mut self, frames: impl Fn() -> u64) -> Option<serde_json::Value> {
        self.events += 1;
        if !self.events.is_multiple_of(256) || Instant::now() < self.phase_end {
            return None;
        }
        if !self.measuring {
            self.measuring = true;
            self.events = 0;
            self.frames0 = frames();
            self.cpu0 = cpu_time();
            self.t0 = Instant::now();
            self.phase_end = self.t0 + Duration::from_secs_f64(self.seconds);
            return None;
        }
        let wall = self.t0.elapsed().as_secs_f64();
        let cpu = (cpu_time() - self.cpu0).as_secs_f64();
        let events = self.events as f64;
        Some(serde_json::json!({
            "events": self.events,
            "events_per_s": events / wall,
            "frames_per_s": (frames() - self.frames0) as f64 / wall,
            "cpu_us_per_1000": cpu * 1e6 / events * 1000.0,
            "peak_rss_mib": peak_rss_mib(),
        }))
    }
}

async fn raw(creds: &Creds, symbols: usize, mut window: Window) -> serde_json::Value {
    let http = reqwest::Client::new();
    let token = raw_token(&http, creds).await;
    let streamers: serde_json::Value = http
        .get(format!("{}/v1.0/streamers", creds.url))
        .header("Et-App-Key", &creds.app_key)
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let quote = &streamers["QuoteAddresses"][0];
    let url = format!(
        "{}/CreateSession.txt?User={}&Password={}&HttpClientType=WebSocket",
        quote["Url"].as_str().unwrap(),
        creds.user_id,
        quote["SessionId"].as_str().unwrap()
    );
    let (mut ws, _) = tokio_tungstenite::connect_async(url).await.unwrap();
    let hello = ws.next().await.unwrap().unwrap();
    let hello: serde_json::Value = serde_json::from_str(hello.to_text().unwrap()).unwrap();
    let keys: Vec<String> = security_ids(symbols).iter().map(i32::to_string).collect();
    let subscribe = serde_json::json!({
        "Cmd": "Subscribe.txt", "SessionId": hello["SessionId"], "Keys": keys.join(";"),
        "EntityType": "Quote", "HttpClientType": "WebSocket",
    });
    ws.send(Message::text(subscribe.to_string())).await.unwrap();
    while let Some(Ok(msg)) = ws.next().await {
        if let Message::Text(text) = msg {
            // A quote frame, not an acknowledgement (those carry `Cmd`): counted, not decoded.
            if !text.as_str().contains("\"Cmd\"") {
                if let Some(out) = window.event(|| 0) {
                    let mut out = out;
                    out["frames_per_s"] = out["events_per_s"].clone();
                    return out;
                }
            }
        }
    }
    panic!("the stream ended");
}

async fn ours(creds: &Creds, symbols: usize, mut window: Window) -> serde_json::Value {
    let client = Client::builder()
        .config(Config::sandbox(&creds.url, &creds.app_key).unwrap())
        .login(PasswordLogin::new(
            creds.username.clone(),
            creds.password.clone(),
        ))
        .build()
        .unwrap();
    let config = StreamConfig {
        market_hours: MarketHours::Always,
        ..StreamConfig::default()
    };
    let stream = client
        .stream()
        .config(config)
        .subscribe(
            security_ids(symbols)
                .into_iter()
                .map(|id| Topic::Quote(Instrument::SecurityId(id))),
        )
        .await
        .unwrap();
    // Waits for an event, then takes everything queued without waiting (as the bindings' batches do).
    while let Some(first) = stream.next().await {
        let mut next = Some(first);
        while let Some(event) = next.take().or_else(|| stream.try_next()) {
            if let Event::Quote(q) = event {
                // User code reads the security and the bid.
                std::hint::black_box((q.security_id(), q.quote.bid));
                if let Some(out) = window.event(|| stream.stats().frames) {
                    stream.close().await;
                    return out;
                }
            }
        }
    }
    panic!("the stream ended");
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let args = Args::parse();
    let creds = Creds::read(&args.value("--creds"));
    let symbols = args.number("--symbols", 500.0) as usize;
    let window = Window::new(args.number("--warmup", 0.5), args.number("--seconds", 2.0));
    let out = match args.value("--client").as_str() {
        "raw" => raw(&creds, symbols, window).await,
        "autoshares" => ours(&creds, symbols, window).await,
        other => panic!("unknown client {other}"),
    };
    println!("{out}");
}

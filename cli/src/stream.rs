//! `autoshares stream`: a live quote table over core's supervised stream. On a terminal the table is redrawn in
//! place (ANSI: cursor home, clear below) at most ten times a second; otherwise, and with `--json`, one line per
//! quote. Ctrl-C closes the stream and exits 0.

use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

use autoshares::models::Quote;
use autoshares::stream::{ConnectionState, Event, StreamConfig, Streamer, Topic};

use crate::context::Ctx;
use crate::exit::{CliError, CliResult};
use crate::output::{opt, Table};

const REDRAW_EVERY: Duration = Duration::from_millis(100);

fn render(
    symbols: &[String],
    quotes: &BTreeMap<String, Quote>,
    state: Option<ConnectionState>,
    count: u64,
) -> String {
    let mut t = Table::new(["SYMBOL", "BID", "ASK", "LAST", "CHANGE", "VOLUME"]);
    for s in symbols {
        match quotes.get(s) {
            Some(q) => t.row([
                s.clone(),
                opt(&q.bid),
                opt(&q.ask),
                opt(&q.last),
                opt(&q.change),
                opt(&q.volume),
            ]),
            None => t.row([s.clone(), "…".to_string()]),
        };
    }
    format!(
        "AutoShares quotes  {}  streamer: {}  updates: {count}  (Ctrl-C to stop)\n\n{}",
        chrono::Utc::now().format("%H:%M:%S"),
        state
            .map(|s| format!("{s:?}"))
            .unwrap_or_else(|| "connecting".into()),
        t.render()
    )
}

/// `autoshares stream SYMBOL...`.
pub async fn run(ctx: &Ctx, symbols: &[String]) -> CliResult {
    let client = ctx.client()?;
    let symbols: Vec<String> = symbols.iter().map(|s| s.to_ascii_uppercase()).collect();
    let config = StreamConfig {
        reconcile: false,
        ..StreamConfig::default()
    };
    let stream = client
        .stream()
        .config(config)
        .subscribe(symbols.iter().map(Topic::quote))
        .start()
        .await?;
    let table_mode = std::io::stdout().is_terminal() && !ctx.out.json;
    let mut stdout = std::io::stdout();
    if table_mode {
        // The alternate screen keeps the user's scrollback clean; it is left on exit.
        write!(stdout, "\x1b[?1049h\x1b[?25l")?;
    }
    let mut quotes: BTreeMap<String, Quote> = BTreeMap::new();
    let mut state = None;
    let mut count = 0u64;
    let mut last_draw = Instant::now() - REDRAW_EVERY;
    let mut dirty = true;
    let ctrl_c = tokio::signal::ctrl_c();
    tokio::pin!(ctrl_c);
    let outcome: CliResult = loop {
        if table_mode && dirty && last_draw.elapsed() >= REDRAW_EVERY {
            write!(
                stdout,
                "\x1b[H\x1b[J{}",
                render(&symbols, &quotes, state, count)
            )?;
            stdout.flush()?;
            last_draw = Instant::now();
            dirty = false;
        }
        let event = tokio::select! {
            _ = &mut ctrl_c => break Ok(()),
            e = tokio::time::timeout(REDRAW_EVERY, stream.next()) => e,
        };
        match event {
            Err(_) => continue, // nothing new: redraw the clock if needed
            Ok(None) => {
                break Err(CliError::Sdk(autoshares::Error::Stream {
                    message: "the stream ended".into(),
                }))
            }
            Ok(Some(Event::Quote(q))) => {
                count += 1;
                let q = q.quote;
                let symbol = q.symbol.clone().unwrap_or_default().to_ascii_uppercase();
                if !table_mode {
                    let line = if ctx.out.json {
                        serde_json::to_string(&q).unwrap_or_default()
                    } else {
                        format!(
                            "{symbol} bid {} ask {} last {}",
                            opt(&q.bid),
                            opt(&q.ask),
                            opt(&q.last)
                        )
                    };
                    writeln!(stdout, "{line}")?;
                }
                quotes.insert(symbol, q);
                dirty = true;
            }
            Ok(Some(Event::State {
                streamer: Streamer::Quote,
                state: s,
            })) => {
                state = Some(s);
                dirty = true;
            }
            Ok(Some(Event::Closed { message, .. })) => {
                break Err(CliError::Sdk(autoshares::Error::Stream { message }))
            }
            Ok(Some(_)) => {}
        }
        // Re-draw the clock once a second even without quotes.
        dirty |= last_draw.elapsed() >= Duration::from_secs(1);
    };
    stream.close().await;
    if table_mode {
        write!(stdout, "\x1b[?25h\x1b[?1049l")?;
        print!("{}", render(&symbols, &quotes, state, count));
        stdout.flush()?;
    }
    outcome
}

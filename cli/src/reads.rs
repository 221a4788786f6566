//! The read-only commands: accounts, balances, quote, chain, bars, positions, transactions, watchlists, alerts.
//! Each is one core call (or a page stream) and a table; `--json` prints the core models.

use std::time::Duration;

use autoshares::filter::Filter;
use autoshares::indicators::{
    compute, Bars, ChartPeriod, Indicator, Signature, SignatureBuilder, Study,
};
use autoshares::models::{ChartHistoryRequest, Order, Transaction};
use autoshares::paging::Sort;
use autoshares::{Client, UserRef};
use chrono::NaiveDate;
use futures::TryStreamExt;
use indicatif::ProgressBar;
use serde_json::{json, Map, Value};

use crate::context::{spinner, Ctx};
use crate::exit::CliResult;
use crate::output::{opt, opt_date, opt_time, Table};

/// How long `quote` waits for every symbol's first quote.
pub const QUOTE_TIMEOUT: Duration = Duration::from_secs(15);

/// `autoshares accounts`.
pub async fn accounts(ctx: &Ctx) -> CliResult {
    let client = ctx.client()?;
    let accounts = client.accounts().mine().await?;
    ctx.out.show(&accounts, || {
        let mut t = Table::new([
            "ID", "ACCOUNT", "ALIAS", "MARGIN", "ACCESS", "CURRENCY", "PAPER",
        ]);
        for a in &accounts {
            t.row([
                a.id.to_string(),
                opt(&a.clearing_account),
                opt(&a.alias),
                opt(&a.margin_type),
                opt(&a.access_type),
                opt(&a.currency),
                if a.is_paper() { "yes" } else { "no" }.to_string(),
            ]);
        }
        t
    })
}

/// `autoshares balances`.
pub async fn balances(ctx: &Ctx, account: Option<i32>) -> CliResult {
    let client = ctx.client()?;
    let account = ctx.account(&client, account).await?;
    let balance = client.accounts().balance(account).await?;
    ctx.out.show(&balance, || {
        let mut t = Table::new(["BALANCE", "VALUE"]);
        for (key, value) in &balance.values {
            t.row([key.clone(), value.to_string()]);
        }
        t
    })
}

/// `autoshares quote`.
pub async fn quote(ctx: &Ctx, symbols: &[String]) -> CliResult {
    let client = ctx.client()?;
    let bar = spinner(format!("waiting for quotes of {}", symbols.join(", ")));
    let quotes = client
        .quote_snapshot(symbols.iter().cloned(), QUOTE_TIMEOUT)
        .await;
    bar.finish_and_clear();
    let quotes = quotes?;
    ctx.out.show(&quotes, || {
        let mut t = Table::new(["SYMBOL", "BID", "ASK", "LAST", "CHANGE", "VOLUME"]);
        for q in &quotes {
            t.row([
                opt(&q.symbol),
                opt(&q.bid),
                opt(&q.ask),
                opt(&q.last),
                opt(&q.change),
                opt(&q.volume),
            ]);
        }
        t
    })
}

/// `autoshares chain`.
pub async fn chain(
    ctx: &Ctx,
    symbol: &str,
    expiration: Option<NaiveDate>,
    range: Option<u32>,
) -> CliResult {
    let client = ctx.client()?;
    let mut filter: Option<Filter> = None;
    if let Some(date) = expiration {
        let midnight = date.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc();
        filter = Some(Filter::eq("Expiration", midnight));
    }
    if let Some(n) = range {
        let f = Filter::eq("Range", i64::from(n));
        filter = Some(match filter {
            Some(e) => e.and(f),
            None => f,
        });
    }
    let mut request = client.securities().option_chain(symbol);
    if let Some(f) = filter {
        request = request.filter(f);
    }
    let chain = request.await?;
    ctx.out.show(&chain, || {
        let mut t = Table::new(["EXPIRATION", "STRIKE", "TYPE", "SYMBOL", "CENTRAL"]);
        for e in &chain.expirations {
            for o in &e.options {
                t.row([
                    opt_date(&e.expiration),
                    opt(&o.strike_price),
                    opt(&o.option_type),
                    opt(&o.symbol),
                    if o.strike_price.is_some() && o.strike_price == e.central_strike {
                        "*"
                    } else {
                        ""
                    }
                    .to_string(),
                ]);
            }
        }
        t
    })
}

/// The history request for `count` candles of `symbol` with the server indicators `server`, and their
/// signatures; every indicator (`local` too) is checked first, so a bad one is an error before anything is sent.
pub fn bars_request(
    symbol: &str,
    period: ChartPeriod,
    count: u32,
    local: &[Indicator],
    server: &[Study],
) -> autoshares::Result<(ChartHistoryRequest, Vec<Signature>)> {
    for i in local {
        i.validate()?;
    }
    let signatures = server
        .iter()
        .map(|s| SignatureBuilder::new(period, *s).build())
        .collect::<autoshares::Result<Vec<Signature>>>()?;
    let mut request =
        ChartHistoryRequest::for_symbol(symbol, period).candles(count.clamp(1, 5000) as i32);
    for s in &signatures {
        request = request.indicator(*s);
    }
    Ok((request, signatures))
}

/// The candles `request` asks for as JSON rows (the API's fields), each with one more key per indicator: a
/// local column under its name (`sma_20`, `macd_signal_12_26_9`; `null` in the warm-up) and a server series
/// under its signature (`RSI|1D|false|14`, the array of values the API gave for that candle, or `null`).
/// Returns the added keys in order, then the rows.
pub async fn bars_with_indicators(
    client: &Client,
    (request, signatures): (ChartHistoryRequest, Vec<Signature>),
    local: &[Indicator],
) -> autoshares::Result<(Vec<String>, Vec<Map<String, Value>>)> {
    let history = client.history().bars(request).await?;
    let columns = compute(&Bars::from_history(&history), local)?;
    let mut rows: Vec<Map<String, Value>> = history
        .candles()
        .map(|c| match serde_json::to_value(c) {
            Ok(Value::Object(m)) => m,
            _ => Map::new(),
        })
        .collect();
    let mut keys = Vec::new();
    for col in &columns {
        for (row, v) in rows.iter_mut().zip(&col.values) {
            row.insert(col.name.clone(), json!(v));
        }
        keys.push(col.name.clone());
    }
    for (i, s) in signatures.iter().enumerate() {
        let values = history.indicator_values(i).unwrap_or_default();
        for (n, row) in rows.iter_mut().enumerate() {
            row.insert(s.to_string(), json!(values.get(n).cloned().flatten()));
        }
        keys.push(s.to_string());
    }
    Ok((keys, rows))
}

/// `autoshares bars`.
pub async fn bars(
    ctx: &Ctx,
    symbol: &str,
    period: ChartPeriod,
    count: u32,
    local: &[Indicator],
    server: &[Study],
) -> CliResult {
    let request = bars_request(symbol, period, count, local, server)?;
    let client = ctx.client()?;
    let (keys, rows) = bars_with_indicators(&client, request, local).await?;
    ctx.out.show(&rows, || {
        let mut t = Table::new(
            ["TIME", "OPEN", "HIGH", "LOW", "CLOSE", "VOLUME"]
                .into_iter()
                .map(String::from)
                .chain(keys.iter().map(|k| k.to_uppercase())),
        );
        for r in &rows {
            let time = r.get("DateTime").or_else(|| r.get("Time")).and_then(|v| {
                serde_json::from_value::<chrono::DateTime<chrono::Utc>>(v.clone()).ok()
            });
            let mut cells = vec![opt_time(&time)];
            cells.extend(["Open", "High", "Low", "Close", "Volume"].map(|k| cell(r.get(k))));
            cells.extend(keys.iter().map(|k| cell(r.get(k))));
            t.row(cells);
        }
        t
    })
}

/// A JSON value as a table cell: numbers as sent (indicators to 4 decimals), arrays joined by `/`, null blank.
fn cell(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => String::new(),
        Some(Value::Number(n)) if n.is_f64() => format!("{:.4}", n.as_f64().unwrap_or(f64::NAN)),
        Some(Value::Array(items)) => items
            .iter()
            .map(|i| cell(Some(i)))
            .collect::<Vec<_>>()
            .join("/"),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

/// `autoshares positions`.
pub async fn positions(ctx: &Ctx, account: Option<i32>) -> CliResult {
    let client = ctx.client()?;
    let account = ctx.account(&client, account).await?;
    let positions: Vec<_> = client
        .positions()
        .list(account)
        .page_size(100)
        .stream()
        .try_collect()
        .await?;
    ctx.out.show(&positions, || {
        let mut t = Table::new([
            "SYMBOL",
            "QUANTITY",
            "AVG PRICE",
            "COST BASIS",
            "UNREALIZED P/L",
        ]);
        for p in &positions {
            t.row([
                opt(&p.symbol),
                opt(&p.quantity),
                opt(&p.average_open_price),
                opt(&p.cost_basis),
                opt(&p.unrealized_profit_loss),
            ]);
        }
        t
    })
}

/// Collects up to `limit` items of a page stream, with a counter on a terminal.
pub async fn collect<T, S>(stream: S, limit: usize, what: &str) -> CliResult<Vec<T>>
where
    S: futures::Stream<Item = autoshares::Result<T>>,
{
    let bar = ProgressBar::new_spinner();
    bar.set_message(format!("reading {what}"));
    let mut items = Vec::new();
    futures::pin_mut!(stream);
    while items.len() < limit {
        match stream.try_next().await? {
            Some(item) => {
                items.push(item);
                bar.set_position(items.len() as u64);
                bar.tick();
            }
            None => break,
        }
    }
    bar.finish_and_clear();
    Ok(items)
}

/// An account's orders, newest first, fetched page by page as the reader asks (`orders list`, the MCP tool).
pub fn newest_orders(
    client: &Client,
    account: i32,
) -> impl futures::Stream<Item = autoshares::Result<Order>> + '_ {
    client
        .orders()
        .list(account)
        .sort(Sort::descending("CreateDate"))
        .page_size(100)
        .stream()
}

/// An account's transactions, newest first, fetched page by page as the reader asks (`transactions`, the MCP
/// tool).
pub fn newest_transactions(
    client: &Client,
    account: i32,
) -> impl futures::Stream<Item = autoshares::Result<Transaction>> + '_ {
    client
        .transactions()
        .list(account)
        .sort(Sort::descending("Date"))
        .page_size(100)
        .stream()
}

/// `autoshares transactions`.
pub async fn transactions(ctx: &Ctx, account: Option<i32>, limit: usize) -> CliResult {
    let client = ctx.client()?;
    let account = ctx.account(&client, account).await?;
    let items = collect(newest_transactions(&client, account), limit, "transactions").await?;
    ctx.out.show(&items, || {
        let mut t = Table::new(["ID", "DATE", "TYPE", "SYMBOL", "QUANTITY", "PRICE", "VALUE"]);
        for x in &items {
            t.row([
                opt(&x.id),
                opt_time(&x.date),
                opt(&x.r#type),
                opt(&x.symbol),
                opt(&x.quantity),
                opt(&x.price),
                opt(&x.value),
            ]);
        }
        t
    })
}

/// `autoshares watchlists`.
pub async fn watchlists(ctx: &Ctx) -> CliResult {
    let client = ctx.client()?;
    let lists = client.watchlists().list(UserRef::Me, true).await?;
    ctx.out.show(&lists, || {
        let mut t = Table::new(["ID", "NAME", "SYMBOLS"]);
        for w in &lists {
            let symbols: Vec<String> = w
                .security_list
                .iter()
                .filter_map(|s| s.symbol.clone())
                .collect();
            t.row([opt(&w.id), opt(&w.name), symbols.join(" ")]);
        }
        t
    })
}

/// `autoshares alerts`.
pub async fn alerts(ctx: &Ctx) -> CliResult {
    let client = ctx.client()?;
    let alerts = read_alerts(&client).await?;
    ctx.out.show(&alerts, || {
        let mut t = Table::new(["ID", "SYMBOL", "CONDITION", "STATE", "EXPIRES"]);
        for a in &alerts {
            t.row([
                opt(&a.id),
                opt(&a.symbol),
                format!(
                    "{} {} {}",
                    opt(&a.field),
                    opt(&a.operator),
                    opt(&a.argument)
                ),
                opt(&a.state),
                opt_time(&a.expiration_date),
            ]);
        }
        t
    })
}

/// Every price alert of the logged-in user.
pub async fn read_alerts(
    client: &Client,
) -> autoshares::Result<Vec<autoshares::models::PriceAlertInfo>> {
    client
        .price_alerts()
        .list(UserRef::Me)
        .stream()
        .try_collect()
        .await
}

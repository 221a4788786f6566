//! `orders list|show|place|replace|cancel`. Order actions print exactly what will be sent (method, path and
//! body) and ask before sending unless `--yes`; against the live environment they also need `--live`. Every
//! argument is checked before anything is sent: prices are exact decimals from the argument's text, and the
//! body goes through core's order rules (`OrderRequest::build`, `validate_modify`).

use autoshares::models::{CreateOrder, ModifyOrder, Order, OrderSide, OrderType, TimeInForce};
use autoshares::orders::OrderRequest;
use autoshares::{Client, Config, Environment};
use serde_json::json;

use crate::args::{Confirm, PlaceArgs, ReplaceArgs, Side, Tif};
use crate::context::{spinner, Ctx};
use crate::exit::{CliError, CliResult};
use crate::output::{opt, opt_time, Table};
use crate::prompt;
use crate::reads::collect;

impl From<Side> for OrderSide {
    fn from(s: Side) -> OrderSide {
        match s {
            Side::Buy => OrderSide::Buy,
            Side::Sell => OrderSide::Sell,
            Side::SellShort => OrderSide::SellShort,
            Side::BuyToCover => OrderSide::BuyToCover,
        }
    }
}

impl From<Tif> for TimeInForce {
    fn from(t: Tif) -> TimeInForce {
        match t {
            Tif::Day => TimeInForce::Day,
            Tif::Gtc => TimeInForce::GoodTillCancel,
            Tif::Ioc => TimeInForce::ImmediateOrCancel,
            Tif::Fok => TimeInForce::FillOrKill,
        }
    }
}

/// The order body `orders place` sends, checked by core's rules (a `Validation` error, nothing sent).
pub fn build_order(args: &PlaceArgs) -> autoshares::Result<CreateOrder> {
    let side = OrderSide::from(args.side);
    let symbol = args.symbol.to_ascii_uppercase();
    let q = args.quantity;
    let request = match (args.limit, args.stop) {
        (None, None) => OrderRequest::market(symbol, side, q),
        (Some(limit), None) => OrderRequest::limit(symbol, side, q, limit),
        (None, Some(stop)) => OrderRequest::stop(symbol, side, q, stop),
        (Some(limit), Some(stop)) => OrderRequest::stop_limit(symbol, side, q, stop, limit),
    };
    let mut request = request.time_in_force(args.tif.into());
    if let Some(c) = &args.comment {
        request = request.comment(c.clone());
    }
    request.build()
}

/// Refuses an order action against live unless `--live` was given (in addition to the configuration's
/// `allow_live`, which core already requires to reach live at all).
pub fn live_guard(config: &Config, confirm: &Confirm) -> CliResult {
    if config.environment() == Environment::Live && !confirm.live {
        return Err(CliError::Usage(
            "this is the live environment (real money): order actions there need --live".into(),
        ));
    }
    Ok(())
}

/// Shows what will be sent, then asks unless `--yes`.
fn confirm_send(
    client: &Client,
    confirm: &Confirm,
    method: &str,
    path: &str,
    body: Option<&serde_json::Value>,
    question: &str,
) -> CliResult {
    let config = client.config();
    eprintln!(
        "About to send to the {} environment ({}):\n  {method} {path}",
        config.environment(),
        config.base_url()
    );
    if let Some(body) = body {
        let text = serde_json::to_string_pretty(body).unwrap_or_default();
        for line in text.lines() {
            eprintln!("  {line}");
        }
    }
    if confirm.yes {
        return Ok(());
    }
    if prompt::confirm(question)? {
        Ok(())
    } else {
        Err(CliError::Declined)
    }
}

fn order_table(orders: &[Order]) -> Table {
    let mut t = Table::new([
        "ID", "DATE", "SYMBOL", "SIDE", "TYPE", "QTY", "PRICE", "STOP", "FILLED", "STATUS",
    ]);
    for o in orders {
        t.row([
            opt(&o.id),
            opt_time(&o.create_date.or(o.date)),
            opt(&o.symbol),
            opt(&o.side),
            opt(&o.r#type),
            opt(&o.quantity),
            opt(&o.price),
            opt(&o.stop_price),
            opt(&o.executed_quantity),
            opt(&o.status),
        ]);
    }
    t
}

/// `orders list`.
pub async fn list(ctx: &Ctx, account: Option<i32>, limit: usize) -> CliResult {
    let client = ctx.client()?;
    let account = ctx.account(&client, account).await?;
    let orders = collect(
        crate::reads::newest_orders(&client, account),
        limit,
        "orders",
    )
    .await?;
    ctx.out.show(&orders, || order_table(&orders))
}

/// `orders show`.
pub async fn show(ctx: &Ctx, order_id: i32, account: Option<i32>) -> CliResult {
    let client = ctx.client()?;
    let account = ctx.account(&client, account).await?;
    let order = client.orders().get(account, order_id).await?;
    ctx.out
        .show(&order, || order_table(std::slice::from_ref(&order)))
}

/// `orders place`.
pub async fn place(ctx: &Ctx, args: &PlaceArgs) -> CliResult {
    let order = build_order(args).map_err(CliError::Sdk)?;
    let client = ctx.client()?;
    live_guard(client.config(), &args.confirm)?;
    let account = ctx.account(&client, args.account.account).await?;
    let body = serde_json::to_value(&order).map_err(|e| CliError::Other(e.to_string()))?;
    let path = format!(
        "/v{}/accounts/{account}/orders",
        client.config().api_version()
    );
    confirm_send(
        &client,
        &args.confirm,
        "POST",
        &path,
        Some(&body),
        "Place this order?",
    )?;
    let bar = spinner("placing the order");
    let placed = client.orders().place(account, order).await;
    bar.finish_and_clear();
    let placed = placed?;
    if ctx.out.json {
        return ctx.out.json(&placed);
    }
    println!(
        "Placed order {} ({}): {} {} {} {}",
        opt(&placed.id),
        opt(&placed.status),
        opt(&placed.side),
        opt(&placed.quantity),
        opt(&placed.symbol),
        opt(&placed.r#type)
    );
    Ok(())
}

/// `orders replace`.
pub async fn replace(ctx: &Ctx, args: &ReplaceArgs) -> CliResult {
    if args.quantity.is_none() && args.limit.is_none() && args.stop.is_none() {
        return Err(CliError::Usage(
            "say what to change: --quantity, --limit or --stop".into(),
        ));
    }
    let client = ctx.client()?;
    live_guard(client.config(), &args.confirm)?;
    let account = ctx.account(&client, args.account.account).await?;
    let current = client.orders().get(account, args.order_id).await?;
    // Unchanged values are carried over; the server reports prices an order type does not use as 0.
    let kind = current.r#type.clone();
    let (uses_price, uses_stop) = match kind {
        Some(OrderType::Limit) => (true, false),
        Some(OrderType::Stop) => (false, true),
        Some(OrderType::StopLimit) => (true, true),
        _ => (false, false),
    };
    let kept = |used: bool, d: Option<rust_decimal::Decimal>| d.filter(|d| used && !d.is_zero());
    let modify = ModifyOrder {
        id: args.order_id,
        r#type: kind,
        quantity: args.quantity.or(current.quantity),
        price: args.limit.or(kept(uses_price, current.price)),
        stop_price: args.stop.or(kept(uses_stop, current.stop_price)),
        time_in_force: current.time_in_force.clone(),
        ..Default::default()
    };
    let modify = autoshares::orders::with_modify_client_id(modify);
    autoshares::orders::validate_modify(args.order_id, &modify)?;
    let body = serde_json::to_value(&modify).map_err(|e| CliError::Other(e.to_string()))?;
    let path = format!(
        "/v{}/accounts/{account}/orders/{}",
        client.config().api_version(),
        args.order_id
    );
    confirm_send(
        &client,
        &args.confirm,
        "PUT",
        &path,
        Some(&body),
        "Replace this order?",
    )?;
    let replaced = client
        .orders()
        .replace(account, args.order_id, modify)
        .await?;
    if ctx.out.json {
        return ctx.out.json(&replaced);
    }
    println!(
        "Replaced order {} with order {} ({}).",
        args.order_id,
        opt(&replaced.id),
        opt(&replaced.status)
    );
    Ok(())
}

/// `orders cancel`.
pub async fn cancel(
    ctx: &Ctx,
    order_id: i32,
    account: Option<i32>,
    confirm: &Confirm,
) -> CliResult {
    let client = ctx.client()?;
    live_guard(client.config(), confirm)?;
    let account = ctx.account(&client, account).await?;
    let order = client.orders().get(account, order_id).await?;
    if !ctx.out.json {
        eprint!("{}", order_table(std::slice::from_ref(&order)).render());
    }
    let path = format!(
        "/v{}/accounts/{account}/orders/{order_id}",
        client.config().api_version()
    );
    confirm_send(
        &client,
        confirm,
        "DELETE",
        &path,
        None,
        "Cancel this order?",
    )?;
    client.orders().cancel(account, order_id).await?;
    if ctx.out.json {
        return ctx
            .out
            .json(&json!({ "cancelled": order_id, "account_id": account }));
    }
    println!("Cancel of order {order_id} sent.");
    Ok(())
}

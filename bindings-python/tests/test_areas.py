"""Every area of the generated surface is reachable from Python: one successful call per area against the in-process
sandbox (recorded by the sandbox at the operation's path), from both clients; and every core operation is reachable."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from typing import Any

import autoshares
from autoshares import _native, models

AREAS = [
    "users",
    "accounts",
    "agreements",
    "orders",
    "sync_orders",
    "mutual_funds",
    "positions",
    "transactions",
    "securities",
    "history",
    "watchlists",
    "price_alerts",
    "ach_relationships",
    "transfers",
    "ipo",
    "news",
    "streamers",
]


def calls(c: Any, account_id: int, clearing: str) -> dict[str, tuple[Callable[[], Any], str, str | None]]:
    """One call per area (the same for both clients; the async ones return awaitables), its method and path."""
    return {
        "users": (lambda: c.users.info("@me"), "GET", "/v1.0/users/@me/info"),
        "accounts": (lambda: c.accounts.balance(account_id), "GET", f"/v1.0/accounts/{account_id}/info"),
        "agreements": (lambda: c.agreements.unsigned("@me"), "GET", None),
        "orders": (lambda: c.orders.list(account_id, page_size=5), "GET", f"/v1.0/accounts/{account_id}/orders"),
        "sync_orders": (
            lambda: c.sync_orders.list(account_id, page_size=5),
            "GET",
            f"/v1.0/accounts/{account_id}/syncorders",
        ),
        "mutual_funds": (
            lambda: c.mutual_funds.preview_buy(
                clearing, {"symbol": "VFIAX", "quantity": "100", "quantity_qualifier": "EvenDollar"}
            ),
            "POST",
            f"/v1.0/accounts/{clearing}/preview/orders/mutual-funds/buy",
        ),
        "positions": (lambda: c.positions.by_symbol(account_id, "AAPL"), "GET", None),
        "transactions": (lambda: c.transactions.allowed_activity_types(account_id), "GET", None),
        "securities": (lambda: c.securities.equity("AAPL"), "GET", "/v1.0/equities/AAPL"),
        "history": (
            lambda: c.history.bars(
                {
                    "security": {"symbol": "AAPL"},
                    "security_history_settings": {"period": "1h", "interval": 0, "candles_count": 24},
                }
            ),
            "PUT",
            "/v1.0/history/symbols",
        ),
        "watchlists": (lambda: c.watchlists.list("@me", True), "GET", None),
        "price_alerts": (lambda: c.price_alerts.list("@me", page_size=5), "GET", None),
        "ach_relationships": (lambda: c.ach_relationships.list(account_id, page_size=5), "GET", None),
        "transfers": (lambda: c.transfers.list(account_id, page_size=10), "GET", None),
        "ipo": (lambda: c.ipo.industries(), "GET", None),
        "news": (lambda: c.news.list("AAPL"), "GET", None),
        "streamers": (lambda: c.streamers.info(), "GET", None),
    }


def api_requests(sb: autoshares.Sandbox, since: int) -> list[dict[str, Any]]:
    return [r for r in sb.recorded_requests()[since:] if r["path"].startswith("/v1.0/")]


def check_sent(sb: autoshares.Sandbox, area: str, before: int, method: str, path: str | None) -> None:
    sent = api_requests(sb, before)
    assert sent, f"{area}: a request reached the sandbox"
    assert sent[-1]["method"] == method, area
    if path:
        assert sent[-1]["path"] == path, area


def test_every_area_answers_through_its_generated_wrapper(sb: autoshares.Sandbox) -> None:
    c = sb.client()
    account_id = sb.account_ids("trader")[0]
    clearing = c.accounts.mine()[0].clearing_account or ""
    table = calls(c, account_id, clearing)
    assert list(table) == AREAS, "all 17 areas with operations"
    for area, (call, method, path) in table.items():
        assert isinstance(getattr(c, area), getattr(_native, type(getattr(c, area)).__name__)), area
        before = len(sb.recorded_requests())
        try:
            value = call()
        except autoshares.AutoSharesError as e:
            raise AssertionError(f"{area}: {e.code} {e!r}") from e
        assert value is not None, area
        check_sent(sb, area, before, method, path)


async def test_every_area_answers_from_the_async_client(sb: autoshares.Sandbox) -> None:
    async with sb.async_client() as c:
        account_id = sb.account_ids("trader")[0]
        clearing = (await c.accounts.mine())[0].clearing_account or ""
        for area, (call, method, path) in calls(c, account_id, clearing).items():
            assert type(getattr(c, area)).__name__.startswith("Async"), area
            before = len(sb.recorded_requests())
            awaitable: Awaitable[Any] = call()
            assert inspect.isawaitable(awaitable), area
            assert await awaitable is not None, area
            check_sent(sb, area, before, method, path)


def test_results_convert_to_python_values(sb: autoshares.Sandbox) -> None:
    from datetime import timezone
    from decimal import Decimal

    c = sb.client()
    equity = c.securities.equity("AAPL")
    assert isinstance(equity, models.Equity) and equity.symbol == "AAPL"
    assert equity.to_dict()["symbol"] == "AAPL" and "Equity(" in repr(equity)
    account_id = sb.account_ids("trader")[0]
    page = c.accounts.all(page_size=1)
    assert isinstance(page, models.AccountPage) and len(page.result) == 1
    assert page.total_count == len(sb.account_ids("trader"))
    assert isinstance(page.result[0].cash, Decimal)
    assert [a.id for a in c.accounts.all_iter(page_size=1)] == sb.account_ids("trader")
    details = c.accounts.details(account_id)
    assert details.created_at is None or details.created_at.tzinfo is timezone.utc
    logo = c.securities.logo("AAPL")
    assert isinstance(logo, bytes) and logo


def test_every_core_operation_is_reachable(sb: autoshares.Sandbox) -> None:
    """The operations reachable from Python (by core's own `Operation` constants) are core's list of 121."""
    core = _native._core_operations()
    reach = _native._operations()
    assert len(core) == 121
    assert sorted((m, p) for _, _, _, m, p in reach) == sorted((m, p) for _, m, p in core)
    assert sorted(op_id for _, _, op_id, _, _ in reach) == sorted(op_id for op_id, _, _ in core)
    assert len({(m, p) for _, _, _, m, p in reach}) == 121
    for client in (sb.client(), sb.async_client()):
        for area, method, op_id, _, _ in reach:
            target = getattr(client, area) if area else client
            assert callable(getattr(target, method, None)), f"{type(client).__name__}.{area}.{method} ({op_id})"
    # Nothing else is public on the area classes but the operations, their `_iter` twins and two shortcuts.
    by_area: dict[str, set[str]] = {}
    for area, method, *_ in reach:
        by_area.setdefault(area, set()).add(method)
    for client in (sb.client(), sb.async_client()):
        for area in AREAS:
            public = {n for n in dir(getattr(client, area)) if not n.startswith("_")}
            extra = {n for n in public - by_area[area] if not (n.endswith("_iter") and n[:-5] in by_area[area])}
            assert extra <= {"me", "mine"}, (area, extra)

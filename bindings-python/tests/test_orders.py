"""Orders from Python: a dict body converted to core's `CreateOrder`, checked by core before sending, money exact."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import autoshares
import pytest
from autoshares.models import CreateOrderInput, OrderSide, OrderType


@pytest.fixture()
def sb() -> Iterator[autoshares.Sandbox]:
    """A fresh sandbox per test: these tests count the orders that reached it."""
    with autoshares.Sandbox() as sandbox:
        yield sandbox


def setup(sb: autoshares.Sandbox) -> tuple[autoshares.Client, int, str]:
    account_id = sb.account_ids("trader")[0]
    return sb.client(), account_id, f"/v1.0/accounts/{account_id}/orders"


def limit(**changes: Any) -> CreateOrderInput:
    order: CreateOrderInput = {
        "symbol": "AAPL",
        "side": "Buy",
        "type": "Limit",
        "quantity": 10,
        "price": Decimal("10.15"),
        "time_in_force": "Day",
    }
    order.update(changes)  # type: ignore[typeddict-item]
    return order


def sent_bodies(sb: autoshares.Sandbox, path: str) -> list[dict[str, Any]]:
    return [json.loads(r["body"]) for r in sb.recorded_requests() if r["method"] == "POST" and r["path"] == path]


def test_an_exact_decimal_price_is_sent_and_echoed_exactly(sb: autoshares.Sandbox) -> None:
    c, account_id, path = setup(sb)
    order = c.orders.place(account_id, limit())
    assert isinstance(order.price, Decimal) and str(order.price) == "10.15", "the sandbox echoes the exact price"
    assert order.symbol == "AAPL" and order.side is OrderSide.BUY and order.type is OrderType.LIMIT
    [raw] = [r["body"].decode() for r in sb.recorded_requests() if r["method"] == "POST" and r["path"] == path]
    assert '"Price":10.15' in raw and '"Quantity":10' in raw, raw
    body = json.loads(raw)
    assert body["Side"] == "Buy" and body["Type"] == "Limit"
    assert isinstance(body["ClientId"], str) and body["ClientId"], "core assigns a ClientId"
    assert c.orders.get(account_id, order.id or 0).price == Decimal("10.15")


def test_decimals_keep_their_digits_and_members_and_strings_both_work(sb: autoshares.Sandbox) -> None:
    c, account_id, path = setup(sb)
    try:  # whether the paper engine accepts the fractional quantity does not matter: what was sent does
        c.orders.place(account_id, limit(price=Decimal("187.2500"), quantity="0.5", side=OrderSide.BUY))
    except autoshares.ApiError:
        pass
    [raw] = [r["body"].decode() for r in sb.recorded_requests() if r["method"] == "POST" and r["path"] == path]
    assert '"Price":187.2500' in raw and '"Quantity":0.5' in raw, raw


def test_an_order_without_a_price_is_refused_before_sending(sb: autoshares.Sandbox) -> None:
    c, account_id, path = setup(sb)
    order = limit()
    del order["price"]
    with pytest.raises(autoshares.ValidationError) as e:
        c.orders.place(account_id, order)
    assert e.value.field == "price" and e.value.code == "VALIDATION"
    with pytest.raises(autoshares.ValidationError):
        c.sync_orders.preview(account_id, order)
    assert sb.request_count("POST", path) == 0, "nothing was sent"


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"price": 0.1 + 0.2}, "price", "float"),
        ({"side": "Sideways"}, "side", "Sideways"),
        ({"time_in_force": "Forever"}, "time_in_force", "Forever"),
        ({"prize": Decimal("1")}, "prize", "no field"),
        ({"quantity": True}, "quantity", "bool"),
        ({"expire_date": dt.datetime(2030, 1, 1)}, "expire_date", "naive"),
        ({"legs": [{"symbol": "AAPL", "side": "Up"}]}, "legs[0].side", "Up"),
    ],
)
def test_bad_values_are_validation_errors_naming_the_field(
    sb: autoshares.Sandbox, changes: dict[str, Any], field: str, message: str
) -> None:
    c, account_id, path = setup(sb)
    with pytest.raises(autoshares.ValidationError, match=message) as e:
        c.orders.place(account_id, limit(**changes))
    assert e.value.field == field
    assert sb.request_count("POST", path) == 0


def test_a_body_must_be_a_dict(sb: autoshares.Sandbox) -> None:
    c, account_id, _ = setup(sb)
    with pytest.raises(autoshares.ValidationError, match="dict"):
        c.orders.place(account_id, [("symbol", "AAPL")])  # type: ignore[arg-type]


def test_aware_datetimes_in_any_zone_are_sent_as_utc(sb: autoshares.Sandbox) -> None:
    c, account_id, path = setup(sb)
    eastern = dt.timezone(dt.timedelta(hours=-5))
    when = dt.datetime(2030, 1, 2, 10, 30, tzinfo=eastern)
    c.orders.place(account_id, limit(time_in_force="GoodTillDate", expire_date=when))
    [body] = sent_bodies(sb, path)
    assert body["ExpireDate"].startswith("2030-01-02T15:30:00"), body["ExpireDate"]


def test_paged_iteration_walks_every_page(sb: autoshares.Sandbox) -> None:
    c, account_id, path = setup(sb)
    placed = [c.orders.place(account_id, limit(price=Decimal(f"10.{i}"))).id or 0 for i in range(5)]
    page = c.orders.list(account_id, page_size=2)
    assert len(page.result) == 2 and page.total_count == 5
    before = sb.request_count("GET", path)
    seen = [o.id or 0 for o in c.orders.list_iter(account_id, page_size=2)]
    assert sorted(seen) == sorted(placed), "every order, once"
    assert sb.request_count("GET", path) - before == 3, "pages 0, 1 and 2, fetched as the loop asked"
    queries = [r["query"] for r in sb.recorded_requests() if r["path"] == path][-3:]
    assert [q for q in queries if "pageNumber=2" in q and "pageSize=2" in q], queries
    # From page 1 on, and a loop that stops early fetches no more.
    assert len(list(c.orders.list_iter(account_id, page_size=2, page_number=1))) == 3
    before = sb.request_count("GET", path)
    assert next(iter(c.orders.list_iter(account_id, page_size=2))) is not None
    assert sb.request_count("GET", path) - before == 1


def test_sort_and_filter_are_sent_in_the_endpoints_spelling(sb: autoshares.Sandbox) -> None:
    c, account_id, path = setup(sb)
    c.orders.list(
        account_id,
        page_number=0,
        page_size=25,
        is_report=False,
        sort="-CreateDate",
        filter=[("Symbol", "eq", "AAPL"), ("Quantity", "between", (1, Decimal("100.50"))), ("Status", "in", [0, 1])],
    )
    query = [r["query"] for r in sb.recorded_requests() if r["path"] == path][-1]
    from urllib.parse import parse_qs

    q = {k: v[0] for k, v in parse_qs(query).items()}
    assert (q["pageSize"], q["isReport"], q["sortField"], q["desc"]) == ("25", "false", "CreateDate", "true")
    assert q["filter"] == "Symbol = 'AAPL' and Quantity between 1 and 100.5 and Status in (0, 1)"
    for bad, field in [
        ([("Symbol", "like", "AA")], "filter[0]"),
        ([("Price", "gt", 0.1)], "filter[0]"),
        ([("Symbol", "eq", "A"), ("Qty", "in", 3)], "filter[1]"),
        ([], "filter"),
    ]:
        with pytest.raises(autoshares.ValidationError) as e:
            c.orders.list(account_id, filter=bad)  # type: ignore[arg-type]
        assert e.value.field == field, bad


async def test_async_orders_and_iteration(sb: autoshares.Sandbox) -> None:
    account_id = sb.account_ids("trader")[0]
    path = f"/v1.0/accounts/{account_id}/orders"
    async with sb.async_client() as c:
        order = await c.orders.place(account_id, limit(price=Decimal("99.990")))
        assert order.price == Decimal("99.99") and isinstance(order.price, Decimal)
        assert '"Price":99.990' in sb.recorded_requests()[-1]["body"].decode(), "sent with its digits"
        no_price = limit()
        del no_price["price"]
        with pytest.raises(autoshares.ValidationError) as e:
            await c.orders.place(account_id, no_price)
        assert e.value.field == "price"
        with pytest.raises(autoshares.ValidationError):
            _ = c.orders.place(account_id, limit(side="Sideways"))  # refused when called, before any awaiting
        assert sb.request_count("POST", path) == 1
        await c.orders.place(account_id, limit())
        seen = [o.id async for o in c.orders.list_iter(account_id, page_size=1)]
        assert len(seen) == 2 and order.id in seen


def test_the_order_journal_lets_a_restarted_process_finish_reconciliation(
    sb: autoshares.Sandbox, tmp_path: Any
) -> None:
    _, account_id, path = setup(sb)
    journal = tmp_path / "orders.journal"
    first_run = sb.client(order_journal=journal)
    first_run.users.me()
    # The place reaches the server but its answer is lost, and the order list cannot be read to reconcile it.
    sb.inject_fault(503, method="GET", path_prefix=path, count=1000)
    sb.inject_fault(502, method="POST", path_prefix=path, after_act=True)
    with pytest.raises(autoshares.AmbiguousOrderError) as info:
        first_run.orders.place(account_id, limit(client_id="journal-cid-1", price=Decimal("10.1500")))
    assert info.value.client_id == "journal-cid-1"
    sb.clear_faults()
    first_run.close()
    assert (journal.stat().st_mode & 0o777) == 0o600

    restarted = sb.client(order_journal=journal)
    (entry,) = restarted.reconcile_journal()
    assert isinstance(entry, autoshares._native.ReconciledIntent)
    assert (entry.operation, entry.account_id, entry.key, entry.outcome) == (
        "place",
        account_id,
        "journal-cid-1",
        "placed",
    )
    assert entry.order is not None and entry.order.client_id == "journal-cid-1" and entry.error is None
    assert entry.request is not None and entry.request["Price"] == Decimal("10.1500"), "the body exactly"
    assert entry.recorded_at.tzinfo is not None
    assert len(sent_bodies(sb, path)) == 1, "reconciling sends nothing"
    assert restarted.reconcile_journal() == [], "finished intents leave the journal"
    with pytest.raises(autoshares.ConfigError, match="no order journal"):
        sb.client().reconcile_journal()

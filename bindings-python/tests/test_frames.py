"""`.to_arrow()`, `.to_pandas()` and `.to_polars()` of tabular results: pages of orders, positions and transactions,
the bars of `history.bars(...)`, option chains, and any list of models (`autoshares.to_pandas(quotes)`); exact
decimals, aware times, nulls kept; handed over through the Arrow PyCapsule interface; a missing extra names itself.

`make test` sets AUTOSHARES_TEST_EXTRAS=required, so there a missing extra fails these tests instead of skipping them.
"""

from __future__ import annotations

import importlib
import os
import sys
import time
from decimal import Decimal
from typing import Any

import autoshares
import pytest


def extra(module: str) -> Any:
    """The optional package `module`: required under `make test`, else the test is skipped without it."""
    if os.environ.get("AUTOSHARES_TEST_EXTRAS") == "required":
        return importlib.import_module(module)
    return pytest.importorskip(module)


@pytest.fixture(scope="module")
def data(sb: autoshares.Sandbox) -> tuple[autoshares.Client, int]:
    c = sb.client()
    account = sb.account_ids("trader")[0]
    for qty in (1, 2, 3):
        c.orders.place(
            account, {"symbol": "AAPL", "side": "Buy", "type": "Market", "quantity": qty, "time_in_force": "Day"}
        )
    c.orders.place(
        account,
        {
            "symbol": "MSFT",
            "side": "Buy",
            "type": "Limit",
            "quantity": 1,
            "price": Decimal("1.25"),
            "time_in_force": "Day",
        },
    )
    return c, account


def bars(c: autoshares.Client) -> autoshares.models.ChartHistory:
    return c.history.bars(
        {
            "security": {"symbol": "AAPL"},
            "security_history_settings": {"period": "1h", "interval": 0, "candles_count": 48},
        }
    )


def test_orders_page_to_arrow_has_typed_exact_columns(data: tuple[autoshares.Client, int]) -> None:
    pa = extra("pyarrow")
    c, account = data
    page = c.orders.list(account, page_size=50)
    t = page.to_arrow()
    assert t.num_rows == len(page.result) >= 4
    assert t.schema.field("id").type == pa.int64()
    assert pa.types.is_decimal(t.schema.field("price").type)
    assert t.schema.field("create_date").type == pa.timestamp("us", tz="UTC")
    assert t.schema.field("status").type == pa.string()
    rows = {r["id"]: r for r in t.to_pylist()}
    for o in page.result:
        r = rows[o.id]
        assert r["symbol"] == o.symbol and r["status"] == (o.status.value if o.status else None)
        assert r["quantity"] == o.quantity and r["price"] == o.price, "decimals exact"
        assert r["create_date"] == o.create_date
    limit = next(r for r in rows.values() if r["symbol"] == "MSFT")
    assert limit["price"] == Decimal("1.25")
    assert "legs" not in t.column_names, "nested values are left out"


def test_orders_to_pandas_and_polars(data: tuple[autoshares.Client, int]) -> None:
    pd = extra("pandas")
    extra("pyarrow")
    c, account = data
    page = c.orders.list(account, page_size=50)
    df = page.to_pandas()
    assert len(df) == len(page.result)
    assert str(df["id"].dtype) == "Int64"
    assert isinstance(df["price"].dtype, pd.ArrowDtype)
    assert set(df.loc[df["symbol"] == "MSFT", "price"]) == {Decimal("1.25")}
    assert str(df["create_date"].dt.tz) == "UTC"
    obj = page.to_pandas(decimals="object")
    assert all(isinstance(v, Decimal) for v in obj["quantity"].dropna())
    assert page.to_pandas(decimals="float")["quantity"].dtype.kind == "f"
    pl = extra("polars")
    frame = page.to_polars()
    assert frame.height == len(page.result)
    assert isinstance(frame.schema["price"], pl.Decimal)


def test_bars_positions_and_transactions_are_tables(data: tuple[autoshares.Client, int]) -> None:
    extra("pandas")
    extra("pyarrow")
    c, account = data
    h = bars(c)
    candles = [b for series in h.security_history for b in series]
    df = h.to_pandas()
    assert len(df) == len(candles) > 0
    assert list(df["close"]) == [b.close for b in candles]
    assert list(df["high"]) == [b.high for b in candles]
    assert df["time"].iloc[0] == candles[0].time
    positions = c.positions.list(account)
    assert len(positions.to_pandas()) == len(positions.result) >= 1
    transactions = c.transactions.list(account)
    assert len(transactions.to_arrow()) == len(transactions.result)


def test_a_missing_extra_raises_an_error_naming_it(
    data: tuple[autoshares.Client, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    c, account = data
    page = c.orders.list(account)
    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(ImportError, match=r"pip install 'autoshares\[pandas\]'"):
        page.to_pandas()
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    with pytest.raises(ImportError, match=r"pip install 'autoshares\[arrow\]'"):
        page.to_arrow()
    monkeypatch.setitem(sys.modules, "polars", None)
    with pytest.raises(ImportError, match=r"pip install 'autoshares\[polars\]'"):
        page.to_polars()


def test_option_chains_are_one_row_per_contract(data: tuple[autoshares.Client, int]) -> None:
    pa = extra("pyarrow")
    c, _ = data
    chain = c.securities.option_chain("AAPL")
    contracts = [o for e in chain.expirations for o in e.options]
    assert contracts, "the sandbox lists AAPL options"
    t = chain.to_arrow()
    assert t.num_rows == len(contracts)
    assert pa.types.is_decimal(t.schema.field("strike_price").type)
    assert t.column("strike_price").to_pylist() == [o.strike_price for o in contracts]
    assert t.column("symbol").to_pylist() == [o.symbol for o in contracts]
    assert t.column("expiration_date").to_pylist() == [o.expiration_date for o in contracts]
    df = chain.to_pandas()
    calls = df[df["option_type"] == "Call"]
    assert 0 < len(calls) < len(df), "calls and puts both present"
    assert chain.to_polars().height == len(contracts)


def test_any_list_of_models_is_a_table_such_as_streamed_quotes(sb: autoshares.Sandbox) -> None:
    pd = extra("pandas")
    sb.set_quote_rate(200)
    quotes: list[Any] = []
    with sb.client().stream(quotes=["AAPL", "MSFT"]) as s:
        deadline = time.monotonic() + 10
        while len(quotes) < 20 and time.monotonic() < deadline:
            quotes += [e.quote for e in s.next_batch(timeout=1) if isinstance(e, autoshares.QuoteEvent)]
    assert len(quotes) >= 20, quotes
    df = autoshares.to_pandas(quotes)
    assert len(df) == len(quotes)
    assert list(df["symbol"]) == [q.symbol for q in quotes]
    assert list(df["bid"]) == [q.bid for q in quotes], "exact decimals"
    assert isinstance(df["bid"].dtype, pd.ArrowDtype)
    assert autoshares.to_arrow(iter(quotes)).num_rows == len(quotes), "any iterable"
    assert autoshares.to_polars(quotes).height == len(quotes)
    assert autoshares.to_pandas(quotes, decimals="float")["bid"].dtype.kind == "f"
    with pytest.raises(TypeError, match=r"rows\[1\] is a Order, not a Quote"):
        autoshares.to_arrow([quotes[0], sb.client().orders.list(sb.account_ids("trader")[0]).result[0]])
    with pytest.raises(TypeError, match="not an autoshares model"):
        autoshares.to_arrow([{"bid": 1}])
    with pytest.raises(ValueError, match="no rows"):
        autoshares.to_pandas([])


def test_tables_cross_the_arrow_pycapsule_interface_and_polars_needs_no_pyarrow(
    data: tuple[autoshares.Client, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    pa = extra("pyarrow")
    pl = extra("polars")
    c, account = data
    page = c.orders.list(account, page_size=50)
    table = autoshares._native._rows_table("to_arrow", list(page.result))
    # The native table is an Arrow C stream any consumer can import; every import sees the same columns.
    captured: list[Any] = []
    monkeypatch.setattr(autoshares._frames, "to_arrow", lambda source: captured.append(source) or pa.table(source))
    page.to_arrow()
    (source,) = captured
    assert type(source).__name__ == "ArrowTable" and source.num_rows == len(page.result)
    assert source.column_names == table.column_names
    assert pa.table(source).equals(pa.table(source)), "a second export of one table"
    assert pa.RecordBatchReader.from_stream(source).read_all().num_rows == len(page.result)
    assert pa.schema(source).names == source.column_names
    # polars imports the stream itself: with pyarrow unavailable it still works.
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    frame = page.to_polars()
    assert frame.height == len(page.result)
    assert isinstance(frame.schema["price"], pl.Decimal)
    assert Decimal("1.25") in frame["price"].to_list()

"""`.to_arrow()`, `.to_pandas()` and `.to_polars()` of tabular results: pages of orders, positions and transactions,
and the bars of `history.bars(...)`; exact decimals, aware times, nulls kept; a missing extra names itself."""

from __future__ import annotations

import sys
from decimal import Decimal

import autoshares
import pytest


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
    pa = pytest.importorskip("pyarrow")
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
    pd = pytest.importorskip("pandas")
    pytest.importorskip("pyarrow")
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
    pl = pytest.importorskip("polars")
    frame = page.to_polars()
    assert frame.height == len(page.result)
    assert isinstance(frame.schema["price"], pl.Decimal)


def test_bars_positions_and_transactions_are_tables(data: tuple[autoshares.Client, int]) -> None:
    pytest.importorskip("pandas")
    pytest.importorskip("pyarrow")
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

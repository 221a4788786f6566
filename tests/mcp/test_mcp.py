"""The `autoshares mcp` server through the official MCP Python SDK's stdio client (the `mcp` package).

Each test spawns the built binary (`AUTOSHARES_BIN`, default `target/debug/autoshares`): with `--sandbox` it serves
an in-process sandbox logged in as `trader`; the live tests point it at the live environment on a loopback port
where nothing listens, so nothing leaves the machine.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Awaitable, Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client

ROOT = Path(__file__).resolve().parents[2]
BIN = os.environ.get("AUTOSHARES_BIN", str(ROOT / "target" / "debug" / "autoshares"))


def server(args: list[str], tmp_path: Path, extra_env: dict[str, str] | None = None) -> StdioServerParameters:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "AUTOSHARES_MAX_RETRIES": "0",
    }
    env.update(extra_env or {})
    return StdioServerParameters(command=BIN, args=["mcp", *args], env=env)


def session_run(params: StdioServerParameters, body: Callable[[ClientSession], Awaitable[None]]) -> None:
    async def main() -> None:
        async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
            await session.initialize()
            await body(session)

    asyncio.run(asyncio.wait_for(main(), 60))


def text(result: Any) -> str:
    return "".join(getattr(c, "text", "") for c in result.content)


async def ok(session: ClientSession, tool: str, args: dict[str, Any] | None = None) -> Any:
    result = await session.call_tool(tool, args or {})
    assert not result.is_error, f"{tool}: {text(result)}"
    # Money arrives as exact JSON numbers: read them as Decimal, never float.
    return json.loads(text(result), parse_float=Decimal)


async def refused(session: ClientSession, tool: str, args: dict[str, Any], code: str) -> str:
    result = await session.call_tool(tool, args)
    assert result.is_error, f"{tool} was not refused: {text(result)}"
    message = text(result)
    assert message.startswith(f"{code}: "), message
    return message


LIMIT_BUY = {"symbol": "AAPL", "side": "Buy", "order_type": "Limit", "quantity": "2", "limit_price": "101.37"}


def test_tools_are_listed_with_input_schemas(tmp_path: Path) -> None:
    async def body(s: ClientSession) -> None:
        tools = {t.name: t for t in (await s.list_tools()).tools}
        for name in [
            "accounts",
            "balances",
            "positions",
            "orders",
            "transactions",
            "quotes",
            "option_chain",
            "bars",
            "watchlists",
            "alerts",
            "preview_order",
            "place_order",
            "preview_cancel",
            "cancel_order",
        ]:
            assert name in tools, sorted(tools)
            assert tools[name].input_schema["type"] == "object", name
            assert tools[name].description
        place = tools["place_order"].input_schema
        assert "preview_id" in place["required"], place
        assert {"symbol", "side", "order_type", "quantity"} <= set(place["required"]), place
        assert "preview_id" in tools["cancel_order"].input_schema["required"]
        assert "symbols" in tools["quotes"].input_schema["required"]

    session_run(server(["--sandbox"], tmp_path), body)


def test_read_tools_answer_json(tmp_path: Path) -> None:
    async def body(s: ClientSession) -> None:
        accounts = await ok(s, "accounts")
        assert [a["Id"] for a in accounts] and all("ClearingAccount" in a for a in accounts)
        balance = await ok(s, "balances", {"account_id": accounts[0]["Id"]})
        assert str(balance["cash"]) == "100000.00"
        quotes = await ok(s, "quotes", {"symbols": ["AAPL", "MSFT"]})
        assert [q["Symbol"] for q in quotes] == ["AAPL", "MSFT"] and quotes[0]["Bid"] > 0
        chain = await ok(s, "option_chain", {"symbol": "AAPL", "range": 1})
        assert chain["Expirations"] and chain["Expirations"][0]["Options"]
        bars = await ok(
            s,
            "bars",
            {
                "symbol": "AAPL",
                "period": "1D",
                "count": 5,
                "indicators": [{"name": "sma", "params": [3]}],
                "server_indicators": [{"name": "SMA", "params": [3]}],
            },
        )
        assert len(bars["bars"]) == 5 and {"Open", "High", "Low", "Close"} <= set(bars["bars"][0])
        assert bars["indicator_keys"] == ["sma_3", "SMA|1D|false|3|0"]
        last = bars["bars"][-1]
        mean = sum(float(b["Close"]) for b in bars["bars"][-3:]) / 3
        assert abs(float(last["sma_3"]) - mean) <= 1e-9 * mean and bars["bars"][1]["sma_3"] is None
        assert abs(float(last["SMA|1D|false|3|0"][0]) - mean) <= 1e-9 * mean, last
        await refused(
            s, "bars", {"symbol": "AAPL", "period": "1D", "indicators": [{"name": "rsi", "params": [0]}]}, "VALIDATION"
        )
        await refused(
            s, "bars", {"symbol": "AAPL", "period": "1D", "server_indicators": [{"name": "SAR"}]}, "VALIDATION"
        )
        for tool in ["positions", "orders", "transactions", "watchlists", "alerts"]:
            assert isinstance(await ok(s, tool), list), tool
        await refused(s, "bars", {"symbol": "AAPL", "period": "7x"}, "VALIDATION")
        await refused(s, "quotes", {"symbols": ["NOSUCHSYMBOL"]}, "VALIDATION")

    session_run(server(["--sandbox"], tmp_path), body)


def test_orders_need_a_preview_of_exactly_that_order_used_once(tmp_path: Path) -> None:
    async def body(s: ClientSession) -> None:
        # Refused without a preview id, with an unknown one, and with a preview of another order.
        await refused(s, "place_order", LIMIT_BUY, "VALIDATION")
        await refused(s, "place_order", {**LIMIT_BUY, "preview_id": "made-up"}, "VALIDATION")
        preview = await ok(s, "preview_order", LIMIT_BUY)
        assert preview["environment"] == "sandbox" and preview["expires_in_seconds"] > 0
        assert preview["request"]["Price"] == Decimal("101.37") and preview["request"]["Quantity"] == 2
        assert "preview" in preview
        other = {**LIMIT_BUY, "quantity": "3", "preview_id": preview["preview_id"]}
        assert "different request" in await refused(s, "place_order", other, "VALIDATION")
        # A bad order is the SDK's validation error, before anything is previewed.
        await refused(s, "preview_order", {**LIMIT_BUY, "quantity": "0"}, "VALIDATION")
        await refused(s, "preview_order", {**LIMIT_BUY, "limit_price": None}, "VALIDATION")

        placed = await ok(s, "place_order", {**LIMIT_BUY, "preview_id": preview["preview_id"]})
        assert placed["Symbol"] == "AAPL" and placed["Price"] == Decimal("101.37")
        assert placed["ClientId"] == preview["request"]["ClientId"], "the placed order is the previewed one"
        # Single use.
        await refused(s, "place_order", {**LIMIT_BUY, "preview_id": preview["preview_id"]}, "VALIDATION")
        orders = await ok(s, "orders")
        assert [o for o in orders if o["Id"] == placed["Id"]]

        # Cancel: refused without its own preview, then previewed and done.
        await refused(s, "cancel_order", {"order_id": placed["Id"]}, "VALIDATION")
        await refused(s, "cancel_order", {"order_id": placed["Id"], "preview_id": preview["preview_id"]}, "VALIDATION")
        cancel = await ok(s, "preview_cancel", {"order_id": placed["Id"]})
        assert cancel["order"]["Id"] == placed["Id"]
        done = await ok(s, "cancel_order", {"order_id": placed["Id"], "preview_id": cancel["preview_id"]})
        assert done["cancelled"] == placed["Id"]
        # An API error keeps the SDK's code.
        await refused(s, "preview_cancel", {"order_id": 987654321}, "API")

    session_run(server(["--sandbox"], tmp_path), body)


LIVE_ENV = {
    "AUTOSHARES_ENV": "live",
    "AUTOSHARES_ALLOW_LIVE": "true",
    "AUTOSHARES_APP_KEY": "live-app-key",
    "AUTOSHARES_USERNAME": "someone",
    "AUTOSHARES_PASSWORD": "not-used",
    # Loopback, nothing listening: no request can leave the machine.
    "AUTOSHARES_BASE_URL": "https://127.0.0.1:9",
    "AUTOSHARES_CONNECT_TIMEOUT": "2",
}


def test_order_tools_are_refused_against_live_without_the_flag(tmp_path: Path) -> None:
    async def body(s: ClientSession) -> None:
        for tool, args in [
            ("preview_order", LIMIT_BUY),
            ("place_order", {**LIMIT_BUY, "preview_id": "x"}),
            ("preview_cancel", {"order_id": 1}),
            ("cancel_order", {"order_id": 1, "preview_id": "x"}),
        ]:
            assert "--live" in await refused(s, tool, args, "CONFIG")

    session_run(server([], tmp_path, LIVE_ENV), body)


def test_with_the_live_flag_order_tools_go_ahead(tmp_path: Path) -> None:
    async def body(s: ClientSession) -> None:
        # Not refused by the server: the preview is attempted and fails on the (absent) live host.
        await refused(s, "preview_order", LIMIT_BUY, "TRANSPORT")
        # Still no order without a preview.
        await refused(s, "place_order", LIMIT_BUY, "VALIDATION")

    session_run(server(["--live"], tmp_path, LIVE_ENV), body)

"""Python async REST: `autoshares.AsyncClient` against what a user would write by hand with `aiohttp` or
`httpx.AsyncClient` and `json` decoding into dicts. Same calls, N in flight, default asyncio loop or uvloop.

    python benches/python/rest_async.py --creds CREDS --client autoshares|aiohttp|httpx --call equity|list \
        --in-flight 64 [--loop uvloop]

Each request's result is read as user code would (the symbol of the equity, the id of the last order), so a lazily
converted model and a dict both pay for what is read. Prints one JSON line (see common.rest_figures).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from time import perf_counter_ns
from typing import Any

from common import Sandbox, cpu_seconds, emit, now, parse_args, rest_figures, run_on_loop

Call = Callable[[], Awaitable[Any]]


async def drive(call: Call, in_flight: int, seconds: float) -> tuple[list[int], float, float]:
    """Keeps `in_flight` calls going for `seconds`; the latencies, wall time and CPU time of the window."""
    latencies: list[int] = []
    deadline = now() + seconds

    async def worker() -> None:
        append = latencies.append
        while True:
            t = perf_counter_ns()
            await call()
            append(perf_counter_ns() - t)
            if now() >= deadline:
                return

    cpu0 = cpu_seconds()
    t0 = now()
    await asyncio.gather(*(worker() for _ in range(in_flight)))
    return latencies, now() - t0, cpu_seconds() - cpu0


async def autoshares_calls(sb: Sandbox, what: str) -> tuple[Call, Callable[[], Awaitable[None]]]:
    import autoshares

    client = autoshares.AsyncClient(**sb.login_options())
    account = sb.account
    orders = client.orders
    securities = client.securities
    if what == "list":

        async def call() -> Any:
            page = await orders.list(account, page_size=50)
            return page.result[-1].id

    else:

        async def call() -> Any:
            return (await securities.equity("AAPL")).symbol

    async def close() -> None:
        await client.close()

    return call, close


async def aiohttp_calls(sb: Sandbox, what: str) -> tuple[Call, Callable[[], Awaitable[None]]]:
    import aiohttp

    token = sb.token()
    session = aiohttp.ClientSession(headers=sb.headers(token))
    url = sb.url + sb.path(what)
    loads = json.loads
    if what == "list":

        async def call() -> Any:
            async with session.get(url) as r:
                r.raise_for_status()
                return loads(await r.read())["Result"][-1]["Id"]

    else:

        async def call() -> Any:
            async with session.get(url) as r:
                r.raise_for_status()
                return loads(await r.read())["Symbol"]

    return call, session.close


async def httpx_calls(sb: Sandbox, what: str) -> tuple[Call, Callable[[], Awaitable[None]]]:
    import httpx

    token = sb.token()
    client = httpx.AsyncClient(headers=sb.headers(token))
    url = sb.url + sb.path(what)
    loads = json.loads
    if what == "list":

        async def call() -> Any:
            r = await client.get(url)
            r.raise_for_status()
            return loads(r.content)["Result"][-1]["Id"]

    else:

        async def call() -> Any:
            r = await client.get(url)
            r.raise_for_status()
            return loads(r.content)["Symbol"]

    return call, client.aclose


CLIENTS = {"autoshares": autoshares_calls, "aiohttp": aiohttp_calls, "httpx": httpx_calls}


async def main() -> None:
    args = parse_args()
    sb = Sandbox(args.creds)
    call, close = await CLIENTS[args.client](sb, args.call)
    await call()  # login, connection set-up
    await drive(call, args.in_flight, args.warmup)
    latencies, wall, cpu = await drive(call, args.in_flight, args.seconds)
    figures = rest_figures(latencies, wall, cpu)
    await close()
    emit(figures)


if __name__ == "__main__":
    args = parse_args()
    run_on_loop(main, args.loop)

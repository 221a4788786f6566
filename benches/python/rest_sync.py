"""Python blocking REST: `autoshares.Client` against `requests.Session` and `httpx.Client` with `json` decoding into
dicts. One call at a time (`--in-flight 1`), or N threads each calling in a loop (`--in-flight 64`; `requests` gets
a Session per thread, as its docs advise; `httpx.Client` and `autoshares.Client` are shared).

    python benches/python/rest_sync.py --creds CREDS --client autoshares|requests|httpx --call equity|list

Prints one JSON line (see common.rest_figures).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from time import perf_counter_ns
from typing import Any

from common import Sandbox, cpu_seconds, emit, now, parse_args, rest_figures

MakeCall = Callable[[], Callable[[], Any]]


def drive(calls: list[Callable[[], Any]], seconds: float) -> tuple[list[int], float, float]:
    """Each call in its own thread (the caller's thread alone for one) for `seconds`."""
    latencies: list[int] = []
    lock = threading.Lock()
    deadline = now() + seconds

    def worker(call: Callable[[], Any]) -> None:
        mine: list[int] = []
        append = mine.append
        while True:
            t = perf_counter_ns()
            call()
            append(perf_counter_ns() - t)
            if now() >= deadline:
                break
        with lock:
            latencies.extend(mine)

    cpu0 = cpu_seconds()
    t0 = now()
    if len(calls) == 1:
        worker(calls[0])
    else:
        threads = [threading.Thread(target=worker, args=(c,)) for c in calls]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    return latencies, now() - t0, cpu_seconds() - cpu0


def autoshares_calls(sb: Sandbox, what: str) -> MakeCall:
    import autoshares

    client = autoshares.Client(**sb.login_options())
    account = sb.account
    orders = client.orders
    securities = client.securities

    def make() -> Callable[[], Any]:
        if what == "list":
            return lambda: orders.list(account, page_size=50).result[-1].id
        return lambda: securities.equity("AAPL").symbol

    return make


def requests_calls(sb: Sandbox, what: str) -> MakeCall:
    import requests

    token = sb.token()
    url = sb.url + sb.path(what)
    loads = json.loads

    def make() -> Callable[[], Any]:
        session = requests.Session()
        session.headers.update(sb.headers(token))

        def call() -> Any:
            r = session.get(url)
            r.raise_for_status()
            d = loads(r.content)
            return d["Result"][-1]["Id"] if what == "list" else d["Symbol"]

        return call

    return make


def httpx_calls(sb: Sandbox, what: str) -> MakeCall:
    import httpx

    token = sb.token()
    client = httpx.Client(headers=sb.headers(token), limits=httpx.Limits(max_connections=128))
    url = sb.url + sb.path(what)
    loads = json.loads

    def make() -> Callable[[], Any]:
        def call() -> Any:
            r = client.get(url)
            r.raise_for_status()
            d = loads(r.content)
            return d["Result"][-1]["Id"] if what == "list" else d["Symbol"]

        return call

    return make


CLIENTS = {"autoshares": autoshares_calls, "requests": requests_calls, "httpx": httpx_calls}


def main() -> None:
    args = parse_args()
    sb = Sandbox(args.creds)
    make = CLIENTS[args.client](sb, args.call)
    calls = [make() for _ in range(args.in_flight)]
    calls[0]()  # login
    drive(calls, args.warmup)  # connections set up
    latencies, wall, cpu = drive(calls, args.seconds)
    emit(rest_figures(latencies, wall, cpu))


if __name__ == "__main__":
    main()

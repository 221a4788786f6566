"""What every Python benchmark driver shares: its command line, the sandbox it is pointed at, the raw login the
hand-written baselines do, and the figures each run reports (one JSON line on stdout).

`benches/run.py` starts the sandbox (a separate process, pinned to its own core) and runs every driver as a child
process pinned to the client core, so CPU time and peak RSS are one client's alone.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import sys
import time
import urllib.request
from collections.abc import Callable, Coroutine
from typing import Any

#: The REST calls every language measures (the same as benches/src/bin/rest.rs): a page of 50 orders and an equity
#: (a quote-like object of about 600 bytes).
PATHS = {
    "list": "/v1.0/accounts/{account}/orders?pageNumber=0&pageSize=50",
    "equity": "/v1.0/equities/AAPL",
}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser()
    p.add_argument("--creds", required=True, help="the sandbox's credentials file (written by --credentials-file)")
    p.add_argument("--client", required=True)
    p.add_argument("--call", default="equity", choices=sorted(PATHS))
    p.add_argument("--in-flight", type=int, default=1)
    p.add_argument("--seconds", type=float, default=1.0)
    p.add_argument("--warmup", type=float, default=0.3)
    p.add_argument("--loop", default="asyncio", choices=["asyncio", "uvloop"])
    p.add_argument("--symbols", type=int, default=500, help="streams: securities subscribed (see security_ids)")
    p.add_argument("--bars", type=int, default=100_000, help="frames: bars in the JSON body")
    return p.parse_args(argv)


def security_ids(n: int) -> list[int]:
    """The first `n` securities of the sandbox: its 36 listed ones (ids 1 to 36), then options (from id 100001)."""
    return list(range(1, min(n, 36) + 1)) + list(range(100_001, 100_001 + max(0, n - 36)))


class Sandbox:
    """The sandbox a driver talks to: URL, app key, the `trader` user and its first account."""

    def __init__(self, creds_path: str) -> None:
        with open(creds_path) as f:
            c = json.load(f)
        self.url: str = c["url"]
        self.app_key: str = c["app_key"]
        trader = next(u for u in c["users"] if u["username"] == "trader")
        self.username: str = trader["username"]
        self.password: str = trader["password"]
        self.user_id: int = trader["user_id"]
        self.account: int = trader["account_ids"][0]

    def path(self, call: str) -> str:
        return PATHS[call].format(account=self.account)

    def token(self) -> str:
        """`POST /token` as a hand-written client does it (Username/Password headers)."""
        req = urllib.request.Request(
            self.url + "/token",
            method="POST",
            data=b"",
            headers={"Et-App-Key": self.app_key, "Username": self.username, "Password": self.password},
        )
        with urllib.request.urlopen(req, timeout=10) as r:
            return str(json.loads(r.read())["Token"])

    def headers(self, token: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}", "Et-App-Key": self.app_key, "Accept": "application/json"}

    def login_options(self) -> dict[str, Any]:
        """The keyword arguments of an `autoshares.Client` / `AsyncClient` logged in as this sandbox's trader."""
        import autoshares

        return {
            "base_url": self.url,
            "app_key": self.app_key,
            "login": autoshares.PasswordLogin(self.username, self.password),
            "use_env": False,
        }


def run_on_loop(main: Callable[[], Coroutine[Any, Any, None]], loop: str) -> None:
    """Runs an async driver's `main()` on the loop its `--loop` names (`asyncio` or `uvloop`)."""
    if loop == "uvloop":
        import uvloop

        uvloop.run(main())
    else:
        asyncio.run(main())


def cpu_seconds() -> float:
    """User + system CPU time of the whole process (every thread: tokio's workers count too)."""
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def rest_figures(latencies_ns: list[int], wall: float, cpu: float) -> dict[str, Any]:
    """Requests per second, p50/p99 latency, CPU per 1,000 requests and peak RSS of one measured window."""
    n = len(latencies_ns)
    lat = sorted(latencies_ns)

    def pct(p: float) -> float:
        return lat[int((n - 1) * p)] / 1000.0 if n else 0.0

    return {
        "requests": n,
        "rps": n / wall if wall > 0 else 0.0,
        "p50_us": pct(0.50),
        "p99_us": pct(0.99),
        "cpu_us_per_1000": cpu * 1e6 / n * 1000.0 if n else 0.0,
        "peak_rss_mib": peak_rss_mib(),
    }


def emit(figures: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(figures) + "\n")
    sys.stdout.flush()


def now() -> float:
    return time.perf_counter()

"""100 short-lived processes that log in and exit without closing anything: no crash, no hang."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from concurrent.futures import ThreadPoolExecutor

SCRIPTS = {
    # Sync: sandbox and client left open.
    "sync": """
        import autoshares
        sb = autoshares.Sandbox()
        c = sb.client(user="trader2fapin")
        c.users.me(); c.accounts.mine()
    """,
    # Async: a call still in flight when asyncio.run() returns and the process exits.
    "async": """
        import asyncio, autoshares
        sb = autoshares.Sandbox()
        async def main():
            c = sb.async_client()
            await c.users.me()
            asyncio.ensure_future(c.accounts.mine())
        asyncio.run(main())
    """,
    # Daemon threads in the middle of blocking calls (and logging) when the main thread exits.
    "thread": """
        import logging, threading, autoshares
        logging.basicConfig(level=logging.DEBUG)
        sb = autoshares.Sandbox()
        c = sb.client()
        c.login()
        def loop():
            while True:
                c.accounts.mine()
        for _ in range(4):
            threading.Thread(target=loop, daemon=True).start()
        c.users.me()
    """,
    # Logging on at DEBUG while everything is torn down.
    "logging": """
        import logging, autoshares
        logging.basicConfig(level=logging.DEBUG)
        sb = autoshares.Sandbox()
        c = sb.client(login=sb.oauth_login())
        c.users.me()
    """,
}


def _run(kind: str) -> tuple[str, int, str]:
    try:
        p = subprocess.run(
            [sys.executable, "-c", textwrap.dedent(SCRIPTS[kind])], capture_output=True, text=True, timeout=60
        )
    except subprocess.TimeoutExpired:
        return kind, -999, "hang"
    return kind, p.returncode, p.stderr


def test_100_processes_exit_cleanly() -> None:
    kinds = [k for _ in range(25) for k in SCRIPTS]
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(_run, kinds))
    failures = [(k, rc, err[-800:]) for k, rc, err in results if rc != 0 or "PyGILState" in err or "Fatal" in err]
    hangs = [r for r in results if r[1] == -999]
    assert len(results) == 100
    assert not hangs, hangs
    assert not failures, failures

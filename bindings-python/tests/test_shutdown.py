"""Short-lived processes that log in (and open streams) and exit without closing anything: no crash, no hang."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
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


# Streams left open at exit: the atexit hook must stop their supervisor tasks before finalization.
STREAM_SCRIPTS = {
    # Sync: one quote, then exit with the stream, the client and the sandbox open.
    "stream-sync": """
        import autoshares
        sb = autoshares.Sandbox()
        s = sb.client().stream(quotes=["AAPL"], accounts=sb.account_ids("trader")[:1], market_hours="always")
        next(e for e in s if e.type == "quote")
    """,
    # Async: one quote, then asyncio.run() returns with the stream open and a wait in flight.
    "stream-async": """
        import asyncio, autoshares
        sb = autoshares.Sandbox()
        async def main():
            s = await sb.async_client().stream(quotes=["AAPL", "MSFT"], market_hours="always")
            async for e in s:
                if e.type == "quote":
                    break
            asyncio.ensure_future(s.next_batch())
        asyncio.run(main())
    """,
    # A daemon thread blocked in `for event in stream` when the main thread exits.
    "stream-thread": """
        import threading, autoshares
        sb = autoshares.Sandbox()
        s = sb.client().stream(quotes=["AAPL"], market_hours="always")
        got = threading.Event()
        def loop():
            for e in s:
                got.set()
        threading.Thread(target=loop, daemon=True).start()
        got.wait(10)
    """,
}
SCRIPTS.update(STREAM_SCRIPTS)


def _run(kind: str) -> tuple[str, int, str]:
    try:
        p = subprocess.run(
            [sys.executable, "-c", textwrap.dedent(SCRIPTS[kind])], capture_output=True, text=True, timeout=60
        )
    except subprocess.TimeoutExpired:
        return kind, -999, "hang"
    return kind, p.returncode, p.stderr


def test_100_processes_exit_cleanly() -> None:
    kinds = [k for _ in range(25) for k in SCRIPTS if k not in STREAM_SCRIPTS]
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(_run, kinds))
    failures = [(k, rc, err[-800:]) for k, rc, err in results if rc != 0 or "PyGILState" in err or "Fatal" in err]
    hangs = [r for r in results if r[1] == -999]
    assert len(results) == 100
    assert not hangs, hangs
    assert not failures, failures


def test_100_processes_with_open_streams_exit_cleanly() -> None:
    """Each logs in, opens a stream, receives a quote and exits without closing (sync, async, a daemon thread)."""
    kinds = [k for k in STREAM_SCRIPTS for _ in range(34)][:100]
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(_run, kinds))
    took = time.monotonic() - started
    failures = [(k, rc, err[-800:]) for k, rc, err in results if rc != 0 or "PyGILState" in err or "Fatal" in err]
    hangs = [r for r in results if r[1] == -999]
    assert len(results) == 100
    assert not hangs, hangs
    assert not failures, failures
    print(f"100 stream processes: 0 crashes, 0 hangs in {took:.1f} s")


def test_streams_left_open_are_closed_by_the_exit_hook_with_a_close_frame() -> None:
    """Children log in to a sandbox in this process, open a stream, take a quote and exit: every connection they
    opened ended with the client's close (the atexit hook closed the stream), none by a cut or an error."""
    import os

    import autoshares

    child = """
        import os, autoshares
        c = autoshares.Client(base_url=os.environ["SB_URL"], app_key=os.environ["SB_KEY"], use_env=False,
                              login=autoshares.PasswordLogin("trader", os.environ["SB_PASSWORD"]))
        s = c.stream(quotes=["AAPL"], market_hours="always")
        next(e for e in s if e.type == "quote")
    """
    with autoshares.Sandbox() as sb:
        password = next(u.password for u in sb.users if u.username == "trader")
        env = dict(os.environ, SB_URL=sb.url, SB_KEY=sb.app_key, SB_PASSWORD=password)
        for _ in range(5):
            p = subprocess.run(
                [sys.executable, "-c", textwrap.dedent(child)], capture_output=True, text=True, timeout=60, env=env
            )
            assert p.returncode == 0, p.stderr[-800:]
        deadline = time.monotonic() + 5
        while any(c["open"] for c in sb.stream_connections()) and time.monotonic() < deadline:
            time.sleep(0.02)
        conns = sb.stream_connections()
        assert len(conns) == 10, conns
        assert {c["close_reason"] for c in conns} == {"ClientClosed"}, conns

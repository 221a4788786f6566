"""Awaitables: cancel-safe, no event-loop errors, blocking calls interruptible and GIL-free."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time

import autoshares


async def _drain() -> None:
    for _ in range(100):
        if autoshares._native._in_flight() == 0:
            return
        await asyncio.sleep(0.01)


async def test_a_cancelled_call_leaves_the_client_usable(sb: autoshares.Sandbox) -> None:
    slow = threading.Event()

    def code(reason: str) -> str | None:
        if not slow.is_set():
            slow.set()
            time.sleep(1.0)  # the first login is slow: it gets cancelled
        return sb.verification_code("trader2fa")

    client = sb.async_client(login=autoshares.PasswordLogin("trader2fa", "trader2fa-pass", verification_code=code))
    task = asyncio.ensure_future(client.users.me())
    await asyncio.sleep(0.2)
    assert slow.is_set()
    task.cancel()
    try:
        await task
    except asyncio.CancelledError:
        pass
    else:
        raise AssertionError("the call was not cancelled")
    await _drain()
    assert autoshares._native._in_flight() == 0, "cancelling dropped the Rust future"
    assert (await client.users.me()).login == "trader2fa"


async def test_wait_for_timeout_then_more_calls(silent_url: str, sb: autoshares.Sandbox) -> None:
    stuck = autoshares.AsyncClient(base_url=silent_url, login=autoshares.PasswordLogin("a", "b"), use_env=False)
    try:
        await asyncio.wait_for(stuck.users.me(), 0.2)
    except asyncio.TimeoutError:
        pass
    await _drain()
    assert autoshares._native._in_flight() == 0
    good = sb.async_client()
    assert len(await asyncio.gather(*(good.accounts.mine() for _ in range(8)))) == 8


def test_sync_and_async_clients_in_one_thread_with_a_running_loop(sb: autoshares.Sandbox) -> None:
    async def both() -> tuple[str | None, str | None]:
        # The blocking client never touches asyncio, so it works inside a running loop (as in Jupyter).
        sync_me = sb.client().users.me()
        async_me = await sb.async_client().users.me()
        return sync_me.login, async_me.login

    assert asyncio.run(both()) == ("trader", "trader")


def test_blocking_calls_release_the_gil(sb: autoshares.Sandbox) -> None:
    client = sb.client()
    client.login()
    counter = 0
    stop = threading.Event()

    def spin() -> None:
        nonlocal counter
        while not stop.is_set():
            counter += 1

    t = threading.Thread(target=spin)
    t.start()
    try:
        for _ in range(20):
            client.accounts.mine()
    finally:
        stop.set()
        t.join()
    assert counter > 0


def test_ctrl_c_interrupts_a_blocking_call(silent_url: str) -> None:
    script = textwrap.dedent(
        f"""
        import sys, time, autoshares
        c = autoshares.Client(base_url={silent_url!r}, login=autoshares.PasswordLogin("a", "b"),
                              timeout=60, use_env=False)
        print("ready", flush=True)
        start = time.monotonic()
        try:
            c.users.me()
        except KeyboardInterrupt:
            print("interrupted after %.2f s" % (time.monotonic() - start), flush=True)
            sys.exit(0)
        sys.exit(3)
        """
    )
    p = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert p.stdout is not None
    assert p.stdout.readline().strip() == "ready"
    time.sleep(0.5)
    os.kill(p.pid, signal.SIGINT)
    out, err = p.communicate(timeout=10)
    assert p.returncode == 0, err
    assert "interrupted after" in out

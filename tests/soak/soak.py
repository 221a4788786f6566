"""`make soak`, Python part: the same bounded soak as `tests/soak/src/main.rs`, driven through the Python package.

An in-process `autoshares.Sandbox` with every fault on at once (5xx, 429, 502 after acting, bodies cut after
acting, truncated JSON, latency spikes, stream drops); four asyncio workers on one `AsyncClient` mix reads, order
placement, replaces and cancels while an `AsyncStream` follows three symbols and the account. At the end, with the
faults off, the client's view is compared with the sandbox's records, and the last line reads

    soak: ops=<n> faults=<n> duplicate_orders=<n> lost_events=<n> subscriptions_restored=<n>/<n> panics=<n>

The exit status is non-zero when duplicates, lost events, unrestored subscriptions, panics (a Rust panic reaches
Python as `pyo3_runtime.PanicException`) or an error that is not an `autoshares.AutoSharesError` occurred.
`SOAK_SECONDS` sets the length (default 60).
"""

from __future__ import annotations

import asyncio
import logging
import os
import random
import sys
import uuid
from collections import Counter
from decimal import Decimal

import autoshares
from autoshares.stream import AsyncStream, StreamConfig

SYMBOLS = ["AAPL", "MSFT", "SPY", "TSLA"]
QUOTES = ["AAPL", "MSFT", "SPY"]


class Tally:
    def __init__(self) -> None:
        self.ops = 0
        self.errors: Counter[str] = Counter()
        self.untyped: list[str] = []
        self.panics = 0
        self.placed: list[tuple[str, int | None]] = []
        self.ambiguous = 0

    def failed(self, e: BaseException) -> None:
        if isinstance(e, autoshares.AutoSharesError):
            self.errors[e.code] += 1
            if isinstance(e, autoshares.AmbiguousOrderError):
                self.ambiguous += 1
        elif type(e).__name__ == "PanicException":
            self.panics += 1
        else:
            self.untyped.append(f"{type(e).__name__}: {e}")


async def worker(c: autoshares.AsyncClient, account: int, seed: int, until: float, tally: Tally) -> None:
    rng = random.Random(seed)
    loop = asyncio.get_running_loop()
    resting: list[int] = []
    while loop.time() < until:
        tally.ops += 1
        roll = rng.randrange(100)
        symbol = rng.choice(SYMBOLS)
        try:
            if roll < 30:
                await c.accounts.balance(account)
            elif roll < 45:
                await c.positions.list(account, page_size=50)
            elif roll < 55:
                await c.orders.list(account, page_size=50)
            elif roll < 65:
                await c.securities.equity(symbol)
            elif roll < 80:
                cid = uuid.uuid4().hex
                order: autoshares.models.CreateOrderInput = {
                    "symbol": symbol,
                    "side": "Buy",
                    "quantity": 1,
                    "time_in_force": "Day",
                    "client_id": cid,
                    **(
                        {"type": "Market"}
                        if rng.random() < 0.5
                        else {"type": "Limit", "price": Decimal("10.00")}  # far below the market: it rests
                    ),
                }
                try:
                    placed = await c.orders.place(account, order)
                except BaseException:
                    tally.placed.append((cid, None))
                    raise
                tally.placed.append((cid, placed.id))
                if placed.type is not None and placed.type.value == "Limit" and placed.id is not None:
                    resting.append(placed.id)
            elif roll < 90:
                if resting:
                    order_id = resting.pop()
                    replaced = await c.orders.replace(account, order_id, {"id": order_id, "price": Decimal("11.00")})
                    if replaced.id is not None:
                        resting.append(replaced.id)
            elif resting:
                await c.orders.cancel(account, resting.pop())
        except Exception as e:  # noqa: BLE001 - every outcome is tallied by kind
            tally.failed(e)
        except BaseException as e:  # PanicException derives from BaseException
            tally.failed(e)


async def follow(stream: AsyncStream, until: float, kinds: Counter[str]) -> None:
    loop = asyncio.get_running_loop()
    while loop.time() < until:
        for ev in await stream.next_batch(timeout=0.2):
            kinds[ev.type] += 1


async def main() -> int:
    seconds = float(os.environ.get("SOAK_SECONDS", "60"))
    # The SDK logs every reconciliation and reconnect at WARNING; under constant faults that is noise here.
    logging.getLogger("autoshares").setLevel(logging.ERROR)
    with autoshares.Sandbox() as sb:
        c = sb.async_client(timeout=3.0)
        account = next(
            a.id for a in await c.accounts.mine() if a.margin_type is not None and a.margin_type.value == "Margin"
        )
        sb.set_quote_rate(500)
        config = StreamConfig(market_hours="always", stale_after=3.0, backoff_initial=0.05, backoff_max=2.0)
        stream = await c.stream(quotes=QUOTES, accounts=[account], config=config)
        await stream.ready()

        sb.set_chaos(
            seed=11,
            server_errors=0.03,
            rate_limited=0.01,
            errors_after_act=0.02,
            resets_after_act=0.01,
            malformed=0.01,
            latency=0.001,
            spikes=0.01,
            spike=0.4,
        )
        sb.drop_every_messages(3000, streamer="quote")
        sb.drop_every_messages(40, streamer="data")

        loop = asyncio.get_running_loop()
        until = loop.time() + seconds
        tally = Tally()
        kinds: Counter[str] = Counter()
        await asyncio.gather(
            follow(stream, until, kinds), *(worker(c, account, 100 + w, until, tally) for w in range(4))
        )

        # Faults off; let reconnects and reconciliation settle.
        sb.clear_chaos()
        sb.clear_stream_faults()
        await follow(stream, loop.time() + 8, kinds)
        faults = sb.fault_counts()
        conns = sb.stream_connections()
        stream_drops = sum(1 for r in conns if not r["open"])

        # Duplicates: a ClientId the sandbox holds twice.
        by_cid: Counter[str] = Counter()
        async for o in c.orders.list_iter(account, page_size=200):
            if o.client_id:
                by_cid[o.client_id] += 1
        duplicate_orders = sum(1 for cid, _ in tally.placed if by_cid[cid] > 1)

        # Lost events: the last status the sandbox produced per order vs the stream's view.
        produced: dict[int, str] = {}
        for r in sb.data_messages_for_account(account):
            if r["entity_type"] == "Order" and r["order_id"] is not None and r["status"] is not None:
                produced[r["order_id"]] = r["status"]
        view = {o.id: (o.status.value if o.status else None) for o in stream.orders()}
        lost = {i: st for i, st in produced.items() if view.get(i) != st}
        for i, st in list(lost.items())[:10]:
            print(f"soak: order {i}: sandbox's last status {st}, client's view {view.get(i)}")

        # Subscriptions: every connection that delivered had the whole desired set; everything live at the end.
        desired = {str((await c.securities.equity(s)).id) for s in QUOTES}
        delivering = [r for r in conns if r["messages_sent"] > 0]
        restored = sum(
            1
            for r in delivering
            if (
                {key for _, key in r["subscriptions"]} == desired
                if r["streamer"] == "quote"
                else len(r["subscriptions"]) == 3
            )
        )
        live_at_end = sum(1 for r in sb.stream_connections() if r["open"])
        await stream.close()
        await c.close()

    confirmed = sum(1 for _, i in tally.placed if i is not None)
    print(
        f"soak (python): {seconds:.0f} s; faults by kind: 5xx={faults['server_errors']} 429={faults['rate_limited']} "
        f"after_act={faults['errors_after_act']} reset_after_act={faults['resets_after_act']} "
        f"malformed={faults['malformed']} spikes={faults['spikes']} stream_drops={stream_drops}"
    )
    print(f"soak (python): errors by kind: {dict(sorted(tally.errors.items()))}; untyped: {tally.untyped[:5]}")
    print(
        f"soak (python): orders placed {len(tally.placed)} (confirmed {confirmed}, ambiguous outcomes "
        f"{tally.ambiguous}); stream events {dict(sorted(kinds.items()))}; live connections at the end {live_at_end}"
    )
    print(
        f"soak: ops={tally.ops} faults={faults['total'] + stream_drops} duplicate_orders={duplicate_orders} "
        f"lost_events={len(lost)} subscriptions_restored={restored}/{len(delivering)} panics={tally.panics}"
    )
    ok = (
        duplicate_orders == 0
        and not lost
        and restored == len(delivering)
        and live_at_end == 2
        and tally.panics == 0
        and not tally.untyped
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))

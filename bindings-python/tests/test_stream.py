"""`client.stream(...)` against the sandbox's streamers: account events in order (sync and async), a malformed
frame, a dropped connection recovered with its subscriptions, conflation for a slow consumer, bad subscriptions
refused before anything connects."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections import Counter
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Literal

import autoshares
import pytest
from autoshares.models import OrderStatus
from autoshares.stream import (
    AsyncStream,
    BalanceEvent,
    DecodeEvent,
    DepthEvent,
    DepthLevel,
    Event,
    GapEvent,
    OrderEvent,
    OverflowEvent,
    PositionEvent,
    QuoteEvent,
    ReconciledEvent,
    StaleEvent,
    StateEvent,
    Stream,
    StreamConfig,
    SubscriptionFailedEvent,
    WatchlistEvent,
)

# Test tuning (as core's stream tests): always open, fast reconnects, a short watchdog.
FAST = StreamConfig(
    stale_after=1.5,
    market_hours="always",
    backoff_initial=0.01,
    backoff_max=0.2,
    ping_interval=0.5,
    pong_timeout=1.0,
    connect_timeout=5.0,
)


@pytest.fixture()
def sb() -> Iterator[autoshares.Sandbox]:
    """A fresh sandbox per test: faults and quote rates are per sandbox."""
    with autoshares.Sandbox() as sandbox:
        yield sandbox


def margin_account(c: autoshares.Client) -> int:
    return next(a.id for a in c.accounts.mine() if a.margin_type is not None and a.margin_type.value == "Margin")


def wait_for(stream: Stream, what: str, pred: Callable[[Event], bool], limit: float = 10.0) -> list[Event]:
    """Every event up to and including the first matching `pred` within `limit` seconds."""
    seen: list[Event] = []
    deadline = time.monotonic() + limit
    while True:
        left = deadline - time.monotonic()
        assert left > 0, f"no {what} within {limit} s (saw {[e.type for e in seen][-20:]})"
        for i, ev in enumerate(batch := stream.next_batch(timeout=left)):
            seen.append(ev)
            if pred(ev):
                stream._batch, stream._pos = batch, i + 1  # hand the rest back to the iterator
                return seen
        assert not stream.ended, f"the stream ended while waiting for {what}"


def wait_subscribed(sb: autoshares.Sandbox, streamer: Literal["quote", "data"], n: int) -> None:
    """Until the sandbox's open connections of `streamer` hold `n` subscriptions (core's `ready` means sent)."""
    deadline = time.monotonic() + 10
    while len(sb.stream_subscriptions(streamer=streamer)) < n:
        assert time.monotonic() < deadline, sb.stream_subscriptions(streamer=streamer)
        time.sleep(0.01)


def market_buy(symbol: str, qty: int) -> autoshares.models.CreateOrderInput:
    return {"symbol": symbol, "side": "Buy", "type": "Market", "quantity": qty, "time_in_force": "Day"}


def check_fill_sequence(events: list[Event], order_id: int, account: int) -> list[str]:
    """The kinds, in order, of the events about the order's fill: order events, then position, then balance."""
    kinds: list[str] = []
    for ev in events:
        if isinstance(ev, OrderEvent) and ev.order.id == order_id:
            assert ev.source == "live"
            if ev.order.status is OrderStatus.FILLED:
                assert ev.order.executed_quantity == Decimal(10)
                assert isinstance(ev.order.average_price, Decimal)
                kinds.append("filled")
            else:
                kinds.append("order")
        elif isinstance(ev, PositionEvent) and "filled" in kinds:
            assert ev.position.account_id == account and ev.position.security_id == 4
            kinds.append("position")
        elif isinstance(ev, BalanceEvent) and "position" in kinds:
            assert ev.account_id == account
            assert isinstance(ev.balance, autoshares.AccountBalance)
            assert ev.cash_balance is None or isinstance(ev.cash_balance, Decimal)
            kinds.append("balance")
    return kinds


def test_three_quotes_and_an_account_then_order_position_balance_in_order(sb: autoshares.Sandbox) -> None:
    c = sb.client()
    account = margin_account(c)
    with c.stream(quotes=["AAPL", "MSFT", "SPY"], accounts=[account], config=FAST) as s:
        assert isinstance(s, Stream)
        symbols: set[str] = set()
        for ev in s:
            if isinstance(ev, QuoteEvent):
                assert isinstance(ev.bid, Decimal) and isinstance(ev.ask, Decimal)
                assert ev.quote.symbol == ev.symbol and ev.type == "quote"
                assert ev.bid_time is None or ev.bid_time.tzinfo is not None
                symbols.add(ev.symbol or "")
                if len(symbols) == 3:
                    break
        assert symbols == {"AAPL", "MSFT", "SPY"}
        assert s.state("quote") == "live"
        assert len(set(s.subscriptions())) == 6, "topics are hashable values"
        kinds = sorted(t.kind for t in s.subscriptions())
        assert kinds == ["balance", "orders", "positions", "quote", "quote", "quote"]
        s.ready(timeout=10)
        wait_subscribed(sb, "data", 3)

        placed = c.orders.place(account, market_buy("AAPL", 10))
        assert placed.id is not None
        events: list[Event] = []
        deadline = time.monotonic() + 15
        while "balance" not in (kinds := check_fill_sequence(events, placed.id, account)):
            assert time.monotonic() < deadline, ([e.type for e in events][-20:], kinds)
            events.extend(s.next_batch(timeout=1))
        assert kinds[-3:] == ["filled", "position", "balance"], kinds
        assert any(o.id == placed.id and o.status is OrderStatus.FILLED for o in s.orders())
        assert any(p.security_id == 4 for p in s.positions())
    assert s.state("quote") == "closed" and s.state("data") == "closed"


async def test_async_three_quotes_and_an_account_then_order_position_balance_in_order(
    sb: autoshares.Sandbox,
) -> None:
    c = sb.async_client()
    account = next(a.id for a in await c.accounts.mine() if a.margin_type and a.margin_type.value == "Margin")
    async with await c.stream(quotes=["AAPL", "MSFT", "SPY"], accounts=[account], config=FAST) as s:
        assert isinstance(s, AsyncStream)
        symbols: set[str] = set()
        async for ev in s:
            if isinstance(ev, QuoteEvent):
                symbols.add(ev.symbol or "")
                if len(symbols) == 3:
                    break
        assert symbols == {"AAPL", "MSFT", "SPY"}
        await asyncio.wait_for(s.ready(), 10)
        await asyncio.to_thread(wait_subscribed, sb, "data", 3)

        placed = await c.orders.place(account, market_buy("AAPL", 10))
        assert placed.id is not None
        events: list[Event] = []
        deadline = time.monotonic() + 15
        while "balance" not in (kinds := check_fill_sequence(events, placed.id, account)):
            assert time.monotonic() < deadline, ([e.type for e in events][-20:], kinds)
            events.extend(await s.next_batch(timeout=1))
        assert kinds[-3:] == ["filled", "position", "balance"], kinds
    assert s.state("data") == "closed"


def test_a_malformed_frame_is_a_decode_event_and_the_stream_goes_on(sb: autoshares.Sandbox) -> None:
    with sb.client().stream(quotes=["AAPL"], config=FAST) as s:
        wait_for(s, "a quote", lambda e: isinstance(e, QuoteEvent))
        sb.malformed_once(streamer="quote")
        ev = wait_for(s, "a decode event", lambda e: isinstance(e, DecodeEvent))[-1]
        assert isinstance(ev, DecodeEvent) and ev.type == "decode"
        assert ev.streamer == "quote" and ev.message
        wait_for(s, "a quote afterwards", lambda e: isinstance(e, QuoteEvent))
        stats = s.stats()
        assert stats.reconnects == 0, "a bad frame is not a reason to reconnect"
        assert stats.decode_errors == 1


def test_a_drop_is_recovered_with_state_and_gap_events_and_every_subscription(sb: autoshares.Sandbox) -> None:
    sb.set_quote_rate(200)
    with sb.client().stream(quotes=["AAPL", "MSFT", "SPY"], config=FAST) as s:
        wait_for(s, "a quote", lambda e: isinstance(e, QuoteEvent))
        sb.drop_every_messages(50, streamer="quote")
        events = wait_for(s, "a gap", lambda e: isinstance(e, GapEvent) and e.streamer == "quote")
        sb.drop_every_messages(None)
        states = [e.state for e in events if isinstance(e, StateEvent) and e.streamer == "quote"]
        assert "reconnecting" in states and "recovered" in states, states
        gap = events[-1]
        assert isinstance(gap, GapEvent) and gap.down_for >= 0 and gap.since.tzinfo is not None
        # Every symbol still streams after the reconnect, and the sandbox has all three subscriptions again.
        for symbol in ("AAPL", "MSFT", "SPY"):
            wait_for(s, f"a {symbol} quote", quote_of(symbol))
        assert len(sb.stream_subscriptions(streamer="quote")) == 3
        assert sorted(str(t.key) for t in s.subscriptions()) == ["AAPL", "MSFT", "SPY"]
        assert s.stats().reconnects >= 1


def quote_of(symbol: str) -> Callable[[Event], bool]:
    return lambda e: isinstance(e, QuoteEvent) and e.symbol == symbol


def test_a_slow_consumer_sees_the_latest_quote_per_symbol_not_a_backlog(sb: autoshares.Sandbox) -> None:
    sb.set_quote_rate(10_000)
    with sb.client().stream(quotes=["AAPL", "MSFT", "SPY"], config=FAST) as s:
        wait_for(s, "a quote", lambda e: isinstance(e, QuoteEvent))
        s.next_batch(timeout=0)  # take whatever is queued, so only what arrives while we sleep is left
        before, conflated = sb.messages_sent(streamer="quote"), s.stats().conflated_quotes
        time.sleep(1)
        arrived = sb.messages_sent(streamer="quote") - before
        assert arrived >= 2_000, f"only {arrived} quotes were sent in 1 s"
        batch = s.next_batch(max_events=100_000, timeout=0)
        per_symbol = Counter(e.symbol for e in batch if isinstance(e, QuoteEvent))
        assert set(per_symbol) <= {"AAPL", "MSFT", "SPY"} and per_symbol, batch
        # One conflated quote per symbol (a second one may land while the batch is being taken), not `arrived`.
        assert all(n <= 2 for n in per_symbol.values()), (per_symbol, arrived)
        assert s.stats().conflated_quotes - conflated >= arrived // 2


async def test_async_iteration_is_batched_and_a_timed_out_wait_loses_nothing(sb: autoshares.Sandbox) -> None:
    sb.set_quote_rate(2_000)
    async with await sb.async_client().stream(quotes=["AAPL"], config=FAST) as s:
        n = 0
        async for ev in s:
            n += isinstance(ev, QuoteEvent)
            if n == 200:
                break
        # A wait cancelled by its timeout leaves nothing behind that a later call does not deliver. A batch comes
        # back as soon as anything is queued, so quotes still in flight when the rate drops to 0 are drained until a
        # wait ends by its timeout.
        sb.set_quote_rate(0)
        drains = 0
        while await s.next_batch(max_events=100_000, timeout=0.3):
            drains += 1
            assert drains < 50, "quotes kept coming at rate 0"
        assert await s.next_batch(timeout=0.1) == []
        sb.set_quote_rate(50)
        got = await s.next_batch(timeout=5)
        assert got and all(isinstance(e, QuoteEvent) for e in got)


def test_unknown_symbols_and_foreign_accounts_are_validation_errors_before_anything_connects(
    sb: autoshares.Sandbox,
) -> None:
    c = sb.client()
    with pytest.raises(autoshares.ValidationError) as e:
        c.stream(quotes=["AAPL", "NOSUCHSYMBOL"])
    assert e.value.field == "symbol" and "NOSUCHSYMBOL" in str(e.value)
    foreign = sb.account_ids("trader2fa")[0]
    with pytest.raises(autoshares.ValidationError) as e:
        c.stream(accounts=[foreign])
    assert e.value.field == "account_id"
    with pytest.raises(autoshares.ValidationError) as e:
        c.stream(quotes=[1.5])  # type: ignore[list-item]
    assert e.value.field == "quotes[0]"
    with pytest.raises(TypeError):
        c.stream(quote=["AAPL"])  # type: ignore[call-arg]
    with pytest.raises(autoshares.ConfigError):
        c.stream(quotes=["AAPL"], market_hours="sometimes")  # type: ignore[arg-type]
    assert sb.stream_connections_accepted() == 0, "nothing connected"


async def test_async_unknown_symbol_is_a_validation_error(sb: autoshares.Sandbox) -> None:
    with pytest.raises(autoshares.ValidationError) as e:
        await sb.async_client().stream(quotes=["NOSUCHSYMBOL"])
    assert e.value.field == "symbol"


def test_subscriptions_change_while_running(sb: autoshares.Sandbox) -> None:
    with sb.client().stream(quotes="AAPL", config=FAST) as s:
        wait_for(s, "an AAPL quote", lambda e: isinstance(e, QuoteEvent) and e.symbol == "AAPL")
        s.subscribe(quotes=["MSFT"])
        wait_for(s, "an MSFT quote", lambda e: isinstance(e, QuoteEvent) and e.symbol == "MSFT")
        s.unsubscribe(quotes=["AAPL"])
        assert [(t.kind, t.key) for t in s.subscriptions()] == [("quote", "MSFT")]
        with pytest.raises(autoshares.ValidationError):
            s.subscribe(quotes=["NOSUCHSYMBOL"])
        with pytest.raises(TypeError):
            s.subscribe()


def test_config_and_events_are_typed_values() -> None:
    cfg = StreamConfig(stale_after=None, market_hours="us_regular", event_buffer=10)
    assert cfg.stale_after is None and cfg.market_hours == "us_regular" and cfg.event_buffer == 10
    assert StreamConfig().stale_after == 30.0 and StreamConfig().reconcile is True
    with pytest.raises(autoshares.ConfigError):
        StreamConfig(ping_interval=-1)
    with pytest.raises(TypeError):
        StreamConfig(nope=1)  # type: ignore[call-arg]
    assert QuoteEvent.type == "quote" and GapEvent.type == "gap" and BalanceEvent.type == "balance"


def test_user_topics_use_the_logged_in_user_and_watchlist_changes_are_events(sb: autoshares.Sandbox) -> None:
    c = sb.client()
    me = c.users.me().user_id
    with c.stream(user_balance=True, watchlists=True, config=FAST) as s:
        assert sorted((t.kind, t.key, t.streamer) for t in s.subscriptions()) == [
            ("user_balance", me, "data"),
            ("watchlists", me, "data"),
        ]
        s.ready(timeout=10)
        wait_subscribed(sb, "data", 2)
        created = c.watchlists.create("@me", False, {"name": "stream test"})
        ev = wait_for(s, "a watchlist event", lambda e: isinstance(e, WatchlistEvent))[-1]
        assert isinstance(ev, WatchlistEvent) and ev.type == "watchlist"
        assert ev.user_id == me and ev.name == "stream test" and not ev.is_deleted
        assert ev.watchlist_id == created.id
        assert ev.to_dict()["type"] == "watchlist"


def test_ctrl_c_interrupts_a_loop_waiting_for_events() -> None:
    script = textwrap.dedent(
        """
        import sys, time, autoshares
        sb = autoshares.Sandbox()
        sb.set_quote_rate(0)
        s = sb.client().stream(quotes=["AAPL"], stale_after=None)
        s.ready(timeout=10)
        print("ready", flush=True)
        start = time.monotonic()
        try:
            for event in s:
                pass
        except KeyboardInterrupt:
            print("interrupted after %.2f s" % (time.monotonic() - start), flush=True)
            sys.exit(0)
        sys.exit(3)
        """
    )
    p = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert p.stdout is not None
    assert p.stdout.readline().strip() == "ready", p.stderr.read() if p.stderr else ""
    time.sleep(0.5)
    os.kill(p.pid, signal.SIGINT)
    out, err = p.communicate(timeout=10)
    assert p.returncode == 0, err
    assert "interrupted after" in out


def test_depth_books_are_typed_levels_with_exact_prices(sb: autoshares.Sandbox) -> None:
    with sb.client().stream(depth=["AAPL"], config=FAST) as s:
        (ev,) = [
            e for e in wait_for(s, "a depth book", lambda e: isinstance(e, DepthEvent)) if isinstance(e, DepthEvent)
        ]
        assert ev.symbol == "AAPL" and ev.sequence >= 0
        assert ev.bids and ev.asks
        assert all(isinstance(level, DepthLevel) for level in ev.bids + ev.asks)
        assert all(isinstance(level.price, Decimal) and level.size > 0 for level in ev.bids + ev.asks)
        assert [b.price for b in ev.bids] == sorted((b.price for b in ev.bids), reverse=True), "best bid first"
        assert [a.price for a in ev.asks] == sorted(a.price for a in ev.asks), "best ask first"
        assert ev.bids[0].price < ev.asks[0].price


def test_depth_the_environment_does_not_serve_is_a_subscription_failed_event(sb: autoshares.Sandbox) -> None:
    sb.set_depth_silent(True)
    config = StreamConfig(
        stale_after=1.5, market_hours="always", backoff_initial=0.01, backoff_max=0.2, depth_timeout=0.5
    )
    with sb.client().stream(depth=["AAPL"], quotes=["AAPL"], config=config) as s:
        events = wait_for(s, "the depth failure", lambda e: isinstance(e, SubscriptionFailedEvent))
        failed = events[-1]
        assert isinstance(failed, SubscriptionFailedEvent)
        assert failed.topic.kind == "depth" and "market depth is not offered" in failed.message
        assert [t.kind for t in s.subscriptions()] == ["quote"]
        wait_for(s, "a quote", lambda e: isinstance(e, QuoteEvent))


def test_a_stalled_stream_is_a_stale_event_then_it_is_recovered(sb: autoshares.Sandbox) -> None:
    config = StreamConfig(
        stale_after=0.8, market_hours="always", backoff_initial=0.01, backoff_max=0.2, ping_interval=60.0
    )
    with sb.client().stream(quotes=["AAPL"], config=config) as s:
        wait_for(s, "a quote", lambda e: isinstance(e, QuoteEvent))
        sb.stall(True, streamer="quote")
        stalled_at = time.monotonic()
        stale = wait_for(s, "a stale event", lambda e: isinstance(e, StaleEvent))[-1]
        assert isinstance(stale, StaleEvent)
        assert time.monotonic() - stalled_at < 10
        assert stale.streamer == "quote" and stale.silent_for > 0.8
        assert stale.topic is not None and stale.topic.kind == "quote" and stale.topic.key == "AAPL"
        sb.stall(False, streamer="quote")
        events = wait_for(s, "a quote after the stall", lambda e: isinstance(e, QuoteEvent), limit=15)
        assert any(isinstance(e, GapEvent) for e in events) or s.stats().reconnects >= 1, [e.type for e in events]


def test_a_full_event_buffer_is_an_overflow_event_then_a_reconciliation(sb: autoshares.Sandbox) -> None:
    c = sb.client()
    account = margin_account(c)
    config = StreamConfig(market_hours="always", backoff_initial=0.01, backoff_max=0.2, event_buffer=4)
    with c.stream(orders=[account], config=config) as s:
        wait_subscribed(sb, "data", 1)
        s.next_batch(timeout=0.2)  # the state events
        ids = [c.orders.place(account, market_buy("AAPL", 1)).id for _ in range(6)]
        time.sleep(0.5)
        first = s.next_batch(max_events=1, timeout=5)
        assert first and isinstance(first[0], OverflowEvent), [e.type for e in first]
        assert first[0].dropped > 0
        wait_for(s, "the reconciliation", lambda e: isinstance(e, ReconciledEvent))
        view = {o.id: o.status for o in s.orders()}
        assert all(view.get(i) is OrderStatus.FILLED for i in ids), (ids, view)

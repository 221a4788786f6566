"""Streaming: Level I quotes, Level II depth and account events, from `client.stream(...)`.

```python
with client.stream(quotes=["AAPL", "MSFT"], accounts=[account_id]) as stream:
    for event in stream:                       # blocking; the GIL is released while it waits, Ctrl-C interrupts
        if isinstance(event, autoshares.QuoteEvent):
            print(event.symbol, event.bid, event.ask)

async with await aclient.stream(quotes=["AAPL"]) as stream:
    async for event in stream:
        match event.type:
            case "quote": ...
            case "order": print(event.order.status)
```

The stream is the Rust core's: it reconnects on its own (state and gap events say so), restores every subscription,
re-reads orders, positions and balances by REST after a data-streamer gap, and conflates quotes and books
(latest wins per security, so a slow consumer sees the newest quote of each symbol, never a backlog). Events come
from the native side in batches: everything queued is taken at once, and the loop only waits (one wake-up) when
nothing is queued.
"""

from __future__ import annotations

from types import TracebackType
from typing import TYPE_CHECKING, Literal, TypeAlias

from autoshares._native import (
    BalanceEvent,
    ClosedEvent,
    DecodeEvent,
    DepthEvent,
    DepthLevel,
    GapEvent,
    OrderEvent,
    OverflowEvent,
    PositionEvent,
    QuoteEvent,
    ReconciledEvent,
    StaleEvent,
    StateEvent,
    StreamConfig,
    StreamHandle,
    StreamStats,
    SubscriptionFailedEvent,
    Topic,
    UserBalanceEvent,
    WatchlistContentEvent,
    WatchlistEvent,
)

if TYPE_CHECKING:
    from typing_extensions import Self, Unpack

    from autoshares._native import Order, Position, _StreamTopics

#: Every event a stream yields; each class has a `type` string (`"quote"`, `"order"`, `"gap"`, ...).
Event: TypeAlias = (
    QuoteEvent
    | DepthEvent
    | OrderEvent
    | PositionEvent
    | BalanceEvent
    | UserBalanceEvent
    | WatchlistEvent
    | WatchlistContentEvent
    | StateEvent
    | StaleEvent
    | GapEvent
    | ReconciledEvent
    | DecodeEvent
    | SubscriptionFailedEvent
    | OverflowEvent
    | ClosedEvent
)

#: How many events one native call hands over at most.
BATCH = 1024

Streamer = Literal["quote", "data"]


class _Base:
    """What both streams share: the native handle, the current batch, and the synchronous accessors."""

    __slots__ = ("_handle", "_batch", "_pos", "_ended")

    def __init__(self, handle: StreamHandle) -> None:
        self._handle = handle
        self._batch: list[Event] = []
        self._pos = 0
        self._ended = False

    def _buffered(self, max_events: int) -> list[Event]:
        """The rest of the current batch (up to `max_events`), then whatever is queued natively, without waiting."""
        out = self._batch[self._pos : self._pos + max_events]
        self._pos += len(out)
        if len(out) < max_events:
            out.extend(self._handle.take(max_events - len(out)))
        return out

    @property
    def ended(self) -> bool:
        """Whether the stream was closed and every event was taken."""
        return self._ended

    def subscriptions(self) -> list[Topic]:
        """The subscriptions the stream keeps (and restores after every reconnect)."""
        return self._handle.subscriptions()

    def state(self, streamer: Streamer) -> str:
        """The state of a streamer: connecting, live, stale, reconnecting, recovered or closed."""
        return self._handle.state(streamer)

    def orders(self) -> list[Order]:
        """The orders seen on the stream (and by reconciliation), latest state per order id."""
        return self._handle.orders()

    def positions(self) -> list[Position]:
        """The positions seen on the stream (and by reconciliation), latest per (account, security)."""
        return self._handle.positions()

    def stats(self) -> StreamStats:
        """Counters: frames, decode errors, connects, reconnects, conflated quotes, depth resyncs."""
        return self._handle.stats()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(quote={self.state('quote')!r}, data={self.state('data')!r})"


class Stream(_Base):
    """A running stream for the blocking `Client` (`client.stream(...)`): iterate it for events; `with` closes it.

    Waiting releases the GIL and Ctrl-C interrupts it. Iteration ends after `close()` once every queued event
    was taken.
    """

    __slots__ = ()

    def __iter__(self) -> Self:
        return self

    def __next__(self) -> Event:
        if self._pos < len(self._batch):
            ev = self._batch[self._pos]
            self._pos += 1
            return ev
        handle = self._handle
        batch = handle.take(BATCH)
        while not batch:
            if not handle.wait():
                self._ended = True
                raise StopIteration
            batch = handle.take(BATCH)
        self._batch = batch
        self._pos = 1
        return batch[0]

    def next_batch(self, max_events: int = BATCH, timeout: float | None = None) -> list[Event]:
        """Every event queued now (at most `max_events`), waiting up to `timeout` seconds (`None`: forever) for the
        first; `[]` when the time ran out or the stream ended (see `ended`)."""
        out = self._buffered(max_events)
        while not out and not self._ended:
            got = self._handle.wait(timeout)
            if got is None:
                break
            if not got:
                self._ended = True
                break
            out = self._buffered(max_events)
        return out

    def subscribe(self, **topics: Unpack[_StreamTopics]) -> None:
        """Adds subscriptions (the keyword arguments of `client.stream`); an unknown symbol or someone else's
        account is a `ValidationError` and nothing is sent."""
        self._handle.subscribe(**topics)

    def unsubscribe(self, **topics: Unpack[_StreamTopics]) -> None:
        """Removes subscriptions (same keyword arguments)."""
        self._handle.unsubscribe(**topics)

    def ready(self, timeout: float | None = None) -> None:
        """Waits until both streamers are live (`StreamError` if one closed for good, `TimeoutError` after
        `timeout` seconds)."""
        self._handle.ready(timeout)

    def close(self) -> None:
        """Stops both connections and waits for them; events already queued can still be iterated."""
        self._handle.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


class AsyncStream(_Base):
    """A running stream for `AsyncClient` (`await aclient.stream(...)`): `async for event in stream`; `async with`
    closes it. One asyncio wake-up per batch of events, not per message."""

    __slots__ = ()

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> Event:
        if self._pos < len(self._batch):
            ev = self._batch[self._pos]
            self._pos += 1
            return ev
        handle = self._handle
        batch = handle.take(BATCH)
        while not batch:
            if not await handle.wait_async():
                self._ended = True
                raise StopAsyncIteration
            batch = handle.take(BATCH)
        self._batch = batch
        self._pos = 1
        return batch[0]

    async def next_batch(self, max_events: int = BATCH, timeout: float | None = None) -> list[Event]:
        """Every event queued now (at most `max_events`), waiting up to `timeout` seconds (`None`: forever) for the
        first; `[]` when the time ran out or the stream ended (see `ended`). A timeout loses no event."""
        out = self._buffered(max_events)
        if out or self._ended:
            return out
        import asyncio

        try:
            got = await asyncio.wait_for(self._handle.wait_async(), timeout)
        except asyncio.TimeoutError:
            return out
        if not got:
            self._ended = True
            return out
        return self._buffered(max_events)

    async def subscribe(self, **topics: Unpack[_StreamTopics]) -> None:
        """Adds subscriptions (the keyword arguments of `client.stream`); an unknown symbol or someone else's
        account is a `ValidationError` and nothing is sent."""
        await self._handle.subscribe_async(**topics)

    async def unsubscribe(self, **topics: Unpack[_StreamTopics]) -> None:
        """Removes subscriptions (same keyword arguments)."""
        await self._handle.unsubscribe_async(**topics)

    async def ready(self) -> None:
        """Waits until both streamers are live (`StreamError` if one closed for good); bound it with
        `asyncio.wait_for`."""
        await self._handle.ready_async()

    async def close(self) -> None:
        """Stops both connections and waits for them; events already queued can still be iterated."""
        await self._handle.close_async()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()


__all__ = [
    "AsyncStream",
    "BalanceEvent",
    "ClosedEvent",
    "DecodeEvent",
    "DepthEvent",
    "DepthLevel",
    "Event",
    "GapEvent",
    "OrderEvent",
    "OverflowEvent",
    "PositionEvent",
    "QuoteEvent",
    "ReconciledEvent",
    "StaleEvent",
    "StateEvent",
    "Stream",
    "StreamConfig",
    "StreamStats",
    "SubscriptionFailedEvent",
    "Topic",
    "UserBalanceEvent",
    "WatchlistContentEvent",
    "WatchlistEvent",
]

"""The awaitable every `AsyncClient` call returns (see `src/runtime.rs`): an `asyncio.Future` whose `cancel()` also
drops the call's Rust future at once (nothing more is sent or awaited). Imported by the native module on the first
awaitable call, so `import autoshares` does not import asyncio.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable


class Call(asyncio.Future):  # type: ignore[type-arg]
    """A call into the Rust core in flight; awaiting it gives the result. The native side resolves it, several
    calls per event-loop wake-up."""

    _abort: Callable[[], None] | None = None

    def cancel(self, msg: object = None) -> bool:
        if self.done():
            return False
        abort = self._abort
        if abort is not None:
            self._abort = None
            abort()
        return super().cancel(msg)

"""AutoShares (ETNA Trader) trading API: `Client` (blocking) and `AsyncClient` (awaitable) over one Rust core.

```python
import autoshares

with autoshares.Sandbox() as sb:                   # a local paper-trading server, in-process
    client = sb.client(user="trader")              # or autoshares.Client(login=autoshares.PasswordLogin(...))
    print(client.users.me(), client.accounts.mine())
```

Money is `decimal.Decimal`, times are aware UTC `datetime`s, errors are `autoshares.AutoSharesError` subclasses,
and the core's log records go to the `logging` logger `autoshares`.
"""

from __future__ import annotations

import atexit as _atexit

from autoshares import _native
from autoshares._native import (
    Accounts,
    AsyncAccounts,
    AsyncClient,
    AsyncUsers,
    AuthorizationRequest,
    Client,
    OAuthLogin,
    PasswordLogin,
    Sandbox,
    SandboxUser,
    Users,
    to_price,
)

# The errors, the model enums and the login helpers load on first use (PEP 562), so that `import autoshares`
# stays light (no `enum`, `typing` or `getpass` at import time). Type checkers see the imports below.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from autoshares._login import oauth_login, password_login
    from autoshares.errors import (
        AmbiguousOrderError,
        ApiError,
        AuthError,
        AutoSharesError,
        ConfigError,
        DecodeError,
        RateLimitError,
        RequestTimeoutError,
        StreamError,
        TokenStoreError,
        TransportError,
        ValidationError,
    )
    from autoshares.indicators import BarsWithIndicators, IndicatorSignature, compute_indicators
    from autoshares.models import (
        AccessType,
        Account,
        AccountBalance,
        AccountPermission,
        AccountStatus,
        MarginType,
        OwnerType,
        Salutation,
        Suffix,
        UserAccount,
        UserInfo,
    )
    from autoshares.stream import (
        AsyncStream,
        BalanceEvent,
        ClosedEvent,
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
        StreamStats,
        SubscriptionFailedEvent,
        Topic,
        UserBalanceEvent,
        WatchlistContentEvent,
        WatchlistEvent,
    )
    from autoshares.tables import to_arrow, to_pandas, to_polars

_LAZY = {
    "oauth_login": "autoshares._login",
    "password_login": "autoshares._login",
    **dict.fromkeys(["to_arrow", "to_pandas", "to_polars"], "autoshares.tables"),
    # Technical indicators: server-side signatures, local computation over any bars.
    **dict.fromkeys(["BarsWithIndicators", "IndicatorSignature", "compute_indicators"], "autoshares.indicators"),
    **dict.fromkeys(
        [
            "AmbiguousOrderError",
            "ApiError",
            "AuthError",
            "AutoSharesError",
            "ConfigError",
            "DecodeError",
            "RateLimitError",
            "RequestTimeoutError",
            "StreamError",
            "TokenStoreError",
            "TransportError",
            "ValidationError",
        ],
        "autoshares.errors",
    ),
    **dict.fromkeys(
        ["AccessType", "AccountPermission", "AccountStatus", "MarginType", "OwnerType", "Salutation", "Suffix"],
        "autoshares.models",
    ),
    **dict.fromkeys(["Account", "AccountBalance", "UserAccount", "UserInfo"], "autoshares._native"),
    # Streaming (`client.stream(...)`): the stream classes, their config and events.
    **dict.fromkeys(
        [
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
        ],
        "autoshares.stream",
    ),
}


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'autoshares' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


__version__: str = _native.__version__

# Calls still in flight when the interpreter exits are cancelled and drained first (see runtime.rs).
_atexit.register(_native._shutdown)

__all__ = [
    "AccessType",
    "Account",
    "AccountBalance",
    "AccountPermission",
    "AccountStatus",
    "Accounts",
    "AmbiguousOrderError",
    "ApiError",
    "AsyncAccounts",
    "AsyncClient",
    "AsyncStream",
    "AsyncUsers",
    "AuthError",
    "AuthorizationRequest",
    "AutoSharesError",
    "BalanceEvent",
    "BarsWithIndicators",
    "Client",
    "ClosedEvent",
    "ConfigError",
    "DecodeError",
    "DecodeEvent",
    "DepthEvent",
    "DepthLevel",
    "Event",
    "GapEvent",
    "IndicatorSignature",
    "MarginType",
    "OAuthLogin",
    "OrderEvent",
    "OverflowEvent",
    "OwnerType",
    "PasswordLogin",
    "PositionEvent",
    "QuoteEvent",
    "RateLimitError",
    "ReconciledEvent",
    "RequestTimeoutError",
    "Salutation",
    "Sandbox",
    "SandboxUser",
    "StaleEvent",
    "StateEvent",
    "Stream",
    "StreamConfig",
    "StreamError",
    "StreamStats",
    "SubscriptionFailedEvent",
    "Suffix",
    "TokenStoreError",
    "Topic",
    "TransportError",
    "UserAccount",
    "UserBalanceEvent",
    "UserInfo",
    "Users",
    "ValidationError",
    "WatchlistContentEvent",
    "WatchlistEvent",
    "compute_indicators",
    "oauth_login",
    "password_login",
    "to_arrow",
    "to_pandas",
    "to_polars",
    "to_price",
]

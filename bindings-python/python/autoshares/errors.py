"""The exception hierarchy: one class per stable core error kind, all under `AutoSharesError`.

Every instance has `.code` (the core's stable kind code, the same string the Node package puts in `err.code`)
and `.message`; the other attributes are listed per class. All of them pickle (attributes included), so they
cross `multiprocessing` and `concurrent.futures` boundaries. No message or attribute ever holds a secret.

`RequestTimeoutError` is also a builtin `TimeoutError` (so `except TimeoutError` catches it) and
`ValidationError` a `ValueError`; the names do not shadow builtins.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import ClassVar


class AutoSharesError(Exception):
    """Base of every error the SDK raises."""

    code: ClassVar[str] = "AUTOSHARES"

    def __init__(self, message: str = "", **fields: object) -> None:
        super().__init__(message)
        self.message = message
        for name, value in fields.items():
            setattr(self, name, value)

    def __str__(self) -> str:
        return self.message


class ConfigError(AutoSharesError):
    """A configuration value is missing, malformed or not allowed. `field` names the setting."""

    code: ClassVar[str] = "CONFIG"
    field: str = ""


class AuthError(AutoSharesError):
    """Authentication failed or needs something that was not supplied.

    `auth_kind` is the stable reason (`INVALID_CREDENTIALS`, `INVALID_APP_KEY`, `VERIFICATION_CODE_REQUIRED`,
    `VERIFICATION_CODE_INVALID`, `PIN_REQUIRED`, `PIN_INVALID`, `PASSWORD_EXPIRED`, `STATE_MISMATCH`,
    `AUTHORIZATION_DENIED`, `INVALID_GRANT`, `INVALID_CLIENT`, `TOKEN_EXPIRED`, `ACCESS_DENIED`, `PROTOCOL`,
    `CANCELLED`); `step` the login step (`BaseAuthentication`, `VerificationCode`, `callback`, ...); `reason` the
    server's text or ours.
    """

    code: ClassVar[str] = "AUTH"
    auth_kind: str = ""
    step: str = ""
    reason: str = ""


class ApiError(AutoSharesError):
    """The server answered with an error status.

    `status` (HTTP), `operation` (spec operation id), `server_code` and `server_message` (from the body, when it
    has them), `body` (truncated), `request_id` (our `X-Request-Id`).
    """

    code: ClassVar[str] = "API"
    status: int = 0
    operation: str = ""
    server_code: str | None = None
    server_message: str = ""
    body: str = ""
    request_id: str = ""


class RateLimitError(ApiError):
    """HTTP 429: `retry_after` is the server's requested wait in seconds, or None."""

    code: ClassVar[str] = "RATE_LIMITED"
    retry_after: float | None = None


class ValidationError(AutoSharesError, ValueError):
    """An argument is invalid (`field` names it); nothing was sent."""

    code: ClassVar[str] = "VALIDATION"
    field: str = ""


class TransportError(AutoSharesError):
    """The request could not be sent or its answer not received (`operation`, `request_id`)."""

    code: ClassVar[str] = "TRANSPORT"
    operation: str = ""
    request_id: str = ""


class RequestTimeoutError(AutoSharesError, TimeoutError):
    """The call did not finish in time: `after` (seconds), `operation`, `request_id`."""

    code: ClassVar[str] = "TIMEOUT"
    operation: str = ""
    after: float = 0.0
    request_id: str = ""


class DecodeError(AutoSharesError):
    """A response did not have the expected shape: `path` is the JSON path of the field that failed."""

    code: ClassVar[str] = "DECODE"
    operation: str = ""
    path: str = ""
    snippet: str = ""
    request_id: str = ""


class StreamError(AutoSharesError):
    """A streaming connection failed or delivered something unusable."""

    code: ClassVar[str] = "STREAM"


class TokenStoreError(AutoSharesError):
    """A token store could not be read or written (`path`)."""

    code: ClassVar[str] = "TOKEN_STORE"
    path: str = ""


class AmbiguousOrderError(AutoSharesError):
    """A place, replace or cancel ended without a definite answer and reconciling by `client_id` could not tell
    whether it took effect. Look the order up by `client_id` before sending it again."""

    code: ClassVar[str] = "AMBIGUOUS_ORDER"
    operation: str = ""
    client_id: str = ""


__all__ = [
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
]

"""Every exception class, raised by a real failure, with its attributes; all of them pickle."""

from __future__ import annotations

import pickle
import time
from pathlib import Path

import autoshares
import pytest
from autoshares import errors


def _roundtrip(e: autoshares.AutoSharesError) -> None:
    back = pickle.loads(pickle.dumps(e))
    assert type(back) is type(e)
    assert vars(back) == vars(e) and str(back) == str(e) and back.code == e.code


def test_the_hierarchy_covers_every_core_kind() -> None:
    kinds = dict(autoshares._native._error_kinds())
    assert len(kinds) == 11 and kinds["AMBIGUOUS_ORDER"] == "AmbiguousOrderError"
    for code, name in kinds.items():
        cls = getattr(errors, name)
        assert issubclass(cls, autoshares.AutoSharesError) and cls.code == code
    assert issubclass(autoshares.RateLimitError, autoshares.ApiError)
    assert issubclass(autoshares.ValidationError, ValueError)
    assert issubclass(autoshares.RequestTimeoutError, TimeoutError)


def test_config_error() -> None:
    with pytest.raises(autoshares.ConfigError) as e:
        autoshares.Client(base_url="http://example.com", use_env=False)
    assert e.value.field == "base_url" and e.value.code == "CONFIG"
    _roundtrip(e.value)
    with pytest.raises(autoshares.ConfigError):
        autoshares.Client(environment="moon", use_env=False)
    with pytest.raises(autoshares.ConfigError, match="no way to log in"):
        autoshares.Client(use_env=False)
    with pytest.raises(TypeError, match="bogus"):
        autoshares.Client(bogus=1)  # type: ignore[call-arg]


def test_live_needs_the_opt_in() -> None:
    with pytest.raises(autoshares.ConfigError):
        autoshares.Client(environment="live", app_key="k", username="u", password="p", use_env=False)


def test_auth_errors(sb: autoshares.Sandbox) -> None:
    with pytest.raises(autoshares.AuthError) as e:
        sb.client(login=autoshares.PasswordLogin("trader", "wrong")).users.me()
    assert (e.value.auth_kind, e.value.step) == ("INVALID_CREDENTIALS", "BaseAuthentication")
    assert "wrong" not in str(e.value)
    _roundtrip(e.value)
    with pytest.raises(autoshares.AuthError) as e:
        sb.client(app_key="not-the-key").users.me()
    assert e.value.auth_kind == "INVALID_APP_KEY"
    with pytest.raises(autoshares.AuthError) as e:
        sb.client(login=autoshares.PasswordLogin("trader2fa", "trader2fa-pass")).users.me()
    assert e.value.auth_kind == "VERIFICATION_CODE_REQUIRED" and e.value.step == "VerificationCode"
    with pytest.raises(autoshares.AuthError) as e:
        sb.client(login=autoshares.PasswordLogin("traderpin", "traderpin-pass", pin="0000")).users.me()
    assert e.value.auth_kind == "PIN_INVALID"


def test_api_error_from_a_503(sb: autoshares.Sandbox) -> None:
    sb.inject_fault(503, method="GET", path_prefix="/v1.0/users/", count=10)
    try:
        with pytest.raises(autoshares.ApiError) as e:
            sb.client(max_retries=0).users.me()
    finally:
        sb.clear_faults()
    err = e.value
    assert (err.status, err.operation, err.server_message) == (503, "Users_GetUserInfo", "Injected fault")
    assert err.request_id and err.code == "API"
    _roundtrip(err)


def test_a_503_is_retried(sb: autoshares.Sandbox) -> None:
    client = sb.client()
    client.login()
    sb.inject_fault(503, method="GET", path_prefix="/v1.0/users/", count=1)
    assert client.users.me().login == "trader"


def test_rate_limit_error(sb: autoshares.Sandbox) -> None:
    sb.inject_fault(429, method="GET", path_prefix="/v1.0/accounts", count=10, retry_after="3")
    try:
        with pytest.raises(autoshares.RateLimitError) as e:
            sb.client(max_retries=0).accounts.balance(sb.account_ids("trader")[0])
    finally:
        sb.clear_faults()
    assert e.value.retry_after == 3.0 and e.value.status == 429 and e.value.code == "RATE_LIMITED"
    assert isinstance(e.value, autoshares.ApiError)
    _roundtrip(e.value)


def test_validation_error(sb: autoshares.Sandbox) -> None:
    client = sb.client()
    with pytest.raises(autoshares.ValidationError) as e:
        client.accounts.get(-1)
    assert e.value.field == "account_id"
    _roundtrip(e.value)
    with pytest.raises(autoshares.ValidationError) as e:
        client.users.by_email("not-an-address")
    assert e.value.field == "email"
    with pytest.raises(autoshares.ValidationError) as e:
        client.users.info("someone")  # type: ignore[arg-type]
    assert e.value.field == "user"


def test_transport_error() -> None:
    client = autoshares.Client(base_url="http://127.0.0.1:9", login=autoshares.PasswordLogin("a", "b"), use_env=False)
    with pytest.raises(autoshares.TransportError) as e:
        client.users.me()
    assert e.value.operation == "Get_token" and e.value.code == "TRANSPORT"
    _roundtrip(e.value)


def test_timeout_error(silent_url: str) -> None:
    client = autoshares.Client(
        base_url=silent_url, login=autoshares.PasswordLogin("a", "b"), timeout=0.3, max_retries=0, use_env=False
    )
    start = time.monotonic()
    with pytest.raises(autoshares.RequestTimeoutError) as e:
        client.users.me()
    assert time.monotonic() - start < 5
    assert e.value.after == pytest.approx(0.3) and e.value.code == "TIMEOUT"
    assert isinstance(e.value, TimeoutError)
    _roundtrip(e.value)


def test_decode_error_from_a_server_in_this_process(garbage_url: str) -> None:
    # The server is a Python thread of this process: it can only answer because the call releases the GIL.
    client = autoshares.Client(base_url=garbage_url, login=autoshares.PasswordLogin("a", "b"), use_env=False)
    with pytest.raises(autoshares.DecodeError) as e:
        client.users.me()
    assert e.value.path == "UserId" and e.value.operation == "Users_GetUserInfo"
    _roundtrip(e.value)


def test_token_store_error(sb: autoshares.Sandbox, tmp_path: Path) -> None:
    bad = tmp_path / "tokens.json"
    bad.write_text("this is not json")
    bad.chmod(0o600)
    with pytest.raises(autoshares.TokenStoreError) as e:
        sb.client(token_file=str(bad)).users.me()
    assert e.value.path and e.value.code == "TOKEN_STORE"
    _roundtrip(e.value)


def test_stream_error_from_subscribing_on_a_stopped_stream(sb: autoshares.Sandbox) -> None:
    client = sb.client()
    stream = client.stream(quotes=["AAPL"], market_hours="always")
    stream.ready(timeout=10)
    stream.close()
    with pytest.raises(autoshares.StreamError) as e:
        stream.subscribe(quotes=["MSFT"])
    assert e.value.code == "STREAM"
    _roundtrip(e.value)
    client.close()


def test_ambiguous_order_error(sb: autoshares.Sandbox) -> None:
    account_id = sb.account_ids("trader")[0]
    client = sb.client()
    client.login()
    # Both attempts fail before the server acts; the reconciliation reads find no order with the ClientId.
    sb.inject_fault(503, method="POST", path_prefix=f"/v1.0/accounts/{account_id}/orders", count=2)
    try:
        with pytest.raises(autoshares.AmbiguousOrderError) as e:
            client.orders.place(
                account_id,
                {
                    "symbol": "AAPL",
                    "side": "Buy",
                    "type": "Limit",
                    "quantity": 1,
                    "price": "12.34",
                    "time_in_force": "Day",
                    "client_id": "py-ambiguous-1",
                },
            )
    finally:
        sb.clear_faults()
    err = e.value
    assert (err.code, err.operation, err.client_id) == ("AMBIGUOUS_ORDER", "place", "py-ambiguous-1")
    page = client.orders.list(account_id, page_size=500)
    assert not [o for o in page.result if o.client_id == "py-ambiguous-1"]
    _roundtrip(err)

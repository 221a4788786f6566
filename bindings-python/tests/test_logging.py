"""The core's tracing events arrive in Python `logging` under `autoshares`, without any secret."""

from __future__ import annotations

import logging

import autoshares
import pytest


class _Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def captured() -> object:
    logger = logging.getLogger("autoshares")
    handler = _Capture()
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    yield handler
    logger.removeHandler(handler)
    logger.setLevel(logging.NOTSET)


def test_records_arrive_without_secrets(captured: _Capture) -> None:
    app_key = "app-key-5e1f0c77"
    with autoshares.Sandbox(app_key=app_key) as sb:
        codes: list[str] = []

        def code(reason: str) -> str | None:
            c = sb.verification_code("trader2fapin")
            if c:
                codes.append(c)
            return c

        login = autoshares.PasswordLogin("trader2fapin", "trader2fapin-pass", verification_code=code, pin="4321")
        client = sb.client(login=login)
        me = client.users.me()
        for a in client.accounts.mine():
            client.accounts.balance(a.id)
        client.logout()
        oauth = sb.client(login=sb.oauth_login())
        oauth.users.me()
        client_id, client_secret = sb.oauth_client
        assert codes and me.login == "trader2fapin"

    records = captured.records
    assert records, "no record reached Python logging"
    assert {r.name.split(".")[0] for r in records} == {"autoshares"}
    assert any(r.name.startswith("autoshares.sandbox") for r in records)
    assert any(r.name.startswith("autoshares.auth") for r in records)
    text = "\n".join(r.getMessage() for r in records)
    for secret in ["trader2fapin-pass", "4321", app_key, client_secret, *codes]:
        assert secret not in text, f"{secret!r} appeared in the logs"


def test_level_changes_apply_at_once(captured: _Capture, sb_quiet: None = None) -> None:
    logger = logging.getLogger("autoshares")
    with autoshares.Sandbox() as sb:
        client = sb.client()
        logger.setLevel(logging.WARNING)
        client.users.me()
        assert not [r for r in captured.records if r.levelno < logging.WARNING]
        logger.setLevel(logging.DEBUG)
        client.users.me()
        assert [r for r in captured.records if r.levelno == logging.DEBUG]

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
    """A full session at DEBUG: 2FA + PIN login, reads, a stream, logout, OAuth, failed logins. No password, PIN,
    code, app key, client secret or issued token appears in a log record, a `repr`, or an error's text."""
    app_key = "app-key-5e1f0c77"
    shown: list[str] = []
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
        accounts = client.accounts.mine()
        for a in accounts:
            client.accounts.balance(a.id)
        with client.stream(quotes=["AAPL"], accounts=[accounts[0].id]) as s:
            s.ready(timeout=10)
            shown += [repr(e) for e in s.next_batch(timeout=1)]
            shown.append(repr(s))
        shown += [repr(client), repr(login), repr(sb), repr(me)]
        client.logout()
        oauth_login = sb.oauth_login()
        oauth = sb.client(login=oauth_login)
        oauth.users.me()
        shown += [repr(oauth), repr(oauth_login)]
        client_id, client_secret = sb.oauth_client
        failing = [
            sb.client(login=autoshares.PasswordLogin("trader", "wrong-password-7731")),
            sb.client(login=autoshares.PasswordLogin("traderpin", "traderpin-pass", pin="9876")),
            sb.client(login=autoshares.PasswordLogin("trader", "trader-pass"), app_key="bad-app-key-5512"),
        ]
        for bad in failing:
            with pytest.raises(autoshares.AutoSharesError) as info:
                bad.users.me()
            shown += [str(info.value), repr(info.value), repr(info.value.__dict__), repr(bad)]
        issued = sb.issued_credentials()
        assert codes and me.login == "trader2fapin"

    records = captured.records
    assert records, "no record reached Python logging"
    assert {r.name.split(".")[0] for r in records} == {"autoshares"}
    assert any(r.name.startswith("autoshares.sandbox") for r in records)
    assert any(r.name.startswith("autoshares.auth") for r in records)
    assert any(r.levelno == logging.DEBUG for r in records), "every level was on"
    text = "\n".join([r.getMessage() for r in records] + shown)
    assert len(issued) >= 4, "session, interim and OAuth tokens were issued"
    secrets = ["trader2fapin-pass", "4321", app_key, client_secret, "wrong-password-7731", "9876"]
    for secret in [*secrets, "bad-app-key-5512", *codes, *issued]:
        assert len(secret) >= 4
        assert secret not in text, f"a secret of {len(secret)} characters appeared in the logs or a repr"


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

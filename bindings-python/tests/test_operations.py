"""Every core operation, from both clients, with the values typed as promised (Decimal, aware UTC datetime, enums)."""

from __future__ import annotations

import asyncio
import datetime as dt
from decimal import Decimal

import autoshares
from autoshares import MarginType, Salutation


def test_every_operation_sync(sb: autoshares.Sandbox) -> None:
    c = sb.client()
    me = c.users.me()
    assert me.user_id == sb.user_id("trader")
    assert c.users.info() == me and c.users.info("@me") == me and c.users.info(me.user_id) == me
    assert c.users.by_email(me.email or "") == me
    assert isinstance(me.salutation, Salutation)
    assert me.added_date is not None and me.added_date.tzinfo is dt.timezone.utc

    mine = c.accounts.mine()
    assert [a.id for a in mine] == sb.account_ids("trader")
    assert c.accounts.of_user() == mine and c.accounts.of_user(me.user_id) == mine
    assert {a.margin_type for a in mine} == {MarginType.CASH, MarginType.MARGIN}
    assert mine[0].owners[0] == me

    account = c.accounts.get(mine[0].id)
    assert account.id == mine[0].id
    assert account.cash == Decimal("100000.00") and str(account.cash) == "100000.00"
    balance = c.accounts.balance(mine[1].id)
    assert balance.cash == Decimal("25000.50")
    assert balance.get("stockBuyingPower") == balance.stock_buying_power
    assert balance.values["cash"] == Decimal("25000.50")


async def test_every_operation_async(sb: autoshares.Sandbox) -> None:
    async with sb.async_client() as c:
        me = await c.users.me()
        assert await c.users.info(me.user_id) == me
        assert await c.users.by_email(me.email or "") == me
        mine = await c.accounts.mine()
        assert await c.accounts.of_user("@me") == mine
        account, balance = await asyncio.gather(c.accounts.get(mine[0].id), c.accounts.balance(mine[0].id))
        assert account.cash == balance.cash == Decimal("100000.00")


async def test_calls_overlap(sb: autoshares.Sandbox) -> None:
    c = sb.async_client()
    await c.login()
    results = await asyncio.gather(*(c.accounts.mine() for _ in range(64)))
    assert len({len(r) for r in results}) == 1
    assert c.token_requests == 1, "64 concurrent calls share one login"


def test_an_other_users_account_is_refused(sb: autoshares.Sandbox) -> None:
    other = sb.account_ids("other")[0]
    try:
        sb.client().accounts.get(other)
    except autoshares.AuthError as e:
        assert e.auth_kind == "ACCESS_DENIED"
    except autoshares.ApiError as e:
        assert e.status in (403, 404)
    else:
        raise AssertionError("another user's account was returned")


def test_closed_client(sb: autoshares.Sandbox) -> None:
    with sb.client() as c:
        c.users.me()
    try:
        c.users.me()
    except autoshares.ConfigError as e:
        assert e.field == "client"
    else:
        raise AssertionError("a closed client answered")


def test_environment_variables_apply_as_in_core(sb: autoshares.Sandbox, monkeypatch: object) -> None:
    import pytest

    mp = monkeypatch
    assert isinstance(mp, pytest.MonkeyPatch)
    mp.setenv("AUTOSHARES_BASE_URL", sb.url)
    mp.setenv("AUTOSHARES_APP_KEY", sb.app_key)
    mp.setenv("AUTOSHARES_USERNAME", "traderpin")
    mp.setenv("AUTOSHARES_PASSWORD", "traderpin-pass")
    mp.setenv("AUTOSHARES_PIN", "1234")
    client = autoshares.Client()
    assert client.users.me().login == "traderpin"
    sources = {name: source for name, _value, source in client.describe_config()}
    assert sources["base_url"] == "env AUTOSHARES_BASE_URL"
    # An explicit argument beats the variable; use_env=False ignores them all.
    mp.setenv("AUTOSHARES_TIMEOUT", "7")
    described = {n: (v, s) for n, v, s in autoshares.Client(timeout=3).describe_config()}
    assert described["timeout"][1] == "argument"
    with pytest.raises(autoshares.ConfigError):
        autoshares.Client(use_env=False)

"""Values at the boundary: exact prices in, Decimal/datetime/enums out, frozen models, repr without secrets."""

from __future__ import annotations

import pickle
from decimal import Decimal

import autoshares
import pytest
from autoshares import MarginType, models


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (Decimal("19.99"), "19.99"),
        (Decimal("0.1000"), "0.1000"),
        (19, "19"),
        (10**20, "100000000000000000000"),
        ("0.0001", "0.0001"),
        (" 12.50 ", "12.50"),
        ("1e-3", "0.001"),
        (Decimal("-3.14159265358979323846"), "-3.14159265358979323846"),
    ],
)
def test_prices_are_exact(value: Decimal | int | str, expected: str) -> None:
    price = autoshares.to_price(value)
    assert isinstance(price, Decimal) and str(price) == expected


def test_a_float_price_is_refused_unless_opted_in() -> None:
    with pytest.raises(autoshares.ValidationError, match="float") as e:
        autoshares.to_price(19.99)
    assert e.value.field == "price" and isinstance(e.value, ValueError)
    assert "allow_float=True" in str(e.value)
    assert autoshares.to_price(19.99, allow_float=True) == Decimal("19.99")
    assert autoshares.to_price(0.1, allow_float=True) == Decimal("0.1")


@pytest.mark.parametrize("bad", [True, None, [1], "abc", "nan-ish"])
def test_other_types_and_garbage_are_refused(bad: object) -> None:
    with pytest.raises(autoshares.ValidationError):
        autoshares.to_price(bad)  # type: ignore[arg-type]


def test_enums_match_core() -> None:
    for name, values in autoshares._native._enum_values():
        cls = getattr(models, name)
        assert [m.value for m in cls] == values, name


def test_unknown_enum_values_are_kept() -> None:
    new = MarginType("Portfolio")
    assert new is MarginType("Portfolio") and new.value == "Portfolio" and str(new) == "Portfolio"
    assert not new.is_known and MarginType.CASH.is_known
    assert MarginType("Cash") is MarginType.CASH and MarginType.CASH == "Cash"
    assert new not in list(MarginType)


def test_models_are_frozen_comparable_and_convert(sb: autoshares.Sandbox) -> None:
    client = sb.client()
    me = client.users.me()
    with pytest.raises(AttributeError):
        me.user_id = 1  # type: ignore[misc]
    assert me == client.users.me() and me != sb.client(user="other").users.me()
    assert (me == "trader") is False
    d = me.to_dict()
    assert d["user_id"] == me.user_id and d["added_date"] == me.added_date
    assert set(d) == set(dict(autoshares._native._model_fields())["UserInfo"])
    account = client.accounts.get(sb.account_ids("trader")[0])
    ad = account.to_dict()
    assert isinstance(ad["cash"], Decimal) and ad["margin_type"] is MarginType.CASH
    assert set(ad) == set(dict(autoshares._native._model_fields())["Account"])
    balance = client.accounts.balance(account.id)
    assert balance.to_dict()["cash"] == account.cash


def test_repr_and_html_redact_the_ssn(sb: autoshares.Sandbox) -> None:
    account = sb.client().accounts.get(sb.account_ids("trader")[0])
    assert account.ssn is not None
    text, html = repr(account), account._repr_html_()
    assert "ssn='***'" in text and "<td>***</td>" in html
    if account.ssn:
        assert account.ssn not in text and account.ssn not in html
    assert text.startswith("Account(id=") and "cash=Decimal('100000.00')" in text
    assert "<table>" in sb.client().users.me()._repr_html_()


def test_logins_and_users_do_not_show_secrets(sb: autoshares.Sandbox) -> None:
    login = autoshares.PasswordLogin("trader", "hunter2-password", pin="9876")
    assert "hunter2" not in repr(login) and "9876" not in repr(login)
    assert "trader-pass" not in repr(sb.users) and "trader-pass" not in repr(sb)
    assert "secret" not in repr(sb.oauth_login()).replace("client_secret", "")
    client = sb.client()
    assert "trader-pass" not in repr(client)
    for name, value, _source in client.describe_config():
        if name in ("password", "pin", "app_key", "oauth_client_secret"):
            assert value in ("***", "-"), (name, value)


def test_errors_pickle_across_processes() -> None:
    e = autoshares.ApiError("HTTP 503", status=503, request_id="r1")
    back = pickle.loads(pickle.dumps(e))
    assert (back.status, back.request_id, back.code) == (503, "r1", "API")


def test_generated_modules_are_up_to_date() -> None:
    """The wrappers, models, enums and stubs are what scripts/gen_python.py writes from core/api.json."""
    import subprocess
    import sys
    from pathlib import Path

    tool = Path(__file__).resolve().parents[2] / "scripts" / "gen_python.py"
    p = subprocess.run([sys.executable, str(tool), "--check"], capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr


def test_models_pickle_exactly(sb: autoshares.Sandbox) -> None:
    client = sb.client()
    account_id = sb.account_ids("trader")[1]
    for model in (client.users.me(), client.accounts.mine()[0], client.accounts.get(account_id)):
        back = pickle.loads(pickle.dumps(model))
        assert back == model and type(back) is type(model) and repr(back) == repr(model)
    balance = client.accounts.balance(account_id)
    back = pickle.loads(pickle.dumps(balance))
    assert back == balance and back.cash == Decimal("25000.50")

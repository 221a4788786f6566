"""Logins, sync and async, against the in-process sandbox over loopback: password with 2FA and PIN, OAuth + PKCE."""

from __future__ import annotations

import urllib.request
from urllib.error import HTTPError

import autoshares
import pytest


def _code_from(sb: autoshares.Sandbox, user: str, asked: list[str]) -> autoshares.PasswordLogin:
    u = next(x for x in sb.users if x.username == user)

    def code(reason: str) -> str | None:
        asked.append(reason)
        return sb.verification_code(user)

    return autoshares.PasswordLogin(u.username, u.password, verification_code=code, pin=u.pin)


def test_password_with_2fa_and_pin_sync(sb: autoshares.Sandbox) -> None:
    asked: list[str] = []
    client = sb.client(login=_code_from(sb, "trader2fapin", asked))
    client.login()
    assert len(asked) == 1, "the code is asked for once, when the server wants it"
    assert client.users.me().login == "trader2fapin"
    assert client.token_requests == 1


def test_the_code_callable_is_not_called_without_2fa(sb: autoshares.Sandbox) -> None:
    asked: list[str] = []
    client = sb.client(login=_code_from(sb, "trader", asked))
    assert client.users.me().login == "trader"
    assert asked == []


def test_pin_as_a_callable(sb: autoshares.Sandbox) -> None:
    reasons: list[str] = []

    def pin(reason: str) -> str:
        reasons.append(reason)
        return "1234"

    client = sb.client(login=autoshares.PasswordLogin("traderpin", "traderpin-pass", pin=pin))
    assert client.users.me().login == "traderpin"
    assert len(reasons) == 1


def test_a_callable_that_raises_cancels_the_login(sb: autoshares.Sandbox) -> None:
    def refuse(reason: str) -> str:
        raise KeyboardInterrupt

    client = sb.client(login=autoshares.PasswordLogin("trader2fa", "trader2fa-pass", verification_code=refuse))
    with pytest.raises(autoshares.AuthError) as e:
        client.login()
    assert e.value.auth_kind == "CANCELLED"


async def test_password_with_2fa_async(sb: autoshares.Sandbox) -> None:
    asked: list[str] = []
    async with sb.async_client(login=_code_from(sb, "trader2fa", asked)) as client:
        await client.login()
        me = await client.users.me()
    assert me.login == "trader2fa" and len(asked) == 1


def test_sandbox_client_handles_2fa_itself(sb: autoshares.Sandbox) -> None:
    assert sb.client(user="trader2fapin").users.me().login == "trader2fapin"


def test_oauth_loopback_with_pkce_sync(sb: autoshares.Sandbox) -> None:
    before = sb.oauth_token_requests("authorization_code")
    client = sb.client(login=sb.oauth_login())
    assert client.users.me().login == "trader"
    assert sb.oauth_token_requests("authorization_code") == before + 1
    authorize = [r for r in sb.recorded_requests() if r["path"] == "/authorize"][-1]
    assert "code_challenge_method=S256" in authorize["query"] and "state=" in authorize["query"]
    # An expired token is renewed with the refresh token, not a new browser login.
    sb.expire_tokens()
    assert client.accounts.mine()
    assert sb.oauth_token_requests("authorization_code") == before + 1


async def test_oauth_loopback_async_with_a_python_browser(sb: autoshares.Sandbox) -> None:
    opened: list[str] = []

    def browser(url: str) -> None:
        opened.append(url)
        urllib.request.urlopen(url).read()  # follows the redirect to the loopback listener, like a browser

    client_id, secret = sb.oauth_client
    login = autoshares.OAuthLogin(sb.url, client_id, client_secret=secret, browser=browser, timeout=20)
    client = sb.async_client(login=login)
    assert (await client.users.me()).login == "trader"
    assert len(opened) == 1 and "code_challenge=" in opened[0]


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def _landing(url: str) -> str:
    """Where the IdP sends the browser (the address a notebook user would paste)."""
    try:
        urllib.request.build_opener(_NoRedirect).open(url)
    except HTTPError as e:
        assert e.code == 302
        return str(e.headers["Location"])
    raise AssertionError("the authorize endpoint did not redirect")


def test_two_step_notebook_flow_sync(sb: autoshares.Sandbox) -> None:
    client_id, secret = sb.oauth_client
    login = autoshares.OAuthLogin(
        sb.url, client_id, client_secret=secret, redirect_uri="http://localhost:3000/callback"
    )
    client = sb.client(login=login)
    request = client.authorization_request()
    assert request.redirect_uri == "http://localhost:3000/callback"
    assert "Log in" in request._repr_html_()
    client.complete_login(request, _landing(request.url))
    assert client.users.me().login == "trader"


async def test_two_step_notebook_flow_async_and_a_tampered_state(sb: autoshares.Sandbox) -> None:
    client_id, secret = sb.oauth_client
    login = autoshares.OAuthLogin(
        sb.url, client_id, client_secret=secret, redirect_uri="http://localhost:3000/callback"
    )
    client = sb.async_client(login=login)
    request = await client.authorization_request()
    landing = _landing(request.url)
    with pytest.raises(autoshares.AuthError) as e:
        await client.complete_login(request, landing.replace("state=", "state=x"))
    assert e.value.auth_kind == "STATE_MISMATCH"
    await client.complete_login(request, landing)
    assert (await client.users.me()).login == "trader"


def test_paste_mode(sb: autoshares.Sandbox) -> None:
    client_id, secret = sb.oauth_client
    login = autoshares.oauth_login(
        sb.url, client_id, client_secret=secret, paste=_landing, redirect_uri="http://localhost:3000/callback"
    )
    assert sb.client(login=login).users.me().login == "trader"


def test_password_login_helper_prompts_only_when_asked(sb: autoshares.Sandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ValueError):
        autoshares.password_login("trader")
    prompts: list[str] = []

    def fake_input(text: str) -> str:
        prompts.append(text)
        return sb.verification_code("trader2fa") or ""

    monkeypatch.setattr("builtins.input", fake_input)
    monkeypatch.setattr("getpass.getpass", lambda text: "trader2fa-pass")
    client = sb.client(login=autoshares.password_login("trader2fa", prompt=True))
    assert client.users.me().login == "trader2fa"
    assert len(prompts) == 1 and "verification code" in prompts[0]
    prompts.clear()
    monkeypatch.setattr("getpass.getpass", lambda text: "trader-pass")
    assert sb.client(login=autoshares.password_login("trader", prompt=True)).users.me().login == "trader"
    assert prompts == [], "no 2FA: nothing asked"


def test_logout_then_a_new_login(sb: autoshares.Sandbox) -> None:
    client = sb.client()
    client.login()
    client.logout()
    assert client.users.me().login == "trader"
    assert client.token_requests == 2

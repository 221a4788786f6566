"""Quickstart (asyncio client): the same as quickstart.py with `AsyncClient`, calls running concurrently.

python examples/python/quickstart_async.py
"""

from __future__ import annotations

import asyncio

import autoshares


async def show(client: autoshares.AsyncClient, how: str) -> None:
    me = await client.users.me()
    print(f"{how}: logged in as {me.login} (user {me.user_id}, {me.first_name} {me.last_name})")
    accounts = await client.accounts.mine()
    balances = await asyncio.gather(*(client.accounts.balance(a.id) for a in accounts))
    for account, balance in zip(accounts, balances, strict=True):
        print(f"  account {account.id} {account.clearing_account} {account.margin_type}: cash {balance.cash}")


async def main() -> None:
    with autoshares.Sandbox() as sb:
        print(f"sandbox at {sb.url}")
        user = next(u for u in sb.users if u.username == "trader2fapin")
        login = autoshares.PasswordLogin(
            user.username,
            user.password,
            verification_code=lambda reason: sb.verification_code(user.username),
            pin=user.pin,
        )
        async with autoshares.AsyncClient(base_url=sb.url, app_key=sb.app_key, login=login, use_env=False) as client:
            await show(client, "password + 2FA + PIN")

        async with sb.async_client(login=sb.oauth_login()) as client:
            await show(client, "OAuth + PKCE")


if __name__ == "__main__":
    asyncio.run(main())

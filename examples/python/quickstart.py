"""Quickstart (blocking client): start the sandbox in-process, log in with a password (2FA) and then with OAuth
(PKCE), print the user and the accounts with their cash.

    python examples/python/quickstart.py
"""

from __future__ import annotations

import autoshares


def show(client: autoshares.Client, how: str) -> None:
    me = client.users.me()
    print(f"{how}: logged in as {me.login} (user {me.user_id}, {me.first_name} {me.last_name})")
    for account in client.accounts.mine():
        balance = client.accounts.balance(account.id)
        print(f"  account {account.id} {account.clearing_account} {account.margin_type}: cash {balance.cash}")


def main() -> None:
    with autoshares.Sandbox() as sb:
        print(f"sandbox at {sb.url}")

        # Password login; the verification code is asked for only because this user has 2FA on.
        def code(reason: str) -> str | None:
            print(f"  server: {reason!r}; reading the code the sandbox 'sent'")
            return sb.verification_code("trader2fa")

        login = autoshares.PasswordLogin("trader2fa", "trader2fa-pass", verification_code=code)
        with autoshares.Client(base_url=sb.url, app_key=sb.app_key, login=login, use_env=False) as client:
            show(client, "password + 2FA")

        # OAuth 2.0 Authorization Code + PKCE, redirect received on 127.0.0.1 (a headless browser approves it).
        with sb.client(login=sb.oauth_login()) as client:
            show(client, "OAuth + PKCE")


if __name__ == "__main__":
    main()

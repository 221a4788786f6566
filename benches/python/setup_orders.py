"""Places the 50 open orders the order-list benchmarks read (limit buys far below the market, so they stay open)."""

from __future__ import annotations

import autoshares
from common import Sandbox, parse_args

if __name__ == "__main__":
    args = parse_args()
    sb = Sandbox(args.creds)
    with autoshares.Client(
        base_url=sb.url, app_key=sb.app_key, login=autoshares.PasswordLogin(sb.username, sb.password), use_env=False
    ) as client:
        for i in range(50):
            client.orders.place(
                sb.account,
                {
                    "symbol": "AAPL",
                    "side": "Buy",
                    "type": "Limit",
                    "quantity": 1,
                    "price": f"10.{i:02d}",
                    "time_in_force": "Day",
                },
            )

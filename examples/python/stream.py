"""Streaming (blocking client): start the sandbox in-process, stream quotes of three symbols and the events of an
account, place a market order and print its fill as the stream reports it (order, position, balance).

    python examples/python/stream.py
"""

from __future__ import annotations

import autoshares
from autoshares.models import OrderStatus
from autoshares.stream import BalanceEvent, OrderEvent, PositionEvent, QuoteEvent


def main() -> None:
    with autoshares.Sandbox() as sb:
        client = sb.client(user="trader")
        account_id = client.accounts.mine()[0].id
        # market_hours="always": the sandbox quotes around the clock, so the staleness watchdog always applies.
        with client.stream(quotes=["AAPL", "MSFT", "SPY"], accounts=[account_id], market_hours="always") as stream:
            quotes = 0
            for event in stream:
                if isinstance(event, QuoteEvent):
                    print(f"quote {event.symbol}: bid {event.bid} ask {event.ask} last {event.last}")
                    quotes += 1
                    if quotes == 6:
                        break
            stream.ready(timeout=10)  # both streamers live, every subscription sent

            order = client.orders.place(
                account_id, {"symbol": "AAPL", "side": "Buy", "type": "Market", "quantity": 10, "time_in_force": "Day"}
            )
            print(f"placed order {order.id}")
            filled = False
            for event in stream:
                if isinstance(event, OrderEvent) and event.order.id == order.id:
                    o = event.order
                    print(f"order {o.id}: {o.status} executed {o.executed_quantity} at {o.average_price}")
                    filled = o.status is OrderStatus.FILLED
                elif isinstance(event, PositionEvent) and filled:
                    p = event.position
                    print(f"position {p.symbol}: quantity {p.quantity} cost basis {p.cost_basis}")
                elif isinstance(event, BalanceEvent) and filled:
                    print(f"account {event.account_id}: cash {event.balance.cash}")
                    break
            print(f"stream stats: {stream.stats()}")


if __name__ == "__main__":
    main()

"""Streaming into Python: Level I quotes delivered to user code per second, from the sandbox's firehose (quotes as
fast as the socket takes, `--quote-firehose`). `autoshares` (`async for` over `AsyncStream`, events handed over in
batches, quotes conflated latest-wins per security) against a pure-Python client speaking the same protocol
(`GET /streamers`, `CreateSession.txt`, `Subscribe.txt`) with `websockets` and `json.loads` or `orjson.loads`.

    python benches/python/stream.py --creds CREDS --client autoshares|websockets-json|websockets-orjson

User code reads the security id and the bid of every quote (a `Decimal` from autoshares, the wire's string from the
hand-written client). Prints one JSON line: events/s delivered, frames/s read off the socket (autoshares decodes
every frame; a frame superseded before user code asked is conflated, not delivered), CPU per 1,000 events, RSS.
"""

from __future__ import annotations

import json
import urllib.request
from typing import Any

from common import Sandbox, cpu_seconds, emit, now, parse_args, peak_rss_mib, run_on_loop, security_ids


def figures(events: int, frames: int, wall: float, cpu: float) -> dict[str, Any]:
    return {
        "events": events,
        "events_per_s": events / wall,
        "frames_per_s": frames / wall,
        "cpu_us_per_1000": cpu * 1e6 / max(events, 1) * 1000.0,
        "peak_rss_mib": peak_rss_mib(),
    }


async def autoshares_stream(sb: Sandbox, symbols: int, warmup: float, seconds: float) -> dict[str, Any]:
    import autoshares
    from autoshares.stream import QuoteEvent

    client = autoshares.AsyncClient(
        base_url=sb.url,
        app_key=sb.app_key,
        login=autoshares.PasswordLogin(sb.username, sb.password),
        use_env=False,
    )
    stream = await client.stream(quotes=security_ids(symbols), market_hours="always")
    phase_end = now() + warmup
    measuring = False
    events = 0
    frames0 = 0
    cpu0 = t0 = 0.0
    async for ev in stream:
        if type(ev) is QuoteEvent:
            events += 1
            _ = ev.security_id, ev.bid
            if events & 255 == 0 and now() >= phase_end:
                if measuring:
                    break
                measuring = True
                events = 0
                frames0 = stream.stats().frames
                cpu0, t0 = cpu_seconds(), now()
                phase_end = t0 + seconds
    wall, cpu = now() - t0, cpu_seconds() - cpu0
    frames = stream.stats().frames - frames0
    out = figures(events, frames, wall, cpu)
    await stream.close()
    await client.close()
    return out


async def websockets_stream(sb: Sandbox, symbols: int, warmup: float, seconds: float, loads: Any) -> dict[str, Any]:
    from websockets.asyncio.client import connect

    token = sb.token()
    req = urllib.request.Request(sb.url + "/v1.0/streamers", headers=sb.headers(token))
    with urllib.request.urlopen(req, timeout=10) as r:
        quote = json.loads(r.read())["QuoteAddresses"][0]
    url = f"{quote['Url']}/CreateSession.txt?User={sb.user_id}&Password={quote['SessionId']}&HttpClientType=WebSocket"
    async with connect(url, max_size=None, compression=None, ping_interval=None) as ws:
        hello = json.loads(await ws.recv())
        assert hello.get("StatusCode") == "Ok", hello
        await ws.send(
            json.dumps(
                {
                    "Cmd": "Subscribe.txt",
                    "SessionId": hello["SessionId"],
                    "Keys": ";".join(str(i) for i in security_ids(symbols)),
                    "EntityType": "Quote",
                    "HttpClientType": "WebSocket",
                }
            )
        )
        while "Cmd" not in (ack := json.loads(await ws.recv())):
            pass
        assert ack.get("StatusCode") == "Ok", ack
        phase_end = now() + warmup
        measuring = False
        events = 0
        cpu0 = t0 = 0.0
        async for frame in ws:
            m = loads(frame)
            if m.get("EntityType") == "Quote":
                events += 1
                _ = m["Key"], m["Bid"]
                if events & 255 == 0 and now() >= phase_end:
                    if measuring:
                        break
                    measuring = True
                    events = 0
                    cpu0, t0 = cpu_seconds(), now()
                    phase_end = t0 + seconds
        wall, cpu = now() - t0, cpu_seconds() - cpu0
    return figures(events, events, wall, cpu)


async def main() -> None:
    args = parse_args()
    sb = Sandbox(args.creds)
    if args.client == "autoshares":
        out = await autoshares_stream(sb, args.symbols, args.warmup, args.seconds)
    elif args.client == "websockets-json":
        out = await websockets_stream(sb, args.symbols, args.warmup, args.seconds, json.loads)
    elif args.client == "websockets-orjson":
        import orjson

        out = await websockets_stream(sb, args.symbols, args.warmup, args.seconds, orjson.loads)
    else:
        raise SystemExit(f"unknown client {args.client}")
    emit(out)


if __name__ == "__main__":
    args = parse_args()
    run_on_loop(main, args.loop)

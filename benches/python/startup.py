"""Start-up and footprint of the Python package: `import autoshares` time (against `import aiohttp`, `httpx` and
`requests` for scale), and the RSS of an idle client (logged in, one call made) against an idle aiohttp session.

    python benches/python/startup.py --creds CREDS --client all

Each figure comes from fresh interpreters (best of 7 for times). Prints one JSON line.
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

from common import parse_args

IMPORT = "import time; t = time.perf_counter(); import {m}; print((time.perf_counter() - t) * 1e3)"

IDLE = """
import asyncio, json, resource, sys
sys.path.insert(0, 'benches/python')
from common import Sandbox
sb = Sandbox({creds!r})

def rss():
    for line in open('/proc/self/status'):
        if line.startswith('VmRSS:'):
            return int(line.split()[1]) / 1024

async def main():
    before = rss()
    if {which!r} == 'autoshares':
        import autoshares
        c = autoshares.AsyncClient(base_url=sb.url, app_key=sb.app_key,
                                   login=autoshares.PasswordLogin(sb.username, sb.password), use_env=False)
        await c.securities.equity('AAPL')
        after = rss()
        await c.close()
    elif {which!r} == 'aiohttp':
        import aiohttp
        s = aiohttp.ClientSession(headers=sb.headers(sb.token()))
        async with s.get(sb.url + sb.path('equity')) as r:
            json.loads(await r.read())
        after = rss()
        await s.close()
    else:
        after = rss()
    print(json.dumps({{"before": before, "after": after}}))

asyncio.run(main())
"""


def run(code: str) -> str:
    return subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout.strip()


def import_ms(module: str, reps: int = 7) -> float:
    return min(float(run(IMPORT.format(m=module))) for _ in range(reps))


def main() -> None:
    args = parse_args()
    out: dict[str, Any] = {"import_ms": {m: import_ms(m) for m in ("autoshares", "aiohttp", "httpx", "requests")}}
    idle = {w: json.loads(run(IDLE.format(creds=args.creds, which=w))) for w in ("none", "autoshares", "aiohttp")}
    out["idle_rss_mib"] = {
        "interpreter": idle["none"]["after"],
        "autoshares": idle["autoshares"]["after"],
        "aiohttp": idle["aiohttp"]["after"],
    }
    print(json.dumps(out))


if __name__ == "__main__":
    main()

"""Bars to data frames: `ChartHistory` (decoded by the Rust core) `.to_pandas()` / `.to_polars()` through Arrow,
against `pandas.DataFrame` (and `polars.DataFrame`) from the list of dicts `json.loads` gives, from the same JSON.

    python benches/python/frames.py --creds CREDS --client all --bars 100000

The body is the sandbox's own answer to a bars request (2,000 one-minute candles of AAPL) repeated with shifted times
to `--bars` candles. "From JSON" times decoding plus the frame (what a user pays from the response body);
"convert only" times the frame from what is already decoded (a `ChartHistory`, a list of dicts). Decimals stay exact
on our side (Arrow decimal128); `json` gives floats. Prints one JSON line of seconds (best of the repetitions).
"""

from __future__ import annotations

import datetime
import gc
import json
import time
from collections.abc import Callable
from typing import Any

import autoshares
from common import Sandbox, emit, parse_args, peak_rss_mib


def best(f: Callable[[], Any], reps: int) -> float:
    times = []
    for _ in range(reps):
        gc.collect()
        t = time.perf_counter()
        out = f()
        times.append(time.perf_counter() - t)
        del out
    return min(times)


def body(sb: Sandbox, bars: int) -> tuple[str, type]:
    with autoshares.Client(
        base_url=sb.url, app_key=sb.app_key, login=autoshares.PasswordLogin(sb.username, sb.password), use_env=False
    ) as client:
        h = client.history.bars(
            {
                "security": {"symbol": "AAPL"},
                "security_history_settings": {"period": "1m", "interval": 0, "candles_count": 2000},
            }
        )
    doc = json.loads(h.__reduce__()[1][0])  # the model's wire JSON (as pickling sends it)
    sample = doc["SecurityHistory"][0]  # one series per security
    first = sample[0]["Time"]
    out = []
    for i in range(bars):
        b = dict(sample[i % len(sample)])
        t = first + 60 * i
        b["Time"] = t
        b["DateTime"] = datetime.datetime.fromtimestamp(t, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        out.append(b)
    doc["SecurityHistory"] = [out]
    return json.dumps(doc), type(h)


def main() -> None:
    args = parse_args()
    import pandas as pd
    import polars as pl

    sb = Sandbox(args.creds)
    text, ChartHistory = body(sb, args.bars)
    reps = 3 if args.bars <= 200_000 else 2
    loads = json.loads
    decoded = ChartHistory._from_json(text)
    rows = loads(text)["SecurityHistory"][0]
    assert len(decoded.to_pandas()) == len(pd.DataFrame(rows)) == args.bars
    out = {
        "bars": args.bars,
        "json_mib": len(text) / 2**20,
        "from_json": {
            "autoshares_pandas": best(lambda: ChartHistory._from_json(text).to_pandas(), reps),
            "autoshares_polars": best(lambda: ChartHistory._from_json(text).to_polars(), reps),
            "json_dicts_pandas": best(lambda: pd.DataFrame(loads(text)["SecurityHistory"][0]), reps),
            "json_dicts_polars": best(lambda: pl.DataFrame(loads(text)["SecurityHistory"][0]), reps),
        },
        "convert_only": {
            "autoshares_pandas": best(lambda: decoded.to_pandas(), reps),
            "autoshares_polars": best(lambda: decoded.to_polars(), reps),
            "json_dicts_pandas": best(lambda: pd.DataFrame(rows), reps),
            "json_dicts_polars": best(lambda: pl.DataFrame(rows), reps),
        },
        "peak_rss_mib": peak_rss_mib(),
    }
    emit(out)


if __name__ == "__main__":
    main()

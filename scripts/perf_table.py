#!/usr/bin/env python3
"""Writes docs/PERFORMANCE.md from the tables `make bench` produced (REST table, criterion estimates)."""

import datetime
import json
import os
import platform
import sys


def criterion_rate(group: str, bench: str, elements: int) -> float | None:
    path = os.path.join("target", "criterion", group, bench, "new", "estimates.json")
    try:
        with open(path) as f:
            est = json.load(f)
    except OSError:
        return None
    ns = est["mean"]["point_estimate"]
    return elements / (ns / 1e9)


def main() -> None:
    rest = open(sys.argv[1]).read() if len(sys.argv) > 1 and os.path.exists(sys.argv[1]) else "(not run)\n"
    ours = criterion_rate("quote_decode", "autoshares_typed", 10_000)
    base = criterion_rate("quote_decode", "baseline_serde_json_value", 10_000)
    decode = "(not run)\n"
    if ours and base:
        decode = (
            "| decoder | quote messages / s (one core) | ratio |\n|---|---|---|\n"
            f"| autoshares typed (Decimal, times) | {ours:,.0f} | {ours / base:.2f}x |\n"
            f"| serde_json::Value (no typing) | {base:,.0f} | 1.00x |\n"
        )
    cpu = "unknown CPU"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    doc = f"""# Performance

Measured by `make bench` on {datetime.date.today().isoformat()}: {platform.system()} {platform.machine()}, \
{os.cpu_count()} cores ({cpu}). Absolute figures drift on shared machines; the ratios, measured in one run
against a baseline on the same machine, are what to compare. Reproduce with `make bench`.

## REST (Rust): `autoshares` vs hand-written `reqwest` + `serde_json`

The sandbox runs as a separate process on 127.0.0.1; CPU time is the client's. Each row is the median of three
interleaved rounds.

{rest}
## Stream decoding (Rust core, criterion)

{decode}
Not yet measured here: the Python and Node packages against aiohttp/httpx/requests and fetch, streaming into
Python and Node, Arrow frames, start-up times (see the benchmarks issue).
"""
    with open(os.path.join("docs", "PERFORMANCE.md"), "w") as f:
        f.write(doc)
    print(doc)


if __name__ == "__main__":
    main()

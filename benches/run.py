#!/usr/bin/env python3
"""Runs every benchmark of `make bench` in one go and writes their figures to one JSON file.

    python3 benches/run.py [--rounds 3] [--out target/bench/results.json] [--only capacity,rest,stream,frames,startup]

One sandbox process (release binary, `--quote-firehose`) serves every client; it is pinned to core 0 and each client
runs as its own child process pinned to core 1 ("the same client core"), so CPU time and peak RSS are one client's
alone. Rounds are interleaved (every client once, then again) and each figure is the median over the rounds; what
`scripts/perf_table.py` turns into `docs/PERFORMANCE.md` are ratios of clients measured in this same run.

Needs (built by `make bench`): the release binaries autoshares-sandbox, rest and stream (in $BENCH_BIN_DIR,
target/release by default), the Python package and the bench requirements in .venv, the Node package in
bindings-node/, `ws` in benches/node/node_modules, and `wrk` (or `oha` in target/tools/bin).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from typing import Any

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VENV_PY = os.path.join(ROOT, ".venv", "bin", "python")
NODE = shutil.which("node") or "node"
RELEASE = os.path.join(ROOT, os.environ.get("BENCH_BIN_DIR", os.path.join("target", "release")))
SANDBOX_CORE, CLIENT_CORE = 0, 1

CALLS = ["equity", "list"]
IN_FLIGHT = [1, 64]


def pinned(core: int) -> Callable[[], None] | None:
    """A preexec_fn pinning the child to one core (when the machine has more than one)."""
    if (os.cpu_count() or 1) < 2 or not hasattr(os, "sched_setaffinity"):
        return None
    return lambda: os.sched_setaffinity(0, {core})


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


class Sandbox:
    """The sandbox binary as a child process on 127.0.0.1 (ephemeral port), pinned to the sandbox core."""

    def __init__(self, workdir: str) -> None:
        self.creds = os.path.join(workdir, "credentials.json")
        self.proc = subprocess.Popen(
            [os.path.join(RELEASE, "autoshares-sandbox"), "--port", "0", "--quote-firehose",
             "--credentials-file", self.creds],
            stdout=subprocess.DEVNULL,
            preexec_fn=pinned(SANDBOX_CORE),
        )
        deadline = time.time() + 30
        while True:
            try:
                with open(self.creds) as f:
                    self.info = json.load(f)
                break
            except (OSError, ValueError):
                if time.time() > deadline or self.proc.poll() is not None:
                    raise SystemExit("the sandbox did not start")
                time.sleep(0.05)
        self.url = self.info["url"]
        self.trader = next(u for u in self.info["users"] if u["username"] == "trader")

    def token(self) -> str:
        req = urllib.request.Request(
            self.url + "/token",
            method="POST",
            data=b"",
            headers={"Et-App-Key": self.info["app_key"], "Username": "trader", "Password": self.trader["password"]},
        )
        with urllib.request.urlopen(req, timeout=10) as r:
            return str(json.loads(r.read())["Token"])

    def close(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def run_json(cmd: list[str], timeout: float = 120, env: dict[str, str] | None = None) -> dict[str, Any] | None:
    """Runs one driver pinned to the client core; its last stdout line is its JSON figures (None on failure)."""
    try:
        p = subprocess.run(
            cmd, capture_output=True, text=True, timeout=timeout, preexec_fn=pinned(CLIENT_CORE), cwd=ROOT,
            env={**os.environ, **(env or {})},
        )
    except subprocess.TimeoutExpired:
        log(f"  timed out: {' '.join(cmd)}")
        return None
    if p.returncode != 0:
        log(f"  failed ({p.returncode}): {' '.join(cmd)}\n{p.stderr[-2000:]}")
        return None
    lines = [line for line in p.stdout.splitlines() if line.startswith("{")]
    if not lines:
        log(f"  no figures from: {' '.join(cmd)}\n{p.stderr[-2000:]}")
        return None
    return dict(json.loads(lines[-1]))


def median_figures(runs: list[dict[str, Any]]) -> dict[str, Any] | None:
    """Each figure's median over the rounds (and how many rounds succeeded)."""
    runs = [r for r in runs if r]
    if not runs:
        return None
    out: dict[str, Any] = {"rounds": len(runs)}
    for k in runs[0]:
        values = [r[k] for r in runs if isinstance(r.get(k), (int, float))]
        if values:
            out[k] = statistics.median(values)
    return out


# ---- the drivers ---------------------------------------------------------------------------------------------------


#: Optional builds of the packages to measure beside the current ones in the same run ("before" a change): a directory
#: holding an `autoshares` Python package (put first on PYTHONPATH) and one holding the Node package's files.
BEFORE_PY = os.environ.get("BENCH_BEFORE_PY")
BEFORE_NODE = os.environ.get("BENCH_BEFORE_NODE")

Measurement = tuple[str, dict[str, Any], list[str], dict[str, str]]


def with_before(group: str, key: dict[str, Any], cmd: list[str]) -> list[Measurement]:
    """The measurement, and the same with the "before" package when one is given (client `autoshares-before`)."""
    out: list[Measurement] = [(group, key, cmd, {})]
    if key.get("client") != "autoshares":
        return out
    if group.startswith("python") and BEFORE_PY:
        env = {"PYTHONPATH": BEFORE_PY}
    elif group == "node" and BEFORE_NODE:
        env = {"BENCH_NODE_PACKAGE": os.path.join(BEFORE_NODE, "index.mjs")}
    else:
        return out
    out.append((group, {**key, "client": "autoshares-before"}, cmd, env))
    return out


def rest_clients(creds: str, seconds: float) -> list[Measurement]:
    """(group, key, command, environment) of every REST measurement."""
    out: list[Measurement] = []
    common = ["--creds", creds, "--seconds", str(seconds)]
    for call in CALLS:
        for n in IN_FLIGHT:
            shape = ["--call", call, "--in-flight", str(n)]
            for client in ["autoshares", "reqwest"]:
                out += with_before("rust", {"client": client, "call": call, "in_flight": n},
                                   [os.path.join(RELEASE, "rest"), "--client", client, *shape, *common])
            for loop in ["asyncio", "uvloop"]:
                for client in ["autoshares", "aiohttp", "httpx"]:
                    out += with_before("python_async",
                                       {"client": client, "loop": loop, "call": call, "in_flight": n},
                                       [VENV_PY, "benches/python/rest_async.py", "--client", client, "--loop", loop,
                                        *shape, *common])
            for client in ["autoshares", "requests", "httpx"]:
                out += with_before("python_sync", {"client": client, "call": call, "in_flight": n},
                                   [VENV_PY, "benches/python/rest_sync.py", "--client", client, *shape, *common])
            for client in ["autoshares", "fetch"]:
                out += with_before("node", {"client": client, "call": call, "in_flight": n},
                                   [NODE, "benches/node/rest.mjs", "--client", client, *shape, *common])
    return out


def stream_clients(creds: str, seconds: float, symbols: int) -> list[Measurement]:
    common = ["--creds", creds, "--seconds", str(seconds), "--warmup", "0.5", "--symbols", str(symbols)]
    out: list[Measurement] = []
    for client in ["raw", "autoshares"]:
        out += with_before("rust", {"client": client}, [os.path.join(RELEASE, "stream"), "--client", client, *common])
    for client in ["autoshares", "websockets-json", "websockets-orjson"]:
        out += with_before("python", {"client": client},
                           [VENV_PY, "benches/python/stream.py", "--client", client, *common])
    for client in ["autoshares", "ws", "websocket"]:
        node = [NODE, "--experimental-websocket", "--no-warnings"] if client == "websocket" else [NODE]
        out += with_before("node", {"client": client}, [*node, "benches/node/stream.mjs", "--client", client, *common])
    return out


def interleaved(measurements: list[Measurement], rounds: int, label: str) -> list[dict[str, Any]]:
    runs: list[list[dict[str, Any]]] = [[] for _ in measurements]
    for r in range(rounds):
        t0 = time.time()
        for i, (_, _, cmd, env) in enumerate(measurements):
            got = run_json(cmd, env=env)
            if got:
                runs[i].append(got)
        log(f"{label}: round {r + 1}/{rounds} took {time.time() - t0:.0f} s")
    rows = []
    for (group, key, _, _), rs in zip(measurements, runs, strict=True):
        rows.append({"group": group, **key, "figures": median_figures(rs)})
    return rows


def capacity(sb: Sandbox, seconds: float) -> list[dict[str, Any]]:
    """The sandbox's ceiling for the REST calls, measured by wrk (one thread) or oha, pinned to the client core."""
    wrk = shutil.which("wrk")
    oha = os.path.join(ROOT, "target", "tools", "bin", "oha")
    if not wrk and not os.path.exists(oha):
        log("capacity: neither wrk nor oha is installed (make bench installs one); skipped")
        return []
    token = sb.token()
    headers = [f"Authorization: Bearer {token}", f"Et-App-Key: {sb.info['app_key']}", "Accept: application/json"]
    paths = {
        "equity": "/v1.0/equities/AAPL",
        "list": f"/v1.0/accounts/{sb.trader['account_ids'][0]}/orders?pageNumber=0&pageSize=50",
    }
    rows = []
    for call, path in paths.items():
        for conns in IN_FLIGHT:
            if wrk:
                cmd = [wrk, "-t1", f"-c{conns}", f"-d{seconds}s", "--latency"]
                for h in headers:
                    cmd += ["-H", h]
            else:
                cmd = [oha, "--no-tui", "--output-format", "json", "-c", str(conns), "-z", f"{seconds}s"]
                for h in headers:
                    cmd += ["-H", h]
            p = subprocess.run([*cmd, sb.url + path], capture_output=True, text=True,
                               preexec_fn=pinned(CLIENT_CORE), timeout=seconds + 30)
            figures: dict[str, float | None] = {"rps": None, "p50_us": None, "p99_us": None}
            errors = False
            if wrk:
                errors = "Non-2xx" in p.stdout or "Socket errors" in p.stdout
                for line in p.stdout.splitlines():
                    parts = line.split()
                    if line.startswith("Requests/sec:"):
                        figures["rps"] = float(parts[1])
                    elif len(parts) == 2 and parts[0] in ("50%", "99%"):
                        figures["p50_us" if parts[0] == "50%" else "p99_us"] = duration_us(parts[1])
            else:
                try:
                    o = json.loads(p.stdout)
                    figures = {"rps": o["summary"]["requestsPerSec"],
                               "p50_us": o["latencyPercentiles"]["p50"] * 1e6,
                               "p99_us": o["latencyPercentiles"]["p99"] * 1e6}
                    errors = any(code != "200" for code in o.get("statusCodeDistribution", {}))
                except (ValueError, KeyError):
                    log(f"capacity: cannot read oha's output\n{p.stdout[-500:]}{p.stderr[-500:]}")
            rows.append({"call": call, "in_flight": conns, "tool": "wrk" if wrk else "oha", "figures": figures,
                         "errors": errors})
    return rows


def duration_us(text: str) -> float:
    for unit, factor in (("us", 1.0), ("ms", 1e3), ("s", 1e6)):
        if text.endswith(unit):
            return float(text[: -len(unit)]) * factor
    return float(text)


def frames(creds: str) -> list[dict[str, Any]]:
    rows = []
    for bars in (100_000, 1_000_000):
        got = run_json([VENV_PY, "benches/python/frames.py", "--creds", creds, "--client", "all", "--bars", str(bars)],
                       timeout=600)
        rows.append({"bars": bars, "figures": got})
    return rows


def startup(creds: str) -> dict[str, Any]:
    return {
        "python": run_json([VENV_PY, "benches/python/startup.py", "--creds", creds, "--client", "all"]),
        "node": run_json([NODE, "benches/node/startup.mjs", "--creds", creds, "--client", "all"]),
    }


def machine() -> dict[str, Any]:
    cpu = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass

    def version(cmd: list[str]) -> str:
        try:
            return subprocess.run(cmd, capture_output=True, text=True, timeout=20).stdout.strip().splitlines()[0]
        except (OSError, IndexError, subprocess.TimeoutExpired):
            return "?"

    return {
        "system": f"{platform.system()} {platform.machine()}",
        "cores": os.cpu_count(),
        "cpu": cpu,
        "load_before": os.getloadavg()[0] if hasattr(os, "getloadavg") else None,
        "python": version([VENV_PY, "-c", "import sys; print(sys.version.split()[0])"]),
        "node": version([NODE, "--version"]),
        "rustc": version(["rustc", "--version"]),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=int(os.environ.get("BENCH_ROUNDS", "3")))
    ap.add_argument("--seconds", type=float, default=float(os.environ.get("BENCH_SECONDS", "1.0")))
    ap.add_argument("--out", default=os.path.join(ROOT, "target", "bench", "results.json"))
    ap.add_argument("--only", default="capacity,rest,stream,frames,startup")
    args = ap.parse_args()
    only = set(args.only.split(","))
    started = time.time()
    results: dict[str, Any] = {
        "date": datetime.date.today().isoformat(),
        "machine": machine(),
        "rounds": args.rounds,
        "seconds": args.seconds,
        "client_core_pinned": pinned(CLIENT_CORE) is not None,
    }
    with tempfile.TemporaryDirectory(prefix="autoshares-bench-") as work:
        sb = Sandbox(work)
        try:
            subprocess.run([VENV_PY, "benches/python/setup_orders.py", "--creds", sb.creds, "--client", "setup"],
                           check=True, cwd=ROOT)
            if "capacity" in only:
                results["capacity"] = capacity(sb, 3)
                log("capacity: done")
            if "rest" in only:
                results["rest"] = interleaved(rest_clients(sb.creds, args.seconds), args.rounds, "rest")
            if "stream" in only:
                results["stream"] = interleaved(stream_clients(sb.creds, 2 * args.seconds, 500), args.rounds,
                                                "stream")
            if "frames" in only:
                results["frames"] = frames(sb.creds)
                log("frames: done")
            if "startup" in only:
                results["startup"] = startup(sb.creds)
                log("startup: done")
        finally:
            sb.close()
    results["elapsed_s"] = round(time.time() - started)
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w") as f:
        json.dump(results, f, indent=1)
    log(f"figures written to {os.path.relpath(args.out, ROOT)} ({results['elapsed_s']} s)")


if __name__ == "__main__":
    main()

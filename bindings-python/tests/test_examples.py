"""The examples run, type-check strictly, and the notebook executes headless with both clients in one kernel."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "python"
PACKAGE = Path(__file__).resolve().parents[1] / "python" / "autoshares"


@pytest.mark.parametrize("script", ["quickstart.py", "quickstart_async.py"])
def test_quickstart_runs(script: str) -> None:
    p = subprocess.run([sys.executable, str(EXAMPLES / script)], capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    assert "OAuth + PKCE: logged in as trader" in p.stdout and "cash 100000.00" in p.stdout


def test_stream_example_runs() -> None:
    p = subprocess.run([sys.executable, str(EXAMPLES / "stream.py")], capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    assert "quote AAPL: bid " in p.stdout and ": Filled executed 10" in p.stdout, p.stdout
    assert "position AAPL: quantity 10" in p.stdout and "cash " in p.stdout, p.stdout


def test_notebook_runs_headless() -> None:
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    nb = nbformat.read(EXAMPLES / "quickstart.ipynb", as_version=4)
    nbclient.NotebookClient(nb, timeout=60, kernel_name="python3").execute()
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    texts = "\n".join(str(o.get("data", {}).get("text/plain", "")) + o.get("text", "") for o in outputs)
    assert "UserInfo(user_id=" in texts and "'trader'" in texts
    assert any("text/html" in o.get("data", {}) for o in outputs), "models render as HTML tables"


def test_stubs_match_the_native_module() -> None:
    pytest.importorskip("mypy")
    p = subprocess.run(
        [sys.executable, "-m", "mypy.stubtest", "autoshares._native"], capture_output=True, text=True, timeout=300
    )
    assert p.returncode == 0, p.stdout + p.stderr


def test_examples_pass_mypy_strict() -> None:
    pytest.importorskip("mypy")
    p = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", str(EXAMPLES)], capture_output=True, text=True, timeout=300
    )
    assert p.returncode == 0, p.stdout + p.stderr


def test_import_is_light() -> None:
    best = None
    for _ in range(5):
        p = subprocess.run(
            [sys.executable, "-X", "importtime", "-c", "import autoshares"], capture_output=True, text=True, timeout=30
        )
        line = [ln for ln in p.stderr.splitlines() if ln.rstrip().endswith("| autoshares")][-1]
        cumulative_us = int(line.split("|")[1])
        best = cumulative_us if best is None else min(best, cumulative_us)
    assert best is not None
    print(f"import autoshares: {best / 1000:.1f} ms (best of 5)")
    assert best <= 15_000, f"import autoshares took {best / 1000:.1f} ms"
    heavy = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, autoshares; print(' '.join(m for m in ('asyncio', 'decimal', 'json', "
            "'urllib.request', 'pandas', 'pyarrow') if m in sys.modules))",
        ],
        capture_output=True,
        text=True,
        timeout=30,
    ).stdout.strip()
    assert heavy == "", f"imported at module import time: {heavy}"

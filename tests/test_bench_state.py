"""Smoke test of bench/state.py: it runs against a real redis-server and prints its table (no timings)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
BENCH = REPO / "bench" / "state.py"

pytestmark = pytest.mark.e2e

OPS = (
    "3 known values",
    "30 messages, 2 known values each",
    "answer: map unchanged",
    "3 new values",
    "answer: map just changed",
)


def test_bench_state_vault_operations(tmp_path: Path) -> None:
    out_json = tmp_path / "state.json"
    proc = subprocess.run(
        [sys.executable, str(BENCH), "--requests", "5", "--skip-proxies", "--json", str(out_json)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for op in OPS:
        assert op in proc.stdout
    results = json.loads(out_json.read_text())
    assert [r["op"] for r in results["vault_ops"]] == list(OPS)
    assert all(r["n"] == 5 and r["redis_p50_us"] > 0 for r in results["vault_ops"])

"""Smoke test of bench/portal_decision.py: it runs and prints every path (no timing assertions)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_portal_bench_runs_and_prints_all_paths() -> None:
    out = subprocess.run(
        [sys.executable, str(REPO / "bench" / "portal_decision.py"), "--requests", "400", "--users", "50"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    lines = out.stdout.splitlines()
    for path in ("policy-only", "portal-view", "validation-granted"):
        assert any(line.startswith(path) for line in lines), out.stdout
    assert "portal adds at most" in lines[-1]

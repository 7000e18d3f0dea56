"""Smoke test of bench/incident_store.py: it runs end to end and prints every mode (no timing checks)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_store_bench_runs_and_prints_every_mode(tmp_path: Path) -> None:
    out_json = tmp_path / "r.json"
    proc = subprocess.run(
        [sys.executable, str(REPO / "bench" / "incident_store.py"), "--incidents", "20", "--rounds", "1",
         "--json", str(out_json)],
        cwd=REPO, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for mode in ("WAL", "DELETE", "TRUNCATE", "PERSIST"):
        assert mode in proc.stdout
    assert "ratio DELETE/WAL throughput" in proc.stdout
    figures = json.loads(out_json.read_text())
    assert set(figures) == {"1", "50"} and figures["1"]["DELETE"]["incidents_per_s"] > 0

"""Smoke test of bench/proxy_overhead.py: it runs end to end and prints its table (no timing checks)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
BENCH = REPO / "bench" / "proxy_overhead.py"

pytestmark = pytest.mark.e2e

PATHS = ("direct", "mitmproxy", "dlp-policy-only", "dlp-scan-clean", "dlp-scan-replace")


def test_bench_runs_and_prints_all_paths(tmp_path: Path) -> None:
    out_json = tmp_path / "results.json"
    proc = subprocess.run(
        [sys.executable, str(BENCH), "--requests", "5", "--json", str(out_json)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = proc.stdout
    for header in ("path", "conc", "p50 ms", "p99 ms", "added p50", "added p99"):
        assert header in out
    rows = [line.split() for line in out.splitlines()]
    for path in PATHS:
        for conc in ("1", "8"):
            assert [path, conc, "5"] in [r[:3] for r in rows], out
    assert "dlp-policy-only adds no more than 1.5× what plain mitmproxy adds" in out
    assert "dlp-policy-only added / mitmproxy added" in out
    assert "a 1 KB French prompt with full scan adds ≤ 10 ms p50 and ≤ 30 ms p99 over direct" in out
    for path in ("dlp-scan-clean", "dlp-scan-replace"):
        assert f"concurrency 1: {path}" in out

    results = json.loads(out_json.read_text(encoding="utf-8"))
    assert {(r["path"], r["concurrency"]) for r in results["rows"]} == {(p, c) for p in PATHS for c in (1, 8)}
    assert {(r["path"], r["concurrency"]) for r in results["scan_targets"]} == {
        (p, c) for p in ("dlp-scan-clean", "dlp-scan-replace") for c in (1, 8)
    }
    # The run fails unless dlp-proxy's /metrics show each path decided as intended (no scan, allowed
    # after a scan, values replaced), and the fake provider refuses a body that still holds the e-mail.
    assert results["meta"]["dlp_proxy_decisions_checked"] is True

"""Smoke test of bench/streaming.py: it runs end to end and prints its table (no timing checks)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
BENCH = REPO / "bench" / "streaming.py"

pytestmark = pytest.mark.e2e


def test_streaming_bench_runs_and_prints_its_table(tmp_path: Path) -> None:
    out_json = tmp_path / "results.json"
    proc = subprocess.run(
        [sys.executable, str(BENCH), "--requests", "3", "--warmup", "1", "--json", str(out_json)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = proc.stdout
    for header in ("path", "TTFT p50", "TTFT p99", "total p50", "total p99"):
        assert header in out
    rows = [line.split() for line in out.splitlines()]
    assert ["direct", "3"] in [r[:2] for r in rows], out
    assert ["dlp-proxy", "3"] in [r[:2] for r in rows], out
    assert "added" in [r[0] for r in rows if r]
    assert "scan of the request (dlp-proxy /metrics, 3 requests)" in out
    assert "TTFT added beyond the scan" in out
    assert "20-message OpenAI conversation" in out
    for line in ("extract_request", "pseudonymize + rewrite", "total"):
        assert any(r[: len(line.split())] == line.split() for r in rows), line

    results = json.loads(out_json.read_text(encoding="utf-8"))
    assert {p: s["n"] for p, s in results["paths"].items()} == {"direct": 3, "dlp-proxy": 3}
    # the run fails unless every streamed answer was the prompt, restored byte for byte, and dlp-proxy
    # counted every measured request as pseudonymized: the scan histogram saw exactly those
    assert results["scan"]["count"] == 3
    assert results["paths"]["direct"]["text_events_per_answer"] > 100  # 1-3 characters per event
    assert results["rewrite_cost"]["messages"] == 20 and results["rewrite_cost"]["total_us"] > 0

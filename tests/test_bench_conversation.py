"""Smoke tests of bench/conversation.py and bench/soak.py: they run end to end (no timing checks)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.e2e


def run_bench(name: str, *args: str, timeout: float = 300) -> str:
    proc = subprocess.run(
        [sys.executable, str(REPO / "bench" / name), *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


def test_conversation_bench_runs_and_the_cache_serves_the_history(tmp_path: Path) -> None:
    out_json = tmp_path / "conversation.json"
    small = [
        "--conversations",
        "1",
        "--turns",
        "4",
        "--agents",
        "1",
        "--agent-calls",
        "2",
        "--agent-kb",
        "40",
    ]
    small += ["--capacity-requests", "40", "--rates", "5", "--step-seconds", "2", "--workers", "1"]
    out = run_bench("conversation.py", *small, "--json", str(out_json))
    for heading in ("1. Conversation", "2. Agent", "3. Capacity", "sustained without refusal"):
        assert heading in out
    results = json.loads(out_json.read_text())
    assert sorted(results["conversation"]) == ["1", "2", "3", "4"]
    assert results["concurrency8"]["dlp"]["n"] == 40 and results["concurrency8"]["mitm"]["n"] == 40
    # Every turn re-sends the history: from turn 2 on, most texts must come from the findings cache.
    assert results["cache_after_agent"]["dlp_proxy_scan_cache_hits_total"] > 0


def test_soak_bench_runs_and_reports_memory_of_every_process(tmp_path: Path) -> None:
    out_json = tmp_path / "soak.json"
    out = run_bench(
        "soak.py", "--minutes", "0.3", "--warmup-minutes", "0.1", "--rate", "5", "--sample-seconds", "3",
        "--workers", "1", "--json", str(out_json),
    )  # fmt: skip
    assert "RSS (MB)" in out and "proxy" in out and "worker" in out
    results = json.loads(out_json.read_text())
    assert sum(results["sent"].values()) >= 50
    assert len(results["samples"]) >= 3
    assert set(results["analysis"]["processes"]) >= {"proxy"}
    assert any(name.startswith("worker ") for name in results["analysis"]["processes"])

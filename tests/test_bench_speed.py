"""Smoke test of bench/detection_speed.py: it runs end to end and prints its table (no timing checks)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
BENCH = REPO / "bench" / "detection_speed.py"

# Loads the spaCy model in four processes (vanilla, engine, two pool workers): ~1.7 GB for ~20 s.
pytestmark = [pytest.mark.e2e, pytest.mark.model]


def test_detection_bench_quick_run_prints_the_table(tmp_path: Path) -> None:
    out_json = tmp_path / "speed.json"
    proc = subprocess.run(
        [sys.executable, str(BENCH), "--quick", "--json", str(out_json)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = proc.stdout
    for text in (
        "latency in ms",
        "vanilla Presidio",
        "our engine (1 core)",
        "our pool (2 wkrs)",
        "vanilla / ours (p50)",
        "throughput, batches of",
        "texts/s",
        "RSS after load",
        "RSS after run",
        "pool worker 1",
        "pool worker 2",
        "targets (the proxy scans with the pool",
        "RSS at most 350 MB per worker",
    ):
        assert text in out, out
    rows = [line.split() for line in out.splitlines()]
    for size in ("0.7", "2"):
        row = next((r for r in rows if r[:2] == [size, "KB"]), None)
        assert row is not None and len(row) == 12, out  # size, KB, bytes, n, 6 latencies, 2 ratios

    results = json.loads(out_json.read_text(encoding="utf-8"))
    assert [r["size"] for r in results["rows"]] == ["0.7 KB", "2 KB"]
    for row in results["rows"]:
        for det in ("vanilla", "engine", "pool"):
            assert row[det]["p50_ms"] > 0
    assert len(results["memory"]["workers"]) == 2
    assert set(results["startup_s"]) == {"vanilla", "engine", "pool"}
    assert results["meta"]["quick"] is True


def test_texts_are_deterministic_and_sized() -> None:
    sys.path.insert(0, str(BENCH.parent))
    try:
        import detection_speed
    finally:
        sys.path.remove(str(BENCH.parent))
    a = detection_speed.make_corpus((0.7, 5.0), 3, 4)
    b = detection_speed.make_corpus((0.7, 5.0), 3, 4)
    assert a == b
    for label, limit in (("0.7 KB", 700), ("5 KB", 5000)):
        for text in a["sizes"][label]:
            assert 0.85 * limit <= len(text.encode()) <= limit
    # Personal data is there to be found: e-mail addresses and phone numbers in the long texts.
    long_text = " ".join(a["sizes"]["5 KB"])
    assert "@" in long_text and ("06 " in long_text or "+33 " in long_text)

"""Smoke test of bench/backtracking.py: the sweep runs over every recogniser and prints its summary.

No timing assertion here (shared machines): the two patterns it found are pinned by
tests/test_engine.py::test_runs_of_blanks_do_not_backtrack.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
BENCH = REPO / "bench" / "backtracking.py"

pytestmark = [pytest.mark.model]


def test_backtracking_sweep_runs_and_summarises() -> None:
    proc = subprocess.run(
        [sys.executable, str(BENCH), "--short", "200"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert re.search(r"^\d+ pieces × \d+ prefixes, 200 and 800 chars$", proc.stdout, re.M), proc.stdout
    assert re.search(r"^\d+ case\(s\) grew faster than ×6 above 20 ms$", proc.stdout, re.M), proc.stdout

"""bench/office_layouts.py: templates filled with held-out names, every name word placed and scored.

The fill is checked without the model (where each name word sits); one run of the bench through the
real engine checks that it prints a line per set, and that the layouts the rules were written for are
not all missed (a rule broken outright would show as a collapse here, not as a figure to read)."""

from __future__ import annotations

import random
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "bench"))

import office_layouts  # noqa: E402


def test_every_set_has_layouts_with_name_slots() -> None:
    for name in office_layouts.SETS:
        layouts = office_layouts.templates(name)
        assert len(layouts) >= 30, name
        assert all("{F}" in t or "{L}" in t for t in layouts), name


def test_fill_places_each_name_word() -> None:
    text, gold = office_layouts.fill(
        "Cordialement\\n{F} {L}\\n{{ok}}".replace("\\n", "\n"),
        {"F": "Leeyah", "L": "Sortais", "F2": "X", "L2": "Y"},
    )
    assert text == "Cordialement\nLeeyah Sortais\n{ok}"
    assert [(text[s:e], w) for s, e, w in gold] == [("Leeyah", "Leeyah"), ("Sortais", "Sortais")]


def test_variants_change_the_case_of_the_names_only() -> None:
    firsts, lasts = ["Leeyah"], ["Sortais"]
    assert office_layouts.draw(random.Random(1), firsts, lasts, "lower case")["L"] == "sortais"
    capitals = office_layouts.draw(random.Random(1), firsts, lasts, "family name in capitals")
    assert (capitals["F"], capitals["L"]) == ("Leeyah", "SORTAIS")


@pytest.mark.model
def test_bench_runs_and_scores_every_variant() -> None:
    proc = subprocess.run(
        [sys.executable, str(REPO / "bench" / "office_layouts.py"), "--sets", "tuning-c", "--seeds", "1",
         "--fills", "1"],
        cwd=REPO, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    line = re.search(r"^tuning-c \(38 layouts\): (.*)$", proc.stdout, re.M)
    assert line is not None, proc.stdout
    shares = [float(x) for x in re.findall(r": (\d\.\d{3}) \(", line.group(1))]
    assert len(shares) == 3 and all(share > 0.5 for share in shares), line.group(1)

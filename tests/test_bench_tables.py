"""Smoke tests of bench/detection_tables.py: generated tables hold their names where they say, CSV
files are read as a prompt would hold them, a small evaluation runs. No accuracy thresholds here."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.scripts import load_script


@pytest.fixture(scope="module")
def bench():
    return load_script("bench/detection_tables.py", "detection_tables_bench")


def test_people_tables_are_deterministic_and_their_spans_are_the_cells(bench) -> None:
    tables = list(bench.people_tables(["fr_FR"]))
    assert len(tables) == len(bench.SEPARATORS) * len(bench.CASES) * len(bench.HEADERS)
    assert [t.text for t in tables] == [t.text for t in bench.people_tables(["fr_FR"])]
    for table in tables:
        assert len(table.names) == 2 * bench.ROWS and len(table.others) == 3 * bench.ROWS
        rows = table.text.splitlines()[1 + (table.header != "none") :]
        cells = [cell for row in rows for cell in row.split(table.sep)]
        found = [table.text[s:e] for s, e in sorted(table.names + table.others)]
        assert found == cells
        if table.case == "lower case":
            assert all(table.text[s:e].islower() for s, e in table.names)


def test_csv_files_are_read_as_pasted_tables(bench, tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "a.csv").write_text("x,y\n" + "\n".join(f"{i},{i * 2}" for i in range(40)), "utf-8")
    (tmp_path / "short.csv").write_text("x,y\n1,2\n", "utf-8")  # too short to be a table
    (tmp_path / "latin1.csv").write_bytes("nom\nété\n1\n2\n3\n".encode("latin-1"))  # not UTF-8: skipped
    read = list(bench.csv_tables(tmp_path))
    assert [name for name, _ in read] == ["sub/a.csv"]
    assert read[0][1].count("\n") == bench.CSV_LINES - 1


@pytest.mark.model
def test_small_evaluation_runs(bench, engine, tmp_path: Path) -> None:
    found = {"ours": bench.ours_detector(engine)}
    people = bench.evaluate_people(found, ["en_US"])["ours"]
    names, hits, _ = people["by_header"]["none"]
    assert names == len(bench.SEPARATORS) * len(bench.CASES) * 2 * bench.ROWS and 0 < hits <= names
    (tmp_path / "people.csv").write_text(
        "id;a;b\n" + "\n".join(f"{i};{n};Lyon" for i, n in enumerate(["Sophie", "Karim", "Inès", "Paul"])),
        "utf-8",
    )
    csv = bench.evaluate_csv(found, tmp_path)["ours"]
    assert csv["tables"] == 2 and csv["table_rule"] >= 4  # the first-name column, with its header and without


def test_records_hold_their_names_where_they_say(bench) -> None:
    records = list(bench.people_records(["de_DE"]))
    assert len(records) == len(bench.RECORD_FORMATS) * 2
    assert [r.text for r in records] == [r.text for r in bench.people_records(["de_DE"])]
    for r in records:
        per_person = 1 if r.fmt == "log" else 2
        assert len(r.names) == 10 * per_person
        values = [r.text[s:e] for s, e in r.names]
        assert all(v.strip() and "<" not in v and '"' not in v for v in values)
        if r.case == "lower case":
            assert all(v.islower() for v in values)

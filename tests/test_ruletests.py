"""Referents' rule tests (``rules/tests/*.yaml``) run against the shared engine."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from dlp_proxy.detect.ruletests import entity_thresholds, run_rule_tests
from dlp_proxy.errors import ConfigError

REPO = Path(__file__).resolve().parents[1]


def _rules_copy(tmp_path: Path) -> Path:
    """A rules directory with the shipped policy files and an empty tests/ folder."""
    rules = tmp_path / "rules"
    rules.mkdir()
    for name in ("catalog.yaml", "policy.yaml", "directory.yaml", "allowlist.txt"):
        if (REPO / "rules" / name).exists():
            shutil.copy(REPO / "rules" / name, rules / name)
    (rules / "tests").mkdir()
    return rules


def test_thresholds_come_from_the_policy() -> None:
    thresholds = entity_thresholds(REPO / "rules")
    assert thresholds["PERSON"] == 0.5
    assert "LOCATION" not in thresholds


@pytest.mark.model
def test_shipped_rule_tests_all_pass(engine) -> None:
    report = run_rule_tests(REPO / "rules", engine)
    assert {f.entity for f in report.files} >= {"PERSON", "ADDRESS"}
    assert report.passed, report.format()
    assert report.total >= 60


@pytest.mark.model
def test_failures_say_why(engine, tmp_path: Path) -> None:
    rules = _rules_copy(tmp_path)
    (rules / "tests" / "person.yaml").write_text(
        "entity: PERSON\ncases:\n"
        '  - text: "Traduis ce texte en anglais."\n    expect: true\n'
        '  - text: "Relance M. Lambert demain."\n    expect: false\n'
        '  - text: "Relance M. Lambert demain."\n    expect: true\n',
        encoding="utf-8",
    )
    report = run_rule_tests(rules, engine)
    [file] = report.files
    assert [c.passed for c in file.cases] == [False, False, True]
    assert file.cases[0].reason == "no PERSON found"
    assert "'Lambert'" in file.cases[1].reason and file.cases[1].line == 5
    text = report.format()
    assert "1/3 passed" in text and f"FAIL {rules / 'tests' / 'person.yaml'}:3:" in text
    assert not report.passed and report.failed == 2


@pytest.mark.model
def test_malformed_test_files_are_config_errors(engine, tmp_path: Path) -> None:
    rules = _rules_copy(tmp_path)
    (rules / "tests" / "a.yaml").write_text("entity: NOT_A_TYPE\ncases:\n  - text: x\n    expect: maybe\n")
    (rules / "tests" / "b.yaml").write_text("entity: PERSON\ncases: []\n")
    with pytest.raises(ConfigError) as err:
        run_rule_tests(rules, engine)
    message = str(err.value)
    assert "a.yaml:1: unknown entity 'NOT_A_TYPE'" in message
    assert "a.yaml:4: 'expect' must be true or false" in message
    assert "b.yaml:2: 'cases' must be a non-empty list" in message

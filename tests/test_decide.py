"""Data rules decide per entity type and hosting; the first matching rule wins."""

from __future__ import annotations

from dataclasses import dataclass

from dlp_proxy.decide import decide_data


@dataclass(frozen=True)
class F:
    entity_type: str
    start: int
    end: int
    score: float


@dataclass(frozen=True)
class R:
    id: str
    entities: tuple[str, ...]
    action: str
    min_score: float = 0.5


RULES = [R("bloque", ("FR_NIR", "SECRET"), "block"), R("masque", ("PERSON", "EMAIL_ADDRESS"), "redact", 0.6)]


def test_block_wins_over_redact() -> None:
    d = decide_data(RULES, [[F("PERSON", 0, 4, 0.9)], [F("FR_NIR", 0, 15, 1.0)]])
    assert d.action == "block" and d.blocked_types == ("FR_NIR",)
    assert d.entity_counts == {"PERSON": 1, "FR_NIR": 1}
    assert set(d.rule_ids) == {"donnees:bloque", "donnees:masque"}


def test_redact_collects_findings_per_segment() -> None:
    d = decide_data(RULES, [[F("PERSON", 0, 4, 0.9)], [], [F("EMAIL_ADDRESS", 2, 9, 1.0)]])
    assert d.action == "redact"
    assert [len(x) for x in d.to_redact] == [1, 0, 1]


def test_below_min_score_and_unruled_types_are_ignored() -> None:
    d = decide_data(RULES, [[F("PERSON", 0, 4, 0.55), F("LOCATION", 5, 9, 1.0)]])
    assert d.action == "allow" and d.entity_counts == {}


def test_tool_override() -> None:
    d = decide_data(RULES, [[F("FR_NIR", 0, 15, 1.0)]], overrides={"FR_NIR": "redact"})
    assert d.action == "redact" and d.rule_ids == ("donnees:outil:FR_NIR",)
    d = decide_data(RULES, [[F("PERSON", 0, 4, 0.9)]], overrides={"PERSON": "allow"})
    assert d.action == "allow"


def test_pseudonymize_and_redact_types_are_told_apart() -> None:
    rules = [R("pseudo", ("PERSON",), "pseudonymize"), R("masque", ("IBAN_CODE",), "redact")]
    d = decide_data(rules, [[F("PERSON", 0, 4, 0.9), F("IBAN_CODE", 5, 30, 1.0)]])
    assert d.action == "redact" and d.pseudonymized
    assert d.redact_types == {"IBAN_CODE"}
    assert d.actions == {"PERSON": "pseudonymize", "IBAN_CODE": "redact"}

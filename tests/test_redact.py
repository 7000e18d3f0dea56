"""Typed placeholders: stable per value within a request, never the value."""

from __future__ import annotations

from dataclasses import dataclass

from dlp_proxy.redact import Redactor


@dataclass(frozen=True)
class F:
    entity_type: str
    start: int
    end: int
    score: float = 1.0


def test_same_value_same_placeholder_across_segments() -> None:
    r = Redactor()
    a = "Écris à jean@example.fr et Marie"
    b = "Relance JEAN@example.fr"
    out_a = r.redact(a, [F("EMAIL_ADDRESS", 8, 23), F("PERSON", 27, 32)])
    out_b = r.redact(b, [F("EMAIL_ADDRESS", 8, 23)])
    assert out_a == "Écris à [EMAIL_ADDRESS_1] et [PERSON_1]"
    assert out_b == "Relance [EMAIL_ADDRESS_1]"


def test_overlapping_findings_merge() -> None:
    r = Redactor()
    text = "M. Jean Dupont, 12 rue de la Paix"
    out = r.redact(text, [F("PERSON", 3, 14), F("PERSON", 8, 14), F("ADDRESS", 16, 33)])
    assert out == "M. [PERSON_1], [ADDRESS_1]"


def test_repr_never_shows_values() -> None:
    r = Redactor()
    r.redact("jean@example.fr", [F("EMAIL_ADDRESS", 0, 15)])
    assert "jean" not in repr(r)

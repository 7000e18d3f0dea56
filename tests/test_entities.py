"""The one table of entity types: every type is emitted by a recogniser, labelled, and has a surrogate."""

from __future__ import annotations

from pathlib import Path

import pytest

from dlp_proxy.detect.engine import TYPE_PRIORITY
from dlp_proxy.entities import BY_CODE, CODES, IDENTIFIER_TYPES, decision_label, known_codes, label
from dlp_proxy.pseudonyms import SURROGATES

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.model
def test_every_type_is_emitted_by_a_recogniser_or_the_model(engine) -> None:
    emitted = set(engine.supported_entities) - {"NUMERO_CLIENT"}  # the shipped custom recogniser
    assert set(CODES) == emitted, set(CODES) ^ emitted
    assert "FR_TVA_INTRA" not in CODES


def test_labels_surrogates_and_priority() -> None:
    for code, entity in BY_CODE.items():
        assert entity.label_fr and entity.label_en and (code in SURROGATES) == entity.surrogate
        assert label(code, "fr") == entity.label_fr and label(code, "en") == entity.label_en
    assert label("NUMERO_CLIENT") == "NUMERO_CLIENT"  # custom types keep their code
    assert TYPE_PRIORITY[0] == "CREDIT_CARD" and TYPE_PRIORITY[-1] == "LOCATION"
    assert "PHONE_NUMBER" in IDENTIFIER_TYPES and "PERSON" not in IDENTIFIER_TYPES
    assert decision_label("blocked") == "bloquée" and decision_label("redact", "en") == "redact"


def test_known_codes_add_custom_types() -> None:
    assert "NUMERO_CLIENT" in known_codes({"NUMERO_CLIENT"}) and "NUMERO_CLIENT" not in known_codes()

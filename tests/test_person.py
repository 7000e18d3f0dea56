"""The PERSON recogniser's own rules, without spaCy's NER (``nlp_artifacts=None``): fast, no model.

Most PERSON behaviour is tested through the engine (``tests/test_engine.py``), where the NER and the
rules meet; here, rules whose result does not depend on the model.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from dlp_proxy.detect.recognizers.person import FrenchPersonRecognizer, PersonScores

RULES = Path(__file__).resolve().parent.parent / "rules"


@pytest.fixture(scope="module")
def person() -> FrenchPersonRecognizer:
    return FrenchPersonRecognizer(RULES / "allowlist.txt", PersonScores(), "fr")


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("le scénario est de l'acteur tobias renwick.", ["tobias renwick"]),
        ("inspiré par le philosophe danois velgaard, il écrit", ["velgaard"]),  # one adjective skipped
        ("Le rappeur Zorvek sort un album.", ["Zorvek"]),
        ("son amie proche ilana vasquero l'accompagne", ["ilana vasquero"]),
        ("le pilote automatique est coupé", []),  # a common word
        ("un batteur renommé, formé au conservatoire", []),  # an adjective's ending
        ("la chanteuse tentera de convaincre le jury", []),  # a verb's ending
        ("la chanteuse s'engage pour la cause", []),  # an elided pronoun
        ("le joueur le plus connu du club", []),  # a stop word
        ("le ministre de la santé a parlé", []),
        ("mon collègue du support répond", []),
        ("son partenaire danseur arrive demain", []),  # a role is not a name
    ],
)
def test_person_after_a_role_noun(person: FrenchPersonRecognizer, text: str, names: list[str]) -> None:
    """A noun naming someone's role, then the name ("l'acteur hugh laurie"), whatever its case; the
    words that follow a role in ordinary sentences are not names. The rules alone, without the NER."""
    results = person.analyze(text, ["PERSON"], None)
    assert [text[r.start : r.end] for r in results if r.score >= 0.5] == names

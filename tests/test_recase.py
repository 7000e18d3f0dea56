"""The second reading of unknown lower-case words (dlp_proxy/detect/recase.py), with the shipped model."""

from __future__ import annotations

from collections.abc import Iterable
from types import SimpleNamespace
from typing import Any

import pytest

from dlp_proxy.detect.recase import _fit, add_recased_names
from dlp_proxy.detect.recognizers.person import is_french_word, is_name_word, is_word_or_typo


class Recording:
    """The real pipeline, keeping the texts it is asked to read again."""

    def __init__(self, nlp: Any) -> None:
        self.nlp = nlp
        self.texts: list[str] = []

    def pipe(self, texts: Iterable[str]) -> Any:
        texts = list(texts)
        self.texts.extend(texts)
        return self.nlp.pipe(texts)


@pytest.fixture()
def nlp(engine: Any) -> Recording:
    return Recording(engine.nlp)


def _recase(nlp: Recording, texts: list[str], window: int = 4) -> tuple[list[Any], int]:
    """``texts`` read by the model, then again as the engine does (the same word tests)."""
    docs = list(nlp.nlp.pipe(texts))
    added = add_recased_names(
        nlp, docs, window=window, is_word=is_french_word, is_name=is_name_word, is_slip=is_word_or_typo
    )
    return docs, added


def _pers(doc: Any) -> list[str]:
    return [e.text for e in doc.ents if e.label_ == "PER"]


def test_a_lower_case_name_the_model_misses_is_found_capitalised(nlp: Recording) -> None:
    text = "en finale il dépasse reggie miller qui en avait marqué trente."
    assert _pers(nlp.nlp(text)) == []  # the model alone misses it
    (doc,), added = _recase(nlp, [text])
    assert added == 1
    assert _pers(doc) == ["reggie miller"]
    assert doc.text == text  # the span is on the text as written
    # four words on each side of each unknown word: "trente" and the full stop are left out
    assert nlp.texts == ["en finale il dépasse Reggie Miller qui en avait marqué"]


def test_a_known_name_next_to_an_unknown_word_is_capitalised_too(nlp: Recording) -> None:
    (doc,), _ = _recase(nlp, ["Elle a battu en demi-finale sa partenaire de double, ana ivanović."])
    assert any("Ana Ivanović" in t for t in nlp.texts)  # "ana" is also a word; next to "ivanović", a name
    assert _pers(doc) == ["ana ivanović"]


def test_french_words_and_derived_words_are_not_read_again(nlp: Recording) -> None:
    docs, added = _recase(
        nlp,
        [
            "un musicien soufiste et une colistière du candidat",
            "les cérémonies shintoïstes et des phrases exhortatives",  # endings read without accents
            "le contrat est signé, merci",
        ],
    )
    assert added == 0
    assert nlp.texts == []  # nothing was read a second time
    assert [_pers(d) for d in docs] == [[], [], []]


def test_off_with_a_window_of_zero(nlp: Recording) -> None:
    (doc,), added = _recase(nlp, ["en finale il dépasse reggie miller qui en avait marqué trente."], window=0)
    assert (added, nlp.texts, _pers(doc)) == (0, [], [])


def test_only_the_documents_with_unknown_words_change_and_entities_stay(nlp: Recording) -> None:
    texts = [
        "Réunion à Lyon avec Marie Dupont demain.",
        "À Lyon, il termine loin devant jan rokita aux élections.",
    ]
    before = [[(e.text, e.label_) for e in nlp.nlp(t).ents] for t in texts]
    docs, added = _recase(nlp, texts)
    assert added == 1
    assert [(e.text, e.label_) for e in docs[0].ents] == before[0]
    after = [(e.text, e.label_) for e in docs[1].ents]
    assert ("jan rokita", "PER") in after
    assert all(ent in after for ent in before[1])  # what the model found stays


def test_a_name_the_model_cut_short_is_completed(nlp: Recording, engine: Any) -> None:
    text = "elle a vu le dernier film de gus van sant hier"
    assert [(e.text, e.label_) for e in nlp.nlp(text).ents] == [("gus van", "PER")]
    (doc,), added = _recase(nlp, [text])
    assert added == 1
    assert [(e.text, e.label_) for e in doc.ents] == [("gus van sant", "PER")]  # one name, not two
    found = engine.analyze(text, entities=["PERSON"], min_score=0.5)
    assert [text[f.start : f.end] for f in found] == ["gus van sant"]


def test_a_one_word_person_is_not_grown_over_the_word_found_again(nlp: Recording) -> None:
    text = "2025-08-18T16:30:55Z WARN payment declined order=CMD-829860 card=2224935540638783"
    before = [(e.text, e.label_) for e in nlp.nlp(text).ents]
    assert ("declined", "PER") in before  # the model's own (weak) reading
    (doc,), _ = _recase(nlp, [text])
    assert ("declined order", "PER") not in [(e.text, e.label_) for e in doc.ents]


def test_fit_takes_in_longer_persons_and_leaves_out_the_rest() -> None:
    def ent(start: int, end: int, label: str) -> SimpleNamespace:
        return SimpleNamespace(start=start, end=end, label_=label)

    assert _fit(6, 8, [ent(5, 7, "PER")], "PER") == (5, 8)  # "gus van" + "Van Sant"
    assert _fit(3, 5, [ent(2, 3, "PER")], "PER") == (3, 5)  # a one-word PER is not grown
    assert _fit(3, 5, [ent(3, 4, "PER")], "PER") == (4, 5)
    assert _fit(3, 6, [ent(3, 4, "MISC")], "PER") == (4, 6)  # "R&B" + "R&B Keyshia Cole"
    assert _fit(3, 6, [ent(5, 6, "LOC")], "PER") == (3, 5)
    assert _fit(3, 6, [ent(4, 5, "ORG")], "PER") == (3, 3)  # another entity inside: nothing added
    assert _fit(3, 6, [], "PER") == (3, 6)


def test_a_word_mistyped_is_not_a_name(nlp: Recording) -> None:
    text = "peux tu relir le mail avant envoi stp"
    docs = list(nlp.nlp.pipe([text]))
    add_recased_names(nlp, docs, window=4, is_word=is_french_word, is_name=is_name_word)
    assert ("relir", "PER") in [(e.text, e.label_) for e in docs[0].ents]  # found again capitalised...
    docs = list(nlp.nlp.pipe([text]))
    added = add_recased_names(
        nlp, docs, window=4, is_word=is_french_word, is_name=is_name_word, is_slip=is_word_or_typo
    )
    assert added == 0  # ... but "relir" is "relire" mistyped


def test_odd_text_never_breaks_the_reading_nor_moves_offsets(nlp: Recording) -> None:
    """Letters whose capital is two characters ("ß", "ŉ"), combining marks, scripts without case,
    emoji, code: every text is read, and every entity added is a span of the text as written."""
    import random

    rng = random.Random(7)
    words = [
        "straße", "ŉoel", "e\u0301tienne", "ǆemal", "ﬁnance", "ωmega", "日本", "😀",
        "kowalczuk", "le", "de", "x_y", "a-b", "l'", "\u200bzéro", "ıstanbul", "İzmir", "rokita",
        "--", "\n", "12", "qu'", "ǉubav", "tupac", "shakur",
    ]  # fmt: skip
    texts = [" ".join(rng.choice(words) for _ in range(rng.randint(1, 30))) for _ in range(200)]
    docs = list(nlp.nlp.pipe(texts))
    add_recased_names(
        nlp, docs, window=4, is_word=is_french_word, is_name=is_name_word, is_slip=is_word_or_typo
    )
    for text, doc in zip(texts, docs, strict=True):
        assert doc.text == text
        for ent in doc.ents:
            assert text[ent.start_char : ent.end_char] == ent.text

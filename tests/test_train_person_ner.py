"""models/train_person_ner.py: the data it builds (spans, case noise, what it never reads) and one tiny run.

The shipped model's quality is measured by bench/detection_eval.py; these tests make sure the training
data is what the model card says, so that a change to the script cannot silently train on the
evaluation's names or on misplaced spans.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from tests.scripts import REPO, load_script

tp = load_script("models/train_person_ner.py", "train_person_ner")


def test_europeana_sentences_are_readable_and_spans_fall_on_words() -> None:
    samples = tp.europeana()
    assert len(samples) > 5000
    persons = 0
    for text, spans in samples:
        for start, end, label in spans:
            assert label in {"PER", "LOC", "ORG"}
            piece = text[start:end]
            assert piece == piece.strip() and piece, (text, start, end)
            persons += label == "PER"
    assert persons > 2000
    assert all("»•»" not in text for text, _ in samples)


def test_business_prompts_put_a_person_span_on_every_name_and_only_there() -> None:
    rng = random.Random(3)
    names = tp.Names(rng)
    samples = tp.business(rng, names, 400)
    with_person = [s for s in samples if s[1]]
    assert 230 <= len(with_person) <= 300  # two in three templates name someone
    for text, spans in samples:
        for start, end, label in spans:
            assert label == "PER"
            assert text[start:end].strip() == text[start:end] != ""
            assert "{" not in text


def test_names_never_include_the_evaluation_names() -> None:
    names = tp.Names(random.Random(1))
    heldout = json.loads((REPO / "bench" / "corpus" / "heldout_names.json").read_text(encoding="utf-8"))
    evaluation = {tp.fold(r["name"]) for r in heldout["first"] + heldout["last"]}
    evaluation |= {
        tp.fold(n)
        for n in tp.faker_names(
            tp.EVAL_LOCALES, ("first_names", "first_names_male", "first_names_female", "last_names")
        )
    }
    used = names.first_fr + names.last_fr + names.first_foreign + names.last_foreign
    assert used and not {tp.fold(n) for n in used} & evaluation
    assert not set(tp.TRAIN_LOCALES) & set(tp.EVAL_LOCALES)


def test_case_noise_keeps_offsets_and_labels() -> None:
    text, spans = "Rappelle Élise Dupré au sujet de Lyon.", [(9, 20, "PER"), (33, 37, "LOC")]
    assert tp.recase(text, spans, str.lower, only_per=True) == "Rappelle élise dupré au sujet de Lyon."
    assert tp.recase(text, spans, str.upper, only_per=True) == "Rappelle ÉLISE DUPRÉ au sujet de Lyon."
    out = tp.with_case_noise(random.Random(0), [(text, spans)] * 50, rate=1.0)
    assert all(s == spans and len(t) == len(text) for t, s in out)
    assert sum(t == "Rappelle élise dupré au sujet de Lyon." for t, _ in out) == 50
    assert any(t == text.lower() for t, _ in out)


def test_teacher_spans_are_kept_unless_they_touch_ours_or_are_persons() -> None:
    ours = [("Dis à Paul Morel que Nexora a signé à Lyon.", [(6, 16, "PER")])]
    teacher = [("", [(6, 10, "ORG"), (21, 27, "PER"), (38, 42, "LOC")])]
    assert tp.merge_teacher(ours, teacher) == [(ours[0][0], [(6, 16, "PER"), (38, 42, "LOC")])]


@pytest.mark.model
def test_a_tiny_training_run_writes_the_component_and_its_card_and_is_deterministic(tmp_path: Path) -> None:
    args = ["--epochs", "1", "--europeana", "40", "--business", "60", "--rehearsal", "100"]
    out = tmp_path / "ner_model"
    assert tp.main([*args, "--out", str(out)]) == 0
    assert (out / "ner" / "model").is_file() and not (out / "ner" / "vocab").exists()
    meta = json.loads((out / "meta.json").read_text(encoding="utf-8"))
    assert meta["data"]["europeana_sentences"] == 40 and meta["seed"] == tp.SEED
    card = (out / "MODEL_CARD.md").read_text(encoding="utf-8")
    assert "CC0" in card and "LGPL-LR" in card and "recall after" in card
    again = tmp_path / "again"
    assert tp.main([*args, "--out", str(again)]) == 0
    assert (again / "ner" / "model").read_bytes() == (out / "ner" / "model").read_bytes()

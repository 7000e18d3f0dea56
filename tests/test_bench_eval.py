"""Smoke tests of bench/detection_eval.py: exact gold spans, vector extraction, a small evaluation run.

No accuracy thresholds here: the bench prints them next to its figures.
"""

from __future__ import annotations

import importlib.util
import io
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
BENCH = REPO / "bench" / "detection_eval.py"


def _load_bench():
    name = "detection_eval_bench"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def bench():
    return _load_bench()


def test_corpus_gold_spans_are_the_values_and_generation_is_deterministic(bench) -> None:
    docs = bench.generate_corpus(len(bench.KINDS) * 3, seed=7)
    assert {d.kind for d in docs} == set(bench.KINDS)
    seen_types = set()
    for doc in docs:
        assert doc.gold, doc.id
        previous_end = -1
        for g in sorted(doc.gold, key=lambda g: g.start):
            assert doc.text[g.start : g.end] == g.value, (doc.id, g)
            assert g.value == g.value.strip() and g.value, (doc.id, g)
            assert g.start >= previous_end, f"overlapping gold spans in {doc.id}"
            previous_end = g.end
            assert g.entity in bench.GOLD_TYPES
            seen_types.add(g.entity)
            if g.entity in bench.STDNUM_TYPES:
                assert bench.stdnum_valid(g.entity, g.value), (doc.id, g)
    assert seen_types == set(bench.GOLD_TYPES)
    assert bench.generate_corpus(len(bench.KINDS), seed=7) == docs[: len(bench.KINDS)]


def test_clean_prompts_and_evasion_cases_are_well_formed(bench) -> None:
    clean = bench.generate_clean(40, seed=7)
    assert len(clean) == len(set(clean)) == 40
    assert not any("{" in text for text in clean), "unfilled placeholder"
    cases = bench.generate_evasions(seed=7)
    assert len(cases) >= 40
    for case in cases:
        value = case.text[case.start : case.end]
        assert value and value != case.plain, case
    assert bench.generate_evasions(seed=7) == cases


def test_doctest_parser_labels_numbers_without_running_them(bench) -> None:
    text = """
>>> from stdnum.fr import siren
>>> siren.validate('404833048')
'404833048'
>>> siren.validate('404833047')
Traceback (most recent call last):
    ...
InvalidChecksum: ...
>>> numbers = '''
...
... 775 699 309
... 552008443
... '''
>>> [x for x in numbers.splitlines() if x and not siren.is_valid(x)]
[]
"""
    found = bench.parse_doctest(text, "t.doctest", None)
    assert [(f["module"], f["value"], f["valid"]) for f in found] == [
        ("fr.siren", "404833048", True),
        ("fr.siren", "404833047", False),
        ("fr.siren", "775 699 309", True),
        ("fr.siren", "552008443", True),
    ]
    assert found[1]["how"] == "InvalidChecksum"


def test_shipped_vectors_agree_with_stdnum(bench) -> None:
    vectors = bench.load_vectors()
    assert {v.entity for v in vectors} == set(bench.STDNUM_TYPES)
    for v in vectors:
        assert bench.stdnum_valid(v.entity, v.value) == v.valid, v


@pytest.mark.model
def test_small_evaluation_runs_and_returns_per_type_figures(bench, engine) -> None:
    sizes = bench.Sizes(docs=len(bench.KINDS) * 2, clean=12, vectors_per_entity=2)
    results = bench.evaluate(engine, sizes=sizes, seed=7)
    corpus = results["ours"]["corpus"]["per_type"]
    assert set(bench.GOLD_TYPES) <= set(corpus)
    for row in corpus.values():
        assert row["gold"] > 0
        assert 0.0 <= row["recall"] <= 1.0
        assert row["precision"] is None or 0.0 <= row["precision"] <= 1.0
    assert set(results["ours"]["vectors"]["per_entity"]) == set(bench.STDNUM_TYPES)
    assert results["ours"]["clean"]["prompts"] == 12
    assert results["ours"]["evasion"]["cases"] == len(bench.generate_evasions(seed=7))
    assert results["targets"] and all(t["status"] in ("met", "MISSED", "tie") for t in results["targets"])
    out = io.StringIO()  # the report prints without error
    bench.print_report(results, examples=2, out=out)
    assert "== Targets" in out.getvalue()


def _load_person_eval():
    return _load_bench()._person_eval()


def test_person_eval_reads_conll_spans_exactly(tmp_path: Path) -> None:
    pe = _load_person_eval()
    conll = tmp_path / "x.conllu"
    conll.write_text(
        "0\tElle\tO\n1\tépouse\tO\n2\tJean\tB-PER\n3\tde\tI-PER\n4\tLa\tI-PER\n5\tTour\tI-PER\n"
        "6\t(\tO\n7\tParis\tB-LOC\n8\t)\tO\n9\tet\tO\n10\tl'\tO\n11\tami\tO\n12\tCicéron\tB-PER\n13\t.\tO\n\n"
        "0\tRien\tO\n1\tici\tO\n2\t.\tO\n",
        encoding="utf-8",
    )
    first, second = pe.read_conll(conll)
    assert first.text == "Elle épouse Jean de La Tour (Paris) et l'ami Cicéron."
    assert [first.text[s:e] for s, e in first.spans] == ["Jean de La Tour", "Cicéron"]
    assert second.spans == ()
    lowered = pe.lower_names(first)
    assert lowered.text == "Elle épouse jean de la tour (Paris) et l'ami cicéron."
    assert lowered.spans == first.spans


def test_held_out_names_are_never_read_by_the_detector() -> None:
    """The held-out split of the INSEE lists is absent from models/prenoms.txt, prenoms_monde.txt and
    noms.txt; the foreign first names are none of theirs either, folded as the detector folds."""
    import json

    pe = _load_person_eval()
    known = pe.lexicon_keys()
    assert {"yoshihiko", "lukasz"} <= known and pe._fold("Łukasz") == "lukasz"
    data = json.loads(pe.HELDOUT_JSON.read_text(encoding="utf-8"))
    assert len(data["first"]) > 500 and len(data["last"]) > 1000
    held = {pe._fold(r["name"]) for r in data["first"]} | {pe._fold(r["name"]) for r in data["last"]}
    assert not held & known
    draw = pe.heldout_people(3)
    assert all(pe._fold(first) not in known for first, _ in (draw() for _ in range(50)))
    foreign = pe.heldout_people(3, foreign=True)
    assert all(pe._fold(first) not in known for first, _ in (foreign() for _ in range(50)))


def test_clean_place_prompts_are_distinct_and_name_places(bench) -> None:
    pe = _load_person_eval()
    prompts = pe.clean_place_prompts(
        60,
        5,
        companies=bench.CLEAN_COMPANIES,
        products=bench.PRODUCTS,
        jobs=bench.JOBS,
        depts=bench.DEPTS,
        months=bench.MONTHS_FR,
    )
    assert len(prompts) == len(set(prompts)) == 60
    assert sum(any(p in text for p in pe.SURNAME_PLACES) for text in prompts) >= 20


def test_dev_unseen_holds_no_sentence_of_the_tuning_samples(tmp_path: Path, monkeypatch) -> None:
    pe = _load_person_eval()
    lines = []
    for i in range(30):
        lines.append(f"0\tPhrase\tO\n1\t{i}\tO\n2\tde\tO\n3\tNom{i}\tB-PER\n4\t.\tO\n")
        lines.append(f"0\tRien\tO\n1\tnuméro\tO\n2\t{i}\tO\n3\t.\tO\n")
    (tmp_path / "fr-dev.conllu").write_text("\n".join(lines), encoding="utf-8")
    monkeypatch.setattr(pe, "WIKINEURAL_DIR", tmp_path)
    monkeypatch.setattr(pe, "TUNING_SAMPLE", 5)
    seen = set()
    for seed in pe.TUNING_SEEDS:
        with_person, without = pe.corpus_sample("dev", 5, seed)
        seen |= {s.text for s in with_person + without}
    with_person, without = pe.corpus_sample("dev-unseen", 100, 1)
    unseen = {s.text for s in with_person + without}
    assert len(with_person) >= 20 and len(without) >= 20  # 30 of each, less at most 10 drawn
    assert not unseen & seen
    assert len(unseen | seen) == 60  # every sentence is in one or the other


def test_person_eval_reads_the_novels_format(tmp_path: Path) -> None:
    """7-romans: ``token TAG`` lines, the apostrophe a token of its own, and a span naming nobody
    ("mon Dieu") dropped while the people around it stay."""
    pe = _load_person_eval()
    novel = tmp_path / "x.conll"
    novel.write_text(
        "Mon B-PER\nDieu I-PER\n, O\ndit O\nM. B-PER\nd I-PER\n' I-PER\nArtagnan I-PER\nà O\nl O\n' O\n"
        "abbé O\nBournisien B-PER\n. O\n\nRien O\nici O\n. O\n",
        encoding="utf-8",
    )
    first, second = pe.read_conll(novel, novels=True)
    assert first.text == "Mon Dieu, dit M. d'Artagnan à l'abbé Bournisien."
    assert [first.text[s:e] for s, e in first.spans] == ["M. d'Artagnan", "Bournisien"]
    assert second.text == "Rien ici." and second.spans == ()

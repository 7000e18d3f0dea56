"""``dlp-proxy scan`` core: the JSONL contract, the human table, policy-based selection, exit codes."""

from __future__ import annotations

import io
import json
import shutil
import time
from pathlib import Path

import pytest

from dlp_proxy.scan import policy_selection, run_scan

REPO = Path(__file__).resolve().parents[1]
RULES = REPO / "rules"


def _run(engine, stdin_text: str = "", files=None, **kwargs) -> tuple[int, str, str]:
    stdin, stdout, stderr = io.StringIO(stdin_text), io.StringIO(), io.StringIO()
    kwargs.setdefault("rules_dir", RULES)
    code = run_scan(files, stdin=stdin, stdout=stdout, stderr=stderr, engine=engine, **kwargs)
    return code, stdout.getvalue(), stderr.getvalue()


def _jsonl(*items: object) -> str:
    return "".join(json.dumps(item, ensure_ascii=False) + "\n" for item in items)


@pytest.mark.model
def test_jsonl_contract_ids_in_order_offsets_and_empty_findings(engine) -> None:
    text_a = "Écris à jean.dupont@exemple.fr et appelle le 06 12 34 56 78."
    text_b = "Traduis ce paragraphe en anglais."
    text_c = "Prépare le contrat de M. Lambert."
    stdin = _jsonl(
        {"id": 7, "text": text_a, "lang": "fr"},
        {"id": "b", "text": text_b},
        {"id": {"row": 3}, "text": text_c},
        {"text": ""},
    )
    code, out, err = _run(engine, stdin, mode="jsonl", batch_size=2)
    assert code == 0, err
    lines = out.splitlines()
    assert len(lines) == 4
    docs = [json.loads(line) for line in lines]
    assert [d["id"] for d in docs] == [7, "b", {"row": 3}, None]
    assert all(set(d) == {"id", "findings"} for d in docs)
    first = docs[0]["findings"]
    assert all(set(f) == {"entity_type", "start", "end", "score", "recognizer"} for f in first)
    assert {(f["entity_type"], text_a[f["start"] : f["end"]]) for f in first} == {
        ("EMAIL_ADDRESS", "jean.dupont@exemple.fr"),
        ("PHONE_NUMBER", "06 12 34 56 78"),
    }
    assert docs[1]["findings"] == [] and docs[3]["findings"] == []
    assert [text_c[f["start"] : f["end"]] for f in docs[2]["findings"]] == ["Lambert"]
    assert "jean.dupont" not in err  # logs never carry the values


@pytest.mark.model
def test_jsonl_bad_line_stops_with_exit_2_after_earlier_lines(engine) -> None:
    stdin = _jsonl({"id": 1, "text": "Bonjour"}) + "{not json\n" + _jsonl({"id": 3, "text": "x"})
    code, out, err = _run(engine, stdin, mode="jsonl")
    assert code == 2
    assert "<stdin>:2: invalid JSON" in err
    assert [json.loads(line)["id"] for line in out.splitlines()] == [1]


@pytest.mark.model
@pytest.mark.parametrize(
    ("line", "message"),
    [
        ({"id": 1}, 'missing "text"'),
        ({"id": 1, "text": 42}, '"text" must be a string'),
        ([1, 2], "expected a JSON object"),
    ],
)
def test_jsonl_invalid_items_exit_2(engine, line: object, message: str) -> None:
    code, out, err = _run(engine, _jsonl(line), mode="jsonl")
    assert code == 2 and out == ""
    assert f"<stdin>:1: {message}" in err


@pytest.mark.model
def test_jsonl_reads_files_and_skips_blank_lines(engine, tmp_path: Path) -> None:
    data = tmp_path / "data.jsonl"
    data.write_text(_jsonl({"id": "x", "text": "Appelle le 06 12 34 56 78"}) + "\n", encoding="utf-8")
    code, out, _ = _run(engine, files=[data], mode="jsonl")
    assert code == 0
    [doc] = [json.loads(line) for line in out.splitlines()]
    assert doc["id"] == "x" and [f["entity_type"] for f in doc["findings"]] == ["PHONE_NUMBER"]


@pytest.mark.model
def test_default_reports_only_what_the_policy_acts_on(engine) -> None:
    text = "Rendez-vous à Lyon avec M. Lambert."
    selection = policy_selection(RULES)
    assert (
        selection.thresholds and "URL" not in selection.thresholds and "LOCATION" not in selection.thresholds
    )
    code, out, _ = _run(engine, _jsonl({"id": 1, "text": text}), mode="jsonl")
    assert code == 0
    assert {f["entity_type"] for f in json.loads(out)["findings"]} == {"PERSON"}
    code, out, _ = _run(engine, _jsonl({"id": 1, "text": text}), mode="jsonl", all_types=True)
    found = {f["entity_type"] for f in json.loads(out)["findings"]}
    assert found == {"PERSON", "LOCATION"}


@pytest.mark.model
def test_table_shows_masked_values_and_positions(engine) -> None:
    text = "Bonjour,\nécris à jean.dupont@exemple.fr ou au 06 12 34 56 78.\n"
    code, out, _ = _run(engine, text, mode="table")
    assert code == 0
    assert "jean.dupont@exemple.fr" not in out and "12 34 56" not in out
    assert "j***@e***.fr" in out and "06 ** ** ** 78" in out
    assert "2:9" in out and "EMAIL_ADDRESS" in out and "EmailRecognizer" in out
    assert out.rstrip().endswith("2 finding(s) in 1 input(s)")


@pytest.mark.model
def test_json_document_for_files(engine, tmp_path: Path) -> None:
    clean, dirty = tmp_path / "clean.txt", tmp_path / "dirty.txt"
    clean.write_text("Calcule la TVA sur 3 500 €", encoding="utf-8")
    dirty.write_text("IBAN : FR76 3000 6000 0112 3456 7890 189", encoding="utf-8")
    code, out, _ = _run(engine, files=[clean, dirty], mode="json")
    assert code == 0
    document = json.loads(out)
    assert [i["source"] for i in document["inputs"]] == [str(clean), str(dirty)]
    assert document["inputs"][0]["findings"] == []
    [iban] = document["inputs"][1]["findings"]
    assert iban["entity_type"] == "IBAN_CODE" and iban["line"] == 1 and iban["column"] == 8
    assert "3456" not in iban["masked"]


def test_broken_policy_exits_2_before_loading_anything(tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    shutil.copytree(RULES, rules)
    (rules / "policy.yaml").write_text("data_rules: [\n", encoding="utf-8")
    code, out, err = _run(None, "Bonjour", rules_dir=rules)
    assert code == 2 and out == ""
    assert "invalid policy" in err and "policy.yaml" in err


@pytest.mark.model
def test_unreadable_file_and_unknown_mode_exit_2(engine, tmp_path: Path) -> None:
    code, _, err = _run(engine, files=[tmp_path / "missing.txt"])
    assert code == 2 and "missing.txt: cannot read" in err
    latin1 = tmp_path / "latin1.txt"
    latin1.write_bytes(b"R\xe9dige")
    code, _, err = _run(engine, files=[latin1])
    assert code == 2 and "not valid UTF-8" in err
    code, _, err = _run(engine, "x", mode="xml")
    assert code == 2 and "unknown output mode" in err


@pytest.mark.model
def test_thousand_prompts_scan_well_under_a_minute(engine) -> None:
    prompts = [
        f"Demande n° {i} : rédige une réponse à M. Lambert au sujet de la facture {1000 + i}, "
        f"et rappelle-le au 06 12 34 56 {i % 90 + 10:02d} si besoin."
        for i in range(1000)
    ]
    stdin = _jsonl(*({"id": i, "text": p} for i, p in enumerate(prompts)))
    started = time.perf_counter()
    code, out, _ = _run(engine, stdin, mode="jsonl")
    elapsed = time.perf_counter() - started
    assert code == 0
    docs = [json.loads(line) for line in out.splitlines()]
    assert [d["id"] for d in docs] == list(range(1000))
    assert all(d["findings"] for d in docs)
    assert elapsed < 30, f"1000 prompts took {elapsed:.1f} s"


# -- --fail-on: a CI gate --------------------------------------------------------------------------


def test_parse_fail_on() -> None:
    from dlp_proxy.scan import parse_fail_on

    assert parse_fail_on("any") == {"any"} and parse_fail_on("ANY") == {"any"}
    assert parse_fail_on("fr_nir, IBAN_CODE,") == {"FR_NIR", "IBAN_CODE"}
    for bad in ("", " , ", "any,FR_NIR"):
        with pytest.raises(ValueError, match="--fail-on"):
            parse_fail_on(bad)


@pytest.mark.model
def test_fail_on_exits_1_when_a_named_type_is_found_after_writing_every_result(engine) -> None:
    text = "Écris à jean.dupont@exemple.fr, IBAN FR76 3000 6000 0112 3456 7890 189."
    items = _jsonl({"id": 1, "text": text}, {"id": 2, "text": "Rien à signaler."})
    code, out, err = _run(engine, items, mode="jsonl", fail_on=frozenset({"IBAN_CODE", "FR_NIR"}))
    assert code == 1
    assert [json.loads(line)["id"] for line in out.splitlines()] == [1, 2]  # the whole report first
    assert "failing (--fail-on): found IBAN_CODE" in err
    code, _, err = _run(engine, items, mode="jsonl", fail_on=frozenset({"FR_NIR"}))
    assert code == 0, err
    code, _, err = _run(engine, items, fail_on=frozenset({"any"}))  # table mode
    assert code == 1 and "found EMAIL_ADDRESS, IBAN_CODE" in err
    code, _, _ = _run(engine, "Rien à signaler.", fail_on=frozenset({"any"}))
    assert code == 0


@pytest.mark.model
def test_fail_on_a_type_that_would_never_be_reported_is_a_usage_error(engine) -> None:
    code, out, err = _run(engine, "Rendez-vous à Lyon.", fail_on=frozenset({"LOCATION"}))
    assert code == 2 and out == ""
    assert "--fail-on LOCATION: never reported (the policy does not act on it; add --all" in err
    code, _, err = _run(engine, "Rendez-vous à Lyon.", fail_on=frozenset({"LOCATION"}), all_types=True)
    assert code == 1, err
    code, _, err = _run(engine, "x", fail_on=frozenset({"FR_NIRR"}), all_types=True)
    assert code == 2 and "the detector knows no such type" in err

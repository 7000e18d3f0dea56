"""models/make_world_first_names.py: how it reads nam_dict.txt, what it leaves out, and that the
shipped list is its output (folded as the PERSON recogniser looks names up, disjoint from the INSEE
list and from the names the evaluation holds out).

The real wheels need the network (98 MB for the English tables), so the reading runs here on a
small wheel built with the same layout.
"""

from __future__ import annotations

import gzip
import json
import zipfile
from pathlib import Path

import pytest

from tests.scripts import REPO, load_script

mw = load_script("models/make_world_first_names.py", "make_world_first_names")


def _line(code: str, name: str, mark: str = " ", frequencies: str = "1") -> str:
    """A name line: gender code (columns 1-3), name (4-29), sort mark (30), frequencies by country."""
    return f"{code:<3}{name:<26}{mark}{frequencies:<56}$"


NAM_DICT_LINES = [
    "# a comment line",
    _line("M", "Garth", frequencies="1 1"),
    _line("F", "Käte", "-", "   3"),
    _line("F", "Kaete", "+", "   3"),  # the same name sorted by its expanded umlaut
    _line("?", "Jun+Wei", frequencies="    4"),
    "=  Bill                       William",
    _line("M", "Bill", frequencies="235"),
    _line("M", "Jo", frequencies="5"),
    "",
]


def test_name_lines_are_read_and_equivalences_and_expanded_copies_skipped() -> None:
    names = mw.dictionary_names(NAM_DICT_LINES)
    assert names == {"Garth", "Käte", "Jun-Wei", "JunWei", "Bill", "Jo"}


def test_what_is_left_out() -> None:
    english = {"bill", "will"}
    kept = mw.world_first_names(
        [
            "Garth",
            "Yoshihiko",
            "Bill",
            "Marie",
            "Paris",
            "Pierre",
            "Jo",
            "O'Neil",
            "Søren",
            "Bartłomiej",
            "Dupont",
        ],
        english,
    )
    # "Bill": English; "Marie": INSEE; "Paris": a place; "Pierre": a French word and INSEE; "Jo": too
    # short; "O'Neil": not letters; "Søren" is INSEE's "Soren" once folded; "Dupont": a family name.
    # "Bartłomiej" is kept folded, as the recogniser looks it up.
    assert kept == ["bartlomiej", "garth", "yoshihiko"]


def test_english_words_are_read_from_the_english_tables(tmp_path: Path) -> None:
    wheel = tmp_path / "lookups.whl"
    tables = {
        "en_lemma_lookup": {"Kings": "king"},
        "en_lemma_index": {"noun": ["grace"]},
        "en_lemma_exc": {"verb": {"wills": ["will"]}},
    }
    with zipfile.ZipFile(wheel, "w") as archive:
        for name, table in tables.items():
            archive.writestr(
                f"spacy_lookups_data/data/{name}.json.gz", gzip.compress(json.dumps(table).encode())
            )
    assert {"kings", "king", "grace", "wills", "will"} <= mw.english_words(wheel)


def test_a_wheel_with_another_checksum_is_refused(tmp_path: Path) -> None:
    wheel = tmp_path / "gender_guesser-0.4.0-py2.py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        archive.writestr(mw.NAM_DICT, "\n".join(NAM_DICT_LINES))
    with pytest.raises(SystemExit, match="sha256"):
        mw.fetch_wheel(wheel)


def test_shipped_list_is_folded_sorted_and_reads_no_insee_or_held_out_name() -> None:
    from dlp_proxy.detect.recognizers.person import WORLD_FIRST_NAMES, _read_wordlist, fold

    lines = (REPO / "models" / "prenoms_monde.txt").read_text(encoding="utf-8").splitlines()
    names = [line for line in lines if not line.startswith("#")]
    assert len(names) > 40_000 and names == sorted(set(names))
    assert all(fold(n) == n for n in names)
    assert set(names) == WORLD_FIRST_NAMES
    assert not WORLD_FIRST_NAMES & _read_wordlist(REPO / "models" / "prenoms.txt")
    held = json.loads((REPO / "bench" / "corpus" / "heldout_names.json").read_text(encoding="utf-8"))
    assert not WORLD_FIRST_NAMES & {fold(row["name"]) for key in ("first", "last") for row in held[key]}
    assert {"garth", "yoshihiko", "valdas"} <= WORLD_FIRST_NAMES
    assert not {"will", "grace", "king", "bill", "paris"} & WORLD_FIRST_NAMES

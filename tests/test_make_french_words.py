"""models/make_french_words.py: what it keeps from the lemmatizer tables, and that the shipped list is
its output (same folding as the PERSON recogniser's look-ups).

The real wheel is 98 MB and needs the network, so the extraction runs here on a small wheel built
with the same layout; the shipped file is checked against the recogniser's own folding.
"""

from __future__ import annotations

import gzip
import json
import lzma
import zipfile
from pathlib import Path

import pytest

from tests.scripts import REPO, load_script

mf = load_script("models/make_french_words.py", "make_french_words")


def _wheel(path: Path) -> Path:
    tables = {
        "fr_lemma_lookup": {"Relançons": "relancer", "factures": "facture", "l'": "le", "3e": "troisième"},
        "fr_lemma_index": {"noun": ["devis", "aujourd'hui", "c++"], "verb": ["relancer"]},
        "fr_lemma_exc": {"verb": {"allâmes": ["aller"]}},
    }
    with zipfile.ZipFile(path, "w") as archive:
        for name, table in tables.items():
            archive.writestr(
                f"spacy_lookups_data/data/{name}.json.gz", gzip.compress(json.dumps(table).encode())
            )
    return path


def test_words_are_every_form_and_lemma_folded(tmp_path: Path) -> None:
    words = mf.words(_wheel(tmp_path / "lookups.whl"))
    for word in ("relancons", "relancer", "factures", "facture", "devis", "aujourd'hui", "allames", "aller"):
        assert word in words, word
    assert "troisieme" in words and "3e" not in words  # forms made of letters only
    assert "c++" not in words and "l'" not in words
    assert "de" in words  # spaCy's stop words


def test_a_wheel_with_another_checksum_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SystemExit, match="sha256"):
        mf.fetch_wheel(_wheel(tmp_path / "lookups.whl"))


def test_shipped_list_is_folded_as_the_recogniser_looks_words_up() -> None:
    from dlp_proxy.detect.recognizers.person import fold

    lines = lzma.open(REPO / "models" / "french_words.txt.xz", "rt", encoding="utf-8").read().splitlines()
    words = [w for w in lines if not w.startswith("#")]
    assert len(words) > 300_000 and words == sorted(set(words))
    assert all(fold(w) == w for w in words[::97])

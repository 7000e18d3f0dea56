"""Write ``models/french_words.txt.xz``: the word forms of French, folded (no accents, lower case).

Why: the fine-tuned NER finds names typed in lower case ("l'affirme plutarque", "rencontre gandhi"),
but it also tags ordinary lower-case words now and then ("mail de bienvenue", "compte deploy"). The
PERSON recogniser keeps a lone lower-case word the model calls a person only when French does not
know it as a word; this list is what French knows.

Source: the French lemmatizer tables of ``spacy-lookups-data`` 1.0.5 (MIT, Explosion; the tables
spaCy's French models are built with): every inflected form and lemma of ``fr_lemma_lookup``, every
lemma of ``fr_lemma_index`` (nouns, verbs, adjectives, adverbs) and every form of ``fr_lemma_exc``,
plus spaCy's French stop words. The wheel is fetched once with ``pip download`` (sha256 pinned below)
and read as a zip, never imported or installed. Words that are not made of letters (with inner
hyphens or apostrophes) are left out. The index also holds some proper nouns in lower case
("aristote", "napoléon"): they stay, so those names still need a capital letter, a cue or a context to
be found; the list only ever makes a word *less* likely to be a name.

Deterministic::

    .venv/bin/python models/make_french_words.py            # ~1 min, downloads the wheel (98 MB)
    .venv/bin/python models/make_french_words.py --wheel spacy_lookups_data-1.0.5-py2.py3-none-any.whl
"""

from __future__ import annotations

import argparse
import gzip
import json
import lzma
import re
import sys
import zipfile
from pathlib import Path

# The recogniser's own folding (the list must hold the keys it looks up), and the pinned download of
# the other word-list script.
from dlp_proxy.detect.recognizers.base import fold

MODELS = Path(__file__).resolve().parent
if str(MODELS) not in sys.path:
    sys.path.insert(0, str(MODELS))
from make_wordlists import fetch_pinned  # noqa: E402

OUT = MODELS / "french_words.txt.xz"
SOURCE_PACKAGE = "spacy-lookups-data==1.0.5"
SOURCE_SHA256 = "466f21f087e4144bc93800679437ec5a17be7d0888734b1ba880b3ecb0978bc6"
TABLES = ("fr_lemma_lookup", "fr_lemma_index", "fr_lemma_exc")
WORD = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*")


def fetch_wheel(wheel: Path | None) -> Path:
    """The pinned wheel (see ``make_wordlists.fetch_pinned``)."""
    return fetch_pinned(SOURCE_PACKAGE, SOURCE_SHA256, "spacy_lookups_data-*.whl", wheel, sdist=False)


def strings(node: object) -> list[str]:
    """Every string in a lookups table: dict keys and values, list items, at any depth."""
    if isinstance(node, str):
        return [node]
    if isinstance(node, dict):
        return [s for k, v in node.items() for s in (*strings(k), *strings(v))]
    if isinstance(node, list):
        return [s for item in node for s in strings(item)]
    return []


def words(wheel: Path) -> set[str]:
    """Folded French words of the wheel's tables and spaCy's French stop words."""
    from spacy.lang.fr.stop_words import STOP_WORDS

    found: set[str] = set(STOP_WORDS)
    with zipfile.ZipFile(wheel) as archive:
        for table in TABLES:
            with archive.open(f"spacy_lookups_data/data/{table}.json.gz") as raw:
                found.update(strings(json.loads(gzip.decompress(raw.read()))))
    return {fold(w) for w in found if WORD.fullmatch(w)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--wheel", type=Path, help="the spacy-lookups-data wheel, if already downloaded")
    args = parser.parse_args(argv)
    found = words(fetch_wheel(args.wheel))
    header = (
        "# Mots français, sans accents et en minuscules (voir models/make_french_words.py).\n"
        f"# Source : {SOURCE_PACKAGE} (MIT, Explosion), tables {', '.join(TABLES)} ; mots vides de spaCy.\n"
        "# Généré : ne pas modifier à la main.\n"
    )
    body = "".join(f"{w}\n" for w in sorted(found))
    # preset 9 | extreme, no timestamp in the xz container: the same bytes on every run
    OUT.write_bytes(lzma.compress((header + body).encode("utf-8"), preset=9 | lzma.PRESET_EXTREME))
    print(f"{OUT.relative_to(MODELS.parent)}: {len(found)} words")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

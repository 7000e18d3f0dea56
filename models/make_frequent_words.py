"""Write ``models/frequent_words.txt``: the French word forms the detection engine keeps in its vocabulary.

Why: each scan runs inside spaCy's memory zone (``DetectionEngine.analyze_batch``), so the words a text
adds to the model's vocabulary are dropped afterwards and a long-running worker does not grow with
every new word it reads. Words known before the first scan stay: priming the vocabulary with the most
frequent forms spares each scan the cost of re-creating them (~10 ms per 5 KB without it). The PERSON
recogniser also reads its lower-case forms as common words: after a role noun ("le pilote automatique")
such a word is not a name.

The forms are counted in the modern French sentences committed in ``models/data/`` (see its
SOURCES.md: UD French-Sequoia/FQB LGPL-LR, GSD CC BY-SA 4.0, PUD CC BY-SA 3.0; the OCR'd Europeana
text is left out), tokenised by spaCy's French tokenizer, plus spaCy's French stop words. A list of
word forms and nothing else. Deterministic::

    .venv/bin/python models/make_frequent_words.py
"""

from __future__ import annotations

import lzma
import sys
from collections import Counter
from pathlib import Path

MODELS = Path(__file__).resolve().parent
OUT = MODELS / "frequent_words.txt"
TOP = 15_000
TEXTS = ("sequoia-train.txt.xz", "gsd-dev-test.txt.xz", "pud.txt.xz", "fqb.txt.xz")


def main() -> int:
    import spacy

    nlp = spacy.blank("fr")
    counts: Counter[str] = Counter()
    for name in TEXTS:
        lines = [line.strip() for line in lzma.open(MODELS / "data" / name, "rt", encoding="utf-8")]
        for doc in nlp.tokenizer.pipe(line for line in lines if line):
            counts.update(t.text for t in doc)
    words = {w for w in nlp.Defaults.stop_words} | {w.capitalize() for w in nlp.Defaults.stop_words}
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    for word, _ in ranked:
        if len(words) >= TOP:
            break
        if not word.isspace():
            words.add(word)
    header = (
        "# Formes de mots fréquentes, gardées dans le vocabulaire du modèle\n"
        "# (voir models/make_frequent_words.py).\n"
        "# Généré : ne pas modifier à la main. Sources : models/data/SOURCES.md.\n"
    )
    OUT.write_text(header + "\n".join(sorted(words)) + "\n", encoding="utf-8")
    print(f"wrote {len(words)} forms to {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

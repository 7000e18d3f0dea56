"""Names in office layouts: how many name words of rare names would reach the provider.

Section 5 of ``detection_eval.py`` fills the project's own prompt templates with held-out names. This
bench fills other layouts, written one set at a time while hunting for leaks (``bench/corpus/
office_layouts/``): the person in charge of a project, whose farewell party, the subject after a colon,
a transcript's speaker, a JSON record, a bulleted list... Each template is filled with names drawn from
``bench/corpus/heldout_names.json`` (INSEE names the lexicons never held; first *and* family name
unknown, the hardest case), as written, in lower case, and with the family name in capitals.

A name word counts as found when a PERSON finding the policy acts on (score ≥ 0.5) overlaps it; the
first name and the family name are counted apart, because a finding on "Sortais" alone still lets
"Leeyah" through.

The sets: ``tuning-a``, ``tuning-b`` and ``tuning-c`` were read, misses and all, while rules were
written (5 December): their figures measure rules on layouts they were tuned on. ``check`` was written
before the last rules and read only to be scored: it is the one that says something about layouts
nobody tuned on (still written here, so still the project's own phrasing). ``check-2`` was written the
same way at the start of the sixth session, scored before any change and only scored since.

    .venv/bin/python bench/office_layouts.py                      # every set, seeds 1 and 2 (~1 min)
    .venv/bin/python bench/office_layouts.py --sets check --examples 5
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
LAYOUTS = REPO / "bench" / "corpus" / "office_layouts"
SETS = ("tuning-a", "tuning-b", "tuning-c", "check", "check-2")
VARIANTS = ("as written", "lower case", "family name in capitals")
SLOTS = ("F", "L", "F2", "L2")


def templates(name: str) -> list[str]:
    """One template a line; ``\\n`` stands for a line break, ``{{``/``}}`` for a brace."""
    lines = (LAYOUTS / f"{name}.txt").read_text(encoding="utf-8").splitlines()
    return [line.replace("\\n", "\n") for line in lines if line.strip()]


def fill(template: str, names: dict[str, str]) -> tuple[str, list[tuple[int, int, str]]]:
    """The text and where each name word of the template sits in it."""
    text = template.format(**names, f=names["F"].lower(), l=names["L"].lower())
    gold = []
    for slot in SLOTS:
        if "{" + slot + "}" in template and (at := text.find(names[slot])) >= 0:
            gold.append((at, at + len(names[slot]), names[slot]))
    return text, gold


def draw(rng: random.Random, firsts: list[str], lasts: list[str], variant: str) -> dict[str, str]:
    names = {
        "F": rng.choice(firsts),
        "L": rng.choice(lasts),
        "F2": rng.choice(firsts),
        "L2": rng.choice(lasts),
    }
    if variant == "lower case":
        return {k: v.lower() for k, v in names.items()}
    if variant == "family name in capitals":
        return {k: v.upper() if k.startswith("L") else v for k, v in names.items()}
    return names


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sets", nargs="+", choices=SETS, default=list(SETS))
    parser.add_argument("--seeds", nargs="+", type=int, default=[1, 2])
    parser.add_argument("--fills", type=int, default=6, help="fills of each template per seed and variant")
    parser.add_argument("--examples", type=int, default=0, help="missed layouts printed per set and variant")
    args = parser.parse_args(argv)

    sys.path.insert(0, str(REPO))
    from dlp_proxy.detect.engine import DetectionEngine

    heldout = json.loads((REPO / "bench" / "corpus" / "heldout_names.json").read_text(encoding="utf-8"))
    firsts = [n["name"] for n in heldout["first"]]
    lasts = [n["name"] for n in heldout["last"]]
    engine = DetectionEngine(REPO / "rules")
    print(f"held-out names: {len(firsts)} first, {len(lasts)} family; seeds {args.seeds}, {args.fills} fills")
    for name in args.sets:
        layouts = templates(name)
        cells = []
        for variant in VARIANTS:
            texts, golds, sources = [], [], []
            for seed in args.seeds:
                rng = random.Random(f"{seed}:{variant}")
                for template in layouts:
                    for _ in range(args.fills):
                        text, gold = fill(template, draw(rng, firsts, lasts, variant))
                        texts.append(text)
                        golds.append(gold)
                        sources.append(template)
            words = missed = 0
            misses: dict[str, str] = {}
            for text, gold, source, found in zip(
                texts, golds, sources, engine.analyze_batch(texts), strict=True
            ):
                persons = [f for f in found if f.entity_type == "PERSON" and f.score >= 0.5]
                for start, end, word in gold:
                    words += 1
                    if not any(f.start < end and start < f.end for f in persons):
                        missed += 1
                        misses.setdefault(source, f"{text!r} (missed {word!r})")
            cells.append(f"{variant}: {1 - missed / words:.3f} ({missed} of {words} missed)")
            for example in list(misses.values())[: args.examples]:
                print(f"   {name} / {variant}: {example}")
        print(f"{name} ({len(layouts)} layouts): " + "; ".join(cells))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

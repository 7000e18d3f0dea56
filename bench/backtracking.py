"""Backtracking sweep: does any recogniser's time grow faster than the text on repetitive input?

A prompt is attacker-controlled input to every regular expression of the detector: a pattern that
backtracks (a run of blanks split many ways, say) lets one prompt hold a detection worker for seconds or
minutes. This times every recogniser of the shipped engine, the normaliser and the blob finder on texts
made of one repeated piece (a blank, ``1 ``, ``Nom : ``, ``rue ``, ``a@`` …) after a cue prefix, at two
lengths, and lists the cases whose time grew more than ``--ratio`` times when the text grew 4 times
(linear: ~4) and took over ``--min-ms`` at the longer length.

    .venv/bin/python bench/backtracking.py                  # ~1 minute, loads the spaCy model once

Exit code 0 when the sweep ran, whatever it found (1 if it failed). See docs/security.md, "Prompts
that make the detector backtrack".
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

PIECES = (
    " ", "\t", "\n", ".", "-", "1", "a", "A", "@", "a ", "1 ", ". ", ", ", ": ", "A ", "Nom : ", "rue ",
    "06 ", "é", "_", "/", "=", "'", '"', "a@", "1.", "a.", "M. ", "Jean ", "jean ", "de ", "FR76 ", "+33 ",
    "x-", "\u00a0", "0 ", "00", "a-", "A-", "Ab ", "ab-cd ", "(", "[", "%", "%41", "&#", "\\u00", "AB12",
    "ab1", "zz ", "\n- Ab Cd – 06 ", "- Ab ", "Ab (DDN ", "Ab Cd\n1 rue ", "Claude Pro ", "@ab : ", "@a.",
    "void ", "M.Ab", '"nom": "ab ', "prenom: ab ", "= ab", ":ab ", "('ab', ", "''", "<nom>ab ", "<a ",
    "Madame ab ", "Excusée : ab cd, ", "ab cd, né le ", "ab cd (DDN ", ".\nab ", "A+ ab ", "Ab, ab, ",
    " et Ab-C, T.I., ", "ab.cd@x.fr ab cd ", "Appelle ab ", "appelle ab cd au ", "ab cd, IBAN ",
    "ab le cd (DDN ", ", (", "Ab Cd RIB ", "attribué à Ab ", "remis à ab cd, ", "numéro de Ab ",
    "pot de départ de ab cd ", "M. Ab (Cd) ", "M. Ab ( ", ": Ab est ", "chef de projet Ab Cd ",
    "Hello ab, ", "[10:42] Ab Cd : ", "[1", "10:42 - ", "parents de Ab ", "Ab m'a ",
    "demande à ab ", "à Ab ", "je m'appelle ab cd ", "Mon nom est Ab ", "Pierre-Ab ", "Tymothé Ab ", "Ab c/ ",
    "Ab;Marie;06 12 34 56 78;", "De : Ab Cd\nÀ : ", "; Cc : Ab ", "M. de Ab ", "Mme d'Ab ", ", dit Ab ",
    "», a dit Ab ", ". Ab ne ", ". Abc fermait ", "Puis Ab-Cd ",
)  # fmt: skip
PREFIXES = (
    "",
    "Bonjour Jean Dupont, Tél. ",
    "Nom : ",
    "12 rue ",
    "IBAN ",
    "mail ",
    '{"prenom": "',
    "INSERT INTO t (nom, prenom) VALUES ",
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--short", type=int, default=800, help="length of the short texts (chars)")
    parser.add_argument("--ratio", type=float, default=6.0, help="report growth above this (linear: 4)")
    parser.add_argument("--min-ms", type=float, default=20.0, help="ignore cases faster than this")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(REPO))
    from dlp_proxy.detect.engine import DetectionEngine
    from dlp_proxy.detect.normalize import find_blobs, normalize

    engine = DetectionEngine(REPO / "rules")
    recognizers = engine._analyzer.registry.recognizers
    artifacts = engine._nlp_engine.empty_artifacts()
    found: list[tuple[float, float, str, str, str]] = []
    for piece in PIECES:
        for prefix in PREFIXES:
            times: dict[str, list[float]] = {}
            for n in (args.short, 4 * args.short):
                text = prefix + piece * (n // len(piece))
                for rec in recognizers:
                    started = time.perf_counter()
                    rec.analyze(text, rec.supported_entities, artifacts)
                    times.setdefault(rec.name, []).append(time.perf_counter() - started)
                started = time.perf_counter()
                normalize(text)
                find_blobs(text, max_depth=2)
                times.setdefault("normalize+find_blobs", []).append(time.perf_counter() - started)
            for name, (short, long) in times.items():
                if long * 1000 > args.min_ms and long / max(short, 1e-6) > args.ratio:
                    found.append((long, long / short, name, prefix, piece))
    print(f"{len(PIECES)} pieces × {len(PREFIXES)} prefixes, {args.short} and {4 * args.short} chars")
    for long, ratio, name, prefix, piece in sorted(found, reverse=True):
        print(f"{long * 1000:9.1f} ms  ×{ratio:5.1f}  {name}  prefix={prefix!r} piece={piece!r}")
    print(f"{len(found)} case(s) grew faster than ×{args.ratio:g} above {args.min_ms:g} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())

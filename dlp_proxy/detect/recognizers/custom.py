"""Custom recognizers declared by AI referents in ``rules/recognizers.yaml``, without writing code.

Each entry names an entity, one or more regexes with a score, optional French context words and an
optional checksum (``luhn``, ``iban``, ``siren``, ``siret``, ``nir`` or ``none``)::

    recognizers:
      - id: numero-client
        entity: NUMERO_CLIENT
        description: Numéro de client du CRM (CLI-AAAA-NNNNNN)
        patterns:
          - {name: format_crm, regex: '\\bCLI-\\d{4}-\\d{6}\\b', score: 0.6}
        context: [client, dossier]
        validator: none

Every problem is reported with its file and line, all at once, so a referent fixes the file in one go.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import regex
from stdnum import iban, luhn
from stdnum.fr import nir, siren, siret

from ...errors import ConfigError, ConfigProblem
from ...yamlload import LineDict, LineList, load_yaml
from .base import FrenchPatternRecognizer, Rule, compact


def _digits(value: str) -> str:
    return "".join(c for c in value if c.isdigit())


# Named functions rather than lambdas: recognizers must pickle to reach worker processes.
def luhn_valid(value: str) -> bool:
    """Luhn checksum over the digits of the match."""
    digits = _digits(value)
    return len(digits) > 1 and luhn.is_valid(digits)


def iban_valid(value: str) -> bool:
    """IBAN country layout and mod-97 key."""
    return iban.is_valid(compact(value))


def siren_valid(value: str) -> bool:
    """SIREN (Luhn on 9 digits)."""
    return siren.is_valid(compact(value))


def siret_valid(value: str) -> bool:
    """SIRET (Luhn, or La Poste's rule)."""
    return siret.is_valid(compact(value))


def nir_valid(value: str) -> bool:
    """NIR key (97 − n mod 97, Corsica handled)."""
    return nir.is_valid(compact(value))


#: Checksums a referent may attach to a pattern, by name. They see the matched text (or its value group).
VALIDATORS: dict[str, Callable[[str], bool | None] | None] = {
    "none": None,
    "luhn": luhn_valid,
    "iban": iban_valid,
    "siren": siren_valid,
    "siret": siret_valid,
    "nir": nir_valid,
}

_ENTRY_KEYS = frozenset({"id", "entity", "description", "patterns", "context", "validator"})
_PATTERN_KEYS = frozenset({"name", "regex", "score"})
_ENTITY_RE = regex.compile(r"[A-Z][A-Z0-9_]*")
_ID_RE = regex.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]*")


class CustomRecognizer(FrenchPatternRecognizer):
    """A recognizer built from one ``recognizers.yaml`` entry; named ``custom:<id>`` in findings."""

    VALIDATED_SCORE = None

    def __init__(
        self,
        recognizer_id: str,
        entity: str,
        rules: Iterable[Rule],
        context: Iterable[str],
    ) -> None:
        self.recognizer_id = recognizer_id
        super().__init__(rules=rules, context=context, entity=entity, name=f"custom:{recognizer_id}")


class _Checker:
    """Collects problems for one file so that all of them are reported together."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.problems: list[ConfigProblem] = []

    def problem(self, line: int, message: str) -> None:
        self.problems.append(ConfigProblem(self.file, line, message))


def _parse_patterns(
    check: _Checker, entry: LineDict, where: str, validator: Callable[[str], bool | None] | None
) -> list[Rule]:
    patterns = entry.get("patterns")
    if not isinstance(patterns, list) or not patterns:
        check.problem(entry.line_of("patterns"), f"{where}: 'patterns' must be a non-empty list")
        return []
    rules: list[Rule] = []
    for index, item in enumerate(patterns):
        line = patterns.line_of(index) if isinstance(patterns, LineList) else entry.line_of("patterns")
        if not isinstance(item, LineDict):
            check.problem(line, f"{where}: pattern {index + 1} must be a mapping with name, regex, score")
            continue
        pwhere = f"{where}, pattern {index + 1}"
        for key in sorted(set(item) - _PATTERN_KEYS):
            check.problem(item.line_of(key), f"{pwhere}: unknown key {key!r} (expected name, regex, score)")
        name = item.get("name", f"pattern_{index + 1}")
        if not isinstance(name, str) or not name.strip():
            check.problem(item.line_of("name"), f"{pwhere}: 'name' must be a non-empty string")
            name = f"pattern_{index + 1}"
        expression = item.get("regex")
        compiled_ok = False
        if not isinstance(expression, str) or not expression:
            check.problem(item.line_of("regex"), f"{pwhere}: 'regex' must be a non-empty string")
        else:
            try:
                compiled = regex.compile(expression, FrenchPatternRecognizer.FLAGS)
            except regex.error as exc:
                check.problem(item.line_of("regex"), f"{pwhere}: invalid regex {expression!r}: {exc}")
            else:
                if compiled.match("") is not None:
                    check.problem(item.line_of("regex"), f"{pwhere}: regex {expression!r} matches empty text")
                else:
                    compiled_ok = True
        score = item.get("score")
        score_ok = isinstance(score, int | float) and not isinstance(score, bool) and 0 < score <= 1
        if not score_ok:
            check.problem(
                item.line_of("score"), f"{pwhere}: 'score' must be a number in ]0, 1], got {score!r}"
            )
        if compiled_ok and score_ok:
            rules.append(Rule(name.strip(), expression, float(score), validator=validator))
    return rules


def _parse_entry(
    check: _Checker, entry: Any, line: int, index: int, seen_ids: dict[str, int]
) -> CustomRecognizer | None:
    if not isinstance(entry, LineDict):
        check.problem(line, f"recognizer {index + 1} must be a mapping (id, entity, patterns…)")
        return None
    where = f"recognizer {entry.get('id', index + 1)!s}"
    for key in sorted(set(entry) - _ENTRY_KEYS):
        check.problem(
            entry.line_of(key), f"{where}: unknown key {key!r} (expected {', '.join(sorted(_ENTRY_KEYS))})"
        )

    recognizer_id = entry.get("id")
    if not isinstance(recognizer_id, str) or not _ID_RE.fullmatch(recognizer_id):
        check.problem(
            entry.line_of("id"),
            f"{where}: 'id' must be letters, digits, '-', '_' or '.', got {recognizer_id!r}",
        )
        recognizer_id = None
    elif recognizer_id in seen_ids:
        check.problem(
            entry.line_of("id"), f"{where}: duplicate id (first used line {seen_ids[recognizer_id]})"
        )
    else:
        seen_ids[recognizer_id] = entry.line_of("id")

    entity = entry.get("entity")
    if not isinstance(entity, str) or not _ENTITY_RE.fullmatch(entity):
        check.problem(
            entry.line_of("entity"),
            f"{where}: 'entity' must be UPPER_CASE letters, digits and '_', got {entity!r}",
        )
        entity = None

    description = entry.get("description", "")
    if not isinstance(description, str):
        check.problem(entry.line_of("description"), f"{where}: 'description' must be text")

    context = entry.get("context", [])
    if context is None:
        context = []
    if not isinstance(context, list) or not all(isinstance(w, str) and w.strip() for w in context):
        check.problem(entry.line_of("context"), f"{where}: 'context' must be a list of words")
        context = []

    validator_name = entry.get("validator", "none")
    if validator_name is None:
        validator_name = "none"
    if not isinstance(validator_name, str) or validator_name not in VALIDATORS:
        check.problem(
            entry.line_of("validator"),
            f"{where}: unknown validator {validator_name!r} (expected one of {', '.join(VALIDATORS)})",
        )
        validator_name = "none"

    rules = _parse_patterns(check, entry, where, VALIDATORS[validator_name])
    if recognizer_id is None or entity is None or not rules:
        return None
    return CustomRecognizer(recognizer_id, entity, rules, context)


def load_custom_recognizers(path: Path) -> list[CustomRecognizer]:
    """Recognizers declared in ``path``; a missing file means none. Raises ConfigError on any problem."""
    if not path.exists():
        return []
    data = load_yaml(path)
    check = _Checker(str(path))
    if data is None:
        return []
    if not isinstance(data, LineDict):
        raise ConfigError([ConfigProblem(str(path), 1, "expected a mapping with a 'recognizers' list")])
    for key in sorted(set(data) - {"recognizers"}):
        check.problem(data.line_of(key), f"unknown key {key!r} (expected 'recognizers')")
    entries = data.get("recognizers")
    if entries is None:
        entries = []
    if not isinstance(entries, list):
        check.problem(data.line_of("recognizers"), "'recognizers' must be a list")
        entries = []
    recognizers: list[CustomRecognizer] = []
    seen_ids: dict[str, int] = {}
    for index, entry in enumerate(entries):
        line = entries.line_of(index) if isinstance(entries, LineList) else data.line_of("recognizers")
        recognizer = _parse_entry(check, entry, line, index, seen_ids)
        if recognizer is not None:
            recognizers.append(recognizer)
    if check.problems:
        raise ConfigError(check.problems)
    return recognizers

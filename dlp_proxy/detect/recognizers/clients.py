"""CLIENT_NAME: the company's own client list (exported from the CRM), found in prompts.

"No client data may be typed into a tool the company does not host": client names are the most direct
sign of it, and no NER model knows them. The list can hold 100 000 names, so matching uses one
Aho–Corasick automaton (``pyahocorasick``) over an accent-folded, lower-cased copy of the text, whose
characters map back to offsets in the original; "Société Générale", "SOCIETE GENERALE" and
"societe generale" are the same client. The automaton is built once per process per list file.

Matches must sit on word boundaries ("Axa" is not found in "taxation"). A one-word client name written
all in lower case ("orange", "total") is more often a common word than the client, so it scores low.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import ahocorasick
from presidio_analyzer import AnalysisExplanation, EntityRecognizer, RecognizerResult

from ...errors import ConfigError, ConfigProblem

if TYPE_CHECKING:
    from presidio_analyzer.nlp_engine import NlpArtifacts

_APOSTROPHES = {"\u2019": "'", "\u2018": "'", "\u02bc": "'", "`": "'", "\u00b4": "'"}
#: Folded to a space so "Saint-Gobain", "Saint Gobain" and "Saint–Gobain" match each other.
_SPACE_LIKE = frozenset("-\u2010\u2011\u2012\u2013\u2014_")


def _fold_char(char: str) -> str:
    """Fold one character: accents stripped, case folded, œ/æ spelt out, one apostrophe, dashes to " "."""
    char = _APOSTROPHES.get(char, char)
    if char.isspace() or char in _SPACE_LIKE:
        return " "
    decomposed = unicodedata.normalize("NFKD", char)
    folded = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    return folded.replace("œ", "oe").replace("æ", "ae")


_FOLD_CACHE: dict[str, str] = {}


def fold_with_offsets(text: str) -> tuple[str, list[int]]:
    """Folded copy of ``text`` and, for each folded character, the index of its original character.

    Runs of spaces collapse to one, so a name split by two spaces or a line break is still found.
    Folding is cached per character: prompts reuse a small alphabet and this loop runs on every text.
    """
    out: list[str] = []
    offsets: list[int] = []
    cache = _FOLD_CACHE
    previous_space = False
    for index, char in enumerate(text):
        folded = cache.get(char)
        if folded is None:
            folded = cache.setdefault(char, _fold_char(char))
        if folded == " ":
            if previous_space:
                continue
            previous_space = True
            out.append(" ")
            offsets.append(index)
        elif folded:
            previous_space = False
            out.append(folded)
            if len(folded) == 1:
                offsets.append(index)
            else:
                offsets.extend([index] * len(folded))
    return "".join(out), offsets


_FOLD_TABLE: dict[int, str] = {}
_SPACE_RUN = re.compile(" {2,}")


def fold_fast(text: str) -> str:
    """The folded text of :func:`fold_with_offsets` without the offsets, at C speed (``str.translate``).

    Used to decide whether a text holds a client name at all: most do not, and building the offsets
    character by character cost ~5 ms per 5 KB text."""
    table = _FOLD_TABLE
    for char in set(text):
        if ord(char) not in table:
            table[ord(char)] = _FOLD_CACHE.setdefault(char, _fold_char(char))
    return _SPACE_RUN.sub(" ", text.translate(table))


def fold_name(name: str) -> str:
    """The key under which a client name is stored in the automaton."""
    return fold_with_offsets(name.strip())[0].strip()


@dataclass(frozen=True)
class ClientName:
    """One entry of the list: the name as written in the CRM and the line it came from."""

    name: str
    line: int


def load_client_list(path: Path) -> list[ClientName]:
    """Read ``clients.txt``: one name per line, blank lines and ``#`` comment lines ignored.

    A name with fewer than two letters or digits would match almost anywhere: that is a ConfigError
    naming the line, not a silent flood of findings.
    """
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except FileNotFoundError:
        raise ConfigError([ConfigProblem(str(path), 0, "file not found")]) from None
    except UnicodeDecodeError as exc:
        raise ConfigError([ConfigProblem(str(path), 0, f"not valid UTF-8 ({exc.reason})")]) from None
    names: list[ClientName] = []
    problems: list[ConfigProblem] = []
    for number, raw in enumerate(lines, start=1):
        name = raw.strip()
        if not name or name.startswith("#"):
            continue
        if sum(1 for c in fold_name(name) if c.isalnum()) < 2:
            problems.append(
                ConfigProblem(str(path), number, f"client name {name!r} is too short to match safely")
            )
            continue
        names.append(ClientName(name, number))
    if problems:
        raise ConfigError(problems)
    return names


def build_automaton(names: list[ClientName]) -> ahocorasick.Automaton:
    """One automaton over the folded names; the value stored is (folded length, name as written)."""
    automaton = ahocorasick.Automaton()
    for entry in names:
        key = fold_name(entry.name)
        if key and key not in automaton:
            automaton.add_word(key, (len(key), entry.name))
    automaton.make_automaton()
    return automaton


_CACHE: dict[tuple[str, int, int], ahocorasick.Automaton] = {}
_CACHE_LOCK = threading.Lock()


def automaton_for(path: Path) -> ahocorasick.Automaton:
    """The automaton for a list file, built once per process (rebuilt only if the file changed)."""
    stat = path.stat()
    key = (str(path.resolve()), stat.st_mtime_ns, stat.st_size)
    with _CACHE_LOCK:
        automaton = _CACHE.get(key)
        if automaton is None:
            automaton = build_automaton(load_client_list(path))
            _CACHE.clear()  # one list per process; do not keep stale versions alive
            _CACHE[key] = automaton
        return automaton


class ClientNameRecognizer(EntityRecognizer):
    """Names from the company's client list, accent-, case- and dash-insensitive, on word boundaries."""

    ENTITY = "CLIENT_NAME"
    SCORE = 0.85
    LOWERCASE_WORD_SCORE = 0.4

    def __init__(self, automaton: ahocorasick.Automaton, source: str = "clients.txt") -> None:
        self.automaton = automaton
        self.source = source
        super().__init__(
            supported_entities=[self.ENTITY], supported_language="fr", name="ClientNameRecognizer"
        )

    @classmethod
    def from_file(cls, path: Path) -> ClientNameRecognizer:
        """Recognizer for ``path`` (the automaton is shared with any other recognizer on the same file)."""
        return cls(automaton_for(path), source=str(path))

    def load(self) -> None:
        """Nothing to load: the automaton is built before the recognizer."""

    def analyze(
        self,
        text: str,
        entities: list[str] | None = None,
        nlp_artifacts: NlpArtifacts | None = None,
    ) -> list[RecognizerResult]:
        """Every client name in ``text``, leftmost-longest, never overlapping."""
        if (entities and self.ENTITY not in entities) or len(self.automaton) == 0:
            return []
        if next(self.automaton.iter(fold_fast(text)), None) is None:
            return []  # no client name anywhere: skip the offsets
        folded, offsets = fold_with_offsets(text)
        candidates: list[tuple[int, int, str]] = []
        for end_index, (length, name) in self.automaton.iter(folded):
            start = end_index - length + 1
            end = end_index + 1
            if start > 0 and folded[start - 1].isalnum():
                continue
            if end < len(folded) and folded[end].isalnum():
                continue
            candidates.append((start, end, name))
        candidates.sort(key=lambda c: (c[0], -(c[1] - c[0])))
        results: list[RecognizerResult] = []
        covered_until = -1
        for start, end, name in candidates:
            if start < covered_until:
                continue
            covered_until = end
            original_start = offsets[start]
            original_end = offsets[end - 1] + 1
            # Include combining marks that follow the last base character ("e\u0301").
            while original_end < len(text) and unicodedata.combining(text[original_end]):
                original_end += 1
            matched = text[original_start:original_end]
            score = self.SCORE
            if " " not in name.strip() and matched.islower() and not name.islower():
                score = self.LOWERCASE_WORD_SCORE
            explanation = AnalysisExplanation(
                recognizer=self.name,
                original_score=score,
                textual_explanation=f"Entry of the client list {self.source}",
            )
            results.append(
                RecognizerResult(
                    entity_type=self.ENTITY,
                    start=original_start,
                    end=original_end,
                    score=score,
                    analysis_explanation=explanation,
                    recognition_metadata={
                        RecognizerResult.RECOGNIZER_NAME_KEY: self.name,
                        RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: self.id,
                        RecognizerResult.IS_SCORE_ENHANCED_BY_CONTEXT_KEY: True,
                    },
                )
            )
        return results

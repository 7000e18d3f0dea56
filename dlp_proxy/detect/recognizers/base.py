"""Shared machinery for the structured recognizers: regex rules, checksum hooks and French context cues.

Why not plain :class:`presidio_analyzer.PatternRecognizer`?

* Presidio reports the whole regex match. We need cues *inside* the regex ("mot de passe :", "né le")
  while the finding covers only the value, so a rule may name a ``value`` group.
* Presidio boosts scores with context through spaCy lemmas. Our engine runs spaCy with the NER
  component only (no lemmatizer: it costs time and nothing else reads lemmas) and Presidio's context
  words are English. So each recognizer looks for its French cues itself, in a character window around
  the match, on an accent-folded copy, and marks its results as already context-enhanced so that
  Presidio does not boost them a second time.
* Some numbers are only meaningful next to a cue (passport, CNI, keyless NIR), and some cues *lower*
  confidence ("commande n°", "facture", a trailing "€"); a checksum that happens to pass on an order
  number must not become a social security number.

Subclasses stay declarative: ``ENTITY``, ``RULES``, ``CONTEXT`` and ``validate_result``/``invalidate_result``
like Presidio's own country recognizers.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

import regex
from presidio_analyzer import EntityRecognizer, Pattern, PatternRecognizer, RecognizerResult

if TYPE_CHECKING:
    from presidio_analyzer.nlp_engine import NlpArtifacts

#: Optional separator between digits of an identifier: space, no-break spaces, dot, dash.
SEP = r"[ \u00a0\u202f.\-]?"
#: Not glued to a word or to a previous digit group (so we never match the middle of a longer number).
NUM_START = r"(?<![\w)+])(?<!\d[ \u00a0\u202f.\-])"
#: Not followed by a word character or by a short digit group that would continue the number
#: ("06 12 34 56 78 90" is no phone). A longer group (postcode, year, another number) or a date/time
#: ("… 12/03/2024", "… 14h") may follow.
NUM_END = r"(?![\w])(?![ \u00a0\u202f.\-]\d{1,2}(?![\d/:h]))"
#: Not followed by any further digit group: for a SIREN, a following group is the SIRET's NIC.
NUM_END_STRICT = r"(?![\w])(?![ \u00a0\u202f.\-]\d)"

#: Seconds before a pathological regex (typically a referent's custom one) is abandoned.
REGEX_TIMEOUT_SECONDS = 5

_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "`": "'", "\u00b4": "'"})

#: Cues that make a number look like a business reference rather than personal data.
ORDER_CUES: tuple[str, ...] = (
    "commande",
    "cde",
    "facture",
    "devis",
    "bon de livraison",
    "reference",
    "ref",
    "colis",
    "suivi",
    "ticket",
    "dossier",
    "contrat",
    "article",
    "produit",
    "lot",
    "serie",
    "prix",
    "montant",
    "total",
    "tarif",
    "quantite",
    "version",
)

#: How far before the negative-cue window a positive cue phrase may start and still cover a word of it.
_CUE_OVERHANG = 40

#: A dotted quad is an IP address or a version number, never a company or social security number.
_DOTTED_QUAD = regex.compile(r"\d{1,3}(?:\.\d{1,3}){3}")
_CURRENCY_AFTER = regex.compile(r"\s?(?:€|eur\b|euros?\b|\$|usd\b|k€|m€|ht\b|ttc\b|%)", regex.IGNORECASE)


#: Every combining mark (non-zero canonical combining class) of planes 0 and 1, mapped to nothing: one
#: ``str.translate`` strips accents ~5× faster than testing each character in Python. Built once (~40 ms).
STRIP_MARKS: dict[int, None] = dict.fromkeys(c for c in range(0x20000) if unicodedata.combining(chr(c)))
#: ``STRIP_MARKS`` plus the letters Unicode does not decompose into a base letter and a mark, spelled as
#: the name lists spell them: "Łukasz", "Søren" are "lukasz", "soren" there. Not "đ" ("Để" is no
#: "de") nor a dotless "ı", which e-mail addresses drop ("erkılıç" is "erklc@…").
FOLD_TABLE: dict[int, str | None] = {**STRIP_MARKS, **str.maketrans("łŁøØ", "lLoO")}


def fold(text: str) -> str:
    """Lower-case, strip accents and unify apostrophes, so "Immatriculée" and "immatriculee" are the same cue.

    The result may differ in length from ``text``; use it only where offsets are not needed. Called for
    every cue window of every candidate, hence the ASCII fast path and the translate table.
    """
    text = text.translate(_APOSTROPHES)
    if text.isascii():
        return text.lower()
    return unicodedata.normalize("NFKD", text).translate(FOLD_TABLE).casefold()


def compact(value: str) -> str:
    """Keep only letters and digits, upper-cased: the form the checksum libraries expect."""
    return "".join(c for c in value if c.isalnum()).upper()


def cue_regex(words: Iterable[str]) -> regex.Pattern[str] | None:
    """Compile cue words (folded) into one whole-word regex.

    A trailing ``*`` makes a word a prefix ("immatricul*" matches "immatriculée"); otherwise a word also
    matches its plural/feminine forms (s, e, es, x) but not a longer word ("tel" does not match "telle").
    """
    parts = []
    for word in words:
        folded = fold(word.strip())
        if not folded:
            continue
        if folded.endswith("*"):
            parts.append(regex.escape(folded[:-1]))
        else:
            parts.append(regex.escape(folded) + r"(?:s|e|es|x)?(?![\w])")
    if not parts:
        return None
    # Longest first so "carte grise" wins over "carte".
    parts.sort(key=len, reverse=True)
    return regex.compile(r"(?<![\w])(?:" + "|".join(parts) + ")")


def _last_match(pattern: regex.Pattern[str], text: str) -> regex.Match[str] | None:
    """The last match of ``pattern`` in ``text``: the cue nearest to a value that follows the text."""
    last = None
    for match in pattern.finditer(text):
        last = match
    return last


def shorter_spans(text: str, start: int, end: int, separators: str = " \u00a0\u202f.-") -> list[int]:
    """Ends of ``text[start:end]`` cut at each separator, longest first (the full end included).

    A greedy digit regex can run into the next number ("4970 1012 3456 7894 12/27"); recognizers whose
    validation fails on the full match retry on these shorter prefixes.
    """
    ends = [end]
    for i in range(end - 1, start, -1):
        if text[i] in separators and text[i - 1] not in separators:
            ends.append(i)
    return ends


@dataclass(frozen=True)
class Rule:
    """One regex of a recognizer.

    ``score`` is the confidence without context and without validation. ``needs_context`` drops matches
    with no cue nearby. ``validator`` replaces the recognizer's ``validate_result`` for this rule
    (True = checksum passed, False = reject, None = no opinion). ``flags`` overrides the recognizer's
    regex flags (e.g. case-sensitive provider key prefixes). ``requires``, when set, is a cheap gate for a
    costly rule: lower-case strings of which ``text.lower()`` must contain one for the rule to be tried
    at all (a rule that needs a cue skips the texts that hold none of its cue words).
    """

    name: str
    regex: str
    score: float
    needs_context: bool = False
    validator: Callable[[str], bool | None] | None = None
    flags: int | None = None
    requires: tuple[str, ...] = ()


class FrenchPatternRecognizer(PatternRecognizer):
    """A Presidio pattern recognizer with value groups, checksum hooks and French cue handling."""

    ENTITY: ClassVar[str] = ""
    RULES: ClassVar[tuple[Rule, ...]] = ()
    #: Words that raise confidence when found near a match (accent- and case-insensitive).
    CONTEXT: ClassVar[tuple[str, ...]] = ()
    #: Words that make a match a business reference rather than this entity, when nearer than any cue.
    NEGATIVE_CONTEXT: ClassVar[tuple[str, ...]] = ()
    #: A trailing currency/unit ("€", "HT", "%") means an amount, and a dotted quad an IP, not an identifier.
    REJECT_AMOUNTS: ClassVar[bool] = False
    #: Score of a match whose checksum passed; ``None`` keeps the rule's score.
    VALIDATED_SCORE: ClassVar[float | None] = 1.0
    CONTEXT_BOOST: ClassVar[float] = 0.35
    #: How far cues are looked for, in characters before / after the value.
    CONTEXT_BEFORE: ClassVar[int] = 60
    CONTEXT_AFTER: ClassVar[int] = 25
    NEGATIVE_BEFORE: ClassVar[int] = 35
    FLAGS: ClassVar[int] = regex.IGNORECASE | regex.MULTILINE

    def __init__(
        self,
        rules: Iterable[Rule] | None = None,
        context: Iterable[str] | None = None,
        entity: str | None = None,
        name: str | None = None,
    ) -> None:
        self.entity = entity or self.ENTITY
        self.rules: tuple[Rule, ...] = tuple(rules if rules is not None else self.RULES)
        cue_words = tuple(context if context is not None else self.CONTEXT)
        self._compiled = [
            (rule, regex.compile(rule.regex, rule.flags if rule.flags is not None else self.FLAGS))
            for rule in self.rules
        ]
        self._cues = cue_regex(cue_words)
        self._negative_cues = cue_regex(self.NEGATIVE_CONTEXT)
        super().__init__(
            supported_entity=self.entity,
            name=name,
            supported_language="fr",
            patterns=[Pattern(rule.name, rule.regex, rule.score) for rule in self.rules],
            context=[w.rstrip("*") for w in cue_words],
        )

    # -- hooks a subclass may override -------------------------------------------------------------

    def refine_span(self, text: str, start: int, end: int) -> tuple[int, int] | None:
        """Adjust the span of a match (trim punctuation, shorten to a valid prefix); None drops it."""
        return start, end

    def score_for(self, rule: Rule, value: str, validated: bool | None) -> float:
        """Base score of a match before context; checksum-validated values get ``VALIDATED_SCORE``."""
        if validated and self.VALIDATED_SCORE is not None:
            return self.VALIDATED_SCORE
        return rule.score

    def boost(self, score: float, value: str) -> float:
        """Score once a positive cue has been seen near the value."""
        return min(EntityRecognizer.MAX_SCORE, score + self.CONTEXT_BOOST)

    # -- context -----------------------------------------------------------------------------------

    def find_cue(self, text: str, start: int, end: int) -> tuple[str, int] | None:
        """The positive cue nearest to ``text[start:end]`` and its distance in characters, or None.

        Cues before the value are preferred (distance >= 0, nearest last one); a cue just after the
        value ("06 12 34 56 78 (portable)") counts with distance -1.
        """
        if self._cues is None:
            return None
        before = fold(text[max(0, start - self.CONTEXT_BEFORE) : start])
        nearest = _last_match(self._cues, before)
        if nearest is not None:
            return nearest.group(0), len(before) - nearest.end()
        after = self._cues.search(fold(text[end : end + self.CONTEXT_AFTER]))
        return (after.group(0), -1) if after else None

    def reference_distance(self, text: str, start: int) -> int | None:
        """Distance to the nearest order/invoice/product cue before the value, or None.

        A negative word inside a positive cue phrase is part of that cue, not a reference: in "numéro
        fiscal de référence" (the official name of the NIF) "référence" does not make it an order number.
        Positive cues are matched longest first on a window reaching a bit further back, so a phrase that
        starts before the negative window still covers its words.
        """
        if self._negative_cues is None:
            return None
        window = fold(text[max(0, start - self.NEGATIVE_BEFORE) : start])
        wide = fold(text[max(0, start - self.NEGATIVE_BEFORE - _CUE_OVERHANG) : start])
        offset = len(wide) - len(window)
        covered = [m.span() for m in self._cues.finditer(wide)] if self._cues is not None else []
        nearest = None
        for match in self._negative_cues.finditer(wide, offset):
            s, e = match.span()
            if not any(cs <= s and e <= ce for cs, ce in covered):
                nearest = match
        return len(wide) - nearest.end() if nearest is not None else None

    def contradicted(self, text: str, start: int, end: int) -> bool:
        """The surroundings prove the value is something else, whatever the cues say.

        By default (``REJECT_AMOUNTS``): a number followed by "€"/"HT"/"%" is an amount, and a dotted
        quad is an IP address or a version number.
        """
        if not self.REJECT_AMOUNTS:
            return False
        return bool(_CURRENCY_AFTER.match(text, end) or _DOTTED_QUAD.fullmatch(text, start, end))

    # -- Presidio API ------------------------------------------------------------------------------

    def analyze(
        self,
        text: str,
        entities: list[str] | None = None,
        nlp_artifacts: NlpArtifacts | None = None,
        regex_flags: int | None = None,
    ) -> list[RecognizerResult]:
        """Find the entity in ``text``; ``nlp_artifacts`` is not needed (cues are read from the text)."""
        if entities and self.entity not in entities:
            return []
        results: list[RecognizerResult] = []
        lowered: str | None = None
        for rule, compiled in self._compiled:
            if rule.requires:
                if lowered is None:
                    lowered = text.lower()
                if not any(word in lowered for word in rule.requires):
                    continue
            try:
                matches = self.find_matches(compiled, text)
            except TimeoutError:
                continue
            for match in matches:
                result = self._evaluate(text, rule, match)
                if result is not None:
                    results.append(result)
        return EntityRecognizer.remove_duplicates(results)

    def find_matches(self, compiled: regex.Pattern[str], text: str) -> list[regex.Match[str]]:
        """The rule's matches in ``text``, as ``finditer`` gives them (a subclass may find the same ones
        faster); a regex running past :data:`REGEX_TIMEOUT_SECONDS` raises ``TimeoutError``."""
        return list(compiled.finditer(text, timeout=REGEX_TIMEOUT_SECONDS))

    def _evaluate(self, text: str, rule: Rule, match: regex.Match[str]) -> RecognizerResult | None:
        if "value" in match.re.groupindex and match.group("value") is not None:
            start, end = match.span("value")
        else:
            start, end = match.span()
        span = self.refine_span(text, start, end)
        if span is None or span[0] >= span[1]:
            return None
        start, end = span
        value = text[start:end]
        if self.contradicted(text, start, end) or self.invalidate_result(value):
            return None
        validated = rule.validator(value) if rule.validator is not None else self.validate_result(value)
        if validated is False:
            return None
        score = self.score_for(rule, value, validated)
        found = self.find_cue(text, start, end)
        reference = self.reference_distance(text, start)
        # The nearest cue decides: "SIREN 732 829 320, commande 802314559" is one SIREN, one order.
        if reference is not None and (found is None or found[1] < 0 or reference < found[1]):
            return None
        cue = found[0] if found is not None else None
        if cue is not None:
            score = self.boost(score, value)
        elif rule.needs_context:
            return None
        if score <= EntityRecognizer.MIN_SCORE:
            return None
        explanation = PatternRecognizer.build_regex_explanation(
            self.name,
            rule.name,
            rule.regex,
            rule.score,
            bool(validated) if validated is not None else None,
            rule.flags if rule.flags is not None else self.FLAGS,
        )
        explanation.score = score
        if cue is not None:
            explanation.set_supportive_context_word(cue)
            explanation.set_improved_score(score)
        return RecognizerResult(
            entity_type=self.entity,
            start=start,
            end=end,
            score=score,
            analysis_explanation=explanation,
            recognition_metadata={
                RecognizerResult.RECOGNIZER_NAME_KEY: self.name,
                RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: self.id,
                # Our cues are already applied; Presidio's lemma enhancer must not add its boost on top.
                RecognizerResult.IS_SCORE_ENHANCED_BY_CONTEXT_KEY: True,
            },
        )

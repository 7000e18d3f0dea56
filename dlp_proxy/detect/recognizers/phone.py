"""PHONE_NUMBER: French numbers in every usual writing, overseas departments, and international E.164.

Candidates come from two cheap regexes (national ``0X…`` and ``+``/``00`` international); each is then
validated with ``phonenumbers``: region FR first, then the overseas regions that share the French
``0`` trunk prefix (Guadeloupe, Guyane, Martinique, Réunion, Mayotte), and explicit ``+`` numbers in
any country. Presidio's PhoneRecognizer runs ``PhoneNumberMatcher`` once per region over the whole
text, which is ~10× slower on long prompts and finds nothing more that we need.

A number the French plan could hold but that is not allocated yet (``07 01 23 45 67``: ARCEP has not opened
07 0x-07 2x; ``phonenumbers`` says "not valid") is still a phone for leak prevention — the plan changes
and a person's number leaks all the same. It counts when written the way French numbers are written
(digit pairs with one separator: ``07 01 23 45 67``, ``07.01.23.45.67``, ``+33 7 01 23 45 67``) or next to
a phone cue ("Tél. 0701234567"); ten glued digits alone are more often a reference.

False positives we avoid: digit groups inside SIRETs/IBANs (boundary guards), order/invoice numbers
(negative cues), amounts (a trailing "€"/"HT").
"""

from __future__ import annotations

import contextlib
import functools
import re
from collections.abc import Iterator
from typing import Any

import phonenumbers

from .base import NUM_END, NUM_START, ORDER_CUES, FrenchPatternRecognizer, Rule, compact, shorter_spans

#: Regions dialled with the French ``0`` trunk prefix whose numbers FR metadata does not accept.
_OVERSEAS_REGIONS = ("GP", "GF", "MQ", "RE", "YT")
_SEP = r"[ \u00a0\u202f.\-]?"
_INTL_SEP = r"[ \u00a0\u202f.\-()]{0,3}"
#: The usual French layouts: "07 01 23 45 67" (pairs, one separator) and "+33 7 01 23 45 67" / "0033 …".
_FR_PAIRS = re.compile(r"0[1-9](?P<sep>[ \u00a0\u202f.\-])\d\d(?:(?P=sep)\d\d){3}")
_FR_INTL_PAIRS = re.compile(
    r"(?:\+|00)33(?P<sep>[ \u00a0\u202f.\-])(?:\(0\)[ \u00a0\u202f]?)?[1-9](?P=sep)\d\d(?:(?P=sep)\d\d){3}"
)


def is_valid_phone(value: str) -> bool:
    """True when ``value`` is a dialable number: national French/overseas, or international with + / 00.

    The answer depends on the digits alone, so it is memoised on them (:func:`_valid_digits`): the four
    rules, the span refinement and the engine's second reading of the original text ("06 12 34 56 78"
    there, "0612345678" in the normalised copy) ask about the same numbers, and ``phonenumbers.parse``
    is the cost of this recognizer (~0.05 ms a call).
    """
    stripped = value.strip()
    if stripped.startswith("+") or stripped.startswith("00"):
        digits = "".join(c for c in stripped if c.isdigit())
        if stripped.startswith("00"):
            digits = digits[2:]
        if not 6 <= len(digits) <= 16:
            return False
        return _valid_digits("+" + digits)
    digits = compact(stripped)
    if len(digits) != 10 or not digits.isdigit():
        return False
    return _valid_digits(digits)


@functools.lru_cache(maxsize=512)
def _valid_digits(number: str) -> bool:
    """``phonenumbers``' verdict on ``+digits`` (any country) or ten national digits (France and the
    overseas regions that dial with its ``0``). Memoised for one scan only (see :func:`phone_memo`)."""
    if number.startswith("+"):
        try:
            return phonenumbers.is_valid_number(phonenumbers.parse(number, None))
        except phonenumbers.NumberParseException:
            return False
    for region in ("FR", *_OVERSEAS_REGIONS):
        try:
            if phonenumbers.is_valid_number(phonenumbers.parse(number, region)):
                return True
        except phonenumbers.NumberParseException:
            return False
    return False


_memo_scopes = 0


@contextlib.contextmanager
def phone_memo() -> Iterator[None]:
    """Keep the validity memo for the whole block (one scan: the normalised text and the original),
    then empty it, so that no number of a prompt stays in the worker's memory after its scan.

    Outside such a block each :meth:`PhoneRecognizer.analyze` call empties it before and after.
    """
    global _memo_scopes
    if not _memo_scopes:
        _valid_digits.cache_clear()
    _memo_scopes += 1
    try:
        yield
    finally:
        _memo_scopes -= 1
        if not _memo_scopes:
            _valid_digits.cache_clear()


def french_national_digits(value: str) -> str | None:
    """The ten national digits ("0701234567") of a French number, national or +33/0033, else None."""
    stripped = value.strip()
    digits = "".join(c for c in stripped if c.isdigit())
    if stripped.startswith("+33") or stripped.startswith("0033"):
        digits = digits[2:] if stripped.startswith("+") else digits[4:]
        if digits.startswith("0") and "(0)" in stripped:
            digits = digits[1:]
        digits = "0" + digits
    if len(digits) == 10 and digits[0] == "0" and digits[1] != "0":
        return digits
    return None


def is_unallocated_french(value: str) -> bool:
    """A possible French number (ten digits, ``0`` + non-zero) that the number plan does not hold (yet)."""
    digits = french_national_digits(value)
    return digits is not None and not is_valid_phone(digits)


def written_as_french_phone(value: str) -> bool:
    """Written in the usual French layout: digit pairs with one separator, national or +33/0033."""
    stripped = value.strip()
    return bool(_FR_PAIRS.fullmatch(stripped) or _FR_INTL_PAIRS.fullmatch(stripped))


def _unallocated_laid_out(value: str) -> bool | None:
    """Validator of the main rules: allocated numbers, and unallocated ones written as French phones."""
    if is_valid_phone(value):
        return True
    if is_unallocated_french(value) and written_as_french_phone(value):
        return None  # a phone by its layout; no checksum to vouch for it
    return False


def _unallocated_with_cue(value: str) -> bool | None:
    """Validator of the cue-only rule: an unallocated French number in any other writing."""
    if is_unallocated_french(value) and not written_as_french_phone(value):
        return None
    return False


#: Cheap gate of the cue-only rules: lower-case fragments of the phone cues (see ``PhoneRecognizer.CONTEXT``).
_CUE_GATE = (
    "tel",
    "tél",
    "phone",
    "portable",
    "mobile",
    "fixe",
    "fax",
    "sms",
    "whatsapp",
    "appel",
    "joindre",
    "joignable",
    "standard",
    "ligne directe",
    "contact",
    "numero perso",
    "numéro perso",
)


class PhoneRecognizer(FrenchPatternRecognizer):
    """``06 12 34 56 78``, ``06.12.34.56.78``, ``0612345678``, ``+33 (0)6 12 34 56 78``, ``+44 20 7946 0958``.

    Scores: 0.75 for a national number written in groups or any ``+``/``00`` number, 0.6 for ten glued
    digits, +0.25 next to a phone cue. An unallocated French number (``07 01 23 45 67``) is kept when laid
    out in pairs or next to a cue.
    """

    ENTITY = "PHONE_NUMBER"
    _NATIONAL = NUM_START + r"0" + _SEP + r"[1-9](?:" + _SEP + r"\d){8}" + NUM_END
    _INTERNATIONAL = (
        r"(?:(?<![\w+])\+|" + NUM_START + r"00)" + _INTL_SEP + r"[1-9](?:" + _INTL_SEP + r"\d){5,15}(?![\w])"
    )
    RULES = (
        Rule("phone_fr_national", _NATIONAL, 0.6, validator=_unallocated_laid_out),
        Rule("phone_international", _INTERNATIONAL, 0.75, validator=_unallocated_laid_out),
        # Possible but unallocated French numbers written any other way (glued, odd groups): cue needed.
        Rule(
            "phone_fr_unallocated",
            _NATIONAL,
            0.6,
            needs_context=True,
            validator=_unallocated_with_cue,
            requires=_CUE_GATE,
        ),
        Rule(
            "phone_fr_unallocated_intl",
            _INTERNATIONAL,
            0.6,
            needs_context=True,
            validator=_unallocated_with_cue,
            requires=_CUE_GATE,
        ),
    )
    CONTEXT = (
        "tel",
        "telephone",
        "phone",
        "portable",
        "mobile",
        "fixe",
        "fax",
        "sms",
        "whatsapp",
        "appel*",
        "rappel*",
        "joindre",
        "joignable",
        "standard",
        "ligne directe",
        "contact*",
        "numero perso",
    )
    NEGATIVE_CONTEXT = ORDER_CUES + ("siret", "siren", "iban", "tva", "nir", "securite sociale", "carte")
    REJECT_AMOUNTS = True
    VALIDATED_SCORE = None
    CONTEXT_BOOST = 0.25

    def analyze(
        self, text: str, entities: Any = None, nlp_artifacts: Any = None, regex_flags: Any = None
    ) -> Any:
        """The rules over ``text``, with the validity memo kept for this scan only (:func:`phone_memo`):
        candidates from one prompt never linger in the worker's memory."""
        with phone_memo():
            return super().analyze(text, entities, nlp_artifacts, regex_flags)

    def validate_result(self, pattern_text: str) -> bool | None:
        """``phonenumbers`` validity (length and number plan of the region)."""
        return is_valid_phone(pattern_text)

    def refine_span(self, text: str, start: int, end: int) -> tuple[int, int] | None:
        """Trim a trailing ")" and, for international numbers, digit groups that belong to what follows."""
        while end > start and text[end - 1] in ")(":
            end -= 1
        if text[start] != "+" and not text.startswith("00", start):
            return start, end
        for candidate_end in shorter_spans(text, start, end, " \u00a0\u202f.-()"):
            if is_valid_phone(text[start:candidate_end]):
                return start, candidate_end
        return start, end

    def score_for(self, rule: Rule, value: str, validated: bool | None) -> float:
        """A national number written as digit pairs is unmistakable; ten glued digits are less sure."""
        if rule.name == "phone_fr_national" and any(not c.isdigit() for c in value):
            return 0.75
        return rule.score

"""IBAN_CODE: bank account numbers of every IBAN country (all SEPA members included), via ``stdnum.iban``.

stdnum checks the mod-97 key *and* the country's BBAN layout, so a validated match is reported at 1.0.

IBANs are printed in many national layouts besides groups of four: a space after the country code
(``BE 48 3200 7018 4927``), the bank's own groupings (``ES10 0075 0080 11 0600658108``,
``NO 19 4920 06 96270``, ``BE32 123-4567890-02``), dots (``NO07.8380.08.06006``), a lower-case letter in
the BBAN (``… 1000 h79``). So the regex only finds the head of a candidate — a country code and two
check digits — and :meth:`IbanRecognizer.refine_span` reads on from there: letters and digits, with at
most one separator (space, no-break space, dot, dash) between two of them, until it has exactly the
country's IBAN length (from python-stdnum's copy of the SWIFT registry). That length says where the IBAN
ends, so the words after it ("… 6769 pour le …", "…, BIC …") are never part of the finding; a number that
runs on past that length (a letter or digit glued to the last character) is not an IBAN.
"""

from __future__ import annotations

import regex
from stdnum import iban, numdb

from .base import FrenchPatternRecognizer, Rule, compact


def _registry_lengths() -> dict[str, int]:
    """IBAN length per country code, from the BBAN structures of stdnum's IBAN registry (``iban.dat``)."""
    lengths: dict[str, int] = {}
    for _, low, high, props, _ in numdb.get("iban").prefixes:
        bban = props.get("bban")
        if low == high and len(low) == 2 and bban:
            lengths[low.upper()] = 4 + sum(int(n) for n in regex.findall(r"(\d+)!", bban))
    return lengths


#: IBAN length per country code ("FR" -> 27, "NO" -> 15, "MT" -> 31).
IBAN_LENGTHS: dict[str, int] = _registry_lengths()
_SEPARATORS = frozenset(" \u00a0\u202f.-")
#: Between the country code and the check digits: "BE 48", "BE-48".
_HEAD_SEP = r"[ \u00a0\u202f\-]"


def iban_end(text: str, start: int) -> int | None:
    """End of the IBAN whose country code starts at ``text[start]``, or None when there is none.

    Reads letters and digits from ``start``, allowing one separator between two of them, until the
    country's length is reached; the character after the last one must not be a letter or a digit.
    """
    length = IBAN_LENGTHS.get(text[start : start + 2].upper())
    if length is None:
        return None
    count = 0
    i = start
    n = len(text)
    while i < n and count < length:
        c = text[i]
        if c.isascii() and c.isalnum():
            count += 1
            i += 1
        elif c in _SEPARATORS and count and i + 1 < n and text[i + 1].isascii() and text[i + 1].isalnum():
            i += 1
        else:
            break
    if count < length or (i < n and text[i].isalnum()):
        return None
    return i


class IbanRecognizer(FrenchPatternRecognizer):
    """IBAN in any print layout: ``FR76 3000 6000 0112 3456 7890 189``, ``BE 48 3200 7018 4927``, compact."""

    ENTITY = "IBAN_CODE"
    RULES = (
        # The check digits of a head (country code, maybe a space, check digits), found digits first so
        # that prose is skipped quickly; refine_span steps back to the country code and reads the rest.
        Rule(
            "iban",
            r"\d\d(?<=(?<![\w])[A-Za-z]{2}" + _HEAD_SEP + r"?\d\d)(?=[ \u00a0\u202f.\-]?[A-Za-z0-9])",
            0.5,
        ),
    )
    CONTEXT = (
        "iban",
        "rib",
        "bic",
        "swift",
        "virement",
        "compte bancaire",
        "coordonnees bancaires",
        "banque",
    )
    VALIDATED_SCORE = 1.0
    FLAGS = 0

    def refine_span(self, text: str, start: int, end: int) -> tuple[int, int] | None:
        """From the head, exactly the country's IBAN length of letters and digits (None: no IBAN here)."""
        start -= 3 if not text[start - 1].isalnum() else 2  # back to the country code
        stop = iban_end(text, start)
        return (start, stop) if stop is not None else None

    def validate_result(self, pattern_text: str) -> bool | None:
        """Country layout and mod-97 key."""
        return iban.is_valid(compact(pattern_text))

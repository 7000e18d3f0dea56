"""FR_CNI: French national identity card numbers, next to an identity-card cue.

Two formats: the laminated card (until 2021), 12 characters — year and month of issue, a 3-character
department/office code, a 5-digit sequence — and the card-format CNIe (since 2021), 9 letters/digits.
Neither has a visible check digit, so the cue is required.
"""

from __future__ import annotations

from .base import FrenchPatternRecognizer, Rule, compact


def plausible_cni(value: str) -> bool | None:
    """Old format: issue month 01–12; new format: both letters and digits (a word is not a card number)."""
    number = compact(value)
    if len(number) == 12:
        return number[:4].isdigit() and 1 <= int(number[2:4]) <= 12 and number[7:].isdigit()
    if len(number) == 9:
        if number[:2].isdigit() and number[2:4].isalpha() and number[4:].isdigit():
            return False  # the passport layout (12AB34567): FR_PASSPORT reports it
        return any(c.isdigit() for c in number) and any(c.isalpha() for c in number)
    return False


class FrCniRecognizer(FrenchPatternRecognizer):
    """``CNI n° 880692310285``, ``carte d'identité : X4RTBPFW4``."""

    ENTITY = "FR_CNI"
    RULES = (
        Rule("cni_old", r"(?<![\w])\d{4}[ ]?[0-9A-Z]{3}[ ]?\d{5}(?![\w])", 0.4, needs_context=True),
        Rule("cni_new", r"(?<![\w])[A-Z0-9]{9}(?![\w])", 0.4, needs_context=True),
    )
    CONTEXT = (
        "cni",
        "carte d'identite",
        "carte nationale d'identite",
        "carte identite",
        "piece d'identite",
        "titre d'identite",
        "identity card",
        "id card",
    )
    VALIDATED_SCORE = None
    CONTEXT_BOOST = 0.35
    FLAGS = 0

    def validate_result(self, pattern_text: str) -> bool | None:
        """Shape checks only: there is no public checksum on the printed number."""
        return True if plausible_cni(pattern_text) else False

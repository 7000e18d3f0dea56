"""FR_PASSPORT: French passport numbers (2 digits, 2 letters, 5 digits), next to a "passeport" cue.

Nine characters of that shape also appear in product codes, so without the cue nothing is reported.
"""

from __future__ import annotations

from .base import FrenchPatternRecognizer, Rule


class FrPassportRecognizer(FrenchPatternRecognizer):
    """``passeport n° 18AB12345``."""

    ENTITY = "FR_PASSPORT"
    RULES = (Rule("passport_fr", r"(?<![\w])\d{2}[ ]?[A-Z]{2}[ ]?\d{5}(?![\w])", 0.45, needs_context=True),)
    CONTEXT = ("passeport", "passport", "titre de voyage", "document de voyage")
    VALIDATED_SCORE = None
    CONTEXT_BOOST = 0.35

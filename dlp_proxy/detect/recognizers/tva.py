"""FR_TVA: the French intra-community VAT number, ``FR`` + 2 key characters + SIREN (``stdnum.fr.tva``).

The key is derived from the SIREN, so a match that validates is almost certainly a real VAT number.
"""

from __future__ import annotations

from stdnum.fr import tva

from .base import NUM_END, SEP, FrenchPatternRecognizer, Rule, compact


class FrTvaRecognizer(FrenchPatternRecognizer):
    """Numéro de TVA intracommunautaire: ``FR40732829320``, ``FR 40 732 829 320``."""

    ENTITY = "FR_TVA"
    RULES = (
        Rule(
            "tva_fr",
            r"(?<![\w])FR[ \u00a0\u202f.\-]?[0-9A-HJ-NP-Z]{2}(?:" + SEP + r"\d){9}" + NUM_END,
            0.5,
        ),
    )
    CONTEXT = ("tva", "intracommunautaire", "intra-communautaire", "vat", "numero de tva", "n° tva")
    VALIDATED_SCORE = 1.0

    def validate_result(self, pattern_text: str) -> bool | None:
        """VAT key computed from the SIREN (numeric or the older alphabetic keys)."""
        return tva.is_valid(compact(pattern_text))

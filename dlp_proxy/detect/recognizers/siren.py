"""FR_SIREN: the 9-digit company number, Luhn-checked by ``stdnum.fr.siren``.

A Luhn check passes for one random 9-digit number in ten, so a SIREN without a cue ("SIREN", "RCS",
"société"…) stays below the usual 0.5 threshold; an order number or an amount next to it is dropped.
"""

from __future__ import annotations

from stdnum.fr import siren

from .base import NUM_END_STRICT, NUM_START, ORDER_CUES, SEP, FrenchPatternRecognizer, Rule, compact


class FrSirenRecognizer(FrenchPatternRecognizer):
    """SIREN, written ``732 829 320``, ``732829320`` or ``732.829.320``."""

    ENTITY = "FR_SIREN"
    RULES = (Rule("siren", NUM_START + r"\d(?:" + SEP + r"\d){8}" + NUM_END_STRICT, 0.3),)
    CONTEXT = (
        "siren",
        "rcs",
        "kbis",
        "societe",
        "entreprise",
        "immatricul*",
        "registre du commerce",
        "raison sociale",
        "sas",
        "sasu",
        "sarl",
        "eurl",
        "sci",
        "fournisseur",
        "personne morale",
    )
    NEGATIVE_CONTEXT = ORDER_CUES
    REJECT_AMOUNTS = True
    VALIDATED_SCORE = 0.45
    CONTEXT_BOOST = 0.5

    def validate_result(self, pattern_text: str) -> bool | None:
        """Luhn check; a run of one repeated digit (000 000 000 passes Luhn) is not a company."""
        number = compact(pattern_text)
        return len(set(number)) > 1 and siren.is_valid(number)

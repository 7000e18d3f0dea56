"""FR_LICENSE_PLATE: French registration plates, SIV (``AB-123-CD``, since 2009) and FNI (``1234 AB 75``).

SIV letters exclude I, O and U, and "SS" is never issued; a dashed SIV plate is distinctive enough to
report at a low score alone, lifted by a vehicle cue. Old FNI plates look like many references, so
they need the cue. Plates are upper-case: matching is case-sensitive.
"""

from __future__ import annotations

from .base import FrenchPatternRecognizer, Rule, compact

_L = r"[A-HJ-NP-TV-Z]"
_DEPT = r"(?:0[1-9]|[1-8]\d|9[0-5]|2A|2B|97[1-6])"


def plausible_plate(value: str) -> bool | None:
    """Reject the letter pairs the SIV never issues ("SS", and "WW" only as a prefix)."""
    plate = compact(value)
    if plate[:2].isalpha() and plate[-2:].isalpha():
        return "SS" not in (plate[:2], plate[-2:]) and plate[-2:] != "WW"
    return True


class FrLicensePlateRecognizer(FrenchPatternRecognizer):
    """``immatriculé AB-123-CD``, ``plaque 1234 AB 75``."""

    ENTITY = "FR_LICENSE_PLATE"
    RULES = (
        Rule("siv_dashed", r"(?<![\w\-])" + _L + r"{2}-\d{3}-" + _L + r"{2}(?![\w\-])", 0.4),
        Rule("siv_plain", r"(?<![\w\-])" + _L + r"{2}[ ]?\d{3}[ ]?" + _L + r"{2}(?![\w\-])", 0.3),
        Rule(
            "fni",
            r"(?<![\w\-])\d{1,4}[ \-]?[A-Z]{1,3}[ \-]?" + _DEPT + r"(?![\w\-])",
            0.4,
            needs_context=True,
        ),
    )
    CONTEXT = (
        "immatricul*",
        "plaque",
        "vehicule",
        "voiture",
        "carte grise",
        "certificat d'immatriculation",
        "automobile",
        "auto",
        "moto",
        "scooter",
        "camion",
        "utilitaire",
        "fourgon",
        "stationn*",
        "parking",
        "fourriere",
        "amende",
        "radar",
        "flotte",
    )
    VALIDATED_SCORE = None
    CONTEXT_BOOST = 0.45
    FLAGS = 0

    def validate_result(self, pattern_text: str) -> bool | None:
        """SIV letter-pair rules."""
        return plausible_plate(pattern_text)

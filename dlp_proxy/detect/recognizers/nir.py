"""FR_NIR: the French social security number (NIR / numéro INSEE), 13 digits + a 2-digit key.

The key (97 − n mod 97, with 2A/2B handled) is checked by ``stdnum.fr.nir``; stdnum does not check the
structure, so we also require a plausible sex digit, month and department. A 15-digit order number
whose key fails is not a NIR. A NIR quoted without its key (13 characters) is reported only next to a
cue, since nothing can be verified.
"""

from __future__ import annotations

from stdnum.fr import nir

from .base import NUM_END, NUM_START, SEP, FrenchPatternRecognizer, Rule, compact

_BODY = r"[1-478](?:" + SEP + r"\d){4}(?:" + SEP + r"[0-9AB]){2}(?:" + SEP + r"\d){6}"


def plausible_structure(number: str) -> bool:
    """Sex, month and department fields of a compact NIR (13 or 15 characters) make sense.

    Sex 1/2 (3/4 and 7/8 for temporary numbers); month 01–12, or 20–42 / 50–99 for unknown months;
    department 01–99 (97x/98x overseas and 99 "born abroad" are digits too) or 2A/2B for Corsica.
    """
    if len(number) not in (13, 15) or number[0] not in "123478":
        return False
    if not number[1:5].isdigit():
        return False
    month = int(number[3:5])
    if not (1 <= month <= 12 or 20 <= month <= 42 or 50 <= month <= 99):
        return False
    department = number[5:7]
    if department in ("2A", "2B"):
        return True
    return department.isdigit() and department != "00" and number[7:13].isdigit()


class FrNirRecognizer(FrenchPatternRecognizer):
    """Numéro de sécurité sociale, with or without spaces, Corsican 2A/2B and overseas 97x departments."""

    ENTITY = "FR_NIR"
    RULES = (
        Rule("nir_with_key", NUM_START + _BODY + r"(?:" + SEP + r"\d){2}" + NUM_END, 0.5),
        Rule("nir_without_key", NUM_START + _BODY + NUM_END, 0.4, needs_context=True),
    )
    CONTEXT = (
        "nir",
        "insee",
        "securite sociale",
        "secu",
        "numero de ss",
        "n° ss",
        "carte vitale",
        "vitale",
        "assure*",
        "ameli",
        "cpam",
        "mutuelle",
        "immatriculation",
        "matricule",
    )
    NEGATIVE_CONTEXT = ()
    VALIDATED_SCORE = 1.0

    def validate_result(self, pattern_text: str) -> bool | None:
        """Full NIR: key must match. Keyless NIR: structure only (no opinion on the checksum)."""
        number = compact(pattern_text)
        if not plausible_structure(number):
            return False
        if len(number) == 13:
            return None
        return nir.is_valid(number)

"""FR_TVA: the French intra-community VAT number, ``FR`` + 2 key characters + SIREN (``stdnum.fr.tva``).

The key is derived from the SIREN, so a match that validates is almost certainly a real VAT number.
The key is two digits (``FR40732829320``) or, in the newer scheme, holds a letter (``FRK7399859412``);
it may be printed apart (``FR K 7399859412``, ``FR 44 732 829 320``). Without its ``FR`` prefix
(``TVA intracommunautaire : 23 334 175 221``) the number is only taken next to a VAT cue: eleven digits
alone are too common to report.
"""

from __future__ import annotations

import regex
from stdnum.fr import tva

from .base import NUM_END, NUM_START, SEP, FrenchPatternRecognizer, Rule, compact

#: One character of the key: a digit or a letter other than I and O.
_KEY = r"[0-9A-HJ-NP-Z]"
#: The key, its two characters possibly printed apart ("K 7399859412"), then the SIREN's 9 digits.
_KEY_AND_SIREN = _KEY + SEP + _KEY + r"(?:" + SEP + r"\d){9}"


class FrTvaRecognizer(FrenchPatternRecognizer):
    """Numéro de TVA intracommunautaire: ``FR40732829320``, ``FR 40 732 829 320``, ``FR K 7399859412``."""

    ENTITY = "FR_TVA"
    RULES = (
        Rule("tva_fr", r"(?<![\w])FR[ \u00a0\u202f.\-]?" + _KEY_AND_SIREN + NUM_END, 0.5),
        # Without "FR": only next to a VAT cue ("n° TVA 23334175221", "TVA intracom. K7399859412"), key
        # letters in upper case; not even tried on a text without a cue word (the regex is costly).
        Rule(
            "tva_without_prefix",
            NUM_START + _KEY_AND_SIREN + NUM_END,
            0.5,
            needs_context=True,
            flags=regex.MULTILINE,
            requires=("tva", "vat", "intra"),
        ),
    )
    CONTEXT = (
        "tva",
        "intracommunautaire",
        "intra-communautaire",
        "intracom",
        "vat",
        "numero de tva",
        "n° tva",
    )
    VALIDATED_SCORE = 1.0

    def validate_result(self, pattern_text: str) -> bool | None:
        """VAT key computed from the SIREN (numeric or the newer alphanumeric keys)."""
        return tva.is_valid(compact(pattern_text))

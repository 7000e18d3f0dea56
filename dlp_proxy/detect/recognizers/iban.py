"""IBAN_CODE: bank account numbers of every IBAN country (all SEPA members included), via ``stdnum.iban``.

stdnum checks the mod-97 key *and* the country's BBAN layout, so a validated match is reported at 1.0.
The regex takes groups of four (as printed on a RIB), upper-case only, and a match that fails validation
is retried without its trailing groups, so the words after an IBAN ("… 6769 POUR LE …") are not swallowed.
"""

from __future__ import annotations

from stdnum import iban

from .base import FrenchPatternRecognizer, Rule, compact, shorter_spans

_GROUP_SEP = r"[ \u00a0\u202f\-]?"


class IbanRecognizer(FrenchPatternRecognizer):
    """IBAN with or without spaces: ``FR76 3000 6000 0112 3456 7890 189``, ``DE89370400440532013000``."""

    ENTITY = "IBAN_CODE"
    RULES = (
        Rule(
            "iban",
            r"(?<![\w])[A-Z]{2}\d{2}(?:"
            + _GROUP_SEP
            + r"[A-Z0-9]{4}){2,7}(?:"
            + _GROUP_SEP
            + r"[A-Z0-9]{1,3})?(?![\w])",
            0.5,
        ),
        # Pasted without spaces, in any case ("fr7630006000011234567890189").
        Rule("iban_compact", r"(?<![\w])[A-Za-z]{2}\d{2}[A-Za-z0-9]{11,30}(?![\w])", 0.5),
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
        """Shorten a greedy match group by group until it validates (or give it back unchanged)."""
        for candidate_end in shorter_spans(text, start, end, " \u00a0\u202f-"):
            if candidate_end - start < 15:
                break
            if self.validate_result(text[start:candidate_end]):
                return start, candidate_end
        return start, end

    def validate_result(self, pattern_text: str) -> bool | None:
        """Country layout and mod-97 key."""
        return iban.is_valid(compact(pattern_text))

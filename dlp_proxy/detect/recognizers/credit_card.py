"""CREDIT_CARD: payment card numbers, 13–19 digits with spaces or dashes, Luhn + known IIN prefixes.

Presidio's CreditCardRecognizer is declared for en/es/it/pl only, so French texts get nothing without
this. A Luhn pass alone is one number in ten; we also require an issuer prefix whose usual lengths match.
14-digit numbers (old Diners cards) collide with SIRETs (also Luhn), so they need a card cue.
"""

from __future__ import annotations

from stdnum import luhn

from .base import NUM_START, ORDER_CUES, FrenchPatternRecognizer, Rule, compact, shorter_spans

#: (prefix range low, high, allowed lengths). Prefixes are compared on the same number of digits.
_ISSUERS: tuple[tuple[str, str, frozenset[int]], ...] = (
    ("4", "4", frozenset({13, 16, 19})),  # Visa (CB co-badged cards are Visa or Mastercard)
    ("51", "55", frozenset({16})),  # Mastercard
    ("2221", "2720", frozenset({16})),  # Mastercard 2-series
    ("34", "34", frozenset({15})),  # American Express
    ("37", "37", frozenset({15})),
    ("300", "305", frozenset({14, 16, 19})),  # Diners Club
    ("36", "36", frozenset({14, 16, 19})),
    ("38", "39", frozenset({14, 16, 19})),
    ("6011", "6011", frozenset({16, 19})),  # Discover
    ("644", "649", frozenset({16, 19})),
    ("65", "65", frozenset({16, 19})),
    ("3528", "3589", frozenset({16, 17, 18, 19})),  # JCB
    ("62", "62", frozenset({16, 17, 18, 19})),  # UnionPay
    ("50", "50", frozenset({13, 16, 17, 18, 19})),  # Maestro
    ("56", "59", frozenset({13, 16, 17, 18, 19})),
    ("67", "67", frozenset({13, 16, 17, 18, 19})),
)


def known_issuer(number: str) -> bool:
    """The number starts with a card-issuer prefix and has a length that issuer uses."""
    for low, high, lengths in _ISSUERS:
        if len(number) in lengths and low <= number[: len(low)] <= high:
            return True
    return False


class CreditCardRecognizer(FrenchPatternRecognizer):
    """Carte bancaire: ``4970 1012 3456 7894``, ``4970-1012-3456-7894``, ``4970101234567894``."""

    ENTITY = "CREDIT_CARD"
    # The end is only "not inside a word": a following group (expiry "12 27") is trimmed by refine_span.
    RULES = (Rule("card", NUM_START + r"\d(?:[ \u00a0\u202f\-]?\d){12,18}(?![\w])", 0.3),)
    CONTEXT = (
        "carte",
        "cb",
        "visa",
        "mastercard",
        "amex",
        "american express",
        "maestro",
        "paiement",
        "payer",
        "regle*",
        "cryptogramme",
        "cvv",
        "cvc",
        "expir*",
        "credit card",
        "card",
    )
    NEGATIVE_CONTEXT = ORDER_CUES + ("siret", "siren", "iban", "nir")
    REJECT_AMOUNTS = True
    VALIDATED_SCORE = 0.95
    CONTEXT_BOOST = 0.05

    def validate_result(self, pattern_text: str) -> bool | None:
        """Luhn and issuer prefix/length; a run of one digit is never a card."""
        number = compact(pattern_text)
        if len(set(number)) == 1 or not known_issuer(number):
            return False
        return luhn.is_valid(number)

    def refine_span(self, text: str, start: int, end: int) -> tuple[int, int] | None:
        """Drop trailing digit groups that belong to what follows (expiry date, another number)."""
        for candidate_end in shorter_spans(text, start, end):
            if len(compact(text[start:candidate_end])) < 13:
                break
            if self.validate_result(text[start:candidate_end]):
                return start, candidate_end
        return start, end

    def score_for(self, rule: Rule, value: str, validated: bool | None) -> float:
        """14-digit numbers score low until a card cue lifts them (they are far more often SIRETs)."""
        if validated and len(compact(value)) == 14:
            return 0.4
        return super().score_for(rule, value, validated)

    def boost(self, score: float, value: str) -> float:
        """A cue makes any Luhn-valid issuer number a card."""
        return 1.0 if score >= 0.95 else 0.85

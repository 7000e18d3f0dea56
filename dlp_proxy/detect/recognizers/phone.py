"""PHONE_NUMBER: French numbers in every usual writing, overseas departments, and international E.164.

Candidates come from two cheap regexes (national ``0X…`` and ``+``/``00`` international); each is then
validated with ``phonenumbers``: region FR first, then the overseas regions that share the French
``0`` trunk prefix (Guadeloupe, Guyane, Martinique, Réunion, Mayotte), and explicit ``+`` numbers in
any country. Presidio's PhoneRecognizer runs ``PhoneNumberMatcher`` once per region over the whole
text, which is ~10× slower on long prompts and finds nothing more that we need.

False positives we avoid: digit groups inside SIRETs/IBANs (boundary guards), order/invoice numbers
(negative cues), amounts (a trailing "€"/"HT").
"""

from __future__ import annotations

import phonenumbers

from .base import NUM_END, NUM_START, ORDER_CUES, FrenchPatternRecognizer, Rule, compact, shorter_spans

#: Regions dialled with the French ``0`` trunk prefix whose numbers FR metadata does not accept.
_OVERSEAS_REGIONS = ("GP", "GF", "MQ", "RE", "YT")
_SEP = r"[ \u00a0\u202f.\-]?"
_INTL_SEP = r"[ \u00a0\u202f.\-()]{0,3}"


def is_valid_phone(value: str) -> bool:
    """True when ``value`` is a dialable number: national French/overseas, or international with + / 00."""
    stripped = value.strip()
    if stripped.startswith("+") or stripped.startswith("00"):
        digits = "".join(c for c in stripped if c.isdigit())
        if stripped.startswith("00"):
            digits = digits[2:]
        if not 6 <= len(digits) <= 16:
            return False
        try:
            return phonenumbers.is_valid_number(phonenumbers.parse("+" + digits, None))
        except phonenumbers.NumberParseException:
            return False
    digits = compact(stripped)
    if len(digits) != 10 or not digits.isdigit():
        return False
    for region in ("FR", *_OVERSEAS_REGIONS):
        try:
            if phonenumbers.is_valid_number(phonenumbers.parse(digits, region)):
                return True
        except phonenumbers.NumberParseException:
            return False
    return False


class PhoneRecognizer(FrenchPatternRecognizer):
    """``06 12 34 56 78``, ``06.12.34.56.78``, ``0612345678``, ``+33 (0)6 12 34 56 78``, ``+44 20 7946 0958``.

    Scores: 0.75 for a national number written in groups or any ``+``/``00`` number, 0.6 for ten glued
    digits, +0.25 next to a phone cue.
    """

    ENTITY = "PHONE_NUMBER"
    RULES = (
        Rule("phone_fr_national", NUM_START + r"0" + _SEP + r"[1-9](?:" + _SEP + r"\d){8}" + NUM_END, 0.6),
        Rule(
            "phone_international",
            r"(?:(?<![\w+])\+|"
            + NUM_START
            + r"00)"
            + _INTL_SEP
            + r"[1-9](?:"
            + _INTL_SEP
            + r"\d){5,15}(?![\w])",
            0.75,
        ),
    )
    CONTEXT = (
        "tel",
        "telephone",
        "phone",
        "portable",
        "mobile",
        "fixe",
        "fax",
        "sms",
        "whatsapp",
        "appel*",
        "rappel*",
        "joindre",
        "joignable",
        "standard",
        "ligne directe",
        "contact*",
        "numero perso",
    )
    NEGATIVE_CONTEXT = ORDER_CUES + ("siret", "siren", "iban", "tva", "nir", "securite sociale", "carte")
    REJECT_AMOUNTS = True
    VALIDATED_SCORE = None
    CONTEXT_BOOST = 0.25

    def validate_result(self, pattern_text: str) -> bool | None:
        """``phonenumbers`` validity (length and number plan of the region)."""
        return is_valid_phone(pattern_text)

    def refine_span(self, text: str, start: int, end: int) -> tuple[int, int] | None:
        """Trim a trailing ")" and, for international numbers, digit groups that belong to what follows."""
        while end > start and text[end - 1] in ")(":
            end -= 1
        if text[start] != "+" and not text.startswith("00", start):
            return start, end
        for candidate_end in shorter_spans(text, start, end, " \u00a0\u202f.-()"):
            if is_valid_phone(text[start:candidate_end]):
                return start, candidate_end
        return start, end

    def score_for(self, rule: Rule, value: str, validated: bool | None) -> float:
        """A national number written as digit pairs is unmistakable; ten glued digits are less sure."""
        if rule.name == "phone_fr_national" and any(not c.isdigit() for c in value):
            return 0.75
        return rule.score

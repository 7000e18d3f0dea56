"""FR_NIF: the 13-digit personal tax number (numéro fiscal / SPI), starting 0–3 (``stdnum.fr.nif``).

Its check (last 3 digits = first 10 mod 511) is strong, but 13-digit barcodes (EAN-13 start with 3 in
France) are common in business text, so a NIF without a tax cue stays below 0.5.
"""

from __future__ import annotations

from stdnum.fr import nif

from .base import NUM_END, NUM_START, ORDER_CUES, SEP, FrenchPatternRecognizer, Rule, compact


class FrNifRecognizer(FrenchPatternRecognizer):
    """Numéro fiscal de référence, written ``30 23 217 600 053`` or ``3023217600053``."""

    ENTITY = "FR_NIF"
    RULES = (Rule("nif", NUM_START + r"[0-3](?:" + SEP + r"\d){12}" + NUM_END, 0.3),)
    CONTEXT = (
        "nif",
        "spi",
        "fiscal",
        "fiscale",
        "impot*",
        "imposition",
        "contribuable",
        "dgfip",
        "declaration de revenus",
        "avis d'imposition",
        "numero fiscal",
        # The official name: its "référence" is part of the cue, not an order reference.
        "numero fiscal de reference",
        "n° fiscal de reference",
        "reference fiscale",
        "tax",
    )
    NEGATIVE_CONTEXT = ORDER_CUES + ("ean", "code-barre", "code barre", "gtin")
    REJECT_AMOUNTS = True
    VALIDATED_SCORE = 0.45
    CONTEXT_BOOST = 0.5

    def validate_result(self, pattern_text: str) -> bool | None:
        """NIF check digits (first 10 digits mod 511)."""
        number = compact(pattern_text)
        return len(set(number)) > 1 and nif.is_valid(number)

"""FR_SIRET: the 14-digit establishment number (SIREN + 5-digit NIC), checked by ``stdnum.fr.siret``.

stdnum applies Luhn to both the SIRET and its SIREN, and the La Poste exception (sum of digits
multiple of 5). Validated without a cue it scores 0.95; an order/invoice cue without a SIRET cue drops it.
"""

from __future__ import annotations

from stdnum.fr import siret

from .base import NUM_END, NUM_START, ORDER_CUES, SEP, FrenchPatternRecognizer, Rule, compact


class FrSiretRecognizer(FrenchPatternRecognizer):
    """SIRET, written ``732 829 320 00074``, ``73282932000074`` or any other grouping."""

    ENTITY = "FR_SIRET"
    RULES = (Rule("siret", NUM_START + r"\d(?:" + SEP + r"\d){13}" + NUM_END, 0.3),)
    CONTEXT = (
        "siret",
        "siren",
        "nic",
        "etablissement",
        "rcs",
        "kbis",
        "societe",
        "entreprise",
        "immatricul*",
        "fournisseur",
    )
    NEGATIVE_CONTEXT = ORDER_CUES
    REJECT_AMOUNTS = True
    VALIDATED_SCORE = 0.95

    def validate_result(self, pattern_text: str) -> bool | None:
        """SIRET checksum (Luhn, or La Poste's rule) plus SIREN checksum."""
        number = compact(pattern_text)
        return len(set(number)) > 1 and siret.is_valid(number)

"""The one table of entity types: what each detected data type is called, how it behaves, who wins.

Every module that needs to know about entity types reads it from here — the detection engine (priority
between two findings on the same characters), pseudonyms (identifiers keep their value across
separators; each type has a surrogate), the quarterly report and ``policy diff`` (French and English
labels) and the policy loader (a data rule or a tool override naming a type that no recogniser emits is
refused with ``file:line`` and a suggestion). Adding a recogniser for a new type means one row here.

Custom types declared in ``rules/recognizers.yaml`` are not in this table: the policy loader adds
them from that file, the report and ``policy diff`` show them by their code.

Pure data, no imports from the rest of the package (everything else may import it).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class EntityType:
    """One detected data type.

    ``identifier``: a value whose separators do not make another value (``06 12 34 56 78`` and
    ``0612345678`` are one phone number, hence one pseudonym). ``priority``: when two findings of
    different types cover exactly the same characters, the lower number wins (checksummed types
    first, NER-derived types last); ``None`` ranks after every numbered type. ``surrogate``: the
    pseudonymizer can make a realistic fake of it (secrets never get one: a fake key would look real).
    """

    code: str
    label_fr: str
    label_en: str
    identifier: bool = False
    priority: int | None = None
    reported_by_default: bool = True
    surrogate: bool = True  # a realistic fake exists (pseudonyms.SURROGATES); else a [[TYPE_n]] placeholder

    def label(self, language: str) -> str:
        """The readable name in ``fr`` or ``en``."""
        return self.label_fr if language == "fr" else self.label_en


ENTITY_TYPES: tuple[EntityType, ...] = (
    EntityType("CREDIT_CARD", "carte bancaire", "payment card number", identifier=True, priority=0),
    EntityType("IBAN_CODE", "IBAN", "IBAN", identifier=True, priority=1),
    EntityType("FR_NIR", "numéro de sécurité sociale", "social security number", identifier=True, priority=2),
    EntityType("FR_SIRET", "SIRET", "SIRET", identifier=True, priority=3),
    EntityType("FR_TVA", "numéro de TVA", "VAT number", identifier=True, priority=4),
    EntityType("FR_SIREN", "SIREN", "SIREN", identifier=True, priority=5),
    EntityType("EMAIL_ADDRESS", "adresse e-mail", "email address", priority=6),
    EntityType("PHONE_NUMBER", "téléphone", "phone number", identifier=True, priority=7),
    EntityType("ADDRESS", "adresse postale", "postal address", priority=8),
    EntityType("PERSON", "nom de personne", "person's name", priority=9),
    EntityType("LOCATION", "lieu", "place", priority=10, reported_by_default=False),
    EntityType("FR_NIF", "numéro fiscal", "tax number", identifier=True),
    EntityType("FR_CNI", "carte d'identité", "identity card number", identifier=True),
    EntityType("FR_PASSPORT", "passeport", "passport number", identifier=True),
    EntityType("FR_LICENSE_PLATE", "plaque d'immatriculation", "licence plate", identifier=True),
    EntityType("SECRET", "secret (mot de passe, clé d'API)", "secret (password, API key)", surrogate=False),
    EntityType("CLIENT_NAME", "nom de client", "client name"),
    EntityType("DATE_OF_BIRTH", "date de naissance", "date of birth"),
    EntityType("IP_ADDRESS", "adresse IP", "IP address"),
    EntityType("URL", "URL contenant des données personnelles", "URL carrying personal data"),
)

BY_CODE: Mapping[str, EntityType] = {e.code: e for e in ENTITY_TYPES}
#: Every built-in code, in table order.
CODES: tuple[str, ...] = tuple(BY_CODE)
#: Codes whose separators do not make another value (one pseudonym for every writing).
IDENTIFIER_TYPES: frozenset[str] = frozenset(e.code for e in ENTITY_TYPES if e.identifier)
#: Equal-span tie-break order of the detection engine (see :class:`EntityType`).
TYPE_PRIORITY: tuple[str, ...] = tuple(
    e.code for e in sorted(ENTITY_TYPES, key=lambda e: e.priority or 0) if e.priority is not None
)

#: Incident decisions and data-rule actions, for people (report, diff, portal).
DECISION_LABELS: Mapping[str, tuple[str, str]] = {
    "blocked": ("bloquée", "blocked"),
    "redacted": ("masquée", "redacted"),
    "pseudonymized": ("pseudonymisée", "pseudonymized"),
    "allowed": ("autorisée", "allowed"),
    "warned": ("avertissement", "warned"),
    "block": ("bloquer", "block"),
    "redact": ("masquer", "redact"),
    "pseudonymize": ("pseudonymiser", "pseudonymize"),
    "allow": ("autoriser", "allow"),
}


def label(code: str, language: str = "fr") -> str:
    """Readable name of a type; custom types (from ``recognizers.yaml``) are shown by their code."""
    entity = BY_CODE.get(code)
    return entity.label(language) if entity is not None else code


def decision_label(decision: str, language: str = "fr") -> str:
    """Readable name of an incident decision or a data-rule action; unknown ones as written."""
    pair = DECISION_LABELS.get(decision)
    if pair is None:
        return decision
    return pair[0] if language == "fr" else pair[1]


def known_codes(custom: Iterable[str] = ()) -> frozenset[str]:
    """Every type a policy may name: the built-in ones plus the custom recognisers' types."""
    return frozenset(CODES) | frozenset(custom)

"""French recognizers for Presidio, one per file.

Structured identifiers (NIR, SIREN, SIRET, TVA, NIF, IBAN, cards, phones, e-mails, IPs, URLs with
personal data, dates of birth, passports, identity cards, plates, secrets) are found by regex and
validated by checksum (python-stdnum, phonenumbers) — about 100× cheaper than NER and exact where NER
is blind. The client list and the referents' custom recognizers come from the rules directory.

The engine builds everything with :func:`build_recognizers` and adds the NER-based ones (person,
address) itself.
"""

from __future__ import annotations

from pathlib import Path

from presidio_analyzer import EntityRecognizer

from .base import FrenchPatternRecognizer
from .clients import ClientNameRecognizer
from .cni import FrCniRecognizer
from .credit_card import CreditCardRecognizer
from .custom import load_custom_recognizers
from .date_of_birth import DateOfBirthRecognizer
from .email import EmailRecognizer
from .iban import IbanRecognizer
from .ip import IpRecognizer
from .license_plate import FrLicensePlateRecognizer
from .nif import FrNifRecognizer
from .nir import FrNirRecognizer
from .passport import FrPassportRecognizer
from .phone import PhoneRecognizer
from .secret import SecretRecognizer
from .siren import FrSirenRecognizer
from .siret import FrSiretRecognizer
from .tva import FrTvaRecognizer
from .url import UrlRecognizer

#: Built-in pattern recognizers, in the order they run.
PATTERN_RECOGNIZERS: tuple[type[FrenchPatternRecognizer], ...] = (
    FrNirRecognizer,
    FrSirenRecognizer,
    FrSiretRecognizer,
    FrTvaRecognizer,
    FrNifRecognizer,
    IbanRecognizer,
    CreditCardRecognizer,
    PhoneRecognizer,
    EmailRecognizer,
    IpRecognizer,
    UrlRecognizer,
    DateOfBirthRecognizer,
    FrPassportRecognizer,
    FrCniRecognizer,
    FrLicensePlateRecognizer,
    SecretRecognizer,
)

#: Entity names emitted by the built-in recognizers and the client list (custom ones add their own).
STRUCTURED_ENTITIES: tuple[str, ...] = tuple(cls.ENTITY for cls in PATTERN_RECOGNIZERS) + (
    ClientNameRecognizer.ENTITY,
)

CLIENTS_FILE = "clients.txt"
CUSTOM_FILE = "recognizers.yaml"


def build_recognizers(rules_dir: Path) -> list[EntityRecognizer]:
    """All structured recognizers, the client-list recognizer and the referents' custom recognizers.

    ``rules_dir/clients.txt`` and ``rules_dir/recognizers.yaml`` are optional. A broken file raises
    :class:`dlp_proxy.errors.ConfigError` naming file and line: a proxy must not start with rules it
    cannot apply. All recognizers have ``supported_language="fr"``.
    """
    rules_dir = Path(rules_dir)
    recognizers: list[EntityRecognizer] = [cls() for cls in PATTERN_RECOGNIZERS]
    clients = rules_dir / CLIENTS_FILE
    if clients.exists():
        recognizers.append(ClientNameRecognizer.from_file(clients))
    recognizers.extend(load_custom_recognizers(rules_dir / CUSTOM_FILE))
    return recognizers


__all__ = [
    "STRUCTURED_ENTITIES",
    "PATTERN_RECOGNIZERS",
    "ClientNameRecognizer",
    "FrenchPatternRecognizer",
    "build_recognizers",
]

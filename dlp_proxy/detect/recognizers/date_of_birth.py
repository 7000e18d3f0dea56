"""DATE_OF_BIRTH: a date written right after a birth cue ("né le", "date de naissance", "DDN"…).

Dates alone are everywhere in business text (deadlines, invoices); only the cue makes one personal.
The cue is part of the regex but the finding covers the date only, so redaction keeps "né le".
"""

from __future__ import annotations

import datetime

import regex

from .base import FrenchPatternRecognizer, Rule, fold

MONTHS: dict[str, int] = {
    "janvier": 1,
    "janv": 1,
    "fevrier": 2,
    "fevr": 2,
    "fev": 2,
    "mars": 3,
    "avril": 4,
    "avr": 4,
    "mai": 5,
    "juin": 6,
    "juillet": 7,
    "juil": 7,
    "aout": 8,
    "septembre": 9,
    "sept": 9,
    "octobre": 10,
    "oct": 10,
    "novembre": 11,
    "nov": 11,
    "decembre": 12,
    "dec": 12,
}
_MONTH_WORDS = (
    r"(?:janv(?:ier|\.)?|f[ée]v(?:rier|r?\.)?|mars|avr(?:il|\.)?|mai|juin|juil(?:let|\.)?|ao[ûu]t|"
    + (r"sept(?:embre|\.)?|oct(?:obre|\.)?|nov(?:embre|\.)?|d[ée]c(?:embre|\.)?)")
)
_DATE = (
    r"(?:\d{1,2}(?:er)?[ \u00a0]+" + _MONTH_WORDS + r"[ \u00a0]+\d{4}"
    r"|\d{1,2}[/.\-]\d{1,2}[/.\-](?:\d{4}|\d{2})"
    r"|\d{4}-\d{1,2}-\d{1,2})"
)
_CUE = (
    r"(?:\bn[ée]e?s?(?:[ ]?\(e\))?(?:[ \u00a0]+(?:[àa]|en)[ \u00a0]+[^\d\n,;:]{1,40}?,?)?[ \u00a0]+le"
    r"|\bdate[ \u00a0]+de[ \u00a0]+naissance|\bddn|\bnaissance|\bdate[ \u00a0]+of[ \u00a0]+birth|\bdob"
    r"|\bborn[ \u00a0]+on)"
)
_FILLER = r"[ \u00a0]*(?:\([^)\n]{0,20}\)[ \u00a0]*)?[:\-–]?[ \u00a0]*(?:le[ \u00a0]+)?"


def parse_french_date(value: str) -> datetime.date | None:
    """``12/03/1985``, ``12 mars 1985``, ``1er mars 1985``, ``1985-03-12``, ``12/03/85`` → a date."""
    text = fold(value).replace("\u00a0", " ").strip()
    try:
        iso = regex.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", text)
        if iso:
            return datetime.date(int(iso[1]), int(iso[2]), int(iso[3]))
        numeric = regex.fullmatch(r"(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{2}|\d{4})", text)
        if numeric:
            year = int(numeric[3])
            if year < 100:
                year += 1900 if year > datetime.date.today().year % 100 else 2000
            return datetime.date(year, int(numeric[2]), int(numeric[1]))
        words = regex.fullmatch(r"(\d{1,2})(?:er)?\s+([a-z]+)\.?\s+(\d{4})", text)
        if words and words[2] in MONTHS:
            return datetime.date(int(words[3]), MONTHS[words[2]], int(words[1]))
    except ValueError:
        return None
    return None


class DateOfBirthRecognizer(FrenchPatternRecognizer):
    """``née le 12/03/1985``, ``date de naissance : 12 mars 1985``, ``DDN 1985-03-12``."""

    ENTITY = "DATE_OF_BIRTH"
    RULES = (Rule("date_after_birth_cue", _CUE + _FILLER + r"(?P<value>" + _DATE + r")(?![\w/])", 0.85),)
    CONTEXT = ()
    VALIDATED_SCORE = None

    def validate_result(self, pattern_text: str) -> bool | None:
        """A real calendar date between 1900 and today."""
        date = parse_french_date(pattern_text)
        return date is not None and datetime.date(1900, 1, 1) <= date <= datetime.date.today()

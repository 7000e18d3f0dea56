"""Dates in the words staff read: « 1er janvier 2027 » in French, "1 January 2027" in English.

One place for month names, used by the review status, the policy diff, the quarterly report and the
pseudonym surrogates (dates written like the original).
"""

from __future__ import annotations

from datetime import date

MONTHS_FR: tuple[str, ...] = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)
MONTHS_EN: tuple[str, ...] = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def format_date(day: date, lang: str = "fr") -> str:
    """``5 octobre 2026`` / ``1er janvier 2027`` in French, ``5 October 2026`` in English."""
    if lang == "en":
        return f"{day.day} {MONTHS_EN[day.month - 1]} {day.year}"
    number = "1er" if day.day == 1 else str(day.day)
    return f"{number} {MONTHS_FR[day.month - 1]} {day.year}"

"""Periods the security team and the referents think in: quarters, days, ISO weeks (all in UTC).

Incidents are stored with UTC times and shadow-AI sightings by ISO week in UTC, so every period is cut
in UTC too: a day typed on the command line is the UTC day, ``2026-Q4`` is 1 October 00:00 UTC to
31 December 23:59:59.999999 UTC inclusive.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta

__all__ = [
    "day_end",
    "day_start",
    "iso_week_of",
    "parse_moment",
    "parse_quarter",
    "quarter_label",
    "weeks_between",
]

_QUARTER_RE = re.compile(r"^\s*(\d{4})\s*-?\s*[QqTt]([1-4])\s*$")


def parse_quarter(text: str) -> tuple[date, date]:
    """``"2026-Q4"`` (also ``2026Q4``, ``2026-T4`` for « trimestre ») → (first day, last day), inclusive.

    Raises :class:`ValueError` with a message for the user.
    """
    match = _QUARTER_RE.match(text or "")
    if not match:
        raise ValueError(f"invalid quarter {text!r}: expected YEAR-QN, e.g. 2026-Q4")
    year, quarter = int(match.group(1)), int(match.group(2))
    first = date(year, 3 * quarter - 2, 1)
    next_first = date(year + 1, 1, 1) if quarter == 4 else date(year, 3 * quarter + 1, 1)
    return first, next_first - timedelta(days=1)


def quarter_label(first: date, last: date) -> str | None:
    """``"2026-Q4"`` when ``first``..``last`` is exactly a calendar quarter, else ``None``."""
    if first.day != 1 or first.month not in (1, 4, 7, 10):
        return None
    label = f"{first.year}-Q{(first.month - 1) // 3 + 1}"
    return label if parse_quarter(label) == (first, last) else None


def parse_moment(text: str, *, end: bool = False) -> datetime:
    """A date (``2026-10-01``) or an ISO 8601 time (``2026-10-01T08:30``, ``…Z``, ``…+02:00``) → aware UTC.

    A bare date means the start of that UTC day, or its last microsecond with ``end=True`` (so
    ``--until 2026-10-31`` includes the whole day). A datetime without offset is taken as UTC.
    Raises :class:`ValueError` with a message for the user.
    """
    raw = (text or "").strip()
    if not raw:
        raise ValueError("empty date")
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw):
        try:
            day = date.fromisoformat(raw)
        except ValueError:
            raise ValueError(f"invalid date {text!r}: expected YYYY-MM-DD, e.g. 2026-10-01") from None
        return day_end(day) if end else day_start(day)
    try:
        moment = datetime.fromisoformat(raw[:-1] + "+00:00" if raw.endswith(("Z", "z")) else raw)
    except ValueError:
        raise ValueError(
            f"invalid date {text!r}: expected YYYY-MM-DD or an ISO 8601 time such as 2026-10-01T08:30:00Z"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def day_end(day: date) -> datetime:
    return datetime.combine(day, time.max, tzinfo=UTC)


def iso_week_of(day: date) -> str:
    """``"2026-W48"``."""
    year, week, _ = day.isocalendar()
    return f"{year:04d}-W{week:02d}"


def week_monday(week: str) -> date:
    """The Monday of an ISO week label ``"2026-W48"``."""
    year, _, number = week.partition("-W")
    return date.fromisocalendar(int(year), int(number), 1)


def weeks_between(first: date, last: date) -> list[str]:
    """Every ISO week touching ``first``..``last`` (inclusive), in order."""
    weeks: list[str] = []
    monday = first - timedelta(days=first.weekday())
    while monday <= last:
        weeks.append(iso_week_of(monday))
        monday += timedelta(days=7)
    return weeks

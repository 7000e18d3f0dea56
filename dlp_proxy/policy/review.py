"""Is the quarterly review of the AI policy due? A pure answer for the proxy's logs and metrics.

The guide asks for a review every quarter and a compte-rendu to staff after each one; the policy
carries ``next_review``, and :func:`review_status` turns it into a flag, a day count and a sentence in
French and English, so the proxy can warn (log line, metric) without knowing how to word it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from dlp_proxy.dates import format_date

from .model import Policy

__all__ = ["ReviewStatus", "format_date", "review_status"]


def _days(n: int, lang: str) -> str:
    if lang == "en":
        return f"{n} day" if n == 1 else f"{n} days"
    return f"{n} jour" if n <= 1 else f"{n} jours"


@dataclass(frozen=True)
class ReviewStatus:
    """Where the policy stands against its review date.

    ``days_left`` is ``next_review - today`` in days: 0 on the review day, negative once it has passed
    (``overdue`` is then True, the day after ``next_review``, as :meth:`Policy.review_overdue`).
    """

    overdue: bool
    days_left: int
    message_fr: str
    message_en: str


def review_status(policy: Policy, today: date) -> ReviewStatus:
    """The review status of ``policy`` on ``today``; pure (the caller passes the date)."""
    due = policy.next_review
    days_left = (due - today).days
    overdue = days_left < 0
    version = policy.version
    if overdue:
        late = -days_left
        message_fr = (
            f"La révision trimestrielle de la politique IA (version {version}) est en retard : "
            f"prévue le {format_date(due, 'fr')}, dépassée de {_days(late, 'fr')}. Les référents IA "
            "doivent réviser la politique et publier un compte-rendu aux équipes."
        )
        message_en = (
            f"The quarterly review of the AI policy (version {version}) is overdue: it was due on "
            f"{format_date(due, 'en')}, {_days(late, 'en')} ago. The AI referents must review the policy "
            "and publish a summary to staff."
        )
    elif days_left == 0:
        message_fr = (
            f"La révision trimestrielle de la politique IA (version {version}) est prévue aujourd'hui "
            f"({format_date(due, 'fr')})."
        )
        message_en = (
            f"The quarterly review of the AI policy (version {version}) is due today "
            f"({format_date(due, 'en')})."
        )
    else:
        message_fr = (
            f"Prochaine révision trimestrielle de la politique IA (version {version}) le "
            f"{format_date(due, 'fr')}, dans {_days(days_left, 'fr')}."
        )
        message_en = (
            f"Next quarterly review of the AI policy (version {version}) on {format_date(due, 'en')}, "
            f"in {_days(days_left, 'en')}."
        )
    return ReviewStatus(overdue=overdue, days_left=days_left, message_fr=message_fr, message_en=message_en)

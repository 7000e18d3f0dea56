"""The quarterly report's section on the AI portal: requests opened and decided, the median time of
each step, justifications (the users' own words, escaped, without their names) and sanctions.
"""

from __future__ import annotations

import html
import statistics
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from dlp_proxy.logs import get_logger

log = get_logger("dlp_proxy.portal")

STEP_LABELS = {
    "manager": "validation du manager",
    "legal": "validation juridique",
    "it": "validation informatique",
    "pilot": "test pilote",
    "rollout": "déploiement progressif",
}
KIND_LABELS = {"validation": "validation du manager", "adoption": "adoption d'un outil"}
LEVEL_LABELS = {"reminder": "rappels à l'ordre", "suspension": "suspensions"}


@dataclass(frozen=True)
class StepTime:
    step: str
    count: int
    median_hours: float


@dataclass(frozen=True)
class PortalFigures:
    opened: dict[str, int]
    decided: dict[str, int]
    steps: tuple[StepTime, ...]
    justifications: tuple[tuple[str, str], ...]  # (tool, text), newest first, at most 20
    justification_count: int
    sanctions: dict[str, int]


def _t(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def portal_figures(store: Any, start: date, end: date) -> PortalFigures | None:
    """Figures of the period (UTC days, inclusive) from the portal tables; ``None`` without them."""
    from .store import PortalStore

    try:
        portal = PortalStore(store)
    except Exception as exc:  # a store without SQL tables (JSONL), or unreachable: no section
        log.warning("portal_report_unavailable", error=type(exc).__name__)
        return None
    try:

        def within(text: str | None) -> bool:
            moment = _t(text)
            return moment is not None and start <= moment.date() <= end

        requests = portal.requests()
        opened = Counter(r.kind for r in requests if within(r.created))
        decided = Counter(r.kind for r in requests if r.status != "open" and within(r.decided))
        durations: dict[str, list[float]] = {}
        for r in requests:
            if r.kind == "validation" and r.decided and within(r.decided):
                hours = (_t(r.decided) - _t(r.created)).total_seconds() / 3600  # type: ignore[operator]
                durations.setdefault("manager", []).append(hours)
            elif r.kind == "adoption":
                previous = _t(r.created)
                for s in portal.steps(r.id):
                    at = _t(s.at)
                    if within(s.at) and previous is not None and at is not None:
                        durations.setdefault(s.step, []).append((at - previous).total_seconds() / 3600)
                    previous = at
        steps = tuple(
            StepTime(step, len(durations[step]), statistics.median(durations[step]))
            for step in STEP_LABELS
            if step in durations
        )
        justs = [j for j in portal.justifications() if within(j.created)]
        sanctions = Counter(s.level for s in portal.sanctions() if within(s.created))
        return PortalFigures(
            dict(opened),
            dict(decided),
            steps,
            tuple((j.tool, j.text) for j in justs[:20]),
            len(justs),
            dict(sanctions),
        )
    finally:
        portal.close()


def _hours(value: float) -> str:
    return f"{value:.1f} h" if value < 48 else f"{value / 24:.1f} j"


def render_section(figures: PortalFigures | None) -> str:
    """HTML of the section (every value escaped)."""
    e = html.escape
    if figures is None:
        return '<p class="empty">Portail IA non disponible pour ce magasin d\'incidents.</p>'
    rows = "".join(
        f"<tr><td>{e(KIND_LABELS.get(k, k))}</td><td class='n'>{figures.opened.get(k, 0)}</td>"
        f"<td class='n'>{figures.decided.get(k, 0)}</td></tr>"
        for k in KIND_LABELS
    )
    out = [
        "<table><thead><tr><th>Demandes</th><th class='n'>ouvertes</th><th class='n'>décidées</th></tr>"
        f"</thead><tbody>{rows}</tbody></table>"
    ]
    if figures.steps:
        rows = "".join(
            f"<tr><td>{e(STEP_LABELS[s.step])}</td><td class='n'>{s.count}</td>"
            f"<td class='n'>{e(_hours(s.median_hours))}</td></tr>"
            for s in figures.steps
        )
        out.append(
            "<table><thead><tr><th>Étape</th><th class='n'>décisions</th><th class='n'>durée médiane</th>"
            f"</tr></thead><tbody>{rows}</tbody></table>"
        )
    sanctions = ", ".join(f"{n} {LEVEL_LABELS.get(k, k)}" for k, n in sorted(figures.sanctions.items()))
    out.append(f"<p>Sanctions graduées sur la période : {e(sanctions or 'aucune')}.</p>")
    out.append(f"<p>Justifications d'usage enregistrées : {figures.justification_count}.</p>")
    if figures.justifications:
        items = "".join(
            f"<li><strong>{e(tool)}</strong> — {e(text)}</li>" for tool, text in figures.justifications
        )
        out.append(f"<ul class='justifications'>{items}</ul>")
    return "".join(out)

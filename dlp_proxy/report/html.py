"""The quarterly report as one self-contained French HTML file.

Everything is inline: CSS in a ``<style>`` element, charts as inline SVG drawn here (bars and lines),
no script, no font, image or stylesheet fetched from anywhere — the file opens offline, can be mailed
as an attachment and printed (``@media print``: A4, no navigation, charts kept whole). Every value that
comes from the store or the policy is escaped.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from html import escape

from dlp_proxy.dates import format_date
from dlp_proxy.portal.report import render_section as render_portal_section

from .model import (
    DECISION_LABELS,
    DECISIONS,
    SIGHTING_LABELS,
    SIGHTING_STATUSES,
    TOOL_STATUS_LABELS,
    Report,
    entity_label,
)
from .words import counted, plural

DECISION_COLORS = {
    "blocked": "#c0392b",
    "redacted": "#e08a00",
    "pseudonymized": "#2c6fb0",
    "warned": "#7f8c8d",
}
STATUS_COLORS = {"forbidden": "#c0392b", "unlisted": "#8e44ad", "unknown_ai": "#00897b"}
ROLE_LABELS = {
    "informatique": "Référent informatique",
    "juridique": "Référent juridique",
    "metier": "Référent métier",
}
BAR_COLOR = "#2f5d8a"
OTHER_COLOR = "#95a5a6"
SHORT_MONTHS = "janv. févr. mars avr. mai juin juil. août sept. oct. nov. déc.".split()
PRIORITY_LABELS = {1: "Prioritaire", 2: "À traiter", 3: "Pour information"}

_CSS = """
:root { --ink:#1d2733; --muted:#5b6775; --line:#d8dee6; --soft:#f3f6f9; --accent:#2f5d8a; --bad:#c0392b;
  --ok:#1e8449; --warn:#b9770e; }
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { margin: 0; color: var(--ink); background: #fff; font: 15px/1.5 system-ui, -apple-system, "Segoe UI",
  Roboto, "Helvetica Neue", Arial, "Liberation Sans", "DejaVu Sans", sans-serif; }
main { max-width: 1100px; margin: 0 auto; padding: 0 28px 40px; }
header.cover { background: linear-gradient(135deg, #1f3b5a, #2f5d8a); color: #fff; padding: 34px 0 28px; }
header.cover .inner { max-width: 1100px; margin: 0 auto; padding: 0 28px; }
header.cover .kicker { margin: 0; text-transform: uppercase; letter-spacing: .08em; font-size: 12px;
  opacity: .85; }
header.cover h1 { margin: 6px 0 8px; font-size: 30px; line-height: 1.2; }
header.cover p.meta { margin: 0; opacity: .92; font-size: 14px; }
nav.toc { display: flex; flex-wrap: wrap; gap: 4px 16px; margin: 18px 0 6px; padding: 10px 14px;
  background: var(--soft); border-radius: 8px; font-size: 13px; }
nav.toc a { color: var(--accent); text-decoration: none; white-space: nowrap; }
section { margin-top: 30px; }
h2 { font-size: 21px; margin: 0 0 4px; padding-bottom: 6px; border-bottom: 2px solid var(--accent); }
h3 { font-size: 16px; margin: 18px 0 6px; }
p.lead { color: var(--muted); margin: 6px 0 12px; }
.cards { display: grid; grid-template-columns: repeat(4, 1fr); gap: 12px; margin-top: 14px; }
.card { border: 1px solid var(--line); border-radius: 8px; padding: 12px 14px; background: #fff; }
.card .value { font-size: 26px; font-weight: 700; line-height: 1.15; white-space: nowrap; }
.card .value.small { font-size: 21px; line-height: 1.4; }
.card .label { color: var(--muted); font-size: 13px; }
.card.alert { border-color: var(--bad); background: #fdf2f1; }
.card.alert .value { color: var(--bad); }
.card.good .value { color: var(--ok); }
ol.suggestions { padding-left: 0; list-style: none; counter-reset: s; margin: 10px 0 0; }
ol.suggestions li { position: relative; padding: 10px 12px 10px 46px; margin-bottom: 8px; border-radius: 8px;
  background: var(--soft); border-left: 4px solid var(--accent); counter-increment: s; }
ol.suggestions li::before { content: counter(s); position: absolute; left: 12px; top: 10px; width: 24px;
  height: 24px; border-radius: 50%; background: var(--accent); color: #fff; text-align: center;
  font-weight: 700; font-size: 13px; line-height: 24px; }
ol.suggestions li.p1 { border-left-color: var(--bad); background: #fdf2f1; }
ol.suggestions li.p1::before { background: var(--bad); }
ol.suggestions li.p3 { border-left-color: #9aa7b4; }
.tag { display: inline-block; font-size: 11px; font-weight: 700; text-transform: uppercase;
  letter-spacing: .04em; padding: 1px 7px; border-radius: 10px; margin-right: 6px; vertical-align: 1px;
  background: #e3e9f0; color: var(--ink); }
.tag.bad { background: var(--bad); color: #fff; }
.tag.ok { background: var(--ok); color: #fff; }
.tag.warn { background: #f5d9a8; color: #6b4500; }
figure { margin: 10px 0 6px; }
figure svg { display: block; width: 100%; height: auto; }
figcaption { color: var(--muted); font-size: 12px; margin-top: 2px; }
.legend { display: flex; flex-wrap: wrap; gap: 14px; font-size: 13px; color: var(--muted); margin: 4px 0; }
.legend span::before { content: ""; display: inline-block; width: 11px; height: 11px; border-radius: 2px;
  margin-right: 5px; vertical-align: -1px; background: var(--c); }
table { border-collapse: collapse; width: 100%; margin: 8px 0 4px; font-size: 13.5px; }
th, td { text-align: left; padding: 5px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { background: var(--soft); font-weight: 600; font-size: 12.5px; color: #33414f; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.mono, span.mono { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, "DejaVu Sans Mono",
  monospace; font-size: 12.5px; }
tr:last-child td { border-bottom: none; }
.grid2 { display: grid; grid-template-columns: 1fr 1fr; gap: 24px; }
.muted { color: var(--muted); }
.note { font-size: 13px; color: var(--muted); }
.empty { color: var(--muted); font-style: italic; padding: 8px 0; }
ul.changes { margin: 4px 0 0; padding-left: 20px; }
footer { margin-top: 40px; padding-top: 12px; border-top: 1px solid var(--line); font-size: 12px;
  color: var(--muted); }
@media (max-width: 760px) {
  .grid2, .cards { grid-template-columns: 1fr 1fr; }
  main { padding: 0 14px 30px; }
}
@media print {
  @page { size: A4; margin: 14mm 12mm; }
  body { font-size: 11pt; -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  header.cover { padding: 16px 0; }
  nav.toc { display: none; }
  main { max-width: none; padding: 0; }
  section { margin-top: 18px; }
  h2, h3 { break-after: avoid; page-break-after: avoid; }
  figure, .card, ol.suggestions li, tr { break-inside: avoid; page-break-inside: avoid; }
  .grid2 { grid-template-columns: 1fr 1fr; }
  a { color: inherit; text-decoration: none; }
}
"""


# -------------------------------------------------------------------------------------- formatting


def _e(value: object) -> str:
    return escape("" if value is None else str(value), quote=True)


def fmt_int(value: int) -> str:
    """``12 345`` with a narrow no-break space, as French typography wants."""
    return f"{value:,}".replace(",", "\u202f")


def fmt_pct(part: int | float, whole: int | float) -> str:
    if not whole:
        return "–"
    share = 100 * part / whole
    text = f"{share:.1f}" if share < 10 else f"{share:.0f}"
    return text.replace(".", ",") + "\u202f%"


def fmt_date(day: date | datetime | None, short: bool = False) -> str:
    if day is None:
        return "–"
    if short:
        return f"{day.day} {SHORT_MONTHS[day.month - 1]}"
    return format_date(day)


def fmt_datetime(moment: datetime | None) -> str:
    if moment is None:
        return "–"
    return f"{fmt_date(moment)} à {moment:%H:%M} UTC"


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _nice_step(maximum: float, ticks: int = 5) -> float:
    """A round axis step (1, 2, 2.5, 5 × 10^k; integers only) giving about ``ticks`` intervals."""
    if maximum <= ticks:
        return 1
    raw = maximum / ticks
    power = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 2.5, 5, 10):
        step = m * power
        if raw <= step and step == int(step):
            return step
    return 10 * power


def _legend(items: Iterable[tuple[str, str]]) -> str:
    spans = "".join(f'<span style="--c:{color}">{_e(label)}</span>' for label, color in items)
    return f'<div class="legend">{spans}</div>'


# ------------------------------------------------------------------------------------------ charts


def svg_hbars(
    rows: Sequence[tuple[str, Sequence[tuple[str, int, str]]]],
    *,
    title: str,
    width: int = 1000,
    label_width: int = 260,
    bar_height: int = 20,
    gap: int = 8,
) -> str:
    """Horizontal (stacked) bars: ``rows`` = [(label, [(segment name, value, colour), …]), …]."""
    if not rows:
        return '<p class="empty">Aucune donnée sur la période.</p>'
    totals = [sum(v for _, v, _ in segs) for _, segs in rows]
    maximum = max(totals) or 1
    value_width = 70
    max_chars = max(8, int((label_width - 14) / 7.4))  # ~7.4 px per character at 13 px
    plot = width - label_width - value_width
    height = len(rows) * (bar_height + gap) + gap
    out = [
        f'<svg viewBox="0 0 {width} {height}" role="img" aria-label="{_e(title)}" '
        f'font-family="system-ui, Segoe UI, Roboto, Arial, sans-serif" font-size="13">',
        f"<title>{_e(title)}</title>",
    ]
    for i, ((label, segs), total) in enumerate(zip(rows, totals, strict=True)):
        y = gap + i * (bar_height + gap)
        out.append(
            f'<text x="{label_width - 10}" y="{y + bar_height / 2 + 4.5:.1f}" text-anchor="end" '
            f'fill="#1d2733"><title>{_e(label)}</title>{_e(_short(label, max_chars))}</text>'
        )
        out.append(
            f'<rect x="{label_width}" y="{y}" width="{plot}" height="{bar_height}" fill="#f3f6f9" rx="2"/>'
        )
        x = float(label_width)
        for name, value, color in segs:
            if value <= 0:
                continue
            w = plot * value / maximum
            out.append(
                f'<rect x="{x:.1f}" y="{y}" width="{max(w, 0.8):.1f}" height="{bar_height}" fill="{color}">'
                f"<title>{_e(label)} — {_e(name)} : {fmt_int(value)}</title></rect>"
            )
            x += w
        out.append(
            f'<text x="{x + 6:.1f}" y="{y + bar_height / 2 + 4.5:.1f}" fill="#33414f" font-weight="600">'
            f"{fmt_int(total)}</text>"
        )
    out.append("</svg>")
    return "".join(out)


def _week_chart_start(
    title: str,
    width: int,
    height: int,
    left: int,
    right: int,
    top: int,
    plot_h: int,
    step: float,
    ymax: float,
) -> list[str]:
    """The opening of a chart over weeks: the SVG element, its title and the horizontal grid with values."""
    out = [
        f'<svg viewBox="0 0 {width} {height}" role="img" aria-label="{_e(title)}" '
        f'font-family="system-ui, Segoe UI, Roboto, Arial, sans-serif" font-size="12">',
        f"<title>{_e(title)}</title>",
    ]
    tick = 0.0
    while tick <= ymax + 1e-9:
        y = top + plot_h - plot_h * tick / ymax
        out.append(f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" stroke="#e3e8ee"/>')
        out.append(
            f'<text x="{left - 8}" y="{y + 4:.1f}" text-anchor="end" fill="#5b6775">'
            f"{fmt_int(int(tick))}</text>"
        )
        tick += step
    return out


def week_name(week: str) -> str:
    """ISO week ``2026-W48`` as the report writes it: « S48 2026 »."""
    year, _, number = week.partition("-W")
    return f"S{number} {year}" if number else week


def _week_label(x: float, baseline: float, week: str, monday: date) -> str:
    """« S48 » and the week's Monday under the x axis."""
    number = week.split("-W")[-1]
    return (
        f'<text x="{x:.1f}" y="{baseline + 17}" text-anchor="middle" fill="#33414f">S{_e(number)}</text>'
        f'<text x="{x:.1f}" y="{baseline + 32}" text-anchor="middle" fill="#8a96a3" '
        f'font-size="10.5">{_e(fmt_date(monday, short=True))}</text>'
    )


def svg_week_bars(
    weeks: Sequence[tuple[str, date, Sequence[tuple[str, int, str]]]],
    *,
    title: str,
    width: int = 1000,
    height: int = 300,
) -> str:
    """Vertical stacked bars, one per ISO week: [(week, monday, [(segment, value, colour), …]), …]."""
    if not weeks:
        return '<p class="empty">Aucune semaine dans la période.</p>'
    left, right, top, bottom = 56, 12, 14, 46
    plot_w, plot_h = width - left - right, height - top - bottom
    totals = [sum(v for _, v, _ in segs) for _, _, segs in weeks]
    step = _nice_step(max(totals) or 1)
    ymax = max(step, math.ceil((max(totals) or 1) / step) * step)
    out = _week_chart_start(title, width, height, left, right, top, plot_h, step, ymax)
    slot = plot_w / len(weeks)
    bar_w = min(48.0, slot * 0.7)
    for i, ((week, monday, segs), total) in enumerate(zip(weeks, totals, strict=True)):
        cx = left + slot * (i + 0.5)
        y = top + plot_h
        for name, value, color in segs:
            if value <= 0:
                continue
            h = plot_h * value / ymax
            y -= h
            out.append(
                f'<rect x="{cx - bar_w / 2:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{h:.1f}" '
                f'fill="{color}"><title>{_e(week_name(week))} — {_e(name)} : {fmt_int(value)}</title></rect>'
            )
        if total:
            out.append(
                f'<text x="{cx:.1f}" y="{y - 5:.1f}" text-anchor="middle" fill="#33414f" font-size="11">'
                f"{fmt_int(total)}</text>"
            )
        out.append(_week_label(cx, top + plot_h, week, monday))
    out.append(
        f'<line x1="{left}" x2="{width - right}" y1="{top + plot_h}" y2="{top + plot_h}" stroke="#9aa7b4"/>'
    )
    out.append("</svg>")
    return "".join(out)


def svg_lines(
    weeks: Sequence[tuple[str, date]],
    series: Sequence[tuple[str, str, Sequence[int]]],
    *,
    title: str,
    width: int = 1000,
    height: int = 260,
) -> str:
    """Lines over ISO weeks: ``series`` = [(name, colour, values per week), …]."""
    if not weeks or not series:
        return '<p class="empty">Aucune donnée sur la période.</p>'
    left, right, top, bottom = 56, 16, 14, 46
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = max((max(values) for _, _, values in series if values), default=0)
    step = _nice_step(peak or 1)
    ymax = max(step, math.ceil((peak or 1) / step) * step)
    out = _week_chart_start(title, width, height, left, right, top, plot_h, step, ymax)
    n = len(weeks)

    def x_at(i: int) -> float:
        return left + (plot_w * (i + 0.5) / n)

    for i, (week, monday) in enumerate(weeks):
        out.append(_week_label(x_at(i), top + plot_h, week, monday))
    for name, color, values in series:
        points = [(x_at(i), top + plot_h - plot_h * v / ymax) for i, v in enumerate(values)]
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
        out.append(f'<polyline points="{path}" fill="none" stroke="{color}" stroke-width="2.5"/>')
        for (x, y), v, (week, _) in zip(points, values, weeks, strict=True):
            out.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{color}">'
                f"<title>{_e(week_name(week))} — {_e(name)} : {fmt_int(v)}</title></circle>"
            )
    out.append(
        f'<line x1="{left}" x2="{width - right}" y1="{top + plot_h}" y2="{top + plot_h}" stroke="#9aa7b4"/>'
    )
    out.append("</svg>")
    return "".join(out)


# ---------------------------------------------------------------------------------------- sections


def _table(headers: Sequence[tuple[str, bool]], rows: Iterable[Sequence[str]], empty: str) -> str:
    """``headers`` = [(title, numeric?)]; cells are already-escaped HTML."""
    body = []
    for row in rows:
        cells = "".join(
            f'<td class="n">{cell}</td>' if numeric else f"<td>{cell}</td>"
            for cell, (_, numeric) in zip(row, headers, strict=True)
        )
        body.append(f"<tr>{cells}</tr>")
    if not body:
        return f'<p class="empty">{_e(empty)}</p>'
    head = "".join(f'<th class="n">{_e(h)}</th>' if n else f"<th>{_e(h)}</th>" for h, n in headers)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _decision_segments(by_decision: dict[str, int]) -> list[tuple[str, int, str]]:
    keys = [d for d in DECISIONS if by_decision.get(d)] + [k for k in by_decision if k not in DECISIONS]
    return [(DECISION_LABELS.get(k, k), by_decision[k], DECISION_COLORS.get(k, OTHER_COLOR)) for k in keys]


def _decision_legend(report: Report) -> str:
    present = [d for d in DECISIONS if report.decision_count.get(d)]
    return _legend((DECISION_LABELS[d], DECISION_COLORS[d]) for d in present or DECISIONS[:3])


def _status_tag(status: str) -> str:
    if not status:
        return '<span class="tag">hors catalogue</span>'
    cls = {"forbidden": "bad", "approved": "ok", "pilot": "warn"}.get(status, "")
    return f'<span class="tag {cls}">{_e(TOOL_STATUS_LABELS.get(status, status))}</span>'


def _section(anchor: str, title: str, lead: str, body: str) -> str:
    lead_html = f'<p class="lead">{lead}</p>' if lead else ""
    return f'<section id="{anchor}"><h2>{_e(title)}</h2>{lead_html}{body}</section>'


def _summary(report: Report) -> str:
    counts = report.decision_count
    review = report.review
    review_card = (
        '<div class="card alert"><div class="value small">En retard</div>'
        '<div class="label">révision trimestrielle prévue le '
        f"{_e(fmt_date(review.next_review))} ({fmt_int(review.days)} j de retard)</div></div>"
        if review.overdue
        else '<div class="card good"><div class="value small">'
        f"{_e(fmt_date(review.next_review, short=True))} {review.next_review.year}</div>"
        '<div class="label">prochaine révision trimestrielle '
        f"(dans {fmt_int(review.days)} j)</div></div>"
    )
    tests = report.rule_tests
    if not tests.ran:
        tests_card = (
            '<div class="card"><div class="value">–</div>'
            '<div class="label">tests de règles non exécutés</div></div>'
        )
    elif tests.error or tests.failed:
        shown = "erreur" if tests.error else fmt_int(tests.failed)
        tests_card = (
            f'<div class="card alert"><div class="value">{shown}</div><div class="label">tests de règles '
            f"en échec</div></div>"
        )
    else:
        tests_card = (
            f'<div class="card good"><div class="value">{fmt_int(tests.total)}/{fmt_int(tests.total)}</div>'
            '<div class="label">tests de règles réussis</div></div>'
        )
    people = (
        (fmt_int(report.people), plural(report.people, "personne concernée"))
        if report.people_counted
        else ("–", "personnes non comptées : aucun utilisateur identifié (proxy sans authentification)")
    )

    def decided(decision: str, words: str) -> tuple[str, str]:
        n = counts.get(decision, 0)
        return fmt_int(n), f"{plural(n, words)} ({fmt_pct(n, report.total)})"

    cards = [
        (fmt_int(report.total), plural(report.total, "incident sur la période", "incidents sur la période")),
        people,
        decided("blocked", "requête bloquée"),
        decided("redacted", "requête masquée"),
        decided("pseudonymized", "requête pseudonymisée"),
        (
            fmt_int(report.shadow.total),
            plural(report.shadow.total, "connexion à une IA", "connexions à des IA")
            + " non autorisée"
            + ("s" if report.shadow.total > 1 else "")
            + " (IA fantôme)",
        ),
    ]
    html = "".join(
        f'<div class="card"><div class="value">{v}</div><div class="label">{_e(label)}</div></div>'
        for v, label in cards
    )
    note = ""
    integrity = report.integrity
    if integrity.checked and integrity.ok is False:
        note += (
            '<p class="note"><span class="tag bad">registre modifié</span> La vérification du chaînage des '
            f"incidents a échoué : {_e(integrity.problem)}</p>"
        )
    elif integrity.checked:
        note += (
            '<p class="note"><span class="tag ok">registre intègre</span> Chaînage des incidents vérifié '
            f"({counted(integrity.records, 'enregistrement')}).</p>"
        )
    if report.unidentified:
        note += (
            f'<p class="note">{fmt_int(report.unidentified)} '
            f"{plural(report.unidentified, 'incident', 'incidents')} sans utilisateur identifié "
            "(proxy sans authentification pour ces postes) : « – » dans les colonnes Personnes quand "
            "aucun incident de la ligne ne nomme quelqu'un.</p>"
        )
    return f'<div class="cards">{html}{review_card}{tests_card}</div>{note}'


def _suggestions(report: Report) -> str:
    if not report.suggestions:
        return '<p class="empty">Aucune action particulière ne ressort des chiffres de la période.</p>'
    items = "".join(
        f'<li class="p{s.priority}"><span class="tag{" bad" if s.priority == 1 else ""}">'
        f"{_e(PRIORITY_LABELS.get(s.priority, ''))}</span>{_e(s.text)}</li>"
        for s in report.suggestions
    )
    return f'<ol class="suggestions">{items}</ol>'


def _weeks(report: Report) -> str:
    chart = svg_week_bars(
        [(w.week, w.monday, _decision_segments(w.by_decision)) for w in report.weeks],
        title="Incidents par semaine et par décision",
    )
    peak = max(report.weeks, key=lambda w: w.total, default=None)
    caption = (
        f"Semaine la plus chargée : S{_e(peak.week.partition('-W')[2])} (du {_e(fmt_date(peak.monday))}), "
        f"{counted(peak.total, 'incident')}."
        if peak and peak.total
        else "Aucun incident sur la période."
    )
    return f"{_decision_legend(report)}<figure>{chart}<figcaption>{caption}</figcaption></figure>"


def _tools(report: Report) -> str:
    rows = report.tools[:15]
    chart = svg_hbars(
        [(r.name, _decision_segments(r.by_decision)) for r in rows],
        title="Incidents par outil et par décision",
    )
    table = _table(
        [("Outil", False), ("Statut", False), ("Incidents", True), ("Part", True), ("Personnes", True)]
        + [(DECISION_LABELS[d], True) for d in DECISIONS[:3]],
        (
            [
                _e(r.name),
                _status_tag(r.status)
                + ("" if r.listed or not r.status else ' <span class="tag">non listé</span>'),
                fmt_int(r.total),
                fmt_pct(r.total, report.total),
                _people_cell(r.people, r.total),
                *(fmt_int(r.by_decision.get(d, 0)) for d in DECISIONS[:3]),
            ]
            for r in report.tools
        ),
        "Aucun incident sur la période.",
    )
    return f"{_decision_legend(report)}<figure>{chart}</figure>{table}"


def _entities(report: Report) -> str:
    chart = svg_hbars(
        [(f"{r.label}", [("incidents", r.incidents, BAR_COLOR)]) for r in report.entities[:15]],
        title="Incidents par type de donnée détectée",
    )
    table = _table(
        [
            ("Type de donnée", False),
            ("Code", False),
            ("Incidents", True),
            ("Valeurs", True),
            ("Outils les plus concernés", False),
        ],
        (
            [
                _e(r.label),
                f'<span class="mono">{_e(r.entity_type)}</span>',
                fmt_int(r.incidents),
                fmt_int(r.occurrences),
                _e(", ".join(f"{t} ({fmt_int(n)})" for t, n in list(r.by_tool.items())[:3])),
            ]
            for r in report.entities
        ),
        "Aucune donnée personnelle détectée sur la période.",
    )
    return (
        "<figure>"
        + chart
        + "<figcaption>Nombre d'incidents où au moins une valeur de ce type a été détectée "
        "(une requête peut en contenir plusieurs types).</figcaption></figure>" + table
    )


def _groups_and_decisions(report: Report) -> str:
    groups_chart = svg_hbars(
        [(r.key, [("incidents", r.count, BAR_COLOR)]) for r in report.groups[:12]],
        title="Incidents par groupe",
        width=520,
        label_width=160,
    )
    decisions_chart = svg_hbars(
        [
            (r.label, [(r.label, r.count, DECISION_COLORS.get(r.key, OTHER_COLOR))])
            for r in report.by_decision
        ],
        title="Incidents par décision",
        width=520,
        label_width=160,
    )
    codes = _table(
        [("Motif", False), ("Incidents", True), ("Part", True)],
        (
            [
                _e(r.label),
                fmt_int(r.count),
                fmt_pct(r.count, report.total),
            ]
            for r in report.codes
        ),
        "Aucun incident.",
    )
    groups = _table(
        [("Groupe", False), ("Incidents", True), ("Personnes", True)],
        ([_e(r.key), fmt_int(r.count), _people_cell(r.people, r.count)] for r in report.groups),
        "Aucun incident.",
    )
    return (
        '<div class="grid2"><div><h3>Par groupe</h3><figure>'
        + groups_chart
        + "<figcaption>Un incident compte pour chacun des groupes de la personne.</figcaption></figure>"
        + groups
        + "</div><div><h3>Par décision</h3><figure>"
        + decisions_chart
        + "</figure><h3>Par motif</h3>"
        + codes
        + "</div></div>"
    )


def _attempts(report: Report) -> str:
    if not report.attempts:
        return '<p class="empty">Aucune tentative d\'utiliser un outil interdit ou réservé au pilote.</p>'
    if report.people_counted:
        chart = svg_hbars(
            [(r.name, [("personnes", r.people, "#c0392b")]) for r in report.attempts[:10]],
            title="Personnes ayant tenté un outil non autorisé",
        )
        caption = (
            "Nombre de personnes distinctes bloquées sur chaque outil (outil interdit, ou en test "
            "pilote hors du groupe pilote)."
        )
    else:
        chart = svg_hbars(
            [(r.name, [("tentatives", r.attempts, "#c0392b")]) for r in report.attempts[:10]],
            title="Tentatives d'utiliser un outil non autorisé",
        )
        caption = NO_PEOPLE + " Le graphique compte donc les tentatives (requêtes bloquées)."
    table = _table(
        [
            ("Outil", False),
            ("Statut", False),
            ("Tentatives", True),
            ("Personnes", True),
            ("Connexions vues", True),
            ("Groupes", False),
        ],
        (
            [
                _e(r.name),
                _status_tag(r.status) + ("" if r.listed else ' <span class="tag">non listé</span>'),
                fmt_int(r.attempts),
                _people_cell(r.people, r.attempts),
                fmt_int(r.sightings),
                _e(", ".join(r.groups[:4]) + (" …" if len(r.groups) > 4 else "")),
            ]
            for r in report.attempts
        ),
        "",
    )
    return f"<figure>{chart}<figcaption>{_e(caption)}</figcaption></figure>{table}"


def _shadow(report: Report) -> str:
    shadow = report.shadow
    if not shadow.total:
        return (
            '<p class="empty">Aucune connexion à une IA non autorisée n\'a été observée sur la période.</p>'
        )
    weeks = [(w.week, w.monday) for w in shadow.by_week]
    series = [
        (SIGHTING_LABELS[s], STATUS_COLORS[s], [w.by_status.get(s, 0) for w in shadow.by_week])
        for s in SIGHTING_STATUSES
        if any(w.by_status.get(s, 0) for w in shadow.by_week)
    ]
    chart = svg_lines(weeks, series, title="Connexions à des IA non autorisées par semaine")
    legend = _legend((name, color) for name, color, _ in series)
    status_table = _table(
        [("Catégorie", False), ("Connexions", True), ("Part", True)],
        ([_e(r.label), fmt_int(r.count), fmt_pct(r.count, shadow.total)] for r in shadow.by_status),
        "",
    )
    group_table = _table(
        [("Groupe", False), ("Connexions", True)],
        ([_e(r.key), fmt_int(r.count)] for r in shadow.by_group[:10]),
        "",
    )
    hosts_table = _table(
        [
            ("Hôte", False),
            ("Service", False),
            ("Catégorie", False),
            ("Connexions", True),
            ("Semaines", True),
            ("Groupes", False),
        ],
        (
            [
                f'<span class="mono">{_e(h.host)}</span>',
                _e(h.name if h.service_id else "–"),
                _e(SIGHTING_LABELS.get(h.status, h.status)),
                fmt_int(h.count),
                fmt_int(h.weeks),
                _e(", ".join(h.groups[:4]) + (" …" if len(h.groups) > 4 else "")),
            ]
            for h in shadow.hosts[:20]
        ),
        "",
    )
    more = (
        f'<p class="note">{fmt_int(len(shadow.hosts) - 20)} autres hôtes dans les exports CSV et JSON.</p>'
        if len(shadow.hosts) > 20
        else ""
    )
    return (
        f"{legend}<figure>{chart}<figcaption>Connexions vues par le proxy (nom d'hôte seulement, rien n'est "
        "déchiffré hors du catalogue), comptées par semaine et par groupe, jamais par personne."
        "</figcaption></figure>"
        f"<h3>Hôtes les plus contactés</h3>{hosts_table}{more}"
        f'<div class="grid2"><div><h3>Par catégorie</h3>{status_table}</div>'
        f"<div><h3>Par groupe</h3>{group_table}</div></div>"
    )


def _rules(report: Report) -> str:
    rows = report.rules[:12]
    chart = svg_hbars(
        [(r.rule_id, [("incidents", r.count, BAR_COLOR)]) for r in rows],
        title="Règles les plus déclenchées",
        label_width=330,
    )
    table = _table(
        [
            ("Règle", False),
            ("Signification", False),
            ("Incidents", True),
            ("Part", True),
            ("Types de données", False),
        ],
        (
            [
                f'<span class="mono">{_e(r.rule_id)}</span>',
                _e(r.label),
                fmt_int(r.count),
                fmt_pct(r.count, report.total),
                _e(", ".join(f"{entity_label(t)} ({fmt_int(n)})" for t, n in r.top_entities)),
            ]
            for r in report.rules[:20]
        ),
        "Aucune règle déclenchée.",
    )
    return f"<figure>{chart}</figure>{table}"


def _rule_tests(report: Report) -> str:
    tests = report.rule_tests
    if not tests.ran:
        return (
            '<p><span class="tag">non exécutés</span> Les tests de règles (rules/tests) n\'ont pas été '
            "exécutés pour ce rapport. Les lancer avec « dlp-proxy check-rules », ou produire le rapport "
            "sans l'option --no-rule-tests.</p>"
        )
    if tests.error:
        return f'<p><span class="tag bad">erreur</span> {_e(tests.error)}</p>'
    if not tests.failed:
        return (
            f'<p><span class="tag ok">réussis</span> {"Le" if tests.total < 2 else "Les"} '
            f"{counted(tests.total, 'cas', 'cas')} {'du' if tests.files < 2 else 'des'} "
            f"{counted(tests.files, 'fichier')} de tests de règles "
            f"{'passe' if tests.total < 2 else 'passent'}.</p>"
        )
    table = _table(
        [
            ("Fichier", False),
            ("Ligne", True),
            ("Type", False),
            ("Attendu", False),
            ("Texte", False),
            ("Constat", False),
        ],
        (
            [
                f'<span class="mono">{_e(f.file)}</span>',
                fmt_int(f.line),
                f'<span class="mono">{_e(f.entity)}</span>',
                "détecté" if f.expect else "non détecté",
                _e(f.text),
                _e(f.reason),
            ]
            for f in tests.failures
        ),
        "",
    )
    return (
        f'<p><span class="tag bad">{fmt_int(tests.failed)} en échec</span> sur {fmt_int(tests.total)} cas '
        f"({counted(tests.files, 'fichier')}).</p>{table}"
    )


def _people_cell(people: int, incidents: int) -> str:
    """People of a row; « – » when the row has incidents but none names a user (unknown, not zero)."""
    return "–" if incidents and not people else fmt_int(people)


NO_PEOPLE = (
    "Personnes non comptées : aucun incident de la période ne porte de nom d'utilisateur, le proxy "
    "n'authentifie pas les postes (option proxyauth, voir le guide de déploiement)."
)


def _repeat_users(report: Report) -> str:
    if not report.people_counted:
        return f'<p class="empty">{_e(NO_PEOPLE)}</p>'
    who = (
        "Noms réels affichés (option --names) : ce rapport est confidentiel."
        if report.names
        else "Les personnes sont désignées par un identifiant pseudonyme (U-…), stable d'un rapport à "
        "l'autre ; l'équipe sécurité peut produire le même rapport avec les noms (option --names)."
        if report.pseudonyms_stable
        else "Les personnes sont désignées par un identifiant pseudonyme (U-…) propre à ce rapport."
    )
    table = _table(
        [("Personne", False), ("Incidents", True), ("Semaines", True), ("Groupes", False), ("Outils", False)]
        + [(DECISION_LABELS[d], True) for d in DECISIONS[:3]],
        (
            [
                f'<span class="mono">{_e(u.label)}</span>',
                fmt_int(u.count),
                fmt_int(u.weeks),
                _e(", ".join(u.groups)),
                _e(", ".join(u.tools[:2]) + (f" +{len(u.tools) - 2}" if len(u.tools) > 2 else "")),
                *(fmt_int(u.by_decision.get(d, 0)) for d in DECISIONS[:3]),
            ]
            for u in report.repeat_users[:25]
        ),
        "Aucune personne n'a cumulé plusieurs incidents.",
    )
    more = (
        f'<p class="note">{counted(report.repeat_users_total - 25, "autre personne")} dans les exports.</p>'
        if report.repeat_users_total > 25
        else ""
    )
    return f'<p class="note">{_e(who)}</p>{table}{more}'


def _policy(report: Report) -> str:
    review = report.review
    state = (
        f'<span class="tag bad">en retard</span> La révision trimestrielle était prévue le '
        f"{_e(fmt_date(review.next_review))} ({counted(review.days, 'jour')} de retard)."
        if review.overdue
        else f'<span class="tag ok">à jour</span> Prochaine révision trimestrielle le '
        f"{_e(fmt_date(review.next_review))} (dans {counted(review.days, 'jour')})."
    )
    rows = []
    for v in report.versions:
        changes = (
            '<ul class="changes">' + "".join(f"<li>{_e(c)}</li>" for c in v.changes) + "</ul>"
            if v.changes
            else ""
        )
        flags = []
        if v.version == report.policy_version:
            flags.append('<span class="tag ok">en vigueur</span>')
        if not v.in_changelog:
            flags.append('<span class="tag bad">absente du changelog</span>')
        rows.append(
            [
                f"<strong>{_e(v.version)}</strong> {''.join(flags)}",
                _e(fmt_date(v.published)) if v.published else "–",
                fmt_int(v.incidents),
                _e(fmt_date(v.first_seen)) + " → " + _e(fmt_date(v.last_seen)) if v.first_seen else "–",
                changes or '<span class="muted">–</span>',
            ]
        )
    versions = _table(
        [
            ("Version", False),
            ("Publiée le", False),
            ("Incidents", True),
            ("Appliquée", False),
            ("Compte-rendu", False),
        ],
        rows,
        "Aucune version connue.",
    )
    referents = _table(
        [("Rôle", False), ("Nom", False), ("Contact", False)],
        (
            [_e(ROLE_LABELS.get(role, role)), _e(name), _e(contact)]
            for role, name, contact in report.referents
        ),
        "Aucun référent déclaré dans la politique.",
    )
    return (
        f"<p>{state} Dernière révision : {_e(fmt_date(review.last_review))}.</p>"
        f"<h3>Versions en vigueur sur la période</h3>{versions}"
        f"<h3>Référents IA</h3>{referents}"
    )


# ------------------------------------------------------------------------------------------ render


def render_html(report: Report) -> str:
    """The whole report as one HTML document (UTF-8 text)."""
    period = (
        f"du {fmt_date(report.start)} au {fmt_date(report.end)}"
        if report.start != report.end
        else f"le {fmt_date(report.start)}"
    )
    sections = [
        ("synthese", "Synthèse", "", _summary(report)),
        (
            "suggestions",
            "Suggestions pour les référents IA",
            "Actions proposées à partir des chiffres de la période, à discuter lors de la révision "
            "trimestrielle.",
            _suggestions(report),
        ),
        (
            "semaines",
            "Incidents par semaine",
            "Requêtes vers des outils d'IA sur lesquelles la politique a agi : bloquées, ou envoyées après "
            "masquage ou pseudonymisation des données personnelles.",
            _weeks(report),
        ),
        ("outils", "Incidents par outil", "", _tools(report)),
        ("donnees", "Données détectées", "", _entities(report)),
        ("groupes", "Groupes, décisions et motifs", "", _groups_and_decisions(report)),
        (
            "outils-tentes",
            "Outils non autorisés les plus tentés",
            "Chaque outil tenté par plusieurs personnes est un besoin : candidat à la procédure "
            "d'adoption en 4 étapes (demande formelle, validation juridique et informatique, test pilote, "
            "déploiement progressif), ou à un rappel de l'interdiction et des outils autorisés.",
            _attempts(report),
        ),
        (
            "ia-fantome",
            "IA fantôme",
            "Services d'IA contactés sans passer par les outils autorisés : outils interdits, outils du "
            "catalogue absents de la politique, et services hors catalogue.",
            _shadow(report),
        ),
        ("regles", "Règles les plus déclenchées", "", _rules(report)),
        ("tests", "Tests de règles", "", _rule_tests(report)),
        (
            "recidives",
            "Personnes concernées à plusieurs reprises",
            "Personnes ayant au moins 3 incidents sur la période"
            + (f" ({fmt_int(report.repeat_users_total)})." if report.people_counted else "."),
            _repeat_users(report),
        ),
        (
            "portail",
            "Portail IA : demandes, justifications, sanctions",
            "Demandes de validation du manager et d'adoption d'outils (procédure en 4 étapes) ouvertes et "
            "décidées sur la période, durée médiane de chaque étape ; justifications d'usage (les mots des "
            "collaborateurs, sans leur nom) ; sanctions graduées.",
            render_portal_section(report.extra.get("portal")),
        ),
        ("politique", "Politique en vigueur et révision trimestrielle", "", _policy(report)),
    ]
    toc = "".join(f'<a href="#{anchor}">{_e(title)}</a>' for anchor, title, _, _ in sections)
    body = "".join(_section(anchor, title, lead and _e(lead), html) for anchor, title, lead, html in sections)
    return (
        "<!DOCTYPE html>\n"
        '<html lang="fr"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="color-scheme" content="light">'
        f'<meta name="generator" content="{_e(report.generator)}">'
        f"<title>{_e(report.title)} — {_e(report.period_label)}</title>"
        f"<style>{_CSS}</style></head><body>"
        '<header class="cover"><div class="inner">'
        f'<p class="kicker">{_e(report.policy_title)}</p>'
        f"<h1>{_e(report.title)} — {_e(report.period_label)}</h1>"
        f'<p class="meta">Période {_e(period)} · politique en vigueur : version '
        f"{_e(report.policy_version)} · "
        f"généré le {_e(fmt_datetime(report.generated_at))} par {_e(report.generator)}</p>"
        "</div></header>"
        f'<main><nav class="toc" aria-label="Sommaire">{toc}</nav>{body}'
        "<footer>Ce rapport ne contient aucune valeur détectée dans les requêtes : seulement des types de "
        "données, des nombres, des outils, des groupes et des identifiants de règles. Les heures sont en "
        "UTC ; les semaines sont les semaines ISO (S41 = 41ᵉ semaine de l'année). "
        f"Diffusion : référents IA et équipe sécurité.</footer></main></body></html>\n"
    )

"""The quarterly report as data files: CSV (for a spreadsheet) and JSON (for tools and archives).

CSV: one "long" table, ``section;cle;sous_cle;libelle;valeur``, one figure per line, so a spreadsheet
pivot table rebuilds any chart of the HTML report. Separator ``;`` and a UTF-8 byte-order mark, which
is what a French spreadsheet expects when the file is opened with a double click.

JSON: every field of :class:`~dlp_proxy.report.model.Report` (dates as ISO 8601 text), with a
``schema`` key so readers can tell versions apart.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from dataclasses import fields
from datetime import date, datetime
from pathlib import Path
from typing import Any

from .model import DECISION_LABELS, SIGHTING_LABELS, Report

SCHEMA = "dlp-proxy-report/1"
CSV_HEADER = ("section", "cle", "sous_cle", "libelle", "valeur")


def report_rows(report: Report) -> Iterator[tuple[str, str, str, str, Any]]:
    """The CSV lines, in the order of the HTML report."""
    meta = {
        "periode": report.period_label,
        "debut": report.start.isoformat(),
        "fin": report.end.isoformat(),
        "genere_le": report.generated_at.isoformat(),
        "version_politique": report.policy_version,
        "derniere_revision": report.review.last_review.isoformat(),
        "prochaine_revision": report.review.next_review.isoformat(),
        "revision_en_retard": "oui" if report.review.overdue else "non",
        "incidents": report.total,
        "personnes": report.people,
        "incidents_sans_utilisateur": report.unidentified,
        "connexions_ia_fantome": report.shadow.total,
        "noms_reels": "oui" if report.names else "non",
        "registre_verifie": "non"
        if not report.integrity.checked
        else "intègre"
        if report.integrity.ok
        else "modifié",
    }
    for key, value in meta.items():
        yield ("synthese", key, "", "", value)
    for row in report.by_decision:
        yield ("decision", row.key, "", row.label, row.count)
    for w in report.weeks:
        yield ("semaine", w.week, "total", w.monday.isoformat(), w.total)
        for decision, n in w.by_decision.items():
            yield ("semaine", w.week, decision, DECISION_LABELS.get(decision, decision), n)
    for t in report.tools:
        yield ("outil", t.tool, "total", t.name, t.total)
        yield ("outil", t.tool, "personnes", t.name, t.people)
        for decision, n in t.by_decision.items():
            yield ("outil", t.tool, decision, t.name, n)
    for e in report.entities:
        yield ("type_donnee", e.entity_type, "incidents", e.label, e.incidents)
        yield ("type_donnee", e.entity_type, "valeurs", e.label, e.occurrences)
    for g in report.groups:
        yield ("groupe", g.key, "incidents", "", g.count)
        yield ("groupe", g.key, "personnes", "", g.people)
    for c in report.codes:
        yield ("motif", c.key, "", c.label, c.count)
    for a in report.attempts:
        yield ("outil_tente", a.tool, "tentatives", a.name, a.attempts)
        yield ("outil_tente", a.tool, "personnes", a.name, a.people)
        yield ("outil_tente", a.tool, "connexions", a.name, a.sightings)
    for h in report.shadow.hosts:
        yield ("ia_fantome_hote", h.host, h.status, h.name, h.count)
    for w in report.shadow.by_week:
        for status, n in w.by_status.items():
            yield ("ia_fantome_semaine", w.week, status, SIGHTING_LABELS.get(status, status), n)
    for g in report.shadow.by_group:
        yield ("ia_fantome_groupe", g.key, "", "", g.count)
    for r in report.rules:
        yield ("regle", r.rule_id, "", r.label, r.count)
    tests = report.rule_tests
    yield ("tests_regles", "executes", "", "", "oui" if tests.ran else "non")
    if tests.ran:
        yield ("tests_regles", "cas", "", "", tests.total)
        yield ("tests_regles", "echecs", "", tests.error or "", tests.failed)
        for f in tests.failures:
            yield ("test_regle_echec", f"{f.file}:{f.line}", f.entity, f.reason, f.text)
    for u in report.repeat_users:
        yield ("recidive", u.label, "incidents", ", ".join(u.groups), u.count)
    for v in report.versions:
        yield ("version", v.version, "incidents", v.published.isoformat() if v.published else "", v.incidents)
    for i, s in enumerate(report.suggestions, 1):
        yield ("suggestion", str(i), s.kind, s.text, s.priority)


def write_csv(report: Report, path: Path) -> None:
    """Write the report's figures as CSV (``;``, UTF-8 with BOM)."""
    with Path(path).open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh, delimiter=";", lineterminator="\r\n")
        writer.writerow(CSV_HEADER)
        for row in report_rows(report):
            writer.writerow(row)


def report_dict(report: Report) -> dict[str, Any]:
    """The report as JSON-ready data."""
    data: dict[str, Any] = {"schema": SCHEMA}
    for f in fields(report):
        data[f.name] = _plain(getattr(report, f.name))
    return data


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if hasattr(value, "__dataclass_fields__"):
        return {f.name: _plain(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def write_json(report: Report, path: Path) -> None:
    """Write the whole report as indented JSON (UTF-8)."""
    text = json.dumps(report_dict(report), ensure_ascii=False, indent=2)
    Path(path).write_text(text + "\n", encoding="utf-8")

"""The quarterly report's figures, computed from the incident store and the policy — pure data, no HTML.

:func:`build_report` reads the incidents and shadow-AI sightings of a period and returns a
:class:`Report` of plain rows (strings, numbers, dates, tuples) that the renderers
(:mod:`dlp_proxy.report.html`, :mod:`dlp_proxy.report.export`) turn into HTML, CSV and JSON, and that
tests can compare with counts of their own.

People appear as stable pseudonyms (``U-3F9A2C``: a keyed hash of the user name) unless ``names=True``:
the report is shared with the referents, the names stay with the security team.
"""

from __future__ import annotations

import os
from collections import Counter, defaultdict
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dlp_proxy import __version__

from .model import (
    ATTEMPT_CODES,
    CODE_LABELS,
    DECISION_LABELS,
    DECISIONS,
    NO_GROUP,
    NO_TOOL,
    REPEAT_MIN,
    SIGHTING_LABELS,
    SIGHTING_STATUSES,
    AttemptRow,
    CountRow,
    EntityRow,
    Integrity,
    Report,
    Review,
    RuleRow,
    RuleTestFailure,
    RuleTests,
    Shadow,
    ShadowHostRow,
    ShadowWeekRow,
    ToolRow,
    UserRow,
    VersionRow,
    WeekRow,
    _pseudonyms,
    entity_label,
    rule_label,
)
from .periods import day_end, day_start, iso_week_of, quarter_label, week_monday, weeks_between
from .suggestions import suggest

if TYPE_CHECKING:
    from dlp_proxy.policy import Policy


def _sorted_counts(counter: Counter, people: dict[str, set] | None = None, label=None) -> list[CountRow]:
    rows = [
        CountRow(
            key=key,
            label=label(key) if label else key,
            count=count,
            people=len(people.get(key, ())) if people else 0,
        )
        for key, count in counter.items()
    ]
    rows.sort(key=lambda r: (-r.count, r.key))
    return rows


def _as_date(value: date | datetime) -> date:
    if isinstance(value, datetime):
        return (value.astimezone(UTC) if value.tzinfo else value).date()
    return value


# ----------------------------------------------------------------------------------------- build


def build_report(
    store: Any,
    policy: Policy,
    since: date | datetime,
    until: date | datetime,
    *,
    names: bool = False,
    rules_dir: Path | None = None,
    rule_tests: bool = False,
    pseudonym_key: bytes | None = None,
    today: date | None = None,
    engine: Any = None,
    verify_chain: bool = True,
) -> Report:
    """Figures for the period ``since``..``until`` (dates, both inclusive, UTC days).

    ``store`` is an :class:`~dlp_proxy.incidents.IncidentStore`; ``policy`` the policy in force now.
    ``rule_tests=True`` runs the referents' rule tests (``rules_dir/tests``), which loads the NLP model
    (pass ``engine`` to reuse one); otherwise the report says they were not run. ``pseudonym_key``
    makes user pseudonyms stable from one report to the next (a random key is used without it).
    ``today`` (default: the current UTC date) decides whether the quarterly review is overdue.
    ``verify_chain`` checks the store's hash chain, so a report built on edited records says so.
    """
    from dlp_proxy.incidents import IncidentFilter

    start, end = _as_date(since), _as_date(until)
    if end < start:
        raise ValueError(f"the period ends ({end}) before it starts ({start})")
    today = today or datetime.now(UTC).date()
    incidents = store.query(IncidentFilter(since=day_start(start), until=day_end(end), order="asc"))
    incidents = [i for i in incidents if i.decision != "portal"]  # portal actions: their own section
    week_labels = weeks_between(start, end)
    sightings = store.sightings(week_labels[0], week_labels[-1])

    key = pseudonym_key if pseudonym_key else os.urandom(32)
    users = [i.user for i in incidents if i.user]
    labels = {u: u for u in set(users)} if names else _pseudonyms(key, users)

    def tool_of(incident: Any) -> str:
        return incident.tool or NO_TOOL

    def tool_name(tool: str, fallback: str | None = None) -> str:
        service = policy.catalog.get(tool) if tool != NO_TOOL else None
        return service.name if service is not None else (fallback or tool)

    # -- one pass over the incidents
    by_decision: Counter[str] = Counter()
    by_week: dict[str, Counter[str]] = {w: Counter() for w in week_labels}
    tool_total: Counter[str] = Counter()
    tool_decisions: dict[str, Counter[str]] = defaultdict(Counter)
    tool_people: dict[str, set[str]] = defaultdict(set)
    tool_fallback_names: dict[str, str] = {}
    entity_occ: Counter[str] = Counter()
    entity_inc: Counter[str] = Counter()
    entity_tool: dict[str, Counter[str]] = defaultdict(Counter)
    group_count: Counter[str] = Counter()
    group_people: dict[str, set[str]] = defaultdict(set)
    code_count: Counter[str] = Counter()
    attempt_count: Counter[str] = Counter()
    attempt_people: dict[str, set[str]] = defaultdict(set)
    attempt_groups: dict[str, Counter[str]] = defaultdict(Counter)
    rule_count: Counter[str] = Counter()
    rule_entities: dict[str, Counter[str]] = defaultdict(Counter)
    user_count: Counter[str] = Counter()
    user_groups: dict[str, set[str]] = defaultdict(set)
    user_tools: dict[str, Counter[str]] = defaultdict(Counter)
    user_decisions: dict[str, Counter[str]] = defaultdict(Counter)
    user_weeks: dict[str, set[str]] = defaultdict(set)
    version_count: Counter[str] = Counter()
    version_first: dict[str, datetime] = {}
    version_last: dict[str, datetime] = {}
    unidentified = 0

    for inc in incidents:
        when: datetime = inc.time
        week = iso_week_of(when.astimezone(UTC).date())
        decision = inc.decision
        tool = tool_of(inc)
        by_decision[decision] += 1
        by_week.setdefault(week, Counter())[decision] += 1
        tool_total[tool] += 1
        tool_decisions[tool][decision] += 1
        if inc.tool_name and tool not in tool_fallback_names:
            tool_fallback_names[tool] = inc.tool_name
        if inc.user:
            tool_people[tool].add(inc.user)
        else:
            unidentified += 1
        for etype, n in (inc.entity_counts or {}).items():
            entity_occ[etype] += int(n)
            entity_inc[etype] += 1
            entity_tool[etype][tool] += 1
        for group in inc.groups or (NO_GROUP,):
            group_count[group] += 1
            if inc.user:
                group_people[group].add(inc.user)
        code_count[inc.code or "?"] += 1
        if inc.code in ATTEMPT_CODES:
            attempt_count[tool] += 1
            if inc.user:
                attempt_people[tool].add(inc.user)
            for group in inc.groups or (NO_GROUP,):
                attempt_groups[tool][group] += 1
        for rule in inc.rule_ids or ():
            rule_count[rule] += 1
            for etype in inc.entity_counts or {}:
                rule_entities[rule][etype] += 1
        if inc.user:
            user_count[inc.user] += 1
            user_groups[inc.user].update(inc.groups or ())
            user_tools[inc.user][tool] += 1
            user_decisions[inc.user][decision] += 1
            user_weeks[inc.user].add(week)
        version = inc.policy_version or "?"
        version_count[version] += 1
        version_first.setdefault(version, when)
        version_last[version] = when

    total = len(incidents)

    def decisions_dict(counter: Counter[str]) -> dict[str, int]:
        keys = [d for d in DECISIONS if counter.get(d)] + sorted(k for k in counter if k not in DECISIONS)
        return {k: counter[k] for k in keys}

    decision_rows = [
        CountRow(d, DECISION_LABELS.get(d, d), by_decision[d])
        for d in [*DECISIONS, *sorted(k for k in by_decision if k not in DECISIONS)]
        if d in by_decision or d in ("blocked", "redacted", "pseudonymized")
    ]
    week_rows = [
        WeekRow(week=w, monday=week_monday(w), total=sum(c.values()), by_decision=decisions_dict(c))
        for w, c in sorted(by_week.items())
    ]

    def status_of(tool: str) -> tuple[str, bool]:
        if tool == NO_TOOL or policy.catalog.get(tool) is None:
            return "", False
        tp = policy.tool_policy(tool)
        return tp.status, tp.listed

    tool_rows = sorted(
        (
            ToolRow(
                tool=t,
                name=tool_name(t, tool_fallback_names.get(t)),
                status=status_of(t)[0],
                listed=status_of(t)[1],
                total=n,
                people=len(tool_people.get(t, ())),
                by_decision=decisions_dict(tool_decisions[t]),
            )
            for t, n in tool_total.items()
        ),
        key=lambda r: (-r.total, r.name),
    )
    names_by_tool = {r.tool: r.name for r in tool_rows}
    entity_rows = sorted(
        (
            EntityRow(
                entity_type=e,
                label=entity_label(e),
                occurrences=entity_occ[e],
                incidents=entity_inc[e],
                by_tool={
                    names_by_tool.get(t, t): c
                    for t, c in sorted(entity_tool[e].items(), key=lambda kv: (-kv[1], kv[0]))
                },
            )
            for e in entity_inc
        ),
        key=lambda r: (-r.incidents, r.entity_type),
    )
    group_rows = _sorted_counts(group_count, group_people)
    code_rows = _sorted_counts(code_count, label=lambda c: CODE_LABELS.get(c, c))

    # -- shadow AI (aggregated again: a store may hand back one row per recorded batch)
    shadow_by_key: Counter[tuple[str, str | None, str, str, str]] = Counter()
    for s in sightings:
        shadow_by_key[(s.week, s.host, s.service_id, s.status, s.group)] += int(s.count)
    host_count: Counter[tuple[str, str | None, str]] = Counter()
    host_groups: dict[tuple[str, str | None, str], Counter[str]] = defaultdict(Counter)
    host_weeks: dict[tuple[str, str | None, str], set[str]] = defaultdict(set)
    status_count: Counter[str] = Counter()
    shadow_group: Counter[str] = Counter()
    shadow_week: dict[str, Counter[str]] = {w: Counter() for w in week_labels}
    service_sightings: Counter[str] = Counter()
    for (week, host, service_id, status, group), n in shadow_by_key.items():
        hk = (host, service_id, status)
        host_count[hk] += n
        host_groups[hk][group] += n
        host_weeks[hk].add(week)
        status_count[status] += n
        shadow_group[group] += n
        shadow_week.setdefault(week, Counter())[status] += n
        if service_id:
            service_sightings[service_id] += n
    shadow_hosts = sorted(
        (
            ShadowHostRow(
                host=host,
                service_id=service_id,
                name=tool_name(service_id) if service_id else host,
                status=status,
                count=n,
                groups=tuple(
                    g
                    for g, _ in sorted(
                        host_groups[(host, service_id, status)].items(), key=lambda kv: (-kv[1], kv[0])
                    )
                ),
                weeks=len(host_weeks[(host, service_id, status)]),
            )
            for (host, service_id, status), n in host_count.items()
        ),
        key=lambda r: (-r.count, r.host),
    )
    shadow = Shadow(
        total=sum(status_count.values()),
        by_status=tuple(
            CountRow(s, SIGHTING_LABELS.get(s, s), status_count[s])
            for s in [*SIGHTING_STATUSES, *sorted(k for k in status_count if k not in SIGHTING_STATUSES)]
        ),
        by_group=tuple(_sorted_counts(shadow_group)),
        by_week=tuple(
            ShadowWeekRow(w, week_monday(w), {s: c[s] for s in SIGHTING_STATUSES} | dict(c))
            for w, c in sorted(shadow_week.items())
        ),
        hosts=tuple(shadow_hosts),
    )

    # -- tools someone tried without being allowed to
    attempt_rows = []
    for t, n in attempt_count.items():
        status, listed = status_of(t)
        attempt_rows.append(
            AttemptRow(
                tool=t,
                name=names_by_tool.get(t, t),
                status=status,
                listed=listed,
                attempts=n,
                people=len(attempt_people.get(t, ())),
                groups=tuple(g for g, _ in sorted(attempt_groups[t].items(), key=lambda kv: (-kv[1], kv[0]))),
                sightings=service_sightings.get(t, 0),
            )
        )
    attempt_rows.sort(key=lambda r: (-r.people, -r.attempts, r.name))

    rule_rows = [
        RuleRow(
            rule_id=r,
            label=rule_label(r, policy),
            count=n,
            share=n / total if total else 0.0,
            top_entities=tuple(sorted(rule_entities[r].items(), key=lambda kv: (-kv[1], kv[0]))[:3]),
        )
        for r, n in sorted(rule_count.items(), key=lambda kv: (-kv[1], kv[0]))
    ]

    repeat = [u for u, n in user_count.items() if n >= REPEAT_MIN]
    repeat.sort(key=lambda u: (-user_count[u], labels[u]))
    repeat_rows = [
        UserRow(
            label=labels[u],
            count=user_count[u],
            groups=tuple(sorted(user_groups[u])),
            tools=tuple(
                names_by_tool.get(t, t)
                for t, _ in sorted(user_tools[u].items(), key=lambda kv: (-kv[1], kv[0]))
            ),
            by_decision=decisions_dict(user_decisions[u]),
            weeks=len(user_weeks[u]),
        )
        for u in repeat
    ]

    versions = _versions(policy, start, end, version_count, version_first, version_last)
    days = (policy.next_review - today).days
    review = Review(
        last_review=policy.last_review,
        next_review=policy.next_review,
        overdue=policy.review_overdue(today),
        days=-days if days < 0 else days,
    )
    tests = _rule_tests(rules_dir, engine) if rule_tests else RuleTests(ran=False)
    integrity = _integrity(store) if verify_chain else Integrity(checked=False)

    qlabel = quarter_label(start, end)
    report = Report(
        title="Rapport trimestriel sur l'usage de l'IA générative",
        period_label=qlabel or f"{start.isoformat()} → {end.isoformat()}",
        start=start,
        end=end,
        generated_at=datetime.now(UTC).replace(microsecond=0),
        generator=f"dlp-proxy {__version__}",
        policy_title=policy.title,
        policy_version=policy.version,
        referents=tuple((r.role, r.name, r.contact) for r in policy.referents),
        review=review,
        names=names,
        pseudonyms_stable=bool(pseudonym_key) or names,
        total=total,
        people=len(set(users)),
        unidentified=unidentified,
        by_decision=tuple(decision_rows),
        weeks=tuple(week_rows),
        tools=tuple(tool_rows),
        entities=tuple(entity_rows),
        groups=tuple(group_rows),
        codes=tuple(code_rows),
        attempts=tuple(attempt_rows),
        shadow=shadow,
        rules=tuple(rule_rows),
        rule_tests=tests,
        repeat_users=tuple(repeat_rows),
        repeat_users_total=len(repeat_rows),
        versions=tuple(versions),
        integrity=integrity,
    )
    from dlp_proxy.portal.report import portal_figures

    extra = {**report.extra, "portal": portal_figures(store, start, end)}
    return _replace(report, suggestions=tuple(suggest(report, policy)), extra=extra)


def _replace(report: Report, **changes: Any) -> Report:
    from dataclasses import replace

    return replace(report, **changes)


def _versions(
    policy: Policy,
    start: date,
    end: date,
    counts: Counter[str],
    first: dict[str, datetime],
    last: dict[str, datetime],
) -> list[VersionRow]:
    """Versions in force over the period: from the changelog dates and from the incidents' versions."""
    changelog = sorted(policy.changelog, key=lambda e: e.date)
    in_force: set[str] = set()
    for i, entry in enumerate(changelog):
        following = changelog[i + 1].date if i + 1 < len(changelog) else None
        if entry.date <= end and (following is None or following > start):
            in_force.add(entry.version)
    if not changelog:
        in_force.add(policy.version)
    published = {e.version: e for e in changelog}
    rows: list[VersionRow] = []
    for version in sorted(in_force | set(counts), key=lambda v: (_version_key(v, published), v)):
        entry = published.get(version)
        rows.append(
            VersionRow(
                version=version,
                published=entry.date if entry else None,
                changes=tuple(entry.changes) if entry else (),
                incidents=counts.get(version, 0),
                first_seen=first.get(version),
                last_seen=last.get(version),
                in_changelog=entry is not None,
                in_force=version in in_force,
            )
        )
    return rows


def _version_key(version: str, published: dict[str, Any]) -> str:
    entry = published.get(version)
    return entry.date.isoformat() if entry else "9999"


def _integrity(store: Any) -> Integrity:
    verify = getattr(store, "verify", None)
    if verify is None:
        return Integrity(checked=False)
    result = verify()
    return Integrity(checked=True, ok=bool(result.ok), records=int(result.checked), problem=result.problem)


def _rule_tests(rules_dir: Path | None, engine: Any) -> RuleTests:
    """Run the referents' rule tests; any failure to run becomes a message, never an exception."""
    from dlp_proxy.errors import ConfigError

    if rules_dir is None:
        return RuleTests(ran=False, error="dossier des règles inconnu")
    try:
        from dlp_proxy.detect.ruletests import run_rule_tests

        if engine is None:
            from dlp_proxy.detect.engine import DetectionEngine

            engine = DetectionEngine(rules_dir)
        result = run_rule_tests(rules_dir, engine)
    except ConfigError as exc:
        return RuleTests(ran=True, error="fichiers de tests invalides : " + "; ".join(map(str, exc.problems)))
    except Exception as exc:  # noqa: BLE001 - the report must still be produced
        return RuleTests(ran=True, error=f"les tests n'ont pas pu être exécutés : {exc}")
    failures = tuple(
        RuleTestFailure(
            file=Path(f.path).name,
            line=c.line,
            entity=f.entity,
            expect=c.expect,
            text=c.text if len(c.text) <= 160 else c.text[:157] + "…",
            reason=c.reason,
        )
        for f in result.files
        for c in f.failures
    )
    return RuleTests(
        ran=True, total=result.total, failed=result.failed, files=len(result.files), failures=failures
    )

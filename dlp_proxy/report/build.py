"""The quarterly report's figures, computed from the incident store and the policy — pure data, no HTML.

:func:`build_report` reads the incidents and shadow-AI sightings of a period and returns a
:class:`Report` of plain rows (strings, numbers, dates, tuples) that the renderers
(:mod:`dlp_proxy.report.html`, :mod:`dlp_proxy.report.export`) turn into HTML, CSV and JSON, and that
tests can compare with counts of their own.

Each section of the report has its own builder below (``decision_rows``, ``tool_rows``,
``shadow_section``…): a pure function of the period's incidents (or sightings) and the policy, so a
section is tested from a handful of incidents, and :func:`build_report` only reads the store and
composes them.

People appear as stable pseudonyms (``U-3F9A2C``: a keyed hash of the user name) unless ``names=True``:
the report is shared with the referents, the names stay with the security team.
"""

from __future__ import annotations

import os
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dlp_proxy import __version__
from dlp_proxy.incidents import IncidentFilter
from dlp_proxy.portal.report import portal_figures

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
    from dlp_proxy.incidents import Incident, Sighting
    from dlp_proxy.policy import Policy

TITLE = "Rapport trimestriel sur l'usage de l'IA générative"


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
    start, end = _as_date(since), _as_date(until)
    if end < start:
        raise ValueError(f"the period ends ({end}) before it starts ({start})")
    weeks = weeks_between(start, end)
    incidents = period_incidents(store, start, end)
    sightings = store.sightings(weeks[0], weeks[-1])
    users = [i.user for i in incidents if i.user]
    labels = {u: u for u in set(users)} if names else _pseudonyms(pseudonym_key or os.urandom(32), users)
    tools = tool_rows(incidents, policy)
    tool_names = {r.tool: r.name for r in tools}
    repeat_users = repeat_user_rows(incidents, labels, tool_names)
    report = Report(
        title=TITLE,
        period_label=quarter_label(start, end) or f"{start.isoformat()} → {end.isoformat()}",
        start=start,
        end=end,
        generated_at=datetime.now(UTC).replace(microsecond=0),
        generator=f"dlp-proxy {__version__}",
        policy_title=policy.title,
        policy_version=policy.version,
        referents=tuple((r.role, r.name, r.contact) for r in policy.referents),
        review=review_section(policy, today or datetime.now(UTC).date()),
        names=names,
        pseudonyms_stable=bool(pseudonym_key) or names,
        total=len(incidents),
        people=len(set(users)),
        unidentified=len(incidents) - len(users),
        by_decision=decision_rows(incidents),
        weeks=week_rows(incidents, weeks),
        tools=tools,
        entities=entity_rows(incidents, tool_names),
        groups=group_rows(incidents),
        codes=code_rows(incidents),
        attempts=attempt_rows(incidents, policy, tool_names, sightings),
        shadow=shadow_section(sightings, policy, weeks),
        rules=rule_rows(incidents, policy),
        rule_tests=_rule_tests(rules_dir, engine) if rule_tests else RuleTests(ran=False),
        repeat_users=repeat_users,
        repeat_users_total=len(repeat_users),
        versions=version_rows(policy, start, end, incidents),
        integrity=_integrity(store) if verify_chain else Integrity(checked=False),
    )
    extra = {**report.extra, "portal": portal_figures(store, start, end)}
    return replace(report, suggestions=tuple(suggest(report, policy)), extra=extra)


def period_incidents(store: Any, start: date, end: date) -> list[Incident]:
    """The period's incidents, oldest first, without the portal's own actions: those are people acting
    on the portal (acknowledging, asking), not traffic, and have their own section (``extra.portal``)."""
    incidents = store.query(IncidentFilter(since=day_start(start), until=day_end(end), order="asc"))
    return [i for i in incidents if i.decision != "portal"]


# -------------------------------------------------------------------------------------- helpers


def _as_date(value: date | datetime) -> date:
    if isinstance(value, datetime):
        return (value.astimezone(UTC) if value.tzinfo else value).date()
    return value


def _tool_of(incident: Incident) -> str:
    return incident.tool or NO_TOOL


def _week_of(incident: Incident) -> str:
    return iso_week_of(incident.time.astimezone(UTC).date())


def _ranked(counter: Counter[str]) -> list[tuple[str, int]]:
    """Most frequent first, ties by key: the order of every "top" list of the report."""
    return sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))


def _sorted_counts(
    counter: Counter[str],
    people: dict[str, set[str]] | None = None,
    label: Callable[[str], str] | None = None,
) -> list[CountRow]:
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


def _decisions_dict(counter: Counter[str]) -> dict[str, int]:
    """Decisions in the report's order (blocked, redacted…), then any other, alphabetically."""
    keys = [d for d in DECISIONS if counter.get(d)] + sorted(k for k in counter if k not in DECISIONS)
    return {k: counter[k] for k in keys}


def _catalog_name(policy: Policy, tool: str, fallback: str | None = None) -> str:
    service = policy.catalog.get(tool) if tool != NO_TOOL else None
    return service.name if service is not None else (fallback or tool)


def _tool_status(policy: Policy, tool: str) -> tuple[str, bool]:
    """(status, listed in the policy) of a catalogue tool; ``("", False)`` for one outside it."""
    if tool == NO_TOOL or policy.catalog.get(tool) is None:
        return "", False
    tp = policy.tool_policy(tool)
    return tp.status, tp.listed


# ------------------------------------------------------------------------------------- sections


def decision_rows(incidents: Iterable[Incident]) -> tuple[CountRow, ...]:
    """Incidents per decision. Blocked, redacted and pseudonymized always have a row, even at 0, so the
    headline reads the same every quarter; other decisions appear only when they happened."""
    by_decision = Counter(i.decision for i in incidents)
    return tuple(
        CountRow(d, DECISION_LABELS.get(d, d), by_decision[d])
        for d in [*DECISIONS, *sorted(k for k in by_decision if k not in DECISIONS)]
        if d in by_decision or d in ("blocked", "redacted", "pseudonymized")
    )


def week_rows(incidents: Iterable[Incident], weeks: Sequence[str]) -> tuple[WeekRow, ...]:
    """Incidents per ISO week and decision; every week of the period has a row, quiet ones at 0, so
    the weekly chart has no gaps."""
    by_week: dict[str, Counter[str]] = {w: Counter() for w in weeks}
    for inc in incidents:
        by_week.setdefault(_week_of(inc), Counter())[inc.decision] += 1
    return tuple(
        WeekRow(week=w, monday=week_monday(w), total=sum(c.values()), by_decision=_decisions_dict(c))
        for w, c in sorted(by_week.items())
    )


def tool_rows(incidents: Iterable[Incident], policy: Policy) -> tuple[ToolRow, ...]:
    """Incidents per tool with its status in the policy. A tool the catalogue no longer knows keeps
    the name its incidents recorded, so a past quarter's report still reads."""
    total: Counter[str] = Counter()
    decisions: dict[str, Counter[str]] = defaultdict(Counter)
    people: dict[str, set[str]] = defaultdict(set)
    recorded_names: dict[str, str] = {}
    for inc in incidents:
        tool = _tool_of(inc)
        total[tool] += 1
        decisions[tool][inc.decision] += 1
        if inc.tool_name and tool not in recorded_names:
            recorded_names[tool] = inc.tool_name
        if inc.user:
            people[tool].add(inc.user)
    rows = [
        ToolRow(
            tool=t,
            name=_catalog_name(policy, t, recorded_names.get(t)),
            status=_tool_status(policy, t)[0],
            listed=_tool_status(policy, t)[1],
            total=n,
            people=len(people.get(t, ())),
            by_decision=_decisions_dict(decisions[t]),
        )
        for t, n in total.items()
    ]
    return tuple(sorted(rows, key=lambda r: (-r.total, r.name)))


def entity_rows(incidents: Iterable[Incident], tool_names: dict[str, str]) -> tuple[EntityRow, ...]:
    """Per data type: values found, incidents holding one, and on which tools (by name, the tool
    rows' ``tool_names``), so the referents see which data goes where."""
    occurrences: Counter[str] = Counter()
    holding: Counter[str] = Counter()
    per_tool: dict[str, Counter[str]] = defaultdict(Counter)
    for inc in incidents:
        for etype, n in (inc.entity_counts or {}).items():
            occurrences[etype] += int(n)
            holding[etype] += 1
            per_tool[etype][_tool_of(inc)] += 1
    rows = [
        EntityRow(
            entity_type=e,
            label=entity_label(e),
            occurrences=occurrences[e],
            incidents=holding[e],
            by_tool={tool_names.get(t, t): c for t, c in _ranked(per_tool[e])},
        )
        for e in holding
    ]
    return tuple(sorted(rows, key=lambda r: (-r.incidents, r.entity_type)))


def group_rows(incidents: Iterable[Incident]) -> tuple[CountRow, ...]:
    """Incidents and people per directory group; an incident counts once in each of its user's groups,
    and under « (aucun) » when the user belongs to none (or is unknown)."""
    count: Counter[str] = Counter()
    people: dict[str, set[str]] = defaultdict(set)
    for inc in incidents:
        for group in inc.groups or (NO_GROUP,):
            count[group] += 1
            if inc.user:
                people[group].add(inc.user)
    return tuple(_sorted_counts(count, people))


def code_rows(incidents: Iterable[Incident]) -> tuple[CountRow, ...]:
    """Incidents per reason code, labelled in French (an unknown code by itself, a missing one as ?)."""
    count = Counter(inc.code or "?" for inc in incidents)
    return tuple(_sorted_counts(count, label=lambda c: CODE_LABELS.get(c, c)))


def attempt_rows(
    incidents: Iterable[Incident],
    policy: Policy,
    tool_names: dict[str, str],
    sightings: Iterable[Sighting],
) -> tuple[AttemptRow, ...]:
    """Tools someone tried without being allowed to (forbidden, or pilot outside the pilot group): the
    adoption suggestions start here. People first, since many people asking is a need, one person
    retrying is not; the shadow-AI connections to the same tool are set beside them."""
    attempts: Counter[str] = Counter()
    people: dict[str, set[str]] = defaultdict(set)
    groups: dict[str, Counter[str]] = defaultdict(Counter)
    for inc in incidents:
        if inc.code not in ATTEMPT_CODES:
            continue
        tool = _tool_of(inc)
        attempts[tool] += 1
        if inc.user:
            people[tool].add(inc.user)
        for group in inc.groups or (NO_GROUP,):
            groups[tool][group] += 1
    seen = _service_sightings(sightings)
    rows = []
    for t, n in attempts.items():
        status, listed = _tool_status(policy, t)
        rows.append(
            AttemptRow(
                tool=t,
                name=tool_names.get(t, t),
                status=status,
                listed=listed,
                attempts=n,
                people=len(people.get(t, ())),
                groups=tuple(g for g, _ in _ranked(groups[t])),
                sightings=seen.get(t, 0),
            )
        )
    rows.sort(key=lambda r: (-r.people, -r.attempts, r.name))
    return tuple(rows)


def rule_rows(incidents: Sequence[Incident], policy: Policy) -> tuple[RuleRow, ...]:
    """The rules that fired, most often first, with their share of all incidents and, for data rules,
    the three data types they acted on most (what a false positive would look like)."""
    count: Counter[str] = Counter()
    entities: dict[str, Counter[str]] = defaultdict(Counter)
    for inc in incidents:
        for rule in inc.rule_ids or ():
            count[rule] += 1
            for etype in inc.entity_counts or {}:
                entities[rule][etype] += 1
    total = len(incidents)
    return tuple(
        RuleRow(
            rule_id=r,
            label=rule_label(r, policy),
            count=n,
            share=n / total if total else 0.0,
            top_entities=tuple(_ranked(entities[r])[:3]),
        )
        for r, n in _ranked(count)
    )


def repeat_user_rows(
    incidents: Iterable[Incident], labels: dict[str, str], tool_names: dict[str, str]
) -> tuple[UserRow, ...]:
    """People with at least ``REPEAT_MIN`` incidents, under their label (pseudonym or name): a habit to
    talk about, not a one-off mistake. Identified users only."""
    count: Counter[str] = Counter()
    groups: dict[str, set[str]] = defaultdict(set)
    tools: dict[str, Counter[str]] = defaultdict(Counter)
    decisions: dict[str, Counter[str]] = defaultdict(Counter)
    weeks: dict[str, set[str]] = defaultdict(set)
    for inc in incidents:
        if not inc.user:
            continue
        count[inc.user] += 1
        groups[inc.user].update(inc.groups or ())
        tools[inc.user][_tool_of(inc)] += 1
        decisions[inc.user][inc.decision] += 1
        weeks[inc.user].add(_week_of(inc))
    repeat = [u for u, n in count.items() if n >= REPEAT_MIN]
    repeat.sort(key=lambda u: (-count[u], labels[u]))
    return tuple(
        UserRow(
            label=labels[u],
            count=count[u],
            groups=tuple(sorted(groups[u])),
            tools=tuple(tool_names.get(t, t) for t, _ in _ranked(tools[u])),
            by_decision=_decisions_dict(decisions[u]),
            weeks=len(weeks[u]),
        )
        for u in repeat
    )


def shadow_section(sightings: Iterable[Sighting], policy: Policy, weeks: Sequence[str]) -> Shadow:
    """Shadow AI: connections to AI hosts the policy does not allow or does not know, per status,
    group, week and host. Counted from CONNECTs, so tools whose traffic is never decrypted show too."""
    status_count: Counter[str] = Counter()
    group_count: Counter[str] = Counter()
    week_count: dict[str, Counter[str]] = {w: Counter() for w in weeks}
    host_count: Counter[tuple[str, str | None, str]] = Counter()
    host_groups: dict[tuple[str, str | None, str], Counter[str]] = defaultdict(Counter)
    host_weeks: dict[tuple[str, str | None, str], set[str]] = defaultdict(set)
    for (week, host, service_id, status, group), n in _aggregate_sightings(sightings).items():
        hk = (host, service_id, status)
        host_count[hk] += n
        host_groups[hk][group] += n
        host_weeks[hk].add(week)
        status_count[status] += n
        group_count[group] += n
        week_count.setdefault(week, Counter())[status] += n
    hosts = [
        ShadowHostRow(
            host=host,
            service_id=service_id,
            name=_catalog_name(policy, service_id) if service_id else host,
            status=status,
            count=n,
            groups=tuple(g for g, _ in _ranked(host_groups[(host, service_id, status)])),
            weeks=len(host_weeks[(host, service_id, status)]),
        )
        for (host, service_id, status), n in host_count.items()
    ]
    statuses = [*SIGHTING_STATUSES, *sorted(k for k in status_count if k not in SIGHTING_STATUSES)]
    return Shadow(
        total=sum(status_count.values()),
        by_status=tuple(CountRow(s, SIGHTING_LABELS.get(s, s), status_count[s]) for s in statuses),
        by_group=tuple(_sorted_counts(group_count)),
        by_week=tuple(
            ShadowWeekRow(w, week_monday(w), {s: c[s] for s in SIGHTING_STATUSES} | dict(c))
            for w, c in sorted(week_count.items())
        ),
        hosts=tuple(sorted(hosts, key=lambda r: (-r.count, r.host))),
    )


def _aggregate_sightings(sightings: Iterable[Sighting]) -> Counter[tuple[str, str, str | None, str, str]]:
    """Sightings summed per (week, host, service, status, group): a store may hand back one row per
    recorded batch."""
    total: Counter[tuple[str, str, str | None, str, str]] = Counter()
    for s in sightings:
        total[(s.week, s.host, s.service_id, s.status, s.group)] += int(s.count)
    return total


def _service_sightings(sightings: Iterable[Sighting]) -> Counter[str]:
    """Connections per catalogue service over the period (hosts outside the catalogue left out)."""
    total: Counter[str] = Counter()
    for (_, _, service_id, _, _), n in _aggregate_sightings(sightings).items():
        if service_id:
            total[service_id] += n
    return total


def review_section(policy: Policy, today: date) -> Review:
    """The quarterly policy review: when it was, when it is due, and whether it is late on ``today``."""
    days = (policy.next_review - today).days
    return Review(
        last_review=policy.last_review,
        next_review=policy.next_review,
        overdue=policy.review_overdue(today),
        days=-days if days < 0 else days,
    )


def version_rows(
    policy: Policy, start: date, end: date, incidents: Iterable[Incident]
) -> tuple[VersionRow, ...]:
    """Policy versions of the period: those in force per the changelog dates, and those the incidents
    recorded. A version applied but never published in the changelog is what the review must catch."""
    counts: Counter[str] = Counter()
    first: dict[str, datetime] = {}
    last: dict[str, datetime] = {}
    for inc in incidents:
        version = inc.policy_version or "?"
        counts[version] += 1
        first.setdefault(version, inc.time)
        last[version] = inc.time
    changelog = sorted(policy.changelog, key=lambda e: e.date)
    in_force: set[str] = set()
    for i, change in enumerate(changelog):
        following = changelog[i + 1].date if i + 1 < len(changelog) else None
        if change.date <= end and (following is None or following > start):
            in_force.add(change.version)
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
    return tuple(rows)


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

"""The quarterly report: figures checked against counts computed here, HTML checked as a file and in Chromium.

A realistic, deterministic quarter (2026-Q4: a few thousand incidents over several tools, groups,
people, data types and decisions, plus shadow-AI sightings and records just outside the quarter) is
written to a real SQLite store — and to PostgreSQL when one answers at ``$DLP_PG_DSN`` — then the
report is built from the store and every figure is compared with a count made directly on the
generated data.
"""

from __future__ import annotations

import csv
import json
import os
import random
import re
import shutil
import struct
import subprocess
import uuid
import zlib
from collections import Counter, defaultdict
from datetime import UTC, date, datetime, timedelta
from html import escape
from pathlib import Path

import pytest

from dlp_proxy.incidents import Incident, Sighting, open_store
from dlp_proxy.policy import Policy, load_policy
from dlp_proxy.report import build_report, pseudonym, render_html, write_csv, write_json
from dlp_proxy.report.cli import register as register_report
from dlp_proxy.report.model import NO_GROUP, REPEAT_MIN, Report
from dlp_proxy.report.periods import parse_quarter, weeks_between
from dlp_proxy.shadow import iso_week

RULES = Path(__file__).resolve().parent.parent / "rules"
START, END = date(2026, 10, 1), date(2026, 12, 31)
KEY = b"cle-de-test-pseudonymes"
TODAY = date(2026, 12, 20)  # the shipped policy's next review is 2027-01-05: not overdue on that day
CHROMIUM = "/usr/bin/chromium"
EVIL_GROUP = 'R&D <labo> "x"'
EVIL_TOOL_NAME = "<img src=x onerror=alert(1)>Outil & co"
EVIL_USER = "<script>alert('u')</script>"

GROUPS = ["marketing", "rh", "juridique", "finance", "commercial", "dsi", "direction"]
REDACT_TYPES = ["PERSON", "EMAIL_ADDRESS", "PHONE_NUMBER", "CLIENT_NAME", "IBAN_CODE", "FR_SIREN", "ADDRESS"]
BLOCK_TYPES = ["FR_NIR", "CREDIT_CARD", "SECRET"]


def _moment(rng: random.Random, start: date, end: date) -> datetime:
    day = start + timedelta(days=rng.randrange((end - start).days + 1))
    return datetime(
        day.year, day.month, day.day, rng.randrange(7, 20), rng.randrange(60), rng.randrange(60), tzinfo=UTC
    )


def make_quarter(seed: int = 2026) -> tuple[list[Incident], list[Sighting]]:
    """Incidents and sightings of 2026-Q4 plus a few just outside it. Deterministic."""
    rng = random.Random(seed)
    users: list[tuple[str, tuple[str, ...]]] = []
    for i in range(140):
        groups = (GROUPS[i % len(GROUPS)],)
        if i % 9 == 0:
            groups = tuple(sorted({*groups, "pilote-ia"}))
        users.append((f"user{i:03d}@example.fr", groups))
    users.append((EVIL_USER, (EVIL_GROUP,)))
    # A few heavy users, so there are repeat users of every size.
    weights = [12 if i < 6 else 3 if i < 30 else 1 for i in range(len(users))]

    def incident(when: datetime, n: int) -> Incident:
        user, groups = rng.choices(users, weights)[0]
        if rng.random() < 0.03:
            user, groups = None, ()  # a workstation without proxy authentication
        r = rng.random()
        version = "2026.3" if when.date() < date(2026, 10, 5) else "2026.4"
        base = dict(
            request_id=f"req-{n:05d}",
            user=user,
            groups=groups,
            client_ip=f"10.20.{n % 250}.{n % 200 + 1}",
            policy_version=version,
            time=when,
        )
        if r < 0.50:  # redacted on an approved API
            tool = rng.choice(["openai-api", "anthropic-api", "mistral-api"])
            types = rng.sample(REDACT_TYPES, rng.randint(1, 3))
            counts = {t: rng.randint(1, 4) for t in types}
            decision = rng.choice(["redacted", "redacted", "pseudonymized"])
            return Incident(
                **base,
                tool=tool,
                tool_name=None,
                host=f"api.{tool.split('-')[0]}.com",
                model=rng.choice(["gpt-4o", "claude-sonnet-4", "mistral-large"]),
                decision=decision,
                code=decision,
                rule_ids=("donnees:donnees-personnelles-hors-entreprise",),
                entity_counts=counts,
            )
        if r < 0.62:  # blocked: sensitive identifier
            t = rng.choice(BLOCK_TYPES)
            other = rng.choice(REDACT_TYPES)
            return Incident(
                **base,
                tool=rng.choice(["openai-api", "mistral-api"]),
                tool_name=None,
                host="api.openai.com",
                model="gpt-4o",
                decision="blocked",
                code="sensitive_data",
                rule_ids=(
                    "donnees:identifiants-sensibles-hors-entreprise",
                    "donnees:donnees-personnelles-hors-entreprise",
                ),
                entity_counts={t: 1, other: rng.randint(1, 2)},
            )
        if r < 0.75:  # forbidden tool
            tool = rng.choice(["deepseek-chat", "deepseek-chat", "deepseek-api"])
            return Incident(
                **base,
                tool=tool,
                tool_name=None,
                host="chat.deepseek.com",
                model=None,
                decision="blocked",
                code="tool_forbidden",
                rule_ids=(f"outil:{tool}:interdit",),
            )
        if r < 0.84:  # catalogue tools the policy does not list (default: forbidden)
            tool = rng.choice(["perplexity-web", "poe", "claude-web"])
            return Incident(
                **base,
                tool=tool,
                tool_name=None,
                host="www.perplexity.ai",
                model=None,
                decision="blocked",
                code="tool_forbidden",
                rule_ids=("outil:defaut:interdit",),
            )
        if r < 0.94:  # pilot tool outside the pilot group
            return Incident(
                **base,
                tool="chatgpt-web",
                tool_name=None,
                host="chatgpt.com",
                model=None,
                decision="blocked",
                code="tool_pilot_only",
                rule_ids=("outil:chatgpt-web:pilote",),
            )
        if r < 0.97:
            return Incident(
                **base,
                tool="openai-api",
                tool_name=None,
                host="api.openai.com",
                model="o1-pro",
                decision="blocked",
                code="model_forbidden",
                rule_ids=("modele:openai-api:o1-pro*",),
            )
        return Incident(  # a tool id the catalogue no longer knows, with a hostile stored name
            **base,
            tool="outil-retire",
            tool_name=EVIL_TOOL_NAME,
            host="old.example.com",
            model=None,
            decision="blocked",
            code="body_too_large",
            rule_ids=("corps:taille-max",),
        )

    incidents = [incident(_moment(rng, START, END), n) for n in range(3200)]
    # Just outside the quarter: must not be counted.
    incidents.append(incident(datetime(2026, 9, 30, 23, 59, 59, 999000, tzinfo=UTC), 90001))
    incidents.append(incident(datetime(2027, 1, 1, 0, 0, 0, tzinfo=UTC), 90002))
    # Exactly on the bounds: counted.
    incidents.append(incident(datetime(2026, 10, 1, 0, 0, 0, tzinfo=UTC), 90003))
    incidents.append(incident(datetime(2026, 12, 31, 23, 59, 59, 999000, tzinfo=UTC), 90004))
    incidents.sort(key=lambda i: i.time)

    sightings: list[Sighting] = []
    hosts = [
        ("chat.deepseek.com", "deepseek-chat", "forbidden", 30),
        ("poe.com", "poe", "unlisted", 12),
        ("www.perplexity.ai", "perplexity-web", "unlisted", 20),
        ("llm.startup-ia.example", None, "unknown_ai", 25),
        ("chatpdf.com", None, "unknown_ai", 8),
        ("gpt4all.io", None, "unknown_ai", 2),
    ]
    for _ in range(1500):
        host, sid, status, weight = rng.choices(hosts, [h[3] for h in hosts])[0]
        when = _moment(rng, START, END)
        sightings.append(Sighting(iso_week(when), host, sid, status, rng.choice([*GROUPS, NO_GROUP]), 1))
    # Weeks outside the quarter's ISO weeks: not counted.
    sightings.append(Sighting("2026-W38", "poe.com", "poe", "unlisted", "rh", 50))
    sightings.append(Sighting("2027-W02", "poe.com", "poe", "unlisted", "rh", 50))
    return incidents, sightings


DATA = make_quarter()


def in_period(i: Incident) -> bool:
    return START <= i.time.date() <= END


PERIOD = [i for i in DATA[0] if in_period(i)]
WEEKS = weeks_between(START, END)
PERIOD_SIGHTINGS = [s for s in DATA[1] if WEEKS[0] <= s.week <= WEEKS[-1]]


def fill(store) -> None:
    incidents, sightings = DATA
    for i in incidents:
        store.record(i)
    for s in sightings:
        store.record_sighting(s)
    assert store.flush(timeout=120)


@pytest.fixture(scope="module")
def policy() -> Policy:
    return load_policy(RULES)


@pytest.fixture(scope="module")
def sqlite_store(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("report-store")
    store = open_store(None, data_dir)
    fill(store)
    yield store
    store.close()


@pytest.fixture(scope="module")
def report(sqlite_store, policy) -> Report:
    return build_report(sqlite_store, policy, START, END, rules_dir=RULES, pseudonym_key=KEY, today=TODAY)


# -- figures -----------------------------------------------------------------------------------------


def test_totals_and_decisions(report: Report) -> None:
    assert len(PERIOD) == 3202
    assert report.period_label == "2026-Q4"
    assert report.total == len(PERIOD)
    assert report.decision_count == dict(Counter(i.decision for i in PERIOD))
    assert report.people == len({i.user for i in PERIOD if i.user})
    assert report.unidentified == sum(1 for i in PERIOD if not i.user)
    assert {r.key: r.count for r in report.codes} == dict(Counter(i.code for i in PERIOD))


def test_per_week(report: Report) -> None:
    expected: dict[str, Counter] = defaultdict(Counter)
    for i in PERIOD:
        expected[iso_week(i.time)][i.decision] += 1
    assert [w.week for w in report.weeks] == WEEKS
    assert WEEKS[0] == "2026-W40" and WEEKS[-1] == "2026-W53"
    for w in report.weeks:
        assert w.by_decision == {k: v for k, v in expected[w.week].items() if v}, w.week
        assert w.total == sum(expected[w.week].values())
    assert sum(w.total for w in report.weeks) == report.total


def test_per_tool(report: Report, policy: Policy) -> None:
    expected = Counter(i.tool for i in PERIOD)
    got = {r.tool: r for r in report.tools}
    assert {t: r.total for t, r in got.items()} == dict(expected)
    people = defaultdict(set)
    for i in PERIOD:
        if i.user:
            people[i.tool].add(i.user)
    assert {t: r.people for t, r in got.items()} == {t: len(people[t]) for t in expected}
    assert got["openai-api"].name == policy.catalog.get("openai-api").name
    assert got["deepseek-chat"].status == "forbidden"
    assert got["outil-retire"].name == EVIL_TOOL_NAME  # unknown to the catalogue: the stored name
    totals = [r.total for r in report.tools]
    assert totals == sorted(totals, reverse=True)


def test_per_entity_type(report: Report) -> None:
    incidents, occurrences = Counter(), Counter()
    for i in PERIOD:
        for t, n in i.entity_counts.items():
            incidents[t] += 1
            occurrences[t] += n
    assert {e.entity_type: e.incidents for e in report.entities} == dict(incidents)
    assert {e.entity_type: e.occurrences for e in report.entities} == dict(occurrences)
    nir = next(e for e in report.entities if e.entity_type == "FR_NIR")
    assert nir.label == "numéro de sécurité sociale"


def test_per_group(report: Report) -> None:
    expected = Counter(g for i in PERIOD for g in (i.groups or (NO_GROUP,)))
    assert {g.key: g.count for g in report.groups} == dict(expected)


def test_forbidden_tools_attempted(report: Report) -> None:
    attempts, people = Counter(), defaultdict(set)
    for i in PERIOD:
        if i.code in ("tool_forbidden", "tool_pilot_only"):
            attempts[i.tool] += 1
            if i.user:
                people[i.tool].add(i.user)
    got = {a.tool: a for a in report.attempts}
    assert {t: a.attempts for t, a in got.items()} == dict(attempts)
    assert {t: a.people for t, a in got.items()} == {t: len(p) for t, p in people.items()}
    assert got["chatgpt-web"].status == "pilot" and got["chatgpt-web"].listed
    assert got["poe"].listed is False and got["deepseek-chat"].listed is True
    seen = Counter()
    for s in PERIOD_SIGHTINGS:
        if s.service_id:
            seen[s.service_id] += s.count
    assert got["deepseek-chat"].sightings == seen["deepseek-chat"]


def test_shadow_ai(report: Report) -> None:
    shadow = report.shadow
    assert shadow.total == sum(s.count for s in PERIOD_SIGHTINGS)
    by_host = Counter()
    for s in PERIOD_SIGHTINGS:
        by_host[(s.host, s.status)] += s.count
    assert {(h.host, h.status): h.count for h in shadow.hosts} == dict(by_host)
    assert {r.key: r.count for r in shadow.by_status} == dict(
        Counter({s.status: 0 for s in PERIOD_SIGHTINGS})
        + Counter(
            {
                st: sum(s.count for s in PERIOD_SIGHTINGS if s.status == st)
                for st in ("forbidden", "unlisted", "unknown_ai")
            }
        )
    )
    by_group = Counter()
    for s in PERIOD_SIGHTINGS:
        by_group[s.group] += s.count
    assert {r.key: r.count for r in shadow.by_group} == dict(by_group)
    per_week = Counter()
    for s in PERIOD_SIGHTINGS:
        per_week[s.week] += s.count
    assert {w.week: w.total for w in shadow.by_week} == {w: per_week.get(w, 0) for w in WEEKS}


def test_rules_fired_most(report: Report) -> None:
    expected = Counter(r for i in PERIOD for r in i.rule_ids)
    assert {r.rule_id: r.count for r in report.rules} == dict(expected)
    assert report.rules[0].rule_id == expected.most_common(1)[0][0]
    assert report.rules[0].share == pytest.approx(expected.most_common(1)[0][1] / len(PERIOD))
    labels = {r.rule_id: r.label for r in report.rules}
    assert "DeepSeek" in labels["outil:deepseek-chat:interdit"]
    assert labels["corps:taille-max"] == "taille maximale de requête"


def test_repeat_users_are_pseudonymous(report: Report) -> None:
    counts = Counter(i.user for i in PERIOD if i.user)
    repeat = {u: n for u, n in counts.items() if n >= REPEAT_MIN}
    assert report.repeat_users_total == len(repeat)
    assert {u.label: u.count for u in report.repeat_users} == {
        pseudonym(KEY, u): n for u, n in repeat.items()
    }
    assert all(re.fullmatch(r"U-[0-9A-F]{6,}", u.label) for u in report.repeat_users)
    assert report.pseudonyms_stable
    text = json.dumps([u.label for u in report.repeat_users])
    assert "example.fr" not in text


def test_names_option(sqlite_store, policy: Policy) -> None:
    named = build_report(sqlite_store, policy, START, END, names=True, rules_dir=RULES, today=TODAY)
    counts = Counter(i.user for i in PERIOD if i.user)
    assert {u.label: u.count for u in named.repeat_users} == {
        u: n for u, n in counts.items() if n >= REPEAT_MIN
    }
    assert "user000@example.fr" in render_html(named)


def test_pseudonyms_are_stable_and_keyed() -> None:
    assert pseudonym(KEY, "Alice@Example.fr") == pseudonym(KEY, "alice@example.fr")
    assert pseudonym(KEY, "alice@example.fr") != pseudonym(b"autre-cle", "alice@example.fr")


def test_versions_and_review(report: Report, policy: Policy) -> None:
    versions = {v.version: v for v in report.versions}
    expected = Counter(i.policy_version for i in PERIOD)
    assert {v: r.incidents for v, r in versions.items() if r.incidents} == dict(expected)
    assert versions["2026.3"].in_force and versions["2026.4"].in_force  # 2026.4 published on 5 October
    assert versions["2026.4"].published == date(2026, 10, 5)
    assert versions["2026.4"].changes
    assert report.review.next_review == policy.next_review
    assert not report.review.overdue and report.review.days == (policy.next_review - TODAY).days
    late = build_report(
        _EmptyStore(), policy, START, END, rules_dir=RULES, today=policy.next_review + timedelta(days=12)
    )
    assert late.review.overdue and late.review.days == 12
    assert any(s.kind == "review" and "dépassée de 12 jours" in s.text for s in late.suggestions)


def test_rule_tests_not_run_by_default(report: Report) -> None:
    assert report.rule_tests.ran is False


def test_suggestions(report: Report) -> None:
    kinds = Counter(s.kind for s in report.suggestions)
    texts = "\n".join(s.text for s in report.suggestions)
    # Unlisted tools tried by many people → the 4-step adoption procedure.
    assert "procédure d'adoption en 4 étapes" in texts
    assert "validation juridique et informatique" in texts
    perplexity = next(s for s in report.suggestions if "Perplexity" in s.text and s.kind == "adoption")
    assert "personnes" in perplexity.text
    # The pilot tool asked for outside the pilot group → step 4.
    assert any("déploiement progressif" in s.text and "ChatGPT" in s.text for s in report.suggestions)
    # The personal-data rule fires on most incidents → check false positives.
    assert any(
        s.kind == "rule"
        and "donnees:donnees-personnelles-hors-entreprise" in s.text
        and "faux positifs" in s.text
        for s in report.suggestions
    )
    # An unknown AI host seen often → catalogue it.
    assert any(s.kind == "shadow" and "llm.startup-ia.example" in s.text for s in report.suggestions)
    assert kinds["training"] >= 1 and "Former les équipes" in texts
    assert kinds["repeat"] == 1
    assert "review" not in kinds or "préparer" in texts  # 16 days before the review: prepare it
    assert [s.priority for s in report.suggestions] == sorted(s.priority for s in report.suggestions)


def test_rule_tests_failing_become_a_suggestion(sqlite_store, policy: Policy) -> None:
    from dlp_proxy.detect.ruletests import CaseResult, FileResult, RuleTestReport

    class FakeEngine:
        pass

    failing = RuleTestReport(
        files=(
            FileResult(
                Path("fr_nir.yaml"),
                "FR_NIR",
                0.5,
                (CaseResult(0, 7, "NIR 1 85 05 78 006 084 36", True, False, "nothing found"),),
            ),
        )
    )
    import dlp_proxy.detect.ruletests as ruletests

    original = ruletests.run_rule_tests
    ruletests.run_rule_tests = lambda rules_dir, engine: failing
    try:
        got = build_report(
            sqlite_store,
            policy,
            START,
            END,
            rules_dir=RULES,
            rule_tests=True,
            engine=FakeEngine(),
            today=TODAY,
        )
    finally:
        ruletests.run_rule_tests = original
    assert got.rule_tests.ran and got.rule_tests.failed == 1
    assert got.rule_tests.failures[0].file == "fr_nir.yaml" and got.rule_tests.failures[0].line == 7
    assert got.suggestions[0].kind == "rule_tests" and "check-rules" in got.suggestions[0].text
    assert "fr_nir.yaml" in render_html(got)


class _EmptyStore:
    def query(self, filters):
        return []

    def sightings(self, since_week=None, until_week=None):
        return []


def test_empty_period(policy: Policy) -> None:
    empty = build_report(_EmptyStore(), policy, START, END, rules_dir=RULES, today=TODAY)
    assert empty.total == 0 and empty.tools == () and empty.shadow.total == 0
    assert len(empty.weeks) == len(WEEKS) and all(w.total == 0 for w in empty.weeks)
    html = render_html(empty)
    assert "Aucun incident sur la période" in html


def test_period_must_be_ordered(policy: Policy) -> None:
    with pytest.raises(ValueError):
        build_report(_EmptyStore(), policy, END, START, rules_dir=RULES)


# -- renderings -----------------------------------------------------------------------------------


def test_html_is_self_contained_french_and_escaped(report: Report) -> None:
    html = render_html(report)
    assert html.startswith("<!DOCTYPE html>")
    assert '<html lang="fr">' in html
    assert "<script" not in html.lower()
    # No resource fetched from anywhere: no external URL at all, no src/href/url()/@import to one.
    assert not re.search(r"https?://", html)
    tags, links = _tags_and_links(html)
    assert not tags & {"script", "link", "img", "iframe", "object", "embed", "image", "use", "audio", "video"}
    assert links and all(link.startswith("#") for link in links), links  # only the table of contents
    assert "@import" not in html and "url(" not in html
    for words in (
        "Rapport trimestriel",
        "Incidents par semaine",
        "IA fantôme",
        "Suggestions pour les référents IA",
        "révision trimestrielle",
        "procédure d'adoption en 4 étapes",
        "Tests de règles",
        "non exécutés",
    ):
        assert escape(words, quote=True) in html, words
    assert "@media print" in html and html.count("<svg") >= 6
    # Hostile values from the store are escaped.
    assert "<img" not in html and "&lt;img src=x onerror=alert(1)&gt;Outil &amp; co" in html
    assert "R&amp;D &lt;labo&gt; &quot;x&quot;" in html
    assert "<labo>" not in html
    named = render_html(
        build_report(_FixedStore(PERIOD[:50]), load_policy(RULES), START, END, names=True, rules_dir=RULES)
    )
    assert "<script" not in named.lower()
    assert "&lt;script&gt;alert(&#x27;u&#x27;)&lt;/script&gt;" in named


def _tags_and_links(html: str) -> tuple[set[str], list[str]]:
    from html.parser import HTMLParser

    tags: set[str] = set()
    links: list[str] = []

    class Collect(HTMLParser):
        def handle_starttag(self, tag, attrs):
            tags.add(tag)
            links.extend(v or "" for k, v in attrs if k in ("src", "href", "xlink:href", "srcset", "action"))

    Collect().feed(html)
    return tags, links


class _FixedStore(_EmptyStore):
    def __init__(self, incidents):
        self.incidents = [_stored(i, n) for n, i in enumerate(incidents, 1)]
        evil = _stored(
            Incident(**{**PERIOD[0].content(), "user": EVIL_USER, "time": PERIOD[0].time, "groups": ()}), 999
        )
        self.incidents += [evil] * REPEAT_MIN

    def query(self, filters):
        return self.incidents


def _stored(incident: Incident, n: int):
    from dlp_proxy.incidents import StoredIncident

    data = {k: getattr(incident, k) for k in incident.__dataclass_fields__}
    return StoredIncident(**data, id=n)


def test_csv_and_json(report: Report, tmp_path: Path) -> None:
    write_csv(report, tmp_path / "r.csv")
    write_json(report, tmp_path / "r.json")
    raw = (tmp_path / "r.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # BOM: a French spreadsheet opens it as UTF-8
    rows = list(csv.reader((tmp_path / "r.csv").open(encoding="utf-8-sig"), delimiter=";"))
    assert rows[0] == ["section", "cle", "sous_cle", "libelle", "valeur"]
    summary = {r[1]: r[4] for r in rows if r[0] == "synthese"}
    assert summary["incidents"] == str(len(PERIOD))
    weeks = {r[1]: int(r[4]) for r in rows if r[0] == "semaine" and r[2] == "total"}
    assert sum(weeks.values()) == len(PERIOD)
    tools = {r[1]: int(r[4]) for r in rows if r[0] == "outil" and r[2] == "total"}
    assert tools == dict(Counter(i.tool for i in PERIOD))
    data = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    assert data["schema"] == "dlp-proxy-report/1"
    assert data["total"] == len(PERIOD) and data["start"] == "2026-10-01" and data["end"] == "2026-12-31"
    assert sum(w["total"] for w in data["weeks"]) == len(PERIOD)
    assert data["suggestions"] and data["suggestions"][0]["text"]


# -- the command ------------------------------------------------------------------------------------


def _run_cli(argv: list[str]) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="dlp-proxy")
    register_report(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return args.func(args)


def test_report_command_writes_three_files(sqlite_store, tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DLP_PROXY_REPORT_KEY", raising=False)
    data_dir = sqlite_store.path.parent
    argv = [
        "report",
        "--quarter",
        "2026-Q4",
        "--data-dir",
        str(data_dir),
        "--rules",
        str(RULES),
        "--no-rule-tests",
    ]
    assert _run_cli(argv) == 0
    for ext in ("html", "csv", "json"):
        assert (tmp_path / f"rapport-ia-2026-Q4.{ext}").stat().st_size > 1000
    key_file = data_dir / "report-pseudonym.key"
    assert key_file.stat().st_mode & 0o077 == 0
    first = json.loads((tmp_path / "rapport-ia-2026-Q4.json").read_text(encoding="utf-8"))
    assert first["total"] == len(PERIOD)
    # Same key file → same pseudonyms next time.
    assert _run_cli(argv + ["--output", str(tmp_path / "out" / "bis.html")]) == 0
    second = json.loads((tmp_path / "out" / "bis.json").read_text(encoding="utf-8"))
    assert [u["label"] for u in first["repeat_users"]] == [u["label"] for u in second["repeat_users"]]
    assert (tmp_path / "out" / "bis.csv").exists()
    capsys.readouterr()


def test_report_command_errors(tmp_path: Path, capsys) -> None:
    assert _run_cli(["report", "--quarter", "2026-Q5", "--data-dir", str(tmp_path)]) == 2
    assert "invalid quarter" in capsys.readouterr().err
    assert _run_cli(["report", "--from", "2026-10-01", "--data-dir", str(tmp_path)]) == 2
    assert "--to" in capsys.readouterr().err
    assert (
        _run_cli(["report", "--quarter", "2026-Q4", "--data-dir", str(tmp_path / "none"), "--no-rule-tests"])
        == 2
    )
    err = capsys.readouterr().err
    assert "no incident store" in err and "Traceback" not in err
    bad_rules = tmp_path / "rules"
    shutil.copytree(RULES, bad_rules)
    (bad_rules / "policy.yaml").write_text("policy: [\n", encoding="utf-8")
    assert _run_cli(["report", "--quarter", "2026-Q4", "--rules", str(bad_rules), "--no-rule-tests"]) == 2
    assert "policy.yaml" in capsys.readouterr().err


def test_parse_quarter() -> None:
    assert parse_quarter("2026-Q4") == (date(2026, 10, 1), date(2026, 12, 31))
    assert parse_quarter("2027q1") == (date(2027, 1, 1), date(2027, 3, 31))
    assert parse_quarter("2026-T2") == (date(2026, 4, 1), date(2026, 6, 30))
    for bad in ("2026-Q0", "Q4", "2026-4", ""):
        with pytest.raises(ValueError):
            parse_quarter(bad)


# -- PostgreSQL: the same report from the other backend -------------------------------------------


def test_same_report_from_postgresql(report: Report, policy: Policy, tmp_path: Path) -> None:
    import psycopg

    dsn = os.environ.get("DLP_PG_DSN", "postgresql://postgres@127.0.0.1:5432/test")
    # .ci/run starts PostgreSQL when none answers: a missing server is a failure, not a skip
    psycopg.connect(dsn, connect_timeout=3).close()
    schema = f"test_report_{uuid.uuid4().hex[:12]}"
    sep = "&" if "?" in dsn else "?"
    store = open_store(f"{dsn}{sep}schema={schema}", tmp_path)
    try:
        fill(store)
        pg = build_report(store, policy, START, END, rules_dir=RULES, pseudonym_key=KEY, today=TODAY)
    finally:
        store.close()
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    ignore = {"generated_at"}
    for name in Report.__dataclass_fields__:
        if name not in ignore:
            assert getattr(pg, name) == getattr(report, name), name


# -- rendering in a real browser ---------------------------------------------------------------------


def _png_pixels_sample(path: Path) -> tuple[int, int, set[tuple[int, ...]], float]:
    """(width, height, distinct colours of a sample, share of non-white sampled pixels) of an 8-bit PNG."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, header = 8, b"", None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        chunk = data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", chunk)
        elif kind == b"IDAT":
            idat += chunk
        pos += 12 + length
    assert header is not None
    width, height, depth, colour_type, _, _, interlace = header
    assert depth == 8 and interlace == 0 and colour_type in (2, 6), header
    bpp = 3 if colour_type == 2 else 4
    raw = zlib.decompress(idat)
    stride = width * bpp
    prev = bytearray(stride)
    colours: set[tuple[int, ...]] = set()
    non_white = sampled = 0
    offset = 0
    for y in range(height):
        ftype = raw[offset]
        line = bytearray(raw[offset + 1 : offset + 1 + stride])
        offset += 1 + stride
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if ftype == 1:
                line[i] = (line[i] + a) & 0xFF
            elif ftype == 2:
                line[i] = (line[i] + b) & 0xFF
            elif ftype == 3:
                line[i] = (line[i] + (a + b) // 2) & 0xFF
            elif ftype == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pred = a if pa <= pb and pa <= pc else b if pb <= pc else c
                line[i] = (line[i] + pred) & 0xFF
        prev = line
        if y % 7 == 0:
            for x in range(0, width, 5):
                px = tuple(line[x * bpp : x * bpp + 3])
                colours.add(px)
                sampled += 1
                if px != (255, 255, 255):
                    non_white += 1
    return width, height, colours, non_white / max(sampled, 1)


def test_report_renders_in_headless_chromium(report: Report, tmp_path: Path) -> None:
    """Fails (never skips) without Chromium: .ci/run installs it."""
    assert Path(CHROMIUM).exists(), f"{CHROMIUM} is missing: install Debian's chromium package (.ci/run does)"
    page = tmp_path / "rapport.html"
    page.write_text(render_html(report), encoding="utf-8")
    shot = tmp_path / "report.png"
    profile = tmp_path / "profile"
    cmd = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
        f"--screenshot={shot}",
        "--window-size=1280,3000",
        page.as_uri(),
    ]
    done = subprocess.run(
        cmd, capture_output=True, text=True, timeout=120, env={**os.environ, "HOME": str(tmp_path)}
    )
    assert shot.exists(), f"no screenshot (exit {done.returncode}): {done.stderr[-2000:]}"
    size = shot.stat().st_size
    assert size > 20_000, size
    width, height, colours, ink = _png_pixels_sample(shot)
    assert (width, height) == (1280, 3000)
    assert len(colours) > 20, len(colours)  # text, charts in several colours, not a blank page
    assert 0.03 < ink < 0.9, ink
    keep = os.environ.get("DLP_REPORT_SCREENSHOT")
    if keep:  # to look at it: DLP_REPORT_SCREENSHOT=/tmp/report.png pytest tests/test_report.py -k chromium
        shutil.copy(shot, keep)


# -- integrity of the store -------------------------------------------------------------------------


def test_report_checks_the_chain(report: Report, tmp_path: Path, policy: Policy) -> None:
    assert report.integrity.checked and report.integrity.ok
    assert report.integrity.records == len(DATA[0])
    assert "registre intègre" in render_html(report)

    import sqlite3

    store = open_store(None, tmp_path)
    for incident in PERIOD[:20]:
        store.record(incident)
    assert store.flush(timeout=30)
    with sqlite3.connect(tmp_path / "incidents.sqlite3") as conn:
        conn.execute("UPDATE incidents SET decision = 'redacted' WHERE seq = 7")
    try:
        tampered = build_report(store, policy, START, END, rules_dir=RULES, today=TODAY)
    finally:
        store.close()
    assert tampered.integrity.ok is False and "record 7" in tampered.integrity.problem
    assert tampered.suggestions[0].kind == "integrity"
    assert "incidents verify" in tampered.suggestions[0].text
    assert "registre modifié" in render_html(tampered)


# -- the French report is French, counts agree, unknown figures are said so ------------------------


class _ListStore(_EmptyStore):
    """Exactly these incidents (and no sightings)."""

    def __init__(self, incidents):
        self.incidents = [_stored(i, n) for n, i in enumerate(incidents, 1)]

    def query(self, filters):
        return self.incidents


def _visible_text(html: str) -> str:
    """What a reader sees or hovers (SVG <title> tooltips included): tags and CSS removed."""
    from html import unescape

    text = re.sub(r"<style.*?</style>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", text)))


def _english_labels() -> set[str]:
    """The English labels of the one entity/decision table that differ from their French ones."""
    from dlp_proxy.entities import DECISION_LABELS, ENTITY_TYPES

    labels = {e.label_en for e in ENTITY_TYPES if e.label_en != e.label_fr}
    return labels | {en for fr, en in DECISION_LABELS.values() if en != fr}


def test_french_report_holds_no_english_label_of_the_entity_decision_table(report: Report) -> None:
    text = _visible_text(render_html(report))
    assert "nom de personne" in text and "bloquée" in text  # the labels are there, in French
    found = {
        label for label in _english_labels() if re.search(rf"(?<!\w){re.escape(label)}(?!\w)", text, re.I)
    }
    assert found == set(), found
    # data rules are explained with their action in French
    assert "(action : pseudonymiser)" in text and "(action : bloquer)" in text


def test_counts_agree_in_french(policy: Policy) -> None:
    from dlp_proxy.report.words import counted, plural

    assert counted(0, "incident") == "0 incident" and counted(1, "requête bloquée") == "1 requête bloquée"
    assert counted(2, "requête bloquée") == "2 requêtes bloquées"
    assert counted(1234, "connexion") == "1\u202f234 connexions"
    assert plural(2, "requête a", "requêtes ont") == "requêtes ont"
    one = [i for i in PERIOD if i.decision == "blocked" and i.user][:1]
    text = _visible_text(render_html(build_report(_ListStore(one), policy, START, END, rules_dir=RULES)))
    assert "1 incident sur la période" in text
    assert "1 personne concernée" in text and "1 requête bloquée (100 %)" in text
    assert "0 requête masquée" in text and "1 incident." in text  # the busiest week
    assert not re.search(r"(?<![\d\u202f])[01] (requêtes|incidents|personnes|connexions|tentatives)\b", text)
    assert "(s)" not in text


def test_figures_about_people_say_why_when_no_user_is_identified(policy: Policy) -> None:
    """A proxy without proxyauth: people are unknown, not zero; charts by person say so."""
    anonymous = [Incident(**{**i.content(), "user": None, "time": i.time}) for i in PERIOD[:400]]
    got = build_report(_ListStore(anonymous), policy, START, END, rules_dir=RULES)
    assert got.total == 400 and got.people == 0 and not got.people_counted
    text = _visible_text(render_html(got))
    assert "personnes non comptées : aucun utilisateur identifié" in text
    assert (
        text.count("Personnes non comptées : aucun incident de la période ne porte de nom d'utilisateur") == 2
    )
    assert "Personnes ayant tenté un outil non autorisé" not in text  # that chart would be all zeros
    assert "Tentatives d'utiliser un outil non autorisé" in text
    assert "0 personne" not in text and "(0)" not in text
    html = render_html(got)
    people_cells = re.findall(r'<td class="n">([^<]*)</td>', html)
    assert "–" in people_cells
    # With users, the same sections count people.
    named = build_report(_ListStore(PERIOD[:400]), policy, START, END, rules_dir=RULES)
    assert named.people_counted and "Personnes ayant tenté un outil non autorisé" in render_html(named)

"""Each section builder of dlp_proxy/report/build.py, from a handful of incidents (the whole report over
a generated quarter, its renderings and the command: test_report.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from dlp_proxy.incidents import Incident, Sighting
from dlp_proxy.policy import Policy, load_policy
from dlp_proxy.report.build import (
    attempt_rows,
    code_rows,
    decision_rows,
    entity_rows,
    group_rows,
    repeat_user_rows,
    review_section,
    rule_rows,
    shadow_section,
    tool_rows,
    version_rows,
    week_rows,
)
from dlp_proxy.report.model import NO_GROUP, NO_TOOL, REPEAT_MIN
from tests.test_incidents import make

RULES = Path(__file__).resolve().parent.parent / "rules"
WEEKS = ("2026-W40", "2026-W41", "2026-W42")  # 2026-10-01 .. 2026-10-14


@pytest.fixture(scope="module")
def policy() -> Policy:
    return load_policy(RULES)


def at(day: int, hour: int = 10) -> datetime:
    return datetime(2026, 10, day, hour, tzinfo=UTC)


def inc(n: int, **over: object) -> Incident:
    return make(n, **{"time": at(1), **over})


def test_decision_rows_always_show_the_three_main_decisions() -> None:
    rows = decision_rows([inc(1), inc(2), inc(3, decision="warned"), inc(4, decision="zz-new")])
    assert [(r.key, r.count) for r in rows] == [
        ("blocked", 2),
        ("redacted", 0),
        ("pseudonymized", 0),
        ("warned", 1),
        ("zz-new", 1),
    ]
    assert [r.key for r in decision_rows([])] == ["blocked", "redacted", "pseudonymized"]


def test_week_rows_cover_every_week_of_the_period() -> None:
    incidents = [inc(1, time=at(1)), inc(2, time=at(13), decision="redacted"), inc(3, time=at(14))]
    rows = week_rows(incidents, WEEKS)
    assert [(r.week, r.monday, r.total) for r in rows] == [
        ("2026-W40", date(2026, 9, 28), 1),
        ("2026-W41", date(2026, 10, 5), 0),
        ("2026-W42", date(2026, 10, 12), 2),
    ]
    assert rows[2].by_decision == {"blocked": 1, "redacted": 1}  # the report's order of decisions


def test_tool_rows_name_status_and_people(policy: Policy) -> None:
    incidents = [
        inc(1, user="alice"),
        inc(2, user="bob"),
        inc(3, user=None),
        inc(4, tool="gone-tool", tool_name="Outil retiré"),
        inc(5, tool=None, tool_name=None),
        inc(6, tool="chatgpt-web", tool_name="stale name", decision="warned"),
    ]
    rows = {r.tool: r for r in tool_rows(incidents, policy)}
    deepseek = rows["deepseek-api"]
    assert (deepseek.name, deepseek.status, deepseek.listed) == ("DeepSeek API", "forbidden", True)
    assert (deepseek.total, deepseek.people) == (3, 2)  # the unidentified incident counts, not as a person
    assert rows["chatgpt-web"].name == "ChatGPT"  # the catalogue's name wins over the recorded one
    assert (rows["chatgpt-web"].status, rows["chatgpt-web"].by_decision) == ("pilot", {"warned": 1})
    gone = rows["gone-tool"]
    assert (gone.name, gone.status, gone.listed) == ("Outil retiré", "", False)  # as its incidents said
    assert rows[NO_TOOL].name == NO_TOOL
    assert next(iter(rows)) == "deepseek-api"  # busiest first


def test_entity_rows_count_values_and_incidents_per_tool_name() -> None:
    incidents = [
        inc(1, entity_counts={"EMAIL_ADDRESS": 3, "PERSON": 1}),
        inc(2, entity_counts={"EMAIL_ADDRESS": 1}, tool="chatgpt-web"),
        inc(3, entity_counts={"EMAIL_ADDRESS": 2}, tool="chatgpt-web"),
    ]
    rows = entity_rows(incidents, {"deepseek-api": "DeepSeek API", "chatgpt-web": "ChatGPT"})
    assert [(r.entity_type, r.occurrences, r.incidents) for r in rows] == [
        ("EMAIL_ADDRESS", 6, 3),
        ("PERSON", 1, 1),
    ]
    assert rows[0].by_tool == {"ChatGPT": 2, "DeepSeek API": 1}
    assert rows[0].label != "EMAIL_ADDRESS"  # the French label of the entity table


def test_group_rows_count_each_group_of_an_incident_and_people() -> None:
    incidents = [
        inc(1, user="alice", groups=("rh", "direction")),
        inc(2, user="bob", groups=("rh",)),
        inc(3, user=None, groups=()),
    ]
    rows = group_rows(incidents)
    assert [(r.key, r.count, r.people) for r in rows] == [("rh", 2, 2), (NO_GROUP, 1, 0), ("direction", 1, 1)]


def test_code_rows_are_labelled_in_french() -> None:
    rows = code_rows([inc(1), inc(2), inc(3, code="sensitive_data"), inc(4, code="")])
    assert [(r.key, r.label, r.count) for r in rows] == [
        ("tool_forbidden", "outil interdit", 2),
        ("?", "?", 1),
        ("sensitive_data", "données sensibles", 1),
    ]


def test_attempt_rows_only_refused_tools_people_first_with_sightings(policy: Policy) -> None:
    incidents = [
        *(inc(n, user=None, tool="perplexity-web", groups=("finance",)) for n in range(5)),
        inc(10, user="alice", groups=("rh",)),
        inc(11, user="bob", groups=("rh",)),
        inc(12, user="carol", tool="chatgpt-web", code="tool_pilot_only", groups=()),
        inc(13, user="dave", tool="mistral-api", code="sensitive_data"),  # data, not an attempt
    ]
    sightings = [
        Sighting("2026-W40", "api.deepseek.com", "deepseek-api", "forbidden", "rh", 4),
        Sighting("2026-W40", "api.deepseek.com", "deepseek-api", "forbidden", "rh", 3),  # a second batch
    ]
    names = {"deepseek-api": "DeepSeek API", "chatgpt-web": "ChatGPT", "perplexity-web": "Perplexity"}
    rows = attempt_rows(incidents, policy, names, sightings)
    assert [(r.name, r.people, r.attempts) for r in rows] == [
        ("DeepSeek API", 2, 2),
        ("ChatGPT", 1, 1),
        ("Perplexity", 0, 5),
    ]
    assert (rows[0].sightings, rows[0].groups, rows[0].status, rows[0].listed) == (
        7,
        ("rh",),
        "forbidden",
        True,
    )
    assert (rows[1].status, rows[1].groups) == ("pilot", (NO_GROUP,))
    assert (rows[2].listed, rows[2].sightings) == (False, 0)


def test_rule_rows_share_and_top_three_types(policy: Policy) -> None:
    data_rule = "donnees:donnees-personnelles-hors-entreprise"
    counts = {"PERSON": 1, "EMAIL_ADDRESS": 1, "PHONE_NUMBER": 1, "IBAN_CODE": 1}
    incidents = [
        inc(1, rule_ids=(data_rule,), entity_counts=counts),
        inc(2, rule_ids=(data_rule,), entity_counts={"PERSON": 2}),
        inc(3),
        inc(4, rule_ids=()),
    ]
    rows = rule_rows(incidents, policy)
    assert [(r.rule_id, r.count, r.share) for r in rows] == [
        (data_rule, 2, 0.5),
        ("outil:deepseek-api:interdit", 1, 0.25),
    ]
    assert rows[0].top_entities == (("PERSON", 2), ("EMAIL_ADDRESS", 1), ("IBAN_CODE", 1))
    assert "DeepSeek API" in rows[1].label
    assert rule_rows([], policy) == ()


def test_repeat_user_rows_from_the_threshold_under_their_label() -> None:
    incidents = [inc(n, user="alice", time=at(1 + 7 * (n % 2))) for n in range(REPEAT_MIN + 1)]
    incidents += [inc(100 + n, user="bob", tool="chatgpt-web") for n in range(REPEAT_MIN)]
    incidents += [inc(200 + n, user="carol") for n in range(REPEAT_MIN - 1)]
    incidents += [inc(300 + n, user=None) for n in range(10)]  # unidentified: never a "person"
    labels = {"alice": "U-AAAAAA", "bob": "U-BBBBBB", "carol": "U-CCCCCC"}
    rows = repeat_user_rows(incidents, labels, {"deepseek-api": "DeepSeek API", "chatgpt-web": "ChatGPT"})
    assert [(r.label, r.count, r.weeks) for r in rows] == [
        ("U-AAAAAA", REPEAT_MIN + 1, 2),
        ("U-BBBBBB", REPEAT_MIN, 1),
    ]
    assert rows[1].tools == ("ChatGPT",) and rows[1].groups == ("rh",)
    assert rows[1].by_decision == {"blocked": REPEAT_MIN}


def test_shadow_section_sums_batches_and_fills_weeks(policy: Policy) -> None:
    sightings = [
        Sighting("2026-W40", "llm.example", None, "unknown_ai", "rh", 2),
        Sighting("2026-W40", "llm.example", None, "unknown_ai", "rh", 3),
        Sighting("2026-W42", "llm.example", None, "unknown_ai", "dsi", 1),
        Sighting("2026-W42", "www.perplexity.ai", "perplexity-web", "unlisted", "rh", 9),
    ]
    shadow = shadow_section(sightings, policy, WEEKS)
    assert shadow.total == 15
    assert [(r.key, r.count) for r in shadow.by_status] == [
        ("forbidden", 0),
        ("unlisted", 9),
        ("unknown_ai", 6),
    ]
    assert [(r.key, r.count) for r in shadow.by_group] == [("rh", 14), ("dsi", 1)]
    assert [(w.week, w.total) for w in shadow.by_week] == [("2026-W40", 5), ("2026-W41", 0), ("2026-W42", 10)]
    assert shadow.by_week[1].by_status == {"forbidden": 0, "unlisted": 0, "unknown_ai": 0}
    perplexity, unknown = shadow.hosts
    assert (perplexity.name, perplexity.count, perplexity.weeks) == ("Perplexity", 9, 1)
    assert (unknown.name, unknown.count, unknown.weeks, unknown.groups) == (
        "llm.example",
        6,
        2,
        ("rh", "dsi"),
    )


def test_review_section_days_left_or_late(policy: Policy) -> None:
    due = policy.next_review
    soon = review_section(policy, date.fromordinal(due.toordinal() - 10))
    assert (soon.overdue, soon.days, soon.next_review) == (False, 10, due)
    late = review_section(policy, date.fromordinal(due.toordinal() + 3))
    assert (late.overdue, late.days) == (True, 3)


def test_version_rows_from_the_changelog_and_the_incidents(policy: Policy) -> None:
    # The shipped changelog: 2026.3 published 2026-07-03, 2026.4 on 2026-10-05.
    incidents = [
        inc(1, policy_version="2026.3", time=at(2)),
        inc(2, policy_version="2026.3", time=at(4)),
        inc(3, policy_version="2026.4-rc", time=at(6)),
        inc(4, policy_version="", time=at(7)),
    ]
    rows = {r.version: r for r in version_rows(policy, date(2026, 10, 1), date(2026, 10, 14), incidents)}
    assert list(rows) == ["2026.3", "2026.4", "2026.4-rc", "?"]  # by publication date, unpublished last
    old = rows["2026.3"]
    assert (old.incidents, old.first_seen, old.last_seen, old.in_force) == (2, at(2), at(4), True)
    assert rows["2026.4"].in_force and rows["2026.4"].incidents == 0 and rows["2026.4"].changes
    rc = rows["2026.4-rc"]
    assert (rc.in_changelog, rc.in_force, rc.published, rc.incidents) == (False, False, None, 1)
    july = {r.version for r in version_rows(policy, date(2026, 7, 10), date(2026, 7, 31), []) if r.in_force}
    assert july == {"2026.3"}

"""Each suggestion rule of dlp_proxy/report/suggestions.py, from a report whose figures support nothing
but what the test adds (suggestions over a whole generated quarter: test_report.py)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from pathlib import Path

import pytest

from dlp_proxy.policy import Policy, load_policy
from dlp_proxy.report import suggestions as sg
from dlp_proxy.report.model import (
    NO_GROUP,
    AttemptRow,
    EntityRow,
    Integrity,
    Report,
    Review,
    RuleRow,
    RuleTestFailure,
    RuleTests,
    Shadow,
    ShadowHostRow,
    Suggestion,
    UserRow,
    VersionRow,
)

RULES_DIR = Path(__file__).resolve().parent.parent / "rules"
START, END = date(2026, 10, 1), date(2026, 12, 31)


@pytest.fixture(scope="module")
def policy() -> Policy:
    return load_policy(RULES_DIR)


def quiet(**over: object) -> Report:
    """A quarter where nothing calls for action: review far off, a version published, no figures."""
    version = VersionRow("2026.4", date(2026, 10, 5), ("x",), 0, None, None, True, True)
    report = Report(
        title="t", period_label="2026-Q4", start=START, end=END, generated_at=datetime(2027, 1, 2),
        generator="g", policy_title="p", policy_version="2026.4", referents=(),
        review=Review(date(2026, 10, 5), date(2027, 4, 5), False, 95), names=False,
        pseudonyms_stable=True, total=0, people=0, unidentified=0, by_decision=(), weeks=(), tools=(),
        entities=(), groups=(), codes=(), attempts=(), shadow=Shadow(0, (), (), (), ()), rules=(),
        rule_tests=RuleTests(ran=False), repeat_users=(), repeat_users_total=0, versions=(version,),
        integrity=Integrity(checked=True, ok=True, records=10),
    )  # fmt: skip
    return replace(report, **over)


def attempt(name: str, status: str, listed: bool, people: int, attempts: int) -> AttemptRow:
    return AttemptRow(name.lower(), name, status, listed, attempts, people, ("rh", NO_GROUP), 0)


def host(name: str, status: str, count: int, service_id: str | None = None) -> ShadowHostRow:
    return ShadowHostRow(name, service_id, name, status, count, ("rh",), 3)


def rule(rule_id: str, count: int, share: float = 0.1) -> RuleRow:
    return RuleRow(rule_id, rule_id, count, share, (("PERSON", count),))


def only(found: list[Suggestion]) -> Suggestion:
    assert len(found) == 1, found
    return found[0]


def test_a_quiet_quarter_suggests_nothing(policy: Policy) -> None:
    assert sg.suggest(quiet(), policy) == []
    assert all(r(quiet(), policy) == [] for r in sg.RULES)


def test_suggest_runs_every_rule_most_urgent_first(policy: Policy) -> None:
    report = quiet(
        versions=(),  # nothing published: priority 3
        integrity=Integrity(checked=True, ok=False, problem="record 4 edited"),  # priority 1
        rules=(rule("detection:indisponible", sg.OPS_MIN),),  # priority 2
    )
    assert [(s.kind, s.priority) for s in sg.suggest(report, policy)] == [
        ("integrity", 1),
        ("ops", 2),
        ("changelog", 3),
    ]


def test_review_due_late_or_soon(policy: Policy) -> None:
    late = only(sg.review_due(quiet(review=Review(date(2026, 7, 1), date(2026, 12, 1), True, 12)), policy))
    assert (late.priority, "dépassée de 12 jours" in late.text, "1er décembre 2026" in late.text) == (
        1,
        True,
        True,
    )
    soon = only(sg.review_due(quiet(review=Review(date(2026, 7, 1), date(2027, 1, 5), False, 16)), policy))
    assert soon.priority == 2 and "préparer" in soon.text and "5 janvier 2027" in soon.text


def test_nothing_published_in_the_period(policy: Policy) -> None:
    before = VersionRow("2026.3", date(2026, 7, 3), (), 5, None, None, True, True)
    found = only(sg.nothing_published(quiet(versions=(before,)), policy))
    assert (found.kind, found.priority) == ("changelog", 3)


def test_unpublished_versions_that_were_applied(policy: Policy) -> None:
    ghost = VersionRow("2026.4-rc", None, (), 7, None, None, False, False)
    unused = VersionRow("2026.5-rc", None, (), 0, None, None, False, False)
    found = only(sg.unpublished_versions(quiet(versions=(*quiet().versions, ghost, unused)), policy))
    assert "« 2026.4-rc »" in found.text and "7 incidents" in found.text and found.priority == 2


def test_store_tampered(policy: Policy) -> None:
    found = only(sg.store_tampered(quiet(integrity=Integrity(True, False, 9, "record 4 edited")), policy))
    assert "record 4 edited" in found.text and found.priority == 1
    assert sg.store_tampered(quiet(integrity=Integrity(checked=False)), policy) == []


def test_rule_tests_that_cannot_run_or_fail(policy: Policy) -> None:
    broken = only(sg.rule_tests_failing(quiet(rule_tests=RuleTests(ran=True, error="YAML invalide")), policy))
    assert "YAML invalide" in broken.text
    failures = tuple(RuleTestFailure(f, 1, "FR_NIR", True, "t", "r") for f in ("b.yaml", "a.yaml", "a.yaml"))
    failing = RuleTests(ran=True, total=9, failed=3, files=2, failures=failures)
    found = only(sg.rule_tests_failing(quiet(rule_tests=failing), policy))
    assert "3 tests de règles en échec (a.yaml et b.yaml)" in found.text


def test_pilot_wanted_outside_the_pilot_group(policy: Policy) -> None:
    rows = (
        attempt("ChatGPT", "pilot", True, sg.ADOPTION_MIN_PEOPLE * 2, 40),
        attempt("Autre", "pilot", True, sg.ADOPTION_MIN_PEOPLE - 1, 40),  # too few people
        attempt("Anonyme", "pilot", True, 0, sg.ADOPTION_MIN_ATTEMPTS),  # no user known: attempts count
    )
    named, anonymous = sg.pilot_wanted(quiet(attempts=rows), policy)
    assert named.priority == 1 and "ChatGPT" in named.text and "par 6 personnes" in named.text
    assert "surtout le groupe rh" in named.text  # the unnamed group is left out
    assert (
        anonymous.priority == 2
        and "10 fois hors du groupe pilote (personnes non identifiées" in anonymous.text
    )


def test_forbidden_tried_points_to_the_approved_tools(policy: Policy) -> None:
    rows = (
        attempt("DeepSeek", "forbidden", True, sg.ADOPTION_MIN_PEOPLE, 9),
        attempt("Claude", "forbidden", False, 10, 10),  # not named by the policy: unlisted_tried's
    )
    found = only(sg.forbidden_tried(quiet(attempts=rows), policy))
    assert "Outil interdit tenté malgré tout : DeepSeek (3 personnes)" in found.text
    assert "OpenAI API, Anthropic API (Claude), Mistral AI API ou LLM interne (Ollama)" in found.text
    assert found.priority == 2


def test_unlisted_tried_calls_for_the_adoption_procedure(policy: Policy) -> None:
    rows = (
        attempt("Perplexity", "forbidden", False, 2 * sg.ADOPTION_MIN_PEOPLE, 20),
        attempt("Groq", "forbidden", False, 0, sg.ADOPTION_MIN_ATTEMPTS),
        attempt("Interne", "approved", False, 10, 10),
    )
    found = only(sg.unlisted_tried(quiet(attempts=rows), policy))
    assert found.text.startswith("Outils absents de la politique, tentés par plusieurs personnes : ")
    assert "Perplexity (6 personnes) et Groq (10 tentatives)" in found.text and found.priority == 1


def test_quiet_catalogued_tools_without_incidents(policy: Policy) -> None:
    hosts = (
        host("Le Chat", "unlisted", sg.SHADOW_MIN, "le-chat"),
        host("Perplexity", "unlisted", 50, "perplexity"),  # has attempts: the adoption rules speak
        host("Rare", "unlisted", sg.SHADOW_MIN - 1, "rare"),
    )
    report = quiet(
        shadow=Shadow(0, (), (), (), hosts), attempts=(attempt("Perplexity", "forbidden", False, 1, 1),)
    )
    found = only(sg.quiet_catalogued_tools(report, policy))
    assert "Le Chat (10 connexions)" in found.text and "Perplexity" not in found.text


def test_unknown_ai_hosts_to_catalogue(policy: Policy) -> None:
    hosts = (host("llm.example", "unknown_ai", 12), host("other.example", "unknown_ai", 1))
    found = only(sg.unknown_ai_hosts(quiet(shadow=Shadow(0, (), (), (), hosts)), policy))
    assert "llm.example (12 connexions, 3 semaines)" in found.text and "other.example" not in found.text


def test_noisy_data_rules_only(policy: Policy) -> None:
    rows = (
        rule("donnees:personnes", sg.NOISY_RULE_MIN, sg.NOISY_RULE_SHARE),
        rule("donnees:rare", sg.NOISY_RULE_MIN, sg.NOISY_RULE_SHARE / 2),
        rule("outil:deepseek-api:interdit", 500, 0.9),  # a tool rule is a decision, not a detection
    )
    found = only(sg.noisy_data_rules(quiet(rules=rows), policy))
    assert "donnees:personnes a déclenché 50 incidents (30\u202f%" in found.text
    assert "nom de personne (50)" in found.text


def test_scan_unavailable_and_bodies_too_large(policy: Policy) -> None:
    rows = (rule("detection:indisponible", sg.OPS_MIN), rule("corps:taille-max", sg.OPS_MIN + 2))
    unavailable = only(sg.scan_unavailable(quiet(rules=rows), policy))
    assert "indisponible 10 fois" in unavailable.text and unavailable.priority == 2
    large = only(sg.bodies_too_large(quiet(rules=rows), policy))
    assert large.text.startswith("12 requêtes ont dépassé") and large.priority == 3
    few = (rule("detection:indisponible", sg.OPS_MIN - 1), rule("corps:taille-max", sg.OPS_MIN - 1))
    assert (
        sg.scan_unavailable(quiet(rules=few), policy) == sg.bodies_too_large(quiet(rules=few), policy) == []
    )


def test_training_for_the_busiest_tools(policy: Policy) -> None:
    n = sg.TRAINING_MIN
    entities = (
        EntityRow(
            "PERSON", "nom de personne", 0, 0, {"ChatGPT": n, "Claude": n + 5, "Groq": n, "Rare": n - 1}
        ),
        EntityRow("EMAIL_ADDRESS", "adresse e-mail", 0, 0, {"ChatGPT": n + 1}),
    )
    found = sg.training_needed(quiet(entities=entities), policy)
    assert len(found) == sg.TRAINING_MAX_SUGGESTIONS
    assert "dans ChatGPT : adresse e-mail (31 requêtes) et nom de personne (30 requêtes)" in found[0].text
    assert "dans Claude" in found[1].text


def test_repeat_offenders(policy: Policy) -> None:
    users = tuple(UserRow(f"U-{i}", c, (), (), {}, 1) for i, c in enumerate((sg.REPEAT_ALERT, 25, 3)))
    found = only(sg.repeat_offenders(quiet(repeat_users=users), policy))
    assert found.text.startswith("2 personnes cumulent au moins 20 incidents") and "U-0 et U-1" in found.text

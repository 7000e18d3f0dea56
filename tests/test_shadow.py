"""Shadow AI: the host-name heuristic, IT's rules file, and the sightings the proxy records per connection."""

from __future__ import annotations

import textwrap
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from dlp_proxy.catalog import normalize_host
from dlp_proxy.errors import ConfigError
from dlp_proxy.incidents import Sighting
from dlp_proxy.policy import Policy, load_policy
from dlp_proxy.shadow import (
    NO_GROUP,
    SHADOW_FILE,
    ShadowRules,
    classify_sighting,
    iso_week,
    load_shadow_rules,
    looks_like_ai,
    sighting_for,
)

RULES = Path(__file__).resolve().parent.parent / "rules"
WHEN = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)  # ISO week 2026-W48


@pytest.fixture(scope="module")
def policy() -> Policy:
    return load_policy(RULES)


@pytest.fixture(scope="module")
def rules() -> ShadowRules:
    return load_shadow_rules(RULES)


# -- heuristic ------------------------------------------------------------------------------------

AI_HOSTS = [
    "chat.example.ai",  # .ai top-level domain
    "AI.Example.COM.",  # any spelling of the host
    "ai.example.com",
    "ai-assistant.example.fr",
    "my-llm.corp.example.com",
    "llm-gateway.example.com",
    "llama3.example.com",  # digits split tokens
    "ollama.lan.example.fr",
    "inference.example.net",
    "genai.example.com",
    "gpt4all.io",
    "chatgpt-clone.net",
    "myopenaiproxy.example.com",  # distinctive brand anywhere in a label
    "anthropic.com",
    "copilot.example.com",
    "huggingface.co",
    "claude.example.org",  # a whole label
    "chatbot.example.com",
    "mistral-chat.example.com",  # two weak words
    "vllm.internal.example.com",
]

NOT_AI_HOSTS = [
    "mail.google.com",  # "ai" inside a word
    "gmail.com",
    "chair.example.com",
    "domain.com",
    "detail.fr",
    "thai-food.com",
    "dubai.ae",
    "mumbai.in",
    "hawaii.gov",
    "bonsai.io",
    "airfrance.fr",
    "aim.com",
    "trainline.fr",
    "rainbow.com",
    "said.org",
    "maintenance.example.com",
    "aide.service-public.fr",
    "fullmoon.com",  # "llm" inside a word
    "allmusic.com",
    "chat.google.com",  # one weak word only: Google Chat is not AI
    "chateau-margaux.fr",
    "gemini.com",
    "le-mistral.fr",
    "coherent.com",
    "jean-claude.fr",  # a first name, not the whole label
    "claims.example.com",
    "paris.fr",
    "10.0.0.1",  # no name to judge
    "localhost",
    "",
]


@pytest.mark.parametrize("host", AI_HOSTS)
def test_looks_like_ai(host: str) -> None:
    assert looks_like_ai(host) is True


@pytest.mark.parametrize("host", NOT_AI_HOSTS)
def test_does_not_look_like_ai(host: str) -> None:
    assert looks_like_ai(host) is False


def test_every_catalog_api_host_looks_like_ai_or_is_known(policy: Policy) -> None:
    """Sanity of the heuristic on real AI hosts: most exact catalogue hosts are caught by it alone."""
    hosts = [p.host for s in policy.catalog for p in s.hosts if not p.is_wildcard and p.path_prefix is None]
    caught = [h for h in hosts if looks_like_ai(h)]
    assert len(caught) >= len(hosts) // 2, sorted(set(hosts) - set(caught))


# -- iso_week ---------------------------------------------------------------------------------------


def test_iso_week() -> None:
    assert iso_week(WHEN) == "2026-W48"
    assert iso_week(datetime(2027, 1, 1, 12, tzinfo=UTC)) == "2026-W53"  # ISO year, not calendar year
    assert iso_week(datetime(2026, 1, 5)) == "2026-W02"
    # Aware times are taken in UTC: Monday 00:30 in Paris is still Sunday in UTC.
    paris = timezone(timedelta(hours=1))
    assert iso_week(datetime(2026, 11, 30, 0, 30, tzinfo=paris)) == "2026-W48"


# -- rules file -------------------------------------------------------------------------------------


def test_shipped_rules_file(rules: ShadowRules, policy: Policy) -> None:
    assert rules.hosts and rules.ignore
    assert rules.is_known_ai("chatpdf.com")
    assert rules.is_known_ai("Space-1.HF.space.")
    assert rules.is_ignored("www.gemini.com")
    # The extra hosts are outside the catalogue: a host listed in both would be dead weight here.
    for pattern in rules.hosts:
        if not pattern.is_wildcard:
            assert policy.catalog.classify(pattern.host) is None, pattern.host


def test_missing_file_means_no_additions(tmp_path: Path) -> None:
    empty = load_shadow_rules(tmp_path)
    assert empty.hosts == () and empty.ignore == ()
    (tmp_path / SHADOW_FILE).write_text("# rien\n", encoding="utf-8")
    assert load_shadow_rules(tmp_path).hosts == ()


def _problems(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / SHADOW_FILE
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_shadow_rules(tmp_path)
    return [str(p) for p in info.value.problems]


def test_rules_file_errors_name_file_and_line(tmp_path: Path) -> None:
    problems = _problems(
        tmp_path,
        """\
        version: 1
        hosts:
          - chatpdf.com
          - 42
          - "*.com"
          - www.example.com/chat
          - https://x.example.com
          - chatpdf.com
        ignore:
          - chatpdf.com
          - 10.1.2.3
        extra: true
        """,
    )
    name = str(tmp_path / SHADOW_FILE)
    assert all(p.startswith(name + ":") for p in problems), problems
    by_line = {int(p.split(":")[1]): p for p in problems}
    assert "host pattern (text)" in by_line[4]
    assert "too broad" in by_line[5]
    assert "remove the path" in by_line[6]
    assert "scheme" in by_line[7]
    assert "already listed (line 3)" in by_line[8]
    assert "both 'hosts' and 'ignore'" in by_line[10]
    assert "IP address" in by_line[11]
    assert "unknown key 'extra'" in by_line[12]
    assert len(problems) == 8


def test_rules_file_shape_errors(tmp_path: Path) -> None:
    assert "expected a mapping" in _problems(tmp_path, "- a.example.com\n")[0]
    assert ":2: 'hosts' must be a list" in _problems(tmp_path, "version: 1\nhosts: a.example.com\n")[0]
    assert "unsupported version" in _problems(tmp_path, "version: 2\n")[0]
    assert "invalid YAML" in _problems(tmp_path, "hosts:\n  - a.example.com\n  - [b\n")[0]


# -- classify_sighting ------------------------------------------------------------------------------


def test_classify_sighting(policy: Policy, rules: ShadowRules) -> None:
    deepseek = policy.catalog.get("deepseek-chat")
    openai = policy.catalog.get("openai-api")
    chatgpt = policy.catalog.get("chatgpt-web")
    poe = policy.catalog.get("poe")
    assert classify_sighting("chat.deepseek.com", deepseek, "forbidden") == "forbidden"
    assert classify_sighting("api.openai.com", openai, "approved") is None
    assert classify_sighting("chatgpt.com", chatgpt, "pilot") is None
    assert classify_sighting("poe.com", poe, "forbidden", listed=False) == "unlisted"
    assert classify_sighting("poe.com", poe, "approved", listed=False) is None  # default approves all
    assert classify_sighting("ollama.example.com", None, None) == "unknown_ai"
    assert classify_sighting("chatpdf.com", None, None) is None  # without IT's list: not AI-looking
    assert classify_sighting("chatpdf.com", None, None, rules=rules) == "unknown_ai"
    assert classify_sighting("www.gemini.com", None, None, rules=rules) is None
    assert classify_sighting("www.example.com", None, None, rules=rules) is None
    ignore_deepseek = ShadowRules(ignore=(type(rules.ignore[0]).parse("chat.deepseek.com"),))
    assert classify_sighting("chat.deepseek.com", deepseek, "forbidden", rules=ignore_deepseek) is None


# -- sighting_for -----------------------------------------------------------------------------------


def test_sighting_for_forbidden_tool_one_per_group(policy: Policy, rules: ShadowRules) -> None:
    got = sighting_for("CHAT.DEEPSEEK.COM:443", policy, rules, ("marketing", "direction", "marketing"), WHEN)
    assert got == [
        Sighting("2026-W48", "chat.deepseek.com", "deepseek-chat", "forbidden", "direction", 1),
        Sighting("2026-W48", "chat.deepseek.com", "deepseek-chat", "forbidden", "marketing", 1),
    ]


def test_sighting_for_unlisted_tool_without_group(policy: Policy, rules: ShadowRules) -> None:
    assert not policy.tool_policy("poe").listed
    got = sighting_for("poe.com", policy, rules, (), WHEN)
    assert got == [Sighting("2026-W48", "poe.com", "poe", "unlisted", NO_GROUP, 1)]
    assert sighting_for("poe.com", policy, rules, None, WHEN)[0].group == NO_GROUP


def test_sighting_for_unknown_ai(policy: Policy, rules: ShadowRules) -> None:
    got = sighting_for("llm.startup.example.io", policy, rules, ["rh"], WHEN)
    assert got == [Sighting("2026-W48", "llm.startup.example.io", None, "unknown_ai", "rh", 1)]
    assert sighting_for("chatpdf.com", policy, rules, ["rh"], WHEN)[0].status == "unknown_ai"
    assert sighting_for("chatpdf.com", policy, None, ["rh"], WHEN) == []


@pytest.mark.parametrize(
    "host",
    [
        "api.openai.com",  # approved
        "chatgpt.com",  # pilot
        "llm.interne.example.fr",  # company-hosted
        "www.bing.com",  # catalogue host known only with a path: decided per request
        "www.gemini.com",  # ignored by IT
        "www.example.com",  # not AI
        "mail.google.com",
        "",
    ],
)
def test_sighting_for_reports_nothing(policy: Policy, rules: ShadowRules, host: str) -> None:
    assert sighting_for(host, policy, rules, ("marketing",), WHEN) == []


def test_sighting_host_is_normalised(policy: Policy, rules: ShadowRules) -> None:
    got = sighting_for("Ollama.Example.COM.", policy, rules, ("it",), WHEN)
    assert got[0].host == normalize_host("ollama.example.com")

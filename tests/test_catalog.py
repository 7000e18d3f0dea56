"""Tests for the AI-services catalogue: the shipped file, host/path classification, and validation.

Classification decides what gets decrypted and which policy applies, so both false negatives (AI traffic
tunnelled unseen) and false positives (look-alike domains decrypted) are tested.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from dlp_proxy.catalog import (
    FAMILIES,
    HOSTINGS,
    KINDS,
    Catalog,
    HostPattern,
    Service,
    normalize_host,
    normalize_path,
)
from dlp_proxy.errors import ConfigError

CATALOG_PATH = Path(__file__).resolve().parent.parent / "rules" / "catalog.yaml"


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return Catalog.load(CATALOG_PATH)


# ----------------------------------------------------------------------------------------- shipped file

# id -> (family, kind, hosting); None = not imposed by the design
EXPECTED: dict[str, tuple[str | None, str | None, str | None]] = {
    "llm-interne": ("ollama", "api", "company"),
    "openai-api": ("openai", "api", "outside_eu"),
    "chatgpt-web": ("chatgpt-web", "webapp", "outside_eu"),
    "anthropic-api": ("anthropic", "api", "outside_eu"),
    "claude-web": (None, "webapp", "outside_eu"),
    "gemini-api": ("gemini", "api", "outside_eu"),
    "gemini-web": (None, "webapp", "outside_eu"),
    "vertex-ai": ("gemini", "api", None),
    "azure-openai": ("openai", "api", None),
    "bedrock-runtime": ("bedrock", "api", None),
    "mistral-api": ("mistral", "api", "eu"),
    "le-chat": (None, "webapp", "eu"),
    "microsoft-copilot": (None, None, "outside_eu"),
    "github-copilot": ("openai", None, "outside_eu"),
    "perplexity-api": ("openai", "api", "outside_eu"),
    "perplexity-web": (None, "webapp", "outside_eu"),
    "deepseek-api": ("openai", "api", "outside_eu"),
    "deepseek-chat": (None, "webapp", "outside_eu"),
    "cohere-api": ("cohere", "api", "outside_eu"),
    "groq": ("openai", "api", "outside_eu"),
    "together": (None, "api", "outside_eu"),
    "openrouter": (None, None, "outside_eu"),
    "xai-api": (None, "api", "outside_eu"),
    "grok-web": (None, "webapp", "outside_eu"),
    "huggingface-inference": (None, None, None),
    "replicate": (None, None, None),
    "midjourney": (None, None, None),
    "stability": (None, None, None),
    "elevenlabs": (None, None, None),
    "deepl": (None, None, "eu"),
    "poe": (None, None, None),
    "character-ai": (None, None, None),
    "meta-ai": (None, None, None),
    "salesforce-einstein": (None, "embedded", None),
    "fireworks": (None, None, None),
    "ai21": (None, None, None),
    "cerebras": (None, None, None),
    "you-com": (None, None, None),
    "phind": (None, None, None),
    "jasper": (None, None, None),
    "copy-ai": (None, None, None),
    "writesonic": (None, None, None),
    "gamma": (None, None, None),
    "otter": (None, None, None),
    "grammarly": (None, None, None),
}

# (host, path) -> service id that must be classified
EXPECTED_HOSTS: list[tuple[str, str, str]] = [
    ("api.openai.com", "/v1/chat/completions", "openai-api"),
    ("chatgpt.com", "/backend-api/conversation", "chatgpt-web"),
    ("chat.openai.com", "/", "chatgpt-web"),
    ("ab.chatgpt.com", "/", "chatgpt-web"),
    ("api.anthropic.com", "/v1/messages", "anthropic-api"),
    ("claude.ai", "/api/organizations", "claude-web"),
    ("generativelanguage.googleapis.com", "/v1beta/models/gemini-pro:generateContent", "gemini-api"),
    ("gemini.google.com", "/app", "gemini-web"),
    ("aiplatform.googleapis.com", "/v1/projects/x", "vertex-ai"),
    ("europe-west9-aiplatform.googleapis.com", "/v1/projects/x", "vertex-ai"),
    ("mon-instance.openai.azure.com", "/openai/deployments/gpt", "azure-openai"),
    ("bedrock-runtime.us-east-1.amazonaws.com", "/model/x/invoke", "bedrock-runtime"),
    ("api.mistral.ai", "/v1/chat/completions", "mistral-api"),
    ("chat.mistral.ai", "/chat", "le-chat"),
    ("copilot.microsoft.com", "/c/api/chat", "microsoft-copilot"),
    ("www.bing.com", "/turing/conversation/create", "microsoft-copilot"),
    ("sydney.bing.com", "/sydney/ChatHub", "microsoft-copilot"),
    ("api.githubcopilot.com", "/chat/completions", "github-copilot"),
    ("api.individual.githubcopilot.com", "/chat/completions", "github-copilot"),
    ("copilot-proxy.githubusercontent.com", "/v1/engines", "github-copilot"),
    ("api.perplexity.ai", "/chat/completions", "perplexity-api"),
    ("www.perplexity.ai", "/search", "perplexity-web"),
    ("perplexity.ai", "/", "perplexity-web"),
    ("api.deepseek.com", "/chat/completions", "deepseek-api"),
    ("chat.deepseek.com", "/", "deepseek-chat"),
    ("api.cohere.com", "/v2/chat", "cohere-api"),
    ("api.cohere.ai", "/v1/chat", "cohere-api"),
    ("api.groq.com", "/openai/v1/chat/completions", "groq"),
    ("api.together.xyz", "/v1/chat/completions", "together"),
    ("api.together.ai", "/v1/chat/completions", "together"),
    ("openrouter.ai", "/api/v1/chat/completions", "openrouter"),
    ("api.x.ai", "/v1/chat/completions", "xai-api"),
    ("grok.com", "/", "grok-web"),
    ("api-inference.huggingface.co", "/models/x", "huggingface-inference"),
    ("router.huggingface.co", "/v1/chat/completions", "huggingface-inference"),
    ("abc123.us-east-1.aws.endpoints.huggingface.cloud", "/", "huggingface-inference"),
    ("api.replicate.com", "/v1/predictions", "replicate"),
    ("www.midjourney.com", "/imagine", "midjourney"),
    ("midjourney.com", "/", "midjourney"),
    ("api.stability.ai", "/v2beta/stable-image", "stability"),
    ("api.elevenlabs.io", "/v1/text-to-speech", "elevenlabs"),
    ("elevenlabs.io", "/app", "elevenlabs"),
    ("api.deepl.com", "/v2/translate", "deepl"),
    ("api-free.deepl.com", "/v2/translate", "deepl"),
    ("www.deepl.com", "/translator", "deepl"),
    ("poe.com", "/", "poe"),
    ("character.ai", "/", "character-ai"),
    ("beta.character.ai", "/", "character-ai"),
    ("www.meta.ai", "/", "meta-ai"),
    ("llm.interne.example.fr", "/api/chat", "llm-interne"),
]


def test_shipped_catalog_loads_with_enough_services(catalog: Catalog) -> None:
    assert len(catalog.services) >= 45
    assert len(catalog) == len(catalog.services)
    assert all(isinstance(s, Service) for s in catalog)


@pytest.mark.parametrize("service_id", sorted(EXPECTED))
def test_required_service_present_with_right_attributes(catalog: Catalog, service_id: str) -> None:
    service = catalog.get(service_id)
    assert service is not None, f"{service_id} missing from the catalogue"
    family, kind, hosting = EXPECTED[service_id]
    if family is not None:
        assert service.family == family
    if kind is not None:
        assert service.kind == kind
    if hosting is not None:
        assert service.hosting == hosting
    assert service.family in FAMILIES and service.kind in KINDS and service.hosting in HOSTINGS
    assert service.name and service.vendor and service.hosts


def test_internal_llm_is_a_dns_name(catalog: Catalog) -> None:
    service = catalog.get("llm-interne")
    assert service is not None
    assert service.name == "LLM interne (Ollama)"
    assert [str(h) for h in service.hosts] == ["llm.interne.example.fr"]


def test_file_order_is_kept(catalog: Catalog) -> None:
    ids = list(catalog.services)
    assert ids[0] == "llm-interne"
    assert ids.index("openai-api") < ids.index("chatgpt-web") < ids.index("anthropic-api")


@pytest.mark.parametrize(("host", "path", "service_id"), EXPECTED_HOSTS)
def test_shipped_hosts_classify(catalog: Catalog, host: str, path: str, service_id: str) -> None:
    service = catalog.classify(host, path)
    assert service is not None and service.id == service_id
    assert catalog.intercepts(host)


# ----------------------------------------------------------------------------------------- classification


@pytest.mark.parametrize(
    ("host", "service_id"),
    [
        ("CHATGPT.COM.", "chatgpt-web"),
        ("ChatGPT.com:443", "chatgpt-web"),
        ("api.openai.com:443", "openai-api"),
        ("API.OPENAI.COM.", "openai-api"),
        ("foo.openai.azure.com", "azure-openai"),
        ("FOO.OpenAI.Azure.com.:443", "azure-openai"),
        ("europe-west1-aiplatform.googleapis.com", "vertex-ai"),
        ("bedrock-runtime.eu-west-3.amazonaws.com", "bedrock-runtime"),
    ],
)
def test_classify_normalises_case_dot_and_port(catalog: Catalog, host: str, service_id: str) -> None:
    service = catalog.classify(host)
    assert service is not None and service.id == service_id


@pytest.mark.parametrize(
    "host",
    [
        "example.com",
        "www.google.com",
        "openai.com.evil.net",
        "api.openai.com.evil.net",
        "evilapi.openai.com",
        "openai.azure.com",  # bare domain: '*.' needs a subdomain
        "openai.azure.com.evil.net",
        "foo.openai.azure.com.evil.net",
        "xopenai.azure.com",
        "aiplatform.googleapis.com.evil.net",
        "-aiplatform.googleapis.com",
        "storage.googleapis.com",
        "bedrock-runtime.amazonaws.com",  # region label missing
        "bedrock-runtime.a.b.amazonaws.com",  # middle '*' is exactly one label
        "s3.eu-west-3.amazonaws.com",
        "fakechatgpt.com",
        "chatgpt.com.evil.net",
        "",
        "[::1]:443",
        "127.0.0.1",
        "localhost",
    ],
)
def test_non_ai_hosts(catalog: Catalog, host: str) -> None:
    assert catalog.classify(host) is None
    assert not catalog.intercepts(host)


def test_path_scoped_service(catalog: Catalog) -> None:
    copilot = catalog.get("microsoft-copilot")
    assert catalog.classify("www.bing.com", "/chat") is copilot
    assert catalog.classify("www.bing.com", "/chat?q=bonjour&form=X") is copilot
    assert catalog.classify("www.bing.com", "/turing/conversation/create") is copilot
    assert catalog.classify("www.bing.com", "/search?q=chat") is None
    assert catalog.classify("www.bing.com", "/") is None
    assert catalog.classify("www.bing.com") is None
    assert catalog.classify("bing.com", "/chat") is None
    # the host must be decrypted so the path can be seen at all
    assert catalog.intercepts("www.bing.com")
    assert catalog.intercepts("WWW.BING.COM.:443")


@pytest.mark.parametrize("path", ["/CHAT", "//chat", "/x/../chat", "/./chat", "/%63hat", "/Turing/x"])
def test_path_spellings_cannot_escape_prefix(catalog: Catalog, path: str) -> None:
    service = catalog.classify("www.bing.com", path)
    assert service is not None and service.id == "microsoft-copilot"


def _mini(*services: tuple[str, list[str]]) -> Catalog:
    return Catalog(
        Service(
            id=sid,
            name=sid,
            vendor="v",
            family="generic",
            kind="api",
            hosting="outside_eu",
            hosts=tuple(HostPattern.parse(h) for h in hosts),
        )
        for sid, hosts in services
    )


def test_most_specific_wins() -> None:
    cat = _mini(
        ("wild-any", ["*.example.com"]),
        ("wild-deeper", ["*.api.example.com"]),
        ("wild-label", ["*-ai.example.com"]),
        ("exact", ["x.api.example.com"]),
        ("exact-path", ["x.api.example.com/v1"]),
        ("exact-longer-path", ["x.api.example.com/v1/chat"]),
        ("wild-path", ["*.example.com/special"]),
    )

    def sid(host: str, path: str = "/") -> str | None:
        service = cat.classify(host, path)
        return service.id if service else None

    assert sid("x.api.example.com") == "exact"
    assert sid("x.api.example.com", "/v1/models") == "exact-path"
    assert sid("x.api.example.com", "/v1/chat/completions") == "exact-longer-path"
    assert sid("x.api.example.com", "/special") == "exact"  # exact host beats a wildcard with a path
    assert sid("y.api.example.com") == "wild-deeper"
    assert sid("a.b.example.com") == "wild-any"
    assert sid("a.b.example.com", "/special/x") == "wild-path"
    assert sid("eu-ai.example.com") == "wild-label"
    assert sid("example.com") is None


def test_exact_host_with_only_path_entries_falls_back_to_wildcard() -> None:
    cat = _mini(("wild", ["*.example.com"]), ("scoped", ["www.example.com/chat"]))
    assert cat.classify("www.example.com", "/chat").id == "scoped"  # type: ignore[union-attr]
    assert cat.classify("www.example.com", "/other").id == "wild"  # type: ignore[union-attr]


def test_get_unknown_returns_none(catalog: Catalog) -> None:
    assert catalog.get("no-such-service") is None
    assert "openai-api" in catalog


def test_normalisers() -> None:
    assert normalize_host("CHATGPT.COM.") == "chatgpt.com"
    assert normalize_host("api.openai.com:8443") == "api.openai.com"
    assert normalize_host("[2001:db8::1]:443") == "2001:db8::1"
    assert normalize_path("") == "/"
    assert normalize_path("/A/B?x=/chat#f") == "/a/b"
    assert normalize_path("chat") == "/chat"
    assert normalize_path("/a//b/") == "/a/b/"


# ----------------------------------------------------------------------------------------- host patterns


@pytest.mark.parametrize(
    ("text", "host", "path"),
    [
        ("api.openai.com", "api.openai.com", None),
        ("API.OpenAI.com.", "api.openai.com", None),
        ("*.openai.azure.com", "*.openai.azure.com", None),
        ("*-aiplatform.googleapis.com", "*-aiplatform.googleapis.com", None),
        ("bedrock-runtime.*.amazonaws.com", "bedrock-runtime.*.amazonaws.com", None),
        ("www.bing.com/chat", "www.bing.com", "/chat"),
        ("www.bing.com/", "www.bing.com", None),
    ],
)
def test_pattern_parse(text: str, host: str, path: str | None) -> None:
    pattern = HostPattern.parse(text)
    assert (pattern.host, pattern.path_prefix) == (host, path)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("127.0.0.1", "IP address"),
        ("10.0.0.5/api", "IP address"),
        ("::1", "IP address"),
        ("[::1]", "IP address"),
        ("localhost", "loopback"),
        ("ollama.localhost", "loopback"),
        ("https://api.openai.com", "scheme"),
        ("api.openai.com:443", "port"),
        ("api_openai.com", "invalid character"),
        ("api.openai.com/v1?x=1", "plain prefix"),
        ("*.com", "too broad"),
        ("*", "fully-qualified"),
        ("bedrock.*.com", "too broad"),
        ("a.*b.example.com", "first label only"),
        ("**.example.com", "more than one"),
        ("a..example.com", "empty label"),
        ("-a.example.com", "start or end"),
        ("intranet", "fully-qualified"),
        ("api openai.com", "whitespace"),
        ("", "empty"),
        ("/chat", "no host"),
    ],
)
def test_pattern_rejected(text: str, fragment: str) -> None:
    with pytest.raises(ValueError, match=fragment):
        HostPattern.parse(text)


# ----------------------------------------------------------------------------------------- validation


def _write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "catalog.yaml"
    path.write_text(textwrap.dedent(body).lstrip("\n"), encoding="utf-8")
    return path


def _problems(tmp_path: Path, body: str) -> list[tuple[int, str]]:
    path = _write(tmp_path, body)
    with pytest.raises(ConfigError) as info:
        Catalog.load(path, "rules/catalog.yaml")
    assert all(p.file == "rules/catalog.yaml" for p in info.value.problems)
    return [(p.line, p.message) for p in info.value.problems]


VALID_SERVICE = """
version: 1
services:
  - id: svc-a
    name: A
    vendor: V
    family: openai
    kind: api
    hosting: eu
    hosts:
      - a.example.com
"""


def test_minimal_valid_file(tmp_path: Path) -> None:
    cat = Catalog.load(_write(tmp_path, VALID_SERVICE))
    service = cat.get("svc-a")
    assert service is not None
    assert service.hosts == (HostPattern("a.example.com", None),)
    assert service.notes == ""


def _one(problems: list[tuple[int, str]]) -> tuple[int, str]:
    assert len(problems) == 1, problems
    return problems[0]


@pytest.mark.parametrize(
    ("body", "line", "fragments"),
    [
        pytest.param("- a\n- b\n", 1, ["must be a mapping", "list"], id="top-level-list"),
        pytest.param("just text\n", 1, ["must be a mapping"], id="top-level-scalar"),
        pytest.param("# rien\n", 1, ["empty"], id="empty-file"),
        pytest.param("version: 1\n", 1, ["missing top-level key 'services'"], id="missing-services"),
        pytest.param(
            "version: 2\nservices:\n  - id: a\n",
            1,
            ["unsupported catalog version", "supported: 1"],
            id="version",
        ),
        pytest.param("version: 1\nservices: {}\n", 2, ["must be a list"], id="services-not-list"),
        pytest.param("version: 1\nservices: []\n", 2, ["is empty"], id="services-empty"),
        pytest.param(
            "version: 1\nservies: []\nservices: []\n", 2, ["unknown top-level key", "services"], id="typo"
        ),
    ],
)
def test_top_level_problems(tmp_path: Path, body: str, line: int, fragments: list[str]) -> None:
    problems = _problems(tmp_path, body)
    assert problems[0][0] == line, problems
    for fragment in fragments:
        assert fragment in problems[0][1], problems


def test_missing_version(tmp_path: Path) -> None:
    body = VALID_SERVICE.replace("version: 1\n", "")
    line, message = _one(_problems(tmp_path, body))
    assert line == 1 and "missing top-level key 'version'" in message


@pytest.mark.parametrize(
    ("old", "new", "line", "fragments"),
    [
        pytest.param(
            "    family: openai", "    family: openia", 6, ["unknown family 'openia'", "'openai'", "generic"]
        ),
        pytest.param(
            "    kind: api", "    kind: website", 7, ["unknown kind 'website'", "api, webapp, embedded"]
        ),
        pytest.param(
            "    hosting: eu",
            "    hosting: outside-eu",
            8,
            ["unknown hosting 'outside-eu'", "did you mean 'outside_eu'", "company, eu, outside_eu"],
        ),
        pytest.param("  - id: svc-a", "  - id: Svc_A", 3, ["kebab-case"]),
        pytest.param("  - id: svc-a", "  - id: 42", 3, ["'id' must be non-empty text"]),
        pytest.param("    name: A", "    name: ''", 4, ["'name' must be non-empty text"]),
        pytest.param(
            "    vendor: V", "    vendor: V\n    note: x", 6, ["unknown key 'note'", "did you mean 'notes'"]
        ),
        pytest.param("    vendor: V\n", "", 3, ["missing key 'vendor'"]),
        pytest.param("      - a.example.com", "      - 127.0.0.1", 10, ["IP address", "DNS name"]),
        pytest.param("      - a.example.com", "      - localhost", 10, ["loopback"]),
        pytest.param("      - a.example.com", "      - '::1'", 10, ["IP address"]),
        pytest.param("      - a.example.com", "      - a_b.example.com", 10, ["invalid character(s) '_'"]),
        pytest.param("      - a.example.com", "      - 'https://a.example.com'", 10, ["scheme"]),
        pytest.param("      - a.example.com", "      - 443", 10, ["must be text"]),
        pytest.param("    hosts:\n      - a.example.com", "    hosts: []", 9, ["'hosts' is empty"]),
        pytest.param("    hosts:\n      - a.example.com", "    hosts: a.example.com", 9, ["must be a list"]),
        pytest.param(
            "      - a.example.com",
            "      - a.example.com\n      - A.EXAMPLE.COM.",
            11,
            ["already listed in this service (line 10)"],
        ),
    ],
)
def test_service_problem_lines(tmp_path: Path, old: str, new: str, line: int, fragments: list[str]) -> None:
    assert old in VALID_SERVICE
    got_line, message = _one(_problems(tmp_path, VALID_SERVICE.replace(old, new, 1)))
    assert got_line == line, message
    assert message.startswith("service ")
    for fragment in fragments:
        assert fragment in message


def test_service_item_not_a_mapping(tmp_path: Path) -> None:
    body = VALID_SERVICE + "  - just-a-string\n"
    line, message = _one(_problems(tmp_path, body))
    assert line == 11 and "service #2 must be a mapping" in message


TWO_SERVICES = """
version: 1
services:
  - id: svc-a
    name: A
    vendor: V
    family: openai
    kind: api
    hosting: eu
    hosts:
      - a.example.com
      - "*.shared.example.com"
      - www.example.com/chat
  - id: {second_id}
    name: B
    vendor: V
    family: generic
    kind: webapp
    hosting: outside_eu
    hosts:
      - {second_host}
"""


def test_duplicate_id(tmp_path: Path) -> None:
    body = TWO_SERVICES.format(second_id="svc-a", second_host="b.example.com")
    line, message = _one(_problems(tmp_path, body))
    assert line == 13
    assert "duplicate service id 'svc-a'" in message and "line 3" in message


@pytest.mark.parametrize(
    ("second_host", "first_line"),
    [
        ("a.example.com", 10),
        ("A.Example.COM.", 10),
        ('"*.shared.example.com"', 11),
        ("www.example.com/CHAT", 12),
    ],
)
def test_duplicate_host_across_services(tmp_path: Path, second_host: str, first_line: int) -> None:
    body = TWO_SERVICES.format(second_id="svc-b", second_host=second_host)
    line, message = _one(_problems(tmp_path, body))
    assert line == 20
    assert "already listed by service 'svc-a'" in message and f"(line {first_line})" in message


@pytest.mark.parametrize(
    "second_host", ["www.example.com/chat/sub", "www.example.com", "x.shared.example.com"]
)
def test_overlapping_but_distinct_patterns_are_allowed(tmp_path: Path, second_host: str) -> None:
    body = TWO_SERVICES.format(second_id="svc-b", second_host=second_host)
    cat = Catalog.load(_write(tmp_path, body))
    assert len(cat) == 2


def test_all_problems_reported_at_once(tmp_path: Path) -> None:
    body = """
    version: 1
    services:
      - id: svc-a
        name: A
        vendor: V
        family: nope
        kind: api
        hosting: eu
        hosts:
          - 127.0.0.1
          - ok.example.com
      - id: svc-a
        name: B
        vendor: V
        family: generic
        kind: api
        hosting: moon
        hosts: []
    """
    problems = _problems(tmp_path, body)
    assert [line for line, _ in problems] == [6, 10, 12, 17, 18]


def test_error_string_names_file_and_line(tmp_path: Path) -> None:
    path = _write(tmp_path, VALID_SERVICE.replace("kind: api", "kind: nope"))
    with pytest.raises(ConfigError) as info:
        Catalog.load(path, "rules/catalog.yaml")
    assert str(info.value).startswith("rules/catalog.yaml:7: service 'svc-a': unknown kind 'nope'")


def test_unquoted_wildcard_gets_a_hint(tmp_path: Path) -> None:
    body = VALID_SERVICE.replace("      - a.example.com", "      - *.example.com")
    line, message = _one(_problems(tmp_path, body))
    assert line == 10
    assert "invalid YAML" in message and "must be quoted" in message


def test_from_data_accepts_plain_dicts() -> None:
    data = {
        "version": 1,
        "services": [
            {
                "id": "x",
                "name": "X",
                "vendor": "V",
                "family": "generic",
                "kind": "api",
                "hosting": "eu",
                "hosts": ["x.example.com"],
                "notes": None,
            }
        ],
    }
    cat = Catalog.from_data(data, "inline")
    assert cat.classify("X.EXAMPLE.COM").id == "x"  # type: ignore[union-attr]
    data["services"][0]["hosts"] = ["localhost"]  # type: ignore[index]
    with pytest.raises(ConfigError) as info:
        Catalog.from_data(data, "inline")
    assert info.value.problems[0].file == "inline" and info.value.problems[0].line == 1


def test_missing_file() -> None:
    with pytest.raises(ConfigError) as info:
        Catalog.load(Path("/nonexistent/catalog.yaml"), "rules/catalog.yaml")
    assert str(info.value) == "rules/catalog.yaml:0: file not found"


# ----------------------------------------------------------------------------- every vendor's API hosts

CF = "gateway.ai.cloudflare.com"
#: Every API host (and gateway route) each vendor documents for its models, with the tool it must be
#: classified as. A host missing here is a way around the policy: the request is tunnelled unseen.
VENDOR_API_HOSTS: dict[str, list[tuple[str, str, str]]] = {
    "OpenAI": [
        ("api.openai.com", "/v1/chat/completions", "openai-api"),
        ("eu.api.openai.com", "/v1/responses", "openai-api"),
        ("us.api.openai.com", "/v1/chat/completions", "openai-api"),
        ("openai.com", "/v1/chat/completions", "openai-api"),
        ("files.oaiusercontent.com", "/file-abc", "chatgpt-web"),
        (CF, "/v1/0123abcd/my-gw/openai/chat/completions", "openai-api"),
        (CF, "/v1/0123abcd/my-gw/azure-openai/res/dep/chat/completions", "azure-openai"),
    ],
    "Anthropic": [
        ("api.anthropic.com", "/v1/messages", "anthropic-api"),
        (CF, "/v1/0123abcd/my-gw/anthropic/v1/messages", "anthropic-api"),
    ],
    "Google": [
        ("generativelanguage.googleapis.com", "/v1beta/models/x:generateContent", "gemini-api"),
        ("europe-west9-aiplatform.googleapis.com", "/v1/projects/p", "vertex-ai"),
        (CF, "/v1/0123abcd/my-gw/google-ai-studio/v1beta/models/x:generateContent", "gemini-api"),
        (CF, "/v1/0123abcd/my-gw/google-vertex-ai/v1/projects/p", "vertex-ai"),
    ],
    "Amazon": [
        ("bedrock-runtime.eu-west-3.amazonaws.com", "/model/m/converse", "bedrock-runtime"),
        ("bedrock-runtime-fips.us-east-1.amazonaws.com", "/model/m/invoke", "bedrock-runtime"),
        (CF, "/v1/0123abcd/my-gw/aws-bedrock/bedrock-runtime/us-east-1/model/m/invoke", "bedrock-runtime"),
    ],
    "Mistral": [
        ("api.mistral.ai", "/v1/chat/completions", "mistral-api"),
        ("codestral.mistral.ai", "/v1/fim/completions", "mistral-api"),
        (CF, "/v1/0123abcd/my-gw/mistral/v1/chat/completions", "mistral-api"),
    ],
    "DeepSeek": [
        ("api.deepseek.com", "/chat/completions", "deepseek-api"),
        (CF, "/v1/0123abcd/my-gw/deepseek/chat/completions", "deepseek-api"),
        (CF, "/v1/0123abcd/my-gw/DeepSeek/chat/completions", "deepseek-api"),
        (CF, "/v1/0123abcd/my-gw//deepseek/chat/completions", "deepseek-api"),
    ],
    "Cohere": [
        ("api.cohere.com", "/v2/chat", "cohere-api"),
        ("api.cohere.ai", "/v1/chat", "cohere-api"),
        (CF, "/v1/0123abcd/my-gw/cohere/v2/chat", "cohere-api"),
    ],
    "Groq": [
        ("api.groq.com", "/openai/v1/chat/completions", "groq"),
        (CF, "/v1/0123abcd/my-gw/groq/chat/completions", "groq"),
    ],
    "Perplexity": [
        ("api.perplexity.ai", "/chat/completions", "perplexity-api"),
        (CF, "/v1/0123abcd/my-gw/perplexity-ai/chat/completions", "perplexity-api"),
    ],
    "xAI": [
        ("api.x.ai", "/v1/chat/completions", "xai-api"),
        (CF, "/v1/0123abcd/my-gw/grok/v1/chat/completions", "xai-api"),
    ],
    "OpenRouter": [
        ("openrouter.ai", "/api/v1/chat/completions", "openrouter"),
        (CF, "/v1/0123abcd/my-gw/openrouter/v1/chat/completions", "openrouter"),
    ],
    "Cerebras": [
        ("api.cerebras.ai", "/v1/chat/completions", "cerebras"),
        (CF, "/v1/0123abcd/my-gw/cerebras/chat/completions", "cerebras"),
    ],
    "Hugging Face": [
        ("router.huggingface.co", "/v1/chat/completions", "huggingface-inference"),
        (CF, "/v1/0123abcd/my-gw/huggingface/m", "huggingface-inference"),
    ],
    "Replicate": [
        ("api.replicate.com", "/v1/predictions", "replicate"),
        (CF, "/v1/0123abcd/my-gw/replicate/predictions", "replicate"),
    ],
    "Deepgram": [
        ("api.deepgram.com", "/v1/listen", "deepgram"),
        (CF, "/v1/0123abcd/my-gw/deepgram/v1/listen", "deepgram"),
    ],
    "ElevenLabs": [
        ("api.elevenlabs.io", "/v1/text-to-speech/v", "elevenlabs"),
        (CF, "/v1/0123abcd/my-gw/elevenlabs/v1/text-to-speech/v", "elevenlabs"),
    ],
    "Cloudflare": [
        # The OpenAI-compatible and universal endpoints name the provider in the body, not the path:
        # they are the gateway itself (unlisted: forbidden on the shipped policy), never passed unseen.
        (CF, "/v1/0123abcd/my-gw/compat/chat/completions", "cloudflare-ai-gateway"),
        (CF, "/v1/0123abcd/my-gw", "cloudflare-ai-gateway"),
        (CF, "/v1/0123abcd/my-gw/workers-ai/@cf/meta/llama", "cloudflare-ai-gateway"),
    ],
}


@pytest.mark.parametrize(
    ("vendor", "host", "path", "service_id"),
    [(v, h, p, s) for v, rows in VENDOR_API_HOSTS.items() for h, p, s in rows],
)
def test_every_vendor_api_host_is_classified(
    catalog: Catalog, vendor: str, host: str, path: str, service_id: str
) -> None:
    assert catalog.intercepts(host), f"{vendor}: {host} would be tunnelled unseen"
    service = catalog.classify(host, path)
    assert service is not None and service.id == service_id, (vendor, host, path)


@pytest.mark.parametrize(
    ("path", "matches"),
    [
        ("/v1/acc/gw/openai/chat", True),
        ("/v1/acc/gw/openai", True),
        ("/v1/acc/openai/chat", False),  # one segment short: not the provider's route
        ("/v2/acc/gw/openai/chat", False),
    ],
)
def test_whole_segment_wildcard_in_a_path_prefix(path: str, matches: bool) -> None:
    pattern = HostPattern.parse("gateway.example.com/v1/*/*/openai")
    assert pattern.matches_path(normalize_path(path)) is matches


def test_partial_segment_wildcard_in_a_path_is_refused() -> None:
    with pytest.raises(ValueError, match="plain prefix"):
        HostPattern.parse("gateway.example.com/v1/acc*/openai")

"""Classification from every routing name: a client cannot hide or disguise an AI destination."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from dlp_proxy.routing import classify, intercepted
from dlp_proxy.runtime import load_rules

REPO = Path(__file__).resolve().parents[1]
CHAT = "/v1/chat/completions"


@pytest.fixture(scope="module")
def policy():
    return load_rules(REPO / "rules").policy


def names(destination=None, sni=None, host_header=None):
    return {"destination": destination, "sni": sni, "host_header": host_header}


def test_all_names_agree(policy) -> None:
    route = classify(policy, names("api.openai.com", "api.openai.com", "api.openai.com:443"), "/v1/x")
    assert route.service.id == "openai-api" and not route.mismatch


def test_non_ai_traffic_is_not_classified(policy) -> None:
    assert (
        classify(policy, names("www.example.org", "www.example.org", "www.example.org"), "/").service is None
    )


def test_connect_to_ai_host_with_harmless_sni_and_host(policy) -> None:
    """curl --connect-to cdn.example.net:443:api.openai.com:443: the proxy connects to OpenAI."""
    route = classify(
        policy, names("api.openai.com", "cdn.example.net", "cdn.example.net"), "/v1/chat/completions"
    )
    assert route.mismatch and route.service.id == "openai-api"


def test_forbidden_destination_dressed_as_the_company_llm(policy) -> None:
    route = classify(
        policy, names("api.deepseek.com", None, "llm.interne.example.fr"), "/v1/chat/completions"
    )
    assert route.mismatch and route.service.id == "deepseek-api"


def test_ip_literals_are_not_compared(policy) -> None:
    route = classify(policy, names("api.openai.com", "api.openai.com", "162.159.140.245"), "/v1/x")
    assert route.service.id == "openai-api" and not route.mismatch


def test_strictest_decides_on_the_strictest_tool(tmp_path) -> None:
    rules_dir = tmp_path / "rules"
    shutil.copytree(REPO / "rules", rules_dir)
    p = rules_dir / "policy.yaml"
    p.write_text(p.read_text().replace("destination_mismatch: block", "destination_mismatch: strictest"))
    strict = load_rules(rules_dir).policy
    route = classify(
        strict, names("llm.interne.example.fr", None, "api.deepseek.com"), "/v1/chat/completions"
    )
    assert route.mismatch and route.service.id == "deepseek-api"


def test_intercepted_when_the_tls_name_or_the_connect_address_is_an_ai_host(policy) -> None:
    assert intercepted(policy, "api.openai.com", "api.openai.com")
    assert intercepted(policy, "cdn.example.net", "api.openai.com")  # curl --connect-to
    assert intercepted(policy, "API.OpenAI.com.", None)  # no address yet: the TLS name alone
    assert intercepted(policy, None, "api.anthropic.com")  # no SNI
    assert not intercepted(policy, "www.example.org", "93.184.216.34")
    assert not intercepted(policy, None, None) and not intercepted(policy, "", "")

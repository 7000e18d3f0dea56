"""Routing bypasses, through a running proxy: the destination is decided from every name, and the
catalog knows the API hosts the attack used.

The name-disagreement cases (``--connect-to``, no SNI with a company ``Host``, plain-HTTP absolute form)
live in tests/e2e/test_routing_bypass.py and are collected here too. The catalog gaps: each host was
tunnelled without decryption (no decision, no scan), so a NIR reached the provider.
"""

from __future__ import annotations

import json
import subprocess

import pytest

from tests.e2e.conftest import ProxyProcess
from tests.e2e.fakeprovider import FakeProvider
from tests.e2e.test_routing_bypass import (  # noqa: F401  (collected here as well)
    test_connect_to_an_ai_host_behind_a_harmless_name,
    test_no_sni_and_a_host_header_of_the_company_llm,
    test_plain_http_absolute_form_with_another_host,
)

pytestmark = pytest.mark.e2e

BODY = json.dumps(
    {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "NIR 1 85 05 78 006 084 91"}]}
)


@pytest.mark.parametrize(
    ("url", "tool"),
    [
        ("https://us.api.openai.com/v1/chat/completions", "openai-api"),
        ("https://openai.com/v1/chat/completions", "openai-api"),
        ("https://files.oaiusercontent.com/file-upload", "chatgpt-web"),
        ("https://gateway.ai.cloudflare.com/v1/0123abcd/gw/openai/chat/completions", "openai-api"),
        ("https://gateway.ai.cloudflare.com/v1/0123abcd/gw/deepseek/chat/completions", "deepseek-api"),
        ("https://gateway.ai.cloudflare.com/v1/0123abcd/gw/compat/chat/completions", "cloudflare-ai-gateway"),
    ],
)
def test_catalog_gap_hosts_are_decided(
    proxy: ProxyProcess, provider: FakeProvider, url: str, tool: str
) -> None:
    out = subprocess.run(
        ["curl", "-sS", "-x", proxy.url, "--cacert", str(proxy.ca_pem),
         "-H", "Content-Type: application/json", "-d", BODY, "-w", "\n%{http_code}", "-m", "30", url],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    body, _, code = out.stdout.rpartition("\n")
    assert code == "403", (out.stderr, body[:300])  # decided by the proxy, before any connection
    assert provider.received == []
    assert json.loads(body)["error"]["code"] in ("sensitive_data", "tool_forbidden", "tool_pilot_only")
    incidents = proxy.incidents_when(lambda rows: any(i["tool"] == tool for i in rows))
    assert any(i["tool"] == tool for i in incidents), [i["tool"] for i in incidents][-3:]

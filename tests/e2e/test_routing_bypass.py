"""The destination is decided from every name that routes a request, through a running proxy.

Each case was a bypass: the request reached an AI provider with no decision (or the company LLM's
"allow all"), carrying a NIR and a card number.
"""

from __future__ import annotations

import json
import subprocess

import pytest

from tests.e2e.conftest import ProxyProcess
from tests.e2e.fakeprovider import FakeProvider

pytestmark = pytest.mark.e2e

NIR = "1 85 05 78 006 084 91"
CARD = "4970 1012 3456 7899"
BODY = json.dumps(
    {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": f"NIR {NIR} carte {CARD}"}]}
)


def curl(proxy: ProxyProcess, *args: str) -> tuple[int, str]:
    out = subprocess.run(
        ["curl", "-sS", "-x", proxy.url, "--cacert", str(proxy.ca_pem),
         "-H", "Content-Type: application/json", "-d", BODY, "-w", "\n%{http_code}", *args],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    body, _, code = out.stdout.rpartition("\n")
    assert code.isdigit(), out.stderr
    return int(code), body


def assert_refused(proxy: ProxyProcess, provider: FakeProvider, status: int, body: str) -> None:
    assert status == 403, body
    assert "destination" in body.lower()
    assert provider.received == []  # nothing reached any upstream
    rows = proxy.incidents_when(lambda rows: any(i["code"] == "destination_mismatch" for i in rows))
    assert any(i["code"] == "destination_mismatch" for i in rows)


def test_connect_to_an_ai_host_behind_a_harmless_name(proxy: ProxyProcess, provider: FakeProvider) -> None:
    """curl --connect-to cdn.example.net:443:api.openai.com:443 — SNI and Host say cdn.example.net."""
    status, body = curl(
        proxy,
        "--connect-to",
        "cdn.example.net:443:api.openai.com:443",
        "https://cdn.example.net/v1/chat/completions",
    )
    assert_refused(proxy, provider, status, body)


def test_no_sni_and_a_host_header_of_the_company_llm(proxy: ProxyProcess, provider: FakeProvider) -> None:
    """CONNECT to a forbidden AI host, no SNI (IP literal URL), ``Host: llm.interne.example.fr``."""
    status, body = curl(
        proxy, "-k", "--connect-to", "127.0.0.9:443:api.deepseek.com:443",
        "-H", "Host: llm.interne.example.fr", "https://127.0.0.9/v1/chat/completions",
    )  # fmt: skip
    assert_refused(proxy, provider, status, body)


def test_plain_http_absolute_form_with_another_host(proxy: ProxyProcess, provider: FakeProvider) -> None:
    status, body = curl(
        proxy, "-H", "Host: llm.interne.example.fr", "http://api.deepseek.com/v1/chat/completions"
    )
    assert_refused(proxy, provider, status, body)

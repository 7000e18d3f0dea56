"""``dlp-proxy run --access-log FILE``: one JSON line per allowed AI request, through a running proxy
with the real openai SDK and curl — and no value of any request in the file (text, personal data,
API key, headers, path, query)."""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import openai
import pytest

from tests.e2e.conftest import ProxyProcess, start_proxy
from tests.e2e.fakeprovider import FakeProvider

pytestmark = pytest.mark.e2e

NAME, EMAIL, PHONE = "Jeanne Moreau", "jeanne.moreau@exemple-client.fr", "06 12 34 56 78"
NIR = "1 85 05 78 006 084 91"
KEY = "sk-proj-Zq8vT3kLm9Xw2Rb7Yc4N"
MARKER = "rapport-orchidee-quarante-deux"


@pytest.fixture(scope="module")
def logged(
    tmp_path_factory: pytest.TempPathFactory, provider: FakeProvider
) -> Iterator[tuple[ProxyProcess, Path]]:
    tmp = tmp_path_factory.mktemp("access")
    path = tmp / "logs" / "access.jsonl"
    p = start_proxy(tmp, provider, extra=["--access-log", str(path)])
    yield p, path
    p.stop()


def client(proxy: ProxyProcess) -> openai.OpenAI:
    http_client = httpx.Client(proxy=proxy.url, verify=proxy.ssl_context())
    return openai.OpenAI(api_key=KEY, http_client=http_client, max_retries=0)


def test_access_log_has_allowed_requests_and_no_value(
    logged: tuple[ProxyProcess, Path], provider: FakeProvider
) -> None:
    proxy, path = logged
    provider.release.set()  # the fake provider's streams go out at once
    c = client(proxy)
    c.chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": f"Résume le {MARKER}"}]
    )
    c.chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": f"Écris à {NAME}, {EMAIL}, {PHONE}"}]
    )
    with pytest.raises(openai.PermissionDeniedError):  # blocked: an incident, not an access
        c.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": f"NIR {NIR}"}])
    curl = subprocess.run(
        ["curl", "-sS", "-x", proxy.url, "--cacert", str(proxy.ca_pem), "-o", "/dev/null",
         "-w", "%{http_code}", "-H", f"Authorization: Bearer {KEY}", "-H", "Content-Type: application/json",
         "-d", json.dumps({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": MARKER}]}),
         f"https://api.openai.com/v1/chat/completions?note={MARKER}"],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert curl.stdout == "200", curl.stderr
    stream = c.chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": f"Détaille le {MARKER}"}], stream=True
    )
    assert "".join(chunk.choices[0].delta.content or "" for chunk in stream if chunk.choices)

    deadline = time.monotonic() + 10
    while (not path.exists() or len(path.read_text().splitlines()) < 4) and time.monotonic() < deadline:
        time.sleep(0.1)
    entries = [json.loads(line) for line in path.read_text().splitlines()]
    assert [e["decision"] for e in entries] == ["allowed", "pseudonymized", "allowed", "allowed"]
    for e in entries:
        assert e["tool"] == "openai-api" and e["host"] == "api.openai.com" and e["model"] == "gpt-4o-mini"
        assert e["status"] == 200 and e["method"] == "POST" and e["request_bytes"] > 0
        assert 0 <= e["ttfb_ms"] <= e["duration_ms"]
        assert len(e["request_id"]) >= 12
    assert [e["streamed"] for e in entries] == [False, False, False, True]
    assert all(e["response_bytes"] > 0 for e in entries[:3]) and entries[3]["response_bytes"] is None
    assert len({e["request_id"] for e in entries}) == 4
    rows = proxy.incidents_when(lambda rows: any(i["request_id"] == entries[1]["request_id"] for i in rows))
    pseudonymized = [i for i in rows if i["decision"] == "pseudonymized"]
    assert pseudonymized[-1]["request_id"] == entries[1]["request_id"]  # the same reference as the incident

    raw = path.read_bytes()
    for value in (
        MARKER,
        "Résume",
        NAME,
        "Moreau",
        EMAIL,
        PHONE,
        "06 12",
        NIR,
        KEY,
        "sk-proj",
        "Bearer",
        "/v1/",
    ):
        assert value.encode() not in raw, value

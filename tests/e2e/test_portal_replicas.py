"""Two ``dlp-proxy run`` replicas on one PostgreSQL store: what the portal decides on one applies on the
other within 2 s — a manager's grant, and a suspension the sanctions ladder imposed after real refusals
for sensitive data. Clients: the real openai and anthropic SDKs, and httpx for the portal's forms.
"""

from __future__ import annotations

import os
import re
import time
import uuid
from collections.abc import Iterator

import anthropic
import bcrypt
import httpx
import openai
import psycopg
import pytest

from tests.e2e.conftest import ProxyProcess, copy_rules, start_proxy
from tests.e2e.fakeprovider import FakeProvider

pytestmark = pytest.mark.e2e

PG_DSN = os.environ.get("DLP_PG_DSN", "postgresql://postgres@127.0.0.1:5432/test")
USERS = {"lpetit": "Lp-secret-1", "pmoreau": "Pm-secret-2", "jbernard": "Jb-secret-3"}
NIR = "1 85 05 78 006 084 91"


@pytest.fixture(scope="module")
def replicas(
    tmp_path_factory: pytest.TempPathFactory, provider: FakeProvider
) -> Iterator[list[ProxyProcess]]:
    tmp = tmp_path_factory.mktemp("replicas")
    rules = copy_rules(tmp / "rules")
    policy = rules / "policy.yaml"
    text = policy.read_text(encoding="utf-8")
    policy.write_text(
        text.replace(
            "  openai-api:\n    status: approved", "  openai-api:\n    status: validation_manager", 1
        ),
        encoding="utf-8",
    )
    htpasswd = tmp / "htpasswd"
    htpasswd.write_text(
        "".join(f"{u}:{bcrypt.hashpw(p.encode(), bcrypt.gensalt(4)).decode()}\n" for u, p in USERS.items())
    )
    schema = f"replicas_{uuid.uuid4().hex[:10]}"
    store = PG_DSN + ("&" if "?" in PG_DSN else "?") + f"schema={schema}"
    procs: list[ProxyProcess] = []
    try:
        for name in ("a", "b"):
            extra = ["--store", store, "--set", f"proxyauth=@{htpasswd}", "--set", "dlp_workers=1"]
            procs.append(start_proxy(tmp / name, provider, rules=rules, extra=extra))
        yield procs
    finally:
        for p in procs:
            p.stop()
        with psycopg.connect(PG_DSN, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def proxy_url(proxy: ProxyProcess, user: str) -> str:
    return proxy.url.replace("http://", f"http://{user}:{USERS[user]}@")


def portal(proxy: ProxyProcess, user: str) -> httpx.Client:
    return httpx.Client(
        proxy=proxy_url(proxy, user), verify=proxy.ssl_context(), base_url="https://ia.portail"
    )


def submit(client: httpx.Client, page: str, action: str, fields: dict[str, str]) -> httpx.Response:
    html = client.get(page).text
    token = re.search(r'name="csrf" value="([^"]+)"', html)
    assert token, html
    return client.post(action, data={"csrf": token.group(1), **fields})


def openai_for(proxy: ProxyProcess, user: str) -> openai.OpenAI:
    http_client = openai.DefaultHttpxClient(proxy=proxy_url(proxy, user), verify=proxy.ssl_context())
    return openai.OpenAI(api_key="sk-test-not-a-real-key", http_client=http_client, max_retries=0)


def anthropic_for(proxy: ProxyProcess, user: str) -> anthropic.Anthropic:
    http_client = anthropic.DefaultHttpxClient(proxy=proxy_url(proxy, user), verify=proxy.ssl_context())
    return anthropic.Anthropic(api_key="sk-ant-test-not-real", http_client=http_client, max_retries=0)


def within_two_seconds(attempt) -> float:
    """Retry ``attempt`` until it returns true; the time it took (fails past 2 s)."""
    t0 = time.monotonic()
    while not attempt():
        assert time.monotonic() - t0 < 2.0, "not applied on the other replica within 2 s"
        time.sleep(0.05)
    return time.monotonic() - t0


def test_grant_on_one_replica_applies_on_the_other(replicas: list[ProxyProcess]) -> None:
    a, b = replicas
    client = openai_for(b, "lpetit")
    messages = [{"role": "user", "content": "Bonjour"}]
    with pytest.raises(openai.PermissionDeniedError) as info:
        client.chat.completions.create(model="gpt-4o-mini", messages=messages)
    assert "https://ia.portail/acces/demander?outil=openai-api" in str(info.value)
    with portal(a, "lpetit") as employee:
        r = submit(employee, "/acces/demander?outil=openai-api", "/acces/demander",
                   {"outil": "openai-api", "usage": "Réponses aux clients", "duree": "7"})  # fmt: skip
        assert r.status_code == 303
    with portal(a, "pmoreau") as manager:
        html = manager.get("/equipe").text
        (req_id,) = re.findall(r'name="demande" value="(\d+)"', html)
        r = submit(manager, "/equipe", "/acces/decider", {"demande": req_id, "decision": "approve"})
        assert r.status_code == 303

    def passes() -> bool:
        try:
            client.chat.completions.create(model="gpt-4o-mini", messages=messages)
            return True
        except openai.PermissionDeniedError:
            return False

    within_two_seconds(passes)


def test_suspension_from_real_refusals_applies_on_the_other_replica(replicas: list[ProxyProcess]) -> None:
    a, b = replicas
    on_a = anthropic_for(a, "jbernard")

    def refused_for_data() -> None:
        with pytest.raises(anthropic.PermissionDeniedError) as info:
            on_a.messages.create(
                model="claude-sonnet-5",
                max_tokens=50,
                messages=[{"role": "user", "content": f"Mon numéro de sécurité sociale est {NIR}."}],
            )
        assert "sensitive_data" in str(info.value) or "données" in str(info.value)

    for _ in range(3):  # reminder_after: 3 in the shipped policy
        refused_for_data()
    time.sleep(1.5)
    with pytest.raises(anthropic.PermissionDeniedError) as info:
        on_a.messages.create(
            model="claude-sonnet-5", max_tokens=5, messages=[{"role": "user", "content": "x"}]
        )
    assert "https://ia.portail/rappel" in str(info.value)
    with portal(a, "jbernard") as employee:
        html = employee.get("/rappel").text
        (sanction,) = re.findall(r'name="sanction" value="(\d+)"', html)
        assert submit(employee, "/rappel", "/rappel/accuser", {"sanction": sanction}).status_code == 303
    for _ in range(2):  # suspension_after: 5
        refused_for_data()
    on_b = anthropic_for(b, "jbernard")

    def suspended_on_b() -> bool:
        try:
            on_b.messages.create(
                model="claude-sonnet-5", max_tokens=5, messages=[{"role": "user", "content": "x"}]
            )
        except anthropic.PermissionDeniedError as exc:
            return "suspendu" in str(exc)
        return False

    within_two_seconds(suspended_on_b)
    # company-hosted tools still work for the suspended user
    with httpx.Client(proxy=proxy_url(b, "jbernard"), verify=b.ssl_context()) as c:
        r = c.post("https://llm.interne.example.fr/api/chat", json={"model": "llama3", "messages": []})
        assert r.status_code == 200

"""The data rules, end to end: real SDKs, a real proxy with the real spaCy model, the shipped policy.

The shipped policy blocks identifiers (NIR, cards, secrets…) and redacts personal data (names, e-mails,
phones, IBAN…) for tools outside the company, and lets everything through to the company-hosted LLM.
Tests read what reached the provider; they never hard-code placeholder text.
"""

from __future__ import annotations

import json
import time

import httpx
import openai
import pytest
from stdnum import iban, luhn
from stdnum.fr import nir

from tests.e2e.conftest import ProxyProcess, copy_rules, start_proxy
from tests.e2e.fakeprovider import FakeProvider
from tests.e2e.test_proxy import anthropic_client, openai_client

pytestmark = pytest.mark.e2e

NIR = "185057800608491"
assert nir.is_valid(NIR)
IBAN = "FR76 3000 6000 0112 3456 7890 189"
assert iban.is_valid(IBAN)
CARD = "4970 1012 3456 7893"
assert luhn.is_valid(CARD.replace(" ", ""))
EMAIL = "jeanne.moreau@exemple-client.fr"
PHONE = "06 12 34 56 78"

ALL_VALUES = [
    NIR,
    "1 85 05 78 006 084 91",
    IBAN,
    IBAN.replace(" ", ""),
    CARD,
    CARD.replace(" ", ""),
    EMAIL,
    PHONE,
]


def received_text(provider: FakeProvider) -> str:
    assert len(provider.received) == 1
    return provider.received[0].body.decode("utf-8")


def test_nir_in_prompt_is_blocked_naming_the_type_not_the_value(proxy: ProxyProcess, provider) -> None:
    client = openai_client(proxy)
    with pytest.raises(openai.PermissionDeniedError) as exc:
        client.chat.completions.create(
            model="gpt-4o-mini",
            messages=[
                {"role": "user", "content": "Vérifie le dossier de l'assuré, NIR 1 85 05 78 006 084 91."}
            ],
        )
    body = exc.value.response.json()
    assert body["error"]["code"] == "sensitive_data"
    assert "FR_NIR" in body["error"]["message"]
    assert "006 084" not in body["error"]["message"] and NIR not in body["error"]["message"]
    assert provider.received == []


def test_card_in_history_blocks_even_if_last_message_is_clean(proxy: ProxyProcess, provider) -> None:
    client = openai_client(proxy)
    with pytest.raises(openai.PermissionDeniedError):
        client.chat.completions.create(
            model="gpt-4o-mini",
            messages=[
                {"role": "system", "content": "Tu es l'assistant du service client."},
                {
                    "role": "user",
                    "content": f"Le client a payé avec la carte bancaire {CARD}, expiration 12/27.",
                },
                {"role": "assistant", "content": "Bien noté."},
                {"role": "user", "content": "Rédige un mail de confirmation."},
            ],
        )
    assert provider.received == []


def test_personal_data_redacted_before_leaving(proxy: ProxyProcess, provider) -> None:
    client = openai_client(proxy)
    prompt = f"Rédige une relance polie pour la facture 2024-118 ; écrire à {EMAIL} ou appeler le {PHONE}."
    out = client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": prompt}])
    assert out.choices[0].message.content  # the answer comes back
    sent = received_text(provider)
    assert EMAIL not in sent and PHONE not in sent and "0612345678" not in sent
    content = json.loads(sent)["messages"][0]["content"]
    assert content.startswith("Rédige une relance polie pour la facture 2024-118 ; écrire à ")
    assert json.loads(sent)["model"] == "gpt-4o-mini"


def test_anthropic_system_prompt_and_tool_results_redacted(proxy: ProxyProcess, provider) -> None:
    client = anthropic_client(proxy)
    client.messages.create(
        model="claude-sonnet-5",
        max_tokens=50,
        system=f"Le compte du client pour les remboursements est {IBAN}.",
        messages=[
            {"role": "user", "content": "Cherche le contact du client."},
            {
                "role": "assistant",
                "content": [{"type": "tool_use", "id": "tu_1", "name": "crm", "input": {"q": "x"}}],
            },
            {
                "role": "user",
                "content": [{"type": "tool_result", "tool_use_id": "tu_1", "content": f"Contact : {EMAIL}"}],
            },
        ],
    )
    sent = received_text(provider)
    assert IBAN not in sent and IBAN.replace(" ", "") not in sent and EMAIL not in sent
    body = json.loads(sent)
    assert body["system"].startswith("Le compte du client pour les remboursements est ")
    assert body["messages"][1]["content"][0]["input"] == {"q": "x"}


def test_company_hosted_llm_receives_client_data(proxy: ProxyProcess, provider) -> None:
    with httpx.Client(proxy=proxy.url, verify=proxy.ssl_context()) as c:
        r = c.post(
            "https://llm.interne.example.fr/api/chat",
            json={"model": "mistral", "messages": [{"role": "user", "content": f"NIR {NIR}, mail {EMAIL}"}]},
        )
    assert r.status_code == 200
    assert NIR in received_text(provider) and EMAIL in received_text(provider)


def test_clean_prompt_forwarded_byte_for_byte(proxy: ProxyProcess, provider) -> None:
    raw = (
        b'{"model": "gpt-4o-mini",   "messages": '
        b'[{"role": "user", "content": "Traduis ce paragraphe en anglais."}]}'
    )
    with httpx.Client(proxy=proxy.url, verify=proxy.ssl_context()) as c:
        r = c.post(
            "https://api.openai.com/v1/chat/completions",
            content=raw,
            headers={"content-type": "application/json", "authorization": "Bearer sk-x"},
        )
    assert r.status_code == 200
    assert provider.received[0].body == raw


def test_no_value_in_logs_incidents_or_metrics(proxy: ProxyProcess, provider) -> None:
    """Run last in this module: every value sent above must be absent from every record."""
    client = openai_client(proxy)
    with pytest.raises(openai.PermissionDeniedError):
        client.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": f"NIR {NIR} et mail {EMAIL}"}]
        )
    deadline = time.monotonic() + 5
    while not any(r["entity_counts"].get("FR_NIR") == 1 for r in proxy.incidents()):
        assert time.monotonic() < deadline, "incident not recorded"
        time.sleep(0.05)
    incidents = json.dumps(proxy.incidents(), ensure_ascii=False)
    records = {"logs": proxy.logs(), "incidents": incidents, "metrics": proxy.metrics()}
    for where, text in records.items():
        for value in ALL_VALUES:
            assert value not in text, f"{value!r} found in {where}"
    raw = proxy.data_bytes()  # the store's own files, WAL included
    assert raw
    for value in ALL_VALUES:
        assert value.encode() not in raw, f"{value!r} found in the store's files"


def test_tool_override_and_html_page_naming_types(tmp_path, provider: FakeProvider) -> None:
    """A tool may override a data rule: here the OpenAI API may receive e-mails, but not phones."""
    rules = copy_rules(tmp_path / "rules")
    policy = (rules / "policy.yaml").read_text()
    marker = "  openai-api:\n    status: approved\n"
    assert marker in policy
    (rules / "policy.yaml").write_text(
        policy.replace(marker, marker + "    data: {EMAIL_ADDRESS: allow, PHONE_NUMBER: block}\n")
    )
    p = start_proxy(tmp_path / "run", provider, rules=rules, extra=["--set", "dlp_workers=1"])
    try:
        client = openai_client(p)
        client.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": f"Écris à {EMAIL}."}]
        )
        assert EMAIL in received_text(provider)
        provider.reset()
        with pytest.raises(openai.PermissionDeniedError) as exc:
            client.chat.completions.create(
                model="gpt-4o-mini", messages=[{"role": "user", "content": f"Appelle le {PHONE}."}]
            )
        assert "PHONE_NUMBER" in exc.value.response.json()["error"]["message"]
        # a browser posting the same to the same tool gets the French page naming the type
        with httpx.Client(proxy=p.url, verify=p.ssl_context()) as c:
            r = c.post(
                "https://api.openai.com/v1/chat/completions",
                json={
                    "model": "gpt-4o-mini",
                    "messages": [{"role": "user", "content": f"Appelle le {PHONE}."}],
                },
                headers={"accept": "text/html"},
            )
        assert r.status_code == 403 and r.headers["content-type"].startswith("text/html")
        assert "PHONE_NUMBER" in r.text and PHONE not in r.text
        assert provider.received == []
    finally:
        p.stop()

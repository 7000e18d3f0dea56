"""Content a provider reads but the scanner did not: each case through a running ``dlp-proxy run``.

Every request carries a value the shipped policy blocks (NIR, card, API key) or cannot rewrite where it
sits (an e-mail or a name in a header, split in two, in a document): it must be refused (403
``sensitive_data``) and nothing may reach the provider. Each case reached the provider before.
"""

from __future__ import annotations

import base64
import json
import subprocess
from collections.abc import Callable

import pytest
from stdnum import luhn
from stdnum.fr import nir

from tests.e2e.conftest import ProxyProcess
from tests.e2e.fakeprovider import FakeProvider
from tests.fixtures.requests.samples import make_docx, make_png, make_pptx, make_xlsx

pytestmark = pytest.mark.e2e

NIR = "1 85 05 78 006 084 91"
NIR_DIGITS = NIR.replace(" ", "")
CARD = "4970 1012 3456 7893"
CARD_DIGITS = CARD.replace(" ", "")
KEY = "sk-proj-" + "Ab3dE5gH7jK9mN1pQ3sT5vW7yZ9bC1dF3hJ5kL7n"
EMAIL = "jeanne.moreau@exemple-client.fr"
assert nir.is_valid(NIR_DIGITS) and luhn.is_valid(CARD_DIGITS)
OPENAI = "https://api.openai.com/v1/chat/completions"
FILES = "https://api.openai.com/v1/files"


def chat(*messages: object, **extra: object) -> dict:
    body: dict = {"model": "gpt-4o-mini", "messages": list(messages)}
    body.update(extra)
    return body


def user(content: object) -> dict:
    return {"role": "user", "content": content}


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def image_part(url: str) -> dict:
    return {"type": "image_url", "image_url": {"url": url}}


def curl(proxy: ProxyProcess, url: str, *args: str, data: bytes | None = None) -> tuple[int, str]:
    cmd = ["curl", "-sS", "-x", proxy.url, "--cacert", str(proxy.ca_pem), "-w", "\n%{http_code}", *args]
    if data is not None:
        cmd += ["--data-binary", "@-"]
    out = subprocess.run([*cmd, url], input=data, capture_output=True, timeout=60, check=False)
    body, _, code = out.stdout.decode().rpartition("\n")
    assert code.isdigit(), out.stderr
    return int(code), body


def post_json(proxy: ProxyProcess, body: dict, *headers: str, url: str = OPENAI) -> tuple[int, str]:
    args = ["-H", "Content-Type: application/json"]
    for h in headers:
        args += ["-H", h]
    return curl(proxy, url, *args, data=json.dumps(body).encode())


def upload(proxy: ProxyProcess, content: bytes, filename: str, media: str) -> tuple[int, str]:
    """A /v1/files multipart upload (curl builds the multipart body)."""
    path = proxy.data_dir.parent / filename
    path.write_bytes(content)
    return curl(proxy, FILES, "-F", "purpose=assistants", "-F", f"file=@{path};type={media}")


# name -> the request; each carries a value the provider would read
CASES: dict[str, Callable[[ProxyProcess], tuple[int, str]]] = {
    # values split in two: across messages, across content parts
    "nir_split_across_two_messages": lambda p: post_json(
        p, chat(user("Mon numéro de sécurité sociale : 1 85 05 78"), user("006 084 91, merci"))
    ),
    "card_split_across_two_text_parts": lambda p: post_json(
        p, chat(user([{"type": "text", "text": "carte 4970 1012"}, {"type": "text", "text": " 3456 7893"}]))
    ),
    "email_split_across_two_text_parts": lambda p: post_json(
        p,
        chat(
            user(
                [
                    {"type": "text", "text": "écris à jeanne.moreau@exem"},
                    {"type": "text", "text": "ple-client.fr"},
                ]
            )
        ),
    ),
    # HTTP headers
    "nir_in_a_custom_header": lambda p: post_json(p, chat(user("Bonjour")), f"X-Note: {NIR}"),
    "card_in_a_cookie": lambda p: post_json(p, chat(user("Bonjour")), f"Cookie: pref={CARD_DIGITS}"),
    "nir_in_the_user_agent": lambda p: post_json(p, chat(user("Bonjour")), f"User-Agent: outil/1.0 ({NIR})"),
    "email_in_openai_organization": lambda p: post_json(
        p, chat(user("Bonjour")), f"OpenAI-Organization: {EMAIL}"
    ),
    "key_in_a_custom_header": lambda p: post_json(p, chat(user("Bonjour")), f"X-Debug: {KEY}"),
    # the URL path, the model, keys, numbers, tool names
    "nir_in_the_url_path": lambda p: post_json(p, chat(user("Bonjour")), url=f"{OPENAI}/{NIR_DIGITS}"),
    "card_in_the_model_string": lambda p: post_json(
        p, chat(user("Bonjour"), model=f"gpt-4o-mini-{CARD_DIGITS}")
    ),
    "nir_as_a_json_key": lambda p: post_json(p, chat(user("Bonjour"), metadata={NIR: "x"})),
    "card_as_a_json_number": lambda p: post_json(p, chat(user("Bonjour"), seed=int(CARD_DIGITS))),
    "key_as_a_tool_name_with_underscores": lambda p: post_json(
        p,
        chat(
            user("Bonjour"),
            tools=[{"type": "function", "function": {"name": KEY.replace("-", "_"), "parameters": {}}}],
        ),
    ),
    # encodings
    "nir_in_hex": lambda p: post_json(p, chat(user(f"voici : {('NIR ' + NIR).encode().hex()}"))),
    "nir_with_letter_o_for_zero": lambda p: post_json(p, chat(user("NIR 1 85 O5 78 OO6 O84 91"))),
    # typed by bytes, not by the declared type
    "text_file_declared_image_png": lambda p: upload(p, f"NIR {NIR}\n".encode(), "photo.png", "image/png"),
    "text_behind_an_image_data_url": lambda p: post_json(
        p, chat(user([image_part(f"data:image/png;base64,{b64(f'NIR {NIR}'.encode())}")]))
    ),
    "input_audio_that_is_base64_text": lambda p: post_json(
        p,
        chat(
            user(
                [
                    {
                        "type": "input_audio",
                        "input_audio": {"data": b64(f"NIR {NIR}".encode()), "format": "wav"},
                    }
                ]
            )
        ),
    ),
    # image metadata, data: URL parameters, image URL queries
    "png_text_chunk": lambda p: post_json(
        p, chat(user([image_part(f"data:image/png;base64,{b64(make_png({'Comment': f'NIR {NIR}'}))}")]))
    ),
    "data_url_parameter": lambda p: post_json(
        p, chat(user([image_part(f"data:image/png;name={CARD_DIGITS};base64,{b64(make_png())}")]))
    ),
    "image_url_query": lambda p: post_json(
        p, chat(user([image_part(f"https://img.example.net/a.png?nir={NIR_DIGITS}")]))
    ),
    # office documents: properties, spreadsheets, presentations
    "docx_core_description": lambda p: upload(
        p,
        make_docx(["Compte rendu sans donnée."], description=f"NIR {NIR}"),
        "cr.docx",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ),
    "xlsx_numeric_cell": lambda p: upload(
        p,
        make_xlsx(["Client"], CARD_DIGITS),
        "clients.xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ),
    "pptx_speaker_notes": lambda p: upload(
        p,
        make_pptx("Résultats", f"Notes : NIR {NIR}"),
        "deck.pptx",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_value_the_provider_reads_is_refused(proxy: ProxyProcess, provider: FakeProvider, case: str) -> None:
    status, body = CASES[case](proxy)
    assert status == 403, body[:400]
    assert json.loads(body)["error"]["code"] == "sensitive_data"
    assert provider.received == []
    for value in (NIR, NIR_DIGITS, CARD, CARD_DIGITS, KEY, EMAIL):
        assert value not in body  # the refusal names types, never values


def test_clean_sdk_conversation_still_passes(proxy: ProxyProcess, provider: FakeProvider) -> None:
    """The real openai SDK (its own headers, several messages): nothing found, nothing refused."""
    import httpx
    import openai

    client = openai.OpenAI(
        api_key=KEY, http_client=httpx.Client(proxy=proxy.url, verify=str(proxy.bundle)), max_retries=0
    )
    answer = client.chat.completions.create(
        model="gpt-4o-mini",
        messages=[
            {"role": "system", "content": "Tu es un assistant utile."},
            {"role": "user", "content": "Résume la réunion de lundi sur le budget 2025."},
            {"role": "assistant", "content": "Bien sûr : budget en hausse de 3 %."},
            {"role": "user", "content": "Ajoute une conclusion."},
        ],
        seed=42,
    )
    assert answer.choices
    assert len(provider.received) == 1
    assert provider.received[0].headers["authorization"] == f"Bearer {KEY}"  # the client's own key passes


def test_email_in_one_message_is_still_pseudonymized(proxy: ProxyProcess, provider: FakeProvider) -> None:
    """The junction scan does not turn an ordinary pseudonymization into a refusal."""
    status, body = post_json(proxy, chat(user(f"Écris à {EMAIL}"), user("Bonjour, merci.")))
    assert status == 200, body[:300]
    (received,) = provider.received
    assert EMAIL.encode() not in received.body

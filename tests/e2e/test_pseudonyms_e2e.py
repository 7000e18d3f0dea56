"""Reversible pseudonyms end to end: the real SDKs, a real ``dlp-proxy run``, a provider that echoes.

The echo provider (``echoprovider.py``) answers in each API's own format with the user's last text, and
with a tool call whose arguments carry the last tool result; streams come back 1 to 3 characters per event.
So whatever pseudonyms the proxy put in a request come back in the answer, and the client must get its
original values back byte for byte, streams included — while the provider never sees them.

Two proxies, started once for the module, each with one detection worker:

- ``shipped``: the shipped policy (OpenAI and Anthropic APIs approved, personal data pseudonymized);
- ``approved``: a copy of the shipped rules where every catalog API family is approved (Gemini, Cohere,
  ChatGPT web, a generic web app, Bedrock, and an Ollama server run by an outside provider, added to the
  catalog — the shipped Ollama entry is company-hosted, hence never scanned), with ``proxyauth=any``
  so that tests can speak as different users.

Tests never hard-code a placeholder: they read the pseudonyms from what the provider received.
"""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import anthropic
import cohere
import httpx
import ollama
import openai
import pytest
from google import genai
from google.genai import types as genai_types

from dlp_proxy.extract import extract_request
from dlp_proxy.policy import load_policy
from tests.e2e.conftest import ROUTES, ProxyProcess, copy_rules, start_proxy
from tests.e2e.echoprovider import EchoProvider, Received

pytestmark = pytest.mark.e2e

NAME, EMAIL, PHONE = "Jeanne Moreau", "jeanne.moreau@exemple-client.fr", "06 12 34 56 78"
PROMPT = f"Écris à {NAME} ({EMAIL}, {PHONE}) pour confirmer."
PROMPT_RX = re.compile(r"Écris à (.+?) \((.+?), (.+?)\) pour confirmer\.")

T_NAME, T_EMAIL, T_PHONE = "Paul Durand", "paul.durand@cabinet-durand.fr", "07 98 76 54 32"
TOOL_RESULT = f"Contact : {T_NAME}, {T_EMAIL}, {T_PHONE}, client depuis 2019."
TOOL_RX = re.compile(r"Contact : (.+?), (.+?), (.+?), client depuis 2019\.")

# What must never reach the provider (other spellings of the phones included).
VALUES = [NAME, EMAIL, PHONE, "0612345678", T_NAME, T_EMAIL, T_PHONE, "0798765432"]

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "requests"
OLLAMA_HOST = "ollama.prestataire.example.net"  # added to the fixture catalog: an outside Ollama server
EXTRA_ROUTES = {  # hosts that conftest.ROUTES lacks
    "generativelanguage.googleapis.com": "gemini",
    "api.cohere.com": "cohere",
    OLLAMA_HOST: "ollama",
    "claude.ai": "generic",
    "bedrock-runtime.eu-west-3.amazonaws.com": "bedrock",
}
OLLAMA_SERVICE = f"""
  - id: ollama-prestataire
    name: Ollama d'un prestataire (test)
    vendor: Prestataire
    family: ollama
    kind: api
    hosting: outside_eu
    hosts:
      - {OLLAMA_HOST}
"""
APPROVED_TOOLS = ("gemini-api", "cohere-api", "claude-web", "bedrock-runtime", "ollama-prestataire")


# -- the proxies --------------------------------------------------------------------------------------


@dataclass
class Proxies:
    shipped: ProxyProcess
    approved: ProxyProcess
    approved_rules: Path


def approved_rules(dst: Path) -> Path:
    """The shipped rules, with every catalog API family approved and an outside Ollama server listed."""
    rules = copy_rules(dst)
    policy = (rules / "policy.yaml").read_text()
    pilot = "  chatgpt-web:\n    status: pilot\n"
    assert pilot in policy and "    groups: [pilote-ia]\n" in policy
    policy = policy.replace(pilot, "  chatgpt-web:\n    status: approved\n").replace(
        "    groups: [pilote-ia]\n", ""
    )
    listed = "".join(f"  {tool}: {{status: approved}}\n" for tool in APPROVED_TOOLS)
    anchor = "\n# Usages encadrés"
    assert anchor in policy
    (rules / "policy.yaml").write_text(policy.replace(anchor, "\n" + listed + anchor, 1))
    with (rules / "catalog.yaml").open("a") as f:
        f.write(OLLAMA_SERVICE)
    return rules


def route_args(routes: dict[str, str], port: int) -> list[str]:
    out = []
    for host, prefix in routes.items():
        rx = host.replace(".", r"\.")
        out += ["--set", f"map_remote=|https://{rx}/|http://127.0.0.1:{port}/{prefix}/"]
    return out


@pytest.fixture(scope="module")
def echo() -> Iterator[EchoProvider]:
    p = EchoProvider()
    yield p
    p.stop()


@pytest.fixture(scope="module")
def proxies(tmp_path_factory: pytest.TempPathFactory, echo: EchoProvider) -> Iterator[Proxies]:
    """Both proxies, started side by side (each loads the spaCy model in one worker)."""
    tmp = tmp_path_factory.mktemp("pseudonyms")
    rules = approved_rules(tmp / "rules")
    one_worker = ["--set", "dlp_workers=1"]
    approved_extra = [*one_worker, "--set", "proxyauth=any", *route_args(EXTRA_ROUTES, echo.port)]
    with ThreadPoolExecutor(2) as pool:
        futures = [
            pool.submit(start_proxy, tmp / "shipped", echo, None, one_worker),
            pool.submit(start_proxy, tmp / "approved", echo, rules, approved_extra),
        ]
    started = [f.result() for f in futures if f.exception() is None]
    try:
        if len(started) < len(futures):
            raise next(f.exception() for f in futures if f.exception() is not None)
        yield Proxies(started[0], started[1], rules)
    finally:
        for p in started:
            p.stop()


@pytest.fixture(autouse=True)
def _clean_echo(echo: EchoProvider) -> Iterator[None]:
    echo.reset()
    start = len(echo.history)
    yield
    # whatever a test sent (even before it reset the provider), no value ever reached the provider
    assert_never_seen(echo, since=start)


# -- helpers ------------------------------------------------------------------------------------------


def proxy_url(proxy: ProxyProcess, user: str | None = None) -> str:
    return f"http://{user}:secret@127.0.0.1:{proxy.port}" if user else proxy.url


def openai_client(proxy: ProxyProcess, user: str | None = None) -> openai.OpenAI:
    http_client = openai.DefaultHttpxClient(proxy=proxy_url(proxy, user), verify=proxy.ssl_context())
    return openai.OpenAI(api_key="sk-test-not-real", http_client=http_client, max_retries=0, timeout=30)


def anthropic_client(proxy: ProxyProcess) -> anthropic.Anthropic:
    http_client = anthropic.DefaultHttpxClient(proxy=proxy.url, verify=proxy.ssl_context())
    return anthropic.Anthropic(
        api_key="sk-ant-test-not-real", http_client=http_client, max_retries=0, timeout=30
    )


def httpx_client(proxy: ProxyProcess, user: str | None = None) -> httpx.Client:
    return httpx.Client(proxy=proxy_url(proxy, user), verify=proxy.ssl_context(), timeout=30)


def strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from strings(v)


def sent(rec: Received, rx: re.Pattern[str]) -> list[tuple[str, ...]]:
    """What the provider received in place of the values: the groups of ``rx`` in every string sent.

    Tool-call arguments are JSON inside a JSON string: their strings are searched too.
    """
    found = []
    for s in strings(rec.json()):
        found += [m.groups() for m in rx.finditer(s)]
        if s.startswith("{"):
            try:
                found += [
                    g for inner in strings(json.loads(s)) for g in (m.groups() for m in rx.finditer(inner))
                ]
            except ValueError:
                pass
    return found


def assert_pseudonymized(got: tuple[str, ...], originals: tuple[str, ...]) -> None:
    """Each value replaced by something else that does not contain it; no two values share one."""
    assert len(set(got)) == len(got), got
    for pseudonym, original in zip(got, originals, strict=True):
        assert pseudonym != original and original not in pseudonym


def assert_never_seen(echo: EchoProvider, since: int = 0) -> None:
    seen = echo.all_bodies(since)
    assert seen, "the provider received nothing at all"
    for value in VALUES:
        assert value.encode() not in seen, f"the provider received {value!r}"
        assert json.dumps(value).encode() not in seen  # as an escaped JSON string too


def only(echo: EchoProvider, pattern: str) -> Received:
    recs = echo.matching(pattern)
    assert len(recs) == 1, [r.path for r in echo.received]
    return recs[0]


# -- OpenAI Chat Completions --------------------------------------------------------------------------

OPENAI_TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "crm",
            "description": "Fiche d'un contact",
            "parameters": {"type": "object", "properties": {"texte": {"type": "string"}}},
        },
    }
]
CHAT_WITH_TOOL = [
    {"role": "user", "content": PROMPT},
    {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {"id": "call_1", "type": "function", "function": {"name": "crm", "arguments": '{"q": "contact"}'}}
        ],
    },
    {"role": "tool", "tool_call_id": "call_1", "content": TOOL_RESULT},
]


def test_openai_chat_json(proxies: Proxies, echo: EchoProvider) -> None:
    client = openai_client(proxies.shipped)
    out = client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": PROMPT}])
    assert out.choices[0].message.content == PROMPT
    (got,) = sent(only(echo, r"/chat/completions$"), PROMPT_RX)
    assert_pseudonymized(got, (NAME, EMAIL, PHONE))


def test_openai_chat_stream(proxies: Proxies, echo: EchoProvider) -> None:
    client = openai_client(proxies.shipped)
    stream = client.chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": PROMPT}], stream=True
    )
    deltas = [c.choices[0].delta.content for c in stream if c.choices and c.choices[0].delta.content]
    assert "".join(deltas) == PROMPT
    assert len(deltas) > 20  # it came back in many small events
    (got,) = sent(only(echo, r"/chat/completions$"), PROMPT_RX)
    assert_pseudonymized(got, (NAME, EMAIL, PHONE))


@pytest.mark.parametrize("stream", [False, True], ids=["json", "stream"])
def test_openai_chat_tool_result_restored_in_tool_call(
    proxies: Proxies, echo: EchoProvider, stream: bool
) -> None:
    client = openai_client(proxies.shipped)
    if stream:
        with client.chat.completions.stream(
            model="gpt-4o-mini", messages=CHAT_WITH_TOOL, tools=OPENAI_TOOLS
        ) as s:
            message = s.get_final_completion().choices[0].message
    else:
        message = (
            client.chat.completions.create(model="gpt-4o-mini", messages=CHAT_WITH_TOOL, tools=OPENAI_TOOLS)
            .choices[0]
            .message
        )
    assert message.content == PROMPT
    assert json.loads(message.tool_calls[0].function.arguments) == {"texte": TOOL_RESULT}
    rec = only(echo, r"/chat/completions$")
    (got,) = sent(rec, TOOL_RX)
    assert_pseudonymized(got, (T_NAME, T_EMAIL, T_PHONE))
    assert rec.json()["messages"][2]["role"] == "tool"


# -- OpenAI Responses ---------------------------------------------------------------------------------

RESPONSES_TOOLS = [
    {"type": "function", "name": "crm", "parameters": {"type": "object", "properties": {}}, "strict": False}
]
RESPONSES_INPUT = [
    {"role": "user", "content": PROMPT},
    {"type": "function_call", "call_id": "call_1", "name": "crm", "arguments": '{"q": "contact"}'},
    {"type": "function_call_output", "call_id": "call_1", "output": TOOL_RESULT},
]


def test_openai_responses_json(proxies: Proxies, echo: EchoProvider) -> None:
    client = openai_client(proxies.shipped)
    out = client.responses.create(model="gpt-4.1", input=PROMPT)
    assert out.output_text == PROMPT
    (got,) = sent(only(echo, r"/responses$"), PROMPT_RX)
    assert_pseudonymized(got, (NAME, EMAIL, PHONE))

    out = client.responses.create(model="gpt-4.1", input=RESPONSES_INPUT, tools=RESPONSES_TOOLS)
    assert out.output_text == PROMPT
    assert json.loads(out.output[1].arguments) == {"texte": TOOL_RESULT}


def test_openai_responses_stream(proxies: Proxies, echo: EchoProvider) -> None:
    client = openai_client(proxies.shipped)
    deltas, arg_deltas = [], []
    with client.responses.stream(model="gpt-4.1", input=RESPONSES_INPUT, tools=RESPONSES_TOOLS) as s:
        for event in s:
            if event.type == "response.output_text.delta":
                deltas.append(event.delta)
            elif event.type == "response.function_call_arguments.delta":
                arg_deltas.append(event.delta)
        final = s.get_final_response()
    assert "".join(deltas) == PROMPT and len(deltas) > 20
    assert json.loads("".join(arg_deltas)) == {"texte": TOOL_RESULT}
    assert final.output_text == PROMPT
    assert json.loads(final.output[1].arguments) == {"texte": TOOL_RESULT}
    rec = only(echo, r"/responses$")
    (got,) = sent(rec, PROMPT_RX)
    assert_pseudonymized(got, (NAME, EMAIL, PHONE))
    (got,) = sent(rec, TOOL_RX)
    assert_pseudonymized(got, (T_NAME, T_EMAIL, T_PHONE))


# -- Anthropic ----------------------------------------------------------------------------------------

ANTHROPIC_TOOLS = [{"name": "crm", "description": "Fiche d'un contact", "input_schema": {"type": "object"}}]


def test_anthropic_json_and_stream(proxies: Proxies, echo: EchoProvider) -> None:
    client = anthropic_client(proxies.shipped)
    messages = [{"role": "user", "content": PROMPT}]
    msg = client.messages.create(model="claude-sonnet-5", max_tokens=200, messages=messages)
    assert msg.content[0].text == PROMPT
    texts = []
    with client.messages.stream(model="claude-sonnet-5", max_tokens=200, messages=messages) as s:
        for event in s:
            if event.type == "text":
                texts.append(event.text)
    assert "".join(texts) == PROMPT and len(texts) > 20
    recs = echo.matching(r"/v1/messages$")
    assert len(recs) == 2
    for rec in recs:
        (got,) = sent(rec, PROMPT_RX)
        assert_pseudonymized(got, (NAME, EMAIL, PHONE))


@pytest.mark.parametrize("stream", [False, True], ids=["json", "stream"])
def test_anthropic_tool_use_round_trip(proxies: Proxies, echo: EchoProvider, stream: bool) -> None:
    client = anthropic_client(proxies.shipped)
    messages = [
        {"role": "user", "content": PROMPT},
        {
            "role": "assistant",
            "content": [{"type": "tool_use", "id": "toolu_1", "name": "crm", "input": {"q": "contact"}}],
        },
        {
            "role": "user",
            "content": [{"type": "tool_result", "tool_use_id": "toolu_1", "content": TOOL_RESULT}],
        },
    ]
    kw = dict(model="claude-sonnet-5", max_tokens=200, messages=messages, tools=ANTHROPIC_TOOLS)
    if stream:
        partial = []
        with client.messages.stream(**kw) as s:
            for event in s:
                if event.type == "input_json":
                    partial.append(event.partial_json)
            msg = s.get_final_message()
        assert json.loads("".join(partial)) == {"texte": TOOL_RESULT}
    else:
        msg = client.messages.create(**kw)
    assert msg.content[0].text == PROMPT
    assert msg.content[1].type == "tool_use" and msg.content[1].input == {"texte": TOOL_RESULT}
    rec = only(echo, r"/v1/messages$")
    (got,) = sent(rec, TOOL_RX)
    assert_pseudonymized(got, (T_NAME, T_EMAIL, T_PHONE))
    assert rec.json()["messages"][1]["content"][0]["input"] == {"q": "contact"}


# -- Gemini, Ollama, Cohere (approved in the fixture policy) ------------------------------------------


def gemini_client(proxy: ProxyProcess, user: str) -> genai.Client:
    http = httpx_client(proxy, user)
    return genai.Client(api_key="AIza-test-not-real", http_options=genai_types.HttpOptions(httpx_client=http))


def test_gemini_generate_content_and_stream(proxies: Proxies, echo: EchoProvider) -> None:
    client = gemini_client(proxies.approved, "gemini-user")
    out = client.models.generate_content(model="gemini-2.5-flash", contents=PROMPT)
    assert out.text == PROMPT
    chunks = [
        c.text for c in client.models.generate_content_stream(model="gemini-2.5-flash", contents=PROMPT)
    ]
    assert "".join(t for t in chunks if t) == PROMPT and len(chunks) > 20
    assert echo.matching(r":streamGenerateContent\?alt=sse$")
    recs = echo.matching(r":(stream)?[gG]enerateContent")
    assert len(recs) == 2
    for rec in recs:
        (got,) = sent(rec, PROMPT_RX)
        assert_pseudonymized(got, (NAME, EMAIL, PHONE))

    # a function response goes out pseudonymized; the function call's arguments come back restored
    tool = genai_types.Tool(
        function_declarations=[
            genai_types.FunctionDeclaration(
                name="crm",
                description="Fiche d'un contact",
                parameters=genai_types.Schema(
                    type="OBJECT", properties={"q": genai_types.Schema(type="STRING")}
                ),
            )
        ]
    )
    contents = [
        genai_types.Content(role="user", parts=[genai_types.Part(text=PROMPT)]),
        genai_types.Content(
            role="model",
            parts=[genai_types.Part(function_call=genai_types.FunctionCall(name="crm", args={}))],
        ),
        genai_types.Content(
            role="user",
            parts=[
                genai_types.Part(
                    function_response=genai_types.FunctionResponse(
                        name="crm", response={"result": TOOL_RESULT}
                    )
                )
            ],
        ),
    ]
    config = genai_types.GenerateContentConfig(tools=[tool])
    echo.reset()
    out = client.models.generate_content(model="gemini-2.5-flash", contents=contents, config=config)
    assert out.function_calls[0].args == {"texte": TOOL_RESULT}
    (got,) = sent(only(echo, r":generateContent"), TOOL_RX)
    assert_pseudonymized(got, (T_NAME, T_EMAIL, T_PHONE))


def test_ollama_chat_stream(proxies: Proxies, echo: EchoProvider) -> None:
    client = ollama.Client(
        host=f"https://{OLLAMA_HOST}",
        proxy=proxy_url(proxies.approved, "ollama-user"),
        verify=proxies.approved.ssl_context(),
        timeout=30,
    )
    tools = [{"type": "function", "function": {"name": "crm", "parameters": {"type": "object"}}}]
    messages = [
        {"role": "user", "content": PROMPT},
        {"role": "assistant", "content": "", "tool_calls": [{"function": {"name": "crm", "arguments": {}}}]},
        {"role": "tool", "content": TOOL_RESULT, "tool_name": "crm"},
    ]
    texts, calls = [], []
    for chunk in client.chat(model="llama3.2", messages=messages, tools=tools, stream=True):
        if chunk.message.content:
            texts.append(chunk.message.content)
        calls += chunk.message.tool_calls or []
    assert "".join(texts) == PROMPT and len(texts) > 20
    assert [dict(c.function.arguments) for c in calls] == [{"texte": TOOL_RESULT}]
    rec = only(echo, r"/api/chat$")
    (got,) = sent(rec, PROMPT_RX)
    assert_pseudonymized(got, (NAME, EMAIL, PHONE))
    (got,) = sent(rec, TOOL_RX)
    assert_pseudonymized(got, (T_NAME, T_EMAIL, T_PHONE))


def test_cohere_v2_chat_stream(proxies: Proxies, echo: EchoProvider) -> None:
    client = cohere.ClientV2(
        api_key="co-test-not-real", httpx_client=httpx_client(proxies.approved, "cohere-user")
    )
    tools = [{"type": "function", "function": {"name": "crm", "parameters": {"type": "object"}}}]
    messages = [
        {"role": "user", "content": PROMPT},
        {
            "role": "assistant",
            "tool_plan": "Je cherche la fiche.",
            "tool_calls": [
                {"id": "tc_1", "type": "function", "function": {"name": "crm", "arguments": "{}"}}
            ],
        },
        {"role": "tool", "tool_call_id": "tc_1", "content": TOOL_RESULT},
    ]
    texts, args = [], []
    for event in client.chat_stream(model="command-a-03-2025", messages=messages, tools=tools):
        if event.type == "content-delta":
            texts.append(event.delta.message.content.text)
        elif event.type == "tool-call-delta":
            args.append(event.delta.message.tool_calls.function.arguments)
    assert "".join(texts) == PROMPT and len(texts) > 20
    assert json.loads("".join(args)) == {"texte": TOOL_RESULT}
    rec = only(echo, r"/v2/chat$")
    (got,) = sent(rec, PROMPT_RX)
    assert_pseudonymized(got, (NAME, EMAIL, PHONE))
    (got,) = sent(rec, TOOL_RX)
    assert_pseudonymized(got, (T_NAME, T_EMAIL, T_PHONE))


# -- stability and isolation of pseudonyms ------------------------------------------------------------

LATER_RX = re.compile(r"Rappelle (.+?) au (.+?) demain\.")


def test_same_value_same_pseudonym_in_a_request_and_the_next(proxies: Proxies, echo: EchoProvider) -> None:
    client = openai_client(proxies.approved, "stable-user")
    later = f"Rappelle {NAME} au {PHONE} demain."
    messages = [
        {"role": "user", "content": PROMPT},
        {"role": "assistant", "content": "C'est noté."},
        {"role": "user", "content": later},
    ]
    out = client.chat.completions.create(model="gpt-4o-mini", messages=messages)
    assert out.choices[0].message.content == later  # the echo of the last message, restored
    rec = only(echo, r"/chat/completions$")
    (first,) = sent(rec, PROMPT_RX)
    (second,) = sent(rec, LATER_RX)
    assert_pseudonymized(first, (NAME, EMAIL, PHONE))
    assert second == (first[0], first[2])  # same name, same phone: same pseudonyms in the same request

    echo.reset()
    out = client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": PROMPT}])
    assert out.choices[0].message.content == PROMPT
    (again,) = sent(only(echo, r"/chat/completions$"), PROMPT_RX)
    assert again == first  # a later request of the same user: the same pseudonyms


def test_two_proxy_users_never_share_pseudonyms(proxies: Proxies, echo: EchoProvider) -> None:
    alice, bob, carol = (openai_client(proxies.approved, u) for u in ("alice", "bob", "carol"))

    def ask(client: openai.OpenAI, text: str) -> tuple[str, tuple[str, ...]]:
        echo.reset()
        out = client.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": text}]
        )
        rec = only(echo, r"/chat/completions$")
        return out.choices[0].message.content, rec.json()["messages"][0]["content"]

    answer, sent_a = ask(alice, PROMPT)
    assert answer == PROMPT
    (pa,) = PROMPT_RX.findall(sent_a)
    prompt_b = f"Écris à {T_NAME} ({T_EMAIL}, {T_PHONE}) pour confirmer."
    answer, sent_b = ask(bob, prompt_b)
    assert answer == prompt_b
    (pb,) = PROMPT_RX.findall(sent_b)
    assert_pseudonymized(pb, (T_NAME, T_EMAIL, T_PHONE))

    # Bob's answer quotes Alice's pseudonyms: he must never get Alice's values back
    quoting = f"Qui sont {pa[0]}, {pa[1]} et {pa[2]} ?"
    answer, _ = ask(bob, quoting)
    for value in (NAME, EMAIL, PHONE):
        assert value not in answer
    # Carol has no pseudonym at all: the answer comes back as the provider wrote it
    answer, _ = ask(carol, quoting)
    assert answer == quoting
    # and Alice still gets hers
    answer, _ = ask(alice, quoting)
    assert answer == f"Qui sont {NAME}, {EMAIL} et {PHONE} ?"


def test_two_client_addresses_never_share_pseudonyms(proxies: Proxies, echo: EchoProvider) -> None:
    """Without proxy authentication the vault is the client's address (127.0.0.2 vs 127.0.0.3)."""
    proxy = proxies.shipped

    def ask(address: str, text: str) -> tuple[str, str]:
        echo.reset()
        body = json.dumps({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": text}]})
        out = subprocess.run(
            ["curl", "-sS", "--fail", "--interface", address, "-x", proxy.url, "--cacert", str(proxy.bundle)]
            + ["-H", "content-type: application/json", "-H", "authorization: Bearer sk-test", "-d", body]
            + ["https://api.openai.com/v1/chat/completions"],
            capture_output=True,
            timeout=30,
            check=True,
        )
        answer = json.loads(out.stdout)["choices"][0]["message"]["content"]
        return answer, only(echo, r"/chat/completions$").json()["messages"][0]["content"]

    answer, sent_a = ask("127.0.0.2", PROMPT)
    assert answer == PROMPT
    (pa,) = PROMPT_RX.findall(sent_a)
    assert_pseudonymized(pa, (NAME, EMAIL, PHONE))
    quoting = f"Qui sont {pa[0]}, {pa[1]} et {pa[2]} ?"
    answer, _ = ask("127.0.0.3", quoting)
    assert answer == quoting  # another address: no vault, nothing restored
    answer, _ = ask("127.0.0.2", quoting)
    assert answer == f"Qui sont {NAME}, {EMAIL} et {PHONE} ?"


# -- every API family ---------------------------------------------------------------------------------

# family -> (host of one catalog service of that family, captured request fixture)
FAMILIES = {
    "openai": ("api.openai.com", "openai/chat_agent"),
    "anthropic": ("api.anthropic.com", "anthropic/messages_agent"),
    "gemini": ("generativelanguage.googleapis.com", "gemini/generate_content"),
    "mistral": ("api.mistral.ai", "mistral/chat"),
    "cohere": ("api.cohere.com", "cohere/chat_v2"),
    "ollama": (OLLAMA_HOST, "ollama/chat"),
    "chatgpt-web": ("chatgpt.com", "chatgpt-web/conversation"),
    "generic": ("claude.ai", "generic/form"),
    "bedrock": ("bedrock-runtime.eu-west-3.amazonaws.com", "bedrock/converse"),
}


def fixture_request(name: str) -> tuple[dict, str, bytes]:
    """A captured request with an e-mail address in place of every marker the proxy may rewrite.

    (Bedrock's body is signed, so none is rewritable: there the e-mail replaces every marker, including
    those glued to a file extension such as ``contrat MARQUEUR-007.pdf`` → ``x@y.fr.pdf``.)
    """
    meta = json.loads((FIXTURES / f"{name}.meta.json").read_text())
    body = (FIXTURES / name).parent.joinpath(meta["body_file"]).read_bytes()
    ex = extract_request(meta["family"], meta["method"], meta["path"], meta["headers"], body)
    texts = [s.text for s in ex.segments if s.rewritable or ex.signed]
    markers = [m for m in meta["markers"] if any(m in text for text in texts)]
    assert markers
    path = meta["path"]
    for marker in markers:
        body = body.replace(marker.encode(), EMAIL.encode())
        path = path.replace(marker, EMAIL)
    return meta, path, body


def test_every_api_family_never_receives_the_email(proxies: Proxies, echo: EchoProvider) -> None:
    """The issue's "done when": one request per API family, in its real format, with an e-mail in it."""
    assert set(FAMILIES) == {
        "openai",
        "anthropic",
        "gemini",
        "mistral",
        "cohere",
        "ollama",
        "chatgpt-web",
        "generic",
        "bedrock",
    }
    policy = load_policy(proxies.approved_rules)
    routed = {**ROUTES, **EXTRA_ROUTES}
    statuses = {}
    with httpx_client(proxies.approved, "every-family") as client:
        for family, (host, name) in FAMILIES.items():
            meta, path, body = fixture_request(name)
            service = policy.catalog.classify(host, path)
            assert service is not None and service.family == family, (family, service)
            assert policy.tool_policy(service.id).status == "approved" and service.hosting != "company"
            assert host in routed  # never a request to the real host
            echo.reset()
            r = client.request(meta["method"], f"https://{host}{path}", content=body, headers=meta["headers"])
            statuses[family] = r.status_code
            if family == "bedrock":
                # SigV4 signs the body: it cannot be rewritten, so it is refused and never sent
                assert r.status_code == 403, r.text
                assert echo.received == []
                assert EMAIL not in r.text
                continue
            assert r.status_code == 200, (family, r.status_code, r.text[:300])
            rec = only(echo, ".")
            assert EMAIL.encode() not in rec.body and EMAIL not in unquote(rec.path), family
            assert len(rec.body) > len(body) // 2  # the request itself went through, rewritten
    assert statuses == {f: 403 if f == "bedrock" else 200 for f in FAMILIES}

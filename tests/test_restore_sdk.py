"""The restored streams, read by the providers' own SDKs (their SSE parsers and message accumulators).

The restorer is fed the provider's stream one byte at a time; whatever it returns is handed to the SDK
piece by piece through a mock transport, as mitmproxy would forward it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import anthropic
import cohere
import httpx
import httpx2
import ollama
import openai
from google import genai

from dlp_proxy.restore import make_stream_restorer, restore_json_body
from tests.test_restore_stream import (
    ARGS,
    MODEL_ARGS,
    MODEL_TEXT,
    REPL,
    TEXT,
    anthropic_stream,
    cohere_v2_stream,
    cut_inside_placeholders,
    gemini_stream,
    ollama_stream,
    one_per_char,
    openai_chat_stream,
    openai_responses_stream,
)

ENDING = MODEL_TEXT + " et [[PERS"  # also ends with something that only looks like a placeholder start
ENDING_TEXT = REPL.restore(ENDING)


def restored_pieces(kind: str, body: bytes) -> Iterator[bytes]:
    restorer = make_stream_restorer(kind, REPL)
    for i in range(len(body)):
        yield from restorer(body[i : i + 1])
    yield from restorer(b"")


def transport(kind: str, body: bytes, content_type: str = "text/event-stream"):
    def handler(request):
        return httpx2.Response(
            200, headers={"content-type": content_type}, content=restored_pieces(kind, body)
        )

    return httpx2.MockTransport(handler)


def openai_client(kind: str, body: bytes):
    return openai.OpenAI(api_key="sk-test", http_client=httpx2.Client(transport=transport(kind, body)))


def test_openai_chat_sdk_assembles_restored_stream():
    body = openai_chat_stream(one_per_char(ENDING), cut_inside_placeholders(MODEL_ARGS))
    client = openai_client("openai-chat-sse", body)
    text = "".join(
        chunk.choices[0].delta.content or ""
        for chunk in client.chat.completions.create(model="gpt-4o", messages=[], stream=True)
        if chunk.choices
    )
    assert text == ENDING_TEXT

    client = openai_client("openai-chat-sse", body)
    tool = {"type": "function", "function": {"name": "save", "parameters": {"type": "object"}}}
    with client.chat.completions.stream(model="gpt-4o", messages=[], tools=[tool]) as stream:
        final = stream.get_final_completion()
    message = final.choices[0].message
    assert message.content == ENDING_TEXT
    assert json.loads(message.tool_calls[0].function.arguments) == ARGS


def test_openai_responses_sdk_assembles_restored_stream():
    body = openai_responses_stream(one_per_char(MODEL_TEXT), cut_inside_placeholders(MODEL_ARGS))
    client = openai_client("openai-responses-sse", body)
    deltas = [
        event.delta
        for event in client.responses.create(model="gpt-4.1", input="x", stream=True)
        if event.type == "response.output_text.delta"
    ]
    assert "".join(deltas) == TEXT

    client = openai_client("openai-responses-sse", body)
    with client.responses.stream(model="gpt-4.1", input="x") as stream:
        final = stream.get_final_response()
    assert final.output_text == TEXT
    assert json.loads(final.output[1].arguments) == ARGS


def test_anthropic_sdk_assembles_restored_stream():
    body = anthropic_stream(one_per_char(ENDING), cut_inside_placeholders(MODEL_ARGS))
    client = anthropic.Anthropic(
        api_key="sk-ant-test", http_client=httpx2.Client(transport=transport("anthropic-sse", body))
    )
    with client.messages.stream(model="claude-opus-4-7", max_tokens=100, messages=[]) as stream:
        streamed = "".join(stream.text_stream)
        final = stream.get_final_message()
    assert streamed == ENDING_TEXT
    assert final.content[0].text == ENDING_TEXT
    assert final.content[1].input == ARGS  # the SDK parsed the restored partial_json


def test_openai_sdk_reads_restored_json_body():
    completion = {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 1741570283,
        "model": "gpt-4o",
        "choices": [
            {
                "index": 0,
                "message": {
                    "role": "assistant",
                    "content": MODEL_TEXT,
                    "tool_calls": [
                        {
                            "id": "call_1",
                            "type": "function",
                            "function": {"name": "save", "arguments": MODEL_ARGS},
                        }
                    ],
                },
                "finish_reason": "tool_calls",
            }
        ],
    }
    raw = json.dumps(completion, indent=2).encode()
    restored = restore_json_body(raw, REPL)

    def handler(request):
        return httpx2.Response(200, headers={"content-type": "application/json"}, content=restored)

    client = openai.OpenAI(
        api_key="sk-test", http_client=httpx2.Client(transport=httpx2.MockTransport(handler))
    )
    message = client.chat.completions.create(model="gpt-4o", messages=[]).choices[0].message
    assert message.content == TEXT
    assert json.loads(message.tool_calls[0].function.arguments) == ARGS


def test_gemini_sdk_assembles_restored_stream():
    body = gemini_stream(one_per_char(MODEL_TEXT), cut_inside_placeholders(MODEL_ARGS))
    client = genai.Client(
        api_key="test",
        http_options={"httpx_client": httpx2.Client(transport=transport("gemini-sse", body))},
    )
    chunks = list(client.models.generate_content_stream(model="gemini-2.5-flash", contents="x"))
    text = "".join(part.text or "" for c in chunks for part in c.candidates[0].content.parts)
    assert text == TEXT
    calls = [
        part.function_call for c in chunks for part in c.candidates[0].content.parts if part.function_call
    ]
    assert calls[0].args == ARGS


def test_ollama_sdk_assembles_restored_stream():
    body = ollama_stream(one_per_char(ENDING), cut_inside_placeholders(MODEL_ARGS))

    def handler(request):
        pieces = list(restored_pieces("ndjson", body))
        return httpx.Response(200, headers={"content-type": "application/x-ndjson"}, content=iter(pieces))

    client = ollama.Client(host="http://127.0.0.1:1", transport=httpx.MockTransport(handler))
    parts = list(client.chat(model="llama3.2", messages=[], stream=True))
    assert "".join(p.message.content or "" for p in parts) == ENDING_TEXT
    calls = [c for p in parts for c in (p.message.tool_calls or [])]
    assert dict(calls[0].function.arguments) == ARGS


def test_cohere_sdk_assembles_restored_stream():
    body = cohere_v2_stream(one_per_char(ENDING), cut_inside_placeholders(MODEL_ARGS))

    def handler(request):
        pieces = list(restored_pieces("cohere-sse", body))
        return httpx.Response(200, headers={"content-type": "text/event-stream"}, content=iter(pieces))

    client = cohere.ClientV2(
        api_key="test", httpx_client=httpx.Client(transport=httpx.MockTransport(handler))
    )
    text, args = "", ""
    for event in client.chat_stream(model="command-a-03-2025", messages=[]):
        if event.type == "content-delta":
            text += event.delta.message.content.text
        elif event.type == "tool-call-delta":
            args += event.delta.message.tool_calls.function.arguments
    assert text == ENDING_TEXT
    assert json.loads(args) == ARGS

"""Whole JSON answers: every string with a pseudonym restored, every other byte kept."""

from __future__ import annotations

import json

from dlp_proxy.restore import Replacements, restore_json_body

MAPPING = {
    "[[PERSON_1]]": 'Jean "Jo" Dupont',
    "[[EMAIL_ADDRESS_1]]": "zoé@exemple.fr",
    "Camille Texier": "Marie Curie",
}
REPL = Replacements(MAPPING)


def test_openai_completion_with_tool_call_arguments():
    body = (
        b'{\n  "id": "chatcmpl-1",\n  "created": 1741570283,\n  "temperature": 1.0e-5,\n'
        b'  "choices": [{"index": 0, "message": {"role": "assistant",\n'
        b'    "content": "Bonjour [[PERSON_1]], Camille Texier vous \\u00e9crit",\n'
        b'    "tool_calls": [{"id": "call_1", "type": "function", "function": {"name": "save",\n'
        b'      "arguments": "{\\"name\\": \\"[[PERSON_1]]\\", \\"mail\\": \\"[[EMAIL_ADDRESS_1]]\\"}"}}]},\n'
        b'    "finish_reason": "tool_calls"}]\n}'
    )
    out = restore_json_body(body, MAPPING)
    data = json.loads(out)
    message = data["choices"][0]["message"]
    assert message["content"] == 'Bonjour Jean "Jo" Dupont, Marie Curie vous écrit'
    assert json.loads(message["tool_calls"][0]["function"]["arguments"]) == {
        "name": 'Jean "Jo" Dupont',
        "mail": "zoé@exemple.fr",
    }
    # Only the two literals holding pseudonyms were rewritten: layout and numbers are untouched.
    assert out.startswith(b'{\n  "id": "chatcmpl-1",\n  "created": 1741570283,\n  "temperature": 1.0e-5,\n')
    assert out.endswith(b'"finish_reason": "tool_calls"}]\n}')
    assert b"\\u00e9crit" in out  # the literal kept its escaping style


def test_anthropic_message_with_tool_use_input():
    message = {
        "id": "msg_1",
        "type": "message",
        "role": "assistant",
        "content": [
            {"type": "text", "text": "Voici [[PERSON_1]]"},
            {"type": "tool_use", "id": "toolu_1", "name": "save", "input": {"to": "[[EMAIL_ADDRESS_1]]"}},
        ],
        "stop_reason": "tool_use",
    }
    out = json.loads(restore_json_body(json.dumps(message).encode(), REPL))
    assert out["content"][0]["text"] == 'Voici Jean "Jo" Dupont'
    assert out["content"][1]["input"] == {"to": "zoé@exemple.fr"}


def test_gemini_stream_as_json_array():
    chunks = [
        {"candidates": [{"content": {"parts": [{"text": t}], "role": "model"}}]}
        for t in ["[[PERSON_1]]", "!"]
    ]
    out = json.loads(restore_json_body(json.dumps(chunks).encode(), REPL))
    assert out[0]["candidates"][0]["content"]["parts"][0]["text"] == 'Jean "Jo" Dupont'


def test_body_without_pseudonyms_is_the_same_bytes():
    body = b'{"a": "[[wiki]]", "b": [1, 2.50, "\\u00e9"]}'
    assert restore_json_body(body, REPL) is body


def test_not_json_is_restored_as_text():
    assert restore_json_body(b"Erreur pour [[PERSON_1]]", REPL) == b'Erreur pour Jean "Jo" Dupont'


def test_not_utf8_is_left_alone():
    body = b"\xff\xfe[[PERSON_1]]"
    assert restore_json_body(body, REPL) == body


def test_empty_mapping_or_body():
    assert restore_json_body(b'{"a": "[[PERSON_1]]"}', {}) == b'{"a": "[[PERSON_1]]"}'
    assert restore_json_body(b"", REPL) == b""

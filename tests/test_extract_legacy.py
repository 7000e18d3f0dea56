"""The legacy walker still used by addon.py (delete with dlp_proxy/extract/legacy.py once it moves)."""

from __future__ import annotations

import json

from dlp_proxy.extract.legacy import json_segments, write_back

OPENAI_AGENT = {
    "model": "gpt-4o-mini",
    "messages": [
        {"role": "system", "content": "Tu es l'assistant du cabinet."},
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "Écris à jean.dupont@example.fr"},
                {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBOR"}},
            ],
        },
        {
            "role": "assistant",
            "tool_calls": [
                {
                    "id": "call_1",
                    "type": "function",
                    "function": {"name": "send", "arguments": '{"to": "Marie"}'},
                }
            ],
        },
        {"role": "tool", "tool_call_id": "call_1", "content": "Envoyé à Marie Curie"},
    ],
}

ANTHROPIC = {
    "model": "claude-sonnet-5",
    "system": [{"type": "text", "text": "Consignes internes"}],
    "messages": [
        {
            "role": "user",
            "content": [
                {
                    "type": "document",
                    "source": {"type": "base64", "media_type": "application/pdf", "data": "JVBERi0x"},
                },
                {"type": "tool_result", "tool_use_id": "tu_1", "content": "IBAN FR76..."},
            ],
        },
    ],
}


def test_openai_every_text_is_a_segment() -> None:
    texts = [s.text for s in json_segments(OPENAI_AGENT)]
    assert texts == [
        "Tu es l'assistant du cabinet.",
        "Écris à jean.dupont@example.fr",
        "send",
        '{"to": "Marie"}',
        "Envoyé à Marie Curie",
    ]


def test_anthropic_system_and_tool_results_scanned_binary_skipped() -> None:
    texts = [s.text for s in json_segments(ANTHROPIC)]
    assert texts == ["Consignes internes", "IBAN FR76..."]


def test_write_back_replaces_only_given_paths() -> None:
    segs = json_segments(OPENAI_AGENT)
    target = segs[1]
    out = write_back(OPENAI_AGENT, {target.path: "Écris à [EMAIL_ADDRESS_1]"})
    assert out["messages"][1]["content"][0]["text"] == "Écris à [EMAIL_ADDRESS_1]"
    assert OPENAI_AGENT["messages"][1]["content"][0]["text"].endswith("example.fr")  # original untouched
    assert json.dumps(out["messages"][3]) == json.dumps(OPENAI_AGENT["messages"][3])


def test_plain_string_body() -> None:
    assert [s.path for s in json_segments("bonjour")] == [()]
    assert write_back("bonjour", {(): "x"}) == "x"

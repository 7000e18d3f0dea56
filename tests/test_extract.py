"""Adapters, the JSON span scanner, forms, multipart, signatures, WebSocket messages."""

from __future__ import annotations

import base64
import json
import os

import pytest

from dlp_proxy.body import UndecodableBody
from dlp_proxy.extract import adapter_for, extract_request, extract_websocket_message
from dlp_proxy.extract.jsonspan import JsonDocument
from tests.fixtures.requests.samples import make_pdf, make_png

JSON = {"content-type": "application/json"}


def _extract(body: object, path: str = "/v1/chat/completions", family: str = "openai", **kw: object):
    raw = body if isinstance(body, bytes) else json.dumps(body, ensure_ascii=False).encode()
    headers = kw.pop("headers", JSON)
    return extract_request(family, kw.pop("method", "POST"), path, headers, raw, None)  # type: ignore[arg-type]


def _texts(extraction) -> list[str]:
    return [s.text for s in extraction.segments]


# -- the JSON scanner ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        '{"a": [1, 2.5, -3e2, true, false, null], "b": {"c": "d\\n\\"é\\u00e9\\ud83d\\ude00"}}',
        "[]",
        '"seul"',
        '  {"x" :\t"y" , "z":[ ]}  ',
        '{"n": NaN, "i": -Infinity}',
    ],
)
def test_scanner_reads_like_json_loads(text: str) -> None:
    doc = JsonDocument(text)
    assert json.dumps(doc.value) == json.dumps(json.loads(text))
    for path, (start, end) in doc.spans.items():
        node = doc.value
        for step in path:
            node = node[step]
        assert json.loads(text[start:end]) == node


@pytest.mark.parametrize(
    "text",
    ['{"a": 1,}', '{"a" 1}', "[1 2]", '{"a": "x"} y', '{"a": "\x01"}', "", '{"a": 1, "a": 2}', "[" * 600],
)
def test_scanner_refuses_what_is_not_json(text: str) -> None:
    with pytest.raises(UndecodableBody):
        JsonDocument(text)


def test_duplicate_keys_are_refused_not_half_scanned() -> None:
    with pytest.raises(UndecodableBody):
        _extract(b'{"messages": [{"role": "user", "content": "a", "content": "b"}]}')


@pytest.mark.parametrize(
    ("original", "new", "expected"),
    [
        ('{"t":"caf\\u00e9"}', "thé", '{"t":"th\\u00e9"}'),  # ASCII escapes stay ASCII escapes
        ('{"t":"café"}', "thé", '{"t":"thé"}'),  # raw UTF-8 stays raw
        ('{"t":"caf\\u00E9"}', "thé", '{"t":"th\\u00E9"}'),  # upper-case hex digits
        ('{"u":"http:\\/\\/x","t":"a"}', "b/c", '{"u":"http:\\/\\/x","t":"b\\/c"}'),  # PHP's \\/
        (
            '{"h":"\\u003cb\\u003e","t":"a"}',
            "<i>&",
            '{"h":"\\u003cb\\u003e","t":"\\u003ci\\u003e\\u0026"}',
        ),  # Go
    ],
)
def test_rewrite_keeps_the_escaping_style(original: str, new: str, expected: str) -> None:
    doc = JsonDocument(original)
    assert doc.render({("t",): new}) == expected


def test_spacing_key_order_and_numbers_are_kept() -> None:
    raw = b'{ "z" : 1.50 ,\n  "messages" : [ {"role":"user" , "content" : "Bonjour Jean"} ], "a": 1e3 }'
    ex = _extract(raw)
    assert _texts(ex) == ["Bonjour Jean"]
    assert ex.rewrite({0: "Bonjour [PERSONNE]"}) == raw.replace(b"Jean", b"[PERSONNE]")


def test_unknown_segment_id_is_an_error() -> None:
    ex = _extract({"messages": [{"role": "user", "content": "x"}]})
    with pytest.raises(KeyError):
        ex.rewrite({99: "y"})


# -- routing ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("family", "path", "adapter"),
    [
        ("openai", "/v1/chat/completions", "openai"),
        ("generic", "/openai/deployments/gpt/chat/completions?api-version=2024-10-21", "openai"),
        ("gemini", "/v1beta/openai/chat/completions", "openai"),
        ("mistral", "/v1/chat/completions", "mistral"),
        ("openai", "/v1/responses", "openai"),
        ("openai", "/v1/threads/thread_1/messages", "openai"),
        ("generic", "/v1/messages", "anthropic"),
        ("generic", "/anthropic/v1/messages?beta=true", "anthropic"),
        ("anthropic", "/v1/messages/count_tokens", "anthropic"),
        (
            "gemini",
            "/v1/projects/p/locations/l/publishers/anthropic/models/claude:streamRawPredict",
            "anthropic",
        ),
        ("generic", "/v1beta/models/gemini-2.5-pro:streamGenerateContent?alt=sse", "gemini"),
        ("generic", "/model/anthropic.claude-v2/invoke", "bedrock"),
        ("generic", "/backend-api/conversation", "chatgpt-web"),
        ("generic", "/backend-anon/f/conversation", "chatgpt-web"),
        ("generic", "/api/generate", "ollama"),
        ("generic", "/v1/chat", "cohere"),
        ("generic", "/v2/chat", "cohere"),
        ("cohere", "/compatibility/v1/chat/completions", "openai"),
        ("gemini", "/some/unknown/endpoint", "gemini"),
        ("nonsense", "/x", "generic"),
    ],
)
def test_adapter_is_picked_by_path_then_family(family: str, path: str, adapter: str) -> None:
    assert adapter_for(family, path).name == adapter


# -- OpenAI details -------------------------------------------------------------------------------------


def test_arguments_that_are_not_json_are_one_segment() -> None:
    body = {
        "messages": [
            {
                "role": "assistant",
                "tool_calls": [{"id": "c", "function": {"name": "f", "arguments": "{tronqué"}}],
            }
        ]
    }
    ex = _extract(body)
    seg = next(s for s in ex.segments if s.kind == "tool_arguments" and s.text == "{tronqué")
    assert seg.rewritable
    new = ex.rewrite({seg.id: "{x"})
    assert json.loads(new)["messages"][0]["tool_calls"][0]["function"]["arguments"] == "{x"


def test_token_ids_are_unscannable_and_strings_are_not() -> None:
    ex = _extract({"model": "text-embedding-3-small", "input": [[1, 2], [3]]}, "/v1/embeddings")
    assert [(u.kind, u.where) for u in ex.unscannable] == [("token_ids", "input")]
    assert ex.segments == []
    ex = _extract({"model": "gpt-3.5-turbo-instruct", "prompt": [1, 2, 3]}, "/v1/completions")
    assert [u.kind for u in ex.unscannable] == ["token_ids"]


def test_remote_documents_are_unreadable_and_file_ids_are_references() -> None:
    body = {
        "input": [
            {
                "role": "user",
                "content": [
                    {"type": "input_file", "file_url": "https://intranet.example.fr/contrat.pdf"},
                    {"type": "input_file", "file_id": "file-abc"},
                ],
            }
        ]
    }
    ex = _extract(body, "/v1/responses")
    assert [(u.kind, u.where) for u in ex.unscannable] == [
        ("document_unreadable", "input[0].content[0].file_url")
    ]
    assert ex.segments == []


def test_a_base64_file_in_an_unknown_field_is_read() -> None:
    pdf = base64.b64encode(make_pdf(["Pièce jointe de Jean Dupont"])).decode()
    noise = base64.b64encode(os.urandom(600)).decode()
    ex = _extract({"custom": {"blob": pdf, "other": noise, "word": "a" * 300}}, "/x", "generic")
    docs = [s for s in ex.segments if s.kind == "document"]
    assert len(docs) == 1 and "Jean Dupont" in docs[0].text and not docs[0].rewritable
    assert [(u.kind, u.where) for u in ex.unscannable] == [("binary", "custom.other")]
    assert "a" * 300 in _texts(ex)  # no digits or +/: not taken for base64


def test_text_data_url_is_read() -> None:
    ex = _extract({"messages": [{"role": "user", "content": "data:text/plain,Jean%20Dupont"}]})
    assert [(s.text, s.kind, s.rewritable) for s in ex.segments] == [("Jean Dupont", "document", False)]


# -- Anthropic / Gemini / Bedrock details ---------------------------------------------------------------


def test_anthropic_url_document_and_thinking() -> None:
    body = {
        "model": "claude",
        "messages": [
            {
                "role": "assistant",
                "content": [
                    {"type": "thinking", "thinking": "Jean Dupont", "signature": "sig"},
                    {"type": "redacted_thinking", "data": "ZW5jcnlwdGVk"},
                ],
            },
            {
                "role": "user",
                "content": [
                    {"type": "document", "title": "CV", "source": {"type": "url", "url": "https://x/cv.pdf"}}
                ],
            },
        ],
    }
    ex = _extract(body, "/v1/messages", "anthropic")
    assert [(s.text, s.rewritable) for s in ex.segments] == [("Jean Dupont", False), ("CV", True)]
    assert [u.kind for u in ex.unscannable] == ["document_unreadable"]


def test_gemini_file_references() -> None:
    body = {
        "contents": [
            {
                "parts": [
                    {"fileData": {"fileUri": "https://generativelanguage.googleapis.com/v1beta/files/abc"}},
                    {"fileData": {"fileUri": "https://www.youtube.com/watch?v=x", "mimeType": "video/mp4"}},
                    {"inlineData": {"mimeType": "text/plain", "data": base64.b64encode(b"Jean").decode()}},
                ]
            }
        ]
    }
    ex = _extract(body, "/v1beta/models/g:generateContent", "gemini")
    assert [u.kind for u in ex.unscannable] == ["video"]
    assert [(s.text, s.kind, s.rewritable) for s in ex.segments] == [("Jean", "document", False)]


def test_sigv4_unsigned_payload_body_rewritable_but_query_is_not() -> None:
    headers = {
        "Content-Type": "application/json",
        "Authorization": "AWS4-HMAC-SHA256 Credential=AKID/20250101/eu-west-3/bedrock/aws4_request, Sig=0",
        "X-Amz-Content-Sha256": "UNSIGNED-PAYLOAD",
    }
    ex = _extract({"inputText": "Jean"}, "/model/amazon.titan/invoke?q=Paul", "bedrock", headers=headers)
    assert not ex.signed
    assert [(s.text, s.rewritable) for s in ex.segments] == [("Paul", False), ("Jean", True)]


@pytest.mark.parametrize(
    "headers",
    [
        {"x-amz-content-sha256": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
        {"Content-Digest": "sha-256=:abc=:"},
        {"Signature-Input": 'sig1=("content-digest")', "Signature": "sig1=:x:"},
        {"Authorization": "AWS4-HMAC-SHA256 Credential=AKID/x, SignedHeaders=host, Signature=abc"},
    ],
)
def test_signed_bodies(headers: dict[str, str]) -> None:
    ex = _extract({"prompt": "Jean"}, "/x", "generic", headers={**JSON, **headers})
    assert ex.signed
    assert not any(s.rewritable for s in ex.segments)


def test_unsigned_request() -> None:
    assert not _extract(
        {"prompt": "Jean"}, "/x", "generic", headers={**JSON, "Authorization": "Bearer k"}
    ).signed


# -- query strings, forms, multipart, text bodies -------------------------------------------------------


def test_query_of_a_get_is_scanned_and_rewritten() -> None:
    ex = _extract(
        b"", "/search?key=AIzaSECRET&q=Jean%20Dupont&alt=sse&lang=fr", "generic", method="GET", headers={}
    )
    assert [(s.text, s.kind, s.where) for s in ex.segments] == [("Jean Dupont", "query", "query.q")]
    assert ex.rewrite({0: "[PERSONNE]"}) is None
    assert (
        ex.rewrite_query({0: "[PERSONNE] x"}) == "/search?key=AIzaSECRET&q=%5BPERSONNE%5D%20x&alt=sse&lang=fr"
    )
    assert ex.rewrite_query({0: "Jean Dupont"}) is None


def test_form_with_a_json_field() -> None:
    raw = b"a=1&payload=%7B%22prompt%22%3A%22Jean%22%2C%22model%22%3A%22m%22%7D&msg=Bonjour+Paul"
    ex = _extract(raw, "/x", "generic", headers={"content-type": "application/x-www-form-urlencoded"})
    assert [(s.text, s.where) for s in ex.segments] == [
        ("1", "form.a"),
        ("Jean", "form.payload.prompt"),
        ("Bonjour Paul", "form.msg"),
    ]
    new = ex.rewrite({1: "X", 2: "Bonjour Marc"})
    assert new == b"a=1&payload=%7B%22prompt%22%3A%22X%22%2C%22model%22%3A%22m%22%7D&msg=Bonjour+Marc"


def test_multipart_text_and_filename_rewrite_keeps_the_rest() -> None:
    raw = (
        b'--XyZ\r\nContent-Disposition: form-data; name="prompt"\r\n\r\nBonjour Jean\r\n'
        b'--XyZ\r\nContent-Disposition: form-data; name="file"; filename="CV Jean.txt"\r\n'
        b"Content-Type: text/plain\r\n\r\nJean Dupont, 12 rue X\r\n--XyZ--\r\n"
    )
    ex = _extract(raw, "/upload", "generic", headers={"content-type": "multipart/form-data; boundary=XyZ"})
    assert [(s.text, s.kind, s.rewritable) for s in ex.segments] == [
        ("Bonjour Jean", "multipart", True),
        ("CV Jean.txt", "multipart", True),
        ("Jean Dupont, 12 rue X", "document", False),
    ]
    new = ex.rewrite({0: "Bonjour [P]", 1: 'CV "X".txt'})
    assert new == raw.replace(b"Bonjour Jean", b"Bonjour [P]").replace(b"CV Jean.txt", b"CV %22X%22.txt")


@pytest.mark.parametrize(
    ("ctype", "raw"),
    [
        ("multipart/form-data", b"--a\r\n\r\nx\r\n--a--"),
        ("multipart/form-data; boundary=zz", b"--a\r\n\r\nx\r\n--a--"),
        (
            "multipart/form-data; boundary=a",
            b"--a\r\nContent-Disposition: form-data; name=x\r\n\r\nunterminated",
        ),
    ],
)
def test_malformed_multipart_is_refused(ctype: str, raw: bytes) -> None:
    with pytest.raises(UndecodableBody):
        _extract(raw, "/upload", "generic", headers={"content-type": ctype})


def test_malformed_json_is_refused() -> None:
    with pytest.raises(UndecodableBody):
        _extract(b'{"messages": [', headers=JSON)


def test_json_looking_text_that_is_not_json_is_one_text() -> None:
    ex = _extract(b"{Jean Dupont", "/x", "generic", headers={"content-type": "text/plain"})
    assert [(s.text, s.where) for s in ex.segments] == [("{Jean Dupont", "body")]
    assert ex.rewrite({0: "{X"}) == b"{X"


def test_latin1_json_body_is_reencoded_in_latin1() -> None:
    raw = '{"prompt": "Élodie", "x": "é"}'.encode("latin-1")
    ex = _extract(raw, "/x", "generic", headers={"content-type": "application/json; charset=iso-8859-1"})
    new = ex.rewrite({0: "Zoé Œ"})
    assert new == b'{"prompt": "Zo\\u00e9 \\u0152", "x": "\xe9"}'


@pytest.mark.parametrize(
    ("ctype", "raw", "kind"),
    [
        ("application/octet-stream", b"\x00\x01\x02\x03" * 50, "binary"),
        ("image/png", make_png(), "image"),
        ("audio/wav", b"RIFF\x00\x00\x00\x00WAVEfmt ", "audio"),
        ("application/pdf", b"%PDF-1.7\nbroken", "binary"),
    ],
)
def test_file_bodies_that_cannot_be_read(ctype: str, raw: bytes, kind: str) -> None:
    ex = _extract(raw, "/upload", "generic", headers={"content-type": ctype})
    assert [(u.kind, u.where) for u in ex.unscannable] == [(kind, "body")]
    assert ex.segments == [] and ex.rewrite({}) is None


def test_a_pdf_body_is_a_document() -> None:
    raw = make_pdf(["Jean Dupont"])
    ex = _extract(raw, "/upload", "generic", headers={"content-type": "application/pdf"})
    assert [(s.kind, s.rewritable, s.where) for s in ex.segments] == [("document", False, "body")]
    assert "Jean Dupont" in ex.segments[0].text


def test_empty_body() -> None:
    ex = _extract(b"", "/v1/models", "openai", method="GET", headers={})
    assert ex.segments == [] and ex.unscannable == [] and ex.rewrite({}) is None


# -- WebSocket ------------------------------------------------------------------------------------------


def test_websocket_json_event() -> None:
    message = json.dumps(
        {
            "type": "conversation.item.create",
            "item": {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "Jean"}]},
        }
    )
    ex = extract_websocket_message(message)
    assert ex.family == "websocket"
    assert [(s.text, s.where) for s in ex.segments] == [("Jean", "item.content[0].text")]
    assert ex.rewrite_text({0: "[P]"}) == message.replace("Jean", "[P]")
    assert ex.rewrite_text({}) is None


def test_websocket_audio_and_plain_text() -> None:
    audio = extract_websocket_message(
        json.dumps({"type": "input_audio_buffer.append", "audio": "AAAA" * 100})
    )
    assert [u.kind for u in audio.unscannable] == ["audio"] and audio.segments == []
    session = extract_websocket_message('{"type":"session.update","session":{"instructions":"Sois bref"}}')
    assert [(s.text, s.kind) for s in session.segments] == [("Sois bref", "system")]
    plain = extract_websocket_message("Bonjour Jean")
    assert [(s.text, s.where) for s in plain.segments] == [("Bonjour Jean", "message")]
    assert plain.rewrite_text({0: "Bonjour [P]"}) == "Bonjour [P]"


def test_glued_identifiers_are_not_taken_for_base64() -> None:
    glued = "FR7630006000011234567890189" * 12  # no space, base64 alphabet, but no lower case
    hexa = "0123456789abcdef" * 20
    ex = _extract({"messages": [{"role": "user", "content": glued}, {"role": "user", "content": hexa}]})
    assert _texts(ex) == [glued, hexa] and ex.unscannable == []


def test_an_extraction_can_cross_a_process_boundary() -> None:
    """Picklable, so the proxy may extract in a worker process (pypdf is pure Python)."""
    import pickle

    body = {"messages": [{"role": "assistant", "tool_calls": [{"function": {"arguments": '{"a": "Jean"}'}}]}]}
    ex = pickle.loads(pickle.dumps(_extract(body)))
    assert (
        json.loads(ex.rewrite({0: "X"}))["messages"][0]["tool_calls"][0]["function"]["arguments"]
        == '{"a": "X"}'
    )


def test_a_message_that_starts_with_data_colon_is_text() -> None:
    ex = _extract({"messages": [{"role": "user", "content": "data: le rapport de Jean, page 2"}]})
    assert [(s.kind, s.rewritable) for s in ex.segments] == [("text", True)]

"""Real request bodies (captured from the SDKs, see tests/fixtures/requests/README.md) through the adapters.

For every fixture: each planted marker is in some segment; structural values (models, roles, ids) are
not segments; the unscannable parts are reported; rewriting one marker changes only that marker's bytes;
a request with nothing to change comes back as the very same bytes object.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from dlp_proxy.extract import Extraction, extract_request

FIXTURES = Path(__file__).parent / "fixtures" / "requests"
METAS = sorted(FIXTURES.glob("*/*.meta.json"))
REPLACEMENT = "CACHE-XY"  # ASCII and of another length: the expected bytes are the original with a swap


def _load(meta_path: Path) -> tuple[dict[str, Any], bytes, Extraction]:
    meta = json.loads(meta_path.read_text())
    body = (meta_path.parent / meta["body_file"]).read_bytes()
    extraction = extract_request(
        meta["family"],
        meta["method"],
        meta["path"],
        meta["headers"],
        body,
        meta["headers"].get("content-type"),
    )
    return meta, body, extraction


def _id(meta_path: Path) -> str:
    return f"{meta_path.parent.name}/{meta_path.name.removesuffix('.meta.json')}"


def test_fixtures_are_there() -> None:
    families = {p.parent.name for p in METAS}
    assert families >= {
        "openai",
        "anthropic",
        "gemini",
        "mistral",
        "cohere",
        "ollama",
        "chatgpt-web",
        "bedrock",
    }


@pytest.mark.parametrize("meta_path", METAS, ids=_id)
def test_every_marker_is_in_a_segment(meta_path: Path) -> None:
    meta, _, extraction = _load(meta_path)
    missing = [m for m in meta["markers"] if not any(m in s.text for s in extraction.segments)]
    assert missing == []
    # every segment that carries a marker carries no other field's marker glued to it
    assert [s.id for s in extraction.segments] == list(range(len(extraction.segments)))


@pytest.mark.parametrize("meta_path", METAS, ids=_id)
def test_structure_is_not_a_segment(meta_path: Path) -> None:
    meta, _, extraction = _load(meta_path)
    texts = {s.text.strip() for s in extraction.segments}
    assert texts.isdisjoint(meta["not_segments"])


@pytest.mark.parametrize("meta_path", METAS, ids=_id)
def test_unscannable_parts_are_reported(meta_path: Path) -> None:
    meta, _, extraction = _load(meta_path)
    assert sorted(u.kind for u in extraction.unscannable) == meta["unscannable"]
    for item in extraction.unscannable:
        assert "MARQUEUR" not in item.where


@pytest.mark.parametrize("meta_path", METAS, ids=_id)
def test_where_never_quotes_the_text(meta_path: Path) -> None:
    _, _, extraction = _load(meta_path)
    for seg in extraction.segments:
        assert "MARQUEUR" not in seg.where, seg.where


@pytest.mark.parametrize("meta_path", METAS, ids=_id)
def test_nothing_to_change_gives_the_same_bytes_object(meta_path: Path) -> None:
    _, body, extraction = _load(meta_path)
    assert extraction.rewrite({}) is None
    assert extraction.rewrite_body({}) is body
    same = {s.id: s.text for s in extraction.segments}
    assert extraction.rewrite(same) is None
    assert extraction.rewrite_body(same) is body
    assert extraction.rewrite_query(same) is None


def _rewritable_marker_segments(meta: dict[str, Any], extraction: Extraction) -> list[tuple[int, str]]:
    out = []
    for seg in extraction.segments:
        for marker in meta["markers"]:
            if marker in seg.text and seg.rewritable:
                out.append((seg.id, marker))
    return out


@pytest.mark.parametrize("meta_path", METAS, ids=_id)
def test_rewriting_a_marker_changes_only_its_bytes(meta_path: Path) -> None:
    meta, body, extraction = _load(meta_path)
    by_id = {s.id: s for s in extraction.segments}
    cases = _rewritable_marker_segments(meta, extraction)
    if extraction.signed:
        assert cases == []  # a signed body cannot be rewritten: the proxy blocks instead
        return
    assert cases or not meta["markers"], "a fixture without rewritable text tests nothing here"
    for seg_id, marker in cases:
        seg = by_id[seg_id]
        replacements = {seg_id: seg.text.replace(marker, REPLACEMENT)}
        if seg.kind == "query":
            assert extraction.rewrite(replacements) is None
            new_path = extraction.rewrite_query(replacements)
            assert meta["path"].count(marker) == 1
            assert new_path == meta["path"].replace(marker, REPLACEMENT)
            continue
        assert body.count(marker.encode()) == 1, f"{marker} must appear once in the raw body"
        new = extraction.rewrite(replacements)
        assert new == body.replace(marker.encode(), REPLACEMENT.encode()), seg.where
        assert extraction.rewrite_query(replacements) is None
        if meta["body_file"].endswith(".json"):
            json.loads(new)  # still valid JSON


@pytest.mark.parametrize("meta_path", METAS, ids=_id)
def test_rewriting_every_rewritable_segment_at_once(meta_path: Path) -> None:
    meta, body, extraction = _load(meta_path)
    cases = _rewritable_marker_segments(meta, extraction)
    if not cases:
        return
    by_id = {s.id: s for s in extraction.segments}
    replacements: dict[int, str] = {}
    expected_body, expected_path = body, meta["path"]
    for seg_id, marker in cases:
        replacements[seg_id] = replacements.get(seg_id, by_id[seg_id].text).replace(marker, REPLACEMENT)
        if by_id[seg_id].kind == "query":
            expected_path = expected_path.replace(marker, REPLACEMENT)
        else:
            expected_body = expected_body.replace(marker.encode(), REPLACEMENT.encode())
    assert extraction.rewrite_body(replacements) == expected_body
    assert (extraction.rewrite_query(replacements) or meta["path"]) == expected_path


@pytest.mark.parametrize("meta_path", METAS, ids=_id)
def test_documents_cannot_be_rewritten_in_place(meta_path: Path) -> None:
    _, _, extraction = _load(meta_path)
    for seg in extraction.segments:
        if not seg.rewritable:
            with pytest.raises(ValueError, match="cannot be rewritten"):
                extraction.rewrite({seg.id: seg.text + " x"})


def test_document_segments_of_the_fixtures() -> None:
    """The PDF and DOCX carried inline or in multipart are read, and flagged not rewritable."""
    found = {}
    for meta_path in METAS:
        _, _, extraction = _load(meta_path)
        for seg in extraction.segments:
            if seg.kind == "document" and not seg.rewritable:
                found[_id(meta_path)] = seg.text
    assert "Dossier confidentiel" in found["openai/chat_agent"]  # file.file_data (PDF data URL)
    assert "Dossier confidentiel" in found["openai/responses_items"]  # input_file
    assert "Dossier confidentiel" in found["anthropic/messages_agent"]  # document base64 PDF
    assert "Dossier confidentiel" in found["gemini/generate_content"]  # inlineData PDF
    assert "Dossier confidentiel" in found["bedrock/converse"]  # document.source.bytes
    assert "Dossier confidentiel" in found["mistral/chat"]  # document_url data URL
    assert "Client" in found["generic/multipart"]  # DOCX table, header included


def test_bedrock_sigv4_is_signed_and_nothing_is_rewritable() -> None:
    _, _, extraction = _load(FIXTURES / "bedrock" / "converse.meta.json")
    assert extraction.signed
    assert extraction.segments and not any(s.rewritable for s in extraction.segments)


def test_nested_tool_arguments_keep_the_client_escaping() -> None:
    """The OpenAI SDK writes arguments with \\u escapes inside: a non-ASCII rewrite keeps that style."""
    meta, body, extraction = _load(FIXTURES / "openai" / "chat_agent.meta.json")
    seg = next(s for s in extraction.segments if s.where.endswith("arguments{destinataire}"))
    new = extraction.rewrite({seg.id: "Écrire à Zoé"})
    assert new is not None
    parsed = json.loads(new)
    args = json.loads(parsed["messages"][5]["tool_calls"][0]["function"]["arguments"])
    assert args["destinataire"] == "Écrire à Zoé"
    assert args["copie"][1]["note"].startswith("Réf.")
    original_args = json.loads(body)["messages"][5]["tool_calls"][0]["function"]["arguments"]
    assert "\\u00c9" in original_args  # json.dumps default in the capture: ASCII-escaped
    new_args = parsed["messages"][5]["tool_calls"][0]["function"]["arguments"]
    assert "\\u00c9crire \\u00e0 Zo\\u00e9" in new_args
    # outside the arguments string, nothing moved
    start = body.index(b'"arguments"')
    assert new[:start] == body[:start]
    tail = body[body.index(b'"arguments"') :].split(b'"}}', 1)[1]
    assert new.endswith(tail)


def test_ascii_escaped_body_stays_ascii() -> None:
    """botocore writes \\u escapes: a rewrite with accents must too (the payload is pure ASCII)."""
    meta, body, _ = _load(FIXTURES / "bedrock" / "converse.meta.json")
    assert body.isascii() and b"\\u00e9" in body
    # the same bytes without the signature headers (as if the client had not signed them)
    extraction = extract_request("bedrock", "POST", meta["path"], {"content-type": "application/json"}, body)
    assert not extraction.signed
    seg = next(s for s in extraction.segments if s.where == "messages[0].content[0].text")
    new = extraction.rewrite({seg.id: "Merci, Hélène"})
    assert new is not None and new.isascii()
    assert json.loads(new)["messages"][0]["content"][0]["text"] == "Merci, Hélène"
    start = body.index(b"R\\u00e9sume")
    assert new[:start] == body[:start]


def test_raw_utf8_body_stays_raw_utf8() -> None:
    _, body, extraction = _load(FIXTURES / "chatgpt-web" / "conversation.meta.json")
    assert "Rédige".encode() in body
    seg = extraction.segments[0]
    new = extraction.rewrite({seg.id: "Écris à Zoé"})
    assert new is not None and "Écris à Zoé".encode() in new

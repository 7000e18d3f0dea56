"""From an HTTP request (or a WebSocket message) to an :class:`Extraction`: pick the adapter, find the
carrier of the text (JSON, form, multipart, plain text, a file), and note whether the client signed it.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Mapping
from dataclasses import replace

from dlp_proxy.body import UndecodableBody, is_json_media
from dlp_proxy.dialects import dialect_for

from .anthropic import AnthropicAdapter
from .bedrock import BedrockAdapter
from .chatgpt_web import ChatGPTWebAdapter
from .cohere import CohereAdapter
from .documents import read_blob
from .forms import MultipartContainer, PairsContainer, WholeText, boundary_of, parse_multipart
from .gemini import GeminiAdapter
from .generic import GenericAdapter
from .jsonspan import JsonDocument
from .mistral import MistralAdapter
from .model import Builder, Extraction
from .ollama import OllamaAdapter
from .openai import OpenAIAdapter
from .walker import STRUCTURAL_KEYS, Adapter, JsonContainer, root_loc

ADAPTERS: dict[str, type[Adapter]] = {
    "openai": OpenAIAdapter,
    "anthropic": AnthropicAdapter,
    "gemini": GeminiAdapter,
    "mistral": MistralAdapter,
    "cohere": CohereAdapter,
    "ollama": OllamaAdapter,
    "chatgpt-web": ChatGPTWebAdapter,
    "bedrock": BedrockAdapter,
    "generic": GenericAdapter,
}


def adapter_for(family: str, path: str) -> type[Adapter]:
    """The adapter for a request, from the one table of API dialects (:mod:`dlp_proxy.dialects`)."""
    return ADAPTERS.get(dialect_for(path, family).adapter, GenericAdapter)


# -- signatures -------------------------------------------------------------------------------------

_UNSIGNED = frozenset({"UNSIGNED-PAYLOAD", "STREAMING-UNSIGNED-PAYLOAD-TRAILER"})
_INTEGRITY_HEADERS = (
    "signature-input",
    "signature",
    "content-digest",
    "digest",
    "content-md5",
    "x-goog-hash",
)


def is_aws_signed(headers: Mapping[str, str], query: str) -> bool:
    auth = headers.get("authorization", "")
    return auth.startswith("AWS4-HMAC-SHA256") or "x-amz-signature=" in query.lower()


def body_is_signed(headers: Mapping[str, str], query: str) -> bool:
    """Whether changing the body would break a signature or integrity check the client computed."""
    payload_hash = headers.get("x-amz-content-sha256", "").strip().upper()
    if is_aws_signed(headers, query):
        return payload_hash not in _UNSIGNED
    if payload_hash and payload_hash not in _UNSIGNED:
        return True
    if headers.get("authorization", "").lower().startswith(("signature ", "hmac ")):
        return True
    return any(h in headers for h in _INTEGRITY_HEADERS)


# -- query strings ----------------------------------------------------------------------------------

#: Query parameters that are credentials or protocol switches, never content.
QUERY_SKIP = frozenset(
    {
        "key",
        "api_key",
        "apikey",
        "api-key",
        "api-version",
        "access_token",
        "alt",
        "$alt",
        "beta",
        "stream",
        "uploadtype",
        "upload_id",
        "upload_protocol",
        "prettyprint",
        "ts",
    }
)


def _skip_param(name: str) -> bool:
    low = name.lower()
    return low in QUERY_SKIP or low in STRUCTURAL_KEYS or low.startswith(("x-amz-", "x-goog-"))


def _where_name(prefix: str, name: str, index: int) -> str:
    return f"{prefix}.{name}" if re.fullmatch(r"[A-Za-z_$][\w$.:-]{0,63}", name) else f"{prefix}[{index}]"


def _add_pairs(
    adapter: Adapter, container: PairsContainer, prefix: str, kind: str, *, rewritable: bool = True
) -> None:
    for pair in container.pairs:
        if _skip_param(pair.name):
            continue
        where = _where_name(prefix, pair.name, pair.index)
        if _nested_json(adapter, pair.value, container, pair.index, where, rewritable):
            continue
        adapter.b.segment(pair.value, where, container, pair.index, kind=kind, rewritable=rewritable)


def _nested_json(
    adapter: Adapter, text: str, parent: object, key: object, where: str, rewritable: bool
) -> bool:
    """A form field or text part that holds a JSON object or array: walk it like a JSON body."""
    stripped = text.lstrip()
    if not stripped.startswith(("{", "[")):
        return False
    try:
        doc = JsonDocument(text)
    except UndecodableBody:
        return False
    container = JsonContainer(doc, (parent, key)) if rewritable else None
    adapter.walk(doc.value, (), "text", root_loc(container, where), None, None)
    return True


# -- bodies -----------------------------------------------------------------------------------------


def _media_and_charset(content_type: str | None) -> tuple[str, str | None]:
    if not content_type:
        return "", None
    parts = [p.strip() for p in content_type.split(";")]
    charset = None
    for p in parts[1:]:
        if p.lower().startswith("charset="):
            charset = p.split("=", 1)[1].strip().strip('"').lower()
    return parts[0].lower(), charset


def _decode(body: bytes, charset: str | None) -> str:
    name = charset or "utf-8"
    try:
        codecs.lookup(name)
        return body.decode(name)
    except (LookupError, UnicodeDecodeError, ValueError):
        raise UndecodableBody(
            f"le corps n'est pas un texte valide en {name[:40]}", f"body is not valid {name[:40]} text"
        ) from None


def _json_body(adapter: Adapter, text: str, charset: str | None) -> JsonContainer:
    doc = JsonDocument(text)
    if charset and charset.replace("-", "").replace("_", "") not in ("utf8", "utf16", "utf32"):
        doc.style = replace(doc.style, force_ascii=True)  # new characters may not exist in that charset
    container = JsonContainer(doc)
    adapter.walk_document(doc, container)
    return container


def _multipart(adapter: Adapter, body: bytes, content_type: str) -> MultipartContainer:
    boundary = boundary_of(content_type)
    if not boundary:
        raise UndecodableBody("corps multipart sans délimiteur", "multipart body without a boundary")
    container = MultipartContainer(body, parse_multipart(body, boundary))
    for part in container.parts:
        name = part.name or ""
        prefix = _where_name("multipart", name, part.index) if name else f"multipart[{part.index}]"
        content = body[part.span[0] : part.span[1]]
        media = (part.content_type or "").split(";", 1)[0].strip().lower()
        is_file = part.filename is not None or (
            bool(media) and not (media.startswith("text/") or is_json_media(media))
        )
        if part.filename:
            adapter.b.segment(
                part.filename,
                f"{prefix}.filename",
                container if part.filename_span else None,
                ("filename", part.index),
                kind="multipart",
            )
        if is_file:
            adapter.add_reading(read_blob(content, part.content_type, part.filename), prefix)
            continue
        if _skip_param(name):
            continue
        try:
            text = content.decode(part.charset)
        except (LookupError, UnicodeDecodeError):
            adapter.b.cannot_scan("binary", prefix)
            continue
        if not _nested_json(adapter, text, container, ("content", part.index), prefix, True):
            adapter.b.segment(text, prefix, container, ("content", part.index), kind="multipart")
    return container


def extract_request(
    family: str,
    method: str,
    path: str,
    headers: Mapping[str, str],
    body: bytes,
    content_type: str | None = None,
) -> Extraction:
    """Every text a request carries, where it is, and how to put rewritten text back.

    ``body`` is the body with its Content-Encoding already undone. Raises
    :class:`dlp_proxy.body.UndecodableBody` for a body that claims a format it does not have
    (malformed JSON, multipart without its boundary, text in an unknown charset).
    """
    lower = {k.lower(): v for k, v in headers.items()}
    if content_type is None:
        content_type = lower.get("content-type")
    head, _, query = path.partition("?")
    signed = body_is_signed(lower, query)
    adapter_cls = adapter_for(family, path)
    builder = Builder(adapter_cls.name, signed=signed)
    adapter = adapter_cls(builder)

    query_root = None
    if query:
        query_root = PairsContainer(query, head=head)
        _add_pairs(adapter, query_root, "query", "query", rewritable=not is_aws_signed(lower, query))

    media, charset = _media_and_charset(content_type)
    body_root = None
    encoding = charset or "utf-8"
    if not body:
        pass
    elif media.startswith("multipart/"):
        body_root = _multipart(adapter, body, content_type or "")
    elif media == "application/x-www-form-urlencoded":
        body_root = PairsContainer(_decode(body, charset))
        _add_pairs(adapter, body_root, "form", "form")
    elif is_json_media(media):
        body_root = _json_body(adapter, _decode(body, charset), charset)
    else:
        body_root = _other_body(adapter, body, media, content_type, charset)
    del method  # every method may carry text: GET's query string is scanned like a POST body
    return builder.build(body, body_root, query_root, encoding=encoding)


def _other_body(
    adapter: Adapter, body: bytes, media: str, content_type: str | None, charset: str | None
) -> JsonContainer | WholeText | None:
    """A body with no JSON/form/multipart type: JSON all the same, a text, or a file."""
    textual = media.startswith("text/") or charset is not None
    if textual:
        text = _decode(body, charset)
    else:
        reading = read_blob(body, content_type)
        if reading.text is None:
            assert reading.unscannable is not None
            kind = "binary" if reading.unscannable == "document_unreadable" else reading.unscannable
            adapter.b.cannot_scan(kind, "body")
            if reading.metadata:
                adapter.b.segment(reading.metadata, "body.metadata", None, kind="document", rewritable=False)
            return None
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:  # a document (PDF, DOCX) or a text in another encoding
            adapter.b.segment(reading.text, "body", None, kind="document", rewritable=False)
            return None
    if text.lstrip().startswith(("{", "[")):  # JSON sent as text/plain (to avoid a CORS preflight)
        try:
            return _json_body(adapter, text, charset)
        except UndecodableBody:
            pass
    root = WholeText()
    adapter.b.segment(text, "body", root, None, kind="text")
    return root


def extract_websocket_message(text: str) -> Extraction:
    """The texts of one WebSocket text message sent to an AI host (JSON events or plain text)."""
    builder = Builder("websocket")
    adapter = GenericAdapter(builder)
    root: JsonContainer | WholeText | None = None
    if text.lstrip().startswith(("{", "[")):
        try:
            root = _json_body(adapter, text, None)
        except UndecodableBody:
            root = None
    if root is None:
        root = WholeText()
        builder.segment(text, "message", root, None, kind="text")
    return builder.build(text.encode("utf-8"), root, family="websocket")

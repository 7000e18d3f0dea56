"""The JSON walk every adapter shares: every string is a segment unless it is structure or a file.

Why a walk over everything rather than a schema per API: a new field (or a new API) must never become
a blind spot. Adapters only *refine* the walk — they say what kind a text is (system prompt, tool
arguments, tool result, document), which JSON strings hold JSON (tool-call ``arguments``), which parts
are images, audio or documents — they never decide that some field is not scanned, except protocol
vocabulary (``model``, ``role``, ids …) listed in :data:`STRUCTURAL_KEYS`.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

from dlp_proxy.body import UndecodableBody

from .documents import (
    Reading,
    b64decode,
    data_url_params,
    looks_like_base64_blob,
    parse_data_url,
    read_blob,
)
from .jsonspan import JsonDocument, JsonPath
from .model import Builder, format_path, long_number, number_text

# Keys whose scalar values (or lists of scalars) are protocol vocabulary or identifiers, never content.
STRUCTURAL_KEYS = frozenset(
    {
        # common
        "model",
        "role",
        "type",
        "id",
        "object",
        "version",
        "status",
        "format",
        "encoding_format",
        "response_format",
        "media_type",
        "mime_type",
        "mimeType",
        "content_type",
        "detail",
        "finish_reason",
        "stop_reason",
        "tool_choice",
        "parallel_tool_calls",
        "modalities",
        "include",
        "service_tier",
        "reasoning_effort",
        "effort",
        "verbosity",
        "truncation",
        "voice",
        "quality",
        "size",
        "style",
        "required",
        "$ref",
        "$schema",
        # references to objects stored at the provider (their content went through the proxy when sent)
        "tool_call_id",
        "tool_use_id",
        "toolUseId",
        "call_id",
        "file_id",
        "fileId",
        "assistant_id",
        "thread_id",
        "run_id",
        "vector_store_ids",
        "previous_response_id",
        "conversation_id",
        "parent_message_id",
        "websocket_request_id",
        "asset_pointer",
        "cachedContent",
        "cached_content",
        "agent_id",
        "custom_id",
        # opaque tokens that must reach the provider unchanged
        "signature",
        "encrypted_content",
        "thoughtSignature",
        "thought_signature",
        # Anthropic / Bedrock / Gemini / Cohere enums
        "anthropic_version",
        "anthropic_beta",
        "responseMimeType",
        "response_mime_type",
        "citation_quality",
        "prompt_truncation",
        "safety_mode",
        "input_type",
        "embedding_types",
        "embeddingTypes",
        "task_type",
        "taskType",
        "truncate",
        "keep_alive",
        "timezone",
        "purpose",
        "language",
        "lang",
        "locale",
        "hl",
    }
)
SYSTEM_KEYS = frozenset(
    {
        "system",
        "instructions",
        "additional_instructions",
        "preamble",
        "systemInstruction",
        "system_instruction",
        "system_prompt",
    }
)
TOKEN_KEYS = frozenset({"input", "prompt", "context", "tokens", "input_ids", "prompt_token_ids", "inputs"})
IMAGE_PART_TYPES = frozenset({"image_url", "input_image", "image", "image_file", "image_asset_pointer"})
AUDIO_PART_TYPES = frozenset({"input_audio", "audio", "audio_asset_pointer", "audio_url"})
TOOL_USE_TYPES = frozenset({"tool_use", "server_tool_use", "mcp_tool_use", "custom_tool_call"})
TOOL_OUTPUT_TYPES = frozenset(
    {
        "function_call_output",
        "custom_tool_call_output",
        "computer_call_output",
        "local_shell_call_output",
        "shell_call_output",
        "apply_patch_call_output",
        "mcp_call",
    }
)
_MEDIA_SIBLINGS = ("media_type", "mimeType", "mime_type", "mediaType", "content_type")
_NAME_SIBLINGS = ("filename", "name", "title", "fileName", "displayName", "display_name")
_BLOB_KEYS = frozenset({"file_data", "bytes", "b64_json", "base64", "file_bytes"})
_REMOTE_DOCUMENT_KEYS = frozenset({"file_url", "document_url", "fileUri", "file_uri", "uri"})

# Values an adapter's ``child_kind`` can return instead of a kind.
SKIP = "@skip"  # not content (opaque token, encrypted blob)
JSON_ARGS = "@json_args"  # a JSON text inside a string (tool-call arguments): scan the values inside
FROZEN = "@frozen"  # content that is scanned but cannot change (signed by the provider: thinking text)


class JsonContainer:
    """A JSON document (the body, or a JSON text inside one of its strings)."""

    def __init__(self, doc: JsonDocument, parent: tuple[Any, Hashable] | None = None):
        self.doc = doc
        self.parent = parent

    def render(self, changes: dict[Hashable, str]) -> str:
        return self.doc.render(changes)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Loc:
    """Which container a walk is in, and how its paths read in incidents."""

    container: JsonContainer | None
    where: Callable[[JsonPath], str]


def root_loc(container: JsonContainer | None, prefix: str = "") -> Loc:
    return Loc(container, lambda path: format_path(path, prefix))


def _is_scalar_or_scalars(value: Any) -> bool:
    if isinstance(value, dict):
        return False
    if isinstance(value, list):
        return all(not isinstance(v, dict | list) for v in value)
    return True


def _scalars(value: Any) -> list[str]:
    """The texts of a scalar or list of scalars: strings as they are, long numbers as digits."""
    values = value if isinstance(value, list) else [value]
    out = []
    for v in values:
        if isinstance(v, str):
            out.append(v)
        elif isinstance(v, int | float) and not isinstance(v, bool) and long_number(v):
            out.append(number_text(v))
    return out


def _is_token_ids(value: Any) -> bool:
    if not isinstance(value, list) or not value:
        return False
    first = value[0]
    if isinstance(first, list):
        return all(isinstance(v, list) and v and all(type(t) is int for t in v) for v in value)
    return all(type(t) is int for t in value)


class Adapter:
    """The shared walk. Subclasses override :meth:`child_kind` and :meth:`special` for their API."""

    name = "generic"
    #: Keys whose scalar values are not content (an adapter may add its API's vocabulary).
    structural: frozenset[str] = STRUCTURAL_KEYS

    def __init__(self, builder: Builder):
        self.b = builder

    # -- hooks ------------------------------------------------------------------------------------
    def child_kind(self, parent: dict[str, Any], key: str, value: Any, kind: str, path: JsonPath) -> str:
        """The kind of ``parent[key]``'s texts (or SKIP / JSON_ARGS / FROZEN)."""
        ptype = parent.get("type")
        if key in SYSTEM_KEYS:
            return "system"
        if key == "arguments":
            return JSON_ARGS
        if key in ("functionCall", "function_call", "toolUse", "tool_calls"):
            return "tool_arguments"
        if key in ("functionResponse", "function_response", "toolResult", "tool_results", "tool_outputs"):
            return "tool_result"
        if key == "input" and ptype in TOOL_USE_TYPES:
            return "tool_arguments"
        if key == "output" and ptype in TOOL_OUTPUT_TYPES:
            return "tool_result"
        if key == "content" and isinstance(ptype, str) and ptype.endswith("tool_result"):
            return "tool_result"
        if key == "documents" or ptype == "document" or key == "document":
            return "document"
        if ptype == "thinking" and key == "thinking":
            return FROZEN
        if ptype == "redacted_thinking" and key == "data":
            return SKIP
        role = parent.get("role")
        if isinstance(role, str) and key in ("content", "parts", "message", "text"):
            role = role.lower()
            if role in ("system", "developer"):
                return "system"
            if role in ("tool", "function", "ipython"):
                return "tool_result"
        return kind

    def special(self, node: dict[str, Any], path: JsonPath, kind: str, loc: Loc) -> bool:
        """Handle a whole object (an image part, a document block); True when it was handled."""
        ptype = node.get("type")
        if ptype in IMAGE_PART_TYPES or node.get("content_type") == "image_asset_pointer":
            self._media_part(node, path, loc, "image")
            return True
        if ptype in AUDIO_PART_TYPES or node.get("content_type") == "audio_asset_pointer":
            self._media_part(node, path, loc, "audio")
            return True
        return False

    def _media_part(self, node: Any, path: JsonPath, loc: Loc, kind: str) -> None:
        before = len(self.b.unscannable) + len(self.b.segments)
        self.media(node, path, loc, kind)
        if len(self.b.unscannable) + len(self.b.segments) == before:
            self.b.cannot_scan(kind, loc.where(path))  # a pointer to media stored elsewhere

    # -- the walk ---------------------------------------------------------------------------------
    def walk_document(self, doc: JsonDocument, container: JsonContainer | None, prefix: str = "") -> None:
        self.walk(doc.value, (), "text", root_loc(container, prefix), None, None)

    def walk(
        self,
        node: Any,
        path: JsonPath,
        kind: str,
        loc: Loc,
        key: str | int | None,
        parent: dict[str, Any] | None,
    ) -> None:
        if isinstance(node, str):
            self.string(node, path, kind, loc, key, parent)
        elif isinstance(node, dict):
            self.b.structure(*node)  # object keys reach the provider too
            if self.special(node, path, kind, loc):
                return
            for k, v in node.items():
                if k in self.structural and _is_scalar_or_scalars(v):
                    # Protocol vocabulary is not rewritten, but a value hidden in it (a card as the
                    # model name, a NIR as an id) is still read by the provider: scan it, never rewrite.
                    self.b.structure(*_scalars(v))
                    continue
                if k in ("audio", "audio_data") and isinstance(v, str) and v:
                    self.b.cannot_scan("audio", loc.where((*path, k)))  # realtime audio chunks
                    continue
                if k in ("image_url", "images"):
                    self._images(v, (*path, k), loc)
                    continue
                if k in ("inlineData", "inline_data") and isinstance(v, dict):
                    self.inline_data(v, (*path, k), loc)
                    continue
                if k in TOKEN_KEYS and _is_token_ids(v):
                    self.b.cannot_scan("token_ids", loc.where((*path, k)))
                    continue
                sub = self.child_kind(node, k, v, kind, (*path, k))
                if sub == SKIP:
                    continue
                if sub == JSON_ARGS:
                    self.json_args(v, (*path, k), loc)
                    continue
                if sub == FROZEN:
                    if isinstance(v, str):
                        self.b.segment(v, loc.where((*path, k)), loc.container, (*path, k), rewritable=False)
                        continue
                    sub = kind
                self.walk(v, (*path, k), sub, loc, k, node)
        elif isinstance(node, list):
            for i, v in enumerate(node):
                self.walk(v, (*path, i), kind, loc, key, parent)
        elif isinstance(node, int | float) and not isinstance(node, bool):
            self.b.number(node)

    def _images(self, value: Any, path: JsonPath, loc: Loc) -> None:
        if isinstance(value, list):
            for i, v in enumerate(value):
                self._images(v, (*path, i), loc)
        elif value not in (None, "", {}):
            self._media_part(value, path, loc, "image")

    def inline_data(self, node: dict[str, Any], path: JsonPath, loc: Loc) -> None:
        """Gemini ``inlineData``: ``data`` is always base64, whatever the MIME type says."""
        media = node.get("mimeType", node.get("mime_type"))
        data = node.get("data")
        where = loc.where((*path, "data"))
        if not isinstance(data, str):
            self.walk(node, path, "document", loc, None, None)
            return
        decoded = b64decode(data)
        if decoded is None:  # not base64 after all: scan it as it is
            self.b.segment(data, where, loc.container, (*path, "data"), kind="document")
            return
        self.blob(decoded, media if isinstance(media, str) else None, node.get("displayName"), where)

    def json_args(self, value: Any, path: JsonPath, loc: Loc) -> None:
        """Tool-call arguments: a JSON text in a string (scan the values inside) or an object."""
        if not isinstance(value, str):
            self.walk(value, path, "tool_arguments", loc, path[-1] if path else None, None)
            return
        try:
            inner = JsonDocument(value)
        except UndecodableBody:
            self.b.segment(value, loc.where(path), loc.container, path, kind="tool_arguments")
            return
        outer_where = loc.where(path)
        container = JsonContainer(inner, (loc.container, path)) if loc.container is not None else None
        inner_loc = Loc(container, lambda p: f"{outer_where}{{{format_path(p)}}}")
        self.walk(inner.value, (), "tool_arguments", inner_loc, None, None)

    def string(
        self,
        value: str,
        path: JsonPath,
        kind: str,
        loc: Loc,
        key: str | int | None,
        parent: dict[str, Any] | None,
    ) -> None:
        where = loc.where(path)
        parent = parent or {}
        if value.startswith(("data:", "DATA:")):
            parsed = parse_data_url(value)
            if parsed is not None:
                self.b.structure(data_url_params(value))
                self.blob(parsed[1], parsed[0], self._sibling_name(parent), where)
                return
        if key in _REMOTE_DOCUMENT_KEYS and (
            value.startswith(("gs://", "s3://"))
            or (key != "uri" and value.startswith(("http://", "https://")))
        ):
            # A document the provider fetches itself: its content never passes through us.
            self.b.cannot_scan("document_unreadable", where)
            return
        media = next((parent[m] for m in _MEDIA_SIBLINGS if isinstance(parent.get(m), str)), None)
        declared_blob = key in _BLOB_KEYS or (
            key == "data"
            and (parent.get("type") == "base64" or (media is not None and not media.startswith("text/")))
        )
        if declared_blob or looks_like_base64_blob(value):
            data = b64decode(value)
            if data is not None:
                self.blob(data, media, self._sibling_name(parent), where, declared=declared_blob)
                return
        self.b.segment(value, where, loc.container, path, kind=kind)

    @staticmethod
    def _sibling_name(parent: dict[str, Any]) -> str | None:
        return next((parent[n] for n in _NAME_SIBLINGS if isinstance(parent.get(n), str)), None)

    def blob(
        self, data: bytes, media: str | None, filename: str | None, where: str, *, declared: bool = True
    ) -> None:
        """A file carried inline: its text is a document segment (not rewritable) or it is unscannable."""
        reading = read_blob(data, media, filename)
        if (
            reading.text is None
            and reading.unscannable == "document_unreadable"
            and not declared
            and not media
        ):
            self.b.cannot_scan("binary", where)
        else:
            self.add_reading(reading, where)

    def add_reading(self, reading: Reading, where: str) -> None:
        """A file's text is a document segment (never rewritten); else it is unscannable, metadata aside."""
        if reading.text is not None:
            self.b.segment(reading.text, where, None, kind="document", rewritable=False)
            return
        assert reading.unscannable is not None
        self.b.cannot_scan(reading.unscannable, where)
        if reading.metadata:
            self.b.segment(reading.metadata, f"{where}.metadata", None, kind="document", rewritable=False)

    def media(self, value: Any, path: JsonPath, loc: Loc, kind: str) -> None:
        """An image or audio part: what the provider can read of it is scanned, the rest is ``kind``.

        A ``data:`` URL or base64 payload is typed by its bytes (text sent as "image/png" or as
        ``input_audio`` is text), image metadata is scanned, a remote URL is scanned as text (its query
        may carry values) and the media it points to is unscannable; other strings are structure.
        """
        if isinstance(value, dict):
            self.b.structure(*value)
            for k, v in value.items():
                self.media(v, (*path, k), loc, kind)
        elif isinstance(value, list):
            for i, v in enumerate(value):
                self.media(v, (*path, i), loc, kind)
        elif isinstance(value, int | float) and not isinstance(value, bool):
            self.b.number(value)
        elif isinstance(value, str) and value.strip():
            where = loc.where(path)
            if value.startswith(("data:", "DATA:")):
                parsed = parse_data_url(value)
                if parsed is not None:
                    self.b.structure(data_url_params(value))
                    self.add_reading(read_blob(parsed[1], parsed[0]), where)
                    return
            if value[:8].lower().startswith(("http://", "https://")):
                self.b.segment(value, where, None, kind="query", rewritable=False)
                self.b.cannot_scan(kind, where)
                return
            decoded = b64decode(value) if len(value) >= 16 and " " not in value else None
            if decoded is not None:
                self.add_reading(read_blob(decoded, f"{kind}/unknown"), where)
                return
            self.b.structure(value)

"""Legacy walker (kept until addon.py moves to extract_request; then delete this module).

Every string of a JSON body is a segment, except values that are structure, not content.

Why a walker rather than a schema per API: a new field (or a new API) must never become a blind spot.
Keys whose values are identifiers or enums (``model``, ``role``, ``type`` …) are skipped, and so are
inline binary payloads (``data:`` URLs, base64 image/audio data) that are not text.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

# Keys whose string values are protocol vocabulary, never user content.
STRUCTURAL_KEYS = frozenset(
    {
        "model",
        "role",
        "type",
        "id",
        "object",
        "tool_call_id",
        "tool_use_id",
        "finish_reason",
        "stop_reason",
        "media_type",
        "mime_type",
        "mimeType",
        "encoding_format",
        "response_format",
        "detail",
        "format",
        "reasoning_effort",
        "service_tier",
        "tool_choice",
        "anthropic_version",
        "parallel_tool_calls",
        "modalities",
        "voice",
        "quality",
        "size",
        "style",
        "status",
    }
)
# Keys whose values are inline binary data (images, audio): not text, handled by the unscannable policy.
BINARY_KEYS = frozenset({"image_url", "input_audio", "b64_json"})

JsonPath = tuple[str | int, ...]


@dataclass(frozen=True)
class Segment:
    """One text of the request and where it sits in the JSON document."""

    path: JsonPath
    text: str


def _is_binary_string(key: str | int | None, value: str, parent: dict | None) -> bool:
    if value.startswith("data:") and ";base64," in value[:100]:
        return True
    if key == "data" and parent is not None:
        kind = (
            str(parent.get("type", "")) + str(parent.get("media_type", "")) + str(parent.get("mime_type", ""))
        )
        if any(word in kind for word in ("image", "audio", "base64")) and "text/plain" not in kind:
            return True
    return False


def _walk(node: Any, path: JsonPath, key: str | int | None, parent: dict | None) -> Iterator[Segment]:
    if isinstance(node, str):
        if node.strip() and not _is_binary_string(key, node, parent):
            yield Segment(path, node)
    elif isinstance(node, dict):
        for k, v in node.items():
            if k in STRUCTURAL_KEYS and not isinstance(v, dict | list):
                continue
            if k in BINARY_KEYS:
                continue
            yield from _walk(v, (*path, k), k, node)
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _walk(v, (*path, i), key, parent)


def json_segments(body: Any) -> list[Segment]:
    """All content strings of a parsed JSON body, in document order."""
    return list(_walk(body, (), None, None))


def write_back(body: Any, replacements: dict[JsonPath, str]) -> Any:
    """A copy of ``body`` with the strings at the given paths replaced."""
    if not replacements:
        return body
    if () in replacements:
        return replacements[()]
    out = copy.deepcopy(body)
    for path, text in replacements.items():
        node = out
        for step in path[:-1]:
            node = node[step]
        node[path[-1]] = text
    return out

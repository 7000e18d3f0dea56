"""Amazon Bedrock runtime: ``/model/{id}/converse`` (and ``converse-stream``), ``/model/{id}/invoke``.

Converse: ``system[].text``, ``messages[].content[]`` blocks — ``text``, ``toolUse.input`` (tool
arguments), ``toolResult.content`` (tool result), ``document.source.bytes`` (base64: read as a document),
``document.source.s3Location`` (unreadable to us), ``image`` / ``video`` (unscannable),
``reasoningContent`` (scanned, not rewritable: signed) — and ``promptVariables``. Invoke bodies are the
model vendor's own format (Anthropic Messages with ``anthropic_version``, or ``prompt`` / ``inputText``):
the Anthropic rules apply, the rest is the shared walk.

Most Bedrock requests are signed with AWS SigV4, body included: they are flagged ``signed`` and their
segments are not rewritable (the proxy blocks instead of redacting).
"""

from __future__ import annotations

from typing import Any

from .anthropic import AnthropicAdapter
from .jsonspan import JsonPath
from .walker import FROZEN, STRUCTURAL_KEYS, Loc


class BedrockAdapter(AnthropicAdapter):
    name = "bedrock"
    structural = STRUCTURAL_KEYS | {"modelId", "guardrailIdentifier", "guardrailVersion", "latency"}

    def child_kind(self, parent: dict[str, Any], key: str, value: Any, kind: str, path: JsonPath) -> str:
        if key == "reasoningText":
            return FROZEN if isinstance(value, str) else "text"
        if key == "text" and path[-2:-1] == ("reasoningText",):
            return FROZEN
        return super().child_kind(parent, key, value, kind, path)

    def special(self, node: dict[str, Any], path: JsonPath, kind: str, loc: Loc) -> bool:
        if "s3Location" in node and path and path[-1] == "source":
            self.b.cannot_scan("document_unreadable", loc.where(path))
            return True
        if path and path[-1] in ("image", "video") and isinstance(node.get("source"), dict):
            self.b.cannot_scan(str(path[-1]), loc.where(path))
            return True
        return super().special(node, path, kind, loc)

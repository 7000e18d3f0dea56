"""Anthropic Messages (``/v1/messages``, ``count_tokens``, batches; also Claude on Vertex and Bedrock).

- ``system``: a string or text blocks (kind ``system``);
- ``messages[].content``: a string or blocks — ``text``; ``tool_use.input`` (an object: tool arguments);
  ``tool_result.content`` (a string or blocks); ``document`` blocks whose ``source`` is ``text`` (a plain
  JSON string, rewritable), ``content`` (blocks), ``base64`` (a PDF: its text is a segment that cannot be
  rewritten) or ``url`` (fetched by Anthropic: unreadable to us); ``image`` blocks are unscannable;
- ``thinking`` blocks are scanned but cannot be rewritten (their ``signature`` covers the text).
"""

from __future__ import annotations

from typing import Any

from .jsonspan import JsonPath
from .walker import Adapter, Loc


class AnthropicAdapter(Adapter):
    name = "anthropic"

    def special(self, node: dict[str, Any], path: JsonPath, kind: str, loc: Loc) -> bool:
        source = node.get("source")
        if node.get("type") == "document" and isinstance(source, dict):
            if source.get("type") == "url":
                self.b.cannot_scan("document_unreadable", loc.where((*path, "source")))
                rest = {k: v for k, v in node.items() if k != "source"}
                for k, v in rest.items():
                    if k not in self.structural:
                        self.walk(v, (*path, k), "document", loc, k, node)
                return True
        return super().special(node, path, kind, loc)

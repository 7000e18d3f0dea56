"""Ollama ``/api/chat``, ``/api/generate``, ``/api/embed`` (and the older ``/api/embeddings``).

``messages[].content`` / ``thinking``, ``messages[].images`` and ``images`` (base64: unscannable),
``messages[].tool_calls[].function.arguments`` (an object), tool messages; ``prompt``, ``suffix``,
``system`` and ``template`` (kind ``system``); ``context`` (token ids of an earlier answer: unscannable);
``input`` for embeddings.
"""

from __future__ import annotations

from typing import Any

from .jsonspan import JsonPath
from .walker import STRUCTURAL_KEYS, Adapter


class OllamaAdapter(Adapter):
    name = "ollama"
    structural = STRUCTURAL_KEYS | {"tool_name_hint"}

    def child_kind(self, parent: dict[str, Any], key: str, value: Any, kind: str, path: JsonPath) -> str:
        if key == "template" and len(path) == 1:
            return "system"
        return super().child_kind(parent, key, value, kind, path)

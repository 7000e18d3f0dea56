"""OpenAI APIs: Chat Completions, Responses, Embeddings, legacy Completions, Assistants/threads.

Where the texts are (all found by the shared walk; this adapter only names their kind):

- Chat Completions: ``messages[].content`` (string or parts: ``text``; ``file.file_data`` inline
  documents; ``image_url`` / ``input_audio`` are unscannable), ``messages[].name``, assistant
  ``tool_calls[].function.arguments`` (a JSON text: the values inside are segments, rewritten in place
  and re-embedded), ``tool`` / ``function`` messages (tool results), ``system`` / ``developer`` messages.
- Responses: ``input`` (string or items: messages with ``input_text`` / ``input_file`` / ``input_image``,
  ``function_call`` arguments, ``function_call_output``), ``instructions``, ``prompt.variables``.
- Embeddings and Completions: ``input`` / ``prompt`` strings; token-id arrays are unscannable.
- Assistants: ``instructions``, thread ``messages``, run ``additional_messages`` /
  ``additional_instructions``, ``tool_outputs[].output``.
"""

from __future__ import annotations

from typing import Any

from .jsonspan import JsonPath
from .walker import Adapter


class OpenAIAdapter(Adapter):
    name = "openai"

    def child_kind(self, parent: dict[str, Any], key: str, value: Any, kind: str, path: JsonPath) -> str:
        if key == "variables" and "id" in parent:  # Responses: prompt template variables
            return "text"
        return super().child_kind(parent, key, value, kind, path)

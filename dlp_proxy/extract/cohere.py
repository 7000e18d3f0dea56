"""Cohere Chat v1 and v2, Embed, Rerank, Generate.

- v1 ``/v1/chat``: ``message``, ``chat_history[]`` (``{role: USER|CHATBOT|SYSTEM|TOOL, message,
  tool_calls, tool_results}``), ``preamble`` (system), ``documents`` (objects of strings),
  ``tool_results[]`` (``call.parameters`` and ``outputs``);
- v2 ``/v2/chat``: ``messages[]`` with ``content`` as a string or ``text`` / ``image_url`` / ``document``
  parts, ``tool_calls[].function.arguments`` (a JSON text), ``tool`` messages, ``documents``;
- Embed (``texts``, ``inputs``, ``images`` data URLs), Rerank (``query``, ``documents``),
  Generate (``prompt``).
"""

from __future__ import annotations

from .walker import STRUCTURAL_KEYS, Adapter


class CohereAdapter(Adapter):
    name = "cohere"
    structural = STRUCTURAL_KEYS | {"search_queries_only", "return_prompt", "raw_prompting", "strict_tools"}

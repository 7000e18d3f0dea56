"""Mistral: Chat Completions in OpenAI's shape, with Mistral's own chunks.

Content chunks are ``text``, ``image_url`` (a string or an object: unscannable), ``document_url``
(a ``data:`` URL is read as a document; an ``https`` URL is fetched by Mistral, so it is reported as
unreadable), ``input_audio``; ``tool_calls[].function.arguments`` is a JSON text *or* an object; FIM
(``/v1/fim/completions``) carries ``prompt`` and ``suffix``; OCR (``/v1/ocr``) a ``document``.
"""

from __future__ import annotations

from .openai import OpenAIAdapter
from .walker import STRUCTURAL_KEYS


class MistralAdapter(OpenAIAdapter):
    name = "mistral"
    structural = STRUCTURAL_KEYS | {"reference_ids", "prompt_mode"}

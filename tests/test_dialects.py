"""The one table of API dialects, and the four places that read it agree by construction."""

from __future__ import annotations

import pytest

from dlp_proxy.dialects import dialect_for, model_in_path
from dlp_proxy.extract.request import ADAPTERS, adapter_for
from dlp_proxy.requestinfo import model_from_request
from dlp_proxy.responses import api_shape
from dlp_proxy.restore.stream import STREAM_KINDS, stream_kind

CASES = [
    # path, catalog family, adapter, error shape, SSE kind
    ("/v1/chat/completions", "openai", "openai", "openai", "openai-chat-sse"),
    ("/v1/chat/completions", "mistral", "mistral", "openai", "openai-chat-sse"),
    ("/v1beta/openai/chat/completions", "gemini", "openai", "openai", "openai-chat-sse"),
    ("/v1/responses", "openai", "openai", "openai", "openai-responses-sse"),
    ("/v1/messages", "anthropic", "anthropic", "anthropic", "anthropic-sse"),
    ("/v1/projects/p/locations/l/publishers/anthropic/models/claude:streamRawPredict", "gemini",
     "anthropic", "anthropic", "anthropic-sse"),
    ("/v1beta/models/gemini-2.0-flash:streamGenerateContent", "gemini", "gemini", "gemini", "gemini-sse"),
    ("/model/anthropic.claude-v2/invoke", "bedrock", "bedrock", "generic", "generic-sse"),
    ("/backend-api/conversation", "chatgpt-web", "chatgpt-web", "generic", "generic-sse"),
    ("/api/chat", "ollama", "ollama", "generic", "generic-sse"),
    ("/v2/chat", "cohere", "cohere", "generic", "cohere-sse"),
    ("/openai/deployments/gpt4o/chat/completions", "openai", "openai", "openai", "openai-chat-sse"),
    ("/some/unknown/path", "generic", "generic", "generic", "generic-sse"),
]  # fmt: skip


@pytest.mark.parametrize(("path", "family", "adapter", "shape", "sse"), CASES)
def test_every_reader_follows_the_table(path, family, adapter, shape, sse) -> None:
    dialect = dialect_for(path, family)
    assert (dialect.adapter, dialect.error_shape, dialect.sse) == (adapter, shape, sse)
    assert adapter_for(family, path) is ADAPTERS[adapter]
    assert api_shape(path, family) == shape
    assert stream_kind(path, "text/event-stream", family) == sse
    assert stream_kind(path, "application/x-ndjson", family) == "ndjson"
    assert stream_kind(path, "application/json", family) is None


def test_every_sse_kind_has_a_restorer() -> None:
    from dlp_proxy.dialects import BY_FAMILY, GENERIC, ROUTES

    kinds = {r.dialect.sse for r in ROUTES} | {d.sse for d in BY_FAMILY.values()} | {GENERIC.sse}
    assert kinds <= set(STREAM_KINDS)


def test_model_from_body_then_url() -> None:
    assert model_from_request("/v1/chat/completions", {"model": " gpt-4o "}) == "gpt-4o"
    assert model_in_path("/v1beta/models/gemini-1.5-pro:generateContent") == "gemini-1.5-pro"
    assert model_in_path("/model/anthropic.claude-3%3A0/invoke") == "anthropic.claude-3:0"
    assert model_in_path("/openai/deployments/gpt4o/chat/completions") == "gpt4o"
    assert model_in_path("/v1/chat/completions") is None

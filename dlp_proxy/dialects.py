"""The one table of API dialects: from a request path (and the catalog family) to how it is spoken.

One provider host can speak several dialects (OpenAI-compatible endpoints on Gemini, Claude on Vertex
or Bedrock, Mistral's OpenAI shape), so the path decides first and the catalog family only when the
path is not recognised. Each row says, for one route:

* ``adapter``: which extractor reads the request (``dlp_proxy.extract``);
* ``error_shape``: the JSON error the client's SDK parses (``dlp_proxy.responses``);
* ``sse``: how a ``text/event-stream`` answer is restored (``dlp_proxy.restore.stream``).

Where the model is named: the body's ``model`` first, else the URL (:func:`model_in_path`).
Adding an API family: one row here and an adapter in ``dlp_proxy/extract/`` (docs/architecture.md).
Pure data, no imports from the rest of the package.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import unquote


@dataclass(frozen=True)
class Dialect:
    """How one API family is read, refused and restored. ``adapter`` ``openai-like`` follows the family."""

    adapter: str
    error_shape: str
    sse: str = "generic-sse"


@dataclass(frozen=True)
class Route:
    pattern: re.Pattern[str]
    dialect: Dialect


def _route(pattern: str, adapter: str, error_shape: str, sse: str = "generic-sse") -> Route:
    return Route(re.compile(pattern, re.IGNORECASE), Dialect(adapter, error_shape, sse))


_ANTHROPIC = ("anthropic", "anthropic", "anthropic-sse")
_GEMINI = ("gemini", "gemini", "gemini-sse")

#: Routes, first match wins; matched against the path without query, trailing ``/`` removed.
ROUTES: tuple[Route, ...] = (
    _route(r"(?:^|/)v1/messages(?:/count_tokens|/batches)?$", *_ANTHROPIC),
    _route(r"(?:^|/)v1/(?:messages|complete)(?:/|$)", *_ANTHROPIC),
    _route(r"/publishers/anthropic/models/[^/]+:(?:stream)?rawpredict$", *_ANTHROPIC),
    _route(r":(?:streamgeneratecontent|generatecontent|counttokens|embedcontent|batchembedcontents"
           r"|batchgeneratecontent|generateanswer)$", *_GEMINI),
    _route(r"^/v1(?:beta|alpha)/models/", *_GEMINI),
    _route(r"/projects/.+/publishers/google/models/", *_GEMINI),
    _route(r"/model/[^/]+/(?:invoke|invoke-with-response-stream|converse|converse-stream)$",
           "bedrock", "generic"),
    _route(r"/backend-(?:api|anon)/(?:f/)?conversation$", "chatgpt-web", "generic"),
    _route(r"/api/(?:chat|generate|embed|embeddings)$", "ollama", "generic"),
    _route(r"(?:^|/)v2/chat$", "cohere", "generic", "cohere-sse"),
    _route(r"(?:^|/)v2/(?:embed|rerank)$", "cohere", "generic"),
    _route(r"(?:^|/)v1/(?:chat|generate|embed|rerank|classify|summarize)$", "cohere", "generic"),
    _route(r"(?:/chat/completions|/fim/completions|/agents/completions|/completions)$",
           "openai-like", "openai", "openai-chat-sse"),
    _route(r"/ocr$", "openai-like", "openai"),
    _route(r"/responses$", "openai-like", "openai", "openai-responses-sse"),
    _route(r"(?:/responses/input_tokens|/responses/compact|/embeddings|/moderations)$",
           "openai-like", "openai"),
    _route(r"/v1/responses/", "openai", "openai", "openai-responses-sse"),
    _route(r"/(?:threads|assistants|conversations)(?:/|$)", "openai", "openai"),
    _route(r"/openai/deployments/", "openai", "openai", "openai-chat-sse"),
)  # fmt: skip

#: Catalog families whose OpenAI-shaped routes keep their own adapter.
OPENAI_LIKE = frozenset({"openai", "mistral"})
#: The dialect of a path no route knows, by catalog family.
BY_FAMILY: dict[str, Dialect] = {
    "openai": Dialect("openai", "openai"),
    "mistral": Dialect("mistral", "openai"),
    "anthropic": Dialect(*_ANTHROPIC),
    "gemini": Dialect(*_GEMINI),
    "cohere": Dialect("cohere", "generic"),
    "ollama": Dialect("ollama", "generic"),
    "bedrock": Dialect("bedrock", "generic"),
    "chatgpt-web": Dialect("chatgpt-web", "generic"),
}
GENERIC = Dialect("generic", "generic")


def route_path(path: str) -> str:
    """The part of a request target that routes: no query, no fragment, no trailing ``/``."""
    return (path or "").split("?", 1)[0].split("#", 1)[0].rstrip("/")


def dialect_for(path: str, family: str | None) -> Dialect:
    """The dialect of a request: by path first, then by the catalog family, else generic."""
    route = route_path(path)
    family = (family or "").lower()
    for r in ROUTES:
        if r.pattern.search(route):
            if r.dialect.adapter == "openai-like":
                adapter = family if family in OPENAI_LIKE else "openai"
                return Dialect(adapter, r.dialect.error_shape, r.dialect.sse)
            return r.dialect
    return BY_FAMILY.get(family, GENERIC)


# Bedrock runtime: /model/{modelId}/invoke…; Azure OpenAI: /openai/deployments/{deployment}/…;
# Gemini / Vertex: /v1beta/models/gemini-1.5-pro:generateContent, …/publishers/google/models/X:predict
_MODEL_IN_PATH = (
    re.compile(r"/model/([^/?]+)/(?:invoke|converse)"),
    re.compile(r"/openai/deployments/([^/?]+)"),
    re.compile(r"/models/([^/:?]+)"),
)


def model_in_path(path: str) -> str | None:
    """The model a URL names (Gemini, Vertex, Azure deployments, Bedrock), as written."""
    path_only = path.split("?", 1)[0]
    for rx in _MODEL_IN_PATH:
        m = rx.search(path_only)
        if m:
            return unquote(m.group(1))[:200]
    return None

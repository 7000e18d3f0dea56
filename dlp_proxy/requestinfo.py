"""What the policy needs to know about a request: who sent it and which model it names.

Pure functions (no mitmproxy types) so the CLI, the proxy and the tests share them.
"""

from __future__ import annotations

from typing import Any

from dlp_proxy.dialects import model_in_path


def model_from_request(path: str, body: Any) -> str | None:
    """The model a request names: body ``model`` first, else the URL (Gemini, Vertex, Azure, Bedrock).

    Returned as written (case kept) for display; policy matching is case-insensitive.
    """
    if isinstance(body, dict):
        model = body.get("model")
        if isinstance(model, str) and model.strip():
            return model.strip()[:200]
    return model_in_path(path)


def user_from_proxyauth(proxyauth: Any) -> str | None:
    """The user name from mitmproxy's ``flow.metadata["proxyauth"]``; the password is dropped here."""
    if isinstance(proxyauth, tuple | list) and proxyauth and isinstance(proxyauth[0], str) and proxyauth[0]:
        return proxyauth[0]
    return None


def host_without_port(host: str | None) -> str:
    """Lower-case host name without port or trailing dot (``API.OpenAI.com.:443`` → ``api.openai.com``)."""
    if not host:
        return ""
    h = host.strip().lower()
    if h.startswith("["):
        end = h.find("]")
        return h[1:end] if end > 0 else h
    if h.count(":") == 1:
        h = h.split(":", 1)[0]
    return h.rstrip(".")

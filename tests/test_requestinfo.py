"""Model and identity extraction for the policy."""

from __future__ import annotations

import pytest

from dlp_proxy.requestinfo import host_without_port, model_from_request, user_from_proxyauth


@pytest.mark.parametrize(
    "path,body,expected",
    [
        ("/v1/chat/completions", {"model": "o1-pro"}, "o1-pro"),
        ("/v1beta/models/gemini-2.5-pro:generateContent", {"contents": []}, "gemini-2.5-pro"),
        ("/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse", None, "gemini-2.5-flash"),
        (
            "/v1/projects/p/locations/europe-west1/publishers/google/models/gemini-2.0-flash:generateContent",
            {},
            "gemini-2.0-flash",
        ),
        ("/openai/deployments/gpt4o-prod/chat/completions?api-version=2024-10-21", {}, "gpt4o-prod"),
        (
            "/model/anthropic.claude-3-5-sonnet-20241022-v2%3A0/invoke",
            b"",
            "anthropic.claude-3-5-sonnet-20241022-v2:0",
        ),
        ("/v1/chat/completions", {"model": ""}, None),
        ("/v1/chat/completions", {"model": 42}, None),
        ("/v1/chat/completions", ["not", "a", "dict"], None),
        ("/", None, None),
    ],
)
def test_model_from_request(path, body, expected) -> None:
    assert model_from_request(path, body) == expected


def test_body_model_wins_over_url() -> None:
    assert model_from_request("/v1beta/models/a:generateContent", {"model": "b"}) == "b"


def test_user_from_proxyauth_drops_password() -> None:
    assert user_from_proxyauth(("alice", "s3cret")) == "alice"
    assert user_from_proxyauth(None) is None
    assert user_from_proxyauth(("", "x")) is None


@pytest.mark.parametrize(
    "raw,expected",
    [
        ("API.OpenAI.com.:443", "api.openai.com"),
        ("[::1]:8080", "::1"),
        ("::1", "::1"),
        (None, ""),
        ("x.fr", "x.fr"),
    ],
)
def test_host_without_port(raw, expected) -> None:
    assert host_without_port(raw) == expected

"""What a blocked user sees: statuses, API-shaped bodies, headers, messages and the HTML page.

The SDK tests feed our bodies to the real ``openai`` and ``anthropic`` clients (only the server is
mocked) because the point of the shapes is that those SDKs raise their usual exception and show
our message.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass

import anthropic
import httpx2
import openai
import pytest

from dlp_proxy.responses import (
    ADOPTION_STEPS,
    CODES,
    STATUS_BY_CODE,
    BlockInfo,
    api_shape,
    block_message,
    build_block_response,
    wants_html,
)

BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"
SHAPE_PATHS = {
    "openai": ("/v1/chat/completions", "openai"),
    "anthropic": ("/v1/messages", "anthropic"),
    "gemini": ("/v1beta/models/gemini-2.0-flash:generateContent", "gemini"),
    "generic": ("/api/chat", "ollama"),
}


@dataclass(frozen=True)
class Ref:
    role: str
    name: str
    contact: str


REFERENTS = (
    Ref("informatique", "Jeanne Martin", "ia@exemple.fr"),
    Ref("juridique", "Paul Durand", "juridique@exemple.fr"),
    Ref("metier", "Sophie Bernard", "poste 4321"),
)


def make_info(code: str = "tool_forbidden", **kw: object) -> BlockInfo:
    fields: dict[str, object] = {
        "code": code,
        "request_id": "req-abc123",
        "policy_version": "2026.4",
        "tool_name": "DeepSeek API",
        "model": "deepseek-chat",
        "reason": "Hébergement hors UE, pas de contrat de sous-traitance signé",
        "rule_id": "tools.deepseek",
        "referents": REFERENTS,
        "alternatives": ("Mistral Le Chat Entreprise", "Copilot M365"),
    }
    if code == "tool_pilot_only":
        fields["groups"] = ("R&D", "Data")
    if code == "sensitive_data":
        fields["detail"] = "types détectés : IBAN_CODE (2)"
    if code == "body_too_large":
        fields["detail"] = "limite : 10 Mio"
    fields.update(kw)
    return BlockInfo(**fields)  # type: ignore[arg-type]


def build(info: BlockInfo, shape: str = "openai", accept: str | None = "application/json"):
    path, family = SHAPE_PATHS[shape]
    return build_block_response(info, path=path, family=family, accept=accept)


# --------------------------------------------------------------------------------------------------
# Status, shape, headers
# --------------------------------------------------------------------------------------------------


def test_status_table_is_exactly_the_contract():
    assert STATUS_BY_CODE == {
        "tool_forbidden": 403,
        "tool_pilot_only": 403,
        "model_forbidden": 403,
        "sensitive_data": 403,
        "unscannable_content": 403,
        "destination_mismatch": 403,
        "justification_required": 403,
        "validation_required": 403,
        "access_suspended": 403,
        "reminder_required": 403,
        "body_too_large": 413,
        "undecodable_body": 400,
        "scan_unavailable": 503,
        "scan_overloaded": 503,
        "policy_unavailable": 503,
        "upstream_unreachable": 502,
        "upstream_timeout": 504,
        "state_unavailable": 503,
    }


EXPECTED_TYPES = {
    # status: (openai type, anthropic type, gemini status)
    403: ("request_forbidden", "permission_error", "PERMISSION_DENIED"),
    400: ("invalid_request_error", "invalid_request_error", "INVALID_ARGUMENT"),
    413: ("invalid_request_error", "request_too_large", "INVALID_ARGUMENT"),
    503: ("server_error", "api_error", "UNAVAILABLE"),
    502: ("server_error", "api_error", "UNAVAILABLE"),
    504: ("server_error", "api_error", "DEADLINE_EXCEEDED"),
}
# The provider's own failures may be retried by the SDKs (the retry is scanned again); refusals not.
RETRY = {"upstream_unreachable": "true", "upstream_timeout": "true", "scan_overloaded": "true"}


@pytest.mark.parametrize("shape", list(SHAPE_PATHS))
@pytest.mark.parametrize("code", CODES)
def test_each_code_and_shape(code: str, shape: str):
    info = make_info(code)
    status, headers, body = build(info, shape)
    expected_status = STATUS_BY_CODE[code]
    assert status == expected_status

    assert headers["content-type"] == "application/json; charset=utf-8"
    assert headers["x-should-retry"] == RETRY.get(code, "false")
    assert headers["cache-control"] == "no-store"
    assert headers["x-dlp-proxy-request-id"] == "req-abc123"
    assert headers["x-dlp-proxy-rule"] == "tools.deepseek"
    assert ("retry-after" in headers) == (expected_status == 503)

    data = json.loads(body.decode("utf-8"))
    message = block_message(info)
    oa_type, an_type, gm_status = EXPECTED_TYPES[expected_status]
    if shape == "openai":
        assert data == {"error": {"message": message, "type": oa_type, "param": None, "code": code}}
        assert next(iter(data["error"])) == "message"
    elif shape == "anthropic":
        assert data == {"type": "error", "error": {"type": an_type, "message": message}}
    elif shape == "gemini":
        assert data == {"error": {"code": expected_status, "message": message, "status": gm_status}}
    else:
        assert data == {"error": {"code": code, "message": message}}
    assert "req-abc123" in data["error"]["message"]


def test_body_is_utf8_not_ascii_escaped():
    _, _, body = build(make_info())
    assert "Accès refusé".encode() in body


def test_rule_header_absent_without_rule_id():
    _, headers, _ = build(make_info(rule_id=None))
    assert "x-dlp-proxy-rule" not in headers


def test_header_values_cannot_be_split():
    _, headers, _ = build(make_info(rule_id="r1\r\nset-cookie: x=1", request_id="id\nx"))
    for value in headers.values():
        assert "\r" not in value and "\n" not in value
    assert headers["x-dlp-proxy-rule"].startswith("r1")


def test_unknown_code_still_blocks_with_an_explanation():
    status, _, body = build(make_info("something_new"))
    assert status == 403
    message = json.loads(body)["error"]["message"]
    assert "« DeepSeek API »" in message and "req-abc123" in message


# --------------------------------------------------------------------------------------------------
# Messages
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("code", CODES)
def test_message_is_french_by_default_and_names_everything(code: str):
    message = block_message(make_info(code))
    assert "\n" not in message
    assert "version 2026.4)" in message
    assert "« DeepSeek API »" in message
    assert "Motif : Hébergement hors UE, pas de contrat de sous-traitance signé." in message
    assert "Outils autorisés à la place : Mistral Le Chat Entreprise, Copilot M365." in message
    assert "Contactez vos référents IA : Jeanne Martin (informatique, ia@exemple.fr)" in message
    assert "Paul Durand (juridique, juridique@exemple.fr)" in message
    assert "Sophie Bernard (métier, poste 4321)" in message
    assert message.endswith("Référence de la demande : req-abc123.")


@pytest.mark.parametrize("code", CODES)
def test_message_in_english(code: str):
    message = block_message(make_info(code, language="en"))
    assert "“DeepSeek API”" in message
    assert "Reason: Hébergement hors UE" in message  # the reason is given already translated
    assert "Approved tools to use instead: Mistral Le Chat Entreprise, Copilot M365." in message
    assert "Contact your AI referents: Jeanne Martin (IT, ia@exemple.fr)" in message
    assert "Paul Durand (legal, " in message and "Sophie Bernard (business, " in message
    assert message.endswith("Request reference: req-abc123.")
    assert "Accès" not in message and "Référence" not in message


@pytest.mark.parametrize("language", ["de", "", "FR", "xx-YY"])
def test_other_languages_fall_back_to_french(language: str):
    assert block_message(make_info(language=language)).startswith("Accès refusé")


def test_messages_differ_per_code_in_both_languages():
    for language in ("fr", "en"):
        bare = {code: block_message(make_info(code, language=language, reason=None)) for code in CODES}
        assert len(set(bare.values())) == len(CODES)


def test_tool_and_model_forbidden_name_the_model():
    assert "l'outil « DeepSeek API » (modèle « deepseek-chat ») est interdit." in block_message(make_info())
    assert "le modèle « deepseek-chat » n'est pas autorisé avec l'outil « DeepSeek API »." in block_message(
        make_info("model_forbidden")
    )
    en = block_message(make_info("model_forbidden", language="en"))
    assert "the model “deepseek-chat” is not allowed with the tool “DeepSeek API”." in en


def test_pilot_message_names_groups_and_adoption_procedure():
    message = block_message(make_info("tool_pilot_only"))
    assert "est en test pilote, réservé aux groupes : R&D et Data" in message
    assert (
        "procédure d'adoption en 4 étapes : demande formelle, validation juridique et informatique, "
        "test pilote, déploiement progressif." in message
    )
    en = block_message(make_info("tool_pilot_only", language="en"))
    assert "restricted to the groups: R&D and Data" in en and "formal request" in en


def test_sensitive_data_message_states_the_client_data_rule_and_detail():
    message = block_message(make_info("sensitive_data"))
    assert "données personnelles ou des données client ont été détectées" in message
    assert "Aucune donnée client ne doit être saisie dans un outil non hébergé par l'entreprise." in message
    assert "Détail : types détectés : IBAN_CODE (2)." in message


def test_technical_codes_say_the_proxy_blocked_not_the_policy():
    message = block_message(make_info("body_too_large"))
    assert message.startswith("Requête bloquée par le contrôle des données de l'entreprise")
    assert "Détail : limite : 10 Mio." in message
    assert "Réessayez" in block_message(make_info("scan_unavailable"))


def test_minimal_info_reads_well():
    message = block_message(BlockInfo(code="tool_forbidden", request_id="r1", policy_version=""))
    assert message == (
        "Accès refusé par la politique IA de l'entreprise : cet outil d'IA est interdit. "
        "Référence de la demande : r1."
    )
    en = block_message(BlockInfo(code="model_forbidden", request_id="r1", policy_version="", language="en"))
    assert en == (
        "Access denied by the company AI policy: the requested model is not allowed with this AI tool. "
        "Request reference: r1."
    )


def test_message_stays_one_bounded_line_whatever_the_fields():
    # The model name comes from the request body: it may hold newlines or be huge.
    message = block_message(make_info(model="gpt\n4\r\x00" + "x" * 5000, reason="Ligne 1\nLigne 2."))
    assert "\n" not in message and "\r" not in message and "\x00" not in message
    assert "Motif : Ligne 1 Ligne 2." in message
    assert len(message) < 2000


# --------------------------------------------------------------------------------------------------
# Negotiation and shapes
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "family", "shape"),
    [
        ("/v1/chat/completions", None, "openai"),
        ("/chat/completions", "generic", "openai"),
        ("/v1/responses", None, "openai"),
        ("/v1/responses/resp_123/cancel", None, "openai"),
        ("/v1/embeddings", None, "openai"),
        ("/v1/completions", None, "openai"),
        ("/openai/deployments/gpt4o/chat/completions?api-version=2024-10-21", "generic", "openai"),
        ("/openai/deployments/gpt4o/embeddings", None, "openai"),
        ("/v1/messages", None, "anthropic"),
        ("/v1/messages?beta=true", "generic", "anthropic"),
        ("/v1/messages/count_tokens", None, "anthropic"),
        ("/v1/complete", None, "anthropic"),
        ("/v1beta/models/gemini-2.0-flash:generateContent", None, "gemini"),
        ("/v1beta/models/gemini-2.0-flash:streamGenerateContent?alt=sse", None, "gemini"),
        ("/v1/models/gemini-pro:generateContent", "generic", "gemini"),
        ("/v1beta/models", None, "generic"),
        ("/v1beta/models/gemini-2.0-flash", None, "gemini"),
        (
            "/v1/projects/p/locations/europe-west1/publishers/google/models/gemini-2.0-flash:predict",
            None,
            "gemini",
        ),
        # Gemini's OpenAI-compatible endpoint: the path wins over the family.
        ("/v1beta/openai/chat/completions", "gemini", "openai"),
        # Claude on Vertex speaks Anthropic.
        ("/v1/projects/p/locations/l/publishers/anthropic/models/claude:rawPredict", None, "anthropic"),
        # Unknown paths: the family decides.
        ("/v1/fim/completions", "mistral", "openai"),
        ("/v1/agents/completions", "mistral", "openai"),
        ("/beta/something", "openai", "openai"),
        ("/v1/other", "anthropic", "anthropic"),
        ("/upload/v1beta/files", "gemini", "gemini"),
        ("/backend-api/conversation", "chatgpt_web", "generic"),
        ("/backend-api/conversation", "chatgpt-web", "generic"),
        ("/v2/chat", "cohere", "generic"),
        ("/api/chat", "ollama", "generic"),
        ("/api/generate", "generic", "generic"),
        ("/", None, "generic"),
        ("", None, "generic"),
        ("/V1/CHAT/COMPLETIONS", None, "openai"),
    ],
)
def test_api_shape(path: str, family: str | None, shape: str):
    assert api_shape(path, family) == shape


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (BROWSER_ACCEPT, True),
        ("text/html", True),
        ("application/xhtml+xml", True),
        ("text/html;q=0.9, application/json;q=0.5", True),
        (None, False),
        ("", False),
        ("*/*", False),
        ("application/json", False),
        ("application/json, text/plain, */*", False),
        ("text/event-stream", False),
        ("application/json, text/html;q=0.5", False),
        ("text/html;q=0", False),
        ("text/html;q=abc", False),
    ],
)
def test_wants_html(accept: str | None, expected: bool):
    for shape in SHAPE_PATHS:
        assert wants_html(accept, shape) is expected


# --------------------------------------------------------------------------------------------------
# HTML page
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("shape", list(SHAPE_PATHS))
@pytest.mark.parametrize("code", CODES)
def test_browser_gets_html_with_the_same_status(code: str, shape: str):
    status, headers, body = build(make_info(code), shape, accept=BROWSER_ACCEPT)
    assert status == STATUS_BY_CODE[code]
    assert headers["content-type"] == "text/html; charset=utf-8"
    assert headers["x-should-retry"] == RETRY.get(code, "false")
    assert headers["cache-control"] == "no-store"
    assert headers["x-dlp-proxy-request-id"] == "req-abc123"
    assert "default-src 'none'" in headers["content-security-policy"]
    page = body.decode("utf-8")
    assert page.startswith("<!DOCTYPE html>")
    assert '<html lang="fr">' in page
    assert "req-abc123" in page and "2026.4" in page


def test_html_page_content_french():
    _, _, body = build(make_info("tool_forbidden"), accept=BROWSER_ACCEPT)
    page = body.decode("utf-8")
    assert "<title>Accès bloqué — DeepSeek API</title>" in page
    assert "<dd><code>deepseek-chat</code></dd>" in page
    assert "Hébergement hors UE" in page
    assert "<li>Mistral Le Chat Entreprise</li>" in page and "<li>Copilot M365</li>" in page
    assert "<strong>Référent informatique</strong> : Jeanne Martin" in page
    assert "<strong>Référent juridique</strong> : Paul Durand" in page
    assert "<strong>Référent métier</strong> : Sophie Bernard — poste 4321" in page
    assert '<a href="mailto:ia@exemple.fr">ia@exemple.fr</a>' in page
    assert "mailto:poste" not in page
    assert "Référence de la demande : <code>req-abc123</code>" in page
    assert "Version de la politique IA : <code>2026.4</code>" in page


def test_html_page_is_self_contained():
    _, _, body = build(make_info("sensitive_data"), accept=BROWSER_ACCEPT)
    page = body.decode("utf-8").lower()
    for forbidden in ("<script", "<link", "<img", "<iframe", "src=", "@import", "url("):
        assert forbidden not in page
    assert "<style>" in page


def test_html_page_in_english():
    _, _, body = build(make_info("tool_pilot_only", language="en"), accept=BROWSER_ACCEPT)
    page = body.decode("utf-8")
    assert '<html lang="en">' in page
    assert "<title>Access blocked — DeepSeek API</title>" in page
    assert "<strong>IT referent</strong>: Jeanne Martin" in page
    assert "restricted to the groups: R&amp;D and Data" in page
    assert "Request reference: <code>req-abc123</code>" in page
    assert "Référent" not in page


def test_html_pilot_explains_how_to_join():
    _, _, body = build(make_info("tool_pilot_only"), accept=BROWSER_ACCEPT)
    page = body.decode("utf-8")
    assert "réservé aux groupes : R&amp;D et Data" in page
    steps = [s[:1].upper() + s[1:] for s in ADOPTION_STEPS["fr"]]
    assert "".join(f"<li>{s}</li>" for s in steps) in page
    assert "demande formelle à vos référents IA" in page


def test_html_sensitive_data_states_the_rule():
    _, _, body = build(make_info("sensitive_data"), accept=BROWSER_ACCEPT)
    page = body.decode("utf-8")
    assert "Aucune donnée client ne doit être saisie dans un outil non hébergé par l&#x27;entreprise." in page
    assert "types détectés : IBAN_CODE (2)" in page
    assert page.count("Aucune donnée client") == 1


def test_html_escapes_every_value():
    evil = "<script>alert('x')</script>"
    info = make_info(
        "tool_pilot_only",
        tool_name=f"Outil {evil}",
        model=f'm"{evil}',
        reason=f"Motif {evil}",
        detail=evil,
        alternatives=(evil,),
        groups=(evil,),
        referents=(Ref("informatique", evil, f'a"onmouseover="x@{evil}'), Ref(evil, "N", "x@y.fr")),
        request_id=evil,
        policy_version=evil,
    )
    _, _, body = build(info, accept=BROWSER_ACCEPT)
    page = body.decode("utf-8")
    assert "<script" not in page
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in page
    assert 'onmouseover="' not in page
    assert "<title>Accès bloqué — Outil &lt;script&gt;" in page


def test_html_only_links_safe_contacts():
    refs = (
        Ref("informatique", "A", "javascript:alert(1)"),
        Ref("juridique", "B", "https://intranet.exemple.fr/ia"),
        Ref("metier", "C", "c@exemple.fr"),
    )
    _, _, body = build(make_info(referents=refs), accept=BROWSER_ACCEPT)
    page = body.decode("utf-8")
    assert 'href="javascript' not in page
    assert '<a href="https://intranet.exemple.fr/ia">' in page
    assert '<a href="mailto:c@exemple.fr">' in page


# --------------------------------------------------------------------------------------------------
# Real SDKs (the server is mocked; the thing under test is our body)
# --------------------------------------------------------------------------------------------------


def _transport(info: BlockInfo, shape: str, calls: list[httpx2.Request]) -> httpx2.MockTransport:
    def handler(request: httpx2.Request) -> httpx2.Response:
        calls.append(request)
        status, headers, body = build_block_response(
            info,
            path=request.url.path,
            family=None,
            accept=request.headers.get("accept"),
        )
        return httpx2.Response(status, headers=headers, content=body)

    return httpx2.MockTransport(handler)


@pytest.mark.parametrize("stream", [False, True])
def test_openai_sdk_raises_permission_denied_with_our_message(stream: bool):
    info = make_info()
    calls: list[httpx2.Request] = []
    client = openai.OpenAI(
        api_key="x",
        base_url="http://test/v1",
        max_retries=0,
        http_client=httpx2.Client(transport=_transport(info, "openai", calls)),
    )
    with pytest.raises(openai.PermissionDeniedError) as excinfo:
        client.chat.completions.create(
            model="deepseek-chat", messages=[{"role": "user", "content": "bonjour"}], stream=stream
        )
    err = excinfo.value
    assert err.status_code == 403
    assert str(err) == f"Error code: 403 - {block_message(info)}"
    assert err.code == "tool_forbidden"
    assert err.type == "request_forbidden"
    assert err.request_id == "req-abc123"
    assert len(calls) == 1


def test_openai_sdk_does_not_retry_a_503():
    info = make_info("scan_unavailable")
    calls: list[httpx2.Request] = []
    client = openai.OpenAI(
        api_key="x",
        base_url="http://test/v1",
        max_retries=3,
        http_client=httpx2.Client(transport=_transport(info, "openai", calls)),
    )
    with pytest.raises(openai.InternalServerError) as excinfo:
        client.chat.completions.create(model="m", messages=[{"role": "user", "content": "x"}])
    assert excinfo.value.status_code == 503
    assert "momentanément indisponible" in str(excinfo.value)
    assert len(calls) == 1  # x-should-retry: false wins over the SDK's default retry of 5xx


def test_anthropic_sdk_raises_permission_denied_with_our_message():
    info = make_info(tool_name="Claude", model="claude-opus-4")
    calls: list[httpx2.Request] = []
    client = anthropic.Anthropic(
        api_key="x",
        base_url="http://test",
        max_retries=0,
        http_client=httpx2.Client(transport=_transport(info, "anthropic", calls)),
    )
    with pytest.raises(anthropic.PermissionDeniedError) as excinfo:
        client.messages.create(
            model="claude-opus-4", max_tokens=16, messages=[{"role": "user", "content": "bonjour"}]
        )
    err = excinfo.value
    assert err.status_code == 403
    # The Anthropic SDK puts the repr of the whole body in str(err); the message itself is in
    # .api_message (and .body), verbatim.
    assert err.api_message == block_message(info)
    assert err.type == "permission_error"
    assert "l'outil « Claude » (modèle « claude-opus-4 ») est interdit" in str(err)
    assert err.request_id == "req-abc123"
    assert len(calls) == 1


def test_anthropic_sdk_maps_413_and_does_not_retry_503():
    for code, exc in (
        ("body_too_large", anthropic.ContentTooLargeError),
        ("scan_unavailable", anthropic.ServiceUnavailableError),
    ):
        calls: list[httpx2.Request] = []
        client = anthropic.Anthropic(
            api_key="x",
            base_url="http://test",
            max_retries=3,
            http_client=httpx2.Client(transport=_transport(make_info(code), "anthropic", calls)),
        )
        with pytest.raises(exc) as excinfo:
            client.messages.create(model="m", max_tokens=1, messages=[{"role": "user", "content": "x"}])
        assert type(excinfo.value) is exc
        assert excinfo.value.status_code == STATUS_BY_CODE[code]
        assert excinfo.value.api_message == block_message(make_info(code))
        assert len(calls) == 1


def test_scan_overloaded_is_a_short_retryable_503_in_both_languages():
    status, headers, body = build_block_response(
        make_info("scan_overloaded"), path="/v1/chat/completions", family="openai", accept=None
    )
    assert status == 503
    assert headers["retry-after"] == "2" and headers["x-should-retry"] == "true"
    error = json.loads(body)["error"]
    assert error["code"] == "scan_overloaded"
    assert "saturé" in error["message"] and "Réessayez dans quelques secondes" in error["message"]
    english = block_message(make_info("scan_overloaded", language="en"))
    assert "overloaded" in english and "Try again in a few seconds" in english


def test_openai_sdk_retries_an_overloaded_scan_once_after_retry_after():
    calls: list[httpx2.Request] = []
    client = openai.OpenAI(
        api_key="x",
        base_url="http://test/v1",
        max_retries=1,
        http_client=httpx2.Client(transport=_transport(make_info("scan_overloaded"), "openai", calls)),
    )
    started = time.monotonic()
    with pytest.raises(openai.InternalServerError) as excinfo:
        client.chat.completions.create(model="m", messages=[{"role": "user", "content": "x"}])
    assert excinfo.value.status_code == 503
    assert len(calls) == 2  # retried by the SDK, unlike scan_unavailable
    assert time.monotonic() - started >= 1.9  # after our Retry-After

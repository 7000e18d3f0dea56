"""The addon's hooks, with mitmproxy's own test context and flows (no network)."""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path

import pytest
from mitmproxy import exceptions
from mitmproxy.test import taddons, tflow, tutils

from dlp_proxy.addon import METADATA_KEY, DlpProxy

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def addon(tmp_path):
    a = DlpProxy()
    with taddons.context(a) as tctx:
        tctx.configure(
            a, confdir=str(tmp_path / "conf"), dlp_rules=str(REPO / "rules"), dlp_data_dir=str(tmp_path)
        )
        yield a
        a.done()


def ai_flow(
    host: str = "api.openai.com",
    path: str = "/v1/chat/completions",
    body: object | bytes = None,
    headers: dict | None = None,
    peer: str = "10.1.2.3",
):
    content = body if isinstance(body, bytes) else json.dumps(body or {"model": "gpt-4o-mini"}).encode()
    req = tutils.treq(
        host=host, port=443, scheme=b"https", path=path.encode(), method=b"POST", content=content
    )
    req.headers["host"] = host
    req.headers["content-type"] = "application/json"
    for k, v in (headers or {}).items():
        req.headers[k] = v
    f = tflow.tflow(req=req)
    f.client_conn.peername = (peer, 50000)
    f.client_conn.sni = host
    return f


def run(addon: DlpProxy, f) -> None:
    addon.requestheaders(f)
    if f.response is None:
        asyncio.run(addon.request(f))


def test_ca_exists_after_configure(tmp_path) -> None:
    a = DlpProxy()
    with taddons.context(a) as tctx:
        tctx.configure(a, confdir=str(tmp_path / "c"), dlp_data_dir=str(tmp_path))
        assert (tmp_path / "c" / "mitmproxy-ca-cert.pem").exists()
        a.done()


def passed_the_tool_decision(f) -> bool:
    """No detector runs in these tests: a request the tool rules let through then waits for the scan of
    what every request carries (headers, path, JSON keys) and gets ``scan_unavailable``."""
    if f.response is None:
        return True
    return json.loads(f.response.content)["error"]["code"] == "scan_unavailable"


def test_approved_tool_passes_and_is_classified(addon) -> None:
    f = ai_flow()
    run(addon, f)
    assert passed_the_tool_decision(f)
    rc = f.metadata[METADATA_KEY]
    assert rc.service_id == "openai-api" and rc.model == "gpt-4o-mini"


def test_non_ai_host_not_touched(addon) -> None:
    f = ai_flow(host="www.example.org")
    run(addon, f)
    assert f.response is None and METADATA_KEY not in f.metadata


def test_classification_uses_the_host_the_client_asked_for(addon) -> None:
    """map_remote may rewrite request.host to 127.0.0.1; the SNI / Host header decide the tool."""
    f = ai_flow(host="api.deepseek.com")
    f.request.host = "127.0.0.1"
    run(addon, f)
    assert f.response is not None and f.response.status_code == 403


def test_forbidden_model_blocked_with_openai_shape(addon, tmp_path) -> None:
    f = ai_flow(body={"model": "o1-pro-2025", "messages": []})
    run(addon, f)
    assert f.response.status_code == 403
    assert f.response.headers["x-should-retry"] == "false"
    err = json.loads(f.response.content)["error"]
    assert err["code"] == "model_forbidden" and "coût et usage non validé" in err["message"]
    assert addon.store.flush(10)
    rows = addon.store.query()
    assert rows[-1].code == "model_forbidden" and rows[-1].client_ip == "10.1.2.3"
    assert rows[-1].policy_version == addon.policy.version and rows[-1].decision == "blocked"
    assert addon.store.verify().ok


def test_pilot_tool_outside_group_blocked_and_inside_allowed(addon) -> None:
    f = ai_flow(host="chatgpt.com", path="/backend-api/conversation", body={"messages": []})
    run(addon, f)
    assert json.loads(f.response.content)["error"]["code"] == "tool_pilot_only"
    # a proxyauth user of the pilot group passes
    user = next(u for u, g in _directory_users().items() if "pilote-ia" in g)
    f2 = ai_flow(host="chatgpt.com", path="/backend-api/conversation", body={"messages": []})
    f2.metadata["proxyauth"] = (user, "password-never-logged")
    run(addon, f2)
    assert passed_the_tool_decision(f2)
    assert f2.metadata[METADATA_KEY].groups and "pilote-ia" in f2.metadata[METADATA_KEY].groups


def _directory_users() -> dict[str, list[str]]:
    import yaml

    return yaml.safe_load((REPO / "rules" / "directory.yaml").read_text())["users"]


def test_unlisted_catalog_service_forbidden_by_default(addon) -> None:
    f = ai_flow(host="api.groq.com", path="/openai/v1/chat/completions")
    run(addon, f)
    assert f.response.status_code == 403
    assert json.loads(f.response.content)["error"]["code"] == "tool_forbidden"


def test_anthropic_and_gemini_shapes(addon) -> None:
    f = ai_flow(
        host="generativelanguage.googleapis.com",
        path="/v1beta/models/gemini-2.5-pro:generateContent",
        body={"contents": []},
    )
    run(addon, f)
    body = json.loads(f.response.content)
    assert (
        body["error"]["status"] == "PERMISSION_DENIED" and f.metadata[METADATA_KEY].model == "gemini-2.5-pro"
    )


def test_browser_gets_html(addon) -> None:
    f = ai_flow(host="chat.deepseek.com", path="/", headers={"accept": "text/html,application/xhtml+xml"})
    f.request.method = "GET"
    run(addon, f)
    assert f.response.headers["content-type"].startswith("text/html")
    assert "DeepSeek" in f.response.get_text()


def test_declared_oversized_body_blocked_at_headers(addon) -> None:
    f = ai_flow(headers={"content-length": str(addon.policy.body_size_limit + 1)})
    addon.requestheaders(f)
    assert f.response.status_code == 413


def test_gzip_bomb_blocked(addon) -> None:
    import gzip

    payload = b'{"model":"gpt-4o","x":"' + b"a" * (addon.policy.body_size_limit + 10) + b'"}'
    f = ai_flow(body=gzip.compress(payload), headers={"content-encoding": "gzip"})
    run(addon, f)
    assert f.response.status_code == 413


def test_invalid_json_blocked(addon) -> None:
    f = ai_flow(body=b'{"model": ')
    run(addon, f)
    assert f.response.status_code == 400
    assert json.loads(f.response.content)["error"]["code"] == "undecodable_body"


def test_internal_error_fails_closed(addon, monkeypatch, capsys) -> None:
    def boom(*a, **k):
        raise RuntimeError("bug with jean.dupont@example.fr inside")

    monkeypatch.setattr(addon.policy.__class__, "decide", boom)
    f = ai_flow()
    run(addon, f)
    assert f.response.status_code == 503
    captured = capsys.readouterr()
    assert "decision_failed" in captured.out + captured.err
    assert "jean.dupont" not in captured.out + captured.err  # the message is never logged


def test_stream_large_bodies_refused(tmp_path) -> None:
    from mitmproxy.addons.proxyserver import Proxyserver

    a = DlpProxy()
    with taddons.context(Proxyserver(), a) as tctx:
        tctx.configure(a, confdir=str(tmp_path / "c"), dlp_data_dir=str(tmp_path))
        with pytest.raises(exceptions.OptionsError, match="stream_large_bodies"):
            tctx.configure(a, stream_large_bodies="1m")
        a.done()


def test_broken_policy_refused_with_file_and_line(tmp_path) -> None:
    import shutil

    rules = tmp_path / "rules"
    shutil.copytree(REPO / "rules", rules)
    text = (rules / "policy.yaml").read_text()
    assert "status: approved" in text
    (rules / "policy.yaml").write_text(text.replace("status: approved", "status: aproved", 1))
    a = DlpProxy()
    with taddons.context(a) as tctx:
        with pytest.raises(exceptions.OptionsError, match=r"policy\.yaml:\d+: "):
            tctx.configure(a, confdir=str(tmp_path / "c"), dlp_data_dir=str(tmp_path), dlp_rules=str(rules))


def test_tls_passthrough_decision(addon) -> None:
    from mitmproxy import connection, tls
    from mitmproxy.proxy import context

    def hello(sni: str | None, server: tuple[str, int] | None):
        client = connection.Client(
            peername=("10.0.0.1", 1234), sockname=("127.0.0.1", 8080), timestamp_start=0
        )
        ctx_ = context.Context(client, addon_options())
        if server:
            ctx_.server.address = server
        ch = tls.ClientHello(tutils_client_hello(sni))
        data = tls.ClientHelloData(ctx_, ch)
        addon.tls_clienthello(data)
        return data.ignore_connection

    def addon_options():
        from mitmproxy import ctx

        return ctx.options

    assert hello("www.example.org", ("www.example.org", 443)) is True
    assert hello("api.openai.com", ("api.openai.com", 443)) is False
    assert hello(None, ("api.anthropic.com", 443)) is False
    assert hello("www.bing.com", ("www.bing.com", 443)) is False  # Copilot lives under a path there


def tutils_client_hello(sni: str | None) -> bytes:
    """A real ClientHello (from Python's ssl module) carrying ``sni``."""
    import ssl

    ctx_ = ssl.create_default_context()
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = ctx_.wrap_bio(incoming, outgoing, server_hostname=sni)
    try:
        obj.do_handshake()
    except ssl.SSLWantReadError:
        pass
    record = outgoing.read()
    return record[
        9:
    ]  # strip the record (5 bytes) and handshake (4 bytes) headers: ClientHello wants the body


def test_responseheaders_streams_sse(addon) -> None:
    f = ai_flow()
    run(addon, f)
    f.response = tutils.tresp(content=b"")
    f.response.headers["content-type"] = "text/event-stream; charset=utf-8"
    asyncio.run(addon.responseheaders(f))
    assert f.response.stream is True


def test_english_policy_speaks_english(tmp_path) -> None:
    import shutil

    rules = tmp_path / "rules"
    shutil.copytree(REPO / "rules", rules)
    text = (rules / "policy.yaml").read_text()
    assert "language: fr" in text
    (rules / "policy.yaml").write_text(text.replace("language: fr", "language: en", 1))
    a = DlpProxy()
    with taddons.context(a) as tctx:
        tctx.configure(a, confdir=str(tmp_path / "c"), dlp_data_dir=str(tmp_path), dlp_rules=str(rules))
        f = ai_flow(host="api.deepseek.com")
        run(a, f)
        message = json.loads(f.response.content)["error"]["message"]
        assert "forbidden" in message.lower() and "interdit" not in message
        a.done()


def test_review_overdue_warns_and_sets_metric(tmp_path, capsys) -> None:
    import shutil

    from prometheus_client import generate_latest

    rules = tmp_path / "rules"
    shutil.copytree(REPO / "rules", rules)
    text = (rules / "policy.yaml").read_text()
    text = re.sub(r"last_review: \S+", "last_review: 2020-01-01", text, count=1)
    text = re.sub(r"next_review: \S+", "next_review: 2020-04-01", text, count=1)
    (rules / "policy.yaml").write_text(text)
    a = DlpProxy()
    with taddons.context(a) as tctx:
        tctx.configure(a, confdir=str(tmp_path / "c"), dlp_data_dir=str(tmp_path), dlp_rules=str(rules))
        assert b"dlp_proxy_policy_review_overdue 1.0" in generate_latest(a.metrics.registry)
        a.done()
    captured = capsys.readouterr()
    assert "policy_review_overdue" in captured.out + captured.err


def test_review_not_overdue_for_shipped_policy(addon) -> None:
    from prometheus_client import generate_latest

    assert b"dlp_proxy_policy_review_overdue 0.0" in generate_latest(addon.metrics.registry)


def test_extra_host_named_by_the_policy_gets_a_decision(tmp_path) -> None:
    """A host the policy names is decrypted: it must never go on without a decision (unlisted → forbidden)."""
    import shutil

    rules = tmp_path / "rules"
    shutil.copytree(REPO / "rules", rules)
    text = (rules / "policy.yaml").read_text()
    assert "extra_hosts: []" in text
    (rules / "policy.yaml").write_text(
        text.replace("extra_hosts: []", "extra_hosts: [ia.partenaire.example.com]")
    )
    a = DlpProxy()
    with taddons.context(a) as tctx:
        tctx.configure(a, confdir=str(tmp_path / "c"), dlp_data_dir=str(tmp_path), dlp_rules=str(rules))
        f = ai_flow(host="ia.partenaire.example.com", path="/api/ask", body={"q": "Bonjour"})
        run(a, f)
        assert f.response is not None and f.response.status_code == 403
        assert json.loads(f.response.content)["error"]["code"] == "tool_forbidden"
        a.done()

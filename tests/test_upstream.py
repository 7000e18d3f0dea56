"""Upstream failures of AI flows: the kind of failure, the answer set by the ``error`` hook, and the
mitmproxy patch that sends it (end to end: tests/e2e/test_upstream_errors.py)."""

from __future__ import annotations

import json

import pytest
from mitmproxy import flow as mflow
from mitmproxy.proxy.layers import http as http_layer
from mitmproxy.test import tflow, tutils

from dlp_proxy import upstream
from dlp_proxy.addon import DlpProxy
from tests.test_addon import addon, ai_flow, run  # noqa: F401 - the fixture is used by name


@pytest.mark.parametrize(
    ("message", "kind"),
    [
        ("[Errno 111] Connect call failed ('127.0.0.1', 9)", "refused"),
        ("Connection refused", "refused"),
        ("[Errno -2] Name or service not known", "dns"),
        ("TLS handshake failed: certificate verify failed", "tls"),
        ("Server disconnected.", "closed"),
        ("connection timed out", "timeout"),
        ("something else", "other"),
    ],
)
def test_failure_kind_is_a_fixed_label(message: str, kind: str) -> None:
    assert upstream.failure_kind(message, timed_out=False) == kind
    assert upstream.failure_kind(message, timed_out=True) == "timeout"


def test_install_patches_mitmproxy_once() -> None:
    assert upstream.install() and upstream.install()
    assert http_layer.HttpStream.handle_protocol_error is upstream._handle_protocol_error


def test_error_hook_answers_an_allowed_ai_flow(addon: DlpProxy) -> None:  # noqa: F811
    f = ai_flow()
    run(addon, f)
    assert f.response is None  # allowed
    f.error = mflow.Error("[Errno 111] Connect call failed ('127.0.0.1', 9)")
    addon.error(f)
    assert f.response is not None and f.response.status_code == 502
    body = json.loads(f.response.content)
    assert body["error"]["code"] == "upstream_unreachable"
    assert f.response.headers["x-dlp-proxy-request-id"] in body["error"]["message"]


def test_timed_out_flow_gets_504(addon: DlpProxy) -> None:  # noqa: F811
    f = ai_flow()
    run(addon, f)
    f.metadata[upstream.TIMED_OUT] = True
    f.error = mflow.Error("Server disconnected.")
    addon.error(f)
    assert f.response.status_code == 504
    assert json.loads(f.response.content)["error"]["code"] == "upstream_timeout"


def test_non_ai_and_killed_flows_are_left_to_mitmproxy(addon: DlpProxy) -> None:  # noqa: F811
    other = tflow.tflow(req=tutils.treq(host="example.com", port=443))
    addon.requestheaders(other)
    other.error = mflow.Error("Connection refused")
    addon.error(other)
    assert other.response is None
    killed = ai_flow()
    run(addon, killed)
    killed.error = mflow.Error(mflow.Error.KILLED_MESSAGE)
    addon.error(killed)
    assert killed.response is None

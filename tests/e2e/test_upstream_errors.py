"""An allowed AI request whose provider fails gets the product's 502/504 (API-shaped, French, with the
request id), counted and logged; non-AI traffic keeps mitmproxy's own error page.

The provider is replaced (``map_remote`` inside the proxy) by a refused port, a listener that accepts
and never answers (``dlp_upstream_timeout=2``) and a plain-HTTP port spoken to in TLS.
"""

from __future__ import annotations

import json
import re
import socket
import subprocess
import threading
import time
from collections.abc import Iterator

import pytest

from tests.e2e.conftest import ProxyProcess, free_port, start_proxy
from tests.e2e.fakeprovider import FakeProvider

pytestmark = pytest.mark.e2e

BODY = json.dumps({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Bonjour"}]})


class SilentServer:
    """Accepts TCP connections, reads what comes, never answers."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.accepted = 0
        self._held: list[socket.socket] = []
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.accepted += 1
            self._held.append(conn)

    def stop(self) -> None:
        self.sock.close()
        for c in self._held:
            c.close()


@pytest.fixture(scope="module")
def silent() -> Iterator[SilentServer]:
    s = SilentServer()
    yield s
    s.stop()


@pytest.fixture(scope="module")
def proxy(
    tmp_path_factory: pytest.TempPathFactory, provider: FakeProvider, silent: SilentServer
) -> Iterator[ProxyProcess]:
    closed = free_port()
    host = r"https://eu\.api\.openai\.com"  # OpenAI API (approved), not routed to the fake provider
    p = start_proxy(
        tmp_path_factory.mktemp("upstream"),
        provider,
        extra=[
            "--set", f"map_remote=|{host}/refused/|http://127.0.0.1:{closed}/",
            "--set", f"map_remote=|{host}/silent/|http://127.0.0.1:{silent.port}/",
            "--set", f"map_remote=|{host}/tls/|https://127.0.0.1:{provider.port}/",
            "--set", "dlp_upstream_timeout=2",
        ],
    )  # fmt: skip
    yield p
    p.stop()


def curl(proxy: ProxyProcess, url: str, *extra: str) -> tuple[int, dict[str, str], str, float]:
    t0 = time.monotonic()
    out = subprocess.run(
        ["curl", "-sS", "-x", proxy.url, "--cacert", str(proxy.ca_pem), "-D", "-",
         "-H", "Authorization: Bearer sk-x", "-H", "Content-Type: application/json", *extra, url],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    elapsed = time.monotonic() - t0
    head, _, body = out.stdout.replace("\r\n", "\n").partition("\n\n")
    while "connection established" in head.lower():  # the proxy's answer to CONNECT comes first
        head, _, body = body.partition("\n\n")
    status = int(head.split()[1])
    headers = {}
    for line in head.splitlines()[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return status, headers, body, elapsed


def metric(proxy: ProxyProcess, kind: str) -> float:
    m = re.search(
        rf'^dlp_proxy_upstream_errors_total{{kind="{kind}",tool="openai-api"}} (\S+)$', proxy.metrics(), re.M
    )
    return float(m.group(1)) if m else 0.0


def assert_ours(status: int, headers: dict[str, str], body: str, code: str, proxy: ProxyProcess) -> None:
    assert headers["content-type"].startswith("application/json"), body
    error = json.loads(body)["error"]
    assert error["code"] == code
    assert error["message"].startswith("Service d'IA indisponible (politique IA, version ")
    assert "OpenAI API" in error["message"]
    ref = headers["x-dlp-proxy-request-id"]
    assert f"Référence de la demande : {ref}." in error["message"]
    logged = [json.loads(line) for line in proxy.logs().splitlines() if '"upstream_failed"' in line]
    assert any(e["request_id"] == ref and e["tool"] == "openai-api" for e in logged)
    assert "mitmproxy" not in body


def test_refused_connection_gets_our_502(proxy: ProxyProcess) -> None:
    before = metric(proxy, "refused")
    status, headers, body, _ = curl(
        proxy, "https://eu.api.openai.com/refused/v1/chat/completions", "-d", BODY
    )
    assert status == 502
    assert_ours(status, headers, body, "upstream_unreachable", proxy)
    assert metric(proxy, "refused") == before + 1
    assert proxy.incidents() == []  # a provider failure is not a policy decision: counted and logged


def test_provider_that_never_answers_gets_our_504_after_the_timeout(
    proxy: ProxyProcess, silent: SilentServer
) -> None:
    status, headers, body, elapsed = curl(
        proxy, "https://eu.api.openai.com/silent/v1/chat/completions", "-d", BODY
    )
    assert status == 504, body
    assert 1.8 < elapsed < 15 and silent.accepted >= 1
    assert_ours(status, headers, body, "upstream_timeout", proxy)
    assert metric(proxy, "timeout") >= 1


def test_tls_failure_gets_our_502(proxy: ProxyProcess) -> None:
    status, headers, body, _ = curl(proxy, "https://eu.api.openai.com/tls/v1/chat/completions", "-d", BODY)
    assert status == 502
    assert_ours(status, headers, body, "upstream_unreachable", proxy)
    assert metric(proxy, "tls") >= 1


def test_browser_gets_the_french_page(proxy: ProxyProcess) -> None:
    status, headers, body, _ = curl(proxy, "https://eu.api.openai.com/refused/", "-H", "Accept: text/html")
    assert status == 502 and headers["content-type"].startswith("text/html")
    assert "Service d&#x27;IA indisponible" in body or "Service d'IA indisponible" in body


def test_non_ai_traffic_keeps_mitmproxy_behaviour(proxy: ProxyProcess) -> None:
    closed = free_port()
    status, headers, body, _ = curl(proxy, f"http://127.0.0.1:{closed}/anything")
    assert status == 502
    assert "x-dlp-proxy-request-id" not in headers
    assert headers.get("server", "").startswith("mitmproxy") and "<html>" in body.lower()

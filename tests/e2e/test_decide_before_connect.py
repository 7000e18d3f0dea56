"""The policy decides before any upstream connection, whatever the connection strategy option says.

A forbidden tool is never contacted (no TCP, no TLS), and README's first example works on a machine
without internet: the forbidden host cannot be reached, yet the user gets the French page and the
security team an incident.
"""

from __future__ import annotations

import socket
import subprocess
import threading

import pytest

from tests.e2e.conftest import ProxyProcess, free_port, start_proxy

pytestmark = pytest.mark.e2e


class CountingServer:
    """A TCP listener standing for the forbidden host: it only counts who connects."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.connections += 1
            conn.close()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(2)
        self.sock.close()


def readme_curl(proxy: ProxyProcess, target_port: int) -> subprocess.CompletedProcess[str]:
    """README's example, with chat.deepseek.com's address replaced by a local port (no DNS, no internet)."""
    return subprocess.run(
        ["curl", "-sS", "-x", proxy.url, "--cacert", str(proxy.ca_pem), "-H", "Accept: text/html",
         "--connect-to", f"chat.deepseek.com:443:127.0.0.1:{target_port}",
         "-w", "\n%{http_code}", "https://chat.deepseek.com/"],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip


@pytest.fixture(scope="module")
def eager_proxy(tmp_path_factory, provider):
    """A proxy started with mitmproxy's default strategy asked for explicitly: the addon overrides it."""
    p = start_proxy(tmp_path_factory.mktemp("eager"), provider, extra=["--set", "connection_strategy=eager"])
    yield p
    p.stop()


def test_forbidden_tool_is_never_contacted(eager_proxy: ProxyProcess) -> None:
    server = CountingServer()
    try:
        out = readme_curl(eager_proxy, server.port)
        assert out.stdout.endswith("\n403"), out.stdout[-300:] + out.stderr
        assert "interdit" in out.stdout and "DeepSeek" in out.stdout
    finally:
        server.stop()
    assert server.connections == 0


def test_readme_example_without_internet_gives_the_page_and_an_incident(eager_proxy: ProxyProcess) -> None:
    closed = free_port()  # nothing listens there: the host is unreachable
    before = len(eager_proxy.incidents())
    out = readme_curl(eager_proxy, closed)
    assert out.stdout.endswith("\n403"), out.stdout[-300:] + out.stderr
    assert "<html" in out.stdout.lower() and "Accès refusé" in out.stdout
    incidents = eager_proxy.incidents_when(lambda rows: len(rows) > before)
    assert len(incidents) == before + 1
    assert incidents[-1]["tool"] == "deepseek-chat" and incidents[-1]["code"] == "tool_forbidden"

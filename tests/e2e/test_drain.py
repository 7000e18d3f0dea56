"""SIGTERM drains: a streamed answer in progress finishes, /readyz says 503 meanwhile, then the proxy exits.

What Kubernetes relies on (preStop + terminationGracePeriodSeconds in deploy/kubernetes/base): a rollout
or a scale-down must not cut a user's streamed answer. A real ``dlp-proxy run``, a real HTTPS client
through it, and an upstream on 127.0.0.1 that streams an OpenAI answer slowly.
"""

from __future__ import annotations

import json
import signal
import threading
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from tests.e2e.conftest import start_proxy

pytestmark = [pytest.mark.e2e, pytest.mark.model]


class SlowStream:
    """Answers every POST with an OpenAI chat-completion event stream, one event every ``pause`` s."""

    def __init__(self, events: int, pause: float) -> None:
        self.started = threading.Event()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                return

            def do_POST(self) -> None:  # noqa: N802 - http.server API
                self.rfile.read(int(self.headers.get("content-length", 0)))
                self.send_response(200)
                self.send_header("content-type", "text/event-stream")
                self.send_header("transfer-encoding", "chunked")
                self.end_headers()
                try:
                    self._events()
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the proxy cut the answer (drain deadline)

            def _events(self) -> None:
                for i in range(events):
                    chunk = {
                        "id": "c1",
                        "object": "chat.completion.chunk",
                        "model": "gpt-4o-mini",
                        "choices": [{"index": 0, "delta": {"content": f"part{i} "}, "finish_reason": None}],
                    }
                    self._chunk(f"data: {json.dumps(chunk)}\n\n".encode())
                    outer.started.set()
                    time.sleep(pause)
                self._chunk(b"data: [DONE]\n\n")
                self._chunk(b"")

            def _chunk(self, data: bytes) -> None:
                self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
                self.wfile.flush()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _stream_through(proxy, out: list[str], errors: list[BaseException]) -> None:
    body = {
        "model": "gpt-4o-mini",
        "stream": True,
        "messages": [{"role": "user", "content": "Résume les avantages du télétravail en trois points."}],
    }
    try:
        with httpx.Client(proxy=proxy.url, verify=proxy.ssl_context(), timeout=60) as client:
            with client.stream(
                "POST",
                "https://api.openai.com/v1/chat/completions",
                json=body,
                headers={"authorization": "Bearer sk-test"},
            ) as response:
                assert response.status_code == 200, response.read()
                for line in response.iter_lines():
                    if line.startswith("data: "):
                        out.append(line.removeprefix("data: "))
    except BaseException as exc:  # reported to the test thread
        errors.append(exc)


def _readyz(proxy) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{proxy.metrics_port}/readyz", timeout=3) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def _gauge(proxy, name: str) -> float:
    for line in proxy.metrics().splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    raise AssertionError(f"{name} not exported")


@pytest.mark.timeout(240)
def test_sigterm_lets_the_stream_in_progress_finish_then_exits(tmp_path, monkeypatch):
    upstream = SlowStream(events=6, pause=0.5)
    monkeypatch.setenv("DLP_PROXY_DRAIN_SECONDS", "30")
    proxy = start_proxy(tmp_path, upstream, extra=["--set", "dlp_workers=1"])
    try:
        received: list[str] = []
        errors: list[BaseException] = []
        client = threading.Thread(target=_stream_through, args=(proxy, received, errors))
        client.start()
        assert upstream.started.wait(60), proxy.logs()
        assert _gauge(proxy, "dlp_proxy_in_flight_requests") == 1
        t_term = time.monotonic()
        proxy.proc.send_signal(signal.SIGTERM)
        # Draining: no longer ready (the Service stops routing here), the stream still flows.
        deadline = time.monotonic() + 5
        while _readyz(proxy)[0] != 503 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _readyz(proxy) == (503, "draining (shutting down)\n")
        assert _gauge(proxy, "dlp_proxy_draining") == 1
        client.join(60)
        assert not errors, errors
        assert received[-1] == "[DONE]"
        parts = [json.loads(r)["choices"][0]["delta"]["content"] for r in received[:-1]]
        assert parts == [f"part{i} " for i in range(6)]
        assert proxy.proc.wait(20) == 0
        assert time.monotonic() - t_term >= 1.0  # it did wait for the stream (~2.5 s left when signalled)
        logs = proxy.logs()
        assert '"drain_started"' in logs and '"drain_done"' in logs
        assert '"in_flight": 1' in logs
    finally:
        proxy.stop()
        upstream.stop()


@pytest.mark.timeout(240)
def test_the_drain_deadline_cuts_what_is_left(tmp_path, monkeypatch):
    upstream = SlowStream(events=40, pause=0.5)  # 20 s of answer
    monkeypatch.setenv("DLP_PROXY_DRAIN_SECONDS", "1")
    proxy = start_proxy(tmp_path, upstream, extra=["--set", "dlp_workers=1"])
    try:
        received: list[str] = []
        errors: list[BaseException] = []
        client = threading.Thread(target=_stream_through, args=(proxy, received, errors))
        client.start()
        assert upstream.started.wait(60), proxy.logs()
        t_term = time.monotonic()
        proxy.proc.send_signal(signal.SIGTERM)
        assert proxy.proc.wait(30) == 0
        assert 1.0 <= time.monotonic() - t_term < 15
        client.join(30)
        assert "[DONE]" not in received  # the rest of the answer was cut
        assert '"drain_deadline_reached"' in proxy.logs()
    finally:
        proxy.stop()
        upstream.stop()

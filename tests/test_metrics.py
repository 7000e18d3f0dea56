"""Metrics and probes over a real HTTP port."""

from __future__ import annotations

import urllib.error
import urllib.request

import pytest

from dlp_proxy.metrics import Metrics, MetricsServer


def get(port: int, path: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


@pytest.fixture
def server():
    state = {"ready": (False, "policy not loaded")}
    m = Metrics()
    s = MetricsServer(m, "127.0.0.1", 0, lambda: state["ready"])
    s.start()
    yield m, s, state
    s.stop()


def test_probes(server) -> None:
    m, s, state = server
    assert get(s.port, "/healthz")[0] == 200
    assert get(s.port, "/readyz") == (503, "policy not loaded\n")
    state["ready"] = (True, "ready")
    assert get(s.port, "/readyz")[0] == 200
    assert get(s.port, "/nope")[0] == 404


def test_metrics_render(server) -> None:
    m, s, _ = server
    m.set_policy("2026.4", 1.8e9)
    m.requests.labels(tool="openai-api", decision="blocked").inc()
    m.set_policy("2026.5", 1.9e9)
    status, text = get(s.port, "/metrics")
    assert status == 200
    assert 'dlp_proxy_requests_total{decision="blocked",tool="openai-api"} 1.0' in text
    assert 'dlp_proxy_policy_info{version="2026.5"} 1.0' in text
    assert 'version="2026.4"' not in text  # only the policy in force

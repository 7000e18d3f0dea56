"""The incident store made unwritable under a running ``dlp-proxy run``: the proxy stays up, decides
as before, says so on /readyz and /metrics, and records every incident once the disk is writable.

How the store is made unwritable: ``chattr +i`` (immutable) on the data directory, the SQLite file
and every other file in it — the real kernel refusal, not an injected error (the machine runs the
tests as root on ext4). Before the fix this killed the proxy with SIGBUS (WAL's memory-mapped -shm).
"""

from __future__ import annotations

import json
import re
import signal
import subprocess
import time
import urllib.request
from collections.abc import Iterator

import pytest

from tests.e2e.conftest import DLP_PROXY, ProxyProcess, free_port, start_proxy
from tests.e2e.fakeprovider import FakeProvider

pytestmark = pytest.mark.e2e

NIR = "1 85 05 78 006 084 91"


@pytest.fixture(scope="module")
def proxy(tmp_path_factory: pytest.TempPathFactory, provider: FakeProvider) -> Iterator[ProxyProcess]:
    p = start_proxy(tmp_path_factory.mktemp("store-faults"), provider)
    yield p
    subprocess.run(["chattr", "-R", "-i", str(p.data_dir)], check=False)
    p.stop()


def forbidden(proxy: ProxyProcess) -> int:
    """README's example (forbidden tool), the host unreachable: a 403 and an incident."""
    out = subprocess.run(
        ["curl", "-sS", "-x", proxy.url, "--cacert", str(proxy.ca_pem), "-o", "/dev/null",
         "--connect-to", f"chat.deepseek.com:443:127.0.0.1:{free_port()}",
         "-w", "%{http_code}", "https://chat.deepseek.com/"],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    return int(out.stdout)


def chat(proxy: ProxyProcess, text: str) -> tuple[int, dict]:
    body = json.dumps({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": text}]})
    out = subprocess.run(
        ["curl", "-sS", "-x", proxy.url, "--cacert", str(proxy.ca_pem),
         "-H", "Content-Type: application/json", "-H", "Authorization: Bearer sk-test", "-d", body,
         "-w", "\n%{http_code}", "https://api.openai.com/v1/chat/completions"],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    payload, _, code = out.stdout.rpartition("\n")
    return int(code), json.loads(payload) if payload.strip().startswith("{") else {}


def metric(proxy: ProxyProcess, name: str) -> float:
    match = re.search(rf"^{re.escape(name)}(?:{{[^}}]*}})? (\S+)$", proxy.metrics(), re.MULTILINE)
    assert match, name
    return float(match.group(1))


def readyz(proxy: ProxyProcess) -> tuple[int, str]:
    with urllib.request.urlopen(f"http://127.0.0.1:{proxy.metrics_port}/readyz", timeout=5) as r:
        return r.status, r.read().decode()


def shape(status: int, payload: dict) -> tuple:
    """What the client was told, without the per-request reference."""
    error = payload.get("error") or {}
    return status, error.get("code"), error.get("type")


def test_unwritable_store_keeps_the_proxy_deciding_and_recovers_incidents(proxy: ProxyProcess) -> None:
    before = (forbidden(proxy), shape(*chat(proxy, f"mon NIR {NIR}")), chat(proxy, "Bonjour")[0])
    assert before[0] == 403 and before[2] == 200
    deadline = time.monotonic() + 10
    while len(proxy.incidents()) < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    recorded = len(proxy.incidents())
    assert recorded == 2  # the forbidden tool and the NIR

    targets = [str(proxy.data_dir), *(str(p) for p in proxy.data_dir.rglob("*"))]
    subprocess.run(["chattr", "+i", *targets], check=True)
    try:
        during = [(forbidden(proxy), shape(*chat(proxy, f"mon NIR {NIR}")), chat(proxy, "Bonjour")[0])]
        during += [(forbidden(proxy), shape(*chat(proxy, f"NIR {NIR}")), chat(proxy, "Salut")[0])]
        assert proxy.proc.poll() is None, proxy.logs()[-2000:]
        assert all(d == before for d in during)  # the decisions stand
        assert metric(proxy, "dlp_proxy_incident_store_up") == 0
        assert metric(proxy, "dlp_proxy_incident_backlog") == 4
        assert metric(proxy, 'dlp_proxy_incident_store_errors_total{kind="store"}') >= 1
        status, text = readyz(proxy)
        assert status == 200 and "degraded" in text and "4 incident(s) waiting" in text
        assert "incident_store_unreachable" in proxy.logs()
    finally:
        subprocess.run(["chattr", "-i", *targets], check=True)

    deadline = time.monotonic() + 45  # the writer retries with a backoff (at most 30 s)
    while metric(proxy, "dlp_proxy_incident_backlog") and time.monotonic() < deadline:
        time.sleep(0.25)
    assert metric(proxy, "dlp_proxy_incident_store_up") == 1
    status, text = readyz(proxy)
    assert status == 200 and "degraded" not in text
    incidents = proxy.incidents()
    assert len(incidents) == recorded + 4
    assert [i["id"] for i in incidents] == list(range(1, recorded + 5))
    times = [i["time"] for i in incidents]
    assert times == sorted(times)  # recovered in the order they happened
    assert [i["code"] for i in incidents[recorded:]] == [incidents[0]["code"], incidents[1]["code"]] * 2
    verify = subprocess.run(
        [DLP_PROXY, "incidents", "verify", "--data-dir", str(proxy.data_dir)],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert verify.returncode == 0 and f"{recorded + 4} record(s) checked" in verify.stdout, verify.stdout
    assert "incident_store_recovered" in proxy.logs()
    assert proxy.proc.poll() is None and proxy.proc.returncode != -signal.SIGBUS
